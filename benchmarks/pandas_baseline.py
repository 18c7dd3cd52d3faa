"""The peer: the funnel and official metrics in idiomatic, vectorised pandas.

This is how a competent analyst would compute NHS Talking Therapies' headline figures
from the same Parquet files without tincheck: read the columns needed, merge, group
by referral, and count. No row loops; no validation (the files are assumed clean).
It follows the same definitions as tincheck (NHS Digital 2021, *A guide to IAPT data
and publications, v2.0*, §6-7; docs/metrics.md), over all the data (no period):

- contacts count from the referral's received date to its end date; attended =
  attended or late_seen and not a follow-up; a treatment contact is an attended
  contact of a treatment kind that is not employment support;
- first and last scores per referral and questionnaire are ordered by (date, file
  row); the anxiety measure is the problem descriptor's ADSM with two or more scores,
  else GAD-7 with two or more, else none;
- finished a course = ended with two or more treatment contacts; recovery and
  reliable change as in the guide, over finished courses.

``tests/benchmarks/test_pandas_baseline.py`` checks that every number equals
tincheck's. The code lists and thresholds are imported from tincheck (they are data,
and copying them would only add a way to differ); nothing else is.

Run: python benchmarks/pandas_baseline.py FOLDER      # prints the metrics as JSON
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tincheck.codes import ATTENDED, TREATMENT_KINDS
from tincheck.instruments import ADSM, DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE, INSTRUMENTS

PHQ, GAD = DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE
CUTOFF = {i.code: i.caseness_cutoff for i in INSTRUMENTS.values() if i.caseness_cutoff}
STRICT = {i.code for i in INSTRUMENTS.values() if i.caseness_op == ">"}  # MI: above 2.3
RELIABLE = {i.code: i.reliable_change for i in INSTRUMENTS.values() if i.reliable_change}
COLUMNS = {
    "referrals": ["referral_id", "received_date", "ended_date", "end_reason",
                  "problem_descriptor"],
    "appointments": ["referral_id", "date", "kind", "attendance", "therapy_type"],
    "measures": ["referral_id", "date", "instrument", "score"],
}


def read(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The columns the metrics need, dates as datetime64 (not Python objects)."""
    folder = Path(folder)
    frames = {name: pd.read_parquet(folder / f"{name}.parquet", columns=columns,
                                    to_pandas_kwargs={"date_as_object": False})
              for name, columns in COLUMNS.items()}
    # ties on a date are broken by the row of the file, as tincheck does
    frames["measures"]["row"] = np.arange(len(frames["measures"]))
    return frames


