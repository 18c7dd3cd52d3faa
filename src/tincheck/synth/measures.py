"""Questionnaire scores recorded at attended contacts, read from the latent state.

PHQ-9 and GAD-7 are recorded at every attended assessment and treatment contact; the
problem descriptor's anxiety-disorder-specific measure (ADSM) too, for the share of
referrals whose service records it; WSAS at the first and last scored contact. Some
referrals have no scores at all and some contacts miss theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..instruments import DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE, INSTRUMENTS
from . import model
from .pathway import COURSE, Pathway
from .population import Descriptors, Frame

FUNCTIONING_MEASURE = "WSAS"


@dataclass
class Scores:
    """One row per score: the contact row it was recorded at, instrument, score."""

    contact: np.ndarray
    instrument: np.ndarray   # index into ``labels``
    score: np.ndarray
    labels: tuple[str, ...]


def instrument_labels(questionnaires: model.Questionnaires) -> tuple[str, ...]:
    """Instruments in the order they are written for one contact."""
    measured = questionnaires.measured()
    adsms = tuple(i for i in INSTRUMENTS if i in measured and i not in (
        DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE, FUNCTIONING_MEASURE))
    return (DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE) + adsms + (FUNCTIONING_MEASURE,)


def record(rng: np.random.Generator, params: dict, questionnaires: model.Questionnaires,
           descriptors: Descriptors, frame: Frame, latent: model.Latent,
           pathway: Pathway) -> Scores:
    """Scores of a batch of referrals, ordered by contact row then instrument."""
    q = params["model"]["questionnaires"]
    labels = instrument_labels(questionnaires)
    rows = np.flatnonzero(pathway.c_scored)
    ref = pathway.c_ref[rows]
    unmeasured = rng.random(frame.n) < q["referral_unmeasured"]
    kept = ~unmeasured[ref] & (rng.random(len(rows)) >= q["contact_missing"])
    rows, ref = rows[kept], ref[kept]
    days = pathway.c_day[rows] - frame.received[ref]
    g, core = model.state(params, latent, ref, days, pathway.c_sessions[rows],
                          pathway.c_dose[rows])
    first = np.r_[True, ref[1:] != ref[:-1]] if len(ref) else np.zeros(0, bool)
    last = np.r_[ref[1:] != ref[:-1], True] if len(ref) else np.zeros(0, bool)
    finished = (pathway.stage[ref] == COURSE) & (pathway.ended[ref] >= 0)
    g = g - q["end_bias"] * (last & finished)

    adsm = np.array(descriptors.code_adsm)[frame.code]
    recorded = rng.random(frame.n) < q["adsm_recorded"]
    parts = []
    for position, instrument in enumerate(labels):
        if instrument in (DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE):
            mask = np.ones(len(rows), bool)
        elif instrument == FUNCTIONING_MEASURE:
            mask = first | last
        else:
            mask = (adsm[ref] == instrument) & recorded[ref]
        if not mask.any():
            continue
        value = questionnaires.latent(instrument, g[mask], core[mask],
                                      latent.impairment[ref[mask]])
        parts.append((rows[mask], np.full(int(mask.sum()), position),
                      questionnaires.score(rng, instrument, value)))
    if not parts:
        return Scores(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), labels)
    contact, instrument, score = (np.concatenate(x) for x in zip(*parts))
    order = np.lexsort((instrument, contact))
    return Scores(contact[order], instrument[order], score[order], labels)
