"""Funnel plots for comparing institutions' proportions (Spiegelhalter 2005).

An institution i reports y_i = r_i / n_i. Against a target θ (here the national
rate), its control limits at coverage 1 − 2p are the p and 1 − p quantiles of y under
the null hypothesis that it performs at θ. Institutions outside the 99.8% limits
(about three standard errors) are "alarms", outside 95% "alerts". When many lie
outside, the data are overdispersed: the limits are then widened by an additive random
effect τ² estimated from winsorised z-scores (§5).

References
----------
Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance. Stat
Med 24:1185-1202 (exact limits: Appendix A.1.1; overdispersion: §5).
Spiegelhalter DJ, Sherlaw-Johnson C, Bardsley M, et al. (2012) Statistical methods
for healthcare regulation: rating, screening and surveillance. J R Stat Soc A
175:1-47 (winsorisation at 10% each tail, additive τ²).
DerSimonian R, Laird N (1986) Meta-analysis in clinical trials. Control Clin Trials
7:177-188 (the moment estimator the additive τ² follows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def _tail(coverage: float) -> float:
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1; got {coverage!r}")
    return (1 - coverage) / 2


def _out(low, high):
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def binomial_funnel_limits(target: float, n, coverage: float = 0.95):
    """Exact binomial control limits for a proportion, with interpolation.

    For tail probability p = (1 − coverage)/2: r_p is the smallest integer r with
    P(R ≤ r) ≥ p for R ~ Binomial(n, θ); α = (P(R ≤ r_p) − p) / (P(R ≤ r_p) −
    P(R ≤ r_p − 1)); the limit is (r_p − α)/n. Likewise for 1 − p. The interpolation
    makes the limits smooth in n (Spiegelhalter 2005, Appendix A.1.1).

    Parameters
    ----------
    target : θ, the proportion under the null (0 < θ < 1).
    n : denominators (rounded to whole numbers; NaN or ≤ 0 give NaN).
    coverage : 0.95 or 0.998 typically.

    Returns
    -------
    (low, high) : proportions, floats or arrays like ``n``.

    The interpolation spreads the probability of each count r over (r − 1, r], so
    the limits sit up to 0.5/n below a symmetric version (for θ = 0.5 and n = 100 the
    upper limit is 0.5932, not 1 − 0.3968).

    >>> [round(x, 4) for x in binomial_funnel_limits(0.5, 100, 0.95)]
    [0.3968, 0.5932]
    """
    p = _tail(coverage)
    n = np.asarray(n, dtype=float)
    valid = np.isfinite(n) & (n > 0)
    size = np.where(valid, np.round(n), 1)

    def limit(prob):
        r = stats.binom.ppf(prob, size, target)
        upper = stats.binom.cdf(r, size, target)
        lower = stats.binom.cdf(r - 1, size, target)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(upper > lower, (upper - prob) / (upper - lower), 0.0)
        return np.where(valid, (r - alpha) / size, np.nan)

    return _out(limit(p), limit(1 - p))


def normal_funnel_limits(target: float, n, coverage: float = 0.95, tau2: float = 0.0):
    """Normal-approximation control limits: θ ± z·√(θ(1 − θ)/n + τ²).

    With τ² = 0 these are Spiegelhalter's (2005) normal limits; with τ² > 0 they are
    the limits under an additive random-effects model (§5.2), where institutions'
    true rates vary around θ with variance τ².

    >>> [round(x, 4) for x in normal_funnel_limits(0.5, 100, 0.95)]
    [0.402, 0.598]
    """
    z = stats.norm.ppf(1 - _tail(coverage))
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(target * (1 - target) / n + tau2)
    half = np.where(n > 0, half, np.nan)
    return _out(target - half, target + half)


def funnel_z_scores(y, n, target: float):
    """Standardised differences from the target: z_i = (y_i − θ) / √(θ(1 − θ)/n_i).

    Under the null each z_i is approximately standard normal (Spiegelhalter 2005 §5).

    >>> round(float(funnel_z_scores(0.6, 100, 0.5)), 2)
    2.0
    """
    y = np.asarray(y, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y - target) / np.sqrt(target * (1 - target) / n)
    return float(z) if z.ndim == 0 else z


def winsorise(z, fraction: float = 0.1):
    """Winsorised z-scores: values beyond the ``fraction`` and 1 − ``fraction``
    quantiles are set to those quantiles (linear quantiles, as R's type 7).

    Spiegelhalter (2005) §5.1 winsorises 10% at each end so that the institutions
    being screened do not inflate the estimate of overdispersion. NaN are refused:
    pass only the institutions that are being compared.

    >>> [round(float(x), 6) for x in winsorise([-5.0, 0.0, 0.0, 0.0, 5.0], 0.2)]
    [-1.0, 0.0, 0.0, 0.0, 1.0]
    """
    z = np.asarray(z, dtype=float)
    if np.isnan(z).any():
        raise ValueError("winsorise: z contains NaN; drop institutions without a rate "
                         "first (and report them)")
    low, high = np.quantile(z, [fraction, 1 - fraction])
    return np.clip(z, low, high)


def overdispersion_factor(z, fraction: float = 0.1) -> float:
    """Multiplicative overdispersion φ̂ = (1/I) Σ z_i², on winsorised z-scores.

    φ̂ ≈ 1 when institutions vary only by chance; I·φ̂ is compared with χ²(I − 1)
    (Spiegelhalter 2005 §5.1).

    >>> overdispersion_factor([-2.0, -1.0, 0.0, 1.0, 2.0], 0.0)
    2.0
    """
    zw = winsorise(z, fraction)
    return float(np.mean(zw**2))


def additive_tau2(z, n, target: float, fraction: float = 0.1) -> float:
    """Between-institution variance τ̂² for additive random-effects funnel limits.

    τ̂² = (I·φ̂ − (I − 1)) / (Σ w_i − Σ w_i² / Σ w_i), with w_i = 1/s_i²,
    s_i² = θ(1 − θ)/n_i and φ̂ from winsorised z-scores; τ̂² = 0 when I·φ̂ ≤ I − 1
    (Spiegelhalter 2005 §5.2; a DerSimonian-Laird moment estimator).

    >>> round(additive_tau2([-2.0, -1.0, 0.0, 1.0, 2.0], [100] * 5, 0.5, 0.0), 5)
    0.00375
    """
    z = np.asarray(z, dtype=float)
    n = np.asarray(n, dtype=float)
    count = z.size
    phi = overdispersion_factor(z, fraction)
    w = n / (target * (1 - target))
    excess = count * phi - (count - 1)
    if excess <= 0:
        return 0.0
    return float(excess / (w.sum() - (w**2).sum() / w.sum()))


def overdispersion_p_value(z, fraction: float = 0.1) -> float:
    """P(χ²(I − 1) ≥ I·φ̂): small values mean more spread than chance allows.

    >>> round(overdispersion_p_value([-2.0, -1.0, 0.0, 1.0, 2.0], 0.0), 4)
    0.0404
    """
    count = np.size(z)
    return float(stats.chi2.sf(count * overdispersion_factor(z, fraction), count - 1))


COVERAGES = (0.95, 0.998)
LIMITS = ("exact_95", "exact_998", "re_95", "re_998")


def _tag(coverage: float) -> str:
    return f"{coverage * 100:g}".replace(".", "")


def funnel_limits(target: float, n, tau2: float = 0.0, coverages=COVERAGES) -> dict:
    """Every funnel limit at denominators ``n``: for each coverage, the exact binomial
    limits (``exact_95_low``, ...) and the normal limits widened by τ² (``re_95_low``,
    ...). ``re`` limits with τ² = 0 are the plain normal limits.

    >>> {k: round(float(v), 4) for k, v in funnel_limits(0.5, 100, 0.0, (0.95,)).items()}
    {'exact_95_low': 0.3968, 'exact_95_high': 0.5932, 're_95_low': 0.402, 're_95_high': 0.598}
    """
    out = {}
    for coverage in coverages:
        tag = _tag(coverage)
        out[f"exact_{tag}_low"], out[f"exact_{tag}_high"] = binomial_funnel_limits(
            target, n, coverage)
        out[f"re_{tag}_low"], out[f"re_{tag}_high"] = normal_funnel_limits(
            target, n, coverage, tau2)
    return out


@dataclass(frozen=True)
class Funnel:
    """Institutions' proportions against a target with every funnel limit.

    ``units`` has one row per institution (``events``, ``n``, ``rate``, ``z``, the
    limits of :func:`funnel_limits` and ``outside_<limit>`` flags); ``curve`` has the
    limits on a grid of denominators, for drawing.
    """

    target: float
    phi: float                 # overdispersion factor (winsorised z-scores)
    tau2: float                # additive between-institution variance
    overdispersion_p: float    # P(χ²(I − 1) ≥ I·φ)
    units: pd.DataFrame
    curve: pd.DataFrame


def funnel(events, n, target: float | None = None, winsor: float = 0.1,
           coverages=COVERAGES, grid_points: int = 200) -> Funnel:
    """A funnel-plot comparison of proportions events_i / n_i (Spiegelhalter 2005).

    The target θ defaults to the pooled proportion Σ events / Σ n. Each institution
    gets its z-score (:func:`funnel_z_scores`), its exact binomial limits and its
    limits widened by the additive τ² (:func:`additive_tau2`, from z-scores winsorised
    at ``winsor`` each tail; τ² = 0 and φ, p undefined with fewer than three
    institutions), and flags for lying outside each. This one function serves the
    published providers (``tincheck published``) and the services of an audit.

    >>> f = funnel([30, 50, 70], [100, 100, 100])
    >>> f.target, round(f.tau2, 4), f.units["outside_exact_998"].tolist()
    (0.5, 0.0231, [True, False, True])
    """
    events = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    if events.shape != n.shape:
        raise ValueError("events and n must have the same length")
    # events may exceed n slightly where published counts were rounded to 5
    if np.any(~(n > 0)) or np.any(~(events >= 0)):
        raise ValueError("every institution needs events >= 0 and n > 0")
    if target is None:
        target = float(events.sum() / n.sum()) if n.sum() else float("nan")
    rate = events / n
    z = funnel_z_scores(rate, n, target)
    z = np.atleast_1d(z)
    count = len(n)
    compare = count > 2 and 0 < target < 1
    phi = overdispersion_factor(z, winsor) if compare else float("nan")
    tau2 = additive_tau2(z, n, target, winsor) if compare else 0.0
    p_value = overdispersion_p_value(z, winsor) if compare else float("nan")
    units = pd.DataFrame({"events": events, "n": n, "rate": rate, "z": z})
    for name, values in funnel_limits(target, n, tau2, coverages).items():
        units[name] = values
    for coverage in coverages:
        for kind in ("exact", "re"):
            tag = f"{kind}_{_tag(coverage)}"
            units[f"outside_{tag}"] = ((units["rate"] < units[f"{tag}_low"])
                                       | (units["rate"] > units[f"{tag}_high"]))
    if count:
        grid = np.unique(np.round(np.geomspace(max(n.min() * 0.8, 5), n.max() * 1.2,
                                               grid_points)))
    else:
        grid = np.array([])
    curve = pd.DataFrame({"n": grid, **funnel_limits(target, grid, tau2, coverages)})
    return Funnel(float(target), phi, tau2, p_value, units, curve)
