"""Find a service's table files and load each one, unparsed, into DuckDB.

A folder holds one file per table, named after the table (case-insensitive), as
``.csv``, ``.csv.gz``, ``.parquet`` or ``.xlsx`` (first sheet). CSV and Parquet are
read by DuckDB itself, so a large file is never copied through pandas; workbooks are
read with openpyxl (DuckDB's Excel extension needs the network to install).

Loading keeps every value as found (text for CSV and workbooks, the stored type for
Parquet), except that NHS numbers are replaced by keyed pseudonyms in the same
statement that reads the file, so a raw NHS number never lands in a table. Each
loaded file gets a view ``rawv_<table>`` adding ``source_row`` (spreadsheet row) and
a flag for rows with no values at all (dropped, with a warning, when staged).
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import pseudonymise
from ..schema import TABLES
from .columns import HeaderMap, map_headers
from .findings import Example, Finding
from .parse import null_sql, quote_ident, quote_literal, text_sql

SUFFIXES = {".csv.gz": "csv", ".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
UNSUPPORTED = {".xls": "an old Excel .xls workbook", ".ods": "an OpenDocument spreadsheet",
               ".json": "JSON", ".txt": "a text file", ".tsv": "a TSV file"}
NHS_MARKER = "\x01nhs-number"
_HEADER_LIMIT = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One table file found in the data folder."""

    table: str
    path: Path
    format: str

    @property
    def name(self) -> str:
        return self.path.name

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


@dataclass
class RawTable:
    """A loaded file: its DuckDB view, header mapping and column types."""

    source: SourceFile
    view: str
    header: HeaderMap
    raw_types: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    structure_ok: bool = True
    relation: str = ""  # the loaded table behind the view

    def raw_column(self, canonical: str) -> str | None:
        """The quoted raw column holding ``canonical``, or None if the file lacks it."""
        if canonical not in self.header.canonical:
            return None
        return quote_ident(f"c{self.header.canonical[canonical]}")

    def raw_type(self, canonical: str) -> str:
        return self.raw_types[f"c{self.header.canonical[canonical]}"]


def table_of(path: Path) -> tuple[str, str] | None:
    """(table name, format) for a file name, or None if it is not a table file."""
    lower = path.name.lower()
    for suffix, fmt in SUFFIXES.items():
        if lower.endswith(suffix):
            return lower[: -len(suffix)], fmt
    return None


def find_sources(folder: Path) -> tuple[dict[str, SourceFile], list[Finding]]:
    """The table files of ``folder``, and findings for missing or doubled tables."""
    findings: list[Finding] = []
    found: dict[str, list[SourceFile]] = {}
    if not folder.is_dir():
        findings.append(Finding("error", "missing_folder", str(folder), None,
                                "a folder holding referrals, appointments and measures files"))
        return {}, findings
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        named = table_of(path)
        if named is None:
            stem, suffix = path.stem.lower(), path.suffix.lower()
            if stem in TABLES and suffix in UNSUPPORTED:
                findings.append(Finding(
                    "error", "unsupported_format", path.name, None,
                    f"a .csv, .csv.gz, .parquet or .xlsx file; this is {UNSUPPORTED[suffix]}"))
            continue
        name, fmt = named
        if name in TABLES:
            found.setdefault(name, []).append(SourceFile(name, path, fmt))
    sources: dict[str, SourceFile] = {}
    for name, table in TABLES.items():
        files = found.get(name, [])
        if len(files) > 1:
            findings.append(Finding(
                "error", "duplicate_table", files[1].name, None,
                f"one file for table {name}; found " + ", ".join(f.name for f in files)))
        if files:
            sources[name] = files[0]
        elif table.required:
            findings.append(Finding(
                "error", "missing_file", f"{name}.csv", None,
                f"a file for the required table {name} ({name}.csv, .csv.gz, .parquet or "
                f".xlsx) in {folder.name or folder}"))
    return sources, findings


def load(con: duckdb.DuckDBPyConnection, source: SourceFile, key: bytes | None
         ) -> tuple[RawTable | None, list[Finding]]:
    """Load ``source`` into DuckDB; file-level problems come back as findings."""
    loader = {"csv": _load_csv, "parquet": _load_parquet, "xlsx": _load_xlsx}[source.format]
    try:
        return loader(con, source, key)
    except _FileProblem as problem:
        return None, [Finding("error", problem.rule, source.name, None, problem.message,
                              examples=(Example(problem.row),))]


