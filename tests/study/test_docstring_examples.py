"""Every docstring example of the study modules and the balance statistic runs."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tincheck.stats.balance", "tincheck.study.plan", "tincheck.study.sampling",
           "tincheck.study.schedule", "tincheck.study.files"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
