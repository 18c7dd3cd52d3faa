"""Studies files with only study, yi, vi, and with raw study data read by --measure."""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx

from tincheck.evidence import StudyFileError, read_studies
from tincheck.evidence.synthesis import synthesise
from tincheck.stats.effect_sizes import escalc


def write(tmp_path, *lines, name="studies.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def errors(path, measure=None) -> list[tuple]:
    with pytest.raises(StudyFileError) as info:
        read_studies(path, measure=measure)
    return [(e["row"], e["column"], e["value"], e["expected"])
            for e in info.value.report.error_lines(100)]


# --- grading columns are optional ------------------------------------------------------

def test_study_yi_vi_alone_gives_the_analysis_and_says_what_the_grading_needs(tmp_path):
    path = write(tmp_path, "study,yi,vi", "A,0.30,0.010", "B,0.52,0.020", "C,0.41,0.015",
                 "D,0.12,0.030")
    studies = read_studies(path)
    assert studies.features == () and studies.labels == ["A", "B", "C", "D"]
    assert studies.grading_missing == ("setting", "outcome", "independent", "allegiance")
    syn = synthesise(studies)
    assert syn.overall.k == 4 and syn.grade is None and syn.forest_feature is None
    assert syn.subgroups == {} and [p.name for p in syn.side_by_side] == ["all"]
    assert syn.egger is not None and syn.influence is not None
    assert syn.cumulative_order == "file order"
    assert ("evidence grading not computed: it needs the column(s) setting, outcome, "
            "independent, allegiance") in syn.notes
    data = syn.to_dict()
    assert data["grading"] == {"computed": False, "missing_columns": [
        "setting", "outcome", "independent", "allegiance"]}


def test_sei_instead_of_vi(tmp_path):
    studies = read_studies(write(tmp_path, "study,yi,sei", "A,0.3,0.1", "B,0.5,0.2"))
    assert studies.vi.tolist() == approx([0.01, 0.04])
    assert {s.source for s in studies.studies} == {"yi/sei"}


def test_some_grading_columns_give_their_subgroups_and_name_the_others(tmp_path):
    path = write(tmp_path, "study,year,allegiance,yi,vi", "A,2001,yes,0.8,0.02",
                 "B,2005,no,0.3,0.01", "C,2010,no,0.2,0.02")
    syn = synthesise(read_studies(path))
    assert list(syn.subgroups) == ["allegiance"]
    assert syn.pooled("allegiant").k == 1 and syn.pooled("independent") is None
    assert syn.grading_missing == ("setting", "outcome", "independent")
    assert syn.cumulative.labels == ("A 2001", "B 2005", "C 2010")


def test_a_present_grading_column_needs_a_value_in_every_row(tmp_path):
    path = write(tmp_path, "study,setting,yi,vi", "A,routine,0.3,0.01", "B,,0.4,0.01")
    assert errors(path) == [(3, "setting", None, "one of routine, trial")]


# --- raw study data, every measure -----------------------------------------------------

RAW = {
    "SMD": ("m1i,sd1i,n1i,m2i,sd2i,n2i", ["10,4,20,8,5,25", "12,5,30,9,5,28"]),
    "SMCR": ("m1i,m2i,sd1i,ni,ri", ["16.8,10.1,5.2,60,0.4", "15.9,10.4,5.6,45,0.35"]),
    "SMCRH": ("m1i,m2i,sd1i,sd2i,ni,ri", ["16.8,10.1,5.2,6.1,60,0.4",
                                          "15.9,10.4,5.6,6.0,45,0.35"]),
    "SMCC": ("m1i,m2i,sd1i,sd2i,ni,ri", ["16.8,10.1,5.2,6.1,60,0.4",
                                         "15.9,10.4,5.6,6.0,45,0.35"]),
    "RR": ("ai,bi,ci,di", ["4,119,11,128", "0,22,1,20"]),
    "OR": ("ai,bi,ci,di", ["4,119,11,128", "0,22,1,20"]),
    "RD": ("ai,n1i,ci,n2i", ["4,123,11,139", "0,22,1,21"]),
    "ZCOR": ("ri,ni", ["0.3,50", "-0.1,120"]),
    "PLO": ("xi,ni", ["12,40", "0,25"]),
    "PR": ("xi,ni", ["12,40", "0,25"]),
}


@pytest.mark.parametrize("measure", sorted(RAW))
def test_every_measure_from_raw_columns_is_escalc(tmp_path, measure):
    header, rows = RAW[measure]
    path = write(tmp_path, "study," + header, *(f"S{i},{r}" for i, r in enumerate(rows)))
    studies = read_studies(path, measure=measure.lower())  # case-insensitive
    columns = header.split(",")
    data = {c: np.array([float(r.split(",")[j]) for r in rows]) for j, c in enumerate(columns)}
    expected = escalc(measure, **data)  # itself pinned to metafor (test_metafor_reference)
    assert studies.yi.tolist() == approx(expected.estimate.tolist(), rel=1e-14)
    assert studies.vi.tolist() == approx(expected.variance.tolist(), rel=1e-14)
    assert studies.measure == measure
    assert {s.source for s in studies.studies} == {measure}
    assert dict(studies.studies[0].raw) == {c: data[c][0] for c in columns}
    if measure in ("RR", "OR", "RD", "PLO", "PR"):
        assert [s.continuity_corrected for s in studies.studies] == [False, True]
        assert any("(rows 3): 0.5 added to each of their cells" in w for w in studies.warnings)


def test_raw_rows_and_effect_size_rows_mix_on_the_measure_scale(tmp_path):
    path = write(tmp_path, "study,ri,ni,yi,vi", "A,0.3,50,,", "B,,,0.2,0.01")
    studies = read_studies(path, measure="ZCOR")
    assert [s.source for s in studies.studies] == ["ZCOR", "yi/vi"]
    assert studies.yi.tolist() == approx([np.arctanh(0.3), 0.2])


def test_raw_columns_without_a_measure_suggest_one(tmp_path):
    path = write(tmp_path, "study,ai,bi,ci,di", "A,4,119,11,128")
    (error,) = errors(path)
    assert error[:2] == (1, "yi") and "give the measure (--measure RR)" in error[3]


def test_a_measure_without_its_columns_names_them(tmp_path):
    path = write(tmp_path, "study,yy", "A,1")
    assert (1, "m1i", None, "the columns of SMD (standardised mean difference (Hedges' g)): "
            "m1i, sd1i, n1i, m2i, sd2i, n2i") in errors(path, "SMD")


def test_unknown_measure():
    with pytest.raises(ValueError, match="unknown measure 'XYZ'; expected one of SMD"):
        read_studies("whatever.csv", measure="XYZ")


# --- bad input names the row and the column ---------------------------------------------

def test_negative_variance_names_row_and_column(tmp_path):
    path = write(tmp_path, "study,yi,vi", "A,0.3,0.01", "B,0.4,-0.02")
    assert errors(path) == [(3, "vi", "-0.02", "a variance greater than 0")]


def test_n_of_one_names_row_and_column(tmp_path):
    path = write(tmp_path, "study,m1i,sd1i,n1i,m2i,sd2i,n2i", "A,10,4,20,8,5,25",
                 "B,10,4,1,8,5,25")
    assert errors(path, "SMD") == [(3, "n1i", "1", "a group size of at least 2 (a group's "
                                    "SD needs two people)")]
    path = write(tmp_path, "study,m1i,m2i,sd1i,ni,ri", "A,16,10,5,1,0.4", name="pp.csv")
    assert errors(path, "SMCR")[0][:3] == (2, "ni", "1")


def test_negative_count_in_a_two_by_two_names_row_and_column(tmp_path):
    path = write(tmp_path, "study,ai,bi,ci,di", "A,4,119,11,128", "B,3,-2,5,40")
    assert errors(path, "OR") == [(3, "bi", "-2", "a count (a whole number ≥ 0)")]


def test_correlation_outside_minus_one_to_one_names_row_and_column(tmp_path):
    path = write(tmp_path, "study,ri,ni", "A,0.3,50", "B,1.3,40", "C,-1,60")
    assert errors(path, "ZCOR") == [
        (3, "ri", "1.3", "a correlation strictly between -1 and 1 (Fisher's z of ±1 is "
                         "infinite)"),
        (4, "ri", "-1", "a correlation strictly between -1 and 1 (Fisher's z of ±1 is "
                        "infinite)")]
    path = write(tmp_path, "study,m1i,m2i,sd1i,ni,ri", "A,16,10,5,40,-1.5", name="pp.csv")
    assert errors(path, "SMCR") == [(2, "ri", "-1.5", "a correlation between -1 and 1")]


def test_more_events_than_people_and_missing_cells(tmp_path):
    path = write(tmp_path, "study,ai,n1i,ci,n2i", "A,30,20,5,40", "B,3,,5,40",
                 "C,0,0,1,4")
    assert errors(path, "RR") == [
        (2, "ai", "30", "a count of events not above n1i (= 20)"),
        (3, "n1i", None, "a value: RR rows need ai, bi, ci, di or ai, n1i, ci, n2i"),
        (4, "n1i", "0", "a group size (a whole number ≥ 1)")]


def test_a_row_with_raw_data_and_an_effect_size_is_refused(tmp_path):
    path = write(tmp_path, "study,ri,ni,yi,vi", "A,0.3,50,0.31,0.02")
    assert errors(path, "ZCOR") == [(2, "yi", "0.31", "either yi with vi or sei, or the raw "
                                     "data of ZCOR, not both")]


def test_an_undefined_effect_names_the_row_and_its_columns(tmp_path):
    # SMCC: the SD of the change √(sd1² + sd2² − 2r·sd1·sd2) is 0 when r = 1 and the
    # SDs are equal
    path = write(tmp_path, "study,m1i,m2i,sd1i,sd2i,ni,ri", "A,16,10,5,5,40,1")
    ((row, column, _, expected),) = errors(path, "SMCC")
    assert (row, column) == (2, "m1i, m2i, sd1i, sd2i, ni, ri")
    assert expected.startswith("data from which SMCC is defined (yi = nan")


def test_a_row_with_neither_raw_data_nor_an_effect_size(tmp_path):
    path = write(tmp_path, "study,ai,yi,vi", "A,,0.3,0.01", "B,4,,", "C,,,")
    assert errors(path, "RR") == [
        (3, "bi", None, "a value: RR rows need ai, bi, ci, di or ai, n1i, ci, n2i"),
        (3, "ci", None, "a value: RR rows need ai, bi, ci, di or ai, n1i, ci, n2i"),
        (3, "di", None, "a value: RR rows need ai, bi, ci, di or ai, n1i, ci, n2i"),
        (4, "yi", None, "an effect size: yi with vi or sei, or the raw data of RR (ai, bi, "
                        "ci, di or ai, n1i, ci, n2i)")]
