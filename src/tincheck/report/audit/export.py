"""``metrics.csv``: one row per metric of a ``report.json`` document.

Columns: id, label, kind, value, ci_low, ci_high, numerator, denominator, n,
suppressed, definition, source. Values are as the document has them (disclosure
control applied); tables are listed with their definition and no value (their rows
are in report.json).
"""

from __future__ import annotations

import csv
import io

from ...metrics import REGISTRY
from ...metrics.registry import sort_key
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for metric_id in sorted(doc["metrics"], key=sort_key):
        m = doc["metrics"][metric_id]
        writer.writerow([csv_value(metric_id if key == "id" else m.get(key))
                         for key in COLUMNS])
    for table_id in sorted(doc.get("tables", {}), key=sort_key):
        metric = REGISTRY.get(table_id)
        writer.writerow([table_id, metric.label if metric else "", "table", "", "", "", "",
                         "", "", "", metric.definition if metric else "",
                         metric.source if metric else ""])
    return out.getvalue()
