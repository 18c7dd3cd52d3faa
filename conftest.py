"""Collection rules shared by tests/ and the package's docstring examples."""

from __future__ import annotations


def pytest_ignore_collect(collection_path, config):
    """Collect a package module for its docstring examples only when it has one.

    Why: --doctest-modules imports every module of src/tincheck, and the interview app's
    Django modules (models, views, urls) cannot be imported before Django is configured;
    they have no examples and are tested in tests/assess.
    """
    if collection_path.suffix != ".py" or "src" not in collection_path.parts:
        return None
    if collection_path.name == "conftest.py":
        return None
    if ">>>" not in collection_path.read_text(encoding="utf-8"):
        return True
    return None
