"""DuckDB's memory cap and spill folder for one dataset (``memory_limit``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import tincheck
from tincheck.cli import app
from tincheck.ingest.dataset import MEMORY_LIMIT_ENV


def _setting(dataset, name: str) -> str:
    return dataset.connection.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_memory_limit_is_set_and_spills_go_to_a_private_folder_removed_on_close():
    dataset = tincheck.read_dataset(tincheck.example_path(), memory_limit="512MB")
    # DuckDB reports the cap in its own units: 512 MB = 488.2 MiB
    assert _setting(dataset, "memory_limit") == "488.2 MiB"
    spill = Path(_setting(dataset, "temp_directory"))
    assert spill.name.startswith("tincheck-spill-") and spill.is_dir()
    assert spill != Path.cwd() / ".tmp"  # DuckDB's default for in-memory databases
    dataset.close()
    assert not spill.exists()


def test_environment_variable_sets_the_limit(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    with tincheck.read_dataset(tincheck.example_path()) as dataset:
        assert _setting(dataset, "memory_limit") == "953.6 MiB"


@pytest.mark.parametrize("bad", ["lots", "3 parsecs", "GB", "-1GB", "3GB; DROP TABLE x"])
def test_bad_memory_limit_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"expected a size such as 3GB or 500MB"):
        tincheck.read_dataset(tincheck.example_path(), memory_limit=bad)


def test_cli_bad_memory_limit_exits_two_without_traceback():
    result = CliRunner().invoke(app, ["validate", str(tincheck.example_path()),
                                      "--memory-limit", "lots"])
    assert result.exit_code == 2
    assert "--memory-limit 'lots': expected a size such as 3GB" in result.output
    assert "Traceback" not in result.output
