"""Confidence intervals for proportions and means.

References
----------
Wilson EB (1927) Probable inference, the law of succession, and statistical inference.
J Am Stat Assoc 22:209-212.
Clopper CJ, Pearson ES (1934) The use of confidence or fiducial limits illustrated in
the case of the binomial. Biometrika 26:404-413.
Brown LD, Cai TT, DasGupta A (2001) Interval estimation for a binomial proportion.
Stat Sci 16:101-133.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .arguments import as_float_array, check_confidence, require


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


def clopper_pearson_interval(successes, n, confidence: float = 0.95):
    """Clopper-Pearson ("exact") interval for a binomial proportion.

    The interval inverts two one-sided binomial tests, which gives beta quantiles:
    low = B(α/2; k, n − k + 1), high = B(1 − α/2; k + 1, n − k), with low = 0 when
    k = 0 and high = 1 when k = n. It never undercovers, and is conservative (wider
    than Wilson): use it when a guaranteed coverage matters more than width, e.g. for
    rare events such as deterioration in a small service. Vectorised over
    ``successes`` and ``n``; NaN where n = 0.

    Parameters
    ----------
    successes, n : int or array of int
        Number of successes k and of trials n (0 ≤ k ≤ n).
    confidence : float, default 0.95

    Returns
    -------
    (low, high) : floats or arrays

    Raises
    ------
    ValueError
        A negative n, or k outside 0..n, naming the position in the array.

    References: Clopper & Pearson (1934); Brown, Cai & DasGupta (2001).

    >>> [round(x, 4) for x in clopper_pearson_interval(18, 20)]
    [0.683, 0.9877]
    """
    k = as_float_array("successes", successes)
    n = as_float_array("n", n)
    k, n = np.broadcast_arrays(k, n)
    require("n", n, n >= 0, "a count ≥ 0")
    require("successes", k, (k >= 0) & (k <= n), "a count between 0 and n")
    check_confidence(confidence)
    alpha = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def overlapping_difference_interval(a, n_a, b, n_b, overlap_events, overlap_n,
                                    confidence: float = 0.95):
    """Difference of two proportions over overlapping groups, with a Wald interval.

    p_A = a / n_A and p_B = b / n_B where n_O people belong to both groups (o of them
    with the event, counted in a and in b). With each person's event Bernoulli,
    Var(p_A − p_B) = p_A(1 − p_A)/n_A + p_B(1 − p_B)/n_B − 2 n_O p_O(1 − p_O)/(n_A n_B),
    p_O = o / n_O: the shared people make the two proportions positively correlated,
    so the difference is more precise than for independent groups. Used for the gap
    between a service's official recovery rate and its recovery among everyone
    referred as a case (most people counted in one are counted in the other).

    Returns (difference, low, high); NaN when n_A or n_B is 0.

    References: the delta method for a difference of correlated proportions (Agresti A
    (2013) Categorical Data Analysis, 3rd ed., §1.4 and §16.1).

    >>> [round(x, 4) for x in overlapping_difference_interval(50, 100, 50, 200, 40, 80)]
    [0.25, 0.1757, 0.3243]
    """
    a, n_a, b, n_b = (float(x) for x in (a, n_a, b, n_b))
    o, n_o = float(overlap_events), float(overlap_n)
    if n_a <= 0 or n_b <= 0:
        return float("nan"), float("nan"), float("nan")
    if not (0 <= n_o <= min(n_a, n_b) and 0 <= o <= n_o):
        raise ValueError("the overlap must be within both groups")
    p_a, p_b = a / n_a, b / n_b
    p_o = o / n_o if n_o else 0.0
    var = (p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b
           - 2 * n_o * p_o * (1 - p_o) / (n_a * n_b))
    half = float(stats.norm.ppf(1 - (1 - confidence) / 2) * np.sqrt(max(var, 0.0)))
    difference = p_a - p_b
    return difference, difference - half, difference + half
