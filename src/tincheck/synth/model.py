"""The latent model: disorders, severity trajectories, questionnaires and interviews.

Each referral has a *core* severity for every disorder (0 is the diagnostic threshold:
a disorder is present above it) and a level of *demoralisation*, the general distress
that questionnaires pick up as well as the core (Frank & Frank 1991, *Persuasion and
Healing*, 3rd ed.; the phase model of Howard et al. 1993, J Consult Clin Psychol
61:678-685: remoralisation comes before remediation of symptoms).

* At referral, demoralisation holds a transient peak (people refer when they feel
  worst), which fades with time whatever happens.
* Treatment lowers demoralisation fast (within a few sessions, whatever the
  intensity) and the core slowly, in proportion to the specific dose (a low-intensity
  session counts less than a high-intensity one); comorbid cores gain only part of it.
* After the end, part of the demoralisation gain is lost again.
* A questionnaire reads ``demoralisation + loading * core`` (the core of the disorder
  it was written for; demoralisation no lower than a healthy level; plus a stable
  person-level part) through its test characteristic curve, with measurement error;
  an interview reads the core itself, with the assessor's error.

So questionnaire "recovery" can happen while the disorder is still there: the scores
fell because demoralisation fell, the peak faded and the measure reads the core only
in part. Every quantity is a parameter in ``parameters.toml`` (``[model.*]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from .. import codes
from ..instruments import INSTRUMENTS
from .population import Descriptors, draw

DISORDERS = codes.values("disorder")
STATUS = codes.values("status")
PRESENT, SUBTHRESHOLD, ABSENT = (STATUS.index(s) for s in ("present", "subthreshold", "absent"))


def _column_weights(table: dict, default: float = 0.0) -> np.ndarray:
    return np.array([float(table.get(d, default)) for d in DISORDERS])


@dataclass
class Latent:
    """Latent state of a batch of referrals (one row each)."""

    primary: np.ndarray          # disorder index
    core: np.ndarray             # (n, disorders) at referral
    demoralisation: np.ndarray   # at referral, without the transient peak
    peak: np.ndarray             # transient part at referral
    impairment: np.ndarray       # stable part of functioning, N(0, 1), untouched by therapy
    response_demoralisation: np.ndarray = field(default=None)
    response_core: np.ndarray = field(default=None)

    @property
    def n(self) -> int:
        return len(self.primary)

    def take(self, rows: np.ndarray) -> Latent:
        return Latent(self.primary[rows], self.core[rows], self.demoralisation[rows],
                      self.peak[rows], self.impairment[rows],
                      self.response_demoralisation[rows], self.response_core[rows])

    @staticmethod
    def concat(parts: list[Latent]) -> Latent:
        return Latent(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                        ("primary", "core", "demoralisation", "peak", "impairment",
                         "response_demoralisation", "response_core")))


def baseline(rng: np.random.Generator, params: dict, primary: np.ndarray,
             trait: np.ndarray) -> Latent:
    """Cores and demoralisation at referral.

    The primary disorder's core is ``primary_mean + primary_sd * z`` with
    ``z = sqrt(trait_share) * trait + sqrt(1 - trait_share) * e``; each disorder of the
    comorbidity panel is comorbid with its probability (a core drawn around
    ``comorbid_mean``) or absent (around ``absent_mean``).
    """
    p = params["model"]["core"]
    n = len(primary)
    share = p["trait_share"]
    z = np.sqrt(share) * trait + np.sqrt(1 - share) * rng.standard_normal(n)
    comorbidity = _column_weights(p["comorbidity"])
    comorbid = rng.random((n, len(DISORDERS))) < comorbidity
    noise = rng.standard_normal((n, len(DISORDERS)))
    core = np.where(comorbid, p["comorbid_mean"] + p["comorbid_sd"] * noise,
                    p["absent_mean"] + p["absent_sd"] * noise)
    rows = np.arange(n)
    core[rows, primary] = p["primary_mean"] + p["primary_sd"] * z
    d = params["model"]["demoralisation"]
    demoralisation = (d["mean"] + d["core_loading"] * z + d["sd"] * rng.standard_normal(n))
    peak = rng.exponential(d["peak_mean"], n)
    return Latent(primary, core, demoralisation, peak, rng.standard_normal(n))


def competence_multiplier(params: dict, competence: np.ndarray) -> np.ndarray:
    """exp(b_dx z_dx + b_st z_st + b_int z_dx z_st + b_gen z_gen) per row of ratings.

    Ratings are standardised on the generator's staff distribution (means 4, 4, 4.5;
    SDs 0.7, 0.7, 0.5).
    """
    r = params["model"]["response"]
    z = (competence - np.array([4.0, 4.0, 4.5])) / np.array([0.7, 0.7, 0.5])
    return np.exp(r["competence_diagnosis"] * z[:, 0] + r["competence_stage"] * z[:, 1]
                  + r["competence_interaction"] * z[:, 0] * z[:, 1]
                  + r["competence_generic"] * z[:, 2])


RESPONSE_CLASSES = ("responder", "non_responder", "worsening")


def _response_moments(r: dict) -> tuple[float, float]:
    """Mean and SD of the demoralisation response mixture (multiplier 1)."""
    shares = np.array([r[f"{c}_share"] for c in RESPONSE_CLASSES])
    shares = shares / shares.sum()
    means = np.array([r[f"{c}_mean"] for c in RESPONSE_CLASSES])
    mean = float(shares @ means)
    var = float(shares @ (means - mean) ** 2) + r["demoralisation_sd"] ** 2
    return mean, float(np.sqrt(var))


def draw_responses(rng: np.random.Generator, params: dict, latent: Latent,
                   multiplier: np.ndarray) -> None:
    """Each referral's available reduction of demoralisation and of the primary core.

    The demoralisation response is a mixture of responders, non-responders and a
    minority who get worse (adverse events, harm): a class mean plus
    ``demoralisation_sd`` noise. The core response is ``core_mean`` times the
    disorder's effect, plus noise correlated (``core_correlation``) with the
    demoralisation response. ``multiplier`` (service and therapist effects) scales the
    positive means. Both reductions can be negative (the client gets worse).
    """
    r = params["model"]["response"]
    n = latent.n
    shares = [r[f"{c}_share"] for c in RESPONSE_CLASSES]
    klass = draw(rng, shares, n)
    means = np.array([r[f"{c}_mean"] for c in RESPONSE_CLASSES])[klass]
    means = np.where(means > 0, means * multiplier, means)
    latent.response_demoralisation = means + r["demoralisation_sd"] * rng.standard_normal(n)
    mean, sd = _response_moments(r)
    z = (latent.response_demoralisation - mean) / sd
    rho = r["core_correlation"]
    effect = _column_weights(r["disorder_effect"], 1.0)[latent.primary]
    latent.response_core = (r["core_mean"] * effect * multiplier + r["core_sd"] * (
        rho * z + np.sqrt(1 - rho ** 2) * rng.standard_normal(n)))


def response_z(params: dict, latent: Latent) -> np.ndarray:
    """How good a referral's demoralisation response is, in SDs (drives dropout)."""
    mean, sd = _response_moments(params["model"]["response"])
    return (latent.response_demoralisation - mean) / sd


