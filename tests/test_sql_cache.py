"""The compiled-SQL cache: in the process, and on disk for the next process."""

from __future__ import annotations

import importlib

import ibis
import pytest

from tincheck import engine


class Counting:
    """A build function that counts its calls (each call would compile)."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        t = ibis.table({"referral_id": "string", "score": "float64"}, name="measures")
        return t.group_by("referral_id").aggregate(mean=t.score.mean())


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(engine.SQL_CACHE_ENV, str(tmp_path / "sql"))
    monkeypatch.setattr(engine, "_COMPILED", {})
    monkeypatch.setattr(engine, "_SCHEMAS", {})
    engine.sql_cache_dir.cache_clear()
    yield tmp_path / "sql"
    engine.sql_cache_dir.cache_clear()


def _backend():
    return ibis.duckdb.connect()


def test_a_new_process_reads_the_sql_from_disk_without_compiling(cache, monkeypatch):
    build = Counting()
    first = engine.compiled_sql(_backend(), "test:mean", build)
    assert build.calls == 1
    assert "AVG" in first.upper() and "GROUP BY" in first.upper()
    assert [p.suffix for p in engine.sql_cache_dir().iterdir()] == [".sql"]
    monkeypatch.setattr(engine, "_COMPILED", {})  # as in a new process
    assert engine.compiled_sql(_backend(), "test:mean", build) == first
    assert build.calls == 1


def test_the_folder_is_a_fingerprint_of_code_and_library_versions(cache, monkeypatch):
    folder = engine.sql_cache_dir()
    assert folder.parent == cache and len(folder.name) == 24
    engine.sql_cache_dir.cache_clear()
    monkeypatch.setattr(ibis, "__version__", "0.0.1")  # another Ibis compiles differently
    assert engine.sql_cache_dir() != folder


@pytest.mark.parametrize("off", ["0", "off", ""])
def test_disabled_compiles_in_every_process(cache, monkeypatch, off):
    monkeypatch.setenv(engine.SQL_CACHE_ENV, off)
    engine.sql_cache_dir.cache_clear()
    assert engine.sql_cache_dir() is None
    build = Counting()
    engine.compiled_sql(_backend(), "test:mean", build)
    monkeypatch.setattr(engine, "_COMPILED", {})
    engine.compiled_sql(_backend(), "test:mean", build)
    assert build.calls == 2
    assert not cache.exists()


def test_an_unwritable_cache_only_costs_time(cache, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(engine.SQL_CACHE_ENV, str(blocker))
    engine.sql_cache_dir.cache_clear()
    build = Counting()
    sql = engine.compiled_sql(_backend(), "test:mean", build)
    assert "GROUP BY" in sql.upper() and build.calls == 1


class CountingSchema:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return ibis.schema({"referral_id": "!string", "score": "float64", "seen": "date",
                            "finished": "boolean", "contacts": "int64"})


def test_a_schema_is_read_from_disk_in_a_new_process_without_building(cache, monkeypatch):
    build = CountingSchema()
    first = engine.cached_schema("test:working", build)
    assert build.calls == 1
    monkeypatch.setattr(engine, "_SCHEMAS", {})  # as in a new process
    again = engine.cached_schema("test:working", build)
    assert build.calls == 1
    assert again == first  # types and nullability survive the round trip
    assert not again["referral_id"].nullable and again["score"].nullable


def test_a_damaged_schema_file_is_rebuilt(cache, monkeypatch):
    build = CountingSchema()
    engine.cached_schema("test:working", build)
    [path] = engine.sql_cache_dir().glob("*.json")
    path.write_text('{"referral_id": "no such type"}')
    monkeypatch.setattr(engine, "_SCHEMAS", {})
    assert engine.cached_schema("test:working", build) == build()
    assert build.calls == 3  # rebuilt once (plus the call in the assertion)
    assert "no such type" not in path.read_text()


def test_the_audit_schemas_are_those_of_the_expressions(cache, monkeypatch):
    evaluate = importlib.import_module("tincheck.metrics.evaluate")
    built = evaluate.default_working_table().schema()
    assert evaluate.working_schema() == built
    monkeypatch.setattr(engine, "_SCHEMAS", {})
    assert evaluate.working_schema() == built  # now from disk
