"""Shared test fixtures: where ../shared is, and temporary data folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# compiled SQL goes to a folder of this test run, never the user's cache
os.environ.setdefault("TINCHECK_SQL_CACHE", tempfile.mkdtemp(prefix="tincheck-test-sql-"))
SHARED = Path(os.environ.get("TINCHECK_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (override with TINCHECK_SHARED)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED} (set TINCHECK_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def nhstt_dir(shared_dir) -> Path:
    """NHS Talking Therapies published data (../shared/data/nhstt)."""
    path = shared_dir / "data" / "nhstt"
    if not (path / "measures_annual.parquet").is_file():
        pytest.skip(f"NHS published data not found in {path}")
    return path


@pytest.fixture(scope="session")
def reference_dir(shared_dir) -> Path:
    """Peer reference data sets (../shared/reference_data)."""
    path = shared_dir / "reference_data"
    if not path.is_dir():
        pytest.skip(f"reference data not found in {path}")
    return path


REQUIRE_SPARK = os.environ.get("TINCHECK_REQUIRE_SPARK") == "1"


@pytest.fixture(scope="session")
def spark_session():
    """One local Spark session for the test run (skipped without pyspark and Java,
    unless TINCHECK_REQUIRE_SPARK=1, when their absence fails the run)."""
    from tincheck import engine

    try:
        session = engine.spark_session()
    except engine.EngineUnavailable as exc:
        if REQUIRE_SPARK:
            pytest.fail(f"TINCHECK_REQUIRE_SPARK=1 but Spark cannot run: {exc}")
        pytest.skip(f"Spark tests skipped: {exc}")
    yield session
    session.stop()


@pytest.fixture(params=["duckdb", pytest.param(
    "spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])])
def backend(request):
    """Run a test on every engine; a ``notyet``/``notimpl`` marker naming the engine
    turns it into a strict expected failure with the exception it must raise."""
    name = request.param
    for marker in ("notyet", "notimpl"):
        for mark in request.node.iter_markers(marker):
            if name in mark.args[0]:
                request.applymarker(pytest.mark.xfail(
                    strict=True, raises=mark.kwargs["raises"],
                    reason=f"{marker} on {name}: {mark.kwargs['reason']}"))
    if name == "spark":
        return name, request.getfixturevalue("spark_session")
    return name, None


@pytest.fixture(scope="session")
def synthetic_100k(tmp_path_factory):
    """The default synthetic service: 100,000 referrals, seed 1 (about 3 s to write)."""
    from tincheck.synth import generate

    return generate(tmp_path_factory.mktemp("synthetic") / "service", referrals=100_000,
                    seed=1)


@pytest.fixture(scope="session")
def synthetic_audit(synthetic_100k):
    """Its audit (exact numbers; multiple imputation with the default m = 20)."""
    import tincheck

    return tincheck.audit(synthetic_100k, disclosure_control=False)
