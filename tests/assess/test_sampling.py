"""load-sample: the contract with ``tincheck study sample``, checked before anything is
stored; reserves wait inactive; a later load adds rows and fills in windows."""

from __future__ import annotations

import csv

import pytest

from tincheck.assess.sampling import SampleError, in_second_draw, read_sample

from .conftest import load
from .sample_files import write_sample_files

# one worker runs every test of the app: the studies and the PostgreSQL cluster
# are built once per process
pytestmark = pytest.mark.xdist_group("assess")

pytest.importorskip("django")


def _write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


SAMPLE = ["study_id", "referral_id", "stratum", "selection", "reserve_rank"]
SCHEDULE = ["study_id", "timepoint", "months_after_end", "anchor", "window_start",
            "window_end"]


def _files(tmp_path, sample_rows=None, schedule_rows=None, sample_header=SAMPLE):
    sample_rows = sample_rows or [["S0001", "R1", "problem_descriptor=F32|step=high",
                                   "sample", ""],
                                  ["S0002", "R2", "problem_descriptor=F32|step=high",
                                   "reserve", "1"]]
    schedule_rows = schedule_rows or [
        ["S0001", "baseline", "", "received", "2024-01-01", "2024-01-29"],
        ["S0001", "end", "", "ended", "", ""],
        ["S0001", "follow_up", "6", "ended", "", ""],
        ["S0002", "baseline", "", "received", "2024-02-01", "2024-02-29"]]
    return (_write(tmp_path / "sample.csv", sample_header, sample_rows),
            _write(tmp_path / "schedule.csv", SCHEDULE, schedule_rows))


def test_a_column_beyond_the_contract_is_refused_naming_it(tmp_path):
    header = SAMPLE + ["therapy_type"]
    rows = [["S0001", "R1", "x", "sample", "", "cbt"]]
    sample, schedule = _files(tmp_path, rows, sample_header=header)
    with pytest.raises(SampleError) as error:
        read_sample(sample, schedule)
    problem = error.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("sample.csv", 1, "therapy_type")
    assert "could unblind an assessor" in problem.expected


def test_every_problem_names_file_row_column_and_expectation(tmp_path):
    sample, schedule = _files(tmp_path, [
        ["S0001", "R1", "a", "sample", "2"],          # rank on a sampled row
        ["S0001", "R2", "a", "maybe", ""],            # repeated study id, bad selection
        ["S0003", "R3", "a", "reserve", "first"]], [  # rank not a number
        ["S0001", "baseline", "", "ended", "2024-01-01", "2023-12-01"],  # anchor, order
        ["S0001", "follow_up", "", "ended", "2024-06-01", ""],           # months, one date
        ["S0009", "end", "", "ended", "", ""]])                          # unknown id
    with pytest.raises(SampleError) as error:
        read_sample(sample, schedule)
    found = {(p.file, p.row, p.column) for p in error.value.problems}
    assert found == {("sample.csv", 2, "reserve_rank"), ("sample.csv", 3, "study_id"),
                     ("sample.csv", 3, "selection"), ("sample.csv", 4, "reserve_rank"),
                     ("schedule.csv", 2, "anchor"), ("schedule.csv", 2, "window_end"),
                     ("schedule.csv", 3, "months_after_end"),
                     ("schedule.csv", 3, "window_end"), ("schedule.csv", 4, "study_id")}
    # identifiers are never quoted
    text = str(error.value)
    assert "'R2'" not in text and "'S0009'" not in text
    assert "'maybe'" in text


def test_escaped_cells_are_read_back_unchanged(tmp_path):
    sample, schedule = _files(tmp_path, [["S0001", "'-R1", "'=stratum", "sample", ""]],
                              [["S0001", "baseline", "", "received", "", ""]])
    rows, _ = read_sample(sample, schedule)
    assert (rows[0].referral_id, rows[0].stratum) == ("-R1", "=stratum")


def test_loading_stores_reserves_inactive_and_a_reload_fills_in_windows(study, tmp_path):
    from tincheck.assess.models import Participant, Visit

    sample, schedule = _files(tmp_path)
    summary = load(sample, schedule, share=0.0)
    assert (summary["participants_added"], summary["reserves_added"],
            summary["visits_added"]) == (1, 1, 4)
    assert dict(Participant.objects.values_list("study_id", "state")) == {
        "S0001": "active", "S0002": "reserve"}
    # the referral ended: the updated schedule has the end and follow-up windows
    _, schedule = _files(tmp_path, schedule_rows=[
        ["S0001", "baseline", "", "received", "2024-01-01", "2024-01-29"],
        ["S0001", "end", "", "ended", "2024-05-01", "2024-05-29"],
        ["S0001", "follow_up", "6", "ended", "2024-10-20", "2024-11-17"],
        ["S0002", "baseline", "", "received", "2024-02-01", "2024-02-29"],
        ["S0002", "end", "", "ended", "", ""]])
    summary = load(sample, schedule, share=0.0)
    assert (summary["windows_updated"], summary["visits_added"], summary["unchanged"]) == \
        (2, 1, 2)
    end = Visit.objects.get(participant__study_id="S0001", timepoint="end")
    assert end.window_start.isoformat() == "2024-05-01"
    # a study id never changes whom it stands for
    sample, _ = _files(tmp_path, [["S0001", "R9", "problem_descriptor=F32|step=high",
                                   "sample", ""],
                                  ["S0002", "R2", "problem_descriptor=F32|step=high",
                                   "reserve", "1"]])
    from tincheck.assess.services import ServiceError

    with pytest.raises(ServiceError, match="already loaded with another referral"):
        load(sample, schedule)


def test_the_second_rating_draw_is_reproducible_and_near_its_share():
    drawn = [in_second_draw("seed", f"S{i:04d}", t, 0.15) for i in range(2000)
             for t in ("baseline", "end", "follow_up")]
    assert drawn == [in_second_draw("seed", f"S{i:04d}", t, 0.15) for i in range(2000)
                     for t in ("baseline", "end", "follow_up")]
    # 6,000 draws at 15%: the binomial SD of the share is 0.46 percentage points
    assert abs(sum(drawn) / len(drawn) - 0.15) < 0.015


def test_the_synthetic_fixture_follows_the_contract(tmp_path):
    from .helpers import synthetic_sample

    service, sample, schedule = synthetic_sample(tmp_path)
    rows, visits = read_sample(sample, schedule)
    assert [r.study_id for r in rows][:3] == ["S0001", "S0002", "S0003"]
    assert {r.selection for r in rows} == {"sample", "reserve"}
    assert len(visits) == 3 * len(rows)
    again = write_sample_files(service, tmp_path / "again", sample=8)
    assert again[0].read_bytes() == sample.read_bytes()  # deterministic
