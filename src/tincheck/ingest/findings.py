"""What validation finds: errors and warnings, each with file, row, column and value.

A :class:`Finding` is one broken rule in one column of one file, with how many rows
break it and the first few of them (row numbers count as a spreadsheet user counts:
the header is row 1). Errors stop the audit; warnings are kept for the report's data
quality section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_SHOWN = 50

# Control characters that never belong in a value: C0 except tab, line feed and
# carriage return (a quoted CSV value may span lines), DEL and the C1 controls.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}\t\r\n]")

# Rules that say a whole file or table could not be used: listed before every
# row-level error, since the errors they cause elsewhere (a foreign key into an
# unreadable or empty table) are only consequences.
FILE_RULES = frozenset({
    "missing_folder", "missing_file", "unsupported_format", "duplicate_table",
    "unreadable_file", "damaged_gzip", "encrypted_workbook", "empty_file", "encoding",
    "long_header", "nested_column", "pseudonym_key", "no_rows", "missing_column",
    "duplicate_header", "ambiguous_column", "csv_structure"})
# ... and then the one-line summaries of the rows those tables leave unchecked
CONSEQUENCE_RULES = frozenset({"parent_unusable"})


def printable(text: str) -> str:
    """``text`` with every control character (tab and line breaks too) written as an
    escape such as ``\\x1b``, so that a quoted value cannot drive a terminal.

    >>> printable("a\\x1b[31mb")
    'a\\\\x1b[31mb'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class Example:
    """One offending row: its spreadsheet row number and the value as found.

    ``value`` is None when the cell was empty, or when it may not be quoted (an
    identifier column, or a value that looks like an NHS number).
    """

    row: int | None
    value: str | None = None


@dataclass(frozen=True)
class Finding:
    """One rule broken in one place, with the number of rows that break it."""

    severity: str  # "error" or "warning"
    rule: str
    file: str
    column: str | None
    expected: str
    count: int = 1
    examples: tuple[Example, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def lines(self) -> list[dict]:
        """One dict per shown row: file, row, column, value, expected."""
        examples = self.examples or (Example(None),)
        return [
            {
                "file": self.file,
                "row": ex.row,
                "column": self.column,
                "value": ex.value,
                "expected": self.expected,
                "rule": self.rule,
            }
            for ex in examples
        ]

    def sentence(self) -> str:
        """The finding as one readable sentence (used for warnings in reports)."""
        where = self.file + (f", column {self.column}" if self.column else "")
        rows = [str(e.row) for e in self.examples if e.row is not None]
        shown = ", ".join(rows[:5]) + (", …" if self.count > 5 else "")
        rows_text = f" (rows {shown})" if rows else ""
        count = f"{self.count} row{'s' if self.count != 1 else ''}: " if rows else ""
        return f"{where}: {count}{self.expected}{rows_text}"


@dataclass
class ValidationReport:
    """Every finding of one validation run.

    ``synthetic`` is true when the folder's manifest.json marks it as synthetic data.
    """

    findings: list[Finding] = field(default_factory=list)
    synthetic: bool = False

    def add(self, finding: Finding | None) -> None:
        if finding is not None and finding.count > 0:
            self.findings.append(finding)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def error_count(self) -> int:
        """Offending rows over all error findings (a file-level error counts once)."""
        return sum(f.count for f in self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_lines(self, limit: int = MAX_SHOWN) -> list[dict]:
        """The first ``limit`` error rows: whole-file problems (an unreadable, empty or
        structurally broken file, a missing column) first, then by file, row and column.
        """
        lines = [line for f in self.errors for line in f.lines()]
        def rank(rule: str) -> int:
            return 0 if rule in FILE_RULES else 1 if rule in CONSEQUENCE_RULES else 2
        lines.sort(key=lambda d: (rank(d["rule"]), d["file"], d["row"] or 0,
                                  d["column"] or ""))
        return lines[:limit]

    def to_dict(self, limit: int = MAX_SHOWN) -> dict:
        shown = self.error_lines(limit)
        return {
            "ok": self.ok,
            "synthetic": self.synthetic,
            "error_count": self.error_count,
            "errors_shown": len(shown),
            "errors": shown,
            "warnings": [
                {"file": w.file, "column": w.column, "rule": w.rule, "count": w.count,
                 "rows": [e.row for e in w.examples if e.row is not None],
                 "message": w.sentence()}
                for w in self.warnings
            ],
        }


class DataError(Exception):
    """The data broke validation rules; ``report`` lists every finding."""

    def __init__(self, report: ValidationReport):
        self.report = report
        first = report.error_lines(1)
        where = ""
        if first:
            line = first[0]
            where = f" First: {line['file']} row {line['row']}, column {line['column']}: " \
                    f"expected {line['expected']}."
        super().__init__(
            f"the data has {report.error_count} error(s); run `tincheck validate` to list "
            f"them.{where}"
        )
