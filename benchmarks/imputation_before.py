"""Multiple imputation as tincheck implemented it before its speed-up, kept runnable so
that benchmarks/imputation.py can time it against today's code in the same run and
check that both give the same values to the last digit.

Every regression is refitted and every donor list re-sorted in every iteration, and
the m chains run one after another (the audit ran it with BLAS limited to one thread).
This is a copy of ``tincheck.stats.imputation.impute_pmm`` at commit 85b627b; it is not
part of the package and nothing imports it but the benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tincheck.stats.imputation import RIDGE, _check_columns, _is_categorical


def _design(frame: pd.DataFrame, predictors) -> np.ndarray:
    parts = [np.ones((len(frame), 1))]
    for column in predictors:
        series = frame[column]
        if _is_categorical(series):
            dummies = pd.get_dummies(series.astype("category"), drop_first=True, dtype=float)
            parts.append(dummies.to_numpy())
        else:
            parts.append(series.to_numpy(dtype=float)[:, None])
    return np.hstack(parts)


def _ridge_fit(xtx, xty):
    xtx = xtx.copy()
    diagonal = np.diag(xtx).copy()
    xtx[np.diag_indices_from(xtx)] = diagonal * (1 + RIDGE) + (diagonal == 0)
    try:
        inverse = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        inverse = np.linalg.pinv(xtx)
    return inverse @ xty, inverse


def _draw_posterior(beta, inverse, rss, n_obs, rng):
    sigma = np.sqrt(rss / rng.chisquare(max(n_obs - len(beta), 1)))
    chol = np.linalg.cholesky((inverse + inverse.T) / 2)
    return beta + sigma * chol @ rng.standard_normal(len(beta))


def _match(yhat_obs, yhat_mis, donors, rng):
    order = np.argsort(yhat_obs, kind="stable")
    ranked = yhat_obs[order]
    d = min(donors, len(ranked))
    start = np.searchsorted(ranked, yhat_mis)
    candidates = start[:, None] + np.arange(-d, d)[None, :]
    valid = (candidates >= 0) & (candidates < len(ranked))
    candidates = np.clip(candidates, 0, len(ranked) - 1)
    distance = np.where(valid, np.abs(ranked[candidates] - yhat_mis[:, None]), np.inf)
    nearest = np.argpartition(distance, d - 1, axis=1)[:, :d]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, d, size=len(yhat_mis))]
    return order[candidates[np.arange(len(yhat_mis)), pick]]


def impute_pmm(frame, impute_columns, predictors, *, m=20, seed=None, donors=5,
               iterations=10):
    """The implementation before the speed-up (same arguments and results)."""
    impute_columns, predictors = list(impute_columns), list(predictors)
    _check_columns(frame, impute_columns, predictors)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    base = _design(frame, predictors)
    values = frame[impute_columns].to_numpy(dtype=float)
    missing = np.isnan(values)
    todo = [j for j in range(len(impute_columns)) if missing[:, j].any()]
    imputed_counts = {c: int(missing[:, j].sum()) for j, c in enumerate(impute_columns)}
    blocks = {}
    for j in todo:
        obs = ~missing[:, j]
        b_obs = base[obs]
        blocks[j] = (obs, b_obs, base[~obs], b_obs.T @ b_obs)
    p0 = base.shape[1]
    results = []
    for number, child in enumerate(np.random.SeedSequence(seed).spawn(m), start=1):
        rng = np.random.default_rng(child)
        current = values.copy()
        for j in todo:
            observed = values[~missing[:, j], j]
            current[missing[:, j], j] = rng.choice(observed, size=missing[:, j].sum())
        for _ in range(iterations if todo else 0):
            for j in todo:
                obs, b_obs, b_mis, gram = blocks[j]
                others = np.delete(current, j, axis=1)
                o_obs, o_mis, y = others[obs], others[~obs], current[obs, j]
                cross = b_obs.T @ o_obs
                xtx = np.block([[gram, cross], [cross.T, o_obs.T @ o_obs]])
                xty = np.concatenate([b_obs.T @ y, o_obs.T @ y])
                beta, inverse = _ridge_fit(xtx, xty)
                yhat_obs = b_obs @ beta[:p0] + o_obs @ beta[p0:]
                beta_star = _draw_posterior(beta, inverse, np.sum((y - yhat_obs) ** 2),
                                            len(y), rng)
                yhat_mis = b_mis @ beta_star[:p0] + o_mis @ beta_star[p0:]
                current[~obs, j] = y[_match(yhat_obs, yhat_mis, donors, rng)]
        completed = frame.copy()
        for j in todo:
            column = impute_columns[j]
            filled = pd.Series(current[:, j], index=frame.index, name=column)
            dtype = frame[column].dtype
            completed[column] = filled.astype(dtype) if pd.api.types.is_extension_array_dtype(
                dtype) else filled
        completed.attrs["imputation"] = {
            "method": "chained equations, predictive mean matching", "seed": seed, "m": m,
            "imputation": number, "donors": donors, "iterations": iterations,
            "imputed": imputed_counts}
        results.append(completed)
    return results
