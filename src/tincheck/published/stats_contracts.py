"""Statistics this audit needs that are being written on other branches.

``tincheck.stats.effect_sizes.d_pre_sd_from_summary`` and
``tincheck.stats.meta.meta_analysis`` are agreed contracts owned by other issues.
This module imports them when they are present; until they land it supplies minimal
implementations of the same contracts (same names, arguments and returned fields),
pinned by tests to the same peers. Delete the fallbacks once both modules exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class EffectSize:
    """An effect size with its sampling variance and confidence interval."""

    estimate: np.ndarray | float
    variance: np.ndarray | float
    se: np.ndarray | float
    ci_low: np.ndarray | float
    ci_high: np.ndarray | float
    n: np.ndarray | float
    method: str


def _d_pre_sd_from_summary(mean_pre, mean_post, sd_pre, n, r, *,
                           small_sample_correction: bool = False,
                           confidence: float = 0.95) -> EffectSize:
    """Pre-post standardised mean change from summary statistics (fallback).

    d = (mean_pre − mean_post) / sd_pre; var(d) = 2(1 − r)/n + d²/(2n), with r the
    pre-post correlation (Becker 1988, Br J Math Stat Psychol 41:257-278; Morris &
    DeShon 2002, Psychol Methods 7:105-125). With ``small_sample_correction`` d is
    multiplied by J = 1 − 3/(4(n − 1) − 1) (Hedges 1981). Normal-theory CI.

    >>> round(float(_d_pre_sd_from_summary(14.2, 9.4, 6.1, 1000, 0.5).se), 4)
    0.0362
    """
    mean_pre, mean_post, sd_pre, n, r = (np.asarray(x, dtype=float) for x in
                                         (mean_pre, mean_post, sd_pre, n, r))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (mean_pre - mean_post) / sd_pre
        if small_sample_correction:
            d = d * (1 - 3 / (4 * (n - 1) - 1))
        variance = 2 * (1 - r) / n + d**2 / (2 * n)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(variance)
        values = [d, variance, se, d - z * se, d + z * se, n]
    if d.ndim == 0:
        values = [float(v) for v in values]
    return EffectSize(*values, method="d_pre_sd (Becker 1988)")


@dataclass(frozen=True)
class MetaResult:
    """Random-effects meta-analysis result (fields as the tincheck.stats.meta contract)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    I2: float
    H2: float
    Q: float
    Q_df: int
    Q_pvalue: float
    pi_low: float
    pi_high: float
    weights: np.ndarray
    k: int
    method: str
    test: str
    labels: tuple | None = None


def _reml_tau2(y, v) -> float:
    def negative_log_likelihood(tau2):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w))
                      + np.sum(w * (y - mu) ** 2))

    upper = max(10 * np.var(y) + np.max(v), 1e-8)
    fit = optimize.minimize_scalar(negative_log_likelihood, bounds=(0, upper),
                                   method="bounded", options={"xatol": 1e-12})
    tau2 = float(fit.x)
    return tau2 if negative_log_likelihood(tau2) < negative_log_likelihood(0.0) else 0.0


def _generalised_q(y, v, tau2):
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def _q_profile(y, v, level):
    """Q-profile CI for τ² (Viechtbauer 2007, Stat Med 26:37-52)."""
    k = y.size
    bounds = []
    for prob in ((1 + level) / 2, (1 - level) / 2):
        target = stats.chi2.ppf(prob, k - 1)
        if _generalised_q(y, v, 0.0) < target:
            bounds.append(0.0)
            continue
        high = max(np.var(y), 1e-4)
        while _generalised_q(y, v, high) > target:
            high *= 10
        bounds.append(optimize.brentq(lambda t: _generalised_q(y, v, t) - target, 0,
                                      high, xtol=1e-12))
    return bounds[0], bounds[1]


def _meta_analysis(yi, vi=None, *, sei=None, method: str = "REML", test: str = "z",
                   level: float = 0.95, labels=None) -> MetaResult:
    """Random-effects meta-analysis (fallback: REML τ², z or Hartung-Knapp test).

    τ² maximises the restricted likelihood; weights w_i = 1/(v_i + τ²); estimate
    μ̂ = Σ w_i y_i / Σ w_i. With ``test="knha"`` the SE is
    √(Σ w_i (y_i − μ̂)² / ((k − 1) Σ w_i)) and intervals use t(k − 1) (Hartung &
    Knapp 2001, Stat Med 20:3875-3889), as metafor's ``rma(test="knha")``. I² =
    100·τ²/(τ² + ṽ) with ṽ = (k − 1)Σw/((Σw)² − Σw²) (Higgins & Thompson 2002, as
    metafor); prediction interval μ̂ ± crit·√(SE² + τ²) with the same critical
    value as the CI (metafor's ``predict``).

    >>> round(_meta_analysis([0.1, 0.3, 0.5], [0.01, 0.02, 0.03]).estimate, 4)
    0.2673
    """
    if method != "REML":
        raise ValueError(f"method must be 'REML' in this fallback; got {method!r}")
    y = np.asarray(yi, dtype=float)
    v = (np.asarray(vi, dtype=float) if vi is not None
         else np.asarray(sei, dtype=float) ** 2)
    if y.size < 2 or y.shape != v.shape or not np.all(np.isfinite(y)) or \
            not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError("meta_analysis needs ≥ 2 finite effects with positive variances")
    k = y.size
    tau2 = _reml_tau2(y, v)
    w = 1 / (v + tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    w_fixed = 1 / v
    q = _generalised_q(y, v, 0.0)
    v_typical = (k - 1) * np.sum(w_fixed) / (np.sum(w_fixed) ** 2 - np.sum(w_fixed**2))
    if test == "knha":
        se = float(np.sqrt(np.sum(w * (y - estimate) ** 2) / ((k - 1) * np.sum(w))))
        crit = stats.t.ppf((1 + level) / 2, k - 1)
    elif test == "z":
        se = float(np.sqrt(1 / np.sum(w)))
        crit = stats.norm.ppf((1 + level) / 2)
    else:
        raise ValueError(f"test must be 'z' or 'knha'; got {test!r}")
    tau2_low, tau2_high = _q_profile(y, v, level)
    spread = np.sqrt(se**2 + tau2)
    return MetaResult(
        estimate=estimate, se=se, ci_low=estimate - crit * se,
        ci_high=estimate + crit * se, tau2=tau2, tau2_ci_low=tau2_low,
        tau2_ci_high=tau2_high, I2=float(100 * tau2 / (tau2 + v_typical)),
        H2=float((tau2 + v_typical) / v_typical), Q=q, Q_df=k - 1,
        Q_pvalue=float(stats.chi2.sf(q, k - 1)), pi_low=estimate - crit * spread,
        pi_high=estimate + crit * spread, weights=100 * w / np.sum(w), k=k,
        method=method, test=test, labels=tuple(labels) if labels is not None else None)


try:  # the agreed implementations, once their branches have landed
    from ..stats.effect_sizes import d_pre_sd_from_summary  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on what has been merged
    d_pre_sd_from_summary = _d_pre_sd_from_summary
try:
    from ..stats.meta import meta_analysis  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    meta_analysis = _meta_analysis

__all__ = ["EffectSize", "MetaResult", "d_pre_sd_from_summary", "meta_analysis"]
