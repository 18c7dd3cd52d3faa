"""Multiple imputation: Rubin's rules by hand, PMM behaviour, MAR recovery (seeded)."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from tincheck import parallel
from tincheck.stats import imputation
from tincheck.stats.imputation import impute_pmm, pooled_proportion, rubin_rules

# --- Rubin's rules --------------------------------------------------------------------


def test_rubin_rules_hand_case():
    # Q = 1, 2, 3; U = 1, 1, 1; m = 3. By hand: Q̄ = 2, W = 1, B = 1,
    # T = 1 + (4/3)·1 = 7/3, r = 4/3, λ = (4/3)/(7/3) = 4/7,
    # df = (m - 1)/λ² = 2 · 49/16 = 6.125, fmi = (4/3 + 2/9.125)/(7/3) = 0.665362
    pooled = rubin_rules([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    assert pooled.estimate == 2.0 and pooled.within == 1.0 and pooled.between == 1.0
    assert pooled.variance == pytest.approx(7 / 3)
    assert pooled.riv == pytest.approx(4 / 3)
    assert pooled.df == pytest.approx(6.125)
    assert pooled.fmi == pytest.approx((4 / 3 + 2 / 9.125) / (7 / 3))
    half = stats.t.ppf(0.975, 6.125) * np.sqrt(7 / 3)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((2 - half, 2 + half))
    assert pooled.m == 3


def test_barnard_rubin_df_hand_case():
    # same case, ν_com = 10: df_obs = (11/13)·10·(1 - 4/7) = 330/91;
    # df = 6.125 · (330/91) / (6.125 + 330/91) = 2.277786
    pooled = rubin_rules([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], df_complete=10)
    df_obs = 330 / 91
    assert pooled.df == pytest.approx(6.125 * df_obs / (6.125 + df_obs))
    assert pooled.df == pytest.approx(2.277786, abs=1e-6)


def test_no_between_imputation_variance_gives_complete_data_answer():
    pooled = rubin_rules([1.0, 1.0], [0.25, 0.25])
    assert pooled.variance == 0.25 and pooled.fmi == 0.0 and np.isinf(pooled.df)
    assert pooled.ci_low == pytest.approx(1 - stats.norm.ppf(0.975) * 0.5)


def test_rubin_rules_pool_several_estimands_at_once():
    pooled = rubin_rules([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]], [[1.0, 2.0]] * 3)
    assert pooled.estimate.tolist() == [2.0, 5.0]
    assert pooled.df[0] == pytest.approx(6.125) and np.isinf(pooled.df[1])


@pytest.mark.parametrize("estimates, variances, message", [
    ([1.0], [1.0], "1 imputation"),
    ([1.0, 2.0], [1.0], "same shape"),
    ([1.0, 2.0], [1.0, -1.0], r"variances\[1\] = -1: expected a finite variance ≥ 0"),
    ([1.0, np.nan], [1.0, 1.0], "must not be missing"),
])
def test_rubin_rules_reject_bad_input(estimates, variances, message):
    with pytest.raises(ValueError, match=message):
        rubin_rules(estimates, variances)


# --- predictive mean matching ---------------------------------------------------------

def _service(n=2000, seed=11):
    """First and last scores, MAR: a high first score or service 'south' makes a missing
    last score more likely. Returns the data with gaps and the full-data truth."""
    rng = np.random.default_rng(seed)
    first = rng.normal(16, 4, n).round()
    service = rng.choice(["north", "south", "east"], n)
    effect = pd.Series(service).map({"north": 0.0, "south": 2.0, "east": -1.5}).to_numpy()
    last = (0.7 * first + effect - 2 + rng.normal(0, 3, n)).round()
    missing = rng.random(n) < expit(-1.0 + 0.35 * (first - 16) + 0.6 * (service == "south"))
    frame = pd.DataFrame({"first": first, "service": service,
                          "last": np.where(missing, np.nan, last)})
    return frame, last


def test_mi_recovers_a_known_proportion_under_mar():
    frame, last = _service()
    truth = np.mean(last < 10)  # 0.507 before any value was deleted
    complete_case = np.mean(frame["last"].dropna() < 10)
    frames = impute_pmm(frame, ["last"], ["first", "service"], m=20, seed=2024)
    pooled = pooled_proportion(frames, lambda f: f["last"] < 10)
    assert abs(complete_case - truth) > 0.08  # the naive answer is badly biased ...
    assert pooled.estimate == pytest.approx(truth, abs=0.02)  # ... MI is not
    assert pooled.ci_low < truth < pooled.ci_high
    assert pooled.scale == "logit" and pooled.m == 20 and pooled.n == 2000
    assert 0.2 < pooled.pooled.fmi < 0.8


def test_imputation_is_reproducible_from_the_reported_seed():
    frame, _ = _service(n=300)
    first = impute_pmm(frame, ["last"], ["first", "service"], m=3, seed=5)
    again = impute_pmm(frame, ["last"], ["first", "service"], m=3, seed=5)
    other = impute_pmm(frame, ["last"], ["first", "service"], m=3, seed=6)
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not first[0]["last"].equals(other[0]["last"])
    assert not first[0]["last"].equals(first[1]["last"])  # imputations differ
    assert first[0].attrs["imputation"]["seed"] == 5
    assert first[2].attrs["imputation"]["imputation"] == 3


def test_a_seed_is_drawn_and_reported_when_none_is_given():
    frame, _ = _service(n=200)
    frames = impute_pmm(frame, ["last"], ["first"], m=2)
    seed = frames[0].attrs["imputation"]["seed"]
    assert isinstance(seed, int)
    pd.testing.assert_frame_equal(frames[1], impute_pmm(frame, ["last"], ["first"], m=2,
                                                        seed=seed)[1])


def test_imputed_values_are_observed_values_and_observed_ones_are_untouched():
    frame, _ = _service(n=500)
    completed = impute_pmm(frame, ["last"], ["first", "service"], m=2, seed=1)[0]
    gaps = frame["last"].isna()
    assert completed["last"].notna().all()
    assert set(completed.loc[gaps, "last"]) <= set(frame["last"].dropna())
    pd.testing.assert_series_equal(completed.loc[~gaps, "last"], frame.loc[~gaps, "last"])
    pd.testing.assert_frame_equal(completed.drop(columns="last"), frame.drop(columns="last"))
    assert completed.attrs["imputation"]["imputed"] == {"last": int(gaps.sum())}


def test_two_columns_are_imputed_by_chained_equations():
    rng = np.random.default_rng(4)
    n = 600
    first = rng.normal(15, 4, n)
    a = first + rng.normal(0, 2, n)
    b = a + rng.normal(0, 1, n)  # b is best predicted by a, not by first
    frame = pd.DataFrame({"first": first, "a": a, "b": b})
    frame.loc[rng.random(n) < 0.3, "a"] = np.nan
    frame.loc[rng.random(n) < 0.3, "b"] = np.nan
    frames = impute_pmm(frame, ["a", "b"], ["first"], m=5, seed=3)
    both = frame["a"].notna() & frame["b"].isna()
    # imputed b follows the observed a closely (residual SD 1, not sqrt(5) via first)
    residual = np.concatenate([(f.loc[both, "b"] - f.loc[both, "a"]).to_numpy() for f in frames])
    assert np.std(residual) < 1.6


def test_nullable_integer_columns_keep_their_dtype():
    frame = pd.DataFrame({"first": [20, 15, 12, 18, 9, 14, 11, 16],
                          "last": pd.array([12, 9, None, 8, 7, 9, None, 10], dtype="Int64")})
    completed = impute_pmm(frame, ["last"], ["first"], m=2, seed=1)[0]
    assert completed["last"].dtype == "Int64" and completed["last"].notna().all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(impute_columns=["lastt"]), r"column\(s\) \['lastt'\] not in the data"),
    (dict(impute_columns=["service"], predictors=["first"]),
     r"column 'service' has dtype \w+: .* numeric columns only"),
    (dict(predictors=["first", "last"]), r"both imputed and predictors"),
    (dict(m=0), "m = 0: expected a whole number ≥ 1"),
])
def test_bad_arguments_are_explained(kwargs, message):
    frame, _ = _service(n=50)
    args = dict(impute_columns=["last"], predictors=["first", "service"]) | kwargs
    with pytest.raises(ValueError, match=message):
        impute_pmm(frame, **args)


def test_missing_predictor_is_an_error_naming_column_and_row():
    frame, _ = _service(n=50)
    frame.loc[7, "service"] = None
    with pytest.raises(ValueError, match=r"predictor 'service' is missing in 1 row\(s\) "
                                         r"\(first: index 7\)"):
        impute_pmm(frame, ["last"], ["first", "service"])


# --- pooled proportion ----------------------------------------------------------------

def test_pooled_proportion_logit_hand_case():
    # p = 0.4, 0.5, 0.6 with n = 10: logits ±0.405465 and 0, mean 0 -> estimate 0.5;
    # W = mean(1/(10 p (1 - p))) = (1/2.4 + 1/2.5 + 1/2.4)/3 = 0.411111
    frames = [pd.DataFrame({"recovered": [True] * k + [False] * (10 - k)}) for k in (4, 5, 6)]
    result = pooled_proportion(frames, "recovered")
    assert result.estimate == pytest.approx(0.5)
    assert result.pooled.within == pytest.approx((1 / 2.4 + 1 / 2.5 + 1 / 2.4) / 3)
    # logits -log 1.5, 0, log 1.5: B = 2 (log 1.5)² / (3 - 1) = (log 1.5)²
    assert result.pooled.between == pytest.approx(np.log(1.5) ** 2)
    assert result.per_imputation.tolist() == [0.4, 0.5, 0.6]
    assert 0 < result.ci_low < 0.5 < result.ci_high < 1


def test_pooled_proportion_raw_scale_hand_case():
    frames = [pd.DataFrame({"r": [1] * k + [0] * (10 - k)}) for k in (4, 5, 6)]
    result = pooled_proportion(frames, "r", scale="raw")
    assert result.pooled.within == pytest.approx((0.024 + 0.025 + 0.024) / 3)
    assert result.pooled.between == pytest.approx(0.01)


def test_proportion_of_zero_falls_back_to_raw_scale_and_says_so():
    frames = [pd.DataFrame({"r": [False] * 10}), pd.DataFrame({"r": [True] + [False] * 9})]
    result = pooled_proportion(frames, "r")
    assert result.scale == "raw" and "exactly 0 or 1" in result.note
    assert result.estimate == pytest.approx(0.05)


def test_indicator_with_missing_value_is_an_error():
    frames = [pd.DataFrame({"r": [True, None, False]}), pd.DataFrame({"r": [True, True, False]})]
    with pytest.raises(ValueError, match=r"imputation 1: the indicator is None at index 1"):
        pooled_proportion(frames, "r")


def test_pooled_proportion_is_json_ready():
    frames = [pd.DataFrame({"r": [1] * k + [0] * (10 - k)}) for k in (4, 5, 6)]
    plain = json.loads(json.dumps(pooled_proportion(frames, "r").to_dict()))
    assert plain["per_imputation"] == [0.4, 0.5, 0.6] and plain["pooled"]["m"] == 3


# --- the fast implementation against the plain algorithm ------------------------------

def _reference_pmm(frame, impute_columns, predictors, *, m, seed, donors=5, iterations=10):
    """The algorithm written plainly (every regression refitted and every donor list
    re-sorted in every iteration, one imputation after another, each missing value's
    donors found among all observed values): the imputed columns of each completed
    data set."""
    parts = [np.ones((len(frame), 1))]
    for column in predictors:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            parts.append(series.to_numpy(dtype=float)[:, None])
        else:
            parts.append(pd.get_dummies(series.astype("category"), drop_first=True,
                                        dtype=float).to_numpy())
    base = np.hstack(parts)
    p0 = base.shape[1]
    values = frame[impute_columns].to_numpy(dtype=float)
    missing = np.isnan(values)
    todo = [j for j in range(values.shape[1]) if missing[:, j].any()]
    out = []
    for child in np.random.SeedSequence(seed).spawn(m):
        rng = np.random.default_rng(child)
        current = values.copy()
        for j in todo:
            current[missing[:, j], j] = rng.choice(values[~missing[:, j], j],
                                                   size=missing[:, j].sum())
        for _ in range(iterations):
            for j in todo:
                obs = ~missing[:, j]
                b_obs, b_mis = base[obs], base[~obs]
                others = np.delete(current, j, axis=1)
                o_obs, o_mis, y = others[obs], others[~obs], current[obs, j]
                cross = b_obs.T @ o_obs
                xtx = np.block([[b_obs.T @ b_obs, cross], [cross.T, o_obs.T @ o_obs]])
                xty = np.concatenate([b_obs.T @ y, o_obs.T @ y])
                diagonal = np.diag(xtx).copy()
                xtx[np.diag_indices_from(xtx)] = diagonal * (1 + 1e-5) + (diagonal == 0)
                inverse = np.linalg.inv(xtx)
                beta = inverse @ xty
                yhat_obs = b_obs @ beta[:p0] + o_obs @ beta[p0:]
                sigma = np.sqrt(np.sum((y - yhat_obs) ** 2)
                                / rng.chisquare(max(len(y) - len(beta), 1)))
                chol = np.linalg.cholesky((inverse + inverse.T) / 2)
                beta_star = beta + sigma * chol @ rng.standard_normal(len(beta))
                yhat_mis = b_mis @ beta_star[:p0] + o_mis @ beta_star[p0:]
                order = np.argsort(yhat_obs, kind="stable")
                ranked = yhat_obs[order]
                d = min(donors, len(ranked))
                # distances to every observed value; the run of d consecutive sorted
                # values slides right from the leftmost while the value it would take
                # in is strictly nearer than the one it would drop
                distance = np.abs(ranked[None, :] - yhat_mis[:, None])
                run = np.count_nonzero(distance[:, d:] < distance[:, :-d], axis=1)
                chosen = run + rng.integers(0, d, size=len(yhat_mis))
                # brute force: each chosen donor is one of the d nearest
                rows = np.arange(len(yhat_mis))
                dth = np.partition(distance, d - 1, axis=1)[:, d - 1]
                assert (distance[rows, chosen] <= dth).all()
                current[~obs, j] = y[order[chosen]]
        out.append(current)
    return out


def _patterns(n=1500, seed=8):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "first": rng.normal(16, 4, n).round(), "age": rng.integers(18, 80, n).astype(float),
        "sex": rng.choice(["female", "male", "unknown"], n),
        "service": pd.Categorical(rng.choice(["north", "south", "east"], n),
                                  categories=["east", "north", "south", "west"]),
        "flag": rng.random(n) < 0.3})
    frame["phq"] = (0.6 * frame["first"] + rng.normal(0, 3, n)).round()
    frame["gad"] = (0.5 * frame["phq"] + rng.normal(0, 2, n)).round()
    frame["x"] = frame["first"] + rng.normal(0, 1, n)
    together = rng.random(n) < 0.35
    monotone = frame.assign(phq=frame.phq.mask(together), gad=frame.gad.mask(together))
    apart = frame.assign(phq=frame.phq.mask(rng.random(n) < 0.3),
                         gad=frame.gad.mask(rng.random(n) < 0.3))
    mixed = monotone.assign(x=frame.x.mask(rng.random(n) < 0.1))
    return {"monotone": (monotone, ["phq", "gad"]), "apart": (apart, ["phq", "gad"]),
            "mixed": (mixed, ["phq", "gad", "x"]), "one": (apart, ["phq"])}


@pytest.mark.parametrize("pattern", ["monotone", "apart", "mixed", "one"])
@pytest.mark.parametrize("workers, processes", [(1, False), (2, False), (2, True)])
def test_fast_imputation_equals_the_plain_algorithm_to_the_last_digit(pattern, workers,
                                                                      processes, monkeypatch):
    # monotone: the regressions are fitted once and the donors sorted once; apart and
    # mixed: refitted every iteration; "one": a single imputed column. Either way every
    # imputed value equals the plain algorithm's (peer: _reference_pmm above, the
    # implementation before the speed-up), whatever the number of threads or forked
    # processes (used from PROCESS_MIN_VALUES values to impute: here from the first).
    if processes:
        if not parallel.can_fork():
            pytest.skip("chains run in forked processes on Linux only")
        monkeypatch.setattr(imputation, "PROCESS_MIN_VALUES", 0)
    frame, columns = _patterns()[pattern]
    predictors = ["first", "age", "sex", "service", "flag"]
    expected = _reference_pmm(frame, columns, predictors, m=4, seed=31, iterations=5)
    frames = impute_pmm(frame, columns, predictors, m=4, seed=31, iterations=5,
                        workers=workers)
    for completed, reference in zip(frames, expected, strict=True):
        np.testing.assert_array_equal(completed[columns].to_numpy(dtype=float), reference)
        pd.testing.assert_frame_equal(completed.drop(columns=columns),
                                      frame.drop(columns=columns))


def test_workers_must_be_a_whole_number():
    frame, _ = _service(n=50)
    with pytest.raises(ValueError, match="workers = 0: expected a whole number ≥ 1"):
        impute_pmm(frame, ["last"], ["first"], m=2, workers=0)


def test_completed_frames_read_as_a_list_of_data_frames():
    frame, _ = _service(n=200)
    frames = impute_pmm(frame, ["last"], ["first"], m=3, seed=9)
    assert len(frames) == 3
    listed = list(frames)
    pd.testing.assert_frame_equal(frames[-1], listed[2])
    assert [f.attrs["imputation"]["imputation"] for f in frames[1:]] == [2, 3]
    with pytest.raises(IndexError):
        frames[3]
    # each read builds the same frame again, from the imputed values alone
    pd.testing.assert_frame_equal(frames[0], frames[0])
    assert frames[0] is not frames[0]
