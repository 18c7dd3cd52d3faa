"""Influence, leave-one-out and cumulative: hand cases and bad input (metafor agreement
is in test_metafor_reference.py)."""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx

from tincheck.stats.influence import baujat, influence
from tincheck.stats.meta import meta_analysis
from tincheck.stats.sensitivity import cumulative, leave_one_out

Y = np.array([0.1, 0.3, 0.35, 0.6, 2.0])
V = np.array([0.01, 0.02, 0.015, 0.03, 0.02])


def test_fixed_effect_influence_by_hand():
    # FE: hat = weight = wᵢ/Σw; Cook's D = (μ̂ − μ̂₍₋ᵢ₎)²/SE²; cov.r = SE₍₋ᵢ₎²/SE²
    res = influence(Y, V, method="FE")
    w = 1 / V
    assert res.hat.tolist() == approx((w / w.sum()).tolist())
    assert res.weight.tolist() == approx((100 * w / w.sum()).tolist())
    full = meta_analysis(Y, V, method="FE")
    for i in range(Y.size):
        keep = np.arange(Y.size) != i
        reduced = meta_analysis(Y[keep], V[keep], method="FE")
        assert res.cook_d[i] == approx((full.estimate - reduced.estimate) ** 2 / full.se**2)
        assert res.cov_r[i] == approx(reduced.se**2 / full.se**2)
        assert res.QE_del[i] == approx(reduced.Q)
        assert res.rstudent[i] == approx((Y[i] - reduced.estimate)
                                         / np.sqrt(V[i] + reduced.se**2))
    # metafor: influence(rma(y, v, method = "FE"))$is.infl -> TRUE TRUE TRUE FALSE TRUE,
    # each by |DFFITS| > 3·√(p/(k − p)) = 1.5 or Cook's D > qchisq(.5, 1) = 0.455
    assert res.flagged == ("Study 1", "Study 2", "Study 3", "Study 5")
    assert res.thresholds == approx({"dffits": 1.5, "cook_d": 0.45493642311957283,
                                     "hat": 0.6, "dfbetas": 1.0})
    assert res.dffits.tolist() == approx([-3.99333936, -0.90451542, -1.04472906, 0.08419691,
                                          4.98445732], abs=5e-9)


def test_baujat_x_is_the_contribution_to_q_for_a_fixed_effect_model():
    res = baujat(Y, V, method="FE")
    full = meta_analysis(Y, V, method="FE")
    assert res.heterogeneity.sum() == approx(full.Q)


def test_leave_one_out_rows_are_meta_analyses_without_each_study():
    res = leave_one_out(Y, V, method="PM", test="knha")
    for i in range(Y.size):
        keep = np.arange(Y.size) != i
        direct = meta_analysis(Y[keep], V[keep], method="PM", test="knha")
        assert res.estimate[i] == direct.estimate and res.tau2[i] == direct.tau2
    assert res.kind == "leave-one-out" and res.k.tolist() == [4] * 5


def test_cumulative_order_ties_and_decreasing():
    years = [2005, 2001, 2005, 2003, 2001]
    res = cumulative(Y, V, order=years, method="FE")
    assert res.order.tolist() == [1, 4, 3, 0, 2]  # ties keep the input order
    assert res.estimate[0] == Y[1] and res.k.tolist() == [1, 2, 3, 4, 5]
    assert res.estimate[-1] == approx(meta_analysis(Y, V, method="FE").estimate)
    down = cumulative(Y, V, order=years, decreasing=True, method="FE")
    assert down.order.tolist() == [0, 2, 3, 1, 4]
    assert cumulative(Y, V, order=["b", "a", "c", "e", "d"]).order.tolist() == [1, 0, 2, 4, 3]
    one = cumulative(Y, V, test="knha")
    assert one.se[0] == approx(np.sqrt(V[0])) and "z test instead of Hartung-Knapp" in \
        one.notes[0]
    assert np.isnan(one.I2[0]) and np.isnan(one.Q_pvalue[0])


@pytest.mark.parametrize("call, message", [
    (lambda: influence([0.1], [0.01]), "at least 2 studies"),
    (lambda: influence(Y, V, method="XX"), "unknown method 'XX'"),
    (lambda: influence(Y, V, test="t"), "unknown test 't'"),
    (lambda: leave_one_out([0.1], [0.01]), "at least 2 studies"),
    (lambda: cumulative(Y, V, order=[1, 2]), "order has 2 values for 5 studies"),
    (lambda: cumulative(Y, V, order=[1, 2, np.nan, 4, 5]), "order has missing values"),
    (lambda: influence(Y, -V), "sampling variances must be > 0"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
