"""Backend connections and the few operations that differ between engines.

Metrics are Ibis expressions compiled to each engine's SQL dialect; this module runs
that SQL: materialising the audit's working table and fetching small results, and it
connects Spark. It is the only place metric code meets engine-specific calls.

Spark (``engine="spark"``): the data are read and validated by DuckDB (the same
rules as every audit), the canonical tables are written as Parquet to a staging
folder, and Spark reads them with its own Parquet reader into temporary views named
after the canonical tables; the same compiled metric SQL then runs on Spark.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import ibis
import pandas as pd

from .schema import TABLES

ENGINES = ("duckdb", "spark")
SPARK_INSTALL = "pip install 'tincheck[spark]'"


class EngineUnavailable(RuntimeError):
    """The requested engine cannot run here; the message says what to install."""


def dialect(backend) -> str:
    """The SQL dialect name of an Ibis backend (``duckdb``, ``pyspark``)."""
    return backend.name


@functools.cache
def _duckdb_compiler():
    """Ibis' DuckDB compiler, with first and last by a key as DuckDB's aggregates.

    Ibis writes ``x.argmin(key)`` as ``FIRST(x ORDER BY key)``, an ordered aggregate
    that sorts each group's rows; ``ARG_MIN_NULL(x, key)`` keeps a running minimum
    instead (the ``_NULL`` form returns x even when it is NULL, as ``FIRST`` does).
    They agree wherever the key is not NULL, as every key of the audit is (an order
    key of date and source row, :func:`tincheck.metrics.blocks.order_key`). At
    1,000,000 referrals the scores block took 1.71 s instead of 2.04 s, the working
    table about 0.45 s less in all."""
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    class Compiler(DuckDBCompiler):
        def visit_ArgMin(self, op, *, arg, key, where):
            return self.agg.arg_min_null(arg, key, where=where)

        def visit_ArgMax(self, op, *, arg, key, where):
            return self.agg.arg_max_null(arg, key, where=where)

    return Compiler()


def to_sql(expr: ibis.Expr, dialect_name: str) -> str:
    """The SQL text of ``expr`` in ``dialect_name`` (``ibis.to_sql``'s, but for DuckDB
    from :func:`_duckdb_compiler`)."""
    if dialect_name != "duckdb":
        return str(ibis.to_sql(expr, dialect=dialect_name))
    compiler = _duckdb_compiler()
    return compiler.to_sqlglot(expr.unbind()).sql(dialect=compiler.dialect, pretty=True)


_COMPILED: dict[tuple[str, str], str] = {}
SQL_CACHE_ENV = "TINCHECK_SQL_CACHE"


def compiled_sql(backend, key: str, build: Callable[[], ibis.Expr]) -> str:
    """The SQL of ``build()`` in this backend's dialect, compiled once.

    Ibis takes 2-4 s to compile the large expressions of an audit. They are constant
    (data and parameters enter through tables), so the SQL text is cached under
    ``key``, which must name everything the expression depends on: in the process,
    and on disk (:func:`sql_cache_dir`) for the next process with the same code.
    """
    cache_key = (dialect(backend), key)
    if cache_key not in _COMPILED:
        path = _cache_path(cache_key, ".sql")
        sql = _read_text(path)
        if sql is None:
            sql = to_sql(build(), dialect(backend))
            _write_text(path, sql)
        _COMPILED[cache_key] = sql
    return _COMPILED[cache_key]


_SCHEMAS: dict[str, ibis.Schema] = {}


def cached_schema(key: str, build: Callable[[], ibis.Schema]) -> ibis.Schema:
    """The schema ``build()`` returns, computed once and kept beside the compiled SQL.

    Metrics are sums over the audit's working tables, unbound tables whose schemas
    come from building their Ibis expressions (0.3-0.5 s, whatever the data size).
    Once their SQL is read from disk, the schema is the only reason left to build
    them, so it is cached the same way (:func:`compiled_sql`): in the process, and on
    disk as column → type (``!`` marks not null), the same for every engine.
    """
    if key not in _SCHEMAS:
        path = _cache_path(("schema", key), ".json")
        text = _read_text(path)
        schema = None
        if text is not None:
            try:
                schema = ibis.schema(json.loads(text))
            except Exception:  # noqa: BLE001 - a damaged file is rebuilt below, never fatal
                pass
        if schema is None:
            schema = build()
            _write_text(path, json.dumps({column: str(dtype)
                                          for column, dtype in schema.items()}))
        _SCHEMAS[key] = schema
    return _SCHEMAS[key]


@functools.lru_cache(maxsize=1)
def sql_cache_dir() -> Path | None:
    """The folder of compiled SQL for this exact code, or None when disabled.

    ``TINCHECK_SQL_CACHE`` names the parent folder (default
    ``$XDG_CACHE_HOME/tincheck/sql`` or ``~/.cache/tincheck/sql``; ``0`` or ``off``
    disables it). The subfolder is a fingerprint of tincheck's source files and the
    Ibis, sqlglot and DuckDB versions, so changed code never reads stale SQL. The
    files hold SQL text only, never data.
    """
    setting = os.environ.get(SQL_CACHE_ENV)
    if setting is not None and setting.strip().lower() in ("", "0", "off", "false", "no"):
        return None
    if setting:
        parent = Path(setting)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        parent = Path(base) / "tincheck" / "sql"
    return parent / _code_fingerprint()


def _code_fingerprint() -> str:
    import sqlglot

    digest = hashlib.sha256()
    for part in (ibis.__version__, sqlglot.__version__, _duckdb_version()):
        digest.update(part.encode() + b"\0")
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(str(source.relative_to(package)).encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()[:24]


def _duckdb_version() -> str:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        return "none"
    return duckdb.__version__


def _cache_path(parts: tuple[str, ...], suffix: str) -> Path | None:
    """The cache file for ``parts`` (None when the cache is off)."""
    folder = sql_cache_dir()
    if folder is None:
        return None
    return folder / (hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32] + suffix)


def _read_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8") or None
    except OSError:
        return None


def _write_text(path: Path | None, text: str) -> None:
    """Write atomically (parallel processes may race); a read-only home only costs time."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError:
        return


