"""The least time any audit with today's answers can take: the CPU of the work that
cannot be left out, against the floor query (``stages.FLOOR_SQL``) measured in the
same run.

    .venv/bin/python benchmarks/lower_bound.py                      # 1,000,000 referrals
    .venv/bin/python benchmarks/lower_bound.py --referrals 300000 --repeat 3

Each part is measured on its own, in this process, on the synthetic service that
benchmarks/run.py caches (seed 1):

- ``floor``: the floor query (two threads, as DuckDB runs on this machine);
- ``load``: the four large files (referrals, appointments, measures, interviews) copied
  into an in-memory DuckDB database as they are, with no parsing, validation or
  pseudonymisation (``CREATE TABLE ... AS SELECT * FROM read_parquet(...)``);
- ``compress``: that database compressed (``CHECKPOINT``), as the audit must to stay
  within its memory bars (uncompressed, these tables alone take 1.9 GB at 1,000,000);
- ``imputation``: the m = 20 chains of the audit's multiple imputation, m times the
  CPU of one chain (its inputs captured from an audit: the same equations, 10
  iterations), BLAS on one thread as the audit's forked workers run them;
- ``models``: the therapist-effect and competence models on the audit's own frame
  (``therapists.analyse`` and ``competence.analyse``), BLAS on one thread.

The bound is the sum of their CPU seconds divided by the cores (perfect parallelism,
nothing else done): validation, the working tables, the metric queries and the report
come on top. CPU time is the measure the neighbours on a shared machine disturb least.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LARGE = ("referrals", "appointments", "measures", "interviews")


def _timed(function):
    """(wall seconds, CPU seconds of this process, result) of ``function()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def floor(folder: Path) -> tuple[float, float]:
    import duckdb

    from stages import FLOOR_SQL

    def path(name):
        return "'" + str(folder / f"{name}.parquet").replace("'", "''") + "'"

    con = duckdb.connect(":memory:")
    sql = FLOOR_SQL.format(referrals=path("referrals"), appointments=path("appointments"),
                           measures=path("measures"))
    wall, cpu, _ = _timed(lambda: con.execute(sql).fetchone())
    con.close()
    return wall, cpu


def _load(con, folder: Path) -> None:
    con.execute("ATTACH ':memory:' AS held (COMPRESS)")
    for name in LARGE:
        path = str(folder / f"{name}.parquet").replace("'", "''")
        con.execute(f"CREATE TABLE held.{name} AS SELECT * FROM read_parquet('{path}')")


def load_and_compress(folder: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """((wall, CPU) of loading the large files, (wall, CPU) of compressing them)."""
    import duckdb

    con = duckdb.connect(":memory:")
    wall, cpu, _ = _timed(lambda: _load(con, folder))
    compress = _timed(lambda: con.execute("CHECKPOINT held"))[:2]
    con.close()
    return (wall, cpu), compress


def loaded_rows(folder: Path) -> dict[str, int]:
    """The rows of each table as :func:`load_and_compress` loads it (a check)."""
    import duckdb

    con = duckdb.connect(":memory:")
    _load(con, folder)
    rows = {name: con.execute(f"SELECT count(*) FROM held.{name}").fetchone()[0]
            for name in LARGE}
    con.close()
    return rows


def captured_work(folder: Path) -> dict:
    """The imputation's inputs and the therapist models' frame, from one audit."""
    import tincheck
    from tincheck.metrics import therapists
    from tincheck.stats import imputation

    captured: dict = {}
    run_chains, compute = imputation._run_chains, therapists.compute

    def chains(children, values, missing, equations, donors, iterations, workers):
        captured["chain"] = (children, values, missing, equations, donors, iterations)
        return run_chains(children, values, missing, equations, donors, iterations,
                          workers)

    def models(backend, bases, context):
        captured["frame"] = therapists.fetch_cases(backend, bases)
        captured["rows"] = therapists.therapist_rows(backend)
        return compute(backend, bases, context)

    imputation._run_chains, therapists.compute = chains, models
    try:
        with tincheck.read_dataset(folder) as dataset:
            tincheck.audit(dataset)
    finally:
        imputation._run_chains, therapists.compute = run_chains, compute
    return captured


def imputation_cpu(captured: dict) -> tuple[float, int]:
    """(CPU of all m chains, m): m × one chain's CPU (every chain does the same work)."""
    from threadpoolctl import threadpool_limits

    from tincheck.stats import imputation

    children, values, missing, equations, donors, iterations = captured["chain"]
    with threadpool_limits(limits=1, user_api="blas"):
        _, cpu, _ = _timed(lambda: imputation._chain(children[0], values, missing,
                                                     equations, donors, iterations))
    return cpu * len(children), len(children)


def models_cpu(captured: dict) -> float:
    from threadpoolctl import threadpool_limits

    from tincheck.metrics import competence, therapists

    frame = captured["frame"]
    with threadpool_limits(limits=1, user_api="blas"):
        _, cpu, _ = _timed(lambda: (therapists.analyse(frame, therapists.MIN_CASES),
                                    competence.analyse(frame, captured["rows"])))
    return cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each part (median)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import run

    folder, _ = run.service(args.referrals, 1, False)
    cores = len(os.sched_getaffinity(0))
    print(f"capturing the imputation's inputs and the models' frame from one audit of "
          f"{args.referrals:,} referrals ...", file=sys.stderr, flush=True)
    captured = captured_work(folder)
    runs = []
    for k in range(args.repeat):
        print(f"  run {k + 1} of {args.repeat} ...", file=sys.stderr, flush=True)
        (load_wall, load_cpu), (compress_wall, compress_cpu) = load_and_compress(folder)
        imputed, m = imputation_cpu(captured)
        parts = {"load": load_cpu, "compress": compress_cpu,
                 "imputation": imputed, "models": models_cpu(captured)}
        floor_wall, floor_cpu = floor(folder)
        bound = sum(parts.values()) / cores
        runs.append({"floor_seconds": floor_wall, "floor_cpu_seconds": floor_cpu,
                     "cpu_seconds": parts, "load_seconds": load_wall,
                     "compress_seconds": compress_wall, "m": m,
                     "bound_seconds": bound, "bound_ratio": bound / floor_wall})
    med = statistics.median
    summary = {"referrals": args.referrals, "cores": cores, "runs": runs,
               "floor_seconds": med(r["floor_seconds"] for r in runs),
               "bound_seconds": med(r["bound_seconds"] for r in runs),
               "bound_ratio": med(r["bound_ratio"] for r in runs),
               "cpu_seconds": {name: med(r["cpu_seconds"][name] for r in runs)
                               for name in runs[0]["cpu_seconds"]}}
    print(json.dumps(summary))
    print(f"\n{args.referrals:,} referrals, {cores} cores, median of {len(runs)} runs",
          file=sys.stderr)
    for name, cpu in summary["cpu_seconds"].items():
        print(f"  {name:<11} {cpu:6.2f} CPU s", file=sys.stderr)
    print(f"  bound       {summary['bound_seconds']:6.2f} s = sum / {cores} cores\n"
          f"  floor       {summary['floor_seconds']:6.2f} s\n"
          f"  bound ÷ floor: {summary['bound_ratio']:.1f} ×", file=sys.stderr)


if __name__ == "__main__":
    main()
