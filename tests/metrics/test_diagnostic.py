"""diagnostic.* and agreement.*: loss of diagnosis by independent blind interview.

Each cohort is hand-built; the expected numbers are counted by hand from the rule in
docs/metrics.md ("diagnostic", "agreement").
"""

from __future__ import annotations

import pytest

from .cohort import fraction

PRESENT, SUB, ABSENT = "present", "subthreshold", "absent"


def recovered(ref):
    return ref.treatments(2).phq9(15, 5).gad7(10, 4)


def not_recovered(ref):
    return ref.treatments(2).phq9(15, 14).gad7(10, 9)


def test_subthreshold_at_end_counts_as_lost_but_not_in_the_strict_variant(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": SUB}))
    a = cohort.audit()
    assert fraction(a, "diagnostic.lost_index_end_itt") == (1, 1)
    assert fraction(a, "diagnostic.lost_index_end_itt_strict") == (0, 1)


def test_a_new_disorder_at_end_loses_the_index_diagnosis_but_is_not_diagnosis_free(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT, "gad": ABSENT})
     .interview("end", 119, {"depression": ABSENT, "gad": PRESENT}))
    a = cohort.audit()
    assert fraction(a, "diagnostic.lost_index_end_observed") == (1, 1)
    assert fraction(a, "diagnostic.diagnosis_free_end_observed") == (0, 1)


def test_a_missing_end_interview_is_not_lost_and_not_observed(cohort):
    cohort.referral().interview("baseline", 1, {"depression": PRESENT})
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": ABSENT}))
    a = cohort.audit()
    assert a.value("diagnostic.baseline_diagnosed") == 2
    assert fraction(a, "diagnostic.lost_index_end_itt") == (1, 2)
    assert fraction(a, "diagnostic.lost_index_end_observed") == (1, 1)


def test_baseline_without_a_present_disorder_is_not_in_b(cohort):
    cohort.referral().interview("baseline", 1, {"depression": SUB})
    cohort.referral().interview("baseline", 1, {"depression": PRESENT})
    a = cohort.audit()
    assert a.value("diagnostic.baseline_interviewed") == 2
    assert a.value("diagnostic.baseline_diagnosed") == 1


def test_a_non_independent_assessors_interview_is_excluded_unless_any(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": ABSENT}, assessor="AS9", independent=False))
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT}, blind=False)
     .interview("end", 119, {"depression": ABSENT}))
    a = cohort.audit()
    assert a.value("diagnostic.baseline_diagnosed") == 1           # second baseline not blind
    assert fraction(a, "diagnostic.lost_index_end_itt") == (0, 1)  # end not independent
    assert fraction(a, "diagnostic.eligible_interview_share") == (2, 4)
    eligibility = {r["interviews"]: r["n"] for r in a.tables["diagnostic.interview_eligibility"]}
    assert eligibility["excluded"] == 2
    assert eligibility["assessor not independent"] == 1
    assert eligibility["assessor not blind"] == 1
    wide = cohort.audit(assessors="any")
    assert fraction(wide, "diagnostic.lost_index_end_itt") == (2, 2)
    assert wide.settings["assessors"] == "any"
    assert "ANY assessor" in wide.warnings[0]


def test_durable_loss_needs_both_end_and_follow_up(any_cohort):
    (any_cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": ABSENT})
     .interview("follow_up", 300, {"depression": ABSENT}, months_after_end=6))
    (any_cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": ABSENT})
     .interview("follow_up", 300, {"depression": PRESENT}, months_after_end=6))
    (any_cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("follow_up", 300, {"depression": ABSENT}, months_after_end=6))
    a = any_cohort.audit()
    assert fraction(a, "diagnostic.durable_loss_itt") == (1, 3)
    assert fraction(a, "diagnostic.lost_index_follow_up_itt") == (2, 3)
    assert fraction(a, "diagnostic.lost_index_end_itt") == (2, 3)


def test_every_index_disorder_must_be_lost(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT, "gad": PRESENT})
     .interview("end", 119, {"depression": ABSENT, "gad": PRESENT}))
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT, "gad": PRESENT})
     .interview("end", 119, {"depression": ABSENT}))                 # gad not rated: not lost
    a = cohort.audit()
    assert fraction(a, "diagnostic.lost_index_end_itt") == (0, 2)


def test_disorder_level_rates(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT, "gad": PRESENT})
     .interview("end", 119, {"depression": ABSENT, "gad": PRESENT}))
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": PRESENT}))
    cohort.referral().interview("baseline", 1, {"gad": PRESENT})
    a = cohort.audit()
    rows = {r["disorder"]: r for r in a.tables["diagnostic.by_disorder"]}
    assert (rows["depression"]["n"], rows["depression"]["lost_end"]) == (2, 1)
    assert (rows["gad"]["n"], rows["gad"]["lost_end"]) == (2, 0)
    assert rows["depression"]["lost_end_rate"] == 0.5


