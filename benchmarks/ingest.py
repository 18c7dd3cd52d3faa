"""Reading and validation: today's code against an earlier revision, in the same run.

    .venv/bin/python benchmarks/ingest.py                          # 100,000, vs main
    .venv/bin/python benchmarks/ingest.py --referrals 300000 --before 85b627b --repeat 3

Each run reads and validates the cached synthetic service (benchmarks/run.py's, seed 1,
Parquet) with ``tincheck.read_dataset`` in a fresh child process, first with the
package as it was at ``--before`` (extracted with ``git archive`` into a temporary
folder and put first on PYTHONPATH), then with today's, so both meet the same load.
Each child reports its wall and CPU time (imports excluded), peak memory, its findings
and a digest of every canonical table; the two must agree, or the benchmark stops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

CHILD = r"""
import json, resource, sys, time
start = time.perf_counter()
import tincheck
imports = time.perf_counter() - start
start, cpu = time.perf_counter(), time.process_time()
dataset = tincheck.read_dataset(sys.argv[1])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
digest = {}
for name in ("referrals", "appointments", "measures", "interviews"):
    row = dataset.connection.execute(
        f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {name}").fetchone()
    digest[name] = [str(v) for v in row]
findings = sorted([f.severity, f.rule, f.file, f.column or "", f.count]
                  for f in dataset.report.findings)
print("BENCH " + json.dumps({
    "package": tincheck.__file__, "seconds": seconds, "cpu_seconds": cpu,
    "import_seconds": imports, "findings": findings, "digest": digest,
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def child(folder: Path, pythonpath: str | None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=env,
                          stdout=subprocess.PIPE, text=True, cwd=REPO)
    lines = [x for x in done.stdout.splitlines() if x.startswith("BENCH ")]
    if done.returncode or not lines:
        raise SystemExit(f"reading {folder} failed (exit {done.returncode})")
    result = json.loads(lines[-1][6:])
    result["load_before"] = load
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--before", default="main", help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = HERE / "cache" / f"r{args.referrals}-s1"
    if not (folder / "manifest.json").exists():
        from tincheck.synth import generate
        generate(folder, referrals=args.referrals, seed=1, format="parquet")
    runs = {"before": [], "today": []}
    with tempfile.TemporaryDirectory(prefix="tincheck-before-") as old:
        archive = subprocess.run(["git", "archive", args.before, "src/tincheck"], cwd=REPO,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        for run in range(1, args.repeat + 1):
            before = child(folder, str(Path(old) / "src"))
            today = child(folder, None)
            assert Path(before["package"]).is_relative_to(old), before["package"]
            same = (before["findings"], before["digest"]) == (today["findings"],
                                                              today["digest"])
            for name, r in (("before", before), ("today", today)):
                runs[name].append(r)
                print(f"  run {run} {name:6}: {r['seconds']:6.2f} s (CPU "
                      f"{r['cpu_seconds']:6.2f} s), peak {r['peak_rss_mib']:,} MiB, "
                      f"load {r['load_before']:.1f}", flush=True)
            if not same:
                raise SystemExit("today's findings or canonical tables differ from "
                                 f"{args.before}'s")
    summary = {"referrals": args.referrals, "before": args.before, "same_results": True}
    for key in ("seconds", "cpu_seconds", "peak_rss_mib"):
        for name, rs in runs.items():
            values = [r[key] for r in rs]
            summary[f"{name}_{key}"] = {"median": statistics.median(values),
                                        "min": min(values), "max": max(values)}
        summary[f"ratio_{key}"] = statistics.median(
            b[key] / t[key] for b, t in zip(runs["before"], runs["today"]))
    print("BENCH " + json.dumps(summary))


if __name__ == "__main__":
    main()
