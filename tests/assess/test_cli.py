"""The ``tincheck assess`` commands: documented, with clear errors and no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.cli.assess import assess_app

from ..conftest import REPO

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

DOC = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
ASSESS_DOC = (REPO / "docs" / "assess.md").read_text(encoding="utf-8")
SUBCOMMANDS = sorted(c.name for c in assess_app.registered_commands)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_is_documented_with_an_example(command):
    assert f"tincheck assess {command} " in DOC
    result = CliRunner().invoke(app, ["assess", command, "--help"])
    assert result.exit_code == 0
    assert f"Example: tincheck assess {command}" in " ".join(result.output.split())


def test_the_main_commands_are_in_the_assess_guide():
    for command in ("init", "add-user", "load-sample", "serve", "export", "verify"):
        assert f"tincheck assess {command} " in ASSESS_DOC


def _run(*args, stdin=""):
    """A command in a process of its own (each configures Django for its study)."""
    env = {k: v for k, v in os.environ.items() if k != "TINCHECK_ASSESS_DATABASE_URL"}
    env["COLUMNS"] = "1000"  # one message, one line
    return subprocess.run([sys.executable, "-c", "from tincheck.cli import main; main()",
                           *args], input=stdin, capture_output=True, text=True, timeout=300,
                          env=env)


def test_init_makes_a_wal_database_and_errors_are_sentences(tmp_path):
    pytest.importorskip("django")
    import sqlite3

    folder = tmp_path / "app"
    env_free = _run("assess", "init", str(folder))
    assert env_free.returncode == 0, env_free.stderr
    with sqlite3.connect(folder / "assess.sqlite3") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (folder / "secret.key").stat().st_mode & 0o777 == 0o600
    again = _run("assess", "init", str(folder))
    assert again.returncode == 2 and "already holds a study" in again.stderr
    weak = _run("assess", "add-user", str(folder), "alice", "--role", "assessor",
                stdin="12345678\n")
    assert weak.returncode == 2 and "too short" in weak.stderr
    assert "Traceback" not in weak.stderr
    ok = _run("assess", "add-user", str(folder), "alice", "--role", "assessor",
              stdin="a long enough pass phrase\n")
    assert ok.returncode == 0 and "code A01" in ok.stdout
    # no study there: the message comes before Django is started, so in this process
    nothing = CliRunner().invoke(app, ["assess", "verify", str(tmp_path / "nowhere")])
    assert nothing.exit_code == 2 and "is not a study folder" in " ".join(
        nothing.output.split())


def test_each_database_is_set_up_as_documented(study):
    """SQLite: synchronous=FULL and foreign keys on every connection, WAL. PostgreSQL:
    the append-only triggers, TRUNCATE included."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                           "ORDER BY tgname")
            assert [r[0] for r in cursor.fetchall()] == [
                f"assess_{t}_{w}" for t in ("event", "interview", "rating")
                for w in ("no_change", "no_truncate")]
