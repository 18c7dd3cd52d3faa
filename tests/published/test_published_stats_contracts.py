"""Fallbacks for the stats contracts, pinned to metafor (../shared/reference_data)."""

import numpy as np
import pandas as pd
import pytest

from tincheck.published.stats_contracts import _d_pre_sd_from_summary, _meta_analysis


@pytest.fixture
def bcg(reference_dir):
    d = pd.read_csv(reference_dir / "metadat_dat.bcg.txt", sep=r"\s+")
    yi = np.log((d.tpos / (d.tpos + d.tneg)) / (d.cpos / (d.cpos + d.cneg)))
    vi = 1 / d.tpos - 1 / (d.tpos + d.tneg) + 1 / d.cpos - 1 / (d.cpos + d.cneg)
    return yi.to_numpy(), vi.to_numpy()


def test_reml_matches_metafor_on_dat_bcg(bcg):
    # metafor 4.x: rma(yi, vi, data = dat.bcg, method = "REML") (reference_data/README.md)
    r = _meta_analysis(*bcg, method="REML", test="z")
    assert r.estimate == pytest.approx(-0.7145, abs=1e-4)
    assert r.se == pytest.approx(0.1798, abs=1e-4)
    assert (r.ci_low, r.ci_high) == pytest.approx((-1.0669, -0.3622), abs=1e-4)
    assert r.tau2 == pytest.approx(0.3132, abs=1e-4)
    assert r.I2 == pytest.approx(92.22, abs=0.01)
    assert r.Q == pytest.approx(152.2330, abs=1e-4)
    assert (r.pi_low, r.pi_high) == pytest.approx((-1.87, 0.44), abs=0.005)
    assert r.weights.sum() == pytest.approx(100)


def test_reml_matches_metafor_on_raudenbush1985(reference_dir):
    # metafor test suite, Raudenbush 2009 Table 16.3: REML tau2 0.0188, est 0.0837
    d = pd.read_csv(reference_dir / "metadat_dat.raudenbush1985.txt", sep=r"\s+")
    r = _meta_analysis(d.yi, d.vi)
    assert r.tau2 == pytest.approx(0.0188, rel=0.01)
    assert r.estimate == pytest.approx(0.0837, rel=0.01)
    assert r.se == pytest.approx(0.0516, rel=0.01)


def test_hartung_knapp_uses_weighted_residuals_and_t(bcg):
    # Hartung & Knapp (2001) by hand from the REML fit: se^2 = sum w (y - mu)^2 /
    # ((k - 1) sum w), w = 1/(v + tau2); CI with qt(0.975, 12) = 2.178813
    yi, vi = bcg
    z = _meta_analysis(yi, vi)
    r = _meta_analysis(yi, vi, test="knha")
    w = 1 / (vi + z.tau2)
    se = np.sqrt(np.sum(w * (yi - z.estimate) ** 2) / (12 * np.sum(w)))
    assert r.se == pytest.approx(se)
    assert r.ci_high - r.estimate == pytest.approx(2.178813 * se, abs=1e-6)
    assert r.estimate == pytest.approx(z.estimate)


def test_homogeneous_effects_give_zero_tau2():
    r = _meta_analysis([0.5, 0.5, 0.5], [0.01, 0.02, 0.03])
    assert r.tau2 == 0.0 and r.I2 == 0.0


def test_too_few_or_invalid_effects_are_refused():
    with pytest.raises(ValueError, match="≥ 2"):
        _meta_analysis([0.5], [0.01])
    with pytest.raises(ValueError, match="positive"):
        _meta_analysis([0.5, 0.4], [0.01, 0.0])


def test_d_pre_sd_variance_is_becker_1988():
    # d = 4.8/6.1; var = 2(1 - 0.5)/1000 + d^2/(2*1000)
    es = _d_pre_sd_from_summary(14.2, 9.4, 6.1, 1000, 0.5)
    d = 4.8 / 6.1
    assert es.estimate == pytest.approx(d)
    assert es.variance == pytest.approx(1 / 1000 + d**2 / 2000)
    assert es.ci_low == pytest.approx(d - 1.959964 * np.sqrt(es.variance), abs=1e-6)
    arrays = _d_pre_sd_from_summary([14.2, 10.0], [9.4, 10.0], [6.1, 5.0], [1000, 50], 0.3)
    assert arrays.estimate.tolist() == pytest.approx([d, 0.0])
