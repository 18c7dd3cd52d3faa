"""Stratified random sampling of referrals, with a reserve list per stratum.

Allocation
----------
Proportional by default: stratum h of N_h referrals (N in all) gets the quota
q_h = n·N_h/N, rounded by the largest-remainder rule (Hamilton's method): every
stratum gets ⌊q_h⌋, and the n − Σ⌊q_h⌋ referrals left over go one each to the strata
with the largest remainders q_h − ⌊q_h⌋ (ties: the larger stratum, then the label in
alphabetical order). The counts then sum to n exactly, and no stratum gets more than
its size. The arithmetic is done in integers, so no rounding error can move a unit.
An explicit allocation (a CSV of stratum → n) replaces the quotas.

The draw
--------
The frame is sorted by referral_id; a NumPy ``Generator`` (PCG64) seeded with the
seed gives every referral a uniform random key; within each stratum, referrals in
order of their key (then id) are the stratum's random order. The first n_h are the
sample; the next ⌈r·n_h⌉ (r the reserve ratio; fewer if the stratum runs out) are its
reserves, ranked 1, 2, ... in that order: a coordinator replaces someone who
declines with the stratum's next reserve. The same generator then shuffles the
sampled referrals, and separately the reserves, to number them ``S0001``, ``S0002``,
...: study ids carry no trace of the stratum (which may reveal the treatment step).
The same seed and data give the same sample, byte for byte (with the same NumPy:
its generators are stable within a release series).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..safecsv import field_limit
from .frame import StudyError

SAMPLE, RESERVE = "sample", "reserve"


def proportional_allocation(sizes: dict[str, int], n: int) -> dict[str, int]:
    """n split over strata in proportion to their sizes, by the largest-remainder rule.

    >>> proportional_allocation({"a": 50, "b": 30, "c": 20}, 7)
    {'a': 4, 'b': 2, 'c': 1}
    """
    total = sum(sizes.values())
    if n > total:
        raise StudyError(f"--n {n}: larger than the frame ({total} referrals)")
    if n < 0:
        raise StudyError(f"--n {n}: expected a number of referrals ≥ 1")
    base = {label: (n * size) // total for label, size in sizes.items()}
    remainder = {label: (n * size) % total for label, size in sizes.items()}
    left = n - sum(base.values())
    order = sorted(sizes, key=lambda label: (-remainder[label], -sizes[label], label))
    for label in order[:left]:
        base[label] += 1
    return base


def read_allocation(path: str | Path, strata: list[str], sizes: dict[str, int]) -> dict[str, int]:
    """An explicit allocation: a CSV with column ``n`` and either ``stratum`` (the full
    label, e.g. ``problem_group=gad|step=high``) or one column per stratum variable.

    Strata not listed get 0. Every row must name a stratum of the frame, once, with a
    whole number ≥ 0 that the stratum can supply.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f, field_limit():
            reader = csv.DictReader(f)
            rows = list(reader)
            header = [(h or "").strip() for h in reader.fieldnames or []]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StudyError(f"{path.name}: cannot be read as a UTF-8 CSV ({exc})") from None
    if not rows:
        raise StudyError(f"{path.name}: no rows; expected a header with n and the strata "
                         f"({', '.join(strata) or 'stratum'}), then one row per stratum")
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in rows]
    if "n" not in header:
        raise StudyError(f"{path.name}: no column n (the number to sample from each stratum)")
    by_label = "stratum" in header
    if not by_label:
        absent = [s for s in strata if s not in header]
        if absent or not strata:
            raise StudyError(f"{path.name}: expected a column stratum, or one column per "
                             f"stratum variable ({', '.join(strata) or 'none given'}); "
                             f"missing: {', '.join(absent) or 'stratum'}")
    out = {label: 0 for label in sizes}
    seen: set[str] = set()
    for i, row in enumerate(rows, start=2):
        label = row["stratum"] if by_label else "|".join(f"{s}={row[s]}" for s in strata)
        if label not in sizes:
            raise StudyError(f"{path.name}, row {i}: stratum {label} is not in the frame")
        if label in seen:
            raise StudyError(f"{path.name}, row {i}: stratum {label} is listed twice")
        seen.add(label)
        try:
            count = int(row["n"])
        except ValueError:
            raise StudyError(f"{path.name}, row {i}, column n: {row['n']!r} is not a whole "
                             "number") from None
        if count < 0:
            raise StudyError(f"{path.name}, row {i}, column n: {count} is negative")
        out[label] = count
    return out