def test_the_latest_eligible_interview_of_a_time_point_is_used(cohort):
    # two end interviews rating different disorders (the same disorder twice would be
    # an error): the later one is used, so depression counts as not rated, not lost
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 100, {"depression": ABSENT}, interview_id="E1")
     .interview("end", 119, {"gad": ABSENT}, interview_id="E2"))
    assert fraction(cohort.audit(), "diagnostic.lost_index_end_itt") == (0, 1)


def test_second_ratings_are_left_out_of_every_outcome(cohort):
    # R01: the primary end rating says depression is gone; a second rater, later in
    # the interview order (same day, larger interview_id), says it is present. Counted
    # as an interview it would be the one chosen (latest by date, then id): 0 of 1 lost.
    (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": ABSENT}, interview_id="E1")
     .interview("end", 119, {"depression": PRESENT}, interview_id="E2", assessor="AS2",
                second_rating=True))
    # R02: a second rating at baseline finds a disorder the primary rating did not
    (cohort.referral().interview("baseline", 1, {"depression": ABSENT}, interview_id="B1")
     .interview("baseline", 1, {"depression": PRESENT}, interview_id="B2",
                assessor="AS2", second_rating=True))
    a = cohort.audit()
    assert a.value("diagnostic.baseline_interviewed") == 2
    assert a.value("diagnostic.baseline_diagnosed") == 1          # R02's second rating not
    assert fraction(a, "diagnostic.lost_index_end_itt") == (1, 1)
    assert fraction(a, "diagnostic.eligible_interview_share") == (3, 3)  # 2 + 1 primaries
    rows = {r["disorder"]: r for r in a.tables["diagnostic.by_disorder"]}
    assert (rows["depression"]["n"], rows["depression"]["lost_end"]) == (1, 1)


def test_back_to_usual_self(cohort):
    for pct in (95, 90, 89):
        (cohort.referral().interview("baseline", 1, {"depression": PRESENT})
         .interview("end", 119, {"depression": ABSENT}, usual_self=pct))
    cohort.referral().interview("baseline", 1, {"depression": PRESENT}).interview(
        "end", 119, {"depression": ABSENT})                            # not rated
    a = cohort.audit()
    assert fraction(a, "diagnostic.back_to_usual_self_end") == (2, 3)
    assert fraction(cohort.audit(usual_self_threshold=95),
                    "diagnostic.back_to_usual_self_end") == (1, 3)


def test_agreement_table_and_kappa(cohort):
    # recovered & lost x3, recovered & still diagnosed x1, not recovered & lost x1,
    # not recovered & diagnosed x2 -> kappa = (5/7 - p_e) / (1 - p_e),
    # p_e = (4/7)(4/7) + (3/7)(3/7) = 25/49, kappa = (35/49 - 25/49)/(24/49) = 10/24
    cells = [(recovered, ABSENT)] * 3 + [(recovered, PRESENT)] + \
            [(not_recovered, ABSENT)] + [(not_recovered, PRESENT)] * 2
    for outcome, end_status in cells:
        outcome(cohort.referral()).interview("baseline", 1, {"depression": PRESENT}).interview(
            "end", 119, {"depression": end_status})
    cohort.referral().interview("baseline", 1, {"depression": PRESENT}).interview(
        "end", 119, {"depression": ABSENT})                            # no official outcome
    a = cohort.audit()
    assert a.value("agreement.n") == 7
    assert fraction(a, "agreement.recovered_but_still_diagnosed") == (1, 4)
    assert fraction(a, "agreement.lost_diagnosis_but_not_recovered") == (1, 3)
    kappa = a.metrics["agreement.kappa"]
    assert kappa.value == pytest.approx(10 / 24)
    assert kappa.extra["cells"] == {"recovered_lost": 3, "recovered_diagnosed": 1,
                                    "not_recovered_lost": 1, "not_recovered_diagnosed": 2}


def test_representativeness_flags_a_different_sample(cohort):
    for _ in range(3):
        recovered(cohort.referral(age=60)).interview("baseline", 1, {"depression": PRESENT})
    for _ in range(3):
        cohort.referral(age=20).assessment(0)
    a = cohort.audit()
    rows = {r["variable"]: r for r in a.tables["diagnostic.representativeness"]}
    # age: interviewed mean 60 (var 0), all 40 (var 480): SMD = 20 / sqrt(240) = 1.29
    assert rows["age"]["smd"] == pytest.approx(20 / 240 ** 0.5)
    assert rows["age"]["flag"] is True


def test_referrals_not_ended_in_the_period_are_left_out(cohort):
    cohort.referral(length=None, end_reason=None).interview("baseline", 1,
                                                            {"depression": PRESENT})
    assert cohort.audit().value("diagnostic.baseline_diagnosed") == 0
