"""Messy and hostile input files: read right, or refused with a located error.

One test (or a few) per class of problem: how real systems write files (lone CR line
breaks, SQL Server times, upper-case names, percent cells, time zones) and what no
valid file holds (control characters, uncalculated formulas, nested columns, damaged
compression, a password, repeated ratings). Every refusal names its file, row and
column; identifier values are never quoted.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import shutil

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tincheck
from tincheck import pseudonymise as ps

from .folders import add_column, copy_example, errors_of, read_rows, set_cell, write_rows
from .test_read import assert_same_tables, table_rows

CORE = {"referrals", "appointments", "measures"}


@pytest.fixture
def folder(tmp_path):
    return copy_example(tmp_path / "service", tables=CORE)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    with tincheck.read_dataset(copy_example(tmp_path_factory.mktemp("ref"))) as dataset:
        yield dataset


def rules_of(report):
    return [line["rule"] for line in report.error_lines(1000)]


# ------------------------------------------------------------ class 2: no traceback

def test_lone_cr_line_breaks_read_like_lf(folder, reference):
    # "CSV (Macintosh)" and classic Mac files end lines with a lone CR; a blank line
    # still counts as a spreadsheet row
    for name in CORE:
        path = folder / f"{name}.csv"
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    with tincheck.read_dataset(folder) as dataset:
        assert_same_tables(reference, dataset, CORE)
    lines = (folder / "referrals.csv").read_bytes().split(b"\r")
    lines.insert(3, b"")                                   # blank row 4: R03 is row 5
    lines[4] = lines[4].replace(b"2023-", b"2023x", 1)
    (folder / "referrals.csv").write_bytes(b"\r".join(lines))
    bad = [(e["row"], e["column"]) for e in tincheck.validate(folder).error_lines()]
    assert (5, "received_date") in bad


def test_a_header_and_a_cell_longer_than_the_csv_modules_limit(folder):
    # Python's csv module refuses fields over 131,072 characters by default
    assert csv.field_size_limit() < 200_000
    long_name, long_value = "n" * 200_000, "v" * 300_000
    lines = (folder / "referrals.csv").read_text().splitlines()
    lines = [lines[0] + "," + long_name] + [line + "," + long_value for line in lines[1:]]
    lines.insert(3, "")  # a blank row: rows are then numbered by Python's csv reader
    (folder / "referrals.csv").write_text("\n".join(lines) + "\n")
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.connection.execute(
            f'SELECT max(length("{long_name}")) FROM referrals').fetchone() == (300_000,)
        assert dataset.connection.execute(
            "SELECT source_row FROM referrals WHERE referral_id = 'R03'").fetchone() == (5,)
    assert csv.field_size_limit() < 200_000  # put back as it was


# ------------------------------------------------------ class 3: accepted but wrong

@pytest.mark.parametrize("name", ["svc[1]", "svc*", "svc?"])
def test_a_data_path_with_glob_characters_is_a_path(tmp_path, name):
    # DuckDB's readers glob: 'svc[1]/referrals.csv' would read 'svc1/referrals.csv',
    # 'svc*' every matching folder
    target = copy_example(tmp_path / name, tables=CORE)
    other = copy_example(tmp_path / "svc1", tables=CORE)
    set_cell(other, "referrals", 2, "age", "99")
    set_cell(other, "measures", 2, "score", "3")
    for folder in (target, other):  # CSV and Parquet are both read by DuckDB
        header, rows = read_rows(folder / "measures.csv")
        pq.write_table(pa.table({h: [r[i] or None for r in rows] for i, h in
                                 enumerate(header)}), folder / "measures.parquet")
        (folder / "measures.csv").unlink()
    with tincheck.read_dataset(target) as dataset:
        assert dataset.connection.execute(
            "SELECT age FROM referrals WHERE source_row = 2").fetchone() == (34,)
        assert dataset.connection.execute(
            "SELECT score FROM measures WHERE source_row = 2").fetchone() == (12,)
        assert dataset.rows("referrals") == 30


def _referrals_parquet(folder, received):
    header, rows = read_rows(folder / "referrals.csv")
    columns = {h: [r[i] or None for r in rows] for i, h in enumerate(header)}
    columns["received_date"] = pa.array(received(len(rows)))
    (folder / "referrals.csv").unlink()
    pq.write_table(pa.table(columns), folder / "referrals.parquet")


def test_parquet_timestamps_with_a_time_zone_are_dates_in_uk_time(folder):
    # 23:30 UTC on 30 June is 00:30 on 1 July in British Summer Time; 20:00 in New
    # York on 1 January is 01:00 on 2 January in London (GMT)
    utc = dt.timezone.utc
    new_york = dt.timezone(dt.timedelta(hours=-5))
    instants = [dt.datetime(2022, 6, 30, 23, 30, tzinfo=utc),
                dt.datetime(2022, 1, 1, 20, 0, tzinfo=new_york)]
    _referrals_parquet(folder, lambda n: pa.array(
        (instants * n)[:n], pa.timestamp("us", tz="UTC")))
    with tincheck.read_dataset(folder) as dataset:
        got = dataset.connection.execute(
            "SELECT received_date FROM referrals ORDER BY source_row LIMIT 2").fetchall()
    assert got == [(dt.date(2022, 7, 1),), (dt.date(2022, 1, 2),)]


def test_parquet_timestamps_without_a_time_zone_keep_their_date(folder):
    _referrals_parquet(folder, lambda n: pa.array(
        [dt.datetime(2022, 6, 30, 23, 30)] * n, pa.timestamp("ms")))
    with tincheck.read_dataset(folder) as dataset:
        assert dataset.connection.execute(
            "SELECT DISTINCT received_date FROM referrals").fetchall() == [
                (dt.date(2022, 6, 30),)]


def _as_workbook(folder, table, edit=None):
    header, rows = read_rows(folder / f"{table}.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([_number(v) for v in row])
    if edit:
        edit(sheet, header)
    (folder / f"{table}.csv").unlink()
    book.save(folder / f"{table}.xlsx")


def _number(text):
    try:
        return int(text)
    except ValueError:
        return text or None


def test_a_formula_with_no_saved_value_is_an_error_that_says_so(folder):
    # openpyxl, like many report generators, writes formulas without calculating them:
    # the cell has no value to read, and reading it as empty would hide a score
    def formulas(sheet, header):
        score = header.index("score") + 1
        sheet.cell(row=5, column=score, value="=2+3")
        sheet.cell(row=9, column=score, value="=D5*2")
    _as_workbook(folder, "measures", formulas)
    report = tincheck.validate(folder)
    errors = [e for e in report.error_lines() if e["rule"] == "uncalculated_formula"]
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [
        ("measures.xlsx", 5, "score"), ("measures.xlsx", 9, "score")]
    assert "never calculated" in errors[0]["expected"]


def test_percent_formatted_cells_read_as_shown(tmp_path):
    folder = copy_example(tmp_path / "service", tables=CORE | {"interviews"})
    header, rows = read_rows(folder / "interviews.csv")
    shown = [r[header.index("usual_self_pct")] for r in rows]

    def as_percent(sheet, header):
        column = header.index("usual_self_pct") + 1
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row=row, column=column)
            if cell.value is not None:   # 20 shown as 20%: stored as 0.2
                cell.value, cell.number_format = cell.value / 100, "0%"
    _as_workbook(folder, "interviews", as_percent)
    with tincheck.read_dataset(folder) as dataset:
        got = [r[0] for r in dataset.connection.execute(
            "SELECT usual_self_pct FROM interviews ORDER BY source_row").fetchall()]
    assert got == [float(v) if v else None for v in shown]
    assert 20.0 in got and 95.0 in got


def test_control_characters_in_values_are_errors_with_their_row(folder):
    set_cell(folder, "referrals", 3, "ethnicity", "A\x1b[31mB")     # terminal escape
    set_cell(folder, "referrals", 5, "client_id", "C\x0004")         # NUL in an identifier
    set_cell(folder, "measures", 7, "score", "1\x07")                # bell in a number
    set_cell(folder, "referrals", 6, "ethnicity", "A\tB\nC")         # allowed
    report = tincheck.validate(folder)
    found = {(e["file"], e["row"], e["column"]): e["value"] for e in report.error_lines()
             if e["rule"] == "control_character"}
    assert found == {("referrals.csv", 3, "ethnicity"): "A\\x1b[31mB",
                     ("referrals.csv", 5, "client_id"): None,
                     ("measures.csv", 7, "score"): "1\\x07"}
    assert "\x1b" not in json.dumps(report.to_dict(), ensure_ascii=False)


def test_a_control_character_in_a_header_is_an_error(folder):
    add_column(folder, "referrals", "team\x1b]0;x", ["north"] * 30)
    errors = [e for e in tincheck.validate(folder).error_lines()
              if e["rule"] == "control_character"]
    assert [(e["row"], e["column"]) for e in errors] == [(1, "team\\x1b]0;x")]


@pytest.mark.parametrize("value", ["1_2", "0x0C", "1,5", "inf", "nan", "١٢", "12 3", "1e", "e1"])
def test_scores_are_plain_numbers_only(folder, value):
    set_cell(folder, "measures", 4, "score", value)
    assert errors_of(tincheck.validate(folder)) == [
        ("measures.csv", 4, "score", "bad_number")]


@pytest.mark.parametrize("value", ["12", " 12 ", "+12", "12.0", "12.", "1.2e1", "1.2E+01", "120e-1"])
def test_plain_numbers_read(folder, value):
    set_cell(folder, "measures", 4, "score", value)
    assert tincheck.validate(folder).ok


def test_whole_number_instruments_reject_fractions(folder):
    header, rows = read_rows(folder / "measures.csv")
    instrument = header.index("instrument")
    assert rows[0][instrument] == "GAD7"
    set_cell(folder, "measures", 2, "score", "7.5")
    mi = next(i for i, r in enumerate(rows) if r[instrument] == "MI") + 2
    set_cell(folder, "measures", mi, "score", "2.5")   # a mean of items: fine
    report = tincheck.validate(folder)
    assert errors_of(report) == [("measures.csv", 2, "score", "fractional_score")]
    assert report.error_lines()[0]["value"] == "GAD7 7.5"


def test_nested_and_list_parquet_columns_are_errors(folder):
    header, rows = read_rows(folder / "referrals.csv")
    columns = {h: [r[i] or None for r in rows] for i, h in enumerate(header)}
    columns["address"] = [{"town": "Leeds"}] * 30
    columns["codes"] = [[1, 2]] * 30
    (folder / "referrals.csv").unlink()
    pq.write_table(pa.table(columns), folder / "referrals.parquet")
    report = tincheck.validate(folder)
    first = report.error_lines()[0]
    assert (first["file"], first["row"], first["rule"]) == ("referrals.parquet", 1,
                                                           "nested_column")
    assert "address (STRUCT)" in first["expected"] and "codes" in first["expected"]


def test_repeated_parquet_field_names_are_an_error(folder):
    # DuckDB would rename the second 'age' to 'age_1' and read the first silently
    header, rows = read_rows(folder / "referrals.csv")
    arrays = [pa.array([r[i] or None for r in rows]) for i in range(len(header))]
    table = pa.Table.from_arrays(arrays + [pa.array(["99"] * 30)], names=header + ["age"])
    (folder / "referrals.csv").unlink()
    pq.write_table(table, folder / "referrals.parquet")
    first = tincheck.validate(folder).error_lines()[0]
    assert (first["rule"], first["row"]) == ("duplicate_header", 1)
    assert "age" in first["expected"]


def test_several_ratings_of_one_disorder_at_one_time_point_need_second_rating(tmp_path):
    folder = copy_example(tmp_path / "service", tables=CORE | {"interviews"})
    header, rows = read_rows(folder / "interviews.csv")
    # a second interview (I99) of R01 at baseline rating depression again: rows 33, 34
    copy = [dict(zip(header, r)) for r in rows[:2]]
    for row in copy:
        row.update(interview_id="I99", assessor_id="AS9")
    extra = [[row[h] for h in header] for row in copy]
    write_rows(folder / "interviews.csv", header, rows + extra)
    report = tincheck.validate(folder)
    assert errors_of(report) == [("interviews.csv", 33, "disorder", "interview_repeated"),
                                 ("interviews.csv", 34, "disorder", "interview_repeated")]
    assert report.error_lines()[0]["value"] == "baseline depression (as row 2)"
    # marked as a second rater's: accepted
    add_column(folder, "interviews", "second_rating", [""] * len(rows) + ["yes", "yes"])
    assert tincheck.validate(folder).ok
    # a second rating with nothing to compare with is an error
    header, rows = read_rows(folder / "interviews.csv")
    rows[-1][header.index("disorder")] = "ocd"
    write_rows(folder / "interviews.csv", header, rows)
    assert errors_of(tincheck.validate(folder)) == [
        ("interviews.csv", 34, "second_rating", "second_rating_alone")]


# ------------------------------------------------------------ class 5: no leak

NUMBER = "9434765919"


def test_a_header_that_is_an_nhs_number_is_pseudonymised(folder, monkeypatch, tmp_path):
    # a file without its header row: the first record's values become the header
    add_column(folder, "referrals", NUMBER, ["x"] * 30)
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)
    report = tincheck.validate(folder)
    first = report.error_lines()[0]
    assert (first["file"], first["rule"]) == ("referrals.csv", "pseudonym_key")
    assert NUMBER not in json.dumps(report.to_dict())
    monkeypatch.setenv(ps.KEY_ENV, "test key")
    with tincheck.read_dataset(folder) as dataset:
        columns = dataset.table("referrals").columns
        assert ps.pseudonym(NUMBER, b"test key") in columns
        out = dataset.to_parquet(tmp_path / "out")
        assert all(NUMBER.encode() not in p.read_bytes() for p in out.iterdir())
    header, rows = read_rows(folder / "referrals.csv")
    write_rows(folder / "referrals.csv", header, [r[:1] + r[2:] for r in rows])  # no client
    report = tincheck.validate(folder)
    assert not report.ok
    assert NUMBER not in json.dumps(report.to_dict())


@pytest.mark.parametrize("spelling", ["943.476.5919", "943/476/5919", "943 476 5919"])
def test_nhs_numbers_with_dots_or_slashes_are_pseudonymised(folder, monkeypatch, spelling):
    monkeypatch.setenv(ps.KEY_ENV, "test key")
    set_cell(folder, "referrals", 2, "client_id", spelling)
    set_cell(folder, "referrals", 3, "ethnicity", f"see {spelling}")
    set_cell(folder, "referrals", 4, "age", spelling)       # a typed column: an error
    report = tincheck.validate(folder)
    assert errors_of(report) == [("referrals.csv", 4, "age", "bad_number")]
    assert report.error_lines()[0]["value"] == ps.WITHHELD
    set_cell(folder, "referrals", 4, "age", "40")
    with tincheck.read_dataset(folder) as dataset:
        client, ethnicity = dataset.connection.execute(
            "SELECT (SELECT client_id FROM referrals WHERE source_row = 2), "
            "(SELECT ethnicity FROM referrals WHERE source_row = 3)").fetchone()
    assert client == ps.pseudonym(NUMBER, b"test key")   # the same person, however written
    assert ethnicity.startswith("p_")


# ----------------------------------------------- class 6: documented input accepted

def test_file_names_match_whatever_their_case_extension_included(folder, reference):
    path = folder / "referrals.csv"
    (folder / "REFERRALS.CSV.GZ").write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    _as_workbook(folder, "measures")
    (folder / "measures.xlsx").rename(folder / "Measures.XLSX")
    with tincheck.read_dataset(folder) as dataset:
        assert_same_tables(reference, dataset, CORE)
        assert set(dataset.files) == {"REFERRALS.CSV.GZ", "Measures.XLSX",
                                      "appointments.csv"}


@pytest.mark.parametrize("time", [" 00:00:00.000", " 00:00:00.0000000", "T13:45:10.5"])
def test_dates_with_fractional_seconds_as_sql_server_writes_them(folder, time):
    header, rows = read_rows(folder / "referrals.csv")
    for row in rows:
        row[header.index("received_date")] += time
    write_rows(folder / "referrals.csv", header, rows)
    with tincheck.read_dataset(folder) as dataset:
        assert table_rows(dataset, "referrals")[0][3] == dt.date(2023, 1, 9)


# ---------------------------------------------------- class 7: the real error first

def test_an_empty_table_is_the_first_error_and_its_orphans_one_line(folder):
    header, _ = read_rows(folder / "referrals.csv")
    write_rows(folder / "referrals.csv", header, [])
    report = tincheck.validate(folder)
    first = report.error_lines()[0]
    assert (first["file"], first["rule"]) == ("referrals.csv", "no_rows")
    orphans = [e for e in report.error_lines(1000) if e["rule"] == "parent_unusable"]
    assert [(e["file"], e["column"]) for e in orphans] == [
        ("appointments.csv", "referral_id"), ("measures.csv", "referral_id")]
    assert "130 row(s) of appointments.csv were not checked" in orphans[0]["expected"]
    assert "foreign_key" not in rules_of(report)
    assert str(tincheck.DataError(report)).count("referrals.csv row 2") == 1


def test_an_unreadable_table_is_the_first_error(folder):
    (folder / "referrals.csv").write_bytes("referral_id\n".encode("utf-16"))
    set_cell(folder, "appointments", 5, "date", "not a date")
    report = tincheck.validate(folder)
    assert report.error_lines()[0]["file"] == "referrals.csv"
    assert report.error_lines()[0]["rule"] == "encoding"
    # what could not be checked against it is a warning, one per column
    assert [(w.file, w.rule) for w in report.warnings if w.rule == "parent_unusable"] == [
        ("appointments.csv", "parent_unusable"), ("measures.csv", "parent_unusable")]


def test_a_missing_key_column_gives_one_line_per_child_not_one_per_row(folder):
    header, rows = read_rows(folder / "referrals.csv")
    write_rows(folder / "referrals.csv", ["ref"] + header[1:], rows)
    report = tincheck.validate(folder)
    assert report.error_lines()[0]["rule"] == "missing_column"
    assert rules_of(report).count("parent_unusable") == 2
    assert len(report.error_lines(1000)) == 3


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not gzip"])
def test_a_damaged_gzip_says_so(folder, damage):
    data = gzip.compress((folder / "measures.csv").read_bytes() * 50)
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "corrupt":
        data = data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:]  # CRC
    else:
        data = (folder / "measures.csv").read_bytes()
    (folder / "measures.csv").unlink()
    (folder / "measures.csv.gz").write_bytes(data)
    first = tincheck.validate(folder).error_lines()[0]
    assert (first["file"], first["rule"]) == ("measures.csv.gz", "damaged_gzip")
    assert ("not gzip" if damage == "not gzip" else "damaged") in first["expected"]


def test_a_password_protected_workbook_says_so(folder):
    msoffcrypto = pytest.importorskip("msoffcrypto", reason="pip install msoffcrypto-tool")
    from msoffcrypto.format.ooxml import OOXMLFile

    _as_workbook(folder, "measures")
    plain = folder / "measures.xlsx"
    shutil.move(plain, folder / "plain.bin")
    with open(folder / "plain.bin", "rb") as source, open(plain, "wb") as out:
        OOXMLFile(source).encrypt("secret", out)
    (folder / "plain.bin").unlink()
    assert msoffcrypto.OfficeFile(open(plain, "rb")).is_encrypted()
    first = tincheck.validate(folder).error_lines()[0]
    assert (first["file"], first["rule"]) == ("measures.xlsx", "encrypted_workbook")
    assert "password" in first["expected"]


def test_an_old_xls_named_xlsx_says_so(folder):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le")
    (folder / "measures.csv").unlink()
    (folder / "measures.xlsx").write_bytes(ole)
    first = tincheck.validate(folder).error_lines()[0]
    assert (first["rule"], first["file"]) == ("unsupported_format", "measures.xlsx")
    assert ".xls" in first["expected"]
