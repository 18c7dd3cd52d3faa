"""``tincheck import-redcap``: REDCap export of diagnostic interviews -> interviews.csv."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from ..outputs import check_file
from ..redcap import read_redcap, write_interviews
from . import app
from .output import console, print_report


@app.command("import-redcap")
def import_redcap(
    export: Path = typer.Argument(
        ..., metavar="EXPORT",
        help="REDCap export: CSV (raw data), one row per "
             "record and event."),
    mapping: Path = typer.Option(..., "--mapping", help="TOML file naming the events and "
                                 "fields of the interviews (see docs/redcap.md)."),
    out: Path = typer.Option(Path("interviews.csv"), "--out",
                             help="Where to write the interviews table."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    key_file: Path = typer.Option(None, "--key-file", help="File holding the pseudonym key, "
                                  "used if an identifier holds an NHS number "
                                  "(default: TINCHECK_PSEUDONYM_KEY)."),
) -> None:
    """Convert a REDCap export of diagnostic interviews into the interviews table.

    Reads a longitudinal project's flat export by a mapping file and writes
    interviews.csv. Lists every error with file, row (header = row 1), column,
    value and what was expected; exits with status 2 and writes nothing then.

    Example: tincheck import-redcap export.csv --mapping mapping.toml --out interviews.csv
    """
    check_file(out, option="--out")  # before any work
    conversion = read_redcap(export, mapping, key_file=key_file)
    report, table = conversion.report, conversion.interviews
    written = write_interviews(table, out) if report.ok else None
    if as_json:
        doc = report.to_dict() | {"out": None if written is None else str(written),
                                  "interviews": int(table["interview_id"].nunique()),
                                  "rows": len(table)}
        console.print_json(json.dumps(doc))
    else:
        print_report(report)
        if written is not None:
            counts = table.drop_duplicates("interview_id")["timepoint"].value_counts()
            parts = ", ".join(f"{counts.get(tp, 0)} {tp.replace('_', '-')}"
                              for tp in ("baseline", "end", "follow_up"))
            console.print(f"Wrote {len(table)} rows to {escape(str(written))}: "
                          f"{table['interview_id'].nunique()} interviews ({parts}) of "
                          f"{table['referral_id'].nunique()} referrals.", highlight=False)
    if not report.ok:
        raise typer.Exit(2)
