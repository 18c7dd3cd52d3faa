"""The audit's JSON document as the report reads it, and its table of figures.

Every number the audit report shows comes from :meth:`tincheck.Audit.to_json`, the
disclosure-controlled document, formatted by :mod:`tincheck.report.format`: a count is
shown only as the document gives it (rounded to 5, or ``*`` when suppressed), a rate to
whole percents with its 95% interval. Counts are marked up as ``<data class="count">``
so that tests (and readers' tools) can find every count on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...metrics import REGISTRY
from ..format import base_html, interval_text, value_html
from ..page import esc, html_table


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


def family_metrics(family: str, first=(), skip=()) -> list[str]:
    """The figures a section tabulates for a metric family: those in ``first`` as
    listed, then every other scalar metric of the family in registry order, less those
    in ``skip`` (shown elsewhere). A metric added to the family's module is shown
    without a change to the report."""
    shown = set(first) | set(skip)
    return [*first, *(m.id for m in REGISTRY.family(family)
                      if m.kind != "table" and m.id not in shown)]


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
        rows.append([definition_html(metric_id, m), value_html(m), esc(interval_text(m)),
                     base_html(m)])
    return html_table(rows, ["Figure and definition", "Value", "95% CI", "Of"], caption,
                      numeric={1, 2, 3}, cls="metrics", row_headers=True)
