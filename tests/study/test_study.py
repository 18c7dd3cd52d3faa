"""Drawing a study from a service's data: the example service and 100,000 synthetic
referrals. The files follow the contract with ``tincheck assess load-sample``."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

import tincheck
from tincheck.metrics.balance import CHARACTERISTICS
from tincheck.stats.balance import standardised_mean_difference
from tincheck.study import StudyError, draw_sample, write_study
from tincheck.study.files import csv_text, frame_csv, sample_csv, schedule_csv
from tincheck.study.frame import read_frame
from tincheck.study.sampling import proportional_allocation

SAMPLE_HEADER = "study_id,referral_id,stratum,selection,reserve_rank\n"
SCHEDULE_HEADER = "study_id,timepoint,months_after_end,anchor,window_start,window_end\n"


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _referral_ids(folder) -> set[str]:
    with open(folder / "referrals.csv", newline="", encoding="utf-8") as f:
        return {row["referral_id"] for row in csv.DictReader(f)}


def test_the_files_follow_the_contract(example_study, tmp_path):
    paths = write_study(example_study, tmp_path / "study")
    sample = paths["sample"].read_bytes()
    schedule = paths["schedule"].read_bytes()
    assert sample.decode("utf-8").startswith(SAMPLE_HEADER)
    assert schedule.decode("utf-8").startswith(SCHEDULE_HEADER)
    assert b"\r" not in sample + schedule
    rows = _rows(sample.decode("utf-8"))
    assert [r["study_id"] for r in rows] == [f"S{i:04d}" for i in range(1, len(rows) + 1)]
    assert {r["selection"] for r in rows} == {"sample", "reserve"}
    assert all((r["reserve_rank"] == "") == (r["selection"] == "sample") for r in rows)
    timepoints = [(r["study_id"], r["timepoint"], r["months_after_end"])
                  for r in _rows(schedule.decode("utf-8"))]
    # one row per study id × time point, in study_id order
    assert timepoints[:4] == [("S0001", "baseline", ""), ("S0001", "end", ""),
                              ("S0001", "follow_up", "6"), ("S0001", "follow_up", "12")]
    assert len(timepoints) == 4 * len(rows)
    for text in (sample, schedule):
        for row in csv.reader(io.StringIO(text.decode("utf-8"))):
            assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row)


def test_the_same_seed_and_data_give_the_same_bytes(example_study, tmp_path):
    again = draw_sample(tincheck.example_path(), n=12, strata="problem_group,step", seed=7,
                        plan=example_study.plan)
    first = write_study(example_study, tmp_path / "a")
    second = write_study(again, tmp_path / "b")
    for kind in ("sample", "schedule", "frame", "protocol"):
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind
    other = draw_sample(tincheck.example_path(), n=12, strata="problem_group,step", seed=8)
    assert sample_csv(other) != sample_csv(example_study)


def test_stratum_counts_ids_and_reserves(example_study):
    rows = example_study.rows
    sampled = rows[rows.selection == "sample"]
    reserves = rows[rows.selection == "reserve"]
    allocation = {s["stratum"]: s["sample_n"] for s in example_study.strata}
    sizes = {s["stratum"]: s["frame_n"] for s in example_study.strata}
    assert sum(allocation.values()) == 12 and len(sampled) == 12
    assert allocation == proportional_allocation(sizes, 12)
    assert sampled.groupby("stratum").size().to_dict() == \
        {k: v for k, v in allocation.items() if v}
    assert set(rows.referral_id) <= _referral_ids(tincheck.example_path())
    assert not set(sampled.referral_id) & set(reserves.referral_id)
    assert rows.referral_id.is_unique


def test_strata_are_the_referrals_own_values(example_study):
    # R01 is F32.1 (depression) with its first treatment contact at high intensity
    # (examples/service/appointments.csv: R01-A02, treatment, high)
    frame = read_frame(tincheck.read_dataset(tincheck.example_path()))
    r01 = frame.set_index("referral_id").loc["R01"]
    assert (r01.problem_group, r01.step, r01.problem_category) == ("depression", "high",
                                                                    "F32")


def test_representativeness_is_the_shared_smd_on_the_frame(example_study):
    frame = read_frame(tincheck.read_dataset(tincheck.example_path()))
    sampled = set(example_study.rows.loc[example_study.rows.selection == "sample",
                                         "referral_id"])
    ages = frame.age.astype(float)
    inside = ages[frame.referral_id.isin(sampled)]
    expected = standardised_mean_difference(inside.mean(), inside.var(), ages.mean(),
                                            ages.var())
    rows = {r["variable"]: r for r in example_study.representativeness}
    assert rows["age"]["smd"] == pytest.approx(expected)
    assert [r["variable"] for r in example_study.representativeness] == \
        [c.name for c in CHARACTERISTICS]


def test_frame_csv_is_disclosure_controlled(example_study):
    doc = example_study.to_document()
    text = frame_csv(doc)
    counts = [int(v) for r in _rows(text) for k, v in r.items()
              if k in ("frame_n", "sample_n", "reserve_n") and v]
    assert counts and all(c >= 5 and c % 5 == 0 for c in counts)
    exact = frame_csv(example_study.to_document(disclosure_control=False))
    assert any(int(r["frame_n"]) < 5 for r in _rows(exact))


def test_explicit_allocation(tmp_path):
    path = tmp_path / "allocation.csv"
    path.write_text("problem_group,n\ndepression,6\ngad,3\n", encoding="utf-8")
    study = draw_sample(tincheck.example_path(), strata="problem_group", allocation=path,
                        seed=3)
    counts = study.rows[study.rows.selection == "sample"].groupby("stratum").size()
    assert counts.to_dict() == {"problem_group=depression": 6, "problem_group=gad": 3}


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=5, strata="diagnosis"), "--strata diagnosis: unknown stratum column"),
    (dict(n=31), r"--n 31: larger than the frame \(30 referrals\)"),
    (dict(n=5, received="2030-01-01:2030-12-31"),
     "no referrals were received in 2030-01-01:2030-12-31; the data's referrals were "
     "received from 2023-01-09 to 2024-10-01"),
    (dict(n=5, strata="client_id"), "an identifier cannot define strata"),
    (dict(strata="sex"), "give --n"),
])
def test_bad_input_is_one_clear_error(kwargs, message):
    with pytest.raises(StudyError, match=message):
        draw_sample(tincheck.example_path(), **kwargs)


def test_cells_that_could_run_as_formulas_are_escaped():
    values = ("=SUM(A1)", "+1", "-1", "@x", "\tx", "R01", None)
    assert csv_text(["v"], [[v] for v in values]).split("\n") == \
        ["v", "\"'=SUM(A1)\"", "\"'+1\"", "\"'-1\"", "\"'@x\"", "\"'\tx\"", "R01", "", ""]


# ------------------------------------------------------------------ 100,000 referrals

def test_synthetic_service_of_100000_referrals(synthetic_dataset):
    # one test, so that one worker reads the 100,000 referrals once
    study = draw_sample(synthetic_dataset, n=300, strata="problem_group,step", seed=7)
    rows = study.rows
    sampled = rows[rows.selection == "sample"]
    reserves = rows[rows.selection == "reserve"]
    # the allocation is met exactly
    sizes = {s["stratum"]: s["frame_n"] for s in study.strata}
    assert sum(sizes.values()) == 100_000
    allocation = proportional_allocation(sizes, 300)
    assert sampled.groupby("stratum").size().to_dict() == \
        {k: v for k, v in allocation.items() if v}
    # every id is in the frame, reserves never repeat a sampled id
    ids = {r[0] for r in synthetic_dataset.connection.execute(
        "SELECT referral_id FROM referrals").fetchall()}
    assert set(rows.referral_id) <= ids
    assert not set(sampled.referral_id) & set(reserves.referral_id)
    assert len(reserves) == 300  # ratio 1, and every stratum has enough left
    # the same seed and data give the same bytes
    again = draw_sample(synthetic_dataset, n=300, strata="problem_group,step", seed=7)
    assert sample_csv(again) == sample_csv(study)
    assert schedule_csv(again) == schedule_csv(study)
    # proportional allocation on problem group and step fixes their shares to within
    # rounding: |SMD| far below the 0.1 flag
    balance = {r["variable"]: r for r in study.representativeness}
    for name in ("problem_depression", "problem_gad", "step_high"):
        assert abs(balance[name]["smd"]) < 0.03, name
    assert all(r["smd"] is None or abs(r["smd"]) < 0.3 for r in balance.values())
    # open referrals have blank end windows; every baseline window is known and ordered
    s = study.schedule
    open_ends = s[(s.timepoint == "end") & s.window_start.isna()]
    assert len(open_ends) > 0 and open_ends.window_end.isna().all()
    baseline = s[s.timepoint == "baseline"]
    assert baseline.window_start.notna().all()
    assert (pd.to_datetime(baseline.window_end) >= pd.to_datetime(baseline.window_start)).all()
    assert np.array_equal(s.groupby("study_id").size().unique(), [4])
