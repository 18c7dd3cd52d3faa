"""Every docstring example of the published-data audit runs and gives its number."""

import doctest
import importlib

import pytest

MODULES = ["tincheck.rates", "tincheck.published.read",
           "tincheck.published.consistency", "tincheck.published.proms",
           "tincheck.stats.control_limits"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0, f"{name} has no examples"
    assert failures == 0
