"""Statistical disclosure control, applied to every output (on by default).

The NHS rules for published Talking Therapies data (NHS Digital 2021 guide, §9):
counts under 5 are suppressed; other counts below national level are rounded to the
nearest 5; rates are computed from unrounded numbers and suppressed when their
numerator or denominator is under 5; rates are shown to whole percents below national
level. Computation always uses exact counts; only outputs are controlled.
"""

from __future__ import annotations

import math

THRESHOLD = 5
ROUND_TO = 5
RULE = ("Disclosure control: counts under 5 suppressed (*), other counts rounded to the "
        "nearest 5; rates computed from unrounded counts, suppressed when their numerator "
        "or denominator is under 5, and shown to whole percents.")
OFF = "Disclosure control is OFF: exact small counts are shown. For internal use only."


def round_count(n: int | None) -> int | None:
    """``n`` rounded to the nearest 5 (halves up); None when ``n`` < 5 (suppressed).

    >>> round_count(3), round_count(7), round_count(12), round_count(13)
    (None, 5, 10, 15)
    """
    if n is None:
        return None
    if n < THRESHOLD:
        return None
    return int(math.floor(n / ROUND_TO + 0.5) * ROUND_TO)


def round_rate(value: float | None, digits: int = 2) -> float | None:
    """A rate to whole percents (2 decimals as a proportion)."""
    return None if value is None else round(value, digits)


def is_small(*counts: int | None) -> bool:
    """Whether any of ``counts`` is under the threshold (a missing count is not small)."""
    return any(c is not None and c < THRESHOLD for c in counts)
