"""The audit in a notebook: a compact table of every figure (``Audit._repr_html_``)."""

from __future__ import annotations

from ..format import compact_text
from ..page import esc, html_table

# a notebook shows the fragment without the report's stylesheet
STYLE = "<style>.tincheck-audit td.num { text-align: right; }</style>"


def notebook_html(doc: dict) -> str:
    """The figures of a ``report.json`` document as one small HTML fragment."""
    rows = [[esc(metric_id), esc(m["label"]), esc(compact_text(m))]
            for metric_id, m in doc["metrics"].items()]
    banner = "<p><b>Synthetic data</b></p>" if doc["data"].get("synthetic") else ""
    return (f'<div class="tincheck-audit">{STYLE}{banner}<p>tincheck audit of '
            f"{esc(str(doc['data'].get('path')))} ({esc(doc['settings']['disclosure_rule'])})"
            "</p>" + html_table(rows, ["metric", "label", "value (95% CI)"], numeric={2})
            + "</div>")
