"""services.*: two hand-built services, every figure of the comparison by hand.

S1: R01 recovered, R02 not recovered (both finished at caseness), R03 a case who left
after assessment, R04 finished but not at caseness. S2: R05, R06 recovered, R07 not,
R08 and R09 cases who left. Interviews: S1 R01 lost its diagnosis, R02 did not; S2 R05
lost, R06 had no end interview (not lost, ITT), R07 subthreshold (lost).

So, per service (events / n):
    official recovery   S1 1/2     S2 2/3     all 3/5 = 0.6
    recovery among C    S1 1/3     S2 2/5     all 3/8 = 0.375
    lost diagnoses      S1 1/2     S2 2/3     all 3/5
    overlap (eligible and a case): S1 2 (1 recovered), S2 3 (2 recovered)
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from tincheck.metrics.services import compare, gap_rows

Z95 = stats.norm.ppf(0.975)


def _rows(table, measure):
    return {r["service_id"]: r for r in table if r["measure"] == measure}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    from .cohort import Cohort

    cohort = Cohort(tmp_path_factory.mktemp("services") / "two")
    depressed = {"depression": "present"}
    r = cohort.referral(service="S1").treatments(2).phq9(15, 5).gad7(10, 4)
    r.interview("baseline", 1, depressed).interview("end", 100, {"depression": "absent"})
    r = cohort.referral(service="S1").treatments(2).phq9(15, 12).gad7(10, 9)
    r.interview("baseline", 1, depressed).interview("end", 100, depressed)
    cohort.referral(service="S1").assessment(0).phq9(15)
    cohort.referral(service="S1").treatments(2).phq9(6, 5).gad7(5, 4)
    r = cohort.referral(service="S2").treatments(2).phq9(15, 5).gad7(10, 4)
    r.interview("baseline", 1, depressed).interview("end", 100, {"depression": "absent"})
    r = cohort.referral(service="S2").treatments(2).phq9(15, 5).gad7(10, 4)
    r.interview("baseline", 1, depressed)
    r = cohort.referral(service="S2").treatments(2).phq9(18, 14).gad7(12, 11)
    r.interview("baseline", 1, depressed).interview("end", 100,
                                                    {"depression": "subthreshold"})
    cohort.referral(service="S2").assessment(0).phq9(12)
    cohort.referral(service="S2").assessment(0).phq9(20)
    return cohort.audit(imputations=0)


def test_two_services_are_compared(audited):
    assert audited.value("services.compared") == 2
    assert audited.results["services.compared"].note is None


def test_rates_and_wilson_intervals_by_service(audited):
    table = audited.tables["services.comparison"]
    official = _rows(table, "official_recovery")
    assert (official["S1"]["events"], official["S1"]["n"]) == (1, 2)
    assert (official["S2"]["events"], official["S2"]["n"]) == (2, 3)
    itt = _rows(table, "itt_recovery")
    assert (itt["S1"]["events"], itt["S1"]["n"]) == (1, 3)
    assert (itt["S2"]["events"], itt["S2"]["n"]) == (2, 5)
    lost = _rows(table, "lost_diagnosis")
    assert (lost["S1"]["events"], lost["S1"]["n"]) == (1, 2)
    assert (lost["S2"]["events"], lost["S2"]["n"]) == (2, 3)
    # Wilson, 1 of 2: (0.5 + z²/4 ∓ z √(0.125 + z²/16)) / (1 + z²/2) = 0.0945, 0.9055
    z2 = Z95 ** 2
    half = Z95 * math.sqrt(0.25 / 2 + z2 / 16)
    assert official["S1"]["rate_ci_low"] == pytest.approx((0.5 + z2 / 4 - half) / (1 + z2 / 2))
    assert official["S1"]["rate_ci_high"] == pytest.approx((0.5 + z2 / 4 + half) / (1 + z2 / 2))
    assert official["S1"]["rate_ci_high"] == pytest.approx(0.905469, abs=1e-6)


def test_z_scores_and_limits_around_the_all_service_rate(audited):
    official = _rows(audited.tables["services.comparison"], "official_recovery")
    # θ = 3/5; z = (y − θ) / √(θ(1 − θ)/n)
    assert official["S1"]["z"] == pytest.approx((0.5 - 0.6) / math.sqrt(0.24 / 2))
    assert official["S2"]["z"] == pytest.approx((2 / 3 - 0.6) / math.sqrt(0.24 / 3))
    # exact 95% limits at n = 2, θ = 0.6: P(R≤0) = 0.16, P(R≤1) = 0.64, P(R≤2) = 1;
    # low: r = 0, α = (0.16 − 0.025)/0.16 = 0.84375 → (0 − α)/2; high: r = 2,
    # α = (1 − 0.975)/(1 − 0.64) → (2 − α)/2
    assert official["S1"]["exact_95_low"] == pytest.approx(-0.84375 / 2)
    assert official["S1"]["exact_95_high"] == pytest.approx((2 - 0.025 / 0.36) / 2)
    # two services: no overdispersion estimate, τ² = 0: widened = normal limits
    assert official["S1"]["re_95_high"] == pytest.approx(0.6 + Z95 * math.sqrt(0.24 / 2))
    assert not any(official[s][f"outside_{t}"] for s in ("S1", "S2")
                   for t in ("exact_95", "exact_998", "re_95", "re_998"))
    spread = {r["measure"]: r for r in audited.tables["services.overdispersion"]}
    assert spread["official_recovery"]["target"] == pytest.approx(0.6)
    assert spread["itt_recovery"]["target"] == pytest.approx(3 / 8)
    assert spread["official_recovery"]["phi"] is None
    assert spread["official_recovery"]["tau2"] == 0.0
    assert spread["official_recovery"]["services"] == 2


def test_the_gap_is_ranked_with_an_interval_for_overlapping_groups(audited):
    gap = {r["service_id"]: r for r in audited.tables["services.gap"]}
    # S1: 1/2 − 1/3; Var = .25/2 + (2/9)/3 − 2·2·(.25)/(2·3) = 0.0324074
    assert gap["S1"]["gap"] == pytest.approx(1 / 2 - 1 / 3)
    half = Z95 * math.sqrt(0.125 + 2 / 27 - 1 / 6)
    assert (gap["S1"]["gap_ci_low"], gap["S1"]["gap_ci_high"]) == pytest.approx(
        (1 / 6 - half, 1 / 6 + half))
    # S2: 2/3 − 2/5; Var = (2/9)/3 + 0.24/5 − 2·3·(2/9)/(3·5) = 0.0331852
    half = Z95 * math.sqrt(2 / 27 + 0.048 - 4 / 45)
    assert gap["S2"]["gap_ci_high"] == pytest.approx(4 / 15 + half)
    assert (gap["S2"]["rank"], gap["S1"]["rank"]) == (1, 2)


def test_limits_are_drawn_from_the_shared_funnel_function(audited):
    from tincheck.stats.control_limits import funnel_limits

    curve = [c for c in audited.tables["services.control_limits"]
             if c["measure"] == "official_recovery"]
    point = curve[len(curve) // 2]
    expected = funnel_limits(0.6, point["denominator"])
    assert point["exact_998_low"] == pytest.approx(float(expected["exact_998_low"]))


def test_one_service_is_not_compared(cohort):
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)
    a = cohort.audit(imputations=0)
    assert a.value("services.compared") == 1
    assert "one service" in a.results["services.compared"].note
    assert a.tables["services.comparison"] == [] and a.tables["services.gap"] == []


def test_three_services_estimate_overdispersion_by_hand():
    rows = [{"service_id": s, "official_events": e, "official_n": 100, "itt_events": e,
             "itt_n": 200, "overlap_n": 100, "overlap_events": e, "lost_events": None,
             "lost_n": None} for s, e in (("A", 30), ("B", 50), ("C", 70))]
    out = compare(rows)
    spread = {r["measure"]: r for r in out["overdispersion"]}
    # z = −4, 0, 4 → winsorised ±3.2 → φ = 6.8267, τ² = 18.48 / 800 (control_limits)
    assert spread["official_recovery"]["phi"] == pytest.approx(20.48 / 3)
    assert spread["official_recovery"]["tau2"] == pytest.approx(0.0231)
    assert "lost_diagnosis" not in spread  # no service was interviewed
    assert [r["service_id"] for r in gap_rows(rows)] == ["C", "B", "A"]
