"""Time `tincheck published` on the real published data (budget: ≤ 60 s).

Run from the repository root:

    .venv/bin/python benchmarks/published.py [YEAR]

It runs the command in a fresh process (imports included, as a user would) on
../shared/data/nhstt and prints the wall-clock time and the closing note.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nhstt"


def main(year: str = "2022-23") -> None:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = subprocess.run(
            [str(Path(sys.executable).parent / "tincheck"), "published",
             str(DATA / "measures_annual.parquet"), "--proms",
             str(DATA / "proms_annual.parquet"), "--year", year, "--out", out],
            capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
    print(result.stdout)
    print(f"tincheck published --year {year}: {elapsed:.1f} s wall clock")


if __name__ == "__main__":
    main(*sys.argv[1:2])
