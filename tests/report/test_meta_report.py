"""The meta-analysis report: page structure, numbers shown, charts, JSON."""

from __future__ import annotations

import json
import re

import pytest

from tincheck.evidence import read_studies
from tincheck.evidence.synthesis import synthesise
from tincheck.examples import example_path
from tincheck.report.meta import fmt, render_html, to_json

SECTIONS = ["Summary", "Pooled estimate", "Forest plot",
            "Independent and allegiant evidence side by side", "Subgroups",
            "Small-study effects", "Influence of each study", "Leave-one-out",
            "Cumulative meta-analysis", "Evidence grading", "Studies", "Notes and warnings",
            "Methods"]


@pytest.fixture(scope="module")
def synthesis():
    return synthesise(read_studies(example_path("meta_studies.csv")))


@pytest.fixture(scope="module")
def html(synthesis):
    return render_html(synthesis)


def test_sections_in_order(html):
    assert re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', html) == [
        s.replace("&", "&amp;") for s in SECTIONS]


def test_charts_are_inline_accessible_svg(html):
    titles = re.findall(r"<svg [^>]*><title>([^<]+)</title>", html)
    assert titles == ["Forest plot by independent", "Funnel plot", "Baujat plot",
                      "Leave-one-out meta-analysis",
                      "Cumulative meta-analysis by publication year"]
    assert html.count('role="img"') == 5
    namespaces = r'xmlns(:xlink)?="http://www.w3.org/(2000/svg|1999/xlink)"'
    assert "http://" not in re.sub(namespaces, "", html)  # namespace names, not fetches
    assert "<script" not in html and "<link" not in html


def test_numbers_shown_are_the_synthesis_numbers(synthesis, html):
    o = synthesis.overall
    assert f"{fmt(o.estimate)}</div>" in html  # the headline card
    assert f"{fmt(o.pi_low)} to {fmt(o.pi_high)}" in html
    assert synthesis.grade.statement in html
    independent = synthesis.pooled("independent").result
    assert f"studies by independent evaluators to {fmt(independent.estimate)}" in html
    assert f"{synthesis.trimfill.k0} studies imputed on the left" in html


def test_example_data_is_labelled_as_made_up(html):
    assert "Example data: the studies in this report are made up for illustration" in html


def test_json_report(synthesis):
    data = json.loads(to_json(synthesis))
    assert data["report"] == "tincheck meta"
    assert data["overall"]["tau2"] == pytest.approx(synthesis.overall.tau2)
    assert "NaN" not in to_json(synthesis)


def test_rendering_is_deterministic(synthesis, html):
    assert render_html(synthesis) == html


def test_influence_leave_one_out_and_cumulative_numbers_are_shown(synthesis, html):
    inf, loo, cum = synthesis.influence, synthesis.leave_one_out, synthesis.cumulative
    section = html.split('id="influence"')[1].split("</section>")[0]
    assert f'<td class="num">{fmt(inf.rstudent[0])}</td>' in section
    assert f'<td class="num">{fmt(inf.cook_d[9])}</td>' in section
    assert "No study is influential by metafor&#x27;s criteria" in section
    section = html.split('id="leave-one-out"')[1].split("</section>")[0]
    assert (f'<td class="num">{fmt(loo.estimate[0])}</td><td class="num">'
            f"{fmt(loo.ci_low[0])} to {fmt(loo.ci_high[0])}</td>") in section
    section = html.split('id="cumulative"')[1].split("</section>")[0]
    # cumulative by year, coloured by allegiance (a legend entry per group)
    assert "evaluators with allegiance" in section and "evaluators without allegiance" in section
    assert cum.labels[0] == "Example service A 2011"
    assert f'<td class="num">{fmt(cum.estimate[-1])}</td>' in section
    assert fmt(cum.estimate[-1]) == fmt(synthesis.overall.estimate)


def test_a_file_of_study_yi_vi_gets_every_analysis_but_the_grading(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("study,yi,vi\nA,0.30,0.010\nB,0.52,0.020\nC,0.41,0.015\n"
                    "D,0.12,0.030\nE,0.95,0.012\n", encoding="utf-8")
    syn = synthesise(read_studies(path))
    page = render_html(syn)
    assert re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page) == [
        s.replace("&", "&amp;") for s in SECTIONS]
    titles = re.findall(r"<svg [^>]*><title>([^<]+)</title>", page)
    assert titles == ["Forest plot", "Funnel plot", "Baujat plot",
                      "Leave-one-out meta-analysis",
                      "Cumulative meta-analysis by the order of the file"]
    assert ("Evidence grading not computed: the studies file has no setting, outcome, "
            "independent, allegiance columns") in page
    assert "Not separated by independent and allegiance" in page
    assert "No subgroups: the studies file has no coded feature" in page
    json.loads(to_json(syn))


def test_raw_data_report_names_the_measure(tmp_path):
    path = tmp_path / "trials.csv"
    path.write_text("study,year,ai,n1i,ci,n2i\nA,2001,4,123,11,139\nB,2004,0,22,1,21\n"
                    "C,2008,6,306,29,303\n", encoding="utf-8")
    syn = synthesise(read_studies(path, measure="RR"))
    page = render_html(syn)
    assert "Log risk ratio with 95% CI" in page  # the axis of the forest plot
    assert "RR (0.5 added to its cells)" in page
    assert "converted to the log risk ratio (RR)" in page
    assert json.loads(to_json(syn))["studies"][1]["raw"] == {
        "ai": 0.0, "n1i": 22.0, "ci": 1.0, "n2i": 21.0}
