"""The demo report in a real browser: headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright, which never downloads a browser of its own).

No console errors, no request leaves the file, the page fits a phone's width, it
prints to PDF a section per page, and full-page screenshots are kept as test
artefacts in test-artifacts/ (git-ignored). Without Chromium or Playwright the tests
skip with the reason, unless TINCHECK_REQUIRE_BROWSER=1 (set by .ci/run), when they
fail.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.report.audit import SECTIONS

from ..conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = Path(os.environ.get("TINCHECK_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("TINCHECK_REQUIRE_BROWSER") == "1"
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"TINCHECK_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--referrals", "2000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver; "
                     "`make test` installs them when run as root)")
    profile = tempfile.mkdtemp(prefix="tincheck-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS,
                viewport={"width": 1200, "height": 900})
            context.set_default_timeout(60_000)
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_page(browser, path: Path):
    """``path`` open in a new tab: (page, console messages as (type, text), requests,
    page errors), each list filled as the page loads. The browser tests of every page
    (audit, meta, protocol, leaflet) open their pages this way."""
    page = browser.new_page()
    messages, requests, errors = [], [], []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, messages, requests, errors


@pytest.fixture(scope="module")
def opened(browser, demo_report):
    """The demo report open in a tab, with every console message and request seen."""
    opened = open_page(browser, demo_report)
    yield opened
    opened[0].close()


def test_no_console_errors_and_nothing_fetched(opened):
    page, messages, requests, errors = opened
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests


def test_every_section_and_chart_is_there_for_a_screen_reader(opened):
    page = opened[0]
    assert page.locator("h2").all_inner_texts() == [title for _, title, _ in SECTIONS]
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 8
    for i in range(charts.count()):
        label = charts.nth(i).get_attribute("aria-label")
        assert label and charts.nth(i).locator("desc").count() == 1
    assert "Synthetic data" in page.locator("header .banner").inner_text()


def test_the_pathway_section_draws_its_flow_and_its_doses(opened):
    page = opened[0]
    section = page.locator("section#pathway")
    headings = section.locator("h3").all_inner_texts()
    assert {"The pathway at a glance", "Was the dose a NICE dose?",
            "Was the first step right?", "Who is never seen?"} <= set(headings), headings
    charts = section.locator("svg[role=img]")
    assert charts.count() >= 2  # the flow, and sessions against NICE's range
    flow = charts.first
    assert flow.get_attribute("aria-label").startswith("The pathway")
    assert flow.is_visible()
    box = flow.bounding_box()
    assert box["width"] > 400 and box["height"] > 200, box  # drawn, not collapsed


def test_full_page_screenshot_is_kept_as_an_artefact(opened):
    page = opened[0]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "audit-report.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 50_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_fits_a_phone(browser, demo_report):
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    page.goto(demo_report.as_uri(), wait_until="load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "audit-report-phone.png"), full_page=True)
    page.close()


def test_it_prints_to_pdf_with_a_section_per_page(opened):
    page = opened[0]
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == \
        "none"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "audit-report.pdf"), format="A4",
                   print_background=True)
    page.emulate_media(media="screen")
    assert pdf[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= len(SECTIONS)
