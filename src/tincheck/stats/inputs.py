"""Study estimates and variances as validated arrays, and results as JSON-ready data.

Shared by every meta-analysis function: one place decides what counts as valid input
(finite estimates, positive variances, explicit handling of missing values).
"""

from __future__ import annotations

import numpy as np

from ..jsonable import jsonable  # the one converter; stats results use it from here

TESTS = ("z", "knha", "knha_adhoc")


def number(x) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    return jsonable(float(x))


def frozen(a) -> np.ndarray:
    """A read-only float copy of ``a`` (arrays stored in frozen results stay frozen)."""
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def prepare(yi, vi=None, sei=None, labels=None, missing: str = "raise"):
    """Validated float arrays (yi, vi), labels and notes; shared by every function here.

    ``missing="raise"`` (default) refuses NaN in yi or vi; ``"omit"`` drops those
    studies and says so in the notes. Exactly one of ``vi`` and ``sei`` is needed.
    """
    if (vi is None) == (sei is None):
        raise ValueError("give exactly one of vi (sampling variances) or sei (standard errors)")
    y = np.atleast_1d(np.asarray(yi, dtype=float))
    v = np.atleast_1d(np.asarray(vi, dtype=float) if sei is None
                      else np.asarray(sei, dtype=float) ** 2)
    if y.ndim != 1 or v.shape != y.shape:
        raise ValueError(f"yi and {'vi' if sei is None else 'sei'} must be 1-D of equal "
                         f"length (got {y.shape} and {v.shape})")
    names = (tuple(str(s) for s in labels) if labels is not None
             else tuple(f"Study {i + 1}" for i in range(y.size)))
    if len(names) != y.size:
        raise ValueError(f"{len(names)} labels for {y.size} studies")
    notes: list[str] = []
    bad = np.isnan(y) | np.isnan(v)
    if bad.any():
        which = ", ".join(f"{names[i]!r}" for i in np.flatnonzero(bad))
        if missing == "raise":
            raise ValueError(f"missing yi or vi for {which}; drop them or pass missing='omit'")
        if missing != "omit":
            raise ValueError(f"missing must be 'raise' or 'omit', not {missing!r}")
        notes.append(f"{int(bad.sum())} study(ies) with missing yi or vi omitted: {which}")
        keep = ~bad
        y, v, names = y[keep], v[keep], tuple(n for n, k in zip(names, keep) if k)
    for arr, name in ((y, "yi"), (v, "vi")):
        if not np.isfinite(arr).all():
            i = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise ValueError(f"{name} must be finite: {names[i]!r} has {name} = {arr[i]}")
    if (v <= 0).any():
        i = int(np.flatnonzero(v <= 0)[0])
        raise ValueError(f"sampling variances must be > 0: {names[i]!r} has vi = {v[i]}")
    if y.size == 0:
        raise ValueError("no studies to pool")
    return y, v, names, notes
