"""``tincheck study``: plan an independent outcome study (``power``, ``sample``)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from ..outputs import check_folder
from ..study import ScheduleRules, StudyError, draw_sample, plan, write_study
from . import app
from .output import console, steps

study_app = typer.Typer(
    name="study", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Plan an independent outcome study: sample size (power), and a reproducible "
    "sample with its schedule and protocol page (sample).\n\n"
    "Example: tincheck study power --design mcnemar --p10 0.15 --p01 0.05")
app.add_typer(study_app, name="study")


class Design(str, Enum):
    precision = "precision"
    mcnemar = "mcnemar"
    benchmark = "benchmark"
    two_proportions = "two-proportions"


class Alternative(str, Enum):
    two_sided = "two-sided"
    one_sided = "one-sided"


# Options shared by both commands (the sample-size calculation).
DESIGN = typer.Option(None, "--design", help="precision (one share, Wilson interval), "
                      "mcnemar (questionnaire recovery vs loss of diagnosis in the same "
                      "clients), benchmark (exact binomial test) or two-proportions.")
P = typer.Option(None, "--p", help="precision: anticipated share, e.g. 0.1.")
HALF_WIDTH = typer.Option(None, "--half-width",
                          help="precision: largest 95% interval half-width, e.g. 0.05.")
P10 = typer.Option(None, "--p10", help="mcnemar: share recovered by questionnaire but still "
                   "diagnosed at interview.")
P01 = typer.Option(None, "--p01", help="mcnemar: share who lost the diagnosis but did not "
                   "recover by questionnaire.")
P0 = typer.Option(None, "--p0", help="benchmark: the benchmark share.")
P1 = typer.Option(None, "--p1", help="benchmark, two-proportions: the (first) anticipated "
                  "share.")
P2 = typer.Option(None, "--p2", help="two-proportions: the second group's share.")
RATIO = typer.Option(1.0, "--ratio", help="two-proportions: n2 / n1.")
ALPHA = typer.Option(0.05, "--alpha", help="Significance level.")
POWER = typer.Option(0.8, "--power", help="Target power.")
CONFIDENCE = typer.Option(0.95, "--confidence", help="precision: confidence level.")
ALTERNATIVE = typer.Option(Alternative.two_sided, "--alternative", help="two-sided or "
                           "one-sided (in the anticipated direction).")
COMPLETION = typer.Option(1.0, "--completion", help="Expected share completing the "
                          "interview (e.g. 0.7 at follow-up): n is divided by it.")
CLUSTER = typer.Option(1.0, "--cluster-size", help="Average sampled clients per therapist "
                       "(design effect 1 + (m - 1) ICC).")
ICC = typer.Option(0.0, "--icc", help="Intraclass correlation within therapists.")


def _plan(design, **values):
    if design is None:
        return None
    values["alternative"] = values["alternative"].value
    return plan(design.value, **values)


def _plan_table(p) -> Table:
    table = Table(title=f"Sample size: {p.design}", title_justify="left", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    table.add_row("question", p.question)
    for key, value in p.inputs.items():
        table.add_row(key, f"{value:g}" if isinstance(value, float) else str(value))
    table.add_row("formula", p.formula)
    for note in p.notes:
        table.add_row("note", note)
    per = " per group" if p.design == "two-proportions" else ""
    table.add_row("n" + per, f"{p.n:,}")
    table.add_row("inflation", p.inflation)
    table.add_row("n to recruit" + per, f"[bold]{p.n_recruit:,}[/bold]")
    table.add_row("reference", p.reference)
    return table


@study_app.command("power")
def power_command(
    design: Design = typer.Option(..., "--design", help=DESIGN.help),
    p: float = P, half_width: float = HALF_WIDTH, p10: float = P10, p01: float = P01,
    p0: float = P0, p1: float = P1, p2: float = P2, ratio: float = RATIO,
    alpha: float = ALPHA, power: float = POWER, confidence: float = CONFIDENCE,
    alternative: Alternative = ALTERNATIVE, completion: float = COMPLETION,
    cluster_size: float = CLUSTER, icc: float = ICC,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs."),
) -> None:
    """How many clients a study needs: n with the formula used, and n to recruit.

    Example: tincheck study power --design mcnemar --p10 0.15 --p01 0.05
    """
    result = _plan(design, p=p, half_width=half_width, p10=p10, p01=p01, p0=p0, p1=p1,
                   p2=p2, ratio=ratio, alpha=alpha, power=power, confidence=confidence,
                   alternative=alternative, completion=completion,
                   cluster_size=cluster_size, icc=icc)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    console.print(_plan_table(result))


def _months(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise StudyError(f"--follow-up-months {text}: expected whole numbers of months, "
                         "e.g. 6,12") from None


@study_app.command("sample")
def sample_command(
    data_dir: Path = typer.Argument(
        ..., metavar="DATA_DIR",
        help="Folder with the service's table files."),
    n: int = typer.Option(None, "--n", help="Referrals to sample (default: the --design's "
                          "n to recruit, or the sum of --allocation)."),
    strata: str = typer.Option("", "--strata", metavar="COLUMNS",
                               help="Comma-separated stratum columns: any referral column, "
                               "or step, problem_group, problem_category, ethnic_group, "
                               "age_band."),
    seed: int = typer.Option(1, "--seed", help="Seed of the random draw."),
    out: Path = typer.Option(Path("study"), "--out", help="Folder for sample.csv, "
                             "schedule.csv, frame.csv and protocol.html."),
    received: str = typer.Option(None, "--received", metavar="START:END",
                                 help="Only referrals received in this window (inclusive)."),
    allocation: Path = typer.Option(None, "--allocation", help="CSV of n per stratum (columns "
                                    "n and stratum, or n and the strata); default "
                                    "proportional."),
    reserve_ratio: float = typer.Option(1.0, "--reserve-ratio",
                                        help="Reserves per sampled referral in each stratum."),
    baseline_days: int = typer.Option(28, "--baseline-days", help="Length of the baseline "
                                      "window from the received date (ends before the "
                                      "first treatment contact)."),
    end_weeks: int = typer.Option(4, "--end-weeks", help="End interview within this many "
                                  "weeks of the referral ending."),
    follow_up_months: str = typer.Option("6,12", "--follow-up-months",
                                         help="Follow-ups, months after the end (comma-"
                                         "separated)."),
    follow_up_weeks: int = typer.Option(2, "--follow-up-weeks",
                                        help="Follow-up window: ± this many weeks."),
    instrument: str = typer.Option("SCID-5", "--instrument",
                                   help="The diagnostic interview the study will use."),
    question: str = typer.Option(None, "--question", help="The study's question, for the "
                                 "protocol (default: the design's)."),
    design: Design = DESIGN, p: float = P, half_width: float = HALF_WIDTH,
    p10: float = P10, p01: float = P01, p0: float = P0, p1: float = P1, p2: float = P2,
    ratio: float = RATIO, alpha: float = ALPHA, power: float = POWER,
    confidence: float = CONFIDENCE, alternative: Alternative = ALTERNATIVE,
    completion: float = COMPLETION, cluster_size: float = CLUSTER, icc: float = ICC,
    no_disclosure_control: bool = typer.Option(
        False, "--no-disclosure-control", help="Exact small counts in frame.csv and the "
        "protocol (internal use only)."),
    key_file: Path = typer.Option(None, "--key-file", help="File holding the pseudonym key."),
    memory_limit: str = typer.Option(None, "--memory-limit", metavar="SIZE",
                                     help="Cap DuckDB's memory, e.g. 3GB."),
) -> None:
    """Draw a reproducible stratified sample, with reserves, schedule and protocol page.

    Reads and validates the data as tincheck audit does; writes sample.csv
    (pseudonymous ids only), schedule.csv, frame.csv and protocol.html into --out.

    Example: tincheck study sample my-service/ --n 300 --strata problem_group,step --seed 7
    """
    check_folder(out, ("sample.csv", "schedule.csv", "frame.csv", "protocol.html"),
                 option="--out")  # before any work
    sample_plan = _plan(design, p=p, half_width=half_width, p10=p10, p01=p01, p0=p0,
                        p1=p1, p2=p2, ratio=ratio, alpha=alpha, power=power,
                        confidence=confidence, alternative=alternative,
                        completion=completion, cluster_size=cluster_size, icc=icc)
    rules = ScheduleRules(baseline_days, end_weeks, _months(follow_up_months),
                          follow_up_weeks)
    if allocation is not None and not allocation.is_file():
        raise StudyError(f"--allocation {allocation}: no such file")
    with steps() as step:
        step("reading and validating the data, drawing the sample")
        study = draw_sample(data_dir, n=n, strata=strata, seed=seed, received=received,
                            allocation=allocation, reserve_ratio=reserve_ratio,
                            rules=rules, plan=sample_plan, instrument=instrument,
                            question=question,
                            disclosure_control=not no_disclosure_control,
                            key_file=key_file, memory_limit=memory_limit)
        step("writing the files and the protocol page")
        paths = write_study(study, out)
    doc = study.to_document()
    console.print(_sample_table(doc))
    console.print(f"Wrote {paths['sample']}, {paths['schedule']}, {paths['frame']} and "
                  f"{paths['protocol']}", highlight=False, soft_wrap=True)


def _count(value) -> str:
    return "*" if value is None else f"{value:,}"


def _sample_table(doc: dict) -> Table:
    title = "tincheck study sample" + (" (SYNTHETIC DATA)" if doc["data"].get("synthetic")
                                       else "")
    table = Table(title=title, title_justify="left", show_header=False,
                  caption=doc["settings"]["disclosure_rule"], caption_justify="left")
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    settings = doc["settings"]
    table.add_row("frame", f"{_count(doc['frame_n'])} referrals"
                  + (f" received {settings['received']}" if settings.get("received") else ""))
    table.add_row("strata", f"{len(doc['strata'])} ({', '.join(settings['strata']) or 'none'})"
                  f", allocation {settings['allocation']}")
    table.add_row("sampled", _count(doc["n"]))
    table.add_row("reserves", _count(doc["reserve_n"]))
    if doc.get("plan"):
        table.add_row("needed (design)", f"{doc['plan']['n_recruit']:,} to recruit")
    flagged = [r["label"] for r in doc["representativeness"] if r.get("flag")]
    table.add_row("|SMD| > 0.1", ", ".join(flagged) or "none")
    table.add_row("seed", str(settings["seed"]))
    return table
