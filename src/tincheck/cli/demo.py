"""``tincheck demo``: synthesise a service, audit it and write the report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.markup import escape

from ..auditing import audit as run_audit
from ..errors import OutputError
from ..outputs import check_folder
from ..report.audit import check_outputs, write_report
from ..synth import generate
from . import app
from .output import console, elapsed_since, steps, summary_table

DATA = "data"


def _reusable(folder: Path) -> bool:
    """Whether ``folder`` may be overwritten: absent, empty, or an earlier demo's
    synthetic data (never a folder of someone's real data)."""
    if not folder.exists():
        return True
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            return bool(json.loads(manifest.read_text(encoding="utf-8")).get("synthetic"))
        except (OSError, ValueError):
            return False
    return not any(folder.iterdir())


@app.command()
def demo(
    referrals: int = typer.Option(20_000, "--referrals", "-n",
                                  help="Referrals to synthesise (default 20,000)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the synthetic service."),
    out: Path = typer.Option(Path("tincheck-demo"), "--out",
                             help="Folder for the synthetic data (OUT/data) and the report."),
) -> None:
    """Synthesise a service, audit it and write the report: tincheck in one command.

    Writes a synthetic service (calibrated to England's published figures; no real
    person in it) to OUT/data, audits it, writes report.html, report.json and
    metrics.csv to OUT, and prints the report's path.

    Example: tincheck demo --referrals 20000 --out tincheck-demo/
    """
    started = time.perf_counter()
    data = out / DATA
    # before any work: the report's files, and the data folder beside them
    check_outputs(out, out_option="--out")
    check_folder(data, option="--out")
    if not _reusable(data):
        raise OutputError(data, "it holds files that are not an earlier demo's synthetic "
                          "data; choose another --out", "--out")
    with steps() as step:
        step(f"synthesising {referrals:,} referrals (seed {seed})")
        generate(data, referrals=referrals, seed=seed, overwrite=True)
        result = run_audit(data, progress=step)
        paths = write_report(result, out, progress=step)
    console.print(summary_table(result.to_json()))
    console.print(f"Synthetic data in {escape(str(data))}; report.json and metrics.csv "
                  "beside the report.", highlight=False, soft_wrap=True)
    console.print(f"Report: [bold]{escape(str(paths['html']))}[/bold] "
                  f"({elapsed_since(started)})", highlight=False, soft_wrap=True)
