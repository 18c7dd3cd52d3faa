"""Stage a loaded file in one statement: its canonical table, plus what the checks need.

One pass over the loaded file (for Parquet, over the file itself) parses every
canonical column once and writes the table that becomes the canonical table, with a
few helper columns beside it: the raw value of each column that is not kept as it is,
but only on rows whose value did not parse, is out of range or holds a control
character (so nearly all of it is NULL and costs almost nothing), and one flag each
for rows with no values at all, rows with a control character and (without a
pseudonym key) rows holding an NHS number. The checks (``rules.column_findings``)
then read the staged table, and :func:`build_canonical` drops the helper columns and
renames it: no second copy of the data is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from .. import pseudonymise
from ..schema import SOURCE_ROW, Table
from .findings import MAX_SHOWN, Example, Finding
from .parse import NORMALISED_TEXT, null_sql, parse_sql, quote_ident, quote_literal
from .sources import (NHS_MARKER, WIDE_FILE_COLUMNS, RawTable, control_findings,
                      control_sql, unreadable)

SQL_TYPES = {"str": "VARCHAR", "code": "VARCHAR", "icd10": "VARCHAR", "date": "DATE",
             "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN"}
# Helper columns' names start with a control character, which no column of the file
# can hold (sources._checked_headers writes them as escapes): they never clash.
_HELPER = "\x01"
_EMPTY, _CONTROL, _MARKED = (quote_ident(_HELPER + n) for n in ("empty", "control", "marked"))


def _raw_name(index: int) -> str:
    return f"{_HELPER}raw{index}"


@dataclass
class Staged:
    """A staged file: the table ``name`` and where each check finds its values.

    ``raw`` maps a canonical column to (SQL of its raw value, raw type); for a text
    column that is the canonical column itself, for the others a helper column that
    holds the raw value only where the parsed one is missing or out of range.
    """

    name: str
    raw: dict[str, tuple[str, str]] = field(default_factory=dict)
    helpers: list[str] = field(default_factory=list)

    def missing(self, column: str) -> str:
        """SQL true where the raw value of ``column`` is missing."""
        sql, raw_type = self.raw[column]
        if raw_type == NORMALISED_TEXT:
            return null_sql(sql, raw_type)
        # the helper holds the raw value wherever the parsed one is NULL
        return f"({quote_ident(column)} IS NULL AND {null_sql(sql, raw_type)})"


def out_of_range(column) -> str | None:
    """SQL true where the parsed value of ``column`` is outside its range, or None."""
    if column.type not in ("int", "number") or (column.minimum is None
                                                and column.maximum is None):
        return None
    low = -1e308 if column.minimum is None else column.minimum
    high = 1e308 if column.maximum is None else column.maximum
    return f"{quote_ident(column.name)} < {low} OR {quote_ident(column.name)} > {high}"


def final_names(raw: RawTable, table: Table) -> list[tuple[int, str]]:
    """(file column, name) of the columns kept beside the canonical ones: unknown extra
    columns and NHS numbers (pseudonymised) under their header, made unique."""
    taken = {c.name for c in table.columns} | {SOURCE_ROW}
    out = []
    for index in raw.header.extras + raw.header.nhs_number:  # source_row is not an extra
        name = raw.header.headers[index]
        while name in taken:
            name += "_extra"
        taken.add(name)
        out.append((index, name))
    return out


# A value that reads as one of these types holds no control character (a code or
# true/false word is one of a list, a number or ICD-10 code matches a pattern); a
# date may (strptime skips a vertical tab or form feed as white space)
_CLEAN_WHEN_READ = ("code", "bool", "int", "number", "icd10")


def _may_hold_control(index: int, name: str, table: Table, header) -> str:
    """SQL of the file column ``index`` (held in staged column ``name``) for the
    control-character test: a column read as a type only where it did not read."""
    for column in table.columns:
        if header.canonical.get(column.name) == index and column.type in _CLEAN_WHEN_READ:
            return f"CASE WHEN {quote_ident(column.name)} IS NULL THEN {quote_ident(name)} END"
    return quote_ident(name)


def stage(con, raw: RawTable, table: Table) -> tuple[Staged, list[Finding]]:
    """Create ``staged_<table>`` from the raw view in one statement (see the module).

    Returns the staged table and the findings about whole rows: control characters
    and rows with no values (dropped, with a warning). Raises
    :class:`pseudonymise.PseudonymKeyError` when, without a key, a value holds an NHS
    number, and :class:`sources.FileProblem` when the file cannot be read to its end.
    """
    header = raw.header
    staged = Staged(f"staged_{table.name}")
    inner, outer = [], []
    kept: dict[int, str] = {}  # file column -> the staged column holding it as loaded
    for column in table.columns:
        name = quote_ident(column.name)
        col = raw.raw_column(column.name)
        if col is None:
            inner.append(f"CAST(NULL AS {SQL_TYPES[column.type]}) AS {name}")
            outer.append(name)
            continue
        index = header.canonical[column.name]
        raw_type = raw.raw_type(column.name)
        inner.append(f"CAST({parse_sql(column, col, raw_type)} AS {SQL_TYPES[column.type]})"
                     f" AS {name}")
        outer.append(name)
        if column.type == "str":  # parsed text is the loaded text
            staged.raw[column.name] = (name, raw_type)
            kept[index] = column.name
    for index, name in final_names(raw, table):
        inner.append(f"{quote_ident(f'c{index}')} AS {quote_ident(name)}")
        outer.append(quote_ident(name))
        kept[index] = name
    inner.append(SOURCE_ROW)
    outer.append(SOURCE_ROW)
    inner.append(f"_empty AS {_EMPTY}")
    outer += [_EMPTY, _CONTROL]
    staged.helpers += [_EMPTY, _CONTROL]
    if raw.marker_columns:
        marked = [quote_ident(f"c{i}") for i in raw.marker_columns]
        if len(marked) > WIDE_FILE_COLUMNS:  # one expression, however wide the file
            test = f"list_contains([{', '.join(marked)}], {quote_literal(NHS_MARKER)})"
        else:  # cheaper than making a list of every row's values
            test = " OR ".join(f"{c} = {quote_literal(NHS_MARKER)}" for c in marked)
        inner.append(f"{test} AS {_MARKED}")
        outer.append(_MARKED)
        staged.helpers.append(_MARKED)
    for index in range(len(header.headers)):
        if index in kept:
            continue
        # the raw value is kept only where a check may show it: the value did not
        # parse, is out of range, or holds a control character
        kept[index] = _raw_name(index)
        helper = quote_ident(kept[index])
        inner.append(f"{quote_ident(f'c{index}')} AS {helper}")
        canonical = next((c for c in table.columns
                          if header.canonical.get(c.name) == index), None)
        shown = [_CONTROL]
        if canonical is not None:
            shown.append(f"{quote_ident(canonical.name)} IS NULL")
            if out_of_range(canonical):
                shown.append(out_of_range(canonical))
            staged.raw[canonical.name] = (helper, raw.raw_type(canonical.name))
        outer.append(f"CASE WHEN {' OR '.join(f'({s})' for s in shown)} THEN {helper} "
                     f"END AS {helper}")
        staged.helpers.append(helper)
    texts = [i for i in range(len(header.headers))
             if raw.raw_types.get(f"c{i}") == "VARCHAR"]
    control = control_sql([_may_hold_control(i, kept[i], table, header)
                           for i in texts]) if texts else "FALSE"
    target = quote_ident(staged.name)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {', '.join(outer)} "
                    f"FROM (SELECT *, {control} AS {_CONTROL} FROM (SELECT "
                    f"{', '.join(inner)} FROM {quote_ident(raw.view)}))")
    except duckdb.Error as exc:
        # a Parquet file is read here for the first time (sources.load only describes
        # it): a damaged page shows up now
        raise unreadable("Parquet file" if raw.source.format == "parquet" else "file",
                         exc) from None
    finally:
        raw.drop(con)
    marked, controlled, empty = con.execute(
        f"SELECT count(*) FILTER (WHERE {_MARKED if raw.marker_columns else 'FALSE'}), "
        f"count(*) FILTER (WHERE {_CONTROL}), count(*) FILTER (WHERE {_EMPTY}) "
        f"FROM {target}").fetchone()
    if marked:
        con.execute(f"DROP TABLE {target}")
        raise pseudonymise.PseudonymKeyError(
            pseudonymise.missing_key_message(raw.source.name))
    findings = []
    if controlled:
        findings += control_findings(con, raw.source, header, staged.name,
                                     {i: kept[i] for i in texts}, _CONTROL)
    if empty:
        rows = con.execute(f"SELECT {SOURCE_ROW} FROM {target} WHERE {_EMPTY} "
                           f"ORDER BY {SOURCE_ROW}").fetchall()
        con.execute(f"DELETE FROM {target} WHERE {_EMPTY}")
        findings.append(Finding("warning", "empty_rows", raw.source.name, None,
                                "rows with no values at all were ignored", count=len(rows),
                                examples=tuple(Example(r[0]) for r in rows[:MAX_SHOWN])))
    return staged, findings


def build_canonical(con, staged: Staged | None, table: Table) -> None:
    """Make the canonical table: the staged table without its helper columns (dropping
    a column shares the others' storage, so nothing is copied), or, when the table
    was not supplied or not usable, an empty table of the canonical columns."""
    con.execute(f"DROP TABLE IF EXISTS {table.name}")
    if staged is None:
        select = [f"CAST(NULL AS {SQL_TYPES[c.type]}) AS {quote_ident(c.name)}"
                  for c in table.columns] + [f"CAST(NULL AS BIGINT) AS {SOURCE_ROW}"]
        con.execute(f"CREATE TABLE {table.name} AS SELECT {', '.join(select)} WHERE FALSE")
        return
    target = quote_ident(staged.name)
    for helper in staged.helpers:
        con.execute(f"ALTER TABLE {target} DROP COLUMN {helper}")
    con.execute(f"ALTER TABLE {target} RENAME TO {table.name}")
    # compress it now (tincheck.ingest.dataset.connect): before the next file is
    # staged, so the uncompressed copy is freed for it
    con.execute("CHECKPOINT")
