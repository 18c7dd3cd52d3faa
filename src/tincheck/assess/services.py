"""Every write of the app, each with its audit event in the same transaction.

A view, a command or a test changes the study only by calling one of these functions.
Each runs :func:`_write`: one database transaction that takes the chain lock (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock), applies the
change, and appends one :class:`~tincheck.assess.models.Event` whose ``prev_hash`` is
the current head of the chain. Either both are stored or neither. Models refuse to be
saved anywhere else (:class:`~tincheck.assess.models.WriteOutsideService`).

A rule broken by the caller raises :class:`ServiceError` with a sentence for the user;
nothing is written then.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction

from .chain import GENESIS, canonical_json, entry_hash
from .models import (DISORDERS, INSTRUMENTS, MODES, ROLES, UNBLINDED_HOW, USERNAME,
                     Assignment, Event, Interview, Linkage, Participant, Rating, User, Visit,
                     _service_write)
from .sampling import SampleRow, ScheduleRow, in_second_draw

CHAIN_LOCK = 0x7431_6E63  # the advisory lock id of the chain on PostgreSQL
LOCK_RETRIES = 5          # SQLite: retries after "database is locked" (busy timeout hit)
THROTTLE_FAILURES = 5     # failed logins per user name or per address ...
THROTTLE_MINUTES = 15     # ... within this many minutes refuse further attempts
CODE_PREFIX = {"assessor": "A", "coordinator": "C", "analyst": "N"}
ASSESSED = ("present", "subthreshold", "absent")


class ServiceError(Exception):
    """A rule of the study was broken; the message is for the user. Nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Actor:
    """Who is writing: a signed-in user, or the command line (``role`` ``system``)."""

    username: str
    role: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.username, user.role, user.pk)


def command_line() -> Actor:
    """The actor of a command run at the terminal (named by the operating-system user)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(f"command line ({name})", "system")


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _stamp(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")


# ------------------------------------------------------------------ the one write path

def _write(actor: Actor, action: str, target: str,
           body: Callable[[int, _dt.datetime], tuple[object, dict]]):
    """Run ``body(seq, moment)`` and append its event, in one transaction.

    ``body`` applies the change and returns ``(result, payload)``; the event gets
    sequence number ``seq``. On SQLite a write that still finds the database locked
    after the busy timeout is retried (the whole transaction), never shown as an error
    until the retries are spent.
    """
    for attempt in range(LOCK_RETRIES + 1):
        token = _service_write.set(True)
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
                head = Event.objects.order_by("-seq").values_list("seq", "entry_hash").first()
                seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
                moment = now()
                result, payload = body(seq, moment)
                text = canonical_json(payload)
                at = _stamp(moment)
                Event(seq=seq, at=at, actor=actor.username, role=actor.role, action=action,
                      target=target, payload=text, prev_hash=prev,
                      entry_hash=entry_hash(prev, seq, at, actor.username, actor.role,
                                            action, target, text)).save(force_insert=True)
            return result
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc) \
                    or attempt == LOCK_RETRIES:
                raise
            time.sleep(0.05 * 2 ** attempt)
        finally:
            _service_write.reset(token)
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ study and users

def create_study(actor: Actor, study_uuid: str, settings: dict) -> None:
    """The first event of a study's chain."""
    if Event.objects.exists():
        raise ServiceError("this database already holds a study")
    _write(actor, "study_created", "study",
           lambda seq, at: (None, {"study_uuid": study_uuid, **settings}))


def study_uuid() -> str | None:
    """The study id recorded by the first event (None on an empty database)."""
    import json

    first = Event.objects.filter(seq=1, action="study_created").values_list(
        "payload", flat=True).first()
    return json.loads(first).get("study_uuid") if first else None


