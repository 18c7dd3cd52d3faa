"""A malformed export or mapping gives every error with file, row, column and value."""

from __future__ import annotations

import pytest

from tincheck.redcap import RedcapError, convert_redcap

from .project import HEADER, MAPPING, ROWS, convert, lines, with_cell, write_project


def _one(conversion, rule: str) -> dict:
    found = lines(conversion, rule)
    assert len(found) == 1, (rule, conversion.report.to_dict())
    return found[0]


def test_unknown_event_names_row_column_value_and_the_known_events(tmp_path):
    conversion = convert(tmp_path, rows=with_cell(3, "redcap_event_name", "week_12_arm_1"))
    line = _one(conversion, "unknown_event")
    assert (line["file"], line["row"], line["column"], line["value"]) == (
        "export.csv", 3, "redcap_event_name", "week_12_arm_1")
    assert "baseline: base_arm_1; end: end_arm_1; follow_up: fu_arm_1" in line["expected"]
    assert conversion.interviews.empty


def test_an_event_label_instead_of_its_unique_name_says_to_export_raw_data(tmp_path):
    conversion = convert(tmp_path, rows=with_cell(2, "redcap_event_name",
                                                  "Baseline (Arm 1: Arm 1)"))
    assert "export raw data" in _one(conversion, "unknown_event")["expected"]


def test_required_value_missing_names_row_and_field(tmp_path):
    line = _one(convert(tmp_path, rows=with_cell(4, "d", "")), "required_value")
    assert (line["row"], line["column"], line["value"]) == (4, "d", None)
    assert "date" in line["expected"]


@pytest.mark.parametrize("column, value, rule, expected", [
    ("ind", "yes please", "bad_bool", "1 (yes) or 0 (no)"),
    ("mdd", "9", "unknown_code", "1 (present), 2 (subthreshold), 0 (absent), empty"),
    ("d", "12/01/2023", "bad_date", "YYYY-MM-DD"),
    ("d", "2023-02-30", "bad_date", "YYYY-MM-DD"),
    ("d", "1899-12-31", "bad_date", "between 1900 and 2100"),
])
def test_bad_value_names_row_column_value_and_expectation(tmp_path, column, value, rule,
                                                          expected):
    line = _one(convert(tmp_path, rows=with_cell(3, column, value)), rule)
    assert (line["file"], line["row"], line["column"], line["value"]) == (
        "export.csv", 3, column, value)
    assert expected in line["expected"]


def test_number_out_of_range(tmp_path):
    header = [*HEADER, "usual"]
    rows = [[*r, u] for r, u in zip(ROWS, ["20", "101", "abc"])]
    mapping = MAPPING.replace('assessor_blind = "blind"',
                              'assessor_blind = "blind"\nusual_self_pct = "usual"')
    conversion = convert(tmp_path, rows=rows, header=header, mapping=mapping)
    assert (_one(conversion, "out_of_range")["row"], _one(conversion, "bad_number")["row"]) \
        == (3, 4)
    assert "from 0 to 100" in _one(conversion, "out_of_range")["expected"]


def test_every_error_is_collected_not_only_the_first(tmp_path):
    rows = with_cell(2, "d", "soon")
    rows = with_cell(3, "mdd", "x", rows)
    rows = with_cell(4, "redcap_event_name", "nope_arm_1", rows)
    conversion = convert(tmp_path, rows=rows)
    assert conversion.report.error_count == 3
    assert [(e["row"], e["column"]) for e in conversion.report.error_lines()] == [
        (2, "d"), (3, "mdd"), (4, "redcap_event_name")]


def test_duplicate_record_and_event(tmp_path):
    rows = [*ROWS, ["1", "end_arm_1", "", "2023-05-20", "AS1", "1", "1", "0", "0"]]
    found = lines(convert(tmp_path, rows=rows), "duplicate_row")
    assert [(e["row"], e["column"], e["value"]) for e in found] == [
        (3, "redcap_event_name", "end_arm_1"), (5, "redcap_event_name", "end_arm_1")]


def test_two_records_of_one_referral_at_the_same_event(tmp_path):
    rows = [*ROWS, ["3", "base_arm_1", "R01", "2023-01-13", "AS2", "1", "1", "1", "0"]]
    found = lines(convert(tmp_path, rows=rows), "duplicate_referral")
    assert [(e["row"], e["column"], e["value"]) for e in found] == [
        (2, "ref", "(withheld: identifier)"), (5, "ref", "(withheld: identifier)")]


def test_conflicting_referral_ids_in_one_record_are_not_quoted(tmp_path):
    found = lines(convert(tmp_path, rows=with_cell(3, "ref", "R99")), "conflicting_referral")
    assert [(e["row"], e["column"]) for e in found] == [(2, "ref"), (3, "ref")]
    assert all(e["value"] == "(withheld: identifier)" for e in found)


