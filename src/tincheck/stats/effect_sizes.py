"""Pre-post (within-person) standardised mean differences, with variances and CIs.

Three standardisers, each from raw paired scores and from summary statistics:

- ``d_pre_sd``: (mean_pre − mean_post) / SD_pre, the NHS annual-report definition;
- ``d_pooled_sd``: (mean_pre − mean_post) / √((SD_pre² + SD_post²)/2);
- ``d_z``: mean change / SD of change.

Sign: pre − post, so a positive d is an improvement on a scale where lower is better
(PHQ-9, GAD-7, WSAS, CORE-OM). For a higher-is-better scale, swap ``pre`` and ``post``.

The summary-statistic versions take scalars or numpy arrays (broadcast together), so
one call computes the effect sizes of hundreds of providers. Undefined results (n < 2,
an SD of 0, a missing r) are NaN; impossible inputs (a negative SD, |r| > 1) raise a
ValueError naming the argument, the position and the value.

Every variance is a large-sample formula evaluated at the reported estimate (as
metafor's ``escalc`` does), and every CI is estimate ± z·se. The optional small-sample
correction multiplies d by Hedges' exact factor J(n − 1) (:func:`small_sample_factor`),
as metafor does; Bonett's variance is then multiplied by J² (metafor's ``SMCRH``).

Effect sizes of other designs from raw study data (two-group means and SDs, 2×2
tables, correlations, proportions), each as metafor's ``escalc`` computes it, live in
:mod:`tincheck.stats.study_effects` and are re-exported here: :func:`smd`, :func:`smcr`,
:func:`smcrh`, :func:`smcc`, :func:`log_risk_ratio`, :func:`log_odds_ratio`,
:func:`risk_difference`, :func:`fisher_z`, :func:`logit_proportion`,
:func:`raw_proportion` and :func:`escalc`.

References
----------
Becker BJ (1988) Synthesizing standardized mean-change measures. Br J Math Stat
Psychol 41:257-278.
Bonett DG (2008) Confidence intervals for standardized linear contrasts of means.
Psychol Methods 13:99-109.
Hedges LV (1981) Distribution theory for Glass's estimator of effect size and related
estimators. J Educ Stat 6:107-128.
Morris SB, DeShon RP (2002) Combining effect size estimates in meta-analysis with
repeated measures and independent-groups designs. Psychol Methods 7:105-125.
Viechtbauer W (2010) Conducting meta-analyses in R with the metafor package. J Stat
Softw 36(3):1-48.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .arguments import (
    as_float_array,
    check_confidence,
    paired,
    plain_dict,
    require,
    scalar_or_array,
)

__all__ = ["EffectSize", "d_pooled_sd", "d_pooled_sd_from_summary", "d_pre_sd",
           "d_pre_sd_from_summary", "d_z", "d_z_from_summary", "hedges_j",
           "small_sample_factor"]


@dataclass(frozen=True)
class EffectSize:
    """An effect size with its sampling variance and normal-theory CI.

    Fields are floats, or numpy arrays of one shape when the inputs were arrays.
    ``method`` names the estimator, with ``_corrected`` appended when Hedges'
    small-sample correction was applied (for the measures of
    :mod:`tincheck.stats.study_effects`, the measure's name, e.g. ``"SMD"``).
    ``continuity_corrected`` marks, for counts, the studies to whose cells 0.5 was added
    (None for measures without a continuity correction).
    """

    estimate: float | np.ndarray
    variance: float | np.ndarray
    se: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    n: int | float | np.ndarray
    method: str
    continuity_corrected: bool | np.ndarray | None = None

    def to_dict(self) -> dict:
        """Plain Python values (lists for arrays), ready for JSON."""
        return plain_dict(self)


def small_sample_factor(df):
    """Hedges' exact small-sample correction factor for a standardised mean difference.

    c(m) = Γ(m/2) / (√(m/2) · Γ((m − 1)/2)) for m degrees of freedom of the SD that
    standardises: m = n₁ + n₂ − 2 for two groups, n − 1 for a pre-post design. c(m)·d
    is unbiased for δ (Hedges 1981, eq. 6e). Computed through log-gamma, as metafor's
    ``escalc`` does (its internal ``.cmicalc``); NaN where m ≤ 1. The familiar
    1 − 3/(4m − 1) is an approximation to it, 1.3% too large at m = 2 and within 0.001
    once m ≥ 7.

    Parameters
    ----------
    df : float or array
        Degrees of freedom m.

    Returns
    -------
    float or array

    References: Hedges LV (1981) J Educ Stat 6:107-128; Viechtbauer W (2010) J Stat
    Softw 36(3).

    >>> round(small_sample_factor(24), 8)
    0.96836523
    """
    m = as_float_array("df", df)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.exp(special.gammaln(m / 2) - np.log(np.sqrt(m / 2))
                   - special.gammaln((m - 1) / 2))
    return scalar_or_array(np.where(m > 1, c, np.nan))


def hedges_j(n):
    """Hedges' exact small-sample correction factor J for a pre-post d on n pairs.

    J = c(n − 1) with c from :func:`small_sample_factor`:
    Γ(ν/2) / (√(ν/2) · Γ((ν − 1)/2)), ν = n − 1 (metafor's factor for ``SMCR`` and
    ``SMCC``). Multiply d by J for an unbiased estimate. NaN where n < 3.

    Parameters
    ----------
    n : int or array
        Number of pairs.

    Returns
    -------
    float or array

    References: Hedges (1981); Borenstein M et al. (2009) Introduction to
    Meta-Analysis, Wiley, §4.

    >>> round(hedges_j(25), 6)
    0.968365
    """
    n = as_float_array("n", n)
    return small_sample_factor(n - 1)


def _check_n(n: np.ndarray) -> None:
    require("n", n, (n >= 0) & (n == np.floor(n)), "a whole number of pairs ≥ 0")


def _check_sd(name: str, sd: np.ndarray) -> None:
    require(name, sd, sd >= 0, "a standard deviation ≥ 0")


def _check_r(r: np.ndarray) -> None:
    require("r", r, np.abs(r) <= 1, "a correlation between -1 and 1")


def _effect(raw_d, variance_at, n, method: str, small_sample_correction: bool,
            confidence: float, scale_variance: bool = False) -> EffectSize:
    """Apply the correction, evaluate the variance at the estimate, add the CI.

    ``scale_variance`` multiplies the variance by J² as well (Bonett's variance, as
    metafor's ``SMCRH``)."""
    z = check_confidence(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        j = hedges_j(n) if small_sample_correction else 1.0
        estimate = raw_d * j
        variance = variance_at(estimate) * (j**2 if scale_variance else 1.0)
        defined = n >= 2
        estimate = np.where(defined, estimate, np.nan)
        variance = np.where(defined, variance, np.nan)
        se = np.sqrt(variance)
    n_out = scalar_or_array(n) if np.isnan(n).any() else (
        int(n) if n.ndim == 0 else n.astype(int))
    return EffectSize(
        estimate=scalar_or_array(estimate), variance=scalar_or_array(variance),
        se=scalar_or_array(se), ci_low=scalar_or_array(estimate - z * se),
        ci_high=scalar_or_array(estimate + z * se), n=n_out,
        method=method + ("_corrected" if small_sample_correction else ""))


def d_pre_sd_from_summary(mean_pre, mean_post, sd_pre, n, r, *,
                          small_sample_correction: bool = False,
                          confidence: float = 0.95, variance: str = "becker",
                          sd_post=None) -> EffectSize:
    """Pre-post d standardised by the pre-treatment SD, from summary statistics.

    d = (M_pre − M_post) / SD_pre, the NHS Talking Therapies annual-report
    definition ("mean first score minus mean last score, over the SD of first
    scores"); Becker's (1988) standardised mean change, metafor's "SMCR". Positive d
    is improvement on a lower-is-better scale.

    Variance, evaluated at the reported estimate; CI = d ± z·√var:

    - ``"becker"`` (default; Becker 1988, metafor's ``escalc(measure="SMCR")``):
      var(d) = 2(1 − r)/n + d²/(2n), with r the pre-post correlation. It assumes equal
      pre and post SDs: when SD_post = 1.3·SD_pre the 95% CI covers only about 91%
      (measured in ``tests/stats/test_effect_sizes.py``).
    - ``"bonett"`` (Bonett 2008, statpsych's ``ci.stdmean.ps``, metafor's "SMCRH"):
      var(d) = d²/(2(n − 1))
      + (SD_pre² + SD_post² − 2r·SD_pre·SD_post)/(SD_pre²(n − 1)),
      valid for unequal SDs; needs ``sd_post``. With the small-sample correction the
      variance is evaluated at J·d and multiplied by J², as metafor's ``SMCRH``.

    Parameters
    ----------
    mean_pre, mean_post : float or array
        Mean first and last scores.
    sd_pre : float or array
        SD of the first scores (n − 1 denominator).
    n : int or array
        Number of people with both scores.
    r : float or array
        Pearson correlation between first and last scores; NaN gives a NaN variance.
    small_sample_correction : bool, default False
        Multiply d by Hedges' exact J(n − 1) (see :func:`hedges_j`).
    confidence : float, default 0.95
    variance : {"becker", "bonett"}, default "becker"
    sd_post : float or array, optional
        SD of the last scores; required by ``variance="bonett"``.

    Returns
    -------
    EffectSize
        NaN where n < 2 or SD_pre = 0.

    References: Becker (1988); Bonett (2008); Morris & DeShon (2002); Viechtbauer (2010).

    >>> es = d_pre_sd_from_summary(18.2, 11.1, 4.6, n=120, r=0.42)
    >>> round(es.estimate, 4), round(es.ci_low, 4), round(es.ci_high, 4)
    (1.5435, 1.2691, 1.8178)
    """
    mean_pre, mean_post, sd_pre, n, r = (
        as_float_array(name, value) for name, value in
        (("mean_pre", mean_pre), ("mean_post", mean_post), ("sd_pre", sd_pre), ("n", n),
         ("r", r)))
    _check_n(n)
    _check_sd("sd_pre", sd_pre)
    _check_r(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (mean_pre - mean_post) / np.where(sd_pre > 0, sd_pre, np.nan)
    if variance == "becker":
        return _effect(d, lambda est: 2 * (1 - r) / n + est**2 / (2 * n), n, "d_pre_sd",
                       small_sample_correction, confidence)
    if variance != "bonett":
        raise ValueError(f"variance = {variance!r}: expected 'becker' or 'bonett'")
    if sd_post is None:
        raise ValueError("variance='bonett' needs sd_post, the SD of the last scores")
    sd_post = as_float_array("sd_post", sd_post)
    _check_sd("sd_post", sd_post)
    change_var = sd_pre**2 + sd_post**2 - 2 * r * sd_pre * sd_post
    with np.errstate(divide="ignore", invalid="ignore"):
        return _effect(d, lambda est: est**2 / (2 * (n - 1)) + change_var / (sd_pre**2 * (n - 1)),
                       n, "d_pre_sd_bonett", small_sample_correction, confidence,
                       scale_variance=True)


def d_pooled_sd_from_summary(mean_pre, mean_post, sd_pre, sd_post, n, r, *,
                             small_sample_correction: bool = False,
                             confidence: float = 0.95) -> EffectSize:
    """Pre-post d standardised by the root mean square of the two SDs, from summaries.

    d = (M_pre − M_post) / s, s = √((SD_pre² + SD_post²)/2), the "unweighted
    standardizer" of Bonett (2008). (Cumming's d_av divides by the arithmetic mean of
    the two SDs instead, which is slightly smaller.)

    Variance (Bonett 2008, which does not assume equal pre and post variances):
    var(d) = d²(SD_pre⁴ + SD_post⁴ + 2r²SD_pre²SD_post²) / (8(n − 1)s⁴)
    + (SD_pre² + SD_post² − 2r·SD_pre·SD_post) / ((n − 1)s²),
    evaluated at the reported estimate. CI = d ± z·√var.

    Parameters
    ----------
    mean_pre, mean_post : float or array
    sd_pre, sd_post : float or array
        SDs of first and last scores (n − 1 denominator).
    n : int or array
        Number of people with both scores.
    r : float or array
        Pearson correlation between first and last scores.
    small_sample_correction : bool, default False
        Multiply d by Hedges' exact J(n − 1). (statpsych's ``ci.stdmean.ps`` instead
        uses √((n − 2)/(n − 1)) for this standardiser.)
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        NaN where n < 2 or both SDs are 0.

    References: Bonett (2008); Bonett's R package statpsych, ``ci.stdmean.ps``.

    >>> es = d_pooled_sd_from_summary(110.4, 102.1, 15.3, 14.6, n=25, r=0.75)
    >>> round(es.estimate, 7), round(es.se, 7)
    (0.5550319, 0.1609934)
    """
    mean_pre, mean_post, sd_pre, sd_post, n, r = (
        as_float_array(name, value) for name, value in
        (("mean_pre", mean_pre), ("mean_post", mean_post), ("sd_pre", sd_pre),
         ("sd_post", sd_post), ("n", n), ("r", r)))
    _check_n(n)
    _check_sd("sd_pre", sd_pre)
    _check_sd("sd_post", sd_post)
    _check_r(r)
    v1, v2 = sd_pre**2, sd_post**2
    s2 = (v1 + v2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (mean_pre - mean_post) / np.sqrt(np.where(s2 > 0, s2, np.nan))
        df = n - 1

        def variance(est):
            return (est**2 * (v1**2 + v2**2 + 2 * r**2 * v1 * v2) / (8 * df * s2**2)
                    + (v1 + v2 - 2 * r * sd_pre * sd_post) / (df * s2))

        return _effect(d, variance, n, "d_pooled_sd", small_sample_correction, confidence)


def d_z_from_summary(mean_change, sd_change, n, *, small_sample_correction: bool = False,
                     confidence: float = 0.95) -> EffectSize:
    """Pre-post d standardised by the SD of the change scores (Cohen's d_z).

    d_z = M_change / SD_change, with change = pre − post (positive = improvement on a
    lower-is-better scale). It equals the paired t statistic over √n, so it grows with
    the pre-post correlation and is not comparable with the other two.

    Variance: var(d_z) = 1/n + d_z²/(2n), evaluated at the reported estimate (as
    metafor's ``escalc(measure="SMCC")``). CI = d_z ± z·√var.

    Parameters
    ----------
    mean_change, sd_change : float or array
        Mean and SD (n − 1 denominator) of pre − post.
    n : int or array
        Number of people with both scores.
    small_sample_correction : bool, default False
        Multiply d_z by Hedges' exact J(n − 1) (metafor's ``SMCC``).
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        NaN where n < 2 or SD_change = 0.

    References: Becker (1988); Morris & DeShon (2002); Viechtbauer (2010).

    >>> es = d_z_from_summary(7.1, 5.2, n=120)
    >>> round(es.estimate, 4), round(es.se, 4)
    (1.3654, 0.1269)
    """
    mean_change, sd_change, n = (
        as_float_array(name, value) for name, value in
        (("mean_change", mean_change), ("sd_change", sd_change), ("n", n)))
    _check_n(n)
    _check_sd("sd_change", sd_change)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = mean_change / np.where(sd_change > 0, sd_change, np.nan)
    return _effect(d, lambda est: 1 / n + est**2 / (2 * n), n, "d_z",
                   small_sample_correction, confidence)


def _summaries(pre, post, nan_policy: str) -> dict:
    """n, means, SDs, r and the change summaries of complete pairs."""
    pre, post, _ = paired(pre, post, nan_policy)
    n = len(pre)
    change = pre - post
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.corrcoef(pre, post)[0, 1] if n >= 2 else np.nan
        return {
            "n": n, "mean_pre": pre.mean() if n else np.nan,
            "mean_post": post.mean() if n else np.nan,
            "sd_pre": pre.std(ddof=1) if n >= 2 else np.nan,
            "sd_post": post.std(ddof=1) if n >= 2 else np.nan, "r": r,
            "mean_change": change.mean() if n else np.nan,
            "sd_change": change.std(ddof=1) if n >= 2 else np.nan,
        }


def d_pre_sd(pre, post, *, small_sample_correction: bool = False, confidence: float = 0.95,
             nan_policy: str = "raise", variance: str = "becker") -> EffectSize:
    """Pre-post d over the SD of the first scores, from paired raw scores.

    Computes n, the means, the SDs (n − 1) and the Pearson pre-post correlation r of
    the complete pairs, then :func:`d_pre_sd_from_summary`:
    d = (M_pre − M_post) / SD_pre, var = 2(1 − r)/n + d²/(2n) (Becker 1988), or with
    ``variance="bonett"`` Bonett's (2008) variance, valid when SD_post ≠ SD_pre.

    Parameters
    ----------
    pre, post : array-like of float
        First and last scores, one pair per person (pandas Series are accepted).
    small_sample_correction : bool, default False
        Multiply d by Hedges' exact J(n − 1) (see :func:`hedges_j`).
    confidence : float, default 0.95
    nan_policy : {"raise", "omit"}, default "raise"
        "raise": a missing score is an error naming its position; "omit": use the
        complete pairs only (``n`` in the result says how many were used).
    variance : {"becker", "bonett"}, default "becker"
        See :func:`d_pre_sd_from_summary`.

    Returns
    -------
    EffectSize

    References: Becker (1988); Bonett (2008); Morris & DeShon (2002).

    >>> es = d_pre_sd([20, 15, 12, 18, 9], [12, 9, 10, 8, 7])
    >>> round(es.estimate, 4), round(es.se, 4)
    (1.2617, 0.5576)
    """
    s = _summaries(pre, post, nan_policy)
    return d_pre_sd_from_summary(s["mean_pre"], s["mean_post"], s["sd_pre"], s["n"], s["r"],
                                 small_sample_correction=small_sample_correction,
                                 confidence=confidence, variance=variance,
                                 sd_post=s["sd_post"])


def d_pooled_sd(pre, post, *, small_sample_correction: bool = False,
                confidence: float = 0.95, nan_policy: str = "raise") -> EffectSize:
    """Pre-post d over √((SD_pre² + SD_post²)/2), from paired raw scores.

    Computes the summaries of the complete pairs, then
    :func:`d_pooled_sd_from_summary` (variance of Bonett 2008).

    Parameters
    ----------
    pre, post : array-like of float
        First and last scores, one pair per person (pandas Series are accepted).
    small_sample_correction : bool, default False
        Multiply d by Hedges' exact J(n − 1) (see :func:`hedges_j`).
    confidence : float, default 0.95
    nan_policy : {"raise", "omit"}, default "raise"
        "raise": a missing score is an error naming its position; "omit": use the
        complete pairs only (``n`` in the result says how many were used).

    Returns
    -------
    EffectSize

    References: Bonett (2008).

    >>> es = d_pooled_sd([20, 15, 12, 18, 9], [12, 9, 10, 8, 7])
    >>> round(es.estimate, 4), round(es.se, 4)
    (1.6372, 0.7441)
    """
    s = _summaries(pre, post, nan_policy)
    return d_pooled_sd_from_summary(s["mean_pre"], s["mean_post"], s["sd_pre"], s["sd_post"],
                                    s["n"], s["r"],
                                    small_sample_correction=small_sample_correction,
                                    confidence=confidence)


def d_z(pre, post, *, small_sample_correction: bool = False, confidence: float = 0.95,
        nan_policy: str = "raise") -> EffectSize:
    """Cohen's d_z, mean change over SD of change, from paired raw scores.

    change = pre − post over the complete pairs, then :func:`d_z_from_summary`:
    d_z = M_change / SD_change, var = 1/n + d_z²/(2n).

    Parameters
    ----------
    pre, post : array-like of float
        First and last scores, one pair per person (pandas Series are accepted).
    small_sample_correction : bool, default False
        Multiply d by Hedges' exact J(n − 1) (see :func:`hedges_j`).
    confidence : float, default 0.95
    nan_policy : {"raise", "omit"}, default "raise"
        "raise": a missing score is an error naming its position; "omit": use the
        complete pairs only (``n`` in the result says how many were used).

    Returns
    -------
    EffectSize

    References: Becker (1988); Morris & DeShon (2002).

    >>> es = d_z([20, 15, 12, 18, 9], [12, 9, 10, 8, 7])
    >>> round(es.estimate, 4), round(es.variance, 4)
    (1.5652, 0.445)
    """
    s = _summaries(pre, post, nan_policy)
    return d_z_from_summary(s["mean_change"], s["sd_change"], s["n"],
                            small_sample_correction=small_sample_correction,
                            confidence=confidence)


# Effect sizes of other designs, defined in their own module (which builds on the
# factor and the pre-post d above); re-exported so that every effect size is found here.
from .study_effects import (  # noqa: E402
    MEASURES,
    escalc,
    fisher_z,
    log_odds_ratio,
    log_risk_ratio,
    logit_proportion,
    raw_proportion,
    risk_difference,
    smcc,
    smcr,
    smcrh,
    smd,
)

__all__ += ["MEASURES", "escalc", "fisher_z", "log_odds_ratio", "log_risk_ratio",
            "logit_proportion", "raw_proportion", "risk_difference", "smcc", "smcr", "smcrh",
            "smd"]