def add_user(actor: Actor, username: str, role: str, password: str, *,
             independent: bool = True, blind: bool = True) -> User:
    """A new user with one role; the password is checked by Django's validators and
    stored as an Argon2 hash (never in the audit trail)."""
    username = username.strip()
    try:
        USERNAME(username)
    except ValidationError:
        raise ServiceError(f"user name {username!r}: expected 2-40 characters, lower-case "
                           "letters, digits, '.', '_' or '-', starting with a letter or "
                           "digit", "username") from None
    if role not in dict(ROLES):
        raise ServiceError(f"role {role!r}: expected one of " + ", ".join(dict(ROLES)),
                           "role")
    probe = User(username=username, role=role)
    try:
        validate_password(password, probe)
    except ValidationError as exc:
        raise ServiceError("password: " + " ".join(exc.messages), "password") from None

    def body(seq, moment):
        if User.objects.filter(username=username).exists():
            raise ServiceError(f"a user named {username} already exists", "username")
        prefix = CODE_PREFIX[role]
        number = User.objects.filter(code__startswith=prefix).count() + 1
        user = User(username=username, role=role, code=f"{prefix}{number:02d}",
                    independent=independent, blind=blind, created_at=moment)
        user.set_password(password)
        user.save(force_insert=True)
        return user, {"username": username, "role": role, "code": user.code,
                      "independent": independent, "blind": blind}

    return _write(actor, "user_added", f"user:{username}", body)


def set_user_active(actor: Actor, username: str, active: bool) -> None:
    """Let a user sign in again, or stop them (their records stay attributed to them)."""
    def body(seq, moment):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ServiceError(f"no user named {username}")
        user.is_active = active
        user.save(update_fields=["is_active"])
        return None, {"username": username, "active": active}

    _write(actor, "user_enabled" if active else "user_disabled", f"user:{username}", body)


def _recent(action: str, since: _dt.datetime, **filters) -> int:
    return Event.objects.filter(action=action, at__gte=_stamp(since), **filters).count()


def login_allowed(username: str, address: str) -> bool:
    """False after THROTTLE_FAILURES failed sign-ins within THROTTLE_MINUTES, for this
    user name or from this address (the audit trail is the record of failures)."""
    since = now() - _dt.timedelta(minutes=THROTTLE_MINUTES)
    known = User.objects.filter(username=username).exists()
    if known and _recent("login_failed", since, target=f"user:{username}") >= \
            THROTTLE_FAILURES:
        return False
    return _recent("login_failed", since,
                   payload__contains=canonical_json({"address": address})[1:-1]) \
        < THROTTLE_FAILURES


def record_login(user: User, address: str) -> None:
    _write(Actor.of(user), "login", f"user:{user.username}",
           lambda seq, at: (None, {"address": address}))


def record_login_failed(username: str, address: str, throttled: bool = False) -> None:
    """A failed sign-in. A user name that is not a user's is not recorded (it may be a
    password typed in the wrong box)."""
    known = User.objects.filter(username=username).exists()
    name = username if known else "(unknown user name)"
    _write(Actor(name, "none"), "login_failed", f"user:{name}",
           lambda seq, at: (None, {"address": address, "throttled": throttled}))


def record_logout(user: User) -> None:
    _write(Actor.of(user), "logout", f"user:{user.username}", lambda seq, at: (None, {}))


# ------------------------------------------------------------------ the sample

