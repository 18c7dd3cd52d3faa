"""Converting a REDCap export: what each kind of row and field becomes."""

from __future__ import annotations

import math

import pandas as pd

from tincheck import pseudonymise
from tincheck.redcap import convert_redcap, write_interviews

from .project import HEADER, MAPPING, ROWS, convert, lines, with_cell, write_project


def _rows(conversion) -> list[tuple]:
    table = conversion.interviews
    return list(zip(table["interview_id"], table["referral_id"], table["timepoint"],
                    table["disorder"], table["status"]))


def test_one_row_per_interview_and_assessed_disorder(tmp_path):
    conversion = convert(tmp_path)
    assert conversion.ok, conversion.report.to_dict()
    # record 2 left gad empty: not assessed, so no row; record 1's end row has its
    # referral id from the baseline row of the same record
    assert _rows(conversion) == [
        ("1-base_arm_1", "R01", "baseline", "depression", "present"),
        ("1-base_arm_1", "R01", "baseline", "gad", "subthreshold"),
        ("1-end_arm_1", "R01", "end", "depression", "absent"),
        ("1-end_arm_1", "R01", "end", "gad", "absent"),
        ("2-base_arm_1", "R02", "baseline", "depression", "present"),
    ]


def test_fields_are_read_as_their_types(tmp_path):
    table = convert(tmp_path).interviews
    first = table.iloc[0]
    assert first["date"] == pd.Timestamp("2023-01-12")
    assert first["assessor_id"] == "AS1" and first["instrument"] == "MINI"
    assert bool(first["assessor_independent"]) and bool(first["assessor_blind"])
    assert table["assessor_blind"].tolist() == [True, True, False, False, True]
    assert table["assessor_independent"].tolist() == [True, True, True, True, False]
    assert table["retrospective"].isna().all() and table["usual_self_pct"].isna().all()
    assert list(table.columns) == ["interview_id", "referral_id", "timepoint", "date",
                                   "months_after_end", "assessor_id", "instrument",
                                   "assessor_independent", "assessor_blind", "retrospective",
                                   "disorder", "status", "usual_self_pct", "second_rating",
                                   "unblinded"]
    assert table["unblinded"].isna().all() and table["second_rating"].isna().all()


def test_unblinded_field_is_read_as_yes_no(tmp_path):
    header = [*HEADER, "unblind"]
    rows = [[*r, u] for r, u in zip(ROWS, ["0", "1", ""])]
    mapping = MAPPING.replace('assessor_blind = "blind"',
                              'assessor_blind = "blind"\nunblinded = "unblind"')
    table = convert(tmp_path, rows=rows, header=header, mapping=mapping).interviews
    # one row per disorder: record 1 baseline (2 rows), end (2 rows), record 2 baseline
    assert table["unblinded"].tolist()[:4] == [False, False, True, True]
    assert pd.isna(table["unblinded"].iloc[4])


def test_redcap_datetime_values_are_read_as_their_day(tmp_path):
    rows = with_cell(2, "d", "2023-01-12 09:30")
    rows = with_cell(3, "d", "2023-05-14 16:05:59", rows)
    table = convert(tmp_path, rows=rows).interviews
    assert table["date"].dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "2023-01-12", "2023-01-12", "2023-05-14"]


def test_coded_fields_and_a_checkbox_option_as_a_field(tmp_path):
    header = [*HEADER, "tool", "version___1", "version___2", "usual"]
    rows = [[*r, tool, v1, v2, usual] for r, tool, v1, v2, usual in zip(
        ROWS, ["3", "3", "1"], ["1", "0", "0"], ["0", "1", "0"], ["20", "72,5", ""])]
    mapping = MAPPING.replace('instrument = { value = "MINI" }\n', """\
instrument = { field = "tool", codes = { 1 = "SCID-5", 3 = "DIAMOND" } }
retrospective = "version___1"
usual_self_pct = "usual"
""")
    table = convert(tmp_path, rows=rows, header=header, mapping=mapping).interviews
    assert table["instrument"].tolist() == ["DIAMOND"] * 4 + ["SCID-5"]
    assert table["retrospective"].tolist() == [True, True, False, False, False]
    # "72,5": REDCap's number_comma_decimal validation exports a decimal comma
    assert table["usual_self_pct"].tolist()[:4] == [20.0, 20.0, 72.5, 72.5]
    assert math.isnan(table["usual_self_pct"].iloc[4])


