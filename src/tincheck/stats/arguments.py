"""Argument checks shared by the statistics (one clear error per bad value), and the
conversion of their results to plain values.

Every statistic accepts scalars or numpy arrays (a published-data audit calls them for
hundreds of providers at once). A bad value is reported with the argument's name, its
position in the array, the value and what was expected, e.g.
``sd_pre[3] = -1.0: expected a standard deviation > 0``.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
from scipy import stats

from ..jsonable import jsonable

NAN_POLICIES = ("raise", "omit")


def as_float_array(name: str, values) -> np.ndarray:
    """``values`` as a float array, or a ValueError naming ``name`` if not numeric."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (a scalar or an array); got {values!r}") \
            from None


def _where(name: str, array: np.ndarray, flat_index: int) -> str:
    if array.ndim == 0:
        return name
    position = np.unravel_index(flat_index, array.shape)
    position = position[0] if len(position) == 1 else position
    return f"{name}[{position}]"


def require(name: str, array: np.ndarray, ok: np.ndarray, expected: str) -> None:
    """Raise ValueError at the first element of ``array`` where ``ok`` is False.

    NaN values pass (missing summaries give NaN results, not errors); use
    :func:`require_finite` where a value must be present.
    """
    bad = ~np.asarray(ok) & ~np.isnan(array)
    if bad.any():
        flat = int(np.flatnonzero(bad.ravel())[0])
        count = int(bad.sum())
        more = f" ({count - 1} more such value{'s' if count > 2 else ''})" if count > 1 else ""
        value = array.ravel()[flat]
        raise ValueError(f"{_where(name, array, flat)} = {value:g}: expected {expected}{more}")


def check_confidence(confidence: float) -> float:
    """The two-sided normal quantile z for ``confidence`` (0 < confidence < 1)."""
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise ValueError(f"confidence = {confidence!r}: expected a number between 0 and 1, "
                         "e.g. 0.95")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def check_nan_policy(nan_policy: str) -> None:
    """Raise ValueError unless ``nan_policy`` is "raise" or "omit"."""
    if nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy = {nan_policy!r}: expected one of {NAN_POLICIES}")


def paired(pre, post, nan_policy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre and post scores as 1-D float arrays, with missing pairs handled explicitly.

    ``nan_policy="raise"`` rejects any missing value, naming its position;
    ``"omit"`` keeps complete pairs only. Returns (pre, post, complete) where
    ``complete`` is the boolean mask over the input pairs. Two pandas objects must
    share one index (pairs are formed by position).
    """
    check_nan_policy(nan_policy)
    labels = pre.index if isinstance(pre, pd.Series) else None
    other = post.index if isinstance(post, pd.Series) else None
    if labels is not None and other is not None and not labels.equals(other):
        raise ValueError("pre and post are pandas objects with different indexes, so their "
                         "rows would be paired by position; align them first (e.g. as two "
                         "columns of one DataFrame)")
    pre = as_float_array("pre", pre)
    post = as_float_array("post", post)
    if pre.ndim != 1 or post.ndim != 1 or pre.shape != post.shape:
        raise ValueError(f"pre and post must be 1-D arrays of the same length; got shapes "
                         f"{pre.shape} and {post.shape}")
    for name, values in (("pre", pre), ("post", post)):
        require(name, values, np.isfinite(values), "a finite score")
    complete = ~(np.isnan(pre) | np.isnan(post))
    if nan_policy == "raise" and not complete.all():
        first = int(np.flatnonzero(~complete)[0])
        name = "pre" if np.isnan(pre[first]) else "post"
        label = f" (index label {labels.tolist()[first]!r})" if labels is not None else ""
        missing = int((~complete).sum())
        raise ValueError(
            f"{name}[{first}]{label} is missing; {missing} of {len(pre)} pairs have a missing "
            "score. Pass nan_policy='omit' to use complete pairs only.")
    return pre[complete], post[complete], complete


def plain_dict(result) -> dict:
    """A result dataclass as plain Python values (lists for arrays), ready for JSON."""
    return jsonable(asdict(result))


def scalar_or_array(value):
    """A 0-d array as a Python float, anything else unchanged."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value
