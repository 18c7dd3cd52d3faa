"""Every example in a statistics docstring runs and prints the number it shows."""

import doctest
import importlib

import pytest

MODULES = [
    "tincheck.stats.intervals",
    "tincheck.stats.effect_sizes",
    "tincheck.stats.reliable_change",
    "tincheck.stats.agreement",
    "tincheck.stats.imputation",
    "tincheck.reference_figures",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0