def test_record_without_a_referral_id(tmp_path):
    line = _one(convert(tmp_path, rows=with_cell(4, "ref", "")), "required_value")
    assert (line["row"], line["column"]) == (4, "ref")
    assert "empty on every row of this record" in line["expected"]


def test_an_interview_without_any_disorder_status(tmp_path):
    rows = with_cell(4, "mdd", "")
    line = _one(convert(tmp_path, rows=rows), "no_disorder")
    assert (line["row"], line["column"]) == (4, "mdd, gad")


def test_identifier_values_are_never_quoted(tmp_path):
    header = [*HEADER, "usual"]
    rows = [[*r, "x"] for r in ROWS]
    mapping = MAPPING.replace('instrument = { value = "MINI" }',
                              'instrument = { value = "MINI" }\nusual_self_pct = "usual"')
    mapping = mapping.replace('assessor_id = "who"',
                              'assessor_id = { field = "who", codes = { AS1 = "A" } }')
    conversion = convert(tmp_path, rows=rows, header=header, mapping=mapping)
    (line,) = [e for e in lines(conversion, "unknown_code") if e["column"] == "who"]
    assert (line["row"], line["value"]) == (4, "(withheld: identifier)")
    assert "AS2" not in str(conversion.report.to_dict())


def test_rows_of_an_unknown_repeating_instrument(tmp_path):
    header = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
              "redcap_repeat_instance", *HEADER[2:]]
    rows = [[r[0], r[1], "", "", *r[2:]] for r in ROWS]
    rows.append(["1", "end_arm_1", "calls", "1", "", "", "", "", "", "", ""])
    line = _one(convert(tmp_path, rows=rows, header=header), "unknown_instrument")
    assert (line["row"], line["column"], line["value"]) == (5, "redcap_repeat_instrument",
                                                            "calls")
    assert "ignore_instruments" in line["expected"]


def test_mapping_naming_a_field_missing_from_the_export(tmp_path):
    mapping = MAPPING.replace('assessor_blind = "blind"', 'assessor_blind = "blinded"')
    line = _one(convert(tmp_path, mapping=mapping), "missing_field")
    assert (line["file"], line["row"], line["column"], line["value"]) == (
        "mapping.toml", 13, "fields.assessor_blind", "blinded")
    assert "did you mean 'blind'?" in line["expected"]


def test_mapping_naming_a_checkbox_field_by_its_base_name(tmp_path):
    header = [*HEADER, "ver___1", "ver___2"]
    rows = [[*r, "0", "1"] for r in ROWS]
    mapping = MAPPING.replace('assessor_blind = "blind"',
                              'assessor_blind = "blind"\nretrospective = "ver"')
    line = _one(convert(tmp_path, rows=rows, header=header, mapping=mapping), "missing_field")
    assert "checkbox field" in line["expected"] and "ver___1, ver___2" in line["expected"]


def test_export_without_the_event_column(tmp_path):
    header = [h for h in HEADER if h != "redcap_event_name"]
    rows = [[v for h, v in zip(HEADER, r) if h != "redcap_event_name"] for r in ROWS]
    line = _one(convert(tmp_path, rows=rows, header=header), "missing_column")
    assert (line["row"], line["column"]) == (1, "redcap_event_name")
    assert "classic" in line["expected"]


def test_export_with_label_headers_says_to_export_variable_names(tmp_path):
    header = ["Record ID", "Event Name", *HEADER[2:]]
    found = lines(convert(tmp_path, header=header), "missing_column")
    assert [e["column"] for e in found] == ["record_id", "redcap_event_name"]
    assert all("not labels" in e["expected"] for e in found)


def test_ragged_row(tmp_path):
    rows = [*ROWS[:2], [*ROWS[2], "extra"]]
    line = _one(convert(tmp_path, rows=rows), "csv_structure")
    assert (line["row"], line["value"]) == (4, "10 values")
    assert "9 values as in the header row" in line["expected"]


@pytest.mark.parametrize("text, rule, row", [
    ("", "empty_file", 1),
    (",".join(HEADER) + "\n", "no_records", 2),
    (",".join([*HEADER[:3], "d", "d", *HEADER[5:]]) + "\n", "duplicate_header", 1),
])
def test_empty_or_broken_files(tmp_path, text, rule, row):
    assert _one(convert(tmp_path, text=text), rule)["row"] == row


def test_non_utf8_export(tmp_path):
    export, mapping = write_project(tmp_path)
    export.write_bytes(export.read_bytes().replace(b"AS2", b"AS\xe92"))
    with pytest.raises(RedcapError) as raised:
        convert_redcap(export, mapping)
    assert raised.value.report.error_lines()[0]["row"] == 4
    assert "UTF-8" in str(raised.value)


def test_missing_files(tmp_path):
    with pytest.raises(RedcapError) as raised:
        convert_redcap(tmp_path / "no.csv", tmp_path / "no.toml")
    files = sorted(e["file"] for e in raised.value.report.error_lines())
    assert files == ["no.csv", "no.toml"]
