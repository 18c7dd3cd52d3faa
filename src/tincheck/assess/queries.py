"""What each role's pages read: small, plain rows holding only what that role may see.

An assessor's pages are built only from :func:`assessor_tasks` and
:func:`assessor_task`, which read the study id, the time point and its window of the
assessor's own assignments, and the assessor's own interviews: never the referral id,
the stratum (it may carry the treatment step) or anyone else's rating.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Max

from .. import codes
from .models import DISORDERS, Assignment, Event, Interview, Participant, User, Visit

# short names of the time points, as assessors and coordinators speak of them
TIMEPOINT_LABELS = {"baseline": "baseline", "end": "end of treatment",
                    "follow_up": "follow-up"}
assert set(TIMEPOINT_LABELS) == set(codes.values("timepoint"))
ORDER = {"baseline": 0, "end": 1, "follow_up": 2}


@dataclass(frozen=True)
class Window:
    start: _dt.date | None
    end: _dt.date | None

    def text(self) -> str:
        if self.start is None:
            return "not yet known"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class Task:
    """One assignment as its assessor sees it."""

    id: int
    study_id: str
    timepoint: str
    timepoint_label: str
    months_after_end: float | None
    window: Window
    second: bool
    cancelled: bool
    recorded: bool
    version: int | None


def _task(a: Assignment, version: int | None) -> Task:
    v = a.visit
    return Task(a.pk, v.participant.study_id, v.timepoint, TIMEPOINT_LABELS[v.timepoint],
                v.months_after_end, Window(v.window_start, v.window_end), a.kind == "second",
                a.cancelled or v.participant.state != "active" and version is None,
                version is not None, version)


def _assessor_rows(user: User):
    # only() keeps the service's side out of the query itself, not just the page
    return (Assignment.objects.filter(assessor=user)
            .select_related("visit__participant")
            .only("id", "kind", "cancelled", "visit__timepoint", "visit__months_after_end",
                  "visit__window_start", "visit__window_end", "visit__participant__study_id",
                  "visit__participant__state")
            .annotate(latest=Max("interviews__version")))


def assessor_tasks(user: User) -> list[Task]:
    """The assessor's own assignments, to do first, by window."""
    tasks = [_task(a, a.latest) for a in _assessor_rows(user)]
    far = _dt.date.max
    return sorted(tasks, key=lambda t: (t.recorded or t.cancelled, t.window.start or far,
                                        t.study_id, ORDER[t.timepoint], t.second))


def assessor_task(user: User, assignment_id: int) -> Task | None:
    """One of the assessor's own assignments (None for anyone else's: no hint it exists)."""
    row = _assessor_rows(user).filter(pk=assignment_id).first()
    return None if row is None else _task(row, row.latest)


@dataclass(frozen=True)
class Version:
    version: int
    reason: str
    saved_at: _dt.datetime
    current: bool
    fields: list[tuple[str, str]]
    statuses: list[tuple[str, str]]


def versions(assignment_id: int) -> list[Version]:
    """Every saved version of one assignment's interview, newest first."""
    from .models import INSTRUMENTS, MODES, STATUSES, UNBLINDED_HOW

    rows = list(Interview.objects.filter(assignment_id=assignment_id)
                .prefetch_related("ratings").order_by("-version"))
    labels, status_labels = dict(DISORDERS), dict(STATUSES)
    out = []
    for i, row in enumerate(rows):
        statuses = {r.disorder: r.status for r in row.ratings.all()}
        fields = [
            ("Interview", dict(INSTRUMENTS)[row.instrument] + (
                f" ({row.instrument_version})" if row.instrument_version else "")),
            ("Date", row.date.isoformat()),
            ("Mode", dict(MODES)[row.mode]),
            ("Duration", f"{row.duration_minutes} minutes"),
            ("Rating period", "lifetime / past episode (retrospective)" if row.retrospective
             else "current"),
            ("Back to usual self", "not asked" if row.usual_self_pct is None
             else f"{row.usual_self_pct}%"),
            ("Became unblinded", ("yes: " + dict(UNBLINDED_HOW)[row.unblinded_how])
             if row.unblinded else "no"),
        ]
        if row.note:
            fields.append(("Note", row.note))
        out.append(Version(row.version, row.reason, row.saved_at, i == 0, fields,
                           [(labels[d], status_labels[statuses[d]]) for d, _ in DISORDERS
                            if d in statuses]))
    return out


def latest_interview(assignment_id: int) -> Interview | None:
    return Interview.objects.filter(assignment_id=assignment_id).prefetch_related(
        "ratings").order_by("-version").first()


# ------------------------------------------------------------------ coordinators

@dataclass(frozen=True)
class Progress:
    timepoint: str
    label: str
    scheduled: int
    window_known: int
    assigned: int
    recorded: int
    second_drawn: int
    second_recorded: int


