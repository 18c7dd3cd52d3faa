"""Sample size and power (tincheck.stats.power), pinned to published and peer values."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from tincheck.stats import power as pw
from tincheck.stats.intervals import wilson_interval


def test_docstring_examples_hold():
    result = doctest.testmod(pw, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0


# ------------------------------------------------------------------ Wilson precision

def test_wilson_half_width_is_half_the_wilson_interval():
    low, high = wilson_interval(20, 100)
    assert pw.wilson_half_width(0.2, 100) == pytest.approx((high - low) / 2, rel=1e-12)


def test_wilson_sample_size_by_hand():
    # p = 0.2, d = 0.05, z = 1.959964 (z² = 3.841459). By hand:
    #   n = 244: z·√(0.16/244 + z²/(4·244²)) / (1 + z²/244)
    #          = 1.959964 · √(0.000655738 + 0.0000161308) / 1.0157437
    #          = 1.959964 · 0.0259204 / 1.0157437 = 0.0500157 > 0.05
    #   n = 245: 1.959964 · √(0.000653061 + 0.0000159994) / 1.0156794
    #          = 1.959964 · 0.0258662 / 1.0156794 = 0.0499142 ≤ 0.05
    # so n = 245 (the Wald formula z²pq/d² gives 245.9 → 246).
    assert pw.wilson_half_width(0.2, 244) == pytest.approx(0.0500157, abs=1e-7)
    assert pw.wilson_half_width(0.2, 245) == pytest.approx(0.0499142, abs=1e-7)
    assert pw.wilson_sample_size(0.2, 0.05) == 245


@pytest.mark.parametrize("p, d", [(0.5, 0.05), (0.1, 0.03), (0.09, 0.1), (0.0, 0.02),
                                  (0.5, 0.2)])
def test_wilson_sample_size_is_the_smallest_n_meeting_the_width(p, d):
    n = pw.wilson_sample_size(p, d)
    assert pw.wilson_half_width(p, n) <= d
    assert n == 1 or pw.wilson_half_width(p, n - 1) > d


def test_wilson_sample_size_at_a_half_matches_the_closed_form():
    # At p = 1/2 the quadratic simplifies: n = z²(1 − 4d²)/(4d²) (Newcombe 1998), so
    # d = 0.05 → 3.841459 · 0.99 / 0.01 = 380.30 → 381.
    z2 = stats.norm.ppf(0.975) ** 2
    assert z2 * (1 - 4 * 0.05**2) / (4 * 0.05**2) == pytest.approx(380.30, abs=0.01)
    assert pw.wilson_sample_size(0.5, 0.05) == 381


# ------------------------------------------------------------------ McNemar (Connor 1987)

def test_mcnemar_connor_worked_example():
    # Connor RJ (1987) Biometrics 43:207-211, p. 209: discordant proportions
    # p10 = 0.05 and p01 = 0.45 (ψ = 0.5, δ = −0.4), α = 0.05, power 0.80: n = 22.01
    # two-sided and 17.09 one-sided, so 23 and 18 pairs. The same figures are the
    # validation cases of R's MESS::power_mcnemar_test (tests/testthat/
    # testpowermcnemar.R: power_mcnemar_test(paid=0.05, psi=45/5, power=.8)$n rounds
    # to 22, one.sided to 17) and of the HyLown calculator that cites Connor p. 209
    # ("ceiling(n) # 23").
    assert pw.mcnemar_sample_size_exact(0.05, 0.45) == pytest.approx(22.0113, abs=1e-4)
    assert pw.mcnemar_sample_size(0.05, 0.45) == 23
    assert pw.mcnemar_sample_size_exact(0.05, 0.45, alternative="one-sided") == \
        pytest.approx(17.0948, abs=1e-4)
    assert pw.mcnemar_sample_size(0.05, 0.45, alternative="one-sided") == 18


def test_mcnemar_power_at_the_sample_size_is_the_target():
    n = pw.mcnemar_sample_size_exact(0.15, 0.05, power=0.9)
    # the formula omits the far tail of the two-sided test (under 1e-6 here)
    assert pw.mcnemar_power(n, 0.15, 0.05) == pytest.approx(0.9, abs=1e-6)
    assert pw.mcnemar_power(n, 0.15, 0.05, alternative="one-sided") > 0.9


def test_mcnemar_is_symmetric_in_the_discordant_proportions():
    assert pw.mcnemar_sample_size(0.15, 0.05) == pw.mcnemar_sample_size(0.05, 0.15) == 155


@pytest.mark.parametrize("p10, p01, message", [(0.1, 0.1, "no difference"),
                                               (0.7, 0.5, "more than 1"),
                                               (-0.1, 0.2, "p10 = -0.1")])
def test_mcnemar_bad_inputs_are_named(p10, p01, message):
    with pytest.raises(ValueError, match=message):
        pw.mcnemar_sample_size(p10, p01)


# ------------------------------------------------------------------ exact binomial

def _power_by_binomtest(n, p0, p1, alpha=0.05, alternative="two-sided"):
    """The peer: scipy.stats.binomtest's p-value for every outcome k (its two-sided
    p-value is R binom.test's likelihood rule), summed under p1 where it rejects."""
    return sum(stats.binom.pmf(k, n, p1) for k in range(n + 1)
               if stats.binomtest(k, n, p0, alternative=alternative).pvalue <= alpha)


