"""One chunk of referrals, simulated from its own random stream.

Chunk c holds referrals c * chunk size onwards (``CHUNK_REFERRALS`` by default) and
draws every random number from its own ``numpy.random.Generator`` (PCG64), seeded by
the c-th child of the run's ``SeedSequence``. A chunk's output therefore depends only
on the seed, the parameters, the shared services and c, never on the order or the
process in which chunks are generated.

Within a chunk, clients are drawn in batches; each client's first referral is
simulated, then their re-referrals pass by pass (a re-referral needs the end of the
previous referral), until the chunk holds its referrals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import model
from .interviews import Interviews, conduct
from .measures import Scores, record
from .pathway import HIGH, LOW, STAGES, Pathway, simulate
from .population import Clients, Descriptors, Frame, draw_clients, first_frame, next_frame
from .services import Calendar, Services, build_services

CHUNK_REFERRALS = 50_000
REFERRALS_PER_CLIENT = 1.15  # a first guess of the batch size; any value gives the same data


@dataclass(frozen=True)
class Context:
    """What every chunk of a run shares."""

    params: dict
    services: Services
    calendar: Calendar
    descriptors: Descriptors
    questionnaires: model.Questionnaires
    interview_fraction: float
    chunk_referrals: int = CHUNK_REFERRALS

    def chunks(self, referrals: int) -> list[tuple[int, int]]:
        """(chunk index, referrals in it) for a run of ``referrals``."""
        size = self.chunk_referrals
        return [(c, min(size, referrals - c * size)) for c in range(-(-referrals // size))]


def build_context(params: dict, referrals: int, services: int, interview_fraction: float,
                  stream: np.random.SeedSequence,
                  chunk_referrals: int = CHUNK_REFERRALS) -> Context:
    """The shared context; services and staff are drawn from ``stream``."""
    descriptors = Descriptors.from_parameters(params)
    staff_rng = np.random.Generator(np.random.PCG64(stream))
    return Context(params, build_services(staff_rng, params, services, referrals),
                   Calendar.from_parameters(params), descriptors,
                   model.Questionnaires(params, descriptors), interview_fraction,
                   chunk_referrals)


@dataclass
class Part:
    """A batch of simulated referrals."""

    frame: Frame
    clients: Clients
    client_offset: int
    age: np.ndarray
    descriptor_missing: np.ndarray
    latent: model.Latent
    pathway: Pathway
    scores: Scores


@dataclass
class Chunk:
    """The simulated referrals of one chunk, ready to become tables."""

    index: int
    referrals: dict
    contacts: dict
    scores: dict
    labels: tuple[str, ...]
    interviews: Interviews
    costs: np.ndarray  # (services, financial years, 3): referrals, low, high contacts


def simulate_chunk(ctx: Context, index: int, n: int, seed: np.random.SeedSequence) -> Chunk:
    """Simulate ``n`` referrals for chunk ``index`` from the seed sequence ``seed``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    parts: list[Part] = []
    total = 0
    client_offset = 0
    while total < n:
        batch = max(16, int(np.ceil((n - total) / REFERRALS_PER_CLIENT)))
        clients = draw_clients(rng, ctx.params, ctx.services, ctx.descriptors,
                               ctx.calendar, batch)
        frame = first_frame(rng, ctx.params, clients, ctx.descriptors)
        while frame.n and total < n:
            part = _simulate_part(rng, ctx, frame, clients, client_offset)
            parts.append(part)
            total += frame.n
            frame = next_frame(rng, ctx.params, frame, part.pathway.ended,
                               _still_diagnosed(ctx.params, part), ctx.services,
                               ctx.descriptors, ctx.calendar)
        client_offset += batch
    return _assemble(ctx, index, parts, n, rng)


def _simulate_part(rng, ctx: Context, frame: Frame, clients: Clients, offset: int) -> Part:
    params = ctx.params
    age = np.floor((frame.received - clients.birth_day[frame.client]) / 365.25).astype(np.int64)
    primary = ctx.descriptors.group_disorder[frame.group]
    latent = model.baseline(rng, params, primary, clients.severity[frame.client])
    pathway = simulate(rng, params, frame, clients, latent, ctx.services, ctx.calendar, age)
    missing = np.array([params["descriptor_missing"][stage] for stage in STAGES])
    descriptor_missing = rng.random(frame.n) < missing[pathway.stage]
    scores = record(rng, params, ctx.questionnaires, ctx.descriptors, frame, latent, pathway)
    return Part(frame, clients, offset, age, descriptor_missing, latent, pathway, scores)


