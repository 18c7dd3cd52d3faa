"""Sample size and power for planning an independent outcome study.

One function per design: the precision of one proportion (Wilson interval half-width),
the paired comparison of two binary ratings of the same clients (McNemar, after Connor
1987), one service against a benchmark (exact one-sample binomial test), and two
services or periods against each other (two proportions, Cohen's h). Sample sizes are
inflated for clients lost before their interview (expected completion share) and for
clustering of clients within therapists (design effect).

Every sample size is the smallest whole number meeting the target, found from the
closed form where there is one and checked against the power function itself.

References
----------
Wilson EB (1927) Probable inference, the law of succession, and statistical inference.
J Am Stat Assoc 22:209-212.
Newcombe RG (1998) Two-sided confidence intervals for the single proportion: comparison
of seven methods. Stat Med 17:857-872.
Connor RJ (1987) Sample size for testing differences in proportions for the paired-sample
design. Biometrics 43:207-211.
Cohen J (1988) Statistical power analysis for the behavioral sciences, 2nd ed., ch. 6.
Erlbaum.
Chernick MR, Liu CY (2002) The saw-toothed behavior of power versus sample size and
software solutions: single binomial proportion using exact methods. Am Stat 56:149-155.
Kish L (1965) Survey sampling, §5.4 (the design effect). Wiley.
Donner A, Klar N (2000) Design and analysis of cluster randomization trials in health
research, ch. 5. Arnold.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

ALTERNATIVES = ("two-sided", "one-sided")
# R's binom.test and scipy's binomtest count outcomes as extreme as the observed one up
# to this relative error (so that ties in floating point are ties)
_RELATIVE_ERROR = 1 + 1e-7
_MAX_N = 10_000_000


# ------------------------------------------------------------------ checks

def _proportion(name: str, value, *, open_interval: bool = True) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r}: expected a proportion between 0 and 1") \
            from None
    ok = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not ok or math.isnan(value):
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ValueError(f"{name} = {value:g}: expected a proportion {bounds}")
    return value


def _level(alpha: float, power: float | None = None) -> None:
    _proportion("alpha", alpha)
    if power is not None:
        _proportion("power", power)
        if power <= alpha:
            raise ValueError(f"power = {power:g}: expected more than alpha = {alpha:g}")


def _alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative = {alternative!r}: expected one of "
                         f"{', '.join(ALTERNATIVES)}")
    return alternative


def _z(alpha: float, alternative: str) -> float:
    return float(stats.norm.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha))


def _count(name: str, n) -> int:
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise ValueError(f"{name} = {n!r}: expected a whole number ≥ 1")
    return int(n)


# ------------------------------------------------------------------ one proportion

def wilson_half_width(p, n, confidence: float = 0.95):
    """Half the width of the Wilson score interval when the observed share is ``p``.

    h = z·√(p(1 − p)/n + z²/4n²) / (1 + z²/n), z = Φ⁻¹(1 − α/2): half of high − low of
    :func:`~tincheck.stats.intervals.wilson_interval` at p̂ = p (before clipping to
    [0, 1]). Vectorised over ``p`` and ``n``.

    Parameters
    ----------
    p : anticipated proportion, 0 ≤ p ≤ 1
    n : sample size (> 0)
    confidence : float, default 0.95

    Returns
    -------
    float or array: the half-width, on the proportion scale.

    References: Wilson (1927); Newcombe (1998).

    >>> round(wilson_half_width(0.2, 100), 4)
    0.0777
    """
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return float(half) if half.ndim == 0 else half


def wilson_sample_size(p: float, half_width: float, confidence: float = 0.95) -> int:
    """The smallest n whose Wilson interval half-width at p̂ = ``p`` is at most ``half_width``.

    Squaring h(n) ≤ d gives a quadratic in n,
    d²n² + (2d²z² − z²p(1 − p))n + z⁴(d² − 1/4) ≥ 0,
    whose larger root, rounded up, is n (checked against :func:`wilson_half_width`).
    Use it to plan the precision of one proportion, e.g. the share of clients who lose
    their diagnosis.

    Parameters
    ----------
    p : anticipated proportion (0 < p < 1)
    half_width : d, the largest acceptable half-width (0 < d < 0.5)
    confidence : float, default 0.95

    Returns
    -------
    int: n.

    References: Wilson (1927); Newcombe (1998).

    >>> wilson_sample_size(0.2, 0.05)
    245
    """
    p = _proportion("p", p, open_interval=False)
    d = float(half_width)
    if not 0 < d < 0.5:
        raise ValueError(f"half_width = {half_width!r}: expected a number between 0 and 0.5, "
                         "e.g. 0.05 for ±5 percentage points")
    _proportion("confidence", confidence)
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    a, b, c = d * d, 2 * d * d * z * z - z * z * p * (1 - p), z**4 * (d * d - 0.25)
    root = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    n = max(1, math.ceil(root - 1e-9))
    while n > 1 and wilson_half_width(p, n - 1, confidence) <= d:
        n -= 1
    while wilson_half_width(p, n, confidence) > d:
        n += 1
    return n


# ------------------------------------------------------------------ paired (McNemar)

def _discordant(p10, p01) -> tuple[float, float, float, float]:
    p10 = _proportion("p10", p10, open_interval=False)
    p01 = _proportion("p01", p01, open_interval=False)
    psi, delta = p10 + p01, p10 - p01
    if psi > 1:
        raise ValueError(f"p10 + p01 = {psi:g}: the two discordant proportions cannot add "
                         "up to more than 1")
    if delta == 0:
        raise ValueError(f"p10 = p01 = {p10:g}: no difference to detect (McNemar's null "
                         "hypothesis holds)")
    return p10, p01, psi, delta


def mcnemar_power(n, p10: float, p01: float, alpha: float = 0.05,
                  alternative: str = "two-sided"):
    """Power of McNemar's test for ``n`` pairs with discordant proportions p10 and p01.

    Connor's (1987) normal approximation, with ψ = p10 + p01 (the share of discordant
    pairs) and δ = p10 − p01:
    power = Φ((|δ|√n − z·√ψ) / √(ψ − δ²)), z = Φ⁻¹(1 − α/2) two-sided (Φ⁻¹(1 − α)
    one-sided); two-sided adds the far tail Φ((−|δ|√n − z√ψ) / √(ψ − δ²)). Here a
    pair is one client rated twice, e.g. p10 = officially recovered but still
    diagnosed at interview, p01 = the reverse. Vectorised over ``n``.

    Parameters
    ----------
    n : number of pairs (clients)
    p10, p01 : the two discordant proportions (p10 + p01 ≤ 1, p10 ≠ p01)
    alpha : significance level, default 0.05
    alternative : "two-sided" (default) or "one-sided" (in the direction of δ)

    Returns
    -------
    float or array: power.

    References: Connor (1987) Biometrics 43:207-211; McNemar Q (1947) Psychometrika
    12:153-157.

    >>> round(mcnemar_power(155, 0.15, 0.05), 3)
    0.801
    """
    _, _, psi, delta = _discordant(p10, p01)
    _level(alpha)
    alternative = _alternative(alternative)
    n = np.asarray(n, dtype=float)
    z = _z(alpha, alternative)
    spread = math.sqrt(psi - delta * delta)
    power = stats.norm.cdf((abs(delta) * np.sqrt(n) - z * math.sqrt(psi)) / spread)
    if alternative == "two-sided":
        power = power + stats.norm.cdf((-abs(delta) * np.sqrt(n) - z * math.sqrt(psi)) / spread)
    return float(power) if np.ndim(power) == 0 else power


def mcnemar_sample_size_exact(p10: float, p01: float, power: float = 0.8,
                              alpha: float = 0.05, alternative: str = "two-sided") -> float:
    """Connor's (1987) number of pairs before rounding up.

    n = (z_α·√ψ + z_β·√(ψ − δ²))² / δ², ψ = p10 + p01, δ = p10 − p01,
    z_α = Φ⁻¹(1 − α/2) two-sided (Φ⁻¹(1 − α) one-sided), z_β = Φ⁻¹(power).

    References: Connor (1987) Biometrics 43:207-211, eq. (3).

    >>> round(mcnemar_sample_size_exact(0.15, 0.05), 2)
    154.6
    """
    _, _, psi, delta = _discordant(p10, p01)
    _level(alpha, power)
    z_a = _z(alpha, _alternative(alternative))
    z_b = float(stats.norm.ppf(power))
    return (z_a * math.sqrt(psi) + z_b * math.sqrt(psi - delta * delta)) ** 2 / delta**2


def mcnemar_sample_size(p10: float, p01: float, power: float = 0.8, alpha: float = 0.05,
                        alternative: str = "two-sided") -> int:
    """The number of pairs (clients) McNemar's test needs: Connor (1987), rounded up.

    n = ⌈(z_α·√ψ + z_β·√(ψ − δ²))² / δ²⌉ with ψ = p10 + p01 and δ = p10 − p01 (see
    :func:`mcnemar_sample_size_exact`). statsmodels has no such function.

    Parameters
    ----------
    p10, p01 : anticipated discordant proportions, e.g. p10 = recovered by the
        questionnaires but still diagnosed at interview, p01 = lost the diagnosis but
        not recovered by the questionnaires
    power : target power, default 0.8
    alpha : significance level, default 0.05
    alternative : "two-sided" (default) or "one-sided" (in the direction of δ)

    Returns
    -------
    int: n.

    References: Connor (1987) Biometrics 43:207-211.

    >>> mcnemar_sample_size(0.15, 0.05)
    155
    """
    return math.ceil(mcnemar_sample_size_exact(p10, p01, power, alpha, alternative) - 1e-9)


# ------------------------------------------------------------------ one sample vs benchmark

def _rejection(n: int, p0: float, alpha: float, tail: str) -> np.ndarray:
    """The outcomes k = 0..n at which the exact binomial test of p = p0 rejects
    (``tail``: "two-sided", "larger" or "smaller")."""
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k, n, p0)
    if tail == "larger":
        p_values = stats.binom.sf(k - 1, n, p0)
    elif tail == "smaller":
        p_values = stats.binom.cdf(k, n, p0)
    else:
        # two-sided by the likelihood ("minlike") rule of R's binom.test and scipy's
        # binomtest: the p-value sums every outcome no more likely than the observed one
        ordered = np.sort(pmf)
        cumulative = np.cumsum(ordered)
        index = np.searchsorted(ordered, pmf * _RELATIVE_ERROR, side="right") - 1
        p_values = np.where(index >= 0, cumulative[np.clip(index, 0, None)], 0.0)
    return p_values <= alpha


def binomial_power(n, p0: float, p1: float, alpha: float = 0.05,
                   alternative: str = "two-sided") -> float:
    """Exact power of the one-sample binomial test of p = p0 when the true share is p1.

    power = Σ_{k ∈ R} C(n, k)·p1ᵏ(1 − p1)ⁿ⁻ᵏ, where R holds the outcomes k at which the
    exact test of p0 rejects at level α: two-sided by the likelihood rule of R's
    ``binom.test`` (every outcome no more likely under p0 than k counts as extreme),
    one-sided by the tail on p1's side of p0. Use it for a
    service's share against a benchmark.

    Parameters
    ----------
    n : sample size
    p0 : the benchmark share (null hypothesis)
    p1 : the anticipated share in the service
    alpha : significance level, default 0.05
    alternative : "two-sided" (default) or "one-sided" (in the direction of p1 − p0)

    Returns
    -------
    float: power (exact; it rises with n in a saw-tooth, not smoothly).

    References: Chernick & Liu (2002) Am Stat 56:149-155; Clopper CJ, Pearson ES (1934)
    Biometrika 26:404-413.

    >>> round(binomial_power(100, 0.5, 0.35), 4)
    0.8276
    """
    n = _count("n", n)
    p0 = _proportion("p0", p0)
    p1 = _proportion("p1", p1, open_interval=False)
    _level(alpha)
    tail = _alternative(alternative)
    if tail == "one-sided":
        tail = "larger" if p1 > p0 else "smaller"
    reject = _rejection(n, p0, alpha, tail)
    return float(stats.binom.pmf(np.arange(n + 1), n, p1)[reject].sum())


def binomial_sample_size(p0: float, p1: float, power: float = 0.8, alpha: float = 0.05,
                         alternative: str = "two-sided", stable: bool = False) -> int:
    """The smallest n at which the exact one-sample binomial test reaches ``power``.

    Scans n upwards with :func:`binomial_power`, from half the normal-approximation
    answer n ≈ ((z_α√(p0q0) + z_β√(p1q1)) / (p1 − p0))². Exact power is saw-toothed
    in n (Chernick & Liu 2002): a slightly larger n can have less power. With
    ``stable=True`` the answer is instead the smallest n from which power stays at or
    above the target for every larger n (checked up to twice that n, beyond which the
    teeth are smaller than the rise), the safer figure for a protocol.

    Parameters
    ----------
    p0 : the benchmark share
    p1 : the anticipated share in the service (≠ p0)
    power : target power, default 0.8
    alpha : significance level, default 0.05
    alternative : "two-sided" (default) or "one-sided" (in the direction of p1 − p0)
    stable : the smallest n from which power never falls below the target again
        (default False: the smallest n reaching it)

    Returns
    -------
    int: n.

    References: Chernick & Liu (2002) Am Stat 56:149-155.

    >>> binomial_sample_size(0.5, 0.35), binomial_sample_size(0.5, 0.35, stable=True)
    (90, 97)
    """
    p0 = _proportion("p0", p0)
    p1 = _proportion("p1", p1)
    _level(alpha, power)
    alternative = _alternative(alternative)
    if p0 == p1:
        raise ValueError(f"p1 = p0 = {p0:g}: no difference to detect")
    z_a, z_b = _z(alpha, alternative), float(stats.norm.ppf(power))
    guess = ((z_a * math.sqrt(p0 * (1 - p0)) + z_b * math.sqrt(p1 * (1 - p1)))
             / (p1 - p0)) ** 2
    n = max(1, int(guess / 2))
    while binomial_power(n, p0, p1, alpha, alternative) < power:
        n += 1
        if n > _MAX_N:
            raise ValueError(f"no n up to {_MAX_N:,} reaches power {power:g}")
    if not stable:
        return n
    candidate, m = n, n + 1
    while m <= 2 * candidate:
        if binomial_power(m, p0, p1, alpha, alternative) < power:
            candidate = m + 1
        m += 1
    return candidate


# ------------------------------------------------------------------ two proportions

def cohens_h(p1, p2):
    """Cohen's h, the effect size of two proportions: h = 2·asin√p1 − 2·asin√p2.

    The arcsine transformation makes the variance of a proportion (nearly) free of p,
    so equal h are equally detectable; statsmodels calls it ``proportion_effectsize``.

    References: Cohen (1988) §6.2.

    >>> round(cohens_h(0.5, 0.4), 4)
    0.2014
    """
    p1 = np.asarray(p1, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    h = 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))
    return float(h) if h.ndim == 0 else h


def two_proportions_power(n1, p1: float, p2: float, alpha: float = 0.05, ratio: float = 1.0,
                          alternative: str = "two-sided"):
    """Power of the z test comparing two independent proportions, by Cohen's h.

    power = Φ(|h|·√ñ − z) (+ Φ(−|h|·√ñ − z) two-sided), with h = :func:`cohens_h`,
    ñ = n1·n2/(n1 + n2), n2 = ratio·n1 and z = Φ⁻¹(1 − α/2) two-sided (1 − α one-sided):
    statsmodels' ``NormalIndPower().power``. Vectorised over ``n1``.

    Parameters
    ----------
    n1 : size of the first group (service or period)
    p1, p2 : anticipated proportions in the two groups
    alpha : significance level, default 0.05
    ratio : n2 / n1, default 1
    alternative : "two-sided" (default) or "one-sided" (in the direction of p1 − p2)

    Returns
    -------
    float or array: power.

    References: Cohen (1988) ch. 6.

    >>> round(two_proportions_power(388, 0.5, 0.4), 4)
    0.8008
    """
    _proportion("p1", p1, open_interval=False)
    _proportion("p2", p2, open_interval=False)
    _level(alpha)
    alternative = _alternative(alternative)
    if not ratio > 0:
        raise ValueError(f"ratio = {ratio!r}: expected n2/n1 > 0")
    h = abs(cohens_h(p1, p2))
    n1 = np.asarray(n1, dtype=float)
    effective = n1 * (ratio * n1) / (n1 + ratio * n1)
    z = _z(alpha, alternative)
    power = stats.norm.sf(z - h * np.sqrt(effective))
    if alternative == "two-sided":
        power = power + stats.norm.cdf(-z - h * np.sqrt(effective))
    return float(power) if np.ndim(power) == 0 else power


def two_proportions_sample_size(p1: float, p2: float, power: float = 0.8,
                                alpha: float = 0.05, ratio: float = 1.0,
                                alternative: str = "two-sided") -> int:
    """Size of the first group for the two-proportion z test (Cohen's h), rounded up.

    Solves :func:`two_proportions_power` = power for n1 (both tails counted, as
    statsmodels' ``NormalIndPower().solve_power`` does); near the closed form
    n1 = (1 + 1/ratio)·((z_α + z_β)/h)². The second group is ⌈ratio·n1⌉.

    Parameters
    ----------
    p1, p2 : anticipated proportions in the two groups (p1 ≠ p2)
    power : target power, default 0.8
    alpha : significance level, default 0.05
    ratio : n2 / n1, default 1
    alternative : "two-sided" (default) or "one-sided" (in the direction of p1 − p2)

    Returns
    -------
    int: n1.

    References: Cohen (1988) ch. 6.

    >>> two_proportions_sample_size(0.5, 0.4)
    388
    """
    _proportion("p1", p1, open_interval=False)
    _proportion("p2", p2, open_interval=False)
    _level(alpha, power)
    alternative = _alternative(alternative)
    if not ratio > 0:
        raise ValueError(f"ratio = {ratio!r}: expected n2/n1 > 0")
    h = abs(cohens_h(p1, p2))
    if h == 0:
        raise ValueError(f"p1 = p2 = {p1:g}: no difference to detect")
    z_a, z_b = _z(alpha, alternative), float(stats.norm.ppf(power))
    guess = (1 + 1 / ratio) * ((z_a + z_b) / h) ** 2
    n1 = optimize.brentq(
        lambda n: two_proportions_power(n, p1, p2, alpha, ratio, alternative) - power,
        1e-6, max(2.0, 4 * guess))
    return math.ceil(n1 - 1e-9)


# ------------------------------------------------------------------ inflation

def design_effect(cluster_size: float, icc: float) -> float:
    """The design effect of clustering: deff = 1 + (m − 1)·ICC.

    m is the average number of sampled clients per cluster (therapist) and ICC the
    intraclass correlation of the outcome within clusters; n independent clients are
    worth n/deff clustered ones.

    References: Kish (1965) §5.4; Donner & Klar (2000) ch. 5.

    >>> round(design_effect(10, 0.05), 4)
    1.45
    """
    m, icc = float(cluster_size), float(icc)
    if not m >= 1:
        raise ValueError(f"cluster_size = {cluster_size!r}: expected an average of at least "
                         "1 client per therapist")
    if not 0 <= icc < 1:
        raise ValueError(f"icc = {icc!r}: expected an intraclass correlation from 0 to "
                         "below 1")
    return 1 + (m - 1) * icc


def inflated_sample_size(n: int, completion: float = 1.0, cluster_size: float = 1.0,
                         icc: float = 0.0) -> int:
    """The number to recruit so that ``n`` analysable, independent clients remain.

    n_recruit = ⌈n · deff / c⌉, with deff = :func:`design_effect` (m, ICC) and c the
    expected completion share (clients still interviewed at the end or follow-up).

    Parameters
    ----------
    n : the sample size a design function gave
    completion : expected share completing the interview (0 < c ≤ 1), default 1
    cluster_size, icc : average clients per therapist and intraclass correlation,
        default 1 and 0 (no clustering)

    Returns
    -------
    int: n_recruit.

    References: Kish (1965) §5.4; Donner & Klar (2000) ch. 5.

    >>> inflated_sample_size(155, completion=0.7, cluster_size=10, icc=0.05)
    322
    """
    n = _count("n", n)
    c = float(completion)
    if not 0 < c <= 1:
        raise ValueError(f"completion = {completion!r}: expected the share completing the "
                         "interview, above 0 and at most 1")
    return math.ceil(n * design_effect(cluster_size, icc) / c - 1e-9)
