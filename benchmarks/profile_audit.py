"""Where the time of an audit goes: Python (cProfile) and DuckDB (per query, per operator).

    python benchmarks/profile_audit.py                    # 1,000,000 referrals, seed 1
    python benchmarks/profile_audit.py --referrals 100000 --top 15

Uses the cached synthetic service of benchmarks/run.py (made if missing). Prints:

1. ingest + validation under cProfile: the tincheck functions with the most
   cumulative time;
2. the audit (imputations = 0) twice in the same process, each SQL statement the
   audit runs timed by name (``engine.materialise`` / ``engine.fetch``), and the time
   spent compiling Ibis expressions to SQL (the first audit of a process only);
3. DuckDB's own profile (``enable_profiling = 'json'``) of the audit's statements:
   the operators with the most time, with the columns or keys they work on.

The figures quoted in docs/performance.md ("Where the time goes") come from here.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def python_profile(profile: cProfile.Profile, top: int, prefix: str = "tincheck") -> list[str]:
    """The ``top`` tincheck functions by cumulative time."""
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    rows = []
    for (file, line, name), (_, calls, _, cumulative, _) in stats.stats.items():
        if f"/{prefix}/" in file or f"\\{prefix}\\" in file:
            short = file.split(f"{prefix}/", 1)[-1]
            rows.append((cumulative, calls, f"{short}:{line} {name}"))
    rows.sort(reverse=True)
    return [f"{c:8.2f} s {n:7d} calls  {where}" for c, n, where in rows[:top]]


class StatementTimer:
    """Wraps tincheck.engine's materialise/fetch/compiled_sql to time each call by name."""

    def __init__(self, engine, profile_dir: Path | None = None):
        self.engine = engine
        self.times: dict[str, float] = defaultdict(float)
        self.profiles: dict[str, dict] = {}
        self.profile_dir = profile_dir
        self.names: dict[str, str] = {}
        self.originals = (engine.materialise, engine.fetch, engine.compiled_sql)

    def __enter__(self):
        materialise, fetch, compiled_sql = self.originals

        def timed_compile(backend, key, build):
            start = time.perf_counter()
            sql = compiled_sql(backend, key, build)
            self.times["(compile Ibis to SQL)"] += time.perf_counter() - start
            self.names[sql] = key.split(":")[0] + (":" + key.split(":")[1] if ":" in key else "")
            return sql

        def timed(kind, function):
            def wrapper(backend, *args):
                sql = args[-1]
                name = f"{kind} {args[0]}" if kind == "materialise" else \
                    f"{kind} {self.names.get(sql, 'other')}"
                start = time.perf_counter()
                try:
                    return function(backend, *args)
                finally:
                    self.times[name] += time.perf_counter() - start
                    self._keep_profile(name)
            return wrapper

        self.engine.materialise = timed("materialise", materialise)
        self.engine.fetch = timed("fetch", fetch)
        self.engine.compiled_sql = timed_compile
        return self

    def _keep_profile(self, name: str) -> None:
        if self.profile_dir is None:
            return
        path = self.profile_dir / "last.json"
        if path.is_file():
            self.profiles[name] = json.loads(path.read_text())
            path.unlink()

    def __exit__(self, *exc):
        self.engine.materialise, self.engine.fetch, self.engine.compiled_sql = self.originals


def operators(tree: dict, out: list) -> list:
    """Every operator of a DuckDB JSON profile: (seconds, type, rows, detail)."""
    for child in tree.get("children", []):
        info = child.get("extra_info", {})
        detail = "; ".join(f"{k}: {v if isinstance(v, str) else ', '.join(map(str, v))}"
                           for k, v in info.items()
                           if k in ("Groups", "Aggregates", "Conditions", "Join Type",
                                    "Table", "Projections"))
        out.append((child.get("operator_timing", 0.0), child.get("operator_type", "?"),
                    child.get("operator_cardinality", 0), detail[:160]))
        operators(child, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import run

    import tincheck
    from tincheck import engine

    folder, _ = run.service(args.referrals, args.seed, False)
    print(f"{args.referrals:,} referrals ({folder.name})")

    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    dataset = tincheck.read_dataset(folder)
    profile.disable()
    print(f"\n1. ingest + validation: {time.perf_counter() - start:.1f} s (under cProfile); "
          "tincheck functions by cumulative time:")
    print("\n".join(python_profile(profile, args.top)))

    for label in ("first audit (compiles the SQL)", "second audit (SQL cached)"):
        profile = cProfile.Profile()
        with StatementTimer(engine) as timer:
            start = time.perf_counter()
            profile.enable()
            tincheck.audit(dataset, imputations=0)
            profile.disable()
            total = time.perf_counter() - start
        print(f"\n2. {label}: {total:.1f} s; by statement:")
        for name, seconds in sorted(timer.times.items(), key=lambda kv: -kv[1]):
            print(f"{seconds:8.2f} s  {name}")
        print(f"{total - sum(timer.times.values()):8.2f} s  (the rest: Python around them)")
    print("   tincheck functions by cumulative time (second audit):")
    print("\n".join(python_profile(profile, args.top)))

    with tempfile.TemporaryDirectory() as folder_name:
        profiles = Path(folder_name)
        con = dataset.connection
        con.execute("SET enable_profiling = 'json'")
        con.execute(f"SET profiling_output = '{profiles / 'last.json'}'")
        with StatementTimer(engine, profiles) as timer:
            tincheck.audit(dataset, imputations=0)
        con.execute("SET enable_profiling = 'no_output'")
    print("\n3. DuckDB's profile of the audit's statements (operator time; threads add up):")
    for name, tree in sorted(timer.profiles.items(), key=lambda kv: -kv[1].get("latency", 0)):
        if tree.get("latency", 0) < 0.05:
            continue
        print(f"\n{tree.get('latency', 0):7.2f} s wall, {tree.get('cpu_time', 0):7.2f} s CPU  "
              f"{name}")
        for seconds, kind, rows, detail in sorted(operators(tree, []), reverse=True)[:args.top]:
            if seconds >= 0.01:
                print(f"   {seconds:7.2f} s {kind:22s} {rows:>11,} rows  {detail}")
    dataset.close()


if __name__ == "__main__":
    main()
