"""Every docstring example of the report and disclosure modules runs and is right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tincheck.report.audit.export", "tincheck.auditing", "tincheck.disclosure"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
