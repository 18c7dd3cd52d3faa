"""The audit report: one self-contained HTML page, ``report.json`` and ``metrics.csv``.

Everything is rendered from the disclosure-controlled JSON document
(:meth:`tincheck.Audit.to_json`), never from exact results, so nothing the JSON
suppresses can appear on the page or in the CSV.

>>> import tempfile, tincheck
>>> audit = tincheck.audit(tincheck.example_path(), imputations=0)
>>> paths = write_report(audit, tempfile.mkdtemp())
>>> sorted(path.name for path in paths.values())
['metrics.csv', 'report.html', 'report.json']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from ... import __version__
from ..page import Page
from . import compared, interviews, outcomes, service
from .definitions import definitions, header
from .document import Doc
from .export import metrics_csv

# (id, title, builder): the report's sections, in order
SECTIONS: tuple[tuple[str, str, Callable[[Doc], list[str]]], ...] = (
    ("headline", "1. What it says on the tin, and what is in it", outcomes.headline),
    ("funnel", "2. Everyone referred", outcomes.funnel),
    ("official", "3. Official measures", outcomes.official),
    ("missing-data", "4. Missing data", outcomes.missing_data),
    ("diagnostic", "5. Independent diagnostic outcomes", interviews.diagnostic),
    ("agreement", "6. Does questionnaire recovery mean the disorder has gone?",
     interviews.agreement),
    ("effect-sizes", "7. Effect sizes against benchmarks", outcomes.effect_sizes),
    ("delivery", "8. What was delivered", service.delivery),
    ("rereferral", "9. Does it last?", service.rereferral),
    ("value", "10. Cost per outcome", service.value),
    ("services", "11. Services compared", compared.services),
    ("therapists", "12. Therapists compared", compared.therapists),
    ("independence", "13. Independence and evidence quality", interviews.independence),
    ("data-quality", "14. Data quality", service.data_quality),
    ("definitions", "15. Definitions", definitions),
)
LEDE = ("An independent outcome audit: the service's official figures reproduced exactly, "
        "and the honest ones beside them. Every figure carries its 95% interval and its "
        "definition; counts under 5 are never shown.")


def render_html(doc: dict) -> str:
    """The audit report page from a ``report.json`` document (``Audit.to_json()``)."""
    d = Doc(doc)
    services = d.data.get("services") or []
    name = services[0] if len(services) == 1 else f"{len(services)} services"
    page = Page(title=f"tincheck audit: {name}" if services else "tincheck audit",
                lede=LEDE, header_blocks=header(d, doc.get("tincheck_version", __version__)),
                synthetic=bool(d.data.get("synthetic")))
    for section_id, title, build in SECTIONS:
        page.section(section_id, title, *build(d))
    return page.render()


def write_report(audit, out: str | Path, json_path: str | Path | None = None,
                 progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``report.json`` and ``metrics.csv`` into ``out``.

    ``audit`` is a :class:`tincheck.Audit`; all three files are rendered from its
    ``to_json()`` document, with disclosure control as the audit was set. Returns
    the paths written, by kind (``html``, ``json``, ``csv``).
    """
    step = progress or (lambda _: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = audit.to_json()
    step("writing report.json and metrics.csv")
    json_file = Path(json_path) if json_path else out / "report.json"
    json_file.parent.mkdir(parents=True, exist_ok=True)
    json_file.write_text(json.dumps(doc, indent=2, allow_nan=False), encoding="utf-8")
    csv_file = out / "metrics.csv"
    csv_file.write_text(metrics_csv(doc), encoding="utf-8", newline="")
    step("drawing the charts and writing report.html")
    html_file = out / "report.html"
    html_file.write_text(render_html(doc), encoding="utf-8")
    return {"html": html_file, "json": json_file, "csv": csv_file}


__all__ = ["SECTIONS", "metrics_csv", "render_html", "write_report"]
