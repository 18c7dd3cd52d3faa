"""Benchmarks at national scale: time and peak memory of every stage, a floor and a peer.

For each size (synthetic services of 100,000, 300,000 and 1,000,000 referrals, seed 1,
default parameters, cached as Parquet under benchmarks/cache/), runs each stage in a
fresh child process (benchmarks/stages.py) and prints one JSON line per size:
synthesis, ingest + validation, the full audit without multiple imputation, multiple
imputation (m = 20) on its own, the report rendering, the floor (one DuckDB query over
the same Parquet columns) and the pandas peer (benchmarks/pandas_baseline.py, checked
equal to tincheck's numbers). Then writes the tables of docs/performance.md (between
its ``bench:start`` and ``bench:end`` markers; the rest of the page is kept).

Run: make bench                                   # = python benchmarks/run.py
     python benchmarks/run.py --repeat 2           # each size twice, to show variance
     python benchmarks/run.py --sizes 100000 --no-doc
     python benchmarks/run.py --spark              # also DuckDB vs Spark at 200,000
     python benchmarks/run.py --sizes 1000000 --memory-limit 3GB   # DuckDB capped
     python benchmarks/run.py --from results.jsonl # rewrite the doc from saved lines
     python benchmarks/run.py --end-to-end --repeat 3   # the default command itself

With --end-to-end, each run at each size times the default command a user runs
(``tincheck audit DIR --out ...``: validation, metrics, imputation, report; the
``command`` stage) between two runs of the floor query, so that the ratio to the
floor is measured within the run on the same machine load; the table in
docs/performance.md between ``e2e:start`` and ``e2e:end`` gives the median of the
runs with min and max.

Timings are wall time inside the child (imports excluded); peak memory is the
child's own peak resident set (``getrusage``). Every JSON line is also appended to
benchmarks/cache/results.jsonl.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / "cache"
RESULTS = CACHE / "results.jsonl"
DOC = REPO / "docs" / "performance.md"
SIZES = (100_000, 300_000, 1_000_000)
SPARK_REFERRALS = 200_000
STAGES = ("audit", "imputation", "render", "floor", "pandas")


def run_stage(stage: str, folder: Path, workdir: Path, *extra: int) -> dict:
    """Run one stage in a fresh interpreter; its result with the load average before it."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / "stages.py"), stage, str(folder),
                           str(workdir), *map(str, extra)],
                          stdout=subprocess.PIPE, text=True, cwd=REPO)
    process_seconds = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode or not lines:
        raise SystemExit(f"stage {stage} on {folder.name} failed (exit {done.returncode}); "
                         "its error is printed above")
    result = json.loads(lines[-1][len("BENCH "):])
    result.update(process_seconds=process_seconds, load_before=load)
    return result


def service(referrals: int, seed: int, fresh: bool) -> tuple[Path, dict]:
    """The cached synthetic service of this size, made (and timed) if missing."""
    folder = CACHE / f"r{referrals}-s{seed}"
    record = CACHE / f"r{referrals}-s{seed}.synth.json"
    if fresh or not (folder / "manifest.json").is_file() or not record.is_file():
        if folder.exists():
            import shutil
            shutil.rmtree(folder)
        CACHE.mkdir(parents=True, exist_ok=True)
        result = run_stage("synth", folder, CACHE, referrals, seed)
        result["measured"] = _dt.datetime.now().isoformat(timespec="seconds")
        record.write_text(json.dumps(result))
        result["cached"] = False
        return folder, result
    result = json.loads(record.read_text())
    result["cached"] = True
    return folder, result


def measure(referrals: int, seed: int, run: int, fresh: bool) -> dict:
    """Every stage at one size: one JSON-ready record."""
    folder, synth = service(referrals, seed, fresh)
    record = {"referrals": referrals, "seed": seed, "run": run,
              "memory_limit": os.environ.get("TINCHECK_MEMORY_LIMIT"),
              "started": _dt.datetime.now().isoformat(timespec="seconds"),
              "synthesis": synth}
    with tempfile.TemporaryDirectory(prefix="tincheck-bench-") as workdir:
        for stage in STAGES:
            print(f"  {referrals:,} referrals, run {run}: {stage} ...", file=sys.stderr,
                  flush=True)
            record[stage] = run_stage(stage, folder, Path(workdir))
    record["load_after"] = list(os.getloadavg())
    record["ratios"] = ratios(record)
    return record


