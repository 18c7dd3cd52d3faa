"""synthesise: the example studies file end to end, and the pieces agree with each other."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pytest import approx

from tincheck.evidence import read_studies
from tincheck.evidence.synthesis import synthesise
from tincheck.examples import example_path
from tincheck.stats.meta import meta_analysis


@pytest.fixture(scope="module")
def example():
    return read_studies(example_path("meta_studies.csv"))


@pytest.fixture(scope="module")
def synthesis(example):
    return synthesise(example)


def test_overall_is_the_meta_analysis_of_every_study(example, synthesis):
    direct = meta_analysis(example.yi, example.vi)
    assert synthesis.overall.estimate == approx(direct.estimate, rel=1e-12)
    assert synthesis.overall.labels == tuple(example.labels)


def test_independent_and_allegiant_pooled_side_by_side(example, synthesis):
    independent = synthesis.pooled("independent")
    allegiant = synthesis.pooled("allegiant")
    mask = np.array([s.independent for s in example.studies])
    assert independent.k == 4 and allegiant.k == 8
    assert independent.result.estimate == approx(
        meta_analysis(example.yi[mask], example.vi[mask]).estimate)
    # the example is built so that allegiant self-evaluations look far better
    assert allegiant.result.estimate > independent.result.ci_high
    assert synthesis.pooled("qualifying").k == synthesis.grade.qualifying == 2


def test_subgroups_for_every_varying_feature(synthesis):
    assert list(synthesis.subgroups) == ["design", "setting", "outcome", "independent",
                                         "allegiance", "coi_declared"]
    by_independence = synthesis.subgroups["independent"]
    assert by_independence.groups["yes"].estimate == approx(
        synthesis.pooled("independent").result.estimate)
    assert by_independence.Q_between_pvalue < 0.001


def test_small_study_analyses_run(synthesis):
    assert synthesis.egger.k == synthesis.begg.k == 12
    assert synthesis.trimfill.k0 == 2 and synthesis.trimfill.side == "left"
    assert synthesis.trimfill.adjusted.estimate < synthesis.overall.estimate


def test_grade_of_the_example(synthesis):
    grade = synthesis.grade
    assert (grade.met, grade.qualifying, grade.qualifying_with_benefit) == (False, 2, 1)


def test_json_holds_every_number(synthesis):
    data = json.loads(json.dumps(synthesis.to_dict()))
    assert data["overall"]["estimate"] == approx(synthesis.overall.estimate)
    assert data["settings"] == {"method": "REML", "test": "z", "level": 0.95,
                                "benefit": "positive", "forest_feature": "independent",
                                "measure": None}
    assert len(data["studies"]) == 12 and data["studies"][0]["row"] == 2
    assert data["small_study"]["trim_and_fill"]["k0"] == 2
    assert data["grading"]["met"] is False
    assert {p["name"] for p in data["side_by_side"]} == {"all", "independent", "allegiant",
                                                         "qualifying"}


def test_options_reach_every_analysis(example):
    syn = synthesise(example, method="DL", test="knha", level=0.9, by="design")
    assert syn.overall.method == "DL" and syn.overall.test == "knha"
    assert syn.subgroups["design"].groups["itt"].test == "knha"
    assert syn.trimfill.original.method == "DL"
    assert syn.forest_feature == "design" and syn.grade.level == 0.9
    with_notes = synthesise(example, by="notes")  # an extra column, on request only
    assert list(with_notes.subgroups["notes"].groups) == [
        "ILLUSTRATIVE: made-up values - not a real study"]
    with pytest.raises(ValueError, match="cannot group by 'colour'"):
        synthesise(example, by="colour")


def test_a_small_file_notes_what_it_cannot_do(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("study,year,design,setting,outcome,independent,allegiance,yi,vi\n"
                    "A,2019,itt,routine,interview_blind,yes,no,0.3,0.01\n"
                    "B,2020,itt,routine,interview_blind,yes,no,0.4,0.02\n")
    syn = synthesise(read_studies(path))
    assert syn.egger is None and syn.trimfill is None
    assert syn.grade.met
    assert syn.pooled("allegiant").result is None
    assert "small-study tests need at least 3 studies" in syn.notes
    assert "no subgroup analysis by design: every study has design = itt" in syn.notes
    assert "independent" in syn.subgroups  # the forest feature is always analysed


def test_equal_standard_errors_skip_the_small_study_tests(tmp_path):
    path = tmp_path / "equal.csv"
    rows = "".join(f"S{i},2020,itt,routine,self_report,no,yes,{0.2 * i},0.01\n" for i in range(4))
    path.write_text("study,year,design,setting,outcome,independent,allegiance,yi,vi\n" + rows)
    syn = synthesise(read_studies(path))
    assert syn.egger is None and syn.begg is None and syn.trimfill is None
    assert "small-study tests not run: every study has the same standard error" in syn.notes


def test_cumulative_order_by_year_by_default_or_by_any_column(example):
    syn = synthesise(example)
    years = [s.year for s in example.studies]
    assert syn.cumulative_order == "year"
    assert [years[i] for i in syn.cumulative.order] == sorted(years)
    by_variance = synthesise(example, cumulative_by="vi")
    assert [example.vi[i] for i in by_variance.cumulative.order] == sorted(example.vi)
    by_feature = synthesise(example, cumulative_by="independent")  # "no" before "yes"
    assert [example.studies[i].independent for i in by_feature.cumulative.order] == \
        [False] * 8 + [True] * 4
    assert by_feature.cumulative.estimate[-1] == approx(syn.overall.estimate)
    with pytest.raises(ValueError, match="cannot order the cumulative analysis by 'colour'"):
        synthesise(example, cumulative_by="colour")
