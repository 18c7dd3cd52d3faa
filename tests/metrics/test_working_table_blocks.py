"""The working table built from materialised blocks equals the one-statement expression,
and its tables are compressed without bit-packing where the dataset's database allows."""

from __future__ import annotations

import sys

import duckdb
import ibis
import pytest

import tincheck
from tincheck import engine
from tincheck.metrics.blocks import Period, Tables, parameters_sql
from tincheck.metrics.outcomes import referral_blocks, referral_outcomes

evaluate = sys.modules["tincheck.metrics.evaluate"]


@pytest.fixture
def dataset():
    with tincheck.read_dataset(tincheck.example_path()) as ds:
        yield ds


def _rows(backend, expr) -> list[tuple]:
    sql = ibis.to_sql(expr, dialect="duckdb")
    return backend.con.execute(f"SELECT * FROM ({sql}) ORDER BY referral_id").fetchall()


def test_the_working_table_from_materialised_blocks_equals_one_statement(dataset):
    backend = dataset.backend
    engine.materialise(backend, evaluate.PARAMETERS,
                       parameters_sql(Period(), evaluate.latest_date(backend, Tables())))
    t = Tables()
    for name, table in evaluate.BLOCKS.items():
        engine.materialise(backend, table, ibis.to_sql(referral_blocks(t)[name],
                                                       dialect="duckdb"))
    together = referral_outcomes(t, evaluate.parameters_table())
    in_steps = referral_outcomes(t, evaluate.parameters_table(), evaluate.block_tables())
    expected = _rows(backend, together)
    assert len(expected) == dataset.rows("referrals") > 0
    assert _rows(backend, in_steps) == expected


def _methods(con, table: str) -> set[tuple[str, str]]:
    return set(con.execute(f"SELECT DISTINCT column_name, compression FROM "
                           f"pragma_storage_info('{table}') WHERE segment_type <> 'VALIDITY'"
                           ).fetchall())


def test_compressed_tables_live_in_the_dataset_database_without_bit_packing(dataset):
    backend, con = dataset.backend, dataset.connection
    rows = "SELECT range AS i, range % 7 = 0 AS flag FROM range(300000)"
    engine.materialise(backend, "t_compressed", rows, compress=True)
    engine.compress(backend)
    where = con.execute("SELECT database_name, temporary FROM duckdb_tables() "
                        "WHERE table_name = 't_compressed'").fetchall()
    assert where == [("tincheck", False)]
    # the flags compressed (Roaring), the integers not bit-packed (DuckDB 1.5)
    assert _methods(con, "t_compressed") == {("i", "Uncompressed"), ("flag", "Roaring")}
    # the setting is DuckDB's default again afterwards: a table checkpointed later
    # without engine.compress is bit-packed
    con.execute(f"CREATE TABLE t_default AS {rows}")
    con.execute("CHECKPOINT")
    assert ("i", "BitPacking") in _methods(con, "t_default")
    engine.drop(backend, "t_compressed")
    assert con.execute("SELECT count(*) FROM duckdb_tables() "
                       "WHERE table_name = 't_compressed'").fetchone()[0] == 0


def test_elsewhere_compress_makes_a_temporary_table():
    backend = ibis.duckdb.from_connection(duckdb.connect())
    engine.materialise(backend, "t_plain", "SELECT 1 AS i", compress=True)
    engine.compress(backend)  # a no-op outside the dataset's database
    assert backend.con.execute("SELECT temporary FROM duckdb_tables() "
                               "WHERE table_name = 't_plain'").fetchall() == [(True,)]
