"""The synthetic services, their staff, and the calendar every chunk shares.

Built once per run from the run's global random stream, so every chunk sees the same
services and therapists whatever order chunks are generated in.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from .. import codes
from . import therapists

EPOCH = _dt.date(1970, 1, 1)

# Staff roles by what they deliver (codes.ROLE).
PWP, HI_THERAPIST, COUNSELLOR, OTHER_ROLE = (codes.values("role").index(r) for r in
                                              ("pwp", "hi_therapist", "counsellor", "other"))


def day_number(day: _dt.date) -> int:
    """Days since 1970-01-01 (the Arrow date32 representation)."""
    return (day - EPOCH).days


def add_months(day: _dt.date, months: int) -> _dt.date:
    """The same day of the month ``months`` later (clamped to the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return _dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Calendar:
    """Receipt window and extract date, as day numbers."""

    first_received: int
    last_received: int
    data_end: int

    @classmethod
    def from_parameters(cls, params: dict) -> Calendar:
        cal = params["calendar"]
        start = cal["first_received"]
        last = add_months(start, cal["received_months"]) - _dt.timedelta(days=1)
        end = add_months(start, cal["data_end_months"]) - _dt.timedelta(days=1)
        return cls(day_number(start), day_number(last), day_number(end))

    def financial_years(self) -> list[tuple[int, int]]:
        """(first day, last day) of each April-March year from receipt to extract."""
        first = EPOCH + _dt.timedelta(days=self.first_received)
        year = first.year if first.month >= 4 else first.year - 1
        periods = []
        while True:
            start = day_number(_dt.date(year, 4, 1))
            if start > self.data_end:
                return periods
            end = min(day_number(_dt.date(year + 1, 3, 31)), self.data_end)
            periods.append((start, end))
            year += 1


@dataclass(frozen=True)
class Services:
    """K services and their staff.

    Per service: ``weight`` (share of referrals), ``wait_factor`` (multiplies the median
    wait), ``engagement`` (probit shift), ``effect`` (multiplies treatment effects).
    Staff arrays are global: ``staff_service``, ``staff_role`` and three competence
    ratings (0-6); ``by_role[s][r]`` lists the staff indices of role r in service s.
    """

    ids: tuple[str, ...]
    weight: np.ndarray
    wait_factor: np.ndarray
    engagement: np.ndarray
    effect: np.ndarray
    staff_ids: tuple[str, ...]
    staff_service: np.ndarray
    staff_role: np.ndarray
    competence: np.ndarray  # (staff, 3): diagnosis-specific, stage-specific, generic
    therapist_logit: np.ndarray  # (staff,): effect on the log-odds of recovery (therapists.py)
    role_start: np.ndarray  # (K, roles): first index into role_members
    role_count: np.ndarray  # (K, roles)
    role_members: np.ndarray

    @property
    def count(self) -> int:
        return len(self.ids)

    def pick_staff(self, rng: np.random.Generator, service: np.ndarray,
                   role: np.ndarray) -> np.ndarray:
        """A random member of ``role`` in each ``service`` (falls back to PWPs)."""
        role = np.where(self.role_count[service, role] > 0, role, PWP)
        count = self.role_count[service, role]
        pick = (rng.random(len(service)) * count).astype(np.int64)
        return self.role_members[self.role_start[service, role] + pick]


def build_services(rng: np.random.Generator, params: dict, count: int,
                   referrals: int) -> Services:
    """``count`` services with staff in proportion to the referrals each will receive."""
    p = params["services"]
    weight = rng.lognormal(0.0, p["size_sd"], count)
    weight /= weight.sum()
    # Service effects are centred on the referral-weighted mean, so that the national
    # figures stay on target whichever services a seed happens to draw.
    log_wait = rng.normal(0.0, p["wait_sd"], count)
    wait_factor = np.exp(log_wait - weight @ log_wait)
    engagement = rng.normal(0.0, p["engagement_sd"], count)
    engagement -= weight @ engagement
    log_effect = rng.normal(0.0, p["effect_sd"], count)
    effect = np.exp(log_effect - weight @ log_effect)
    width = max(2, len(str(count)))
    ids = tuple(f"SYN{i + 1:0{width}d}" for i in range(count))

    volume = weight * referrals
    n_pwp = np.maximum(2, np.round(volume / p["referrals_per_pwp"])).astype(int)
    n_hi = np.maximum(2, np.round(volume / p["referrals_per_hi"])).astype(int)
    services, roles = [], []
    for s in range(count):
        hi_roles = rng.choice(
            [HI_THERAPIST, COUNSELLOR, OTHER_ROLE], size=n_hi[s],
            p=_shares([1 - p["counsellor_share"] - p["other_role_share"],
                       p["counsellor_share"], p["other_role_share"]]))
        hi_roles[0] = HI_THERAPIST  # every service has at least one
        services += [s] * (n_pwp[s] + n_hi[s])
        roles += [PWP] * n_pwp[s] + list(hi_roles)
    staff_service = np.array(services, dtype=np.int64)
    staff_role = np.array(roles, dtype=np.int64)
    n_staff = len(staff_role)
    competence = therapists.ratings(rng, params, n_staff)
    numbers = np.zeros(n_staff, dtype=np.int64)
    for s in range(count):
        members = staff_service == s
        numbers[members] = np.arange(1, members.sum() + 1)
    staff_ids = tuple(f"{ids[s]}-T{n:03d}" for s, n in zip(staff_service, numbers))

    n_roles = len(codes.values("role"))
    order = np.lexsort((np.arange(n_staff), staff_role, staff_service))
    key = staff_service[order] * n_roles + staff_role[order]
    role_count = np.bincount(key, minlength=count * n_roles).reshape(count, n_roles)
    role_start = (np.cumsum(role_count.ravel()) - role_count.ravel()).reshape(count, n_roles)
    logit = therapists.effects(rng, params, competence)  # drawn last: earlier draws unchanged
    return Services(ids, weight, wait_factor, engagement, effect, staff_ids, staff_service,
                    staff_role, competence, logit, role_start, role_count, order)


def _shares(values) -> np.ndarray:
    values = np.clip(np.asarray(values, dtype=float), 0, None)
    return values / values.sum()
