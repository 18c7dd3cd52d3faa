"""``tincheck assess serve --workers N``: N processes serve one port; a worker that
stops is replaced; none outlives the server; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.xdist_group("assess"),
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="worker processes are read from /proc (Linux)")]


def _env():
    env = {k: v for k, v in os.environ.items() if k != "TINCHECK_ASSESS_DATABASE_URL"}
    env["COLUMNS"] = "1000"
    return env


def _tincheck(*args):
    return [sys.executable, "-c", "from tincheck.cli import main; main()", *args]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait(condition, seconds=30.0, what=""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url + "/login/", timeout=5).status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    pytest.importorskip("django")
    folder = tmp_path_factory.mktemp("served") / "app"
    made = subprocess.run(_tincheck("assess", "init", str(folder)), capture_output=True,
                          text=True, env=_env(), timeout=300)
    assert made.returncode == 0, made.stderr
    return folder


def _start(study: Path, log: Path, workers: int = 2):
    port = _free_port()
    with log.open("w") as out:
        server = subprocess.Popen(_tincheck("assess", "serve", str(study), "--port",
                                            str(port), "--workers", str(workers)),
                                  env=_env(), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait(lambda: _answers(url) or server.poll() is not None, 120, "the server")
    assert server.poll() is None, log.read_text()
    _wait(lambda: len(_children(server.pid)) == workers, 30, "the workers")
    return server, url


def test_workers_serve_are_replaced_and_die_with_the_server(study, tmp_path):
    server, url = _start(study, tmp_path / "server.log")
    try:
        assert "with 2 worker processes" in (tmp_path / "server.log").read_text()
        first = _children(server.pid)
        assert all(_answers(url) for _ in range(10))
        # a worker killed once it has run a while is replaced; the others serve meanwhile
        time.sleep(5.5)  # server.MIN_WORKER_LIFE_S: a worker that dies sooner stops all
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _wait(lambda: len(_children(server.pid) - {victim}) == 2, 30, "a new worker")
        assert _children(server.pid) != first and server.poll() is None
        assert "starting another" in (tmp_path / "server.log").read_text()
        assert all(_answers(url) for _ in range(10))
        # kill -9 of the server: its workers go with it, and the port is free
        workers = _children(server.pid)
        server.send_signal(signal.SIGKILL)
        server.wait(30)
        _wait(lambda: not any(_alive(p) for p in workers), 30, "the workers to die")
        assert not _answers(url)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)


def test_sigterm_stops_every_worker(study, tmp_path):
    server, url = _start(study, tmp_path / "server.log", workers=3)
    workers = _children(server.pid)
    assert len(workers) == 3
    server.terminate()
    assert server.wait(30) == 0, (tmp_path / "server.log").read_text()
    _wait(lambda: not any(_alive(p) for p in workers), 30, "the workers to stop")
    assert not _answers(url)


def test_a_worker_that_cannot_start_stops_the_server(study, tmp_path):
    """Workers failing at once are not restarted for ever: the command stops, saying why."""
    code = ("import sys; from tincheck.assess import server\n"
            "def broken(): raise SystemExit(3)\n"
            "try:\n"
            "    server._supervise(2, broken)\n"
            "except server.AssessError as exc:\n"
            "    print('stopped:', exc); sys.exit(2)\n")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=_env())
    assert answer.returncode == 2, answer.stderr
    assert "stopped: a worker process stopped" in answer.stdout
