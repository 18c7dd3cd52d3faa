"""Turn a REDCap export into the interviews table, by the rules of a mapping.

One row of the export (record x event, x repeat instance for a repeating event) is one
interview; each disorder field with a status gives one row of the interviews table
(``docs/data-model.md``). Every rule is checked over whole columns at once and every
broken rule becomes a finding naming file, row (header = row 1), column (the REDCap
variable), value and expectation; values of identifier fields (record id, referral id,
assessor) are never quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import codes, pseudonymise
from ..ingest.findings import Example, Finding, ValidationReport
from ..ingest.parse import EARLIEST_DATE, FALSE_WORDS, LATEST_DATE, TRUE_WORDS, expectation
from ..ingest.rules import WITHHELD
from ..schema import INTERVIEWS
from .export import EVENT, MAX_SHOWN, REPEAT_INSTANCE, REPEAT_INSTRUMENT, ROW, Export
from .mapping import FieldSpec, Mapping, field_findings

# every canonical column; second_rating stays blank (not a second rater's): one
# record-event of a REDCap project is one rating
COLUMNS = list(INTERVIEWS.column_names)
IDENTIFIERS = ("interview_id", "referral_id", "assessor_id")
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
LABEL_HEADERS = ("Record ID", "Event Name", "Repeat Instrument", "Repeat Instance")


def empty_interviews() -> pd.DataFrame:
    """An interviews table with no rows and the canonical columns."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})


def structure_findings(mapping: Mapping, export: Export) -> list[Finding]:
    """The export has the record id and event columns, and every field the mapping names."""
    headers, file = export.headers, export.file
    labels = [h for h in LABEL_HEADERS if h in headers]
    hint = (f"; the header has '{labels[0]}', a field label: export with variable names "
            f"(raw data), not labels") if labels else ""
    findings = []
    if mapping.record_id not in headers:
        findings.append(Finding(
            "error", "missing_column", file, mapping.record_id,
            f"the record id field {mapping.record_id} (mapping key record_id), REDCap's first "
            f"column{hint}", examples=(Example(1),)))
    if EVENT not in headers:
        findings.append(Finding(
            "error", "missing_column", file, EVENT,
            f"a longitudinal export with a {EVENT} column, one row per record and event"
            + (hint or "; this export has none (a classic, non-longitudinal project?): "
               "define events for baseline, end and follow-up (docs/redcap.md)"),
            examples=(Example(1),)))
    if not findings:
        findings += field_findings(mapping, headers, file)
    if not findings and export.table.empty:
        findings.append(Finding("error", "no_records", file, None,
                                "at least one record; the export has a header row only",
                                examples=(Example(2),)))
    return findings


