"""The national series: every published England rate recomputed from its counts.

England counts are published exactly and England percentages to one decimal, so each
published England rate must equal its recomputed value rounded half up to one
decimal. Below England, counts are rounded to 5 and percentages are whole numbers
computed from the unrounded counts (see :mod:`tincheck.published.consistency`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rates import RATES, no_paired_scores, round_half_up
from .read import PublishedTable

ENGLAND = "England"
MEASURES = ("referrals_received", "finished_course_treatment", "at_caseness",
            "not_at_caseness", "recovery", "reliable_recovery", "improvement",
            "deterioration", "no_reliable_change", "ended_referrals",
            "ended_before_treatment", "ended_after_one_treatment")


def published_decimals(org_type) -> np.ndarray:
    """Decimals of published percentages: 1 for England, 0 below (NHS convention)."""
    return np.where(np.asarray(org_type) == ENGLAND, 1, 0)


def _column(wide: pd.DataFrame, name: str) -> np.ndarray:
    return wide[name].to_numpy(float) if name in wide else np.full(len(wide), np.nan)


def recompute_rates(wide: pd.DataFrame) -> pd.DataFrame:
    """Every published rate in ``wide`` beside its value recomputed from the counts.

    One row per organisation × breakdown × rate with: ``rate`` (metric id),
    ``measure``, ``numerator``, ``denominator``, ``published`` (percent as
    published), ``recomputed`` (percent, unrounded), ``decimals``, ``rounded``
    (recomputed, rounded half up to the published decimals) and ``agrees``. Rows
    whose published percentage is suppressed or not published are kept, with
    ``agrees`` missing (<NA>), never silently dropped.
    """
    finished = _column(wide, "finished_course_treatment_count")
    not_case = _column(wide, "not_at_caseness_count")
    decimals = published_decimals(wide["org_type"])
    frames = []
    for rate in RATES:
        numerator = _column(wide, f"{rate.measure}_count")
        published = _column(wide, f"{rate.measure}_percentage")
        recomputed = 100 * np.asarray(rate.from_counts(numerator, finished, not_case))
        denominator = finished - not_case if rate.uses_not_at_caseness else finished
        rounded = np.where(decimals == 1, round_half_up(recomputed, 1),
                           round_half_up(recomputed, 0))
        comparable = ~np.isnan(published) & ~np.isnan(rounded)
        agrees = pd.array(np.where(comparable, np.isclose(rounded, published), False),
                          dtype="boolean")
        agrees[~comparable] = pd.NA
        frames.append(wide[["reporting_period", "org_type", "org_code", "org_name",
                            "variable_type", "variable_a", "variable_b"]].assign(
            rate=rate.id, measure=rate.measure, numerator=numerator,
            denominator=denominator, published=published, recomputed=recomputed,
            decimals=decimals, rounded=rounded, agrees=agrees))
    return pd.concat(frames, ignore_index=True)


def england(measures: PublishedTable, breakdowns: bool = False) -> pd.DataFrame:
    """England rows (Total only unless ``breakdowns``), wide, sorted by year."""
    where = {"org_type": ENGLAND}
    if not breakdowns:
        where["variable_type"] = "Total"
    wide = measures.wide(where)
    return wide.sort_values(list(wide.columns[:7])).reset_index(drop=True)


def national_series(measures: PublishedTable) -> pd.DataFrame:
    """England, Total, one row per year: counts, funnel, and each rate checked.

    Columns: reporting_period, referrals_received, finished, at_caseness,
    not_at_caseness, no_paired_scores (finished − at − not at caseness), recovered,
    recovered_per_100_received (a same-year approximation: the referrals received in
    a year are not the ones that finished in it), the funnel counts when the data
    carry them (ended_referrals, ended_before_treatment, ended_after_one_treatment,
    finished_per_100_ended, recovered_per_100_ended), and for each official rate
    ``<measure>_published``, ``<measure>_recomputed`` (unrounded) and
    ``<measure>_agrees``.
    """
    wide = england(measures)
    if wide.empty:
        return pd.DataFrame(columns=["reporting_period"])
    out = pd.DataFrame({"reporting_period": wide["reporting_period"]})
    for name in MEASURES:
        out[name] = _column(wide, f"{name}_count")
    out = out.rename(columns={"finished_course_treatment": "finished",
                              "recovery": "recovered"})
    out["no_paired_scores"] = no_paired_scores(out["finished"], out["at_caseness"],
                                               out["not_at_caseness"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["recovered_per_100_received"] = 100 * out["recovered"] / out[
            "referrals_received"]
        out["finished_per_100_ended"] = 100 * out["finished"] / out["ended_referrals"]
        out["recovered_per_100_ended"] = 100 * out["recovered"] / out["ended_referrals"]
    checked = recompute_rates(wide)
    for rate in RATES:
        part = checked[checked["rate"] == rate.id].reset_index(drop=True)
        out[f"{rate.measure}_published"] = part["published"].to_numpy()
        out[f"{rate.measure}_recomputed"] = part["recomputed"].to_numpy()
        out[f"{rate.measure}_agrees"] = part["agrees"].to_numpy()
    return out.dropna(axis=1, how="all").reset_index(drop=True)
