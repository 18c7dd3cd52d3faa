"""``tincheck meta``: meta-analysis of outcome studies, independent and allegiant apart."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from ..evidence import read_studies
from ..evidence.synthesis import EvidenceSynthesis, synthesise
from ..examples import example_path
from ..outputs import check_folder, write_text
from ..report.meta import fmt, fmt_p, interval, render_html, to_json
from ..stats.study_effects import MEASURES
from . import app
from .output import console


class Method(str, Enum):
    REML = "REML"
    DL = "DL"
    PM = "PM"
    ML = "ML"
    FE = "FE"
    SJ = "SJ"
    HE = "HE"
    HS = "HS"
    EB = "EB"


Measure = Enum("Measure", {m: m for m in MEASURES}, type=str)


class Test(str, Enum):
    z = "z"
    knha = "knha"
    knha_adhoc = "knha_adhoc"


class Benefit(str, Enum):
    positive = "positive"
    negative = "negative"


def summary_table(syn: EvidenceSynthesis) -> Table:
    """The pooled estimates side by side, as a terminal table."""
    level = f"{syn.level:.0%}"
    table = Table(title=f"Meta-analysis of {syn.overall.k} studies ({syn.method}, "
                        f"{syn.test} test)", title_justify="left", header_style="bold")
    for name, justify in (("studies", "left"), ("k", "right"), ("estimate", "right"),
                          (f"{level} CI", "right"), (f"{level} PI", "right"),
                          ("tau^2", "right"), ("I^2", "right")):
        table.add_column(name, justify=justify)
    for p in syn.side_by_side:
        r = p.result
        if r is None:
            table.add_row(escape(p.description), "0", "-", "-", "-", "-", "-")
            continue
        table.add_row(escape(p.description), str(p.k), fmt(r.estimate), interval(r.ci_low, r.ci_high),
                      interval(r.pi_low, r.pi_high), fmt(r.tau2, 3),
                      f"{fmt(r.I2, 0)}%" if r.k > 1 else "-")
    return table


def print_summary(syn: EvidenceSynthesis) -> None:
    o = syn.overall
    console.print(summary_table(syn))
    console.print(f"Heterogeneity: Q = {fmt(o.Q)} on {o.Q_df} df, p {fmt_p(o.Q_pvalue)}",
                  highlight=False)
    small = []
    if syn.egger is not None:
        small.append(f"Egger p {fmt_p(syn.egger.pvalue)}")
    if syn.begg is not None:
        small.append(f"Begg p {fmt_p(syn.begg.pvalue)}")
    if syn.trimfill is not None:
        small.append(f"trim-and-fill {syn.trimfill.k0} imputed on the {syn.trimfill.side}, "
                     f"adjusted {fmt(syn.trimfill.adjusted.estimate)}")
    if small:
        console.print("Small-study effects: " + "; ".join(small), highlight=False)
    if syn.influence is not None:
        flagged = syn.influence.flagged
        loo = syn.leave_one_out
        console.print(f"Influence: {', '.join(flagged) if flagged else 'no study'} "
                      f"influential by metafor's criteria; leaving one out, the estimate "
                      f"ranges {fmt(float(np.nanmin(loo.estimate)))} to "
                      f"{fmt(float(np.nanmax(loo.estimate)))}",
                      highlight=False, markup=False)
    if syn.grade is None:
        console.print(f"Evidence grading not computed: the file has no "
                      f"{', '.join(syn.grading_missing)} column(s)", highlight=False,
                      markup=False)
        return
    colour = "green" if syn.grade.met else "red"
    console.print(f"[bold {colour}]{escape(syn.grade.statement)}[/bold {colour}]",
                  highlight=False)


@app.command()
def meta(
    studies: Path = typer.Argument(
        None, metavar="STUDIES",
        help="Studies file (CSV): study and yi + vi/sei "
             "(or mean_pre, mean_post, sd_pre, n, r; or raw data with "
             "--measure); optional year, design, setting, outcome, "
             "independent, allegiance, coi_declared (the grading needs "
             "setting, outcome, independent and allegiance)."),
    out: Path = typer.Option(Path("tincheck-meta"), "--out", help="Folder for report.html "
                             "and report.json (created if needed)."),
    measure: Measure = typer.Option(None, "--measure", help="Compute each study's effect "
                                    "size from raw data in columns named as metafor's escalc "
                                    "arguments: SMD (m1i, sd1i, n1i, m2i, sd2i, n2i), SMCR (m1i, "
                                    "m2i, sd1i, ni, ri), SMCRH and SMCC (also sd2i), RR, OR, RD "
                                    "(ai, bi, ci, di or ai, n1i, ci, n2i), ZCOR (ri, ni), PLO, "
                                    "PR (xi, ni).", case_sensitive=False),
    method: Method = typer.Option(Method.REML, "--method", help="Estimator of tau^2: REML, "
                                  "DL, PM, ML, FE, SJ (Sidik-Jonkman), HE (Hedges), HS "
                                  "(Hunter-Schmidt), EB (empirical Bayes)."),
    test: Test = typer.Option(Test.z, "--test", help="z (Wald), knha (Hartung-Knapp) or "
                              "knha_adhoc (Hartung-Knapp, never narrower than z)."),
    level: float = typer.Option(0.95, "--level", help="Confidence level of every interval."),
    by: str = typer.Option(None, "--by", help="Feature the forest plot is grouped by "
                           "(design, setting, outcome, independent, allegiance, coi_declared "
                           "or any extra column; default independent when the file has it)."),
    cumulative_by: str = typer.Option(None, "--cumulative-by", help="Column the cumulative "
                                      "analysis adds studies by: year (the default when "
                                      "present, else file order), yi, vi, n or any coded "
                                      "feature or extra column."),
    benefit: Benefit = typer.Option(Benefit.positive, "--benefit", help="Sign of a "
                                    "beneficial effect size."),
    example: bool = typer.Option(False, "--example", help="Use the example studies file "
                                 "shipped with tincheck (made-up illustrative values)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON report instead of "
                                 "the summary table."),
) -> None:
    """Meta-analyse outcome studies, independent and allegiant evidence side by side.

    Pooled effect, heterogeneity, subgroups, small-study effects, influence, leave-one-out
    and cumulative analyses, and a Tolin et al. (2015) grade when the file has its columns.

    Writes report.html and report.json to --out; exit status 2 if the file has errors.

    Example: tincheck meta studies.csv --method REML --test knha --out meta-report/
    """
    if example == (studies is not None):
        raise typer.BadParameter("give a studies file, or --example for the one shipped "
                                 "with tincheck", param_hint="'STUDIES' or '--example'")
    check_folder(out, ("report.html", "report.json"), option="--out")  # before any work
    path = example_path("meta_studies.csv") if example else studies
    data = read_studies(path, measure=measure.value if measure else None)
    try:
        syn = synthesise(data, method=method.value, test=test.value, level=level,
                         benefit=benefit.value, by=by, cumulative_by=cumulative_by)
    except ValueError as error:
        raise ValueError(f"cannot analyse {path}: {error}") from None
    write_text(out / "report.html", render_html(syn))
    write_text(out / "report.json", to_json(syn))
    if as_json:
        console.print_json(to_json(syn))
        return
    print_summary(syn)
    console.print(f"Report: {escape(str(out / 'report.html'))} (numbers: "
                  f"{escape(str(out / 'report.json'))})", highlight=False, soft_wrap=True)