@dataclass
class _Converter:
    mapping: Mapping
    export: Export
    report: ValidationReport
    key_file: object = None

    def error(self, rule: str, column: str | None, expected: str, mask: pd.Series,
              values: pd.Series | None = None, withheld: bool = False,
              severity: str = "error") -> None:
        """One finding for the rows of ``mask`` (first MAX_SHOWN shown)."""
        table = self.export.table
        hits = table.index[mask.reindex(table.index, fill_value=False).to_numpy(bool)]
        if len(hits) == 0:
            return
        shown = hits[:MAX_SHOWN]
        if withheld:
            texts = [WITHHELD] * len(shown)
        elif values is None:
            texts = [None] * len(shown)
        else:
            texts = [None if v == "" else pseudonymise.mask(v) for v in values.loc[shown]]
        examples = tuple(Example(int(r), t) for r, t in zip(table.loc[shown, ROW], texts))
        self.report.add(Finding(severity, rule, self.export.file, column, expected,
                                count=len(hits), examples=examples))

    # -------------------------------------------------------------- the steps

    def run(self) -> pd.DataFrame:
        m, t = self.mapping, self.export.table
        record = t[m.record_id]
        self.error("required_value", m.record_id, "a record id on every row", record == "")
        referral = self.referrals(record)
        rows = (record != "") & self.non_repeating_rows() & self.known_events()
        self.duplicates(rows, record, referral)
        rows &= self.has_interview_data(rows)
        self.error("required_value", m.referral_id,
                   f"the referral id of the record: field {m.referral_id} is empty on every "
                   "row of this record (it is usually on the enrolment form of the first "
                   "event)", rows & referral.isna())
        values = {key: self.column(spec, rows) for key, spec in m.fields.items()}
        values["months_after_end"] = self.months(values.get("months_after_end"))
        statuses = self.statuses(rows)
        if not self.report.ok:
            return empty_interviews()
        if not rows.any():
            self.report.add(Finding(
                "warning", "no_interviews", self.export.file, EVENT,
                "interviews at the mapping's events; every row is of an ignored event or "
                "instrument, or has no interview data"))
        return self.build(rows, record, referral, values, statuses)

    def referrals(self, record: pd.Series) -> pd.Series:
        """The referral id of each row's record (NaN where the record has none)."""
        m, t = self.mapping, self.export.table
        if m.referral_id == m.record_id:
            return record.where(record != "")
        given = t[(t[m.referral_id] != "") & (record != "")]
        counts = given.groupby(m.record_id)[m.referral_id].nunique()
        conflicted = record.isin(counts.index[counts > 1]) & (t[m.referral_id] != "")
        self.error("conflicting_referral", m.referral_id,
                   "one referral id per record; this record's rows hold different values",
                   conflicted, withheld=True)
        first = given.drop_duplicates(m.record_id).set_index(m.record_id)[m.referral_id]
        return record.map(first)

    def non_repeating_rows(self) -> pd.Series:
        """Rows of repeating instruments are skipped if the mapping says so, else errors."""
        t = self.export.table
        if REPEAT_INSTRUMENT not in t:
            return pd.Series(True, index=t.index)
        instrument = t[REPEAT_INSTRUMENT]
        ignored = instrument.isin(self.mapping.ignore_instruments)
        self.error("unknown_instrument", REPEAT_INSTRUMENT,
                   "rows of non-repeating forms: interviews are read from forms that do not "
                   "repeat within an event; list a repeating instrument that holds no "
                   "interview data under ignore_instruments in the mapping",
                   (instrument != "") & ~ignored, instrument)
        return instrument == ""

    def known_events(self) -> pd.Series:
        m, t = self.mapping, self.export.table
        event = t[EVENT]
        known = event.isin(list(m.events))
        unknown = ~known & ~event.isin(m.ignore_events) & (t[m.record_id] != "")
        names = "; ".join(f"{tp}: " + ", ".join(e for e, p in m.events.items() if p == tp)
                          for tp in dict.fromkeys(m.events.values()))
        hint = ""
        if (unknown & event.str.contains(r"[ (]", regex=True)).any():
            hint = ("; a value with spaces or brackets is an event label: export raw data "
                    "(unique event names such as baseline_arm_1), not labels")
        self.error("unknown_event", EVENT,
                   f"an event named in the mapping ({names}) or listed under [events] "
                   f"ignore{hint}", unknown, event)
        return known

    def duplicates(self, rows: pd.Series, record: pd.Series, referral: pd.Series) -> None:
        t = self.export.table
        instance = t[REPEAT_INSTANCE] if REPEAT_INSTANCE in t else pd.Series("", index=t.index)
        keys = pd.DataFrame({"record": record, "event": t[EVENT], "instance": instance})[rows]
        twice = keys.duplicated(keep=False)
        self.error("duplicate_row", EVENT,
                   "one row per record and event (and repeat instance); another row has the "
                   "same record and event", twice.reindex(t.index, fill_value=False),
                   t[EVENT])
        keys["record"] = referral[rows]
        again = keys.duplicated(keep=False) & ~twice & keys["record"].notna()
        self.error("duplicate_referral", self.mapping.referral_id,
                   "one record per referral: another record has an interview of the same "
                   "referral at this event", again.reindex(t.index, fill_value=False),
                   withheld=True)

    def has_interview_data(self, rows: pd.Series) -> pd.Series:
        """Rows with no value in any interview field: a warning, and no interview."""
        m, t = self.mapping, self.export.table
        fields = [s.field for s in m.fields.values() if s.field] + [d.field for d in m.disorders]
        blank = (t[list(dict.fromkeys(fields))] == "").all(axis=1)
        self.error("no_interview", EVENT,
                   "interview data at an interview event; this row has none in the mapped "
                   "fields, so no interview is written for it (a form opened but not filled "
                   "in?)", rows & blank, t[EVENT], severity="warning")
        return ~blank

    def column(self, spec: FieldSpec, rows: pd.Series) -> pd.Series:
        """The canonical values of one interviews column; bad values become findings."""
        t = self.export.table
        if spec.field is None:
            return pd.Series([spec.value] * len(t), index=t.index, dtype=object)
        raw = t[spec.field]
        column = INTERVIEWS.column(spec.column)
        withheld = column.identifier
        self.error("required_value", spec.field,
                   f"a value: every interview needs its {spec.column} (mapping fields."
                   f"{spec.column})", rows & (raw == "") & column.required)
        if spec.codes is not None:
            value = raw.map(spec.codes)
            shown = ", ".join(f"{k} ({v})" for k, v in spec.codes.items())
            self.error("unknown_code", spec.field, f"a coded value of the mapping's "
                       f"[fields.{spec.column}] codes: {shown}",
                       rows & (raw != "") & value.isna(), raw, withheld)
            return value.astype(object)
        value, rule, expected = _parse(column, raw)
        self.error(rule, spec.field, expected, rows & (raw != "") & value.isna(), raw, withheld)
        if column.type == "number":
            outside = (value < column.minimum) | (value > column.maximum)
            self.error("out_of_range", spec.field, expectation(column), rows & outside, raw)
            value = value.where(~outside)
        return value

    def months(self, given: pd.Series | None) -> pd.Series:
        """Months after end: the field's value, else the event's [follow_up_months]."""
        t = self.export.table
        constant = t[EVENT].map(self.mapping.follow_up_months).astype(float)
        return constant if given is None else given.astype(float).fillna(constant)

    def statuses(self, rows: pd.Series) -> pd.DataFrame:
        """Status of each disorder (NaN where not assessed), one column per disorder."""
        t = self.export.table
        out = {}
        for spec in self.mapping.disorders:
            raw = t[spec.field]
            status = raw.map(spec.statuses)
            shown = ", ".join(f"{'empty' if k == '' else k} ({v.replace('_', ' ')})"
                              for k, v in spec.statuses.items())
            self.error("unknown_code", spec.field,
                       f"a coded status of {spec.disorder}: {shown}",
                       rows & status.isna(), raw)
            out[spec.disorder] = status.where(status != "not_assessed")
        frame = pd.DataFrame(out, index=t.index)
        fields = [s.field for s in self.mapping.disorders]
        valid = pd.DataFrame({d: t[s.field].isin(list(s.statuses))
                              for d, s in zip(out, self.mapping.disorders)}).all(axis=1)
        self.error("no_disorder", ", ".join(fields[:3]) + (", …" if len(fields) > 3 else ""),
                   "a status for at least one disorder: every disorder of this interview "
                   "is empty or not assessed", rows & valid & frame.isna().all(axis=1))
        return frame

    # -------------------------------------------------------------- the table

    def build(self, rows, record, referral, values, statuses) -> pd.DataFrame:
        t = self.export.table
        interview_id = record + "-" + t[EVENT]
        if REPEAT_INSTANCE in t:
            instance = t[REPEAT_INSTANCE]
            interview_id = interview_id.where(instance == "", interview_id + "-" + instance)
        per_interview = pd.DataFrame({
            "interview_id": interview_id,
            "referral_id": referral,
            "timepoint": t[EVENT].map(self.mapping.events),
            **values,
        })
        # one row per interview and assessed disorder, in export row then mapping order
        long = statuses[rows].stack().dropna().rename("status")
        long.index = long.index.set_names(["row", "disorder"])
        out = long.reset_index().join(per_interview, on="row").drop(columns="row")
        for name in COLUMNS:
            if name not in out:
                out[name] = np.nan
        out = out[COLUMNS]
        out["date"] = pd.to_datetime(out["date"])
        for name in ("assessor_independent", "assessor_blind", "retrospective",
                     "second_rating", "unblinded"):
            out[name] = out[name].astype("boolean")
        for name in ("months_after_end", "usual_self_pct"):
            out[name] = out[name].astype(float)
        return self.pseudonymise(out)

    def pseudonymise(self, out: pd.DataFrame) -> pd.DataFrame:
        """Identifier values holding an NHS number become keyed pseudonyms, as at ingest."""
        flagged = {name: out[name].astype(str).map(pseudonymise.mask) == pseudonymise.WITHHELD
                   for name in IDENTIFIERS}
        if not any(f.any() for f in flagged.values()):
            return out
        try:
            key = pseudonymise.find_key(self.key_file)
        except pseudonymise.PseudonymKeyError as exc:
            key, problem = None, str(exc)
        else:
            problem = pseudonymise.missing_key_message(self.export.file)
        if key is None:
            self.report.add(Finding("error", "pseudonym_key", self.export.file, None, problem))
            return empty_interviews()
        for name, hit in flagged.items():
            out.loc[hit, name] = out.loc[hit, name].map(lambda v: pseudonymise.pseudonym(v, key))
        return out


