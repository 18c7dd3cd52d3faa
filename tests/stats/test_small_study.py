"""Egger, Begg and trim-and-fill against metafor values and hand calculation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from pytest import approx

from tincheck.stats.meta import begg_test, egger_test, meta_analysis, trim_and_fill

# A lopsided funnel: the smaller the study (larger v), the larger the effect.
Y = np.array([0.9, 0.7, 0.5, 0.45, 0.3])
V = np.array([0.2, 0.1, 0.05, 0.03, 0.01])


def test_egger_mixed_effects_version_matches_metafor(egger2001):
    # metafor tests/testthat/test_misc_pub_bias.r: regtest(rma(measure="OR", ...))
    # -> zval -4.6686 (REML meta-regression on sei, z test)
    res = egger_test(*egger2001, model="rma")
    assert res.statistic == approx(-4.6686, abs=5e-5)
    assert res.k == 16 and np.isnan(res.df)


def test_classical_egger_is_the_regression_of_the_normal_deviate_on_precision(egger2001):
    # Egger et al. (1997): OLS of y/se on 1/se; the intercept measures asymmetry.
    # Peer: statsmodels OLS(y/se, [1, 1/se]).
    yi, vi = egger2001
    se = np.sqrt(vi)
    ols = sm.OLS(yi / se, sm.add_constant(1 / se)).fit()
    res = egger_test(yi, vi)
    assert res.bias == approx(ols.params[0], rel=1e-10)
    assert res.bias_se == approx(ols.bse[0], rel=1e-10)
    assert res.statistic == approx(ols.tvalues[0], rel=1e-10)
    assert res.pvalue == approx(ols.pvalues[0], rel=1e-8)
    assert res.df == 14
    assert res.limit_estimate == approx(ols.params[1], rel=1e-10)


def test_begg_matches_metafor_ranktest(egger2001):
    # metafor tests/testthat/test_misc_pub_bias.r: ranktest(res): tau 0.15, p 0.4503
    res = begg_test(*egger2001)
    assert res.tau == approx(0.15, abs=1e-12)
    assert res.pvalue == approx(0.4503, abs=5e-5)
    assert res.exact


def test_begg_by_hand():
    # Deviates (y - θ)/√(v - v_θ) rise with v for the lopsided funnel: all 10 pairs
    # concordant, τ = 1; exact p = 2 · 1/5! = 1/60.
    res = begg_test(Y, V)
    assert res.tau == approx(1.0)
    assert res.pvalue == approx(1 / 60)


def test_begg_with_tied_variances_uses_the_normal_approximation():
    # v has a tie: τ_b with S = Σ sign(Δx)·sign(Δv) = 5 of 6 pairs (one tie);
    # Var(S) = [n(n-1)(2n+5) - Σt(t-1)(2t+5)]/18 = (4·3·13 - 2·1·9)/18 = 138/18;
    # z = 5/√(138/18); τ_b = 5/√(6·5) (Kendall 1945).
    y = np.array([0.1, 0.2, 0.5, 0.9])
    v = np.array([0.01, 0.02, 0.02, 0.05])
    res = begg_test(y, v)
    assert not res.exact
    deviates = (y - np.average(y, weights=1 / v)) / np.sqrt(v - 1 / np.sum(1 / v))
    assert np.all(np.diff(deviates) > 0)  # so every untied pair is concordant
    assert res.tau == approx(5 / np.sqrt(30))
    assert res.pvalue == approx(2 * 0.5 * math.erfc(5 / np.sqrt(138 / 18) / np.sqrt(2)))


def test_trim_and_fill_by_hand():
    # FE, side chosen by the slope on SE (positive: missing on the left). Sorted
    # y = .3 .45 .5 .7 .9 (v = .01 .03 .05 .1 .2).
    # iteration 1, k0 = 0: μ = 66.5/168.33 = .39505; signed ranks of y - μ: -2 +1 +3 +4 +5
    #   S_r = 13, L0 = (4·13 - 30)/9 = 2.44 -> 2
    # iteration 2, k0 = 2: μ = 55/153.33 = .35870; ranks -1 +2 +3 +4 +5, S_r = 14 -> 2.89 -> 3
    # iteration 3, k0 = 3: μ = 45/133.33 = .3375; same ranks -> 3: converged.
    # fill: mirror .5 .7 .9 around .3375 -> .175 -.025 -.225 with v .05 .1 .2;
    # adjusted FE estimate = (66.5 + 3.5 - .25 - 1.125)/203.33 = .3375.
    res = trim_and_fill(Y, V, method="FE")
    assert (res.k0, res.side, res.iterations) == (3, "left", 3)
    assert res.filled_yi.tolist() == approx([0.175, -0.025, -0.225])
    assert res.filled_vi.tolist() == approx([0.05, 0.1, 0.2])
    assert res.adjusted.estimate == approx(0.3375)
    assert res.adjusted.k == 8 and res.adjusted.labels[-1] == "Filled 3"
    assert res.original.estimate == approx(66.5 / (100 + 100 / 3 + 20 + 10 + 5))
    # SE(k0) from the last iteration's unrounded L0 = 26/9 (metafor's formula)
    k, k0 = 5, 26 / 9
    var_s = (k * (k + 1) * (2 * k + 1) + 10 * k0**3 + 27 * k0**2 + 17 * k0
             - 18 * k * k0**2 - 18 * k * k0 + 6 * k**2 * k0) / 24
    assert res.se_k0 == approx(4 * np.sqrt(var_s) / (2 * k - 1))


def test_trim_and_fill_r0_by_hand():
    # R0 = (rightmost run of positive ranks) - 1: iteration 1: 5 - 2 - 1 = 2;
    # iteration 2: 5 - 1 - 1 = 3; iteration 3: 3.
    res = trim_and_fill(Y, V, method="FE", estimator="R0")
    assert res.k0 == 3 and res.se_k0 == approx(np.sqrt(2 * 3 + 2))


def test_trim_and_fill_mirrors_to_the_right():
    res = trim_and_fill(-Y, V, method="FE")
    assert (res.k0, res.side) == (3, "right")
    assert res.filled_yi.tolist() == approx([-0.175, 0.025, 0.225])
    assert res.adjusted.estimate == approx(-0.3375)


def test_symmetric_funnel_needs_no_filling():
    y = np.array([-0.2, -0.1, 0.0, 0.1, 0.2])
    v = np.array([0.2, 0.05, 0.01, 0.05, 0.2])
    res = trim_and_fill(y, v)
    assert res.k0 == 0 and res.adjusted is res.original
    assert res.filled_yi.size == 0


def test_trim_and_fill_uses_the_model_method(bcg):
    yi, vi, _ = bcg
    res = trim_and_fill(yi, vi, method="DL")
    assert res.original.estimate == approx(meta_analysis(yi, vi, method="DL").estimate)
    assert res.adjusted.method == "DL" and res.adjusted.k == 13 + res.k0


@pytest.mark.parametrize("function", [egger_test, begg_test, trim_and_fill])
def test_small_study_methods_need_three_studies(function):
    with pytest.raises(ValueError, match="at least 3 studies"):
        function([0.1, 0.2], [0.01, 0.02])


def test_funnel_methods_need_different_precisions():
    y, v = [0.1, 0.2, 0.3], [0.01, 0.01, 0.01]
    with pytest.raises(ValueError, match="different precision"):
        egger_test(y, v)
    with pytest.raises(ValueError, match="different precision"):
        begg_test(y, v)
    with pytest.raises(ValueError, match="cannot choose a side"):
        trim_and_fill(y, v)
    # with the side given, trim-and-fill runs: y - μ = -.1, 0, .1 -> ranks -2, (0), +3;
    # S_r = 3, L0 = (12 - 12)/5 = 0
    assert trim_and_fill(y, v, side="left").k0 == 0
