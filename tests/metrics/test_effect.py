"""effect.* and effect.benchmarks: pre-post effect sizes, completer and ITT sets."""

from __future__ import annotations

import numpy as np
import pytest

from tincheck.stats.effect_sizes import d_pooled_sd, d_pre_sd, d_z

PAIRS = [(18, 6), (15, 9), (20, 14), (12, 10), (16, 5), (22, 12)]


def test_completer_effect_sizes_equal_the_statistic_on_the_raw_pairs(cohort):
    for first, last in PAIRS:
        cohort.referral().treatments(2).phq9(first, 11, last).gad7(9, 5)
    cohort.referral().treatments(1).phq9(25, 2)          # not finished: not a completer
    a = cohort.audit()
    pre = np.array([p for p, _ in PAIRS], float)
    post = np.array([q for _, q in PAIRS], float)
    for name, fn in (("d_pre_sd", d_pre_sd), ("d_pooled_sd", d_pooled_sd), ("d_z", d_z)):
        expected = fn(pre, post)
        result = a.metrics[f"effect.phq9_{name}"]
        assert result.n == 6
        assert result.value == pytest.approx(expected.estimate, rel=1e-9)
        assert result.ci_low == pytest.approx(expected.ci_low, rel=1e-9)
        assert result.ci_high == pytest.approx(expected.ci_high, rel=1e-9)


def test_itt_set_takes_the_first_score_as_last_when_there_is_no_other(cohort):
    for first, last in PAIRS:
        cohort.referral().treatments(2).phq9(first, last)
    cohort.referral().assessment(0).phq9(20)              # single score: change 0
    a = cohort.audit()
    pre = np.array([p for p, _ in PAIRS] + [20], float)
    post = np.array([q for _, q in PAIRS] + [20], float)
    result = a.metrics["effect.phq9_d_pre_sd_itt"]
    assert result.n == 7
    assert result.value == pytest.approx(d_pre_sd(pre, post).estimate, rel=1e-9)
    assert a.metrics["effect.phq9_d_pre_sd"].n == 6


def test_too_few_pairs_give_no_effect_size_and_say_why(cohort):
    cohort.referral().treatments(2).phq9(18, 6)
    result = cohort.audit().metrics["effect.phq9_d_pre_sd"]
    assert result.value is None and "fewer than three" in result.note


def test_each_effect_size_is_set_against_the_benchmarks_of_its_measure(cohort):
    for first, last in PAIRS:
        cohort.referral().treatments(2).phq9(first, last).gad7(first - 5, last - 3)
    rows = cohort.audit().tables["effect.benchmarks"]
    phq = {r["benchmark"] for r in rows if r["metric"] == "effect.phq9_d_pre_sd"}
    assert phq == {"wakefield2021_depression", "gaskell2023_depression", "stiles2008_core",
                   "stiles2006_core", "delgadillo_phq9_high", "delgadillo_phq9_average",
                   "delgadillo_phq9_poor", "rutherford2012_waitlist"}
    gad = {r["benchmark"] for r in rows if r["metric"] == "effect.gad7_d_pre_sd"}
    assert "wakefield2021_anxiety" in gad and "rutherford2012_waitlist" not in gad
    waitlist = next(r for r in rows if r["metric"] == "effect.phq9_d_pre_sd"
                    and r["benchmark"] == "rutherford2012_waitlist")
    assert waitlist["difference"] == pytest.approx(waitlist["d"] - 0.505)
    assert waitlist["excludes"] == (waitlist["ci_low"] > 0.505 or waitlist["ci_high"] < 0.505)


def test_multiple_imputation_with_nothing_missing_is_the_observed_proportion(cohort):
    for _ in range(3):
        cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)       # recovered
    for _ in range(2):
        cohort.referral().treatments(2).phq9(15, 12).gad7(10, 9)      # not
    result = cohort.audit().metrics["sensitivity.multiple_imputation"]
    assert result.value == pytest.approx(3 / 5)
    assert result.extra["missing_last_scores"] == 0 and result.extra["seed"] == 20260101


def test_multiple_imputation_fills_in_people_who_left(cohort):
    for _ in range(6):
        cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)       # recovered
    for _ in range(4):
        cohort.referral().treatments(2).phq9(15, 12).gad7(10, 9)      # not
    for _ in range(5):
        cohort.referral().assessment(0).phq9(15).gad7(10)             # left: unknown
    a = cohort.audit(imputation_seed=7)
    mi = a.metrics["sensitivity.multiple_imputation"]
    assert mi.extra["seed"] == 7 and mi.extra["missing_last_scores"] == 10
    # imputed outcomes come from observed donors: between "all left unrecovered" (6/15)
    # and "all left recovered" (11/15)
    assert 6 / 15 <= mi.value <= 11 / 15
    assert a.metrics["sensitivity.missing_as_not_recovered"].value == pytest.approx(6 / 15)
