"""``tincheck demo``: the example service, read and checked."""

from __future__ import annotations

from rich.table import Table

from ..examples import example_path
from ..ingest import read_dataset
from . import app
from .output import console, print_report


@app.command()
def demo() -> None:
    """Read the example service shipped with tincheck and show what it holds.

    Example: tincheck demo
    """
    path = example_path()
    with read_dataset(path) as dataset:
        table = Table(title=f"Example service ({path})", title_justify="left")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name in sorted(dataset.supplied):
            table.add_row(name, str(dataset.rows(name)))
        console.print(table)
        print_report(dataset.report)
