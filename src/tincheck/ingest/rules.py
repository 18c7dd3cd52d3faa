"""Validation rules of the data model, each a SQL query over the loaded tables.

Column rules (required values, readable types, known codes, ranges) run on the staged
table (``staging.stage``), whose parsed columns become the canonical table, so what
is checked is what is loaded. Table rules (unique keys, foreign keys, date order,
score ranges, warnings) run on the canonical tables. Every rule reports how many rows
break it and the first of them; the rules reading the same table (or the same join)
are evaluated together, in one scan of it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..instruments import INSTRUMENTS, ITEM_CODES
from ..pseudonymise import mask
from ..schema import Column, Table
from .findings import MAX_SHOWN, Example, Finding, printable
from .parse import expectation, quote_ident, quote_literal, text_sql
from .sources import RawTable
from .staging import Staged, out_of_range, stage

WITHHELD = "(withheld: identifier)"


@dataclass(frozen=True)
class Check:
    """One rule: the rows of ``source`` (a table, or tables joined) where ``where``
    holds break it; ``value`` is shown for each, ``row`` numbers it."""

    severity: str
    rule: str
    file: str
    column: str | None
    expected: str
    source: str
    where: str
    value: str = "NULL"
    row: str = "source_row"
    withheld: bool = False


def _failures_sql(checks: list[tuple[int, Check]]) -> str:
    """One scan of the checks' shared source: (check_id, source_row, value) of each
    failure. Each check is a flag; only rows failing one are kept, and their failed
    checks unnested, so the source is read once however many checks it has."""
    if len(checks) == 1:
        i, check = checks[0]
        return (f"SELECT {i} AS check_id, {check.row} AS source_row, "
                f"CAST({check.value} AS VARCHAR) AS value FROM {check.source} "
                f"WHERE {check.where}")
    first = checks[0][1]
    flags = ", ".join(
        f"CASE WHEN {check.where} THEN {{'check_id': {i}, 'value': "
        f"CAST({check.value} AS VARCHAR)}} END" for i, check in checks)
    failing = " OR ".join(f"({check.where})" for _, check in checks)
    return (f"SELECT f.check_id, source_row, f.value FROM (SELECT {first.row} AS "
            f"source_row, unnest(list_filter([{flags}], lambda f: f IS NOT NULL)) AS f "
            f"FROM {first.source} WHERE {failing})")


def run_checks(con, checks: list[Check]) -> list[Finding]:
    """Run every check in one statement; one finding per check that any row breaks.

    Checks over the same source are evaluated together in one scan of it
    (:func:`_failures_sql`), and the scans are one UNION ALL statement: on small
    files the cost of a DuckDB statement dominates, on large ones the scans.
    """
    if not checks:
        return []
    by_source: dict[tuple[str, str], list[tuple[int, Check]]] = {}
    for i, check in enumerate(checks):
        by_source.setdefault((check.source, check.row), []).append((i, check))
    failures = " UNION ALL ".join(_failures_sql(group) for group in by_source.values())
    rows = con.execute(
        f"SELECT check_id, source_row, value, n FROM (SELECT *, count(*) OVER "
        f"(PARTITION BY check_id) AS n, row_number() OVER (PARTITION BY check_id "
        f"ORDER BY source_row) AS k FROM ({failures})) WHERE k <= {MAX_SHOWN} "
        f"ORDER BY check_id, source_row").fetchall()
    by_check: dict[int, list] = {}
    for check_id, row, value, n in rows:
        by_check.setdefault(check_id, []).append((row, value, n))
    findings = []
    for i, check in enumerate(checks):
        if i not in by_check:
            continue
        found = by_check[i]
        examples = tuple(
            Example(None if row is None else int(row),
                    None if value is None
                    else (WITHHELD if check.withheld else printable(mask(value))))
            for row, value, _ in found)
        findings.append(Finding(check.severity, check.rule, check.file, check.column,
                                check.expected, int(found[0][2]), examples))
    return findings


# ------------------------------------------------------------------ column rules

def column_findings(con, raw: RawTable, table: Table) -> tuple[Staged, list[Finding]]:
    """Stage the file (:func:`staging.stage`), then check its columns in one scan:
    required values present, values readable as their type, codes known, ranges."""
    staged, findings = stage(con, raw, table)
    checks: list[Check] = []
    file, source = raw.source.name, quote_ident(staged.name)

    def add(*args, **kwargs):
        checks.append(Check(*args, source=source, **kwargs))

    for column in table.columns:
        if column.name not in staged.raw:
            continue
        header = raw.header.header_of(column.name)
        col, raw_type = staged.raw[column.name]
        text = text_sql(col, raw_type)
        missing = staged.missing(column.name)
        parsed = quote_ident(column.name)
        if column.required:
            add("error", "required_value", file, header,
                f"a {column.name} value; this column is required", where=missing)
        if column.type == "str":
            continue
        # the cheap test first: DuckDB evaluates the rest of a conjunction only on the
        # rows that pass it, so the raw value's text is made only for unparsed rows
        unreadable = f"{parsed} IS NULL AND NOT {missing}"
        if column.codes == "instrument":
            items = ", ".join(quote_literal(code) for code in ITEM_CODES)
            # an item code never reads as an instrument, so only unparsed rows can hold one
            add("error", "item_code", file, header,
                "a total score's instrument code; " + "; ".join(ITEM_CODES.values()),
                where=f"{unreadable} AND {text} IN ({items})", value=text)
            unreadable += f" AND {text} NOT IN ({items})"
        add("error", _type_rule(column), file, header, expectation(column),
            where=unreadable, value=text)
        if out_of_range(column):
            add("error", "out_of_range", file, header, expectation(column),
                where=out_of_range(column), value=text)
    return staged, findings + run_checks(con, checks)


def _type_rule(column: Column) -> str:
    return {"code": "unknown_code", "icd10": "bad_icd10", "date": "bad_date",
            "bool": "bad_bool"}.get(column.type, "bad_number")


# ------------------------------------------------------------------ table rules

def _key_counts(con, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(values, distinct values) of each (table, key column) pair, in one statement."""
    if not keys:
        return {}
    ordered = sorted(keys)
    counts = con.execute(" UNION ALL ".join(
        f"SELECT {i} AS k, count({column}) AS n, count(DISTINCT {column}) AS d FROM {table}"
        for i, (table, column) in enumerate(ordered))).fetchall()
    return {ordered[k]: (n, d) for k, n, d in counts}


