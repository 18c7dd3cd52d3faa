"""tincheck audit --out and tincheck demo: the files written, the summary, errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import tincheck
from tincheck.cli import app
from tincheck.notices import SYNTHETIC_NOTICE

runner = CliRunner()


def _flat(output: str) -> str:
    """The output as one line of words (table borders dropped)."""
    return " ".join(output.replace("│", " ").replace("┃", " ").split())


def test_audit_writes_the_report_json_and_csv(tmp_path):
    out = tmp_path / "audit"
    result = runner.invoke(app, ["audit", str(tincheck.example_path()), "--out", str(out),
                                 "--imputations", "2"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["metrics.csv", "report.html",
                                                      "report.json"]
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["settings"]["imputations"] == 2
    text = _flat(result.output)
    assert "What it says on the tin: official recovery 56% (34%-75%)" in text
    assert "Recovery among everyone referred as a case 40% (23%-59%)" in text
    assert f"Wrote {out / 'report.html'}" in text
    # the published warning (rounded row count), not the exact one with its row numbers
    assert "fewer than 5 rows: referrals with no appointments at all" in text
    assert "(rows 8)" not in text


def test_audit_json_option_moves_only_report_json(tmp_path):
    out, elsewhere = tmp_path / "audit", tmp_path / "x" / "audit.json"
    result = runner.invoke(app, ["audit", str(tincheck.example_path()), "--out", str(out),
                                 "--json", str(elsewhere), "--imputations", "0"])
    assert result.exit_code == 0, result.output
    assert elsewhere.is_file() and not (out / "report.json").exists()
    assert (out / "report.html").is_file() and (out / "metrics.csv").is_file()


def test_summary_says_no_interviews_when_there_are_none(tmp_path):
    from ..ingest.folders import copy_example

    folder = copy_example(tmp_path / "data", tables=("referrals", "appointments",
                                                     "measures"))
    result = runner.invoke(app, ["audit", str(folder), "--out", str(tmp_path / "out"),
                                 "--imputations", "0"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "Lost their diagnoses at end (independent interview) no interviews" in \
        _flat(result.output)


def test_demo_synthesises_audits_and_prints_the_report_path(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--referrals", "1000", "--out", str(out)],
                           terminal_width=120)
    assert result.exit_code == 0, result.output
    assert (out / "data" / "manifest.json").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert SYNTHETIC_NOTICE in html
    assert f"Report: {out / 'report.html'}" in _flat(result.output)
    again = runner.invoke(app, ["demo", "--referrals", "1000", "--out", str(out)])
    assert again.exit_code == 0, again.output  # an earlier demo's data is replaced


def test_demo_never_overwrites_a_folder_of_other_files(tmp_path):
    data = tmp_path / "demo" / "data"
    data.mkdir(parents=True)
    (data / "referrals.csv").write_text("referral_id\nR1\n", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--referrals", "1000", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 2
    assert "holds files that are not an earlier demo's synthetic data" in _flat(result.output)
    assert (data / "referrals.csv").read_text(encoding="utf-8") == "referral_id\nR1\n"


def test_a_bad_dose_table_stops_the_audit_naming_row_and_column(tmp_path):
    table = tmp_path / "our-dose.csv"
    shipped = (tincheck.example_path().parents[1] / "data" / "nice_dose.csv").read_text(
        encoding="utf-8").splitlines()
    shipped[1] = shipped[1].replace(",low,", ",medium,", 1)
    table.write_text("\n".join(shipped) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(tincheck.example_path()), "--out",
                                 str(tmp_path / "audit"), "--dose-table", str(table)],
                           terminal_width=200)
    assert result.exit_code == 2
    assert "our-dose.csv row 2, column intensity: value 'medium', expected one of low, " \
        "high" in _flat(result.output)
    assert not (tmp_path / "audit").exists()
