"""``tincheck validate``: check a data folder against the data model."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..ingest import validate as validate_folder
from . import app
from .output import console, print_report


@app.command()
def validate(
    data_dir: Path = typer.Argument(
        ..., metavar="DATA_DIR",
        help="Folder with referrals, appointments, measures "
             "(and optional interviews, therapists, costs) files."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    key_file: Path = typer.Option(None, "--key-file", help="File holding the pseudonym key "
                                  "(default: TINCHECK_PSEUDONYM_KEY)."),
    memory_limit: str = typer.Option(None, "--memory-limit", metavar="SIZE",
                                     help="Cap DuckDB's memory, e.g. 3GB (default "
                                     "TINCHECK_MEMORY_LIMIT or 80% of RAM)."),
) -> None:
    """Check a data folder against every rule of the data model.

    Lists every error with file, row (header = row 1), column, value and what was
    expected; exits with status 2 when there are errors.

    Example: tincheck validate my-service/
    """
    report = validate_folder(data_dir, key_file=key_file, memory_limit=memory_limit)
    if as_json:
        console.print_json(json.dumps(report.to_dict()))
    else:
        print_report(report)
    if not report.ok:
        raise typer.Exit(2)
