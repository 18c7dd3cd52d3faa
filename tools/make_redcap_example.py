"""Write the example REDCap export shipped in ``src/tincheck/examples/redcap/``.

The export holds the example service's interviews (``examples/service/interviews.csv``)
as a longitudinal REDCap project would export them: the flat "CSV / Microsoft Excel
(raw data)" layout, one row per record and event, coded values, a checkbox field, form
status fields, a notes field with commas, quotes and a line break, and a repeating
contact log on the follow-up event. ``examples/redcap/mapping.toml`` (written by hand)
maps it back; ``tests/redcap/test_example.py`` checks the committed export equals this
script's output and converts back to the same interviews.

The project (its data dictionary, in short):

- events ``screening_arm_1``, ``baseline_arm_1``, ``end_of_treatment_arm_1``,
  ``follow_up_6m_arm_1``;
- form ``enrolment`` (screening): ``referral_id`` (text), ``consent_date`` (date_ymd),
  ``consent`` (yesno);
- form ``diagnostic_interview`` (baseline, end, follow-up): ``dx_date`` (date_ymd),
  ``dx_assessor`` (text), ``dx_instrument`` (radio), ``dx_independent``, ``dx_blind``,
  ``dx_retrospective`` (yesno), ``dx_informants`` (checkbox), one radio per disorder
  (1 absent, 2 subthreshold, 3 present, as the SCID rates), ``dx_other_spec`` (text),
  ``dx_usual_self`` (slider 0-100), ``dx_notes`` (notes);
- form ``contact_log`` (follow-up, repeating): ``contact_date``, ``contact_outcome``.

Run: python tools/make_redcap_example.py
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "tincheck" / "examples"
INTERVIEWS = EXAMPLES / "service" / "interviews.csv"
OUT = EXAMPLES / "redcap"

EVENTS = {"baseline": "baseline_arm_1", "end": "end_of_treatment_arm_1",
          "follow_up": "follow_up_6m_arm_1"}
SCREENING = "screening_arm_1"
FOLLOW_UP_MONTHS = 6
INSTRUMENT_CODES = {"SCID-5": "1", "SCID-IV": "2", "MINI": "3", "DIAMOND": "4", "CIDI": "5",
                    "ADIS": "6", "other": "99"}
STATUS_CODES = {"absent": "1", "subthreshold": "2", "present": "3"}
DISORDER_FIELDS = {
    "depression": "dx_mdd", "gad": "dx_gad", "panic": "dx_panic",
    "agoraphobia": "dx_agoraphobia", "social_anxiety": "dx_social_anxiety",
    "specific_phobia": "dx_specific_phobia", "ptsd": "dx_ptsd", "ocd": "dx_ocd",
    "health_anxiety": "dx_health_anxiety", "mixed_anxiety_depression": "dx_mixed",
    "other": "dx_other",
}
YESNO = {"true": "1", "false": "0", "": ""}

HEADER = [
    "record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
    "referral_id", "consent_date", "consent", "enrolment_complete",
    "dx_date", "dx_assessor", "dx_instrument", "dx_independent", "dx_blind",
    "dx_retrospective", "dx_informants___1", "dx_informants___2", "dx_informants___3",
    *DISORDER_FIELDS.values(), "dx_other_spec", "dx_usual_self", "dx_notes",
    "diagnostic_interview_complete",
    "contact_date", "contact_outcome", "contact_log_complete",
]

# Free text an assessor might write (keyed by referral and time point).
NOTES = {
    ("R19", "end"): "Client mentioned EMDR sessions before the interview started, so the "
                    "assessor was not blind.",
    ("R20", "baseline"): "Assessor is employed by the service (not independent).",
    ("R21", "baseline"): "Lifetime version used: rated the \"past episode\" at referral,\n"
                         "from the client's recall, as in a medico-legal assessment.",
    ("R22", "baseline"): "Other: adjustment disorder, below threshold.",
}
OTHER_SPEC = {"R22": "adjustment disorder"}
# Follow-up contact attempts: referral -> outcomes (1 reached, 2 no answer).
CONTACTS = {"R01": ["1"], "R16": ["2", "2"], "R24": ["2", "1"]}


def _interviews() -> list[dict]:
    with open(INTERVIEWS, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _rows() -> list[dict]:
    rows_by_interview: dict[str, list[dict]] = {}
    for row in _interviews():
        rows_by_interview.setdefault(row["interview_id"], []).append(row)
    referrals = list(dict.fromkeys(r[0]["referral_id"] for r in rows_by_interview.values()))
    record_of = {ref: str(n) for n, ref in enumerate(referrals, 1)}
    events = list(EVENTS)
    out = []
    for referral in referrals:
        record = record_of[referral]
        interviews = sorted((r for r in rows_by_interview.values()
                             if r[0]["referral_id"] == referral),
                            key=lambda r: events.index(r[0]["timepoint"]))
        out.append({"record_id": record, "redcap_event_name": SCREENING,
                    "referral_id": referral, "consent_date": interviews[0][0]["date"],
                    "consent": "1", "enrolment_complete": "2"})
        for rows in interviews:
            first = rows[0]
            if first["timepoint"] == "follow_up" and \
                    float(first["months_after_end"]) != FOLLOW_UP_MONTHS:
                raise SystemExit(f"{first['interview_id']}: the example project has a "
                                 f"{FOLLOW_UP_MONTHS}-month follow-up event only")
            row = {"record_id": record, "redcap_event_name": EVENTS[first["timepoint"]],
                   "dx_date": first["date"], "dx_assessor": first["assessor_id"],
                   "dx_instrument": INSTRUMENT_CODES[first["instrument"]],
                   "dx_independent": YESNO[first["assessor_independent"]],
                   "dx_blind": YESNO[first["assessor_blind"]],
                   "dx_retrospective": YESNO[first["retrospective"]],
                   "dx_informants___1": "1",
                   "dx_informants___2": "1" if first["timepoint"] == "baseline" else "0",
                   "dx_informants___3": "0",
                   "dx_other_spec": OTHER_SPEC.get(referral, "")
                   if any(r["disorder"] == "other" for r in rows) else "",
                   "dx_usual_self": first["usual_self_pct"],
                   "dx_notes": NOTES.get((referral, first["timepoint"]), ""),
                   "diagnostic_interview_complete": "2"}
            for r in rows:
                row[DISORDER_FIELDS[r["disorder"]]] = STATUS_CODES[r["status"]]
            out.append(row)
        follow = next((r[0] for r in interviews if r[0]["timepoint"] == "follow_up"), None)
        for instance, outcome in enumerate(CONTACTS.get(referral, []), 1):
            if follow is not None:  # reached on the interview day, tried a week before
                day = dt.date.fromisoformat(follow["date"]) - \
                    dt.timedelta(days=0 if outcome == "1" else 7)
            else:  # not reached: tried twice about six months after the end interview
                day = dt.date.fromisoformat(interviews[-1][0]["date"]) + \
                    dt.timedelta(days=180 + 4 * instance)
            date = day.isoformat()
            out.append({"record_id": record, "redcap_event_name": EVENTS["follow_up"],
                        "redcap_repeat_instrument": "contact_log",
                        "redcap_repeat_instance": str(instance), "contact_date": date,
                        "contact_outcome": outcome, "contact_log_complete": "2"})
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # REDCap's web export writes UTF-8 with a byte-order mark and \n line ends.
    with open(OUT / "export.csv", "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, HEADER, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(_rows())


if __name__ == "__main__":
    main()