@pytest.mark.parametrize("n, p0, p1", [(100, 0.5, 0.35), (37, 0.2, 0.45), (200, 0.1, 0.05),
                                       (50, 0.3, 0.5), (12, 0.5, 0.9), (301, 0.521, 0.44)])
def test_binomial_power_agrees_with_scipy_binomtest(n, p0, p1):
    assert pw.binomial_power(n, p0, p1) == pytest.approx(_power_by_binomtest(n, p0, p1),
                                                         abs=1e-12)


@pytest.mark.parametrize("p1, tail", [(0.7, "greater"), (0.3, "less")])
def test_one_sided_binomial_power_agrees_with_scipy_binomtest(p1, tail):
    assert pw.binomial_power(60, 0.5, p1, alternative="one-sided") == pytest.approx(
        _power_by_binomtest(60, 0.5, p1, alternative=tail), abs=1e-12)


def test_binomial_sample_size_is_saw_toothed():
    # power at n = 88..92 for p0 = 0.5, p1 = 0.35 (two-sided): 0.797, 0.773, 0.812,
    # 0.790, 0.827 (scipy binomtest peer above): 90 is the first n reaching 0.8, and
    # 96 (0.799) is the last n below it, so power stays above 0.8 from 97 on
    assert [round(_power_by_binomtest(n, 0.5, 0.35), 3) for n in range(88, 93)] == \
        [0.797, 0.773, 0.812, 0.790, 0.827]
    assert pw.binomial_sample_size(0.5, 0.35) == 90
    assert round(_power_by_binomtest(96, 0.5, 0.35), 3) == 0.799
    assert pw.binomial_sample_size(0.5, 0.35, stable=True) == 97


# ------------------------------------------------------------------ two proportions

@pytest.mark.parametrize("p1, p2, ratio, alternative", [
    (0.5, 0.4, 1, "two-sided"), (0.3, 0.2, 2, "two-sided"), (0.1, 0.25, 1, "two-sided"),
    (0.52, 0.35, 0.5, "two-sided"), (0.6, 0.45, 1, "one-sided")])
def test_two_proportions_agree_with_statsmodels(p1, p2, ratio, alternative):
    # peer: statsmodels NormalIndPower().solve_power(proportion_effectsize(p1, p2),
    # power=0.8, alpha=0.05, ratio=ratio) (one-sided: alternative="larger", |h|)
    h = abs(proportion_effectsize(p1, p2))
    sm_alt = "two-sided" if alternative == "two-sided" else "larger"
    exact = NormalIndPower().solve_power(h, power=0.8, alpha=0.05, ratio=ratio,
                                         alternative=sm_alt)
    assert pw.two_proportions_sample_size(p1, p2, ratio=ratio, alternative=alternative) == \
        math.ceil(exact)
    assert pw.two_proportions_power(150, p1, p2, ratio=ratio, alternative=alternative) == \
        pytest.approx(NormalIndPower().power(h, nobs1=150, alpha=0.05, ratio=ratio,
                                             alternative=sm_alt), rel=1e-10)


def test_two_proportions_published_figure():
    # statsmodels NormalIndPower().solve_power(0.2013579, power=0.8, alpha=0.05) =
    # 387.17: 388 per group for 50% against 40%
    assert pw.cohens_h(0.5, 0.4) == pytest.approx(proportion_effectsize(0.5, 0.4))
    assert pw.two_proportions_sample_size(0.5, 0.4) == 388


# ------------------------------------------------------------------ inflation

def test_design_effect_and_inflation_by_hand():
    # deff = 1 + (10 − 1)·0.05 = 1.45; 155 · 1.45 / 0.7 = 321.07 → 322
    assert pw.design_effect(10, 0.05) == pytest.approx(1.45)
    assert pw.inflated_sample_size(155, completion=0.7, cluster_size=10, icc=0.05) == 322
    assert pw.inflated_sample_size(155) == 155
    assert pw.inflated_sample_size(100, completion=0.8) == 125


@pytest.mark.parametrize("call, message", [
    (lambda: pw.inflated_sample_size(100, completion=0), "completion = 0"),
    (lambda: pw.inflated_sample_size(100, completion=1.2), "completion = 1.2"),
    (lambda: pw.design_effect(0.5, 0.1), "cluster_size = 0.5"),
    (lambda: pw.design_effect(5, 1.0), "icc = 1.0"),
    (lambda: pw.wilson_sample_size(0.2, 0.7), "half_width = 0.7"),
    (lambda: pw.mcnemar_sample_size(0.2, 0.1, alternative="left"), "alternative = 'left'"),
    (lambda: pw.two_proportions_sample_size(0.4, 0.4), "no difference"),
    (lambda: pw.binomial_sample_size(0.5, 0.4, power=0.01), "power = 0.01"),
])
def test_bad_values_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_power_rises_with_n():
    n = np.arange(20, 400, 20)
    assert np.all(np.diff(pw.mcnemar_power(n, 0.15, 0.05)) > 0)
    assert np.all(np.diff(pw.two_proportions_power(n, 0.5, 0.4)) > 0)
