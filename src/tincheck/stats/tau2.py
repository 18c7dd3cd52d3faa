"""Between-study variance τ² of a random- or mixed-effects meta-analysis.

Each estimator takes the study estimates ``yi``, their sampling variances ``vi`` and,
optionally, a design matrix ``X`` (k × p; default a column of ones, the intercept-only
model of an ordinary meta-analysis). All of them work through the projection matrix

    P(τ²) = W − W X (XᵀWX)⁻¹ XᵀW,   W = diag(1 / (vᵢ + τ²)),

so that yᵀP y is the (generalised) residual Q statistic and tr(P), tr(PP) are the
quantities of the likelihood equations. Estimates are truncated at zero.

References
----------
DerSimonian R, Laird N (1986) Meta-analysis in clinical trials. Control Clin Trials
7:177-188.
Paule RC, Mandel J (1982) Consensus values and weighting factors. J Res Natl Bur Stand
87:377-385.
Viechtbauer W (2005) Bias and efficiency of meta-analytic variance estimators in the
random-effects model. J Educ Behav Stat 30:261-293.
Raudenbush SW (2009) Analyzing effect sizes: random-effects models. In Cooper H,
Hedges LV, Valentine JC (eds) The handbook of research synthesis and meta-analysis,
2nd ed. Russell Sage Foundation, 295-315.
Hedges LV, Olkin I (1985) Statistical methods for meta-analysis. Academic Press.
Hunter JE, Schmidt FL (2004) Methods of meta-analysis: correcting error and bias in
research findings, 2nd ed. Sage.
Sidik K, Jonkman JN (2005) Simple heterogeneity variance estimation for meta-analysis.
J R Stat Soc C 54:367-384.
Morris CN (1983) Parametric empirical Bayes inference: theory and applications. J Am
Stat Assoc 78:47-55.
Berkey CS, Hoaglin DC, Mosteller F, Colditz GA (1995) A random-effects regression model
for meta-analysis. Stat Med 14:395-411.
Viechtbauer W, López-López JA, Sánchez-Meca J, Marín-Martínez F (2015) A comparison of
procedures to test for moderators in mixed-effects meta-regression models. Psychol
Methods 20:360-374.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

ESTIMATORS = ("FE", "DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB")


class ConvergenceError(RuntimeError):
    """A τ² estimator found no solution."""


def design(X, k: int) -> np.ndarray | None:
    """The k × p design matrix as a 2-D float array; None stands for intercept only."""
    if X is None:
        return None
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.shape[0] != k:
        raise ValueError(f"the design matrix has {X.shape[0]} rows for {k} studies")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("the design matrix is not of full column rank (a moderator is "
                         "constant or duplicates another)")
    return X


def _columns(X) -> int:
    return 1 if X is None else X.shape[1]


def _pieces(y, vi, tau2: float, X):
    """Py, tr(P) and tr(PP) at τ². O(k) for the intercept-only model (X None), where
    P = W − wwᵀ/Σw gives Py = w(y − μ̂), tr P = Σw − Σw²/Σw and
    tr(PP) = Σw² − 2Σw³/Σw + (Σw²)²/(Σw)²."""
    w = 1.0 / (np.asarray(vi, dtype=float) + tau2)
    if X is None:
        sw, sw2 = w.sum(), (w**2).sum()
        py = w * (y - w @ y / sw)
        return py, sw - sw2 / sw, sw2 - 2 * (w**3).sum() / sw + sw2**2 / sw**2
    P = projection(vi, tau2, X)
    return P @ y, float(np.trace(P)), float(np.sum(P * P))


def projection(vi, tau2: float, X) -> np.ndarray:
    """P = W − W X (XᵀWX)⁻¹ XᵀW with W = diag(1/(vᵢ + τ²)): the residual-maker of WLS.

    >>> float(projection([1.0, 1.0], 0.0, np.ones((2, 1)))[0, 0])
    0.5
    """
    w = 1.0 / (np.asarray(vi, dtype=float) + tau2)
    WX = X * w[:, None]
    return np.diag(w) - WX @ np.linalg.solve(X.T @ WX, WX.T)


def residual_q(yi, vi, tau2: float = 0.0, X=None) -> float:
    """Generalised Q: Σ wᵢ (yᵢ − ŷᵢ)² with wᵢ = 1/(vᵢ + τ²), i.e. yᵀP(τ²)y.

    At τ² = 0 this is Cochran's Q (intercept-only) or the residual Q_E of a
    meta-regression; it decreases in τ².

    >>> residual_q([0.0, 2.0], [1.0, 1.0])
    2.0
    """
    y = np.asarray(yi, dtype=float)
    return float(y @ _pieces(y, vi, tau2, design(X, y.size))[0])


def tau2_dl(yi, vi, X=None) -> float:
    """DerSimonian-Laird (method-of-moments) estimator of τ².

    τ²_DL = max(0, (Q − (k − p)) / tr(P₀)), with Q = yᵀP₀y and P₀ the projection with
    weights 1/vᵢ. Intercept-only, tr(P₀) = Σwᵢ − Σwᵢ²/Σwᵢ (DerSimonian & Laird 1986).

    Parameters
    ----------
    yi, vi : array-like
        Study estimates and sampling variances (vᵢ > 0).
    X : array-like, optional
        k × p design matrix (default: intercept only).

    Returns
    -------
    float

    References: DerSimonian & Laird (1986), Control Clin Trials 7:177-188.

    >>> round(tau2_dl([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.8333
    """
    y = np.asarray(yi, dtype=float)
    X = design(X, y.size)
    py, trace, _ = _pieces(y, vi, 0.0, X)
    q = float(y @ py)
    return max(0.0, float((q - (y.size - _columns(X))) / trace)) if trace > 0 else 0.0


def tau2_pm(yi, vi, X=None) -> float:
    """Paule-Mandel estimator of τ²: the root of the generalised Q equation.

    Solves yᵀP(τ²)y = k − p for τ² ≥ 0 (0 when Q at τ² = 0 is already ≤ k − p). The
    left side decreases in τ², so the root is unique; it is bracketed and found by
    Brent's method to machine precision.

    References: Paule & Mandel (1982), J Res Natl Bur Stand 87:377-385; Viechtbauer et al.
    (2015) Res Synth Methods 6:195-205 (equivalence with the empirical Bayes estimator).

    >>> round(tau2_pm([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.8333
    """
    y = np.asarray(yi, dtype=float)
    X = design(X, y.size)
    target = y.size - _columns(X)
    if target <= 0:
        return 0.0

    def excess(tau2: float) -> float:
        return float(y @ _pieces(y, vi, tau2, X)[0]) - target

    if excess(0.0) <= 0:
        return 0.0
    upper = max(1.0, float(np.var(y)) * 2)
    while excess(upper) > 0:
        upper *= 4
    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-14, rtol=4 * np.finfo(float).eps,
                                 maxiter=500))


def _scores(y, v, grid, X, restricted: bool) -> np.ndarray:
    """The score (twice the derivative of the log-likelihood) at each τ² of ``grid``:
    yᵀPPy − tr P (REML) or yᵀPPy − Σwᵢ (ML). Vectorised over the grid when X is None."""
    if X is None:
        W = 1.0 / (v[None, :] + grid[:, None])
        sw = W.sum(axis=1)
        Py = W * (y[None, :] - (W @ y / sw)[:, None])
        sw2 = (W**2).sum(axis=1)
        return (Py**2).sum(axis=1) - (sw - sw2 / sw if restricted else sw)
    out = np.empty(grid.size)
    for i, tau2 in enumerate(grid):
        Py, trace, _ = _pieces(y, v, tau2, X)
        out[i] = Py @ Py - (trace if restricted else float(np.sum(1.0 / (v + tau2))))
    return out


def log_likelihood(yi, vi, tau2: float, X=None, restricted: bool = True) -> float:
    """The (restricted) log-likelihood of τ², up to a constant.

    ML: −½Σlog(vᵢ + τ²) − ½ yᵀP y; REML: that minus ½ log det(XᵀWX), W = diag(1/(vᵢ + τ²))
    (Viechtbauer 2005, eq. 9 and 10; yᵀP y = Σwᵢ(yᵢ − xᵢᵀβ̂)²).

    >>> round(log_likelihood([0.0, 1.0, 3.0], [0.5, 0.5, 0.5], 1.8333333), 6)
    -2.396604
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    X = design(X, y.size)
    w = 1.0 / (v + tau2)
    Py = _pieces(y, v, tau2, X)[0]
    ll = -0.5 * float(np.sum(np.log(v + tau2))) - 0.5 * float(y @ Py)
    if restricted:
        Xm = np.ones((y.size, 1)) if X is None else X
        ll -= 0.5 * float(np.linalg.slogdet(Xm.T @ (Xm * w[:, None]))[1])
    return ll


def _maximum_likelihood(yi, vi, X, restricted: bool) -> float:
    """τ² ≥ 0 maximising the (restricted) likelihood: the global maximum, not a local one.

    The likelihood of τ² can have two local maxima (one at 0, one inside; seen in
    metadat data sets). The score is evaluated on a grid (0 and 150 points spaced
    evenly on a log scale up to where it is negative for good); 0 is a candidate when
    the score there is ≤ 0, and each sign change from + to − brackets a local maximum,
    found by Brent's method to machine precision. The candidate with the largest
    likelihood is the estimate.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k, p = y.size, _columns(X)
    if k - p <= 0:
        return 0.0

    def score(tau2: float) -> float:
        return float(_scores(y, v, np.array([tau2]), X, restricted)[0])

    upper = max(4.0 * float(np.mean((y - y.mean()) ** 2)), float(v.max()), 1e-8)
    while score(upper) > 0:
        upper *= 4
    upper *= 4
    grid = np.concatenate([[0.0], upper * np.logspace(-12, 0, 150)])
    values = _scores(y, v, grid, X, restricted)
    candidates = [0.0] if values[0] <= 0 else []
    for i in np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0)):
        candidates.append(float(optimize.brentq(score, grid[i], grid[i + 1], xtol=1e-300,
                                                rtol=4 * np.finfo(float).eps, maxiter=500)))
    if not candidates:  # the score never turned negative: cannot happen with k > p
        raise ConvergenceError(f"no maximum of the {'REML' if restricted else 'ML'} "
                               "likelihood found; try the PM or DL estimator (method='PM'; "
                               "on the command line --method PM)")
    if len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=lambda t: log_likelihood(y, v, t, X, restricted))


def tau2_reml(yi, vi, X=None) -> float:
    """Restricted maximum-likelihood (REML) estimator of τ².

    The τ² ≥ 0 maximising the restricted log-likelihood
    −½Σlog(vᵢ + τ²) − ½ log det(XᵀWX) − ½ yᵀPy, whose score is yᵀPPy − tr P
    (Viechtbauer 2005, eq. 11-12). The global maximum is taken: the score is bracketed
    on a grid and every local maximum (and the boundary 0) compared. metafor's Fisher
    scoring finds the same value unless the likelihood has two maxima, when it may stop
    at the lower one.

    References: Viechtbauer (2005), J Educ Behav Stat 30:261-293; Raudenbush (2009).

    >>> round(tau2_reml([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.8333
    """
    y = np.asarray(yi, dtype=float)
    return _maximum_likelihood(y, vi, design(X, y.size), restricted=True)


def tau2_ml(yi, vi, X=None) -> float:
    """Maximum-likelihood (ML) estimator of τ².

    The τ² ≥ 0 maximising −½Σlog(vᵢ + τ²) − ½Σwᵢrᵢ², rᵢ the weighted least-squares
    residuals and wᵢ = 1/(vᵢ + τ²); its score is Σwᵢ²rᵢ² − Σwᵢ (Hardy & Thompson 1996;
    Viechtbauer 2005). The global maximum is taken, as for :func:`tau2_reml`.

    References: Hardy & Thompson (1996) Stat Med 15:619-629; Viechtbauer (2005).

    >>> round(tau2_ml([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.0556
    """
    y = np.asarray(yi, dtype=float)
    return _maximum_likelihood(y, vi, design(X, y.size), restricted=False)


def tau2_hs(yi, vi, X=None) -> float:
    """Hunter-Schmidt estimator of τ².

    τ²_HS = max(0, (Q − k) / Σwᵢ) with Q = yᵀP₀y (weights wᵢ = 1/vᵢ): the observed
    variance minus the expected sampling variance, in Hunter and Schmidt's weighting
    (Viechtbauer 2005, eq. 7; metafor's ``method="HS"``, which subtracts k, not k − p,
    also with moderators). It is biased downward.

    References: Hunter & Schmidt (2004); Viechtbauer (2005).

    >>> round(tau2_hs([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.0556
    """
    y = np.asarray(yi, dtype=float)
    X = design(X, y.size)
    q = float(y @ _pieces(y, vi, 0.0, X)[0])
    return max(0.0, (q - y.size) / float(np.sum(1.0 / np.asarray(vi, dtype=float))))


def tau2_he(yi, vi, X=None) -> float:
    """Hedges' (unweighted method-of-moments) estimator of τ².

    τ²_HE = max(0, (yᵀP_U y − tr(P_U V)) / (k − p)) with the ordinary least-squares
    residual-maker P_U = I − X(XᵀX)⁻¹Xᵀ and V = diag(vᵢ); intercept-only this is
    the sample variance of the yᵢ minus the mean of the vᵢ (Hedges & Olkin 1985;
    metafor's ``method="HE"``).

    References: Hedges & Olkin (1985); Viechtbauer (2005), eq. 8.

    >>> round(tau2_he([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.8333
    """
    y = np.asarray(yi, dtype=float)
    X = design(X, y.size)
    k, p = y.size, _columns(X)
    if k - p <= 0:
        return 0.0
    v = np.asarray(vi, dtype=float)
    Xm = np.ones((k, 1)) if X is None else X
    P = np.eye(k) - Xm @ np.linalg.solve(Xm.T @ Xm, Xm.T)
    return max(0.0, float((y @ P @ y - np.sum(np.diag(P) * v)) / (k - p)))


def tau2_sj(yi, vi, X=None) -> float:
    """Sidik-Jonkman estimator of τ².

    Start from τ₀² = Σ(yᵢ − ȳ)²/k, the variance of the estimates (the unweighted
    mean; metafor uses it with moderators too), then τ²_SJ = τ₀² · yᵀP(τ₀²)y / (k − p):
    the residual Q with weights 1/(vᵢ + τ₀²), scaled. It is never negative and tends to
    overestimate τ² when heterogeneity is small (Sidik & Jonkman 2005; metafor's
    ``method="SJ"``).

    References: Sidik & Jonkman (2005), J R Stat Soc C 54:367-384.

    >>> round(tau2_sj([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.7658
    """
    y = np.asarray(yi, dtype=float)
    X = design(X, y.size)
    k = y.size
    if k - _columns(X) <= 0:
        return 0.0
    tau0 = float(np.mean((y - y.mean()) ** 2))
    if tau0 == 0:
        return 0.0
    q = float(y @ _pieces(y, vi, tau0, X)[0])
    return max(0.0, tau0 * q / (k - _columns(X)))


def tau2_eb(yi, vi, X=None) -> float:
    """Empirical Bayes estimator of τ² (Morris 1983; Berkey et al. 1995).

    The τ² ≥ 0 solving the empirical Bayes estimating equation
    Σwᵢ(yᵢ − xᵢᵀβ̂)² · k/(k − p) = k, wᵢ = 1/(vᵢ + τ²), i.e. yᵀP(τ²)y = k − p:
    the same equation as Paule and Mandel's, so the two estimates coincide
    (Viechtbauer et al. 2015). metafor reaches it by the iteration
    τ² ← τ² + (yᵀPy·k/(k − p) − k)/Σwᵢ from Hedges' estimate; it is solved here by
    Brent's method to machine precision (see :func:`tau2_pm`).

    References: Morris (1983); Berkey et al. (1995); Viechtbauer et al. (2015).

    >>> round(tau2_eb([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]), 4)
    1.8333
    """
    return tau2_pm(yi, vi, X)


def tau2_q_profile_ci(yi, vi, level: float = 0.95, X=None):
    """Q-profile confidence interval for τ² (Viechtbauer 2007).

    The bounds solve Q_gen(τ²) = χ²(k − p) quantiles, Q_gen(τ²) = Σ (yᵢ − μ̂(τ²))²/(vᵢ + τ²)
    being decreasing in τ²: lower bound at the 1 − α/2 quantile, upper at α/2. A bound
    is 0 when Q_gen(0) is already below its quantile. NaN when k − p < 1.

    References: Viechtbauer (2007), Stat Med 26:37-52.

    >>> [round(x, 4) for x in tau2_q_profile_ci([0.0, 1.0, 3.0], [0.5, 0.5, 0.5])]
    [0.1325, 91.6617]
    """
    y = np.asarray(yi, dtype=float)
    p = 1 if X is None else np.asarray(X).reshape(y.size, -1).shape[1]
    df = y.size - p
    if df < 1:
        return float("nan"), float("nan")
    alpha = 1 - level

    def solve(target: float) -> float:
        def excess(t):
            return residual_q(y, vi, t, X) - target

        if excess(0.0) <= 0:
            return 0.0
        upper = max(1.0, float(np.var(y)))
        while excess(upper) > 0:
            upper *= 4
        return float(optimize.brentq(excess, 0.0, upper, xtol=1e-12, rtol=1e-12))

    return solve(stats.chi2.ppf(1 - alpha / 2, df)), solve(stats.chi2.ppf(alpha / 2, df))


def estimate_tau2(yi, vi, method: str = "REML", X=None) -> float:
    """τ² by the named estimator: "FE" (0), "DL", "REML", "ML", "PM", "SJ", "HE", "HS"
    or "EB".

    >>> estimate_tau2([0.0, 1.0, 3.0], [0.5, 0.5, 0.5], "FE")
    0.0
    """
    if method == "FE":
        return 0.0
    functions = {"DL": tau2_dl, "REML": tau2_reml, "ML": tau2_ml, "PM": tau2_pm,
                 "SJ": tau2_sj, "HE": tau2_he, "HS": tau2_hs, "EB": tau2_eb}
    if method not in functions:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(ESTIMATORS)}")
    return functions[method](yi, vi, X)
