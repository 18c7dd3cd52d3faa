"""Findings print as written: values and expectations are data, not console markup."""

from __future__ import annotations

from typer.testing import CliRunner

from tincheck.cli import app

from ..ingest.folders import copy_example, set_cell


def test_a_value_that_looks_like_markup_prints_as_written(tmp_path):
    folder = copy_example(tmp_path)
    set_cell(folder, "referrals", 3, "source", "[/x]")  # rich would raise MarkupError
    result = CliRunner().invoke(app, ["validate", str(folder)], terminal_width=200)
    assert result.exit_code == 2, result.output
    line = next(x for x in result.output.splitlines() if "referrals.csv" in x)
    assert "[/x]" in line and "│ 3 " in line
