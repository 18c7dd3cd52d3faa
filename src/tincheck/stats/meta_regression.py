"""Mixed-effects meta-regression: study estimates on study-level moderators.

yᵢ = xᵢᵀβ + uᵢ + εᵢ, uᵢ ~ N(0, τ²), εᵢ ~ N(0, vᵢ). β̂ = (XᵀWX)⁻¹XᵀWy with
W = diag(1/(vᵢ + τ̂²)) and τ̂² from :mod:`tincheck.stats.tau2` with the same design
matrix. Used by Egger's test (``model="rma"``), by trim-and-fill to choose its side, and
available for moderator analyses of coded study features.

References
----------
Thompson SG, Sharp SJ (1999) Explaining heterogeneity in meta-analysis: a comparison of
methods. Stat Med 18:2693-2708.
Knapp G, Hartung J (2003) Improved tests for a random effects meta-regression with a
single covariate. Stat Med 22:2693-2710.
Viechtbauer W (2010) Conducting meta-analyses in R with the metafor package. J Stat Softw
36(3):1-48.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .inputs import TESTS, prepare
from .tau2 import design, estimate_tau2, projection, residual_q, tau2_q_profile_ci


@dataclass(frozen=True)
class MetaRegressionResult:
    """Coefficients with their tests, τ², and the Q_E / Q_M tests.

    Q_E tests residual heterogeneity (weights 1/vᵢ, χ²(k − p)); Q_M is the omnibus test
    of every coefficient but the intercept: χ²(m) under the z test, F(m, k − p) (stored
    as the F value) under Hartung-Knapp. ``tau2_ci_low``/``tau2_ci_high`` are the
    Q-profile interval of the residual τ²; ``I2``, ``H2`` are residual heterogeneity and
    ``R2`` the percentage of τ² accounted for by the moderators (metafor's definitions;
    NaN without an intercept).
    """

    method: str
    test: str
    level: float
    k: int
    names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: float
    tau2: float
    QE: float
    QE_df: int
    QE_pvalue: float
    QM: float
    QM_df: int
    QM_pvalue: float
    vcov: np.ndarray = field(repr=False)
    tau2_ci_low: float = float("nan")
    tau2_ci_high: float = float("nan")
    I2: float = float("nan")
    H2: float = float("nan")
    R2: float = float("nan")

    def coefficient(self, name: str) -> dict:
        """One coefficient's row: estimate, se, statistic, p and interval."""
        i = self.names.index(name)
        return {"coef": float(self.coef[i]), "se": float(self.se[i]),
                "statistic": float(self.statistic[i]), "pvalue": float(self.pvalue[i]),
                "ci_low": float(self.ci_low[i]), "ci_high": float(self.ci_high[i])}


