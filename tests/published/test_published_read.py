"""Reading published files: tidy long layout, raw wide CSVs, strict values."""

import numpy as np
import pandas as pd
import pytest

from tincheck.published.read import (PublishedDataError, period_from_name, raw_measure,
                                     read_measures, read_proms)

from .published_files import RAW_2017_HEADER, write_csv

TIDY_HEADER = ["reporting_period", "org_type", "org_code", "org_name", "variable_type",
               "variable_a", "variable_b", "measure_name", "measure_statistic", "value"]


def tidy_rows(value_recovery="50"):
    base = ["2022-23", "Provider", "P1", "Provider One", "Total", "NULL", "NULL"]
    return [base + ["finished_course_treatment", "count", "110"],
            base + ["not_at_caseness", "count", "*"],
            base + ["recovery", "count", "55"],
            base + ["recovery", "percentage", value_recovery],
            base + ["improvement", "percentage", "NULL"]]


def test_tidy_csv_reads_suppressed_as_missing_and_flagged_never_zero(tmp_path):
    path = write_csv(tmp_path / "measures_annual.csv", TIDY_HEADER, tidy_rows())
    wide = read_measures(path).wide({"org_type": "Provider"})
    row = wide.iloc[0]
    assert row["finished_course_treatment_count"] == 110
    assert np.isnan(row["not_at_caseness_count"])
    assert row["not_at_caseness_count__suppressed"]
    assert np.isnan(row["improvement_percentage"])
    assert not row["improvement_percentage__suppressed"]


def test_bad_text_value_names_file_row_column_and_value(tmp_path):
    path = write_csv(tmp_path / "measures_annual.csv", TIDY_HEADER, tidy_rows("5O"))
    with pytest.raises(PublishedDataError) as caught:
        read_measures(path)
    error = caught.value
    assert (error.row, error.column, error.value) == (5, "value", "5O")
    assert "measures_annual.csv, row 5, column value: found '5O'" in str(error)
    assert "'*' (suppressed)" in str(error)


def test_thousands_separator_is_not_guessed(tmp_path):
    path = write_csv(tmp_path / "m.csv", TIDY_HEADER, tidy_rows("1,050"))
    with pytest.raises(PublishedDataError, match="found '1,050'"):
        read_measures(path)


def test_tidy_file_missing_a_column_says_which(tmp_path):
    header = [c for c in TIDY_HEADER if c != "variable_b"]
    path = write_csv(tmp_path / "m.csv", header, [r[:6] + r[7:] for r in tidy_rows()])
    with pytest.raises(PublishedDataError, match="column variable_b"):
        read_measures(path)


def test_bad_reporting_period_is_an_error(tmp_path):
    rows = tidy_rows()
    rows[0][0] = "2022/23"
    path = write_csv(tmp_path / "m.csv", TIDY_HEADER, rows)
    with pytest.raises(PublishedDataError, match="row 2, column reporting_period"):
        read_measures(path)


def test_parquet_bad_value_gives_the_record_number(tmp_path):
    frame = pd.DataFrame(tidy_rows("fifty"), columns=TIDY_HEADER)
    frame.to_parquet(tmp_path / "m.parquet")
    with pytest.raises(PublishedDataError, match="record 4, column value: found 'fifty'"):
        read_measures(tmp_path / "m.parquet")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(PublishedDataError, match="an existing file or folder"):
        read_measures(tmp_path / "nope.parquet")


@pytest.mark.parametrize("column, expected", [
    ("CountReferralsReceived", ("referrals_received", "count")),
    ("Count_ReferralsReceived", ("referrals_received", "count")),
    ("Count_EndedAfterOneTreatment", ("ended_after_one_treatment", "count")),
    ("PercentageNoReliableChange", ("no_reliable_change", "percentage")),
    ("Percentage_NoReliableChange", ("no_reliable_change", "percentage")),
    ("Mean_ApptsFinishedCourseTreatment", ("appts_finished_course_treatment", "mean")),
    ("OrgCode", None), ("Counter", None)])
def test_raw_column_names_in_both_spellings(column, expected):
    assert raw_measure(column) == expected


def test_period_from_file_name():
    from pathlib import Path
    assert period_from_name(Path("psych-ther-ann-rep-csv-2022-23-main-v2.csv")) == "2022-23"
    assert period_from_name(Path("psych-ther-ann-rep-csv-2017-18-main-csv.csv")) == "2017-18"
    assert period_from_name(Path("main.csv")) is None


