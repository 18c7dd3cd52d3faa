"""Validation rules of the data model, each a SQL query over the loaded tables.

Column rules (required values, readable types, known codes, ranges) run on the raw
views with the same parse expressions that build the canonical tables. Table rules
(unique keys, foreign keys, date order, score ranges, warnings) run on the canonical
tables. Every rule reports how many rows break it and the first of them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..instruments import INSTRUMENTS, ITEM_CODES
from ..pseudonymise import mask
from ..schema import SOURCE_ROW, Column, Table
from .findings import MAX_SHOWN, Example, Finding, printable
from .parse import expectation, null_sql, parse_sql, quote_ident, quote_literal, text_sql
from .sources import RawTable

WITHHELD = "(withheld: identifier)"
SQL_TYPES = {"str": "VARCHAR", "code": "VARCHAR", "icd10": "VARCHAR", "date": "DATE",
             "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN"}


@dataclass(frozen=True)
class Check:
    """One rule as a query selecting ``source_row`` and ``value`` of offending rows."""

    severity: str
    rule: str
    file: str
    column: str | None
    expected: str
    sql: str
    withheld: bool = False


def run_checks(con, checks: list[Check]) -> list[Finding]:
    """Run every check in one statement; one finding per check that any row breaks.

    One UNION ALL statement instead of one query per rule: on small files the cost of
    a DuckDB statement dominates, on large ones the scans are the same.
    """
    if not checks:
        return []
    branches = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {i} AS check_id, source_row, CAST(value AS VARCHAR) AS value, "
        f"count(*) OVER () AS n, row_number() OVER (ORDER BY source_row) AS k "
        f"FROM ({check.sql}) q{i}) WHERE k <= {MAX_SHOWN}"
        for i, check in enumerate(checks))
    rows = con.execute(f"SELECT check_id, source_row, value, n FROM ({branches}) "
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

def parsed_name(column: Column) -> str:
    return quote_ident(f"p_{column.name}")


def stage_parsed(con, raw: RawTable, table: Table) -> list[Finding]:
    """Materialise the raw view with every canonical column's parsed value (``p_<name>``).

    One pass numbers the rows, flags empty ones and parses each column once; the
    parsed values serve both the checks (present but unreadable) and the canonical
    table, so what is checked is exactly what is loaded. Rows with no values at all
    are then dropped, with a warning naming them.
    """
    parsed = []
    for column in table.columns:
        col = raw.raw_column(column.name)
        if col is None:
            continue
        expr = parse_sql(column, col, raw.raw_type(column.name))
        parsed.append(f"CAST({expr} AS {SQL_TYPES[column.type]}) AS {parsed_name(column)}")
    staged = f"staged_{table.name}"
    con.execute(f"CREATE OR REPLACE TABLE {staged} AS SELECT *"
                f"{''.join(', ' + p for p in parsed)} FROM {quote_ident(raw.view)}")
    con.execute(f"DROP VIEW IF EXISTS {quote_ident(raw.view)}")
    if raw.relation:
        con.execute(f"DROP TABLE IF EXISTS {raw.relation}")
    raw.view, raw.relation = staged, ""
    empty = con.execute(f"SELECT source_row FROM {staged} WHERE _empty "
                        f"ORDER BY source_row").fetchall()
    if not empty:
        return []
    con.execute(f"DELETE FROM {staged} WHERE _empty")
    return [Finding("warning", "empty_rows", raw.source.name, None,
                    "rows with no values at all were ignored", count=len(empty),
                    examples=tuple(Example(r[0]) for r in empty[:MAX_SHOWN]))]


def column_findings(con, raw: RawTable, table: Table) -> list[Finding]:
    """Required values present, values readable as their type, codes known, ranges."""
    staging = stage_parsed(con, raw, table)
    checks: list[Check] = []
    file, view = raw.source.name, quote_ident(raw.view)
    for column in table.columns:
        col = raw.raw_column(column.name)
        if col is None:
            continue
        header = raw.header.header_of(column.name)
        text = text_sql(col, raw.raw_type(column.name))
        missing = null_sql(col, raw.raw_type(column.name))
        parsed = parsed_name(column)
        if column.required:
            checks.append(Check(
                "error", "required_value", file, header,
                f"a {column.name} value; this column is required",
                f"SELECT source_row, NULL AS value FROM {view} WHERE {missing}"))
        if column.type == "str":
            continue
        # the cheap test first: DuckDB evaluates the rest of a conjunction only on the
        # rows that pass it, so the raw value's text is made only for unparsed rows
        unreadable = f"{parsed} IS NULL AND NOT {missing}"
        if column.codes == "instrument":
            items = ", ".join(quote_literal(code) for code in ITEM_CODES)
            checks.append(Check(
                "error", "item_code", file, header,
                "a total score's instrument code; " + "; ".join(ITEM_CODES.values()),
                f"SELECT source_row, {text} AS value FROM {view} WHERE {text} IN ({items})"))
            unreadable += f" AND {text} NOT IN ({items})"
        checks.append(Check(
            "error", _type_rule(column), file, header, expectation(column),
            f"SELECT source_row, {text} AS value FROM {view} WHERE {unreadable}"))
        if column.type in ("int", "number") and (column.minimum is not None
                                                 or column.maximum is not None):
            low = -1e308 if column.minimum is None else column.minimum
            high = 1e308 if column.maximum is None else column.maximum
            checks.append(Check(
                "error", "out_of_range", file, header, expectation(column),
                f"SELECT source_row, {text} AS value FROM {view} "
                f"WHERE {parsed} < {low} OR {parsed} > {high}"))
    return staging + run_checks(con, checks)


def _type_rule(column: Column) -> str:
    return {"code": "unknown_code", "icd10": "bad_icd10", "date": "bad_date",
            "bool": "bad_bool"}.get(column.type, "bad_number")


def build_canonical(con, raw: RawTable | None, table: Table) -> None:
    """Create the canonical table from the staged raw table (empty and typed if none).

    The raw table's parsed columns (:func:`stage_parsed`) become the canonical
    columns; unknown extra columns are kept under their header; the raw table is
    then dropped.
    """
    select = []
    for column in table.columns:
        present = raw is not None and raw.raw_column(column.name) is not None
        expr = parsed_name(column) if present else f"CAST(NULL AS {SQL_TYPES[column.type]})"
        select.append(f"{expr} AS {quote_ident(column.name)}")
    if raw is None:
        select.append(f"CAST(NULL AS BIGINT) AS {SOURCE_ROW}")
        con.execute(f"CREATE OR REPLACE TABLE {table.name} AS SELECT {', '.join(select)} "
                    f"WHERE FALSE")
        return
    taken = {c.name for c in table.columns} | {SOURCE_ROW}
    for index in raw.header.extras + raw.header.nhs_number:  # source_row is not an extra
        name = raw.header.headers[index]
        while name in taken:
            name += "_extra"
        taken.add(name)
        select.append(f"{quote_ident(f'c{index}')} AS {quote_ident(name)}")
    select.append(SOURCE_ROW)
    con.execute(f"CREATE OR REPLACE TABLE {table.name} AS SELECT {', '.join(select)} "
                f"FROM {quote_ident(raw.view)}")
    con.execute(f"DROP TABLE IF EXISTS {quote_ident(raw.view)}")


# ------------------------------------------------------------------ table rules

def _tables_with_keys(con, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (table, key column) pairs whose table has at least one key value."""
    if not keys:
        return set()
    ordered = sorted(keys)
    counts = con.execute(" UNION ALL ".join(
        f"SELECT {i} AS k, count({column}) AS n FROM {table}"
        for i, (table, column) in enumerate(ordered))).fetchall()
    return {ordered[k] for k, n in counts if n}


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
    for table, key in (("referrals", "referral_id"), ("appointments", "appointment_id"),
                       ("therapists", "therapist_id")):
        if table in supplied:
            # grouping finds the (rare) repeated keys; only their rows are joined back
            add("error", "duplicate_key", files[table], key,
                f"a unique {key}; the value is withheld and repeats an earlier row (shown)",
                f"SELECT t.source_row, 'same as row ' || d.first AS value FROM {table} t "
                f"JOIN (SELECT {key}, min(source_row) AS first FROM {table} "
                f"WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1) d "
                f"ON t.{key} = d.{key} WHERE t.source_row > d.first")
    links = [("appointments", "referral_id", "referrals", "referral_id"),
             ("measures", "referral_id", "referrals", "referral_id"),
             ("measures", "appointment_id", "appointments", "appointment_id"),
             ("interviews", "referral_id", "referrals", "referral_id")]
    if "therapists" in supplied or "therapists" in failed:
        links.append(("appointments", "therapist_id", "therapists", "therapist_id"))
    keyed = _tables_with_keys(con, {(parent, pk) for _, _, parent, pk in links})
    for child, fk, parent, pk in links:
        if child not in supplied:
            continue
        if parent in files and (parent, pk) in keyed:
            add("error", "foreign_key", files[child], fk,
                f"a {fk} that is in {files[parent]}",
                f"SELECT c.source_row, NULL AS value FROM {child} c "
                f"ANTI JOIN {parent} p ON c.{fk} = p.{pk} WHERE c.{fk} IS NOT NULL",
                withheld=True)
        elif parent in files or parent in failed:
            # the parent is unusable (unreadable, empty or without its key column): its
            # own error comes first, and the rows it orphans are one line, not thousands
            out.append(_orphans(con, files[child], child, fk, failed.get(parent)
                                or files[parent], parent in files))
    if "measures" in supplied:
        add("error", "appointment_of_other_referral", mea, "appointment_id",
            "an appointment of the same referral as the score",
            # duplicated appointment ids are reported once, by the key rule
            "SELECT m.source_row, NULL AS value FROM measures m JOIN ("
            "SELECT appointment_id, min(referral_id) AS referral_id FROM appointments "
            "GROUP BY appointment_id HAVING count(*) = 1) a "
            "ON m.appointment_id = a.appointment_id WHERE m.referral_id <> a.referral_id")
        ranges = " ".join(
            f"WHEN {quote_literal(i.code)} THEN score < {i.minimum} OR score > {i.maximum}"
            for i in INSTRUMENTS.values())
        add("error", "score_out_of_range", mea, "score",
            "a total score within the instrument's range ("
            + ", ".join(f"{i.code} {i.minimum:g}-{i.maximum:g}" for i in INSTRUMENTS.values())
            + ")",
            f"SELECT source_row, instrument || ' ' || CAST(score AS VARCHAR) AS value "
            f"FROM measures WHERE CASE instrument {ranges} ELSE FALSE END")
        wholes = ", ".join(quote_literal(i.code) for i in INSTRUMENTS.values() if i.whole)
        fractional = ", ".join(i.code for i in INSTRUMENTS.values() if not i.whole)
        add("error", "fractional_score", mea, "score",
            "a whole-number total: the instrument's items are scored in whole numbers "
            f"(only {fractional}, a mean of items, has fractions)",
            f"SELECT source_row, instrument || ' ' || CAST(score AS VARCHAR) AS value "
            f"FROM measures WHERE instrument IN ({wholes}) AND score <> floor(score)")
    add("error", "ended_before_received", ref, "ended_date",
        "an ended_date on or after received_date",
        "SELECT source_row, CAST(ended_date AS VARCHAR) || ' < ' || "
        "CAST(received_date AS VARCHAR) AS value FROM referrals "
        "WHERE ended_date < received_date")
    for child, what in (("appointments", "appointment"), ("measures", "score")):
        if child not in supplied:
            continue
        add("error", "before_referral", files[child], "date",
            f"a {what} date on or after the referral's received_date",
            f"SELECT c.source_row, CAST(c.date AS VARCHAR) || ' < ' || "
            f"CAST(r.received_date AS VARCHAR) AS value FROM {child} c "
            f"JOIN referrals r USING (referral_id) WHERE c.date < r.received_date")
        not_follow_up = " AND c.kind <> 'follow_up'" if child == "appointments" else ""
        add("warning", "after_referral_ended", files[child], "date",
            f"{what}s dated after their referral ended; they are excluded from outcomes"
            + (" (follow-up appointments are not)" if child == "appointments" else ""),
            f"SELECT c.source_row, CAST(c.date AS VARCHAR) AS value FROM {child} c "
            f"JOIN referrals r USING (referral_id) WHERE c.date > r.ended_date"
            f"{not_follow_up}")
    if "appointments" in supplied:
        add("warning", "no_appointments", ref, "referral_id",
            "referrals with no appointments at all",
            "SELECT r.source_row, NULL AS value FROM referrals r "
            "ANTI JOIN appointments a USING (referral_id)")
    add("warning", "end_reason_without_end", ref, "end_reason",
        "an end_reason on a referral with no ended_date (the referral counts as open)",
        "SELECT source_row, end_reason AS value FROM referrals "
        "WHERE end_reason IS NOT NULL AND ended_date IS NULL")
    day = f"DATE '{today.isoformat()}'"
    for table, column in (("referrals", "received_date"), ("referrals", "ended_date"),
                          ("appointments", "date"), ("measures", "date")):
        if table in supplied:
            add("warning", "future_date", files[table], column,
                f"dates after today ({today.isoformat()})",
                f"SELECT source_row, CAST({column} AS VARCHAR) AS value FROM {table} "
                f"WHERE {column} > {day}")
    if "interviews" in supplied:
        checks.extend(interview_checks(files["interviews"]))
    if "costs" in supplied:
        add("error", "period_order", files["costs"], "period_end",
            "a period_end on or after period_start",
            "SELECT source_row, CAST(period_end AS VARCHAR) AS value FROM costs "
            "WHERE period_end < period_start")
        add("warning", "cost_unknown_service", files["costs"], "service_id",
            "costs for a service_id that has no referrals",
            "SELECT c.source_row, NULL AS value FROM costs c "
            "ANTI JOIN referrals r USING (service_id)")
    return out + run_checks(con, checks)


