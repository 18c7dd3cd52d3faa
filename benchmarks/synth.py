"""Time and peak memory of ``tincheck synth`` for a million referrals.

Runs the generator in a child process (a fresh interpreter, so the numbers include
imports and nothing else) and reports its wall time, its peak resident memory
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``) and the size of what it wrote.
The numbers quoted in docs/performance.md come from this script.

Run: python benchmarks/synth.py                  # 1,000,000 referrals, seed 1, Parquet
     python benchmarks/synth.py --referrals 100000 --format csv --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys
from tincheck.synth import generate
generate(sys.argv[1], referrals=int(sys.argv[2]), seed=int(sys.argv[3]), format=sys.argv[4])
"""


def run_once(out: Path, referrals: int, seed: int, fmt: str) -> dict:
    """Generate into ``out`` in a child process; wall time and that child's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(out), str(referrals), str(seed), fmt],
                   check=True)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib < before:  # ru_maxrss is the largest child so far, not the last one
        peak_kib = before
    manifest = json.loads((out / "manifest.json").read_text())
    rows = {name: entry["rows"] for name, entry in manifest["tables"].items()}
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"seconds": round(seconds, 1), "peak_rss_mib": round(peak_kib / 1024),
            "rows": rows, "megabytes": round(size / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    parser.add_argument("--repeat", type=int, default=1, help="runs (each in a fresh child)")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    results = []
    for run in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="tincheck-synth-bench-"))
        try:
            result = run_once(folder / "out", args.referrals, args.seed, args.format)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        results.append(result)
        rows = ", ".join(f"{name} {count:,}" for name, count in result["rows"].items())
        print(f"run {run + 1}: {args.referrals:,} referrals ({args.format}) in "
              f"{result['seconds']} s, peak RSS {result['peak_rss_mib']} MiB, "
              f"{result['megabytes']} MB written; rows: {rows}")
    if args.repeat > 1:
        print(f"best {min(r['seconds'] for r in results)} s, "
              f"peak RSS max {max(r['peak_rss_mib'] for r in results)} MiB")


if __name__ == "__main__":
    main()
