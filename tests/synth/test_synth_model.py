"""The latent model and its building blocks, on hand-computed cases."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from tincheck import codes
from tincheck.synth import model
from tincheck.synth.interviews import stratified_sample
from tincheck.synth.parameters import load_parameters
from tincheck.synth.population import Descriptors, draw
from tincheck.synth.services import Calendar, add_months

DISORDERS = codes.values("disorder")
DEP, GAD = DISORDERS.index("depression"), DISORDERS.index("gad")


def one_client(core_primary=1.0, core_gad=-1.0) -> model.Latent:
    core = np.full((1, len(DISORDERS)), -2.0)
    core[0, DEP], core[0, GAD] = core_primary, core_gad
    return model.Latent(primary=np.array([DEP]), core=core, demoralisation=np.array([1.0]),
                        peak=np.array([0.5]), impairment=np.array([0.0]),
                        response_demoralisation=np.array([1.0]),
                        response_core=np.array([0.5]))


def test_state_follows_the_documented_formula():
    params = load_parameters({"model": {
        "demoralisation": {"peak_days": 45},
        "response": {"demoralisation_sessions": 2.0, "core_sessions": 6.0,
                     "comorbid_transfer": 0.5, "relapse_share": 0.35, "relapse_days": 180},
        "core": {"natural_remission": 0.25, "natural_days": 365}}})
    g, core = model.state(params, one_client(), np.array([0]), np.array([45]),
                          np.array([2]), np.array([6.0]))
    # G = 1 + 0.5 e^-1 - 1 (1 - e^-1) = 0.551819
    assert g[0] == pytest.approx(0.551819, abs=1e-6)
    # natural part 0.25 (1 - e^(-45/365)) = 0.028998; treatment 0.5 (1 - e^-1) = 0.316060
    assert core[0, DEP] == pytest.approx(1 - 0.028998 - 0.316060, abs=1e-6)
    # a comorbid core gains half of the treatment effect
    assert core[0, GAD] == pytest.approx(-1 - 0.028998 - 0.158030, abs=1e-6)


def test_relapse_returns_part_of_the_gain_after_the_end():
    params = load_parameters({"model": {"response": {
        "demoralisation_sessions": 2.0, "relapse_share": 0.35, "relapse_days": 180}}})
    during, _ = model.state(params, one_client(), np.array([0]), np.array([200]),
                            np.array([2]), np.array([6.0]))
    after, _ = model.state(params, one_client(), np.array([0]), np.array([200]),
                           np.array([2]), np.array([6.0]), after_end=np.array([180]))
    # gain 0.632121; relapse 0.35 * 0.632121 * (1 - e^-1) = 0.139851
    assert after[0] - during[0] == pytest.approx(0.139851, abs=1e-6)


def test_score_goes_through_the_test_characteristic_curve():
    params = load_parameters({"model": {"questionnaires": {
        "PHQ9": {"intercept": -0.8, "slope": 0.8, "error_sd": 0.0}}}})
    q = model.Questionnaires(params, Descriptors.from_parameters(params))
    rng = np.random.default_rng(0)
    # 27 * Phi(-0.8 + 0.8 * 2) = 27 * 0.788145 = 21.28 -> 21; Phi(-0.8 - 0.8 * 5) ~ 0 -> 0
    scores = q.score(rng, "PHQ9", np.array([2.0, -5.0]))
    assert scores.tolist() == [21.0, 0.0]
    assert not np.signbit(scores).any()  # never -0.0


def test_mi_scores_keep_two_decimals_within_1_to_5():
    params = load_parameters({"model": {"questionnaires": {
        "MI": {"intercept": 0.0, "slope": 1.0, "error_sd": 0.0}}}})
    q = model.Questionnaires(params, Descriptors.from_parameters(params))
    # 1 + 4 * Phi(0.3) = 1 + 4 * 0.617911 = 3.47
    assert q.score(np.random.default_rng(0), "MI", np.array([0.3])).tolist() == [3.47]


def test_questionnaire_reads_demoralisation_and_its_own_core_above_the_floor():
    params = load_parameters({"model": {"questionnaires": {
        "core_floor": -0.8, "PHQ9": {"loading": 0.5}}}})
    q = model.Questionnaires(params, Descriptors.from_parameters(params))
    core = np.full((2, len(DISORDERS)), -3.0)
    core[0, DEP] = 1.2
    # 1.0 + 0.5 * 1.2 = 1.6; without depression the core counts as the floor: 1 - 0.4
    assert q.latent("PHQ9", np.array([1.0, 1.0]), core).tolist() == pytest.approx([1.6, 0.6])


def test_questionnaires_read_no_less_than_the_healthy_level_plus_a_stable_part():
    params = load_parameters({
        "model": {"demoralisation": {"healthy": -0.3},
                  "questionnaires": {"core_floor": -0.8,
                                     "GAD7": {"loading": 0.5, "demoralisation": 1.0,
                                              "stable": 0.2}}}})
    q = model.Questionnaires(params, Descriptors.from_parameters(params))
    core = np.full((2, len(DISORDERS)), -3.0)
    # G = -1 reads as -0.3; cores read as the floor -0.8: -0.3 - 0.4 + 0.2 * 1 = -0.5
    # G = 0.5 reads as itself: 0.5 - 0.4 + 0.2 * -1 = -0.1
    assert q.latent("GAD7", np.array([-1.0, 0.5]), core, np.array([1.0, -1.0])).tolist() \
        == pytest.approx([-0.5, -0.1])


def test_each_adsm_reads_the_disorder_of_its_descriptor():
    params = load_parameters()
    q = model.Questionnaires(params, Descriptors.from_parameters(params))
    reads = {name: DISORDERS[int(np.argmax(w))] for name, w in q.reads.items()
             if name not in ("PHQ9", "GAD7", "WSAS")}
    assert reads == {"PDSS": "panic", "SPIN": "social_anxiety", "OCI": "ocd",
                     "HAI": "health_anxiety", "PCL5": "ptsd", "MI": "agoraphobia"}


def test_interview_status_bands_and_allegiance_bias():
    params = load_parameters({"interviews": {"assessor_error_sd": 0.0,
                                             "subthreshold_band": 0.6}})
    core = np.array([[0.1, -0.3, -0.7], [0.1, -0.3, -0.7]])
    status = model.interview_status(np.random.default_rng(0), params, core,
                                    np.array([0.0, 0.2]))
    names = np.array(codes.values("status"))[status].tolist()
    assert names == [["present", "subthreshold", "absent"],
                     ["subthreshold", "subthreshold", "absent"]]


def test_stratified_sample_takes_the_fraction_within_each_stratum():
    stratum = np.repeat([0, 1, 2], [10, 20, 30])
    eligible = np.ones(60, bool)
    eligible[:4] = False  # stratum 0 has 6 eligible rows
    chosen = stratified_sample(np.random.default_rng(3), 0.5, stratum, eligible)
    assert np.bincount(stratum[chosen]).tolist() == [3, 10, 15]
    assert eligible[chosen].all()
    assert stratified_sample(np.random.default_rng(3), 0.0, stratum, eligible).size == 0


def test_stratified_sample_rounds_at_random_with_the_right_expectation():
    stratum = np.zeros(10, np.int64)
    sizes = [stratified_sample(np.random.default_rng(seed), 0.25, stratum,
                               np.ones(10, bool)).size for seed in range(2000)]
    assert set(sizes) == {2, 3}
    assert np.mean(sizes) == pytest.approx(2.5, abs=0.05)  # SE 0.011


def test_draw_follows_the_weights():
    picks = draw(np.random.default_rng(0), [1, 3], 100_000)
    assert np.mean(picks == 1) == pytest.approx(0.75, abs=0.005)  # SE 0.0014
    assert set(draw(np.random.default_rng(0), [0, 1, 0], 50).tolist()) == {1}


def test_calendar_and_financial_years():
    cal = Calendar.from_parameters(load_parameters())
    day = dt.date(1970, 1, 1)
    assert day + dt.timedelta(cal.last_received) == dt.date(2024, 3, 31)
    assert day + dt.timedelta(cal.data_end) == dt.date(2024, 9, 30)
    years = [(str(day + dt.timedelta(a)), str(day + dt.timedelta(b)))
             for a, b in cal.financial_years()]
    assert years == [("2022-04-01", "2023-03-31"), ("2023-04-01", "2024-03-31"),
                     ("2024-04-01", "2024-09-30")]
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_descriptor_weights_are_the_published_finished_courses():
    d = Descriptors.from_parameters(load_parameters())
    share = dict(zip(d.groups, d.group_weight / d.group_weight.sum()))
    # 230,113 / (582,556 - 35,404 not stated) = 0.420565
    assert share["depression"] == pytest.approx(0.420565, abs=1e-6)
    assert math.isclose(sum(share.values()), 1.0)