def progress() -> list[Progress]:
    """Per time point: scheduled interviews of active participants, assigned, recorded."""
    visits = list(Visit.objects.filter(participant__state="active").values_list(
        "id", "timepoint", "window_start", "second_rating"))
    tasks = Assignment.objects.filter(cancelled=False, visit__participant__state="active")
    assigned = Counter(tasks.filter(kind="first").values_list("visit__timepoint", flat=True))
    done = Counter(tasks.filter(kind="first", interviews__version=1).values_list(
        "visit__timepoint", flat=True))
    second_done = Counter(tasks.filter(kind="second", interviews__version=1).values_list(
        "visit__timepoint", flat=True))
    out = []
    for code in codes.values("timepoint"):
        mine = [v for v in visits if v[1] == code]
        out.append(Progress(code, TIMEPOINT_LABELS[code], len(mine),
                            sum(v[2] is not None for v in mine), assigned[code], done[code],
                            sum(v[3] for v in mine), second_done[code]))
    return out


def by_assessor() -> list[dict]:
    """Per assessor: open and recorded assignments."""
    rows = []
    for user in User.objects.filter(role="assessor").order_by("username"):
        tasks = Assignment.objects.filter(assessor=user, cancelled=False)
        recorded = tasks.filter(interviews__version=1).count()
        rows.append({"username": user.username, "code": user.code, "active": user.is_active,
                     "open": tasks.count() - recorded, "recorded": recorded})
    return rows


def participants(state: str | None = None) -> list[dict]:
    """Participants with their stratum (coordinators only) and visit states."""
    qs = Participant.objects.select_related("linkage").order_by("study_id")
    if state:
        qs = qs.filter(state=state)
    recorded = set(Assignment.objects.filter(kind="first", interviews__version=1)
                   .values_list("visit__participant_id", "visit__timepoint"))
    out = []
    for p in qs:
        out.append({"study_id": p.study_id, "state": p.state,
                    "state_label": dict(Participant.STATES)[p.state],
                    "stratum": p.linkage.stratum, "reserve_rank": p.linkage.reserve_rank,
                    "recorded": [TIMEPOINT_LABELS[t] for t in codes.values("timepoint")
                                 if (p.pk, t) in recorded]})
    return out


def next_reserves() -> dict[str, str]:
    """Per stratum, the study id of the reserve to activate next (lowest rank)."""
    out: dict[str, str] = {}
    for p in Participant.objects.filter(state="reserve").select_related("linkage").order_by(
            "linkage__stratum", "linkage__reserve_rank"):
        out.setdefault(p.linkage.stratum, p.study_id)
    return out


def participant_detail(study_id: str) -> dict | None:
    p = Participant.objects.select_related("linkage").filter(study_id=study_id).first()
    if p is None:
        return None
    visits = []
    for v in p.visits.order_by("id"):
        tasks = {a.kind: a for a in v.assignments.select_related("assessor")
                 .annotate(latest=Max("interviews__version"))}
        kinds = ["first"] + (["second"] if v.second_rating else [])
        visits.append({
            "id": v.pk, "timepoint": v.timepoint, "label": TIMEPOINT_LABELS[v.timepoint],
            "months_after_end": v.months_after_end,
            "window": Window(v.window_start, v.window_end).text(),
            "tasks": [{"kind": k, "label": "interview" if k == "first" else
                       "second rating (reliability)",
                       "assessor": tasks[k].assessor.username if k in tasks and
                       not tasks[k].cancelled else None,
                       "recorded": k in tasks and tasks[k].latest is not None,
                       "cancelled": k in tasks and tasks[k].cancelled}
                      for k in kinds]})
    return {"study_id": p.study_id, "state": p.state,
            "state_label": dict(Participant.STATES)[p.state], "stratum": p.linkage.stratum,
            "reserve_rank": p.linkage.reserve_rank, "visits": visits}


def assessors() -> list[tuple[str, str]]:
    return list(User.objects.filter(role="assessor", is_active=True).order_by(
        "username").values_list("username", "code"))


def unassigned() -> list[dict]:
    """Interviews (and drawn second ratings) of active participants with no assessor."""
    out = []
    for v in Visit.objects.filter(participant__state="active").select_related(
            "participant").prefetch_related("assignments").order_by(
                "window_start", "participant__study_id", "id"):
        have = {a.kind for a in v.assignments.all() if not a.cancelled}
        for kind in ["first"] + (["second"] if v.second_rating else []):
            if kind not in have:
                out.append({"visit": v.pk, "kind": kind, "study_id": v.participant.study_id,
                            "label": TIMEPOINT_LABELS[v.timepoint],
                            "what": "interview" if kind == "first" else "second rating",
                            "window": Window(v.window_start, v.window_end).text()})
    return out


def events(limit: int = 200, before: int | None = None) -> list[Event]:
    qs = Event.objects.order_by("-seq")
    if before:
        qs = qs.filter(seq__lt=before)
    return list(qs[:limit])


def chain_head() -> tuple[int, str] | None:
    return Event.objects.order_by("-seq").values_list("seq", "entry_hash").first()
