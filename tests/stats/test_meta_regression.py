"""meta_regression against metafor (dat.raudenbush1985) and statsmodels WLS."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from pytest import approx

from tincheck.stats.meta_regression import meta_regression


def test_raudenbush1985_mixed_effects_model(raudenbush):
    # metafor test_analysis_example_raudenbush1985.r (Raudenbush 2009, pp. 90, 92):
    # dat$weeks.c <- ifelse(dat$weeks > 3, 3, dat$weeks); rma(yi, vi, mods = ~ weeks.c)
    weeks = np.minimum(raudenbush.weeks, 3)
    res = meta_regression(raudenbush.yi, raudenbush.vi, weeks, names=["weeks.c"])
    assert res.tau2 == approx(0.0, abs=5e-5)
    assert res.coef.tolist() == approx([0.4072, -0.1572], abs=5e-5)
    assert res.QE == approx(16.5708, abs=5e-5)
    # Known difference: the REML maximum is on the boundary. We truncate at τ² = 0
    # exactly; metafor's step-halving Fisher scoring stops (change < 1e-5) at a tiny
    # positive τ² (about 1e-6, printed 0.0000), which shrinks its z values in the 5th
    # digit: 4.67825 here vs 4.6782, -4.38847 vs -4.3884. Agreement to 2e-5 relative.
    assert res.statistic.tolist() == approx([4.6782, -4.3884], rel=2e-5)
    assert res.names == ("intrcpt", "weeks.c")
    assert res.QM_df == 1 and res.QM == approx(res.statistic[1] ** 2)


def test_fixed_effect_hartung_knapp_is_weighted_least_squares(raudenbush):
    # FE + Hartung-Knapp = WLS with weights 1/vi and an estimated scale:
    # statsmodels WLS(y, X, weights=1/vi).fit(); F test of the slope.
    x = raudenbush.weeks.to_numpy(dtype=float)
    X = sm.add_constant(x)
    wls = sm.WLS(raudenbush.yi, X, weights=1 / raudenbush.vi).fit()
    res = meta_regression(raudenbush.yi, raudenbush.vi, x, method="FE", test="knha")
    assert res.coef.tolist() == approx(wls.params.tolist(), rel=1e-10)
    assert res.se.tolist() == approx(wls.bse.tolist(), rel=1e-10)
    assert res.pvalue.tolist() == approx(wls.pvalues.tolist(), rel=1e-8)
    assert res.df == wls.df_resid
    assert res.QM == approx(wls.fvalue, rel=1e-10)
    assert res.QM_pvalue == approx(wls.f_pvalue, rel=1e-8)


def test_bad_moderators_are_refused():
    with pytest.raises(ValueError, match="not of full column rank"):
        meta_regression([0.1, 0.2, 0.3], [0.1] * 3, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="cannot fit"):
        meta_regression([0.1, 0.2], [0.1] * 2, [0.0, 1.0])
