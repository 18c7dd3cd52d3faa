"""Terminal output shared by commands: one console, findings as tables."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..auditing import format_value
from ..ingest import ValidationReport
from ..report.page import SYNTHETIC_NOTICE

HEADLINE = (
    ("official.recovery_rate", "What it says on the tin: official recovery"),
    ("itt.recovery_among_cases", "Recovery among everyone referred as a case"),
    ("itt.recovered_per_ended_referral", "Recovered per ended referral"),
    ("funnel.finished_course", "Ended referrals that finished a course"),
    ("diagnostic.lost_index_end_itt", "Lost their diagnoses at end (independent interview)"),
    ("diagnostic.lost_index_follow_up_itt", "Lost their diagnoses at follow-up"),
)

console = Console()
errors = Console(stderr=True)


def findings_table(report: ValidationReport, limit: int = 50) -> Table:
    """The first ``limit`` error rows as a table: file, row, column, value, expected."""
    table = Table(title=f"{report.error_count} error(s)", title_justify="left",
                  show_lines=False, header_style="bold")
    for name in ("file", "row", "column", "value", "expected"):
        table.add_column(name, overflow="fold")
    for line in report.error_lines(limit):
        # cells are data, not markup: a value such as "[/x]" must print as written
        table.add_row(*(escape(text) for text in (
            line["file"], "" if line["row"] is None else str(line["row"]),
            line["column"] or "", "" if line["value"] is None else line["value"],
            line["expected"])))
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
        console.print(f"[yellow]warning[/yellow] {escape(warning.sentence())}",
                      highlight=False)
    if report.ok:
        console.print("[green]No errors.[/green]")


def summary_table(doc: dict) -> Table:
    """The headline figures of a report.json document, side by side with intervals."""
    title = "tincheck audit" + (" (SYNTHETIC DATA)" if doc["data"].get("synthetic") else "")
    table = Table(title=title, title_justify="left", header_style="bold",
                  caption=doc["settings"]["disclosure_rule"], caption_justify="left")
    table.add_column("figure")
    table.add_column("value (95% CI)", justify="right")
    table.add_column("of", justify="right")
    for metric_id, label in HEADLINE:
        metric = doc["metrics"].get(metric_id)
        if metric is None:
            continue
        of = metric.get("denominator")
        table.add_row(label, format_value(metric), "*" if metric.get("suppressed") and of is None
                      and metric["kind"] == "proportion" else ("" if of is None else f"{of:,}"))
    return table
