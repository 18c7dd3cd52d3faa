"""The official rate formulas reproduce every published England percentage.

Source: NHS Digital / NHS England annual reports 2017-18 to 2024-25 as tidied by the
nhstt package (../shared/data/nhstt/measures_annual.parquet). England counts are exact
and England percentages are published to 1 decimal (half up).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tincheck.metrics.official import (no_reliable_change_rate, recovery_rate,
                                       reliable_deterioration_rate,
                                       reliable_improvement_rate, reliable_recovery_rate)

YEARS = ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24",
         "2024-25"]


@pytest.fixture(scope="module")
def england(nhstt_dir):
    con = duckdb.connect()
    rows = con.execute(
        "SELECT reporting_period, measure_name, measure_statistic, value "
        f"FROM read_parquet('{nhstt_dir / 'measures_annual.parquet'}') "
        "WHERE org_type = 'England' AND variable_type = 'Total'").fetchall()
    data = {}
    for year, measure, statistic, value in rows:
        data.setdefault(year, {})[(measure, statistic)] = value
    return data


def one_decimal(rate: float) -> str:
    return str(Decimal(repr(100 * rate)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("year", YEARS)
def test_every_published_england_rate_is_reproduced(england, year):
    d = england[year]
    count = {m: int(d[(m, "count")]) for m, s in d if s == "count"}
    finished, not_case = count["finished_course_treatment"], count["not_at_caseness"]
    expected = {
        "recovery": recovery_rate(count["recovery"], finished, not_case),
        "reliable_recovery": reliable_recovery_rate(count["reliable_recovery"], finished,
                                                    not_case),
        "improvement": reliable_improvement_rate(count["improvement"], finished),
        "deterioration": reliable_deterioration_rate(count["deterioration"], finished),
        "no_reliable_change": no_reliable_change_rate(count["no_reliable_change"], finished),
    }
    for measure, rate in expected.items():
        # the published text drops a trailing ".0" (26.0 is written "26")
        assert Decimal(one_decimal(rate)) == Decimal(d[(measure, "percentage")]), (year, measure)


def test_the_denominator_is_finished_minus_not_at_caseness_not_at_caseness(england):
    # nhstt README: 2020-21 recovery 306,990 / (634,649 - 37,267) = 51.4%, while dividing by
    # at_caseness (595,840) gives 51.5%: the NHS denominator keeps unpaired finishers in.
    d = england["2020-21"]
    assert d[("recovery", "percentage")] == "51.4"
    assert one_decimal(recovery_rate(306_990, 634_649, 37_267)) == "51.4"
    assert one_decimal(306_990 / int(d[("at_caseness", "count")])) == "51.5"


def test_eight_years_are_published(england):
    assert sorted(england) == YEARS
