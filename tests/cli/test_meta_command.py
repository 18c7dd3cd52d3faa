"""``tincheck meta`` end to end: files written, summary printed, errors without traceback."""

from __future__ import annotations

import json

import pytest
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
                                "benefit": "positive", "forest_feature": "outcome",
                                "measure": None}
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


def test_a_two_column_file_with_labels(tmp_path):
    path = tmp_path / "studies.csv"
    path.write_text("study,yi,sei\nA,0.30,0.10\nB,0.52,0.14\nC,0.41,0.12\nD,0.12,0.17\n")
    result = runner.invoke(app, ["meta", str(path), "--out", str(tmp_path / "out"),
                                 "--method", "EB"])
    assert result.exit_code == 0, result.output
    out = text(result)
    assert "Meta-analysis of 4 studies (EB, z test)" in out
    assert ("Evidence grading not computed: the file has no setting, outcome, independent, "
            "allegiance column(s)") in out
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["grading"]["computed"] is False
    assert len(data["influence"]["studies"]) == len(data["leave_one_out"]["rows"]) == 4
    assert data["cumulative"]["order"] == "file order"


RAW = {
    "SMD": "m1i,sd1i,n1i,m2i,sd2i,n2i", "SMCR": "m1i,m2i,sd1i,ni,ri",
    "SMCC": "m1i,m2i,sd1i,sd2i,ni,ri", "RR": "ai,bi,ci,di", "OR": "ai,bi,ci,di",
    "RD": "ai,n1i,ci,n2i", "ZCOR": "ri,ni", "PLO": "xi,ni", "PR": "xi,ni",
}
ROWS = {
    "SMD": ["10,4,20,8,5,25", "12,5,30,9,5,28", "11,4,40,10.5,4,41"],
    "SMCR": ["16.8,10.1,5.2,60,0.4", "15.9,10.4,5.6,45,0.35", "17.1,12.0,5.0,80,0.5"],
    "SMCC": ["16.8,10.1,5.2,6.1,60,0.4", "15.9,10.4,5.6,6.0,45,0.35",
             "17.1,12.0,5.0,5.5,80,0.5"],
    "RR": ["4,119,11,128", "0,22,1,20", "6,300,29,274"],
    "OR": ["4,119,11,128", "0,22,1,20", "6,300,29,274"],
    "RD": ["4,123,11,139", "0,22,1,21", "6,306,29,303"],
    "ZCOR": ["0.3,50", "-0.1,120", "0.22,80"],
    "PLO": ["12,40", "0,25", "30,61"],
    "PR": ["12,40", "0,25", "30,61"],
}


def test_raw_data_for_every_measure(tmp_path, monkeypatch):
    from tincheck.stats.effect_sizes import escalc

    # the page itself is tested in tests/report (with raw data too); here the numbers
    # only, without drawing nine reports' charts
    monkeypatch.setattr("tincheck.cli.meta.render_html", lambda syn: "<!DOCTYPE html>")
    for measure, header in RAW.items():
        path = tmp_path / f"{measure}.csv"
        path.write_text(f"study,year,{header}\n" + "".join(
            f"S{i},{2000 + i},{row}\n" for i, row in enumerate(ROWS[measure])))
        out = tmp_path / measure
        result = runner.invoke(app, ["meta", str(path), "--measure", measure, "--out",
                                     str(out)])
        assert result.exit_code == 0, (measure, result.output)
        data = json.loads((out / "report.json").read_text())
        columns = header.split(",")
        raw = {c: [float(r.split(",")[j]) for r in ROWS[measure]] for j, c in enumerate(columns)}
        expected = escalc(measure, **raw)
        assert [s["yi"] for s in data["studies"]] == pytest.approx(
            expected.estimate.tolist(), rel=1e-12), measure
        assert data["settings"]["measure"] == measure


def test_bad_raw_data_names_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("study,ri,ni\nA,0.3,50\nB,1.4,60\nC,0.2,1\n")
    result = runner.invoke(app, ["meta", str(path), "--measure", "ZCOR", "--out",
                                 str(tmp_path / "out")])
    assert result.exit_code == 2
    out = text(result)
    assert "bad.csv │ 3 │ ri │ 1.4 │" in out and "bad.csv │ 4 │ ni │ 1 │" in out
    assert "strictly between -1 and 1" in out and "sample size of at least 4" in out
    assert "Traceback" not in result.output
