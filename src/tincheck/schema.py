"""The canonical data model: tables, columns, types and NHS column aliases.

This is the code form of ``docs/data-model.md``. Ingest reads any accepted spelling
into these tables; metrics are written against them; the docs are checked against
them by a test. Change one only together with the other.

Column types:

- ``str``: identifier or free text, stored as a string;
- ``code``: one of a code list in :mod:`tincheck.codes` (or the instrument list);
- ``icd10``: an ICD-10 code, stored with its dot (``F32.1``);
- ``date``: a calendar date (ISO ``YYYY-MM-DD`` or ``DD/MM/YYYY`` in files);
- ``int`` / ``number``: whole / real numbers, optionally bounded;
- ``bool``: true/false (also yes/no, y/n, 1/0).

Every canonical table also carries ``source_row``: the row of the source file the
record came from, counted as a spreadsheet user counts (header = row 1). It is the
stable sequence number that orders two records with the same date.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt

SOURCE_ROW = "source_row"

_IBIS_TYPES = {
    "str": dt.string,
    "code": dt.string,
    "icd10": dt.string,
    "date": dt.date,
    "int": dt.int64,
    "number": dt.float64,
    "bool": dt.boolean,
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``identifier`` columns hold identifiers: their values are never quoted in a
    message, and NHS numbers in them are pseudonymised. ``references`` names the
    ``table.column`` a foreign key must resolve to.
    """

    name: str
    type: str
    required: bool = False
    meaning: str = ""
    aliases: tuple[str, ...] = ()
    codes: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    identifier: bool = False
    references: str | None = None

    @property
    def ibis_type(self) -> dt.DataType:
        return _IBIS_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns and whether a service must supply it."""

    name: str
    required: bool
    meaning: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def ibis_schema(self) -> ibis.Schema:
        """The Ibis schema of the canonical table, ``source_row`` included."""
        fields = {c.name: c.ibis_type for c in self.columns}
        fields[SOURCE_ROW] = dt.int64
        return ibis.schema(fields)

    def ibis_table(self) -> ibis.Table:
        """A backend-free Ibis table with this schema (metrics are built on these)."""
        return ibis.table(self.ibis_schema(), name=self.name)


def _id(name, meaning, aliases=(), *, required=True, unique=False, references=None):
    return Column(name, "str", required, meaning, tuple(aliases), unique=unique,
                  identifier=True, references=references)


REFERRALS = Table(
    "referrals", True, "one row per referral",
    (
        _id("referral_id", "the referral", ("ServiceRequestId",), unique=True),
        _id("client_id", "the person (pseudonymised)", ("LocalPatientId", "Person_ID")),
        _id("service_id", "provider / service", ("OrgID_Provider", "OrgIDProv")),
        Column("received_date", "date", True, "referral received",
               ("ReferralRequestReceivedDate",)),
        Column("ended_date", "date", False, "referral ended (discharge); empty = still open",
               ("ServDischDate",)),
        Column("end_reason", "code", False, "why it ended", ("EndCode",), codes="end_reason"),
        Column("problem_descriptor", "icd10", False,
               "ICD-10 code of the last recorded problem descriptor",
               ("PresentingComplaint", "PrimaryPresentingComplaint")),
        Column("source", "code", False, "source of referral", ("SourceOfReferralMH",),
               codes="source"),
        Column("age", "int", False, "age at referral", ("Age_ReferralRequest_ReceivedDate",),
               minimum=0, maximum=120),
        Column("sex", "code", False, "sex / gender", ("Gender",), codes="sex"),
        Column("ethnicity", "str", False, "ethnic category (free code)", ("EthnicCategory",)),
        Column("imd_decile", "int", False, "deprivation decile", minimum=1, maximum=10),
    ),
)

APPOINTMENTS = Table(
    "appointments", True, "one row per planned or held contact",
    (
        _id("appointment_id", "the contact", ("CareContactId",), unique=True),
        _id("referral_id", "the referral", ("ServiceRequestId",),
            references="referrals.referral_id"),
        Column("date", "date", True, "contact date", ("CareContDate",)),
        Column("kind", "code", True, "type of contact", ("AppType",), codes="appointment_kind"),
        Column("attendance", "code", True, "attended or not", ("AttendOrDNACode",),
               codes="attendance"),
        Column("intensity", "code", False, "stepped-care step of this contact",
               codes="intensity"),
        Column("therapy_type", "code", False, "therapy delivered",
               ("CodeProcAndProcStatus",), codes="therapy_type"),
        Column("medium", "code", False, "consultation medium",
               ("ConsMediumUsed", "ConsMechanism"), codes="medium"),
        _id("therapist_id", "the therapist", ("CareProfLocalId",), required=False,
            references="therapists.therapist_id"),
        Column("duration_minutes", "int", False, "length of the contact",
               ("ClinContDurOfCareCont",), minimum=0, maximum=1440),
    ),
)

MEASURES = Table(
    "measures", True, "one row per questionnaire total score",
    (
        _id("referral_id", "the referral", ("ServiceRequestId",),
            references="referrals.referral_id"),
        Column("date", "date", True, "when completed", ("AssToolCompDate",)),
        Column("instrument", "code", True, "questionnaire", ("CodedAssToolType",),
               codes="instrument"),
        Column("score", "number", True, "total score, within the instrument's range",
               ("PersScore",)),
        _id("appointment_id", "the contact it was recorded at", ("CareContactId",),
            required=False, references="appointments.appointment_id"),
    ),
)

INTERVIEWS = Table(
    "interviews", False, "independent diagnostic assessments: one row per referral x "
    "time point x disorder assessed",
    (
        _id("interview_id", "one interview (one row per disorder)"),
        _id("referral_id", "the referral", references="referrals.referral_id"),
        Column("timepoint", "code", True, "baseline, end or follow-up", codes="timepoint"),
        Column("date", "date", True, "date of the interview"),
        Column("months_after_end", "number", False,
               "for follow-up: months after the referral ended", minimum=0, maximum=240),
        _id("assessor_id", "who assessed"),
        Column("instrument", "code", True, "diagnostic interview used",
               codes="interview_instrument"),
        Column("assessor_independent", "bool", True,
               "assessor not employed by, paid by or otherwise tied to the service"),
        Column("assessor_blind", "bool", True,
               "assessor did not know the treatment received or the outcome scores"),
        Column("retrospective", "bool", False,
               "status rated retrospectively (lifetime / past-episode version)"),
        Column("disorder", "code", True, "disorder assessed", codes="disorder"),
        Column("status", "code", True, "present, subthreshold or absent", codes="status"),
        Column("usual_self_pct", "number", False,
               "how far back to usual self (0-100), same on every row of one interview",
               minimum=0, maximum=100),
        Column("second_rating", "bool", False,
               "a second rater's rating of an interview already in the table (for "
               "inter-rater agreement); excluded from every outcome"),
        Column("unblinded", "bool", False,
               "the assessor learnt the treatment or the outcome scores before rating"),
    ),
)

THERAPISTS = Table(
    "therapists", False, "one row per therapist",
    (
        _id("therapist_id", "the therapist", ("CareProfLocalId",), unique=True),
        Column("role", "code", False, "role", codes="role"),
        Column("competence_diagnosis_specific", "number", False,
               "competence in the protocol for the client's disorder", minimum=0, maximum=6),
        Column("competence_stage_specific", "number", False,
               "competence at the stage of therapy", minimum=0, maximum=6),
        Column("competence_generic", "number", False, "generic therapeutic skills",
               minimum=0, maximum=6),
    ),
)

COSTS = Table(
    "costs", False, "spend on a service in a period",
    (
        _id("service_id", "provider / service", ("OrgID_Provider", "OrgIDProv")),
        Column("period_start", "date", True, "first day of the period"),
        Column("period_end", "date", True, "last day of the period"),
        Column("cost_gbp", "number", True, "total spend in the period (GBP)", minimum=0),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (REFERRALS, APPOINTMENTS, MEASURES, INTERVIEWS, THERAPISTS, COSTS)
}

# Column names that always hold NHS numbers, whatever their values look like.
NHS_NUMBER_NAMES = ("nhs_number", "nhsnumber", "nhs_no", "nhsno")


def normalise_name(name: str) -> str:
    """Key for matching column names: case, spaces, hyphens and underscores ignored.

    >>> normalise_name(" Referral_ID ") == normalise_name("referralid")
    True
    """
    return "".join(ch for ch in name.strip().lower() if ch not in " _-.")


def ibis_tables() -> dict[str, ibis.Table]:
    """Backend-free Ibis tables for every canonical table, keyed by name."""
    return {name: table.ibis_table() for name, table in TABLES.items()}
