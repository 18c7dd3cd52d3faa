"""The meta-analysis report in a real browser: headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright), as the audit report's browser test.

The example's report (every section: influence table, Baujat plot, leave-one-out and
cumulative plots) and the report of a plain ``study, yi, vi`` file: no console errors,
nothing fetched, every chart labelled for a screen reader, the page fits a phone's
width, and screenshots kept in test-artifacts/. Skips without Chromium or Playwright
unless TINCHECK_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tincheck.cli import app

from .test_audit_browser import ARTIFACTS, PHONE, browser, open_page  # noqa: F401 (the fixture)
from .test_meta_report import SECTIONS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("meta")
    result = CliRunner().invoke(app, ["meta", "--example", "--out", str(out / "example")])
    assert result.exit_code == 0, result.output
    plain = out / "plain.csv"
    plain.write_text("study,yi,vi\nA,0.30,0.010\nB,0.52,0.020\nC,0.41,0.015\nD,0.12,0.030\n"
                     "E,0.95,0.012\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["meta", str(plain), "--out", str(out / "plain")])
    assert result.exit_code == 0, result.output
    return {"example": out / "example" / "report.html", "plain": out / "plain" / "report.html"}


@pytest.mark.parametrize("which", ["example", "plain"])
def test_meta_report_opens_cleanly_with_every_section_and_chart(browser, reports, which):  # noqa: F811
    page, messages, requests, errors = open_page(browser, reports[which])
    assert [m for m in messages if m[0] in ("error", "warning")] == [] and errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert page.locator("h2").all_inner_texts() == SECTIONS
    charts = page.locator("svg[role=img]")
    labels = [charts.nth(i).get_attribute("aria-label") for i in range(charts.count())]
    assert labels[2:] == ["Baujat plot", "Leave-one-out meta-analysis",
                          "Cumulative meta-analysis by "
                          + ("publication year" if which == "example" else "the order of the "
                             "file")]
    for i in range(charts.count()):
        assert charts.nth(i).locator("desc").count() == 1
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150  # drawn, not collapsed
    rows = page.locator("#influence table tbody tr")
    assert rows.count() == (12 if which == "example" else 5)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"meta-report-{which}.png"), full_page=True)
    page.close()


def test_meta_report_fits_a_phone(browser, reports):  # noqa: F811
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    page.goto(reports["example"].as_uri(), wait_until="load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    page.close()
