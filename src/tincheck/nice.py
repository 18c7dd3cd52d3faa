"""NICE's recommended doses and first treatment steps, as data, and their loader.

Two tables ship in ``tincheck/data/``:

- ``nice_dose.csv``: the number of sessions (or therapist hours) NICE recommends for a
  problem, step (low or high intensity) and therapy;
- ``nice_steps.csv``: whether NICE recommends low intensity as a first step for a
  problem (``yes``, ``conditional`` on something routine data do not record, or ``no``).

Every row names its guideline, its recommendation, the words that give the figure
(``quote``), where they were read (``url``), what kind of source that is
(``source_kind``) and whether the figure was seen in the guideline's own text
(``verified``: ``yes``; ``via_reproduction``, NICE's numbered text copied word for word
by a third party; ``no``, a secondary source only). The audit applies the rows marked
``use = yes`` (by default: current guidance verified in NICE's text); the others are kept
so that a reader can see what was looked for and not found. A service may pass its own
tables with the same columns (``tincheck audit --dose-table``, ``--step-table``).

Problem descriptors (ICD-10) map to the tables' problems by :data:`PROBLEMS`. The
depression severities follow the ICD-10 titles (F32.0 "mild depressive episode" is
NG222's less severe depression; moderate and severe episodes are its more severe
depression): that mapping is tincheck's reading, stated in ``docs/nice.md``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import codes

__all__ = ["DOSE_COLUMNS", "PROBLEMS", "STEP_COLUMNS", "DoseRow", "NiceTableError",
           "NiceTables", "Problem", "StepRow", "load_nice_tables", "problem_of"]


@dataclass(frozen=True)
class Problem:
    """A problem the NICE tables speak of, and the ICD-10 descriptors that mean it."""

    key: str
    label: str
    icd10: tuple[str, ...]
    note: str = ""


PROBLEMS: dict[str, Problem] = {p.key: p for p in (
    Problem("depression_less_severe", "Depression, less severe", ("F32.0", "F33.0"),
            "ICD-10 mild episodes (NG222's 'less severe')"),
    Problem("depression_more_severe", "Depression, more severe",
            ("F32.1", "F32.2", "F32.3", "F33.1", "F33.2", "F33.3"),
            "ICD-10 moderate and severe episodes (NG222's 'more severe')"),
    Problem("depression", "Depression, severity not recorded", ("F32", "F33"),
            "other F32/F33 codes (e.g. F32.9 unspecified): NG222's tables need the severity"),
    Problem("gad", "Generalised anxiety disorder", ("F41.1",)),
    Problem("panic", "Panic disorder", ("F41.0",)),
    Problem("social_anxiety", "Social anxiety disorder", ("F40.1",)),
    Problem("ptsd", "Post-traumatic stress disorder", ("F43.1",)),
    Problem("ocd", "Obsessive-compulsive disorder", ("F42",)),
    Problem("bdd", "Body dysmorphic disorder", (),
            "ICD-10 files body dysmorphic disorder under F45.2 with hypochondriasis, which "
            "NHS Talking Therapies records as health anxiety: no descriptor maps to it"),
)}

INTENSITIES = ("low", "high")
VERIFIED = ("yes", "via_reproduction", "no")
STATUSES = ("current", "superseded")
RULES = ("yes", "conditional", "no")
ANY_THERAPY = "*"
DOSE_COLUMNS = ("id", "problem", "intensity", "therapy", "therapy_codes", "min_sessions",
                "max_sessions", "min_hours", "max_hours", "session_minutes", "guideline",
                "recommendation", "quote", "url", "source_kind", "verified", "status",
                "use", "note")
STEP_COLUMNS = ("id", "problem", "low_intensity_first", "guideline", "recommendation",
                "quote", "url", "source_kind", "verified", "use", "note")
# the citation every row must carry
CITATION = ("guideline", "recommendation", "quote", "url", "source_kind")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
MAX_SHOWN = 20


def problem_of(descriptor: str | None) -> str | None:
    """The problem key of an ICD-10 problem descriptor (longest prefix wins); None when
    there is no descriptor or no problem covers it.

    >>> problem_of("F32.1"), problem_of("F32.9"), problem_of("F41.2"), problem_of(None)
    ('depression_more_severe', 'depression', None, None)
    """
    if not descriptor:
        return None
    matches = [(len(prefix), key) for key, p in PROBLEMS.items() for prefix in p.icd10
               if descriptor.startswith(prefix)]
    return max(matches)[1] if matches else None


def problem_prefixes() -> list[tuple[str, str]]:
    """(ICD-10 prefix, problem key), longest prefix first: the order a CASE tests them."""
    pairs = [(prefix, key) for key, p in PROBLEMS.items() for prefix in p.icd10]
    return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))


@dataclass(frozen=True)
class DoseRow:
    """One row of the dose table (see the module docstring for the columns)."""

    id: str
    problem: str
    intensity: str
    therapy: str
    therapy_codes: tuple[str, ...]
    min_sessions: float | None
    max_sessions: float | None
    min_hours: float | None
    max_hours: float | None
    session_minutes: str
    guideline: str
    recommendation: str
    quote: str
    url: str
    source_kind: str
    verified: str
    status: str
    use: bool
    note: str

    @property
    def applied(self) -> bool:
        """Whether the audit compares sessions with this row: marked for use, current,
        matched to therapy types of the data model, and giving a number of sessions."""
        return (self.use and self.status == "current" and bool(self.therapy_codes)
                and (self.min_sessions is not None or self.max_sessions is not None))

    def range_text(self) -> str:
        """'6–8 sessions', '8 sessions', 'at least 12 sessions', 'up to 10 hours', ..."""
        for low, high, unit in ((self.min_sessions, self.max_sessions, "sessions"),
                                (self.min_hours, self.max_hours, "hours")):
            if low is None and high is None:
                continue
            low_text, high_text = (_number_text(v) for v in (low, high))
            if low is not None and high is not None:
                return f"{low_text} {unit}" if low == high else f"{low_text}–{high_text} {unit}"
            if high is None:  # a minimum of hours alone is exclusive (CG31: "more than")
                return f"{'more than' if unit == 'hours' else 'at least'} {low_text} {unit}"
            return f"up to {high_text} {unit}"
        return "no number given"


@dataclass(frozen=True)
class StepRow:
    """One row of the first-step table (see the module docstring for the columns)."""

    id: str
    problem: str
    low_intensity_first: str
    guideline: str
    recommendation: str
    quote: str
    url: str
    source_kind: str
    verified: str
    use: bool
    note: str


class NiceTableError(ValueError):
    """A dose or step table broke a rule; ``problems`` lists each one.

    Each problem is a dict with file, row (the header is row 1), column, value and
    expected.
    """

    def __init__(self, problems: list[dict]):
        self.problems = problems
        lines = [f"{p['file']} row {p['row']}, column {p['column']}: value {p['value']!r}, "
                 f"expected {p['expected']}" if p["row"] is not None
                 else f"{p['file']}: {p['expected']}" for p in problems[:MAX_SHOWN]]
        if len(problems) > MAX_SHOWN:
            lines.append(f"... and {len(problems) - MAX_SHOWN} more")
        super().__init__(f"{len(problems)} problem(s) in the NICE tables:\n  "
                         + "\n  ".join(lines))


@dataclass(frozen=True)
class NiceTables:
    """The dose and first-step tables an audit applies, and where they came from."""

    dose: tuple[DoseRow, ...]
    steps: tuple[StepRow, ...]
    dose_source: str = "tincheck"
    steps_source: str = "tincheck"

    def applied_dose(self) -> list[tuple[str, str, str, DoseRow]]:
        """(problem, intensity, therapy code or '*', row) for every applied dose row."""
        return [(row.problem, row.intensity, code, row) for row in self.dose if row.applied
                for code in row.therapy_codes]

    def applied_rules(self) -> dict[str, tuple[str, tuple[StepRow, ...]]]:
        """problem → (rule, the rows it rests on), from the rows marked for use."""
        rules: dict[str, list[StepRow]] = {}
        for row in self.steps:
            if row.use:
                rules.setdefault(row.problem, []).append(row)
        return {p: (rows[0].low_intensity_first, tuple(rows)) for p, rows in rules.items()}

    def dose_sql(self) -> str:
        """Portable SQL selecting the applied dose rows, one per therapy code (the
        lookup table the dose metrics join on)."""
        rows = [f"SELECT {_text(p)} AS problem, {_text(i)} AS intensity, {_text(c)} AS "
                f"therapy, {_real(r.min_sessions)} AS min_sessions, {_real(r.max_sessions)} "
                f"AS max_sessions, {_text(r.id)} AS dose_id, {_text(r.verified)} AS "
                f"dose_verified" for p, i, c, r in self.applied_dose()]
        return " UNION ALL ".join(rows) if rows else (
            "SELECT CAST(NULL AS STRING) AS problem, CAST(NULL AS STRING) AS intensity, "
            "CAST(NULL AS STRING) AS therapy, CAST(NULL AS DOUBLE) AS min_sessions, "
            "CAST(NULL AS DOUBLE) AS max_sessions, CAST(NULL AS STRING) AS dose_id, "
            "CAST(NULL AS STRING) AS dose_verified WHERE 1 = 0")

    def steps_sql(self) -> str:
        """Portable SQL selecting one first-step rule per problem."""
        rows = [f"SELECT {_text(p)} AS problem, {_text(rule)} AS step_rule, "
                f"{_text(_weakest(r.verified for r in rows))} AS step_verified"
                for p, (rule, rows) in sorted(self.applied_rules().items())]
        return " UNION ALL ".join(rows) if rows else (
            "SELECT CAST(NULL AS STRING) AS problem, CAST(NULL AS STRING) AS step_rule, "
            "CAST(NULL AS STRING) AS step_verified WHERE 1 = 0")


def _weakest(values) -> str:
    """The least certain of several ``verified`` values (a rule is as sure as its
    least verified support)."""
    values = list(values)
    return max(values, key=VERIFIED.index) if values else "no"


def _text(value: str) -> str:
    # only codes and ids (checked by _ID and the code lists) ever reach SQL
    if not _ID.match(value) and value != ANY_THERAPY:
        raise ValueError(f"not a safe SQL literal: {value!r}")
    return f"'{value}'"


def _real(value: float | None) -> str:
    return "CAST(NULL AS DOUBLE)" if value is None else f"CAST({float(value)!r} AS DOUBLE)"


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


# ------------------------------------------------------------------ reading

def _shipped_text(name: str) -> str:
    return resources.files("tincheck").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _records(text: str, name: str, columns: tuple[str, ...]) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [c.strip() for c in (reader.fieldnames or [])]
    absent = [c for c in columns if c not in header]
    if absent:
        raise NiceTableError([{"file": name, "row": 1, "column": ", ".join(absent),
                               "value": None,
                               "expected": f"a header with the columns {', '.join(columns)} "
                                           f"(found {', '.join(header) or 'none'})"}])
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in record.items() if k is not None}
            for record in reader]


class _Checker:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[dict] = []

    def fail(self, row, column, value, expected):
        self.problems.append({"file": self.name, "row": row, "column": column,
                              "value": value, "expected": expected})

    def one_of(self, row, record, column, allowed):
        if record[column] not in allowed:
            self.fail(row, column, record[column], f"one of {', '.join(allowed)}")

    def number(self, row, record, column) -> float | None:
        text = record[column]
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or value != value or value < 0 or value == float("inf"):
            self.fail(row, column, text, "a non-negative number, or empty")
            return None
        return value

    def common(self, row, record, seen: dict):
        if not _ID.match(record["id"]):
            self.fail(row, "id", record["id"], "an id of letters, digits, '.', '_', ':' "
                      "or '-'")
        elif record["id"] in seen:
            self.fail(row, "id", record["id"], f"a unique id (also in row {seen[record['id']]})")
        seen.setdefault(record["id"], row)
        self.one_of(row, record, "problem", tuple(PROBLEMS))
        for column in CITATION:
            if not record[column]:
                self.fail(row, column, record[column],
                          "a citation: guideline, recommendation, quote, url and "
                          "source_kind are all needed")
        self.one_of(row, record, "verified", VERIFIED)
        self.one_of(row, record, "use", ("yes", "no"))


def read_dose_table(path: str | Path | None = None) -> tuple[DoseRow, ...]:
    """The dose table: the shipped one, or a service's own CSV with the same columns.

    Raises :class:`NiceTableError` listing every problem (file, row, column, value,
    expected).
    """
    name = "nice_dose.csv" if path is None else Path(path).name
    text = _shipped_text("nice_dose.csv") if path is None else _read(path)
    check = _Checker(name)
    rows, seen = [], {}
    for position, record in enumerate(_records(text, name, DOSE_COLUMNS)):
        row = position + 2
        check.common(row, record, seen)
        check.one_of(row, record, "intensity", INTENSITIES)
        check.one_of(row, record, "status", STATUSES)
        group = codes.in_group("therapy_type", record["intensity"]) \
            if record["intensity"] in INTENSITIES else ()
        therapy_codes = tuple(c.strip() for c in record["therapy_codes"].split("|")
                              if c.strip())
        for code in therapy_codes:
            if code != ANY_THERAPY and code not in group:
                check.fail(row, "therapy_codes", record["therapy_codes"],
                           f"therapy types of {record['intensity']} intensity separated by "
                           f"'|' ({', '.join(group)}), '*' for any, or empty")
                break
        numbers = {c: check.number(row, record, c)
                   for c in ("min_sessions", "max_sessions", "min_hours", "max_hours")}
        for low, high in (("min_sessions", "max_sessions"), ("min_hours", "max_hours")):
            if None not in (numbers[low], numbers[high]) and numbers[low] > numbers[high]:
                check.fail(row, low, record[low], f"at most {high} ({record[high]})")
        rows.append(DoseRow(
            record["id"], record["problem"], record["intensity"], record["therapy"],
            therapy_codes, numbers["min_sessions"], numbers["max_sessions"],
            numbers["min_hours"], numbers["max_hours"], record["session_minutes"],
            *(record[c] for c in ("guideline", "recommendation", "quote", "url",
                                  "source_kind", "verified", "status")),
            record["use"] == "yes", record["note"]))
    keys: dict[tuple, DoseRow] = {}
    for position, row in enumerate(rows):
        if not row.applied:
            continue
        for code in row.therapy_codes:
            key = (row.problem, row.intensity, code)
            if key in keys:
                check.fail(position + 2, "therapy_codes", row.therapy_codes and "|".join(
                    row.therapy_codes), f"one applied row per problem, intensity and therapy "
                    f"({'/'.join(key)} is also applied by row {keys[key].id})")
            keys.setdefault(key, row)
    if check.problems:
        raise NiceTableError(check.problems)
    return tuple(rows)


def read_step_table(path: str | Path | None = None) -> tuple[StepRow, ...]:
    """The first-step table: the shipped one, or a service's own CSV with its columns.

    Raises :class:`NiceTableError` listing every problem.
    """
    name = "nice_steps.csv" if path is None else Path(path).name
    text = _shipped_text("nice_steps.csv") if path is None else _read(path)
    check = _Checker(name)
    rows, seen, rules = [], {}, {}
    for position, record in enumerate(_records(text, name, STEP_COLUMNS)):
        row = position + 2
        check.common(row, record, seen)
        check.one_of(row, record, "low_intensity_first", RULES)
        if record["use"] == "yes" and record["low_intensity_first"] in RULES:
            first = rules.setdefault(record["problem"], (record["low_intensity_first"], row))
            if first[0] != record["low_intensity_first"]:
                check.fail(row, "low_intensity_first", record["low_intensity_first"],
                           f"the rule of the other row used for {record['problem']} "
                           f"(row {first[1]}: {first[0]})")
        rows.append(StepRow(record["id"], record["problem"], record["low_intensity_first"],
                            *(record[c] for c in ("guideline", "recommendation", "quote",
                                                  "url", "source_kind", "verified")),
                            record["use"] == "yes", record["note"]))
    if check.problems:
        raise NiceTableError(check.problems)
    return tuple(rows)


def _read(path: str | Path) -> str:
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NiceTableError([{"file": str(path), "row": None, "column": None, "value": None,
                               "expected": "a CSV file (file not found)"}]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NiceTableError([{"file": str(path), "row": None, "column": None, "value": None,
                               "expected": f"a readable UTF-8 CSV file ({exc})"}]) from None


def load_nice_tables(dose: str | Path | None = None,
                     steps: str | Path | None = None) -> NiceTables:
    """The dose and first-step tables: tincheck's, or a service's own files.

    >>> tables = load_nice_tables()
    >>> sorted({(p, i, row.range_text()) for p, i, _, row in tables.applied_dose()})[0]
    ('depression_less_severe', 'low', '6–8 sessions')
    >>> tables.applied_rules()["ptsd"][0]
    'no'
    """
    return NiceTables(read_dose_table(dose), read_step_table(steps),
                      "tincheck" if dose is None else Path(dose).name,
                      "tincheck" if steps is None else Path(steps).name)


# ------------------------------------------------------------------ docs/nice.md

DOCS_START = "<!-- nice-tables:start (generated by tools/make_docs.py; do not edit) -->"
DOCS_END = "<!-- nice-tables:end -->"
SEEN = {"yes": "yes", "via_reproduction": "yes, as reproduced word for word",
        "no": "**no**"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(tables: NiceTables | None = None) -> str:
    """The problems, the dose table and the first-step table as Markdown, every row with
    its citation (docs/nice.md; generated, never hand-edited)."""
    tables = tables or load_nice_tables()
    lines = ["### Problems and their descriptors", "",
             "| problem | ICD-10 problem descriptors | note |", "| --- | --- | --- |"]
    for p in PROBLEMS.values():
        lines.append(f"| `{p.key}` ({p.label}) | {', '.join(p.icd10) or 'none'} | "
                     f"{_cell(p.note)} |")
    lines += ["", "### Dose table (`nice_dose.csv`)", "",
              "| id | problem | step | therapy (therapy types) | NICE dose | guideline, "
              "recommendation | seen in NICE's text | status | applied |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in tables.dose:
        types = ", ".join(f"`{c}`" for c in r.therapy_codes) or "not in the data model"
        lines.append(f"| `{r.id}` | `{r.problem}` | {r.intensity} | {_cell(r.therapy)} "
                     f"({types}) | {r.range_text()} | {_cell(r.guideline)}, "
                     f"{_cell(r.recommendation)} | {SEEN[r.verified]} | {r.status} | "
                     f"{'**yes**' if r.applied else 'no'} |")
    lines += ["", "Citations of the dose table:", ""]
    for r in tables.dose:
        lines.append(f"- `{r.id}`: \"{_cell(r.quote)}\" ({r.source_kind}, <{r.url}>)."
                     + (f" {_cell(r.note)}" if r.note else ""))
    lines += ["", "### First-step table (`nice_steps.csv`)", "",
              "| id | problem | low intensity as a first step | guideline, recommendation | "
              "seen in NICE's text | used |", "| --- | --- | --- | --- | --- | --- |"]
    for r in tables.steps:
        lines.append(f"| `{r.id}` | `{r.problem}` | {r.low_intensity_first} | "
                     f"{_cell(r.guideline)}, {_cell(r.recommendation)} | {SEEN[r.verified]} "
                     f"| {'**yes**' if r.use else 'no'} |")
    lines += ["", "Citations of the first-step table:", ""]
    for r in tables.steps:
        lines.append(f"- `{r.id}`: \"{_cell(r.quote)}\" ({r.source_kind}, <{r.url}>)."
                     + (f" {_cell(r.note)}" if r.note else ""))
    return "\n".join(lines) + "\n"


def splice(document: str) -> str:
    """``document`` with its generated tables replaced by the current tables."""
    head, _, rest = document.partition(DOCS_START)
    _, _, tail = rest.partition(DOCS_END)
    return f"{head}{DOCS_START}\n\n{markdown()}\n{DOCS_END}{tail}"
