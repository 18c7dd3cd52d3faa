"""Recording interviews: every module rated (never silently absent), saved interviews
locked, corrections as new versions with a reason, second ratings blind to the first,
and the export in the data model's layout, safe to open in a spreadsheet."""

from __future__ import annotations

import datetime as _dt
import io
import zipfile

import pytest

from .conftest import once
from .helpers import interview_form, populated

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

pytest.importorskip("django")


@pytest.fixture(scope="module")
def world(request, study, tmp_path_factory):
    """Built once per database (see conftest.once)."""
    return once(request, study, lambda: _world(tmp_path_factory))


def _world(tmp_path_factory):
    from tincheck.assess import services
    from tincheck.assess.models import Visit

    people = populated(tmp_path_factory.mktemp("interviews"), share=1.0)
    coordinator = services.Actor.of(people["cora"])
    visits = list(Visit.objects.filter(participant__state="active").select_related(
        "participant").order_by("participant__study_id", "id"))
    for visit in visits[:3]:
        services.assign(coordinator, visit.pk, "first", "alice")
        services.assign(coordinator, visit.pk, "second", "bob")
    return people, visits[:3]


def _client(people, name):
    from django.test import Client

    client = Client()
    client.force_login(people[name])
    return client


def _task(visit, kind):
    from tincheck.assess.models import Assignment

    return Assignment.objects.get(visit=visit, kind=kind)


def test_a_module_left_unrated_is_an_error_not_absent(world):
    people, visits = world
    form = interview_form(visits[0].window_start)
    del form["status_ptsd"]
    response = _client(people, "alice").post(f"/interviews/{_task(visits[0], 'first').pk}/",
                                             form)
    assert response.status_code == 200
    assert b"Choose one: post-traumatic stress disorder." in response.content
    assert not _task(visits[0], "first").interviews.exists()


def test_a_date_outside_the_window_needs_confirming(world):
    people, visits = world
    client = _client(people, "alice")
    url = f"/interviews/{_task(visits[0], 'first').pk}/"
    late = visits[0].window_end + _dt.timedelta(days=3)
    response = client.post(url, interview_form(late))
    assert b"outside the window" in response.content
    assert client.post(url, interview_form(late, outside_window="on")).status_code == 302


def test_a_saved_interview_is_locked_and_corrected_by_new_versions(world):
    from tincheck.assess.models import Interview

    people, visits = world
    client = _client(people, "alice")
    task = _task(visits[0], "first")
    url = f"/interviews/{task.pk}/"
    # posting the form again does not overwrite: the page shows the locked record
    again = client.post(url, interview_form(visits[0].window_start, {"depression": "absent"}))
    assert again.status_code == 200 and b"The interview is locked" in again.content
    no_reason = client.post(url + "correct/", interview_form(visits[0].window_start,
                                                             outside_window="on"))
    assert b"Give the reason for the correction" in no_reason.content
    fixed = client.post(url + "correct/", interview_form(
        visits[0].window_start, {"depression": "subthreshold"}, reason="misread module A"))
    assert fixed.status_code == 302
    rows = list(Interview.objects.filter(assignment=task).order_by("version"))
    assert [r.version for r in rows] == [1, 2] and rows[1].reason == "misread module A"
    page = client.get(url).content.decode()
    assert "Version 2 (current)" in page and "Version 1 (superseded)" in page
    assert "misread module A" in page


def test_a_second_rater_sees_nothing_of_the_first_rating(world):
    people, visits = world
    alice, bob = _client(people, "alice"), _client(people, "bob")
    first = _task(visits[1], "first")
    assert alice.post(f"/interviews/{first.pk}/", interview_form(
        visits[1].window_start, note="FIRST-RATER-NOTE", usual_self_pct=37)).status_code == 302
    second = _task(visits[1], "second")
    page = bob.get(f"/interviews/{second.pk}/").content.decode()
    assert "second rating" in page
    assert "FIRST-RATER-NOTE" not in page and 'value="37"' not in page
    assert bob.get(f"/interviews/{first.pk}/").status_code == 404
    assert bob.post(f"/interviews/{second.pk}/",
                    interview_form(visits[1].window_start)).status_code == 302
    assert "FIRST-RATER-NOTE" not in bob.get(f"/interviews/{second.pk}/").content.decode()


def test_the_second_rating_needs_another_assessor(world):
    from tincheck.assess import services

    people, visits = world
    coordinator = services.Actor.of(people["cora"])
    with pytest.raises(services.ServiceError, match="different assessor"):
        services.assign(coordinator, visits[2].pk, "second", "alice")


def test_writes_outside_the_service_are_refused(world):
    from tincheck.assess.models import Participant, WriteOutsideService

    person = Participant.objects.first()
    person.state = "declined"
    with pytest.raises(WriteOutsideService):
        person.save()


def test_the_export_is_the_data_models_interviews_table(world, tmp_path):
    from tincheck.schema import INTERVIEWS

    people, visits = world
    response = _client(people, "ann").post("/analysis/export/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    text = archive.read("interviews.csv").decode()
    lines = text.splitlines()
    assert lines[0].split(",") == list(INTERVIEWS.column_names)
    rows = [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]]
    first = [r for r in rows if r["interview_id"].endswith("-baseline")]
    # version 2 of the first interview is the one exported: depression subthreshold
    assert {(r["disorder"], r["status"]) for r in first
            if r["interview_id"] == f"{visits[0].participant.study_id}-baseline"} == \
        {("depression", "subthreshold")}
    second = [r for r in rows if r["second_rating"] == "true"]
    assert second and all(r["interview_id"].endswith("-r2") for r in second)
    assert {r["assessor_id"] for r in rows} <= {"A01", "A02"}  # codes, never names
    assert all(r["referral_id"].startswith("R") for r in rows)
    assert "alice" not in text and "bob" not in text


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    from tincheck.assess.csvcells import unescape_cell, write_csv

    data = write_csv(["a", "b"], [["=HYPERLINK(\"x\")", "-1"], ["@sum", "ok"],
                                  ["\tx", "+1"]]).decode()
    cells = [c for line in data.splitlines()[1:] for c in line.split(",")]
    assert all(not c.lstrip('"').startswith(("=", "+", "-", "@", "\t")) for c in cells)
    assert unescape_cell("'=HYPERLINK") == "=HYPERLINK"
