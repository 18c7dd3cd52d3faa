"""Reliable change and clinical significance, pinned to R clinicalsignificance 2.1.

Reference: ../shared/reference_data/README.md ("Reliable change on claus_2020"):
cs_distribution / cs_combined on claus_2020, pre = time 1, post = time 4, complete
pairs only (40 of 43), critical value qnorm(0.975) with strict inequalities.
"""

import json

import numpy as np
import pandas as pd
import pytest

from tincheck.stats.reliable_change import (
    CLINICAL_CATEGORIES,
    clinical_significance,
    reliable_change,
)


@pytest.fixture(scope="module")
def claus(reference_dir):
    """claus_2020 wide: one row per patient, columns (measure, time)."""
    long = pd.read_csv(reference_dir / "claus_2020_long.csv")
    return long.pivot(index="id", columns="time")


def pre_post(claus, measure):
    return claus[(measure, 1)], claus[(measure, 4)]


# --- R clinicalsignificance::cs_distribution(claus_2020, id, time, hamd, pre = 1, post = 4,
#     reliability = 0.80, rci_method = ...) -------------------------------------------

@pytest.mark.parametrize("method, expected", [
    ("JT", {"improved": 29, "unchanged": 10, "deteriorated": 1}),
    ("GLN", {"improved": 29, "unchanged": 10, "deteriorated": 1}),
    ("EN", {"improved": 32, "unchanged": 5, "deteriorated": 3}),
])
def test_hamd_counts_match_clinicalsignificance(claus, method, expected):
    pre, post = pre_post(claus, "hamd")
    result = reliable_change(pre, post, 0.80, method=method, nan_policy="omit")
    assert result.summary.counts == expected
    assert result.summary.n == 40 and result.summary.n_omitted == 3


def test_hamd_intermediate_values_match_clinicalsignificance(claus):
    # pre mean 24.85, pre SD 3.340121, S_diff 2.112478 (README, hamd)
    pre, post = pre_post(claus, "hamd")
    summary = reliable_change(pre, post, 0.80, nan_policy="omit").summary
    assert summary.mean_pre == pytest.approx(24.85, abs=1e-9)
    assert summary.sd_pre == pytest.approx(3.340121, abs=1e-6)
    assert summary.s_diff == pytest.approx(2.112478, abs=1e-6)
    assert summary.denominator == summary.s_diff
    assert summary.proportions["improved"] == pytest.approx(29 / 40)


def test_who_higher_is_better_matches_clinicalsignificance(claus):
    # cs_distribution(claus_2020, id, time, who, pre = 1, post = 4, reliability = 0.85,
    #                 better_is = "higher"): improved 21, unchanged 18, deteriorated 1
    pre, post = pre_post(claus, "who")
    result = reliable_change(pre, post, 0.85, higher_is_better=True, nan_policy="omit")
    assert result.summary.counts == {"improved": 21, "unchanged": 18, "deteriorated": 1}


def test_combined_jt_categories_match_clinicalsignificance(claus):
    # cs_combined(claus_2020, id, time, hamd, pre = 1, post = 4, reliability = 0.80,
    #             m_functional = 8, sd_functional = 8, cutoff_type = "c"):
    # recovered 26, improved 3, unchanged 10, deteriorated 1, harmed 0; cut-off c 19.886998
    pre, post = pre_post(claus, "hamd")
    result = clinical_significance(pre, post, 0.80, cutoff="c", m_functional=8,
                                   sd_functional=8, nan_policy="omit")
    assert result.summary.counts == {"recovered": 26, "improved": 3, "unchanged": 10,
                                     "deteriorated": 1, "harmed": 0}
    assert result.summary.cutoff.value == pytest.approx(19.886998, abs=1e-6)
    assert result.summary.cutoff.m_clinical == pytest.approx(24.85)
    assert sum(result.summary.proportions.values()) == pytest.approx(1.0)


# --- the per-person table ------------------------------------------------------------