# Columns that must be the same on every row of one interview (one row per disorder).
INTERVIEW_CONSTANTS = ("referral_id", "timepoint", "date", "assessor_id", "instrument",
                       "assessor_independent", "assessor_blind", "retrospective",
                       "months_after_end", "usual_self_pct", "second_rating", "unblinded")
PRIMARY = "NOT coalesce(second_rating, FALSE)"
TIMEPOINT_ORDER = "CASE timepoint WHEN 'baseline' THEN 0 WHEN 'end' THEN 1 ELSE 2 END"


def interview_checks(file: str) -> list[Check]:
    """Rules of the interviews table beyond types and keys."""
    checks = []
    for column in INTERVIEW_CONSTANTS:
        withheld = column in ("referral_id", "assessor_id")
        value = "NULL" if withheld else f"CAST({column} AS VARCHAR)"
        checks.append(Check(
            "error", "interview_inconsistent", file, column,
            f"the same {column} on every row of one interview_id (the first row of the "
            "interview differs)",
            # values that are missing or unreadable are reported by the column rules
            f"SELECT source_row, {value} AS value FROM (SELECT source_row, {column}, "
            f"first_value({column} IGNORE NULLS) OVER (PARTITION BY interview_id ORDER BY "
            f"source_row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first "
            f"FROM interviews) WHERE {column} <> first",
            withheld=withheld))
    checks.append(Check(
        "error", "interview_duplicate_disorder", file, "disorder",
        "one status per disorder per interview; this disorder is already rated in the "
        "interview",
        "SELECT source_row, disorder AS value FROM (SELECT source_row, disorder, "
        "row_number() OVER (PARTITION BY interview_id, disorder ORDER BY source_row) AS k "
        "FROM interviews) WHERE k > 1"))
    # one rating per referral, time point and disorder counts; more must be marked
    # as second ratings (kept for inter-rater agreement, left out of every outcome),
    # or which one counts would be an arbitrary choice
    checks.append(Check(
        "error", "interview_repeated", file, "disorder",
        "one interview rating this disorder for this referral and time point; another "
        "interview already rates it (its row is shown). Mark a second rater's interview "
        "with second_rating = true",
        "SELECT source_row, timepoint || ' ' || disorder || ' (as row ' || "
        "CAST(first_row AS VARCHAR) || ')' AS value FROM (SELECT source_row, timepoint, "
        "disorder, interview_id, first_value(interview_id) OVER w AS first_id, "
        "first_value(source_row) OVER w AS first_row FROM interviews "
        f"WHERE {PRIMARY} AND referral_id IS NOT NULL AND timepoint IS NOT NULL AND "
        "disorder IS NOT NULL WINDOW w AS (PARTITION BY referral_id, timepoint, disorder "
        "ORDER BY source_row)) WHERE interview_id <> first_id"))
    checks.append(Check(
        "error", "second_rating_alone", file, "second_rating",
        "a second rating of a disorder that an interview not marked second_rating rates "
        "for the same referral and time point; there is none",
        "SELECT s.source_row, s.timepoint || ' ' || s.disorder AS value FROM interviews s "
        f"ANTI JOIN (SELECT referral_id, timepoint, disorder FROM interviews WHERE {PRIMARY}"
        ") p ON s.referral_id = p.referral_id AND s.timepoint = p.timepoint AND "
        "s.disorder = p.disorder WHERE coalesce(s.second_rating, FALSE)"))
    checks.append(Check(
        "error", "interview_order", file, "date",
        "baseline on or before end, and end on or before follow-up, for one referral",
        f"SELECT a.source_row, CAST(a.date AS VARCHAR) || ' (' || a.timepoint || ') after ' "
        f"|| CAST(b.date AS VARCHAR) || ' (' || b.timepoint || ')' AS value "
        f"FROM interviews a JOIN interviews b ON a.referral_id = b.referral_id "
        f"AND ({TIMEPOINT_ORDER.replace('timepoint', 'a.timepoint')}) < "
        f"({TIMEPOINT_ORDER.replace('timepoint', 'b.timepoint')}) AND a.date > b.date"))
    return checks
