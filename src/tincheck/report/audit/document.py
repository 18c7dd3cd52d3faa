"""The audit's JSON document as the report reads it: figures, formatted once.

Every number the audit report shows comes from :meth:`tincheck.Audit.to_json`, the
disclosure-controlled document, through the helpers here: a count is shown only as
the document gives it (rounded to 5, or ``*`` when suppressed), a rate to whole
percents with its 95% interval. Counts are marked up as ``<data class="count">`` so
that tests (and readers' tools) can find every count on the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...metrics import REGISTRY
from ..page import esc

SUPPRESSED_TITLE = "fewer than 5: suppressed by disclosure control"
DASH = "–"


@dataclass(frozen=True)
class Doc:
    """A ``report.json`` document with accessors for the report's sections."""

    doc: dict

    @property
    def metrics(self) -> dict:
        return self.doc["metrics"]

    @property
    def tables(self) -> dict:
        return self.doc["tables"]

    @property
    def data(self) -> dict:
        return self.doc["data"]

    @property
    def settings(self) -> dict:
        return self.doc["settings"]

    @property
    def controlled(self) -> bool:
        return bool(self.settings.get("disclosure_control"))

    def m(self, metric_id: str) -> dict:
        """The metric's JSON (an empty, suppressed-free stub when it is absent)."""
        return self.metrics.get(metric_id) or {"kind": _kind(metric_id), "value": None,
                                                "label": _label(metric_id)}

    def value(self, metric_id: str):
        return self.m(metric_id).get("value")

    def table(self, table_id: str) -> list[dict]:
        return self.tables.get(table_id) or []

    def supplied(self, table: str) -> bool:
        return table in self.data.get("tables_supplied", ())


def _kind(metric_id: str) -> str:
    metric = REGISTRY.get(metric_id)
    return metric.kind if metric else "statistic"


def _label(metric_id: str) -> str:
    metric = REGISTRY.get(metric_id)
    return metric.label if metric else metric_id


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ------------------------------------------------------------------ plain text

def pct(value, digits: int = 0) -> str:
    """A proportion as a percentage: 0.523 → '52%'; missing → '–'."""
    return DASH if missing(value) else f"{100 * value:.{digits}f}%"


def pct_interval(low, high) -> str:
    """'48% to 56%'; '–' when either end is missing."""
    if missing(low) or missing(high):
        return DASH
    return f"{pct(low)} to {pct(high)}"


def num(value, digits: int = 2) -> str:
    return DASH if missing(value) else f"{value:,.{digits}f}"


def num_interval(low, high, digits: int = 2) -> str:
    if missing(low) or missing(high):
        return DASH
    return f"{num(low, digits)} to {num(high, digits)}"


def money(value) -> str:
    return DASH if missing(value) else f"£{value:,.0f}"


def count_text(value) -> str:
    """A count as plain text (for charts): '1,235'; '*' when suppressed."""
    return "*" if value is None else f"{int(value):,}"


def value_text(m: dict) -> str:
    """A metric's value as short plain text, whatever its kind."""
    if m.get("suppressed"):
        return "*"
    value, kind = m.get("value"), m.get("kind")
    if missing(value):
        return DASH
    if kind == "proportion" or m.get("scale") == "logit":
        return pct(value)
    if kind == "count":
        return f"{int(value):,}"
    if kind == "ratio":
        return money(value)
    if kind == "mean":
        return num(value, 1)
    return num(value)


def interval_text(m: dict) -> str:
    """A metric's 95% interval as plain text ('' for counts)."""
    if m.get("suppressed") or m.get("kind") == "count":
        return DASH if m.get("suppressed") else ""
    low, high = m.get("ci_low"), m.get("ci_high")
    if m.get("kind") == "proportion" or m.get("scale") == "logit":
        return pct_interval(low, high)
    if m.get("kind") == "ratio":
        return DASH if missing(low) or missing(high) else f"{money(low)} to {money(high)}"
    if m.get("kind") == "mean":
        return num_interval(low, high, 1)
    return num_interval(low, high)


# ------------------------------------------------------------------ HTML

def count_html(value, suppressed: bool | None = None) -> str:
    """A count for the page, marked up so every count can be found.

    ``None`` (suppressed or unknown) shows as ``*`` with an explanation on hover.
    """
    if value is None:
        if suppressed is False:
            return DASH
        return f'<span class="suppressed" title="{SUPPRESSED_TITLE}">*</span>'
    return f'<data class="count" value="{int(value)}">{int(value):,}</data>'


def value_html(m: dict) -> str:
    text = value_text(m)
    if text == "*":
        return count_html(None)
    if m.get("kind") == "count":  # a count withheld (not computed) is not a suppressed one
        return count_html(m.get("value"), bool(m.get("suppressed")))
    return esc(text)


def base_html(m: dict) -> str:
    """What a figure is taken over: '10 of 20', 'n = 20', or ''."""
    kind = m.get("kind")
    if kind == "proportion":
        num_, den = m.get("numerator"), m.get("denominator")
        if num_ is None and den is None and not m.get("suppressed"):
            return ""
        return f"{count_html(num_)} of {count_html(den)}"
    if kind in ("mean", "effect", "statistic", "ratio") and "n" in m:
        if m.get("n") is None and not m.get("suppressed"):
            return ""
        return f"n = {count_html(m.get('n'))}"
    return ""


def definition_html(metric_id: str, m: dict) -> str:
    """The label, with the definition and the metric id in small type beneath it."""
    label = m.get("label") or _label(metric_id)
    definition = m.get("definition") or (REGISTRY[metric_id].definition
                                         if metric_id in REGISTRY else "")
    note = f' <span class="def">Note: {esc(m["note"])}.</span>' if m.get("note") else ""
    return (f'<span class="label">{esc(label)}</span>'
            f'<span class="def">{esc(definition)} '
            f'<a class="mid" href="#def-{esc(metric_id)}">{esc(metric_id)}</a></span>{note}')


def metric_table(doc: Doc, metric_ids, caption: str | None = None) -> str:
    """Figures with their definitions: one row per metric (value, 95% CI, base)."""
    rows = []
    for metric_id in metric_ids:
        m = doc.m(metric_id)
        rows.append(
            f"<tr><th scope=row>{definition_html(metric_id, m)}</th>"
            f'<td class="num">{value_html(m)}</td><td class="num">{esc(interval_text(m))}</td>'
            f'<td class="num">{base_html(m)}</td></tr>')
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return ('<div class="table-wrap"><table class="metrics">'
            f"{cap}<thead><tr><th scope=col>Figure and definition</th>"
            "<th scope=col class=num>Value</th><th scope=col class=num>95% CI</th>"
            "<th scope=col class=num>Of</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def html_table(rows: list[list[str]], headings: list[str], caption: str | None = None,
               numeric: set[int] = frozenset()) -> str:
    """A table whose cells are already HTML (escape text before passing it)."""
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{esc(h)}</th>'
                   for i, h in enumerate(headings))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{cell}</td>'
                         for i, cell in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def bullet_list(items) -> str:
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>" if items else ""
