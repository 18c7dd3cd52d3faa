"""The study protocol page: self-contained, every count under disclosure control, and
the sections a commissioner or ethics committee reads."""

from __future__ import annotations

import re

import pytest

import tincheck
from tincheck.report.protocol import SECTIONS, render_protocol
from tincheck.study import draw_sample, plan

from .audit_pages import external_references, marked_counts, text


@pytest.fixture(scope="module")
def study():
    return draw_sample(tincheck.example_path(), n=12, strata="problem_group,step", seed=7,
                       plan=plan("mcnemar", p10=0.15, p01=0.05, completion=0.7))


@pytest.fixture(scope="module")
def page(study) -> str:
    return render_protocol(study.to_document())


def test_sections_in_order(page):
    titles = re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page)
    assert titles == [title for _, title, _ in SECTIONS]


def test_the_calculation_is_shown_with_its_inputs_and_formula(page):
    shown = text(page)
    assert "n = (z_α·√ψ + z_β·√(ψ − δ²))² / δ²" in shown
    assert "n = 154.60 → 155 clients" in shown
    assert "⌈155 · 1.000 / 0.7⌉ = 222" in shown
    assert "The sample drawn is smaller than the 222 the calculation asks for" in shown
    assert "Connor RJ (1987)" in shown
    assert "this study plans the SCID-5" in shown


def test_nothing_is_fetched(page):
    assert external_references(page) == []
    assert "<svg" in page and "<script" not in page
    assert "@media print" in page


def test_every_count_is_controlled(page):
    counts = marked_counts(page)
    assert counts and all(c >= 5 and c % 5 == 0 for c in counts)
    assert 'class="suppressed"' in page


def test_without_disclosure_control_the_page_says_so(study):
    page = render_protocol(study.to_document(disclosure_control=False))
    assert "Disclosure control is OFF" in text(page)
    assert any(0 < c < 5 for c in marked_counts(page))


def test_the_renderer_reads_only_its_document(study, monkeypatch):
    doc = study.to_document()

    def refuse(*args, **kwargs):
        raise AssertionError("the renderer opened a file")

    monkeypatch.setattr("builtins.open", refuse)
    assert render_protocol(doc).startswith("<!DOCTYPE html>")


def test_synthetic_data_carries_the_banner(study):
    doc = study.to_document()
    doc["data"] = dict(doc["data"], synthetic=True)
    assert "Synthetic data" in text(render_protocol(doc))
