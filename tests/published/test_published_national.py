"""The national series on the real published data and on raw files."""

import pytest

from tincheck.published.national import england, national_series, recompute_rates
from tincheck.published.read import read_measures


@pytest.fixture(scope="module")
def measures(nhstt_dir):
    return read_measures(nhstt_dir / "measures_annual.parquet")


def test_every_england_rate_recomputes_to_its_published_decimal(measures):
    # Every England row of measures_annual (2017-18 to 2024-25, every breakdown),
    # all five outcome rates: 787 rows with published rates × 5 = 3,935 (measured).
    checked = recompute_rates(england(measures, breakdowns=True))
    published = checked[checked["published"].notna()]
    assert len(published) == 3935
    assert sorted(published["reporting_period"].unique()) == [
        "2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24",
        "2024-25"]
    assert set(published["measure"]) == {"recovery", "reliable_recovery", "improvement",
                                         "deterioration", "no_reliable_change"}
    bad = published[~published["agrees"].astype(bool)]
    assert bad.empty, bad[["reporting_period", "variable_type", "variable_a", "measure",
                           "published", "recomputed"]].head().to_string()


def test_a_wrong_denominator_would_be_caught(measures):
    # Guard that the check can fail: recovery over at_caseness disagrees in 2020-21
    # (51.5 against the published 51.4, ../shared/data/nhstt/README.md).
    wide = england(measures)
    wide["not_at_caseness_count"] = (wide["finished_course_treatment_count"]
                                     - wide["at_caseness_count"])
    checked = recompute_rates(wide)
    recovery = checked[(checked["measure"] == "recovery")
                       & (checked["reporting_period"] == "2020-21")].iloc[0]
    assert recovery["rounded"] == 51.5 and not recovery["agrees"]


def test_national_series_2018_19(measures):
    series = national_series(measures).set_index("reporting_period")
    row = series.loc["2018-19"]
    assert row["finished"] == 582556
    assert row["recovery_published"] == 52.1
    assert row["recovery_recomputed"] == pytest.approx(100 * 284810 / 546850)
    assert row["recovered_per_100_received"] == pytest.approx(100 * 284810 / 1603643)
    assert row["no_paired_scores"] == 582556 - 546105 - 35706
    assert "ended_referrals" not in series  # the tidy files dropped it


def test_raw_files_carry_the_attrition_funnel(raw_two_years):
    series = national_series(read_measures(raw_two_years)).set_index("reporting_period")
    assert series.loc["2017-18", "ended_referrals"] == 1400000
    assert series.loc["2022-23", "ended_after_one_treatment"] == 420000
    assert series.loc["2022-23", "finished_per_100_ended"] == pytest.approx(
        100 * 672193 / 1700000)
    assert series.loc["2022-23", "recovered_per_100_ended"] == pytest.approx(
        100 * 316251 / 1700000)
    assert series["recovery_agrees"].tolist() == [True, True]
