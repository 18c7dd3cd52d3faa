"""Meta-analysis of study effect sizes: pooled estimate, heterogeneity, subgroups.

``meta_analysis`` pools k study estimates yᵢ with sampling variances vᵢ by inverse-
variance weighting, wᵢ = 1/(vᵢ + τ²), with τ² from one of nine estimators (FE: τ² = 0,
DL, REML, ML, PM, SJ, HE, HS, EB; see :mod:`tincheck.stats.tau2`), and a Wald (z) or
Hartung-Knapp (t) test. Heterogeneity follows metafor's definitions so results can be
compared with it number for number. Small-study tests live in :mod:`tincheck.stats.small_study` and are
re-exported here.

References
----------
DerSimonian R, Laird N (1986) Meta-analysis in clinical trials. Control Clin Trials
7:177-188.
Hartung J, Knapp G (2001) A refined method for the meta-analysis of controlled clinical
trials with binary outcome. Stat Med 20:3875-3889.
Knapp G, Hartung J (2003) Improved tests for a random effects meta-regression with a
single covariate. Stat Med 22:2693-2710.
Higgins JPT, Thompson SG (2002) Quantifying heterogeneity in a meta-analysis. Stat Med
21:1539-1558.
Viechtbauer W (2007) Confidence intervals for the amount of heterogeneity in
meta-analysis. Stat Med 26:37-52.
Viechtbauer W (2010) Conducting meta-analyses in R with the metafor package. J Stat Softw
36(3):1-48.
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009) Introduction to meta-analysis,
ch. 19 (subgroup analyses). Wiley.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from .inputs import TESTS, frozen, jsonable, prepare
from .tau2 import ESTIMATORS, estimate_tau2, residual_q, tau2_q_profile_ci

METHODS = ESTIMATORS


def cochran_q(yi, vi):
    """Cochran's Q test of homogeneity: Q = Σ wᵢ (yᵢ − ȳ_w)², wᵢ = 1/vᵢ, df = k − 1.

    Under homogeneity Q ~ χ²(k − 1). Returns (Q, df, p); p is NaN when k = 1.

    References: Cochran (1954) Biometrics 10:101-129.

    >>> [round(x, 4) for x in cochran_q([0.0, 1.0, 3.0], [0.5, 0.5, 0.5])]
    [9.3333, 2, 0.0094]
    """
    y = np.asarray(yi, dtype=float)
    q = residual_q(y, vi) if y.size > 1 else 0.0
    df = y.size - 1
    return q, df, float(stats.chi2.sf(q, df)) if df > 0 else float("nan")


def typical_variance(vi) -> float:
    """The 'typical' within-study variance of Higgins & Thompson (2002), as in metafor.

    ṽ = (k − 1) Σwᵢ / ((Σwᵢ)² − Σwᵢ²), wᵢ = 1/vᵢ. NaN when k = 1.

    >>> typical_variance([0.5, 0.5, 0.5])
    0.5
    """
    w = 1.0 / np.asarray(vi, dtype=float)
    if w.size < 2:
        return float("nan")
    return float((w.size - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


def i_squared(tau2, vi) -> float:
    """I² (percent): share of total variance due to heterogeneity, 100·τ²/(τ² + ṽ).

    ṽ is :func:`typical_variance`. For DL this equals 100·(Q − df)/Q (truncated at 0);
    for the other estimators it does not (metafor's definition; Higgins & Thompson 2002).

    >>> round(i_squared(1.5, [0.5, 0.5, 0.5]), 1)
    75.0
    """
    vt = typical_variance(vi)
    return float(100 * tau2 / (tau2 + vt))


def h_squared(tau2, vi) -> float:
    """H² = (τ² + ṽ)/ṽ: total over within-study variance (Higgins & Thompson 2002).

    >>> h_squared(1.5, [0.5, 0.5, 0.5])
    4.0
    """
    vt = typical_variance(vi)
    return float((tau2 + vt) / vt)


@dataclass(frozen=True)
class MetaResult:
    """One pooled analysis: the estimate, its test, heterogeneity and the inputs.

    ``weights`` are percentages summing to 100 (metafor's ``weights()``); ``df`` is NaN
    for the z test; ``I2`` is a percentage. Intervals use ``level``.
    """

    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    pvalue: float
    df: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    tau: float
    I2: float
    I2_ci_low: float
    I2_ci_high: float
    H2: float
    H2_ci_low: float
    H2_ci_high: float
    Q: float
    Q_df: int
    Q_pvalue: float
    pi_low: float
    pi_high: float
    weights: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = field(repr=False)
    yi: np.ndarray = field(repr=False)
    vi: np.ndarray = field(repr=False)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Every field as JSON-ready data (NaN → None), studies as a list of rows."""
        data = {k: v for k, v in asdict(self).items()
                if k not in ("weights", "labels", "yi", "vi")}
        data["studies"] = [
            {"label": lab, "yi": y, "vi": v, "weight_percent": w}
            for lab, y, v, w in zip(self.labels, self.yi.tolist(), self.vi.tolist(),
                                    self.weights.tolist())]
        return jsonable(data)


def meta_analysis(yi, vi=None, *, sei=None, method: str = "REML", test: str = "z",
                  level: float = 0.95, labels=None, missing: str = "raise") -> MetaResult:
    """Fixed- or random-effects meta-analysis of k study estimates.

    μ̂ = Σwᵢyᵢ / Σwᵢ with wᵢ = 1/(vᵢ + τ̂²), SE = √(1/Σwᵢ), τ̂² by ``method``:
    "FE" (τ² = 0), "DL", "REML", "ML", "PM", "SJ", "HE", "HS" or "EB"
    (:mod:`tincheck.stats.tau2`).

    Tests (``test``):

    - "z": Wald test and interval, μ̂ ± z₁₋α/₂·SE.
    - "knha": Hartung-Knapp: SE² scaled by q = Σwᵢ(yᵢ − μ̂)²/(k − 1), t with k − 1 df.
    - "knha_adhoc": the same with q floored at 1 (Knapp & Hartung 2003 "ad hoc"
      correction; metafor ``test="adhoc"``), never narrower than the z interval.

    Heterogeneity: Q, df and p are Cochran's (weights 1/vᵢ) whatever the method; I² and
    H² follow metafor: 100·τ²/(τ² + ṽ) and (τ² + ṽ)/ṽ with ṽ the typical within-study
    variance, except for FE where I² = max(0, 100·(Q − df)/Q) and H² = Q/df. The τ²
    interval is the Q-profile interval (any method); I² and H² intervals follow from it.
    The prediction interval is μ̂ ± c·√(SE² + τ̂²), c from z, or from t(k − 1) under
    Hartung-Knapp (metafor's ``predict``).

    Parameters
    ----------
    yi : array-like
        Study estimates (e.g. standardised mean differences, log risk ratios).
    vi, sei : array-like
        Sampling variances or standard errors (give exactly one).
    method : {"REML", "DL", "PM", "ML", "FE", "SJ", "HE", "HS", "EB"}
        Case-insensitive.
    test : {"z", "knha", "knha_adhoc"}
    level : float
        Confidence level of every interval (default 0.95).
    labels : sequence of str, optional
        Study labels (default "Study 1", ...).
    missing : {"raise", "omit"}
        What to do with NaN in yi or vi.

    Returns
    -------
    MetaResult

    References: DerSimonian & Laird (1986); Viechtbauer (2005, 2007, 2010); Paule &
    Mandel (1982); Hartung & Knapp (2001); Knapp & Hartung (2003); Higgins & Thompson
    (2002); Higgins, Thompson & Spiegelhalter (2009) J R Stat Soc A 172:137-159.

    >>> res = meta_analysis([0.1, 0.3, 0.35, 0.6], [0.01, 0.02, 0.015, 0.03], method="DL")
    >>> round(res.estimate, 4), round(res.tau2, 4)
    (0.3089, 0.0224)
    """
    method = method.upper() if isinstance(method, str) else method
    test = test.lower() if isinstance(test, str) else test
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    y, v, names, notes = prepare(yi, vi, sei, labels, missing)
    k = y.size
    if test != "z" and k < 2:
        raise ValueError("the Hartung-Knapp test needs at least 2 studies (k - 1 df)")
    if test != "z" and method == "FE":
        notes.append("Hartung-Knapp adjustment applied to a fixed-effect model "
                     "(it is meant for random-effects models)")
    if k == 1:
        notes.append("one study: no heterogeneity can be estimated (tau^2 = 0)")

    tau2 = estimate_tau2(y, v, method) if k > 1 else 0.0
    w = 1.0 / (v + tau2)
    estimate = float(w @ y / w.sum())
    se = float(np.sqrt(1.0 / w.sum()))
    alpha = 1 - level
    if test == "z":
        df = float("nan")
        crit = float(stats.norm.ppf(1 - alpha / 2))
    else:
        scale = float(w @ (y - estimate) ** 2 / (k - 1))
        if test == "knha_adhoc":
            scale = max(1.0, scale)
        se *= float(np.sqrt(scale))
        df = float(k - 1)
        crit = float(stats.t.ppf(1 - alpha / 2, df))
    if se == 0:  # Hartung-Knapp with identical estimates: the scale q is 0
        notes.append("every estimate equals the pooled one: the Hartung-Knapp standard "
                     "error is 0 (test='knha_adhoc' keeps the z standard error)")
        statistic = np.copysign(np.inf, estimate) if estimate != 0 else float("nan")
    else:
        statistic = estimate / se
    pvalue = float(2 * (stats.norm.sf(abs(statistic)) if test == "z"
                        else stats.t.sf(abs(statistic), df)))
    half_pi = crit * float(np.sqrt(se**2 + tau2))

    q, q_df, q_p = cochran_q(y, v)
    tau2_low, tau2_high = tau2_q_profile_ci(y, v, level) if k > 1 else (np.nan, np.nan)
    if k == 1:
        i2 = h2 = float("nan")
    elif method == "FE":
        i2 = max(0.0, 100 * (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df
    else:
        i2, h2 = i_squared(tau2, v), h_squared(tau2, v)
    bounds = (tau2_low, tau2_high)
    i2_ci = [i_squared(t, v) if k > 1 else np.nan for t in bounds]
    h2_ci = [h_squared(t, v) if k > 1 else np.nan for t in bounds]

    return MetaResult(
        method=method, test=test, level=level, k=k,
        estimate=estimate, se=se, ci_low=estimate - crit * se, ci_high=estimate + crit * se,
        statistic=float(statistic), pvalue=pvalue, df=df,
        tau2=float(tau2), tau2_ci_low=float(tau2_low), tau2_ci_high=float(tau2_high),
        tau=float(np.sqrt(tau2)),
        I2=float(i2), I2_ci_low=float(i2_ci[0]), I2_ci_high=float(i2_ci[1]),
        H2=float(h2), H2_ci_low=float(h2_ci[0]), H2_ci_high=float(h2_ci[1]),
        Q=float(q), Q_df=int(q_df), Q_pvalue=q_p,
        pi_low=estimate - half_pi, pi_high=estimate + half_pi,
        weights=frozen(100 * w / w.sum()), labels=names, yi=frozen(y), vi=frozen(v),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class SubgroupResult:
    """Separate pooled estimates per subgroup and the test of their difference.

    ``Q_between`` is Σ w_g (μ̂_g − μ̄)², w_g = 1/SE_g², over the subgroup estimates,
    with G − 1 df (each subgroup keeps its own τ²).
    """

    feature: str
    groups: dict[str, MetaResult]
    overall: MetaResult
    Q_between: float
    Q_between_df: int
    Q_between_pvalue: float
    Q_within: float
    Q_within_df: int
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return jsonable({
            "feature": self.feature,
            "groups": {g: r.to_dict() for g, r in self.groups.items()},
            "overall": self.overall.to_dict(),
            "Q_between": self.Q_between, "Q_between_df": self.Q_between_df,
            "Q_between_pvalue": self.Q_between_pvalue,
            "Q_within": self.Q_within, "Q_within_df": self.Q_within_df,
            "notes": list(self.notes),
        })


def subgroup_analysis(yi, vi=None, groups=None, *, sei=None, method: str = "REML",
                      test: str = "z", level: float = 0.95, labels=None,
                      feature: str = "group", missing: str = "raise") -> SubgroupResult:
    """Meta-analysis within each subgroup, and the Q-between test of their difference.

    Each subgroup g is pooled on its own (its own τ²; Borenstein et al. 2009, ch. 19;
    the Cochrane Handbook's default). The subgroup estimates μ̂_g with standard errors
    SE_g are then compared by a fixed-effect test:

        Q_between = Σ_g w_g (μ̂_g − μ̄)²,  w_g = 1/SE_g²,  μ̄ = Σ w_g μ̂_g / Σ w_g,

    referred to χ²(G − 1). This equals ``meta_analysis(estimates, sei=ses,
    method="FE").Q`` in metafor terms. Under Hartung-Knapp the subgroup SEs are the
    adjusted ones; a subgroup of one study falls back to the z test (noted). Q_within is
    Σ Q_g with Σ (k_g − 1) df; for ``method="FE"`` Q_between + Q_within = Q.

    Parameters
    ----------
    yi, vi, sei, method, test, level, labels, missing
        As for :func:`meta_analysis`.
    groups : sequence
        The subgroup of each study (any values; shown as text). Groups keep the order in
        which they first appear.
    feature : str
        Name of the grouping feature, for the result and reports.

    Returns
    -------
    SubgroupResult

    References: Borenstein, Hedges, Higgins & Rothstein (2009) ch. 19; Deeks, Higgins &
    Altman, Cochrane Handbook ch. 10.11.

    >>> res = subgroup_analysis([0.2, 0.3, 0.8, 0.9], [0.01] * 4, ["a", "a", "b", "b"])
    >>> round(res.Q_between, 2), round(res.Q_between_pvalue, 6)
    (36.0, 0.0)
    """
    if groups is None:
        raise ValueError("groups is required: the subgroup of each study")
    g = np.asarray([str(x) for x in groups], dtype=object)
    size = np.atleast_1d(np.asarray(yi)).size
    if g.size != size:
        raise ValueError(f"{g.size} group values for {size} studies")
    notes: list[str] = []
    if missing == "omit":  # drop incomplete studies together with their group values
        y_raw = np.asarray(yi, dtype=float)
        spread = np.asarray(vi if sei is None else sei, dtype=float)
        keep = ~(np.isnan(y_raw) | np.isnan(spread))
        if not keep.all():
            notes.append(f"{int((~keep).sum())} study(ies) with missing yi or vi omitted")
            labels = None if labels is None else [x for x, k in zip(labels, keep) if k]
            yi, g = y_raw[keep], g[keep]
            vi, sei = (spread[keep], None) if sei is None else (None, spread[keep])
    elif missing != "raise":
        raise ValueError(f"missing must be 'raise' or 'omit', not {missing!r}")
    y, v, names, _ = prepare(yi, vi, sei, labels)
    overall = meta_analysis(y, v, method=method, test=test, level=level, labels=names)
    order = list(dict.fromkeys(g.tolist()))
    fits: dict[str, MetaResult] = {}
    for name in order:
        mask = g == name
        group_test = test
        if test != "z" and mask.sum() < 2:
            group_test = "z"
            notes.append(f"subgroup {name!r} has one study: z test used for it")
        fits[name] = meta_analysis(y[mask], v[mask], method=method, test=group_test,
                                   level=level, labels=[n for n, m in zip(names, mask) if m])
    est = np.array([r.estimate for r in fits.values()])
    wg = 1.0 / np.array([r.se for r in fits.values()]) ** 2
    qb = float(wg @ (est - wg @ est / wg.sum()) ** 2) if len(fits) > 1 else 0.0
    qb_df = len(fits) - 1
    qw = float(sum(r.Q for r in fits.values()))
    qw_df = int(sum(r.Q_df for r in fits.values()))
    if len(fits) < 2:
        notes.append(f"only one subgroup of {feature!r}: no between-group test")
    return SubgroupResult(
        feature=feature, groups=fits, overall=overall, Q_between=qb, Q_between_df=qb_df,
        Q_between_pvalue=float(stats.chi2.sf(qb, qb_df)) if qb_df > 0 else float("nan"),
        Q_within=qw, Q_within_df=qw_df, notes=tuple(notes))


# Small-study tests live in tincheck.stats.small_study, which builds on meta_analysis;
# callers also find them here (as documented), loaded when first asked for, so the two
# modules do not import each other.
SMALL_STUDY = ("BeggResult", "EggerResult", "TrimFillResult", "begg_test", "egger_test",
               "trim_and_fill")


def __getattr__(name: str):
    if name in SMALL_STUDY:
        from . import small_study

        return getattr(small_study, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["METHODS", "TESTS", "MetaResult", "SubgroupResult", "cochran_q", "h_squared",
           "i_squared", "meta_analysis", "subgroup_analysis", "tau2_q_profile_ci",
           "typical_variance", *SMALL_STUDY]