def load_sample(actor: Actor, sample: list[SampleRow], schedule: list[ScheduleRow], *,
                share: float, seed: str, files: dict[str, str]) -> dict:
    """Store a checked sample and schedule; a later load of updated files adds new rows
    and updates windows (e.g. once a referral has ended), never changes who a study id
    is. Returns counts of what changed."""
    def body(seq, moment):
        existing = {p.study_id: p for p in Participant.objects.select_related("linkage")}
        summary = {"participants_added": 0, "reserves_added": 0, "visits_added": 0,
                   "windows_updated": 0, "second_ratings_drawn": 0, "unchanged": 0}
        changes = []
        taken = dict(Linkage.objects.values_list("referral_id", "participant__study_id"))
        for row in sample:
            person = existing.get(row.study_id)
            if person is not None:
                link = person.linkage
                if (link.referral_id, link.stratum) != (row.referral_id, row.stratum):
                    raise ServiceError(f"study_id {row.study_id} is already loaded with "
                                       "another referral or stratum; a study id never "
                                       "changes whom it stands for")
                continue
            if row.referral_id in taken:
                raise ServiceError(f"study_id {row.study_id}: its referral is already in the "
                                   f"study as {taken[row.referral_id]}")
            person = Participant(study_id=row.study_id,
                                 state="active" if row.selection == "sample" else "reserve")
            person.save(force_insert=True)
            Linkage(participant=person, referral_id=row.referral_id, stratum=row.stratum,
                    selection=row.selection, reserve_rank=row.reserve_rank).save(
                        force_insert=True)
            existing[row.study_id] = person
            summary["reserves_added" if row.selection == "reserve" else
                    "participants_added"] += 1
        visits = {(v.participant.study_id, v.timepoint): v
                  for v in Visit.objects.select_related("participant")}
        for row in schedule:
            visit = visits.get((row.study_id, row.timepoint))
            new = (row.months_after_end, row.anchor, row.window_start, row.window_end)
            if visit is None:
                drawn = in_second_draw(seed, row.study_id, row.timepoint, share)
                Visit(participant=existing[row.study_id], timepoint=row.timepoint,
                      months_after_end=row.months_after_end, anchor=row.anchor,
                      window_start=row.window_start, window_end=row.window_end,
                      second_rating=drawn).save(force_insert=True)
                summary["visits_added"] += 1
                summary["second_ratings_drawn"] += drawn
                continue
            old = (visit.months_after_end, visit.anchor, visit.window_start, visit.window_end)
            if old == new:
                summary["unchanged"] += 1
                continue
            visit.months_after_end, visit.anchor, visit.window_start, visit.window_end = new
            visit.save()
            summary["windows_updated"] += 1
            changes.append({"study_id": row.study_id, "timepoint": row.timepoint,
                            "from": [_iso(x) for x in old], "to": [_iso(x) for x in new]})
        return summary, {**summary, "files": files, "second_rating_share": share,
                         "window_changes": changes}

    return _write(actor, "sample_loaded", "sample", body)


def _iso(value):
    return value.isoformat() if isinstance(value, _dt.date) else value


def decline(actor: Actor, study_id: str) -> None:
    """A participant declined or withdrew: no further interviews are assigned; tasks not
    yet recorded are cancelled. Interviews already recorded stay and are exported."""
    def body(seq, moment):
        person = _participant(study_id)
        if person.state != "active":
            raise ServiceError(f"{study_id} is not in the sample (state: {person.state})")
        person.state = "declined"
        person.save(update_fields=["state"])
        cancelled = []
        for task in Assignment.objects.filter(visit__participant=person, cancelled=False,
                                              interviews__isnull=True):
            task.cancelled = True
            task.save(update_fields=["cancelled"])
            cancelled.append([task.visit.timepoint, task.kind])
        return None, {"study_id": study_id, "cancelled": cancelled}

    _write(actor, "participant_declined", f"participant:{study_id}", body)


def activate_reserve(actor: Actor, study_id: str) -> None:
    """A reserve joins the sample (in place of someone who declined)."""
    def body(seq, moment):
        person = _participant(study_id)
        if person.state != "reserve":
            raise ServiceError(f"{study_id} is not a reserve (state: {person.state})")
        person.state = "active"
        person.save(update_fields=["state"])
        return None, {"study_id": study_id}

    _write(actor, "reserve_activated", f"participant:{study_id}", body)


def _participant(study_id: str) -> Participant:
    person = Participant.objects.filter(study_id=study_id).first()
    if person is None:
        raise ServiceError(f"no participant {study_id}")
    return person


def assign(actor: Actor, visit_id: int, kind: str, assessor: str) -> Assignment:
    """Give a visit's interview (``first``) or its second rating (``second``) to an
    assessor; reassigning is allowed until the interview is recorded."""
    def body(seq, moment):
        visit = Visit.objects.select_related("participant").filter(pk=visit_id).first()
        if visit is None:
            raise ServiceError("no such interview")
        study_id = visit.participant.study_id
        if visit.participant.state != "active":
            raise ServiceError(f"{study_id} is not in the sample (state: "
                               f"{visit.participant.state})")
        if kind not in ("first", "second"):
            raise ServiceError("kind: expected first or second")
        if kind == "second" and not visit.second_rating:
            raise ServiceError("this interview was not drawn for a second rating")
        person = User.objects.filter(username=assessor, role="assessor",
                                     is_active=True).first()
        if person is None:
            raise ServiceError(f"{assessor!r} is not an active assessor", "assessor")
        other = Assignment.objects.filter(visit=visit, cancelled=False).exclude(
            kind=kind).select_related("assessor").first()
        if other is not None and other.assessor_id == person.pk:
            raise ServiceError("the second rating needs a different assessor from the "
                               "interview's", "assessor")
        task = Assignment.objects.filter(visit=visit, kind=kind).first()
        previous = None
        if task is not None:
            if task.interviews.exists():
                raise ServiceError("this interview is already recorded: it cannot be "
                                   "reassigned")
            previous = task.assessor.code
            task.assessor, task.assigned_at, task.cancelled = person, moment, False
            task.save()
        else:
            task = Assignment(visit=visit, kind=kind, assessor=person, assigned_at=moment)
            task.save(force_insert=True)
        return task, {"study_id": study_id, "timepoint": visit.timepoint, "kind": kind,
                      "assessor": person.code, "previous_assessor": previous}

    return _write(actor, "assigned", f"visit:{visit_id}:{kind}", body)


