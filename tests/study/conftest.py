"""Fixtures for the study tests: the example service drawn once, the 100,000-referral
synthetic service read once per session."""

from __future__ import annotations

import pytest

import tincheck
from tincheck.study import draw_sample, plan


@pytest.fixture(scope="session")
def example_study():
    """The example service, 12 referrals stratified by problem group and first step."""
    return draw_sample(tincheck.example_path(), n=12, strata="problem_group,step", seed=7,
                       plan=plan("mcnemar", p10=0.15, p01=0.05, completion=0.7))


@pytest.fixture(scope="session")
def synthetic_dataset(synthetic_100k):
    """The synthetic service of 100,000 referrals, read and validated once."""
    from tincheck.ingest import read_dataset

    dataset = read_dataset(synthetic_100k)
    yield dataset
    dataset.close()
