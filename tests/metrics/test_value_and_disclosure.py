"""value.* (cost per outcome) and disclosure control of report.json."""

from __future__ import annotations

import json

import pytest


def test_cost_per_outcome_and_its_interval(cohort):
    for _ in range(4):
        cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)        # recovered
    for _ in range(6):
        cohort.referral().assessment(0)
    cohort.cost("S1", "2023-01-01", "2023-12-31", 100_000)
    a = cohort.audit()
    assert a.value("value.cost_per_referral") == 10_000
    assert a.value("value.cost_per_finished_course") == pytest.approx(25_000)
    assert a.value("value.cost_per_recovery") == pytest.approx(25_000)
    result = a.metrics["value.cost_per_recovery"]
    # Wilson interval of 4/10 (0.1682, 0.6873) carried through: 100000 / (10 p)
    assert result.ci_low == pytest.approx(100_000 / (10 * 0.6873), rel=1e-3)
    assert result.ci_high == pytest.approx(100_000 / (10 * 0.1682), rel=1e-3)
    assert a.metrics["value.cost_per_lost_diagnosis"].value is None


def test_costs_are_prorated_to_the_audit_period(cohort):
    cohort.referral(received=0, length=60)                               # ends 2023-03-03
    cohort.cost("S1", "2023-01-01", "2023-12-31", 36_500)                # 100 a day
    a = cohort.audit(period="2023-03-01:2023-03-31")
    assert a.value("value.cost_per_referral") == pytest.approx(3_100)


def test_without_costs_value_metrics_say_so(cohort):
    cohort.referral().treatments(2)
    a = cohort.audit()
    assert a.metrics["value.cost_per_referral"].note == \
        "not computed: no costs file was supplied"
    assert a.value("value.cost_per_referral") is None
    costs = [e for e in a.not_computed if e["data"] == ["costs"]]
    assert costs and costs[0]["what"] == "cost per outcome"
    assert sorted(costs[0]["metrics"]) == [
        "value.cost_per_finished_course", "value.cost_per_lost_diagnosis",
        "value.cost_per_recovery", "value.cost_per_referral",
        "value.cost_per_reliable_recovery"]


def test_disclosure_control_suppresses_small_counts_and_rounds_the_rest(cohort):
    for _ in range(12):
        cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)        # 12 recovered
    for _ in range(3):
        cohort.referral().treatments(2).phq9(15, 14).gad7(10, 9)       # 3 not
    a = cohort.audit(disclosure_control=True)
    doc = a.to_json()
    rec = doc["metrics"]["official.recovery_rate"]
    assert (rec["numerator"], rec["denominator"], rec["value"]) == (10, 15, 0.8)  # 12/15
    assert rec["suppressed"] is False
    deterioration = doc["metrics"]["official.reliable_deterioration_rate"]
    assert deterioration["suppressed"] is True and deterioration["value"] is None
    assert deterioration["numerator"] is None                          # 0 < 5
    assert doc["metrics"]["funnel.referrals_ended"]["value"] == 15
    text = json.dumps(doc)
    assert '"numerator": 12' not in text and '"numerator": 3' not in text
    exact = a.to_json(disclosure_control=False)["metrics"]["official.recovery_rate"]
    assert (exact["numerator"], exact["denominator"]) == (12, 15)


@pytest.mark.parametrize("n, shown", [(0, None), (4, None), (5, 5), (7, 5), (8, 10),
                                      (12, 10), (13, 15), (1234, 1235)])
def test_rounding_rule(n, shown):
    from tincheck.disclosure import round_count
    assert round_count(n) == shown


def test_kappa_is_suppressed_when_a_cell_of_its_table_is_small(cohort):
    for _ in range(6):
        (cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)
         .interview("baseline", 1, {"depression": "present"})
         .interview("end", 119, {"depression": "absent"}))
    (cohort.referral().treatments(2).phq9(15, 14).gad7(10, 9)
     .interview("baseline", 1, {"depression": "present"})
     .interview("end", 119, {"depression": "present"}))
    a = cohort.audit()
    assert a.metrics["agreement.kappa"].n == 7
    kappa = a.to_json(disclosure_control=True)["metrics"]["agreement.kappa"]
    assert kappa["suppressed"] is True and kappa["value"] is None
    assert kappa["cells"]["recovered_lost"] == 5 and kappa["cells"]["recovered_diagnosed"] is None
