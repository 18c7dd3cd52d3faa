"""``tincheck meta``: meta-analysis of outcome studies, independent and allegiant apart."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..evidence import read_studies
from ..evidence.synthesis import EvidenceSynthesis, synthesise
from ..examples import example_path
from ..outputs import check_folder, write_text
from ..report.meta import fmt, fmt_p, interval, render_html, to_json
from . import app
from .output import console


class Method(str, Enum):
    REML = "REML"
    DL = "DL"
    PM = "PM"
    ML = "ML"
    FE = "FE"


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
    colour = "green" if syn.grade.met else "red"
    console.print(f"[bold {colour}]{escape(syn.grade.statement)}[/bold {colour}]",
                  highlight=False)


@app.command()
def meta(
    studies: Path = typer.Argument(None, help="Studies file (CSV): study, year, design, "
                                   "setting, outcome, independent, allegiance, coi_declared "
                                   "and yi + vi/sei or mean_pre, mean_post, sd_pre, n, r."),
    out: Path = typer.Option(Path("tincheck-meta"), "--out", help="Folder for report.html "
                             "and report.json (created if needed)."),
    method: Method = typer.Option(Method.REML, "--method", help="Estimator of tau^2."),
    test: Test = typer.Option(Test.z, "--test", help="z (Wald), knha (Hartung-Knapp) or "
                              "knha_adhoc (Hartung-Knapp, never narrower than z)."),
    level: float = typer.Option(0.95, "--level", help="Confidence level of every interval."),
    by: str = typer.Option("independent", "--by", help="Feature the forest plot is grouped "
                           "by (design, setting, outcome, independent, allegiance, "
                           "coi_declared or any extra column)."),
    benefit: Benefit = typer.Option(Benefit.positive, "--benefit", help="Sign of a "
                                    "beneficial effect size."),
    example: bool = typer.Option(False, "--example", help="Use the example studies file "
                                 "shipped with tincheck (made-up illustrative values)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON report instead of "
                                 "the summary table."),
) -> None:
    """Meta-analyse outcome studies, independent and allegiant evidence side by side.

    Pooled effect, heterogeneity, subgroups, small-study effects, Tolin et al. (2015) grade.

    Writes report.html and report.json to --out; exit status 2 if the file has errors.

    Example: tincheck meta studies.csv --method REML --test knha --out meta-report/
    """
    if example == (studies is not None):
        raise typer.BadParameter("give a studies file, or --example for the one shipped "
                                 "with tincheck", param_hint="'STUDIES' or '--example'")
    check_folder(out, ("report.html", "report.json"), option="--out")  # before any work
    path = example_path("meta_studies.csv") if example else studies
    data = read_studies(path)
    try:
        syn = synthesise(data, method=method.value, test=test.value, level=level,
                         benefit=benefit.value, by=by)
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
