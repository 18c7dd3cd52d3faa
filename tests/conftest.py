"""Shared test fixtures: where ../shared is, and temporary data folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
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
