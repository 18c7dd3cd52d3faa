"""Time the therapist-effect and competence models on the audit's own per-referral frame,
today's code against another checkout's (the code before a change), in the same run,
and compare their answers.

    .venv/bin/python benchmarks/therapist_models.py --referrals 300000 1000000 --repeat 3
    .venv/bin/python benchmarks/therapist_models.py --before /path/to/older/checkout/src

The frame is the one ``metrics/therapists.compute`` fits the models on
(``fetch_cases``: one row per finished referral with its main therapist), captured from
an audit of the synthetic service that benchmarks/run.py caches (seed 1) and kept in
``--frames`` (a temporary folder by default), never in benchmarks/cache. Each run times
``therapists.analyse(frame)`` and ``competence.analyse(frame, rows)`` one after the
other in one process with BLAS on one thread (as the audit's forked workers run them,
side by side on two cores); with ``--before`` the same is run by that checkout's
``src`` in a subprocess, alternating with today's. CPU time (``time.process_time``) is
the measure the neighbours on a shared machine disturb least; wall time is printed
beside it. The answers of the two codes are compared number by number (the largest
relative difference is printed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def frame_file(referrals: int, frames: Path) -> Path:
    """The per-referral frame and the therapists table's row count, captured once."""
    saved = frames / f"therapist-frame-r{referrals}-s1.pkl"
    if saved.exists():
        return saved
    sys.path.insert(0, str(HERE))
    import run

    import tincheck
    from tincheck.metrics import therapists

    folder, _ = run.service(referrals, 1, False)
    captured = {}
    compute = therapists.compute

    def capture(backend, bases, context):
        captured["frame"] = therapists.fetch_cases(backend, bases)
        captured["rows"] = therapists.therapist_rows(backend)
        return {}, {}

    therapists.compute = capture
    try:
        with tincheck.read_dataset(folder) as dataset:
            tincheck.audit(dataset, imputations=0)
    finally:
        therapists.compute = compute
    frames.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(pickle.dumps((captured["frame"], captured["rows"])))
    return saved


def time_once(saved: Path, answers: Path | None) -> dict:
    """CPU and wall seconds of each analysis (in this process)."""
    from threadpoolctl import threadpool_limits

    from tincheck.jsonable import jsonable
    from tincheck.metrics import competence, therapists

    frame, rows = pickle.loads(saved.read_bytes())
    out, results = {}, {}
    with threadpool_limits(limits=1, user_api="blas"):
        for part in ("therapists", "competence"):
            cpu, wall = time.process_time(), time.perf_counter()
            results[part] = therapists.analyse(frame) if part == "therapists" else \
                competence.analyse(frame, rows)
            out[part] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    if answers is not None:
        answers.write_text(json.dumps(jsonable(results), sort_keys=True))
    return out


def largest_difference(a, b, path=""):
    """(relative difference, where) of the two answers' most different number."""
    if isinstance(a, dict):
        if set(a) != set(b):
            return math.inf, f"{path}: keys {sorted(set(a) ^ set(b))}"
        return max((largest_difference(a[k], b[k], f"{path}/{k}") for k in a),
                   default=(0.0, path))
    if isinstance(a, list):
        if len(a) != len(b):
            return math.inf, f"{path}: lengths {len(a)}, {len(b)}"
        return max((largest_difference(x, y, f"{path}[{i}]")
                    for i, (x, y) in enumerate(zip(a, b))), default=(0.0, path))
    if isinstance(a, float) and isinstance(b, float) and a != b:
        return abs(a - b) / max(abs(a), abs(b)), path
    return (0.0, path) if a == b else (math.inf, f"{path}: {a!r}, {b!r}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--referrals", type=int, nargs="+", default=[300000])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--before", type=Path, help="another checkout's src folder")
    p.add_argument("--frames", type=Path,
                   default=Path(tempfile.gettempdir()) / "tincheck-therapist-frames")
    p.add_argument("--once", type=Path, help=argparse.SUPPRESS)  # a subprocess's run
    p.add_argument("--answers", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.once:
        print(json.dumps(time_once(a.once, a.answers)))
        return
    for referrals in a.referrals:
        saved = frame_file(referrals, a.frames)
        codes = {"today": None} | ({"before": a.before} if a.before else {})
        runs = {code: [] for code in codes}
        with tempfile.TemporaryDirectory() as work:
            for i in range(a.repeat):
                for code, src in codes.items():
                    answers = Path(work) / f"{code}.json"
                    env = dict(os.environ, PYTHONPATH=str(src.resolve())) if src else None
                    done = subprocess.run(
                        [sys.executable, __file__, "--once", str(saved), "--answers",
                         str(answers)], env=env, check=True, capture_output=True, text=True)
                    runs[code].append(json.loads(done.stdout.splitlines()[-1]))
                    print(f"{referrals:,} run {i + 1} {code}: " + ", ".join(
                        f"{part} {t['cpu']:.2f} s CPU ({t['wall']:.2f} s wall)"
                        for part, t in runs[code][-1].items()), flush=True)
            if a.before:
                today, before = (json.loads((Path(work) / f"{c}.json").read_text())
                                 for c in ("today", "before"))
                diff, where = largest_difference(before, today)
                print(f"largest relative difference of the answers: {diff:.1e} ({where})")
        for code, got in runs.items():
            for part in ("therapists", "competence"):
                cpu = [r[part]["cpu"] for r in got]
                wall = [r[part]["wall"] for r in got]
                print(f"{referrals:,} {code} {part}: CPU {statistics.median(cpu):.2f} s "
                      f"({min(cpu):.2f}-{max(cpu):.2f}), wall {statistics.median(wall):.2f} s "
                      f"({min(wall):.2f}-{max(wall):.2f}), {len(got)} runs")
            total = [r["therapists"]["cpu"] + r["competence"]["cpu"] for r in got]
            print(f"{referrals:,} {code} both: CPU {statistics.median(total):.2f} s")


if __name__ == "__main__":
    main()
