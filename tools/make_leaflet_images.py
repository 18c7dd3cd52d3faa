"""Write docs/leaflet-page1.png and docs/leaflet-page2.png: the leaflet docs/leaflet.md shows.

A synthetic service (20,000 referrals, one service, seed 1: no real person in it) is
written, its guided self-help leaflet made and printed to A4 by headless Chromium
(``tincheck leaflet``), and both pages of the PDF rendered at 80 dpi by pdftoppm
(poppler-utils). Run from the repository: ``python tools/make_leaflet_images.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tincheck
from tincheck.synth import generate

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        sys.exit("pdftoppm not found: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate(Path(tmp) / "service", referrals=20_000, seed=1, services=1)
        made = tincheck.leaflet(folder, Path(tmp) / "leaflet", treatments=["gsh_book"])
        if made.pdf_note:
            sys.exit(made.pdf_note)
        page = next(p for p in made.leaflets if p.key == "gsh_book")
        for number in (1, 2):
            stem = DOCS / f"leaflet-page{number}"
            subprocess.run([pdftoppm, "-png", "-r", "80", "-f", str(number), "-l",
                            str(number), "-singlefile", str(page.pdf), str(stem)], check=True)
            print(f"wrote {stem.with_suffix('.png')}")


if __name__ == "__main__":
    main()
