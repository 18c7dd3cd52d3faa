"""subgroup_analysis: separate pooling per subgroup and the Q-between test."""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx
from scipy import stats

from tincheck.stats.meta import meta_analysis, subgroup_analysis


def test_q_between_by_hand():
    # groups a = (0.2, 0.3), b = (0.8, 0.9), v = 0.01: within each group Q = 0.5 < df,
    # so τ² = 0, μ_a = 0.25, μ_b = 0.85, SE² = 0.005; μ̄ = 0.55;
    # Q_between = 200·0.3² + 200·0.3² = 36 on 1 df.
    res = subgroup_analysis([0.2, 0.3, 0.8, 0.9], [0.01] * 4, ["a", "a", "b", "b"])
    assert list(res.groups) == ["a", "b"]
    assert res.groups["a"].estimate == approx(0.25)
    assert res.groups["b"].estimate == approx(0.85)
    assert res.Q_between == approx(36.0)
    assert res.Q_between_df == 1
    assert res.Q_between_pvalue == approx(stats.chi2.sf(36.0, 1))
    assert (res.Q_within, res.Q_within_df) == approx((1.0, 2))


def test_fixed_effect_q_decomposes_into_between_and_within(bcg):
    # For FE, Cochran's Q of all studies = Q_between + Σ Q_within (Borenstein et al.
    # 2009, ch. 19). dat.bcg by allocation: random, alternate, systematic.
    yi, vi, data = bcg
    res = subgroup_analysis(yi, vi, data.alloc, method="FE", feature="alloc")
    assert list(res.groups) == ["random", "alternate", "systematic"]
    assert res.Q_between + res.Q_within == approx(res.overall.Q, rel=1e-10)
    assert res.Q_between_df + res.Q_within_df == res.overall.Q_df


def test_q_between_is_a_fixed_effect_meta_analysis_of_the_subgroup_estimates(bcg):
    # the Cochrane / metafor recipe: rma(estimates, sei=ses, method="FE")$QE
    yi, vi, data = bcg
    res = subgroup_analysis(yi, vi, data.alloc, method="REML")
    estimates = [g.estimate for g in res.groups.values()]
    ses = [g.se for g in res.groups.values()]
    assert res.Q_between == approx(meta_analysis(estimates, sei=ses, method="FE").Q)
    # each subgroup keeps its own τ²
    assert res.groups["random"].tau2 != res.groups["systematic"].tau2
    assert res.groups["random"].k == 7


def test_single_study_subgroups_fall_back_to_z_under_hartung_knapp():
    res = subgroup_analysis([0.2, 0.3, 0.4, 0.9], [0.01, 0.02, 0.01, 0.02],
                            ["a", "a", "a", "b"], test="knha")
    assert res.groups["a"].test == "knha"
    assert res.groups["b"].test == "z"
    assert any("'b' has one study" in note for note in res.notes)


def test_one_subgroup_has_no_between_test():
    res = subgroup_analysis([0.2, 0.3], [0.01, 0.01], ["a", "a"])
    assert res.Q_between_df == 0 and np.isnan(res.Q_between_pvalue)


def test_missing_values_drop_their_group_values_too():
    res = subgroup_analysis([0.2, np.nan, 0.8, 0.9], [0.01] * 4, ["a", "a", "b", "b"],
                            missing="omit")
    assert res.groups["a"].k == 1 and res.groups["b"].k == 2
    with pytest.raises(ValueError, match="missing yi or vi"):
        subgroup_analysis([0.2, np.nan], [0.01] * 2, ["a", "b"])
    with pytest.raises(ValueError, match="3 group values for 2 studies"):
        subgroup_analysis([0.2, 0.3], [0.01] * 2, ["a", "b", "c"])
