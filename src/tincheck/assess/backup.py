"""A consistent copy of a running study's database: ``tincheck assess backup``.

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database
page by page inside one read transaction, so the copy is the database as it was at one
commit, while the app keeps writing (WAL mode lets writers go on beside a reader). The
copy is written under a temporary name beside ``--out``, its audit trail is verified
(``chain.verify_events``) and checked with ``PRAGMA integrity_check``, and only then is
it renamed into place: a backup that exists is whole. PostgreSQL: ``pg_dump
--format=custom`` (one snapshot transaction, so also consistent while the app writes),
again to a temporary name first.

A backup is itself an event of the audit trail (``backup``: the file's SHA-256, its
size, and for SQLite the head of the chain it holds), so an analyst can see which
backups exist and check a restored copy against them.
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import AssessError
from .chain import verify_events

EVENT_COLUMNS = "seq, at, actor, role, action, target, payload, prev_hash, entry_hash"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str            # "sqlite" or "postgresql"
    size: int                # bytes
    sha256: str
    seconds: float
    events: int | None       # events in the copy (SQLite; None for pg_dump's archive)
    head_seq: int | None
    head_hash: str | None


def _temporary(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_out(out: Path) -> Path:
    """``--out`` must be a new file in a folder that can be written (a backup never
    overwrites another)."""
    out = Path(out)
    if out.is_dir():
        raise AssessError(f"--out {out} is a folder: give a file name such as "
                          "backups/study-2026-01-31.sqlite3")
    if out.exists():
        raise AssessError(f"--out {out} already exists: a backup never overwrites another; "
                          "give a new file name")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise AssessError(f"--out {out}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AssessError(f"--out {out}: cannot write in {parent} (permission denied)")
    return out


def sqlite_backup(source: Path, out: Path) -> BackupResult:
    """Copy the SQLite database ``source`` to ``out`` with the online backup API and
    verify the copy's chain and integrity before it is renamed into place."""
    out = check_out(out)
    started = time.perf_counter()
    temporary = _temporary(out)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(temporary)
            try:
                src.backup(dst)  # all pages in one step: one read transaction, one commit
                # the copy is a database of its own: no WAL file beside it to lose
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        con = sqlite3.connect(f"file:{temporary}?mode=ro", uri=True)
        try:
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            rows = con.execute(f"SELECT {EVENT_COLUMNS} FROM assess_event ORDER BY seq")
            chain = verify_events(rows)
        finally:
            con.close()
        if integrity != "ok":
            raise AssessError(f"the backup failed its integrity check ({integrity}); "
                              "nothing was written")
        if not chain.ok:
            raise AssessError("the backup's audit trail does not verify (first broken "
                              f"event: {chain.broken.sentence()}); run `tincheck assess "
                              "verify` on the study; nothing was written")
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except sqlite3.Error as exc:
        raise AssessError(f"cannot back up {source} ({exc})") from None
    except OSError as exc:
        raise AssessError(f"cannot write the backup {out} ({exc.strerror or exc})") from None
    finally:
        temporary.unlink(missing_ok=True)
    return BackupResult(out, "sqlite", out.stat().st_size, _sha256(out),
                        time.perf_counter() - started, chain.events, chain.head_seq,
                        chain.head_hash)


def pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client ``name`` (pg_dump, pg_restore): Debian keeps
    each version in /usr/lib/postgresql/N/bin; pg_dump must be at least the server's
    version, so the newest is taken."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise AssessError(f"{name} is not installed: it comes with PostgreSQL's client "
                          "programs (apt-get install postgresql-client)")
    return path


def pg_environment(settings: dict) -> dict:
    """The libpq environment of a Django DATABASES entry (the password never goes on the
    command line, where other users could read it)."""
    env = dict(os.environ)
    for key, variable in (("NAME", "PGDATABASE"), ("USER", "PGUSER"), ("HOST", "PGHOST"),
                          ("PORT", "PGPORT"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[variable] = str(settings[key])
    if settings.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = settings["OPTIONS"]["sslmode"]
    return env


def postgres_backup(settings: dict, out: Path) -> BackupResult:
    """``pg_dump --format=custom`` of the study's database to ``out``."""
    out = check_out(out)
    started = time.perf_counter()
    temporary = _temporary(out)
    try:
        result = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner",
                                 f"--file={temporary}"], env=pg_environment(settings),
                                capture_output=True, text=True, timeout=24 * 3600)
        if result.returncode != 0:
            raise AssessError("pg_dump failed: " + " ".join(result.stderr.split()))
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except OSError as exc:
        raise AssessError(f"cannot write the backup {out} ({exc.strerror or exc})") from None
    finally:
        temporary.unlink(missing_ok=True)
    return BackupResult(out, "postgresql", out.stat().st_size, _sha256(out),
                        time.perf_counter() - started, None, None, None)
