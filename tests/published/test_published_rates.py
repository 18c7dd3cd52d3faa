"""Official rate formulas on counts (tincheck.published.rates)."""

import math

import numpy as np
import pytest

from tincheck.rates import (RATES, no_paired_scores, recovery_rate,
                                      reliable_improvement_rate, reliable_recovery_rate,
                                      round_half_up)


def test_recovery_divides_by_finished_less_not_at_caseness():
    # NHS annual report 2020-21 (../shared/data/nhstt/README.md): 306,990 /
    # (634,649 − 37,267) = 51.4%; dividing by at_caseness (595,840) would give 51.5%.
    assert round_half_up(100 * recovery_rate(306990, 634649, 37267), 1) == 51.4
    assert round_half_up(100 * 306990 / 595840, 1) == 51.5


def test_rates_2018_19_england_match_the_published_report():
    # measures_annual, England Total 2018-19: published 52.1, 49.5, 67.4.
    assert round_half_up(100 * recovery_rate(284810, 582556, 35706), 1) == 52.1
    assert round_half_up(100 * reliable_recovery_rate(270763, 582556, 35706), 1) == 49.5
    assert round_half_up(100 * reliable_improvement_rate(392662, 582556), 1) == 67.4


def test_zero_or_negative_denominator_gives_nan_not_an_error():
    assert math.isnan(recovery_rate(0, 10, 10))
    assert math.isnan(reliable_improvement_rate(3, 0))
    assert np.isnan(recovery_rate([1, 2], [5, 0], [0, 0])).tolist() == [False, True]


def test_missing_counts_propagate_as_nan():
    assert math.isnan(recovery_rate(np.nan, 10, 2))


def test_no_paired_scores_is_finished_less_both_caseness_groups():
    # England 2022-23: 672,193 − 633,236 − 37,805 = 1,152
    assert no_paired_scores(672193, 633236, 37805) == 1152


@pytest.mark.parametrize("value, decimals, expected", [
    (0.25, 1, 0.3), (0.35, 1, 0.4), (52.05, 1, 52.1), (2.5, 0, 3.0), (49.49, 0, 49.0),
    (-0.25, 1, -0.3)])
def test_round_half_up_is_half_away_from_zero(value, decimals, expected):
    # SQL Server ROUND(0.25, 1) = 0.3 whereas Python's round(0.25, 1) = 0.2
    assert round_half_up(value, decimals) == expected


def test_rates_registry_names_the_five_published_rates_once():
    assert [r.measure for r in RATES] == ["recovery", "reliable_recovery", "improvement",
                                          "deterioration", "no_reliable_change"]
    assert len({r.id for r in RATES}) == 5
    assert RATES[0].from_counts(50, 110, 10) == pytest.approx(0.5)
    assert RATES[2].from_counts(55, 110) == pytest.approx(0.5)


def test_the_metric_engine_uses_the_same_formulas():
    # one definition: the metric engine's official family uses these very functions
    from tincheck.metrics import official
    assert official.recovery_rate is recovery_rate
    assert official.reliable_recovery_rate is reliable_recovery_rate
    assert official.reliable_improvement_rate is reliable_improvement_rate