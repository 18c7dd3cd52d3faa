"""The characteristics both representativeness tables compare (metrics/balance.py)."""

from __future__ import annotations

import pytest

from tincheck.metrics import balance
from tincheck.metrics.diagnostic import REPRESENTATIVENESS
from tincheck.stats.balance import standardised_mean_difference, summary

PRESENT = "present"


def test_the_audit_compares_every_characteristic_the_study_does():
    names = [c.name for c in balance.CHARACTERISTICS]
    assert list(REPRESENTATIVENESS[:len(names)]) == names
    assert {"age", "female", "imd_decile", "step_high", "first_phq9", "first_gad7",
            "ethnicity_white", "problem_depression", "problem_other"} <= set(names)


def test_shares_by_problem_group_and_first_step(cohort):
    # interviewed: 3 x F41.1 (GAD) starting at high intensity; not interviewed: 3 x
    # F32.1 starting low. Shares: interviewed 1 (var 0), all 0.5 (var of 1,1,1,0,0,0 =
    # 1.5/5 = 0.3): SMD = 0.5 / sqrt(0.15) = 1.2910
    for _ in range(3):
        cohort.referral(problem="F41.1").assessment(0).treatments(
            2, intensity="high").interview("baseline", 1, {"gad": PRESENT})
    for _ in range(3):
        cohort.referral(problem="F32.1").assessment(0).treatment(
            intensity="low").treatment(intensity="high")
    rows = {r["variable"]: r for r in cohort.audit().tables["diagnostic.representativeness"]}
    for name in ("problem_gad", "step_high"):
        assert rows[name]["interviewed_mean"] == 1.0 and rows[name]["all_mean"] == 0.5
        assert rows[name]["smd"] == pytest.approx(0.5 / 0.15 ** 0.5)
    assert rows["problem_depression"]["smd"] == pytest.approx(-0.5 / 0.15 ** 0.5)
    assert rows["problem_panic"]["smd"] == 0.0  # no one: equal means, no variance
    assert rows["ethnicity_white"]["all_n"] == 0  # no ethnicity recorded: not known


def test_smd_from_summaries_by_hand():
    # ages 60, 60, 60 in the sample; 60, 60, 60, 20, 20, 20 in the population:
    # means 60 and 40, variances 0 and 480 (sample variance, n - 1): 20 / sqrt(240)
    n, mean, var = summary([20, 20, 20, 60, 60, 60])
    assert (n, mean, var) == (6, 40.0, 480.0)
    assert standardised_mean_difference(60.0, 0.0, mean, var) == pytest.approx(1.290994)
    assert standardised_mean_difference(None, 0.0, mean, var) is None
    assert standardised_mean_difference(5.0, 0.0, 5.0, 0.0) == 0.0
    assert standardised_mean_difference(5.0, 0.0, 4.0, 0.0) is None
