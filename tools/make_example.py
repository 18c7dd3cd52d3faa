"""Write the example service shipped in ``src/tincheck/examples/``.

Thirty referrals, each a scenario written out by hand below, that together use every
code of the data model. The script writes the canonical folder (``service``) and the
same records as an NHS-style extract (``service_nhs``: NHS column names, NHS codes,
DD/MM/YYYY dates, ICD-10 without dots). ``tests/test_examples.py`` checks the committed
files equal this script's output.

Run: python tools/make_example.py
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tincheck import codes  # noqa: E402
from tincheck.instruments import INSTRUMENTS  # noqa: E402

OUT = ROOT / "src" / "tincheck" / "examples"

# referral_id, client, service, received, days to end (None = open), end_reason,
# problem descriptor, source, age, sex, ethnicity, imd decile, scenario
REFERRALS = [
    ("R01", "C01", "S1", "2023-01-09", 120, "completed", "F32.1", "self", 34, "female", "A", 3,
     "depression, 6 CBT sessions face to face, recovered"),
    ("R02", "C02", "S1", "2023-01-16", 90, "completed", "F41.1", "gp", 51, "male", "B", 5,
     "GAD, guided self-help by telephone, recovered"),
    ("R03", "C03", "S1", "2023-02-01", 40, "not_assessed", "F32.0", "self", 23, "female", "A", 1,
     "did not attend the assessment; never seen"),
    ("R04", "C04", "S1", "2023-02-06", 30, "not_suitable", "F33.1", "gp", 45, "male", "C", 2,
     "assessed, not suitable (NHS code 10)"),
    ("R05", "C05", "S2", "2023-02-13", 35, "not_suitable", "F41.9", "other", 62, "female", "D", 7,
     "assessed, not suitable (NHS code 11)"),
    ("R06", "C06", "S2", "2023-02-20", 20, "advice_given", "F41.1", "self", 29, "other", "A", 4,
     "assessed, given advice and signposted"),
    ("R07", "C07", "S2", "2023-03-01", 10, "referred_elsewhere", "F20.0", "gp", 38, "male", "B", 6,
     "referred elsewhere before any contact (no appointments)"),
    ("R08", "C08", "S1", "2023-03-06", 45, "declined", "F32.1", "self", 19, "female", "A", 8,
     "assessed, then declined treatment"),
    ("R09", "C09", "S1", "2023-03-13", 50, "dropped_out_assessment", "F41.1", "self", 27, "unknown",
     "Z", 9, "arrived late and not seen, then did not attend"),
    ("R10", "C10", "S1", "2023-03-20", 60, "dropped_out_treatment", "F32.2", "gp", 41, "female",
     "A", 2, "one treatment session, then dropped out"),
    ("R11", "C11", "S2", "2023-04-03", 80, "ended_by_patient_request", "F33.0", "self", 55, "male",
     "C", 3, "two sessions, no reliable change, ended at own request"),
    ("R12", "C12", "S2", "2023-04-10", 70, "deceased", "F32.1", "gp", 78, "female", "A", 5,
     "deceased (NHS code 17)"),
    ("R13", "C13", "S2", "2023-04-17", 75, "deceased", "F41.1", "gp", 81, "male", "A", 4,
     "deceased (NHS code 49)"),
    ("R14", "C14", "S1", "2023-05-02", 100, "unknown", "F41.2", "other", 36, "female", "B", 6,
     "ended, reason not known (NHS code 95)"),
    ("R15", "C15", "S1", "2024-10-01", None, None, "F32.1", "self", 30, "female", "A", 3,
     "still open: in treatment at the end of the data"),
    ("R16", "C16", "S1", "2023-05-15", 110, "completed", "F40.1", "self", 24, "male", "A", 7,
     "social phobia, SPIN as the ADSM, CBT by video, recovered"),
    ("R17", "C17", "S2", "2023-05-22", 100, "completed", "F41.0", "gp", 33, "female", "D", 2,
     "panic with a single PDSS score: falls back to GAD-7"),
    ("R18", "C18", "S2", "2023-06-05", 120, "completed", "F40.0", "self", 47, "female", "A", 5,
     "agoraphobia, MI as the ADSM (caseness is MI > 2.3)"),
    ("R19", "C19", "S1", "2023-06-12", 130, "completed", "F43.1", "gp", 39, "male", "C", 1,
     "PTSD, PCL-5, EMDR, recovered"),
    ("R20", "C20", "S1", "2023-06-19", 140, "completed", "F42.0", "self", 26, "female", "B", 8,
     "OCD, OCI as the ADSM (OCI-R also recorded)"),
    ("R21", "C21", "S2", "2023-07-03", 100, "completed", "F45.2", "self", 44, "male", "A", 6,
     "health anxiety, HAI, mindfulness"),
    ("R22", "C22", "S2", "2023-07-10", 90, "completed", "F41.2", "gp", 58, "female", "A", 4,
     "mixed anxiety and depression, couples therapy and IPT"),
    ("R23", "C23", "S1", "2023-07-17", 80, "completed", "F41.1", "self", 31, "female", "B", 9,
     "finished a course but not at caseness"),
    ("R24", "C24", "S1", "2023-08-01", 150, "completed", "F32.1", "gp", 49, "male", "A", 2,
     "computerised self-help, stepped up to CBT, reliably deteriorated"),
    ("R25", "C25", "S2", "2023-08-07", 100, "completed", "F32.1", "self", 37, "female", "C", 3,
     "PHQ-9 reliably improved while GAD-7 reliably deteriorated"),
    ("R26", "C26", "S2", "2023-08-14", 90, "dropped_out_treatment", "F43.1", "other", 42, "male",
     "A", 5, "PTSD measured on the IES-R only (not an official measure)"),
    ("R27", "C01", "S1", "2023-09-04", 100, "completed", "F32.1", "self", 35, "female", "A", 3,
     "second referral of client C01 (re-referral within 12 months)"),
    ("R28", "C01", "S1", "2024-03-04", 90, "unknown", "F32.1", "self", 35, "female", "A", 3,
     "third referral of client C01 (NHS code 96)"),
    ("R29", "C29", "S2", "2023-09-11", 120, "completed", "F41.1", "gp", 52, "female", "A", 6,
     "DIT and counselling with employment support; follow-up after the end; PSWQ"),
    ("R30", "C30", "S2", "2023-09-18", 80, "completed", "F32.0", "self", 22, "male", "B", 7,
     "finished a course without paired scores (one PHQ-9 only)"),
]

# NHS codes written in the NHS-style extract where a canonical code has several.
NHS_CHOICE = {("R05", "end_reason"): "11", ("R13", "end_reason"): "49",
              ("R28", "end_reason"): "96"}

# Contacts: referral -> list of (day, kind, attendance, intensity, therapy, medium,
# therapist, minutes). Day counts from the referral's received date.
A, T, AT, RT, FU, O = ("assessment", "treatment", "assessment_treatment", "review_treatment",
                       "follow_up", "other")
ATT, LATE, DNA, CP, CV, LNS = ("attended", "late_seen", "dna", "cancelled_patient",
                               "cancelled_provider", "late_not_seen")
F2F, TEL, VID, TXT, OTH = "face_to_face", "telephone", "video", "text", "other"


def course(start, n, gap, kind, intensity, therapy, medium, therapist, minutes=50):
    return [(start + i * gap, kind, ATT, intensity, therapy, medium, therapist, minutes)
            for i in range(n)]


CONTACTS = {
    "R01": [(7, A, ATT, "high", None, F2F, "T03", 60)]
           + course(21, 6, 14, T, "high", "cbt", F2F, "T03"),
    "R02": [(5, A, ATT, "low", None, TEL, "T01", 45)]
           + course(14, 5, 14, T, "low", "gsh_book", TEL, "T01", 30),
    "R03": [(14, A, DNA, None, None, F2F, "T01", None)],
    "R04": [(10, A, ATT, "low", None, TEL, "T01", 45)],
    "R05": [(12, A, LATE, "low", None, F2F, "T02", 40)],
    "R06": [(7, A, ATT, "low", "signposting", TXT, "T02", 20)],
    "R07": [],
    "R08": [(8, A, ATT, "low", None, TEL, "T01", 45), (30, T, CP, "low", "gsh_book", TEL,
                                                      "T01", None)],
    "R09": [(9, A, LNS, None, None, F2F, "T02", None), (23, A, DNA, None, None, F2F, "T02",
                                                        None)],
    "R10": [(6, A, ATT, "low", None, TEL, "T02", 45),
            (20, T, ATT, "low", "nongsh_book", TEL, "T02", 30),
            (34, T, DNA, "low", "nongsh_book", TEL, "T02", None)],
    "R11": [(5, AT, ATT, "low", "psychoeducation_group", OTH, "T01", 90),
            (19, T, ATT, "low", "psychoeducation_group", OTH, "T01", 90)],
    "R12": [(6, A, ATT, "low", None, F2F, "T01", 45),
            (20, T, ATT, "low", "physical_activity", F2F, "T01", 30)],
    "R13": [(9, A, CV, None, None, TEL, "T02", None), (16, A, ATT, "low", None, TEL, "T02", 45)],
    "R14": [(7, A, ATT, "low", None, TEL, "T01", 45),
            (21, T, ATT, "low", "li_other", TEL, "T01", 30),
            (35, T, ATT, "low", "li_other", TEL, "T01", 30)],
    "R15": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 3, 14, T, "high", "cbt", F2F, "T03"),
    "R16": [(6, A, ATT, "high", None, VID, "T03", 60)]
           + course(20, 6, 14, T, "high", "cbt", VID, "T03"),
    "R17": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 5, 14, T, "high", "applied_relaxation", F2F, "T03"),
    "R18": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 6, 14, T, "high", "hi_other", F2F, "T03"),
    "R19": [(6, A, ATT, "high", None, F2F, "T05", 60)]
           + course(20, 8, 12, T, "high", "emdr", F2F, "T05", 90),
    "R20": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 8, 14, T, "high", "cbt", F2F, "T03"),
    "R21": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 6, 12, T, "high", "mindfulness", F2F, "T03"),
    "R22": [(6, A, ATT, "high", None, F2F, "T04", 60)]
           + course(20, 3, 14, T, "high", "couples", F2F, "T04")
           + course(62, 2, 10, T, "high", "ipt", F2F, "T04"),
    "R23": [(6, A, ATT, "low", None, TEL, "T01", 45)]
           + course(20, 4, 14, T, "low", "gsh_book", TEL, "T01", 30),
    "R24": [(6, A, ATT, "low", None, TEL, "T02", 45)]
           + course(20, 3, 14, T, "low", "gsh_computer", TXT, "T02", 20)
           + course(80, 4, 14, T, "high", "cbt", F2F, "T03"),
    "R25": [(6, A, ATT, "low", None, TEL, "T01", 45)]
           + course(20, 4, 14, T, "low", "nongsh_computer", TXT, "T01", 20),
    "R26": [(6, A, ATT, "high", None, F2F, "T05", 60),
            (20, T, ATT, "high", "emdr", F2F, "T05", 90),
            (34, T, ATT, "high", "emdr", F2F, "T05", 90)],
    "R27": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 5, 14, T, "high", "collaborative_care", F2F, "T03"),
    "R28": [(6, A, ATT, "high", None, F2F, "T03", 60)]
           + course(20, 2, 14, RT, "high", "cbt", F2F, "T03"),
    "R29": [(6, A, ATT, "high", None, F2F, "T04", 60)]
           + course(20, 2, 14, T, "high", "dit", F2F, "T04")
           + [(48, O, ATT, "high", "employment_support", TEL, "T04", 30),
              (55, T, ATT, "high", "employment_support", TEL, "T04", 30),
              (62, RT, ATT, "high", "counselling", F2F, "T04", 50),
              (76, RT, ATT, "high", "counselling", F2F, "T04", 50),
              (150, FU, ATT, "high", None, TEL, "T04", 30)],
    "R30": [(6, A, ATT, "high", None, F2F, "T04", 60)]
           + course(20, 3, 14, T, "high", "counselling", F2F, "T04"),
}

# Scores: referral -> list of (contact index or None, instrument, score). A score with a
# contact index is dated on that contact; None with a day is given as (day, instrument,
# score) in EXTRA_SCORES.
PHQ, GAD = "PHQ9", "GAD7"


def series(instrument, values, first_contact=0):
    return [(first_contact + i, instrument, v) for i, v in enumerate(values)]


SCORES = {
    "R01": series(PHQ, [18, 16, 14, 11, 9, 7, 6]) + series(GAD, [12, 11, 9, 8, 7, 6, 5])
           + [(0, "WSAS", 20), (6, "WSAS", 10)],
    "R02": series(PHQ, [14, 13, 11, 10, 9, 8]) + series(GAD, [15, 13, 11, 9, 7, 6]),
    "R04": [(0, PHQ, 12), (0, GAD, 9)],
    "R05": [(0, PHQ, 7), (0, GAD, 10)],
    "R06": [(0, PHQ, 9), (0, GAD, 11)],
    "R08": [(0, PHQ, 15), (0, GAD, 14)],
    "R10": [(0, PHQ, 16), (1, PHQ, 16), (0, GAD, 13), (1, GAD, 12)],
    "R11": [(0, PHQ, 20), (1, PHQ, 19), (0, GAD, 15), (1, GAD, 16)],
    "R12": [(0, PHQ, 17), (1, PHQ, 15), (0, GAD, 12), (1, GAD, 12)],
    "R13": [(1, PHQ, 11), (1, GAD, 9)],
    "R14": series(PHQ, [13, 12, 10]) + series(GAD, [11, 10, 9]),
    "R15": series(PHQ, [19, 17, 15, 14]) + series(GAD, [13, 12, 11, 10]),
    "R16": series(PHQ, [11, 10, 9, 8, 7, 6, 5]) + series(GAD, [9, 8, 8, 7, 6, 5, 4])
           + series("SPIN", [42, 38, 33, 28, 22, 17, 14]),
    "R17": series(PHQ, [12, 11, 9, 8, 7, 6]) + series(GAD, [16, 14, 12, 10, 8, 6])
           + [(0, "PDSS", 18)],
    "R18": series(PHQ, [9, 9, 8, 8, 7, 7, 6]) + series(GAD, [7, 7, 7, 6, 6, 5, 5])
           + series("MI", [3.6, 3.4, 3.1, 2.8, 2.5, 2.3, 2.1]),
    "R19": series(PHQ, [17, 16, 14, 12, 11, 9, 8, 7, 6]) + series(GAD, [14, 13, 12, 10, 9, 8,
                                                                         7, 6, 5])
           + series("PCL5", [55, 51, 47, 42, 38, 33, 29, 25, 21]),
    "R20": series(PHQ, [10, 10, 9, 9, 8, 8, 7, 7, 6]) + series(GAD, [10, 10, 9, 9, 8, 8, 7, 7,
                                                                       6])
           + series("OCI", [64, 60, 55, 50, 45, 41, 37, 33, 30])
           + [(0, "OCIR", 34), (8, "OCIR", 16)],
    "R21": series(PHQ, [8, 8, 7, 7, 6, 6, 5]) + series(GAD, [12, 11, 10, 9, 8, 7, 6])
           + series("HAI", [28, 26, 23, 20, 17, 14, 12]),
    "R22": series(PHQ, [15, 14, 13, 12, 11, 10]) + series(GAD, [13, 12, 12, 11, 10, 9]),
    "R23": series(PHQ, [6, 5, 5, 4, 4]) + series(GAD, [5, 5, 4, 4, 3]),
    "R24": series(PHQ, [10, 11, 12, 14, 15, 16, 17, 18]) + series(GAD, [8, 9, 10, 11, 12, 12,
                                                                         13, 13]),
    "R25": series(PHQ, [20, 18, 16, 14, 12]) + series(GAD, [8, 9, 11, 12, 14]),
    "R26": [(0, "IESR", 50), (1, "IESR", 44), (2, "IESR", 40), (0, GAD, 12), (2, GAD, 10),
            (0, PHQ, 13), (2, PHQ, 11)],
    "R27": series(PHQ, [14, 13, 11, 10, 9, 8]) + series(GAD, [10, 9, 8, 7, 7, 6]),
    "R28": series(PHQ, [16, 15, 15]) + series(GAD, [11, 11, 10]),
    "R29": series(PHQ, [13, 12, 11]) + [(5, PHQ, 9), (6, PHQ, 8)]
           + series(GAD, [14, 13, 12]) + [(5, GAD, 8), (6, GAD, 7)]
           + [(0, "PSWQ", 66), (6, "PSWQ", 48), (0, "WSAS", 24), (6, "WSAS", 14)],
    "R30": [(0, PHQ, 14), (1, GAD, 12)],
}

THERAPISTS = [
    ("T01", "pwp", 4.5, 4.0, 4.5),
    ("T02", "pwp", 3.0, 3.5, 4.0),
    ("T03", "hi_therapist", 5.0, 4.5, 5.0),
    ("T04", "counsellor", 4.0, 4.0, 5.5),
    ("T05", "other", 3.5, 3.0, 4.0),
]

# interview_id, referral, timepoint, days after received, months after end, assessor,
# instrument, independent, blind, retrospective, usual self %, [(disorder, status)]
INTERVIEWS = [
    ("I01", "R01", "baseline", 3, None, "AS1", "SCID-5", True, True, False, 20,
     [("depression", "present"), ("gad", "subthreshold")]),
    ("I02", "R01", "end", 125, None, "AS1", "SCID-5", True, True, False, 70,
     [("depression", "subthreshold"), ("gad", "absent")]),
    ("I03", "R01", "follow_up", 305, 6, "AS2", "SCID-5", True, True, False, 60,
     [("depression", "present"), ("gad", "absent")]),
    ("I04", "R02", "baseline", 2, None, "AS2", "MINI", True, True, False, 30,
     [("gad", "present"), ("panic", "absent")]),
    ("I05", "R02", "end", 95, None, "AS2", "MINI", True, True, False, 95,
     [("gad", "absent"), ("panic", "absent")]),
    ("I06", "R02", "follow_up", 275, 6, "AS2", "MINI", True, True, False, 90,
     [("gad", "absent"), ("panic", "absent")]),
    ("I07", "R16", "baseline", 2, None, "AS3", "DIAMOND", True, True, False, 25,
     [("social_anxiety", "present"), ("specific_phobia", "present")]),
    ("I08", "R16", "end", 115, None, "AS3", "DIAMOND", True, True, False, 80,
     [("social_anxiety", "absent"), ("specific_phobia", "present")]),
    ("I09", "R19", "baseline", 2, None, "AS1", "CIDI", True, True, False, 15,
     [("ptsd", "present"), ("depression", "present")]),
    ("I10", "R19", "end", 135, None, "AS1", "CIDI", True, False, False, 75,
     [("ptsd", "absent"), ("depression", "absent")]),
    ("I11", "R20", "baseline", 3, None, "AS4", "ADIS", False, True, False, 35,
     [("ocd", "present")]),
    ("I12", "R20", "end", 145, None, "AS4", "ADIS", False, True, False, 65,
     [("ocd", "subthreshold")]),
    ("I13", "R21", "baseline", 2, None, "AS3", "SCID-IV", True, True, True, 40,
     [("health_anxiety", "present"), ("agoraphobia", "absent")]),
    ("I14", "R21", "end", 105, None, "AS3", "SCID-IV", True, True, False, 85,
     [("health_anxiety", "absent"), ("agoraphobia", "absent")]),
    ("I15", "R22", "baseline", 2, None, "AS1", "other", True, True, False, 30,
     [("mixed_anxiety_depression", "present"), ("other", "subthreshold")]),
    ("I16", "R24", "baseline", 2, None, "AS2", "SCID-5", True, True, False, 35,
     [("depression", "present")]),
    ("I17", "R24", "end", 155, None, "AS2", "SCID-5", True, True, False, 20,
     [("depression", "present")]),
    ("I18", "R24", "follow_up", 340, 6, "AS2", "SCID-5", True, True, False, 25,
     [("depression", "present")]),
]

COSTS = [("S1", "2023-04-01", "2024-03-31", 250000), ("S2", "2023-04-01", "2024-03-31", 120000)]


def day(received: str, offset: int) -> dt.date:
    return dt.date.fromisoformat(received) + dt.timedelta(days=offset)


def rows():
    """All tables as lists of dicts in canonical form."""
    referrals, appointments, measures = [], [], []
    for (rid, client, service, received, length, reason, pd, source, age, sex, eth, imd,
         _story) in REFERRALS:
        ended = day(received, length).isoformat() if length is not None else ""
        referrals.append(dict(referral_id=rid, client_id=client, service_id=service,
                              received_date=received, ended_date=ended,
                              end_reason=reason or "", problem_descriptor=pd, source=source,
                              age=age, sex=sex, ethnicity=eth, imd_decile=imd))
        contacts = CONTACTS[rid]
        ids = []
        for n, (offset, kind, att, intensity, therapy, medium, therapist, minutes) in \
                enumerate(contacts, start=1):
            aid = f"{rid}-A{n:02d}"
            ids.append((aid, day(received, offset)))
            appointments.append(dict(
                appointment_id=aid, referral_id=rid, date=day(received, offset).isoformat(),
                kind=kind, attendance=att, intensity=intensity or "",
                therapy_type=therapy or "", medium=medium, therapist_id=therapist,
                duration_minutes="" if minutes is None else minutes))
        for index, instrument, score in SCORES.get(rid, []):
            aid, when = ids[index]
            measures.append(dict(referral_id=rid, date=when.isoformat(),
                                 instrument=instrument, score=score, appointment_id=aid))
    measures.sort(key=lambda m: (m["referral_id"], m["date"], m["instrument"]))
    received = {r["referral_id"]: r["received_date"] for r in referrals}
    interviews = []
    for (iid, rid, tp, offset, months, assessor, instrument, indep, blind, retro, usual,
         statuses) in INTERVIEWS:
        for disorder, status in statuses:
            interviews.append(dict(
                interview_id=iid, referral_id=rid, timepoint=tp,
                date=day(received[rid], offset).isoformat(),
                months_after_end="" if months is None else months, assessor_id=assessor,
                instrument=instrument, assessor_independent=str(indep).lower(),
                assessor_blind=str(blind).lower(), retrospective=str(retro).lower(),
                disorder=disorder, status=status, usual_self_pct=usual,
                # no second ratings, and blinding held in every interview
                second_rating="false", unblinded="false"))
    therapists = [dict(therapist_id=t, role=r, competence_diagnosis_specific=a,
                       competence_stage_specific=b, competence_generic=c)
                  for t, r, a, b, c in THERAPISTS]
    costs = [dict(service_id=s, period_start=a, period_end=b, cost_gbp=c)
             for s, a, b, c in COSTS]
    return dict(referrals=referrals, appointments=appointments, measures=measures,
                interviews=interviews, therapists=therapists, costs=costs)


def nhs_code(list_name: str, value: str, rid: str = "", column: str = "") -> str:
    if not value:
        return ""
    if (rid, column) in NHS_CHOICE:
        return NHS_CHOICE[(rid, column)]
    for code in codes.CODE_LISTS[list_name]:
        if code.value == value and code.nhs:
            return code.nhs[0]
    return value


def ddmmyyyy(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def nhs_rows(tables):
    """The same records as an NHS-style extract."""
    out = {}
    out["referrals"] = [{
        "ServiceRequestId": r["referral_id"], "LocalPatientId": r["client_id"],
        "OrgID_Provider": r["service_id"],
        "ReferralRequestReceivedDate": ddmmyyyy(r["received_date"]),
        "ServDischDate": ddmmyyyy(r["ended_date"]),
        "EndCode": nhs_code("end_reason", r["end_reason"], r["referral_id"], "end_reason"),
        "PresentingComplaint": r["problem_descriptor"].replace(".", ""),
        "SourceOfReferralMH": nhs_code("source", r["source"]),
        "Age_ReferralRequest_ReceivedDate": r["age"], "Gender": nhs_code("sex", r["sex"]),
        "EthnicCategory": r["ethnicity"], "imd_decile": r["imd_decile"],
    } for r in tables["referrals"]]
    apps = []
    for n, a in enumerate(tables["appointments"]):
        kind = nhs_code("appointment_kind", a["kind"])
        if n % 2:  # spreadsheets strip leading zeros: accept both spellings
            kind = kind.lstrip("0")
        apps.append({
            "CareContactId": a["appointment_id"], "ServiceRequestId": a["referral_id"],
            "CareContDate": ddmmyyyy(a["date"]), "AppType": kind,
            "AttendOrDNACode": nhs_code("attendance", a["attendance"]),
            "intensity": a["intensity"],
            "CodeProcAndProcStatus": nhs_code("therapy_type", a["therapy_type"]),
            "ConsMediumUsed": nhs_code("medium", a["medium"]),
            "CareProfLocalId": a["therapist_id"],
            "ClinContDurOfCareCont": a["duration_minutes"]})
    out["appointments"] = apps
    out["measures"] = [{
        "ServiceRequestId": m["referral_id"], "AssToolCompDate": ddmmyyyy(m["date"]),
        "CodedAssToolType": (INSTRUMENTS[m["instrument"]].snomed or (m["instrument"],))[0],
        "PersScore": m["score"], "CareContactId": m["appointment_id"],
    } for m in tables["measures"]]
    out["interviews"] = [{**i, "date": ddmmyyyy(i["date"]),
                          "assessor_independent": "yes" if i["assessor_independent"] == "true"
                          else "no",
                          "assessor_blind": "Y" if i["assessor_blind"] == "true" else "N"}
                         for i in tables["interviews"]]
    out["therapists"] = [{"CareProfLocalId": t.pop("therapist_id"), **t}
                         for t in [dict(t) for t in tables["therapists"]]]
    out["costs"] = [{**c, "period_start": ddmmyyyy(c["period_start"]),
                     "period_end": ddmmyyyy(c["period_end"])} for c in tables["costs"]]
    return out


def write(folder: Path, tables) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in tables.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)


def stories() -> str:
    lines = ["# The example service", "",
             "Thirty hand-written referrals in two services (S1, S2), received 2023-01 to "
             "2024-10, that together use every code of the data model. `service_nhs/` holds "
             "the same records as an NHS-style extract. Written by `tools/make_example.py`.",
             "", "| referral | client | what happens |", "| --- | --- | --- |"]
    lines += [f"| {r[0]} | {r[1]} | {r[-1]} |" for r in REFERRALS]
    return "\n".join(lines) + "\n"


def main() -> None:
    tables = rows()
    write(OUT / "service", tables)
    write(OUT / "service_nhs", nhs_rows(rows()))
    (OUT / "service" / "README.md").write_text(stories(), encoding="utf-8")


if __name__ == "__main__":
    main()