def test_table_keeps_every_patient_and_their_ids(claus):
    pre, post = pre_post(claus, "hamd")
    table = reliable_change(pre, post, 0.80, nan_policy="omit").table
    assert list(table.columns) == ["pre", "post", "change", "rci", "category"]
    assert len(table) == 43 and table.index.name == "id"
    assert table["category"].isna().sum() == 3
    # patient 1: hamd 25 -> 13, RCI = -12 / 2.112478
    assert table.loc[1, "rci"] == pytest.approx(-12 / 2.112478, abs=1e-6)
    assert table.loc[1, "category"] == "improved"


def test_missing_scores_raise_by_default(claus):
    pre, post = pre_post(claus, "hamd")
    with pytest.raises(ValueError, match=r"post\[3\] \(index label 4\) is missing; 3 of 43"):
        reliable_change(pre, post, 0.80)


# --- hand-computed cases --------------------------------------------------------------

def test_jt_threshold_is_strict():
    # SD_pre = 5, r = 0.8: S_diff = sqrt(10). An RCI exactly at the critical value is
    # not reliable (strict inequality); one a hair beyond it is.
    pre, post = [20.0, 20.0], [14.0, 26.0]
    rci = reliable_change(pre, post, 0.8, sd_pre=5.0).table["rci"]
    assert rci.tolist() == pytest.approx([-6 / np.sqrt(10), 6 / np.sqrt(10)])
    at_edge = reliable_change(pre, post, 0.8, sd_pre=5.0, critical_value=abs(rci[0]))
    assert list(at_edge.table["category"]) == ["unchanged", "unchanged"]
    beyond = reliable_change(pre, post, 0.8, sd_pre=5.0,
                             critical_value=np.nextafter(abs(rci[0]), 0))
    assert list(beyond.table["category"]) == ["improved", "deteriorated"]


def test_reference_mean_and_sd_replace_the_sample_values():
    # GLN with a reference mean: RCI = ((post - M) - r (pre - M)) / (SD sqrt(1 - r^2))
    result = reliable_change([30.0, 10.0], [20.0, 10.0], 0.8, method="GLN", sd_pre=6.0,
                             mean_pre=20.0)
    expected = ((20 - 20) - 0.8 * (30 - 20)) / (6 * np.sqrt(1 - 0.64))
    assert result.table["rci"].iloc[0] == pytest.approx(expected)
    assert result.summary.denominator == pytest.approx(6 * 0.6)


def test_edwards_nunnally_compares_post_with_estimated_true_pre_score():
    # true pre = 0.8 (30 - 20) + 20 = 28; SE = 6 sqrt(0.2); RCI = (20 - 28) / SE
    result = reliable_change([30.0, 10.0], [20.0, 10.0], 0.8, method="EN", sd_pre=6.0,
                             mean_pre=20.0)
    assert result.table["rci"].iloc[0] == pytest.approx(-8 / (6 * np.sqrt(0.2)))


def test_hageman_arrindell_hand_case():
    # the clinicalsignificance test case (test-calc_rci_ha.R): 7 patients, M_pre 10,
    # SD_pre 5, reliability 0.80; here M_post and SD_post come from the data.
    pre = np.array([30, 20, 10, 8, 6, 4, 2], dtype=float)
    post = np.array([3, 2, 2, 2, 2, 2, 1], dtype=float)
    result = reliable_change(pre, post, 0.80, method="HA", sd_pre=5.0, mean_pre=10.0)
    se2 = 25 * 0.2
    sd2 = post.std(ddof=1)
    r12 = np.corrcoef(pre, post)[0, 1]
    r_pre, r_post = (25 - se2) / 25, (sd2**2 - se2) / sd2**2
    r_dd = (25 * r_pre + sd2**2 * r_post - 2 * 5 * sd2 * r12) / (25 + sd2**2 - 2 * 5 * sd2 * r12)
    rci = ((post - pre) * r_dd + (post.mean() - 10) * (1 - r_dd)) / np.sqrt(r_dd * 2 * se2)
    assert result.summary.r_dd == pytest.approx(r_dd)
    np.testing.assert_allclose(result.table["rci"], rci)


