"""Small-study effects: funnel-plot asymmetry tests and trim-and-fill.

Small studies with large effects and no small studies with null effects make a funnel
plot lopsided; publication bias is one cause, others are heterogeneity and poorer
methods in small studies. These functions test for the asymmetry (Egger, Begg) and
show how the pooled estimate moves if the "missing" studies are imputed (trim-and-fill).
None of them proves or excludes bias; with fewer than 10 studies they have little power
(Sterne et al. 2011).

References
----------
Egger M, Davey Smith G, Schneider M, Minder C (1997) Bias in meta-analysis detected by a
simple, graphical test. BMJ 315:629-634.
Begg CB, Mazumdar M (1994) Operating characteristics of a rank correlation test for
publication bias. Biometrics 50:1088-1101.
Duval S, Tweedie R (2000) Trim and fill: a simple funnel-plot-based method of testing
and adjusting for publication bias in meta-analysis. Biometrics 56:455-463.
Duval S, Tweedie R (2000) A nonparametric "trim and fill" method of accounting for
publication bias in meta-analysis. J Am Stat Assoc 95:89-98.
Sterne JAC et al. (2011) Recommendations for examining and interpreting funnel plot
asymmetry in meta-analyses of randomised controlled trials. BMJ 343:d4002.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from .inputs import frozen, jsonable, prepare
from .meta import meta_analysis
from .meta_regression import meta_regression

EXACT_LIMIT = 500  # Begg: exact Kendall p-values below this many studies


@dataclass(frozen=True)
class EggerResult:
    """Egger's regression test: ``bias`` is the coefficient of the standard error.

    ``limit_estimate`` is the intercept: the predicted effect of an infinitely large
    study (SE → 0).
    """

    model: str
    method: str
    k: int
    bias: float
    bias_se: float
    statistic: float
    df: float
    pvalue: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float

    def to_dict(self) -> dict:
        return jsonable(asdict(self))


def egger_test(yi, vi=None, *, sei=None, model: str = "lm", method: str = "REML",
               level: float = 0.95) -> EggerResult:
    """Egger's regression test for funnel-plot asymmetry.

    ``model="lm"`` (default; Egger et al. 1997, the classical test): weighted least
    squares of yᵢ on SEᵢ with weights 1/vᵢ and a free residual variance,

        yᵢ = β₀ + β₁·SEᵢ + eᵢ,  t = β̂₁ / SE(β̂₁) on k − 2 df.

    This is Egger's regression of the standard normal deviate yᵢ/SEᵢ on precision
    1/SEᵢ, whose intercept is β₁ here (metafor ``regtest(res, model="lm")``).
    ``model="rma"``: the mixed-effects meta-regression on SEᵢ with τ² by ``method`` and
    a z test (metafor's default ``regtest(res)``).

    Parameters
    ----------
    yi, vi, sei : array-like
        Estimates and sampling variances (or standard errors).
    model : {"lm", "rma"}
    method : str
        τ² estimator for ``model="rma"``.
    level : float
        Level of the interval for the limit estimate.

    Returns
    -------
    EggerResult

    References: Egger et al. (1997) BMJ 315:629-634; Sterne & Egger (2005) in Rothstein,
    Sutton & Borenstein (eds) Publication bias in meta-analysis, Wiley, 99-110.

    >>> res = egger_test([0.9, 0.7, 0.5, 0.45, 0.3], [0.2, 0.1, 0.05, 0.03, 0.01])
    >>> round(res.bias, 3), round(res.pvalue, 4)
    (1.765, 0.0002)
    """
    y, v, _, _ = prepare(yi, vi, sei)
    k = y.size
    if k < 3:
        raise ValueError(f"Egger's test needs at least 3 studies (k = {k})")
    s = np.sqrt(v)
    if np.ptp(s) == 0:
        raise ValueError("Egger's test needs studies of different precision (all SEs are equal)")
    if model == "lm":
        X = np.column_stack([np.ones(k), s])
        w = 1.0 / v
        xtwx_inv = np.linalg.inv(X.T @ (X * w[:, None]))
        coef = xtwx_inv @ (X.T @ (w * y))
        df = float(k - 2)
        sigma2 = float(w @ (y - X @ coef) ** 2 / df)
        se = np.sqrt(np.diag(xtwx_inv) * sigma2)
        statistic = float(coef[1] / se[1])
        pvalue = float(2 * stats.t.sf(abs(statistic), df))
        crit = float(stats.t.ppf(1 - (1 - level) / 2, df))
        limit_low, limit_high = coef[0] - crit * se[0], coef[0] + crit * se[0]
        bias, bias_se, limit = float(coef[1]), float(se[1]), float(coef[0])
    elif model == "rma":
        fit = meta_regression(y, v, s, method=method, test="z", level=level, names=["sei"])
        row, intercept = fit.coefficient("sei"), fit.coefficient("intrcpt")
        bias, bias_se, statistic, pvalue = row["coef"], row["se"], row["statistic"], row["pvalue"]
        df = float("nan")
        limit, limit_low, limit_high = (intercept["coef"], intercept["ci_low"],
                                        intercept["ci_high"])
    else:
        raise ValueError(f"model must be 'lm' or 'rma', not {model!r}")
    return EggerResult(model=model, method=method if model == "rma" else "WLS", k=k,
                       bias=bias, bias_se=bias_se, statistic=statistic, df=df, pvalue=pvalue,
                       limit_estimate=limit, limit_ci_low=float(limit_low),
                       limit_ci_high=float(limit_high))


@dataclass(frozen=True)
class BeggResult:
    """Begg and Mazumdar's rank correlation test (Kendall's τ_b and its p-value)."""

    k: int
    tau: float
    pvalue: float
    exact: bool

    def to_dict(self) -> dict:
        return jsonable(asdict(self))


def begg_test(yi, vi=None, *, sei=None) -> BeggResult:
    """Begg and Mazumdar's rank correlation test for funnel-plot asymmetry.

    Kendall's τ between the standardised deviates yᵢ* = (yᵢ − θ̂)/√(vᵢ − v_θ) and the
    variances vᵢ, where θ̂ = Σyᵢ/vᵢ / Σ1/vᵢ is the fixed-effect estimate and
    v_θ = 1/Σ(1/vᵢ). The p-value is exact (permutation distribution of Kendall's
    statistic) when there are no ties, otherwise from the normal approximation with the
    tie-corrected variance - as R's ``cor.test(method="kendall", exact=TRUE)`` inside
    metafor's ``ranktest``. From 500 studies on the normal approximation is used (the
    exact distribution takes seconds to compute there; metafor stays exact).

    Returns
    -------
    BeggResult

    References: Begg & Mazumdar (1994) Biometrics 50:1088-1101.

    >>> res = begg_test([0.9, 0.7, 0.5, 0.45, 0.3], [0.2, 0.1, 0.05, 0.03, 0.01])
    >>> round(res.tau, 2), round(res.pvalue, 4)
    (1.0, 0.0167)
    """
    y, v, _, _ = prepare(yi, vi, sei)
    k = y.size
    if k < 3:
        raise ValueError(f"Begg's test needs at least 3 studies (k = {k})")
    if np.ptp(v) == 0:
        raise ValueError("Begg's test needs studies of different precision (all variances "
                         "are equal)")
    w = 1.0 / v
    theta = float(w @ y / w.sum())
    deviates = (y - theta) / np.sqrt(v - 1.0 / w.sum())
    ties = np.unique(deviates).size < k or np.unique(v).size < k
    exact = not ties and k < EXACT_LIMIT
    result = stats.kendalltau(deviates, v, method="exact" if exact else "asymptotic")
    return BeggResult(k=k, tau=float(result.statistic), pvalue=float(result.pvalue),
                      exact=exact)


@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: the number of imputed studies, where, and the adjusted analysis.

    ``filled_yi``/``filled_vi`` are the imputed studies (mirror images of the most
    extreme studies on the other side); ``adjusted`` pools observed and imputed ones.
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    iterations: int
    original: object  # MetaResult
    adjusted: object  # MetaResult
    filled_yi: np.ndarray = field(repr=False)
    filled_vi: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return jsonable({
            "k0": self.k0, "se_k0": self.se_k0, "side": self.side,
            "estimator": self.estimator, "iterations": self.iterations,
            "filled": [{"yi": y, "vi": v} for y, v in zip(self.filled_yi.tolist(),
                                                          self.filled_vi.tolist())],
            "original": self.original.to_dict(), "adjusted": self.adjusted.to_dict(),
        })


def _missing_count(centred: np.ndarray, estimator: str) -> tuple[float, float]:
    """k0 and its SE from the signed ranks of |yᵢ − μ̂| (Duval & Tweedie 2000)."""
    k = centred.size
    ranks = np.empty(k)
    ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)  # ties: first
    signed = np.sign(centred) * ranks
    if estimator == "R0":
        longest = np.max(-signed[signed < 0]) if (signed < 0).any() else 0.0
        k0 = (k - longest) - 1
        return k0, float(np.sqrt(2 * max(0.0, k0) + 2))
    s_rank = signed[signed > 0].sum()  # Wilcoxon statistic of the positive side
    k0 = (4 * s_rank - k * (k + 1)) / (2 * k - 1)
    var_s = (k * (k + 1) * (2 * k + 1) + 10 * k0**3 + 27 * k0**2 + 17 * k0
             - 18 * k * k0**2 - 18 * k * k0 + 6 * k**2 * k0) / 24
    return k0, float(4 * np.sqrt(max(0.0, var_s)) / (2 * k - 1))


def trim_and_fill(yi, vi=None, *, sei=None, method: str = "REML", test: str = "z",
                  level: float = 0.95, side: str | None = None, estimator: str = "L0",
                  labels=None, maxiter: int = 100) -> TrimFillResult:
    """Duval and Tweedie's trim-and-fill: impute the studies a lopsided funnel lacks.

    Studies are sorted so that the suspected missing ones would lie on the left. Then,
    starting from k0 = 0: pool the k − k0 smallest estimates (``method``), centre all k
    estimates on that pooled value, rank the absolute centred values, and update

        L0: k0 = (4·S_r − k(k + 1)) / (2k − 1),  S_r = sum of the positive signed ranks,
        R0: k0 = γ* − 1, γ* = length of the rightmost run of positive ranks,

    rounded and truncated at 0, until k0 stops changing. The k0 most extreme studies
    are then mirrored around the last pooled value, μ̂ − (yᵢ − μ̂), and everything is
    pooled again. SE(k0) for L0 is 4·√Var(S_r)/(2k − 1) (metafor).

    ``side=None`` chooses the side automatically, as metafor does: from the sign of the
    slope of a meta-regression of yᵢ on SEᵢ (same τ² method): a negative slope puts the
    missing studies on the right, otherwise on the left.

    Parameters
    ----------
    yi, vi, sei, method, test, level, labels
        As for :func:`tincheck.stats.meta.meta_analysis`.
    side : {"left", "right"}, optional
    estimator : {"L0", "R0"}
    maxiter : int

    Returns
    -------
    TrimFillResult

    References: Duval & Tweedie (2000a, 2000b); Duval (2005) in Rothstein, Sutton &
    Borenstein (eds) Publication bias in meta-analysis, Wiley, 127-144.

    >>> res = trim_and_fill([0.9, 0.7, 0.5, 0.45, 0.3], [0.2, 0.1, 0.05, 0.03, 0.01],
    ...                     method="FE")
    >>> res.k0, res.side
    (3, 'left')
    """
    if estimator not in ("L0", "R0"):
        raise ValueError(f"estimator must be 'L0' or 'R0', not {estimator!r}")
    y, v, names, _ = prepare(yi, vi, sei, labels)
    k = y.size
    if k < 3:
        raise ValueError(f"trim-and-fill needs at least 3 studies (k = {k})")
    original = meta_analysis(y, v, method=method, test=test, level=level, labels=names)
    if side is None:
        if np.ptp(v) == 0:
            raise ValueError("trim-and-fill cannot choose a side when every study has the "
                             "same standard error; pass side='left' or 'right'")
        slope = meta_regression(y, v, np.sqrt(v), method=method).coef[1]
        side = "right" if slope < 0 else "left"
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left', 'right' or None, not {side!r}")
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * y, kind="stable")
    ys, vs = sign * y[order], v[order]

    k0, previous, iterations = 0, -1, 0
    while k0 != previous:
        iterations += 1
        if iterations > maxiter:
            raise RuntimeError(f"trim-and-fill did not converge in {maxiter} iterations")
        previous = k0
        centre = meta_analysis(ys[:k - k0], vs[:k - k0], method=method).estimate
        estimate, se_k0 = _missing_count(ys - centre, estimator)
        k0 = max(0, int(np.round(estimate)))  # numpy rounds half to even, as R does

    if k0 == 0:
        return TrimFillResult(k0=0, se_k0=max(0.0, se_k0), side=side, estimator=estimator,
                              iterations=iterations, original=original, adjusted=original,
                              filled_yi=frozen([]), filled_vi=frozen([]))
    filled_y = sign * (2 * centre - ys[k - k0:])
    filled_v = vs[k - k0:]
    adjusted = meta_analysis(np.concatenate([y, filled_y]), np.concatenate([v, filled_v]),
                             method=method, test=test, level=level,
                             labels=list(names) + [f"Filled {i + 1}" for i in range(k0)])
    return TrimFillResult(k0=k0, se_k0=max(0.0, se_k0), side=side, estimator=estimator,
                          iterations=iterations, original=original, adjusted=adjusted,
                          filled_yi=frozen(filled_y), filled_vi=frozen(filled_v))
