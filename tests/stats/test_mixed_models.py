"""The random-intercept linear model against statsmodels' MixedLM (the peer, fitted
its own way: a general optimiser over the variance components, cluster by cluster)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from tincheck.stats.mixed_models import profile_icc_linear, random_intercept_linear


def _data(sd_between, seed, clusters=40):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 60, clusters)          # unbalanced, as therapists' caseloads
    g = np.repeat(np.arange(clusters), sizes)
    n = len(g)
    X = np.column_stack([np.ones(n), rng.normal(15, 5, n), rng.random(n) < 0.4])
    y = X @ [-2.0, -0.3, 1.1] + rng.normal(0, sd_between, clusters)[g] + \
        rng.normal(0, 4, n)
    return y, X, g


@pytest.mark.parametrize("sd_between, seed", [(1.5, 1), (0.6, 2), (0.0, 3)])
def test_linear_mixed_model_equals_statsmodels_mixedlm(sd_between, seed):
    y, X, g = _data(sd_between, seed)
    fit = random_intercept_linear(y, X, g, ["(Intercept)", "x1", "x2"])
    # statsmodels 0.14: MixedLM(y, X, groups=g).fit(reml=True, method=["bfgs", "powell"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = sm.MixedLM(y, X, groups=g).fit(reml=True, method=["bfgs", "powell"])
    assert fit.converged
    assert fit.reml == pytest.approx(peer.llf, abs=1e-4)  # the same REML log-likelihood
    assert fit.beta == pytest.approx(peer.fe_params, abs=1e-4)
    assert fit.sigma2_within == pytest.approx(peer.scale, rel=1e-4)
    assert fit.sigma2_between == pytest.approx(float(np.asarray(peer.cov_re)[0, 0]), abs=2e-4)
    # MixedLM's standard errors come from its numerical Hessian of the REML likelihood
    # in every parameter, lme4's (and these) from σ̂²_e (X'V⁻¹X)⁻¹: they differ by up to
    # 0.3% here; test_lme4_reference pins these to lme4's to 1e-5
    assert fit.se == pytest.approx(peer.bse_fe, rel=5e-3)
    blups = np.array([float(np.asarray(v)[0]) for _, v in sorted(peer.random_effects.items())])
    assert fit.blups == pytest.approx(blups, abs=1e-3)


def test_boundary_and_profile_of_a_model_without_therapist_variance():
    y, X, g = _data(0.0, 3)
    fit = random_intercept_linear(y, X, g)
    low, high = profile_icc_linear(fit)
    # the REML likelihood is highest at (or next to) σ²_u = 0: the interval starts at 0
    assert fit.icc < 0.02 and low == 0.0 and 0 < high < 0.1
    # the likelihood at the estimate is at least that at the boundary and elsewhere
    assert fit.reml >= fit.model.reml(0.0) - 1e-9
    assert fit.reml >= fit.model.reml(fit.sigma2_between / fit.sigma2_within + 0.01)


def test_sums_over_distinct_rows_and_clusters_equal_the_products_row_by_row():
    """The logistic model's X' diag(w) X from the distinct rows of the columns that vary
    within clusters and one row per cluster for the others (numpy's product, row by
    row, the peer); rows a last bit apart count as distinct."""
    from tincheck.stats.mixed_models import _Groups

    rng = np.random.default_rng(4)
    g = rng.integers(0, 30, 2000)
    rating = rng.normal(3, 1, 30)[g]                         # constant within clusters
    score = rng.integers(0, 5, 2000).astype(float)
    score[::7] = np.nextafter(score[::7], 10)                # a last bit apart
    X = np.column_stack([np.ones(2000), score, rng.random(2000) < 0.3, rating,
                         rating * score])
    data = _Groups((rng.random(2000) < 0.4).astype(float), X, g, 9)
    assert list(data.C) == [0, 3] and list(data.R) == [1, 2, 4]
    w = rng.random(2000)
    assert data.gram(w) == pytest.approx(data.X.T @ (data.X * w[:, None]), rel=1e-12)


def test_one_node_at_sigma_zero_gives_the_quadratures_value_and_score_in_beta():
    """At σ = 0 every quadrature node gives the ordinary logistic likelihood: the
    profile evaluates it with one node; the value and the score and information in β
    are those of the nine-node rule (the peer: the rule itself)."""
    from tincheck.stats.mixed_models import _Groups

    rng = np.random.default_rng(6)
    g = np.repeat(np.arange(25), 40)
    X = np.column_stack([np.ones(1000), rng.normal(0, 1, 1000)])
    y = (rng.random(1000) < 0.4).astype(float)
    data, beta = _Groups(y, X, g, 9), np.array([-0.3, 0.5])
    full, one = data.evaluate(beta, 0.0), data.evaluate(beta, 0.0, one_node=True)
    assert one.value == pytest.approx(full.value, rel=1e-13)
    (g_full, i_full), (g_one, i_one) = data.derivatives(full), data.derivatives(one)
    assert g_one[:2] == pytest.approx(g_full[:2], rel=1e-12)
    assert i_one[:2, :2] == pytest.approx(i_full[:2, :2], rel=1e-12)
    with pytest.raises(ValueError, match="σ = 0"):
        data.evaluate(beta, 0.5, one_node=True)
