"""Influence diagnostics of a meta-analysis: does one study drive the result?

Each study is left out in turn and the model refitted (same τ² estimator, same test).
The change in the fit gives the case-deletion diagnostics of Viechtbauer and Cheung
(2010): externally studentised residuals, DFFITS, Cook's distance, covariance ratios,
leave-one-out τ² and Q_E, together with the hat values and weights of the full model,
DFBETAS, and metafor's rule flagging a study as influential. The same refits give the
coordinates of a Baujat plot (Baujat et al. 2002): a study's contribution to the
heterogeneity against its influence on the pooled result.

Every quantity is defined as metafor's ``influence.rma.uni`` and ``baujat`` define it,
so that the numbers agree with it (see ``tests/stats/test_metafor_reference.py``).

References
----------
Viechtbauer W, Cheung MW-L (2010) Outlier and influence diagnostics for meta-analysis.
Res Synth Methods 1:112-125.
Belsley DA, Kuh E, Welsch RE (1980) Regression diagnostics. Wiley.
Cook RD, Weisberg S (1982) Residuals and influence in regression. Chapman & Hall.
Baujat B, Mahé C, Pignon J-P, Hill C (2002) A graphical method for exploring
heterogeneity in meta-analyses: application to a meta-analysis of 65 trials. Stat Med
21:2641-2652.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .inputs import TESTS, frozen, jsonable, prepare
from .tau2 import ESTIMATORS, design, estimate_tau2, residual_q

__all__ = ["BaujatResult", "InfluenceResult", "baujat", "influence"]


@dataclass(frozen=True)
class _Fit:
    """One fitted (mixed-effects) model: what the diagnostics need of it."""

    beta: np.ndarray
    vb: np.ndarray  # Var(β̂), scaled by s2w under Hartung-Knapp
    tau2: float
    QE: float
    s2w: float


def _check(method: str, test: str) -> tuple[str, str]:
    method = method.upper() if isinstance(method, str) else method
    test = test.lower() if isinstance(test, str) else test
    if method not in ESTIMATORS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(ESTIMATORS)}")
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")
    return method, test


def _fit(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, test: str) -> _Fit:
    """β̂ = (XᵀWX)⁻¹XᵀWy, W = diag(1/(vᵢ + τ̂²)); Var(β̂) times s2w for Hartung-Knapp."""
    k, p = X.shape
    intercept_only = p == 1 and np.all(X == 1)
    tau2 = (estimate_tau2(y, v, method, None if intercept_only else X) if k > p else 0.0)
    w = 1.0 / (v + tau2)
    vb = np.linalg.inv(X.T @ (X * w[:, None]))
    beta = vb @ (X.T @ (w * y))
    s2w = 1.0
    if test != "z":
        rss = float(w @ (y - X @ beta) ** 2)
        # metafor: s2w = 0 when the weighted RSS is at most machine epsilon (and k = p)
        s2w = rss / (k - p) if rss > np.finfo(float).eps and k > p else 0.0
        if test == "knha_adhoc":
            s2w = max(1.0, s2w)
    qe = residual_q(y, v, 0.0, None if intercept_only else X) if k > p else 0.0
    return _Fit(beta=beta, vb=vb * s2w, tau2=float(tau2), QE=max(0.0, qe), s2w=s2w)


def _model(yi, vi, sei, moderators, labels):
    y, v, names, _ = prepare(yi, vi, sei, labels)
    k = y.size
    if moderators is None:
        X = np.ones((k, 1))
        coefficients = ("intrcpt",)
    else:
        mods = np.asarray(moderators, dtype=float).reshape(k, -1)
        X = design(np.column_stack([np.ones(k), mods]), k)
        coefficients = ("intrcpt",) + tuple(f"x{i + 1}" for i in range(mods.shape[1]))
    if k < 2:
        raise ValueError("influence diagnostics need at least 2 studies")
    return y, v, X, names, coefficients


def _deletions(y, v, X, method, test):
    """The model refitted without each study in turn (None where it cannot be fitted,
    e.g. when leaving a study out leaves a moderator constant)."""
    fits = []
    for i in range(y.size):
        keep = np.arange(y.size) != i
        try:
            design(X[keep], int(keep.sum()))
            fits.append(_fit(y[keep], v[keep], X[keep], method, test))
        except (ValueError, np.linalg.LinAlgError):
            fits.append(None)
    return fits


@dataclass(frozen=True)
class InfluenceResult:
    """Case-deletion diagnostics, one value per study (metafor's ``influence()``).

    ``influential`` is metafor's flag (``inf`` column, "*"): a study is influential when
    |DFFITS| > 3√(p/(k − p)), or P(χ²(p) ≤ Cook's D) > 0.5, or its hat value > 3p/k,
    or any |DFBETAS| > 1. ``weight`` is in percent. Values of a study whose deletion
    cannot be fitted are NaN.
    """

    method: str
    test: str
    k: int
    p: int
    labels: tuple[str, ...] = field(repr=False)
    coefficients: tuple[str, ...] = field(repr=False)
    rstudent: np.ndarray = field(repr=False)
    dffits: np.ndarray = field(repr=False)
    cook_d: np.ndarray = field(repr=False)
    cov_r: np.ndarray = field(repr=False)
    tau2_del: np.ndarray = field(repr=False)
    QE_del: np.ndarray = field(repr=False)
    hat: np.ndarray = field(repr=False)
    weight: np.ndarray = field(repr=False)
    dfbetas: np.ndarray = field(repr=False)  # k × p
    influential: np.ndarray = field(repr=False)
    thresholds: dict = field(repr=False, default_factory=dict)

    @property
    def flagged(self) -> tuple[str, ...]:
        """Labels of the studies flagged as influential."""
        return tuple(lab for lab, f in zip(self.labels, self.influential) if f)

    def to_dict(self) -> dict:
        """JSON-ready: settings, thresholds and one row per study."""
        rows = []
        for i, label in enumerate(self.labels):
            rows.append({
                "label": label, "rstudent": self.rstudent[i], "dffits": self.dffits[i],
                "cook_d": self.cook_d[i], "cov_r": self.cov_r[i],
                "tau2_del": self.tau2_del[i], "QE_del": self.QE_del[i], "hat": self.hat[i],
                "weight_percent": self.weight[i],
                "dfbetas": dict(zip(self.coefficients, self.dfbetas[i].tolist())),
                "influential": bool(self.influential[i])})
        return jsonable({"method": self.method, "test": self.test, "k": self.k, "p": self.p,
                         "thresholds": self.thresholds, "studies": rows})


def influence(yi, vi=None, *, sei=None, moderators=None, method: str = "REML",
              test: str = "z", labels=None) -> InfluenceResult:
    """Outlier and influence diagnostics of Viechtbauer and Cheung (2010).

    With β̂, Var(β̂) and τ̂² from the full model and β̂₍₋ᵢ₎, Var(β̂₍₋ᵢ₎), τ̂²₍₋ᵢ₎, s²₍₋ᵢ₎
    (the Hartung-Knapp scale; 1 under the z test) from the model without study i:

    - rstudent: (yᵢ − xᵢᵀβ̂₍₋ᵢ₎) / √(s²₍₋ᵢ₎(vᵢ + τ̂²₍₋ᵢ₎) + xᵢᵀVar(β̂₍₋ᵢ₎)xᵢ);
    - DFFITS: xᵢᵀ(β̂ − β̂₍₋ᵢ₎) / √(s²₍₋ᵢ₎ hᵢ (τ̂²₍₋ᵢ₎ + vᵢ));
    - Cook's distance: (β̂ − β̂₍₋ᵢ₎)ᵀ Var(β̂)⁻¹ (β̂ − β̂₍₋ᵢ₎);
    - covariance ratio: det Var(β̂₍₋ᵢ₎) / det Var(β̂);
    - τ̂²₍₋ᵢ₎ and Q_E₍₋ᵢ₎ of the refitted model;
    - hat value hᵢ: the diagonal of X(XᵀWX)⁻¹XᵀW, W = diag(1/(vᵢ + τ̂²));
    - weight: 100·wᵢ/Σw;
    - DFBETAS: (β̂ − β̂₍₋ᵢ₎)/√(s²₍₋ᵢ₎ diag((XᵀW₍₋ᵢ₎X)⁻¹)), W₍₋ᵢ₎ = diag(1/(vⱼ + τ̂²₍₋ᵢ₎))
      over all k studies.

    Parameters
    ----------
    yi, vi, sei : array-like
        Estimates and sampling variances (or standard errors).
    moderators : array-like, k or k × m, optional
        Moderators of a meta-regression (an intercept is added).
    method, test
        As for :func:`tincheck.stats.meta.meta_analysis`.
    labels : sequence of str, optional

    Returns
    -------
    InfluenceResult

    References: Viechtbauer & Cheung (2010); Belsley, Kuh & Welsch (1980). R:
    ``influence(rma(yi, vi, method = method, test = test))``.

    >>> res = influence([0.1, 0.3, 0.35, 0.6, 2.0], [0.01, 0.02, 0.015, 0.03, 0.02],
    ...                 method="DL")
    >>> res.flagged, round(float(res.rstudent[4]), 4)
    (('Study 5',), 7.3862)
    """
    method, test = _check(method, test)
    y, v, X, names, coefficients = _model(yi, vi, sei, moderators, labels)
    k, p = X.shape
    full = _fit(y, v, X, method, test)
    deleted = _deletions(y, v, X, method, test)
    w = 1.0 / (v + full.tau2)
    hat = np.einsum("ij,jk,ik->i", X, np.linalg.inv(X.T @ (X * w[:, None])), X) * w
    hat[hat > 1 - 10 * np.finfo(float).eps] = 1.0
    svb = np.linalg.inv(full.vb)
    pred = X @ full.beta
    out = {name: np.full(k, np.nan) for name in
           ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "QE_del")}
    dfbetas = np.full((k, p), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, fit in enumerate(deleted):
            if fit is None:
                continue
            xi = X[i]
            delpred = float(xi @ fit.beta)
            vdelpred = float(xi @ fit.vb @ xi)
            resid = y[i] - delpred
            if abs(resid) < 100 * np.finfo(float).eps:
                resid = 0.0
            out["rstudent"][i] = resid / np.sqrt(v[i] * fit.s2w + vdelpred
                                                 + fit.tau2 * fit.s2w)
            out["dffits"][i] = (pred[i] - delpred) / np.sqrt(
                fit.s2w * hat[i] * (fit.tau2 + v[i]))
            dfb = full.beta - fit.beta
            vb_del = np.linalg.inv(X.T @ (X / (v + fit.tau2)[:, None]))
            dfbetas[i] = dfb / np.sqrt(fit.s2w * np.diag(vb_del))
            out["cook_d"][i] = float(dfb @ svb @ dfb)
            out["cov_r"][i] = np.linalg.det(fit.vb) / np.linalg.det(full.vb)
            out["tau2_del"][i] = fit.tau2
            out["QE_del"][i] = fit.QE
    thresholds = {"dffits": 3 * np.sqrt(p / (k - p)) if k > p else np.nan,
                  "cook_d": float(stats.chi2.ppf(0.5, p)), "hat": 3 * p / k,
                  "dfbetas": 1.0}
    with np.errstate(invalid="ignore"):
        influential = ((np.abs(out["dffits"]) > thresholds["dffits"])
                       | (stats.chi2.cdf(out["cook_d"], p) > 0.5)
                       | (hat > thresholds["hat"])
                       | (np.abs(dfbetas) > 1).any(axis=1))
    return InfluenceResult(
        method=method, test=test, k=k, p=p, labels=names, coefficients=coefficients,
        **{name: frozen(values) for name, values in out.items()},
        hat=frozen(hat), weight=frozen(100 * w / w.sum()), dfbetas=frozen(dfbetas),
        influential=np.asarray(influential, dtype=bool),
        thresholds={k_: float(t) for k_, t in thresholds.items()})


@dataclass(frozen=True)
class BaujatResult:
    """Coordinates of a Baujat plot, one point per study (metafor's ``baujat()``).

    ``heterogeneity`` (x): the study's squared Pearson residual (its contribution to Q
    for a fixed-effect model); ``influence`` (y): the standardised squared change of
    its fitted value when it is left out.
    """

    method: str
    labels: tuple[str, ...] = field(repr=False)
    heterogeneity: np.ndarray = field(repr=False)
    influence: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return jsonable({"method": self.method, "studies": [
            {"label": lab, "heterogeneity": x, "influence": y}
            for lab, x, y in zip(self.labels, self.heterogeneity.tolist(),
                                 self.influence.tolist())]})


def baujat(yi, vi=None, *, sei=None, moderators=None, method: str = "REML",
           test: str = "z", labels=None) -> BaujatResult:
    """Baujat et al.'s (2002) heterogeneity-against-influence coordinates.

    x = (yᵢ − xᵢᵀβ̂)²/(vᵢ + τ̂²), the squared Pearson residual of the full model (for a
    fixed-effect model, study i's contribution to Cochran's Q);
    y = (xᵢᵀβ̂ − xᵢᵀβ̂₍₋ᵢ₎)² / xᵢᵀVar(β̂₍₋ᵢ₎)xᵢ, the squared change of the fitted value
    when study i is left out, standardised by its variance in the reduced model.
    Studies far right are heterogeneous; studies high up move the result.

    Parameters
    ----------
    yi, vi, sei, moderators, method, test, labels
        As for :func:`influence`.

    Returns
    -------
    BaujatResult

    References: Baujat et al. (2002). R: ``baujat(rma(yi, vi, method = method))``.

    >>> res = baujat([0.1, 0.3, 0.35, 0.6, 2.0], [0.01, 0.02, 0.015, 0.03, 0.02],
    ...              method="FE")
    >>> round(float(res.heterogeneity[4]), 3), round(float(res.influence[4]), 3)
    (103.52, 20.704)
    """
    method, test = _check(method, test)
    y, v, X, names, _ = _model(yi, vi, sei, moderators, labels)
    full = _fit(y, v, X, method, test)
    pred = X @ full.beta
    x = (y - pred) ** 2 / (full.tau2 + v)
    influence_y = np.full(y.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, fit in enumerate(_deletions(y, v, X, method, test)):
            if fit is not None:
                xi = X[i]
                influence_y[i] = (xi @ fit.beta - pred[i]) ** 2 / float(xi @ fit.vb @ xi)
    return BaujatResult(method=method, labels=names, heterogeneity=frozen(x),
                        influence=frozen(influence_y))
