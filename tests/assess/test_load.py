"""Kill -9 in the middle of a load, and a backup taken while writes happen: nothing lost.

The small version of benchmarks/assess_load.py (which has the long runs and the
figures): 6 assessors each save 2 interviews through ``tincheck assess serve`` while
the server is killed with SIGKILL 3 times (on SQLite its whole process group) and
restarted; a ``tincheck assess backup`` is taken when half the saves are acknowledged.
Then every acknowledged save is in the database exactly as sent, no interview is
half-written, ``tincheck assess verify`` passes, and the backup restores (SQLite: the
file as the database; PostgreSQL: pg_restore into a new database) to a database whose
chain verifies and which holds every save acknowledged before the backup began.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from ..conftest import REPO
from .conftest import DATABASES

# the app runs in child processes here (Django is not configured in this one), so
# this module runs beside the rest of the app's tests, on a worker of its own; slow:
# each run starts 8 child processes (the server 4 times)
pytestmark = [pytest.mark.xdist_group("assess-load"), pytest.mark.slow]

pytest.importorskip("django")


def _bench():
    spec = importlib.util.spec_from_file_location(
        "assess_load", REPO / "benchmarks" / "assess_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["assess_load"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("database", DATABASES)
def test_kills_and_a_backup_during_load_lose_nothing(database, request):
    bench = _bench()
    url, restore = None, None
    if database == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        url, restore = cluster.create_database(), cluster.create_database
    work = Path(tempfile.mkdtemp(prefix="tincheck-load-"))
    try:
        result = bench.run(database, url, work, assessors=6, per_assessor=2, crash=3,
                           backup=True, restore_url=restore, kill_after=(2, 8), quiet=True,
                           workers=2)  # as `serve` runs on 2 cores: a kill takes both
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = result.summary()
    assert result.kills == 3, summary
    assert result.errors == [], summary
    assert result.acknowledged + result.unacknowledged_stored == 12, summary
    assert result.lost == [] and result.changed == [] and result.half_written == [], summary
    assert result.verify_ok, result.verify_output
    backup = result.backup
    assert backup["command_ok"] and backup["verify_ok"], backup
    assert backup["acknowledged_before_backup"] >= 6 and \
        backup["missing_from_backup"] == 0, backup


def test_the_acknowledgement_check_can_fail(tmp_path):
    """The checks of the load script see a lost save and a changed one."""
    bench = _bench()
    import random

    form = bench.interview_form(random.Random(1), "a note")
    content = bench.expected_content(form)
    assert content["note"] == "a note" and content["retrospective"] is False
    changed = {**form, "status_depression": "absent" if form["status_depression"] !=
               "absent" else "present"}
    assert bench.expected_content(changed) != content
    assert bench.percentile([5, 1, 4, 2, 3], 50) == 3  # nearest rank
    assert bench.percentile(list(range(1, 101)), 95) == 95
