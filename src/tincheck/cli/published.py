"""``tincheck published``: audit the NHS's own published annual data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..outputs import check_folder
from ..published import audit_published, closing_note, write_report
from . import app
from .output import console


@app.command()
def published(
    measures: list[Path] = typer.Argument(
        ..., metavar="MEASURES",
        help="measures_annual (.parquet/.csv) or "
             "raw NHS main CSVs (files or a folder)."),
    proms: list[Path] = typer.Option(None, "--proms", help="proms_annual (.parquet/.csv): "
                                     "effect sizes, meta-analysis, therapy mix."),
    year: str = typer.Option(None, "--year", help="Year for the provider sections, e.g. "
                             "2022-23 (default: the latest in the data)."),
    org_type: str = typer.Option("Provider", "--org-type", help="Organisation level "
                                 "compared (Provider, ICB, CCG, ...)."),
    positions: Path = typer.Option(None, "--positions", help="therapy_position_annual "
                                   "file (default: one beside the proms file)."),
    correlation: float = typer.Option(0.5, "--correlation", min=-0.99, max=0.99,
                                      help="Assumed pre-post correlation for effect-size "
                                      "CIs (0.3 and 0.7 are also shown)."),
    out: Path = typer.Option(Path("tincheck-published"), "--out",
                             help="Folder for report.html and report.json."),
) -> None:
    """Audit the NHS's own published Talking Therapies data (no patient records needed).

    Recomputes every published England rate, compares providers on a funnel plot,
    checks published percentages against their counts, and pools effect sizes
    across providers.

    Example: tincheck published measures_annual.parquet --proms proms_annual.parquet --year 2022-23
    """
    check_folder(out, ("report.html", "report.json"), option="--out")  # before any work
    audit = audit_published(measures, proms or None, year=year, org_type=org_type,
                            positions=positions, correlation=correlation)
    html_path, json_path = write_report(audit, out)
    console.print(escape(closing_note(audit)), highlight=False, soft_wrap=True)
    console.print(f"Wrote {escape(str(html_path))} and {escape(str(json_path))} "
                  f"({audit.seconds:.1f} s).", highlight=False, soft_wrap=True)
