"""The interview app's protections, one test each, on SQLite and PostgreSQL.

Django's deployment check at the settings ``serve`` uses; cookies (HttpOnly,
SameSite=Strict, Secure under TLS, gone when the browser closes); a CSRF token in
every form and every form refused without it; a strict Content-Security-Policy and no
inline script, style or event handler on any page; ``X-Frame-Options: DENY``; no debug
page on a 404 or a 500; sign-in throttled per user name and per address, and free
again after the window; sessions that end after 8 hours; passwords checked by
Django's validators; an IDOR sweep (every object URL, every id, as another assessor);
the export refused to everyone but analysts; script and formula injection tried in
every field that holds text (the sample's study ids, referral ids and strata, the
interview's note and instrument version, a correction's reason, the sign-in form),
on every page each role can reach and in the exported CSV.

Each test names the protection it checks, so that removing it fails that test (the
module was run with the Content-Security-Policy header and with the assessor's
ownership filter removed: see docs/assess.md, Security).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import zipfile
from html.parser import HTMLParser

import pytest

from .conftest import PASSWORD, once, users
from .helpers import interview_form

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

pytest.importorskip("django")

# script injection: each must never appear raw in a page; formula injection: each must
# never start an exported cell unescaped
XSS_ID = '"><img src=x onerror=alert(1)>'
XSS_STRATUM = "<script>alert('stratum')</script>"
XSS_NOTE = '<script>alert("note")</script> =1+1'
XSS_VERSION = '"><b onmouseover=alert(2)>v'
XSS_REASON = "<script>alert('reason')</script>"
RAW = ("<img src=x", "<script>alert", "<b onmouseover")
FORMULA_IDS = ("=1+2", "+5", "-3+4", "@SUM(1)")
FORMULA_REFERRALS = ('=HYPERLINK("http://e.invalid","x")', "@cmd", "+1", "-1")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
WINDOW = (_dt.date(2025, 1, 6), _dt.date(2025, 2, 2))


@pytest.fixture(scope="module")
def world(request, study, tmp_path_factory):
    return once(request, study, lambda: _world(tmp_path_factory.mktemp("security")))


def _world(folder):
    """Users; a sample whose ids are refused when they are attacks and whose strata and
    referral ids are attacks; alice's interviews of every
    participant saved through the form (note and version are attacks), one corrected
    (the reason is an attack); bob has one interview of his own."""
    from django.test import Client

    from tincheck.assess import services
    from tincheck.assess.csvcells import write_csv
    from tincheck.assess.models import Assignment, Visit
    from tincheck.assess.sampling import SampleError, read_sample

    people = users(("cora", "coordinator"), ("alice", "assessor"), ("bob", "assessor"),
                   ("ann", "analyst"))
    referrals = [f"R{n}" for n in range(2)] + list(FORMULA_REFERRALS) + ["R9"]

    def write(ids):
        sample = [[i, r, XSS_STRATUM if n % 2 else "problem_descriptor=F32|step=high",
                   "sample", ""] for n, (i, r) in enumerate(zip(ids, referrals))]
        schedule = [[i, "baseline", "", "received", WINDOW[0].isoformat(),
                     WINDOW[1].isoformat()] for i in ids]
        (folder / "sample.csv").write_bytes(write_csv(
            ["study_id", "referral_id", "stratum", "selection", "reserve_rank"], sample))
        (folder / "schedule.csv").write_bytes(write_csv(
            ["study_id", "timepoint", "months_after_end", "anchor", "window_start",
             "window_end"], schedule))
        return read_sample(folder / "sample.csv", folder / "schedule.csv")

    # study ids that are attacks never enter the app (they are part of its links)
    with pytest.raises(SampleError) as refused:
        write(["S0001", XSS_ID, *FORMULA_IDS, "S0002"])
    assert [(p.row, p.column) for p in refused.value.problems] == [
        (row, "study_id") for row in range(3, 8)]
    ids = ["S0001", "S0003", "S0004", "S0005", "S0006", "S0007", "S0002"]
    rows, visits = write(ids)
    services.load_sample(services.command_line(), rows, visits, share=0.0, seed="s",
                         files={})
    coordinator = services.Actor.of(people["cora"])
    tasks = {}
    for visit in Visit.objects.select_related("participant").order_by("id"):
        who = "bob" if visit.participant.study_id == "S0002" else "alice"
        tasks[visit.participant.study_id] = services.assign(coordinator, visit.pk, "first",
                                                           who).pk
    client = Client()
    client.force_login(people["alice"])
    for study_id, task in tasks.items():
        if study_id in ("S0002", "S0001"):
            continue  # bob's; and one left open (its form is crawled)
        answer = client.post(f"/interviews/{task}/", interview_form(
            WINDOW[0], note=XSS_NOTE, instrument_version=XSS_VERSION))
        assert answer.status_code == 302, answer.content[:400]
    answer = client.post(f"/interviews/{tasks['S0003']}/correct/", {
        **interview_form(WINDOW[0], {"depression": "absent"}, note=XSS_NOTE),
        "reason": XSS_REASON})
    assert answer.status_code == 302
    bob = Client()
    bob.force_login(people["bob"])
    assert bob.post(f"/interviews/{tasks['S0002']}/", interview_form(WINDOW[0])).status_code \
        == 302
    assert Assignment.objects.filter(assessor=people["alice"]).count() == len(ids) - 1
    return people, tasks


def _client(people, name=None, **options):
    from django.test import Client

    client = Client(**options)
    if name:
        client.force_login(people[name])
    return client


class Page(HTMLParser):
    """Links, forms (method, action, hidden token) and inline code of one page."""

    def __init__(self, text):
        super().__init__()
        self.links, self.forms, self.inline = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(),
                               "action": attrs.get("action"), "token": False})
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["token"] = bool(attrs.get("value"))
        if tag == "script":
            self.inline.append("<script>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style" or \
                    (value or "").strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}=…>")


def crawl(client, start="/"):
    """Every page reachable by GET links from ``start``: {path: response}."""
    seen, queue = {}, [start]
    while queue:
        path = queue.pop()
        if path in seen or path.startswith("/static/"):
            continue
        response = client.get(path, follow=False)
        if response.status_code == 302:
            seen[path] = response
            queue.append(response.headers["Location"])
            continue
        seen[path] = response
        if response.get("Content-Type", "").startswith("text/html"):
            queue += Page(response.content.decode()).links
    return seen


@pytest.fixture(scope="module")
def pages(world):
    """Every page each role (and an anonymous visitor) reaches, with the error pages."""
    people, tasks = world
    out = {}
    for name in (None, "cora", "alice", "bob", "ann"):
        client = _client(people, name)
        got = crawl(client)
        got["/no-such-page/"] = client.get("/no-such-page/")
        got["/login/?next=" + XSS_ID] = client.get("/login/", {"next": XSS_ID})
        out[name or "anonymous"] = got
    return out


# ------------------------------------------------------------------ settings

def test_deployment_check_has_no_warnings_at_serves_tls_settings(world):
    """``serve --https``: no warning; plain ``serve`` (127.0.0.1): only the four warnings
    that need TLS (HSTS, SSL redirect, secure session and CSRF cookies)."""
    from django.conf import settings
    from django.core import checks
    from django.test import override_settings

    from tincheck.assess.runtime import settings_for

    def found(https):
        chosen = {k: v for k, v in settings_for(settings.TINCHECK_STUDY, https=https).items()
                  if k.startswith(("SECURE_", "SESSION_", "CSRF_", "X_FRAME", "DEBUG",
                                   "SECRET_KEY", "ALLOWED_HOSTS", "MIDDLEWARE"))}
        with override_settings(**chosen):
            return sorted(m.id for m in checks.run_checks(include_deployment_checks=True)
                          if m.level >= checks.WARNING)

    assert found(https=True) == []
    assert found(https=False) == ["security.W004", "security.W008", "security.W012",
                                  "security.W016"]
    assert settings.DEBUG is False


def _cookies(response):
    return {c.key: c for c in response.cookies.values()}


def test_cookies_are_httponly_strict_and_end_with_the_browser(world):
    people, _ = world
    client = _client(people)
    client.get("/login/")
    answer = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert answer.status_code == 302
    cookies = _cookies(answer)
    session = cookies["tincheck_assess_session"]
    assert session["httponly"] and session["samesite"] == "Strict"
    assert not session["secure"]  # plain http on 127.0.0.1
    assert not session["expires"] and not session["max-age"]  # gone when the browser closes
    token = cookies["csrftoken"]
    assert token["httponly"] and token["samesite"] == "Strict"


def test_under_tls_cookies_are_secure_and_hsts_is_sent(world):
    from django.conf import settings
    from django.test import override_settings

    from tincheck.assess.runtime import settings_for

    people, _ = world
    tls = {k: v for k, v in settings_for(settings.TINCHECK_STUDY, https=True).items()
           if k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    with override_settings(**tls):
        plain = _client(people).get("/login/")
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        client = _client(people)
        client.get("/login/", secure=True)
        answer = client.post("/login/", {"username": "alice", "password": PASSWORD},
                             secure=True)
        assert answer.status_code == 302
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        cookies = _cookies(answer)
        assert cookies["tincheck_assess_session"]["secure"]
        assert cookies["csrftoken"]["secure"]


# ------------------------------------------------------------------ every page

def test_every_form_carries_a_csrf_token_and_is_refused_without_it(world, pages):
    from tincheck.assess.models import Event

    people, _ = world
    posted = set()
    for who, got in pages.items():
        for path, response in got.items():
            if response.status_code != 200:
                continue
            for form in Page(response.content.decode()).forms:
                assert form["method"] == "post", (who, path, form)
                assert form["token"], (who, path, form)
                posted.add((who, form["action"] or path.split("?")[0]))
    actions = {action for _, action in posted}
    # the forms of every role were found: sign-in, sign-out, interview, assignment,
    # decline or activate, export
    assert "/login/" in actions and "/logout/" in actions and "/analysis/export/" in actions
    assert any(a.startswith("/interviews/") for a in actions)
    assert any("/assign/" in a for a in actions)
    events = Event.objects.count()
    for who, action in sorted(posted):
        client = _client(people, None if who == "anonymous" else who,
                         enforce_csrf_checks=True)
        answer = client.post(action, {"username": "alice", "password": PASSWORD,
                                      "assessor": "alice"})
        assert answer.status_code == 403, (who, action, answer.status_code)
        assert b"The form has expired" in answer.content
    assert Event.objects.count() == events  # nothing was written


def test_every_page_has_a_strict_csp_no_inline_code_and_refuses_framing(pages):
    checked = 0
    for who, got in pages.items():
        for path, response in got.items():
            policy = response.headers.get("Content-Security-Policy", "")
            parts = {p.split()[0]: p.split()[1:] for p in policy.split(";") if p.strip()}
            assert parts.get("default-src") == ["'none'"], (who, path, policy)
            assert "script-src" not in parts, (who, path, policy)
            assert parts.get("frame-ancestors") == ["'none'"], (who, path)
            assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
            assert response.headers.get("X-Frame-Options") == "DENY", (who, path)
            assert response.headers.get("X-Content-Type-Options") == "nosniff", (who, path)
            if response.get("Content-Type", "").startswith("text/html"):
                assert Page(response.content.decode()).inline == [], (who, path)
                checked += 1
    assert checked >= 20


def test_no_debug_page_on_a_404_or_a_500(world, monkeypatch):
    from tincheck.assess import queries

    people, _ = world
    missing = _client(people, "alice").get("/nothing/here/")
    assert missing.status_code == 404
    for text in (b"Traceback", b"urlpatterns", b"DEBUG", b"Django"):
        assert text not in missing.content

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail 7f3a")

    monkeypatch.setattr(queries, "progress", broken)
    client = _client(people, "cora", raise_request_exception=False)
    failed = client.get("/study/")
    assert failed.status_code == 500
    assert b"internal detail" not in failed.content and b"Traceback" not in failed.content
    assert b"Something went wrong" in failed.content


# ------------------------------------------------------------------ sign-in and sessions

def _sign_in(name, password, address):
    from django.test import Client

    return Client().post("/login/", {"username": name, "password": password},
                         REMOTE_ADDR=address)


def test_sign_in_is_throttled_per_user_name_and_per_address(world, monkeypatch):
    from tincheck.assess import services

    users(("dave", "assessor"), ("erin", "assessor"))
    # per user name: five failures from five addresses; the right password from a sixth
    # address is refused too
    for n in range(5):
        assert _sign_in("dave", "wrong password here", f"10.20.0.{n}").status_code == 200
    assert _sign_in("dave", PASSWORD, "10.20.0.99").status_code == 429
    # per address: five failures for five user names (known or not) from one address;
    # erin's right password from that address is refused, from another it is not
    for name in ("x1", "x2", "x3", "ann", "x5"):
        assert _sign_in(name, "wrong password here", "10.30.0.1").status_code == 200
    assert _sign_in("erin", PASSWORD, "10.30.0.1").status_code == 429
    assert _sign_in("erin", PASSWORD, "10.30.0.2").status_code == 302
    # after the 15 minutes both may try again
    later = services.now() + _dt.timedelta(minutes=services.THROTTLE_MINUTES + 1)
    monkeypatch.setattr(services, "now", lambda: later)
    assert _sign_in("dave", PASSWORD, "10.20.0.99").status_code == 302
    assert _sign_in("erin", PASSWORD, "10.30.0.1").status_code == 302


def test_sessions_end_after_8_hours(world):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    people, tasks = world
    client = _client(people)
    before = timezone.now()
    assert client.post("/login/", {"username": "alice", "password": PASSWORD},
                       REMOTE_ADDR="10.40.0.1").status_code == 302
    key = client.cookies["tincheck_assess_session"].value
    expires = Session.objects.get(session_key=key).expire_date
    assert _dt.timedelta(hours=8) - _dt.timedelta(minutes=1) < expires - before \
        <= _dt.timedelta(hours=8, minutes=1)
    assert client.get("/interviews/").status_code == 200
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - _dt.timedelta(seconds=1))  # 8 hours later
    answer = client.get("/interviews/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login/")


@pytest.mark.parametrize("password, reason", [
    ("short pass", "too short"),
    ("1qaz2wsx3edc", "too common"),
    ("739201847562910", "entirely numeric"),
    ("francesca.rossi", "too similar"),
])
def test_passwords_are_checked_by_djangos_validators(world, password, reason):
    from tincheck.assess import services

    with pytest.raises(services.ServiceError, match=reason):
        services.add_user(services.command_line(), "francesca.rossi", "assessor", password)


def test_passwords_are_stored_as_argon2_hashes(world):
    people, _ = world
    from tincheck.assess.models import User

    stored = User.objects.get(username="alice").password
    assert stored.startswith("argon2$") and PASSWORD not in stored


def test_the_sign_in_page_never_redirects_elsewhere(world):
    people, _ = world
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client = _client(people)
        answer = client.post("/login/?next=" + target, {
            "username": "alice", "password": PASSWORD, "next": target},
            REMOTE_ADDR="10.50.0.1")
        assert answer.status_code == 302 and answer.headers["Location"] == "/", target


# ------------------------------------------------------------------ objects and roles

def test_idor_sweep_an_assessor_reaches_no_one_elses_object(world):
    """bob asks for every object URL with every id that exists (and a few that do not),
    by GET and by POST: his own interview answers, nothing else does or leaks a study
    id, and nothing is written."""
    from django.urls import get_resolver, reverse

    from tincheck.assess.models import Assignment, Event, Participant, Visit

    people, tasks = world
    client = _client(people, "bob")
    values = {
        "assignment_id": sorted(Assignment.objects.values_list("pk", flat=True)),
        "visit_id": sorted(Visit.objects.values_list("pk", flat=True)),
        "study_id": sorted(Participant.objects.values_list("study_id", flat=True)),
        "kind": ["first", "second"],
    }
    for key in ("assignment_id", "visit_id"):
        values[key] += [0, max(values[key]) + 1, 2**31 - 1]
    others = [s for s in values["study_id"] if s != "S0002"]
    events = Event.objects.count()
    own, checked = 0, 0
    for pattern in get_resolver().url_patterns:
        names = list(pattern.pattern.converters)
        if not names:
            continue
        combos = [{}]
        for name in names:
            combos = [{**c, name: v} for c in combos for v in values[name]]
        for kwargs in combos:
            url = reverse(pattern.name, kwargs=kwargs)
            mine = kwargs.get("assignment_id") == tasks["S0002"]
            for method in ("get", "post"):
                answer = getattr(client, method)(url, interview_form(WINDOW[0]))
                checked += 1
                text = answer.content.decode()
                if mine:
                    own += answer.status_code in (200, 302)
                    continue
                expected = 404 if "assignment_id" in kwargs else 403
                assert answer.status_code == expected, (url, method, answer.status_code)
                leaked = [s for s in others if s in text or _escaped(s) in text]
                assert not leaked, (url, method, leaked)
    assert own >= 2 and checked > 50
    assert Event.objects.count() == events


def _escaped(text):
    from django.utils.html import escape

    return escape(text)


def test_the_export_is_refused_to_all_but_analysts(world):
    from tincheck.assess.models import Event

    people, _ = world
    exports = Event.objects.filter(action="exported").count()
    for name in (None, "cora", "alice", "bob"):
        answer = _client(people, name).post("/analysis/export/")
        assert answer.status_code in (302, 403), name
        assert answer.get("Content-Type", "").startswith("text/html"), name
        if name is None:
            assert answer.headers["Location"].startswith("/login/")
    assert Event.objects.filter(action="exported").count() == exports
    assert _client(people, "ann").get("/analysis/export/").status_code == 405
    answer = _client(people, "ann").post("/analysis/export/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    assert Event.objects.filter(action="exported").count() == exports + 1


# ------------------------------------------------------------------ injection

def test_script_injection_is_escaped_on_every_page(world, pages):
    seen = ""
    for who, got in pages.items():
        for path, response in got.items():
            text = response.content.decode()
            for raw in RAW:
                assert raw not in text, (who, path, raw)
            seen += text
    # the attacks did reach the pages, escaped (so the test above can fail)
    for attack in (XSS_STRATUM, XSS_REASON, XSS_NOTE, XSS_VERSION):
        assert _escaped(attack) in seen or _escaped(attack).replace(
            "&quot;", '\\&quot;') in seen, attack


def test_typed_text_on_the_sign_in_page_is_escaped(world):
    answer = _client(world[0]).post("/login/", {"username": XSS_VERSION[:40],
                                                "password": "x"}, REMOTE_ADDR="10.60.0.1")
    text = answer.content.decode()
    assert "<b onmouseover" not in text and _escaped(XSS_VERSION[:40]) in text


def test_no_exported_cell_starts_a_formula(world):
    people, _ = world
    answer = _client(people, "ann").post("/analysis/export/")
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    text = archive.read("interviews.csv").decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert cells and not [c for c in cells if c.startswith(TRIGGERS)]
    # the attacks are there, neutralised by a leading quote
    for attack in FORMULA_REFERRALS:
        assert "'" + attack in cells, attack
    assert re.search(r"^interview_id,", text)
