"""Intervals for proportions and means, pinned to statsmodels and R."""

import numpy as np
import pytest

from tincheck.stats.intervals import clopper_pearson_interval, mean_t_interval, wilson_interval


def test_wilson_18_of_20_matches_statsmodels_and_r():
    # statsmodels.stats.proportion.proportion_confint(18, 20, method="wilson");
    # R binom::binom.confint(18, 20, methods="wilson")
    low, high = wilson_interval(18, 20)
    assert low == pytest.approx(0.6989663547715128, abs=1e-12)
    assert high == pytest.approx(0.972133518786232, abs=1e-12)


def test_wilson_4_of_200_matches_statsmodels():
    # proportion_confint(4, 200, method="wilson")
    low, high = wilson_interval(4, 200)
    assert low == pytest.approx(0.00780442641634947, abs=1e-12)
    assert high == pytest.approx(0.05028708690582643, abs=1e-12)


def test_clopper_pearson_18_of_20_matches_statsmodels_and_r():
    # proportion_confint(18, 20, method="beta"); R binom.confint(18, 20, methods="exact")
    low, high = clopper_pearson_interval(18, 20)
    assert low == pytest.approx(0.6830172859809176, abs=1e-12)
    assert high == pytest.approx(0.9876514728297052, abs=1e-12)


def test_clopper_pearson_zero_successes_has_lower_bound_zero():
    # proportion_confint(0, 30, method="beta") = (0, 0.11570331); the upper bound is
    # 1 - (α/2)^(1/n) in closed form when k = 0.
    low, high = clopper_pearson_interval(0, 30)
    assert low == 0.0
    assert high == pytest.approx(0.11570331, abs=1e-8)
    assert high == pytest.approx(1 - 0.025 ** (1 / 30), abs=1e-12)


def test_clopper_pearson_all_successes_has_upper_bound_one():
    # mirror image of the k = 0 case: (0.025^(1/30), 1)
    low, high = clopper_pearson_interval(30, 30)
    assert high == 1.0
    assert low == pytest.approx(0.025 ** (1 / 30), abs=1e-12)


def test_clopper_pearson_is_vectorised_and_nan_for_no_trials():
    low, high = clopper_pearson_interval(np.array([0, 18, 30, 0]), np.array([30, 20, 30, 0]))
    assert low[:3] == pytest.approx([0.0, 0.6830172859809176, 0.025 ** (1 / 30)], abs=1e-12)
    assert high[:3] == pytest.approx([0.11570331, 0.9876514728297052, 1.0], abs=1e-8)
    assert np.isnan(low[3]) and np.isnan(high[3])


def test_clopper_pearson_is_wider_than_wilson():
    cp = clopper_pearson_interval(18, 20)
    wi = wilson_interval(18, 20)
    assert cp[0] < wi[0] and cp[1] > wi[1]


def test_clopper_pearson_rejects_successes_above_n_naming_the_position():
    with pytest.raises(ValueError, match=r"successes\[1\] = 5: expected a count between 0 and n"):
        clopper_pearson_interval([1, 5], [3, 4])


def test_clopper_pearson_rejects_a_confidence_outside_0_1():
    with pytest.raises(ValueError, match="confidence = 95"):
        clopper_pearson_interval(1, 3, confidence=95)


def test_mean_t_interval_matches_r_t_quantile():
    # R: 7 + c(-1, 1) * qt(0.975, 24) * 3 / 5, with qt(0.975, 24) = 2.063899 (t table)
    low, high = mean_t_interval(7.0, 3.0, 25)
    assert (low, high) == pytest.approx((7 - 2.063899 * 0.6, 7 + 2.063899 * 0.6), abs=1e-6)
