"""`tincheck import-redcap`: writes interviews.csv, or lists every error and exits 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.redcap import example_paths

from ..redcap.project import with_cell, write_project

runner = CliRunner()


def test_example_converts_and_says_what_it_wrote(tmp_path):
    export, mapping = example_paths()
    out = tmp_path / "service" / "interviews.csv"
    result = runner.invoke(app, ["import-redcap", str(export), "--mapping", str(mapping),
                                 "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "No errors." in result.output
    assert "Wrote 31 rows" in result.output
    assert "18 interviews (8 baseline, 7 end, 3 follow-up) of 8 referrals" in result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 32


def test_bad_value_exits_two_with_row_column_value_and_writes_nothing(tmp_path):
    export, mapping = write_project(tmp_path, rows=with_cell(3, "mdd", "7"))
    out = tmp_path / "interviews.csv"
    result = runner.invoke(app, ["import-redcap", str(export), "--mapping", str(mapping),
                                 "--out", str(out)], terminal_width=200)
    assert result.exit_code == 2
    line = next(x for x in result.output.splitlines() if "export.csv" in x)
    assert "│ 3 " in line and "mdd" in line and "│ 7 " in line and "coded status" in line
    assert "Traceback" not in result.output
    assert not out.exists()


def test_json_output(tmp_path):
    export, mapping = write_project(tmp_path, rows=with_cell(2, "redcap_event_name", "x_arm_1"))
    result = runner.invoke(app, ["import-redcap", str(export), "--mapping", str(mapping),
                                 "--out", str(tmp_path / "i.csv"), "--json"])
    assert result.exit_code == 2
    doc = json.loads(result.output)
    assert doc["ok"] is False and doc["out"] is None and doc["rows"] == 0
    assert doc["errors"][0] | {"expected": None} == {
        "file": "export.csv", "row": 2, "column": "redcap_event_name", "value": "x_arm_1",
        "rule": "unknown_event", "expected": None}


def test_missing_files_are_errors_not_tracebacks(tmp_path):
    result = runner.invoke(app, ["import-redcap", str(tmp_path / "none.csv"), "--mapping",
                                 str(tmp_path / "none.toml")], terminal_width=200)
    assert result.exit_code == 2
    assert "none.csv" in result.output and "none.toml" in result.output
    assert "Traceback" not in result.output
