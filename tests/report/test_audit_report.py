"""The audit report page: sections, snapshot of its structure, charts, links, CSV.

The example service and a small synthetic service are audited and rendered once per
module; every test reads those pages.
"""

from __future__ import annotations

import copy
import csv
import io
import re

import pytest

import tincheck
from tincheck.disclosure import published_costs
from tincheck.notices import ANY_ASSESSOR_WARNING
from tincheck.report.audit import SECTIONS, metrics_csv, render_html, write_report
from tincheck.report.audit.document import Doc
from tincheck.report.format import value_text
from tincheck.report.audit.export import COLUMNS
from tincheck.report.audit.interviews import kappa_band
from tincheck.notices import SYNTHETIC_NOTICE
from tincheck.synth import generate

from ..conftest import REPO
from ..ingest.folders import copy_example
from .audit_pages import (PageStructure, external_references, marked_counts, sections,
                          structure, text)

TITLES = [title for _, title, _ in SECTIONS]
IMPUTATIONS = 5  # fewer than the default 20: the page, not the imputation, is tested here


@pytest.fixture(scope="module")
def example():
    audit = tincheck.audit(tincheck.example_path(), imputations=IMPUTATIONS)
    doc = audit.to_json()
    return audit, doc, render_html(doc)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("synthetic") / "data", referrals=2_000, seed=1)
    audit = tincheck.audit(folder, imputations=IMPUTATIONS)
    doc = audit.to_json()
    return audit, doc, render_html(doc)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """The example without its optional tables (no interviews, costs or therapists)."""
    folder = copy_example(tmp_path_factory.mktemp("bare"), tables=(
        "referrals", "appointments", "measures"))
    doc = tincheck.audit(folder, imputations=0).to_json()
    return doc, render_html(doc)


# ------------------------------------------------------------------ structure

@pytest.mark.parametrize("which", ["example", "synthetic"])
def test_every_section_is_present_in_order(which, request):
    page = request.getfixturevalue(which)[2]
    assert [t for _, t, _ in sections(page)] == TITLES
    assert 'id="header"' in page  # the header: services, period, hashes, version, rule


def test_structure_of_the_example_report_matches_the_snapshot(example, snapshot):
    assert structure(example[2]) == snapshot(extension_class=PageStructure)


def test_sections_without_data_say_so_in_one_line(bare):
    doc, page = bare
    found = {section_id: body for section_id, _, body in sections(page)}
    assert [t for _, t, _ in sections(page)] == TITLES  # none vanishes
    for section_id in ("diagnostic", "agreement", "independence"):
        assert text(found[section_id]) == ("No interviews table was supplied: loss of "
                                           "diagnosis by independent blind interview cannot "
                                           "be assessed.")
    assert text(found["value"]) == ("No costs table was supplied: cost per outcome is not "
                                    "computed.")
    headline = structure(page)["sections"][0]["cards"]
    assert ["Lost their diagnoses at the end", "no interviews"] in headline


def test_header_names_services_files_version_engine_and_rule(example):
    _, doc, page = example
    header = text(re.search(r'<dl class="meta" id="header">(.*?)</dl>', page, re.S).group(1))
    assert "Services S1, S2" in header
    for name, sha in doc["data"]["files"].items():
        assert f"{name} sha256 {sha}" in header
    assert f"tincheck {doc['tincheck_version']}, duckdb engine" in header
    assert doc["settings"]["disclosure_rule"] in header
    assert "all data: referrals received 2023-01-09 to 2024-10-01" in header


def test_synthetic_data_carries_the_banner_and_real_data_does_not(example, synthetic):
    assert SYNTHETIC_NOTICE in synthetic[2]
    assert synthetic[2].index(SYNTHETIC_NOTICE) < synthetic[2].index("</header>")
    assert SYNTHETIC_NOTICE not in example[2]


def test_any_assessor_audits_say_so_in_the_headline(example):
    doc = copy.deepcopy(example[1])
    doc["settings"]["assessors"] = "any"
    headline = sections(render_html(doc))[0][2]
    assert f'role="note">{ANY_ASSESSOR_WARNING}' in headline.replace("&#x27;", "'")