def state(params: dict, latent: Latent, rows: np.ndarray, days: np.ndarray,
          sessions: np.ndarray, dose: np.ndarray, after_end: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray]:
    """Demoralisation and cores of referrals ``rows`` at ``days`` after referral.

    ``sessions`` treatment sessions (``dose`` their specific dose) were done by then;
    ``after_end`` is the number of days since the referral ended (relapse of the
    demoralisation gain), or None during the referral.

        G = G0 + peak exp(-days / peak_days) - dG (1 - exp(-sessions / s_G)) + relapse
        C = C0 - nat (1 - exp(-days / natural_days)) - dC w (1 - exp(-dose / s_C))

    with w = 1 for the primary disorder and ``comorbid_transfer`` for the others.
    """
    m = params["model"]
    r, d, c = m["response"], m["demoralisation"], m["core"]
    days = np.asarray(days, dtype=float)
    gain = latent.response_demoralisation[rows] * (
        1 - np.exp(-np.asarray(sessions, dtype=float) / r["demoralisation_sessions"]))
    g = latent.demoralisation[rows] + latent.peak[rows] * np.exp(-days / d["peak_days"]) - gain
    if after_end is not None:
        g = g + r["relapse_share"] * gain * (
            1 - np.exp(-np.maximum(after_end, 0) / r["relapse_days"]))
    natural = c["natural_remission"] * (1 - np.exp(-days / c["natural_days"]))
    treated = latent.response_core[rows] * (
        1 - np.exp(-np.asarray(dose, dtype=float) / r["core_sessions"]))
    transfer = np.full((len(rows), len(DISORDERS)), r["comorbid_transfer"])
    transfer[np.arange(len(rows)), latent.primary[rows]] = 1.0
    core = latent.core[rows] - natural[:, None] - treated[:, None] * transfer
    return g, core


