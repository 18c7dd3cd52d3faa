"""The interview app under load and under kill -9: throughput, latency, nothing lost.

A study is made in a temporary folder (``--assessors`` assessors, each assigned
``--per-assessor`` baseline interviews), ``tincheck assess serve`` is started on
127.0.0.1 as it runs by default (waitress, one worker process per core, at most 4,
8 threads each; ``--workers``, ``--threads``), and one standard-library thread per
assessor works like a browser: it signs in, opens its list, and for each assigned
interview opens the form and saves it (CSRF token, cookies, redirect). Before each
step the assessor pauses (``--pause``: 2 s on average, drawn between 1 and 3 s; people
take most of an hour between opening an interview's form and saving it, so this is
still far busier than a real study); ``--pause 0`` is the stress run in which 50
requests are always waiting. The number of requests is fixed by the study's size: the
run stops by itself when every interview is saved.

Reported per database: requests per second, p50/p95/p99 latency of each kind of
request (sign-in, page, save), errors (any answer other than the page or redirect
expected; connection failures while the server was down are counted apart), and the
checks: every save acknowledged (302 to the interview's page) is in the database with
exactly the content sent, no interview is half-written (every one has a rating per
disorder module and the event that recorded it), and ``tincheck assess verify``
passes.

``--crash N``: while the load runs, the server is killed with SIGKILL ``N`` times (on
SQLite its whole process group) at random moments (after 5-40 further requests have
completed), and restarted at once; the assessors retry what failed (re-opening an
interview whose save was not acknowledged: it is either recorded, then with the
content sent, or still open). ``--backup``: a ``tincheck assess backup`` is taken when
half the saves are done, restored into a new database, verified, and checked to hold
every save acknowledged before the backup began.

PostgreSQL runs in a throwaway cluster (tests/assess/postgres.py) with its default,
durable settings (fsync on, synchronous commit); SQLite with the app's own (WAL,
synchronous=FULL). The figures in docs/assess.md come from:

    python benchmarks/assess_load.py --backup                 # load, both databases
    python benchmarks/assess_load.py --pause 0                # no pauses: the stress run
    python benchmarks/assess_load.py --crash 20 --per-assessor 8 --pause 0

The test suite runs a small version (tests/assess/test_load.py).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import importlib.util
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "load test pass phrase 7"
WINDOW = (_dt.date(2025, 1, 6), _dt.date(2025, 2, 2))
STATUSES = ("present", "subthreshold", "absent", "not_assessed")
CLI = ("-c", "from tincheck.cli import main; main()")
# the server: what `tincheck assess serve DIR --port P --threads T` runs, without the
# command line's own imports (a faster restart after each kill); it stops by itself if
# the script that started it dies (it runs in a session of its own)
SERVE = """
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)
threading.Thread(target=watch, daemon=True).start()
from tincheck.assess.commands import serve
serve(sys.argv[1], "127.0.0.1", int(sys.argv[2]), int(sys.argv[3]), False, (),
      int(sys.argv[4]))
