"""The pandas peer of benchmarks/run.py computes the same numbers as tincheck.

benchmarks/pandas_baseline.py is the independent implementation the benchmarks compare
tincheck's speed with; a speed comparison means something only if both compute the
same thing, so every funnel and official metric (counts, numerators, denominators,
rates, the mean sessions' n, SD and median) must equal tincheck's exact result.
"""

from __future__ import annotations

import importlib.util
import math

import pytest

from ..conftest import REPO


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


baseline = _module("pandas_baseline")


@pytest.fixture(scope="module", params=[(4_000, 1), (4_000, 7)], ids=["seed1", "seed7"])
def service(request, tmp_path_factory):
    import tincheck
    from tincheck.synth import generate

    referrals, seed = request.param
    folder = generate(tmp_path_factory.mktemp("peer") / "service", referrals=referrals,
                      seed=seed)
    return folder, tincheck.audit(folder, imputations=0, disclosure_control=False)


def _same(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    return math.isclose(expected, got, rel_tol=1e-12, abs_tol=1e-12)


def test_every_funnel_and_official_metric_equals_tincheck(service):
    folder, audit = service
    numbers = baseline.official_metrics(folder)
    official = {m for m in audit.results if m.startswith(("funnel.", "official."))}
    assert set(numbers) == official  # the peer covers exactly these families
    differ = {}
    for metric_id, parts in numbers.items():
        result = audit.results[metric_id]
        for part, value in parts.items():
            exact = result.value if part == "value" else getattr(result, part)
            if not _same(exact, value):
                differ[f"{metric_id}.{part}"] = (exact, value)
    assert differ == {}


def test_the_comparison_is_not_vacuous(service):
    # enough finished courses, recoveries and same-day score ties for a wrong rule
    # to change a number (ties are broken by the row of the file)
    folder, audit = service
    recovery = audit.results["official.recovery_rate"]
    assert recovery.denominator > 1000 and 0.3 < recovery.value < 0.7
    frames = baseline.read(folder)
    m = frames["measures"]
    ties = m.duplicated(["referral_id", "instrument", "date"], keep=False)
    assert ties.sum() > 50


def test_last_score_on_a_tied_date_is_the_later_row():
    import pandas as pd

    # two PHQ-9 scores on the last day: the later row (9) is the last score, not 18
    measures = pd.DataFrame({
        "referral_id": ["r1"] * 3, "instrument": ["PHQ9"] * 3,
        "date": pd.to_datetime(["2023-01-02", "2023-02-01", "2023-02-01"]),
        "score": [20.0, 18.0, 9.0], "row": [0, 1, 2]})
    referrals = pd.DataFrame({"referral_id": ["r1"],
                              "received_date": pd.to_datetime(["2023-01-01"]),
                              "ended_date": pd.to_datetime(["2023-03-01"])})
    s = baseline.scores(measures.iloc[[2, 0, 1]], referrals).loc[("r1", "PHQ9")]
    assert (s["n"], s["first"], s["last"]) == (3, 20.0, 9.0)
