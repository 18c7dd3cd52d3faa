"""The append-only, hash-chained audit trail.

The chain verifies after 1,000 random actions through the service layer; UPDATE,
DELETE (and on PostgreSQL TRUNCATE) on the event table fail through SQL; altering one
byte of one stored event makes ``tincheck assess verify`` name that event, and altering
a stored rating makes it name the interview.
"""

from __future__ import annotations

import datetime as _dt
import random

import pytest
from typer.testing import CliRunner

from tincheck.cli import app

from .conftest import load, users
from .helpers import synthetic_sample

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

pytest.importorskip("django")

ACTIONS = 1000


def test_the_audit_trail(study, tmp_path_factory, tmp_path):
    """One test per database, so that the 1,000 actions run once per database (whatever
    worker runs the test)."""
    busy = _busy(tmp_path_factory)
    _chain_verifies_after_1000_random_actions(study, busy)
    _update_delete_truncate_on_the_event_table_fail(study, busy)
    _one_altered_byte_makes_verify_name_that_event(study, busy)
    _an_altered_rating_is_named_by_verify(study, busy)
    _a_manifest_names_the_chain_head_and_verify_checks_it(study, busy, tmp_path)


def _busy(tmp_path_factory):
    """A study after 1,000 random actions (every one an event)."""
    from tincheck.assess import services
    from tincheck.assess.exporting import export
    from tincheck.assess.models import Assignment, Event, Participant, Visit
    from tincheck import codes

    folder = tmp_path_factory.mktemp("trail")
    _, sample_path, schedule_path = synthetic_sample(folder, referrals=1500, sample=40)
    people = users(("cora", "coordinator"), ("alice", "assessor"), ("bob", "assessor"),
                   ("carl", "assessor"), ("ann", "analyst"))
    load(sample_path, schedule_path, share=0.3)
    rng = random.Random(20)
    coordinator = services.Actor.of(people["cora"])
    assessors = ["alice", "bob", "carl"]
    disorders = codes.values("disorder")
    visits = list(Visit.objects.select_related("participant"))
    start = Event.objects.count()
    failures = 0
    while Event.objects.count() - start < ACTIONS:
        kind = rng.choices(["assign", "save", "correct", "login", "failed", "decline",
                            "activate", "export"], [30, 30, 12, 10, 5, 1, 2, 1])[0]
        try:
            if kind == "assign":
                visit = rng.choice(visits)
                services.assign(coordinator, visit.pk, rng.choice(["first", "second"]),
                                rng.choice(assessors))
            elif kind in ("save", "correct"):
                task = Assignment.objects.filter(cancelled=False).order_by("?").first()
                if task is None:
                    continue
                actor = services.Actor.of(task.assessor)
                visit = task.visit
                day = visit.window_start + _dt.timedelta(days=rng.randint(0, 28))
                data = services.InterviewData(
                    instrument=rng.choice(codes.values("interview_instrument")), date=day,
                    mode=rng.choice(["video", "telephone", "face_to_face"]),
                    duration_minutes=rng.randint(20, 120), retrospective=rng.random() < .1,
                    unblinded=False, usual_self_pct=rng.randint(0, 100),
                    statuses={d: rng.choice(["present", "subthreshold", "absent",
                                             "not_assessed"]) for d in disorders}
                    | {"depression": rng.choice(["present", "absent"])},
                    outside_window=True)
                if kind == "save":
                    services.save_interview(actor, task.pk, data)
                else:
                    services.correct_interview(actor, task.pk, data, "random correction")
            elif kind == "login":
                services.record_login(people[rng.choice(assessors)], "127.0.0.1")
            elif kind == "failed":
                services.record_login_failed(rng.choice(["alice", "nobody"]), "127.0.0.2")
            elif kind == "decline":
                person = Participant.objects.filter(state="active").order_by("?").first()
                if person:
                    services.decline(coordinator, person.study_id)
            elif kind == "activate":
                person = Participant.objects.filter(state="reserve").order_by("?").first()
                if person:
                    services.activate_reserve(coordinator, person.study_id)
            else:
                export(services.Actor.of(people["ann"]))
        except services.ServiceError:
            failures += 1  # a refused action writes nothing
    return folder, failures


def _verify(study_folder, *extra):
    return CliRunner().invoke(app, ["assess", "verify", str(study_folder), *extra])


