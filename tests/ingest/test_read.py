"""Reading a data folder into canonical tables, in every accepted form."""

from __future__ import annotations

import gzip
import shutil

import openpyxl
import pytest

import tincheck
from tincheck.schema import TABLES

from .folders import copy_example, read_rows, write_rows


def table_rows(dataset, name):
    return dataset.connection.execute(f"SELECT * FROM {name} ORDER BY source_row").fetchall()


def assert_same_tables(a, b, tables=TABLES):
    for name in tables:
        assert table_rows(a, name) == table_rows(b, name), name


def test_example_validates_without_errors():
    report = tincheck.validate(tincheck.example_path())
    assert report.ok and report.error_count == 0
    # The example's one warning: R07 was referred elsewhere before any contact (row 8).
    assert [(w.rule, [e.row for e in w.examples]) for w in report.warnings] == [
        ("no_appointments", [8])]


def test_example_row_counts():
    with tincheck.read_dataset(tincheck.example_path()) as dataset:
        counts = {name: dataset.rows(name) for name in TABLES}
        assert dataset.supplied == frozenset(TABLES)
    assert counts == {"referrals": 30, "appointments": 130, "measures": 285,
                      "interviews": 31, "therapists": 5, "costs": 2}


def test_nhs_style_extract_reads_to_the_same_canonical_tables():
    with tincheck.read_dataset(tincheck.example_path()) as canonical, \
            tincheck.read_dataset(tincheck.example_path("service_nhs")) as nhs:
        assert_same_tables(canonical, nhs)


def test_canonical_values_are_typed_and_normalised():
    with tincheck.read_dataset(tincheck.example_path("service_nhs")) as dataset:
        con = dataset.connection
        row = con.execute("SELECT received_date, end_reason, problem_descriptor, sex, source, "
                          "age FROM referrals WHERE referral_id = 'R01'").fetchone()
        assert str(row[0]) == "2023-01-09"
        assert row[1:] == ("completed", "F32.1", "female", "self", 34)
        kinds = con.execute("SELECT DISTINCT kind FROM appointments ORDER BY 1").fetchall()
        assert [k[0] for k in kinds] == ["assessment", "assessment_treatment", "follow_up",
                                         "other", "review_treatment", "treatment"]
        assert con.execute("SELECT count(DISTINCT instrument) FROM measures").fetchone()[0] == 12


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet", "xlsx", "semicolon"])
def test_every_file_format_reads_to_the_same_tables(tmp_path, fmt):
    source = copy_example(tmp_path / "csv")
    target = tmp_path / fmt
    target.mkdir()
    with tincheck.read_dataset(source) as reference:
        for path in source.glob("*.csv"):
            if fmt == "csv.gz":
                (target / f"{path.stem}.csv.gz").write_bytes(gzip.compress(path.read_bytes()))
            elif fmt == "semicolon":
                header, rows = read_rows(path)
                text = "\n".join(";".join(r) for r in [header, *rows]) + "\n"
                (target / path.name).write_text(text, encoding="utf-8")
            elif fmt == "xlsx":
                header, rows = read_rows(path)
                book = openpyxl.Workbook()
                sheet = book.active
                sheet.append(header)
                for r in rows:  # numbers as numbers, as a spreadsheet stores them
                    sheet.append([_number(v) for v in r])
                book.save(target / f"{path.stem}.xlsx")
        if fmt == "parquet":
            reference.to_parquet(target)
        with tincheck.read_dataset(target) as other:
            assert_same_tables(reference, other)


def _number(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text or None


def test_optional_tables_may_be_absent(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.supplied == {"referrals", "appointments", "measures"}
        assert not dataset.has("interviews")
        assert dataset.rows("interviews") == 0  # present, empty, typed
        schema = dataset.table("interviews").schema()
        assert str(schema["date"]) == "date"


def test_file_and_column_names_are_case_insensitive(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    (folder / "referrals.csv").rename(folder / "Referrals.CSV")
    header, rows = read_rows(folder / "Referrals.CSV")
    header = [h.upper() if i % 2 else h.replace("_", " ").title() for i, h in enumerate(header)]
    write_rows(folder / "Referrals.CSV", header, rows)
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.rows("referrals") == 30


def test_unknown_extra_columns_are_kept(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    header, rows = read_rows(folder / "referrals.csv")
    write_rows(folder / "referrals.csv", header + ["team"], [r + ["north"] for r in rows])
    with tincheck.read_dataset(folder) as dataset:
        assert "team" in dataset.table("referrals").columns
        assert dataset.connection.execute(
            "SELECT DISTINCT team FROM referrals").fetchall() == [("north",)]


def test_source_row_counts_the_header_as_row_one():
    with tincheck.read_dataset(tincheck.example_path()) as dataset:
        first = dataset.connection.execute(
            "SELECT referral_id, source_row FROM referrals ORDER BY source_row LIMIT 2").fetchall()
    assert first == [("R01", 2), ("R02", 3)]


def test_blank_lines_count_as_rows_like_a_spreadsheet_shows_them(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    lines = (folder / "referrals.csv").read_text().splitlines()
    lines.insert(3, "")  # rows: header 1, R01 2, R02 3, blank 4, R03 5, R04 6
    assert lines[5].startswith("R04,")
    lines[5] = lines[5].replace("2023-02-06", "2023-02-31")
    (folder / "referrals.csv").write_text("\n".join(lines) + "\n")
    report = tincheck.validate(folder)
    bad = [line for line in report.error_lines() if line["rule"] == "bad_date"]
    assert [(b["row"], b["value"]) for b in bad] == [(6, "2023-02-31")]


def test_rows_with_no_values_are_ignored_with_a_warning(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    header, rows = read_rows(folder / "referrals.csv")
    rows.insert(5, [""] * len(header))
    write_rows(folder / "referrals.csv", header, rows)
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.rows("referrals") == 30
        empty = [w for w in dataset.warnings if w.rule == "empty_rows"]
        assert [(w.file, [e.row for e in w.examples]) for w in empty] == [("referrals.csv", [7])]


def test_a_quoted_value_may_span_lines(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    header, rows = read_rows(folder / "referrals.csv")
    rows[0][header.index("ethnicity")] = "A\nB"
    write_rows(folder / "referrals.csv", header, rows)
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.connection.execute(
            "SELECT ethnicity FROM referrals WHERE referral_id = 'R01'").fetchone() == ("A\nB",)


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    path = folder / "referrals.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert tincheck.validate(folder).ok


def test_manifest_marks_synthetic_data(tmp_path):
    folder = copy_example(tmp_path, tables={"referrals", "appointments", "measures"})
    (folder / "manifest.json").write_text('{"synthetic": true, "generator": "test"}')
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.synthetic
        assert set(dataset.files) == {"referrals.csv", "appointments.csv", "measures.csv"}
        assert all(len(h) == 64 for h in dataset.files.values())


def test_to_parquet_round_trips(tmp_path):
    with tincheck.read_dataset(tincheck.example_path()) as dataset:
        out = dataset.to_parquet(tmp_path / "pq")
        with tincheck.read_dataset(out) as again:
            assert_same_tables(dataset, again)
    shutil.rmtree(out)