def convert_export(mapping: Mapping, export: Export, report: ValidationReport,
                   key_file=None) -> pd.DataFrame:
    """The interviews table of a checked mapping and a readable export (findings added
    to ``report``; an empty table when there are errors)."""
    for finding in structure_findings(mapping, export):
        report.add(finding)
    if not report.ok:
        return empty_interviews()
    return _Converter(mapping, export, report, key_file).run()


def _parse(column, raw: pd.Series) -> tuple[pd.Series, str, str]:
    """Canonical values of ``raw`` for ``column`` (NaN where unreadable), rule, expectation."""
    if column.type == "date":
        value = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        for fmt in DATE_FORMATS:
            todo = value.isna() & (raw != "")
            if todo.any():
                value[todo] = pd.to_datetime(raw[todo], format=fmt, errors="coerce")
        value = value.where((value >= EARLIEST_DATE) & (value <= LATEST_DATE)).dt.normalize()
        return value, "bad_date", (
            f"a date as YYYY-MM-DD between {EARLIEST_DATE[:4]} and {LATEST_DATE[:4]}, as "
            "REDCap's raw export writes it (DD/MM/YYYY or MM/DD/YYYY means the file was "
            "re-saved by a spreadsheet: export it again)")
    if column.type == "bool":
        low = raw.str.lower()
        value = pd.Series(np.where(low.isin(TRUE_WORDS), True,
                                   np.where(low.isin(FALSE_WORDS), False, None)),
                          index=raw.index, dtype=object)
        return value, "bad_bool", "1 (yes) or 0 (no), as REDCap writes a yes/no field"
    if column.type == "code":
        value = raw.str.lower().map(codes.lookup(column.codes))
        return value, "unknown_code", expectation(column) + " (or give codes in the mapping)"
    if column.type == "number":
        text = raw.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)  # comma decimal
        value = pd.to_numeric(text, errors="coerce").astype(float)
        return value.where(np.isfinite(value)), "bad_number", expectation(column)
    return raw.where(raw != ""), "required_value", "a value"
