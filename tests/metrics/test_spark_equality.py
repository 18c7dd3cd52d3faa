"""Every metric is equal on DuckDB and Spark for a 20,000-referral synthetic service.

Counts must match exactly and real numbers within 1e-9 relative.
"""

from __future__ import annotations

import math

import pytest

import tincheck

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]
FIELDS = ("value", "numerator", "denominator", "n", "ci_low", "ci_high", "median", "sd")


def same(x, y) -> bool:
    if x is None or y is None:
        return x is y
    if isinstance(x, (bool, str)) or isinstance(y, (bool, str)):
        return x == y
    if isinstance(x, int) and isinstance(y, int):
        return x == y
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def test_every_metric_is_equal_on_duckdb_and_spark(tmp_path_factory, spark_session):
    from tincheck.synth import generate

    folder = generate(tmp_path_factory.mktemp("equality") / "service", referrals=20_000,
                      seed=1)
    duck = tincheck.audit(folder, disclosure_control=False)
    spark = tincheck.audit(folder, disclosure_control=False, engine="spark",
                           spark_session=spark_session)
    assert set(duck.results) == set(spark.results)
    differences = [(mid, field, getattr(r, field), getattr(spark.results[mid], field))
                   for mid, r in duck.results.items() for field in FIELDS
                   if not same(getattr(r, field), getattr(spark.results[mid], field))]
    assert not differences
    assert set(duck.tables) == set(spark.tables)
    for tid, rows in duck.tables.items():
        other = spark.tables[tid]
        assert len(rows) == len(other), tid
        for a, b in zip(rows, other):
            assert a.keys() == b.keys(), tid
            assert all(same(a[k], b[k]) for k in a), (tid, a, b)
    assert duck.value("funnel.referrals_ended") > 19_000
    # the pathway family (its own working table, window functions, the NICE lookup
    # tables) is compared above; none of it may be vacuous
    pathway = [m for m in duck.results if m.startswith("pathway.")]
    assert len(pathway) >= 14 and all(duck.results[m].value is not None for m in pathway)
    for tid in ("pathway.flow", "pathway.by_stratum", "pathway.dose_by_problem",
                "pathway.outcome_by_dose_band", "pathway.first_step_by_problem",
                "pathway.not_seen_by_source", "pathway.not_seen_by_first_medium"):
        assert len(duck.tables[tid]) >= 3, tid
    assert duck.value("rereferral.recovered_but_back") > 0
