"""Funnel-plot comparison of providers (real data and raw files)."""

import math

import pytest

from tincheck.published.providers import provider_funnel
from tincheck.published.read import read_measures


def test_funnel_2022_23_on_the_published_data(nhstt_dir):
    result = provider_funnel(read_measures(nhstt_dir / "measures_annual.parquet"), "2022-23")
    # England 2022-23: 316,251 / (672,193 − 37,805)
    assert result.target == pytest.approx(316251 / 634388)
    assert result.compared == 158
    assert set(result.excluded["reason"]) == {"recovered count suppressed (under 5)"}
    counts = result.counts()
    # Measured on this data: overdispersion shrinks 70 alarms to 18.
    assert counts["exact_998"]["total"] == 70
    assert counts["re_998"]["total"] == 18
    assert result.phi == pytest.approx(12.53, abs=0.01)
    assert result.tau2 == pytest.approx(0.00073, abs=0.00001)
    assert counts["re_998"]["total"] < counts["re_95"]["total"] < counts["exact_95"]["total"]


def test_raw_files_compare_providers_with_a_suppressed_not_at_caseness(raw_two_years):
    result = provider_funnel(read_measures(raw_two_years), "2017-18")
    assert result.target == pytest.approx(263295 / (554709 - 36767))
    p2 = result.providers.set_index("org_code").loc["P2"]
    assert p2["denominator"] == 400 - 2  # '*' taken as 2, the middle of 0-4
    assert p2["not_at_caseness_suppressed"]
    # two providers are too few to estimate overdispersion: reported as unknown, τ² = 0
    assert math.isnan(result.phi) and result.tau2 == 0.0


def test_provider_with_suppressed_recovery_is_listed_as_excluded(raw_two_years):
    result = provider_funnel(read_measures(raw_two_years), "2022-23")
    assert result.excluded.set_index("org_code").loc["P3", "reason"] == \
        "recovered count suppressed (under 5)"
    assert result.compared == 2
