"""Blinding by data minimisation: the canary test.

Unique strings are planted in every service-side field: the referral id and stratum of
the sample, the first rater's record of an interview the assessor rates a second time,
and (in a sample file the app must refuse) therapy, therapist, sessions, end reason and
scores. Every page the assessor can reach is crawled; no canary appears on any of them,
while the ones the app stores do appear where their roles may see them (so the test
would fail if they leaked).
"""

from __future__ import annotations

import csv
import re
from collections import deque

import pytest

from tincheck.assess.sampling import SampleError, read_sample

from .conftest import load, once, users
from .helpers import interview_form, synthetic_sample

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

pytest.importorskip("django")

SERVICE_SIDE = ("therapy_type", "therapist_id", "sessions", "end_reason", "phq9_last",
                "gad7_first")


def _plant(sample_path):
    rows = list(csv.DictReader(sample_path.open(encoding="utf-8")))
    for n, row in enumerate(rows, 1):
        row["referral_id"] = f"CANARYREF{n:03d}X"
        row["stratum"] = f"{row['stratum']}|therapy=CANARYSTRATUM{n:03d}X"
    with sample_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


@pytest.fixture(scope="module")
def planted(request, study, tmp_path_factory):
    """Built once per database (see conftest.once)."""
    return once(request, study, lambda: _planted(tmp_path_factory))


def _planted(tmp_path_factory):
    from django.test import Client

    from tincheck.assess import services
    from tincheck.assess.models import Assignment, Visit

    folder = tmp_path_factory.mktemp("canary")
    _, sample_path, schedule_path = synthetic_sample(folder)
    n = _plant(sample_path)
    # a file with service-side columns is refused whole, naming each column
    leaky = folder / "leaky.csv"
    with sample_path.open(encoding="utf-8") as src, leaky.open("w", encoding="utf-8") as out:
        lines = src.read().splitlines()
        out.write(lines[0] + "," + ",".join(SERVICE_SIDE) + "\n")
        for line in lines[1:]:
            out.write(line + "," + ",".join(f"CANARY{c.upper()}X" for c in SERVICE_SIDE)
                      + "\n")
    with pytest.raises(SampleError) as refused:
        read_sample(leaky, schedule_path)
    assert {p.column for p in refused.value.problems} == set(SERVICE_SIDE)
    people = users(("cora", "coordinator"), ("alice", "assessor"), ("bob", "assessor"),
                   ("ann", "analyst"))
    load(sample_path, schedule_path, share=1.0)  # every visit drawn for a second rating
    coordinator = services.Actor.of(people["cora"])
    visits = list(Visit.objects.filter(participant__state="active").order_by("id"))
    for visit in visits[:6]:
        services.assign(coordinator, visit.pk, "first", "bob")
        services.assign(coordinator, visit.pk, "second", "alice")
    bob, alice = Client(), Client()
    bob.force_login(people["bob"])
    alice.force_login(people["alice"])
    for visit in visits[:6]:
        first = Assignment.objects.get(visit=visit, kind="first")
        form = interview_form(visit.window_start, {"depression": "present", "gad": "absent"},
                              note="CANARYFIRSTNOTEX", instrument_version="CANARYVERSIONX",
                              usual_self_pct=17)
        assert bob.post(f"/interviews/{first.pk}/", form).status_code == 302
    # alice records two of her second ratings (their pages are crawled too)
    for visit in visits[:2]:
        second = Assignment.objects.get(visit=visit, kind="second")
        assert alice.post(f"/interviews/{second.pk}/",
                          interview_form(visit.window_start)).status_code == 302
    return people, n


def crawl(client, start="/"):
    """Every page reachable by following links from ``start`` (GET, same site)."""
    seen, pages, queue = set(), {}, deque([start])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        body = response.content.decode("utf-8", "replace")
        pages[url] = (response.status_code, body)
        for link in re.findall(r'href="([^"#]*)"', body):
            if link.startswith("/") and not link.startswith("/static/"):
                queue.append(link)
    return pages


CANARY = re.compile(r"CANARY[A-Z0-9]*X")


def test_no_canary_on_any_page_an_assessor_can_reach(planted):
    from django.test import Client

    people, n = planted
    client = Client()
    client.force_login(people["alice"])
    pages = crawl(client)
    # the worklist, her recorded ratings, her forms and their correction pages
    assert len(pages) >= 10, sorted(pages)
    assert any("/correct/" in url for url in pages)
    assert sum("/interviews/" in u and u.rstrip("/").split("/")[-1].isdigit()
               for u in pages) >= 6
    for url, (status, body) in pages.items():
        assert status == 200, url
        assert CANARY.findall(body) == [], url
        assert "R00000" not in body and "stratum" not in body.lower(), url
    # error pages an assessor can provoke reveal nothing either
    for url in ("/interviews/999999/", "/study/participants/S0001/", "/analysis/"):
        body = client.get(url).content.decode()
        assert CANARY.findall(body) == []


def test_the_canaries_are_there_for_the_roles_that_may_see_them(planted):
    from django.test import Client

    people, n = planted
    coordinator = Client()
    coordinator.force_login(people["cora"])
    page = coordinator.get("/study/participants/").content.decode()
    assert len(set(re.findall(r"CANARYSTRATUM\d+X", page))) == n
    bob = Client()
    bob.force_login(people["bob"])
    pages = crawl(bob)
    assert any("CANARYFIRSTNOTEX" in body for _, body in pages.values())
    analyst = Client()
    analyst.force_login(people["ann"])
    import io
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(analyst.post("/analysis/export/").content))
    exported = archive.read("interviews.csv").decode()
    assert "CANARYREF001X" in exported and "CANARYSTRATUM" not in exported


def test_the_database_holds_nothing_of_the_treatment_or_scores(planted):
    """Nothing of the refused file and no service-side column reached any table."""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            columns = [c.name for c in connection.introspection.get_table_description(
                cursor, table)]
            assert not set(columns) & {"therapy_type", "therapist_id", "sessions",
                                       "end_reason", "score"}, table
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            text = repr(cursor.fetchall())
            for column in SERVICE_SIDE:
                assert f"CANARY{column.upper()}X" not in text, table