class Questionnaires:
    """Maps latent states to questionnaire scores (``[model.questionnaires]``)."""

    def __init__(self, params: dict, descriptors: Descriptors):
        q = params["model"]["questionnaires"]
        self.params = q
        self.floor = q["core_floor"]
        self.healthy = params["model"]["demoralisation"]["healthy"]
        self.reads = {
            "PHQ9": _column_weights(q["phq9_sensitivity"]),
            "GAD7": _column_weights(q["gad7_sensitivity"]),
            "WSAS": np.ones(len(DISORDERS)),
        }
        # Each disorder-specific measure reads the disorder of the descriptors using it.
        for code, adsm in zip(descriptors.code_labels, descriptors.code_adsm):
            if adsm in q and adsm not in self.reads:
                group = descriptors.code_group[descriptors.code_labels.index(code)]
                weights = np.zeros(len(DISORDERS))
                weights[descriptors.group_disorder[group]] = 1.0
                self.reads[adsm] = weights

    def measured(self) -> tuple[str, ...]:
        return tuple(self.reads)

    def latent(self, instrument: str, demoralisation: np.ndarray, core: np.ndarray,
               impairment: np.ndarray | None = None) -> np.ndarray:
        """weight * max(G, healthy) + loading * max(read core, floor) [+ stable *
        impairment, for a measure of functioning].

        A questionnaire cannot read demoralisation below the ``healthy`` level: people
        without a disorder still report some symptoms (general-population PHQ-9 and
        GAD-7 means are about 3; Kocalevent et al. 2013, Gen Hosp Psychiatry
        35:551-555; Löwe et al. 2008, Med Care 46:266-274).
        """
        spec = self.params[instrument]
        read = np.max(core * self.reads[instrument], axis=1,
                      where=self.reads[instrument] > 0, initial=-np.inf)
        read = np.maximum(read, self.floor)
        distress = np.maximum(demoralisation, self.healthy)
        value = spec["demoralisation"] * distress + spec["loading"] * read
        if "stable" in spec and impairment is not None:
            value = value + spec["stable"] * impairment
        return value

    def score(self, rng: np.random.Generator, instrument: str, latent_value: np.ndarray
              ) -> np.ndarray:
        """Observed total score through the measure's test characteristic curve.

            score = min + (max - min) Phi(intercept + slope * latent) + error

        rounded (MI: to 2 decimals, it is a mean of items) and kept in range. The
        S-shaped curve squeezes scores near the floor, so end-of-treatment scores are
        skewed as in routine data (Embretson & Reise 2000, *Item Response Theory for
        Psychologists*, ch. 4).
        """
        spec = self.params[instrument]
        info = INSTRUMENTS[instrument]
        span = info.maximum - info.minimum
        raw = (info.minimum + span * ndtr(spec["intercept"] + spec["slope"] * latent_value)
               + spec["error_sd"] * rng.standard_normal(len(latent_value)))
        step = 100.0 if info.maximum <= 5 else 1.0
        # + 0.0 turns a rounded -0.0 into 0.0
        return np.clip(np.round(raw * step) / step, info.minimum, info.maximum) + 0.0


def interview_status(rng: np.random.Generator, params: dict, core: np.ndarray,
                     bias: np.ndarray) -> np.ndarray:
    """Status code index per disorder: the assessor reads core + error - bias.

    present above 0, subthreshold within ``subthreshold_band`` below it, else absent.
    """
    p = params["interviews"]
    read = (core + p["assessor_error_sd"] * rng.standard_normal(core.shape)
            - bias[:, None])
    return np.where(read > 0, PRESENT,
                    np.where(read > -p["subthreshold_band"], SUBTHRESHOLD, ABSENT))


def usual_self(rng: np.random.Generator, params: dict, demoralisation: np.ndarray,
               core: np.ndarray) -> np.ndarray:
    """Answer to "how far are you back to your usual self?" (0-100, whole numbers)."""
    u = params["interviews"]["usual_self"]
    worst = np.max(core, axis=1)
    mean = 100 * ndtr(-(u["demoralisation"] * demoralisation + u["core"] * worst)
                      + u["offset"])
    answer = np.clip(np.round(mean + u["error_sd"] * rng.standard_normal(len(mean))), 0, 100)
    return answer + 0.0  # -0.0 (a small negative rounded) written as 0, not -0
