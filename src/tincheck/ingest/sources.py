"""Find a service's table files and load each one, unparsed, into DuckDB.

A folder holds one file per table, named after the table (case-insensitive), as
``.csv``, ``.csv.gz``, ``.parquet`` or ``.xlsx`` (first sheet). CSV and Parquet are
read by DuckDB itself, so a large file is never copied through pandas; workbooks are
read with openpyxl (DuckDB's Excel extension needs the network to install).

Loading keeps every value as found (text for CSV and workbooks, the stored type for
Parquet), except that NHS numbers are replaced by keyed pseudonyms in the same
statement that reads the file, so a raw NHS number never lands in a table (a header
that holds one is replaced by its pseudonym too). Each loaded file gets a view
``rawv_<table>`` adding ``source_row`` (spreadsheet row) and a flag for rows with no
values at all (dropped, with a warning, when staged). A CSV file or workbook is
loaded into a table first (a CSV file's malformed rows must be known before anything
else); a Parquet file is not copied at all: its view reads the file, and staging
(``staging.stage``) reads it once, straight into the staged table.

A path is always a path: DuckDB's readers treat ``*``, ``?`` and ``[`` as a pattern
matching other files, so those characters are escaped (:func:`duckdb_path`).
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from .. import pseudonymise
from ..safecsv import field_limit
from ..schema import TABLES
from .columns import HeaderMap, map_headers
from .findings import CONTROL_CHARACTERS, MAX_SHOWN, Example, Finding, printable
from .parse import NORMALISED_TEXT, null_sql, quote_ident, quote_literal, text_sql

SUFFIXES = {".csv.gz": "csv", ".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
UNSUPPORTED = {".xls": "an old Excel .xls workbook", ".ods": "an OpenDocument spreadsheet",
               ".json": "JSON", ".txt": "a text file", ".tsv": "a TSV file"}
NHS_MARKER = "\x01nhs-number"
_HEADER_LIMIT = 1 << 20
# Files wider than this are loaded with DuckDB's common-subexpression optimiser off:
# its cost grows with the square of the number of expressions in one statement
# (3,000 columns took minutes), while on narrow files it makes ingest ~3x faster.
WIDE_FILE_COLUMNS = 200
_CONTROL_SQL = f"'[{CONTROL_CHARACTERS}]'"  # the same class in RE2 and in Python
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def duckdb_path(path: Path) -> str:
    """``path`` as a SQL literal that DuckDB's readers take literally, never as a glob.

    Each ``*``, ``?`` and ``[`` becomes a one-character class (``[*]``, ``[?]``, ``[[]``),
    which matches exactly that character: ``a[1].csv`` must not read ``a1.csv``.

    >>> duckdb_path(Path("/data/a[1]*.csv"))
    "'/data/a[[]1][*].csv'"
    """
    text = str(path)
    escaped = "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)
    return quote_literal(escaped)


def optimise_for_width(con, columns: int) -> None:
    """Turn DuckDB's common-subexpression optimiser off for a wide file, on otherwise."""
    if columns > WIDE_FILE_COLUMNS:
        con.execute("SET disabled_optimizers = 'common_subexpressions'")
    else:
        con.execute("RESET disabled_optimizers")


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
    # file columns already made text (trimmed, unquoted, empty as NULL) and
    # pseudonymised while loading (_select_sql): parsed without doing it again
    normalised: frozenset[int] = frozenset()
    # without a key, the columns that may hold the marker of an NHS number; staging
    # looks for it (staging.stage) in the pass that reads the file anyway
    marker_columns: tuple[int, ...] = ()

    def raw_column(self, canonical: str) -> str | None:
        """The quoted raw column holding ``canonical``, or None if the file lacks it."""
        if canonical not in self.header.canonical:
            return None
        return quote_ident(f"c{self.header.canonical[canonical]}")

    def raw_type(self, canonical: str) -> str:
        index = self.header.canonical[canonical]
        return NORMALISED_TEXT if index in self.normalised else self.raw_types[f"c{index}"]

    # "VIEW" when the relation reads the file itself (Parquet), not a loaded copy
    relation_kind: str = "TABLE"

    def drop(self, con) -> None:
        """Drop the view and what it reads (once staged, they are not needed)."""
        con.execute(f"DROP VIEW IF EXISTS {quote_ident(self.view)}")
        if self.relation:
            con.execute(f"DROP {self.relation_kind} IF EXISTS {quote_ident(self.relation)}")


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
    except FileProblem as problem:
        return None, [problem.finding(source)]


class FileProblem(Exception):
    """A file that cannot be read at all: one error for it, and nothing else."""

    def __init__(self, rule: str, message: str, row: int | None = None):
        super().__init__(message)
        self.rule, self.message, self.row = rule, message, row

    def finding(self, source: SourceFile) -> Finding:
        return Finding("error", self.rule, source.name, None, self.message,
                       examples=(Example(self.row),))


def duckdb_reason(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return pseudonymise.mask_text(first.split(": ", 1)[-1])


def unreadable(what: str, exc: duckdb.Error) -> Exception:
    """What to raise for DuckDB's error while reading a file: the file is unreadable
    (:class:`FileProblem`), unless DuckDB ran out of memory, which is its memory limit's
    fault, not the file's (``dataset._load`` names the limit)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return exc
    return FileProblem("unreadable_file", f"a readable {what}: " + duckdb_reason(exc))


# ---------------------------------------------------------------- headers

def _checked_headers(headers: list[str], source: SourceFile, key: bytes | None
                     ) -> tuple[list[str], list[Finding]]:
    """Headers made safe to use and to quote, and errors about them.

    A header holding an NHS number (a file whose header row is missing starts with a
    record) is replaced by its pseudonym, as a value would be: it is used as a column
    name and quoted in messages. A header holding a control character is an error,
    and is kept with the character written as an escape.
    """
    out: list[str] = []
    findings: list[Finding] = []
    for name in headers:
        if pseudonymise.mask(name) != name:
            if key is None:
                raise pseudonymise.PseudonymKeyError(
                    pseudonymise.missing_key_message(source.name))
            name = pseudonymise.pseudonym(name, key)
        shown = printable(name)
        if _CONTROL.search(name):
            findings.append(Finding(
                "error", "control_character", source.name, shown,
                "a header without control characters (NUL, escape and the like; shown "
                "here as \\xNN)", examples=(Example(1),)))
        out.append(shown)
    return out, findings


def control_sql(columns: list[str]) -> str:
    """SQL true where any of the quoted text ``columns`` holds a control character:
    one test over all of them joined (linear in the number of columns)."""
    joined = (f"concat({', '.join(columns)})" if len(columns) > 1
              else f"coalesce({columns[0]}, '')")
    return f"regexp_matches({joined}, {_CONTROL_SQL})"


def control_findings(con, source: SourceFile, header: HeaderMap, relation: str,
                     columns: dict[int, str], where: str) -> list[Finding]:
    """An error for each column with a control character in a value, with its rows.

    ``columns`` maps each text column of the file to the column of ``relation``
    holding it; only the rows ``where`` selects (the rows holding a
    control character anywhere, :func:`control_sql`) are unpivoted to find the
    columns. Tab, line feed and carriage return are allowed in a value.
    """
    if not columns:
        return []
    names = [quote_ident(name) for name in columns.values()]
    index_of = {name: index for index, name in columns.items()}
    hits = con.execute(
        f"SELECT name, source_row, value, count(*) OVER (PARTITION BY name) AS n FROM ("
        f"UNPIVOT (SELECT source_row, {', '.join(names)} FROM {quote_ident(relation)} "
        f"WHERE {where}) ON {', '.join(names)} "
        f"INTO NAME name VALUE value) WHERE regexp_matches(value, {_CONTROL_SQL}) "
        f"QUALIFY row_number() OVER (PARTITION BY name ORDER BY source_row) <= {MAX_SHOWN} "
        f"ORDER BY name, source_row").fetchall()
    identifiers = set(header.nhs_number) | {
        index for name, index in header.canonical.items()
        if TABLES[source.table].column(name).identifier}
    by_column: dict[int, list] = {}
    for name, row, value, n in hits:
        by_column.setdefault(index_of[name], []).append((row, value, n))
    findings = []
    for index in sorted(by_column):
        found = by_column[index]
        examples = tuple(
            Example(int(row), None if index in identifiers
                    else printable(pseudonymise.mask(value)))
            for row, value, _ in found)
        findings.append(Finding(
            "error", "control_character", source.name, header.headers[index],
            "a value without control characters (NUL, escape and the like; shown here as "
            "\\xNN): a damaged file, or text pasted from a terminal", count=int(found[0][2]),
            examples=examples))
    return findings


# ---------------------------------------------------------------- CSV

def _open_binary(source: SourceFile):
    if source.path.name.lower().endswith(".gz"):
        return gzip.open(source.path, "rb")
    return open(source.path, "rb")


def _compression_problem(source: SourceFile, exc: Exception) -> FileProblem:
    """The message for a .gz file that cannot be decompressed to its end."""
    if isinstance(exc, gzip.BadGzipFile) and "Not a gzipped file" in str(exc):
        return FileProblem(
            "damaged_gzip", "gzip-compressed data, as the name ends in .gz; this file "
            "is not gzip (if it is plain text, name it .csv)", 1)
    reason = ("it ends before the end of the compressed data: a truncated copy or "
              "download" if isinstance(exc, EOFError)
              else f"the compressed data is corrupt ({pseudonymise.mask_text(str(exc))})")
    return FileProblem(
        "damaged_gzip", f"a complete gzip file; this one is damaged: {reason}. "
        "Copy or compress the file again", None)


_DECOMPRESSION_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _read_header(source: SourceFile) -> tuple[list[str], str, str]:
    """The header row's names, the delimiter and the line break, or a clear problem.

    Line breaks may be LF, CRLF or a lone CR (classic Mac, "CSV (Macintosh)").
    """
    try:
        with _open_binary(source) as handle:
            head = handle.read(_HEADER_LIMIT + 1)
    except _DECOMPRESSION_ERRORS as exc:
        raise _compression_problem(source, exc) from None
    except OSError as exc:
        raise FileProblem("unreadable_file",
                          f"a readable file ({exc.strerror or type(exc).__name__})", 1
                          ) from None
    ends = [at for at in (head.find(b"\n"), head.find(b"\r")) if at >= 0]
    end = min(ends) if ends else len(head)
    if end > _HEADER_LIMIT:
        raise FileProblem("long_header", "a header row shorter than 1 MB; the first line "
                          "is longer (is this a CSV file?)", 1)
    if head[end:end + 2] == b"\r\n":
        newline = "\r\n"
    elif head[end:end + 1] == b"\r":
        newline = "\r"
    else:
        newline = "\n"
    first = head[:end]
    if not first.strip():
        raise FileProblem("empty_file", "a header row naming the columns; the file is empty"
                          if not head.strip() else "a header row naming the columns in row "
                          "1; it is blank", 1)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("encoding", "UTF-8 text; this file is UTF-16 (save it as "
                          "'CSV UTF-8' instead of 'Unicode text')", 1)
    if b"\x00" in first:
        raise FileProblem("encoding", "a text CSV file; this looks like binary data", 1)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem("encoding", "UTF-8 text (save the file as 'CSV UTF-8'); the "
                          "header row holds bytes that are not UTF-8", 1) from None
    counts = {d: text.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    try:
        with field_limit():
            headers = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error as exc:
        raise FileProblem("csv_structure", f"a header row of column names ({exc})", 1
                          ) from None
    if not headers or not any(h.strip() for h in headers):
        raise FileProblem("empty_file", "a header row naming the columns", 1)
    return [h.strip() for h in headers], delimiter, newline


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
    # cheap tests first: only values of ten bytes or more with ten digits in the
    # 3-3-4 layout go on to the check-digit test (CASE evaluates later branches only
    # for the rows that reach them)
    return (f"CASE WHEN {text} IS NULL OR strlen({text}) < 10 OR NOT regexp_matches("
            f"{text}, '{pseudonymise.CANDIDATE_SQL}') THEN {text} "
            f"WHEN {predicate} THEN {replacement} ELSE {text} END")


def _text_indexes(header: HeaderMap, table: str) -> list[int]:
    """The file columns read as text (not a typed canonical column): the ones that
    may hold an NHS number and are pseudonymised."""
    typed = {column.name for column in TABLES[table].columns if column.type != "str"}
    typed_indexes = {i for name, i in header.canonical.items() if name in typed}
    return [i for i in range(len(header.headers)) if i not in typed_indexes]


def _select_sql(header: HeaderMap, table: str, key: bytes | None,
                raw_types: dict[str, str], source_sql: str, keep: str = "") -> str:
    """``SELECT ... FROM source_sql``: one expression per file column (``c<i>``),
    pseudonymising text columns; ``keep`` names further columns passed through.

    On a wide file the text columns are checked by one lambda over a list of them,
    not one expression each: DuckDB plans a statement of thousands of such
    expressions in time that grows with the square of their number (minutes at 3,000
    columns), a single lambda in time linear in the list.
    """
    text_indexes = set(_text_indexes(header, table))
    listed = [i for i in sorted(text_indexes) if i not in header.nhs_number] \
        if len(header.headers) > WIDE_FILE_COLUMNS else []
    position = {index: k + 1 for k, index in enumerate(listed)}
    out = []
    for index in range(len(header.headers)):
        col = quote_ident(f"c{index}")
        if index in position:
            out.append(f"_texts[{position[index]}] AS {col}")
        elif index not in text_indexes:
            out.append(f"{col} AS {col}")
        else:
            text = text_sql(col, raw_types.get(f"c{index}", "VARCHAR"))
            out.append(f"{_identifier_select(index, header, key, text)} AS {col}")
    if keep:
        out.append(keep)
    if listed:
        texts = ", ".join(text_sql(quote_ident(f"c{i}"), raw_types.get(f"c{i}", "VARCHAR"))
                          for i in listed)
        check = _identifier_select(-1, header, key, "v")
        source_sql = (f"(SELECT *, list_transform([{texts}], lambda v: {check}) AS _texts "
                      f"FROM {source_sql})")
    return f"SELECT {', '.join(out)} FROM {source_sql}"


def _finish(con, source: SourceFile, header: HeaderMap, key: bytes | None,
            relation: str, findings: list[Finding], *, row_sql: str = "rowid + 2",
            row_map: str | None = None, structure_ok: bool = True,
            relation_kind: str = "TABLE", types: dict[str, str] | None = None
            ) -> tuple[RawTable, list[Finding]]:
    """Define the numbered raw view; check for unkeyed NHS numbers and control
    characters here only if the file will not be staged (structure errors), as
    staging does both in the pass that reads the file (staging.stage)."""
    view = f"rawv_{source.table}"
    if types is None:
        types = {row[0]: row[1] for row in con.execute(f"DESCRIBE {relation}").fetchall()}
    columns = [quote_ident(f"c{i}") for i in range(len(header.headers))]
    # only the text columns went through _identifier_select, so only they can hold
    # the marker of an NHS number met without a key
    text_indexes = tuple(_text_indexes(header, source.table))
    marker_columns = text_indexes if key is None else ()
    if marker_columns and not structure_ok:
        marked = ", ".join(quote_ident(f"c{i}") for i in marker_columns)
        if con.execute(f"SELECT count(*) FROM {relation} WHERE list_contains([{marked}], "
                       f"{quote_literal(NHS_MARKER)})").fetchone()[0]:
            con.execute(f"DROP TABLE {relation}")
            raise pseudonymise.PseudonymKeyError(pseudonymise.missing_key_message(source.name))
    if row_map is not None:
        # the row map comes from Python's csv reader: it must number every row DuckDB
        # read, or the join below would drop rows
        mapped, loaded = con.execute(f"SELECT (SELECT count(*) FROM {row_map}), "
                                     f"(SELECT count(*) FROM {relation})").fetchone()
        if mapped != loaded:
            row_map = None
            findings.append(Finding(
                "warning", "row_numbers", source.name, None,
                "row numbers in messages count records, not lines: blank lines and "
                "quoted line breaks could not be matched to spreadsheet rows"))
    # a row is empty when every value is missing; text values all at once (blank
    # text joined is blank), so the test stays one expression on a wide file. The
    # typed columns' cheap tests come first: DuckDB joins and trims the text only
    # for the rows that pass them (in a typed Parquet file, almost none)
    texts = [c for c in columns if types.get(c.strip(chr(34))) == "VARCHAR"]
    empty = " AND ".join([
        null_sql(c, types.get(c.strip(chr(34)), "VARCHAR")) for c in columns
        if c not in texts] + [f"trim(concat({', '.join(texts)})) = ''"] * bool(texts)
    ) or "FALSE"
    if header.source_row is not None:
        row_sql = _carried_row_numbers(con, source, header, relation, types, findings) or row_sql
    if row_map is None:
        numbered = f"SELECT *, {row_sql} AS source_row, {empty} AS _empty FROM {relation}"
    else:
        numbered = (f"SELECT r.*, m.source_row, {empty} AS _empty FROM {relation} r "
                    f"JOIN {row_map} m ON m.k = r.rowid")
    # a view: numbering, the empty-row flag and parsing are materialised in one pass
    # when the columns are staged (staging.stage)
    con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS {numbered}")
    if not structure_ok:
        texts = {i: f"c{i}" for i in range(len(header.headers))
                 if types.get(f"c{i}") == "VARCHAR"}
        if texts:
            findings += control_findings(
                con, source, header, view, texts,
                control_sql([quote_ident(name) for name in texts.values()]))
    raw = RawTable(source, view, header, types, 0, structure_ok, relation,
                   frozenset(text_indexes), marker_columns, relation_kind)
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
    names, delimiter, newline = _read_header(source)
    headers, header_findings = _checked_headers(names, source, key)
    header = map_headers(TABLES[source.table], headers, source.name)
    findings = header_findings + list(header.findings)
    inner_blank_lines = _scan_body(source, newline)
    optimise_for_width(con, len(headers))
    relation = f"raw_{source.table}"
    rejects = f"rejects_{source.table}"
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers))) + "}"
    gz = source.path.name.lower().endswith(".gz")
    # line breaks and compression are stated, not guessed: DuckDB knows .gz only in
    # lower case (REFERRALS.CSV.GZ would be read as bytes)
    scan = (f"read_csv({duckdb_path(source.path)}, header=true, "
            f"delim={quote_literal(delimiter)}, quote='\"', escape='\"', auto_detect=false, "
            f"columns={columns}, strict_mode=true, null_padding=false, "
            f"compression={quote_literal('gzip' if gz else 'none')}, "
            + (f"new_line='\\r', " if newline == "\r" else "")
            + f"max_line_size=2097152, store_rejects=true, ignore_errors=true, "
            f"rejects_table={quote_literal(rejects)}, "
            f"rejects_scan={quote_literal(rejects + '_scan')})")
    select = _select_sql(header, source.table, key, {}, scan)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {relation} AS {select}")
        rejected = con.execute(
            f"SELECT DISTINCT line, error_type FROM {rejects} ORDER BY line").fetchall()
    except duckdb.Error as exc:
        raise unreadable("CSV file", exc) from None
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
    if not rejected and inner_blank_lines:
        row_map = _register_row_map(con, source, delimiter)
    return _finish(con, source, header, key, relation, findings, row_map=row_map,
                   structure_ok=not rejected)


def _scan_body(source: SourceFile, newline: str) -> bool:
    """Whether the file has blank lines before its last row (DuckDB skips them).

    Reading the whole file also proves a .gz file complete: DuckDB reads a truncated
    or corrupt gzip stream silently up to the damage, so a damaged file would lose
    its last rows without a word.
    """
    patterns = (b"\r\r",) if newline == "\r" else (b"\n\n", b"\n\r\n")
    blank_seen = False
    inner = False
    tail = b""
    try:
        with _open_binary(source) as handle:
            for block in iter(lambda: handle.read(1 << 24), b""):
                if inner:
                    continue  # read on to the end: the gzip check needs every byte
                chunk = tail + block
                if blank_seen and chunk.strip(b"\r\n"):
                    inner = True
                    continue
                for pattern in patterns:
                    at = chunk.find(pattern)
                    if at >= 0:
                        if chunk[at:].strip(b"\r\n"):
                            inner = True
                        blank_seen = True
                tail = block[-2:]
    except _DECOMPRESSION_ERRORS as exc:
        raise _compression_problem(source, exc) from None
    except OSError as exc:
        raise FileProblem("unreadable_file",
                          f"a readable file ({exc.strerror or type(exc).__name__})") from None
    return inner


def _register_row_map(con, source: SourceFile, delimiter: str) -> str:
    """Table ``rows_<table>(k, source_row)``: DuckDB record index → spreadsheet row.

    Only needed when blank lines sit between rows: DuckDB skips them, a spreadsheet
    shows them. Python's csv reader returns them as empty records.
    """
    import pyarrow as pa

    ks, rows = [], []
    with _open_binary(source) as handle, field_limit():
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            next(reader, None)
            for spreadsheet_row, record in enumerate(reader, start=2):
                if record:
                    ks.append(len(ks))
                    rows.append(spreadsheet_row)
        except (csv.Error, UnicodeDecodeError):
            pass  # numbered as far as read; _finish falls back if the counts differ
    name = f"rows_{source.table}"
    con.register("_row_map", pa.table({"k": pa.array(ks, pa.int64()),
                                       "source_row": pa.array(rows, pa.int64())}))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _row_map")
    con.unregister("_row_map")
    return name


# ---------------------------------------------------------------- Parquet

_NESTED = ("STRUCT", "MAP", "UNION")


def _nested(duckdb_type: str) -> bool:
    return duckdb_type.startswith(_NESTED) or duckdb_type.endswith("]")


def _load_parquet(con, source: SourceFile, key: bytes | None):
    import pyarrow.parquet as pq

    try:
        # the file's own field names: DuckDB renames a repeated name (a, a_1)
        names = pq.ParquetFile(source.path).schema_arrow.names
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise FileProblem("unreadable_file", "a readable Parquet file: "
                          + duckdb_reason(exc)) from None
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        shown = ", ".join(printable(pseudonymise.mask(n)) for n in repeated)
        raise FileProblem("duplicate_header", f"each column name once; this Parquet file "
                          f"has more than one column named {shown}", 1)
    scan = f"read_parquet({duckdb_path(source.path)})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise unreadable("Parquet file", exc) from None
    nested = [f"{printable(pseudonymise.mask(row[0]))} ({row[1].split('(')[0]})"
              for row in described if _nested(row[1])]
    if nested:
        raise FileProblem("nested_column", "flat columns (text, numbers, dates, true/false); "
                          "nested or list columns cannot be read: " + ", ".join(nested)
                          + ". Flatten them, or leave them out of the file", 1)
    headers, header_findings = _checked_headers([row[0] for row in described], source, key)
    raw_types = {f"c{i}": row[1] for i, row in enumerate(described)}
    header = map_headers(TABLES[source.table], headers, source.name)
    optimise_for_width(con, len(headers))
    renamed = ", ".join(f"{quote_ident(row[0])} AS {quote_ident(f'c{i}')}"
                        for i, row in enumerate(described))
    relation = f"raw_{source.table}"
    if "file_row_number" not in {name.lower() for name in names}:
        # a view, not a table: the file is read once, when it is staged, straight
        # into the staged table (its typed columns never pass through text)
        numbered = f"read_parquet({duckdb_path(source.path)}, file_row_number = true)"
        select = _select_sql(header, source.table, key, raw_types,
                             f"(SELECT {renamed}, file_row_number FROM {numbered})",
                             keep="file_row_number")
        kind, row_sql = "VIEW", "file_row_number + 2"
        # the view's types are known (text columns are made text): describing it
        # would plan its whole statement once more
        texts = set(_text_indexes(header, source.table))
        types = {name: "VARCHAR" if i in texts else raw_types[name]
                 for i, name in enumerate(raw_types)}
    else:  # DuckDB cannot number the rows of a file with a column of that name
        select = _select_sql(header, source.table, key, raw_types,
                             f"(SELECT {renamed} FROM {scan})")
        kind, row_sql, types = "TABLE", "rowid + 2", None
    try:
        con.execute(f"CREATE OR REPLACE {kind} {relation} AS {select}")
        return _finish(con, source, header, key, relation,
                       header_findings + list(header.findings), row_sql=row_sql,
                       relation_kind=kind, types=types)
    except duckdb.Error as exc:
        raise unreadable("Parquet file", exc) from None


# ---------------------------------------------------------------- Excel

def _percent_format(number_format: str | None) -> bool:
    """Whether a cell's number format shows its value as a percentage (``0%``, ``0.0%``).

    A ``%`` inside quotes or after a backslash is printed as is, without scaling.
    """
    if not number_format or "%" not in number_format:
        return False
    unquoted = "".join(part for i, part in enumerate(number_format.split('"')) if i % 2 == 0)
    return "%" in unquoted.replace("\\%", "")


def _cell_text(value, number_format: str | None = None) -> str | None:
    """A cell's value as the text a CSV of the sheet would hold: the value as shown.

    A number formatted as a percentage is read as shown: 0.9 shown as 90% reads 90.
    """
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
    if isinstance(value, (int, float)) and _percent_format(number_format):
        try:  # in decimal, so 0.29 becomes 29, not 28.999999999999996
            return format((Decimal(repr(value)) * 100).normalize(), "f")
        except InvalidOperation:
            return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        # written out, as the cell shows it: str() would give 1e-05, not a plain number
        return format(Decimal(repr(value)), "f")
    text = str(value).strip()
    return text or None


def _refuse_non_xlsx(source: SourceFile) -> None:
    """A clear error for an encrypted workbook or an old .xls named .xlsx.

    Both are OLE compound files, not the zip of an .xlsx: Excel saves a workbook with
    a password as an OLE file holding an ``EncryptedPackage`` stream (MS-OFFCRYPTO).
    """
    try:
        with open(source.path, "rb") as handle:
            if handle.read(8) != _OLE_MAGIC:
                return
            marker = "EncryptedPackage".encode("utf-16-le")
            tail = b""
            for block in iter(lambda: handle.read(1 << 20), b""):
                if marker in tail + block:
                    raise FileProblem(
                        "encrypted_workbook", "a workbook without a password; this one is "
                        "password-protected (encrypted). Open it in Excel, remove the "
                        "password (File > Info > Protect Workbook) and save it again", 1)
                tail = block[-len(marker):]
    except OSError as exc:
        raise FileProblem("unreadable_file",
                          f"a readable file ({exc.strerror or type(exc).__name__})") from None
    raise FileProblem("unsupported_format", "an .xlsx workbook; this is an older Excel "
                      ".xls file (or another OLE file) named .xlsx: save it as .xlsx", 1)


def _has_formulas(workbook, sheet) -> bool:
    """Whether the sheet's XML holds any formula (a cheap byte search, no parsing)."""
    archive = getattr(workbook, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:
        return True  # cannot tell: check cell by cell
    tail = b""
    with archive.open(path) as xml:
        for block in iter(lambda: xml.read(1 << 20), b""):
            chunk = tail + block
            if any(tag in chunk for tag in (b"<f>", b"<f ", b"<f/>", b":f>", b":f ")):
                return True
            tail = block[-4:]
    return False


def _open_workbook(source: SourceFile, data_only: bool):
    import openpyxl

    # a file object, not a name: openpyxl would refuse MEASURES.XLSX by its extension
    handle = open(source.path, "rb")
    try:
        return openpyxl.load_workbook(handle, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        handle.close()
        raise FileProblem("unreadable_file",
                          f"a readable .xlsx workbook ({type(exc).__name__})") from None


def _load_xlsx(con, source: SourceFile, key: bytes | None):
    import pyarrow as pa

    _refuse_non_xlsx(source)
    workbook = _open_workbook(source, data_only=True)
    formulas_book = None
    uncalculated: dict[int, list[int]] = {}
    try:
        if not workbook.worksheets:
            raise FileProblem("empty_file", "a worksheet; the workbook has none", 1)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows()
        formula_rows = None
        if _has_formulas(workbook, sheet):
            # the saved values come from one reading, the formulas from another: a
            # formula with no saved value (a file written by a program that does not
            # calculate) reads as an empty cell otherwise
            formulas_book = _open_workbook(source, data_only=False)
            formula_rows = formulas_book.worksheets[0].iter_rows(values_only=True)
            next(formula_rows, None)
        first = next(rows, None)
        if first is None or not any(c.value is not None for c in first):
            raise FileProblem("empty_file", "a header row naming the columns in row 1 of "
                              "the first sheet", 1)
        names = [(_cell_text(c.value) or "") for c in first]
        while names and not names[-1]:
            names.pop()
        width = len(names)
        values: list[list[str | None]] = [[] for _ in range(width)]
        source_rows: list[int] = []
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(c.value, getattr(c, "number_format", None))
                     for c in row[:width]]
            if formula_rows is not None:
                formulas = next(formula_rows, ())
                for index, (cell, formula) in enumerate(zip(cells, formulas[:width])):
                    if cell is None and formula is not None and (
                            not isinstance(formula, str) or formula.startswith("=")):
                        uncalculated.setdefault(index, []).append(number)
            if not any(c is not None for c in cells):
                continue  # spreadsheets carry many blank rows; they hold nothing
            cells += [None] * (width - len(cells))
            for column, cell in zip(values, cells):
                column.append(cell)
            source_rows.append(number)
    finally:
        workbook.close()
        if formulas_book is not None:
            formulas_book.close()
    headers, header_findings = _checked_headers(names, source, key)
    header = map_headers(TABLES[source.table], headers, source.name)
    findings = header_findings + list(header.findings)
    for index, numbers in uncalculated.items():
        findings.append(Finding(
            "error", "uncalculated_formula", source.name, headers[index] or None,
            "a saved value; this cell holds a formula that was never calculated (the "
            "workbook was written by a program that does not calculate). Open it in "
            "Excel or LibreOffice and save it again", count=len(numbers),
            examples=tuple(Example(n) for n in numbers[:MAX_SHOWN])))
    optimise_for_width(con, width)
    arrow = pa.table({**{f"c{i}": pa.array(v, pa.string()) for i, v in enumerate(values)},
                      "xl_row": pa.array(source_rows, pa.int64())})
    con.register("_xlsx_source", arrow)
    relation = f"raw_{source.table}"
    select = _select_sql(header, source.table, key, {}, "_xlsx_source", keep="xl_row")
    con.execute(f"CREATE OR REPLACE TABLE {relation} AS {select}")
    con.unregister("_xlsx_source")
    return _finish(con, source, header, key, relation, findings, row_sql="xl_row")
