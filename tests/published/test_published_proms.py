"""Effect sizes from proms_annual, checked against the interval rounding allows."""

import numpy as np
import pandas as pd
import pytest

from tincheck.published.proms import (check_summary, effect_size_rows,
                                      england_effect_sizes, rounding_interval_d)
from tincheck.published.read import read_proms


def test_rounding_interval_by_hand():
    # CBT, England 2022-23: means 14.2 -> 9.4, SD 6.1; (4.8 - 0.1)/6.15 = 0.764228,
    # (4.8 + 0.1)/6.05 = 0.809917
    low, high = rounding_interval_d(14.2, 9.4, 6.1)
    assert (low, high) == pytest.approx((4.7 / 6.15, 4.9 / 6.05))


def test_rounding_interval_with_a_negative_change_and_a_tiny_sd():
    low, high = rounding_interval_d(5.0, 5.5, 2.0)   # numerator -0.6 .. -0.4
    assert (low, high) == pytest.approx((-0.6 / 1.95, -0.4 / 2.05))
    assert np.isnan(rounding_interval_d(5.0, 4.0, 0.05)[0])  # SD could be zero


def test_effect_size_rows_flag_a_published_value_outside_its_interval():
    wide = pd.DataFrame({"reporting_period": ["2022-23"] * 2, "org_type": "England",
                         "org_code": "All", "org_name": "All", "variable_a": "Total",
                         "variable_b": ["A", "B"],
                         "total_finishing_course_treatment_count": [1000.0, 1000.0],
                         "phq_mean_start": 14.2, "phq_mean_end": 9.4, "phq_sd_start": 6.1,
                         "phq_sd_end": 6.6, "phq_effect_size": [0.8, 0.9]})
    rows = effect_size_rows(wide)
    assert rows["inside"].tolist() == [True, False]
    assert rows["exact"].tolist() == [True, False]
    # var = 2(1 - 0.5)/1000 + d^2/2000 with d = 4.8/6.1 = 0.786885
    d = 4.8 / 6.1
    se = np.sqrt(1 / 1000 + d**2 / 2000)
    assert rows["ci_low_r50"].iloc[0] == pytest.approx(d - 1.959964 * se, abs=1e-6)
    assert rows["ci_high_r30"].iloc[0] == pytest.approx(
        d + 1.959964 * np.sqrt(1.4 / 1000 + d**2 / 2000), abs=1e-6)


def test_every_published_england_effect_size_lies_inside_its_rounding_interval(nhstt_dir):
    # proms_annual, England, 2019-20 to 2024-25, descriptor × therapy × measure with
    # n (total finishing) ≥ 100: 2,142 rows, all inside; 2,014 (94.0%) exact (measured).
    rows = england_effect_sizes(read_proms(nhstt_dir / "proms_annual.parquet"))
    summary = check_summary(rows, min_n=100)
    assert summary["checked"] == 2142
    assert summary["inside"] == 2142
    assert summary["exact"] == 2014
    assert summary["exact_share"] == pytest.approx(0.94, abs=0.005)