# ------------------------------------------------------------------ interviews

@dataclass(frozen=True)
class InterviewData:
    """What an assessor records (the interview form's cleaned data)."""

    instrument: str
    date: _dt.date
    mode: str
    duration_minutes: int
    retrospective: bool
    unblinded: bool
    statuses: dict[str, str]
    instrument_version: str = ""
    usual_self_pct: int | None = None
    unblinded_how: str = ""
    note: str = ""
    outside_window: bool = False  # the assessor confirmed a date outside the window
    extra: dict = field(default_factory=dict)

    def content(self) -> dict:
        """The recorded content (as stored, and as written to the audit event)."""
        out = asdict(self)
        for key in ("outside_window", "extra"):
            out.pop(key)
        out["date"] = self.date.isoformat()
        out["statuses"] = {d: self.statuses[d] for d, _ in DISORDERS}
        return out


def check_interview(data: InterviewData, visit: Visit | None = None,
                    today: _dt.date | None = None) -> None:
    """The rules of one interview (raises :class:`ServiceError` naming the field)."""
    today = today or _dt.datetime.now().date()
    if data.instrument not in dict(INSTRUMENTS):
        raise ServiceError("choose the interview used", "instrument")
    if data.mode not in dict(MODES):
        raise ServiceError("choose how the interview was done", "mode")
    if not 1 <= data.duration_minutes <= 600:
        raise ServiceError("duration: expected 1 to 600 minutes", "duration_minutes")
    if data.usual_self_pct is not None and not 0 <= data.usual_self_pct <= 100:
        raise ServiceError("usual self: expected 0 to 100", "usual_self_pct")
    if data.date > today:
        raise ServiceError("the date is in the future", "date")
    missing = [label for code, label in DISORDERS if code not in data.statuses]
    if missing:
        raise ServiceError("rate every module (present, subthreshold, absent or not "
                           "assessed); missing: " + ", ".join(missing), "statuses")
    bad = {d: s for d, s in data.statuses.items()
           if d not in dict(DISORDERS) or s not in (*ASSESSED, "not_assessed")}
    if bad:
        raise ServiceError("unknown module or status: " + ", ".join(bad), "statuses")
    if not any(s in ASSESSED for s in data.statuses.values()):
        raise ServiceError("at least one module must be rated present, subthreshold or "
                           "absent", "statuses")
    if data.unblinded and data.unblinded_how not in dict(UNBLINDED_HOW):
        raise ServiceError("say how you became unblinded", "unblinded_how")
    if not data.unblinded and data.unblinded_how:
        raise ServiceError("'how' is only for an interview in which you became unblinded",
                           "unblinded_how")
    if data.unblinded_how == "other" and not data.note.strip():
        raise ServiceError("say in the note how you became unblinded", "note")
    if visit is not None and visit.window_start and visit.window_end and \
            not visit.window_start <= data.date <= visit.window_end and \
            not data.outside_window:
        raise ServiceError(f"the date is outside the window ({visit.window_start} to "
                           f"{visit.window_end}); tick 'outside the window' to record it "
                           "anyway", "date")


ORDER = {"baseline": 0, "end": 1, "follow_up": 2}


