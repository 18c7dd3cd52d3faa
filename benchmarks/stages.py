"""The stages that benchmarks/run.py times, each run in a fresh child process.

``python benchmarks/stages.py STAGE FOLDER WORKDIR [REFERRALS SEED]`` runs one stage
on the synthetic service in FOLDER and prints one line ``BENCH {json}`` holding the
stage's own timings (``time.perf_counter`` around the work, imports excluded) and the
process's peak resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``, the high-water
mark of this process since it started, imports and all). WORKDIR carries the pickled
audit from the ``audit`` stage to ``render`` and ``pandas``.

Stages:

- ``synth``: write the synthetic service (tincheck.synth.generate).
- ``audit``: ingest and validation (read_dataset), then the full audit without
  multiple imputation (``tincheck.audit(dataset, imputations=0)``). The ingest peak
  is read before the audit starts; the audit's peak is the process's, which must hold
  the ingested data.
- ``imputation``: ingest, then the audit with m = 20; the multiple-imputation hook
  (fetching the cases and imputing) is timed on its own.
- ``render``: the report from the pickled audit (report.html when the report module
  is installed, else report.json).
- ``floor``: one DuckDB query over the same Parquet columns (:data:`FLOOR_SQL`).
- ``pandas``: benchmarks/pandas_baseline.py, checked equal to the pickled audit.
- ``command``: the default command a user runs, ``tincheck audit FOLDER --out
  WORKDIR/report`` (reading and validation, the metrics, multiple imputation with
  m = 20, the report), in this process through the CLI's own entry point; its wall
  and CPU time (imports excluded and timed apart) and the time of each step the
  command's progress display shows.
- ``spark``: ingest, the DuckDB audit twice, Spark's start-up, the Spark audit twice
  (cold, then with its SQL compiled and the JVM warm), and the largest difference
  between the engines' results.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLOOR_SQL = """
WITH contacts AS (
    SELECT referral_id, count(*) AS contacts,
           count(*) FILTER (WHERE attendance IN ('attended', 'late_seen')
                            AND kind <> 'follow_up') AS attended,
           count(*) FILTER (WHERE kind IN ('treatment', 'assessment_treatment',
                                           'review_treatment')
                            AND therapy_type IS DISTINCT FROM 'employment_support')
               AS treatment,
           count(*) FILTER (WHERE intensity = 'high') AS high,
           count(*) FILTER (WHERE medium = 'telephone') AS telephone,
           min(date) AS first_date
    FROM read_parquet({appointments})
    GROUP BY referral_id
), scores AS (
    SELECT referral_id, instrument, count(*) AS n,
           arg_min(score, date) AS first, arg_max(score, date) AS last
    FROM read_parquet({measures})
    GROUP BY referral_id, instrument
)
SELECT count(*) AS rows, count(r.ended_date) AS ended, count(r.end_reason) AS reasons,
       count(r.problem_descriptor) AS descriptors, min(r.received_date) AS first_received,
       sum(c.contacts) AS contacts, sum(c.attended) AS attended,
       sum(c.treatment) AS treatment, sum(c.high) AS high, sum(c.telephone) AS telephone,
       min(c.first_date) AS first_contact, sum(s.n) AS scores, avg(s.first) AS mean_first,
       avg(s.last) AS mean_last
