"""Reading a studies file: values, conversions, and errors that name row and column."""

from __future__ import annotations

import pytest
from pytest import approx

from tincheck.evidence import StudyFileError, read_studies
from tincheck.evidence.studies import d_pre_sd
from tincheck.examples import example_path

HEADER = "study,year,design,setting,outcome,independent,allegiance,coi_declared,yi,vi,sei"


def write(tmp_path, *lines, name="studies.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def errors(path) -> list[tuple]:
    with pytest.raises(StudyFileError) as info:
        read_studies(path)
    return [(e["row"], e["column"], e["value"]) for e in info.value.report.error_lines(100)]


def test_lone_cr_line_endings_read_as_rows(tmp_path):
    # classic Mac / Excel "CSV (Macintosh)": the rows are separated by CR alone
    path = tmp_path / "mac.csv"
    path.write_bytes(b"study,yi,vi\rA,0.5,0.1\rB,0.3,0.2\rC,0.1,0.05\r")
    studies = read_studies(path)
    assert [(s.yi, s.vi) for s in studies.studies] == [(0.5, 0.1), (0.3, 0.2), (0.1, 0.05)]


def test_a_cell_longer_than_the_csv_modules_limit_is_a_located_error(tmp_path):
    # over Python's default 131,072-character field limit: a finding, not a traceback
    path = write(tmp_path, "study,yi,vi", "A,0.5,0.1", "B,0.3,0.2", "C," + "1" * 200_000 + ",0.05")
    assert [(row, column) for row, column, _ in errors(path)] == [(4, "yi")]


def test_pre_post_conversion_by_hand():
    # d = (16 - 10)/5 = 1.2; Var = 2(1 - 0.5)/100 + 1.44/200 = 0.01 + 0.0072 (Becker 1988)
    d, v = d_pre_sd(16.0, 10.0, 5.0, 100, 0.5)
    assert (float(d), float(v)) == approx((1.2, 0.0172))


def test_example_file_reads_every_kind_of_effect_size():
    studies = read_studies(example_path("meta_studies.csv"))
    assert len(studies) == 12
    sources = {s.source for s in studies.studies}
    assert sources == {"yi/vi", "yi/sei", "pre-post summary"}
    a = studies.studies[0]  # Example service A: 16.8, 10.1, sd 5.2, n 60, r 0.40
    d = (16.8 - 10.1) / 5.2
    assert (a.yi, a.vi) == approx((d, 2 * 0.6 / 60 + d**2 / 120))
    assert a.row == 2 and a.label == "Example service A 2011"
    d_row = studies.studies[3]  # yi 0.62 with sei 0.07
    assert d_row.vi == approx(0.07**2)
    assert all(dict(s.extra)["notes"].startswith("ILLUSTRATIVE") for s in studies.studies)
    assert "notes" in studies.features


def test_allegiance_without_declared_conflict_is_reported(tmp_path):
    path = write(tmp_path, HEADER,
                 "A,2019,itt,routine,self_report,no,yes,no,0.9,0.02,",
                 "B,2020,itt,routine,self_report,no,yes,,0.8,0.02,")
    studies = read_studies(path)
    assert studies.studies[1].coi_declared is None
    assert any("row 2 (A 2019): allegiance to the treatment but no conflict of interest "
               "declared" in w for w in studies.warnings)
    assert any("unknown for 1 study: B 2020" in w for w in studies.warnings)


def test_every_bad_cell_is_named_with_row_column_and_value(tmp_path):
    path = write(tmp_path, HEADER,
                 "A,2019,itt,routine,interview_blind,yes,no,,0.3,0.01,",
                 "B,19,itt,clinic,self_report,maybe,no,perhaps,0.4,-0.02,",
                 ",2020,completer,routine,self_report,no,yes,no,abc,,",
                 "C,2021,itt,trial,interview_blind,yes,no,yes,0.2,0.01,0.3",
                 "D,2022,itt,trial,interview_blind,yes,no,yes,0.2,0.01,,extra",
                 "E,2022,itt,trial,interview_blind,yes,no,yes,,,")
    assert errors(path) == [
        (3, "coi_declared", "perhaps"), (3, "independent", "maybe"), (3, "setting", "clinic"),
        (3, "vi", "-0.02"), (3, "year", "19"),
        (4, "study", None), (4, "vi", None), (4, "yi", "abc"),
        (5, "sei", "0.3"),  # sei² = 0.09 disagrees with vi = 0.01
        (6, None, "extra"),
        (7, "yi", None),
    ]


def test_error_message_says_what_was_expected(tmp_path):
    path = write(tmp_path, HEADER, "A,2019,itt,clinic,interview_blind,yes,no,,0.3,0.01,")
    with pytest.raises(StudyFileError, match=r"studies.csv row 2, column setting: value "
                       r"'clinic': expected one of routine, trial"):
        read_studies(path)


def test_blank_rows_keep_spreadsheet_numbering_and_are_reported(tmp_path):
    path = write(tmp_path, HEADER, "A,2019,itt,routine,interview_blind,yes,no,,0.3,0.01,", "",
                 "B,1800,itt,routine,interview_blind,yes,no,,0.3,0.01,")
    assert errors(path) == [(4, "year", "1800")]
    ok = write(tmp_path, HEADER, "", "A,2019,itt,routine,interview_blind,yes,no,,0.3,0.01,",
               name="ok.csv")
    studies = read_studies(ok)
    assert studies.studies[0].row == 3
    assert "ok.csv row 2 is blank and was skipped" in studies.warnings


def test_a_misspelt_column_is_an_error_not_a_new_feature(tmp_path):
    # allegiance is optional (the grading needs it), so a misspelt header would
    # otherwise become an extra feature and the grading would silently not run
    path = write(tmp_path, HEADER.replace("allegiance", "allegience"),
                 "A,2019,itt,routine,interview_blind,yes,no,,0.3,0.01,")
    with pytest.raises(StudyFileError, match="column allegience: value 'allegience': "
                       "expected a known column: did you mean 'allegiance'"):
        read_studies(path)


def test_the_study_column_is_required_with_a_close_name_suggested(tmp_path):
    path = write(tmp_path, "studie,yi,vi", "A,0.3,0.01")
    with pytest.raises(StudyFileError, match="a column named 'study'.*did you mean "
                       "'studie'"):
        read_studies(path)


def test_a_file_needs_an_effect_size_column(tmp_path):
    path = write(tmp_path, "study,year,design,setting,outcome,independent,allegiance",
                 "A,2019,itt,routine,interview_blind,yes,no")
    with pytest.raises(StudyFileError, match="a yi column"):
        read_studies(path)


def test_mixing_effect_sizes_and_summaries_in_one_row_is_refused(tmp_path):
    header = HEADER + ",mean_pre,mean_post,sd_pre,n,r"
    path = write(tmp_path, header,
                 "A,2019,itt,routine,interview_blind,yes,no,,0.3,0.01,,15,10,5,50,0.5",
                 "B,2019,itt,routine,interview_blind,yes,no,,,,,15,10,5,,0.5",
                 "C,2019,itt,routine,interview_blind,yes,no,,,,,15,10,5,50,1.2")
    assert errors(path) == [(2, "yi", "0.3"), (3, "n", None), (4, "r", "1.2")]


def test_semicolon_files_with_decimal_commas_and_spelling_variants(tmp_path):
    path = write(tmp_path, HEADER.replace(",", ";").replace("coi_declared", "COI declared"),
                 "A;2019;ITT;Routine;interview blind;Y;N;1;0,3;0,01;")
    study = read_studies(path).studies[0]
    assert (study.design, study.outcome, study.independent, study.allegiance) == (
        "itt", "interview_blind", True, False)
    assert (study.coi_declared, study.yi, study.vi) == (True, 0.3, 0.01)


def test_missing_file_and_empty_file(tmp_path):
    assert errors(tmp_path / "none.csv")[0][0] is None
    assert errors(write(tmp_path, HEADER, name="empty.csv")) == [(None, None, None)]
