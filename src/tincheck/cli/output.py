"""Terminal output shared by commands: one console, findings as tables."""

from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..ingest import ValidationReport
from ..notices import SYNTHETIC_NOTICE
from ..report.audit.headline import HEADLINE
from ..report.format import compact_text

# C0 controls but tab and line feed, DEL, C1 controls, and the Unicode controls that
# reorder or hide text (bidirectional overrides and isolates, zero-width marks)
_INVISIBLE = {c: None for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
                                0x061C, 0x200B, 0x200E, 0x200F, *range(0x202A, 0x202F),
                                *range(0x2066, 0x206A), 0xFEFF)}


def printable(text: str) -> str:
    r"""``text`` with every control character shown as an escape (``\x1b``) instead of
    sent to the terminal: a file name, column name or value that holds an escape
    sequence cannot move the cursor, recolour, retitle or clear the terminal.

    >>> print(printable("ref\x1b[2J\u202eX\x07 ok"))
    ref\x1b[2J\u202eX\x07 ok
    """
    if text.isprintable() or not any(ord(c) in _INVISIBLE for c in text):
        return text
    return "".join(_escaped(c) if ord(c) in _INVISIBLE else c for c in text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class SafeConsole(Console):
    """A Rich console that never sends a control character of the text it prints to
    the terminal (see :func:`printable`); Rich's own styling is unaffected."""

    def render_str(self, text: str, **kwargs):
        return super().render_str(printable(text), **kwargs)


console = SafeConsole()
errors = SafeConsole(stderr=True)


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
    interviews = "interviews" in doc["data"].get("tables_supplied", ())
    for figure in HEADLINE:
        metric = doc["metrics"].get(figure.metric_id)
        if metric is None:
            continue
        if figure.needs_interviews and not interviews:
            table.add_row(figure.terminal_label, "no interviews", "")
            continue
        of = metric.get("denominator")
        table.add_row(figure.terminal_label, compact_text(metric),
                      "*" if metric.get("suppressed") and of is None
                      and metric["kind"] == "proportion" else ("" if of is None else f"{of:,}"))
    return table


@contextlib.contextmanager
def steps(console_: Console | None = None):
    """Show each slow step as it runs, with its time: yields ``step(description)``.

    Calling ``step`` ends the step before (ticked, with its elapsed time) and starts a
    new one; the last ends when the block does. Prints nothing when the console is not
    a terminal (logs and tests stay clean).
    """
    out = console_ or console
    if not out.is_terminal:
        yield lambda _description: None
        return
    with Progress(SpinnerColumn(finished_text="[green]✓[/green]"),
                  TextColumn("{task.description}"), BarColumn(bar_width=20),
                  TimeElapsedColumn(), console=out, transient=False) as bar:
        current: list = []

        def step(description: str) -> None:
            if current:
                bar.update(current[-1], total=1, completed=1)
            current.append(bar.add_task(description, total=None))

        try:
            yield step
        finally:
            if current:
                bar.update(current[-1], total=1, completed=1)


def elapsed_since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"
