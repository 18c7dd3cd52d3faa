"""``tincheck audit``: audit a service's patient-level data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ..auditing import audit as run_audit
from ..metrics.needs import sentence
from ..report.audit import check_outputs, write_report
from . import app
from .output import console, steps, summary_table


@app.command()
def audit(
    data_dir: Path = typer.Argument(
        ..., metavar="DATA_DIR",
        help="Folder with the service's table files."),
    out: Path = typer.Option(Path("tincheck-report"), "--out",
                             help="Folder for report.html, report.json and metrics.csv."),
    period: str = typer.Option(None, "--period", metavar="START:END",
                               help="Inclusive ISO dates; outcomes over referrals ended in it."),
    data_end: str = typer.Option(None, "--data-end", metavar="DATE",
                                 help="End of the data for re-referral windows "
                                 "(default: the latest date in the data)."),
    json_path: Path = typer.Option(None, "--json", metavar="PATH",
                                   help="Where to write report.json (default: OUT/report.json)."),
    no_disclosure_control: bool = typer.Option(
        False, "--no-disclosure-control",
        help="Show exact small counts (internal use only)."),
    assessors: str = typer.Option("independent_blind", "--assessors",
                                  help="Which interviews count: independent_blind (default) "
                                  "or any."),
    imputations: int = typer.Option(20, "--imputations", min=0,
                                    help="Multiple imputations of missing outcomes (0 skips)."),
    seed: int = typer.Option(20260101, "--seed", help="Seed of the multiple imputation."),
    benchmarks: Path = typer.Option(None, "--benchmarks", exists=True, dir_okay=False,
                                    help="CSV of extra benchmarks for the effect sizes."),
    engine: str = typer.Option("duckdb", "--engine",
                               help="duckdb (default) or spark: the same metric definitions."),
    spark_master: str = typer.Option(None, "--spark-master", metavar="URL",
                                     help="Spark master (default local[2])."),
    key_file: Path = typer.Option(None, "--key-file", help="File holding the pseudonym key."),
    memory_limit: str = typer.Option(None, "--memory-limit", metavar="SIZE",
                                     help="Cap DuckDB's memory, e.g. 3GB; beyond it DuckDB "
                                     "spills to disk (default TINCHECK_MEMORY_LIMIT or 80% "
                                     "of RAM)."),
) -> None:
    """Audit a service: official figures reproduced, and the honest ones beside them.

    Writes report.html (one self-contained page), report.json and metrics.csv into
    --out, and prints the headline figures with 95% intervals.

    Example: tincheck audit my-service/ --period 2023-04-01:2024-03-31 --out audit/
    """
    # before any work: an output that cannot be written is reported now, not at the end
    check_outputs(out, json_path, out_option="--out", json_option="--json")
    with steps() as step:
        result = run_audit(data_dir, period=period, data_end=data_end, engine=engine,
                           spark_master=spark_master,
                           disclosure_control=not no_disclosure_control,
                           assessors=assessors, imputations=imputations,
                           imputation_seed=seed, benchmarks=benchmarks, key_file=key_file,
                           memory_limit=memory_limit, progress=step)
        paths = write_report(result, out, json_path=json_path, progress=step)
    doc = result.to_json()
    console.print(summary_table(doc))
    for warning in doc["warnings"]:
        console.print(f"[yellow]warning[/yellow] {escape(warning)}", highlight=False)
    for entry in doc["not_computed"]:
        console.print(f"[yellow]note[/yellow] {escape(sentence(entry))}",
                      highlight=False)
    console.print(f"Wrote {escape(str(paths['html']))}, {escape(str(paths['json']))} and "
                  f"{escape(str(paths['csv']))}", highlight=False, soft_wrap=True)