class _FileProblem(Exception):
    def __init__(self, rule: str, message: str, row: int | None = None):
        super().__init__(message)
        self.rule, self.message, self.row = rule, message, row


def _duckdb_reason(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return pseudonymise.mask_text(first.split(": ", 1)[-1])


# ---------------------------------------------------------------- CSV

def _open_binary(source: SourceFile):
    if source.path.name.lower().endswith(".gz"):
        return gzip.open(source.path, "rb")
    return open(source.path, "rb")


def _read_header(source: SourceFile) -> tuple[list[str], str]:
    """The header row's names and the delimiter, or a clear file-level problem."""
    try:
        with _open_binary(source) as handle:
            first = handle.readline(_HEADER_LIMIT)
    except (OSError, EOFError) as exc:
        raise _FileProblem("unreadable_file", f"a readable file ({exc})", 1) from None
    if not first.strip():
        raise _FileProblem("empty_file", "a header row naming the columns; the file is empty", 1)
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _FileProblem("encoding", "UTF-8 text; this file is UTF-16 (save it as "
                           "'CSV UTF-8' instead of 'Unicode text')", 1)
    if b"\x00" in first:
        raise _FileProblem("encoding", "a text CSV file; this looks like binary data", 1)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _FileProblem("encoding", "UTF-8 text (save the file as 'CSV UTF-8'); the "
                           "header row holds bytes that are not UTF-8", 1) from None
    counts = {d: text.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    headers = next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter), [])
    if not headers or not any(h.strip() for h in headers):
        raise _FileProblem("empty_file", "a header row naming the columns", 1)
    return [h.strip() for h in headers], delimiter


def _identifier_select(index: int, header: HeaderMap, key: bytes | None,
                       text: str) -> str:
    """SQL for a text column: values holding an NHS number replaced, others kept.

    The whole value is replaced by its pseudonym, so the same identifier always gets
    the same pseudonym and joins between tables still work.
    """
    if index in header.nhs_number:
        if key is None:
            return f"CASE WHEN {text} IS NULL THEN NULL ELSE {quote_literal(NHS_MARKER)} END"
        return pseudonymise.pseudonym_sql(text, key)
    predicate = pseudonymise.contains_nhs_number_sql(text)
    replacement = (pseudonymise.pseudonym_sql(text, key) if key is not None
                   else quote_literal(NHS_MARKER))
    # a cheap regular expression first: only values with ten digits in the 3-3-4
    # layout go on to the check-digit test (CASE evaluates later branches only for
    # the rows that reach them)
    return (f"CASE WHEN {text} IS NULL OR NOT regexp_matches({text}, "
            f"'[0-9]{{3}}[ -]?[0-9]{{3}}[ -]?[0-9]{{4}}') THEN {text} "
            f"WHEN {predicate} THEN {replacement} ELSE {text} END")


def _text_indexes(header: HeaderMap, table: str) -> list[int]:
    """The file columns read as text (not a typed canonical column): the ones that
    may hold an NHS number and are pseudonymised."""
    typed = {column.name for column in TABLES[table].columns if column.type != "str"}
    typed_indexes = {i for name, i in header.canonical.items() if name in typed}
    return [i for i in range(len(header.headers)) if i not in typed_indexes]


def _select_list(header: HeaderMap, table: str, key: bytes | None,
                 raw_types: dict[str, str]) -> list[str]:
    """One select expression per file column (``c<i>``), pseudonymising text columns."""
    text_indexes = _text_indexes(header, table)
    out = []
    for index in range(len(header.headers)):
        col = quote_ident(f"c{index}")
        if index not in text_indexes:
            out.append(f"{col} AS {col}")
        else:
            text = text_sql(col, raw_types.get(f"c{index}", "VARCHAR"))
            out.append(f"{_identifier_select(index, header, key, text)} AS {col}")
    return out


