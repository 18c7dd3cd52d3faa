"""The leaflet in a real browser and on paper: headless Chromium (Debian's
/usr/bin/chromium) prints it to an A4 PDF through tincheck.printing, Playwright opens
the HTML, and poppler's pdftoppm renders the PDF's first page.

No console error, no request leaves the file, the page fits a phone, the icons keep
their meaning in grey, the PDF is A4 in at most two pages; screenshots (phone and
desktop) and the PDF's first page as PNG are kept in test-artifacts/ (git-ignored).
Without Chromium, Playwright or pdftoppm the tests skip with the reason, unless
TINCHECK_REQUIRE_BROWSER=1 (set by .ci/run), when they fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import tincheck

from .test_audit_browser import (ARTIFACTS, CHROMIUM, PHONE, _unavailable,  # noqa: F401
                                 browser, open_page)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
A4_POINTS = (595, 842)  # 210 × 297 mm


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from tincheck.synth import generate

    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium; `make test` "
                     "installs it when run as root)")
    folder = generate(tmp_path_factory.mktemp("leaflet") / "service", referrals=6_000,
                      seed=5, services=1)
    made = tincheck.leaflet(folder, tmp_path_factory.mktemp("leaflets"),
                            treatments=["gsh_book", "cbt", "any"], chromium=CHROMIUM)
    assert made.pdf_note is None and all(p.pdf for p in made.leaflets)
    return {p.key: p for p in made.leaflets}


@pytest.fixture(scope="module")
def opened(browser, written):  # noqa: F811
    opened = open_page(browser, written["gsh_book"].html)
    yield opened
    opened[0].close()


def test_no_console_errors_and_nothing_fetched(opened):
    page, messages, requests, errors = opened
    assert [m for m in messages if m[0] in ("error", "warning")] == []
    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests


def test_the_grids_are_drawn_and_read_out(opened):
    page = opened[0]
    grids = page.locator("svg.icons[role=img]")
    assert grids.count() >= 4
    for i in range(grids.count()):
        grid = grids.nth(i)
        assert grid.bounding_box()["width"] > 100  # drawn, not collapsed
        label = page.evaluate(
            "g => g.getAttribute('aria-labelledby').split(' ').map("
            "id => document.getElementById(id).textContent).join(' ')",
            grid.element_handle())
        assert re.match(r"\d+ in 100 .+ A grid of 100 small people: \d+ are dark", label)


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_dark_and_pale_icons_differ_in_black_and_white(opened):
    page = opened[0]
    style = page.evaluate("""() => {
        const on = getComputedStyle(document.querySelector('svg.icons use.on'));
        const off = getComputedStyle(document.querySelector('svg.icons use.off'));
        return [on.fill, off.fill, off.stroke]; }""")
    on, off, outline = (_luminance(c) for c in style)
    # contrast ratio (WCAG 2) of the solid icon against the empty one, in grey levels
    assert (off + 0.05) / (on + 0.05) > 7
    assert (off + 0.05) / (outline + 0.05) > 3  # the empty icon's outline still shows


def test_screenshots_desktop_and_phone_are_kept(browser, written):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    for key in ("gsh_book", "any"):
        page = browser.new_page()
        messages, requests = [], []
        page.on("console", lambda m: messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: messages.append(("error", str(e))))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(written[key].html.as_uri(), wait_until="load")
        page.screenshot(path=str(ARTIFACTS / f"leaflet-{key}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{key}: the page scrolls sideways by {overflow}px on a phone"
        path = ARTIFACTS / f"leaflet-{key}-phone.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # on both sizes: no console error or warning, no request beyond the file itself
        assert [m for m in messages if m[0] in ("error", "warning")] == [], (key, messages)
        assert requests == [written[key].html.as_uri()], (key, requests)
        page.close()


def test_every_pdf_is_a4_in_at_most_two_pages_and_its_first_page_is_kept(written):
    assert len(written) >= 7  # the service, gsh_book and cbt, each by problem too
    for key, leaflet in written.items():
        pdf = leaflet.pdf.read_bytes()
        assert pdf[:5] == b"%PDF-"
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes and all((round(float(w)), round(float(h))) == A4_POINTS
                             for w, h in boxes), key
        assert 1 <= len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) <= 2, key
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        _unavailable("pdftoppm is not installed (apt-get install poppler-utils; `make test` "
                     "installs it when run as root)")
    ARTIFACTS.mkdir(exist_ok=True)
    for key in ("gsh_book", "any"):
        stem = ARTIFACTS / f"leaflet-{key}-pdf-page1"
        subprocess.run([pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                        str(written[key].pdf), str(stem)], check=True, timeout=60)
        png = stem.with_suffix(".png")
        assert png.stat().st_size > 20_000 and png.read_bytes()[:4] == b"\x89PNG"