def check_allocation(allocation: dict[str, int], sizes: dict[str, int]) -> None:
    """Every stratum can supply its allocation, and the sample is not empty."""
    for label, count in allocation.items():
        if count > sizes[label]:
            raise StudyError(f"stratum {label} has {sizes[label]} referrals in the frame, "
                             f"fewer than the {count} allocated to it")
    if sum(allocation.values()) == 0:
        raise StudyError("the allocation samples no one; expected n ≥ 1")


@dataclass(frozen=True)
class Draw:
    """The drawn rows (in study_id order) and the allocation they met."""

    rows: pd.DataFrame  # study_id, referral_id, stratum, selection, reserve_rank
    allocation: dict[str, int]
    reserves: dict[str, int]
    sizes: dict[str, int]


def draw(frame: pd.DataFrame, labels: pd.Series, allocation: dict[str, int], seed: int,
         reserve_ratio: float = 1.0) -> Draw:
    """The stratified random sample and reserves (see the module docstring).

    ``frame`` must be sorted by referral_id (:func:`~tincheck.study.frame.read_frame`);
    ``labels`` gives each row's stratum.
    """
    if not reserve_ratio >= 0:
        raise StudyError(f"--reserve-ratio {reserve_ratio}: expected a number ≥ 0")
    ids = frame["referral_id"].astype(str).to_numpy(dtype=object)
    label_array = labels.to_numpy(dtype=object)
    sizes = {label: int(count) for label, count in
             sorted(pd.Series(label_array).value_counts().items())}
    check_allocation(allocation, sizes)
    rng = np.random.default_rng(seed)
    keys = rng.random(len(ids))
    codes = {label: i for i, label in enumerate(sizes)}
    code_array = np.fromiter((codes[x] for x in label_array), dtype=np.int64,
                             count=len(label_array))
    order = np.lexsort((ids, keys, code_array))  # stratum, then key, then id
    starts = np.searchsorted(code_array[order], np.arange(len(sizes)))
    sampled, reserved, reserve_counts = [], [], {}
    for label, start in zip(sizes, starts):
        members = order[start:start + sizes[label]]
        n_h = allocation.get(label, 0)
        r_h = min(math.ceil(reserve_ratio * n_h - 1e-9), sizes[label] - n_h)
        reserve_counts[label] = r_h
        sampled.extend((ids[i], label) for i in members[:n_h])
        reserved.extend((ids[i], label, rank) for rank, i in
                        enumerate(members[n_h:n_h + r_h], start=1))
    sampled = [sampled[i] for i in rng.permutation(len(sampled))]
    reserved = [reserved[i] for i in rng.permutation(len(reserved))]
    total = len(sampled) + len(reserved)
    width = max(4, len(str(total)))
    rows = pd.DataFrame(
        [(rid, label, SAMPLE, None) for rid, label in sampled]
        + [(rid, label, RESERVE, rank) for rid, label, rank in reserved],
        columns=["referral_id", "stratum", "selection", "reserve_rank"])
    rows.insert(0, "study_id", [f"S{i:0{width}d}" for i in range(1, total + 1)])
    rows["reserve_rank"] = rows["reserve_rank"].astype("Int64")
    return Draw(rows, {label: allocation.get(label, 0) for label in sizes}, reserve_counts,
                sizes)
