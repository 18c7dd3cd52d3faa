"""Fixtures of the interview app's tests: a study on SQLite and on PostgreSQL.

Django is configured once per test process; :func:`open_study` points it at a fresh
study (a new SQLite file, or a new database in the throwaway PostgreSQL cluster of
:mod:`.postgres`). Tests of both databases are grouped on one worker, and PostgreSQL
is skipped with the reason when it is not installed, unless
TINCHECK_REQUIRE_POSTGRES=1 (set by .ci/run), when its absence fails the run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from .postgres import Cluster, binaries

pytest.importorskip("django", reason="the assess extra is not installed "
                    "(pip install -e '.[assess]')")

REQUIRE_POSTGRES = os.environ.get("TINCHECK_REQUIRE_POSTGRES") == "1"
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
PASSWORD = "a long enough pass phrase"


@pytest.fixture(scope="session")
def pg_cluster():
    """A running throwaway PostgreSQL cluster (stopped and removed at the end)."""
    bin_dir = binaries()
    if bin_dir is None:
        message = ("PostgreSQL is not installed (apt-get install postgresql; `make test` "
                   "installs it when run as root)")
        if REQUIRE_POSTGRES:
            pytest.fail(f"TINCHECK_REQUIRE_POSTGRES=1 but {message}")
        pytest.skip(message)
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
    except (RuntimeError, OSError) as exc:
        cluster.stop()
        if REQUIRE_POSTGRES:
            pytest.fail(f"TINCHECK_REQUIRE_POSTGRES=1 but the cluster did not start: {exc}")
        pytest.skip(f"PostgreSQL cluster did not start: {exc}")
    yield cluster
    cluster.stop()


def database_url(kind: str, request) -> str | None:
    if kind == "sqlite":
        return None
    return request.getfixturevalue("pg_cluster").create_database()


def open_study(folder: Path, url: str | None, share: float = 0.15):
    """Create a study in ``folder`` on ``url`` (None: SQLite) and point Django at it."""
    from tincheck.assess import study

    _environment(url)
    created = study.create(folder, share)
    point_to(created)
    from tincheck.assess import runtime, services

    runtime.migrate()
    services.create_study(services.command_line(), created.study_uuid, {})
    return created


def _environment(url: str | None) -> None:
    from tincheck.assess import study

    if url:
        os.environ[study.DATABASE_URL] = url
    else:
        os.environ.pop(study.DATABASE_URL, None)


def point_to(created, url: str | None = "unchanged") -> None:
    """Point this process's Django at the database of study ``created``."""
    from tincheck.assess import runtime

    if url != "unchanged":
        _environment(url)
    if runtime._configured is None:
        runtime.configure(created, allowed_hosts=("testserver",))  # Django's test client
    else:
        from asgiref.local import Local
        from django.conf import settings
        from django.db import connections

        connections.close_all()
        settings.DATABASES = {"default": runtime.database_settings(created)}
        settings.TINCHECK_STUDY = created
        connections.__dict__.pop("settings", None)
        connections._settings = None
        connections._connections = Local(connections.thread_critical)
        runtime._configured = created


# pytest-xdist may tear a module's fixtures down between two of its tests (a worker does
# not always know the next test); studies and what tests build in them are therefore
# kept per module and database, and Django is pointed back at them.
_STUDIES: dict = {}
_BUILT: dict = {}


@pytest.fixture(scope="module", params=DATABASES)
def study(request):
    """A fresh study on each database, for a test module."""
    key = (request.module.__name__, request.param)
    if key in _STUDIES:
        created, url = _STUDIES[key]
        point_to(created, url)
    else:
        folder = Path(tempfile.mkdtemp(prefix="tincheck-assess-")) / "study"
        url = database_url(request.param, request)
        created = open_study(folder, url)
        _STUDIES[key] = (created, url)
    yield created, request.param
    from django.db import connections

    connections.close_all()


def once(request, study, build):
    """``build()`` run once per test module and database (see _STUDIES)."""
    key = (request.module.__name__, study[1], request.fixturename)
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


def users(*specs):
    """Add users ``(name, role)`` by the service, returning them by name."""
    from tincheck.assess import services

    return {name: services.add_user(services.command_line(), name, role, PASSWORD)
            for name, role in specs}


def load(sample_path: Path, schedule_path: Path, share: float = 0.15, seed: str = "seed"):
    from tincheck.assess import services
    from tincheck.assess.sampling import read_sample

    rows, visits = read_sample(sample_path, schedule_path)
    return services.load_sample(services.command_line(), rows, visits, share=share,
                                seed=seed, files={})