# ------------------------------------------------------------------ numbers shown

def test_headline_cards_show_the_documents_figures(synthetic):
    _, doc, page = synthetic
    cards = dict(structure(page)["sections"][0]["cards"])
    for label, metric_id in (("Official recovery rate", "official.recovery_rate"),
                             ("Recovery among everyone referred as a case",
                              "itt.recovery_among_cases"),
                             ("Lost their diagnoses at the end",
                              "diagnostic.lost_index_end_itt")):
        assert cards[label] == value_text(doc["metrics"][metric_id])
    m = doc["metrics"]["official.recovery_rate"]
    assert f"{m['numerator']:,} of {m['denominator']:,}" in text(sections(page)[0][2])


def test_every_figure_table_row_is_the_documents_metric(synthetic):
    _, doc, page = synthetic
    for section in structure(page)["sections"]:
        for metric_id, (value, _ci, _of) in section["figures"].items():
            assert value == value_text(doc["metrics"][metric_id]), metric_id


def test_every_count_on_the_page_is_marked_and_rounded_to_5(synthetic):
    counts = marked_counts(synthetic[2])
    assert len(counts) > 100
    assert all(c >= 5 and c % 5 == 0 for c in counts)


def test_empty_rows_of_the_document_show_as_dashes_not_zeros(bare):
    doc, page = bare
    [value] = [s for s in structure(page)["sections"] if s["id"] == "value"]
    assert value["figures"] == {}  # cost per outcome: an empty section


# ------------------------------------------------------------------ charts and links

@pytest.mark.parametrize("which", ["example", "synthetic"])
def test_charts_are_inline_accessible_svg(which, request):
    page = request.getfixturevalue(which)[2]
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", page, re.S)
    assert len(svgs) >= 7
    for svg in svgs:
        assert 'role="img"' in svg[:300] and "aria-label=" in svg[:300]
        title = re.search(r"<title>([^<]+)</title>", svg).group(1)
        desc = re.search(r"<desc>([^<]+)</desc>", svg).group(1)
        assert title and len(desc) > 40, title


@pytest.mark.parametrize("which", ["example", "synthetic", "bare"])
def test_no_external_resource_is_referenced(which, request):
    page = request.getfixturevalue(which)[-1]
    assert external_references(page) == []
    # namespace names are names, not fetches: the only http URLs allowed are SVG's and
    # XLink's xmlns attributes
    namespaces = r' xmlns(:xlink)?="http://www\.w3\.org/(2000/svg|1999/xlink)"'
    assert re.findall(namespaces, page)
    rest = re.sub(namespaces, "", page)
    assert "http://" not in rest and "https://" not in rest


def test_external_reference_finder_finds_what_it_must():
    page = ('<html><head><style>@import "x.css"; body{background:url( https://x/y.png)}'
            '</style><link rel=stylesheet href="//cdn/x.css"></head><body>'
            '<script src="http://x/a.js"></script><svg xmlns="http://www.w3.org/2000/svg">'
            '<image href="https://x/i.png"/></svg><a href="#local">ok</a></body></html>')
    found = external_references(page)
    assert '@import "x.css"' in found
    assert "url( https://x/y.png)" in found
    assert "<link href=//cdn/x.css>" in found
    assert "<script src=http://x/a.js>" in found
    assert "<image href=https://x/i.png>" in found
    assert not any("#local" in f or "w3.org" in f for f in found)


def test_page_has_print_and_phone_rules(example):
    page = example[2]
    assert "@media print" in page and "break-before: page" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width: 40rem)" in page


def test_rendering_is_deterministic(example):
    assert render_html(example[1]) == example[2]


# ------------------------------------------------------------------ metrics.csv