def ratios(record: dict) -> dict:
    """Audit ÷ floor, pandas ÷ tincheck, and time per referral."""
    audit, floor, pandas = record["audit"], record["floor"], record["pandas"]
    with_ingest = audit["ingest_seconds"] + audit["seconds"]
    return {
        "audit_over_floor": audit["seconds"] / floor["seconds"],
        "ingest_and_audit_over_floor": with_ingest / floor["seconds"],
        "pandas_over_audit": pandas["seconds"] / audit["seconds"],
        "pandas_over_ingest_and_audit": pandas["seconds"] / with_ingest,
        "audit_us_per_referral": audit["seconds"] / record["referrals"] * 1e6,
        "ingest_and_audit_us_per_referral": with_ingest / record["referrals"] * 1e6,
    }


def end_to_end(referrals: int, seed: int, run: int, fresh: bool) -> dict:
    """The default command at one size, between two runs of the floor query."""
    folder, _ = service(referrals, seed, fresh)
    record = {"kind": "end_to_end", "referrals": referrals, "seed": seed, "run": run,
              "memory_limit": os.environ.get("TINCHECK_MEMORY_LIMIT"),
              "started": _dt.datetime.now().isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="tincheck-bench-") as workdir:
        for stage in ("floor", "command", "floor_after"):
            print(f"  {referrals:,} referrals, run {run}: {stage} ...", file=sys.stderr,
                  flush=True)
            record[stage] = run_stage(stage.removesuffix("_after"), folder, Path(workdir))
    record["load_after"] = list(os.getloadavg())
    floor = (record["floor"]["seconds"] + record["floor_after"]["seconds"]) / 2
    record["floor_seconds"] = floor
    record["ratio"] = record["command"]["seconds"] / floor
    record["floor_cpu_seconds"] = (record["floor"]["cpu_seconds"]
                                   + record["floor_after"]["cpu_seconds"]) / 2
    return record


def spark(seed: int) -> dict:
    """DuckDB and Spark audits of the 200,000-referral service."""
    folder, _ = service(SPARK_REFERRALS, seed, False)
    print(f"  {SPARK_REFERRALS:,} referrals: DuckDB and Spark ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="tincheck-bench-") as workdir:
        result = run_stage("spark", folder, Path(workdir))
    return {"spark": result, "referrals": SPARK_REFERRALS, "seed": seed,
            "started": _dt.datetime.now().isoformat(timespec="seconds")}


def machine() -> dict:
    """What the numbers were measured on."""
    import duckdb
    import ibis
    import numpy
    import pandas
    import pyarrow

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) for line in
                   Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory / 2**20),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "ibis": ibis.__version__, "pandas": pandas.__version__,
            "numpy": numpy.__version__, "pyarrow": pyarrow.__version__,
            "commit": commit, "date": _dt.date.today().isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="referrals per synthetic service (3000000 is optional)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of every size")
    parser.add_argument("--spark", action="store_true",
                        help=f"also time DuckDB and Spark audits at {SPARK_REFERRALS:,} "
                        "referrals (needs the spark extra and Java 17)")
    parser.add_argument("--memory-limit", metavar="SIZE",
                        help="cap DuckDB's memory in every stage (TINCHECK_MEMORY_LIMIT), "
                        "e.g. 3GB")
    parser.add_argument("--fresh", action="store_true",
                        help="synthesise again instead of reusing the cached Parquet")
    parser.add_argument("--end-to-end", action="store_true",
                        help="time the default command (tincheck audit) against the floor")
    parser.add_argument("--no-doc", action="store_true", help="do not write the doc")
    parser.add_argument("--from", dest="source", type=Path,
                        help="write the doc from saved JSON lines instead of measuring")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import performance_doc

    if args.memory_limit:
        os.environ["TINCHECK_MEMORY_LIMIT"] = args.memory_limit  # the children inherit it
    if args.source:
        lines = [json.loads(line) for line in args.source.read_text().splitlines() if line]
        performance_doc.write(DOC, lines)
        print(f"wrote {DOC.relative_to(REPO)}", file=sys.stderr)
        return
    about = {"machine": machine(), "load_at_start": list(os.getloadavg()),
             "command": "python benchmarks/run.py " + " ".join(sys.argv[1:])}
    lines = [about]
    print(json.dumps(about), flush=True)
    for run in range(1, args.repeat + 1):
        for referrals in args.sizes:
            line = (end_to_end if args.end_to_end else measure)(
                referrals, args.seed, run, args.fresh and run == 1)
            lines.append(line)
            print(json.dumps(line), flush=True)
    if args.spark:
        line = spark(args.seed)
        lines.append(line)
        print(json.dumps(line), flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a", encoding="utf-8") as saved:
        for line in lines:
            saved.write(json.dumps(line) + "\n")
    if not args.no_doc:
        performance_doc.write(DOC, lines)
        print(f"wrote {DOC.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
