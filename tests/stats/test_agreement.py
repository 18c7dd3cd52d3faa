"""Cohen's kappa, pinned to statsmodels / SAS."""

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as statsmodels_kappa

from tincheck.stats.agreement import cohen_kappa

TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


def test_kappa_matches_statsmodels_and_sas():
    # statsmodels.stats.inter_rater.cohens_kappa(TABLE) prints the SAS-style table:
    # Kappa 0.4842, ASE 0.1380, 95% CI 0.2137-0.7547, ASE under H0 0.1484, Z 3.2626,
    # two-sided p 0.0011
    k = cohen_kappa(TABLE)
    assert k.kappa == pytest.approx(0.4842, abs=5e-5)
    assert k.ase == pytest.approx(0.1380, abs=5e-5)
    assert (k.ci_low, k.ci_high) == pytest.approx((0.2137, 0.7547), abs=5e-5)
    assert k.ase_null == pytest.approx(0.1484, abs=5e-5)
    assert k.z == pytest.approx(3.2626, abs=5e-5)
    assert k.p_value == pytest.approx(0.0011, abs=5e-5)
    assert k.n == 19


def test_ci_uses_the_ase_under_the_alternative_like_statsmodels():
    # statsmodels' kappa_low/kappa_upp are kappa -/+ 1.96 * std_kappa (not std_kappa0)
    sm = statsmodels_kappa(TABLE)
    k = cohen_kappa(TABLE)
    assert k.ase == pytest.approx(sm["std_kappa"], rel=1e-12)
    assert k.ase_null == pytest.approx(sm["std_kappa0"], rel=1e-12)
    assert (k.ci_low, k.ci_high) == pytest.approx((sm["kappa_low"], sm["kappa_upp"]),
                                                  rel=1e-12)


@pytest.mark.parametrize("table", [
    [[20, 5], [10, 15]],
    [[3, 0, 2, 1], [1, 9, 0, 0], [0, 2, 7, 1], [4, 0, 0, 11]],
    [[40, 1], [2, 0]],
])
def test_agrees_with_statsmodels_on_other_tables(table):
    sm = statsmodels_kappa(table)
    k = cohen_kappa(table)
    assert (k.kappa, k.ase, k.ase_null) == pytest.approx(
        (sm["kappa"], sm["std_kappa"], sm["std_kappa0"]), rel=1e-12)


def test_two_by_two_hand_case():
    # n = 50, p_o = 35/50 = 0.7, margins rows (0.5, 0.5), columns (0.6, 0.4):
    # p_e = 0.3 + 0.2 = 0.5, kappa = (0.7 - 0.5) / 0.5 = 0.4
    k = cohen_kappa([[20, 5], [10, 15]])
    assert (k.observed, k.expected, k.kappa) == pytest.approx((0.7, 0.5, 0.4))


def test_perfect_agreement_is_one_with_zero_ase():
    k = cohen_kappa([[12, 0], [0, 7]])
    assert k.kappa == pytest.approx(1.0)
    assert k.ase == pytest.approx(0.0, abs=1e-12)


def test_everyone_in_one_category_gives_nan_not_an_error():
    k = cohen_kappa([[10, 0], [0, 0]])
    assert np.isnan(k.kappa) and k.observed == 1.0 and k.expected == 1.0


@pytest.mark.parametrize("table, message", [
    ([[1, 2, 3], [4, 5, 6]], r"square k × k .* shape \(2, 3\)"),
    ([[1, -2], [3, 4]], r"table\[0\]\[1\] = -2: expected a count ≥ 0"),
    ([[1, np.nan], [3, 4]], r"table\[0\]\[1\] = nan"),
    ([[0, 0], [0, 0]], "table is empty"),
])
def test_bad_tables_are_described(table, message):
    with pytest.raises(ValueError, match=message):
        cohen_kappa(table)