def _check_order(task: Assignment, data: InterviewData) -> None:
    """Baseline on or before end, end on or before follow-up (first ratings); the other
    dates are not shown."""
    if task.kind != "first":
        return
    mine = ORDER[task.visit.timepoint]
    current = {}
    for other in Interview.objects.filter(
            assignment__visit__participant=task.visit.participant_id,
            assignment__kind="first").exclude(assignment=task).select_related(
                "assignment__visit").order_by("assignment_id", "version"):
        current[other.assignment_id] = other  # only the current version counts
    for other in current.values():
        theirs = ORDER[other.assignment.visit.timepoint]
        if (theirs < mine and other.date > data.date) or (theirs > mine and
                                                          other.date < data.date):
            raise ServiceError(
                "the date must come after this person's earlier interviews and before their "
                "later ones (baseline, end, follow-up)", "date")


def _store(task: Assignment, version: int, data: InterviewData, reason: str, actor: Actor,
           seq: int, moment) -> Interview:
    row = Interview(assignment=task, version=version, reason=reason,
                    instrument=data.instrument, instrument_version=data.instrument_version,
                    date=data.date, mode=data.mode, duration_minutes=data.duration_minutes,
                    retrospective=data.retrospective, usual_self_pct=data.usual_self_pct,
                    unblinded=data.unblinded, unblinded_how=data.unblinded_how,
                    note=data.note, saved_by_id=actor.user_id, saved_at=moment,
                    event_seq=seq)
    row.save(force_insert=True)
    for disorder, _ in DISORDERS:
        Rating(interview=row, disorder=disorder,
               status=data.statuses[disorder]).save(force_insert=True)
    return row


def _own_task(actor: Actor, assignment_id: int) -> Assignment:
    task = Assignment.objects.select_related("visit__participant").filter(
        pk=assignment_id, assessor_id=actor.user_id).first()
    if task is None or actor.role != "assessor":
        raise ServiceError("no such interview among yours")
    if task.cancelled:
        raise ServiceError("this interview was cancelled")
    return task


def save_interview(actor: Actor, assignment_id: int, data: InterviewData) -> Interview:
    """Record an assigned interview (version 1). Once saved it is locked."""
    def body(seq, moment):
        task = _own_task(actor, assignment_id)
        if task.visit.participant.state != "active":
            raise ServiceError("this participant is no longer in the sample")
        if task.interviews.exists():
            raise ServiceError("this interview is already recorded; record a correction "
                               "instead")
        check_interview(data, task.visit)
        _check_order(task, data)
        row = _store(task, 1, data, "", actor, seq, moment)
        return row, _interview_payload(task, 1, "", data)

    return _write(actor, "interview_saved", f"assignment:{assignment_id}", body)


def correct_interview(actor: Actor, assignment_id: int, data: InterviewData,
                      reason: str) -> Interview:
    """A correction: a new version with a reason; earlier versions stay readable."""
    reason = reason.strip()
    if len(reason) < 5:
        raise ServiceError("give the reason for the correction (at least 5 characters)",
                           "reason")

    def body(seq, moment):
        task = _own_task(actor, assignment_id)
        last = task.interviews.order_by("-version").first()
        if last is None:
            raise ServiceError("there is nothing to correct: the interview is not recorded")
        check_interview(data, task.visit)
        _check_order(task, data)
        row = _store(task, last.version + 1, data, reason, actor, seq, moment)
        return row, _interview_payload(task, row.version, reason, data)

    return _write(actor, "interview_corrected", f"assignment:{assignment_id}", body)


def _interview_payload(task: Assignment, version: int, reason: str,
                       data: InterviewData) -> dict:
    return {"study_id": task.visit.participant.study_id, "timepoint": task.visit.timepoint,
            "kind": task.kind, "version": version, "reason": reason,
            "content": data.content()}


def interview_content(row: Interview) -> dict:
    """The content of a stored interview version, as its audit event holds it."""
    statuses = dict(row.ratings.values_list("disorder", "status"))
    return InterviewData(
        instrument=row.instrument, date=row.date, mode=row.mode,
        duration_minutes=row.duration_minutes, retrospective=row.retrospective,
        unblinded=row.unblinded, statuses=statuses,
        instrument_version=row.instrument_version, usual_self_pct=row.usual_self_pct,
        unblinded_how=row.unblinded_how, note=row.note).content()


def record_export(actor: Actor, summary: dict) -> Event:
    """An export: its event (file hash, rows) becomes the chain head the manifest names."""
    def body(seq, moment):
        return seq, summary

    seq = _write(actor, "exported", "interviews", body)
    return Event.objects.get(seq=seq)
