"""Code lists of the canonical data model, with the NHS codes each one accepts.

Every coded column of the data model (``docs/data-model.md``) takes either the
canonical word or one of the NHS Talking Therapies dataset (IAPT v2.x) codes listed
here. This module is the only place those codes are written down: ingest builds its
parsers from it, the synthetic generator writes NHS-style extracts from it, and the
docs print it.

Numeric NHS codes are matched with or without leading zeros (``01`` and ``1`` are the
same AppType), because spreadsheets routinely strip them.

Reference: NHS Digital (2021) *A guide to IAPT data and publications, updated for the
v2.0 dataset*; NHS Data Dictionary (IAPT v2.0 data set).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """One canonical code and the NHS codes that mean the same thing.

    ``group`` carries a classification some metrics need (for therapy types:
    ``low``, ``high``, ``employment`` or ``signposting``). ``variants`` are other
    accepted spellings that are not NHS codes (``follow-up``, ``SCID5``).
    """

    value: str
    nhs: tuple[str, ...] = ()
    label: str = ""
    group: str = ""
    variants: tuple[str, ...] = ()


def _codes(*rows: tuple) -> tuple[Code, ...]:
    return tuple(Code(*row) for row in rows)


END_REASON = _codes(
    ("not_assessed", ("50",), "referred but not seen / not assessed"),
    ("not_suitable", ("10", "11"), "not suitable for the service"),
    ("advice_given", ("12",), "seen and given advice or signposted"),
    ("referred_elsewhere", ("13",), "referred to another service"),
    ("declined", ("14",), "declined treatment"),
    ("dropped_out_assessment", ("16",), "dropped out after assessment"),
    ("completed", ("46",), "mutually agreed completion of treatment"),
    ("dropped_out_treatment", ("47",), "termination earlier than the professional planned"),
    ("ended_by_patient_request", ("48",), "ended at the patient's request"),
    ("deceased", ("17", "49"), "deceased"),
    ("unknown", ("95", "96"), "not known"),
)

APPOINTMENT_KIND = _codes(
    ("assessment", ("01",), "assessment"),
    ("treatment", ("02",), "treatment"),
    ("assessment_treatment", ("03",), "assessment and treatment"),
    ("review_treatment", ("05",), "review and treatment"),
    ("follow_up", ("06",), "follow-up after treatment ended"),
    ("other", ("04", "07", "08", "09", "10"), "other contact"),
)

ATTENDANCE = _codes(
    ("attended", ("5",), "attended on time or before the patient could be seen"),
    ("late_seen", ("6",), "arrived late but was seen"),
    ("dna", ("3",), "did not attend, no advance warning"),
    ("cancelled_patient", ("2",), "cancelled or postponed by the patient"),
    ("cancelled_provider", ("4",), "cancelled or postponed by the provider"),
    ("late_not_seen", ("7",), "arrived late and could not be seen"),
)

INTENSITY = _codes(
    ("low", (), "low intensity (step 2)"),
    ("high", (), "high intensity (step 3)"),
)

# SNOMED CT procedure codes of the IAPT v2.0 therapy types (CodeProcAndProcStatus).
THERAPY_TYPE = _codes(
    ("gsh_book", ("748051000000105",), "guided self-help (book)", "low"),
    ("nongsh_book", ("748101000000105",), "non-guided self-help (book)", "low"),
    ("gsh_computer", ("748041000000107",), "guided self-help (computer)", "low"),
    ("nongsh_computer", ("748091000000102",), "non-guided self-help (computer)", "low"),
    ("physical_activity", ("748061000000108",), "structured physical activity", "low"),
    ("psychoeducation_group", ("702545008",), "psychoeducational peer support group", "low"),
    ("li_other", ("1026111000000108",), "other low-intensity intervention", "low"),
    ("cbt", ("304891004",), "cognitive behavioural therapy", "high"),
    ("ipt", ("443730003",), "interpersonal psychotherapy", "high"),
    ("counselling", ("286711000000107",), "counselling for depression", "high"),
    ("dit", ("314034001",), "brief psychodynamic / dynamic interpersonal therapy", "high"),
    ("emdr", ("449030000",), "eye movement desensitisation and reprocessing", "high"),
    ("couples", ("1129471000000105",), "couples therapy for depression", "high"),
    ("mindfulness", ("933221000000107",), "mindfulness", "high"),
    ("applied_relaxation", ("1127281000000100",), "applied relaxation", "high"),
    ("collaborative_care", ("842901000000108",), "collaborative care", "high"),
    ("hi_other", ("1026131000000100",), "other high-intensity intervention", "high"),
    ("employment_support", ("1098051000000103",), "employment support", "employment"),
    ("signposting", ("975131000000104",), "signposting", "signposting"),
)

# Therapy types the delivery metrics count as (guided or non-guided) self-help.
SELF_HELP_THERAPIES = ("gsh_book", "gsh_computer", "nongsh_book", "nongsh_computer")

MEDIUM = _codes(
    ("face_to_face", ("01",), "face to face"),
    ("telephone", ("02",), "telephone"),
    ("video", ("03",), "video consultation"),
    ("text", ("05", "06", "08"), "text-based (email, instant messaging, SMS)"),
    ("other", ("98",), "other"),
)

# SourceOfReferralMH: A1 is a GP practice, B1/B2 self-referral (self, carer); every
# other national code is grouped as "other".
SOURCE = _codes(
    ("self", ("B1", "B2"), "self-referral"),
    ("gp", ("A1",), "general practitioner"),
    (
        "other",
        (
            "A2", "A3", "A4", "C1", "C2", "D1", "D2", "E1", "E2", "E3", "E4", "E5",
            "F1", "F2", "F3", "G1", "G2", "G3", "G4", "H1", "H2", "I1", "I2", "M1",
            "M2", "M3", "M4", "M5", "M6", "M7", "N1", "N2", "N3", "P1", "Q1",
        ),
        "any other source",
    ),
)

# Person stated gender code (NHS Data Dictionary): 1 male, 2 female, 9 indeterminate,
# X / 0 not known.
SEX = _codes(
    ("female", ("2", "F"), "female"),
    ("male", ("1", "M"), "male"),
    ("other", ("9",), "other / indeterminate"),
    ("unknown", ("0", "X"), "not known or not stated"),
)

TIMEPOINT = _codes(
    ("baseline", (), "before treatment"),
    ("end", (), "at the end of treatment"),
    ("follow_up", (), "after the end of treatment", "", ("followup", "follow-up")),
)

INTERVIEW_INSTRUMENT = _codes(
    ("SCID-5", (), "Structured Clinical Interview for DSM-5", "", ("scid5",)),
    ("SCID-IV", (), "Structured Clinical Interview for DSM-IV", "", ("scid4", "scid-4")),
    ("MINI", (), "Mini International Neuropsychiatric Interview"),
    ("DIAMOND", (), "Diagnostic Interview for Anxiety, Mood, and OCD and Related Disorders"),
    ("CIDI", (), "Composite International Diagnostic Interview"),
    ("ADIS", (), "Anxiety and Related Disorders Interview Schedule"),
    ("other", (), "another standardised semi-structured interview"),
)

DISORDER = _codes(
    ("depression", (), "major depressive disorder"),
    ("gad", (), "generalised anxiety disorder"),
    ("panic", (), "panic disorder"),
    ("agoraphobia", (), "agoraphobia"),
    ("social_anxiety", (), "social anxiety disorder"),
    ("specific_phobia", (), "specific phobia"),
    ("ptsd", (), "post-traumatic stress disorder"),
    ("ocd", (), "obsessive-compulsive disorder"),
    ("health_anxiety", (), "health anxiety"),
    ("mixed_anxiety_depression", (), "mixed anxiety and depressive disorder"),
    ("other", (), "another disorder"),
)

STATUS = _codes(
    ("present", (), "meets full criteria"),
    ("subthreshold", (), "some symptoms, below full criteria"),
    ("absent", (), "does not meet criteria"),
)

ROLE = _codes(
    ("pwp", (), "psychological wellbeing practitioner (low intensity)"),
    ("hi_therapist", (), "high-intensity therapist"),
    ("counsellor", (), "counsellor"),
    ("other", (), "other"),
)

CODE_LISTS: dict[str, tuple[Code, ...]] = {
    "end_reason": END_REASON,
    "appointment_kind": APPOINTMENT_KIND,
    "attendance": ATTENDANCE,
    "intensity": INTENSITY,
    "therapy_type": THERAPY_TYPE,
    "medium": MEDIUM,
    "source": SOURCE,
    "sex": SEX,
    "timepoint": TIMEPOINT,
    "interview_instrument": INTERVIEW_INSTRUMENT,
    "disorder": DISORDER,
    "status": STATUS,
    "role": ROLE,
}

# Attendance codes that make an appointment an attended contact (guide §6.1).
ATTENDED = ("attended", "late_seen")
# Appointment kinds that are treatment contacts (guide §6.2).
TREATMENT_KINDS = ("treatment", "assessment_treatment", "review_treatment")


def spellings(code: Code) -> tuple[str, ...]:
    """Every lower-case spelling that maps to ``code``: the word and its NHS codes.

    Numeric NHS codes are also given without leading zeros.

    >>> spellings(APPOINTMENT_KIND[0])
    ('assessment', '01', '1')
    """
    out = [code.value.lower()]
    for nhs in code.nhs:
        out.append(nhs.lower())
        if nhs.isdigit() and nhs.lstrip("0") and nhs.lstrip("0") != nhs:
            out.append(nhs.lstrip("0"))
    out.extend(v.lower() for v in code.variants)
    return tuple(dict.fromkeys(out))


def lookup(list_name: str) -> dict[str, str]:
    """Map every accepted spelling (lower case) of a code list to its canonical code."""
    table: dict[str, str] = {}
    for code in CODE_LISTS[list_name]:
        for spelling in spellings(code):
            table[spelling] = code.value
    return table


def values(list_name: str) -> tuple[str, ...]:
    """The canonical codes of a code list, in documented order."""
    return tuple(code.value for code in CODE_LISTS[list_name])


def in_group(list_name: str, group: str) -> tuple[str, ...]:
    """Canonical codes of ``list_name`` whose ``group`` is ``group``."""
    return tuple(code.value for code in CODE_LISTS[list_name] if code.group == group)


# NHS ethnic category codes (NHS Data Dictionary "Ethnic Category", 2001 census
# categories) by broad group, for comparing a sample with its population; `Z` (not
# stated) and `99` (not known) belong to no group.
ETHNIC_GROUPS: dict[str, tuple[str, ...]] = {
    "white": ("A", "B", "C"),
    "mixed": ("D", "E", "F", "G"),
    "asian": ("H", "J", "K", "L"),
    "black": ("M", "N", "P"),
    "other": ("R", "S"),
}
