"""Results as JSON-ready Python values: the one converter every JSON output uses.

numpy scalars and arrays and pandas frames become plain Python (a frame as a list of
records); dict keys become text and tuples lists; NaN, infinities and missing values
(None, ``pd.NA``) become None, so ``json.dumps(..., allow_nan=False)`` never fails
and a reader never meets a bare ``NaN``.

>>> import numpy as np
>>> jsonable({"n": np.int64(3), "d": np.float64("nan"), "ci": (0.1, np.inf),
...           "flags": np.array([True, False])})
{'n': 3, 'd': None, 'ci': [0.1, None], 'flags': [True, False]}
"""

from __future__ import annotations

import math
import sys

import numpy as np


def jsonable(value):
    """``value`` with every part made plain (see the module's docstring)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    pandas = sys.modules.get("pandas")  # a frame or pd.NA can only come from pandas
    if pandas is not None:
        if isinstance(value, pandas.DataFrame):
            return jsonable(value.to_dict("records"))
        if value is pandas.NA:
            return None
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return value.item()
    return value
