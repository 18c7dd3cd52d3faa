"""A throwaway PostgreSQL cluster for the tests: Debian's initdb and pg_ctl, in a
temporary folder, listening only on a Unix socket in that folder, removed afterwards.

initdb and pg_ctl refuse to run as root (CI runs as root): they are then run as the
``postgres`` user through runuser. The cluster runs with fsync off (the tests check
behaviour, not durability).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PORT = 5432


def binaries() -> Path | None:
    """The bin folder of the newest installed PostgreSQL (None when not installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


class Cluster:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="tincheck-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr or result.stdout}")

    def start(self) -> Cluster:
        self.socket.mkdir()
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        options = (f"-k {self.socket} -p {PORT} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=120")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l",
                  self.root / "server.log", "-w", "-t", "120", "start")
        self._watchdog()
        return self

    def _watchdog(self) -> None:
        """A small detached process that stops the cluster and removes its folder if this
        test process dies without tearing down (killed, or out of time)."""
        stop = " ".join(["runuser", "-u", "postgres", "--"] if self.as_root else []) + \
            f" {self.bin / 'pg_ctl'} -D {self.data} -m immediate -w stop"
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
                  f"[ -f {self.data}/postmaster.pid ] && {stop} >/dev/null 2>&1; "
                  f"rm -rf {self.root}")
        subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w",
                          "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket}&port={PORT}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=str(self.socket), port=PORT, user="postgres",
                             dbname="postgres", autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        return self.url(name)
