"""Validation time of a wide file: the example service with N extra columns.

``python benchmarks/wide_files.py [N ...]`` copies the example service, adds N extra
text columns (``extra_0`` … with values ``v0`` …) to ``referrals.csv`` (30 rows), and
prints one line per N: the wall time of ``tincheck.validate`` (best of ``--repeat``,
default 1), imports and file writing excluded. Validation must stay linear in the
number of columns (docs/performance.md, "Wide files").
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tempfile
import time
from pathlib import Path

import tincheck


def wide_folder(target: Path, extra: int) -> Path:
    """The example service with ``extra`` more columns in referrals.csv."""
    target.mkdir(parents=True, exist_ok=True)
    for path in tincheck.example_path().iterdir():
        if path.suffix == ".csv":
            shutil.copy(path, target / path.name)
    with open(target / "referrals.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[0] += [f"extra_{i}" for i in range(extra)]
    for row in rows[1:]:
        row += [f"v{i}" for i in range(extra)]
    with open(target / "referrals.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("columns", nargs="*", type=int, default=[300, 1000, 3000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for extra in args.columns:
        with tempfile.TemporaryDirectory() as tmp:
            folder = wide_folder(Path(tmp) / "service", extra)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                report = tincheck.validate(folder)
                times.append(time.perf_counter() - start)
            print(json.dumps({"extra_columns": extra, "rows": 30, "ok": report.ok,
                              "validate_s": round(min(times), 2)}), flush=True)


if __name__ == "__main__":
    main()