def _orphans(con, file: str, child: str, fk: str, parent_file: str, read: bool) -> Finding:
    """One line for every row of ``child`` whose key points into an unusable table.

    An error when the parent was read but holds no keys (every such row dangles); a
    warning when it could not be read (the rows were not checked: its error says why).
    """
    n = con.execute(f"SELECT count({fk}) FROM {child}").fetchone()[0]
    why = "has no rows with a key" if read else "could not be read"
    return Finding("error" if read else "warning", "parent_unusable", file, fk,
                   f"a {fk} that is in {parent_file}; {n} row(s) of {file} were not "
                   f"checked against it, because {parent_file} {why} (see its error)",
                   count=1 if n else 0, examples=(Example(None),))


def table_findings(con, files: dict[str, str], supplied: set[str],
                   today: _dt.date | None = None,
                   failed: dict[str, str] | None = None) -> list[Finding]:
    """Rules across rows and tables, on the canonical tables.

    ``files`` maps table name → file name (for messages); ``supplied`` is the set of
    tables that came from a file; ``failed`` maps table name → file name for files
    found but not read (unreadable, or with structure errors).
    """
    failed = failed or {}
    today = today or _dt.date.today()
    out: list[Finding] = []
    checks: list[Check] = []
    ref, mea = files.get("referrals"), files.get("measures")

    def add(*args, **kwargs):
        checks.append(Check(*args, **kwargs))

    if "referrals" in supplied and con.execute(
            "SELECT count(*) FROM referrals").fetchone()[0] == 0:
        out.append(Finding("error", "no_rows", ref, None,
                           "at least one referral; the file has a header but no rows",
                           examples=(Example(2),)))
    keys = (("referrals", "referral_id"), ("appointments", "appointment_id"),
            ("therapists", "therapist_id"))
    links = [("appointments", "referral_id", "referrals", "referral_id"),
             ("measures", "referral_id", "referrals", "referral_id"),
             ("measures", "appointment_id", "appointments", "appointment_id"),
             ("interviews", "referral_id", "referrals", "referral_id")]
    if "therapists" in supplied or "therapists" in failed:
        links.append(("appointments", "therapist_id", "therapists", "therapist_id"))
    counts = _key_counts(con, set(keys) | {(parent, pk) for _, _, parent, pk in links})
    keyed = {pair for pair, (n, _) in counts.items() if n}
    unique = {pair for pair, (n, d) in counts.items() if n == d}
    for table, key in keys:
        # the counts show whether any key repeats; only then are its rows looked for
        if table in supplied and (table, key) not in unique:
            # grouping finds the (rare) repeated keys; only their rows are joined back
            add("error", "duplicate_key", files[table], key,
                f"a unique {key}; the value is withheld and repeats an earlier row (shown)",
                f"{table} t JOIN (SELECT {key}, min(source_row) AS first FROM {table} "
                f"WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1) d "
                f"ON t.{key} = d.{key}", "t.source_row > d.first",
                "'same as row ' || d.first", row="t.source_row")
    for child, fk, parent, pk in links:
        if child not in supplied:
            continue
        if parent in files and (parent, pk) in keyed:
            add("error", "foreign_key", files[child], fk,
                f"a {fk} that is in {files[parent]}", _joined(child, parent, fk, pk, unique),
                f"c.{fk} IS NOT NULL AND p.{pk} IS NULL", row="c.source_row",
                withheld=True)
        elif parent in files or parent in failed:
            # the parent is unusable (unreadable, empty or without its key column): its
            # own error comes first, and the rows it orphans are one line, not thousands
            out.append(_orphans(con, files[child], child, fk, failed.get(parent)
                                or files[parent], parent in files))
    if "measures" in supplied:
        # duplicated appointment ids are reported once, by the key rule
        add("error", "appointment_of_other_referral", mea, "appointment_id",
            "an appointment of the same referral as the score",
            _joined("measures", "appointments", "appointment_id", "appointment_id", unique),
            "c.referral_id <> p.referral_id", row="c.source_row")
        ranges = " ".join(
            f"WHEN {quote_literal(i.code)} THEN score < {i.minimum} OR score > {i.maximum}"
            for i in INSTRUMENTS.values())
        add("error", "score_out_of_range", mea, "score",
            "a total score within the instrument's range ("
            + ", ".join(f"{i.code} {i.minimum:g}-{i.maximum:g}" for i in INSTRUMENTS.values())
            + ")", "measures", f"CASE instrument {ranges} ELSE FALSE END",
            "instrument || ' ' || CAST(score AS VARCHAR)")
        wholes = ", ".join(quote_literal(i.code) for i in INSTRUMENTS.values() if i.whole)
        fractional = ", ".join(i.code for i in INSTRUMENTS.values() if not i.whole)
        add("error", "fractional_score", mea, "score",
            "a whole-number total: the instrument's items are scored in whole numbers "
            f"(only {fractional}, a mean of items, has fractions)", "measures",
            f"instrument IN ({wholes}) AND score <> floor(score)",
            "instrument || ' ' || CAST(score AS VARCHAR)")
    add("error", "ended_before_received", ref, "ended_date",
        "an ended_date on or after received_date", "referrals",
        "ended_date < received_date",
        "CAST(ended_date AS VARCHAR) || ' < ' || CAST(received_date AS VARCHAR)")
    for child, what in (("appointments", "appointment"), ("measures", "score")):
        if child not in supplied:
            continue
        add("error", "before_referral", files[child], "date",
            f"a {what} date on or after the referral's received_date",
            _joined(child, "referrals", "referral_id", "referral_id", unique),
            "c.date < p.received_date",
            "CAST(c.date AS VARCHAR) || ' < ' || CAST(p.received_date AS VARCHAR)",
            row="c.source_row")
        not_follow_up = " AND c.kind <> 'follow_up'" if child == "appointments" else ""
        add("warning", "after_referral_ended", files[child], "date",
            f"{what}s dated after their referral ended; they are excluded from outcomes"
            + (" (follow-up appointments are not)" if child == "appointments" else ""),
            _joined(child, "referrals", "referral_id", "referral_id", unique),
            f"c.date > p.ended_date{not_follow_up}", "CAST(c.date AS VARCHAR)",
            row="c.source_row")
    if "appointments" in supplied:
        add("warning", "no_appointments", ref, "referral_id",
            "referrals with no appointments at all",
            "referrals r ANTI JOIN appointments a USING (referral_id)", "TRUE",
            row="r.source_row")
    add("warning", "end_reason_without_end", ref, "end_reason",
        "an end_reason on a referral with no ended_date (the referral counts as open)",
        "referrals", "end_reason IS NOT NULL AND ended_date IS NULL", "end_reason")
    day = f"DATE '{today.isoformat()}'"
    for table, column in (("referrals", "received_date"), ("referrals", "ended_date"),
                          ("appointments", "date"), ("measures", "date")):
        if table in supplied:
            add("warning", "future_date", files[table], column,
                f"dates after today ({today.isoformat()})", table, f"{column} > {day}",
                f"CAST({column} AS VARCHAR)")
    if "interviews" in supplied:
        checks.extend(interview_checks(files["interviews"]))
    if "costs" in supplied:
        add("error", "period_order", files["costs"], "period_end",
            "a period_end on or after period_start", "costs", "period_end < period_start",
            "CAST(period_end AS VARCHAR)")
        add("warning", "cost_unknown_service", files["costs"], "service_id",
            "costs for a service_id that has no referrals",
            "costs c ANTI JOIN referrals r USING (service_id)", "TRUE", row="c.source_row")
    return out + run_checks(con, checks)


