"""Every validation rule: a corrupted copy of the example gives a located error."""

from __future__ import annotations

import pytest

import tincheck
from tincheck.ingest import DataError

from .folders import (add_column, copy_example, drop_column, errors_of, read_rows,
                      set_cell, write_rows)

CORE = {"referrals", "appointments", "measures"}


@pytest.fixture
def folder(tmp_path):
    return copy_example(tmp_path / "service")


def only_error(report):
    lines = errors_of(report)
    assert len(lines) == 1, lines
    return lines[0]


def test_missing_required_file(folder):
    (folder / "measures.csv").unlink()
    report = tincheck.validate(folder)
    assert errors_of(report) == [("measures.csv", None, None, "missing_file")]


def test_missing_required_column_suggests_the_closest_name(folder):
    header, rows = read_rows(folder / "referrals.csv")
    header[header.index("received_date")] = "recieved_date"
    write_rows(folder / "referrals.csv", header, rows)
    report = tincheck.validate(folder)
    assert only_error(report) == ("referrals.csv", 1, "received_date", "missing_column")
    assert "did you mean 'recieved_date'?" in report.errors[0].expected


def test_two_columns_with_the_same_meaning_are_an_error(folder):
    add_column(folder, "referrals", "Person_ID", ["x"] * 30)
    report = tincheck.validate(folder)
    assert only_error(report) == ("referrals.csv", 1, "Person_ID", "ambiguous_column")


def test_impossible_date(folder):
    set_cell(folder, "appointments", 5, "date", "31/02/2023")
    report = tincheck.validate(folder)
    assert only_error(report) == ("appointments.csv", 5, "date", "bad_date")
    assert report.error_lines()[0]["value"] == "31/02/2023"


def test_ended_before_received(folder):
    set_cell(folder, "referrals", 3, "ended_date", "2022-12-31")
    assert only_error(tincheck.validate(folder)) == (
        "referrals.csv", 3, "ended_date", "ended_before_received")


def test_unknown_code_lists_the_accepted_ones(folder):
    set_cell(folder, "appointments", 2, "attendance", "maybe")
    report = tincheck.validate(folder)
    assert only_error(report) == ("appointments.csv", 2, "attendance", "unknown_code")
    assert "attended" in report.errors[0].expected and "NHS code" in report.errors[0].expected


@pytest.mark.parametrize("score, rule", [("28", "score_out_of_range"), ("-1", "score_out_of_range"),
                                         ("NaN", "bad_number"), ("", "required_value"),
                                         ("twelve", "bad_number"), ("inf", "bad_number")])
def test_bad_scores(folder, score, rule):
    header, rows = read_rows(folder / "measures.csv")
    row = next(i for i, r in enumerate(rows, start=2) if r[header.index("instrument")] == "PHQ9")
    set_cell(folder, "measures", row, "score", score)
    assert only_error(tincheck.validate(folder)) == ("measures.csv", row, "score", rule)


def test_a_wsas_item_code_is_not_a_total(folder):
    set_cell(folder, "measures", 2, "instrument", "932621000000100")
    report = tincheck.validate(folder)
    assert only_error(report) == ("measures.csv", 2, "instrument", "item_code")
    assert "total" in report.errors[0].expected


def test_duplicate_key_withholds_the_identifier(folder):
    # R03-A01 (row 15) has no scores, so nothing else points at it
    set_cell(folder, "appointments", 15, "appointment_id", "R01-A01")
    report = tincheck.validate(folder)
    assert only_error(report) == ("appointments.csv", 15, "appointment_id", "duplicate_key")
    assert report.error_lines()[0]["value"] == "same as row 2"


def test_dangling_foreign_key(folder):
    set_cell(folder, "measures", 4, "referral_id", "R99")
    report = tincheck.validate(folder)
    assert ("measures.csv", 4, "referral_id", "foreign_key") in errors_of(report)
    line = next(x for x in report.error_lines() if x["rule"] == "foreign_key")
    assert line["value"] is None  # identifiers are never quoted


def test_score_recorded_at_another_referrals_appointment(folder):
    set_cell(folder, "measures", 2, "appointment_id", "R02-A01")
    assert ("measures.csv", 2, "appointment_id", "appointment_of_other_referral") in errors_of(
        tincheck.validate(folder))


def test_appointment_before_the_referral_was_received(folder):
    set_cell(folder, "appointments", 2, "date", "2022-01-01")
    assert only_error(tincheck.validate(folder)) == (
        "appointments.csv", 2, "date", "before_referral")


def test_appointment_after_the_end_is_a_warning_not_an_error(folder):
    set_cell(folder, "appointments", 2, "date", "2023-12-01")
    report = tincheck.validate(folder)
    assert report.ok
    assert [(w.rule, [e.row for e in w.examples]) for w in report.warnings
            if w.rule == "after_referral_ended"] == [("after_referral_ended", [2])]


def test_out_of_range_age_and_bad_boolean(folder):
    set_cell(folder, "referrals", 2, "age", "130")
    set_cell(folder, "interviews", 3, "assessor_blind", "perhaps")
    assert sorted(errors_of(tincheck.validate(folder))) == [
        ("interviews.csv", 3, "assessor_blind", "bad_bool"),
        ("referrals.csv", 2, "age", "out_of_range")]


def test_empty_file(folder):
    (folder / "appointments.csv").write_bytes(b"")
    assert only_error(tincheck.validate(folder)) == ("appointments.csv", 1, None, "empty_file")


