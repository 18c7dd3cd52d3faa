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
    (["--treatment", "talking_cure"], "--treatment 'talking_cure': unknown treatment"),
    (["--min-people", "0"], "--min-people"),
    (["--period", "2023-13-01:"], "dates must be YYYY-MM-DD"),
])
def test_bad_options_are_one_line_errors(tmp_path, args, message):
    result = run(EXAMPLE, "--out", str(tmp_path / "l"), "--no-pdf", *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_an_output_path_that_is_a_file_is_an_error_before_any_work(tmp_path, monkeypatch):
    target = tmp_path / "file"
    target.write_text("x")
    # checked before the audit: a data folder that does not exist is never read
    result = run(str(tmp_path / "no-such-data"), "--out", str(target), "--no-pdf")
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == \
        f"error: --out {target}: it is a file; a folder is expected here"


def test_a_chromium_that_cannot_print_is_a_one_line_error(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    fake.chmod(0o755)
    result = run(EXAMPLE, "--out", str(tmp_path / "l"), "--min-people", "1",
                 "--chromium", str(fake))
    assert result.exit_code == 2, result.output
    assert " ".join(result.output.split()).endswith(
        "error: Chromium did not print any.html (exit 1): cannot open display")
    assert "Traceback" not in result.output


def test_without_end_dates_the_leaflets_narrow_to_none_and_say_why(tmp_path):
    from ..ingest.folders import copy_example, drop_column

    folder = copy_example(tmp_path / "data")
    drop_column(folder, "referrals", "ended_date")  # absent optional data: no figures
    out = tmp_path / "l"
    result = run(str(folder), "--out", str(out), "--no-pdf", "--min-people", "1")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Wrote 0 leaflet(s)" in said
    assert ("note No figures by treatment offered, because referrals.csv has no "
            "ended_date column.") in said
    # what the audit left out, as tincheck audit prints it
    assert "note Not computed: every figure over ended referrals" in said
    index = " ".join((out / "index.html").read_text(encoding="utf-8").split())
    assert ("No page could be made: the audit could not work out what happened to people, "
            "because referrals.csv has no ended_date column.") in index
