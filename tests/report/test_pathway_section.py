"""Section 9, the treatment pathway: what it says when data are missing, its flow chart,
and the NICE figures beside (never inside) its charts."""

from __future__ import annotations

import re

import pytest

import tincheck
from tincheck.report.audit import render_html

from ..ingest.folders import copy_example, drop_column
from .audit_pages import sections, structure, text


def _section(page: str) -> str:
    return {i: body for i, _, body in sections(page)}["pathway"]


@pytest.fixture(scope="module")
def example_page():
    doc = tincheck.audit(tincheck.example_path(), imputations=0).to_json()
    return doc, render_html(doc)


@pytest.fixture(scope="module")
def stripped_page(tmp_path_factory):
    """The example without problem descriptors, sources, media, therapy types and
    intensities (all optional columns) and without interviews."""
    folder = copy_example(tmp_path_factory.mktemp("stripped"), tables=(
        "referrals", "appointments", "measures"))
    for table, column in (("referrals", "problem_descriptor"), ("referrals", "source"),
                          ("appointments", "medium"), ("appointments", "therapy_type"),
                          ("appointments", "intensity")):
        drop_column(folder, table, column)
    doc = tincheck.audit(folder, imputations=0).to_json()
    return doc, render_html(doc)


def test_the_section_says_what_the_data_did_not_allow(stripped_page):
    doc, page = stripped_page
    body = _section(page)
    assert "<h3>Not computed</h3>" in body
    listed = re.search(r"<h3>Not computed</h3><ul>(.*?)</ul>", body, re.S).group(1)
    items = [text(i) for i in re.findall(r"<li>(.*?)</li>", listed, re.S)]
    assert [i.split(":")[0] for i in items] == [
        "No referral has a problem descriptor", "No referral records its source",
        "No appointment records its medium",
        "No treatment contact records its step (intensity or therapy type)",
        "No interviews table"]
    # the figures that cannot be computed have no value (never a zero shown as a rate)
    for metric_id in ("pathway.first_step_not_recommended",
                      "pathway.high_intensity_minimum_dose", "pathway.days_to_step_up"):
        assert doc["metrics"][metric_id]["value"] is None, metric_id


def test_a_complete_service_has_nothing_listed_as_not_computed(example_page):
    assert "Not computed" not in _section(example_page[1])


def test_the_flow_chart_is_inline_accessible_svg_with_every_link_described(example_page):
    doc, page = example_page
    body = _section(page)
    svg = re.search(r'<svg [^>]*role="img"[^>]*><title>The pathway: from referral to '
                    r'loss of diagnosis</title><desc>(.*?)</desc>', body, re.S)
    assert svg and "<script" not in body
    described = svg.group(1)
    for row in doc["tables"]["pathway.flow"]:
        count = "*" if row["referrals"] is None else f"{row['referrals']:,}"
        assert f"{row['source_label']} to {row['target_label']}: {count}" in described
    charts = structure(page)["sections"][8]["charts"]
    assert charts == ["The pathway: from referral to loss of diagnosis",
                      "Sessions against NICE's recommended range"]


def test_outcomes_by_dose_band_are_worded_as_an_association(example_page):
    body = text(_section(example_page[1]))
    assert "an association, not the effect of the dose" in body
    assert "(an association, not an effect)" in body


def test_nice_figures_are_reference_text_with_their_guideline(example_page):
    body = _section(example_page[1])
    applied = re.findall(r'<li><span class="def">(.*?)</span></li>', body, re.S)
    assert any("5–7 sessions (CG113, 1.2.13; seen in NICE&#x27;s text: yes (as reproduced))"
               in item for item in applied)
    assert any("ptsd: not a first step (CG123 (2011)" in item for item in applied)
    charts = "".join(re.findall(r"<svg .*?</svg>", body, re.S))
    assert "5–7" not in charts and "12–16" not in charts