def _joined(child: str, parent: str, fk: str, pk: str, unique: set[tuple[str, str]]
            ) -> str:
    """``child c`` joined to its parent ``p``: the source of every check on the pair.

    A LEFT JOIN, so one join serves the foreign key (rows without a parent) and the
    rules comparing a row with its parent (dates, the appointment's referral), as an
    inner join would: a row whose key repeats in the parent meets each of its rows.
    A measure is compared with its appointment only when that appointment id is
    unique (a repeated id is reported by the key rule alone): when any id repeats,
    it meets only the ids that do not (``unique`` holds the keys that never repeat).
    """
    if (child, parent) == ("measures", "appointments") and (parent, pk) not in unique:
        parent = ("(SELECT appointment_id, CASE WHEN count(*) = 1 THEN min(referral_id) END "
                  "AS referral_id FROM appointments GROUP BY appointment_id)")
    return f"{child} c LEFT JOIN {parent} p ON c.{fk} = p.{pk}"


# Columns that must be the same on every row of one interview (one row per disorder).
INTERVIEW_CONSTANTS = ("referral_id", "timepoint", "date", "assessor_id", "instrument",
                       "assessor_independent", "assessor_blind", "retrospective",
                       "months_after_end", "usual_self_pct", "second_rating", "unblinded")
