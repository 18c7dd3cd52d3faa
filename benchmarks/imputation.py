"""Time the audit's multiple imputation, today's code against the code before its
speed-up, in the same run, and check that both agree within Monte Carlo error.

    .venv/bin/python benchmarks/imputation.py                   # 100,000 referrals
    .venv/bin/python benchmarks/imputation.py --referrals 1000000 --repeat 3
    .venv/bin/python benchmarks/imputation.py --no-before       # today's code only

The cases table is the one the audit imputes (``cases_expression``: one row per case,
first and last scores, age, contacts, sex, problem, service), fetched from the
synthetic service that benchmarks/run.py caches (seed 1; written when absent). Each
run times ``impute_recovery`` (m = 20, 10 iterations, the audit's seed) with
``impute_pmm`` as it is today and as it was (benchmarks/imputation_before.py, run
with BLAS limited to one thread as the audit then ran it), alternating, and checks
that the two agree within Monte Carlo error (``equivalence``: the donors are drawn
among the same nearest values, no longer in the same order, so the imputations are
other draws from the same distribution).
Wall and CPU time (all threads) are both reported: on a shared machine the CPU time
is the measure of the work done that the neighbours disturb least.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import imputation_before  # noqa: E402
from stages import cpu_time as cpu_seconds  # noqa: E402  (the workers' CPU counted)

from tincheck.metrics import imputation  # noqa: E402


def cases_table(referrals: int) -> pd.DataFrame:
    """The cases the audit imputes, for the cached synthetic service of that size
    (the audit's own cases query, captured at the imputation hook; kept beside it)."""
    saved = HERE / "cache" / f"r{referrals}-s1.cases.parquet"
    if saved.exists():
        return pd.read_parquet(saved)
    import tincheck
    from tincheck.synth import generate

    folder = HERE / "cache" / f"r{referrals}-s1"
    if not (folder / "manifest.json").exists():
        generate(folder, referrals=referrals, seed=1, format="parquet")
    captured = {}

    def capture(cases, m=imputation.DEFAULT_M, seed=imputation.DEFAULT_SEED):
        captured["cases"] = cases.copy()
        return imputation.Result("sensitivity.multiple_imputation", "statistic", None)

    imputation.impute_recovery = capture
    try:
        with tincheck.read_dataset(folder) as dataset:
            tincheck.audit(dataset, imputations=imputation.DEFAULT_M)
    finally:
        imputation.impute_recovery = RECOVERY
    captured["cases"].to_parquet(saved)
    return captured["cases"]


def run(cases: pd.DataFrame, impute, blas_one_thread: bool):
    captured = []

    def capture(*args, **kwargs):
        frames = impute(*args, **kwargs)
        captured.extend(frames)
        return frames

    imputation.impute_pmm = capture
    try:
        start, cpu = time.perf_counter(), cpu_seconds()
        if blas_one_thread:
            with threadpool_limits(limits=1, user_api="blas"):
                result = imputation.impute_recovery(cases)
        else:
            result = imputation.impute_recovery(cases)
        return (time.perf_counter() - start, cpu_seconds() - cpu), result, captured
    finally:
        imputation.impute_pmm = ORIGINAL


def equivalence(frames, old_frames) -> tuple[bool, str]:
    """Whether today's m completed data sets and those of the code before the speed-up
    agree within Monte Carlo error, and how.

    The donor is drawn among the same d nearest observed values as before, but the
    d are no longer listed in NumPy's ``argpartition`` order, so the same random
    numbers pick other (equally near) donors: the imputations are draws from the same
    distribution, not the same draws. The test: the m recovery proportions of each
    (``imputation.recovered``), their means' difference over its Monte Carlo
    standard error √(s²_today/m + s²_before/m), within ±3; the observed values of
    both are checked identical.
    """
    today = np.array([imputation.recovered(f).mean() for f in frames])
    before = np.array([imputation.recovered(f).mean() for f in old_frames])
    for a, b in zip(frames, old_frames, strict=True):
        pd.testing.assert_frame_equal(a.drop(columns=["phq_last", "anx_last"]),
                                      b.drop(columns=["phq_last", "anx_last"]))
    se = float(np.sqrt(today.var(ddof=1) / len(today) + before.var(ddof=1) / len(before)))
    difference = float(today.mean() - before.mean())
    z = difference / se if se > 0 else 0.0
    return abs(z) <= 3, (f"{difference:+.5f} in mean recovery over the m imputations "
                         f"(Monte Carlo SE {se:.5f}, z = {z:+.2f})")


ORIGINAL = imputation.impute_pmm
RECOVERY = imputation.impute_recovery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-before", action="store_true",
                        help="time today's code only")
    args = parser.parse_args()
    cases = cases_table(args.referrals)
    missing = int(cases[["phq_last", "anx_last"]].isna().any(axis=1).sum())
    print(f"{args.referrals:,} referrals: {len(cases):,} cases, {missing:,} with last "
          f"scores to impute; load average {os.getloadavg()[0]:.1f}", flush=True)
    times = {"today": [], "before": []}
    cpu = {"today": [], "before": []}
    for _ in range(args.repeat):
        (seconds, busy), result, frames = run(cases, ORIGINAL, blas_one_thread=False)
        times["today"].append(seconds)
        cpu["today"].append(busy)
        print(f"  today:  {seconds:6.2f} s (CPU {busy:6.2f} s)  recovery {result.value!r} "
              f"[{result.ci_low!r}, {result.ci_high!r}]", flush=True)
        if args.no_before:
            continue
        (seconds, busy), old, old_frames = run(cases, imputation_before.impute_pmm,
                                               blas_one_thread=True)
        times["before"].append(seconds)
        cpu["before"].append(busy)
        same, z = equivalence(frames, old_frames)
        print(f"  before: {seconds:6.2f} s (CPU {busy:6.2f} s)  recovery {old.value!r} "
              f"[{old.ci_low!r}, {old.ci_high!r}]; difference from today's {z}", flush=True)
        if not same:
            raise SystemExit("today's imputations differ from the code before the speed-up "
                             "by more than Monte Carlo error")
    summary = {k: {"median": statistics.median(v), "min": min(v), "max": max(v)}
               for k, v in times.items() if v}
    summary["cpu"] = {k: {"median": statistics.median(v), "min": min(v), "max": max(v)}
                      for k, v in cpu.items() if v}
    if times["before"]:
        # each run's before ÷ today, then the median: neighbours' load hits both alike
        summary["speed_up"] = statistics.median(
            b / t for b, t in zip(times["before"], times["today"]))
        summary["cpu_ratio"] = statistics.median(
            b / t for b, t in zip(cpu["before"], cpu["today"]))
    summary.update(referrals=args.referrals, cases=len(cases), to_impute=missing,
                   load_after=os.getloadavg()[0])
    print("BENCH " + json.dumps(summary))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