def test_raw_files_of_two_years_with_different_spellings_read_alike(raw_two_years):
    table = read_measures(raw_two_years)
    assert table.layout == "raw"
    assert table.periods() == ["2017-18", "2022-23"]
    wide = table.wide({"org_type": "Provider", "org_code": "P1"})
    assert wide["finished_course_treatment_count"].tolist() == [800, 850]
    assert wide["recovery_percentage"].tolist() == [50, 50]
    assert np.isnan(wide["ended_after_one_treatment_count"].iloc[0])  # not in 2017-18
    assert wide["ended_after_one_treatment_count"].iloc[1] == 410
    p2 = table.wide({"org_code": "P2", "reporting_period": "2017-18"}).iloc[0]
    assert p2["not_at_caseness_count__suppressed"]


def test_raw_file_without_a_year_in_its_name_needs_one(tmp_path, raw_two_years):
    source = raw_two_years / "psych-ther-ann-rep-csv-2017-18-main-csv.csv"
    target = tmp_path / "main.csv"
    target.write_text(source.read_text())
    with pytest.raises(PublishedDataError, match="reporting year in the file name"):
        read_measures(target)
    assert read_measures(target, period="2017-18").periods() == ["2017-18"]


def test_raw_bad_value_is_located_in_its_column(tmp_path):
    row = ["Provider", "P1", "One", "Total", "Total", "NULL"] + ["10"] * 16 + ["n/a"]
    path = write_csv(tmp_path / "x-2019-20-main.csv", RAW_2017_HEADER, [row])
    with pytest.raises(PublishedDataError) as caught:
        read_measures(path)
    assert (caught.value.row, caught.value.column) == (2, "MeanTreatmentAppointments")


def test_same_year_given_twice_is_an_error(tmp_path, raw_two_years):
    source = raw_two_years / "psych-ther-ann-rep-csv-2017-18-main-csv.csv"
    (tmp_path / "copy-2017-18.csv").write_text(source.read_text())
    table = read_measures([source, tmp_path / "copy-2017-18.csv"])
    with pytest.raises(PublishedDataError, match="one value per organisation"):
        table.wide({"org_type": "England"})


def test_raw_file_without_org_columns_is_refused(tmp_path):
    path = write_csv(tmp_path / "x-2019-20.csv", ["Code", "CountRecovery"], [["A", "5"]])
    with pytest.raises(PublishedDataError, match="column org_type"):
        read_measures(path)


def test_tidy_proms_with_measure_time(tmp_path):
    header = TIDY_HEADER[:-1] + ["measure_time", "value"]
    base = ["2022-23", "England", "All", "All", "PROMs", "Total", "CBT"]
    rows = [base + ["phq", "mean", "start", "14.2"], base + ["phq", "mean", "end", "9.4"],
            base + ["phq", "sd", "start", "6.1"], base + ["phq", "effect_size", "NA", "0.8"]]
    wide = read_proms(write_csv(tmp_path / "proms.csv", header, rows)).wide()
    row = wide.iloc[0]
    assert (row["phq_mean_start"], row["phq_mean_end"], row["phq_sd_start"]) == (
        14.2, 9.4, 6.1)
    assert row["phq_effect_size"] == 0.8


def test_a_negative_count_is_an_error_naming_its_row(tmp_path):
    rows = tidy_rows()
    rows[2][-1] = "-55"                        # recovery count, spreadsheet row 4
    path = write_csv(tmp_path / "measures_annual.csv", TIDY_HEADER, rows)
    with pytest.raises(PublishedDataError) as caught:
        read_measures(path)
    assert (caught.value.row, caught.value.column, caught.value.value) == (4, "value", "-55")
    assert "cannot be negative" in str(caught.value)


def test_a_negative_percentage_is_not_a_count_and_reads(tmp_path):
    # a change can be negative; only counts are checked
    path = write_csv(tmp_path / "measures_annual.csv", TIDY_HEADER, tidy_rows("-1.5"))
    assert read_measures(path).wide()["recovery_percentage"].iloc[0] == -1.5


def test_a_folder_name_with_glob_characters_is_a_path(tmp_path):
    # DuckDB reads '[1]' as a pattern: 'data[1]' would read 'data1' instead
    for folder, value in (("data[1]", "55"), ("data1", "66")):
        (tmp_path / folder).mkdir()
        rows = tidy_rows()
        rows[2][-1] = value
        write_csv(tmp_path / folder / "measures_annual.parquet.csv", TIDY_HEADER, rows)
    table = read_measures(tmp_path / "data[1]" / "measures_annual.parquet.csv")
    assert table.wide()["recovery_count"].iloc[0] == 55
