"""The study's tables: what the app stores, and nothing more.

Blinding by data minimisation: the database never receives therapy, therapist,
sessions, end reason or any questionnaire score. The service's side of the sample (the
referral id, needed only for the export, and the stratum, which may carry the
treatment step) lives in :class:`Linkage`, a table that no assessor's page reads.

Interviews and their ratings are never changed: a correction is a new
:class:`Interview` row with the next version number, and the newest version is the
current one. The :class:`Event` table is the append-only audit trail; database
triggers (migration 0002) refuse UPDATE and DELETE on it and on the interview tables.

Every write goes through :mod:`tincheck.assess.services`: ``save()`` outside it
raises, so a view cannot write without appending its audit event.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from .. import codes

ROLES = (("coordinator", "coordinator"), ("assessor", "assessor"), ("analyst", "analyst"))
STATUSES = tuple((c.value, c.label) for c in codes.STATUS) + (
    ("not_assessed", "not assessed"),)
MODES = tuple((c.value, c.label) for c in codes.MEDIUM
              if c.value in ("face_to_face", "video", "telephone"))
INSTRUMENTS = tuple((c.value, c.value) for c in codes.INTERVIEW_INSTRUMENT)
TIMEPOINTS = tuple((c.value, c.label) for c in codes.TIMEPOINT)
DISORDERS = tuple((c.value, c.label) for c in codes.DISORDER)
UNBLINDED_HOW = (
    ("client_named_therapy", "the client named the therapy or the therapist"),
    ("client_described_treatment", "the client described the treatment or its length"),
    ("client_mentioned_scores", "the client mentioned questionnaire scores"),
    ("saw_record", "saw a letter or a record"),
    ("other", "another way (say how in the note)"),
)
USERNAME = RegexValidator(r"^[a-z0-9][a-z0-9._-]{1,39}$",
                          "2-40 characters: lower-case letters, digits, '.', '_' or '-'")

_service_write: ContextVar[bool] = ContextVar("tincheck_assess_service_write", default=False)


class WriteOutsideService(RuntimeError):
    """A model was saved or deleted outside :mod:`tincheck.assess.services`."""


class Guarded(models.Model):
    """A model whose rows are written only inside a service function's transaction."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not _service_write.get():
            raise WriteOutsideService(f"{type(self).__name__} written outside "
                                      "tincheck.assess.services (no audit event)")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise WriteOutsideService(f"{type(self).__name__} rows are never deleted")


class UserManager(BaseUserManager):
    def get_by_natural_key(self, username):
        return self.get(username=username)


class User(AbstractBaseUser):
    """A person who uses the app, with exactly one role. There is no superuser."""

    username = models.CharField(max_length=40, unique=True, validators=[USERNAME])
    role = models.CharField(max_length=12, choices=ROLES)
    # the pseudonymous assessor id written to the interviews table (never the name)
    code = models.CharField(max_length=12, unique=True)
    independent = models.BooleanField(default=True)
    blind = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    last_login = None  # logins are events of the audit trail, not a column

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["role"]
    objects = UserManager()

    def save(self, *args, **kwargs):
        # Django rehashes a password on login when the hasher's parameters change:
        # that one column may be written by the framework.
        if not _service_write.get() and kwargs.get("update_fields") != ["password"]:
            raise WriteOutsideService("User written outside tincheck.assess.services")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.username


class Participant(Guarded):
    """One person of the study sample, known to the app by the study id alone."""

    STATES = (("active", "in the sample"), ("reserve", "reserve (not yet needed)"),
              ("declined", "declined or withdrew"))
    study_id = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=10, choices=STATES)

    class Meta:
        ordering = ["study_id"]


class Linkage(Guarded):
    """The service's side of a participant: never read by an assessor's page."""

    participant = models.OneToOneField(Participant, on_delete=models.PROTECT,
                                       primary_key=True, related_name="linkage")
    referral_id = models.CharField(max_length=200, unique=True)
    stratum = models.CharField(max_length=500)
    selection = models.CharField(max_length=10)
    reserve_rank = models.PositiveIntegerField(null=True)


class Visit(Guarded):
    """One scheduled interview: a participant at a time point, with its window."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="visits")
    timepoint = models.CharField(max_length=10, choices=TIMEPOINTS)
    months_after_end = models.FloatField(null=True)
    anchor = models.CharField(max_length=10)
    window_start = models.DateField(null=True)
    window_end = models.DateField(null=True)
    # drawn for a second, independent rating (inter-rater reliability)
    second_rating = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "timepoint"],
                                               name="one_visit_per_timepoint")]


class Assignment(Guarded):
    """An assessor's task: the first rating of a visit, or its second rating."""

    KINDS = (("first", "interview"), ("second", "second rating (reliability)"))
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="assignments")
    kind = models.CharField(max_length=6, choices=KINDS)
    assessor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField()
    cancelled = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "kind"],
                                               name="one_assignment_per_kind")]


class Interview(Guarded):
    """One saved version of an interview (version 1, then corrections). Never changed."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT,
                                   related_name="interviews")
    version = models.PositiveIntegerField()
    reason = models.TextField(max_length=1000, blank=True)
    instrument = models.CharField(max_length=10, choices=INSTRUMENTS)
    instrument_version = models.CharField(max_length=40, blank=True)
    date = models.DateField()
    mode = models.CharField(max_length=12, choices=MODES)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(600)])
    retrospective = models.BooleanField()
    usual_self_pct = models.PositiveSmallIntegerField(
        null=True, validators=[MaxValueValidator(100)])
    unblinded = models.BooleanField()
    unblinded_how = models.CharField(max_length=30, choices=UNBLINDED_HOW, blank=True)
    note = models.TextField(max_length=1000, blank=True)
    saved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField()
    event_seq = models.BigIntegerField(unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "version"],
                                               name="one_row_per_version")]
        ordering = ["assignment_id", "version"]


class Rating(Guarded):
    """The status of one disorder module in one interview version. Never changed."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="ratings")
    disorder = models.CharField(max_length=30, choices=DISORDERS)
    status = models.CharField(max_length=12, choices=STATUSES)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interview", "disorder"],
                                               name="one_status_per_disorder")]


class Event(Guarded):
    """One entry of the append-only, hash-chained audit trail (see chain.py)."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.CharField(max_length=40)
    actor = models.CharField(max_length=80)
    role = models.CharField(max_length=12)
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=120)
    payload = models.TextField()
    prev_hash = models.CharField(max_length=64, unique=True)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