def in_window(events: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Events dated from their referral's received date to its end date (inclusive)."""
    j = events.merge(referrals[["referral_id", "received_date", "ended_date"]],
                     on="referral_id")
    return j[(j["date"] >= j["received_date"])
             & (j["ended_date"].isna() | (j["date"] <= j["ended_date"]))]


def contacts(appointments: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Per referral: attended and treatment contacts, first treatment date."""
    a = in_window(appointments, referrals)
    attended = a["attendance"].isin(ATTENDED) & (a["kind"] != "follow_up")
    treatment = (attended & a["kind"].isin(TREATMENT_KINDS)
                 & (a["therapy_type"].isna() | (a["therapy_type"] != "employment_support")))
    a = a.assign(attended=attended, treatment=treatment,
                 treatment_date=a["date"].where(treatment))
    return a.groupby("referral_id").agg(attended_contacts=("attended", "sum"),
                                        treatment_contacts=("treatment", "sum"),
                                        first_treatment_date=("treatment_date", "min"))


def scores(measures: pd.DataFrame, referrals: pd.DataFrame) -> pd.DataFrame:
    """Per referral and questionnaire: number of scores, first and last score."""
    m = in_window(measures, referrals).sort_values(["date", "row"])
    return m.groupby(["referral_id", "instrument"])["score"].agg(
        n="size", first="first", last="last")


def at_caseness(instrument: pd.Series, score: pd.Series) -> pd.Series:
    """First score at or above the instrument's cut-off (MI: above); False if missing."""
    cutoff = instrument.map(CUTOFF)
    strict = instrument.isin(STRICT)
    return (strict & (score > cutoff)) | (~strict & (score >= cutoff))


def below_caseness(instrument: pd.Series, score: pd.Series) -> pd.Series:
    return score.notna() & instrument.notna() & ~at_caseness(instrument, score)


def changes(instrument: pd.Series, first: pd.Series, last: pd.Series):
    """(reliably improved, reliably deteriorated) on one measure."""
    threshold = instrument.map(RELIABLE)
    return first - last >= threshold, last - first >= threshold


def referral_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per referral with the funnel and official outcome flags."""
    r = frames["referrals"]
    c = contacts(frames["appointments"], r)
    s = scores(frames["measures"], r).reset_index()
    adsm = np.select([r["problem_descriptor"].str.startswith(p).fillna(False).to_numpy(bool)
                      for p in ADSM], list(ADSM.values()), default=GAD)
    o = r.assign(adsm=adsm).merge(c, on="referral_id", how="left")
    for prefix, on in (("phq", PHQ), ("gad", GAD)):
        one = s[s["instrument"] == on].drop(columns="instrument")
        o = o.merge(one.add_prefix(prefix + "_").rename(
            columns={prefix + "_referral_id": "referral_id"}), on="referral_id", how="left")
    x = s.rename(columns={"instrument": "adsm", "n": "adsm_n", "first": "adsm_first",
                          "last": "adsm_last"})
    o = o.merge(x, on=["referral_id", "adsm"], how="left")
    counts = ["attended_contacts", "treatment_contacts", "phq_n", "gad_n", "adsm_n"]
    o[counts] = o[counts].fillna(0)
    use_adsm = (o["adsm"] != GAD) & (o["adsm_n"] >= 2)
    use_gad = ~use_adsm & (o["gad_n"] >= 2)
    o["anx"] = pd.Series(np.select([use_adsm, use_gad], [o["adsm"], GAD], default=None),
                         index=o.index).where(use_adsm | use_gad)
    o["anx_first"] = o["adsm_first"].where(use_adsm, o["gad_first"].where(use_gad))
    o["anx_last"] = o["adsm_last"].where(use_adsm, o["gad_last"].where(use_gad))

    phq = pd.Series(PHQ, index=o.index)
    o["ended"] = o["ended_date"].notna()
    o["finished"] = o["ended"] & (o["treatment_contacts"] >= 2)
    o["paired"] = (o["phq_n"] >= 2) & o["anx"].notna()
    phq_up, phq_down = changes(phq, o["phq_first"], o["phq_last"])
    anx_up, anx_down = changes(o["anx"], o["anx_first"], o["anx_last"])
    o["at_caseness"] = o["paired"] & (at_caseness(phq, o["phq_first"])
                                      | at_caseness(o["anx"], o["anx_first"]))
    o["not_at_caseness"] = o["paired"] & ~o["at_caseness"]
    o["improved"] = o["paired"] & (phq_up | anx_up) & ~(phq_down | anx_down)
    o["deteriorated"] = o["paired"] & (phq_down | anx_down) & ~(phq_up | anx_up)
    o["recovered"] = (o["at_caseness"] & below_caseness(phq, o["phq_last"])
                      & below_caseness(o["anx"], o["anx_last"]))
    o["wait_days"] = (o["first_treatment_date"] - o["received_date"]).dt.days
    return o


def metrics(o: pd.DataFrame) -> dict[str, dict]:
    """Metric id → {value, numerator, denominator} (proportions), {value} (counts) or
    {value, n, sd, median} (means), as tincheck reports them before disclosure control."""
    ended, finished = o["ended"], o["finished"]
    eligible = finished & ~o["not_at_caseness"]
    out: dict[str, dict] = {}

    def count(metric_id, flags):
        out[metric_id] = {"value": int(flags.sum())}

    def share(metric_id, numerator, denominator):
        num, den = int(numerator.sum()), int(denominator.sum())
        out[metric_id] = {"value": num / den if den else None, "numerator": num,
                          "denominator": den}

    count("funnel.referrals_received", o["received_date"].notna())
    count("funnel.referrals_ended", ended)
    treated, attended = o["treatment_contacts"], o["attended_contacts"]
    share("funnel.ended_not_seen", ended & (attended == 0), ended)
    share("funnel.ended_seen_not_treated", ended & (attended >= 1) & (treated == 0), ended)
    share("funnel.ended_before_treatment", ended & (treated == 0), ended)
    share("funnel.ended_one_treatment", ended & (treated == 1), ended)
    share("funnel.finished_course", finished, ended)
    share("funnel.not_finished", ended & ~finished, ended)
    share("funnel.completed_as_planned", ended & (o["end_reason"] == "completed"), ended)
    share("funnel.dropped_out", ended & o["end_reason"].isin(
        ["dropped_out_assessment", "dropped_out_treatment"]), ended)
    count("official.finished_course", finished)
    count("official.at_caseness", finished & o["at_caseness"])
    count("official.not_at_caseness", finished & o["not_at_caseness"])
    count("official.no_paired_scores", finished & ~o["paired"])
    share("official.recovery_rate", finished & o["recovered"], eligible)
    share("official.reliable_improvement_rate", finished & o["improved"], finished)
    share("official.reliable_deterioration_rate", finished & o["deteriorated"], finished)
    share("official.no_reliable_change_rate",
          finished & o["paired"] & ~o["improved"] & ~o["deteriorated"], finished)
    share("official.reliable_recovery_rate", finished & o["recovered"] & o["improved"],
          eligible)
    sessions = o.loc[finished, "treatment_contacts"]
    out["official.mean_treatment_sessions"] = {
        "value": float(sessions.mean()), "n": int(sessions.size),
        "sd": float(sessions.std()), "median": float(sessions.median())}
    share("official.wait_6_weeks_rate", finished & (o["wait_days"] <= 42), finished)
    share("official.wait_18_weeks_rate", finished & (o["wait_days"] <= 126), finished)
    return out


def official_metrics(folder: str | Path) -> dict[str, dict]:
    """Read ``folder``'s Parquet files and compute the funnel and official metrics."""
    return metrics(referral_table(read(folder)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    print(json.dumps(official_metrics(sys.argv[1]), indent=2))
