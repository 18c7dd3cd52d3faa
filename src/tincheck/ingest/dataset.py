"""Read a service's data folder into canonical tables: :func:`read_dataset`.

The result is a :class:`Dataset`: canonical tables in an in-memory DuckDB database,
reachable as Ibis tables, plus the validation report (warnings kept for the report)
and the files' SHA-256 hashes. :func:`validate` runs the same reading and returns
only the report.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb
import ibis

from .. import pseudonymise
from ..engine import COMPRESSED_DATABASE
from ..errors import MemoryLimitError, SettingError
from ..schema import TABLES
from .findings import DataError, Example, Finding, ValidationReport
from .parse import UK_TIME_ZONE
from .rules import column_findings, table_findings
from .sources import FileProblem, SourceFile, find_sources, load
from .staging import build_canonical

MANIFEST = "manifest.json"
MEMORY_LIMIT_ENV = "TINCHECK_MEMORY_LIMIT"
DATABASE = COMPRESSED_DATABASE  # the compressed in-memory database of the canonical tables
_MEMORY = re.compile(r"\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


def limit_in_force(memory_limit: str | None = None) -> str | None:
    """The cap on DuckDB's memory: ``memory_limit``, else ``TINCHECK_MEMORY_LIMIT``,
    else None (DuckDB's default, 80% of RAM)."""
    return memory_limit or os.environ.get(MEMORY_LIMIT_ENV) or None


def connect(memory_limit: str | None = None) -> tuple[duckdb.DuckDBPyConnection, str]:
    """An in-memory DuckDB connection for one dataset, and its private spill folder.

    ``memory_limit`` (or the ``TINCHECK_MEMORY_LIMIT`` environment variable), e.g.
    ``"3GB"``, caps DuckDB's memory; beyond it DuckDB spills to disk instead of
    growing (default: DuckDB's own, 80% of RAM). Spilled data goes to a private
    temporary folder, removed on close, never to DuckDB's default ``.tmp`` in the
    working directory.
    """
    limit = limit_in_force(memory_limit)
    if limit is not None and not _MEMORY.fullmatch(str(limit)):
        if memory_limit:
            raise SettingError("memory_limit", limit, "expected a size such as 3GB or 500MB")
        raise ValueError(f"{MEMORY_LIMIT_ENV}={limit!r}: expected a size such as 3GB or "
                         "500MB")
    spill = tempfile.mkdtemp(prefix="tincheck-spill-")
    connection = duckdb.connect(":memory:")
    # The canonical tables live in an in-memory database that compresses what it holds
    # (at each CHECKPOINT, see build_canonical): at 1,000,000 referrals they take
    # about 0.2 GB instead of 1.9 GB, which leaves that memory to the audit's joins
    # and groups. The audit's working tables are compressed there too
    # (engine.materialise with compress=True); other temporary tables are not.
    connection.execute(f"ATTACH ':memory:' AS {DATABASE} (COMPRESS)")
    connection.execute(f"USE {DATABASE}")
    # Compression happens at the CHECKPOINTs tincheck asks for, once a table is final,
    # not at whichever statement first writes more than DuckDB's automatic threshold
    # (16 MB): that made the audit's working tables at 100,000 referrals compress
    # inside the statement building them (0.67 s instead of 0.43 s).
    connection.execute("SET checkpoint_threshold = '1TB'")
    # DuckDB draws its own progress bar on stdout for queries over 2 s (a loaded
    # machine): it would break the command's Rich output
    connection.execute("SET enable_progress_bar = false")
    # Parquet timestamps with a time zone are instants: shown, cast to text or to a
    # date in UK time (ingest.parse), never in the time zone of the machine running
    connection.execute(f"SET TimeZone = '{UK_TIME_ZONE}'")
    connection.execute(f"SET temp_directory = '{spill}'")
    # Memory DuckDB frees is returned to the system by its allocator's background
    # threads instead of staying resident until DuckDB next allocates: while the audit
    # works in Python (imputation, models, report) the process held 0.7 GB of it at
    # 1,000,000 referrals, which two seconds with these threads returned.
    connection.execute("SET allocator_background_threads = true")
    if limit is not None:
        connection.execute(f"SET memory_limit = '{limit.strip()}'")
        # Under a cap, memory DuckDB has freed goes back to the system after each task
        # instead of being kept for reuse (above 16 MB; DuckDB's default is 128 MB):
        # at 1,000,000 referrals with a 1GB cap the process peaked at 1,340 MiB
        # instead of 1,500, for about a second more.
        connection.execute("SET allocator_flush_threshold = '16MB'")
    return connection, spill


@dataclass
class Dataset:
    """A service's records as canonical tables, ready for the metric layer.

    ``supplied`` names the tables that came from a file; the others exist but are
    empty. ``columns`` names, for each supplied table, the canonical columns its
    file has (the others exist, all NULL). ``report`` holds every validation finding
    (warnings only, once read without errors).
    """

    path: Path
    connection: duckdb.DuckDBPyConnection
    sources: dict[str, SourceFile]
    supplied: frozenset[str]
    report: ValidationReport
    manifest: dict | None = None
    spill: str | None = field(default=None, repr=False)
    columns: dict[str, frozenset[str]] = field(default_factory=dict)
    memory_limit: str | None = None  # the cap on DuckDB's memory it was read under

    @cached_property
    def backend(self):
        """The Ibis DuckDB backend over the canonical tables."""
        return ibis.duckdb.from_connection(self.connection)

    def table(self, name: str) -> ibis.Table:
        """The canonical table ``name`` as an Ibis table bound to this dataset."""
        if name not in TABLES:
            raise KeyError(f"no canonical table {name!r}; tables: {', '.join(TABLES)}")
        return self.backend.table(name)

    def has(self, name: str) -> bool:
        """Whether the table was supplied (optional tables may be absent)."""
        return name in self.supplied

    def rows(self, name: str) -> int:
        return self.connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]

    @property
    def warnings(self) -> list[Finding]:
        return self.report.warnings

    @cached_property
    def files(self) -> dict[str, str]:
        """File name → SHA-256 of each table file read."""
        return {s.name: s.sha256() for s in self.sources.values()}

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest and self.manifest.get("synthetic"))

    def to_parquet(self, folder: str | Path, tables=None) -> Path:
        """Write canonical tables as Parquet files into ``folder``.

        ``tables`` defaults to the supplied ones; name others to write them empty (with
        their schema), as the Spark engine does.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in sorted(self.supplied if tables is None else tables):
            target = str(folder / f"{name}.parquet").replace("'", "''")
            self.connection.execute(f"COPY {name} TO '{target}' (FORMAT parquet)")
        return folder

    def close(self) -> None:
        self.connection.close()
        if self.spill:
            shutil.rmtree(self.spill, ignore_errors=True)

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_manifest(folder: Path, report: ValidationReport) -> dict | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add(Finding("warning", "bad_manifest", MANIFEST, None,
                           f"a JSON manifest; it could not be read ({type(exc).__name__}) "
                           "and was ignored", examples=(Example(None),)))
        return None
    return manifest if isinstance(manifest, dict) else None


def _load(path: str | Path, key_file=None, today: _dt.date | None = None,
          memory_limit: str | None = None) -> tuple[Dataset, ValidationReport]:
    folder = Path(path)
    report = ValidationReport()
    sources, found = find_sources(folder)
    for finding in found:
        report.add(finding)
    connection, spill = connect(memory_limit)
    limit = limit_in_force(memory_limit)
    try:
        dataset = _read(folder, connection, spill, limit, sources, report, key_file, today)
    except BaseException as exc:
        # whatever stops the reading, the connection is closed and the spill folder
        # (which may hold the data) removed; running out of DuckDB's memory is the
        # limit's fault, not the data's
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise MemoryLimitError(limit) from None
        raise
    return dataset, report


def _read(folder: Path, connection, spill: str, limit: str | None, sources: dict,
          report: ValidationReport, key_file, today: _dt.date | None) -> Dataset:
    """Load, stage, check and build every table on ``connection`` (see :func:`_load`)."""
    try:
        key = pseudonymise.find_key(key_file)
    except pseudonymise.PseudonymKeyError as exc:
        report.add(Finding("error", "pseudonym_key", "(key file)", None, str(exc)))
        key, sources = None, {}
    raws = {}
    for name, source in sources.items():
        staged = None
        try:
            raw, findings = load(connection, source, key)
            if raw is not None and raw.structure_ok:
                # staging reads the file (a Parquet file for the first time): an NHS
                # number without a key, or a damaged page, surfaces here
                staged, checked = column_findings(connection, raw, TABLES[name])
                findings += checked
        except pseudonymise.PseudonymKeyError as exc:
            raw, findings = None, [Finding("error", "pseudonym_key", source.name, None,
                                           str(exc), examples=(Example(None),))]
        except FileProblem as problem:
            raw, findings = None, [problem.finding(source)]
        for finding in findings:
            report.add(finding)
        if staged is not None:
            # each canonical table is built as soon as its file is checked, so only
            # one file's staging is in memory at a time
            build_canonical(connection, staged, TABLES[name])
            raws[name] = raw
        elif raw is not None:
            report.add(Finding(
                "warning", "checks_skipped", source.name, None,
                "row-level checks of this file were skipped until its structure errors "
                "are fixed"))
    # a wide file turned the optimiser off for its own statements (sources.load)
    connection.execute("RESET disabled_optimizers")
    for name, table in TABLES.items():
        if name not in raws:
            build_canonical(connection, None, table)
    supplied = frozenset(raws)
    files = {name: raw.source.name for name, raw in raws.items()}
    failed = {name: source.name for name, source in sources.items() if name not in raws}
    for finding in table_findings(connection, files, set(supplied), today=today,
                                  failed=failed):
        report.add(finding)
    manifest = _read_manifest(folder, report)
    report.synthetic = bool(manifest and manifest.get("synthetic"))
    return Dataset(folder, connection, {n: r.source for n, r in raws.items()},
                   supplied, report, manifest, spill,
                   {n: frozenset(r.header.canonical) for n, r in raws.items()}, limit)


def validate(path: str | Path, *, key_file=None, today: _dt.date | None = None,
             memory_limit: str | None = None) -> ValidationReport:
    """Check a data folder against every rule of the data model.

    Returns the report (errors and warnings); never raises for bad data.

    >>> from tincheck import example_path
    >>> validate(example_path()).ok
    True
    """
    dataset, report = _load(path, key_file, today, memory_limit)
    dataset.close()
    return report


def read_dataset(path: str | Path, *, key_file=None, today: _dt.date | None = None,
                 memory_limit: str | None = None) -> Dataset:
    """Read and validate a data folder into canonical tables.

    Raises :class:`DataError` (with the full report) when any rule is broken.
    ``memory_limit`` caps DuckDB's memory (see :func:`connect`).
    """
    dataset, report = _load(path, key_file, today, memory_limit)
    if not report.ok:
        dataset.close()
        raise DataError(report)
    return dataset
