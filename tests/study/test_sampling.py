"""Allocation and the random draw (tincheck.study.sampling), on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tincheck.study import StudyError
from tincheck.study.sampling import (RESERVE, SAMPLE, draw, proportional_allocation,
                                     read_allocation)


def test_largest_remainder_by_hand():
    # quotas 7·50/100 = 3.5, 7·30/100 = 2.1, 7·20/100 = 1.4: floors 3 + 2 + 1 = 6, and
    # the one left over goes to the largest remainder (a: 0.5)
    assert proportional_allocation({"a": 50, "b": 30, "c": 20}, 7) == {"a": 4, "b": 2, "c": 1}


def test_ties_go_to_the_larger_stratum_then_the_label():
    # quotas 0.5 and 1.5: equal remainders, so the larger stratum b gets the unit
    assert proportional_allocation({"a": 2, "b": 6}, 2) == {"a": 0, "b": 2}
    assert proportional_allocation({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=30), st.data())
def test_allocation_sums_to_n_and_stays_within_one_of_the_quota(sizes, data):
    strata = {f"s{i:02d}": size for i, size in enumerate(sizes)}
    n = data.draw(st.integers(1, sum(sizes)))
    allocation = proportional_allocation(strata, n)
    assert sum(allocation.values()) == n
    for label, size in strata.items():
        quota = n * size / sum(sizes)
        assert allocation[label] <= size and abs(allocation[label] - quota) < 1


def test_n_larger_than_the_frame_is_refused():
    with pytest.raises(StudyError, match=r"--n 11: larger than the frame \(10 referrals\)"):
        proportional_allocation({"a": 4, "b": 6}, 11)


def _frame(sizes: dict[str, int]) -> tuple[pd.DataFrame, pd.Series]:
    ids, labels = [], []
    for label, size in sizes.items():
        ids += [f"{label}-{i:04d}" for i in range(size)]
        labels += [label] * size
    frame = pd.DataFrame({"referral_id": ids}).sort_values("referral_id").reset_index(
        drop=True)
    return frame, pd.Series([i.split("-")[0] for i in frame["referral_id"]])


def test_draw_meets_the_allocation_with_disjoint_ranked_reserves():
    frame, labels = _frame({"x": 40, "y": 25, "z": 3})
    allocation = {"x": 10, "y": 6, "z": 2}
    d = draw(frame, labels, allocation, seed=7, reserve_ratio=1.5)
    rows = d.rows
    sampled = rows[rows.selection == SAMPLE]
    reserves = rows[rows.selection == RESERVE]
    assert sampled.groupby("stratum").size().to_dict() == allocation
    # reserves: ⌈1.5·n_h⌉, but no more than the stratum has left (z: 3 − 2 = 1)
    assert reserves.groupby("stratum").size().to_dict() == {"x": 15, "y": 9, "z": 1}
    assert not set(sampled.referral_id) & set(reserves.referral_id)
    assert set(rows.referral_id) <= set(frame.referral_id)
    for _, group in reserves.groupby("stratum"):
        assert sorted(group.reserve_rank) == list(range(1, len(group) + 1))
    assert list(rows.study_id) == [f"S{i:04d}" for i in range(1, len(rows) + 1)]
    assert sampled.reserve_rank.isna().all()


def test_the_same_seed_draws_the_same_sample_and_another_seed_another():
    frame, labels = _frame({"x": 200, "y": 100})
    first = draw(frame, labels, {"x": 20, "y": 10}, seed=7).rows
    assert first.equals(draw(frame, labels, {"x": 20, "y": 10}, seed=7).rows)
    assert not first.equals(draw(frame, labels, {"x": 20, "y": 10}, seed=8).rows)


def test_study_ids_do_not_follow_the_strata():
    # the study id is all an assessor sees: numbered in random order, not by stratum
    frame, labels = _frame({"high": 100, "low": 100})
    rows = draw(frame, labels, {"high": 20, "low": 20}, seed=7).rows
    first_half = rows[rows.selection == SAMPLE].head(20)
    assert 0 < (first_half.stratum == "high").sum() < 20


def test_every_member_of_a_stratum_can_be_drawn():
    # over many seeds every referral of the small stratum is drawn at some point, and
    # about as often as the others (2 of 5 each time: 40%)
    frame, labels = _frame({"s": 5})
    counts = pd.concat([draw(frame, labels, {"s": 2}, seed=s, reserve_ratio=0).rows
                        for s in range(200)]).referral_id.value_counts()
    assert len(counts) == 5
    assert np.allclose(counts / 200, 0.4, atol=0.1)


def test_a_stratum_smaller_than_its_allocation_is_refused():
    frame, labels = _frame({"x": 4, "y": 10})
    with pytest.raises(StudyError, match="stratum x has 4 referrals in the frame, fewer "
                                         "than the 5 allocated to it"):
        draw(frame, labels, {"x": 5, "y": 1}, seed=1)


@pytest.mark.parametrize("text, message", [
    ("stratum,n\nx,3\nx,2\n", "row 3: stratum x is listed twice"),
    ("stratum,n\nw,3\n", "row 2: stratum w is not in the frame"),
    ("stratum,n\nx,two\n", "row 2, column n: 'two' is not a whole number"),
    ("stratum,n\nx,-1\n", "row 2, column n: -1 is negative"),
    ("stratum,count\nx,1\n", "no column n"),
    ("problem,n\nx,1\n", "expected a column stratum, or one column per stratum variable"),
])
def test_bad_allocation_files_are_named(tmp_path, text, message):
    path = tmp_path / "allocation.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyError, match=message):
        read_allocation(path, ["step"], {"x": 5, "y": 5})


def test_allocation_by_stratum_variables(tmp_path):
    path = tmp_path / "allocation.csv"
    path.write_text("problem_group,step,n\ngad,high,3\n", encoding="utf-8")
    sizes = {"problem_group=gad|step=high": 5, "problem_group=gad|step=low": 9}
    assert read_allocation(path, ["problem_group", "step"], sizes) == {
        "problem_group=gad|step=high": 3, "problem_group=gad|step=low": 0}