FROM read_parquet({referrals}) r
LEFT JOIN contacts c USING (referral_id)
LEFT JOIN scores s USING (referral_id)
"""
FLOOR_DOC = ("One DuckDB query reading the Parquet columns the audit uses (referrals: id, "
             "dates, end reason, descriptor; appointments: referral, date, kind, "
             "attendance, intensity, therapy type, medium; measures: referral, date, "
             "instrument, score), grouping appointments by referral and measures by "
             "referral and instrument (count, first and last score), joined to referrals.")


def peak_mib(who=resource.RUSAGE_SELF) -> int:
    """Peak resident memory of this process (or its waited-for children), MiB."""
    return round(resource.getrusage(who).ru_maxrss / 1024)


def clock() -> float:
    return time.perf_counter()


def stage_synth(folder: Path, workdir: Path, referrals: int, seed: int) -> dict:
    from tincheck.synth import generate

    start = clock()
    generate(folder, referrals=referrals, seed=seed, format="parquet")
    seconds = clock() - start
    manifest = json.loads((folder / "manifest.json").read_text())
    return {"seconds": seconds,
            "rows": {name: entry["rows"] for name, entry in manifest["tables"].items()},
            "megabytes": sum(p.stat().st_size for p in folder.iterdir()) / 1e6}


def stage_audit(folder: Path, workdir: Path) -> dict:
    import tincheck
    from tincheck import engine

    # whether the audit compiles its SQL (2-4 s) or finds it in the on-disk cache
    cached = engine.sql_cache_dir()
    sql = ("from disk cache" if cached is not None and any(cached.glob("*.sql"))
           else "compiled")
    start = clock()
    dataset = tincheck.read_dataset(folder)
    ingest = clock() - start
    ingest_peak = peak_mib()
    start = clock()
    audit = tincheck.audit(dataset, imputations=0)
    seconds = clock() - start
    dataset.close()
    (workdir / "audit.pickle").write_bytes(pickle.dumps(audit))
    return {"ingest_seconds": ingest, "ingest_peak_rss_mib": ingest_peak,
            "seconds": seconds, "metrics": len(audit.results), "tables": len(audit.tables),
            "sql": sql}


def stage_imputation(folder: Path, workdir: Path) -> dict:
    import tincheck
    from tincheck.metrics import imputation

    timed = {}
    compute = imputation.compute

    def timed_compute(backend, bases, context):
        start = clock()
        try:
            return compute(backend, bases, context)
        finally:
            timed["seconds"] = clock() - start

    imputation.compute = timed_compute  # evaluate() looks the hook up on the module
    start = clock()
    dataset = tincheck.read_dataset(folder)
    ingest = clock() - start
    start = clock()
    audit = tincheck.audit(dataset, imputations=20)
    total = clock() - start
    mi = audit.results["sensitivity.multiple_imputation"]
    return {"ingest_seconds": ingest, "seconds": timed["seconds"], "audit_seconds": total,
            "cases": mi.n, "missing_last_scores": mi.extra.get("missing_last_scores"),
            "m": mi.extra.get("m")}


def stage_render(folder: Path, workdir: Path) -> dict:
    import tincheck  # noqa: F401  (the pickle needs its classes)

    audit = pickle.loads((workdir / "audit.pickle").read_bytes())
    out = workdir / "report"
    try:
        from tincheck.report.audit import write_report
    except ImportError:
        write_report = None
    start = clock()
    if write_report is not None:
        paths = write_report(audit, out)
        what = "write_report: report.html, report.json, metrics.csv"
    else:
        paths = {"json": audit.write_json(out / "report.json")}
        what = "Audit.to_json() and report.json (the HTML report is not in this version)"
    seconds = clock() - start
    return {"seconds": seconds, "what": what,
            "kilobytes": sum(Path(p).stat().st_size for p in paths.values()) / 1e3}


def stage_floor(folder: Path, workdir: Path) -> dict:
    import duckdb

    def path(name):
        return "'" + str(folder / f"{name}.parquet").replace("'", "''") + "'"

    sql = FLOOR_SQL.format(referrals=path("referrals"), appointments=path("appointments"),
                           measures=path("measures"))
    con = duckdb.connect(":memory:")
    start, cpu = clock(), time.process_time()
    row = con.execute(sql).fetchone()
    seconds, cpu = clock() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": row[0]}


def stage_pandas(folder: Path, workdir: Path) -> dict:
    sys.path.insert(0, str(HERE))
    import pandas_baseline

    start = clock()
    numbers = pandas_baseline.official_metrics(folder)
    seconds = clock() - start
    audit = pickle.loads((workdir / "audit.pickle").read_bytes())
    differ = [metric_id for metric_id, parts in numbers.items()
              if any(not _same(value, _part(audit.results[metric_id], part))
                     for part, value in parts.items())]
    return {"seconds": seconds, "metrics": len(numbers), "equal_to_tincheck": not differ,
            "differ": differ}


def _part(result, part: str):
    return result.value if part == "value" else getattr(result, part)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def cpu_time() -> float:
    """CPU time of this process (every thread) and of its ended children: multiple
    imputation runs its chains in forked worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def stage_command(folder: Path, workdir: Path) -> dict:
    start = clock()
    import tincheck.cli.audit as cli_audit
    from tincheck.cli import app

    imports = clock() - start
    marks = []

    @contextlib.contextmanager
    def steps(console_=None):
        # the command's own progress steps, timed instead of drawn
        def step(description):
            marks.append((description, clock(), cpu_time()))
        yield step
        marks.append(("end", clock(), cpu_time()))

    cli_audit.steps = steps
    start, cpu = clock(), cpu_time()
    try:
        app(["audit", str(folder), "--out", str(workdir / "report")],
            standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - a failed audit stops the benchmark
        if exc.code:
            raise
    seconds, cpu = clock() - start, cpu_time() - cpu
    parts = {a[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}
    cpu_parts = {a[0]: b[2] - a[2] for a, b in zip(marks, marks[1:])}
    return {"seconds": seconds, "cpu_seconds": cpu, "import_seconds": imports,
            "parts": parts, "cpu_parts": cpu_parts, "before_first_step": marks[0][1] - start if marks else None,
            "memory_limit": os.environ.get("TINCHECK_MEMORY_LIMIT"),
            # the largest forked imputation worker (its pages are shared with this
            # process until written, so the two peaks do not add up)
            "children_peak_rss_mib": peak_mib(resource.RUSAGE_CHILDREN)}


def stage_spark(folder: Path, workdir: Path) -> dict:
    import tincheck
    from tincheck import engine

    out = {}
    start = clock()
    dataset = tincheck.read_dataset(folder)
    out["ingest_seconds"] = clock() - start
    audits = {}
    for run in ("duckdb_cold", "duckdb_warm"):
        start = clock()
        audits[run] = tincheck.audit(dataset, imputations=0)
        out[f"{run}_seconds"] = clock() - start
    start = clock()
    session = engine.spark_session()
    session.sql("SELECT 1").collect()
    out["spark_start_seconds"] = clock() - start
    for run in ("spark_cold", "spark_warm"):
        start = clock()
        audits[run] = tincheck.audit(dataset, engine="spark", spark_session=session,
                                     imputations=0)
        out[f"{run}_seconds"] = clock() - start
    out["jvm_peak_rss_mib"] = _jvm_peak_mib()
    session.stop()
    dataset.close()
    out["largest_difference"] = _largest_difference(audits["duckdb_cold"], audits["spark_cold"])
    out["spark_conf"] = {"master": "local[2]", "driver_memory": os.environ.get(
        "TINCHECK_SPARK_MEMORY", "4g")}
    return out


def _jvm_peak_mib() -> int | None:
    """VmHWM of this process's java child (pyspark's gateway JVM), MiB."""
    me = str(os.getpid())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            status = (proc / "status").read_text()
        except OSError:
            continue
        ppid = stat.rsplit(")", 1)[1].split()[1]
        if ppid == me and "java" in stat.split("(", 1)[1].split(")", 1)[0]:
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    return None


def _largest_difference(a, b) -> float:
    """The largest absolute difference of any metric value between two audits."""
    worst = 0.0
    for metric_id, result in a.results.items():
        x, y = result.value, b.results[metric_id].value
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            worst = max(worst, abs(x - y))
        elif (x is None) != (y is None):
            return math.inf
    return worst


STAGES = {"synth": stage_synth, "audit": stage_audit, "imputation": stage_imputation,
          "render": stage_render, "floor": stage_floor, "pandas": stage_pandas,
          "spark": stage_spark, "command": stage_command}


def main(argv: list[str]) -> None:
    stage, folder, workdir, *rest = argv
    result = STAGES[stage](Path(folder), Path(workdir), *map(int, rest))
    result["peak_rss_mib"] = peak_mib()
    print("BENCH " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
