"""Do published percentages agree with the organisation's own published counts?

Below England level NHS England rounds every count to the nearest 5 and suppresses
counts under 5 (``*``), then publishes percentages as whole numbers computed from the
*unrounded* counts. A published count c therefore stands for a true count in
c − 2 … c + 2 (any value within ± 2.5 of c before rounding), and ``*`` for 0 … 4. The
rate those counts allow is an interval; a published percentage is consistent when
the interval it stands for (p ± 0.5) overlaps it. One outside is an error in the
publication (or in the counts), whatever the rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..rates import RATES, RateDefinition
from .read import PublishedTable

ROUNDING_HALF_WIDTH = 2        # integers within ± 2.5 of a multiple of 5
SUPPRESSED_RANGE = (0.0, 4.0)  # '*' = a count under 5
PERCENT_HALF_WIDTH = 0.5       # whole-number percentages


def count_bounds(count, suppressed=None, half_width: float = ROUNDING_HALF_WIDTH):
    """(low, high) true counts a published count allows: c ∓ 2, never below 0;
    0 … 4 where suppressed; NaN where not published.

    >>> [b.tolist() for b in count_bounds([0.0, 5.0, 120.0, np.nan], [False, False, False, True])]
    [[0.0, 3.0, 118.0, 0.0], [2.0, 7.0, 122.0, 4.0]]
    """
    count = np.asarray(count, dtype=float)
    suppressed = (np.zeros(count.shape, bool) if suppressed is None
                  else np.asarray(suppressed, dtype=bool))
    low = np.where(suppressed, SUPPRESSED_RANGE[0], np.maximum(count - half_width, 0))
    high = np.where(suppressed, SUPPRESSED_RANGE[1], count + half_width)
    return low, high


def ratio_bounds(num_low, num_high, den_low, den_high):
    """(low, high) of numerator/denominator over the box of allowed counts, within
    [0, 1] (a numerator never exceeds its denominator).

    >>> [float(x) for x in ratio_bounds(48, 52, 98, 102)]
    [0.47058823529411764, 0.5306122448979592]
    """
    num_low, num_high, den_low, den_high = (np.asarray(x, dtype=float) for x in
                                            (num_low, num_high, den_low, den_high))
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(den_high > 0, num_low / den_high, np.nan)
        high = np.where(den_low > 0, num_high / den_low, 1.0)
    low = np.clip(low, 0, 1)
    high = np.where(np.isnan(den_high), np.nan, np.clip(high, 0, 1))
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def rate_bounds(rate: RateDefinition, wide: pd.DataFrame):
    """Percent range each row's published counts allow for one official rate."""
    def bounds(name):
        column = f"{name}_count"
        if column not in wide:
            nan = np.full(len(wide), np.nan)
            return nan, nan
        return count_bounds(wide[column], wide.get(f"{column}__suppressed"))

    num = bounds(rate.measure)
    finished = bounds("finished_course_treatment")
    if rate.uses_not_at_caseness:
        not_case = bounds("not_at_caseness")
        den_low, den_high = finished[0] - not_case[1], finished[1] - not_case[0]
    else:
        den_low, den_high = finished
    low, high = ratio_bounds(num[0], num[1], den_low, den_high)
    return 100 * low, 100 * high


@dataclass(frozen=True)
class ConsistencyResult:
    """Every published percentage of the chosen rows checked against its counts."""

    year: str
    org_type: str
    checks: pd.DataFrame          # one row per organisation × rate
    inconsistent: pd.DataFrame    # the rows whose published figure is outside
    organisations: int            # organisations with at least one checkable figure
    inconsistent_organisations: int


def check_consistency(wide: pd.DataFrame) -> pd.DataFrame:
    """For each row and official rate: the published percent, the range its rounded
    counts allow (``allowed_low``, ``allowed_high``), and ``consistent``.

    ``consistent`` is <NA> where the percentage is suppressed or not published;
    ``distance`` is how far (percentage points) p ± 0.5 lies outside the range.
    """
    frames = []
    keys = ["reporting_period", "org_type", "org_code", "org_name", "variable_type",
            "variable_a", "variable_b"]
    for rate in RATES:
        column = f"{rate.measure}_percentage"
        published = (wide[column].to_numpy(float) if column in wide
                     else np.full(len(wide), np.nan))
        low, high = rate_bounds(rate, wide)
        tol = 1e-9
        below = (published + PERCENT_HALF_WIDTH) < (low - tol)
        above = (published - PERCENT_HALF_WIDTH) > (high + tol)
        distance = np.where(below, low - published - PERCENT_HALF_WIDTH,
                            np.where(above, published - PERCENT_HALF_WIDTH - high, 0.0))
        checkable = ~np.isnan(published) & ~np.isnan(low) & ~np.isnan(high)
        consistent = pd.array(~(below | above), dtype="boolean")
        consistent[~checkable] = pd.NA
        frames.append(wide[keys].assign(
            rate=rate.id, measure=rate.measure, published=published,
            allowed_low=low, allowed_high=high, consistent=consistent,
            distance=np.where(checkable, distance, np.nan)))
    return pd.concat(frames, ignore_index=True)


def consistency(measures: PublishedTable, year: str, org_type: str = "Provider",
                breakdowns: bool = False) -> ConsistencyResult:
    """Check every published percentage of ``org_type`` in ``year`` (Total rows, or
    every breakdown with ``breakdowns=True``) against its rounded counts."""
    where = {"org_type": org_type, "reporting_period": year}
    if not breakdowns:
        where["variable_type"] = "Total"
    wide = measures.wide(where)
    if wide.empty:
        checks = pd.DataFrame(columns=["org_code", "org_name", "rate", "published",
                                       "allowed_low", "allowed_high", "consistent"])
        return ConsistencyResult(year, org_type, checks, checks, 0, 0)
    checks = check_consistency(wide)
    bad = checks[checks["consistent"].eq(False).fillna(False).to_numpy(bool)]
    checked = checks[checks["consistent"].notna().to_numpy(bool)]
    return ConsistencyResult(
        year, org_type, checks,
        bad.sort_values(["distance"], ascending=False).reset_index(drop=True),
        int(checked["org_code"].nunique()), int(bad["org_code"].nunique()))
