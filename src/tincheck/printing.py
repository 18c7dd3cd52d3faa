"""Printing a self-contained HTML page to PDF with the system's headless Chromium.

Renderers write HTML and nothing else; this module turns a page written to disk into
a PDF by running ``chromium --headless --print-to-pdf`` on it (the page's own print
CSS sets the paper: A4 for the leaflet). Chromium is found on the ``TINCHECK_CHROMIUM``
path, then as ``/usr/bin/chromium`` or on the ``PATH``; without it there is no PDF and
the caller says so. Chromium runs with a fresh profile in a temporary folder, with its
background networking, updates and sync switched off, and loads only the page's own
file (the pages are self-contained: nothing to fetch). Chromium prints into that
temporary folder; the PDF is then written whole to its place
(:func:`tincheck.outputs.write_bytes`), so a failed print leaves the earlier PDF, or
none, never a broken one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .outputs import write_bytes

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", "--no-pdf-header-footer",
         "--print-to-pdf-no-header")
TIMEOUT_SECONDS = 120


class PrintError(RuntimeError):
    """Chromium ran but did not print the page."""


def find_chromium(explicit: str | Path | None = None) -> Path | None:
    """The Chromium to print with: ``explicit``, else ``TINCHECK_CHROMIUM``, else
    ``/usr/bin/chromium`` or the first of :data:`CANDIDATES` on the ``PATH``; None when
    there is none (or the path given is not a file)."""
    given = explicit or os.environ.get("TINCHECK_CHROMIUM")
    if given:
        path = Path(given)
        return path if path.is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return Path("/usr/bin/chromium")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def print_pdf(html: str | Path, pdf: str | Path, chromium: str | Path,
              timeout: float = TIMEOUT_SECONDS) -> Path:
    """Print the page ``html`` (a file) to ``pdf`` with ``chromium``; returns ``pdf``.

    Raises :class:`PrintError` with the end of Chromium's messages when no PDF comes
    out, ``FileNotFoundError`` when ``html`` does not exist, and
    :class:`~tincheck.errors.OutputError` when ``pdf`` cannot be written.
    """
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no page to print at {html}")
    with tempfile.TemporaryDirectory(prefix="tincheck-chromium-") as folder:
        printed = Path(folder) / "page.pdf"
        args = [str(chromium), *FLAGS, f"--user-data-dir={Path(folder) / 'profile'}",
                f"--print-to-pdf={printed}", html.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise PrintError(f"Chromium did not print {html.name} within {timeout:g} s") \
                from None
        data = printed.read_bytes() if printed.is_file() else b""
    if data[:5] != b"%PDF-":
        tail = " ".join((done.stderr or "").strip().splitlines()[-3:])
        raise PrintError(f"Chromium did not print {html.name} (exit {done.returncode}): "
                         f"{tail or 'no message'}")
    return write_bytes(pdf, data)