PRIMARY = "NOT coalesce(second_rating, FALSE)"
RATING = ["referral_id", "timepoint", "disorder"]  # one rating of each counts
TIMEPOINT_ORDER = "CASE timepoint WHEN 'baseline' THEN 0 WHEN 'end' THEN 1 ELSE 2 END"


def _suspect_groups(keys: list[str], having: str, where: str = "TRUE") -> str:
    """The rows of interviews in groups (by ``keys``) that ``having`` says may break a
    rule: the rule's window then sorts those rows only (usually none), not the table.

    NULL keys form a group, as in a window's partition.
    """
    on = " AND ".join(f"i.{k} IS NOT DISTINCT FROM g.{k}" for k in keys)
    return (f"interviews i SEMI JOIN (SELECT {', '.join(keys)} FROM interviews WHERE {where} "
            f"GROUP BY {', '.join(keys)} HAVING {having}) g ON {on}")


def interview_checks(file: str) -> list[Check]:
    """Rules of the interviews table beyond types and keys."""
    checks = []
    # every column's first value in its interview, all in one window (one sort), over
    # the interviews with two values in a column (only they can differ from the first)
    firsts = ", ".join(f"{column}, first_value({column} IGNORE NULLS) OVER w AS "
                       f"_first_{column}" for column in INTERVIEW_CONSTANTS)
    differing = " OR ".join(f"min({c}) <> max({c})" for c in INTERVIEW_CONSTANTS)
    constants = (f"(SELECT source_row, {firsts} FROM "
                 f"{_suspect_groups(['interview_id'], differing)} WINDOW w AS (PARTITION BY "
                 "interview_id ORDER BY source_row ROWS BETWEEN UNBOUNDED PRECEDING AND "
                 "UNBOUNDED FOLLOWING))")
    for column in INTERVIEW_CONSTANTS:
        withheld = column in ("referral_id", "assessor_id")
        checks.append(Check(
            "error", "interview_inconsistent", file, column,
            f"the same {column} on every row of one interview_id (the first row of the "
            "interview differs)",
            # values that are missing or unreadable are reported by the column rules
            constants, f"{column} <> _first_{column}",
            "NULL" if withheld else f"CAST({column} AS VARCHAR)", withheld=withheld))
    checks.append(Check(
        "error", "interview_duplicate_disorder", file, "disorder",
        "one status per disorder per interview; this disorder is already rated in the "
        "interview",
        "(SELECT source_row, disorder, row_number() OVER (PARTITION BY interview_id, "
        "disorder ORDER BY source_row) AS k FROM "
        f"{_suspect_groups(['interview_id', 'disorder'], 'count(*) > 1')})", "k > 1",
        "disorder"))
    # one rating per referral, time point and disorder counts; more must be marked
    # as second ratings (kept for inter-rater agreement, left out of every outcome),
    # or which one counts would be an arbitrary choice
    rated = (f"{PRIMARY} AND referral_id IS NOT NULL AND timepoint IS NOT NULL AND "
             "disorder IS NOT NULL")
    checks.append(Check(
        "error", "interview_repeated", file, "disorder",
        "one interview rating this disorder for this referral and time point; another "
        "interview already rates it (its row is shown). Mark a second rater's interview "
        "with second_rating = true",
        "(SELECT source_row, timepoint, disorder, interview_id, first_value(interview_id) "
        "OVER w AS first_id, first_value(source_row) OVER w AS first_row FROM "
        f"{_suspect_groups(RATING, 'min(interview_id) <> max(interview_id)', rated)} "
        f"WHERE {rated} WINDOW w AS (PARTITION BY referral_id, timepoint, disorder "
        "ORDER BY source_row))", "interview_id <> first_id",
        "timepoint || ' ' || disorder || ' (as row ' || CAST(first_row AS VARCHAR) || ')'"))
    checks.append(Check(
        "error", "second_rating_alone", file, "second_rating",
        "a second rating of a disorder that an interview not marked second_rating rates "
        "for the same referral and time point; there is none",
        "interviews s ANTI JOIN (SELECT referral_id, timepoint, disorder FROM interviews "
        f"WHERE {PRIMARY}) p ON s.referral_id = p.referral_id AND s.timepoint = "
        "p.timepoint AND s.disorder = p.disorder", "coalesce(s.second_rating, FALSE)",
        "s.timepoint || ' ' || s.disorder", row="s.source_row"))
    checks.append(Check(
        "error", "interview_order", file, "date",
        "baseline on or before end, and end on or before follow-up, for one referral",
        "interviews a JOIN interviews b ON a.referral_id = b.referral_id "
        f"AND ({TIMEPOINT_ORDER.replace('timepoint', 'a.timepoint')}) < "
        f"({TIMEPOINT_ORDER.replace('timepoint', 'b.timepoint')})", "a.date > b.date",
        "CAST(a.date AS VARCHAR) || ' (' || a.timepoint || ') after ' || "
        "CAST(b.date AS VARCHAR) || ' (' || b.timepoint || ')'", row="a.source_row"))
    return checks
