"""End to end in a real browser: init → users → load a sample drawn from synthetic data
→ assessors record baseline, end and follow-up interviews through the real pages in
headless Chromium (Debian's /usr/bin/chromium driven by Playwright) → export →
``tincheck audit`` shows the loss-of-diagnosis figures computed from them.

The app runs as a user runs it: every step is the ``tincheck`` command in a process of
its own, and the server is ``tincheck assess serve`` (waitress). Without Chromium or
Playwright the test skips with the reason, unless TINCHECK_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tincheck import codes

from ..conftest import REPO
from ..report.test_audit_browser import CHROMIUM, FLAGS, PHONE, _unavailable
from .conftest import DATABASES, PASSWORD
from .sample_files import write_sample_files

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("assess")]
ARTIFACTS = REPO / "test-artifacts"

# What the assessors record, per study id (S0001-S0008): the status of depression and
# gad at each time point (other modules not assessed). B = 8 (depression present at
# every baseline); lost at end: S0001, S0002 (gad subthreshold counts as lost), S0005,
# S0006 = 4 of 8; lost at follow-up: S0001, S0002, S0005 = 3 of 8. S0005's end
# interview is marked unblinded: without it, lost at end is 3 of 8.
PLAN = {
    1: {"baseline": ("present", "present"), "end": ("absent", "absent"),
        "follow_up": ("absent", "absent")},
    2: {"baseline": ("present", "present"), "end": ("absent", "subthreshold"),
        "follow_up": ("absent", "absent")},
    3: {"baseline": ("present", "present"), "end": ("absent", "present"),
        "follow_up": ("present", "present")},
    4: {"baseline": ("present", "present"), "end": ("present", "absent"),
        "follow_up": ("present", "absent")},
    5: {"baseline": ("present", "absent"), "end": ("absent", "absent"),
        "follow_up": ("absent", "absent")},
    6: {"baseline": ("present", "absent"), "end": ("subthreshold", "absent"),
        "follow_up": ("present", "absent")},
    7: {"baseline": ("present", "absent"), "end": ("present", "absent"),
        "follow_up": ("present", "absent")},
    8: {"baseline": ("present", "absent"), "end": ("present", "absent"),
        "follow_up": ("present", "absent")},
}
LABELS = {"baseline": "baseline", "end of treatment": "end", "follow-up": "follow_up"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Steps:
    """Runs tincheck commands as a user would, each in a process of its own."""

    def __init__(self, env: dict):
        self.env = env

    def run(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(["tincheck", *args], input=stdin, capture_output=True,
                                text=True, env=self.env, timeout=600)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver; "
                     "`make test` installs them when run as root)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module", params=DATABASES)
def served(request, tmp_path_factory):
    """A study made with the commands, loaded with a synthetic sample, being served."""
    folder = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if k != "TINCHECK_ASSESS_DATABASE_URL"}
    if request.param == "postgres":
        env["TINCHECK_ASSESS_DATABASE_URL"] = \
            request.getfixturevalue("pg_cluster").create_database()
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "160"
    steps = Steps(env)
    service = folder / "service"
    from tincheck.synth import generate

    generate(service, referrals=400, seed=3, format="csv", interview_fraction=0)
    sample, schedule = write_sample_files(service, folder / "study", sample=8)
    app = folder / "app"
    steps.run("assess", "init", str(app), "--second-rating-share", "0.25")
    for name, role in (("cora", "coordinator"), ("alice", "assessor"), ("bob", "assessor"),
                       ("ann", "analyst")):
        steps.run("assess", "add-user", str(app), name, "--role", role, stdin=PASSWORD + "\n")
    loaded = steps.run("assess", "load-sample", str(app), str(sample), str(schedule))
    assert "8 participants in the sample" in loaded
    port = _free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(["tincheck", "assess", "serve", str(app), "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/login/", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (folder / "server.log").read_text()
                time.sleep(0.1)
        yield steps, url, folder, service, app
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _sign_in(browser, url, name):
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.goto(url + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()
    return page, errors


def _assign_everything(page, url):
    page.goto(url + "/study/assign/")
    while page.locator("form.assign").count():
        row = page.locator("tbody tr").first
        cells = row.locator("td").all_inner_texts()
        number, what = int(cells[0][1:]), cells[2]
        first = "alice" if number % 2 else "bob"
        second = "bob" if first == "alice" else "alice"
        row.locator("select").select_option(first if what == "interview" else second)
        row.get_by_role("button", name="Assign").click()
        page.wait_for_load_state()
    expect(page.get_by_text("Every interview has an assessor.")).to_be_visible()


def _record_all(page, url, seconds: list) -> int:
    recorded = 0
    page.goto(url + "/interviews/")
    while page.get_by_role("link", name=re.compile("^Record S")).count():
        page.get_by_role("link", name=re.compile("^Record S")).first.click()
        heading = page.locator("h1").inner_text()
        match = re.search(r"(S\d{4}), (baseline|end of treatment|follow-up)( \(second)?",
                          heading)
        study_id, timepoint, second = match.group(1), LABELS[match.group(2)], match.group(3)
        window = re.search(r"Window: (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)",
                           page.locator("main").inner_text())
        day = window.group(1) if timepoint != "end" else window.group(2)
        depression, gad = PLAN[int(study_id[1:])][timepoint]
        if second:
            seconds.append((study_id, timepoint))
            # the second rater disagrees on gad at every other pair
            if len(seconds) % 2 == 0:
                gad = "subthreshold" if gad != "subthreshold" else "absent"
        unblinded = study_id == "S0005" and timepoint == "end" and not second
        if recorded == 0:
            # the first form is filled as a person would find its fields: by their labels
            page.get_by_label("Interview used").select_option("SCID-5")
            page.get_by_label("Date of the interview").fill(day)
            page.get_by_role("group", name="How it was done").get_by_label("video").check()
            page.get_by_label("Duration (minutes)").fill("55")
            page.get_by_role("group", name="Rating period").get_by_label("current").check()
            page.get_by_label(re.compile("^How far are you back")).fill("60")
            blinding = page.get_by_role("group", name=re.compile("^Before rating"))
            blinding.get_by_label("yes" if unblinded else "no", exact=True).check()
        else:  # the rest by name, which is quicker
            page.select_option("select[name=instrument]", "SCID-5")
            page.fill("input[name=date]", day)
            page.check("input[name=mode][value=video]")
            page.fill("input[name=duration_minutes]", "55")
            page.check("input[name=retrospective][value=current]")
            page.fill("input[name=usual_self_pct]", "60")
            page.check(f"input[name=unblinded][value={'yes' if unblinded else 'no'}]")
        for disorder in codes.values("disorder"):
            status = {"depression": depression, "gad": gad}.get(disorder, "not_assessed")
            page.check(f"input[name=status_{disorder}][value={status}]")
        if unblinded:
            page.get_by_label("If yes, how").select_option("client_named_therapy")
        page.get_by_role("button", name="Save the interview").click()
        assert page.get_by_role("status").inner_text() == "Saved.", \
            page.locator(".errors").all_inner_texts()
        recorded += 1
        page.goto(url + "/interviews/")
    return recorded


def test_interviews_recorded_in_the_browser_reach_the_audit(browser, served):
    steps, url, folder, service, app = served
    coordinator, errors = _sign_in(browser, url, "cora")
    _assign_everything(coordinator, url)
    seconds: list = []
    recorded = 0
    for name in ("alice", "bob"):
        page, more = _sign_in(browser, url, name)
        recorded += _record_all(page, url, seconds)
        errors += more
        page.context.close()
    assert recorded == 24 + len(seconds) and seconds

    # a correction, through the pages: S0001's baseline usual-self rating
    page, _ = _sign_in(browser, url, "alice")
    page.get_by_role("link", name=re.compile(r"^S0001, baseline")).click()
    page.get_by_role("link", name="Record a correction").click()
    page.get_by_label("Reason for the correction").fill("usual self misheard")
    page.get_by_label(re.compile("^How far are you back")).fill("65")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Version 2 (current)")).to_be_visible()
    expect(page.get_by_text("Version 1 (superseded)")).to_be_visible()
    page.context.close()

    analyst, more = _sign_in(browser, url, "ann")
    with analyst.expect_download() as download:
        analyst.get_by_role("button", name=re.compile("^Download interviews")).click()
    archive = folder / "export.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        (service / "interviews.csv").write_bytes(z.read("interviews.csv"))
        (folder / "interviews.manifest.json").write_bytes(z.read("interviews.manifest.json"))
    assert errors == [] and more == []

    manifest = json.loads((folder / "interviews.manifest.json").read_text())
    assert manifest["interviews"] == recorded
    verified = steps.run("assess", "verify", str(app))
    assert f"head {manifest['audit_trail']['head_seq']}" in " ".join(verified.split()) \
        or "OK" in verified

    report = folder / "audit"
    printed = steps.run("audit", str(service), "--out", str(report),
                        "--no-disclosure-control")
    line = next(x for x in printed.splitlines()
                if "Lost their diagnoses at end (independent interview)" in x)
    assert re.search(r"\b50% \(2\d%-7\d%\)", line), line  # 4 of 8, Wilson 22%-78%
    doc = json.loads((report / "report.json").read_text())
    m = doc["metrics"]
    assert (m["diagnostic.baseline_diagnosed"]["value"]) == 8
    assert (m["diagnostic.lost_index_end_itt"]["numerator"],
            m["diagnostic.lost_index_end_itt"]["denominator"]) == (4, 8)
    assert (m["diagnostic.lost_index_follow_up_itt"]["numerator"],
            m["diagnostic.lost_index_follow_up_itt"]["denominator"]) == (3, 8)
    assert (m["diagnostic.lost_index_end_itt_blinded"]["numerator"],
            m["diagnostic.lost_index_end_itt_blinded"]["denominator"]) == (3, 8)
    assert (m["diagnostic.unblinded_share"]["numerator"],
            m["diagnostic.unblinded_share"]["denominator"]) == (1, 24)
    pairs = {r["disorder"]: r["n"] for r in doc["tables"]["agreement.inter_rater"]}
    assert pairs["depression"] == len(seconds)
    html = (report / "report.html").read_text()
    assert "Lost their index diagnoses at end" in html
    assert "Agreement between two assessors of the same interview" in html
    # (one test, not two: the served study is costly to build twice)
    _pages_work_on_a_phone_and_every_control_has_a_label(browser, url)


def _pages_work_on_a_phone_and_every_control_has_a_label(browser, url):
    page, errors = _sign_in(browser, url, "cora")
    page.set_viewport_size(PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in (("/study/", "coordinator"), ("/study/participants/", "participants"),
                       ("/study/assign/", "assign")):
        page.goto(url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.context.close()
    page, _ = _sign_in(browser, url, "alice")
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name=re.compile(r"^S\d{4}, ")).first.click()
    page.get_by_role("link", name="Record a correction").click()
    # the click navigates: measure the form's page, not the moment between the two
    # (evaluated too early, there was no document: a failure seen once in CI)
    expect(page.get_by_label("Reason for the correction")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea')].filter(e => !e.labels.length)
        .map(e => e.name)""")
    assert unlabelled == []
    # keyboard: the skip link is the first stop and jumps to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.screenshot(path=str(ARTIFACTS / "assess-form-phone.png"), full_page=True)
    assert errors == []
