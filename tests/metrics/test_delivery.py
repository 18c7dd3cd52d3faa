"""delivery.*: what people actually received."""

from __future__ import annotations

import pytest

from .cohort import fraction


def test_low_intensity_only_guided_self_help_and_stepped_up(cohort):
    cohort.referral().treatments(3, therapy="gsh_book", intensity="low", medium="telephone")
    cohort.referral().treatments(2, therapy="gsh_computer").treatments(2, therapy="cbt")
    cohort.referral().treatments(2, therapy="cbt", intensity="high")
    cohort.referral().assessment(0)                                  # not treated: not in T
    a = cohort.audit()
    assert fraction(a, "delivery.entered_treatment") == (3, 4)
    assert fraction(a, "delivery.low_intensity_only") == (1, 3)       # step from therapy type
    assert fraction(a, "delivery.guided_self_help") == (1, 3)         # 2 of 4 is not "most"
    assert fraction(a, "delivery.stepped_up") == (1, 3)
    assert fraction(a, "delivery.telephone_contacts") == (3, 9)       # contacts, not people
    mean = a.metrics["delivery.mean_sessions"]
    assert (mean.value, mean.median, mean.n) == (3.0, 3.0, 3)


def test_stepping_down_is_not_stepping_up(cohort):
    cohort.referral().treatments(2, therapy="cbt").treatments(2, therapy="gsh_book")
    assert fraction(cohort.audit(), "delivery.stepped_up") == (0, 1)


@pytest.mark.parametrize("gap, over_28, over_90", [(28, 0, 0), (29, 1, 0), (91, 1, 1)])
def test_hidden_wait_between_first_and_second_treatment(cohort, gap, over_28, over_90):
    cohort.referral(length=200).treatment(10).treatment(10 + gap)
    a = cohort.audit()
    assert fraction(a, "delivery.wait_second_treatment_over_28_days") == (over_28, 1)
    assert fraction(a, "delivery.wait_second_treatment_over_90_days") == (over_90, 1)


def test_by_therapy_type_uses_the_most_frequent_type_ties_to_the_latest(cohort):
    cohort.referral().treatments(2, therapy="cbt").treatments(1, therapy="ipt").phq9(
        15, 5).gad7(10, 4)                                             # cbt, recovered
    cohort.referral().treatments(1, therapy="gsh_book").treatments(1, therapy="cbt")  # tie
    cohort.referral().treatments(2)                                   # no therapy type
    a = cohort.audit()
    rows = {r["therapy"]: r for r in a.tables["delivery.by_therapy_type"]}
    assert {k: (v["courses"], v["eligible"], v["recovered"]) for k, v in rows.items()} == {
        "cbt": (2, 2, 1), "not_recorded": (1, 1, 0)}
    assert rows["cbt"]["recovery_rate"] == 0.5
