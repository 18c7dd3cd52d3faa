"""Time and peak memory of ``tincheck study sample`` on a synthetic service.

Writes a synthetic service (``tincheck synth``, 100,000 referrals, seed 1, Parquet) to
a temporary folder, then draws a study from it in a fresh child process per run: the
command itself (``tincheck study sample DIR --n 300 --strata problem_group,step
--seed 7``, imports included), and the library's stages timed one by one (read and
validate, the frame query and the draw, writing the four files). Each child reports
its peak resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``). The runs also
check that the same seed gives the same files. The numbers quoted in
docs/performance.md come from this script.

Run: python benchmarks/study.py                        # 100,000 referrals, 2 runs
     python benchmarks/study.py --referrals 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import hashlib
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

STAGES = """
import json, sys, time
t0 = time.perf_counter()
from tincheck.ingest import read_dataset
from tincheck.study import draw_sample, write_study
t1 = time.perf_counter()
dataset = read_dataset(sys.argv[1])
t2 = time.perf_counter()
study = draw_sample(dataset, n=int(sys.argv[3]), strata="problem_group,step", seed=7)
t3 = time.perf_counter()
write_study(study, sys.argv[2])
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "read_validate": t2 - t1, "frame_and_draw": t3 - t2,
                  "write": t4 - t3}))
"""


def _peak(before: int) -> int:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(peak, before)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    # the CSVs only: protocol.html names the (temporary) data folder
    for name in ("sample.csv", "schedule.csv", "frame.csv"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


def run_command(data: Path, out: Path, n: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from tincheck.cli import main; main()",
                    "study", "sample", str(data),
                    "--n", str(n), "--strata", "problem_group,step", "--seed", "7",
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return {"seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mib": round(_peak(before) / 1024), "files": _digest(out)}


def run_stages(data: Path, out: Path, n: int) -> dict:
    result = subprocess.run([sys.executable, "-c", STAGES, str(data), str(out), str(n)],
                            check=True, capture_output=True, text=True)
    stages = json.loads(result.stdout.strip().splitlines()[-1])
    return {k: round(v, 1) for k, v in stages.items()} | {"files": _digest(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import numpy
    import tincheck
    print(f"tincheck {tincheck.__version__}, python {platform.python_version()}, numpy "
          f"{numpy.__version__}, {os.cpu_count()} CPUs, {platform.machine()}")
    root = Path(tempfile.mkdtemp(prefix="tincheck-study-bench-"))
    try:
        from tincheck.synth import generate
        data = generate(root / "service", referrals=args.referrals, seed=1)
        for run in range(args.repeat):
            command = run_command(data, root / f"cli-{run}", args.n)
            stages = run_stages(data, root / f"stages-{run}", args.n)
            print(json.dumps({"run": run + 1, "referrals": args.referrals, "n": args.n,
                              "command": command, "stages": stages}))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
