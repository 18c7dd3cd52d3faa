"""``metrics.csv``: one row per metric of a ``report.json`` document.

Columns: id, label, kind, value, ci_low, ci_high, numerator, denominator, n,
suppressed, definition, source. Values are as the document has them (disclosure
control applied); tables are listed with their definition and no value (their rows
are in report.json). Written by :mod:`tincheck.safecsv`, so a cell that begins with
``=``, ``+``, ``-`` or ``@`` (a negative interval bound) is written after a single
quote (``"'-0.12"``), as OWASP advises against CSV injection.
"""

from __future__ import annotations

from ...metrics import REGISTRY
from ...metrics.registry import sort_key
from ...safecsv import csv_bytes
from ..format import csv_value

COLUMNS = ("id", "label", "kind", "value", "ci_low", "ci_high", "numerator", "denominator",
           "n", "suppressed", "definition", "source")


def metrics_csv(doc: dict) -> str:
    """The document's metrics as CSV text (RFC 4180, header row first).

    >>> doc = {"metrics": {"itt.cases": {"label": "Cases", "kind": "count", "value": 25,
    ...        "suppressed": False, "definition": "C", "source": "tincheck"}}, "tables": {}}
    >>> metrics_csv(doc).splitlines()[1]
    'itt.cases,Cases,count,25,,,,,,false,C,tincheck'
    """
    rows = []
    for metric_id in sorted(doc["metrics"], key=sort_key):
        m = doc["metrics"][metric_id]
        rows.append([csv_value(metric_id if key == "id" else m.get(key)) for key in COLUMNS])
    for table_id in sorted(doc.get("tables", {}), key=sort_key):
        metric = REGISTRY.get(table_id)
        rows.append([table_id, metric.label if metric else None, "table", None, None, None,
                     None, None, None, None, metric.definition if metric else None,
                     metric.source if metric else None])
    columns = {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}
    return csv_bytes(columns, COLUMNS).decode("utf-8")
