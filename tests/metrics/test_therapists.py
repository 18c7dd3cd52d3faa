"""therapists.*: attribution to the main therapist, what is shown and pooled, what is not
computed and why, and the models against a known truth (synthetic data)."""

from __future__ import annotations

import numpy as np
import pytest

from tincheck.metrics import competence, therapists
from tincheck.stats.mixed_models import icc_logistic, random_intercept_logistic
from tincheck.synth import generate, load_parameters
from tincheck.synth.therapists import staff_truth, truth


def test_each_referral_counts_for_the_therapist_who_gave_most_sessions(cohort, monkeypatch):
    captured = {}
    monkeypatch.setattr(therapists, "analyse",
                        lambda frame, min_cases=10: captured.update(frame=frame) or {})
    # R01: T1 twice, T2 three times -> T2; R02: T1 and T2 twice each -> T2 (latest);
    # R03: one session only, not finished -> not in the frame
    cohort.referral().treatments(2, therapist="T1").treatments(3, therapist="T2").phq9(15, 5)
    cohort.referral().treatment(therapist="T2").treatment(therapist="T1").treatment(
        therapist="T1").treatment(therapist="T2").phq9(15, 8)
    cohort.referral().treatment(therapist="T1").phq9(15)
    cohort.audit(imputations=0)
    frame = captured["frame"].set_index("referral_id")
    assert frame.loc["R01", "therapist_id"] == "T2"
    assert frame.loc["R02", "therapist_id"] == "T2"
    assert frame["therapists"].tolist() == [2, 2]
    assert "R03" not in frame.index


def _frame(rows):
    import pandas as pd

    return pd.DataFrame(rows)


def test_therapists_with_fewer_cases_are_pooled_and_labels_replace_identifiers():
    rng = np.random.default_rng(3)
    rows = []
    for t in range(12):
        for i in range(12 if t < 10 else 4):  # two therapists with 4 finished cases
            phq = float(rng.integers(10, 27))
            rows.append({"referral_id": f"R{t}-{i}", "service_id": "S1",
                         "therapist_id": f"secret-{t}", "therapists": 1, "measured": True,
                         "recovered": bool(rng.random() < 0.5), "phq_first": phq,
                         "phq_last": float(rng.integers(0, 27)), "anx_first": 1.5,
                         "problem": "depression", "step": "high",
                         **{r: 4.0 for r in therapists.RATINGS}})
    out = therapists.analyse(_frame(rows), min_cases=10)
    assert (out["therapists"], out["shown"], out["pooled"], out["pooled_cases"]) == (12, 10,
                                                                                     2, 8)
    labels = [r["therapist"] for r in out["estimates"]]
    assert labels[:10] == [f"T{i:02d}" for i in range(1, 11)]
    assert labels[10].startswith("pooled: 2 therapists")
    assert "secret" not in repr(out)
    values = [r["recovery"] for r in out["estimates"][:10]]
    assert values == sorted(values)  # labelled in the order of their estimate
    assert "recovery" in out and 0 <= out["recovery"]["icc"] < 1


def test_too_few_therapists_or_none_recorded_says_what_was_not_computed(cohort):
    cohort.referral().treatments(2, therapist="T1").phq9(15, 5).gad7(10, 4)
    a = cohort.audit(imputations=0)
    note = a.results["therapists.icc_recovery"].note
    assert "fewer than 10 therapists" in note
    assert a.results["therapists.icc_recovery"].value is None
    # no therapists file: competence is withheld, and the audit lists it as not computed
    assert a.results["therapists.competence_rated"].note == \
        "not computed: no therapists file was supplied"
    assert a.tables["therapists.competence"] == []
    assert [e["what"] for e in a.not_computed if e["data"] == ["therapists"]] == [
        "competence ratings against outcomes"]


@pytest.mark.parametrize("value", [0, -3, 2.5, "10", True])
def test_a_minimum_that_is_not_a_whole_number_of_cases_is_a_setting_error(value):
    import tincheck
    from tincheck.errors import SettingError

    with pytest.raises(SettingError) as caught:
        tincheck.audit(tincheck.example_path(), therapist_min_cases=value)
    assert caught.value.option == "--therapist-min-cases"
    assert "expected a whole number of cases, 1 or more" in str(caught.value)


def test_no_therapist_recorded(cohort):
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)
    a = cohort.audit(imputations=0)
    assert "therapist_id" in a.results["therapists.icc_recovery"].note
    assert a.tables["therapists.estimates"] == []


# ------------------------------------------------------------------ known truth

# 30,000 referrals, one service, 112 low- and 88 high-intensity staff (the staff of
# the full check, on which the generator's λ was calibrated): sized to run in under a
# minute; benchmarks/therapists.py runs the full check (50,000 referrals, 200
# therapists, seeds 1 to 20) and docs/stats.md gives its figures.
SEED = 2
CONFIG = {"services": {"referrals_per_pwp": 267, "referrals_per_hi": 341},
          "therapists": {"competence_interaction": 0.2}}
INTERACTION = "diagnosis_specific x stage_specific"


def _known(tmp_path, monkeypatch, config, seed):
    captured = {}
    # in this process, so that the stand-in analysis below can capture the frame
    monkeypatch.setattr(therapists, "PARALLEL_MIN_ROWS", float("inf"))
    monkeypatch.setattr(therapists, "analyse",
                        lambda frame, min_cases=10: captured.update(frame=frame) or {})
    monkeypatch.setattr(competence, "analyse", lambda frame, rows: {})
    import tincheck

    folder = generate(tmp_path / "data", referrals=30_000, seed=seed, services=1,
                      config=config)
    tincheck.audit(folder, imputations=0)
    return captured["frame"]


