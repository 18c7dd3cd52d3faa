"""What the audit needs from optional data, and what it leaves out without it.

Every optional table and column of the data model may be absent. Absent data narrows
the audit, never stops it: each :class:`Need` below says which optional data a part
of the audit rests on, and what is not computed (or computed more narrowly) without
it. :func:`narrow` withholds the figures that cannot be computed (value ``None``,
with a note saying why) instead of reporting a count of zero or a rate of nothing,
and lists what was not computed and why for ``report.json`` (``not_computed``) and
the report. A column counts as absent when it holds no value at all: missing from
the file, or present and empty.

Declared once here; ``docs/report.md`` shows the same table (:func:`needs_markdown`,
checked by a test).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping

from ..schema import TABLES
from .registry import REGISTRY, Result


@dataclass(frozen=True)
class Need:
    """Part of the audit that rests on optional data.

    The need is unmet when every item of ``absent`` ("table" or "table.column") is
    absent and every item of ``present`` is present. ``what`` names what is then
    not computed, or how the audit is narrowed; ``metrics`` (ids, ``*`` patterns)
    are the figures withheld.
    """

    absent: tuple[str, ...]
    what: str
    metrics: tuple[str, ...] = ()
    present: tuple[str, ...] = ()

    def metric_ids(self) -> list[str]:
        return [m for m in REGISTRY if any(fnmatch.fnmatchcase(m, p) for p in self.metrics)
                and not any(fnmatch.fnmatchcase(m, p[1:]) for p in self.metrics
                            if p.startswith("!"))]


NEEDS: tuple[Need, ...] = (
    Need(("interviews",), "loss of diagnosis by independent interview, its agreement "
         "with questionnaire recovery, and cost per loss of diagnosis",
         ("diagnostic.*", "agreement.*", "value.cost_per_lost_diagnosis")),
    Need(("costs",), "cost per outcome", ("value.*",)),
    Need(("referrals.ended_date",), "every figure over ended referrals (all but "
         "referrals received and clients with three or more referrals)",
         ("*", "!funnel.referrals_received", "!rereferral.clients_with_3plus_referrals")),
    Need(("referrals.end_reason",), "how referrals ended (as planned, or dropped out)",
         ("funnel.completed_as_planned", "funnel.dropped_out")),
    Need(("referrals.problem_descriptor",), "anxiety-disorder-specific measures (the "
         "anxiety outcome is GAD-7 for every referral) and the problem descriptor as a "
         "covariate of multiple imputation"),
    Need(("referrals.age",), "age as a covariate of multiple imputation, and the age row "
         "of the representativeness table"),
    Need(("referrals.sex",), "sex as a covariate of multiple imputation, and the row for "
         "women of the representativeness table"),
    Need(("appointments.intensity", "appointments.therapy_type"), "the step of care of "
         "each contact (low intensity only, stepped up)",
         ("delivery.low_intensity_only", "delivery.stepped_up")),
    Need(("appointments.intensity",), "the recorded step of care (each contact's step is "
         "taken from its therapy type)", present=("appointments.therapy_type",)),
    Need(("appointments.therapy_type",), "therapy types (mostly self-help, the therapy "
         "mix); employment-support contacts cannot be told from treatment",
         ("delivery.guided_self_help", "delivery.by_therapy_type")),
    Need(("appointments.medium",), "treatment contacts by telephone",
         ("delivery.telephone_contacts",)),
    Need(("interviews.usual_self_pct",), "back to their usual self (the client's own "
         "rating)", ("diagnostic.back_to_usual_self_end",)),
    Need(("interviews.retrospective",), "whether interviews were rated retrospectively "
         "(each is taken as rated at the time)"),
    Need(("interviews.second_rating",), "agreement between two assessors rating the same "
         "interview (every interview is taken as a first rating)",
         ("agreement.inter_rater",)),
    Need(("interviews.unblinded",), "whether blinding broke in an interview: the share "
         "unblinded, and loss of diagnosis without such interviews",
         ("diagnostic.unblinded_share", "diagnostic.*_blinded")),
)


def optional_data() -> list[str]:
    """Every optional table and optional column of the data model ("table.column")."""
    items = []
    for table in TABLES.values():
        if not table.required:
            items.append(table.name)
        items += [f"{table.name}.{c.name}" for c in table.columns if not c.required]
    return items


# Optional columns whose empty value has a meaning in the data model: a column of
# them all empty is data, not absent data (every referral is still open)
EMPTY_MEANS = {"referrals.ended_date": "still open"}
NO_FILE, NO_COLUMN, EMPTY = "no file", "no column", "empty"


def absent_optional(table: Callable[[str], object], supplied: Iterable[str],
                    columns: Mapping[str, Iterable[str]], execute: Callable
                    ) -> dict[str, str]:
    """The optional data that is absent, and how: ``"no file"`` (an optional table not
    supplied), ``"no column"`` (an optional column its file does not have) or
    ``"empty"`` (a column with no value at all, unless an empty value means something:
    :data:`EMPTY_MEANS`). One small aggregate query per supplied table.

    ``table(name)`` gives the canonical table as an Ibis table; ``columns[name]`` the
    canonical columns the table's file has; ``execute`` runs an expression and returns
    a pandas frame.
    """
    supplied = set(supplied)
    absent = {t.name: NO_FILE for t in TABLES.values()
              if not t.required and t.name not in supplied}
    for t in TABLES.values():
        if t.name not in supplied:
            continue
        optional = [c.name for c in t.columns if not c.required]
        present = [c for c in optional if c in set(columns.get(t.name, optional))]
        absent.update({f"{t.name}.{c}": NO_COLUMN for c in optional if c not in present})
        present = [c for c in present if f"{t.name}.{c}" not in EMPTY_MEANS]
        if not present:
            continue
        expr = table(t.name)
        row = execute(expr.aggregate(**{c: expr[c].count() for c in present})).iloc[0]
        absent.update({f"{t.name}.{c}": EMPTY for c in present if not int(row[c] or 0)})
    order = {item: i for i, item in enumerate(optional_data())}
    return dict(sorted(absent.items(), key=lambda kv: order[kv[0]]))


def _why(items: tuple[str, ...], absent: Mapping[str, str], files: dict[str, str]) -> str:
    """Why the data is absent, in words: 'no interviews file was supplied'."""
    parts = []
    for item in items:
        name, _, column = item.partition(".")
        file = files.get(name, f"the {name} file")
        how = absent.get(item, NO_COLUMN if column else NO_FILE)
        if not column:
            parts.append(f"no {name} file was supplied")
        elif how == EMPTY:
            parts.append(f"the {column} column of {file} is empty")
        else:
            parts.append(f"{file} has no {column} column")
    return " and ".join(parts)


def unmet(absent: Mapping[str, str] | Iterable[str], files: dict[str, str] | None = None
          ) -> list[dict]:
    """The needs that ``absent`` data leaves unmet, as ``report.json`` lists them:
    ``data`` (the absent tables and columns), ``why``, ``what`` (not computed, or
    narrowed) and ``metrics`` (the ids withheld).

    ``absent`` is :func:`absent_optional`'s answer (or a list of absent items);
    ``files`` maps a table to the name of its file, for the message.

    >>> [n["why"] for n in unmet({"referrals.end_reason": "no column"},
    ...                          {"referrals": "referrals.csv"})]
    ['referrals.csv has no end_reason column']
    """
    if not isinstance(absent, Mapping):
        absent = {item: NO_COLUMN if "." in item else NO_FILE for item in absent}
    files = files or {}
    out = []
    for need in NEEDS:
        tables = {item.split(".", 1)[0] for item in need.absent if "." in item}
        if tables & set(absent):  # the table is absent: its own need says so
            continue
        if all(item in absent for item in need.absent) and \
                not any(item in absent for item in need.present):
            out.append({"data": list(need.absent), "why": _why(need.absent, absent, files),
                        "what": need.what, "metrics": need.metric_ids()})
    return out


def sentence(entry: dict) -> str:
    """One entry of ``not_computed`` as a sentence.

    >>> sentence({"what": "cost per outcome", "why": "no costs file was supplied"})
    'Not computed: cost per outcome, because no costs file was supplied.'
    """
    return f"Not computed: {entry['what']}, because {entry['why']}."


def narrow(results: dict[str, Result], tables: dict[str, list], entries: list[dict]
           ) -> tuple[dict[str, Result], dict[str, list]]:
    """Withhold the figures that rest on absent data: value ``None`` (rows ``[]`` for a
    table) and a note naming the reason, instead of a count of nothing."""
    results, tables = dict(results), dict(tables)
    for entry in entries:
        note = f"not computed: {entry['why']}"
        for metric_id in entry["metrics"]:
            if metric_id in tables:
                tables[metric_id] = []
            if metric_id in results:
                old = results[metric_id]
                settings = {k: v for k, v in old.extra.items()
                            if k in ("m", "seed", "method", "cost_gbp", "over")}
                results[metric_id] = replace(
                    Result(metric_id, old.kind, None), note=note, extra=settings)
    return results, tables


def needs_markdown() -> str:
    """The needs as a Markdown table, for docs/report.md."""
    lines = ["| optional data absent | not computed (or narrowed) | figures withheld |",
             "| --- | --- | --- |"]
    for need in NEEDS:
        data = " and ".join(f"`{i}`" for i in need.absent)
        if need.present:
            data += " (" + ", ".join(f"`{i}`" for i in need.present) + " present)"
        ids = need.metric_ids()
        withheld = ("every metric but " + ", ".join(
            f"`{p[1:]}`" for p in need.metrics if p.startswith("!"))) if "*" in need.metrics \
            else ", ".join(f"`{p}`" for p in need.metrics) if ids else "none"
        lines.append(f"| {data} | {need.what} | {withheld} |")
    return "\n".join(lines) + "\n"


__all__ = ["NEEDS", "Need", "absent_optional", "narrow", "needs_markdown", "optional_data",
           "sentence", "unmet"]
