"""Multiple imputation: chained equations with predictive mean matching, Rubin's rules.

:func:`impute_pmm` fills the missing values of numeric columns m times (each a draw
from the predictive distribution, so the m completed data sets differ where the data
are uncertain); an analysis is run on each; :func:`rubin_rules` pools the m estimates
and their variances into one estimate whose variance includes the uncertainty due to
missing data. :func:`pooled_proportion` does both steps for a proportion (e.g.
recovery among cases when some last scores are missing).

References
----------
Rubin DB (1987) Multiple Imputation for Nonresponse in Surveys. Wiley.
Little RJA (1988) Missing-data adjustments in large surveys. J Bus Econ Stat 6:287-296.
Barnard J, Rubin DB (1999) Small-sample degrees of freedom with multiple imputation.
Biometrika 86:948-955.
van Buuren S, Groothuis-Oudshoorn K (2011) mice: multivariate imputation by chained
equations in R. J Stat Softw 45(3):1-67.
van Buuren S (2018) Flexible Imputation of Missing Data, 2nd ed. Chapman & Hall/CRC.
Marshall A, Altman DG, Holder RL, Royston P (2009) Combining estimates of interest in
prognostic modelling studies after multiple imputation: current practice and
guidelines. BMC Med Res Methodol 9:57.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats
from threadpoolctl import threadpool_limits

from .. import parallel
from .arguments import as_float_array, check_confidence, plain_dict, require, scalar_or_array

__all__ = ["PooledProportion", "RubinResult", "impute_pmm", "pooled_proportion",
           "rubin_rules"]

RIDGE = 1e-5  # as mice: X'X + diag(X'X) · 1e-5 keeps collinear predictors solvable


@dataclass(frozen=True)
class RubinResult:
    """Estimates pooled over m imputations (floats, or arrays for several estimands).

    ``variance`` is the total variance T = W + (1 + 1/m)B; ``riv`` the relative
    increase in variance due to missing data, (1 + 1/m)B/W; ``fmi`` the fraction of
    missing information.
    """

    estimate: float | np.ndarray
    variance: float | np.ndarray
    within: float | np.ndarray
    between: float | np.ndarray
    df: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    fmi: float | np.ndarray
    riv: float | np.ndarray
    m: int

    def to_dict(self) -> dict:
        """Plain Python values (lists for arrays), ready for JSON."""
        return plain_dict(self)


def rubin_rules(estimates, variances, *, df_complete=None,
                confidence: float = 0.95) -> RubinResult:
    """Pool m completed-data estimates and their variances by Rubin's rules.

    With Q_k and U_k the estimate and its variance in imputation k = 1..m:
    Q̄ = mean Q_k; W = mean U_k (within); B = Σ(Q_k − Q̄)²/(m − 1) (between);
    T = W + (1 + 1/m)B. With λ = (1 + 1/m)B/T and r = (1 + 1/m)B/W:
    df = (m − 1)/λ² (Rubin 1987), or, given the complete-data degrees of freedom
    ν_com, the Barnard-Rubin (1999) small-sample df
    df = df_old·df_obs/(df_old + df_obs), df_obs = (ν_com + 1)/(ν_com + 3)·ν_com(1 − λ).
    Fraction of missing information fmi = (r + 2/(df + 3))/(1 + r).
    CI = Q̄ ± t(df, 1 − α/2)·√T (normal when B = 0, df = ∞).

    Parameters
    ----------
    estimates, variances : array-like, shape (m,) or (m, k)
        One row per imputation (m ≥ 2); columns pool separate estimands at once.
    df_complete : float, optional
        ν_com, the degrees of freedom the analysis would have without missing data
        (e.g. n − 1 for a mean or proportion); gives the Barnard-Rubin df.
    confidence : float, default 0.95

    Returns
    -------
    RubinResult

    References: Rubin (1987); Barnard & Rubin (1999); van Buuren (2018) ch. 2.

    >>> pooled = rubin_rules([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    >>> round(pooled.variance, 4), round(pooled.df, 4), round(pooled.fmi, 4)
    (2.3333, 6.125, 0.6654)
    """
    check_confidence(confidence)
    q = as_float_array("estimates", estimates)
    u = as_float_array("variances", variances)
    if q.shape != u.shape or q.ndim not in (1, 2):
        raise ValueError(f"estimates and variances must have the same shape (m,) or (m, k); "
                         f"got {q.shape} and {u.shape}")
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"{m} imputation(s): Rubin's rules need at least 2")
    require("estimates", q, np.isfinite(q), "a finite estimate")
    require("variances", u, np.isfinite(u) & (u >= 0), "a finite variance ≥ 0")
    if np.isnan(q).any() or np.isnan(u).any():
        raise ValueError("estimates and variances must not be missing (NaN)")
    qbar = q.mean(axis=0)
    within = u.mean(axis=0)
    between = q.var(axis=0, ddof=1)
    extra = (1 + 1 / m) * between
    total = within + extra
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(total > 0, extra / total, 0.0)
        riv = np.where(within > 0, extra / within, np.where(extra > 0, np.inf, 0.0))
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if df_complete is None:
            df = df_old
        else:
            nu = float(df_complete)
            if not nu > 0:
                raise ValueError(f"df_complete = {df_complete!r}: expected a number > 0")
            df_obs = (nu + 1) / (nu + 3) * nu * (1 - lam)
            df = np.where(np.isinf(df_old), df_obs, df_old * df_obs / (df_old + df_obs))
        fmi = np.where(np.isinf(riv), 1.0, (riv + 2 / (df + 3)) / (1 + riv))
    half = stats.t.ppf(1 - (1 - confidence) / 2, df) * np.sqrt(total)
    out = {"estimate": qbar, "variance": total, "within": within, "between": between,
           "df": df, "ci_low": qbar - half, "ci_high": qbar + half, "fmi": fmi, "riv": riv}
    return RubinResult(m=m, **{key: scalar_or_array(value) for key, value in out.items()})


# --- predictive mean matching ----------------------------------------------------------

def _is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def _check_columns(frame: pd.DataFrame, impute_columns, predictors) -> None:
    wanted = list(impute_columns) + list(predictors)
    unknown = [c for c in wanted if c not in frame.columns]
    if unknown:
        raise ValueError(f"column(s) {unknown} not in the data; columns are "
                         f"{list(frame.columns)}")
    both = sorted(set(impute_columns) & set(predictors))
    if both:
        raise ValueError(f"column(s) {both} are both imputed and predictors: list them in "
                         "impute_columns only (each imputed column predicts the others)")
    for column in impute_columns:
        if _is_categorical(frame[column]):
            raise ValueError(f"column {column!r} has dtype {frame[column].dtype}: predictive "
                             "mean matching here imputes numeric columns only")
        observed = int(frame[column].notna().sum())
        if observed < 2:
            raise ValueError(f"column {column!r} has {observed} observed value(s): at least 2 "
                             "are needed to impute it")
    for column in predictors:
        missing = frame[column].isna()
        if missing.any():
            first = frame.index[missing.to_numpy()][0]
            raise ValueError(
                f"predictor {column!r} is missing in {int(missing.sum())} row(s) (first: "
                f"index {first!r}); predictors must be complete: impute a numeric predictor "
                "by listing it in impute_columns, or give a categorical one an explicit "
                "'unknown' level")


def _design_columns(frame: pd.DataFrame, predictors) -> list[np.ndarray]:
    """The design's columns: intercept, numeric predictors as they are, categorical ones
    one-hot (first level dropped), each a 1-D array over all rows (float, or bool for
    an indicator: an eighth of the memory, read as 0.0 and 1.0 by :func:`_design_rows`)."""
    parts = [np.ones(len(frame))]
    for column in predictors:
        series = frame[column]
        if _is_categorical(series):
            categorical = series.astype("category")
            codes = categorical.cat.codes.to_numpy()
            levels = len(categorical.cat.categories)  # unused levels too, as get_dummies
            parts.extend(codes == level for level in range(1, levels))
        else:
            parts.append(series.to_numpy(dtype=float))
    return parts


def _design_rows(parts: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The design matrix's ``rows`` (C-ordered), built without the whole matrix."""
    out = np.empty((len(rows), len(parts)))
    for k, part in enumerate(parts):
        out[:, k] = part[rows]
    return out


def _ridge_fit(xtx: np.ndarray, xty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """β̂ = (X'X + diag(X'X)·ridge)⁻¹X'y, and that inverse.

    A column that is zero in every observed row (a category met only among the rows
    being imputed) has a zero diagonal; it gets 1 there, so its coefficient is 0
    instead of the matrix being singular. Any remaining exact collinearity falls
    back to the pseudo-inverse.
    """
    xtx = xtx.copy()
    diagonal = np.diag(xtx).copy()
    xtx[np.diag_indices_from(xtx)] = diagonal * (1 + RIDGE) + (diagonal == 0)
    try:
        inverse = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(xtx)
    return inverse @ xty, inverse


def _posterior_factor(inverse: np.ndarray) -> np.ndarray:
    """The Cholesky factor of (X'X)⁻¹ (symmetrised), for :func:`_draw_posterior`."""
    return np.linalg.cholesky((inverse + inverse.T) / 2)


def _draw_posterior(beta: np.ndarray, chol: np.ndarray, rss: float, n_obs: int,
                    rng: np.random.Generator) -> np.ndarray:
    """β* = β̂ + σ*·chol((X'X)⁻¹)·z with σ*² = RSS/χ²(n_obs − p) (mice's .norm.draw)."""
    sigma = np.sqrt(rss / rng.chisquare(max(n_obs - len(beta), 1)))
    return beta + sigma * chol @ rng.standard_normal(len(beta))


def _stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``, computed faster.

    An unstable sort (vectorised, several times faster than the stable one) orders the
    values; rows with equal values (frequent: many people share their predictors) are
    then put in index order by sorting the unique integers ``run·n + index``, which
    gives exactly the stable order.
    """
    n = len(values)
    order = np.argsort(values)
    ranked = values[order]
    if n < 2 or np.isnan(ranked[-1]):
        return np.argsort(values, kind="stable")  # NaN never occurs; be exact anyway
    breaks = ranked[1:] != ranked[:-1]
    if breaks.all():
        return order
    run = np.empty(n, dtype=np.int64)
    run[0] = 0
    np.cumsum(breaks, out=run[1:])
    key = run * n + order
    key.sort()
    return key - run * n


class _Donors:
    """The observed rows of one column ordered by their predicted means, for matching.

    The d nearest neighbours of a value among sorted values lie within d places of
    its insertion point, so the 2d values around it suffice: ``windows[i]`` holds the
    sorted values at positions i − d … i + d − 1 (infinite beyond either end).
    """

    def __init__(self, yhat_obs: np.ndarray, donors: int):
        self.order = _stable_order(yhat_obs)
        self.ranked = yhat_obs[self.order]
        self.d = min(donors, len(self.ranked))
        pad = np.full(self.d, np.inf)
        self.windows = np.lib.stride_tricks.sliding_window_view(
            np.concatenate([pad, self.ranked, pad]), 2 * self.d)

    def match(self, yhat_mis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """For each missing row, the index of one of the d closest observed rows, drawn
        with equal probability.

        Queries are located in sorted order (the same insertion points, found with
        far fewer cache misses). The d nearest of sorted values are a run of d
        consecutive ones: of the 2d candidates around the insertion point, the run
        starting at place s, where s counts the places j < d whose candidate j + d is
        nearer than candidate j (moving the run one place right while its far end is
        nearer than its near end; that holds for a prefix of j, so counting finds
        where it stops). Equal distances keep the lower value. One of the run is
        drawn at random.
        """
        n, d = len(yhat_mis), self.d
        by_value = np.argsort(yhat_mis)
        start = np.empty(n, dtype=np.intp)
        start[by_value] = np.searchsorted(self.ranked, yhat_mis[by_value])
        distance = self.windows[start]
        np.subtract(distance, yhat_mis[:, None], out=distance)
        np.abs(distance, out=distance)
        shift = np.count_nonzero(distance[:, d:] < distance[:, :d], axis=1)
        candidate = start - d + shift + rng.integers(0, d, size=n)
        candidate = np.clip(candidate, 0, len(self.ranked) - 1)
        return self.order[candidate]


@dataclass
class _Equation:
    """The regression of imputed column ``j`` on the predictors and the other imputed
    columns (``others``), with what never changes between iterations and imputations.

    When every other imputed column is observed wherever column j is (monotone
    missingness, e.g. last PHQ-9 and last anxiety score missing together), the
    regression's rows never hold an imputed value: β̂, (X'X)⁻¹, the residual sum of
    squares and the ordered donors are then the same in every iteration of every
    imputation, and are computed once (``fixed``).
    """

    j: int
    others: np.ndarray
    obs: np.ndarray
    mis: np.ndarray
    y: np.ndarray
    b_obs: np.ndarray | None
    b_mis: np.ndarray
    gram: np.ndarray | None
    fixed: tuple | None = None


def _equations(frame, values, missing, todo, predictors, donors) -> list[_Equation]:
    parts = _design_columns(frame, predictors)
    p0 = len(parts)
    equations = []
    for j in todo:
        obs = np.flatnonzero(~missing[:, j])
        mis = np.flatnonzero(missing[:, j])
        others = np.array([k for k in range(values.shape[1]) if k != j], dtype=np.intp)
        b_obs = _design_rows(parts, obs)
        # columns missing in the same rows (last scores, mostly) share one B_mis
        b_mis = next((e.b_mis for e in equations if np.array_equal(e.mis, mis)), None)
        # The predictor block B never changes: its Gram matrix B'B over the rows where
        # column j is observed is computed once, so that each regression costs
        # O(n·p·q) (q = other imputed columns) instead of O(n·p²).
        equation = _Equation(j, others, obs, mis, values[obs, j], b_obs,
                             _design_rows(parts, mis) if b_mis is None else b_mis,
                             b_obs.T @ b_obs)
        del b_obs  # the equation holds it only while it needs it (below)
        if not missing[np.ix_(obs, others)].any():
            o_obs = values[np.ix_(obs, others)]
            beta, inverse = _fit(equation, o_obs)
            yhat_obs = equation.b_obs @ beta[:p0] + o_obs @ beta[p0:]
            rss = np.sum((equation.y - yhat_obs) ** 2)
            equation.fixed = (beta, _posterior_factor(inverse), rss,
                              _Donors(yhat_obs, donors))
            equation.b_obs = equation.gram = None  # not needed again
        equations.append(equation)
    return equations


def _fit(equation: _Equation, o_obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares (ridge as mice) of column j on [B, other imputed columns]."""
    b_obs, y = equation.b_obs, equation.y
    cross = b_obs.T @ o_obs
    xtx = np.block([[equation.gram, cross], [cross.T, o_obs.T @ o_obs]])
    xty = np.concatenate([b_obs.T @ y, o_obs.T @ y])
    return _ridge_fit(xtx, xty)


def _chain(child: np.random.SeedSequence, values: np.ndarray, missing: np.ndarray,
           equations: list[_Equation], donors: int, iterations: int) -> np.ndarray:
    """One imputation: random starting values, then ``iterations`` passes."""
    rng = np.random.default_rng(child)
    current = values.copy()
    for e in equations:
        observed = values[~missing[:, e.j], e.j]
        current[missing[:, e.j], e.j] = rng.choice(observed, size=missing[:, e.j].sum())
    for _ in range(iterations if equations else 0):
        for e in equations:
            p0 = e.b_mis.shape[1]
            o_mis = current[np.ix_(e.mis, e.others)]
            if e.fixed is not None:
                beta, chol, rss, donor_table = e.fixed
            else:
                o_obs = current[np.ix_(e.obs, e.others)]
                beta, inverse = _fit(e, o_obs)
                yhat_obs = e.b_obs @ beta[:p0] + o_obs @ beta[p0:]
                rss = np.sum((e.y - yhat_obs) ** 2)
                chol = _posterior_factor(inverse)
                donor_table = None
            beta_star = _draw_posterior(beta, chol, rss, len(e.y), rng)
            yhat_mis = e.b_mis @ beta_star[:p0] + o_mis @ beta_star[p0:]
            if donor_table is None:
                donor_table = _Donors(yhat_obs, donors)
            current[e.mis, e.j] = e.y[donor_table.match(yhat_mis, rng)]
    return current


# Chains run in forked processes (Linux) once there are this many values to impute in
# all: much of a chain's work holds Python's interpreter lock, so threads barely overlap,
# while forking the pool costs tens of milliseconds, too much for a small service.
PROCESS_MIN_VALUES = 20_000


def _imputed_values(shared: tuple, child: np.random.SeedSequence) -> list[np.ndarray]:
    """One chain's imputed values, one array per equation in the order of its missing
    rows (all a forked worker sends back, and all :class:`CompletedFrames` keeps)."""
    values, missing, equations, donors, iterations = shared
    current = _chain(child, values, missing, equations, donors, iterations)
    return [current[e.mis, e.j] for e in equations]


def _run_chains(children, values, missing, equations, donors, iterations,
                workers: int) -> list[list[np.ndarray]]:
    """The imputed values of every chain (:func:`_imputed_values`), on ``workers``
    threads or processes (the same values either way: each chain has its own random
    stream)."""
    shared = (values, missing, equations, donors, iterations)
    if workers == 1:
        return [_imputed_values(shared, child) for child in children]
    if parallel.can_fork() and sum(len(e.mis) for e in equations) >= PROCESS_MIN_VALUES:
        return parallel.forked_map(_imputed_values, shared, children, workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda child: _imputed_values(shared, child), children))


class CompletedFrames(Sequence):
    """The m completed copies of a frame (:func:`impute_pmm`), each built when read.

    Only the imputed values are held: m full copies of the imputed columns took
    0.65 GB at 1,000,000 referrals (806,341 cases, m = 20), the imputed values of
    all m imputations a sixth of that. Indexing and iteration give DataFrames, as a
    list of them would; a slice gives a list.
    """

    def __init__(self, frame: pd.DataFrame, columns: list[str], mis: list[np.ndarray],
                 imputed: list[list[np.ndarray]], attrs: dict):
        self._frame, self._columns, self._mis = frame, columns, mis
        self._imputed, self._attrs = imputed, attrs

    def __len__(self) -> int:
        return len(self._imputed)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        number = range(len(self))[index]  # IndexError as a list's, negatives allowed
        frame = self._frame
        completed = frame.copy(deep=False)
        for column, rows, filled in zip(self._columns, self._mis, self._imputed[number]):
            values = frame[column].to_numpy(dtype=float, na_value=np.nan, copy=True)
            values[rows] = filled
            series = pd.Series(values, index=frame.index, name=column)
            dtype = frame[column].dtype
            completed[column] = series.astype(dtype) if \
                pd.api.types.is_extension_array_dtype(dtype) else series
        completed.attrs["imputation"] = {**self._attrs, "imputation": number + 1}
        return completed


def default_workers() -> int:
    """The processor cores this process may use (imputations run in parallel on them)."""
    return parallel.cores()


def impute_pmm(frame: pd.DataFrame, impute_columns: Sequence[str], predictors: Sequence[str],
               *, m: int = 20, seed: int | None = None, donors: int = 5,
               iterations: int = 10, workers: int | None = None) -> list[pd.DataFrame]:
    """m completed copies of ``frame`` by chained equations with predictive mean matching.

    For each chain (one per imputation), missing values start as random draws from
    the observed values; then, ``iterations`` times, each column j of
    ``impute_columns`` in turn is regressed (least squares, rows where j is
    observed) on an intercept, the ``predictors`` and the other imputed columns. A
    coefficient vector β* is drawn from its posterior (σ*² = RSS/χ²(n_obs − p),
    β* ~ N(β̂, σ*²(X'X)⁻¹)); each missing row's predicted mean X_mis·β* is matched
    to the ``donors`` observed rows with the closest X_obs·β̂ (type-1 matching) and
    takes the observed value of one of them at random. Imputed values are therefore
    always values that occur in the data (whole scores stay whole and in range).
    This is the algorithm of R's mice (``method = "pmm"``).

    What does not change is computed once: the predictors' Gram matrix, and, where
    the other imputed columns are observed wherever column j is (monotone
    missingness), column j's whole regression and its ordered donors. The m chains
    run in parallel on ``workers`` forked processes (Linux, from
    ``PROCESS_MIN_VALUES`` values to impute) or threads; each has its own random
    stream (spawned from ``seed``), so the result does not depend on the number of
    workers nor on how they run.

    Parameters
    ----------
    frame : DataFrame
    impute_columns : list of str
        Numeric columns whose missing values are imputed.
    predictors : list of str
        Complete columns used to predict them. Numeric ones enter as they are;
        categorical ones (object, string or category dtype) are one-hot encoded with
        the first level dropped.
    m : int, default 20
        Number of imputations.
    seed : int, optional
        Seed of the random generator. When None a fresh seed is drawn; either way it
        is recorded in each result's ``attrs["imputation"]["seed"]``, so that the
        imputations can be reproduced and the seed reported.
    donors : int, default 5
        Number of closest observed rows to choose a donor from.
    iterations : int, default 10
        Passes through the chained equations per imputation.
    workers : int, optional
        Processes or threads running the imputations (default: the cores this
        process may use).

    Returns
    -------
    CompletedFrames
        A sequence of m DataFrames, each built when read (:class:`CompletedFrames`):
        copies of ``frame`` with the missing values of ``impute_columns`` filled;
        ``attrs["imputation"]`` holds method, seed, m, the imputation number (1..m),
        donors, iterations and the number of values imputed per column.

    References: Little (1988); van Buuren & Groothuis-Oudshoorn (2011); van Buuren
    (2018) §3.4.

    >>> frame = pd.DataFrame({"first": [20, 15, 12, 18, 9, 14], "last": [12, 9, None, 8, 7, 9]})
    >>> [float(f.loc[2, "last"]) for f in impute_pmm(frame, ["last"], ["first"], m=3, seed=7)]
    [7.0, 8.0, 9.0]
    """
    impute_columns, predictors = list(impute_columns), list(predictors)
    for name, value, low in (("m", m, 1), ("donors", donors, 1), ("iterations", iterations, 1)):
        if not (isinstance(value, (int, np.integer)) and value >= low):
            raise ValueError(f"{name} = {value!r}: expected a whole number ≥ {low}")
    if workers is not None and not (isinstance(workers, (int, np.integer)) and workers >= 1):
        raise ValueError(f"workers = {workers!r}: expected a whole number ≥ 1")
    _check_columns(frame, impute_columns, predictors)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    values = frame[impute_columns].to_numpy(dtype=float)
    missing = np.isnan(values)
    todo = [j for j in range(len(impute_columns)) if missing[:, j].any()]
    imputed_counts = {c: int(missing[:, j].sum()) for j, c in enumerate(impute_columns)}
    children = np.random.SeedSequence(seed).spawn(m)
    workers = min(workers or default_workers(), m)
    # BLAS threads on these thin matrices only contend with each other and the chains
    # (forked workers inherit the limit)
    with threadpool_limits(limits=1, user_api="blas"):
        equations = _equations(frame, values, missing, todo, predictors, donors)
        imputed = _run_chains(children, values, missing, equations, donors, iterations,
                              workers)
    return CompletedFrames(
        frame, [impute_columns[e.j] for e in equations], [e.mis for e in equations],
        imputed, {"method": "chained equations, predictive mean matching", "seed": seed,
                  "m": m, "donors": donors, "iterations": iterations,
                  "imputed": imputed_counts})


# --- a proportion over imputations -----------------------------------------------------

@dataclass(frozen=True)
class PooledProportion:
    """A proportion pooled over m imputations, with its CI.

    ``scale`` is the scale Rubin's rules were applied on ("logit" or "raw");
    ``pooled`` holds the pooled result on that scale; ``per_imputation`` the m
    proportions; ``note`` says when the logit scale could not be used.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    m: int
    scale: str
    per_imputation: np.ndarray
    pooled: RubinResult
    note: str = ""

    def to_dict(self) -> dict:
        """Plain Python values (lists for arrays), ready for JSON."""
        return plain_dict(self)


def _indicator_values(frame: pd.DataFrame, indicator, number: int) -> np.ndarray:
    if callable(indicator):
        values = indicator(frame)
    elif indicator in frame.columns:
        values = frame[indicator]
    else:
        raise ValueError(f"indicator {indicator!r} is neither a column of the data nor a "
                         "function of a data frame")
    values = np.asarray(values)
    if values.dtype == bool:  # true/false everywhere: nothing to check (0.4 s at 1M, m=20)
        return values.astype(float)
    values = pd.Series(values, index=frame.index)
    bad = values.isna() | ~values.isin([0, 1, True, False])
    if bad.any():
        first = values.index[bad.to_numpy()][0]
        raise ValueError(f"imputation {number}: the indicator is {values[first]!r} at index "
                         f"{first!r}; expected true/false (or 1/0) for every row of a "
                         "completed data set")
    return values.to_numpy(dtype=float)


def pooled_proportion(frames: Sequence[pd.DataFrame], indicator: str | Callable, *,
                      scale: str = "logit", confidence: float = 0.95) -> PooledProportion:
    """A proportion estimated in each completed data set and pooled by Rubin's rules.

    In imputation k, p_k = mean of the indicator over the n rows. On the logit scale
    (default) Q_k = logit(p_k) with U_k = 1/(n·p_k(1 − p_k)) (delta method); on the
    raw scale Q_k = p_k with U_k = p_k(1 − p_k)/n. The pooled estimate and CI
    (Barnard-Rubin df with ν_com = n − 1) are back-transformed with the inverse logit.

    Why logit: Rubin's rules assume the estimate is approximately normal. A
    proportion's sampling distribution is skewed and bounded near 0 and 1, its logit
    much less so, and the back-transformed interval stays inside (0, 1); pooling on a
    transformed scale that is closer to normal is the recommendation of van Buuren
    (2018, ch. 5) and Marshall et al. (2009). When some p_k is exactly 0 or 1 the
    logit is infinite: the pooling then falls back to the raw scale and ``note`` says
    so.

    Parameters
    ----------
    frames : list of DataFrame
        The m completed data sets (e.g. from :func:`impute_pmm`), m ≥ 2.
    indicator : str or callable
        A boolean (or 0/1) column, or a function of a completed frame returning one,
        e.g. ``lambda f: (f.last_phq9 < 10) & (f.last_gad7 < 8)``.
    scale : {"logit", "raw"}, default "logit"
    confidence : float, default 0.95

    Returns
    -------
    PooledProportion

    References: Rubin (1987); Barnard & Rubin (1999); Marshall et al. (2009); van
    Buuren (2018) ch. 5.

    >>> frames = [pd.DataFrame({"recovered": [True] * k + [False] * (10 - k)}) for k in (4, 5, 6)]
    >>> round(pooled_proportion(frames, "recovered").estimate, 4)
    0.5
    """
    if scale not in ("logit", "raw"):
        raise ValueError(f"scale = {scale!r}: expected 'logit' or 'raw'")
    # one completed data set at a time: impute_pmm's are built when read
    # (CompletedFrames), and a list of all of them would hold m copies at once
    means, sizes = [], set()
    for k, f in enumerate(frames, start=1):
        sizes.add(len(f))
        means.append(_indicator_values(f, indicator, k).mean() if len(f) else np.nan)
    if len(means) < 2:
        raise ValueError(f"{len(means)} completed data set(s): pooling needs at least 2")
    if len(sizes) != 1:
        raise ValueError(f"the completed data sets differ in length ({sorted(sizes)}); they "
                         "must be imputations of the same data")
    n = sizes.pop()
    if n == 0:
        raise ValueError("the completed data sets have no rows")
    p = np.array(means)
    note = ""
    if scale == "logit" and ((p == 0) | (p == 1)).any():
        scale = "raw"
        note = ("some imputation gave a proportion of exactly 0 or 1, where the logit is "
                "infinite: pooled on the raw scale instead")
    if scale == "logit":
        pooled = rubin_rules(special.logit(p), 1 / (n * p * (1 - p)), df_complete=n - 1,
                             confidence=confidence)
        low, estimate, high = special.expit([pooled.ci_low, pooled.estimate, pooled.ci_high])
    else:
        pooled = rubin_rules(p, p * (1 - p) / n, df_complete=n - 1, confidence=confidence)
        low, estimate, high = max(pooled.ci_low, 0.0), pooled.estimate, min(pooled.ci_high,
                                                                            1.0)
    return PooledProportion(estimate=float(estimate), ci_low=float(low), ci_high=float(high),
                            n=n, m=len(means), scale=scale, per_imputation=p,
                            pooled=pooled, note=note)
