"""The mapping file of a REDCap import: which events and fields hold the interviews.

A mapping is a small TOML file (``docs/redcap.md`` is its reference). It names the
record id field, the field holding the service's referral id, the unique event names
of each time point, the fields of one interview (date, assessor, instrument,
independence, blinding, ...) and, for each disorder, the field holding its status with
the coded values meaning present, subthreshold, absent or not assessed.

:func:`read_mapping` checks the file itself (TOML syntax, unknown keys, types, codes);
:func:`field_findings` checks that every field it names is a column of the export.
Every problem is a :class:`~tincheck.ingest.findings.Finding` on the mapping file whose
row is the line of the offending key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import codes
from ..ingest.findings import Example, Finding
from ..ingest.parse import FALSE_WORDS, TRUE_WORDS
from ..schema import INTERVIEWS

TIMEPOINTS = codes.values("timepoint")
STATUSES = ("present", "subthreshold", "absent", "not_assessed")

# Mapping key under [fields] -> whether every interview must have it. The keys are the
# canonical interviews columns they fill (docs/data-model.md).
FIELD_KEYS = {
    "date": True,
    "assessor_id": True,
    "instrument": True,
    "assessor_independent": True,
    "assessor_blind": True,
    "retrospective": False,
    "usual_self_pct": False,
    "months_after_end": False,
    "unblinded": False,
}
TOP_KEYS = ("record_id", "referral_id", "ignore_instruments", "events", "follow_up_months",
            "fields", "status", "disorders")
EVENT_KEYS = (*TIMEPOINTS, "ignore")
FIELD_SPEC_KEYS = ("field", "value", "codes")
# Columns that may be one constant for the whole study instead of a field.
CONSTANT_KEYS = ("instrument", "assessor_independent", "assessor_blind", "retrospective")
DISORDER_KEYS = ("field", *STATUSES)


@dataclass(frozen=True)
class FieldSpec:
    """Where one interviews column comes from: a field (optionally coded) or a constant.

    ``codes`` maps a raw value of the field to the canonical value (a code word, or
    True/False for yes/no columns); without it the raw value is read as the column's
    type (``docs/redcap.md``).
    """

    column: str
    field: str | None = None
    value: object = None
    codes: dict[str, object] | None = None


@dataclass(frozen=True)
class DisorderSpec:
    """The field holding one disorder's status and what its coded values mean.

    ``statuses`` maps a raw value to ``present``, ``subthreshold``, ``absent`` or
    ``not_assessed`` (no row is written for a disorder that was not assessed).
    """

    disorder: str
    field: str
    statuses: dict[str, str]


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file."""

    file: str
    record_id: str
    referral_id: str
    events: dict[str, str]  # unique event name -> time point
    ignore_events: tuple[str, ...]
    ignore_instruments: tuple[str, ...]
    follow_up_months: dict[str, float]
    fields: dict[str, FieldSpec]
    disorders: tuple[DisorderSpec, ...]
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def named_fields(self) -> list[tuple[tuple[str, ...], str]]:
        """Every export field the mapping names, with the key path that names it."""
        named = [(("record_id",), self.record_id), (("referral_id",), self.referral_id)]
        for key, spec in self.fields.items():
            if spec.field is not None:
                named.append((("fields", key), spec.field))
        for spec in self.disorders:
            named.append((("disorders", spec.disorder), spec.field))
        return named


class _Problems:
    """Findings about one mapping file, each placed on the line of its key."""

    def __init__(self, file: str, lines: list[str]):
        self.file, self.lines, self.findings = file, lines, []

    def add(self, path: tuple[str, ...], expected: str, value: object = None,
            rule: str = "bad_mapping") -> None:
        shown = None if value is None else str(value)
        self.findings.append(Finding("error", rule, self.file, ".".join(path) or None, expected,
                                     examples=(Example(key_line(self.lines, path), shown),)))


