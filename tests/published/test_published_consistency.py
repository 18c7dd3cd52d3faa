"""Published percentages against the range their rounded counts allow."""

import numpy as np
import pandas as pd
import pytest

from tincheck.published.consistency import (check_consistency, consistency, count_bounds,
                                            ratio_bounds)
from tincheck.published.read import read_measures


def provider(**values):
    row = {"reporting_period": "2022-23", "org_type": "Provider", "org_code": "P",
           "org_name": "P", "variable_type": "Total", "variable_a": "NULL",
           "variable_b": "NULL"}
    row.update(values)
    frame = pd.DataFrame([row])
    for column in [c for c in frame.columns if c.endswith(("_count", "_percentage"))]:
        if f"{column}__suppressed" not in frame:
            frame[f"{column}__suppressed"] = False
    return frame


def test_count_bounds_are_plus_minus_two_and_suppressed_zero_to_four():
    low, high = count_bounds([5, 100, np.nan], [False, False, True])
    assert low.tolist() == [3, 98, 0] and high.tolist() == [7, 102, 4]


def test_ratio_bounds_by_hand():
    # 48/102 = 0.470588, 52/98 = 0.530612
    assert ratio_bounds(48, 52, 98, 102) == pytest.approx((48 / 102, 52 / 98))
    assert ratio_bounds(10, 12, 0, 2)[1] == 1.0


def test_recovery_percentage_inside_the_range_is_consistent():
    # recovery 50 of (110 - 10): counts allow 48/104 = 46.2% to 52/96 = 54.2%
    checks = check_consistency(provider(recovery_count=50.0, finished_course_treatment_count=110.0,
                                        not_at_caseness_count=10.0, recovery_percentage=54.0))
    row = checks[checks["measure"] == "recovery"].iloc[0]
    assert row["allowed_low"] == pytest.approx(100 * 48 / 104)
    assert row["allowed_high"] == pytest.approx(100 * 52 / 96)
    assert bool(row["consistent"])


def test_recovery_percentage_outside_the_range_is_flagged_with_its_distance():
    checks = check_consistency(provider(recovery_count=50.0, finished_course_treatment_count=110.0,
                                        not_at_caseness_count=10.0, recovery_percentage=56.0))
    row = checks[checks["measure"] == "recovery"].iloc[0]
    assert not bool(row["consistent"])
    assert row["distance"] == pytest.approx(56 - 0.5 - 100 * 52 / 96)


def test_suppressed_percentage_is_not_checked_and_not_dropped():
    checks = check_consistency(provider(recovery_count=np.nan, recovery_count__suppressed=True,
                                        finished_course_treatment_count=20.0,
                                        not_at_caseness_count=5.0,
                                        recovery_percentage=np.nan,
                                        recovery_percentage__suppressed=True))
    row = checks[checks["measure"] == "recovery"].iloc[0]
    assert pd.isna(row["consistent"])
    assert len(checks) == 5


def test_every_provider_2022_23_is_consistent_with_its_counts(nhstt_dir):
    # Measured: 159 providers in 2022-23 have at least one checkable figure; none
    # publishes a percentage outside the range its rounded counts allow.
    result = consistency(read_measures(nhstt_dir / "measures_annual.parquet"), "2022-23")
    assert result.organisations == 159
    assert result.inconsistent_organisations == 0
    assert result.checks["consistent"].notna().sum() == 785