def _still_diagnosed(params: dict, part: Part) -> np.ndarray:
    """Whether any disorder is still present when the referral ends."""
    ended = part.pathway.ended
    rows = np.arange(part.frame.n)
    day = np.where(ended >= 0, ended, part.frame.received) - part.frame.received
    _, core = model.state(params, part.latent, rows, day,
                          part.pathway.n_low + part.pathway.n_high,
                          part.pathway.dose_total(params))
    return (core > 0).any(axis=1)


def _assemble(ctx: Context, index: int, parts: list[Part], n: int,
              rng: np.random.Generator) -> Chunk:
    """Concatenate the batches, keep the first ``n`` referrals, add interviews."""
    ref_offset = contact_offset = 0
    referrals, contacts, scores = [], [], []
    for part in parts:
        frame, pathway, clients = part.frame, part.pathway, part.clients
        client = frame.client
        referrals.append(dict(
            client=client + part.client_offset, service=frame.service,
            received=frame.received, ended=pathway.ended, end_reason=pathway.end_reason,
            code=np.where(part.descriptor_missing, -1, frame.code), source=frame.source,
            age=part.age, sex=clients.sex[client], ethnicity=clients.ethnicity[client],
            imd=clients.imd[client], stage=pathway.stage, n_low=pathway.n_low,
            n_high=pathway.n_high, staff_low=pathway.staff_low))
        contacts.append(dict(
            ref=pathway.c_ref + ref_offset, day=pathway.c_day, kind=pathway.c_kind,
            attendance=pathway.c_attendance, intensity=pathway.c_intensity,
            therapy=pathway.c_therapy, medium=pathway.c_medium, staff=pathway.c_staff,
            duration=pathway.c_duration, scored=pathway.c_scored))
        scores.append(dict(contact=part.scores.contact + contact_offset,
                           instrument=part.scores.instrument, score=part.scores.score))
        ref_offset += frame.n
        contact_offset += len(pathway.c_ref)
    referrals = _cut({k: np.concatenate([r[k] for r in referrals]) for k in referrals[0]},
                     slice(0, n))
    contacts = {k: np.concatenate([c[k] for c in contacts]) for k in contacts[0]}
    kept_contacts = int(np.searchsorted(contacts["ref"], n))
    contacts = _cut(contacts, slice(0, kept_contacts))
    scores = {k: np.concatenate([s[k] for s in scores]) for k in scores[0]}
    scores = _cut(scores, slice(0, int(np.searchsorted(scores["contact"], kept_contacts))))

    latent = model.Latent.concat([p.latent for p in parts]).take(np.arange(n))
    pathway = _cut_pathway([p.pathway for p in parts], n, contacts)
    interviews = conduct(rng, ctx.params, ctx.interview_fraction, referrals["service"],
                         referrals["received"], latent, pathway, ctx.services.staff_ids,
                         ctx.calendar.data_end)
    return Chunk(index, referrals, contacts, scores, parts[0].scores.labels, interviews,
                 _costs(ctx, referrals, contacts))


def _cut(arrays: dict, part: slice) -> dict:
    return {k: v[part] for k, v in arrays.items()}


def _cut_pathway(pathways: list[Pathway], n: int, contacts: dict) -> Pathway:
    """The referral-level pathway fields of the kept referrals (contacts as kept)."""
    fields = {f: np.concatenate([getattr(p, f) for p in pathways])[:n] for f in (
        "stage", "path", "n_low", "n_high", "first_treatment", "ended", "end_reason",
        "staff_low", "staff_high")}
    return Pathway(**fields, c_ref=contacts["ref"], c_day=contacts["day"],
                   c_kind=contacts["kind"], c_attendance=contacts["attendance"],
                   c_intensity=contacts["intensity"], c_therapy=contacts["therapy"],
                   c_medium=contacts["medium"], c_staff=contacts["staff"],
                   c_duration=contacts["duration"], c_scored=contacts["scored"],
                   c_sessions=np.zeros(0), c_dose=np.zeros(0))


def _costs(ctx: Context, referrals: dict, contacts: dict) -> np.ndarray:
    """Referrals received and attended low/high treatment contacts per service and year."""
    years = ctx.calendar.financial_years()
    starts = np.array([s for s, _ in years])
    out = np.zeros((ctx.services.count, len(years), 3), dtype=np.int64)
    year = np.searchsorted(starts, referrals["received"], side="right") - 1
    np.add.at(out, (referrals["service"], year, 0), 1)
    treated = contacts["scored"]
    service = referrals["service"][contacts["ref"]]
    year = np.searchsorted(starts, contacts["day"], side="right") - 1
    for column, intensity in ((1, LOW), (2, HIGH)):
        mask = treated & (contacts["intensity"] == intensity)
        np.add.at(out, (service[mask], year[mask], column), 1)
    return out

