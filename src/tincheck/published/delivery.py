"""What is delivered: the mix of therapy types nationally, year by year.

Two published sources, England only:

* ``proms_annual`` (therapy-based outcomes): for each therapy type the number of
  referrals that finished a course of treatment *including* that therapy
  (``total_finishing_course_treatment``). A course can include several therapies, so
  shares of the sum over therapy types are shares of therapy courses delivered, and
  each count over England's finished courses is the share of finished courses that
  included the therapy (these add to more than 100%).
* ``therapy_position_annual`` (Table 1 of the therapy-based outcomes publication):
  counts for each therapy type as the 1st, 2nd, 3rd or 4th therapy in a referral.
  Its unit is the publication's; only the shares of position 1 are used here.

Low intensity = the NHS's low-intensity codes (20-27: guided and non-guided self
help, behavioural activation (low intensity), structured physical activity,
psychoeducational peer support, ante/post-natal counselling); the rest is high
intensity.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .read import PublishedDataError, PublishedTable

GUIDED_SELF_HELP = ("Guided Self Help (Book)", "Guided Self Help (Computer)")
NON_GUIDED_SELF_HELP = ("Non-guided Self Help (Book)", "Non-Guided Self Help (Computer)")
LOW_INTENSITY = GUIDED_SELF_HELP + NON_GUIDED_SELF_HELP + (
    "Behavioural Activation (Low Intensity)", "Structured Physical Activity",
    "Psychoeducational peer support", "Ante/post natal counselling")


def _low(names: pd.Series) -> np.ndarray:
    return names.str.lower().isin([n.lower() for n in LOW_INTENSITY]).to_numpy()


def therapy_mix(proms: PublishedTable, finished: pd.Series | None = None) -> pd.DataFrame:
    """England, descriptor Total: one row per year × therapy type with
    ``courses`` (finished courses including it), ``share_of_therapy_courses`` and,
    when England's finished counts are given (a Series indexed by year),
    ``share_of_finished`` (may add to more than 1 over therapy types)."""
    wide = proms.wide({"org_type": "England", "variable_a": "Total"},
                      ["total_finishing_course_treatment"])
    if wide.empty:
        return pd.DataFrame(columns=["reporting_period", "therapy", "courses"])
    frame = pd.DataFrame({
        "reporting_period": wide["reporting_period"], "therapy": wide["variable_b"],
        "courses": wide["total_finishing_course_treatment_count"].to_numpy(float)})
    frame["low_intensity"] = _low(frame["therapy"])
    total = frame.groupby("reporting_period")["courses"].transform("sum")
    frame["share_of_therapy_courses"] = frame["courses"] / total
    if finished is not None:
        frame["share_of_finished"] = frame["courses"] / frame["reporting_period"].map(
            finished).astype(float)
    return frame.sort_values(["reporting_period", "courses"],
                             ascending=[True, False]).reset_index(drop=True)


def mix_summary(mix: pd.DataFrame) -> pd.DataFrame:
    """Per year: shares of therapy courses that were guided self-help, any self-help
    and low intensity (and of finished courses including guided self-help)."""
    if mix.empty:
        return pd.DataFrame(columns=["reporting_period"])
    lower = mix["therapy"].str.lower()
    gsh = lower.isin([n.lower() for n in GUIDED_SELF_HELP])
    any_self_help = gsh | lower.isin([n.lower() for n in NON_GUIDED_SELF_HELP])
    parts = {"guided_self_help": gsh, "self_help_any": any_self_help,
             "low_intensity": mix["low_intensity"]}
    out = pd.DataFrame({"reporting_period": sorted(mix["reporting_period"].unique())})
    totals = mix.groupby("reporting_period")["courses"].sum()
    out["therapy_courses"] = out["reporting_period"].map(totals).to_numpy(float)
    for name, mask in parts.items():
        sums = mix[mask.to_numpy()].groupby("reporting_period")["courses"].sum()
        out[f"{name}_share"] = out["reporting_period"].map(sums).to_numpy(float) / out[
            "therapy_courses"]
    if "share_of_finished" in mix:
        gsh_finished = mix[gsh.to_numpy()].groupby("reporting_period")[
            "share_of_finished"].sum()
        out["guided_self_help_share_of_finished"] = out["reporting_period"].map(
            gsh_finished).to_numpy(float)
    return out


def read_positions(path) -> pd.DataFrame:
    """``therapy_position_annual`` (Parquet or CSV) → year × therapy with position
    counts and the share of position-1 counts; low intensity from the NHS code."""
    path = Path(path)
    if not path.is_file():
        raise PublishedDataError(path, "an existing therapy_position_annual file")
    con = duckdb.connect()
    quoted = "'" + str(path).replace("'", "''") + "'"
    source = (f"read_parquet({quoted})" if path.suffix.lower() == ".parquet"
              else f"read_csv({quoted}, header=true, all_varchar=true)")
    try:
        long = con.sql(f"SELECT reporting_period, variable_a, measure_name, "
                       f"CAST(value AS VARCHAR) AS value FROM {source} WHERE org_type = "
                       "'England'").df()
    except duckdb.Error as error:
        raise PublishedDataError(path, "columns reporting_period, org_type, variable_a, "
                                 f"measure_name, value ({error})") from error
    values = pd.to_numeric(long["value"].replace({"*": None, "NULL": None, "NA": None}),
                           errors="coerce")
    bad = values.isna() & long["value"].notna() & ~long["value"].isin(["*", "NULL", "NA"])
    if bad.any():
        first = long[bad].iloc[0]
        raise PublishedDataError(path, "a number or '*'", column="value",
                                 value=first["value"])
    long = long.assign(value=values)
    wide = long.pivot_table(index=["reporting_period", "variable_a"],
                            columns="measure_name", values="value",
                            aggfunc="first").reset_index()
    wide.columns.name = None
    wide = wide[wide["variable_a"].str.lower() != "total"].copy()
    code = pd.to_numeric(wide["variable_a"].str.extract(r"^(\d+)_")[0], errors="coerce")
    wide["low_intensity"] = (code >= 20) & (code < 30)
    wide["therapy"] = wide["variable_a"].str.replace(r"^\d+_", "", regex=True).str.replace(
        "_", " ")
    total = wide.groupby("reporting_period")["position_1"].transform("sum")
    wide["position_1_share"] = wide["position_1"] / total
    return wide.sort_values(["reporting_period", "position_1"],
                            ascending=[True, False]).reset_index(drop=True)
