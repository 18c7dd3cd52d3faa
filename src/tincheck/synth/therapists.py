"""Therapist effects and competence ratings: a known truth for the therapist analysis.

Each member of staff t gets three competence ratings (0-6, in half points) and an
effect on the log-odds of recovery

    η_t = b_dx z_dx + b_st z_st + b_gen z_gen + b_int z_dx z_st + u_t,
    u_t ~ N(0, σ²_u),

with z the ratings standardised on the generator's rating distribution
(``[therapists] rating_mean``, ``rating_sd``). σ²_u is chosen so that the total
between-therapist variance Var(η) = b_dx² + b_st² + b_gen² + b_int² + σ²_u gives the
intraclass correlation ``icc_recovery`` of a logistic model adjusted for case mix:
ICC = Var(η) / (Var(η) + π²/3). The latent model applies η through the treatment
response: the treating therapist adds η_t / λ latent units to a referral's responses
(demoralisation and core), where λ (``logit_per_response_unit``) is the change in the
log-odds of recovery per latent unit of response, measured on the default model by
``benchmarks/therapists.py --calibrate`` (docs/synth.md, "Therapist effects").

So the analysis (``tincheck audit``'s therapist section) can be checked against known
values: the ICC, and the competence effects per rating point b / rating_sd (the
interaction per point² b_int / (sd_dx sd_st)).

References: Johns RG, Barkham M, Kellett S, Saxon D (2019) A systematic review of
therapist effects: a critical narrative update and refinement to review. Clin Psychol
Rev 67:78-93 (about 5% of outcome variance between therapists in routine care).
Webb CA, DeRubeis RJ, Barber JP (2010) Therapist adherence/competence and treatment
outcome: a meta-analytic review. J Consult Clin Psychol 78:200-211 (competence and
outcome r = 0.07). Delgadillo J et al. (2020) Psychother Res 30:857-870.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LOGISTIC_VARIANCE = math.pi ** 2 / 3
RATINGS = ("competence_diagnosis_specific", "competence_stage_specific",
           "competence_generic")


def ratings(rng: np.random.Generator, params: dict, staff: int) -> np.ndarray:
    """(staff, 3) competence ratings: normal around ``rating_mean`` with ``rating_sd``,
    rounded to half points and kept within 0-6 (diagnosis-specific, stage-specific,
    generic)."""
    p = params["therapists"]
    drawn = np.column_stack([rng.normal(m, s, staff)
                             for m, s in zip(p["rating_mean"], p["rating_sd"])])
    return np.clip(np.round(drawn * 2) / 2, 0, 6)


def standardised(params: dict, competence: np.ndarray) -> np.ndarray:
    """Ratings as z-scores on the generator's rating distribution."""
    p = params["therapists"]
    return (competence - np.asarray(p["rating_mean"])) / np.asarray(p["rating_sd"])


def competence_logit(params: dict, competence: np.ndarray) -> np.ndarray:
    """b_dx z_dx + b_st z_st + b_gen z_gen + b_int z_dx z_st per row of ratings."""
    p = params["therapists"]
    z = standardised(params, competence)
    return (p["competence_diagnosis"] * z[:, 0] + p["competence_stage"] * z[:, 1]
            + p["competence_generic"] * z[:, 2]
            + p["competence_interaction"] * z[:, 0] * z[:, 1])


def random_sd(params: dict) -> float:
    """σ_u: the SD of the therapist effect not explained by competence.

    σ²_u = π²/3 · ICC / (1 − ICC) − (b_dx² + b_st² + b_gen² + b_int²); an error when
    the competence effects alone exceed the ICC asked for.
    """
    from .parameters import SynthConfigError

    p = params["therapists"]
    icc = p["icc_recovery"]
    if not 0 <= icc < 1:
        raise SynthConfigError(f"therapists.icc_recovery = {icc!r}; expected a share "
                               "from 0 to under 1")
    total = LOGISTIC_VARIANCE * icc / (1 - icc)
    explained = sum(p[k] ** 2 for k in ("competence_diagnosis", "competence_stage",
                                        "competence_generic", "competence_interaction"))
    if explained > total + 1e-12:
        raise SynthConfigError(
            f"therapists: the competence effects explain a variance of {explained:.4f} on "
            f"the log-odds scale, more than icc_recovery = {icc} allows ({total:.4f}); "
            "raise icc_recovery or lower the competence effects")
    return math.sqrt(max(total - explained, 0.0))


def effects(rng: np.random.Generator, params: dict, competence: np.ndarray) -> np.ndarray:
    """η_t, each therapist's effect on the log-odds of recovery (module docstring)."""
    u = rng.normal(0.0, 1.0, len(competence)) * random_sd(params)
    return competence_logit(params, competence) + u


def shift_responses(params: dict, latent, logit_effect: np.ndarray) -> None:
    """Add each referral's treating therapist's effect to its treatment responses:
    Δ = η / λ latent units on both the demoralisation and the core response (λ:
    ``logit_per_response_unit``). An additive shift keeps the effect on the log-odds
    of recovery close to linear in η (a multiplier saturates)."""
    shift = np.asarray(logit_effect, dtype=float) / params["therapists"][
        "logit_per_response_unit"]
    latent.response_demoralisation = latent.response_demoralisation + shift
    latent.response_core = latent.response_core + shift


def truth(params: dict) -> dict:
    """The true values the therapist analysis estimates, from the parameters.

    >>> from tincheck.synth import load_parameters
    >>> t = truth(load_parameters())
    >>> t["icc_recovery"], round(t["random_sd"], 3)
    (0.05, 0.388)
    """
    p = params["therapists"]
    sd = p["rating_sd"]
    return {
        "icc_recovery": p["icc_recovery"],
        "random_sd": random_sd(params),
        "per_point": {
            "diagnosis_specific": p["competence_diagnosis"] / sd[0],
            "stage_specific": p["competence_stage"] / sd[1],
            "generic": p["competence_generic"] / sd[2],
            "diagnosis_x_stage": p["competence_interaction"] / (sd[0] * sd[1]),
        },
    }


def staff_truth(params: dict, seed: int, referrals: int, services: int = 8) -> pd.DataFrame:
    """Every member of staff of a generated run with their true effect: ``therapist_id``,
    ``service_id``, ratings, ``logit_effect`` (η_t) and ``random_effect`` (u_t).

    Rebuilds the run's staff from its seed (stream 0 of the run), exactly as
    :func:`tincheck.synth.generate` drew them.
    """
    import math as _math

    from .chunk import CHUNK_REFERRALS
    from .services import build_services

    streams = np.random.SeedSequence(seed).spawn(1 + _math.ceil(referrals / CHUNK_REFERRALS))
    rng = np.random.Generator(np.random.PCG64(streams[0]))
    s = build_services(rng, params, services, referrals)
    frame = pd.DataFrame({"therapist_id": list(s.staff_ids),
                          "service_id": [s.ids[i] for i in s.staff_service]})
    for i, name in enumerate(RATINGS):
        frame[name] = s.competence[:, i]
    frame["logit_effect"] = s.therapist_logit
    frame["random_effect"] = s.therapist_logit - competence_logit(params, s.competence)
    return frame
