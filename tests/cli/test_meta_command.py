"""``tincheck meta`` end to end: files written, summary printed, errors without traceback."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tincheck.cli import app

runner = CliRunner()


def text(result) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_example_runs_end_to_end(tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, ["meta", "--example", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Meta-analysis of 12 studies (REML, z test)" in text(result)
    assert "Does not meet the criterion" in text(result)
    data = json.loads((out / "report.json").read_text())
    assert data["overall"]["k"] == 12
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_options_are_passed_through(tmp_path):
    result = runner.invoke(app, ["meta", "--example", "--out", str(tmp_path), "--method",
                                 "DL", "--test", "knha", "--level", "0.9", "--by", "outcome"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["settings"] == {"method": "DL", "test": "knha", "level": 0.9,
                                "benefit": "positive", "forest_feature": "outcome"}
    assert data["overall"]["df"] == 11


def test_json_flag_prints_the_json(tmp_path):
    result = runner.invoke(app, ["meta", "--example", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["grading"]["qualifying"] == 2


def test_bad_file_lists_errors_and_exits_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("study,year,design,setting,outcome,independent,allegiance,yi,vi\n"
                    "A,2019,itt,clinic,interview_blind,yes,no,0.3,0.01\n")
    result = runner.invoke(app, ["meta", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "bad.csv" in text(result) and "clinic" in text(result)
    assert "one of routine, trial" in text(result)
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_bad_options_exit_2_with_a_sentence(tmp_path):
    result = runner.invoke(app, ["meta", "--example", "--out", str(tmp_path), "--by", "x"])
    assert result.exit_code == 2 and "cannot group by 'x'" in text(result)
    assert runner.invoke(app, ["meta", "--out", str(tmp_path)]).exit_code == 2
    result = runner.invoke(app, ["meta", "--example", "--method", "XX"])
    assert result.exit_code == 2


def test_help_example_is_documented():
    from pathlib import Path

    from tincheck.cli.meta import meta

    example = meta.__doc__.split("Example: ", 1)[1].splitlines()[0].strip()
    repo = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/meta.md"):
        assert example in (repo / doc).read_text(encoding="utf-8"), doc
