"""Writers for small published-data files in the NHS layouts (used by the tests)."""

from __future__ import annotations

import csv
from pathlib import Path

# Raw main CSV, 2017-18 layout: CountX / PercentageX (raw_annual_main_columns.csv).
RAW_2017_HEADER = ["OrgType", "OrgCode", "OrgName", "VariableType", "VariableA",
                   "VariableB", "CountReferralsReceived", "CountEndedReferrals",
                   "CountEndedBeforeTreatment", "CountFinishedCourseTreatment",
                   "CountAtCaseness", "CountNotAtCaseness", "CountRecovery",
                   "CountReliableRecovery", "CountImprovement", "CountDeterioration",
                   "CountNoReliableChange", "PercentageRecovery",
                   "PercentageReliableRecovery", "PercentageImprovement",
                   "PercentageDeterioration", "PercentageNoReliableChange",
                   "MeanTreatmentAppointments"]
# Raw main CSV, 2022-23 layout: Count_X / Percentage_X, with Count_EndedAfterOneTreatment.
RAW_2022_HEADER = ["OrgType", "OrgCode", "OrgName", "VariableType", "VariableA",
                   "VariableB", "Count_ReferralsReceived", "Count_EndedReferrals",
                   "Count_EndedBeforeTreatment", "Count_EndedAfterOneTreatment",
                   "Count_FinishedCourseTreatment", "Count_AtCaseness",
                   "Count_NotAtCaseness", "Count_Recovery", "Count_ReliableRecovery",
                   "Count_Improvement", "Count_Deterioration", "Count_NoReliableChange",
                   "Percentage_Recovery", "Percentage_ReliableRecovery",
                   "Percentage_Improvement", "Percentage_Deterioration",
                   "Percentage_NoReliableChange", "Mean_ApptsFinishedCourseTreatment"]


def england_row(received, ended, before, one, finished, at, not_at, rec, rel, imp, det,
                nrc, spelling="2017"):
    """An England row with percentages computed as NHS England does (1 decimal)."""
    def pct(num, den):
        value = 100 * num / den
        return f"{int(value * 10 + 0.5 + 1e-9) / 10:.1f}"
    counts = [received, ended, before] + ([one] if spelling == "2022" else []) + [
        finished, at, not_at, rec, rel, imp, det, nrc]
    pcts = [pct(rec, finished - not_at), pct(rel, finished - not_at), pct(imp, finished),
            pct(det, finished), pct(nrc, finished)]
    return ["England", "ENG", "England", "Total", "Total", "NULL"] + \
        [str(c) for c in counts] + pcts + ["7.1"]


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


