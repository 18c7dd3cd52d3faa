import pytest

from .cohort import Cohort


@pytest.fixture
def cohort(tmp_path):
    return Cohort(tmp_path / "cohort")
