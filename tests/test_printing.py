"""tincheck.printing: which Chromium prints, and what happens when it cannot.

The real printing (Debian's Chromium, A4, the page's own print CSS) is tested with the
leaflet in tests/report/test_leaflet_browser.py; here a stand-in script plays a
Chromium that fails, so the errors are tested on any machine.
"""

from __future__ import annotations

import os
import stat

import pytest

from tincheck.printing import PrintError, find_chromium, print_pdf


def script(path, body: str):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_explicit_or_configured_chromium_is_used_only_if_it_exists(tmp_path, monkeypatch):
    fake = script(tmp_path / "chromium", "exit 0")
    assert find_chromium(fake) == fake
    assert find_chromium(tmp_path / "missing") is None
    monkeypatch.setenv("TINCHECK_CHROMIUM", str(fake))
    assert find_chromium() == fake
    monkeypatch.setenv("TINCHECK_CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None


def test_a_chromium_that_prints_nothing_is_an_error_with_its_message(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><p>x</p>")
    fake = script(tmp_path / "chromium", "echo 'cannot open display' >&2; exit 1")
    with pytest.raises(PrintError, match=r"did not print page.html \(exit 1\): cannot open"):
        print_pdf(page, tmp_path / "page.pdf", fake)


def test_a_chromium_that_writes_something_else_is_an_error(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><p>x</p>")
    # writes "oops" to the --print-to-pdf path it is given
    fake = script(tmp_path / "chromium", 'for a in "$@"; do case "$a" in '
                  '--print-to-pdf=*) printf oops > "${a#--print-to-pdf=}";; esac; done')
    with pytest.raises(PrintError, match="did not print"):
        print_pdf(page, tmp_path / "page.pdf", fake)


def test_the_flags_keep_chromium_off_the_network_and_in_a_fresh_profile(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><p>x</p>")
    log = tmp_path / "args"
    fake = script(tmp_path / "chromium", f'printf "%s\\n" "$@" > {log}; for a in "$@"; do '
                  'case "$a" in --print-to-pdf=*) printf "%%PDF-1.4" > '
                  '"${a#--print-to-pdf=}";; esac; done')
    assert print_pdf(page, tmp_path / "out" / "page.pdf", fake).read_bytes() == b"%PDF-1.4"
    args = log.read_text().split("\n")
    assert "--headless" in args and "--disable-background-networking" in args
    assert any(a.startswith("--user-data-dir=") for a in args)
    assert args[-2] == page.resolve().as_uri()
    assert ("--no-sandbox" in args) == (os.geteuid() == 0)


def test_a_missing_page_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no page to print"):
        print_pdf(tmp_path / "none.html", tmp_path / "none.pdf", tmp_path / "chromium")
