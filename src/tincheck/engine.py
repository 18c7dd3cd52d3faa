"""Backend connections and the few operations that differ between engines.

Metrics are Ibis expressions compiled to each engine's SQL dialect; this module runs
that SQL: materialising the audit's working table and fetching small results. It is
the only place metric code meets engine-specific calls.
"""

from __future__ import annotations

from typing import Callable

import ibis
import pandas as pd


def dialect(backend) -> str:
    """The SQL dialect name of an Ibis backend (``duckdb``, ``pyspark``)."""
    return backend.name


_COMPILED: dict[tuple[str, str], str] = {}


def compiled_sql(backend, key: str, build: Callable[[], ibis.Expr]) -> str:
    """The SQL of ``build()`` in this backend's dialect, compiled once per process.

    Ibis takes seconds to compile the large expressions of an audit. They are
    constant (data and parameters enter through tables), so the SQL text is cached
    under ``key``, which must name everything the expression depends on.
    """
    cache_key = (dialect(backend), key)
    if cache_key not in _COMPILED:
        _COMPILED[cache_key] = str(ibis.to_sql(build(), dialect=dialect(backend)))
    return _COMPILED[cache_key]


def materialise(backend, name: str, sql: str) -> None:
    """Create (or replace) a temporary table ``name`` holding the result of ``sql``."""
    if dialect(backend) == "duckdb":
        backend.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
    else:
        frame = backend._session.sql(sql)
        frame.cache().createOrReplaceTempView(name)


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
