"""Funnel-plot limits and overdispersion (Spiegelhalter 2005)."""

import numpy as np
import pytest
from scipy import stats

from tincheck.stats.control_limits import (additive_tau2, binomial_funnel_limits,
                                   funnel_z_scores, normal_funnel_limits,
                                   overdispersion_factor, overdispersion_p_value,
                                   winsorise)


def test_exact_limits_interpolate_between_binomial_quantiles():
    # Spiegelhalter (2005) Appendix A.1.1 by hand with R's binomial functions:
    # qbinom(0.025, 100, 0.5) = 40; pbinom(40, 100, 0.5) = 0.02844397,
    # pbinom(39, 100, 0.5) = 0.01760010 -> alpha = 0.31483, limit = 0.396852
    low, high = binomial_funnel_limits(0.5, 100, 0.95)
    alpha = (0.02844397 - 0.025) / (0.02844397 - 0.01760010)
    assert low == pytest.approx((40 - alpha) / 100, abs=1e-6)
    # qbinom(0.975, 100, 0.5) = 60; pbinom(60) = 0.9823999, pbinom(59) = 0.9715560
    alpha = (0.9823999 - 0.975) / (0.9823999 - 0.9715560)
    assert high == pytest.approx((60 - alpha) / 100, abs=1e-6)


def test_exact_limits_are_close_to_normal_limits_for_large_n():
    low, high = binomial_funnel_limits(0.5, 100000, 0.998)
    n_low, n_high = normal_funnel_limits(0.5, 100000, 0.998)
    assert low == pytest.approx(n_low, abs=2e-5)
    assert high == pytest.approx(n_high, abs=2e-5)


def test_exact_limits_contain_the_stated_probability():
    # At the limits' integer counts the binomial tail is at most the nominal 0.001.
    n, theta = np.array([50, 200, 1000]), 0.3
    low, high = binomial_funnel_limits(theta, n, 0.998)
    assert np.all(stats.binom.cdf(np.floor(low * n) - 1, n, theta) <= 0.001)
    assert np.all(stats.binom.sf(np.ceil(high * n), n, theta) <= 0.001)


def test_invalid_denominators_give_nan_limits():
    low, high = binomial_funnel_limits(0.5, np.array([0.0, np.nan, 10.0]))
    assert np.isnan(low[:2]).all() and not np.isnan(low[2])


def test_normal_limits_with_tau2_widen_by_the_between_provider_variance():
    # 0.5 ± 1.959964 * sqrt(0.25/100 + 0.01) = 0.5 ± 0.219131
    low, high = normal_funnel_limits(0.5, 100, 0.95, tau2=0.01)
    assert high - 0.5 == pytest.approx(1.959964 * np.sqrt(0.0025 + 0.01), abs=1e-6)
    assert 0.5 - low == pytest.approx(high - 0.5)


def test_coverage_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="coverage"):
        normal_funnel_limits(0.5, 100, 95)


def test_z_scores_use_the_target_variance():
    assert funnel_z_scores(0.6, 100, 0.5) == pytest.approx(2.0)


def test_winsorising_clips_to_the_10th_and_90th_percentiles():
    # quantile(1:10, c(.1, .9)) in R (type 7) = 1.9, 9.1
    z = np.arange(1.0, 11.0)
    assert winsorise(z, 0.1)[[0, 9]].tolist() == pytest.approx([1.9, 9.1])
    with pytest.raises(ValueError, match="NaN"):
        winsorise([1.0, np.nan])


def test_overdispersion_and_additive_tau2_by_hand():
    # z = -2..2, no winsorising: phi = (4+1+0+1+4)/5 = 2; I*phi - (I-1) = 6;
    # w = 100/0.25 = 400 each: sum w - sum w^2/sum w = 2000 - 400 = 1600; tau2 = 6/1600
    z = [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert overdispersion_factor(z, 0.0) == pytest.approx(2.0)
    assert additive_tau2(z, [100] * 5, 0.5, 0.0) == pytest.approx(6 / 1600)
    # pchisq(10, 4, lower.tail = FALSE) = 0.04042768
    assert overdispersion_p_value(z, 0.0) == pytest.approx(0.04042768, abs=1e-7)


def test_tau2_is_zero_without_overdispersion():
    assert additive_tau2([-0.5, 0.0, 0.5], [100, 100, 100], 0.5, 0.0) == 0.0


def test_funnel_compares_institutions_with_the_pooled_rate_by_hand():
    # 30/100, 50/100, 70/100: target 150/300 = 0.5; z = -4, 0, 4; winsorised at the
    # 10%/90% quantiles (type 7: -3.2, 3.2): phi = 2 * 3.2^2 / 3 = 6.8267;
    # tau2 = (3 * phi - 2) / (1200 - 400) = 18.48 / 800 = 0.0231
    from tincheck.stats.control_limits import funnel
    f = funnel([30, 50, 70], [100, 100, 100])
    assert f.target == 0.5
    assert f.units["z"].tolist() == pytest.approx([-4.0, 0.0, 4.0])
    assert f.phi == pytest.approx(20.48 / 3)
    assert f.tau2 == pytest.approx(0.0231)
    # exact 99.8% limits at n = 100 are about 0.35-0.65: 30% and 70% lie outside
    assert f.units["outside_exact_998"].tolist() == [True, False, True]
    # widened: 0.5 ± 3.0902 * sqrt(0.0025 + 0.0231) = 0.5 ± 0.4944: nobody outside
    assert f.units["re_998_high"].iloc[0] == pytest.approx(
        0.5 + stats.norm.ppf(0.999) * np.sqrt(0.0025 + 0.0231))
    assert not f.units["outside_re_998"].any()
    # the curve holds the same limits on a grid of denominators
    assert f.curve["n"].is_monotonic_increasing and len(f.curve) > 10


def test_funnel_with_two_institutions_has_no_overdispersion_estimate():
    from tincheck.stats.control_limits import funnel
    f = funnel([10, 30], [100, 100])
    assert f.target == 0.2 and f.tau2 == 0.0 and np.isnan(f.phi)
    with pytest.raises(ValueError, match="n > 0"):
        funnel([1, 2], [0, 10])