def test_cutoffs_a_and_b_follow_jacobson_truax():
    pre, post = [30.0, 28.0, 26.0], [10.0, 27.0, 25.0]
    a = clinical_significance(pre, post, 0.8, cutoff="a")
    assert a.summary.cutoff.value == pytest.approx(28 - 2 * 2)  # M_clin - 2 SD_clin
    b = clinical_significance(pre, post, 0.8, cutoff="b", m_functional=5, sd_functional=3)
    assert b.summary.cutoff.value == pytest.approx(5 + 2 * 3)  # M_func + 2 SD_func
    b_up = clinical_significance(pre, post, 0.8, cutoff="b", m_functional=5,
                                 sd_functional=3, higher_is_better=True)
    assert b_up.summary.cutoff.value == pytest.approx(5 - 2 * 3)


def test_harmed_means_functional_before_and_not_after_with_reliable_deterioration():
    # given cut-off 10 (lower is better); SD_pre 2, r 0.8: S_diff = sqrt(1.6)
    result = clinical_significance([5.0, 15.0, 12.0, 5.0], [15.0, 5.0, 20.0, 6.0], 0.8,
                                   cutoff=10.0, sd_pre=2.0)
    assert list(result.table["category"]) == ["harmed", "recovered", "deteriorated",
                                              "unchanged"]
    assert result.summary.cutoff.type == "given"
    assert tuple(result.summary.counts) == CLINICAL_CATEGORIES


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(reliability=1.0), r"reliability = 1: expected a reliability coefficient"),
    (dict(reliability=-0.1), r"reliability = -0.1"),
    (dict(method="XX"), r"method = 'XX': expected one of"),
    (dict(critical_value=0), r"critical_value = 0"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = dict(pre=[20.0, 25.0, 30.0], post=[10.0, 25.0, 31.0], reliability=0.8) | kwargs
    with pytest.raises(ValueError, match=message):
        reliable_change(**args)


def test_no_complete_pairs_is_said_plainly():
    with pytest.raises(ValueError, match="no complete pairs: all 2 have a missing score"):
        reliable_change([np.nan, 20.0], [10.0, np.nan], 0.8, sd_pre=5.0, nan_policy="omit")


def test_series_with_different_indexes_are_not_paired_by_position():
    pre = pd.Series([20.0, 25.0, 30.0], index=[1, 2, 3])
    post = pd.Series([10.0, 25.0, 31.0], index=[3, 2, 1])
    with pytest.raises(ValueError, match="different indexes"):
        reliable_change(pre, post, 0.8)


def test_constant_pre_scores_need_a_reference_sd():
    with pytest.raises(ValueError, match="sd_pre = 0: every pre score is the same"):
        reliable_change([20.0, 20.0], [10.0, 25.0], 0.8)


def test_cutoff_c_needs_functional_norms():
    with pytest.raises(ValueError, match="cut-off 'c' needs m_functional and sd_functional"):
        clinical_significance([20.0, 25.0, 30.0], [10.0, 25.0, 31.0], 0.8, cutoff="c")


def test_combined_categories_refuse_hageman_arrindell():
    with pytest.raises(ValueError, match="method='HA' is not supported"):
        clinical_significance([20.0, 25.0, 30.0], [10.0, 25.0, 31.0], 0.8, cutoff="a",
                              method="HA")


def test_summary_is_json_ready_with_its_cutoff():
    result = clinical_significance([30.0, 28.0, 26.0], [10.0, 27.0, 25.0], 0.8, cutoff="a")
    plain = json.loads(json.dumps(result.summary.to_dict()))
    assert plain["cutoff"]["type"] == "a" and plain["counts"]["recovered"] == 1
