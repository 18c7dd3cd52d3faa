"""Effect sizes from raw study data, each with its sampling variance, as metafor's escalc.

A meta-analysis starts from what the studies report: two groups' means and SDs, a 2×2
table of events, a correlation, a count of events. Each function here turns those
into an estimate yᵢ and its large-sample variance vᵢ, with the same definitions,
defaults and argument names as metafor's ``escalc`` (Viechtbauer 2010), so results
can be compared with it number for number:

========= ============================ ===========================================
measure   function                     data (escalc's argument names)
========= ============================ ===========================================
``SMD``   :func:`smd`                  m1i, sd1i, n1i, m2i, sd2i, n2i
``SMCR``  :func:`smcr`                 m1i, m2i, sd1i, ni, ri
``SMCRH`` :func:`smcrh`                m1i, m2i, sd1i, sd2i, ni, ri
``SMCC``  :func:`smcc`                 m1i, m2i, sd1i, sd2i, ni, ri
``RR``    :func:`log_risk_ratio`       ai, bi, ci, di (or ai, n1i, ci, n2i)
``OR``    :func:`log_odds_ratio`       ai, bi, ci, di (or ai, n1i, ci, n2i)
``RD``    :func:`risk_difference`      ai, bi, ci, di (or ai, n1i, ci, n2i)
``ZCOR``  :func:`fisher_z`             ri, ni
``PLO``   :func:`logit_proportion`     xi, ni (or xi, mi)
``PR``    :func:`raw_proportion`       xi, ni (or xi, mi)
========= ============================ ===========================================

:func:`escalc` dispatches on the measure's name. Every function takes scalars or numpy
arrays (broadcast together) and returns an :class:`~tincheck.stats.effect_sizes.EffectSize`
whose ``n`` is the total sample size and whose ``method`` is the measure's name.

Conventions, as metafor's defaults:

- Standardised mean differences carry Hedges' exact small-sample correction
  c(m) = Γ(m/2)/(√(m/2)Γ((m − 1)/2)) (:func:`~tincheck.stats.effect_sizes.small_sample_factor`),
  m = n₁ + n₂ − 2 or n − 1; the variance is evaluated at the corrected estimate.
- Counts: when a 2×2 table (or a proportion's events/non-events) has a zero cell,
  0.5 is added to each of its cells, and only to that table (``add=0.5``,
  ``to="only0"``); ``to`` may also be ``"all"``, ``"if0all"`` or ``"none"``.
- Impossible data (a negative SD or count, a non-whole n, events above n, a correlation
  outside −1..1) raise ValueError naming the argument, the position and the value;
  undefined results (an SD of 0, n too small for the measure, a zero cell without a
  correction) are NaN, and missing data give NaN.

References
----------
Hedges LV (1981) Distribution theory for Glass's estimator of effect size and related
estimators. J Educ Stat 6:107-128.
Becker BJ (1988) Synthesizing standardized mean-change measures. Br J Math Stat
Psychol 41:257-278.
Bonett DG (2008) Confidence intervals for standardized linear contrasts of means.
Psychol Methods 13:99-109.
Morris SB (2008) Estimating effect sizes from pretest-posttest-control group designs.
Organ Res Methods 11:364-386.
Fleiss JL, Berlin JA (2009) Effect sizes for dichotomous data. In Cooper H, Hedges LV,
Valentine JC (eds) The handbook of research synthesis and meta-analysis, 2nd ed.
Russell Sage Foundation, 237-253.
Viechtbauer W (2010) Conducting meta-analyses in R with the metafor package. J Stat
Softw 36(3):1-48.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, check_confidence, require, scalar_or_array
from .effect_sizes import EffectSize, d_pre_sd_from_summary, small_sample_factor

MEASURES = ("SMD", "SMCR", "SMCRH", "SMCC", "RR", "OR", "RD", "ZCOR", "PLO", "PR")
CONTINUITY = ("only0", "all", "if0all", "none")

# The raw columns of each measure, named as escalc's arguments; for counts, either
# the cells or the events with the group sizes.
COLUMNS = {
    "SMD": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),),
    "SMCR": (("m1i", "m2i", "sd1i", "ni", "ri"),),
    "SMCRH": (("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"),),
    "SMCC": (("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"),),
    "RR": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i")),
    "OR": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i")),
    "RD": (("ai", "bi", "ci", "di"), ("ai", "n1i", "ci", "n2i")),
    "ZCOR": (("ri", "ni"),),
    "PLO": (("xi", "ni"), ("xi", "mi")),
    "PR": (("xi", "ni"), ("xi", "mi")),
}

NAMES = {
    "SMD": "standardised mean difference (Hedges' g)",
    "SMCR": "standardised mean change, raw-score (pre) SD",
    "SMCRH": "standardised mean change, raw-score SD, Bonett's variance",
    "SMCC": "standardised mean change, change-score SD",
    "RR": "log risk ratio",
    "OR": "log odds ratio",
    "RD": "risk difference",
    "ZCOR": "Fisher's z of a correlation",
    "PLO": "logit of a proportion",
    "PR": "proportion",
}


def _arrays(**values) -> dict[str, np.ndarray]:
    arrays = {name: as_float_array(name, value) for name, value in values.items()}
    try:
        shaped = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"the arguments must have one shape (or be scalars): {shapes}") \
            from None
    return dict(zip(arrays, shaped))


def _whole(name: str, n: np.ndarray, low: int, what: str) -> None:
    require(name, n, (n >= low) & (n == np.floor(n)), f"{what} (a whole number ≥ {low})")


def _sd(name: str, sd: np.ndarray) -> None:
    require(name, sd, sd >= 0, "a standard deviation ≥ 0")


def _r(name: str, r: np.ndarray) -> None:
    require(name, r, np.abs(r) <= 1, "a correlation between -1 and 1")


def _result(yi, vi, n, measure: str, confidence: float, corrected=None) -> EffectSize:
    z = check_confidence(confidence)
    with np.errstate(invalid="ignore"):
        yi = np.where(np.isfinite(yi) & np.isfinite(vi) & (vi >= 0), yi, np.nan)
        vi = np.where(np.isnan(yi), np.nan, vi)
        se = np.sqrt(vi)
    n_out = n if np.isnan(n).any() else n.astype(int)
    return EffectSize(
        estimate=scalar_or_array(yi), variance=scalar_or_array(vi), se=scalar_or_array(se),
        ci_low=scalar_or_array(yi - z * se), ci_high=scalar_or_array(yi + z * se),
        n=n_out.item() if n_out.ndim == 0 else n_out, method=measure,
        continuity_corrected=None if corrected is None else (
            bool(corrected) if np.ndim(corrected) == 0 else np.asarray(corrected)))


def smd(m1i, sd1i, n1i, m2i, sd2i, n2i, *, small_sample_correction: bool = True,
        confidence: float = 0.95) -> EffectSize:
    """Standardised mean difference of two independent groups (Hedges' g).

    d = (m₁ − m₂)/s_p with the pooled SD s_p = √(((n₁ − 1)sd₁² + (n₂ − 1)sd₂²)/m),
    m = n₁ + n₂ − 2; g = c(m)·d with Hedges' exact factor c(m). Variance, evaluated at
    the estimate: v = 1/n₁ + 1/n₂ + g²/(2(n₁ + n₂)) (metafor's ``SMD``, ``vtype="LS"``).

    Parameters
    ----------
    m1i, sd1i, n1i, m2i, sd2i, n2i : float or array
        Mean, SD (n − 1 denominator) and size of each group; n ≥ 2.
    small_sample_correction : bool, default True
        False gives Cohen's d (with its variance evaluated at d).
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        NaN where both SDs are 0.

    References: Hedges (1981); Viechtbauer (2010). R: ``escalc("SMD", m1i, sd1i, n1i,
    m2i, sd2i, n2i)``.

    >>> es = smd(10.0, 4.0, 20, 8.0, 5.0, 25)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (0.428534, 0.09204)
    """
    a = _arrays(m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i)
    for name in ("n1i", "n2i"):
        _whole(name, a[name], 2, "a group size")
    for name in ("sd1i", "sd2i"):
        _sd(name, a[name])
    n1, n2 = a["n1i"], a["n2i"]
    m = n1 + n2 - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        sp = np.sqrt(((n1 - 1) * a["sd1i"] ** 2 + (n2 - 1) * a["sd2i"] ** 2) / m)
        d = (a["m1i"] - a["m2i"]) / np.where(sp > 0, sp, np.nan)
        yi = small_sample_factor(m) * d if small_sample_correction else d
        vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
    return _result(yi, vi, n1 + n2, "SMD", confidence)


def smcr(m1i, m2i, sd1i, ni, ri, *, confidence: float = 0.95) -> EffectSize:
    """Standardised mean change standardised by the SD of the first occasion (SMCR).

    g = c(n − 1)·(m₁ − m₂)/sd₁ with Hedges' exact factor; v = 2(1 − r)/n + g²/(2n)
    (Becker 1988; metafor's ``SMCR``). With m₁ the pre-treatment mean, m₂ the
    post-treatment mean and sd₁ the pre-treatment SD, a fall in symptoms is positive,
    as the NHS annual-report d (:func:`~tincheck.stats.effect_sizes.d_pre_sd_from_summary`
    with ``small_sample_correction=True`` is the same statistic).

    Parameters
    ----------
    m1i, m2i : float or array
        Means at the first and second occasion.
    sd1i : float or array
        SD at the first occasion.
    ni : int or array
        Number of people measured on both occasions (NaN result below 3).
    ri : float or array
        Correlation between the two occasions.
    confidence : float, default 0.95

    Returns
    -------
    EffectSize

    References: Becker (1988); Morris (2008). R: ``escalc("SMCR", m1i, m2i, sd1i, ni, ri)``.

    >>> es = smcr(110.4, 102.1, 15.3, 25, 0.75)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (0.525322, 0.025519)
    """
    a = _arrays(m1i=m1i, m2i=m2i, sd1i=sd1i, ni=ni, ri=ri)
    _whole("ni", a["ni"], 2, "a sample size")
    _sd("sd1i", a["sd1i"])
    _r("ri", a["ri"])
    es = d_pre_sd_from_summary(a["m1i"], a["m2i"], a["sd1i"], a["ni"], a["ri"],
                               small_sample_correction=True)
    return _result(np.asarray(es.estimate), np.asarray(es.variance), a["ni"], "SMCR",
                   confidence)


def _change_sd(a) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sqrt(a["sd1i"] ** 2 + a["sd2i"] ** 2 - 2 * a["ri"] * a["sd1i"] * a["sd2i"])


def smcrh(m1i, m2i, sd1i, sd2i, ni, ri, *, confidence: float = 0.95) -> EffectSize:
    """Standardised mean change with the first occasion's SD, Bonett's variance (SMCRH).

    g = c(n − 1)·(m₁ − m₂)/sd₁; v = c²·[(sd₁² + sd₂² − 2r·sd₁sd₂)/(sd₁²(n − 1))
    + g²/(2(n − 1))], which does not assume equal SDs on the two occasions (Bonett
    2008; metafor's ``SMCRH``: the variance is multiplied by c²).

    Parameters
    ----------
    m1i, m2i, sd1i, sd2i : float or array
        Means and SDs at the first and second occasion.
    ni : int or array
    ri : float or array
    confidence : float, default 0.95

    Returns
    -------
    EffectSize

    References: Bonett (2008). R: ``escalc("SMCRH", m1i, m2i, sd1i, sd2i, ni, ri)``.

    >>> es = smcrh(110.4, 102.1, 15.3, 14.6, 25, 0.75)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (0.525322, 0.024115)
    """
    a = _arrays(m1i=m1i, m2i=m2i, sd1i=sd1i, sd2i=sd2i, ni=ni, ri=ri)
    _whole("ni", a["ni"], 2, "a sample size")
    for name in ("sd1i", "sd2i"):
        _sd(name, a[name])
    _r("ri", a["ri"])
    es = d_pre_sd_from_summary(a["m1i"], a["m2i"], a["sd1i"], a["ni"], a["ri"],
                               small_sample_correction=True, variance="bonett",
                               sd_post=a["sd2i"])
    return _result(np.asarray(es.estimate), np.asarray(es.variance), a["ni"], "SMCRH",
                   confidence)


def smcc(m1i, m2i, sd1i, sd2i, ni, ri, *, confidence: float = 0.95) -> EffectSize:
    """Standardised mean change standardised by the SD of the change scores (SMCC).

    sd_d = √(sd₁² + sd₂² − 2r·sd₁sd₂), g = c(n − 1)·(m₁ − m₂)/sd_d;
    v = 1/n + g²/(2n) (Gibbons et al. 1993; metafor's ``SMCC``). This is the corrected
    d_z of :func:`~tincheck.stats.effect_sizes.d_z_from_summary`.

    Parameters
    ----------
    m1i, m2i, sd1i, sd2i : float or array
    ni : int or array
    ri : float or array
    confidence : float, default 0.95

    Returns
    -------
    EffectSize

    References: Gibbons RD, Hedeker DR, Davis JM (1993) J Educ Stat 18:271-279; Morris
    (2008). R: ``escalc("SMCC", m1i, m2i, sd1i, sd2i, ni, ri)``.

    >>> es = smcc(110.4, 102.1, 15.3, 14.6, 25, 0.75)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (0.758856, 0.051517)
    """
    a = _arrays(m1i=m1i, m2i=m2i, sd1i=sd1i, sd2i=sd2i, ni=ni, ri=ri)
    _whole("ni", a["ni"], 2, "a sample size")
    for name in ("sd1i", "sd2i"):
        _sd(name, a[name])
    _r("ri", a["ri"])
    n = a["ni"]
    with np.errstate(divide="ignore", invalid="ignore"):
        sdd = _change_sd(a)
        yi = small_sample_factor(n - 1) * (a["m1i"] - a["m2i"]) / np.where(sdd > 0, sdd, np.nan)
        vi = 1 / n + yi**2 / (2 * n)
    return _result(yi, vi, n, "SMCC", confidence)


def _cells(ai, bi, ci, di, n1i, n2i):
    """The four cells of 2×2 tables, from the cells or from events and group sizes."""
    if (bi is None) != (di is None) or (bi is None) == (n1i is None) or \
            (n1i is None) != (n2i is None):
        raise ValueError("give the four cells ai, bi, ci, di, or the events ai, ci with the "
                         "group sizes n1i, n2i")
    if bi is None:
        a = _arrays(ai=ai, n1i=n1i, ci=ci, n2i=n2i)
        for name in ("n1i", "n2i"):
            _whole(name, a[name], 1, "a group size")
        require("ai", a["ai"], (a["ai"] >= 0) & (a["ai"] <= a["n1i"])
                & (a["ai"] == np.floor(a["ai"])), "a count of events between 0 and n1i")
        require("ci", a["ci"], (a["ci"] >= 0) & (a["ci"] <= a["n2i"])
                & (a["ci"] == np.floor(a["ci"])), "a count of events between 0 and n2i")
        return a["ai"], a["n1i"] - a["ai"], a["ci"], a["n2i"] - a["ci"]
    a = _arrays(ai=ai, bi=bi, ci=ci, di=di)
    for name, x in a.items():
        require(name, x, (x >= 0) & (x == np.floor(x)), "a count (a whole number ≥ 0)")
    for first, second in (("ai", "bi"), ("ci", "di")):
        require(f"{first} + {second}", a[first] + a[second], a[first] + a[second] > 0,
                "a group of at least one person")
    return a["ai"], a["bi"], a["ci"], a["di"]


def _continuity(cells, add: float, to: str):
    """The cells with ``add`` added as metafor's ``to`` says, and where it was added."""
    if to not in CONTINUITY:
        raise ValueError(f"to = {to!r}: expected one of {', '.join(CONTINUITY)}")
    if not (isinstance(add, (int, float)) and add >= 0):
        raise ValueError(f"add = {add!r}: expected a number ≥ 0 (metafor's default 0.5)")
    zero = np.zeros(cells[0].shape, dtype=bool)
    for cell in cells:
        zero |= cell == 0
    if to == "all":
        where = np.ones_like(zero)
    elif to == "only0":
        where = zero
    elif to == "if0all":
        where = np.full_like(zero, zero.any())
    else:
        where = np.zeros_like(zero)
    where = where & (add > 0)
    return tuple(cell + add * where for cell in cells), where


def _two_by_two(ai, bi, ci, di, n1i, n2i, add, to):
    raw = _cells(ai, bi, ci, di, n1i, n2i)
    (a, b, c, d), corrected = _continuity(raw, add, to)
    return a, b, c, d, sum(raw), corrected


def log_risk_ratio(ai, bi=None, ci=None, di=None, *, n1i=None, n2i=None, add: float = 0.5,
                   to: str = "only0", confidence: float = 0.95) -> EffectSize:
    """Log risk ratio of a 2×2 table: events ai of ai + bi against ci of ci + di.

    yi = log((a/n₁)/(c/n₂)), vi = 1/a − 1/n₁ + 1/c − 1/n₂, after adding ``add`` to every
    cell of a table with a zero cell (metafor's ``RR`` with ``add=1/2, to="only0"``).

    Parameters
    ----------
    ai, bi, ci, di : int or array
        Events and non-events in group 1 (ai, bi) and group 2 (ci, di).
    n1i, n2i : int or array, optional
        Group sizes, instead of bi and di.
    add : float, default 0.5
    to : {"only0", "all", "if0all", "none"}, default "only0"
    confidence : float, default 0.95

    Returns
    -------
    EffectSize
        ``continuity_corrected`` marks the tables that were corrected.

    References: Fleiss & Berlin (2009). R: ``escalc("RR", ai, bi, ci, di)``.

    >>> es = log_risk_ratio(4, 119, 11, 128)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (-0.889311, 0.325585)
    """
    a, b, c, d, n, corrected = _two_by_two(ai, bi, ci, di, n1i, n2i, add, to)
    with np.errstate(divide="ignore", invalid="ignore"):
        n1, n2 = a + b, c + d
        yi = np.log(a / n1) - np.log(c / n2)
        vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    return _result(yi, vi, n, "RR", confidence, corrected)


def log_odds_ratio(ai, bi=None, ci=None, di=None, *, n1i=None, n2i=None, add: float = 0.5,
                   to: str = "only0", confidence: float = 0.95) -> EffectSize:
    """Log odds ratio of a 2×2 table.

    yi = log(a·d/(b·c)), vi = 1/a + 1/b + 1/c + 1/d (Woolf), after adding ``add`` to
    every cell of a table with a zero cell (metafor's ``OR``).

    Parameters
    ----------
    ai, bi, ci, di, n1i, n2i, add, to, confidence
        As for :func:`log_risk_ratio`.

    Returns
    -------
    EffectSize

    References: Fleiss & Berlin (2009). R: ``escalc("OR", ai, bi, ci, di)``.

    >>> es = log_odds_ratio(0, 22, 1, 20)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (-1.191703, 2.759892)
    """
    a, b, c, d, n, corrected = _two_by_two(ai, bi, ci, di, n1i, n2i, add, to)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(a) + np.log(d) - np.log(b) - np.log(c)
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    return _result(yi, vi, n, "OR", confidence, corrected)


def risk_difference(ai, bi=None, ci=None, di=None, *, n1i=None, n2i=None,
                    add: float = 0.5, to: str = "only0",
                    confidence: float = 0.95) -> EffectSize:
    """Risk difference of a 2×2 table.

    yi = p₁ − p₂, vi = p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂ with pⱼ from the cells after the
    continuity correction, as metafor's ``RD`` does by default (``add=1/2,
    to="only0"``, applied to the estimate and its variance).

    Parameters
    ----------
    ai, bi, ci, di, n1i, n2i, add, to, confidence
        As for :func:`log_risk_ratio`.

    Returns
    -------
    EffectSize

    References: Fleiss & Berlin (2009). R: ``escalc("RD", ai, bi, ci, di)``.

    >>> es = risk_difference(4, 119, 11, 128)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (-0.046616, 0.00078)
    """
    a, b, c, d, n, corrected = _two_by_two(ai, bi, ci, di, n1i, n2i, add, to)
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    return _result(p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2, n, "RD", confidence,
                   corrected)


def fisher_z(ri, ni, *, confidence: float = 0.95) -> EffectSize:
    """Fisher's r-to-z transformed correlation.

    yi = ½·log((1 + r)/(1 − r)) = atanh(r), vi = 1/(n − 3) (metafor's ``ZCOR``); the
    variance is undefined (NaN) for n ≤ 3, and so is yi for r = ±1.

    Parameters
    ----------
    ri : float or array
        Pearson correlation.
    ni : int or array
        Sample size.
    confidence : float, default 0.95

    Returns
    -------
    EffectSize

    References: Fisher RA (1921) Metron 1:3-32. R: ``escalc("ZCOR", ri, ni)``.

    >>> es = fisher_z(0.3, 50)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (0.30952, 0.021277)
    """
    a = _arrays(ri=ri, ni=ni)
    _r("ri", a["ri"])
    _whole("ni", a["ni"], 1, "a sample size")
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.arctanh(a["ri"])
        vi = np.where(a["ni"] > 3, 1 / (a["ni"] - 3), np.nan)
    return _result(yi, vi, a["ni"], "ZCOR", confidence)


def _proportion(xi, ni, mi, add, to):
    if (ni is None) == (mi is None):
        raise ValueError("give the events xi with the sample sizes ni, or with the "
                         "non-events mi")
    if mi is None:
        a = _arrays(xi=xi, ni=ni)
        _whole("ni", a["ni"], 1, "a sample size")
        require("xi", a["xi"], (a["xi"] >= 0) & (a["xi"] <= a["ni"])
                & (a["xi"] == np.floor(a["xi"])), "a count of events between 0 and ni")
        raw = (a["xi"], a["ni"] - a["xi"])
    else:
        a = _arrays(xi=xi, mi=mi)
        for name, x in a.items():
            require(name, x, (x >= 0) & (x == np.floor(x)), "a count (a whole number ≥ 0)")
        require("xi + mi", a["xi"] + a["mi"], a["xi"] + a["mi"] > 0,
                "a sample of at least one person")
        raw = (a["xi"], a["mi"])
    (x, m), corrected = _continuity(raw, add, to)
    return x, m, raw[0] + raw[1], corrected


def logit_proportion(xi, ni=None, *, mi=None, add: float = 0.5, to: str = "only0",
                     confidence: float = 0.95) -> EffectSize:
    """Logit of a proportion: yi = log(x/m), vi = 1/x + 1/m (m = n − x non-events).

    ``add`` is added to x and m where either is zero (metafor's ``PLO``).

    Parameters
    ----------
    xi : int or array
        Events.
    ni : int or array, optional
        Sample sizes (or give the non-events ``mi``).
    mi, add, to, confidence
        As above and for :func:`log_risk_ratio`.

    Returns
    -------
    EffectSize

    References: Viechtbauer (2010). R: ``escalc("PLO", xi=xi, ni=ni)``.

    >>> es = logit_proportion(12, 40)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (-0.847298, 0.119048)
    """
    x, m, n, corrected = _proportion(xi, ni, mi, add, to)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(x) - np.log(m)
        vi = 1 / x + 1 / m
    return _result(yi, vi, n, "PLO", confidence, corrected)


def raw_proportion(xi, ni=None, *, mi=None, add: float = 0.5, to: str = "only0",
                   confidence: float = 0.95) -> EffectSize:
    """A proportion: yi = x/n, vi = yi(1 − yi)/n.

    As metafor's ``PR`` by default, ``add`` is added to the events and non-events of a
    study with none of either, so that its variance is not 0.

    Parameters
    ----------
    xi, ni, mi, add, to, confidence
        As for :func:`logit_proportion`.

    Returns
    -------
    EffectSize

    References: Viechtbauer (2010). R: ``escalc("PR", xi=xi, ni=ni)``.

    >>> es = raw_proportion(12, 40)
    >>> round(es.estimate, 6), round(es.variance, 6)
    (0.3, 0.00525)
    """
    x, m, n, corrected = _proportion(xi, ni, mi, add, to)
    p = x / (x + m)
    return _result(p, p * (1 - p) / (x + m), n, "PR", confidence, corrected)


FUNCTIONS = {"SMD": smd, "SMCR": smcr, "SMCRH": smcrh, "SMCC": smcc, "RR": log_risk_ratio,
             "OR": log_odds_ratio, "RD": risk_difference, "ZCOR": fisher_z,
             "PLO": logit_proportion, "PR": raw_proportion}


def escalc(measure: str, *, confidence: float = 0.95, add: float = 0.5, to: str = "only0",
           **data) -> EffectSize:
    """Effect sizes and variances by measure name, with escalc's argument names.

    ``measure`` is one of SMD, SMCR, SMCRH, SMCC, RR, OR, RD, ZCOR, PLO, PR (see the
    module's table for the data each needs). Extra arguments are an error, not
    silently ignored.

    Parameters
    ----------
    measure : str
        Case-insensitive.
    confidence, add, to
        As for the measure's function (``add`` and ``to`` only for counts).
    **data
        The raw data, named as metafor's ``escalc`` arguments (m1i, sd1i, ...).

    Returns
    -------
    EffectSize

    References: Viechtbauer (2010). R: ``escalc(measure, ...)``.

    >>> es = escalc("OR", ai=[4, 6], bi=[119, 300], ci=[11, 29], di=[128, 274])
    >>> [round(float(y), 4) for y in es.estimate]
    [-0.9387, -1.6662]
    """
    key = measure.upper() if isinstance(measure, str) else measure
    if key not in FUNCTIONS:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    allowed = {name for columns in COLUMNS[key] for name in columns}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"{key} takes {' or '.join(', '.join(c) for c in COLUMNS[key])}; "
                         f"not {', '.join(unknown)}")
    extra = {"add": add, "to": to} if key in ("RR", "OR", "RD", "PLO", "PR") else {}
    return FUNCTIONS[key](**data, confidence=confidence, **extra)