def _chain_verifies_after_1000_random_actions(study, busy):
    from tincheck.assess.exporting import verify
    from tincheck.assess.models import Event, Interview

    report = verify()
    assert report.ok, (report.chain.broken, report.records)
    assert report.chain.events == Event.objects.count() >= ACTIONS
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"assigned", "interview_saved", "interview_corrected", "login",
            "login_failed"} <= actions
    assert Interview.objects.filter(version__gt=1).exists()
    result = _verify(study[0].folder)
    assert result.exit_code == 0, result.output
    assert f"{report.chain.events} events verify" in result.output


def _update_delete_truncate_on_the_event_table_fail(study, busy):
    from django.db import DatabaseError, connection, transaction

    statements = ["UPDATE assess_event SET actor = 'mallory' WHERE seq = 2",
                  "DELETE FROM assess_event WHERE seq = 3",
                  "UPDATE assess_rating SET status = 'absent'",
                  "DELETE FROM assess_interview"]
    if connection.vendor == "postgresql":
        statements += ["TRUNCATE assess_event", "TRUNCATE assess_rating CASCADE"]
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    from tincheck.assess.exporting import verify

    assert verify().ok


def _bypass(sql: str, table: str) -> None:
    """Change a row as an attacker with the database's owner rights would: with the
    table's triggers switched off (PostgreSQL) or dropped and recreated (SQLite)."""
    from django.db import connection

    import importlib

    triggers = importlib.import_module("tincheck.assess.migrations.0002_append_only")

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(sql)
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER {table}_no_update")
            cursor.execute(sql)
            for statement in triggers.sqlite_sql(table)[:1]:
                cursor.execute(statement)


def _one_altered_byte_makes_verify_name_that_event(study, busy):
    from django.db import connection

    from tincheck.assess.models import Event

    target = Event.objects.filter(action="interview_saved").order_by("seq")[10]
    payload = target.payload
    at = payload.index('"duration_minutes":') + len('"duration_minutes":')
    digit = payload[at]
    changed = payload[:at] + ("1" if digit != "1" else "2") + payload[at + 1:]
    assert len(changed.encode()) == len(payload.encode())  # one byte, same length
    if connection.vendor == "sqlite":
        _alter_file_byte(study[0].sqlite_path, payload, changed)
    else:
        _bypass("UPDATE assess_event SET payload = %s WHERE seq = %s" % (
            "'" + changed.replace("'", "''") + "'", target.seq), "assess_event")
    result = _verify(study[0].folder)
    assert result.exit_code == 1, result.output
    assert f"first broken event: event {target.seq} (interview_saved" in \
        " ".join(result.output.split())
    assert "content does not match its entry_hash" in " ".join(result.output.split())
    # put it back: the chain verifies again
    if connection.vendor == "sqlite":
        _alter_file_byte(study[0].sqlite_path, changed, payload)
    else:
        _bypass("UPDATE assess_event SET payload = %s WHERE seq = %s" % (
            "'" + payload.replace("'", "''") + "'", target.seq), "assess_event")
    assert _verify(study[0].folder).exit_code == 0


def _alter_file_byte(path, old: str, new: str) -> None:
    """Change the stored bytes in the SQLite file itself (no SQL, no trigger)."""
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connections.close_all()
    data = path.read_bytes()
    assert data.count(old.encode()) == 1
    path.write_bytes(data.replace(old.encode(), new.encode()))


def _an_altered_rating_is_named_by_verify(study, busy):
    from django.db import connection

    from tincheck.assess.models import Interview, Rating

    interview = Interview.objects.order_by("event_seq")[3]
    rating = Rating.objects.filter(interview=interview, disorder="depression").get()
    other = "absent" if rating.status == "present" else "present"
    table = "assess_rating"
    sql = f"UPDATE {table} SET status = '{other}' WHERE id = {rating.pk}"
    _bypass(sql, table)
    result = _verify(study[0].folder)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert f"differs from event {interview.event_seq}" in text
    _bypass(f"UPDATE {table} SET status = '{rating.status}' WHERE id = {rating.pk}", table)
    assert _verify(study[0].folder).exit_code == 0
    assert connection.vendor in ("sqlite", "postgresql")


def _a_manifest_names_the_chain_head_and_verify_checks_it(study, busy, tmp_path):
    runner = CliRunner()
    out = tmp_path / "interviews.csv"
    result = runner.invoke(app, ["assess", "export", str(study[0].folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = out.with_name("interviews.manifest.json")
    assert _verify(study[0].folder, "--manifest", str(manifest)).exit_code == 0
    out.write_text(out.read_text() + "x\n")
    result = _verify(study[0].folder, "--manifest", str(manifest))
    assert result.exit_code == 1 and "changed after the export" in result.output