def _interaction(frame):
    rated = therapists.recovery_sample(frame)
    centres = {r: rated.drop_duplicates("therapist_id")[r].mean() for r in therapists.RATINGS}
    terms = competence.rating_terms(rated, centres)
    base, names = therapists.case_mix(rated)
    model = dict(competence.MODELS)["all three with interactions"]
    X = np.column_stack([base] + [terms[t] for t in model])
    fit = random_intercept_logistic(rated["recovered"].to_numpy(float), X,
                                    rated["therapist_id"].to_numpy(), names + list(model))
    return fit.coefficient(INTERACTION)


@pytest.mark.parametrize("interaction", [0.2, 0.0], ids=["present", "absent"])
def test_known_icc_is_covered_and_the_interaction_found_only_when_present(
        tmp_path, monkeypatch, interaction):
    import statsmodels.api as sm

    config = {**CONFIG, "therapists": {"competence_interaction": interaction}}
    frame = _known(tmp_path, monkeypatch, config, seed=SEED)
    params = load_parameters(config)
    true = truth(params)
    sample = therapists.recovery_sample(frame)
    fit, (low, high), X = therapists.recovery_icc(sample)
    assert low <= true["icc_recovery"] <= high, (fit.icc, low, high)
    # the truth holds only if the generator's λ is right: the log-odds of recovery move
    # by η per unit of the main therapist's known η (a logistic regression on the case
    # mix and η, as benchmarks/therapists.py --calibrate measures it; SE about 0.05)
    staff = staff_truth(params, SEED, 30_000, 1).set_index("therapist_id")
    eta = staff.loc[sample["therapist_id"], "logit_effect"].to_numpy()
    slope = sm.Logit(sample["recovered"].to_numpy(float),
                     np.column_stack([X, eta])).fit(disp=0).params[-1]
    assert 0.85 < slope < 1.15, slope
    estimate, lo, hi = _interaction(frame)
    found = lo > 0 or hi < 0
    assert found == (interaction > 0), (estimate, lo, hi, true["per_point"])



def test_absent_therapist_data_withholds_what_rests_on_it():
    from tincheck.metrics.needs import unmet

    competence_ids = ["therapists.competence", "therapists.competence_ratings",
                      "therapists.competence_rated"]
    # no therapist on any contact: every therapist figure, competence included
    [entry] = unmet({"appointments.therapist_id": "no column"},
                    {"appointments": "appointments.csv"})
    assert entry["why"] == "appointments.csv has no therapist_id column"
    assert sorted(entry["metrics"]) == sorted(
        ["therapists.icc_recovery", "therapists.icc_phq9_change", "therapists.estimates",
         *competence_ids])
    # no therapists file: competence only (therapist effects need no ratings)
    [entry] = unmet({"therapists": "no file"})
    assert entry["why"] == "no therapists file was supplied"
    assert sorted(entry["metrics"]) == sorted(competence_ids)
    # one rating empty: competence, saying which rating; the whole table absent is one
    # entry, not four
    [entry] = unmet({"therapists.competence_generic": "empty"},
                    {"therapists": "therapists.csv"})
    assert entry["why"] == "the competence_generic column of therapists.csv is empty"
    assert "generic rating" in entry["what"] and sorted(entry["metrics"]) == sorted(
        competence_ids)
    assert len(unmet({"therapists": "no file", "therapists.competence_generic": "no column"})
               ) == 1


def test_the_two_analyses_in_forked_processes_equal_them_in_this_one(tmp_path, monkeypatch):
    """From PARALLEL_MIN_ROWS finished referrals the therapist-effect and competence
    analyses run side by side in forked processes: the same results, to the last digit."""
    import tincheck
    from tincheck import parallel

    if not parallel.can_fork():
        pytest.skip("forked processes are used on Linux only")
    frames = []
    fetch = therapists.fetch_cases
    monkeypatch.setattr(therapists, "fetch_cases",
                        lambda *a: frames.append(fetch(*a)) or frames[-1])
    folder = generate(tmp_path / "data", referrals=4_000, seed=5, services=1)
    tincheck.audit(folder, imputations=0)
    shared = (frames[0], 10, 200)
    here = [therapists._analysis(shared, part) for part in ("therapists", "competence")]
    forked = parallel.forked_map(therapists._analysis, shared, ["therapists", "competence"], 2)
    assert here == forked and here[0]["recovery"]["icc"] > 0 and here[1]["rows"]


def test_a_competence_model_that_did_not_converge_has_its_figures_withheld(
        tmp_path, monkeypatch):
    # A fit that stopped short of its maximum (here: every recovery model, marked so)
    # keeps its rows, with estimate, interval, p-value and detectable effect withheld,
    # and the note says which models; the PHQ-9 change models are untouched.
    import dataclasses

    import tincheck

    real = competence.random_intercept_logistic
    monkeypatch.setattr(competence, "random_intercept_logistic", lambda *a, **k:
                        dataclasses.replace(real(*a, **k), converged=False))
    folder = generate(tmp_path / "data", referrals=3_000, seed=1)
    a = tincheck.audit(folder, imputations=0, disclosure_control=False)
    rows = a.tables["therapists.competence"]
    recovery = [r for r in rows if r["outcome"] == "recovery"]
    change = [r for r in rows if r["outcome"] == "phq9_change"]
    assert len(recovery) == 12 and len(change) == 12
    assert all(r[k] is None for r in recovery
               for k in ("estimate", "ci_low", "ci_high", "p_value", "detectable"))
    assert all(isinstance(r["estimate"], float) for r in change)
    note = a.results["therapists.competence_rated"].note
    assert "recovery, all three with interactions: the model did not converge; its " \
           "figures are withheld" in note