def test_referrals_with_a_header_but_no_rows(folder):
    header, _ = read_rows(folder / "referrals.csv")
    write_rows(folder / "referrals.csv", header, [])
    assert ("referrals.csv", 2, None, "no_rows") in errors_of(tincheck.validate(folder))


def test_truncated_file_names_the_cut_row(folder):
    data = (folder / "appointments.csv").read_bytes()
    cut = data[: data.index(b"\n", len(data) // 2) + 12]  # mid-way through a row
    (folder / "appointments.csv").write_bytes(cut)
    report = tincheck.validate(folder)
    structure = [x for x in errors_of(report) if x[3] == "csv_structure"]
    assert structure == [("appointments.csv", cut.count(b"\n") + 1, None, "csv_structure")]


def test_wrong_encoding_names_the_row(folder):
    path = folder / "referrals.csv"
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b",C,", ",\u00e9,".encode("latin-1"))  # R04's ethnicity
    path.write_bytes(b"\n".join(lines))
    report = tincheck.validate(folder)
    assert only_error(report) == ("referrals.csv", 5, None, "csv_structure")
    assert "UTF-8" in report.errors[0].expected


def test_binary_garbage(folder):
    (folder / "measures.csv").write_bytes(bytes(range(256)) * 4)
    assert only_error(tincheck.validate(folder))[3] == "encoding"


def test_utf16_file_gets_advice(folder):
    path = folder / "therapists.csv"
    path.write_bytes(path.read_text().encode("utf-16"))
    report = tincheck.validate(folder)
    assert only_error(report) == ("therapists.csv", 1, None, "encoding")
    assert "CSV UTF-8" in report.errors[0].expected


def test_unreadable_parquet_and_workbook(folder):
    (folder / "costs.csv").unlink()
    (folder / "costs.parquet").write_bytes(b"PAR1 not really")
    (folder / "therapists.csv").unlink()
    (folder / "therapists.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    assert sorted(errors_of(tincheck.validate(folder))) == [
        ("costs.parquet", None, None, "unreadable_file"),
        ("therapists.xlsx", None, None, "unreadable_file")]


def test_old_excel_format_is_named(folder):
    (folder / "costs.csv").rename(folder / "costs.xls")
    report = tincheck.validate(folder)
    assert errors_of(report) == [("costs.xls", None, None, "unsupported_format")]


def test_two_files_for_one_table(folder):
    (folder / "costs.csv.gz").write_bytes(b"")
    assert errors_of(tincheck.validate(folder)) == [
        ("costs.csv.gz", None, None, "duplicate_table")]


def test_errors_are_all_collected_and_the_first_50_shown(folder):
    header, rows = read_rows(folder / "measures.csv")
    for r in rows[:60]:
        r[header.index("score")] = "x"
    write_rows(folder / "measures.csv", header, rows)
    set_cell(folder, "referrals", 2, "received_date", "yesterday")
    report = tincheck.validate(folder)
    assert report.error_count == 61
    assert len(report.error_lines()) == 50
    assert report.to_dict()["error_count"] == 61


def test_read_dataset_raises_with_the_whole_report(folder):
    set_cell(folder, "referrals", 2, "received_date", "yesterday")
    with pytest.raises(DataError) as caught:
        tincheck.read_dataset(folder)
    assert caught.value.report.error_count == 1
    assert "referrals.csv row 2, column received_date" in str(caught.value)


def test_missing_optional_column_is_fine_missing_values_of_required_are_not(folder):
    drop_column(folder, "referrals", "age")
    set_cell(folder, "appointments", 3, "kind", "")
    assert only_error(tincheck.validate(folder)) == (
        "appointments.csv", 3, "kind", "required_value")


# ---- interviews: one interview is one referral, time point, date, assessor

def test_interview_rows_must_agree_on_referral_time_point_and_date(folder):
    # I01 spans rows 2-3 of interviews.csv; row 3 gets another date
    set_cell(folder, "interviews", 3, "date", "2023-01-13")
    assert only_error(tincheck.validate(folder)) == (
        "interviews.csv", 3, "date", "interview_inconsistent")


def test_interview_rows_must_agree_on_the_assessor_whose_id_is_withheld(folder):
    set_cell(folder, "interviews", 3, "assessor_id", "AS7")
    report = tincheck.validate(folder)
    assert only_error(report) == ("interviews.csv", 3, "assessor_id", "interview_inconsistent")
    assert report.error_lines()[0]["value"] is None  # identifiers are never quoted


def test_one_status_per_disorder_per_interview(folder):
    set_cell(folder, "interviews", 3, "disorder", "depression")
    assert only_error(tincheck.validate(folder)) == (
        "interviews.csv", 3, "disorder", "interview_duplicate_disorder")


def test_end_interview_before_baseline_is_an_error(folder):
    # I02 (end of R01, rows 4-5) dated before I01 (baseline, 2023-01-12)
    set_cell(folder, "interviews", 4, "date", "2023-01-10")
    set_cell(folder, "interviews", 5, "date", "2023-01-10")
    report = tincheck.validate(folder)
    assert {(e[0], e[2], e[3]) for e in errors_of(report)} == {
        ("interviews.csv", "date", "interview_order")}


def test_usual_self_outside_0_to_100(folder):
    set_cell(folder, "interviews", 2, "usual_self_pct", "120")
    set_cell(folder, "interviews", 3, "usual_self_pct", "120")
    assert errors_of(tincheck.validate(folder)) == [
        ("interviews.csv", 2, "usual_self_pct", "out_of_range"),
        ("interviews.csv", 3, "usual_self_pct", "out_of_range")]
