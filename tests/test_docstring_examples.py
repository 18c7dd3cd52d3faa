"""Every docstring example of the meta-analysis modules runs and shows the right number."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tincheck.stats.tau2", "tincheck.stats.meta", "tincheck.stats.meta_regression",
           "tincheck.stats.study_effects", "tincheck.stats.influence",
           "tincheck.stats.sensitivity",
           "tincheck.stats.small_study", "tincheck.evidence.studies",
           "tincheck.evidence.grading", "tincheck.evidence.synthesis"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
