"""The shipped example equals what tools/make_example.py writes (no hand drift)."""

from __future__ import annotations

import importlib.util

from tincheck import example_path

from .conftest import REPO


def test_committed_example_matches_its_generator(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_example",
                                                  REPO / "tools" / "make_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.main()
    for name in ("service", "service_nhs"):
        for path in (tmp_path / name).iterdir():
            shipped = example_path(name) / path.name
            assert shipped.read_bytes() == path.read_bytes(), f"{name}/{path.name} differs"