def test_metrics_csv_has_one_row_per_metric_with_the_documents_values(example):
    _, doc, _ = example
    rows = list(csv.DictReader(io.StringIO(metrics_csv(doc))))
    assert tuple(rows[0]) == COLUMNS
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == set(doc["metrics"]) | set(doc["tables"])
    rec = by_id["official.recovery_rate"]
    m = doc["metrics"]["official.recovery_rate"]
    assert (float(rec["value"]), int(rec["numerator"]), int(rec["denominator"])) == (
        m["value"], m["numerator"], m["denominator"])
    assert rec["suppressed"] == "false" and rec["definition"] == m["definition"]
    suppressed = by_id["official.reliable_deterioration_rate"]
    assert (suppressed["value"], suppressed["numerator"], suppressed["suppressed"]) == (
        "", "", "true")
    assert by_id["diagnostic.by_disorder"]["kind"] == "table"


def test_write_report_writes_three_files(example, tmp_path):
    paths = write_report(example[0], tmp_path / "out")
    assert {p.name for p in paths.values()} == {"report.html", "report.json", "metrics.csv"}
    assert paths["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ------------------------------------------------------------------ small pieces

@pytest.mark.parametrize("kappa, band", [(-0.1, "poor (less than chance)"), (0.0, "slight"),
                                         (0.2, "slight"), (0.21, "fair"), (0.4, "fair"),
                                         (0.6, "moderate"), (0.8, "substantial"),
                                         (0.81, "almost perfect"), (1.0, "almost perfect")])
def test_kappa_bands_are_landis_and_koch_1977(kappa, band):
    assert kappa_band(kappa) == band


def test_cost_per_outcome_is_recomputed_from_the_published_counts():
    metrics = {
        "funnel.referrals_ended": {"kind": "count", "value": 20},
        "funnel.finished_course": {"kind": "proportion", "numerator": 10, "denominator": 20,
                                   "value": 0.5, "suppressed": False},
        "value.cost_per_referral": {"kind": "ratio", "value": 4999.0, "cost_gbp": 100_000.0},
        "value.cost_per_finished_course": {"kind": "ratio", "value": 1.0,
                                           "cost_gbp": 100_000.0,
                                           "over": "funnel.finished_course"},
    }
    published_costs(metrics)
    assert metrics["value.cost_per_referral"]["value"] == 5000.0
    course = metrics["value.cost_per_finished_course"]
    assert course["value"] == pytest.approx(10_000)
    # Wilson 95% interval of 10/20 (R: binom::binom.wilson(10, 20)): 0.299298 to 0.700702
    assert course["ci_low"] == pytest.approx(100_000 / (20 * 0.700702), rel=1e-5)
    assert course["ci_high"] == pytest.approx(100_000 / (20 * 0.299298), rel=1e-5)


def test_doc_stub_for_a_missing_metric_is_empty_not_an_error():
    d = Doc({"metrics": {}, "tables": {}, "data": {}, "settings": {}})
    assert d.m("official.recovery_rate")["value"] is None
    assert value_text(d.m("official.recovery_rate")) == "–"


def test_docs_describe_every_section():
    doc = (REPO / "docs" / "report.md").read_text(encoding="utf-8")
    for _, title, _ in SECTIONS:
        assert f"**{title}.**" in doc or f"**{title}**" in doc, title


def test_sections_drawn_in_forked_processes_are_the_same_page(synthetic, monkeypatch):
    # From PARALLEL_MIN_ROWS therapists the sections are drawn in two forked processes;
    # the page must be the same text, byte for byte, as when drawn one after another
    # (the charts' SVG identifiers come from their content, not from a counter).
    from tincheck import parallel
    from tincheck.report import audit as report

    if not parallel.can_fork():
        pytest.skip("sections are drawn in forked processes on Linux only")
    doc = synthetic[1]
    monkeypatch.setattr(report, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    calls = []
    real = parallel.forked_map
    monkeypatch.setattr(parallel, "forked_map",
                        lambda *args: calls.append(args[2]) or real(*args))
    forked = render_html(doc)
    assert len(calls) == 1 and list(calls[0]) == list(range(len(SECTIONS)))
    monkeypatch.setattr(report, "PARALLEL_MIN_ROWS", 10 ** 9)
    assert render_html(doc) == forked
