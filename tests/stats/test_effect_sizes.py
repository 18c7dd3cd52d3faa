"""Pre-post effect sizes: peer values (statpsych, scipy), hand cases, and coverage."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tincheck.stats.effect_sizes import (
    EffectSize,
    d_pooled_sd,
    d_pooled_sd_from_summary,
    d_pre_sd,
    d_pre_sd_from_summary,
    d_z,
    d_z_from_summary,
    hedges_j,
    small_sample_factor,
)

PRE = np.array([20, 15, 12, 18, 9], dtype=float)
POST = np.array([12, 9, 10, 8, 7], dtype=float)

# Bonett's R package statpsych, documented example of ci.stdmean.ps:
#   ci.stdmean.ps(.05, 110.4, 102.1, 15.3, 14.6, .75, 25)
#                                Estimate  adj Estimate        SE        LL        UL
#   Unweighted standardizer:    0.5550319     0.5433457 0.1609934 0.2394905 0.8705732
#   Measurement 1 standardizer: 0.5424837     0.5253526 0.1615500 0.2258515 0.8591158
STATPSYCH = dict(mean_pre=110.4, mean_post=102.1, sd_pre=15.3, sd_post=14.6, n=25, r=0.75)


# --- peers -------------------------------------------------------------------------

def test_d_pooled_sd_matches_statpsych_unweighted_standardizer():
    es = d_pooled_sd_from_summary(**STATPSYCH)
    assert es.estimate == pytest.approx(0.5550319, abs=5e-8)
    assert es.se == pytest.approx(0.1609934, abs=5e-8)
    assert (es.ci_low, es.ci_high) == pytest.approx((0.2394905, 0.8705732), abs=5e-8)


def test_d_pre_sd_bonett_variance_matches_statpsych_measurement_1_standardizer():
    args = {k: v for k, v in STATPSYCH.items()}
    es = d_pre_sd_from_summary(**args, variance="bonett")
    assert es.estimate == pytest.approx(0.5424837, abs=5e-8)
    assert es.se == pytest.approx(0.1615500, abs=5e-8)
    assert (es.ci_low, es.ci_high) == pytest.approx((0.2258515, 0.8591158), abs=5e-8)
    assert es.method == "d_pre_sd_bonett"


def test_d_pre_sd_corrected_estimate_uses_the_exact_factor_as_metafor():
    # metafor 3.8-1: escalc("SMCR", m1i=110.4, m2i=102.1, sd1i=15.3, ni=25, ri=.75)
    # -> yi 0.5253223161840546, vi 0.0255192707176196 (the exact factor c(24)).
    args = {k: v for k, v in STATPSYCH.items() if k != "sd_post"}
    es = d_pre_sd_from_summary(**args, small_sample_correction=True)
    assert es.estimate == pytest.approx(0.5253223161840546, rel=1e-12)
    assert es.variance == pytest.approx(0.0255192707176196, rel=1e-12)
    assert es.method == "d_pre_sd_corrected"
    # statpsych's "adj Estimate" 0.5253526 uses the approximation 1 - 3/(4 df - 1);
    # the two differ by the factor's approximation error (5.8e-5 relative at df = 24).
    assert 0.5424837 * (1 - 3 / (4 * 24 - 1)) == pytest.approx(0.5253526, abs=5e-8)
    assert es.estimate / 0.5253526 == pytest.approx(0.968365233 / 0.968421053, rel=1e-7)


def test_bonett_variance_with_the_correction_is_metafor_smcrh():
    # metafor 3.8-1: escalc("SMCRH", m1i=110.4, m2i=102.1, sd1i=15.3, sd2i=14.6, ni=25,
    # ri=.75) -> yi 0.5253223161840546, vi 0.0241152886402982: the variance evaluated at
    # the corrected estimate and multiplied by J^2.
    es = d_pre_sd_from_summary(**STATPSYCH, variance="bonett", small_sample_correction=True)
    assert es.estimate == pytest.approx(0.5253223161840546, rel=1e-12)
    assert es.variance == pytest.approx(0.0241152886402982, rel=1e-12)


def test_d_pre_sd_becker_variance_differs_from_statpsych_for_a_known_reason():
    # Becker (1988) uses n and assumes SD_pre = SD_post; statpsych (Bonett 2008) uses
    # n - 1 and the post SD, so its SE is 0.1615500. Ours, by hand:
    # sqrt(2 (1 - .75) / 25 + 0.5424837^2 / 50) = sqrt(0.0258858) = 0.160891
    args = {k: v for k, v in STATPSYCH.items() if k != "sd_post"}
    es = d_pre_sd_from_summary(**args)
    assert es.se == pytest.approx(np.sqrt(0.5 / 25 + 0.5424837**2 / 50), abs=1e-7)
    assert es.se == pytest.approx(0.160891, abs=1e-6)
    assert es.se < 0.1615500


def test_d_z_times_root_n_is_the_paired_t_statistic():
    # scipy.stats.ttest_rel(PRE, POST).statistic = 3.5 (by hand: 5.6 / (sqrt(12.8) / sqrt(5)))
    es = d_z(PRE, POST)
    t = stats.ttest_rel(PRE, POST).statistic
    assert t == pytest.approx(3.5)
    assert es.estimate * np.sqrt(5) == pytest.approx(t)


def test_hedges_j_is_the_exact_gamma_function_factor():
    # metafor 3.8-1: metafor:::.cmicalc(c(2, 4, 24))
    # -> 0.56418958354775628 0.79788456080286529 0.96836523344771708
    assert hedges_j(np.array([3, 5, 25])).tolist() == pytest.approx(
        [0.56418958354775628, 0.79788456080286529, 0.96836523344771708], rel=1e-14)
    # by hand: c(2) = Γ(1)/(1·Γ(1/2)) = 1/√π; c(4) = Γ(2)/(√2·Γ(3/2)) = 2/√(2π)
    assert hedges_j(3) == pytest.approx(1 / np.sqrt(np.pi), rel=1e-14)
    assert hedges_j(5) == pytest.approx(2 / np.sqrt(2 * np.pi), rel=1e-14)
    # the approximation 1 - 3/(4ν - 1) it replaces is 1.3% too large at n = 3
    assert (1 - 3 / 7) / hedges_j(3) - 1 == pytest.approx(0.0128, abs=1e-4)
    assert np.isnan(hedges_j(2))
    assert small_sample_factor(24) == hedges_j(25)


# --- hand-computed cases -----------------------------------------------------------

def test_d_z_hand_case_has_exact_variance():
    # change = 8, 6, 2, 10, 2: mean 5.6, variance 12.8, d_z^2 = 31.36 / 12.8 = 2.45
    # var = 1/5 + 2.45/10 = 0.445
    es = d_z(PRE, POST)
    assert es.estimate == pytest.approx(np.sqrt(2.45))
    assert es.variance == pytest.approx(0.445)
    assert es.n == 5 and es.method == "d_z"


def test_d_pre_sd_hand_case():
    # means 14.8 and 9.2; SD_pre = sqrt(78.8 / 4); r from the data
    es = d_pre_sd(PRE, POST)
    d = 5.6 / np.sqrt(19.7)
    r = np.corrcoef(PRE, POST)[0, 1]
    assert es.estimate == pytest.approx(d)
    assert es.variance == pytest.approx(2 * (1 - r) / 5 + d**2 / 10)
    z = stats.norm.ppf(0.975)
    assert es.ci_low == pytest.approx(d - z * np.sqrt(es.variance))


def test_d_pooled_sd_hand_case():
    # SD_post^2 = 14.8 / 4 = 3.7; s = sqrt((19.7 + 3.7) / 2) = sqrt(11.7)
    es = d_pooled_sd(PRE, POST)
    assert es.estimate == pytest.approx(5.6 / np.sqrt(11.7))


def test_raw_and_summary_versions_agree():
    rng = np.random.default_rng(3)
    pre = rng.normal(18, 4, 60)
    post = pre * 0.5 + rng.normal(4, 4, 60)
    s1, s2 = pre.std(ddof=1), post.std(ddof=1)
    r = np.corrcoef(pre, post)[0, 1]
    change = pre - post
    pairs = [
        (d_pre_sd(pre, post), d_pre_sd_from_summary(pre.mean(), post.mean(), s1, 60, r)),
        (d_pooled_sd(pre, post),
         d_pooled_sd_from_summary(pre.mean(), post.mean(), s1, s2, 60, r)),
        (d_z(pre, post), d_z_from_summary(change.mean(), change.std(ddof=1), 60)),
    ]
    for raw, summary in pairs:
        assert raw.estimate == pytest.approx(summary.estimate)
        assert raw.variance == pytest.approx(summary.variance)


def test_correction_shrinks_the_estimate_by_j():
    plain = d_z(PRE, POST)
    corrected = d_z(PRE, POST, small_sample_correction=True)
    # n = 5: exact J(4) = 2/√(2π) (the old approximation 1 - 3/15 = 0.8 was 0.3% high)
    assert corrected.estimate == pytest.approx(plain.estimate * 2 / np.sqrt(2 * np.pi))
    assert corrected.method == "d_z_corrected"


def test_confidence_level_changes_the_interval():
    es90 = d_z(PRE, POST, confidence=0.90)
    assert es90.ci_high - es90.ci_low == pytest.approx(2 * stats.norm.ppf(0.95) * es90.se)


# --- arrays, missing values, bad input ----------------------------------------------

def test_summary_versions_are_vectorised_over_providers():
    es = d_pre_sd_from_summary(np.array([18.2, 17.0, 16.0]), np.array([11.1, 12.0, 16.0]),
                               np.array([4.6, 5.0, 0.0]), np.array([120, 1, 30]),
                               np.array([0.42, 0.5, 0.3]))
    assert es.estimate.shape == (3,)
    assert es.estimate[0] == pytest.approx(7.1 / 4.6)
    assert np.isnan(es.estimate[1]) and np.isnan(es.estimate[2])  # n < 2, SD 0
    assert es.n.tolist() == [120, 1, 30]
    assert es.to_dict()["n"] == [120, 1, 30]


def test_scalars_and_arrays_broadcast():
    es = d_z_from_summary(np.array([2.0, 4.0]), 4.0, 100)
    assert es.estimate.tolist() == [0.5, 1.0]


def test_missing_n_gives_missing_results_not_an_error():
    es = d_z_from_summary(np.array([2.0, 2.0]), 4.0, np.array([100, np.nan]))
    assert es.estimate[0] == 0.5 and np.isnan(es.estimate[1]) and np.isnan(es.n[1])


def test_missing_r_gives_missing_variance_not_an_error():
    es = d_pre_sd_from_summary(18.2, 11.1, 4.6, 120, np.nan)
    assert es.estimate == pytest.approx(7.1 / 4.6)
    assert np.isnan(es.variance) and np.isnan(es.ci_low)


def test_missing_score_raises_by_default_naming_position_and_label():
    pre = pd.Series([20, 15, np.nan, 18], index=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"pre\[2\] \(index label 'c'\) is missing; 1 of 4 "
                                         r"pairs .* nan_policy='omit'"):
        d_pre_sd(pre, [12, 9, 10, 8])


def test_omit_uses_complete_pairs_only():
    pre = np.append(PRE, [np.nan, 11.0])
    post = np.append(POST, [5.0, np.nan])
    es = d_z(pre, post, nan_policy="omit")
    assert es.n == 5
    assert es.variance == pytest.approx(0.445)


def test_unknown_nan_policy_is_rejected():
    with pytest.raises(ValueError, match="nan_policy = 'drop'"):
        d_z(PRE, POST, nan_policy="drop")


def test_negative_sd_is_rejected_naming_position_and_value():
    with pytest.raises(ValueError, match=r"sd_pre\[1\] = -2: expected a standard deviation"):
        d_pre_sd_from_summary([10, 10], [8, 8], [3, -2], [50, 50], [0.5, 0.5])


def test_correlation_above_one_is_rejected():
    with pytest.raises(ValueError, match=r"r = 1.2: expected a correlation between -1 and 1"):
        d_pooled_sd_from_summary(10, 8, 3, 3, 50, 1.2)


def test_fractional_n_is_rejected():
    with pytest.raises(ValueError, match=r"n = 10.5: expected a whole number"):
        d_z_from_summary(1, 2, 10.5)


def test_bonett_variance_needs_sd_post():
    with pytest.raises(ValueError, match="needs sd_post"):
        d_pre_sd_from_summary(10, 8, 3, 50, 0.5, variance="bonett")


def test_unequal_lengths_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        d_z([1, 2, 3], [1, 2])


def test_effect_size_is_frozen():
    es = d_z(PRE, POST)
    assert isinstance(es, EffectSize)
    with pytest.raises(AttributeError):
        es.estimate = 0


# --- coverage of the 95% CI (seeded simulation, vectorised) ---------------------------

def _simulate(r, n, delta, sd_post, reps=2000, seed=20240611):
    """reps samples of n bivariate-normal (pre, post) pairs, summarised per sample."""
    rng = np.random.default_rng(seed)
    cov = [[1.0, r * sd_post], [r * sd_post, sd_post**2]]
    x = rng.multivariate_normal([delta, 0.0], cov, size=(reps, n))
    pre, post = x[..., 0], x[..., 1]
    m1, m2 = pre.mean(axis=1), post.mean(axis=1)
    s1, s2 = pre.std(axis=1, ddof=1), post.std(axis=1, ddof=1)
    rr = ((pre - m1[:, None]) * (post - m2[:, None])).sum(axis=1) / ((n - 1) * s1 * s2)
    change = pre - post
    return dict(m1=m1, m2=m2, s1=s1, s2=s2, r=rr, mc=change.mean(axis=1),
                sc=change.std(axis=1, ddof=1))


def _coverage(es, true_value):
    return np.mean((es.ci_low < true_value) & (true_value < es.ci_high))


@pytest.mark.parametrize("r", [0.3, 0.7])
@pytest.mark.parametrize("correction", [False, True])
def test_ci_coverage_is_nominal_under_equal_variances(r, correction):
    n, delta = 40, 0.8
    s = _simulate(r, n, delta, sd_post=1.0)
    kw = dict(small_sample_correction=correction)
    pre_sd = d_pre_sd_from_summary(s["m1"], s["m2"], s["s1"], n, s["r"], **kw)
    pooled = d_pooled_sd_from_summary(s["m1"], s["m2"], s["s1"], s["s2"], n, s["r"], **kw)
    dz = d_z_from_summary(s["mc"], s["sc"], n, **kw)
    assert 0.93 <= _coverage(pre_sd, delta) <= 0.97
    assert 0.93 <= _coverage(pooled, delta) <= 0.97
    assert 0.93 <= _coverage(dz, delta / np.sqrt(2 * (1 - r))) <= 0.97


@pytest.mark.parametrize("r", [0.3, 0.7])
def test_becker_undercovers_when_post_sd_is_larger_and_bonett_does_not(r):
    # Becker's variance assumes SD_pre = SD_post. With SD_post = 1.3 SD_pre (common
    # after treatment, as responses spread) its 95% CI covers about 91%; Bonett's
    # variance and the pooled-SD d stay nominal.
    n, delta, sd_post = 40, 0.8, 1.3
    s = _simulate(r, n, delta, sd_post=sd_post)
    becker = d_pre_sd_from_summary(s["m1"], s["m2"], s["s1"], n, s["r"])
    bonett = d_pre_sd_from_summary(s["m1"], s["m2"], s["s1"], n, s["r"], variance="bonett",
                                   sd_post=s["s2"])
    pooled = d_pooled_sd_from_summary(s["m1"], s["m2"], s["s1"], s["s2"], n, s["r"])
    assert _coverage(becker, delta) < 0.93
    assert 0.93 <= _coverage(bonett, delta) <= 0.97
    assert 0.93 <= _coverage(pooled, delta / np.sqrt((1 + sd_post**2) / 2)) <= 0.97


def test_missing_score_in_a_plain_list_is_named_by_position():
    with pytest.raises(ValueError, match=r"^pre\[1\] is missing; 1 of 3 pairs"):
        d_z([1.0, np.nan, 3.0], [1.0, 2.0, 2.0])
