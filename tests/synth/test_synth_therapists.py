"""synth.therapists: competence ratings and therapist effects with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tincheck.synth import SynthConfigError, generate, load_parameters
from tincheck.synth import therapists
from tincheck.synth.model import Latent


def test_competence_part_of_the_effect_by_hand():
    params = load_parameters({"therapists": {
        "competence_diagnosis": 0.10, "competence_stage": 0.06,
        "competence_interaction": 0.06, "competence_generic": 0.02}})
    ratings = np.array([[4.0, 4.0, 4.5], [4.7, 4.0, 4.5], [4.7, 4.7, 5.0]])
    # z = (rating - (4, 4, 4.5)) / (0.7, 0.7, 0.5): 0; (1, 0, 0); (1, 1, 1)
    assert therapists.competence_logit(params, ratings) == pytest.approx(
        [0.0, 0.10, 0.10 + 0.06 + 0.06 + 0.02])


def test_random_part_makes_up_the_icc_asked_for():
    params = load_parameters()
    p = params["therapists"]
    total = math.pi ** 2 / 3 * 0.05 / 0.95
    explained = 0.10 ** 2 + 0.05 ** 2 + 0.0 + 0.10 ** 2
    assert p["icc_recovery"] == 0.05
    assert therapists.random_sd(params) == pytest.approx(math.sqrt(total - explained))
    t = therapists.truth(params)
    assert t["per_point"]["diagnosis_x_stage"] == pytest.approx(0.10 / 0.49)
    assert t["per_point"]["diagnosis_specific"] == pytest.approx(0.10 / 0.7)


def test_competence_effects_larger_than_the_icc_are_refused():
    with pytest.raises(SynthConfigError, match="icc_recovery"):
        therapists.random_sd(load_parameters({"therapists": {
            "icc_recovery": 0.01, "competence_diagnosis": 0.5}}))


def test_the_shift_adds_eta_over_lambda_to_both_responses():
    params = load_parameters({"therapists": {"logit_per_response_unit": 0.5}})
    latent = Latent(np.zeros(2, int), np.zeros((2, 11)), np.zeros(2), np.zeros(2),
                    np.zeros(2), np.array([1.0, 2.0]), np.array([0.5, 0.5]))
    therapists.shift_responses(params, latent, np.array([0.1, -0.2]))
    assert latent.response_demoralisation == pytest.approx([1.2, 1.6])
    assert latent.response_core == pytest.approx([0.7, 0.1])


def test_staff_truth_rebuilds_the_staff_of_a_run(tmp_path):
    import pandas as pd

    folder = generate(tmp_path / "d", referrals=2000, seed=5, services=2)
    written = pd.read_parquet(folder / "therapists.parquet")
    truth = therapists.staff_truth(load_parameters(), 5, 2000, 2)
    assert truth["therapist_id"].tolist() == written["therapist_id"].tolist()
    for rating in therapists.RATINGS:
        assert truth[rating].tolist() == written[rating].tolist()
    spread = truth["random_effect"].std()
    assert 0.2 < spread < 0.6  # about σ_u = 0.388
