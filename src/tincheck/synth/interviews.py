"""Independent diagnostic interviews of a service-stratified random sample.

Referrals seen at least once are sampled within each service (``fraction`` of them,
rounded at random so the expected size is exact). Each sampled referral gets a baseline
interview around its first contact, an end interview shortly after it ends and a
follow-up interview months later, unless missing (by chance, or because the referral
was still open or the follow-up fell after the extract). An interview assesses the
disorders of the comorbidity panel plus the primary disorder: one row per disorder.
A few interviews are done by a service clinician (not independent) or by an assessor
who knew the treatment (not blind); they read the client as better than they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import codes
from . import model
from .pathway import SEEN_NOT_TREATED, Pathway
from .population import draw

TIMEPOINT = codes.values("timepoint")
BASELINE, END, FOLLOW_UP = (TIMEPOINT.index(t) for t in ("baseline", "end", "follow_up"))
DAYS_PER_MONTH = 30.44


def stratified_sample(rng: np.random.Generator, fraction: float, stratum: np.ndarray,
                      eligible: np.ndarray) -> np.ndarray:
    """Indices of a simple random sample of ``eligible`` rows within each stratum.

    Each stratum of size m gives floor(fraction * m + U) rows, U ~ Uniform(0, 1), so
    the expected sample size is exactly fraction * m.

    >>> stratified_sample(np.random.default_rng(0), 0.5, np.array([0, 0, 1, 1]),
    ...                   np.ones(4, bool)).size
    2
    """
    rows = np.flatnonzero(eligible)
    if fraction <= 0 or rows.size == 0:
        return np.zeros(0, np.int64)
    strata = stratum[rows]
    order = np.lexsort((rng.random(rows.size), strata))
    sorted_strata = strata[order]
    size = np.bincount(sorted_strata)
    start = np.cumsum(size) - size
    rank = np.arange(rows.size) - start[sorted_strata]
    quota = np.floor(fraction * size + rng.random(size.size)).astype(np.int64)
    chosen = rows[order][rank < quota[sorted_strata]]
    return np.sort(chosen)


@dataclass
class Interviews:
    """One row per referral x time point x disorder assessed."""

    ref: np.ndarray
    timepoint: np.ndarray
    day: np.ndarray
    months_after_end: np.ndarray   # NaN when not a follow-up
    assessor: np.ndarray           # assessor labels (text)
    instrument: np.ndarray         # index into codes.values("interview_instrument")
    independent: np.ndarray
    blind: np.ndarray
    disorder: np.ndarray
    status: np.ndarray
    usual_self: np.ndarray


def conduct(rng: np.random.Generator, params: dict, fraction: float, service: np.ndarray,
            received: np.ndarray, latent: model.Latent, pathway: Pathway,
            staff_ids: tuple[str, ...], data_end: int) -> Interviews:
    """Interview rows for a sample of a chunk's referrals (``ref`` is the local index)."""
    p = params["interviews"]
    first_seen = _first_attended(pathway, len(received))
    eligible = (pathway.stage >= SEEN_NOT_TREATED) & (first_seen >= 0)
    sample = stratified_sample(rng, fraction, service, eligible)
    n = sample.size
    instruments = codes.values("interview_instrument")
    instrument = np.array([instruments.index(k) for k in p["instrument"]])[
        draw(rng, list(p["instrument"].values()), n)]
    ended = pathway.ended[sample]
    sessions = (pathway.n_low + pathway.n_high)[sample]
    dose = pathway.dose_total(params)[sample]

    baseline = np.maximum(received[sample], first_seen[sample] - rng.integers(0, 11, n))
    end = ended + rng.integers(0, 29, n)
    end_done = (ended >= 0) & (end <= data_end) & (rng.random(n) >= p["missing_end"])
    follow = ended + np.round(p["follow_up_months"] * DAYS_PER_MONTH).astype(np.int64) \
        + rng.integers(0, 22, n)
    follow_done = (ended >= 0) & (follow <= data_end) & (rng.random(n) >= p["missing_follow_up"])

    which = [(BASELINE, np.ones(n, bool), baseline), (END, end_done, end),
             (FOLLOW_UP, follow_done, follow)]
    idx = np.concatenate([np.flatnonzero(done) for _, done, _ in which])
    timepoint = np.concatenate([np.full(int(done.sum()), t) for t, done, _ in which])
    day = np.concatenate([days[done] for _, done, days in which])
    order = np.lexsort((timepoint, idx))
    idx, timepoint, day = idx[order], timepoint[order], day[order]
    k = idx.size
    ref = sample[idx]

    after = np.where(timepoint == BASELINE, np.nan, day - pathway.ended[ref])
    g, core = model.state(params, latent, ref, day - received[ref],
                          np.where(timepoint == BASELINE, 0, sessions[idx]),
                          np.where(timepoint == BASELINE, 0, dose[idx]),
                          after_end=np.where(timepoint == BASELINE, 0, after))
    not_independent = rng.random(k) < p["not_independent"]
    not_blind = not_independent | (rng.random(k) < p["not_blind"])
    bias = np.where(not_blind & (timepoint != BASELINE), p["allegiance_bias"], 0.0)
    status = model.interview_status(rng, params, core, bias)
    panel = np.array([d in params["model"]["core"]["comorbidity"] for d in model.DISORDERS])
    assessed = panel[None, :] | (np.arange(len(model.DISORDERS))[None, :]
                                 == latent.primary[ref][:, None])
    worst = np.where(assessed, core, -np.inf)
    usual = model.usual_self(rng, params, g, worst)

    pool = np.array([f"A{i + 1:02d}" for i in range(p["assessors"])])
    study_assessor = pool[rng.integers(0, len(pool), k)]
    clinician = np.array(staff_ids)[pathway.staff_low[ref]] if k else np.zeros(0, str)
    assessor = np.where(not_independent, clinician, study_assessor)

    row, disorder = np.nonzero(assessed)
    months = np.where(timepoint == FOLLOW_UP, np.round(after / DAYS_PER_MONTH, 1), np.nan)
    return Interviews(
        ref=ref[row], timepoint=timepoint[row], day=day[row], months_after_end=months[row],
        assessor=assessor[row], instrument=instrument[idx][row],
        independent=~not_independent[row], blind=~not_blind[row], disorder=disorder,
        status=status[row, disorder], usual_self=usual[row])


def _first_attended(pathway: Pathway, n: int) -> np.ndarray:
    first = np.full(n, np.iinfo(np.int64).max)
    rows = pathway.c_scored
    np.minimum.at(first, pathway.c_ref[rows], pathway.c_day[rows])
    return np.where(first == np.iinfo(np.int64).max, -1, first)
