"""Therapist-effect models against R's lme4 on a fixed data set.

tests/stats/lme4/therapists.csv (40 therapists, 966 clients; ``python
tools/lme4_reference.py --data`` made it) and what lme4 computes from it,
tests/stats/lme4/reference.json, written by tools/lme4_reference.R (R 4.2.2,
lme4 1.1-31) with the calls:

- ``glmer(y ~ x1 + x2 + x3 + (1 | g), family = binomial, nAGQ = 9)`` (bobyqa), with
  ``ranef(condVar = TRUE)`` and ``confint(fit, parm = ".sig01", method = "profile")``;
- ``lmer(change ~ x1 + x2 + x3 + (1 | g), REML = TRUE)`` with ``ranef(condVar = TRUE)``,
  and the ICC's profile-REML interval from ``lmer(..., devFunOnly = TRUE)``.

Tolerances: lme4 is asked to converge tightly (bobyqa to rhoend = 1e-12); the mixed
logistic estimates then agree to 1e-6 (measured: 3e-7), the log-likelihood to 1e-9;
lme4's profile interval interpolates a spline through the profile and tincheck's finds
its roots to 1e-4, so the interval agrees to 1e-4. The linear model agrees to 1e-6.
When Rscript with lme4 is installed,
``test_stored_values_are_what_lme4_computes`` regenerates the file and compares (R
against itself, 1e-6); without R it skips with the reason, unless
TINCHECK_REQUIRE_R=1 (set by .ci/run), when it fails.
"""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pandas as pd
import pytest

from tincheck.stats.mixed_models import (icc_linear, icc_logistic, profile_icc_linear,
                                         profile_sigma_logistic, random_intercept_linear,
                                         random_intercept_logistic)

from ..conftest import REPO

STORED = REPO / "tests" / "stats" / "lme4"
REFERENCE = json.loads((STORED / "reference.json").read_text(encoding="utf-8"))
REQUIRE_R = os.environ.get("TINCHECK_REQUIRE_R") == "1"


def _tool():
    spec = importlib.util.spec_from_file_location("lme4_reference",
                                                  REPO / "tools" / "lme4_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(STORED / "therapists.csv")
    X = np.column_stack([np.ones(len(frame)), frame[["x1", "x2", "x3"]].to_numpy(float)])
    return frame, X


@pytest.fixture(scope="module")
def logistic(data):
    frame, X = data
    return random_intercept_logistic(frame["y"], X, frame["g"], ["(Intercept)", "x1", "x2",
                                                                  "x3"], nagq=9)


@pytest.fixture(scope="module")
def linear(data):
    frame, X = data
    return random_intercept_linear(frame["change"], X, frame["g"])


def _agrees_with_glmer(fit) -> None:
    """The fit equals glmer's (nAGQ = 9) on the reference data, by the tolerances of
    the reference comparison."""
    r = REFERENCE["glmer"]
    assert fit.converged
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-9)
    assert fit.sigma == pytest.approx(r["sigma"], abs=1e-6)
    assert fit.beta == pytest.approx(r["fixef"], abs=1e-6)
    assert fit.se == pytest.approx(r["se"], abs=1e-6)
    assert list(fit.groups) == r["groups"]
    assert fit.modes == pytest.approx(r["modes"], abs=1e-6)
    assert fit.mode_sd == pytest.approx(r["mode_sd"], abs=1e-6)


def test_mixed_logistic_model_agrees_with_glmer(logistic):
    r = REFERENCE["glmer"]
    _agrees_with_glmer(logistic)
    assert logistic.icc == pytest.approx(icc_logistic(r["sigma"] ** 2), abs=1e-6)


def test_profile_interval_of_the_random_intercept_sd_agrees_with_lme4(data, logistic):
    frame, X = data
    low, high = profile_sigma_logistic(frame["y"], X, frame["g"], logistic)
    assert [low, high] == pytest.approx(REFERENCE["glmer"]["sigma_profile_ci"], abs=1e-4)


