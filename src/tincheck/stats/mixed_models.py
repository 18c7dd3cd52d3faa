"""Therapist effects: random-intercept models and the intraclass correlation (ICC).

Clients are nested in therapists. With a random intercept u_j ~ N(0, σ²) per therapist,
the share of outcome variance that lies between therapists is the ICC:

* binary outcome (recovered), logit link: ICC = σ² / (σ² + π²/3), the latent-variable
  definition (Snijders & Bosker 2012 §17.3; Goldstein, Browne & Rasbash 2002);
* continuous outcome (PHQ-9 change): ICC = σ²_u / (σ²_u + σ²_e).

The mixed logistic model is fitted by maximum likelihood with adaptive Gauss-Hermite
quadrature, the estimator of R's ``lme4::glmer(..., nAGQ = k)`` (Pinheiro & Bates
1995). statsmodels has no maximum-likelihood GLMM: its ``BinomialBayesMixedGLM`` is a
variational-Bayes / posterior-mode approximation under priors whose variance estimate
is biased towards zero and has no likelihood to profile, so it cannot give the profile
interval the ICC needs. The linear model uses statsmodels' ``MixedLM`` (REML). Both
intervals are profile-likelihood intervals (deterministic: no seed), and the estimates
are pinned to lme4 in ``tests/stats/test_lme4_reference.py``.

References
----------
Pinheiro JC, Bates DM (1995) Approximations to the log-likelihood function in the
nonlinear mixed-effects model. J Comput Graph Stat 4:12-35.
Bates D, Mächler M, Bolker B, Walker S (2015) Fitting linear mixed-effects models using
lme4. J Stat Softw 67(1):1-48.
Snijders TAB, Bosker RJ (2012) Multilevel Analysis, 2nd ed. Sage (§17.3: the ICC of a
logistic random-intercept model).
Goldstein H, Browne W, Rasbash J (2002) Partitioning variation in multilevel models.
Understanding Statistics 1:223-231.
Louis TA (1982) Finding the observed information matrix when using the EM algorithm.
J R Stat Soc B 44:226-233.
Venzon DJ, Moolgavkar SH (1988) A method for computing profile-likelihood-based
confidence intervals. Appl Stat 37:87-94.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

LOGISTIC_VARIANCE = np.pi ** 2 / 3
CHI2_95 = float(stats.chi2.ppf(0.95, 1))


def icc_logistic(sigma2: float) -> float:
    """ICC of a logistic random-intercept model: σ² / (σ² + π²/3).

    The residual of the latent logistic variable has variance π²/3 (Snijders & Bosker
    2012 §17.3).

    >>> round(icc_logistic(0.1732), 4)
    0.05
    """
    return float(sigma2 / (sigma2 + LOGISTIC_VARIANCE))


def icc_linear(sigma2_between: float, sigma2_within: float) -> float:
    """ICC of a linear random-intercept model: σ²_u / (σ²_u + σ²_e).

    >>> icc_linear(1.0, 19.0)
    0.05
    """
    return float(sigma2_between / (sigma2_between + sigma2_within))


def sigma2_for_icc_logistic(icc: float) -> float:
    """The random-intercept variance that gives a logistic ICC: π²/3 · ICC / (1 − ICC).

    >>> round(sigma2_for_icc_logistic(0.05), 4)
    0.1732
    """
    if not 0 <= icc < 1:
        raise ValueError(f"icc must be in [0, 1); got {icc!r}")
    return float(LOGISTIC_VARIANCE * icc / (1 - icc))


# ------------------------------------------------------------------ logistic GLMM

@dataclass(frozen=True)
class LogisticMixedFit:
    """A random-intercept logistic model fitted by maximum likelihood (AGHQ).

    ``beta`` and ``se`` follow the columns of X (``names``); ``sigma`` is the SD of
    the random intercept; ``modes`` and ``mode_sd`` are the therapists' conditional
    modes of u_j and their conditional SDs (lme4's ``ranef`` and ``condVar``), in the
    order of ``groups``; ``icc`` = σ² / (σ² + π²/3).
    """

    names: tuple[str, ...]
    beta: np.ndarray
    se: np.ndarray
    sigma: float
    loglik: float
    groups: np.ndarray
    modes: np.ndarray
    mode_sd: np.ndarray
    n: int
    nagq: int
    converged: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def icc(self) -> float:
        return icc_logistic(self.sigma ** 2)

    def coefficient(self, name: str) -> tuple[float, float, float]:
        """(estimate, 95% low, 95% high) of a fixed effect, Wald interval."""
        i = self.names.index(name)
        half = 1.959963984540054 * self.se[i]
        return float(self.beta[i]), float(self.beta[i] - half), float(self.beta[i] + half)


class _Groups:
    """Observations grouped by cluster, with the Gauss-Hermite rule."""

    def __init__(self, y, X, groups, nagq):
        labels, index = np.unique(np.asarray(groups), return_inverse=True)
        order = np.argsort(index, kind="stable")  # rows by cluster: sums by reduceat
        self.y = np.asarray(y, dtype=float)[order]
        self.X = np.asarray(X, dtype=float)[order]
        self.index = index[order]
        self.labels = labels
        self.k = len(labels)
        from scipy import sparse

        n = len(self.index)
        # cluster-by-row indicator: sums within clusters are one sparse product
        self.G = sparse.csr_matrix((np.ones(n), (self.index, np.arange(n))),
                                   shape=(self.k, n))
        z, w = np.polynomial.hermite.hermgauss(nagq)
        self.z, self.logw = z, np.log(w)

    def sums(self, values):
        """Sums of ``values`` (rows, or rows × nodes) within each cluster."""
        return self.G @ values

    def modes(self, eta, sigma, start=None):
        """Conditional modes v̂_j of h_j(v) = ℓ_j(σv) − v²/2 and curvature −h''(v̂)."""
        v = np.zeros(self.k) if start is None else start.copy()
        for _ in range(50):
            p = special.expit(eta + sigma * v[self.index])
            grad = sigma * self.sums(self.y - p) - v
            info = sigma ** 2 * self.sums(p * (1 - p)) + 1.0
            step = grad / info
            v += step
            if np.max(np.abs(step)) < 1e-10:
                break
        p = special.expit(eta + sigma * v[self.index])
        info = sigma ** 2 * self.sums(p * (1 - p)) + 1.0
        return v, info

    def loglik(self, beta, sigma, start=None, gradient=False):
        """AGHQ log-likelihood with the modes used; with ``gradient`` also the score in
        (β, σ) and the observed information by Louis' identity, both as the quadrature
        evaluates them: I = Σ_j E[−∂²ℓ_j | y] − Var[∂ℓ_j | y] (Louis 1982)."""
        eta = self.X @ beta
        v_hat, info = self.modes(eta, sigma, start)
        scale = np.sqrt(2.0 / info)                      # √2 · s_j
        nodes = v_hat[:, None] + scale[:, None] * self.z[None, :]   # (k, Q)
        v_rows = nodes[self.index]                                   # (n, Q)
        lin = eta[:, None] + sigma * v_rows
        ll = self.sums(self.y[:, None] * lin - np.logaddexp(0.0, lin))
        h = ll - nodes ** 2 / 2 + self.z[None, :] ** 2 + self.logw[None, :]
        log_j = special.logsumexp(h, axis=1) + np.log(scale) - 0.5 * np.log(2 * np.pi)
        value = float(log_j.sum())
        if not gradient:
            return value, v_hat
        post = np.exp(h - special.logsumexp(h, axis=1, keepdims=True))  # (k, Q)
        p = special.expit(lin)
        resid = self.y[:, None] - p                                      # (n, Q)
        # complete-data scores per cluster and node: [Σ r x, v Σ r]
        n, q = resid.shape
        k = self.X.shape[1]
        scores = np.empty((self.k, q, k + 1))
        for node in range(q):  # node by node: memory stays O(n·p) on large data
            scores[:, node, :k] = self.sums(resid[:, node, None] * self.X)
        scores[:, :, k] = nodes * self.sums(resid)
        mean = (post[:, :, None] * scores).sum(axis=1)                   # (clusters, p+1)
        grad = mean.sum(axis=0)
        w = post[self.index] * p * (1 - p)                               # (n, Q)
        w_sum, wv = w.sum(axis=1), (w * v_rows).sum(axis=1)
        expected = np.empty((k + 1, k + 1))
        expected[:k, :k] = self.X.T @ (self.X * w_sum[:, None])
        expected[:k, k] = expected[k, :k] = self.X.T @ wv
        expected[k, k] = float((w * v_rows ** 2).sum())
        flat = scores.reshape(-1, k + 1)
        variance = (flat * post.reshape(-1, 1)).T @ flat - mean.T @ mean
        return value, v_hat, grad, expected - variance


class _Optimum:
    """What :func:`_maximise` found (``x``: β, then σ unless it was fixed)."""

    def __init__(self, x, value, information, success, message):
        self.x, self.fun, self.information = x, -value, information
        self.success, self.message = success, message


def _maximise(data: _Groups, beta0, sigma0, fix_sigma=None, tol=1e-10):
    """Maximise the AGHQ log-likelihood over β (and σ unless fixed) by Newton-Raphson
    with step halving, on the observed information. The likelihood is symmetric in σ
    (u = σv with v standard normal), so σ is free and its absolute value is kept."""
    sigma = float(sigma0 if fix_sigma is None else fix_sigma)
    beta = np.asarray(beta0, dtype=float).copy()
    free = len(beta) + (1 if fix_sigma is None else 0)
    value, v_hat, grad, information = data.loglik(beta, sigma, gradient=True)
    message = "maximum iterations reached"
    success = False
    for _ in range(200):
        g, H = grad[:free], information[:free, :free]
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        if not np.all(np.isfinite(step)) or g @ step <= 0:  # not an ascent direction
            step = g / max(np.abs(np.diag(H)).max(), 1.0)
        t = 1.0
        while True:
            new_beta = beta + t * step[:len(beta)]
            new_sigma = abs(sigma + t * step[len(beta)]) if fix_sigma is None else sigma
            new_value, new_v, new_grad, new_info = data.loglik(new_beta, new_sigma, v_hat,
                                                               gradient=True)
            if new_value >= value - 1e-12 or t < 1e-6:
                break
            t /= 2
        change = new_value - value
        beta, sigma, value, v_hat = new_beta, new_sigma, new_value, new_v
        grad, information = new_grad, new_info
        if abs(change) < tol and np.max(np.abs(t * step)) < 1e-6:
            success, message = True, "converged"
            break
    x = np.append(beta, sigma) if fix_sigma is None else beta
    return _Optimum(x, value, information, success, message)


def _start(y, X):
    """Fixed-effect start values: a few IRLS steps of the ordinary logistic model."""
    beta = np.zeros(X.shape[1])
    for _ in range(25):
        p = special.expit(X @ beta)
        w = np.clip(p * (1 - p), 1e-9, None)
        step = np.linalg.lstsq(X.T @ (X * w[:, None]), X.T @ (y - p), rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def random_intercept_logistic(y, X, groups, names=None, nagq: int = 9
                              ) -> LogisticMixedFit:
    """Maximum-likelihood fit of logit P(y_ij = 1) = x_ij'β + u_j, u_j ~ N(0, σ²).

    The marginal likelihood Π_j ∫ Π_i p(y_ij | u) φ(u; 0, σ²) du is evaluated by
    adaptive Gauss-Hermite quadrature with ``nagq`` nodes (at least 3; 9 by default,
    which agrees with 15 nodes to 1e-6 on therapist-sized clusters) centred at each
    cluster's conditional mode and scaled by its curvature; it is maximised over
    (β, σ ≥ 0) by Newton-Raphson with step halving, on the quadrature's score
    (posterior-weighted complete-data scores) and observed information (Louis 1982),
    whose inverse at the optimum gives the standard errors of β.

    Parameters
    ----------
    y : 0/1 outcomes; X : design matrix (include an intercept column); groups : the
    cluster of each row; names : column names of X; nagq : quadrature nodes.

    Returns :class:`LogisticMixedFit`. Equivalent R call (lme4):
    ``glmer(y ~ X - 1 + (1 | groups), family = binomial, nAGQ = nagq)``.

    References: Pinheiro & Bates (1995); Bates et al. (2015).

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(40), 50); u = rng.normal(0, 0.8, 40)[g]
    >>> y = rng.random(2000) < special.expit(-0.3 + u)
    >>> fit = random_intercept_logistic(y, np.ones((2000, 1)), g)
    >>> round(fit.sigma, 2), round(float(fit.beta[0]), 2)
    (0.74, -0.29)
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError("X must be a 2-D array with one row per outcome")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be 0 or 1")
    if nagq < 3:
        # the gradient used is the quadrature's posterior-weighted score, which needs
        # more than one node to match the approximated likelihood
        raise ValueError("nagq must be at least 3")
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(X.shape[1]))
    data = _Groups(y, X, groups, nagq)
    beta0 = _start(y, X)
    result = _maximise(data, beta0, 0.5)
    beta, sigma = result.x[:-1], float(result.x[-1])
    loglik, v_hat = data.loglik(beta, sigma)
    se = _standard_errors(result.information, sigma)
    _, info = data.modes(X @ beta, sigma, v_hat)
    notes = () if result.success else (f"optimiser: {result.message}",)
    return LogisticMixedFit(names, beta, se, sigma, loglik, data.labels, sigma * v_hat,
                            sigma / np.sqrt(info), len(y), nagq, bool(result.success),
                            notes)


