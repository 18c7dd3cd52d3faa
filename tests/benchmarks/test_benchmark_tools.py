"""The benchmark tools whose figures docs/performance.md quotes.

benchmarks/imputation.py times today's multiple imputation against the code before its
speed-up (benchmarks/imputation_before.py): that comparison means something only if the
old code still runs and agrees with today's within Monte Carlo error. benchmarks/performance_doc.py turns the
end-to-end runs into the table of medians with min and max: checked here on made-up
runs whose medians are worked by hand.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from tincheck.stats.imputation import impute_pmm

from ..conftest import REPO


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _frame(monotone: bool, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"first": rng.normal(15, 4, n).round(),
                          "sex": rng.choice(["f", "m"], n), "age": rng.normal(40, 9, n),
                          "anx_inclusive": False})
    frame["phq_last"] = (0.5 * frame["first"] + rng.normal(0, 3, n)).round()
    # the anxiety score as a share of its caseness cut-off, as the audit's cases hold it
    frame["anx_last"] = (0.4 * frame["phq_last"] + rng.normal(0, 2, n)).round() / 8
    gone = rng.random(n) < 0.3
    frame.loc[gone, "phq_last"] = np.nan
    frame.loc[gone if monotone else rng.random(n) < 0.3, "anx_last"] = np.nan
    return frame


@pytest.mark.parametrize("monotone", [True, False])
def test_the_code_before_the_speed_up_agrees_within_monte_carlo_error(monotone):
    # The benchmark's check (benchmarks/imputation.py equivalence): today's imputations
    # and the old code's (benchmarks/imputation_before.py) are draws from the same
    # distribution, so their mean recovery over m = 20 differs by |z| <= 3 ...
    bench = _module("imputation")
    frame = _frame(monotone)
    args = (frame, ["phq_last", "anx_last"], ["first", "sex", "age"])
    old = bench.imputation_before.impute_pmm(*args, m=20, seed=5, iterations=4)
    new = impute_pmm(*args, m=20, seed=5, iterations=4)
    same, how = bench.equivalence(new, old)
    assert same, how
    # ... and a shift of one point in every imputed last PHQ-9 (recovery is PHQ-9 below
    # 10) is caught
    gone = frame["phq_last"].isna()
    shifted = [f.assign(phq_last=f["phq_last"] + gone) for f in new]
    assert not bench.equivalence(shifted, old)[0]


def _run(referrals, run, seconds, cpu, floors, peak, read):
    return {"kind": "end_to_end", "referrals": referrals, "run": run, "memory_limit": None,
            "floor": {"seconds": floors[0], "cpu_seconds": 1.0},
            "floor_after": {"seconds": floors[1], "cpu_seconds": 3.0},
            "floor_seconds": sum(floors) / 2, "floor_cpu_seconds": 2.0,
            "ratio": seconds / (sum(floors) / 2),
            "command": {"seconds": seconds, "cpu_seconds": cpu, "load_before": 1.5,
                        "peak_rss_mib": peak,
                        "parts": {"reading and validating the data": read,
                                  "computing metrics": 1.0,
                                  "building the per-referral working table": 2.0,
                                  "multiple imputation": 3.0}}}


def test_the_end_to_end_table_gives_the_median_of_the_runs_with_min_and_max():
    doc = _module("performance_doc")
    lines = [_run(1000, 1, 30.0, 40.0, (2.0, 4.0), 900, 10.0),
             _run(1000, 2, 20.0, 30.0, (1.0, 1.0), 1100, 8.0),
             _run(1000, 3, 60.0, 50.0, (3.0, 3.0), 1000, 9.0)]
    table = [line for line in doc.end_to_end_sections(lines) if line.startswith("| 1,000")]
    cells = [cell.strip() for cell in table[0].strip("|").split("|")]
    # end to end 20, 30, 60 s: median 30; CPU 30, 40, 50; reading 8, 9, 10; metrics
    # 2 + 1 = 3 in every run; floors 3, 1, 3 s; ratios 30/3 = 10, 20/1 = 20, 60/3 = 20;
    # CPU ÷ floor CPU (2 s): 20, 15, 25; no therapist-model step, no report step and no
    # forked workers' peak in these runs
    assert cells == ["1,000", "default", "3", "1.5–1.5", "30.0 s (20.0 s–60.0 s)",
                     "40.0 s (30.0 s–50.0 s)", "9.00 s (8.00 s–10.0 s)",
                     "3.00 s (3.00 s–3.00 s)", "0.00 s (0.00 s–0.00 s)",
                     "3.00 s (3.00 s–3.00 s)", "0.00 s (0.00 s–0.00 s)",
                     "1,000 MiB (900 MiB–1,100 MiB)", "not recorded",
                     "3.00 s (1.00 s–3.00 s)", "20.0 (10.0–20.0)", "20.0 (15.0–25.0)"]


def test_the_lower_bound_measures_the_audits_own_work(tmp_path):
    """benchmarks/lower_bound.py times the work no audit with today's answers can leave
    out: it must capture the audit's own imputation (m = 20 chains of the two last
    scores) and therapist frame, and copy every row of the four large files."""
    import duckdb

    from tincheck.synth import generate

    bound = _module("lower_bound")
    folder = generate(tmp_path / "service", referrals=4000, seed=2)
    captured = bound.captured_work(folder)
    children, values, missing, equations, donors, iterations = captured["chain"]
    assert (len(children), donors, iterations) == (20, 5, 10)
    assert [e.j for e in equations] == [0, 1]  # the last PHQ-9 and anxiety scores
    assert len(captured["frame"]) > 0 and captured["rows"] > 0
    cpu, m = bound.imputation_cpu(captured)
    assert m == 20 and cpu > 0 and bound.models_cpu(captured) > 0
    rows = {name: duckdb.sql(f"SELECT count(*) FROM '{folder / name}.parquet'").fetchone()[0]
            for name in bound.LARGE}
    assert bound.loaded_rows(folder) == rows
