"""meta_analysis against metafor (dat.bcg, dat.raudenbush1985) and statsmodels (Kacker).

metafor's own tests compare with a relative tolerance of 1e-2 on 4-decimal published
values. Here a 4-decimal value must agree to half a unit of its 4th decimal (the most
rounding can explain), and values published with 15 digits agree to 1e-6 or better.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from pytest import approx

from tincheck.stats.meta import (
    cochran_q,
    h_squared,
    i_squared,
    meta_analysis,
    tau2_q_profile_ci,
    typical_variance,
)

REL4 = 1e-3  # 4-decimal published values: a tenth of metafor's own tolerance
HALF4 = 5e-5  # half a unit of the 4th decimal: rounding of a published 4-decimal value


# --- dat.bcg, log risk ratios (metafor 4.x; ../shared/reference_data/README.md) -------

def test_bcg_fixed_effect(bcg):
    yi, vi, _ = bcg
    res = meta_analysis(yi, vi, method="FE")
    # metafor: rma(yi, vi, data=dat, method="FE")
    assert res.estimate == approx(-0.4303, abs=HALF4)
    assert res.se == approx(0.0405, abs=HALF4)
    assert (res.ci_low, res.ci_high) == approx((-0.5097, -0.3509), abs=HALF4)
    assert res.Q == approx(152.2330, rel=1e-6)
    assert res.Q_df == 12
    # metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r: zval -10.6247
    assert res.statistic == approx(-10.6247, rel=1e-5)
    assert res.tau2 == 0
    # FE model: metafor's I2 = (Q - df)/Q, H2 = Q/df
    assert res.I2 == approx(100 * (152.2330 - 12) / 152.2330, rel=1e-6)
    assert res.H2 == approx(152.2330 / 12, rel=1e-6)
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)


def test_bcg_dersimonian_laird(bcg):
    yi, vi, _ = bcg
    res = meta_analysis(yi, vi, method="DL")
    # metafor: rma(yi, vi, data=dat, method="DL")
    assert res.estimate == approx(-0.7141, abs=HALF4)
    assert (res.ci_low, res.ci_high) == approx((-1.0644, -0.3638), abs=HALF4)
    assert res.tau2 == approx(0.3088, abs=HALF4)
    assert res.I2 == approx(92.1173, rel=1e-6)
    assert res.Q == approx(152.2330, rel=1e-6)
    assert res.statistic == approx(-3.9952, rel=1e-4)  # metafor zval (test file above)
    # for DL, metafor's I2 coincides with (Q - df)/Q
    assert res.I2 == approx(100 * (res.Q - res.Q_df) / res.Q, rel=1e-10)


def test_bcg_reml_with_prediction_interval(bcg):
    yi, vi, _ = bcg
    res = meta_analysis(yi, vi)  # REML and z are the defaults, as in metafor's rma()
    # metafor: rma(yi, vi, data=dat); predict(res)
    assert res.method == "REML"
    assert res.estimate == approx(-0.7145, abs=HALF4)
    assert res.se == approx(0.1798, abs=HALF4)
    assert (res.ci_low, res.ci_high) == approx((-1.0669, -0.3622), abs=HALF4)
    assert res.tau2 == approx(0.3132, abs=HALF4)
    assert res.I2 == approx(92.22, rel=1e-4)
    assert res.Q == approx(152.2330, rel=1e-6)
    assert (res.pi_low, res.pi_high) == approx((-1.87, 0.44), abs=0.005)


def test_bcg_q_profile_interval(bcg):
    yi, vi, _ = bcg
    res = meta_analysis(yi, vi, method="DL")
    # metafor tests/testthat/test_misc_confint.r: confint(rma(yi, vi, method="DL"))
    # tau2 0.3088 [0.1197, 1.1115], I2 92.1173 [81.9177, 97.6781], H2 12.6861 [5.5303, 43.0680].
    # metafor finds the bounds with uniroot(tol = .Machine$double.eps^0.25 ~ 1.2e-4), so
    # its lower bounds sit ~3e-5 below the exact root found here (brentq, 1e-12): I2 and
    # H2 lower bounds agree to 1e-3 relative, not to all 4 decimals.
    assert (res.tau2_ci_low, res.tau2_ci_high) == approx((0.1197, 1.1115), rel=REL4)
    assert (res.I2_ci_low, res.I2_ci_high) == approx((81.9177, 97.6781), rel=REL4)
    assert res.H2 == approx(12.6861, rel=1e-5)
    assert (res.H2_ci_low, res.H2_ci_high) == approx((5.5303, 43.0680), rel=REL4)
    # the interval does not depend on the estimator
    reml = meta_analysis(yi, vi, method="REML")
    assert (reml.tau2_ci_low, reml.tau2_ci_high) == (res.tau2_ci_low, res.tau2_ci_high)


def test_bcg_log_odds_ratio(bcg_or):
    yi, vi = bcg_or
    # metafor test_misc_metan_vs_rma.uni_with_dat.bcg.r, measure="OR"
    fe = meta_analysis(yi, vi, method="FE")
    assert fe.estimate == approx(-0.4361, abs=HALF4)
    assert (fe.ci_low, fe.ci_high) == approx((-0.5190, -0.3533), abs=HALF4)
    assert fe.statistic == approx(-10.3190, rel=1e-5)
    assert fe.Q == approx(163.1649, rel=1e-6)
    dl = meta_analysis(yi, vi, method="DL")
    assert dl.estimate == approx(-0.7474, abs=HALF4)
    assert (dl.ci_low, dl.ci_high) == approx((-1.1242, -0.3706), abs=HALF4)
    assert dl.tau2 == approx(0.3663, abs=HALF4)
    assert dl.I2 == approx(92.6455, rel=1e-6)


# --- dat.raudenbush1985 (metafor test suite; Raudenbush 2009, Table 16.3) -------------

@pytest.mark.parametrize("method, tau2, estimate, se, ci", [
    ("REML", 0.0188, 0.0837, 0.0516, (-0.0175, 0.1849)),
    ("DL", 0.0259, 0.0893, 0.0558, (-0.0200, 0.1987)),
    ("ML", 0.0126, 0.0777, 0.0475, (-0.0153, 0.1708)),
])
def test_raudenbush1985(raudenbush, method, tau2, estimate, se, ci):
    res = meta_analysis(raudenbush.yi, raudenbush.vi, method=method)
    # metafor: rma(yi, vi, data=dat.raudenbush1985, method=method)
    # published to 4 decimals: agreement to half a unit of the 4th decimal
    assert res.tau2 == approx(tau2, abs=HALF4)
    assert res.estimate == approx(estimate, abs=HALF4)
    assert res.se == approx(se, abs=HALF4)
    assert (res.ci_low, res.ci_high) == approx(ci, abs=HALF4)
    # metafor test_analysis_example_raudenbush1985.r: QE 35.8295 (35.85 in the chapter)
    assert res.Q == approx(35.8295, abs=5e-5)  # half a unit of the 4th decimal


def test_raudenbush1985_reml_z(raudenbush):
    # metafor test_analysis_example_raudenbush1985.r: zval 1.6208
    assert meta_analysis(raudenbush.yi, raudenbush.vi).statistic == approx(1.6208, rel=1e-4)


# --- Kacker (2004): statsmodels' metafor-derived values (test_meta.py, results_meta.py)

def test_kacker_paule_mandel(kacker):
    res = meta_analysis(*kacker, method="PM")
    # R metafor: rma(y, v, method="PM", control=list(tol=1e-9))
    assert res.tau2 == approx(0.705395309224248, rel=1e-6)
    assert res.estimate == approx(62.4076199113286, rel=1e-6)
    assert res.se == approx(0.338030602684471, rel=1e-6)
    assert (res.ci_low, res.ci_high) == approx((61.7450921043947, 63.0701477182625), rel=1e-9)
    assert res.Q == approx(24.801897741835, rel=1e-9)
    assert res.Q_pvalue == approx(0.00167935146372742, rel=1e-6)
    assert res.I2 == approx(83.7218626490482, rel=1e-6)
    assert res.H2 == approx(6.14320900751909, rel=1e-6)


def test_kacker_dersimonian_laird(kacker):
    res = meta_analysis(*kacker, method="DL")
    # R metafor: rma(y, v, method="DL")
    assert res.tau2 == approx(0.288049246973751, rel=1e-6)
    assert res.estimate == approx(62.3901386044504, rel=1e-6)
    assert res.se == approx(0.245749668040304, rel=1e-6)
    assert (res.ci_low, res.ci_high) == approx((61.9084781058787, 62.8717991030221), rel=1e-9)
    assert res.I2 == approx(67.744403741711, rel=1e-6)
    assert res.H2 == approx(3.10023721772938, rel=1e-6)


def test_kacker_dersimonian_laird_hartung_knapp(kacker):
    res = meta_analysis(*kacker, method="DL", test="knha")
    # R metafor: rma(y, v, method="DL", test="knha")
    assert res.se == approx(0.29477605699879, rel=1e-6)
    assert res.df == 8
    assert (res.ci_low, res.ci_high) == approx((61.710383798052, 63.0698934108488), rel=1e-9)
    assert res.pvalue == approx(2.77938607433693e-16, rel=1e-5)
    assert res.statistic == approx(211.652666908108, rel=1e-6)


def test_kacker_fixed_effect_hartung_knapp(kacker):
    res = meta_analysis(*kacker, method="FE", test="knha")
    # R metafor: rma(y, v, method="FE", test="knha") (metafor warns; so do we, in notes)
    assert res.se == approx(0.189889223522271, rel=1e-6)
    assert (res.ci_low, res.ci_high) == approx((62.1455117593252, 63.0212824286713), rel=1e-9)
    assert res.pvalue == approx(8.04326466920145e-18, rel=1e-5)
    assert any("fixed-effect" in note for note in res.notes)


def test_knha_adhoc_floor_only_acts_when_the_scale_is_below_one():
    # y = (0, 0.1, 0.2), v = 0.1 each, FE: μ = 0.1, q = Σw(y - μ)²/(k - 1)
    # = (0.1 + 0 + 0.1)/2 = 0.1 < 1.
    y, v = [0.0, 0.1, 0.2], [0.1, 0.1, 0.1]
    z = meta_analysis(y, v, method="FE")
    knha = meta_analysis(y, v, method="FE", test="knha")
    adhoc = meta_analysis(y, v, method="FE", test="knha_adhoc")
    assert knha.se == approx(z.se * np.sqrt(0.1))
    assert adhoc.se == approx(z.se)  # floored at the z standard error
    assert adhoc.df == 2
    # Heterogeneous studies: q > 1, the floor changes nothing.
    y2 = [0.0, 1.0, 2.0]  # q = (10 + 0 + 10)/2 = 10
    assert meta_analysis(y2, v, method="FE", test="knha_adhoc").se == approx(
        meta_analysis(y2, v, method="FE", test="knha").se)
    assert meta_analysis(y2, v, method="FE", test="knha").se == approx(
        np.sqrt(0.1 / 3) * np.sqrt(10))


# --- heterogeneity helpers and edge cases (hand-computed) ------------------------------

def test_heterogeneity_by_hand():
    # y = (0, 1, 3), v = 0.5: ȳ = 4/3, Q = (16/9 + 1/9 + 25/9)/0.5 = 28/3
    q, df, p = cochran_q([0.0, 1.0, 3.0], [0.5, 0.5, 0.5])
    assert q == approx(28 / 3) and df == 2
    assert p == approx(np.exp(-q / 2))  # χ²(2) survival function is exp(-x/2)
    assert typical_variance([0.5, 0.5, 0.5]) == approx(0.5)
    # unequal variances: w = (1, 2, 4): ṽ = 2·7/(49 - 21) = 0.5
    assert typical_variance([1.0, 0.5, 0.25]) == approx(0.5)
    assert i_squared(0.5, [1.0, 0.5, 0.25]) == approx(50.0)
    assert h_squared(0.5, [1.0, 0.5, 0.25]) == approx(2.0)


def test_q_profile_by_hand():
    # equal v: Q_gen(τ²) = (28/3 · 0.5)/(0.5 + τ²); solve for the χ²(2) quantiles
    low, high = tau2_q_profile_ci([0.0, 1.0, 3.0], [0.5, 0.5, 0.5])
    ss = 28 / 3 * 0.5
    assert low == approx(ss / 7.377758908227871 - 0.5, rel=1e-9)  # qchisq(0.975, 2)
    assert high == approx(ss / 0.05063561596857975 - 0.5, rel=1e-9)  # qchisq(0.025, 2)


def test_homogeneous_studies_give_zero_tau2_for_every_estimator():
    # Q = (0.01 + 0 + 0.01)/0.1 = 0.2 < df = 2: every estimator truncates at 0
    y, v = [0.4, 0.5, 0.6], [0.1, 0.1, 0.1]
    fe = meta_analysis(y, v, method="FE")
    for method in ("DL", "REML", "ML", "PM"):
        res = meta_analysis(y, v, method=method)
        assert res.tau2 == 0.0
        assert res.estimate == approx(fe.estimate) and res.se == approx(fe.se)
        assert res.I2 == 0.0 and res.H2 == 1.0
    assert fe.I2 == 0.0  # (Q - df)/Q < 0 is truncated
    # Q-profile: Q_gen(τ²) = 0.02/(0.1 + τ²) = 0.2 at 0, below qchisq(0.975, 2): lower
    # bound 0; above qchisq(0.025, 2) = 0.0506356...: upper bound solves 0.02/(0.1 + τ²) = it
    assert fe.tau2_ci_low == 0.0
    assert fe.tau2_ci_high == approx(0.02 / 0.05063561596857975 - 0.1, rel=1e-9)


def test_weights_are_percentages_of_inverse_variance_weights():
    res = meta_analysis([0.1, 0.2, 0.3], [1.0, 0.5, 0.25], method="FE")
    assert res.weights.tolist() == approx([100 / 7, 200 / 7, 400 / 7])
    assert res.estimate == approx((0.1 + 0.4 + 1.2) / 7)


def test_standard_errors_and_variances_give_the_same_result(raudenbush):
    by_v = meta_analysis(raudenbush.yi, raudenbush.vi)
    by_se = meta_analysis(raudenbush.yi, sei=np.sqrt(raudenbush.vi))
    assert by_se.estimate == approx(by_v.estimate, rel=1e-12)
    assert by_se.tau2 == approx(by_v.tau2, rel=1e-9)


def test_one_study():
    res = meta_analysis([0.5], [0.04])
    assert (res.estimate, res.se, res.tau2, res.Q, res.Q_df) == approx((0.5, 0.2, 0, 0, 0))
    assert np.isnan(res.I2) and np.isnan(res.Q_pvalue) and np.isnan(res.tau2_ci_low)
    assert res.ci_low == approx(0.5 - 1.959963984540054 * 0.2)
    with pytest.raises(ValueError, match="at least 2 studies"):
        meta_analysis([0.5], [0.04], test="knha")


def test_identical_estimates_under_hartung_knapp():
    # q = Σw(y - μ)²/(k - 1) = 0: the HK standard error is 0; the ad hoc floor keeps z's
    res = meta_analysis([0.3, 0.3, 0.3], [0.01, 0.02, 0.04], test="knha")
    assert res.se == 0 and res.statistic == np.inf and res.pvalue == 0
    assert (res.ci_low, res.ci_high) == approx((0.3, 0.3))
    assert "standard error is 0" in res.notes[0]
    adhoc = meta_analysis([0.3, 0.3, 0.3], [0.01, 0.02, 0.04], test="knha_adhoc")
    assert adhoc.se == approx(np.sqrt(1 / (100 + 50 + 25)))


def test_method_and_test_names_are_case_insensitive(raudenbush):
    assert meta_analysis(raudenbush.yi, raudenbush.vi, method="dl", test="KNHA").method == "DL"


def test_missing_values_are_refused_unless_omitted_explicitly():
    with pytest.raises(ValueError, match="missing yi or vi for 'B'"):
        meta_analysis([0.1, np.nan, 0.3], [0.1, 0.1, 0.1], labels=["A", "B", "C"])
    res = meta_analysis([0.1, np.nan, 0.3], [0.1, 0.1, 0.1], labels=["A", "B", "C"],
                        missing="omit")
    assert res.k == 2 and res.labels == ("A", "C")
    assert "omitted" in res.notes[0] and "'B'" in res.notes[0]


@pytest.mark.parametrize("kwargs, message", [
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.0]}, "sampling variances must be > 0: 'Study 2'"),
    ({"yi": [0.1, 0.2], "vi": [0.1, -1]}, "must be > 0"),
    ({"yi": [0.1, np.inf], "vi": [0.1, 0.1]}, "yi must be finite"),
    ({"yi": [0.1, 0.2], "vi": [0.1]}, "equal length"),
    ({"yi": [0.1, 0.2]}, "exactly one of vi"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "sei": [0.3, 0.3]}, "exactly one of vi"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "method": "XX"}, "unknown method 'XX'"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "test": "t"}, "unknown test 't'"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "level": 95}, "level must be between"),
    ({"yi": [0.1, 0.2], "vi": [0.1, 0.1], "labels": ["a"]}, "1 labels for 2 studies"),
])
def test_bad_input_is_refused_with_a_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        meta_analysis(**kwargs)


def test_result_is_frozen_and_serialisable(bcg):
    res = meta_analysis(bcg[0], bcg[1], labels=bcg[2].author)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0.0
    with pytest.raises(ValueError):
        res.weights[0] = 1.0  # arrays are read-only
    data = json.loads(json.dumps(res.to_dict()))
    assert data["estimate"] == approx(-0.7145, abs=HALF4)
    assert data["df"] is None  # NaN becomes null
    assert len(data["studies"]) == 13 and data["studies"][0]["label"] == "Aronson"
    assert sum(s["weight_percent"] for s in data["studies"]) == approx(100)
