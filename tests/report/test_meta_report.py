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
            "Small-study effects", "Evidence grading", "Studies", "Notes and warnings",
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
    assert titles == ["Forest plot by independent", "Funnel plot"]
    assert html.count('role="img"') == 2
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
