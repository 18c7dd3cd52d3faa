"""Default deny: every URL pattern, for anonymous users and each role, gets the status
it should; a view without a role declaration refuses everyone."""

from __future__ import annotations

import pytest

from .conftest import once
from .helpers import interview_form, populated

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

pytest.importorskip("django")

# URL name -> (roles allowed, method). Every pattern of urls.py must be listed here.
EXPECTED = {
    "home": ({"coordinator", "assessor", "analyst"}, "get"),
    "login": ("public", "get"),
    "logout": ({"coordinator", "assessor", "analyst"}, "post"),
    "assessor_home": ({"assessor"}, "get"),
    "interview": ({"assessor"}, "get"),
    "correct": ({"assessor"}, "get"),
    "coordinator_home": ({"coordinator"}, "get"),
    "participants": ({"coordinator"}, "get"),
    "participant": ({"coordinator"}, "get"),
    "decline": ({"coordinator"}, "post"),
    "activate": ({"coordinator"}, "post"),
    "unassigned": ({"coordinator"}, "get"),
    "assign": ({"coordinator"}, "post"),
    "analyst_home": ({"analyst"}, "get"),
    "export": ({"analyst"}, "post"),
    "verify": ({"analyst"}, "get"),
    "events": ({"analyst"}, "get"),
}
WHO = (None, "coordinator", "assessor", "analyst")


@pytest.fixture(scope="module")
def world(request, study, tmp_path_factory):
    """Built once per database (see conftest.once)."""
    return once(request, study, lambda: _world(tmp_path_factory))


def _world(tmp_path_factory):
    """A study with users, a sample, one assigned and recorded interview (for the
    object URLs), and the arguments that fill each URL pattern."""
    from django.test import Client

    from tincheck.assess import services
    from tincheck.assess.models import Assignment, Visit

    people = populated(tmp_path_factory.mktemp("roles"))
    visit = Visit.objects.filter(participant__state="active").order_by("id").first()
    coordinator = services.Actor.of(people["cora"])
    services.assign(coordinator, visit.pk, "first", "alice")
    task = Assignment.objects.get(visit=visit, kind="first")
    client = Client()
    client.force_login(people["alice"])
    assert client.post(f"/interviews/{task.pk}/",
                       interview_form(visit.window_start)).status_code == 302
    reserve = Visit.objects.filter(participant__state="reserve").first().participant.study_id
    args = {"interview": [task.pk], "correct": [task.pk],
            "participant": [visit.participant.study_id],
            "decline": [reserve],  # a reserve cannot decline: 409 for the coordinator
            "activate": [visit.participant.study_id],  # not a reserve: 409
            "assign": [visit.pk, "first"]}
    return people, args


def _client(people, role):
    from django.test import Client

    client = Client()
    name = {"coordinator": "cora", "assessor": "alice", "analyst": "ann"}.get(role)
    if name:
        client.force_login(people[name])
    return client


def test_every_url_pattern_is_in_the_matrix(world):
    from django.urls import get_resolver

    names = {p.name for p in get_resolver().url_patterns}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("who", WHO, ids=lambda w: w or "anonymous")
def test_role_by_url_matrix(world, who):
    from django.urls import reverse

    people, args = world
    for name, (roles, method) in EXPECTED.items():
        url = reverse(name, args=args.get(name, []))
        response = getattr(_client(people, who), method)(url)
        if roles == "public":
            assert response.status_code in (200, 302), (name, who)
        elif who is None:
            assert response.status_code == 302, (name, who)
            assert response.headers["Location"].startswith("/login/?next="), (name, who)
        elif who in roles:
            # reached the view: a page, a redirect after a write, or a refusal of the
            # (empty) request by the view itself
            assert response.status_code in (200, 302, 400, 409), (name, who, response.status_code)
            if name != "logout":
                assert not response.headers.get("Location", "").startswith("/login/")
        else:
            assert response.status_code == 403, (name, who, response.status_code)
            assert b"Not allowed" in response.content


def test_a_view_without_a_role_declaration_refuses_everyone(world):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from tincheck.assess.roles import DefaultDenyMiddleware
    from django.core.exceptions import PermissionDenied

    people, _ = world

    def undeclared(request):
        return HttpResponse("secret")

    for who in WHO:
        request = RequestFactory().get("/x/")
        from django.contrib.auth.models import AnonymousUser
        request.user = people[{"coordinator": "cora", "assessor": "alice",
                               "analyst": "ann"}[who]] if who else AnonymousUser()
        with pytest.raises(PermissionDenied):
            DefaultDenyMiddleware(lambda r: None).process_view(request, undeclared, (), {})


def test_an_assessor_cannot_reach_another_assessors_interview(world):
    people, args = world
    other = _client(people, None)
    other.force_login(people["bob"])
    for name in ("interview", "correct"):
        from django.urls import reverse

        assert other.get(reverse(name, args=args[name])).status_code == 404
    assert other.post(reverse("interview", args=args["interview"]),
                      interview_form(__import__("datetime").date(2023, 1, 1))).status_code == 404


def test_nobody_is_a_superuser_and_there_is_no_admin(world):
    from tincheck.assess.models import User

    assert not hasattr(User, "is_superuser")
    assert _client(world[0], "coordinator").get("/admin/").status_code == 404


def test_pages_carry_the_security_headers(world):
    response = _client(world[0], "assessor").get("/interviews/")
    assert response.status_code == 200
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert b"<script" not in response.content


def test_sign_in_is_recorded_and_throttled_after_repeated_failures(world):
    from django.test import Client

    from tincheck.assess.models import Event

    from .conftest import PASSWORD, users

    users(("dora", "assessor"))
    client = Client()
    ok = client.post("/login/", {"username": "dora", "password": PASSWORD})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert Event.objects.filter(action="login", target="user:dora").count() == 1
    for _ in range(5):
        wrong = Client().post("/login/", {"username": "dora", "password": "not it at all"},
                              REMOTE_ADDR="10.9.9.9")
        assert wrong.status_code == 200 and b"not right" in wrong.content
    refused = Client().post("/login/", {"username": "dora", "password": PASSWORD},
                            REMOTE_ADDR="10.9.9.8")
    assert refused.status_code == 429 and b"Too many failed sign-ins" in refused.content
    # the address that failed is refused for any user name too
    other = Client().post("/login/", {"username": "alice", "password": PASSWORD},
                          REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 429
    assert Event.objects.filter(action="login_failed", target="user:dora").count() == 6
