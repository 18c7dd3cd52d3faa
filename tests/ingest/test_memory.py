"""DuckDB's memory cap and spill folder for one dataset (``memory_limit``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import tincheck
from tincheck.cli import app
from tincheck.errors import MemoryLimitError
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


def _spill_folders(monkeypatch) -> list[Path]:
    """The spill folders the datasets of this test make (recorded as they are made)."""
    import tempfile

    made, mkdtemp = [], tempfile.mkdtemp

    def recording(*args, **kwargs):
        path = mkdtemp(*args, **kwargs)
        made.append(Path(path))
        return path

    monkeypatch.setattr("tincheck.ingest.dataset.tempfile.mkdtemp", recording)
    return made


@pytest.mark.parametrize("read", [tincheck.validate, tincheck.read_dataset])
def test_a_limit_too_small_for_the_data_names_the_limit_and_leaves_no_spill_folder(
        monkeypatch, read):
    # DuckDB cannot read the example's CSV files in 5 MB (a 32 MiB block): before, each
    # file was reported as unreadable, and the spill folder was left behind
    made = _spill_folders(monkeypatch)
    with pytest.raises(MemoryLimitError) as caught:
        read(tincheck.example_path(), memory_limit="5MB")
    assert (caught.value.setting, caught.value.value) == ("memory_limit", "5MB")
    assert "too small for this data" in str(caught.value)
    assert len(made) == 1 and not made[0].exists()


def test_the_limit_from_the_environment_is_the_one_named(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "5MB")
    with pytest.raises(MemoryLimitError, match=r"memory_limit '5MB': too small"):
        tincheck.read_dataset(tincheck.example_path())


def test_running_out_while_auditing_names_the_limit_and_closes_the_data(monkeypatch):
    import duckdb

    from tincheck import auditing

    made = _spill_folders(monkeypatch)

    def out_of_memory(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block")

    monkeypatch.setattr(auditing, "evaluate", out_of_memory)
    with pytest.raises(MemoryLimitError, match=r"memory_limit '300MB': too small"):
        tincheck.audit(tincheck.example_path(), memory_limit="300MB")
    assert len(made) == 1 and not made[0].exists()


def test_cli_limit_too_small_exits_two_with_one_line():
    result = CliRunner().invoke(app, ["audit", str(tincheck.example_path()),
                                      "--memory-limit", "5MB"])
    assert result.exit_code == 2
    assert "error: --memory-limit '5MB': too small for this data" in " ".join(
        result.output.split())
    assert "Traceback" not in result.output and "unreadable" not in result.output