def test_linear_mixed_model_agrees_with_lmer(linear):
    r = REFERENCE["lmer"]
    assert linear.converged
    assert linear.beta == pytest.approx(r["fixef"], abs=1e-6)
    assert linear.se == pytest.approx(r["se"], abs=1e-5)
    assert np.sqrt(linear.sigma2_between) == pytest.approx(r["sigma_u"], abs=1e-5)
    assert np.sqrt(linear.sigma2_within) == pytest.approx(r["sigma_e"], abs=1e-6)
    # lme4's REML criterion is −2 × the REML log-likelihood
    assert -2 * linear.reml == pytest.approx(r["reml_criterion"], abs=1e-5)
    assert linear.blups == pytest.approx(r["blups"], abs=1e-5)
    assert linear.blup_sd == pytest.approx(r["blup_sd"], abs=1e-5)
    assert linear.icc == pytest.approx(icc_linear(r["sigma_u"] ** 2, r["sigma_e"] ** 2),
                                       abs=1e-6)


def test_profile_interval_of_the_linear_icc_agrees_with_lme4(linear):
    assert list(profile_icc_linear(linear)) == pytest.approx(
        REFERENCE["lmer"]["icc_profile_ci"], abs=1e-6)


def test_stored_values_are_what_lme4_computes(tmp_path):
    """Regenerate the reference with R and compare (R's own reproducibility)."""
    tool = _tool()
    try:
        tool.rscript()
    except tool.RUnavailable as reason:
        if REQUIRE_R:
            pytest.fail(f"TINCHECK_REQUIRE_R=1 but {reason}")
        pytest.skip(str(reason))
    fresh = json.loads(tool.generate(tmp_path / "r.json").read_text(encoding="utf-8"))
    found = tool.differences(REFERENCE, fresh)
    assert not found, f"{len(found)} differences, e.g. " + "; ".join(found[:10])


def test_rows_in_any_order_give_glmers_answers(data):
    """The model sorts the rows by cluster: every result follows the clusters, not the
    order of the rows (the conditional SDs were once computed with the linear predictor
    in the rows' own order)."""
    frame, X = data
    order = np.random.default_rng(5).permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    fit = random_intercept_logistic(shuffled["y"], X[order], shuffled["g"], nagq=9)
    r = REFERENCE["glmer"]
    _agrees_with_glmer(fit)
    low, high = profile_sigma_logistic(shuffled["y"], X[order], shuffled["g"], fit)
    assert [low, high] == pytest.approx(r["sigma_profile_ci"], abs=1e-4)


def test_a_fit_started_from_a_nested_model_agrees_with_glmer(data):
    """random_intercept_logistic(start=...): the same maximum from a nested model's
    estimate (glmer's answer for the full model)."""
    frame, X = data
    nested = random_intercept_logistic(frame["y"], X[:, :3], frame["g"],
                                       ["(Intercept)", "x1", "x2"])
    fit = random_intercept_logistic(frame["y"], X, frame["g"],
                                    ["(Intercept)", "x1", "x2", "x3"], start=nested)
    _agrees_with_glmer(fit)


def test_a_start_that_did_not_converge_gives_its_grouping_not_its_estimates(data,
                                                                           monkeypatch):
    """A nested model whose fit did not converge is no guide to the maximum: the fit
    starts from the default values (σ = 0.5) and still reaches glmer's answer."""
    from dataclasses import replace

    from tincheck.stats import mixed_models

    frame, X = data
    nested = random_intercept_logistic(frame["y"], X[:, :3], frame["g"],
                                       ["(Intercept)", "x1", "x2"])
    starts, maximise = [], mixed_models._maximise

    def recording(data_, beta0, sigma0, *args, **kwargs):
        starts.append(float(sigma0))
        return maximise(data_, beta0, sigma0, *args, **kwargs)

    monkeypatch.setattr(mixed_models, "_maximise", recording)
    names = ["(Intercept)", "x1", "x2", "x3"]
    random_intercept_logistic(frame["y"], X, frame["g"], names, start=nested)
    stray = replace(nested, converged=False, beta=nested.beta + 3.0)
    fit = random_intercept_logistic(frame["y"], X, frame["g"], names, start=stray)
    assert starts == [pytest.approx(nested.sigma), 0.5]
    _agrees_with_glmer(fit)
