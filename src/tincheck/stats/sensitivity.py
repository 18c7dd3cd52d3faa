"""Leave-one-out and cumulative meta-analysis: the pooled result re-computed on subsets.

``leave_one_out`` pools the studies k times, each time without one of them: a result
that moves when one study goes is carried by that study. ``cumulative`` pools the
first 1, 2, ..., k studies in a chosen order (usually publication year): it shows how
the evidence accumulated, and whether early studies (often by the developers of a
treatment) set an estimate that later ones did not confirm. Each subset is pooled by
:func:`tincheck.stats.meta.meta_analysis` with the same estimator, test and level, as
metafor's ``leave1out`` and ``cumul`` do.

References
----------
Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992)
Cumulative meta-analysis of therapeutic trials for myocardial infarction. N Engl J Med
327:248-254.
Viechtbauer W, Cheung MW-L (2010) Outlier and influence diagnostics for meta-analysis.
Res Synth Methods 1:112-125.
Viechtbauer W (2010) Conducting meta-analyses in R with the metafor package. J Stat Softw
36(3):1-48.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .inputs import frozen, jsonable, prepare
from .meta import meta_analysis

__all__ = ["RepooledResult", "cumulative", "leave_one_out"]

FIELDS = ("estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "Q", "Q_pvalue",
          "tau2", "I2", "H2")


@dataclass(frozen=True)
class RepooledResult:
    """One pooled result per subset of the studies, as arrays in subset order.

    ``kind`` is "leave-one-out" (row i: every study but ``labels[i]``) or "cumulative"
    (row i: the studies ``labels[0..i]``, in the order given by ``order``, the
    positions of the studies in the input). ``k`` is the number of studies pooled in
    each row. A row of one study under Hartung-Knapp uses the z test (noted), as metafor.
    """

    kind: str
    method: str
    test: str
    level: float
    labels: tuple[str, ...] = field(repr=False)
    order: np.ndarray = field(repr=False)
    k: np.ndarray = field(repr=False)
    estimate: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    statistic: np.ndarray = field(repr=False)
    pvalue: np.ndarray = field(repr=False)
    ci_low: np.ndarray = field(repr=False)
    ci_high: np.ndarray = field(repr=False)
    Q: np.ndarray = field(repr=False)
    Q_pvalue: np.ndarray = field(repr=False)
    tau2: np.ndarray = field(repr=False)
    I2: np.ndarray = field(repr=False)
    H2: np.ndarray = field(repr=False)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready: settings and one row per subset."""
        rows = [{"label": lab, "position": int(pos), "k": int(k),
                 **{name: getattr(self, name)[i] for name in FIELDS}}
                for i, (lab, pos, k) in enumerate(zip(self.labels, self.order, self.k))]
        return jsonable({"kind": self.kind, "method": self.method, "test": self.test,
                         "level": self.level, "rows": rows, "notes": list(self.notes)})


def _pool(kind, subsets, y, v, names, order, method, test, level) -> RepooledResult:
    values = {name: np.full(len(subsets), np.nan) for name in FIELDS}
    notes: list[str] = []
    for i, subset in enumerate(subsets):
        row_test = test
        if test != "z" and subset.size < 2:  # no df for Hartung-Knapp: z, as metafor
            notes.append(f"row {i + 1} pools one study: z test instead of Hartung-Knapp "
                         "(k - 1 = 0 df)")
            row_test = "z"
        res = meta_analysis(y[subset], v[subset], method=method, test=row_test, level=level)
        for name in FIELDS:
            values[name][i] = getattr(res, name)
    return RepooledResult(
        kind=kind, method=method.upper(), test=test.lower(), level=level,
        labels=tuple(names[j] for j in order), order=np.asarray(order),
        k=np.array([s.size for s in subsets]),
        **{name: frozen(values[name]) for name in FIELDS}, notes=tuple(notes))


def leave_one_out(yi, vi=None, *, sei=None, method: str = "REML", test: str = "z",
                  level: float = 0.95, labels=None) -> RepooledResult:
    """Leave-one-out meta-analysis: the studies pooled k times, without each in turn.

    Row i is ``meta_analysis`` of every study but study i (same ``method``, ``test``
    and ``level``): estimate, SE, test statistic, p, CI, Cochran's Q and its p, τ², I²,
    H² — metafor's ``leave1out`` columns.

    Parameters
    ----------
    yi, vi, sei, method, test, level, labels
        As for :func:`tincheck.stats.meta.meta_analysis`.

    Returns
    -------
    RepooledResult

    References: Viechtbauer & Cheung (2010). R: ``leave1out(rma(yi, vi, method = method,
    test = test))``.

    >>> res = leave_one_out([0.1, 0.3, 0.35, 0.6, 2.0], [0.01, 0.02, 0.015, 0.03, 0.02],
    ...                     method="DL")
    >>> [round(float(x), 3) for x in res.estimate]
    [0.812, 0.76, 0.748, 0.685, 0.309]
    """
    y, v, names, _ = prepare(yi, vi, sei, labels)
    if y.size < 2:
        raise ValueError("leave-one-out needs at least 2 studies")
    everyone = np.arange(y.size)
    subsets = [everyone[everyone != i] for i in everyone]
    return _pool("leave-one-out", subsets, y, v, names, everyone, method, test, level)


def cumulative(yi, vi=None, *, sei=None, order=None, decreasing: bool = False,
               method: str = "REML", test: str = "z", level: float = 0.95,
               labels=None) -> RepooledResult:
    """Cumulative meta-analysis: the first 1, 2, ..., k studies pooled in a given order.

    The studies are sorted by ``order`` (e.g. publication year; ties keep the input
    order, as R's ``order()``) and row i pools the first i of them with
    ``meta_analysis`` (same ``method``, ``test``, ``level``). With one study, τ² = 0
    and the estimate is that study's; under Hartung-Knapp the first row uses the z test
    (no degrees of freedom), as metafor does. Heterogeneity of one study (I², H², Q's
    p) is undefined and NaN here; metafor prints 0, 1 and 1 for it.

    Parameters
    ----------
    yi, vi, sei, method, test, level, labels
        As for :func:`tincheck.stats.meta.meta_analysis`.
    order : sequence, optional
        One sortable value per study (numbers or text); default the input order.
    decreasing : bool, default False
        Sort from the largest value down.

    Returns
    -------
    RepooledResult
        ``order`` holds the input positions of the studies in pooling order.

    References: Lau et al. (1992). R: ``cumul(rma(yi, vi, method = method, test = test),
    order = order)``.

    >>> res = cumulative([0.6, 0.3, 0.1], [0.02, 0.01, 0.01], order=[2010, 2003, 2001],
    ...                  method="FE")
    >>> res.labels, [round(float(x), 3) for x in res.estimate]
    (('Study 3', 'Study 2', 'Study 1'), [0.1, 0.2, 0.28])
    """
    y, v, names, _ = prepare(yi, vi, sei, labels)
    if order is None:
        positions = np.arange(y.size)
    else:
        keys = np.asarray(order)
        if keys.shape != (y.size,):
            raise ValueError(f"order has {keys.size} values for {y.size} studies")
        if keys.dtype.kind == "f" and np.isnan(keys).any():
            raise ValueError("order has missing values; give every study a value")
        if decreasing:
            # a stable descending sort that keeps ties in input order
            ranks = np.unique(keys, return_inverse=True)[1].reshape(-1)
            positions = np.argsort(-ranks, kind="stable")
        else:
            positions = np.argsort(keys, kind="stable")
    subsets = [positions[:i + 1] for i in range(y.size)]
    return _pool("cumulative", subsets, y, v, names, positions, method, test, level)
