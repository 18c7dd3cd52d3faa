"""Effect sizes from raw study data: hand cases and bad input (metafor agreement is in
test_metafor_reference.py)."""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx

from tincheck.stats.effect_sizes import (
    escalc,
    fisher_z,
    log_odds_ratio,
    log_risk_ratio,
    raw_proportion,
    risk_difference,
    smcc,
    smd,
    smcr,
)


def test_odds_ratio_by_hand_with_and_without_a_zero_cell():
    # 10/20 against 5/25: OR = (10·20)/(10·5) = 4; Woolf variance 1/10 + 1/10 + 1/5 + 1/20
    es = log_odds_ratio(10, 10, 5, 20)
    assert (es.estimate, es.variance) == approx((np.log(4), 0.45))
    assert es.continuity_corrected is False and es.n == 45
    # a zero cell: every cell + 0.5 -> (0.5·20.5)/(10.5·5.5)
    es = log_odds_ratio(0, 10, 5, 20)
    assert es.estimate == approx(np.log(0.5 * 20.5 / (10.5 * 5.5)))
    assert es.continuity_corrected is True


def test_cells_or_events_with_group_sizes_give_the_same_tables():
    a = log_risk_ratio([4, 0], [119, 22], [11, 1], [128, 20])
    b = log_risk_ratio([4, 0], ci=[11, 1], n1i=[123, 22], n2i=[139, 21])
    assert a.estimate.tolist() == approx(b.estimate.tolist(), rel=1e-15)
    assert a.variance.tolist() == approx(b.variance.tolist(), rel=1e-15)


def test_continuity_options():
    tables = dict(ai=[0, 4], bi=[10, 6], ci=[3, 5], di=[7, 5])
    only0 = risk_difference(**tables)
    assert only0.continuity_corrected.tolist() == [True, False]
    assert only0.estimate[1] == approx(4 / 10 - 5 / 10)  # untouched
    if0all = risk_difference(**tables, to="if0all")  # one zero: every table corrected
    assert if0all.continuity_corrected.tolist() == [True, True]
    assert if0all.estimate[1] == approx(4.5 / 11 - 5.5 / 11)
    none = log_odds_ratio(**tables, to="none")
    assert np.isnan(none.estimate[0]) and np.isfinite(none.estimate[1])
    assert none.continuity_corrected.tolist() == [False, False]
    with pytest.raises(ValueError, match="to = 'some': expected one of only0"):
        log_odds_ratio(**tables, to="some")


def test_proportion_with_no_events_gets_the_correction():
    # metafor's PR default: 0.5 added to events and non-events -> 0.5/11
    es = raw_proportion(0, 10)
    assert es.estimate == approx(0.5 / 11)
    assert es.variance == approx((0.5 / 11) * (10.5 / 11) / 11)


def test_standardised_mean_changes_agree_with_the_pre_post_functions():
    from tincheck.stats.effect_sizes import d_pre_sd_from_summary, d_z_from_summary

    a = smcr(16.8, 10.1, 5.2, 60, 0.4)
    b = d_pre_sd_from_summary(16.8, 10.1, 5.2, 60, 0.4, small_sample_correction=True)
    assert (a.estimate, a.variance) == approx((b.estimate, b.variance), rel=1e-15)
    sd_change = np.sqrt(5.2**2 + 6.1**2 - 2 * 0.4 * 5.2 * 6.1)
    c = smcc(16.8, 10.1, 5.2, 6.1, 60, 0.4)
    d = d_z_from_summary(6.7, sd_change, 60, small_sample_correction=True)
    assert (c.estimate, c.variance) == approx((d.estimate, d.variance), rel=1e-14)


def test_undefined_results_are_nan_not_errors():
    assert np.isnan(smcr(16, 10, 5, 2, 0.4).estimate)  # c(1) is undefined (n - 1 = 1)
    assert np.isnan(fisher_z(0.3, 3).variance)  # 1/(n - 3)
    assert np.isnan(fisher_z(1.0, 30).estimate)  # atanh(1) = ∞
    assert np.isnan(smd(10, 0, 20, 8, 0, 25).estimate)  # no spread at all
    assert np.isnan(smd(np.nan, 4, 20, 8, 5, 25).estimate)  # missing data


@pytest.mark.parametrize("call, message", [
    (lambda: smd(10, 4, 1, 8, 5, 25), r"n1i = 1: expected a group size \(a whole number ≥ 2\)"),
    (lambda: smd(10, -4, 20, 8, 5, 25), r"sd1i = -4: expected a standard deviation ≥ 0"),
    (lambda: log_odds_ratio([4, 3], [119, -2], [11, 5], [128, 40]),
     r"bi\[1\] = -2: expected a count \(a whole number ≥ 0\)"),
    (lambda: log_odds_ratio(4.5, 119, 11, 128), r"ai = 4.5: expected a count"),
    (lambda: log_risk_ratio(30, ci=5, n1i=20, n2i=40),
     r"ai = 30: expected a count of events between 0 and n1i"),
    (lambda: fisher_z([0.3, 1.4], 50), r"ri\[1\] = 1.4: expected a correlation between -1"),
    (lambda: smcr(16, 10, 5, 40.5, 0.4), r"ni = 40.5: expected a sample size"),
    (lambda: raw_proportion(12, 10), r"xi = 12: expected a count of events between 0 and ni"),
    (lambda: log_odds_ratio(4, 119, 11), r"give the four cells ai, bi, ci, di"),
    (lambda: escalc("XX", ri=0.3, ni=50), r"unknown measure 'XX'; expected one of SMD"),
    (lambda: escalc("ZCOR", ri=0.3, ni=50, n1i=3), r"ZCOR takes ri, ni; not n1i"),
    (lambda: smd([1, 2], 4, [20, 21, 22], 8, 5, 25), r"the arguments must have one shape"),
])
def test_bad_input_names_the_argument_position_and_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_escalc_is_case_insensitive_and_vectorised():
    es = escalc("zcor", ri=np.array([0.1, 0.2]), ni=np.array([30, 40]))
    assert es.method == "ZCOR" and es.n.tolist() == [30, 40]
    assert es.estimate.tolist() == approx(np.arctanh([0.1, 0.2]).tolist())
