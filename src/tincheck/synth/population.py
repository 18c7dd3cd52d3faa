"""Who is referred: clients, their demographics, and each referral's starting frame.

A client carries what stays the same across referrals (sex, ethnicity, deprivation,
year of birth, trait severity, engagement trait, usual service). A referral frame adds
what belongs to one referral: when it was received, which episode it is, its primary
disorder and recorded problem descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import codes
from ..instruments import adsm_for
from .services import Calendar, Services


def draw(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    """``n`` indices drawn with probability proportional to ``weights``.

    >>> draw(np.random.default_rng(1), [0, 1, 0], 3).tolist()
    [1, 1, 1]
    """
    return draw_from_u(rng.random(n), weights)


def draw_from_u(u: np.ndarray, weights) -> np.ndarray:
    """The index whose cumulative share first exceeds each uniform ``u``."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    cumulative /= cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)


@dataclass(frozen=True)
class Descriptors:
    """The problem descriptor groups of the parameter file, flattened for sampling.

    ``group_*`` arrays are per group; ``code_*`` arrays per ICD-10 code.
    """

    groups: tuple[str, ...]
    group_weight: np.ndarray
    group_disorder: np.ndarray     # index into codes.values("disorder")
    code_labels: tuple[str, ...]
    code_group: np.ndarray
    code_weight: np.ndarray        # within its group, sums to 1
    code_adsm: tuple[str, ...]     # the anxiety measure the ADSM rule starts from

    @classmethod
    def from_parameters(cls, params: dict) -> Descriptors:
        disorders = codes.values("disorder")
        groups = tuple(params["descriptors"])
        labels, group_of, weights = [], [], []
        for g, name in enumerate(groups):
            table = params["descriptors"][name]["icd10"]
            total = float(sum(table.values()))
            for code, w in table.items():
                labels.append(code)
                group_of.append(g)
                weights.append(w / total)
        entries = params["descriptors"].values()
        return cls(
            groups,
            np.array([e["finished"] for e in entries], dtype=float),
            np.array([disorders.index(e["disorder"]) for e in entries]),
            tuple(labels), np.array(group_of), np.array(weights),
            tuple(adsm_for(code) for code in labels))

    def draw_code(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """An ICD-10 code index within each referral's descriptor group."""
        u = rng.random(len(group))
        out = np.empty(len(group), dtype=np.int64)
        for g in range(len(self.groups)):
            rows = np.flatnonzero(group == g)
            if rows.size:
                members = np.flatnonzero(self.code_group == g)
                out[rows] = members[draw_from_u(u[rows], self.code_weight[members])]
        return out


@dataclass
class Clients:
    """Per client (local index within a chunk)."""

    sex: np.ndarray
    ethnicity: np.ndarray
    imd: np.ndarray
    birth_day: np.ndarray      # day number of birth (age at each referral follows)
    severity: np.ndarray       # stable trait, N(0, 1)
    engagement: np.ndarray     # stable trait, N(0, 1)
    service: np.ndarray
    group: np.ndarray          # usual problem descriptor group
    first_received: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sex)


def draw_clients(rng: np.random.Generator, params: dict, services: Services,
                 descriptors: Descriptors, calendar: Calendar, n: int) -> Clients:
    pop = params["population"]
    bands = np.array(pop["age_bands"], dtype=float)
    band = draw(rng, bands[:, 2], n)
    age = bands[band, 0] + rng.random(n) * (bands[band, 1] + 1 - bands[band, 0])
    received = rng.integers(calendar.first_received, calendar.last_received + 1, n)
    birth_day = (received - age * 365.25).astype(np.int64)
    sexes = codes.values("sex")
    sex_weights = [pop["sex"].get(s, 0) for s in sexes]
    return Clients(
        sex=draw(rng, sex_weights, n),
        ethnicity=draw(rng, list(pop["ethnicity"].values()), n),
        imd=draw(rng, pop["imd_decile"], n) + 1,
        birth_day=birth_day,
        severity=rng.standard_normal(n),
        engagement=rng.standard_normal(n),
        service=draw(rng, services.weight, n),
        group=draw(rng, descriptors.group_weight, n),
        first_received=received,
    )


@dataclass
class Frame:
    """The starting point of a batch of referrals (one per row)."""

    client: np.ndarray
    received: np.ndarray
    episode: np.ndarray
    service: np.ndarray
    group: np.ndarray          # problem descriptor group (the primary disorder's)
    code: np.ndarray           # ICD-10 code index (descriptors.code_labels)
    source: np.ndarray

    @property
    def n(self) -> int:
        return len(self.client)


def first_frame(rng: np.random.Generator, params: dict, clients: Clients,
                descriptors: Descriptors, offset: int = 0) -> Frame:
    """Each client's first referral; ``offset`` is added to client indices."""
    n = clients.n
    sources = codes.values("source")
    return Frame(
        client=np.arange(n) + offset,
        received=clients.first_received.copy(),
        episode=np.zeros(n, dtype=np.int64),
        service=clients.service.copy(),
        group=clients.group.copy(),
        code=descriptors.draw_code(rng, clients.group),
        source=draw(rng, [params["population"]["source"].get(s, 0) for s in sources], n),
    )


def next_frame(rng: np.random.Generator, params: dict, previous: Frame, ended: np.ndarray,
               still_diagnosed: np.ndarray, services: Services, descriptors: Descriptors,
               calendar: Calendar) -> Frame:
    """Re-referrals of the clients of ``previous``: the revolving door.

    A referral that ended may be followed by another, more likely when a disorder is
    still present; it is kept when it is received inside the receipt window.
    """
    p = params["rereferral"]
    logit = p["base_logit"] + p["still_diagnosed_logit"] * still_diagnosed
    again = (ended >= 0) & (rng.random(previous.n) < 1 / (1 + np.exp(-logit)))
    gap = rng.lognormal(np.log(p["gap_median_days"]), p["gap_sd"], previous.n)
    received = ended + np.maximum(1, gap.astype(np.int64))
    keep = np.flatnonzero(again & (received <= calendar.last_received))
    n = keep.size
    same_group = rng.random(n) < p["same_disorder"]
    group = np.where(same_group, previous.group[keep],
                     draw(rng, descriptors.group_weight, n))
    code = np.where(same_group, previous.code[keep], descriptors.draw_code(rng, group))
    same_service = rng.random(n) < p["same_service"]
    service = np.where(same_service, previous.service[keep],
                       draw(rng, services.weight, n))
    sources = codes.values("source")
    return Frame(
        client=previous.client[keep],
        received=received[keep],
        episode=previous.episode[keep] + 1,
        service=service,
        group=group,
        code=code,
        source=draw(rng, [params["population"]["source"].get(s, 0) for s in sources], n),
    )
