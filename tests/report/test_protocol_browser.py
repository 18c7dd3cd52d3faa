"""The study protocol page in headless Chromium: the same test as the audit report
(no console error, nothing fetched, fits a phone, prints a section per page)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.examples import example_path
from tincheck.report.protocol import SECTIONS

from .test_audit_browser import ARTIFACTS, PHONE, browser, open_page  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def protocol(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    result = CliRunner().invoke(app, [
        "study", "sample", str(example_path()), "--n", "12", "--strata",
        "problem_group,step", "--seed", "7", "--out", str(out), "--design", "mcnemar",
        "--p10", "0.15", "--p01", "0.05"])
    assert result.exit_code == 0, result.output
    return out / "protocol.html"


@pytest.fixture(scope="module")
def opened(browser, protocol):  # noqa: F811
    opened = open_page(browser, protocol)
    yield opened
    opened[0].close()


def test_no_console_errors_and_nothing_fetched(opened):
    page, messages, requests, errors = opened
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests


def test_sections_and_chart_for_a_screen_reader(opened):
    page = opened[0]
    assert page.locator("h2").all_inner_texts() == [title for _, title, _ in SECTIONS]
    chart = page.locator("svg[role=img]")
    assert chart.count() == 1 and chart.first.locator("desc").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "study-protocol.png"), full_page=True)


def test_the_page_fits_a_phone(browser, protocol):  # noqa: F811
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    page.goto(protocol.as_uri(), wait_until="load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    page.close()


def test_it_prints_a_section_per_page(opened):
    page = opened[0]
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    page.emulate_media(media="screen")
    assert pdf[:5] == b"%PDF-"
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= len(SECTIONS)
