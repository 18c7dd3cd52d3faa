"""Pre-post effect sizes by therapy type and problem descriptor (proms_annual).

The NHS publishes, for each problem descriptor × therapy type, the mean and SD of the
first and last PHQ-9, GAD-7 and WSAS scores of the referrals that finished a course,
and an effect size (mean start − mean end) / SD start. The means and SDs are
published to one decimal while the effect size was computed before rounding, so a
recomputed d agrees with it only within the interval that rounding allows
(:func:`rounding_interval_d`). Below England the published effect size divides by
England's SD at start, not the organisation's own (NHS England effect-size
metadata: "(MeanStart − MeanEnd) / England-level SDStart").

Confidence intervals use n = total finishing a course with that therapy and an
assumed pre-post correlation r (default 0.5; 0.3 and 0.7 as sensitivity), since the
correlation is not published: var(d) = 2(1 − r)/n + d²/(2n) (Becker 1988).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .read import PublishedTable
from ..stats.effect_sizes import d_pre_sd_from_summary

MEASURES = {"phq": "PHQ-9", "gad": "GAD-7", "wsas": "WSAS"}
N_COLUMN = "total_finishing_course_treatment_count"
ROUNDING = 0.05  # half of the last published decimal of means and SDs
CORRELATIONS = (0.5, 0.3, 0.7)


def rounding_interval_d(mean_start, mean_end, sd_start, half: float = ROUNDING):
    """Smallest and largest d = (m₁ − m₂)/s that means and SD rounded to ± ``half``
    allow: each of m₁, m₂ and s lies within ± half of its published value.

    The numerator lies in (m₁ − m₂) ± 2·half; the denominator in s ± half (> 0). The
    extremes of the ratio are at the corners: low = num_low / s_high when num_low ≥ 0
    (else num_low / s_low), high = num_high / s_low when num_high ≥ 0 (else
    num_high / s_high). NaN where the SD cannot be positive.

    >>> [round(float(x), 4) for x in rounding_interval_d(14.2, 9.4, 6.1)]
    [0.7642, 0.8099]
    """
    mean_start, mean_end, sd_start = (np.asarray(x, dtype=float) for x in
                                      (mean_start, mean_end, sd_start))
    num_low = mean_start - mean_end - 2 * half
    num_high = mean_start - mean_end + 2 * half
    sd_low, sd_high = sd_start - half, sd_start + half
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(num_low >= 0, num_low / sd_high, num_low / sd_low)
        high = np.where(num_high >= 0, num_high / sd_low, num_high / sd_high)
    valid = sd_low > 0
    low, high = np.where(valid, low, np.nan), np.where(valid, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def ci_tag(r: float) -> str:
    """Column suffix for CIs at correlation r: 0.5 → 'r50' (ci_low_r50, ci_high_r50)."""
    return f"r{round(r * 100):02d}"


def effect_size_rows(wide: pd.DataFrame, correlations=CORRELATIONS) -> pd.DataFrame:
    """One row per organisation × descriptor × therapy × measure: published summary,
    recomputed d, its rounding interval, the check, and CIs for each r."""
    keys = ["reporting_period", "org_type", "org_code", "org_name", "variable_a",
            "variable_b"]
    n = wide[N_COLUMN].to_numpy(float) if N_COLUMN in wide else np.nan
    courses = (wide["courses_of_therapy_count"].to_numpy(float)
               if "courses_of_therapy_count" in wide else np.nan)
    frames = []
    for measure, label in MEASURES.items():
        columns = {f"{measure}_{part}": part for part in
                   ("mean_start", "mean_end", "sd_start", "sd_end", "effect_size")}
        if f"{measure}_mean_start" not in wide:
            continue
        frame = wide[keys].assign(measure=measure, label=label, n=n, courses=courses)
        for source, target in columns.items():
            frame[target] = wide[source].to_numpy(float) if source in wide else np.nan
        frame = frame.rename(columns={"effect_size": "published"})
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["d"] = (frame["mean_start"] - frame["mean_end"]) / frame["sd_start"]
        frame["d_low"], frame["d_high"] = rounding_interval_d(
            frame["mean_start"], frame["mean_end"], frame["sd_start"])
        published = frame["published"].to_numpy(float)
        checkable = ~np.isnan(published) & ~np.isnan(frame["d_low"].to_numpy(float))
        inside = ((published + ROUNDING >= frame["d_low"] - 1e-9)
                  & (published - ROUNDING <= frame["d_high"] + 1e-9))
        frame["inside"] = pd.array(np.where(checkable, inside, False), dtype="boolean")
        frame.loc[~checkable, "inside"] = pd.NA
        exact = np.isclose(np.floor(frame["d"].to_numpy(float) * 10 + 0.5 + 1e-9) / 10,
                           published)
        frame["exact"] = pd.array(np.where(checkable, exact, False), dtype="boolean")
        frame.loc[~checkable, "exact"] = pd.NA
        for r in correlations:
            es = d_pre_sd_from_summary(frame["mean_start"].to_numpy(float),
                                       frame["mean_end"].to_numpy(float),
                                       frame["sd_start"].to_numpy(float),
                                       frame["n"].to_numpy(float), r)
            tag = ci_tag(r)
            frame[f"ci_low_{tag}"] = es.ci_low
            frame[f"ci_high_{tag}"] = es.ci_high
            if r == correlations[0]:
                frame["variance"] = es.variance
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=keys + ["measure"])
    return pd.concat(frames, ignore_index=True)


def england_effect_sizes(proms: PublishedTable, year: str | None = None,
                         correlations=CORRELATIONS) -> pd.DataFrame:
    """England effect sizes by descriptor × therapy × measure (one year or all)."""
    where = {"org_type": "England"}
    if year is not None:
        where["reporting_period"] = year
    return effect_size_rows(proms.wide(where), correlations)


def check_summary(rows: pd.DataFrame, min_n: int = 100) -> dict:
    """How many published effect sizes (n ≥ ``min_n``) lie inside their rounding
    interval, and how many equal the recomputed d at one decimal."""
    eligible = rows[(rows["n"] >= min_n) & rows["inside"].notna()]
    return {"min_n": min_n, "checked": len(eligible),
            "inside": int(eligible["inside"].sum()),
            "exact": int(eligible["exact"].sum()),
            "exact_share": float(eligible["exact"].mean()) if len(eligible) else None}