"""
# an assessor's mean pause before each step (reading the page, choosing, clicking):
# 2 s, drawn between 1 and 3 s. People are slower: an interview takes most of an
# hour between opening its form and saving it, so this is still a heavy load.
PAUSE_S = 2.0
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TASK = re.compile(r'href="/interviews/(\d+)/"')


def _postgres_module():
    spec = importlib.util.spec_from_file_location(
        "assess_postgres", REPO / "tests" / "assess" / "postgres.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _environment(url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TINCHECK_ASSESS_DATABASE_URL"}
    if url:
        env["TINCHECK_ASSESS_DATABASE_URL"] = url
    env["COLUMNS"] = "1000"
    return env


def cli(*args: str, url: str | None, timeout: float = 600) -> subprocess.CompletedProcess:
    """A ``tincheck`` command in a process of its own."""
    return subprocess.run([sys.executable, *CLI, *args], capture_output=True, text=True,
                          env=_environment(url), timeout=timeout)


# ------------------------------------------------------------------ the study

SETUP = """
import sys, json
from pathlib import Path
sys.path.insert(0, {bench!r})
import assess_load
assess_load._setup(Path({folder!r}), {assessors}, {per})
"""


def make_study(folder: Path, url: str | None, assessors: int, per: int) -> None:
    """A study folder with ``assessors`` assessors each assigned ``per`` interviews
    (made in a child process: Django is configured once per process)."""
    code = SETUP.format(bench=str(Path(__file__).resolve().parent), folder=str(folder),
                        assessors=assessors, per=per)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_environment(url), timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"setting up the study failed:\n{result.stderr}")


def _setup(folder: Path, assessors: int, per: int) -> None:
    from tincheck.assess import commands

    study = commands.init(folder, 0.0, None)
    from tincheck.assess import services
    from tincheck.assess.models import Visit
    from tincheck.assess.sampling import read_sample

    system = services.command_line()
    cora = services.add_user(system, "cora", "coordinator", PASSWORD)
    for number in range(1, assessors + 1):
        services.add_user(system, f"assessor{number:02d}", "assessor", PASSWORD)
    files = folder.parent / "sample"
    files.mkdir(exist_ok=True)
    people = assessors * per
    sample = ["study_id,referral_id,stratum,selection,reserve_rank"] + [
        f"S{n:05d},R{n:05d},problem_descriptor=F32|step=high,sample," for n in
        range(1, people + 1)]
    schedule = ["study_id,timepoint,months_after_end,anchor,window_start,window_end"] + [
        f"S{n:05d},baseline,,received,{WINDOW[0]},{WINDOW[1]}" for n in range(1, people + 1)]
    (files / "sample.csv").write_text("\n".join(sample) + "\n", encoding="utf-8")
    (files / "schedule.csv").write_text("\n".join(schedule) + "\n", encoding="utf-8")
    rows, visits = read_sample(files / "sample.csv", files / "schedule.csv")
    services.load_sample(system, rows, visits, share=0.0, seed=study.draw_seed, files={})
    coordinator = services.Actor.of(cora)
    for n, visit in enumerate(Visit.objects.order_by("id")):
        services.assign(coordinator, visit.pk, "first", f"assessor{n % assessors + 1:02d}")


COLLECT = """
import sys, json
from pathlib import Path
sys.path.insert(0, {bench!r})
import assess_load
print(json.dumps(assess_load._collect(Path({folder!r}))))
"""


def collect(folder: Path, url: str | None) -> tuple[dict, bool, list[str]]:
    """Every stored interview (``{assignment id: {versions, ratings, content,
    evented}}``), and the result of ``tincheck assess verify``'s checks (run in the same
    child process, by the function the command runs)."""
    code = COLLECT.format(bench=str(Path(__file__).resolve().parent), folder=str(folder))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_environment(url), timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"reading the database failed:\n{result.stderr}")
    found = json.loads(result.stdout.splitlines()[-1])
    return ({int(k): v for k, v in found["interviews"].items()}, found["verify_ok"],
            found["verify"])


def _collect(folder: Path) -> dict:
    from tincheck.assess import commands

    report = commands.verify(folder)  # what `tincheck assess verify` runs
    from tincheck.assess import services
    from tincheck.assess.models import Event, Interview

    events = set(Event.objects.filter(action="interview_saved").values_list("seq",
                                                                               flat=True))
    out: dict = {}
    for row in Interview.objects.prefetch_related("ratings").order_by("id"):
        entry = out.setdefault(row.assignment_id, {"versions": 0, "ratings": [],
                                                   "content": None, "evented": []})
        entry["versions"] += 1
        entry["ratings"].append(len(row.ratings.all()))
        entry["evented"].append(row.event_seq in events)
        entry["content"] = services.interview_content(row)
    broken = [report.chain.broken.sentence()] if report.chain.broken else []
    return {"interviews": out, "verify_ok": report.ok,
            "verify": broken + report.records or [
                f"OK {report.chain.events} events verify; head {report.chain.head_seq}"]}


# ------------------------------------------------------------------ the server

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The app served as ``tincheck assess serve`` serves it (waitress), in a process
    group of its own, on 127.0.0.1."""

    def __init__(self, folder: Path, url: str | None, log: Path, threads: int = 8,
                 workers: int = 1):
        self.folder, self.url, self.log, self.threads = folder, url, log, threads
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.up = threading.Event()

    def start(self, timeout: float = 120) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVE, str(self.folder), str(self.port),
                 str(self.threads), str(self.workers)],
                env=_environment(self.url), stdout=log, stderr=log,
                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped (status {self.process.returncode}):\n"
                                   + self.log.read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                self.up.set()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start in time")

    def kill(self, group: bool) -> None:
        """SIGKILL: the process group (``group``) or the server process alone."""
        self.up.clear()
        if group:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # worker processes die with the server (PR_SET_PDEATHSIG), a moment later: the
        # port is free once the last of them has gone
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.01)
        raise RuntimeError("the server's workers outlived it")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.up.clear()