def _finish(con, source: SourceFile, header: HeaderMap, key: bytes | None,
            relation: str, findings: list[Finding], *, row_sql: str = "rowid + 2",
            row_map: str | None = None, structure_ok: bool = True
            ) -> tuple[RawTable, list[Finding]]:
    """Check for unkeyed NHS numbers and define the numbered raw view."""
    view = f"rawv_{source.table}"
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE {relation}").fetchall()}
    columns = [quote_ident(f"c{i}") for i in range(len(header.headers))]
    # only the text columns went through _identifier_select, so only they can hold
    # the marker of an NHS number met without a key
    marked = " OR ".join(f"{quote_ident(f'c{i}')} = {quote_literal(NHS_MARKER)}"
                         for i in _text_indexes(header, source.table))
    if key is None and marked:
        if con.execute(f"SELECT count(*) FROM {relation} WHERE {marked}").fetchone()[0]:
            con.execute(f"DROP TABLE {relation}")
            raise pseudonymise.PseudonymKeyError(pseudonymise.missing_key_message(source.name))
    empty = " AND ".join(null_sql(c, types.get(c.strip(chr(34)), "VARCHAR"))
                         for c in columns) or "FALSE"
    if header.source_row is not None:
        row_sql = _carried_row_numbers(con, source, header, relation, types, findings) or row_sql
    if row_map is None:
        numbered = f"SELECT *, {row_sql} AS source_row, {empty} AS _empty FROM {relation}"
    else:
        numbered = (f"SELECT r.*, m.source_row, {empty} AS _empty FROM {relation} r "
                    f"JOIN {row_map} m ON m.k = r.rowid")
    # a view: numbering, the empty-row flag and parsing are materialised in one pass
    # when the columns are staged (rules.stage_parsed)
    con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS {numbered}")
    raw = RawTable(source, view, header, types, 0, structure_ok, relation)
    return raw, findings


def _carried_row_numbers(con, source, header, relation, types, findings) -> str | None:
    """SQL for row numbers carried in a ``source_row`` column, if they are usable.

    Canonical files written by tincheck keep the original spreadsheet rows, so
    messages about them point at the original file. Unusable numbers (not whole,
    missing or repeated) are an error, and the file's own rows are used instead.
    """
    col = quote_ident(f"c{header.source_row}")
    value = f"try_cast({text_sql(col, types.get(col.strip(chr(34)), 'VARCHAR'))} AS BIGINT)"
    bad = con.execute(f"SELECT count(*) - count(DISTINCT {value}) + count(*) FILTER "
                      f"(WHERE {value} IS NULL OR {value} < 1) FROM {relation}").fetchone()[0]
    if bad:
        findings.append(Finding(
            "error", "bad_source_row", source.name, header.headers[header.source_row],
            "whole, distinct, positive row numbers in source_row (or no such column)",
            count=int(bad), examples=(Example(None),)))
        return None
    return value


_REJECT_MESSAGES = {
    "MISSING COLUMNS": "{n} columns as in the header row; this row has fewer (a truncated "
                       "row, or a stray line break?)",
    "TOO MANY COLUMNS": "{n} columns as in the header row; this row has more (an unquoted "
                        "comma in a value?)",
    "UNQUOTED VALUE": "properly quoted values; this row has an unterminated quote",
    "INVALID ENCODING": "UTF-8 text (save the file as 'CSV UTF-8'); this row holds bytes "
                        "that are not UTF-8",
    "LINE SIZE OVER MAXIMUM": "rows shorter than 2 MB; this row is longer (binary data?)",
}


