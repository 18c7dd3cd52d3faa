import pytest

from .cohort import Cohort


@pytest.fixture
def cohort(tmp_path):
    """A cohort audited on DuckDB."""
    return Cohort(tmp_path / "cohort")


@pytest.fixture
def any_cohort(tmp_path, backend):
    """A cohort audited on every engine (see the ``backend`` fixture)."""
    return Cohort(tmp_path / "cohort", backend)