# ------------------------------------------------------------------ the assessors

@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict = field(default_factory=lambda: {"login": [], "page": [], "save": []})
    errors: list = field(default_factory=list)           # answers a user would see
    connection_failures: int = 0                          # server down (crash mode)
    completed: int = 0
    acknowledged: dict = field(default_factory=dict)      # assignment id -> (content, time)
    sent: dict = field(default_factory=dict)              # every content sent, by id
    unacknowledged_stored: int = 0                        # saved, but the answer was lost

    timed_saves: list = field(default_factory=list)      # (started, seconds)
    last_login: float = 0.0                               # when the last sign-in ended

    def add(self, kind: str, started: float, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.completed += 1
            if kind == "save":
                self.timed_saves.append((started, seconds))
            elif kind == "login":
                self.last_login = max(self.last_login, started + seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Down(Exception):
    """The server did not answer (killed, or restarting)."""


class Browser:
    """One assessor's browser: cookies, a new connection per request."""

    def __init__(self, server: Server, stats: Stats):
        self.server, self.stats, self.cookies = server, stats, {}

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        body = urlencode(form) if form is not None else None
        headers = {"Host": f"127.0.0.1:{self.server.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                                    timeout=120)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            with self.stats.lock:
                self.stats.connection_failures += 1
            raise Down(str(exc)) from None
        self.stats.add(kind, started, time.perf_counter() - started)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value or value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if response.status >= 500 or response.status in (403, 429):
            self.stats.error(f"{method} {path}: {response.status} "
                             f"{' '.join(re.sub('<[^>]+>', ' ', text).split())[:200]}")
        return response.status, response.headers, text

    def retrying(self, *args, deadline: float, **kwargs):
        while True:
            try:
                return self.request(*args, **kwargs)
            except Down:
                if time.monotonic() > deadline:
                    raise
                self.server.up.wait(timeout=5)
                time.sleep(0.05)


def interview_form(rng: random.Random, note: str) -> dict:
    from tincheck import codes

    statuses = {d: rng.choice(STATUSES) for d in codes.values("disorder")}
    statuses[rng.choice(list(statuses))] = rng.choice(STATUSES[:3])
    day = WINDOW[0] + _dt.timedelta(days=rng.randrange((WINDOW[1] - WINDOW[0]).days + 1))
    form = {"instrument": rng.choice(["SCID-5", "MINI", "DIAMOND"]), "instrument_version": "",
            "date": day.isoformat(), "mode": rng.choice(["video", "telephone"]),
            "duration_minutes": str(rng.randint(20, 120)), "retrospective": "current",
            "usual_self_pct": str(rng.randint(0, 100)), "unblinded": "no",
            "unblinded_how": "", "note": note}
    form.update({f"status_{d}": s for d, s in statuses.items()})
    return form


def expected_content(form: dict) -> dict:
    """What the app stores for ``form`` (services.InterviewData.content())."""
    from tincheck import codes

    return {"instrument": form["instrument"], "date": form["date"], "mode": form["mode"],
            "duration_minutes": int(form["duration_minutes"]), "retrospective": False,
            "unblinded": False, "statuses": {d: form[f"status_{d}"]
                                             for d in codes.values("disorder")},
            "instrument_version": "", "usual_self_pct": int(form["usual_self_pct"]),
            "unblinded_how": "", "note": form["note"]}


def assessor(name: str, server: Server, stats: Stats, seed: int, give_up: float,
             pause: float = 0.0) -> None:
    """Sign in, open the list, open and save every assigned interview (retrying what the
    server did not answer). ``pause``: the mean time the assessor takes before each
    step (uniform between half and one and a half times it; 0: no pause at all)."""
    rng = random.Random(seed)
    browser = Browser(server, stats)
    deadline = time.monotonic() + give_up

    def think():
        if pause:
            time.sleep(rng.uniform(0.5, 1.5) * pause)

    def sign_in():
        while True:
            status, _, page = browser.retrying("page", "GET", "/login/", deadline=deadline)
            token = TOKEN.search(page)
            if status != 200 or token is None:
                raise RuntimeError(f"{name}: no sign-in form ({status})")
            try:
                status, headers, _ = browser.request(
                    "login", "POST", "/login/", {"csrfmiddlewaretoken": token.group(1),
                                                 "username": name, "password": PASSWORD,
                                                 "next": ""})
            except Down:
                browser.server.up.wait(timeout=5)
                continue
            if status == 302 and not headers["Location"].startswith("/login/"):
                return
            raise RuntimeError(f"{name}: sign-in refused ({status})")

    def page(path):
        while True:
            status, headers, text = browser.retrying("page", "GET", path, deadline=deadline)
            if status == 302 and headers["Location"].startswith("/login/"):
                sign_in()
                continue
            return status, text

    think()
    sign_in()
    think()
    status, listing = page("/interviews/")
    tasks = sorted({int(t) for t in TASK.findall(listing)})
    for task in tasks:
        path = f"/interviews/{task}/"
        form = interview_form(rng, f"load {name} {task} {rng.getrandbits(48):012x}")
        attempts = 0
        while True:
            attempts += 1
            if attempts > 50:
                stats.error(f"{name}: gave up on {path}")
                break
            think()
            status, text = page(path)
            token = TOKEN.search(text)
            if status == 200 and "name=\"status_" not in text:
                # recorded already: an earlier save went through, its answer was lost
                with stats.lock:
                    stats.unacknowledged_stored += 1
                break
            if status != 200 or token is None:
                stats.error(f"{name}: {path} answered {status}")
                break
            with stats.lock:
                stats.sent[task] = form
            think()
            try:
                status, headers, text = browser.request(
                    "save", "POST", path, {**form, "csrfmiddlewaretoken": token.group(1)})
            except Down:
                server.up.wait(timeout=5)
                continue
            if status == 302 and headers["Location"] == f"{path}?saved=1":
                with stats.lock:
                    stats.acknowledged[task] = (form, time.monotonic())
                break
            if status == 302 and headers["Location"].startswith("/login/"):
                sign_in()
                continue
            if status < 500:
                stats.error(f"{name}: save of {path} answered {status}")
                break
            # a 5xx was counted as an error shown to the user; the user tries again


# ------------------------------------------------------------------ one run

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]  # nearest rank


@dataclass
class Result:
    database: str
    assessors: int
    saves: int
    kills: int = 0
    pause: float = 0.0
    workers: int = 1
    seconds: float = 0.0
    requests: int = 0
    latency: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    connection_failures: int = 0
    acknowledged: int = 0
    unacknowledged_stored: int = 0
    lost: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    half_written: list = field(default_factory=list)
    verify_ok: bool = False
    verify_output: str = ""
    backup: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (not self.errors and not self.lost and not self.changed
                and not self.half_written and self.verify_ok
                and self.backup.get("ok", True))

    def summary(self) -> dict:
        return {"database": self.database, "assessors": self.assessors,
                "saves": self.saves, "kills": self.kills, "pause_s": self.pause,
                "workers": self.workers, "seconds": round(self.seconds, 2),
                "requests": self.requests,
                "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds
                else None,
                "latency_ms": self.latency, "errors": len(self.errors),
                "error_examples": self.errors[:5],
                "connection_failures": self.connection_failures,
                "acknowledged_saves": self.acknowledged,
                "stored_without_acknowledgement": self.unacknowledged_stored,
                "acknowledged_lost": len(self.lost), "changed": len(self.changed),
                "half_written": len(self.half_written), "verify_ok": self.verify_ok,
                "backup": self.backup, "ok": self.ok}


def run(database: str, url: str | None, work: Path, *, assessors: int = 50,
        per_assessor: int = 4, crash: int = 0, backup: bool = False, seed: int = 1,
        restore_url=None, threads: int = 8, kill_after: tuple[int, int] = (5, 40),
        quiet: bool = False, pause: float = 0.0, workers: int = 1) -> Result:
    """One load (and crash) run on a new study in ``work``. ``restore_url``: a function
    giving a new empty PostgreSQL database URL to restore a backup into; ``kill_after``:
    the range of further completed requests after which the next kill comes."""
    folder = work / "study"
    make_study(folder, url, assessors, per_assessor)
    result = Result(database, assessors, assessors * per_assessor, pause=pause,
                    workers=workers)
    server = Server(folder, url, work / "server.log", threads=threads, workers=workers)
    stats = Stats()
    rng = random.Random(seed)
    done = threading.Event()
    backup_info: dict = {}
    server.start()
    try:
        def killer():
            while result.kills < crash and not done.is_set():
                target = stats.completed + rng.randint(*kill_after)
                while stats.completed < target and not done.is_set():
                    time.sleep(0.005)
                if done.is_set():
                    return
                server.kill(group=database == "sqlite")
                result.kills += 1
                time.sleep(rng.uniform(0, 0.2))
                server.start()

        def backer():
            while len(stats.acknowledged) < result.saves // 2 and not done.is_set():
                time.sleep(0.01)
            before = {k for k, (_, t) in list(stats.acknowledged.items())}
            out = work / f"backup.{'sqlite3' if database == 'sqlite' else 'dump'}"
            started = time.perf_counter()
            answer = cli("assess", "backup", str(folder), "--out", str(out), url=url)
            backup_info.update(seconds=round(time.perf_counter() - started, 2),
                               command_ok=answer.returncode == 0, before=before, out=out,
                               message=(answer.stdout + answer.stderr).strip()[-500:])

        workers = [threading.Thread(target=assessor, args=(
            f"assessor{n:02d}", server, stats, seed * 1000 + n, 600, pause), daemon=True)
            for n in range(1, assessors + 1)]
        helpers = []
        if crash:
            helpers.append(threading.Thread(target=killer, daemon=True))
        if backup:
            helpers.append(threading.Thread(target=backer, daemon=True))
        started = time.perf_counter()
        for thread in workers + helpers:
            thread.start()
        for thread in workers:
            thread.join()
        result.seconds = time.perf_counter() - started
        done.set()
        for thread in helpers:
            thread.join()
        if not server.up.is_set():
            server.start()
    finally:
        server.stop()
    result.requests = sum(len(v) for v in stats.latencies.values())
    result.latency = {kind: {"n": len(v), "p50": round(1000 * percentile(v, 50), 1),
                             "p95": round(1000 * percentile(v, 95), 1),
                             "p99": round(1000 * percentile(v, 99), 1)}
                      for kind, v in stats.latencies.items()}
    # saves begun once every assessor had signed in (Argon2 sign-ins take the CPU first)
    steady = [s for t, s in stats.timed_saves if t > stats.last_login]
    result.latency["save_after_sign_ins"] = {
        "n": len(steady), "p50": round(1000 * percentile(steady, 50), 1),
        "p95": round(1000 * percentile(steady, 95), 1),
        "p99": round(1000 * percentile(steady, 99), 1)}
    result.errors = stats.errors
    result.connection_failures = stats.connection_failures
    result.acknowledged = len(stats.acknowledged)
    result.unacknowledged_stored = stats.unacknowledged_stored
    stored, result.verify_ok, lines = collect(folder, url)
    result.verify_output = "\n".join(lines)
    for task, (form, _) in stats.acknowledged.items():
        if task not in stored:
            result.lost.append(task)
        elif stored[task]["content"] != expected_content(form) or \
                stored[task]["versions"] != 1:
            result.changed.append(task)
    from tincheck import codes

    modules = len(codes.values("disorder"))
    for task, entry in stored.items():
        if any(n != modules for n in entry["ratings"]) or not all(entry["evented"]):
            result.half_written.append(task)
        elif task not in stats.acknowledged and (
                task not in stats.sent or entry["content"] != expected_content(
                    stats.sent[task])):
            result.changed.append(task)  # stored, but not what its assessor sent
    if backup:
        result.backup = _restore_and_check(folder, url, work, backup_info, restore_url)
    if not quiet:
        print(json.dumps(result.summary(), indent=2), flush=True)
    return result


def _restore_and_check(folder: Path, url: str | None, work: Path, info: dict,
                       restore_url) -> dict:
    """Restore the backup into a new database, verify it, and check it holds every save
    acknowledged before the backup began."""
    out = {"seconds": info.get("seconds"), "command_ok": info.get("command_ok", False),
           "message": info.get("message", "")}
    if not out["command_ok"]:
        out["ok"] = False
        return out
    restored = work / "restored"
    restored.mkdir()
    for name in ("study.toml", "secret.key"):
        shutil.copy2(folder / name, restored / name)
    started = time.perf_counter()
    if url is None:
        shutil.copy2(info["out"], restored / "assess.sqlite3")
        target = None
    else:
        from tincheck.assess.backup import pg_environment, pg_tool
        from tincheck.assess.study import postgres_settings

        target = restore_url()
        answer = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--exit-on-error",
                                 f"--dbname={postgres_settings(target)['NAME']}",
                                 str(info["out"])], capture_output=True, text=True,
                                env=pg_environment(postgres_settings(target)), timeout=600)
        if answer.returncode != 0:
            return {**out, "ok": False, "message": answer.stderr[-500:]}
    out["restore_seconds"] = round(time.perf_counter() - started, 2)
    out["bytes"] = Path(info["out"]).stat().st_size
    stored, out["verify_ok"], lines = collect(restored, target)
    out["verify_output"] = "\n".join(lines)[-300:]
    missing = sorted(set(info["before"]) - set(stored))
    out["acknowledged_before_backup"] = len(info["before"])
    out["missing_from_backup"] = len(missing)
    out["ok"] = out["verify_ok"] and not missing
    return out


