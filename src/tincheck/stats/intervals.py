"""Confidence intervals for proportions and means.

References
----------
Wilson EB (1927) Probable inference, the law of succession, and statistical inference.
J Am Stat Assoc 22:209-212.
Brown LD, Cai TT, DasGupta A (2001) Interval estimation for a binomial proportion.
Stat Sci 16:101-133.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion.

    low, high = (p̂ + z²/2n ∓ z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n), with
    z = Φ⁻¹(1 − α/2). Vectorised over ``successes`` and ``n``; NaN where n = 0.

    Parameters
    ----------
    successes, n : int or array of int
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : floats or arrays

    References: Wilson (1927); Brown, Cai & DasGupta (2001).

    >>> [round(x, 4) for x in wilson_interval(18, 20)]
    [0.699, 0.9721]
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def mean_t_interval(mean, sd, n, confidence: float = 0.95):
    """t-based confidence interval for a mean: mean ∓ t(1 − α/2, n − 1) · sd / √n.

    NaN where n < 2. Vectorised.

    >>> [round(x, 3) for x in mean_t_interval(7.0, 3.0, 25)]
    [5.762, 8.238]
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = stats.t.ppf(1 - (1 - confidence) / 2, np.where(n > 1, n - 1, np.nan))
        half = t * sd / np.sqrt(n)
        low = np.where(n > 1, mean - half, np.nan)
        high = np.where(n > 1, mean + half, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high