def _load_csv(con, source: SourceFile, key: bytes | None):
    headers, delimiter = _read_header(source)
    header = map_headers(TABLES[source.table], headers, source.name)
    findings = list(header.findings)
    relation = f"raw_{source.table}"
    rejects = f"rejects_{source.table}"
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
    scan = (f"read_csv({quote_literal(str(source.path))}, header=true, "
            f"delim={quote_literal(delimiter)}, quote='\"', escape='\"', auto_detect=false, "
            f"columns={columns}, strict_mode=true, null_padding=false, "
            f"max_line_size=2097152, store_rejects=true, ignore_errors=true, "
            f"rejects_table={quote_literal(rejects)}, "
            f"rejects_scan={quote_literal(rejects + '_scan')})")
    select = ", ".join(_select_list(header, source.table, key, {}))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {relation} AS SELECT {select} FROM {scan}")
        rejected = con.execute(
            f"SELECT DISTINCT line, error_type FROM {rejects} ORDER BY line").fetchall()
    except duckdb.Error as exc:
        raise _FileProblem("unreadable_file", "a readable CSV file: " + _duckdb_reason(exc),
                           None) from None
    finally:
        for name in (rejects, rejects + "_scan"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    for error_type in dict.fromkeys(kind for _, kind in rejected):
        lines = [line for line, kind in rejected if kind == error_type]
        message = _REJECT_MESSAGES.get(error_type, "a well-formed CSV row ({kind})")
        findings.append(Finding(
            "error", "csv_structure", source.name, None,
            message.format(n=len(headers), kind=error_type.lower()), count=len(lines),
            examples=tuple(Example(int(line)) for line in lines[:50])))
    row_map = None
    if not rejected and _has_inner_blank_lines(source):
        row_map = _register_row_map(con, source, delimiter)
    return _finish(con, source, header, key, relation, findings, row_map=row_map,
                   structure_ok=not rejected)


def _has_inner_blank_lines(source: SourceFile) -> bool:
    """Whether the file has blank lines before its last row (DuckDB skips them)."""
    blank_seen = False
    tail = b""
    with _open_binary(source) as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            chunk = tail + block
            if blank_seen and chunk.strip(b"\r\n"):
                return True
            for pattern in (b"\n\n", b"\n\r\n"):
                at = chunk.find(pattern)
                if at >= 0:
                    if chunk[at:].strip(b"\r\n"):
                        return True
                    blank_seen = True
            tail = block[-2:]
    return False


def _register_row_map(con, source: SourceFile, delimiter: str) -> str:
    """Table ``rows_<table>(k, source_row)``: DuckDB record index → spreadsheet row.

    Only needed when blank lines sit between rows: DuckDB skips them, a spreadsheet
    shows them. Python's csv reader returns them as empty records.
    """
    import pyarrow as pa

    ks, rows = [], []
    with _open_binary(source) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        next(reader, None)
        for spreadsheet_row, record in enumerate(reader, start=2):
            if record:
                ks.append(len(ks))
                rows.append(spreadsheet_row)
    name = f"rows_{source.table}"
    con.register("_row_map", pa.table({"k": pa.array(ks, pa.int64()),
                                       "source_row": pa.array(rows, pa.int64())}))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _row_map")
    con.unregister("_row_map")
    return name


# ---------------------------------------------------------------- Parquet

def _load_parquet(con, source: SourceFile, key: bytes | None):
    scan = f"read_parquet({quote_literal(str(source.path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise _FileProblem("unreadable_file",
                           "a readable Parquet file: " + _duckdb_reason(exc)) from None
    headers = [row[0] for row in described]
    raw_types = {f"c{i}": row[1] for i, row in enumerate(described)}
    header = map_headers(TABLES[source.table], headers, source.name)
    renamed = ", ".join(f"{quote_ident(h)} AS {quote_ident(f'c{i}')}"
                        for i, h in enumerate(headers))
    select = ", ".join(_select_list(header, source.table, key, raw_types))
    relation = f"raw_{source.table}"
    try:
        con.execute(f"CREATE OR REPLACE TABLE {relation} AS SELECT {select} FROM "
                    f"(SELECT {renamed} FROM {scan})")
    except duckdb.Error as exc:
        raise _FileProblem("unreadable_file",
                           "a readable Parquet file: " + _duckdb_reason(exc)) from None
    return _finish(con, source, header, key, relation, list(header.findings))


# ---------------------------------------------------------------- Excel

def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value).strip()
    return text or None


def _load_xlsx(con, source: SourceFile, key: bytes | None):
    import openpyxl
    import pyarrow as pa

    try:
        workbook = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise _FileProblem("unreadable_file",
                           f"a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None or not any(v is not None for v in first):
            raise _FileProblem("empty_file", "a header row naming the columns in row 1 of "
                               "the first sheet", 1)
        headers = [(_cell_text(v) or "") for v in first]
        while headers and not headers[-1]:
            headers.pop()
        width = len(headers)
        values: list[list[str | None]] = [[] for _ in range(width)]
        source_rows: list[int] = []
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in row[:width]]
            if not any(c is not None for c in cells):
                continue  # spreadsheets carry many blank rows; they hold nothing
            cells += [None] * (width - len(cells))
            for column, cell in zip(values, cells):
                column.append(cell)
            source_rows.append(number)
    finally:
        workbook.close()
    header = map_headers(TABLES[source.table], headers, source.name)
    arrow = pa.table({**{f"c{i}": pa.array(v, pa.string()) for i, v in enumerate(values)},
                      "xl_row": pa.array(source_rows, pa.int64())})
    con.register("_xlsx_source", arrow)
    relation = f"raw_{source.table}"
    select = ", ".join(_select_list(header, source.table, key, {}))
    con.execute(f"CREATE OR REPLACE TABLE {relation} AS SELECT {select}, xl_row "
                f"FROM _xlsx_source")
    con.unregister("_xlsx_source")
    return _finish(con, source, header, key, relation, list(header.findings),
                   row_sql="xl_row")