# The compressed in-memory database that holds the canonical tables
# (tincheck.ingest.dataset.connect)
COMPRESSED_DATABASE = "tincheck"


def materialise(backend, name: str, sql: str, *, compress: bool = False) -> None:
    """Create (or replace) a temporary table ``name`` holding the result of ``sql``.

    With ``compress``, on a DuckDB connection whose current database is tincheck's
    compressed in-memory one, the table is made there instead, to be compressed at
    the next :func:`compress`: the audit's per-referral working tables then take a
    quarter of the memory (1.05 GB become 0.25 GB at 1,000,000 referrals) for about
    1.5 s.
    """
    if dialect(backend) == "duckdb":
        kind = "TABLE" if compress and _in_compressed_database(backend) else "TEMP TABLE"
        backend.raw_sql(f'CREATE OR REPLACE {kind} "{name}" AS {sql}')
    else:
        frame = backend._session.sql(sql)
        frame.cache().createOrReplaceTempView(name)


def compress(backend) -> None:
    """Compress the tables made with ``materialise(..., compress=True)`` since the last
    call (a no-op elsewhere)."""
    if dialect(backend) == "duckdb" and _in_compressed_database(backend):
        # Filtered scans of bit-packed columns of these tables ran ten times slower
        # than uncompressed ones (DuckDB 1.5.6: 0.8 s instead of 0.1 s for a few
        # columns of 1,000,000 rows, once per metric query); without bit-packing
        # they are as fast. The setting is read when a table is compressed.
        backend.raw_sql("SET disabled_compression_methods = 'bitpacking'")
        try:
            backend.raw_sql("CHECKPOINT")
        finally:
            backend.raw_sql("RESET disabled_compression_methods")


def _in_compressed_database(backend) -> bool:
    database = backend.con.execute(
        "SELECT database_name, path FROM duckdb_databases() "
        "WHERE database_name = current_database()").fetchone()
    return database is not None and database[0] == COMPRESSED_DATABASE and not database[1]


def drop(backend, name: str) -> None:
    """Drop a table made by :func:`materialise` (no error if it is gone)."""
    if dialect(backend) == "duckdb":
        backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
    else:
        session = backend._session
        if session.catalog.tableExists(name):
            session.table(name).unpersist()
        session.catalog.dropTempView(name)


def fetch(backend, sql: str) -> pd.DataFrame:
    """Run ``sql`` and return its (small) result as a DataFrame."""
    if dialect(backend) == "duckdb":
        return backend.con.execute(sql).fetch_df()
    return backend._session.sql(sql).toPandas()


def spark_session(master: str | None = None, *, app_name: str = "tincheck"):
    """A Spark session for tincheck: ``local[2]`` by default, UI off, UTC, temp warehouse.

    Raises :class:`EngineUnavailable` (with what to install) when pyspark or Java is
    missing.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(f"the Spark engine needs pyspark: {SPARK_INSTALL}") from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineUnavailable("the Spark engine needs Java 17 (set JAVA_HOME or put java "
                                "on the PATH)")
    warehouse = tempfile.mkdtemp(prefix="tincheck-warehouse-")
    builder = (SparkSession.builder.master(master or "local[2]").appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.warehouse.dir", warehouse)
               # few partitions: tincheck's shuffles are small after the first joins,
               # and each partition costs a task (adaptive execution coalesces anyway)
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.driver.memory", os.environ.get("TINCHECK_SPARK_MEMORY", "4g")))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


@contextlib.contextmanager
def spark_backend(dataset, session=None, *, master: str | None = None,
                  staging: str | os.PathLike | None = None) -> Iterator:
    """An Ibis PySpark backend over ``dataset``'s canonical tables, for one audit.

    The canonical tables are written as Parquet to ``staging`` (default a temporary
    folder: on a cluster pass a folder every executor can read) and read with
    ``spark.read.parquet`` into temporary views named after the tables. The views are
    dropped and the session's time zone restored on exit; the session itself (yours,
    if you passed one) is left running.
    """
    session = session or spark_session(master)
    zone = session.conf.get("spark.sql.session.timeZone")
    own_staging = staging is None
    folder = Path(tempfile.mkdtemp(prefix="tincheck-spark-") if own_staging else staging)
    try:
        dataset.to_parquet(folder, tables=list(TABLES))
        for name in TABLES:
            session.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(name)
        backend = ibis.pyspark.connect(session)
        session.conf.set("spark.sql.session.timeZone", "UTC")
        yield backend
    finally:
        for name in TABLES:
            session.catalog.dropTempView(name)
        session.conf.set("spark.sql.session.timeZone", zone)
        if own_staging:
            shutil.rmtree(folder, ignore_errors=True)
