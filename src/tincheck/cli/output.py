"""Terminal output shared by commands: one console, findings as tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..ingest import ValidationReport
from ..report.page import SYNTHETIC_NOTICE

console = Console()
errors = Console(stderr=True)


def findings_table(report: ValidationReport, limit: int = 50) -> Table:
    """The first ``limit`` error rows as a table: file, row, column, value, expected."""
    table = Table(title=f"{report.error_count} error(s)", title_justify="left",
                  show_lines=False, header_style="bold")
    for name in ("file", "row", "column", "value", "expected"):
        table.add_column(name, overflow="fold")
    for line in report.error_lines(limit):
        table.add_row(line["file"], "" if line["row"] is None else str(line["row"]),
                      line["column"] or "", "" if line["value"] is None else line["value"],
                      line["expected"])
    return table


def print_report(report: ValidationReport, limit: int = 50) -> None:
    """The synthetic-data notice if any, errors (first ``limit`` and the count of the
    rest), then warnings."""
    if report.synthetic:
        console.print(f"[bold yellow]{SYNTHETIC_NOTICE}[/bold yellow]", highlight=False)
    if report.errors:
        console.print(findings_table(report, limit))
        shown = len(report.error_lines(limit))
        if report.error_count > shown:
            console.print(f"… and {report.error_count - shown} more error(s) not shown.")
    for warning in report.warnings:
        console.print(f"[yellow]warning[/yellow] {warning.sentence()}", highlight=False)
    if report.ok:
        console.print("[green]No errors.[/green]")