# ------------------------------------------------------------------ command line

def main(argv=None) -> int:
    from tincheck.assess.server import default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--assessors", type=int, default=50)
    parser.add_argument("--per-assessor", type=int, default=4)
    parser.add_argument("--crash", type=int, default=0, metavar="KILLS")
    parser.add_argument("--backup", action="store_true")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: as `serve`, one per core, at "
                             "most 4)")
    parser.add_argument("--pause", type=float, default=PAUSE_S, metavar="SECONDS",
                        help="mean pause of an assessor before each step (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    with open("/proc/loadavg") as handle:
        load_before = handle.read().split()[:3]
    print(json.dumps({"cpus": os.cpu_count(), "load_average_before": load_before,
                      "python": sys.version.split()[0]}), flush=True)
    bases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    ok = True
    for database in bases:
        work = Path(tempfile.mkdtemp(prefix=f"tincheck-load-{database}-"))
        cluster = None
        try:
            url, restore = None, None
            if database == "postgres":
                pg = _postgres_module()
                bin_dir = pg.binaries()
                if bin_dir is None:
                    print("PostgreSQL is not installed: skipped", flush=True)
                    continue
                cluster = pg.Cluster(bin_dir, durable=True).start()
                url, restore = cluster.create_database(), cluster.create_database
            result = run(database, url, work, assessors=options.assessors,
                         per_assessor=options.per_assessor, crash=options.crash,
                         backup=options.backup, seed=options.seed, restore_url=restore,
                         threads=options.threads, pause=options.pause,
                         workers=options.workers or default_workers())
            ok &= result.ok
        finally:
            if cluster is not None:
                cluster.stop()
            shutil.rmtree(work, ignore_errors=True)
    with open("/proc/loadavg") as handle:
        print(json.dumps({"load_average_after": handle.read().split()[:3]}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
