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

from ... import __version__, parallel
from ...outputs import check_file, check_folder, write_text
from ..page import Page
from . import compared, interviews, outcomes, pathway, service
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
    ("pathway", "9. The treatment pathway", pathway.pathway),
    ("rereferral", "10. Does it last?", service.rereferral),
    ("value", "11. Cost per outcome", service.value),
    ("services", "12. Services compared", compared.services),
    ("therapists", "13. Therapists compared", compared.therapists),
    ("independence", "14. Independence and evidence quality", interviews.independence),
    ("data-quality", "15. Data quality", service.data_quality),
    ("definitions", "16. Definitions", definitions),
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
    for (section_id, title, _), body in zip(SECTIONS, _bodies(d), strict=True):
        page.section(section_id, title, *body)
    return page.render()


# Sections are drawn side by side in forked processes from this many therapists'
# rows (a service of about 50,000 referrals): the charts are most of the time of a
# large report (about 2 s at 1,000,000 referrals), forking costs tens of milliseconds
PARALLEL_MIN_ROWS = 100


def _body(d: Doc, index: int) -> list[str]:
    return SECTIONS[index][2](d)


def _bodies(d: Doc) -> list[list[str]]:
    """Each section's HTML parts, in order. The charts' SVG identifiers come from their
    content (``svg.hashsalt``), so a section drawn in another process is the same
    text, byte for byte (tests/report/test_audit_report.py)."""
    size = len(d.tables.get("therapists.estimates") or [])
    return parallel.mapped(_body, d, range(len(SECTIONS)), when=size >= PARALLEL_MIN_ROWS)


def write_report(audit, out: str | Path, json_path: str | Path | None = None,
                 progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``report.json`` and ``metrics.csv`` into ``out``.

    ``audit`` is a :class:`tincheck.Audit`; all three files are rendered from its
    ``to_json()`` document, with disclosure control as the audit was set. Returns
    the paths written, by kind (``html``, ``json``, ``csv``). Each file is written
    whole or not at all; a path that cannot be written raises
    :class:`tincheck.errors.OutputError` (checked first by :func:`check_outputs`).
    """
    step = progress or (lambda _: None)
    out = Path(out)
    check_outputs(out, json_path)
    doc = audit.to_json()
    step("writing report.json and metrics.csv")
    json_file = Path(json_path) if json_path else out / "report.json"
    write_text(json_file, json.dumps(doc, indent=2, allow_nan=False))
    csv_file = write_text(out / "metrics.csv", metrics_csv(doc))
    step("drawing the charts and writing report.html")
    html_file = write_text(out / "report.html", render_html(doc))
    return {"html": html_file, "json": json_file, "csv": csv_file}


def check_outputs(out: str | Path, json_path: str | Path | None = None, *,
                  out_option: str | None = None, json_option: str | None = None) -> None:
    """Check, before an audit starts, that :func:`write_report` can write its files:
    ``out`` a folder (or one that can be made) and each file writable. Raises
    :class:`tincheck.errors.OutputError`, naming the option when one is given (the
    command line gives ``--out`` and ``--json``)."""
    files = ("report.html", "metrics.csv") + (() if json_path else ("report.json",))
    check_folder(out, files, option=out_option)
    if json_path:
        check_file(json_path, option=json_option)


__all__ = ["SECTIONS", "check_outputs", "metrics_csv", "render_html", "write_report"]