def test_follow_up_months_from_the_event_or_from_a_field(tmp_path):
    rows = [*ROWS, ["1", "fu_arm_1", "", "2023-11-10", "AS2", "1", "1", "1", "0"],
            ["2", "fu_arm_1", "", "2023-12-01", "AS2", "1", "1", "0", ""]]
    mapping = MAPPING + "\n[follow_up_months]\nfu_arm_1 = 6\n"
    table = convert(tmp_path, rows=rows, mapping=mapping).interviews
    months = table.drop_duplicates("interview_id").set_index("interview_id")["months_after_end"]
    assert months["1-fu_arm_1"] == 6 and months["2-fu_arm_1"] == 6
    assert months[["1-base_arm_1", "1-end_arm_1", "2-base_arm_1"]].isna().all()
    # a field, where given, wins over the event's constant
    header = [*HEADER, "fu_months"]
    rows = [[*r, m] for r, m in zip(rows, ["", "", "", "7.5", ""])]
    mapping = mapping.replace('assessor_blind = "blind"',
                              'assessor_blind = "blind"\nmonths_after_end = "fu_months"')
    table = convert(tmp_path, rows=rows, header=header, mapping=mapping).interviews
    months = table.drop_duplicates("interview_id").set_index("interview_id")["months_after_end"]
    assert months["1-fu_arm_1"] == 7.5 and months["2-fu_arm_1"] == 6


def test_repeating_event_instances_are_separate_interviews(tmp_path):
    header = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
              "redcap_repeat_instance", *HEADER[2:]]
    rows = [[r[0], r[1], "", "", *r[2:]] for r in ROWS]
    rows += [["1", "fu_arm_1", "", "1", "", "2023-11-10", "AS2", "1", "1", "1", "0"],
             ["1", "fu_arm_1", "", "2", "", "2024-05-10", "AS2", "1", "1", "0", "0"]]
    table = convert(tmp_path, rows=rows, header=header).interviews
    follow = table[table["timepoint"] == "follow_up"]
    assert follow["interview_id"].unique().tolist() == ["1-fu_arm_1-1", "1-fu_arm_1-2"]
    assert follow["status"].tolist() == ["present", "absent", "absent", "absent"]


def test_rows_of_ignored_events_and_instruments_are_skipped(tmp_path):
    header = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
              "redcap_repeat_instance", *HEADER[2:]]
    rows = [["1", "screen_arm_1", "", "", "R01", "", "", "", "", "", ""]]
    rows += [[r[0], r[1], "", "", "" if r[0] == "1" else r[2], *r[3:]] for r in ROWS]
    rows += [["1", "end_arm_1", "calls", "1", "", "2023-05-01", "", "", "", "", ""]]
    mapping = MAPPING.replace('follow_up = "fu_arm_1"',
                              'follow_up = "fu_arm_1"\nignore = ["screen_arm_1"]')
    mapping = 'ignore_instruments = ["calls"]\n' + mapping
    conversion = convert(tmp_path, rows=rows, header=header, mapping=mapping)
    assert conversion.ok, conversion.report.to_dict()
    # the referral id comes from the (ignored) screening event of the same record
    assert conversion.interviews["referral_id"].tolist() == ["R01"] * 4 + ["R02"]
    assert len(conversion.interviews) == 5


def test_referral_id_may_be_the_record_id(tmp_path):
    rows = [["R01", *r[1:]] if r[0] == "1" else ["R02", *r[1:]] for r in ROWS]
    mapping = MAPPING.replace('referral_id = "ref"', 'referral_id = "record_id"')
    conversion = convert(tmp_path, rows=rows, mapping=mapping)
    assert conversion.interviews["referral_id"].tolist() == ["R01"] * 4 + ["R02"]
    assert conversion.interviews["interview_id"].iloc[0] == "R01-base_arm_1"


