"""`tincheck validate`: a table (or JSON) of every error, exit status 2 on errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import tincheck
from tincheck.cli import app

from ..ingest.folders import copy_example, set_cell

runner = CliRunner()


def test_valid_folder_exits_zero_and_says_so():
    result = runner.invoke(app, ["validate", str(tincheck.example_path())])
    assert result.exit_code == 0, result.output
    assert "No errors." in result.output
    assert "referrals with no appointments" in result.output  # the warning is listed


def test_errors_exit_two_with_file_row_column_and_expectation(tmp_path):
    folder = copy_example(tmp_path)
    set_cell(folder, "measures", 7, "score", "lots")
    result = runner.invoke(app, ["validate", str(folder)], terminal_width=200)
    assert result.exit_code == 2
    line = next(x for x in result.output.splitlines() if "measures.csv" in x)
    assert "│ 7" in line and "score" in line and "lots" in line and "a number" in line
    assert "Traceback" not in result.output


def test_json_output(tmp_path):
    folder = copy_example(tmp_path)
    set_cell(folder, "referrals", 2, "sex", "q")
    result = runner.invoke(app, ["validate", str(folder), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["ok"] is False and data["error_count"] == 1
    assert data["errors"][0] | {"expected": None} == {
        "file": "referrals.csv", "row": 2, "column": "sex", "value": "q", "rule": "unknown_code",
        "expected": None}
    assert data["warnings"][0]["rule"] == "no_appointments"


def test_missing_folder_is_an_error_not_a_traceback(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