def _standard_errors(information: np.ndarray, sigma: float) -> np.ndarray:
    """SEs of β from the observed information in (β, σ); on the boundary σ = 0 those of
    the model without the random intercept (β block alone)."""
    k = information.shape[0] - 1
    block = information[:k, :k] if sigma < 1e-6 else information
    try:
        cov = np.linalg.inv(block)
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
    return np.sqrt(np.clip(np.diag(cov)[:k], 0, None))


def profile_sigma_logistic(y, X, groups, fit: LogisticMixedFit | None = None,
                           confidence: float = 0.95) -> tuple[float, float]:
    """Profile-likelihood interval for the random-intercept SD σ of the logistic model.

    The limits are the σ where 2·(ℓ̂ − max_β ℓ(β, σ)) = χ²₁(confidence) (3.84 for
    95%); the lower limit is 0 when σ = 0 lies inside (Venzon & Moolgavkar 1988; lme4's
    ``confint(profile(fit))`` for ``.sig01``). Map it to the ICC with
    :func:`icc_logistic` (monotone in σ).

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(40), 50); u = rng.normal(0, 0.8, 40)[g]
    >>> y = rng.random(2000) < special.expit(-0.3 + u)
    >>> [round(s, 2) for s in profile_sigma_logistic(y, np.ones((2000, 1)), g)]
    [0.56, 0.97]
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    fit = fit or random_intercept_logistic(y, X, groups)
    data = _Groups(y, X, groups, fit.nagq)
    cut = float(stats.chi2.ppf(confidence, 1)) / 2
    state = {"beta": fit.beta.copy()}

    def drop(sigma):
        result = _maximise(data, state["beta"], None, fix_sigma=sigma, tol=1e-9)
        state["beta"] = result.x
        return fit.loglik - (-result.fun) - cut

    state["beta"] = fit.beta.copy()
    if fit.sigma <= 1e-8 or drop(0.0) <= 0:
        low = 0.0
    else:
        state["beta"] = fit.beta.copy()
        low = optimize.brentq(drop, 0.0, fit.sigma, xtol=1e-4)
    state["beta"] = fit.beta.copy()
    high = max(fit.sigma, 0.05) * 1.5
    while drop(high) < 0:
        high *= 1.5
        if high > 50:
            return low, float("inf")
    state["beta"] = fit.beta.copy()
    high = optimize.brentq(drop, fit.sigma, high, xtol=1e-4)
    return float(low), float(high)


# ------------------------------------------------------------------ linear mixed model

@dataclass(frozen=True)
class LinearMixedFit:
    """A random-intercept linear model fitted by REML (statsmodels MixedLM)."""

    names: tuple[str, ...]
    beta: np.ndarray
    se: np.ndarray
    sigma2_between: float
    sigma2_within: float
    reml: float
    groups: np.ndarray
    blups: np.ndarray          # conditional means of u_j (shrunken estimates)
    blup_sd: np.ndarray        # their conditional SDs
    n: int
    converged: bool
    model: object = field(repr=False, compare=False, default=None)

    @property
    def icc(self) -> float:
        return icc_linear(self.sigma2_between, self.sigma2_within)

    def coefficient(self, name: str) -> tuple[float, float, float]:
        """(estimate, 95% low, 95% high) of a fixed effect, Wald interval."""
        i = self.names.index(name)
        half = 1.959963984540054 * self.se[i]
        return float(self.beta[i]), float(self.beta[i] - half), float(self.beta[i] + half)


def random_intercept_linear(y, X, groups, names=None) -> LinearMixedFit:
    """REML fit of y_ij = x_ij'β + u_j + e_ij, u_j ~ N(0, σ²_u), e_ij ~ N(0, σ²_e).

    statsmodels ``MixedLM(y, X, groups).fit(reml=True)``; the conditional means of u_j
    are the BLUPs σ²_u Σ_i r_ij / (n_j σ²_u + σ²_e) with conditional variance
    σ²_u σ²_e / (n_j σ²_u + σ²_e). Equivalent R call (lme4):
    ``lmer(y ~ X - 1 + (1 | groups), REML = TRUE)``.

    References: Bates et al. (2015); Snijders & Bosker (2012) §4.8.

    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(30), 20)
    >>> y = 5 + rng.normal(0, 1, 30)[g] + rng.normal(0, 3, 600)
    >>> fit = random_intercept_linear(y, np.ones((600, 1)), g)
    >>> round(fit.icc, 3)
    0.068
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(X.shape[1]))
    groups = np.asarray(groups)
    model = sm.MixedLM(y, X, groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # L-BFGS can stop at the σ²_u = 0 boundary from statsmodels' start: BFGS first
        result = model.fit(reml=True, method=["bfgs", "powell"])
    # statsmodels stops at its optimiser's tolerance: polish the one free parameter,
    # r = σ²_u / σ²_e, on the profiled REML log-likelihood, then take β and σ²_e at r
    ratio = _polish_ratio(model, float(np.asarray(result.cov_re)[0, 0] / result.scale))
    labels, index = np.unique(groups, return_inverse=True)
    n_j = np.bincount(index, minlength=len(labels))
    # GLS with V_j = I + r 11' (V_j⁻¹ = I − r/(1 + n_j r) 11'): β̂ = (X'V⁻¹X)⁻¹ X'V⁻¹y,
    # σ̂²_e = (y − Xβ̂)'V⁻¹(y − Xβ̂) / (n − p) (REML); Var(β̂) = σ²_e (X'V⁻¹X)⁻¹
    shrink = ratio / (1 + n_j * ratio)
    sums_x = np.zeros((len(labels), X.shape[1]))
    np.add.at(sums_x, index, X)
    sums_y = np.bincount(index, weights=y, minlength=len(labels))
    xtvx = X.T @ X - (sums_x * shrink[:, None]).T @ sums_x
    xtvy = X.T @ y - (sums_x * shrink[:, None]).T @ sums_y
    beta = np.linalg.solve(xtvx, xtvy)
    resid = y - X @ beta
    sums_r = np.bincount(index, weights=resid, minlength=len(labels))
    s2e = float((resid @ resid - (shrink * sums_r ** 2).sum()) / (len(y) - X.shape[1]))
    s2u = ratio * s2e
    denom = n_j * s2u + s2e
    blups = s2u * sums_r / denom
    blup_sd = np.sqrt(s2u * s2e / denom)
    se = np.sqrt(np.diag(np.linalg.inv(xtvx)) * s2e)
    return LinearMixedFit(names, beta, se, s2u, s2e, _profiled_reml(model, beta, ratio),
                          labels, blups, blup_sd, len(y), bool(result.converged), model)


def _profiled_reml(model, beta, ratio: float) -> float:
    """The REML log-likelihood at r = σ²_u / σ²_e, β and σ²_e profiled out."""
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    params = MixedLMParams.from_components(beta, cov_re=np.array([[max(ratio, 1e-12)]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(model.loglike(params, profile_fe=True))


def _polish_ratio(model, start: float) -> float:
    """The r maximising the profiled REML log-likelihood, from statsmodels' estimate."""
    beta = np.zeros(model.k_fe)  # profiled out: its value is not used

    def minus(log_ratio):
        return -_profiled_reml(model, beta, float(np.exp(log_ratio)))

    if start <= 1e-8:
        start = 1e-4
    centre = np.log(start)
    found = optimize.minimize_scalar(minus, bounds=(centre - 3, centre + 3),
                                     method="bounded", options={"xatol": 1e-10})
    best = float(np.exp(found.x))
    # the boundary r = 0 when the likelihood is highest there
    return 0.0 if -minus(np.log(1e-12)) >= -found.fun else best


def profile_icc_linear(fit: LinearMixedFit, confidence: float = 0.95) -> tuple[float, float]:
    """Profile-REML interval for the ICC of a linear random-intercept model.

    The REML log-likelihood with β and σ²_e profiled out is a function of the ratio
    r = σ²_u / σ²_e alone (statsmodels ``MixedLM.loglike`` with ``profile_fe``); the
    limits are the r where it falls χ²₁(confidence)/2 below its maximum (0 when r = 0
    lies inside), mapped to ICC = r / (1 + r). Equivalent R (lme4): the REML deviance
    function ``lmer(..., devFunOnly = TRUE)`` of θ = √r.
    """
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    model = fit.model
    if model is None:
        raise ValueError("the fit carries no model to profile")
    cut = float(stats.chi2.ppf(confidence, 1)) / 2

    def loglik(ratio):
        # at exactly 0 statsmodels' profiled likelihood is degenerate (inf): use 1e-12
        params = MixedLMParams.from_components(fit.beta,
                                               cov_re=np.array([[max(ratio, 1e-12)]]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(model.loglike(params, profile_fe=True))

    best_ratio = fit.sigma2_between / fit.sigma2_within
    best = loglik(best_ratio)

    def drop(ratio):
        return best - loglik(ratio) - cut

    if best_ratio <= 1e-10 or drop(0.0) <= 0:
        low = 0.0
    else:
        low = optimize.brentq(drop, 0.0, best_ratio, xtol=1e-12)
    high = max(best_ratio, 1e-3) * 2
    while drop(high) < 0:
        high *= 2
        if high > 1e6:
            return low / (1 + low), 1.0
    high = optimize.brentq(drop, best_ratio, high, xtol=1e-12)
    return float(low / (1 + low)), float(high / (1 + high))
