"""``tincheck leaflet``: "What to expect" leaflets from a service's own outcomes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..leaflets import check_outputs, check_settings
from ..leaflets import leaflet as write_leaflets
from ..report import leaflet_text
from ..report.leaflet import treatment_of
from . import app
from .output import console, steps


@app.command()
def leaflet(
    data: Path = typer.Argument(..., metavar="DATA_DIR", help="The service's data folder, or a report.json "
                                "written by tincheck audit (with disclosure control)."),
    out: Path = typer.Option(Path("leaflet"), "--out",
                             help="Folder for the leaflets (HTML and PDF), index.html and "
                             "the report.json they come from."),
    min_people: int = typer.Option(30, "--min-people", min=1,
                                   help="No figure that may rest on fewer people than "
                                   "this."),
    treatment: list[str] = typer.Option(None, "--treatment", metavar="THERAPY",
                                        help="Only this therapy type, e.g. gsh_book "
                                        "(repeat for more)."),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Write the HTML pages only."),
    chromium: Path = typer.Option(None, "--chromium", metavar="PATH",
                                  help="The Chromium that prints the PDFs (default "
                                  "TINCHECK_CHROMIUM, /usr/bin/chromium or the PATH)."),
    period: str = typer.Option(None, "--period", metavar="START:END",
                               help="Inclusive ISO dates; care that ended in it."),
    data_end: str = typer.Option(None, "--data-end", metavar="DATE",
                                 help="End of the data (default: the latest date in it)."),
    assessors: str = typer.Option("independent_blind", "--assessors",
                                  help="Which interviews count: independent_blind (default) "
                                  "or any."),
    usual_self_threshold: float = typer.Option(
        90.0, "--usual-self-threshold", help="usual_self_pct counted as back to usual "
        "self."),
    key_file: Path = typer.Option(None, "--key-file", help="File holding the pseudonym key."),
    memory_limit: str = typer.Option(None, "--memory-limit", metavar="SIZE",
                                     help="Cap DuckDB's memory, e.g. 3GB."),
) -> None:
    """Write a "What to expect" leaflet for each treatment a service offers.

    One printable page per treatment offered (and per problem, depression or anxiety,
    where enough people had it): what happens, and out of 100 people offered it here,
    how many never started, finished, were well on the questionnaires, no longer had
    the problem at an independent interview, and felt back to their usual self. Each is
    HTML and an A4 PDF (printed by headless Chromium; HTML alone without it).

    Example: tincheck leaflet my-service/ --out leaflet/
    """
    # before any work: settings and the output folder (problems fail in cli/failure.py)
    check_settings(min_people, treatment)
    check_outputs(out, option="--out")
    with steps() as step:
        made = write_leaflets(
            data, out, min_people=min_people, pdf=not no_pdf, chromium=chromium,
            treatments=treatment or None, period=period, data_end=data_end,
            assessors=assessors, usual_self_threshold=usual_self_threshold,
            key_file=key_file, memory_limit=memory_limit, progress=step)
    table = Table(title=f"Leaflets (no figure from fewer than {min_people} people)",
                  title_justify="left", header_style="bold")
    for column in ("treatment", "for", "people offered it", "files"):
        table.add_column(column, justify="right" if column == "people offered it" else "left")
    for page in made.leaflets:
        files = page.html.name + (f", {page.pdf.name}" if page.pdf else "")
        table.add_row(escape(treatment_of(page.therapy).name),
                      leaflet_text.PROBLEMS.get(page.problem, "all problems"),
                      f"{page.people:,}", escape(files))
    console.print(table)
    if made.too_few:
        names = ", ".join(treatment_of(t).name for t, _ in made.too_few)
        console.print(f"No leaflet (too few people): {escape(names)}", highlight=False,
                      soft_wrap=True)
    for note in made.notes:
        console.print(f"[yellow]note[/yellow] {escape(note)}", highlight=False, soft_wrap=True)
    if made.not_computed:
        console.print(f"[yellow]note[/yellow] No figures by treatment offered, because "
                      f"{escape(made.not_computed)}.", highlight=False, soft_wrap=True)
    if made.pdf_note:
        console.print(f"[yellow]warning[/yellow] {escape(made.pdf_note)}", highlight=False)
    console.print(f"Wrote {len(made.leaflets)} leaflet(s), {made.index.name} and "
                  f"{made.report_json.name} in {escape(str(made.folder))}", highlight=False,
                  soft_wrap=True)