def read_mapping(path: str | Path) -> tuple[Mapping | None, list[Finding]]:
    """Read and check a mapping file; the mapping is None when it has errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [Finding("error", "missing_file", path.name, None,
                              f"a mapping file at {path} (no such file)")]
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        return None, [Finding("error", "unreadable_file", path.name, None,
                              f"a readable UTF-8 TOML file ({reason})")]
    lines = text.splitlines()
    problems = _Problems(path.name, lines)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        row = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        return None, [Finding("error", "toml_syntax", path.name, None,
                              f"valid TOML ({reason}); see docs/redcap.md for the layout",
                              examples=(Example(row),))]
    mapping = _build(doc, problems, path.name, tuple(lines))
    return (None if problems.findings else mapping), problems.findings


def _build(doc: dict, problems: _Problems, file: str, lines: tuple[str, ...]) -> Mapping:
    _unknown_keys(doc, TOP_KEYS, (), problems)
    record_id = _name(doc.get("record_id", "record_id"), ("record_id",), problems)
    referral_id = _name(doc.get("referral_id"), ("referral_id",), problems, required=True)
    ignore_instruments = _names(doc.get("ignore_instruments", []), ("ignore_instruments",),
                                problems)
    events, ignore_events = _events(_table(doc, "events", problems, required=True), problems)
    months = _follow_up_months(_table(doc, "follow_up_months", problems), events, problems)
    fields = _fields(_table(doc, "fields", problems, required=True), problems)
    status = _table(doc, "status", problems)
    _unknown_keys(status, STATUSES, ("status",), problems)
    default = _statuses(status, ("status",), {}, problems)
    disorders = _disorders(_table(doc, "disorders", problems, required=True), default, problems)
    return Mapping(file, record_id or "", referral_id or "", events, ignore_events,
                   ignore_instruments, months, fields, disorders, lines)


# ------------------------------------------------------------------ value checks

def _unknown_keys(table: dict, known: tuple[str, ...], path: tuple[str, ...],
                  problems: _Problems) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            where = f"[{'.'.join(path)}]" if path else "the top level"
            problems.add((*path, key), f"a known key in {where}: {', '.join(known)}{hint}",
                         key, "unknown_key")


def _table(doc: dict, key: str, problems: _Problems, required: bool = False) -> dict:
    value = doc.get(key)
    if value is None:
        if required:
            problems.add((key,), f"a [{key}] table; see docs/redcap.md", rule="missing_key")
        return {}
    if not isinstance(value, dict):
        problems.add((key,), f"a [{key}] table, not a single value", value)
        return {}
    return value


def _name(value: object, path: tuple[str, ...], problems: _Problems,
          required: bool = False) -> str | None:
    if value is None:
        if required:
            problems.add(path, "the name of a field of the export", rule="missing_key")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "a field or event name in quotes", value)
        return None
    return value.strip()


def _names(value: object, path: tuple[str, ...], problems: _Problems) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        problems.add(path, "a name in quotes or a list of them, e.g. [\"a_arm_1\", \"b_arm_1\"]",
                     value)
        return ()
    return tuple(v.strip() for v in items)


def _events(table: dict, problems: _Problems) -> tuple[dict[str, str], tuple[str, ...]]:
    _unknown_keys(table, EVENT_KEYS, ("events",), problems)
    events: dict[str, str] = {}
    for timepoint in TIMEPOINTS:
        for name in _names(table.get(timepoint, []), ("events", timepoint), problems):
            if name in events:
                problems.add(("events", timepoint), f"each event under one time point; "
                             f"{name} is also a {events[name]} event", name, "duplicate_event")
            events[name] = timepoint
    if not events and table:
        problems.add(("events",), "at least one event for baseline, end or follow_up",
                     rule="missing_key")
    ignore = _names(table.get("ignore", []), ("events", "ignore"), problems)
    for name in ignore:
        if name in events:
            problems.add(("events", "ignore"), f"an event that is not an interview event; "
                         f"{name} is a {events[name]} event", name, "duplicate_event")
    return events, ignore


def _follow_up_months(table: dict, events: dict[str, str],
                      problems: _Problems) -> dict[str, float]:
    column = INTERVIEWS.column("months_after_end")
    months: dict[str, float] = {}
    for event, value in table.items():
        path = ("follow_up_months", event)
        if events.get(event) != "follow_up":
            follow = [e for e, t in events.items() if t == "follow_up"]
            problems.add(path, "a follow_up event named in [events]: "
                         + (", ".join(follow) or "none is named"), event, "unknown_event")
        elif isinstance(value, bool) or not isinstance(value, int | float) \
                or not column.minimum <= value <= column.maximum:
            problems.add(path, f"a number of months from {column.minimum:g} to "
                         f"{column.maximum:g}", value)
        else:
            months[event] = float(value)
    return months


def _fields(table: dict, problems: _Problems) -> dict[str, FieldSpec]:
    _unknown_keys(table, tuple(FIELD_KEYS), ("fields",), problems)
    specs: dict[str, FieldSpec] = {}
    for key, required in FIELD_KEYS.items():
        path = ("fields", key)
        value = table.get(key)
        if value is None:
            if required:
                problems.add(path, f"the field holding {key} (required: every interview has "
                             f"one); see docs/redcap.md", rule="missing_key")
            continue
        if isinstance(value, str):
            if _name(value, path, problems):
                specs[key] = FieldSpec(key, field=value.strip())
            continue
        if not isinstance(value, dict):
            problems.add(path, "a field name in quotes, or a table with field (and codes) or "
                         "value", value)
            continue
        _unknown_keys(value, FIELD_SPEC_KEYS, path, problems)
        if ("field" in value) == ("value" in value):
            problems.add(path, "either field = \"...\" or value = ... (a constant), not both "
                         "and not neither", rule="missing_key")
            continue
        if "value" in value:
            if key not in CONSTANT_KEYS:
                problems.add((*path, "value"), "a field: only " + ", ".join(CONSTANT_KEYS)
                             + " may be one value for the whole study", value["value"])
                continue
            constant = _canonical(key, value["value"], (*path, "value"), problems)
            if constant is not None:
                specs[key] = FieldSpec(key, value=constant)
            continue
        name = _name(value["field"], (*path, "field"), problems)
        if key == "date" and "codes" in value:
            problems.add((*path, "codes"), "no codes: a date field is read as YYYY-MM-DD",
                         rule="unknown_key")
            continue
        coded = _codes(key, value.get("codes"), (*path, "codes"), problems)
        if name:
            specs[key] = FieldSpec(key, field=name, codes=coded)
    return specs


def _codes(key: str, table: object, path: tuple[str, ...],
           problems: _Problems) -> dict[str, object] | None:
    if table is None:
        return None
    if not isinstance(table, dict) or not table:
        problems.add(path, "a table of raw value = meaning, e.g. { 1 = \"SCID-5\" }", table)
        return None
    out = {}
    for raw, meaning in table.items():
        value = _canonical(key, meaning, (*path, raw), problems)
        if value is not None:
            out[str(raw).strip()] = value
    return out


def _canonical(key: str, value: object, path: tuple[str, ...], problems: _Problems) -> object:
    """The canonical value a mapping gives for column ``key``, or None if invalid."""
    column = INTERVIEWS.column(key)
    if column.type == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        problems.add(path, "true or false", value)
    elif column.type == "code":
        found = codes.lookup(column.codes).get(str(value).strip().lower())
        if isinstance(value, str) and found:
            return found
        problems.add(path, "one of " + ", ".join(codes.values(column.codes)), value)
    elif column.type == "number":
        if not isinstance(value, bool) and isinstance(value, int | float) \
                and column.minimum <= value <= column.maximum:
            return float(value)
        problems.add(path, f"a number from {column.minimum:g} to {column.maximum:g}", value)
    elif isinstance(value, str) and value.strip():
        return value.strip()
    else:
        problems.add(path, f"a {key} in quotes", value)
    return None


def _statuses(table: dict, path: tuple[str, ...], default: dict[str, str],
              problems: _Problems) -> dict[str, str]:
    """Raw value -> status from a table with present/subthreshold/absent/not_assessed."""
    given = {k: v for k, v in table.items() if k in STATUSES}
    if not given:
        return dict(default)
    out: dict[str, str] = {}
    for status in STATUSES:
        values = given.get(status, [] if status != "not_assessed" else [""])
        if not isinstance(values, list) or not all(isinstance(v, str | int) and
                                                   not isinstance(v, bool) for v in values):
            problems.add((*path, status), "a list of coded values in quotes, e.g. [\"3\"]",
                         values)
            continue
        for raw in (str(v).strip() for v in values):
            if raw in out:
                problems.add((*path, status), f"each coded value under one status; '{raw}' "
                             f"also means {out[raw]}", raw, "duplicate_code")
            out[raw] = status
    for status in ("present", "absent"):
        if status not in out.values():
            problems.add((*path, status), f"the coded value(s) meaning {status}, e.g. "
                         f"{status} = [\"3\"]", rule="missing_key")
    return out


def _disorders(table: dict, default: dict[str, str],
               problems: _Problems) -> tuple[DisorderSpec, ...]:
    known = codes.values("disorder")
    specs = []
    for disorder, value in table.items():
        path = ("disorders", disorder)
        if disorder not in known:
            close = difflib.get_close_matches(disorder, known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.add(path, "a disorder of the data model: " + ", ".join(known) + hint,
                         disorder, "unknown_code")
            continue
        if isinstance(value, str):
            name, statuses = _name(value, path, problems), dict(default)
            if name and not statuses:
                problems.add(("status",), "a [status] table with the coded values meaning "
                             "present, subthreshold, absent (or the same keys under "
                             f"[disorders.{disorder}])", rule="missing_key")
        elif isinstance(value, dict):
            _unknown_keys(value, DISORDER_KEYS, path, problems)
            name = _name(value.get("field"), (*path, "field"), problems, required=True)
            statuses = _statuses(value, path, default, problems)
            if name and not statuses:
                problems.add(path, "the coded values meaning present and absent, here or in "
                             "[status]", rule="missing_key")
        else:
            problems.add(path, "a field name in quotes, or a table with field and statuses",
                         value)
            continue
        if name and statuses:
            specs.append(DisorderSpec(disorder, name, statuses))
    if not table:
        problems.add(("disorders",), "at least one disorder and the field holding its status",
                     rule="missing_key")
    return tuple(specs)


# ------------------------------------------------------------------ fields vs export

def field_findings(mapping: Mapping, headers: list[str], export_name: str) -> list[Finding]:
    """Every field the mapping names must be a column of the export."""
    problems = _Problems(mapping.file, list(mapping.lines))
    present = set(headers)
    for path, name in mapping.named_fields():
        if name in present:
            continue
        checkbox = sorted(h for h in headers if h.startswith(name + "___"))
        if checkbox:
            hint = (f"; {name} is a checkbox field, exported as one column per option "
                    f"({', '.join(checkbox[:3])}{', …' if len(checkbox) > 3 else ''}): name "
                    f"one option column, whose values are 1 (checked) and 0")
        else:
            close = difflib.get_close_matches(name, headers, n=1, cutoff=0.75)
            hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.add(path, f"a field of {export_name} (REDCap variable name, as in the "
                     f"export's header row){hint}", name, "missing_field")
    return problems.findings


def key_line(lines: tuple[str, ...] | list[str], path: tuple[str, ...]) -> int | None:
    """The 1-based line of the key at ``path`` in a TOML text, best effort.

    Follows ``[section]`` headers and ``key =`` lines; the line of the deepest part of
    ``path`` found is returned (a table header, or the line of an inline table).
    """
    section: tuple[str, ...] = ()
    best, depth = None, 0
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if text.startswith("["):
            inner = text.strip("[]").split("]")[0]
            section = tuple(p.strip().strip('"') for p in inner.split("."))
            if section == path[:len(section)] and len(section) > depth:
                best, depth = number, len(section)
            continue
        match = re.match(r'\s*"?([A-Za-z0-9_.\- ]+?)"?\s*=', raw)
        if match:
            key = (*section, match.group(1).strip())
            if key == path[:len(key)] and len(key) > depth:
                best, depth = number, len(key)
    return best
