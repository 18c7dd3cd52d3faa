"""Read a REDCap flat export (CSV, raw data) into a table of text, row numbers kept.

REDCap's "CSV / Microsoft Excel (raw data)" export, and the API's ``content=record,
type=flat, format=csv``, write one row per record x event (x repeat instance), a
header row of variable names (``record_id``, ``redcap_event_name``,
``redcap_repeat_instrument``, ``redcap_repeat_instance``, then the project's fields in
data dictionary order, checkbox options as ``field___code``), UTF-8 text, and empty
cells for fields outside the row's event or instrument. The delimiter is a comma
unless the export chose another (tab, semicolon, pipe or caret).

Rows are numbered as a spreadsheet user counts (header = row 1); a value holding a
line break stays in one row, a blank line counts as a row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..ingest.findings import Example, Finding
from ..safecsv import read_records

ROW = "__row"
EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
DELIMITERS = (",", "\t", ";", "|", "^")
MAX_SHOWN = 50


@dataclass(frozen=True)
class Export:
    """A REDCap export as text: one column per header (``""`` when empty) and ``ROW``."""

    file: str
    headers: list[str]
    table: pd.DataFrame


def read_export(path: str | Path) -> tuple[Export | None, list[Finding]]:
    """Read ``path``; the export is None when the file cannot be read as a table."""
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [_file_error("missing_file", name, f"an export file at {path} "
                                  "(no such file)")]
    except OSError as exc:
        return None, [_file_error("unreadable_file", name, f"a readable file ({exc.strerror})")]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [_file_error("encoding", name, "UTF-8 text, as REDCap writes it; this "
                                  "file is UTF-16 (was it re-saved by a spreadsheet?)", 1)]
    if b"\x00" in data:
        row = data[:data.index(b"\x00")].count(b"\n") + 1
        return None, [_file_error("encoding", name, "a text CSV file; this looks like binary "
                                  "data (an .xlsx file renamed?)", row)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        return None, [_file_error("encoding", name, "UTF-8 text, as REDCap writes it; this "
                                  "row holds bytes that are not UTF-8 (re-saved by a "
                                  "spreadsheet? export again from REDCap)", row)]
    if not text.strip():
        return None, [_file_error("empty_file", name, "a header row of REDCap variable names; "
                                  "the file is empty", 1)]
    first = text.splitlines()[0]
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) \
        else ","
    try:
        records = read_records(text, delimiter)
    except csv.Error as exc:
        return None, [_file_error("csv_structure", name, f"a well-formed CSV file ({exc})",
                                  exc.line)]
    headers = [h.strip() for h in records[0]]
    findings = _header_findings(headers, name)
    if findings:
        return None, findings
    rows, ragged = [], []
    for number, fields in enumerate(records[1:], 2):
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line: no record
        if len(fields) != len(headers):
            ragged.append((number, len(fields)))
            continue
        rows.append([number, *(f.strip() for f in fields)])
    if ragged:
        findings.append(Finding(
            "error", "csv_structure", name, None,
            f"{len(headers)} values as in the header row; this row has "
            f"{'more' if ragged[0][1] > len(headers) else 'fewer'} (a value with an "
            f"unquoted delimiter, or a broken quote?)", count=len(ragged),
            examples=tuple(Example(n, f"{k} values") for n, k in ragged[:MAX_SHOWN])))
    table = pd.DataFrame(rows, columns=[ROW, *headers], dtype=object)
    table[ROW] = table[ROW].astype("int64")
    return Export(name, headers, table), findings


def _header_findings(headers: list[str], name: str) -> list[Finding]:
    findings = []
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            findings.append(Finding("error", "empty_header", name, None,
                                    f"a variable name for column {index + 1}",
                                    examples=(Example(1),)))
        elif header in seen:
            findings.append(Finding("error", "duplicate_header", name, header,
                                    f"each variable once; it is also column {seen[header] + 1}",
                                    examples=(Example(1, header),)))
        else:
            seen[header] = index
    return findings


def _file_error(rule: str, name: str, expected: str, row: int | None = None) -> Finding:
    return Finding("error", rule, name, None, expected,
                   examples=(Example(row),) if row is not None else ())
