"""``tincheck synth``: write a synthetic service's data folder."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..outputs import check_folder
from ..synth import NOTICE, generate
from . import app
from .output import console


@app.command()
def synth(
    referrals: int = typer.Option(20_000, "--referrals", "-n", help="Number of referrals."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same "
                             "bytes."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write (created)."),
    services: int = typer.Option(8, "--services", help="Number of services (providers)."),
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
    interview_fraction: float = typer.Option(
        0.1, "--interview-fraction", help="Share of referrals seen at least once who get "
        "independent diagnostic interviews (0 for none)."),
    config: Path = typer.Option(None, "--config", help="TOML file overriding entries of "
                                "the generator's parameters.toml."),
    nhs_style: bool = typer.Option(False, "--nhs-style", help="NHS column names and codes, "
                                   "DD/MM/YYYY dates, as an NHS extract."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace table files already "
                                   "in the folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Write a synthetic service (every table of the data model) calibrated to England.

    The data come from a latent model of disorders, severity and care pathways whose
    default parameters reproduce the published NHS Talking Therapies figures; a
    manifest.json marks the folder as synthetic. See docs/synth.md.

    Example: tincheck synth --referrals 100000 --seed 1 --out synthetic/
    """
    started = time.perf_counter()
    check_folder(out, option="--out")  # before any work
    if quiet:
        folder = generate(out, referrals, seed, services, fmt, interview_fraction, config,
                          nhs_style=nhs_style, overwrite=overwrite)
    else:
        with Progress(TextColumn("synthesising"), BarColumn(), TextColumn(
                "{task.completed:,}/{task.total:,} referrals"), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("synth", total=referrals)
            folder = generate(out, referrals, seed, services, fmt, interview_fraction,
                              config, nhs_style=nhs_style, overwrite=overwrite,
                              progress=lambda done, total: bar.update(task, completed=done))
    if not quiet:
        console.print(f"Wrote {referrals:,} synthetic referrals (seed {seed}) to "
                      f"{escape(str(folder))} in {time.perf_counter() - started:.1f} s.",
                      highlight=False, soft_wrap=True)
        console.print(f"[yellow]{NOTICE}[/yellow]", highlight=False)
