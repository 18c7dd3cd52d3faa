"""``tincheck leaflet``: leaflets from a data folder or a report.json, HTML alone (saying
so) without Chromium, and every bad input a one-line error with exit status 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.examples import example_path

EXAMPLE = str(example_path())


def run(*args):
    return CliRunner().invoke(app, ["leaflet", *args], terminal_width=160)


@pytest.fixture(scope="module")
def example_json(tmp_path_factory):
    """The example's report.json, as tincheck audit writes it."""
    out = tmp_path_factory.mktemp("audit")
    result = CliRunner().invoke(app, ["audit", EXAMPLE, "--out", str(out), "--imputations",
                                      "0"])
    assert result.exit_code == 0, result.output
    return out / "report.json"


def test_from_a_data_folder_without_chromium_the_html_is_written_and_it_says_so(
        tmp_path, monkeypatch):
    monkeypatch.setenv("TINCHECK_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "leaflet"
    result = run(EXAMPLE, "--out", str(out), "--min-people", "1")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "any.html" in text and "any-depression.html" in text
    assert "No PDF was made: no Chromium browser was found" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "any-anxiety.html", "any-depression.html", "any.html", "index.html", "report.json"]
    assert "No PDF was made" in (out / "index.html").read_text(encoding="utf-8")
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["settings"]["disclosure_control"] is True


def test_from_a_report_json_with_one_treatment_and_no_pdf(tmp_path, example_json):
    out = tmp_path / "leaflet"
    result = run(str(example_json), "--out", str(out), "--treatment", "any",
                 "--min-people", "1", "--no-pdf")
    assert result.exit_code == 0, result.output
    assert "Wrote 3 leaflet(s)" in " ".join(result.output.split())
    assert "No PDF" not in result.output
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == json.loads(
        example_json.read_text(encoding="utf-8"))


def test_the_default_minimum_writes_no_leaflet_for_30_referrals(tmp_path, example_json):
    result = run(str(example_json), "--out", str(tmp_path / "l"), "--no-pdf")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Wrote 0 leaflet(s)" in text and "No leaflet (too few people): Help at this" in text


def test_a_report_json_without_disclosure_control_is_refused(tmp_path, example_json):
    doc = json.loads(example_json.read_text(encoding="utf-8"))
    doc["settings"]["disclosure_control"] = False
    path = tmp_path / "report.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run(str(path), "--out", str(tmp_path / "l"))
    assert result.exit_code == 2
    assert "disclosure control on" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["--treatment", "talking_cure"], "unknown treatment talking_cure"),
    (["--min-people", "0"], "--min-people"),
    (["--period", "2023-13-01:"], "dates must be YYYY-MM-DD"),
])
def test_bad_options_are_one_line_errors(tmp_path, args, message):
    result = run(EXAMPLE, "--out", str(tmp_path / "l"), "--no-pdf", *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_an_output_path_that_is_a_file_is_an_error(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = run(EXAMPLE, "--out", str(target), "--no-pdf")
    assert result.exit_code == 2 and "is a file" in result.output


def test_a_file_that_is_not_a_report_json_is_an_error(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not json")
    result = run(str(bad), "--out", str(tmp_path / "l"), "--no-pdf")
    assert result.exit_code == 2 and "not a report.json" in result.output


def test_help_has_a_summary_and_an_example():
    result = CliRunner().invoke(app, ["leaflet", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "What to expect" in result.output
    assert "Example: tincheck leaflet my-service/ --out leaflet/" in result.output