def test_an_event_row_with_no_interview_data_is_a_warning_not_an_interview(tmp_path):
    rows = [*ROWS, ["2", "end_arm_1", "", "", "", "", "", "", ""]]
    conversion = convert(tmp_path, rows=rows)
    assert conversion.ok
    assert len(conversion.interviews) == 5
    (warning,) = lines(conversion, "no_interview")
    assert warning["row"] == 5 and warning["value"] == "end_arm_1"
    assert conversion.report.warnings[0].severity == "warning"


def test_bom_semicolons_crlf_and_a_line_break_inside_a_value(tmp_path):
    header = [*HEADER, "notes"]
    body = "\r\n".join(";".join([*r, '"ok"']) for r in ROWS[:2])
    text = ("\ufeff" + ";".join(header) + "\r\n" + body + "\r\n"
            + ";".join([*ROWS[2][:-2], "1", "", '"two\nlines; quoted"']) + "\r\n"
            + "\r\n" + "2;end_arm_1;;2023-99-01;AS2;1;1;0;;\r\n")
    conversion = convert(tmp_path, text=text)
    # the value with a line break stays in row 4; the blank line is row 5
    (line,) = lines(conversion, "bad_date")
    assert (line["row"], line["column"], line["value"]) == (6, "d", "2023-99-01")


def test_identifiers_holding_nhs_numbers_become_the_ingest_pseudonym(tmp_path, monkeypatch):
    monkeypatch.setenv(pseudonymise.KEY_ENV, "test-key")
    rows = with_cell(2, "ref", "943 476 5919")
    table = convert(tmp_path, rows=rows).interviews
    expected = pseudonymise.pseudonym("943 476 5919", b"test-key")
    assert table["referral_id"].tolist()[:4] == [expected] * 4
    assert "943" not in " ".join(table["interview_id"])


def test_nhs_number_without_a_key_is_an_error_that_does_not_quote_it(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonymise.KEY_ENV, raising=False)
    monkeypatch.delenv(pseudonymise.KEY_FILE_ENV, raising=False)
    conversion = convert(tmp_path, rows=with_cell(2, "ref", "9434765919"))
    assert not conversion.ok and conversion.interviews.empty
    assert "9434765919" not in str(conversion.report.to_dict())
    assert lines(conversion, "pseudonym_key")


def test_write_interviews_writes_the_data_model_layout(tmp_path):
    export, mapping = write_project(tmp_path)
    path = write_interviews(convert_redcap(export, mapping), tmp_path / "out" / "i.csv")
    text = path.read_text(encoding="utf-8").splitlines()
    assert text[0] == ("interview_id,referral_id,timepoint,date,months_after_end,assessor_id,"
                       "instrument,assessor_independent,assessor_blind,retrospective,disorder,"
                       "status,usual_self_pct,second_rating,unblinded")
    assert text[1] == "1-base_arm_1,R01,baseline,2023-01-12,,AS1,MINI,true,true,,depression," \
                      "present,,,"
    assert text[5] == "2-base_arm_1,R02,baseline,2023-01-18,,AS2,MINI,false,true,,depression," \
                      "present,,,"


def test_an_export_with_no_interview_rows_converts_to_an_empty_table_with_a_warning(tmp_path):
    mapping = MAPPING.replace('follow_up = "fu_arm_1"',
                              'follow_up = "fu_arm_1"\nignore = ["screen_arm_1"]')
    rows = [["1", "screen_arm_1", "R01", "", "", "", "", "", ""]]
    conversion = convert(tmp_path, rows=rows, mapping=mapping)
    assert conversion.ok and conversion.interviews.empty
    assert [w.rule for w in conversion.report.warnings] == ["no_interviews"]
    assert list(conversion.interviews.columns)[:3] == ["interview_id", "referral_id",
                                                       "timepoint"]