def meta_regression(yi, vi=None, moderators=None, *, sei=None, method: str = "REML",
                    test: str = "z", level: float = 0.95, names=None,
                    intercept: bool = True) -> MetaRegressionResult:
    """Mixed-effects meta-regression of ``yi`` on ``moderators`` (k × m).

    β̂ = (XᵀWX)⁻¹XᵀWy, Var(β̂) = (XᵀWX)⁻¹, X = [1, moderators] (the column of ones
    only if ``intercept``). ``test="z"``: Wald z tests; ``"knha"``: Var(β̂) scaled by
    s² = Σwᵢ(yᵢ − xᵢᵀβ̂)²/(k − p) and t(k − p) tests; ``"knha_adhoc"``: s² floored at 1.
    ``method="FE"`` fits the fixed-effects (τ² = 0) model.

    Residual heterogeneity as metafor reports it: I² = 100·τ̂²/(τ̂² + ṽ) and
    H² = τ̂²/ṽ + 1 with ṽ = (k − p)/tr(P₀), P₀ the projection with weights 1/vᵢ (for FE:
    I² = max(0, 100(Q_E − (k − p))/Q_E), H² = Q_E/(k − p)); the Q-profile interval of
    τ² solves yᵀP(τ²)y = χ²(k − p) quantiles (Viechtbauer 2007). R² is the proportional
    reduction of τ² from the model without moderators (same ``method``):
    max(0, 100·(τ̂²₀ − τ̂²)/τ̂²₀), 0 when τ̂²₀ = 0 (Raudenbush 2009); for FE, the adjusted
    R² of the weighted least-squares fit (weights 1/vᵢ), as metafor.

    Parameters
    ----------
    yi, vi, sei : array-like
        Estimates and sampling variances (or standard errors; give one).
    moderators : array-like, k or k × m
    method, test, level
        As for :func:`tincheck.stats.meta.meta_analysis`.
    names : sequence of str, optional
        Moderator names (default x1, x2, ...); the intercept is called "intrcpt".

    Returns
    -------
    MetaRegressionResult

    References: Thompson & Sharp (1999); Knapp & Hartung (2003); Raudenbush (2009) in
    Cooper, Hedges & Valentine (eds) The handbook of research synthesis and
    meta-analysis, 295-315; Viechtbauer (2007, 2010). R: ``rma(yi, vi, mods = ~ x,
    method = method, test = test)``; ``confint(res)`` for the τ² interval.

    >>> res = meta_regression([0.1, 0.2, 0.35, 0.4], [0.01] * 4, [0, 1, 2, 3], method="FE")
    >>> [round(float(b), 3) for b in res.coef]
    [0.105, 0.105]
    """
    if moderators is None:
        raise ValueError("moderators are required (use meta_analysis for no moderators)")
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")
    y, v, _, _ = prepare(yi, vi, sei)
    mods = np.asarray(moderators, dtype=float).reshape(y.size, -1)
    m = mods.shape[1]
    names = tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(m))
    X = design(np.column_stack([np.ones(y.size), mods]) if intercept else mods, y.size)
    k, p = X.shape
    if k <= p:
        raise ValueError(f"{k} studies cannot fit {p} coefficients")
    tau2 = estimate_tau2(y, v, method, X)
    w = 1.0 / (v + tau2)
    vcov = np.linalg.inv(X.T @ (X * w[:, None]))
    coef = vcov @ (X.T @ (w * y))
    alpha = 1 - level
    if test == "z":
        df = float("nan")
        crit = float(stats.norm.ppf(1 - alpha / 2))
    else:
        s2 = float(w @ (y - X @ coef) ** 2 / (k - p))
        vcov = vcov * (max(1.0, s2) if test == "knha_adhoc" else s2)
        df = float(k - p)
        crit = float(stats.t.ppf(1 - alpha / 2, df))
    se = np.sqrt(np.diag(vcov))
    statistic = coef / se
    pvalue = 2 * (stats.norm.sf(np.abs(statistic)) if test == "z"
                  else stats.t.sf(np.abs(statistic), df))
    tested = slice(1, p) if intercept else slice(0, p)
    b = coef[tested]
    qm_df = b.size
    if qm_df:
        qm = float(b @ np.linalg.solve(vcov[tested, tested], b))
        if test == "z":
            qm_p = float(stats.chi2.sf(qm, qm_df))
        else:
            qm /= qm_df
            qm_p = float(stats.f.sf(qm, qm_df, df))
    else:
        qm, qm_p = float("nan"), float("nan")
    qe = residual_q(y, v, 0.0, X)
    P0 = projection(v, 0.0, X)
    typical = (k - p) / float(np.trace(P0))
    if method == "FE":
        i2 = max(0.0, 100 * (qe - (k - p)) / qe) if qe > 0 else 0.0
        h2 = qe / (k - p)
    else:
        i2, h2 = 100 * tau2 / (typical + tau2), tau2 / typical + 1
    tau2_low, tau2_high = tau2_q_profile_ci(y, v, level, X=X)
    r2 = _r_squared(y, v, X, coef, tau2, method) if intercept and p > 1 else float("nan")
    return MetaRegressionResult(
        method=method, test=test, level=level, k=k,
        names=(("intrcpt",) if intercept else ()) + names,
        coef=coef, se=se, statistic=statistic, pvalue=pvalue,
        ci_low=coef - crit * se, ci_high=coef + crit * se, df=df, tau2=float(tau2),
        QE=qe, QE_df=k - p, QE_pvalue=float(stats.chi2.sf(qe, k - p)),
        QM=qm, QM_df=qm_df, QM_pvalue=qm_p, vcov=vcov, tau2_ci_low=tau2_low,
        tau2_ci_high=tau2_high, I2=float(i2), H2=float(h2), R2=r2)


def _r_squared(y, v, X, coef, tau2: float, method: str) -> float:
    """metafor's R² (percent): the share of τ² the moderators account for; for a
    fixed-effects model the adjusted R² of the weighted regression."""
    k, p = X.shape
    if method == "FE":
        if np.ptp(y) == 0:
            return 0.0
        w = 1.0 / v
        fitted = X @ coef
        rss = float(w @ (y - fitted) ** 2)
        mss = float(w @ (fitted - w @ fitted / w.sum()) ** 2)
        adjusted = 1 - (1 - mss / (mss + rss)) * (k - 1) / (k - p)
        return max(0.0, 100 * adjusted)
    tau2_0 = estimate_tau2(y, v, method)
    if tau2_0 == 0:
        return 0.0
    return max(0.0, 100 * (tau2_0 - tau2) / tau2_0)
