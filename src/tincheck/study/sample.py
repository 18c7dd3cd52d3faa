"""Draw a study sample from a service's data: :func:`draw_sample` → :class:`StudySample`.

A :class:`StudySample` is plain data: the exact sample and reserves, the schedule,
stratum sizes and the representativeness of the sample against its frame. The files
and the protocol page (:mod:`tincheck.study.files`, :mod:`tincheck.report.protocol`)
are renderings of it; :meth:`StudySample.to_document` applies disclosure control to
everything but the list of ids itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import __version__, disclosure
from ..auditing import data_coverage
from ..ingest import Dataset, read_dataset
from ..metrics.balance import CHARACTERISTICS
from ..metrics.blocks import Tables
from ..metrics.evaluate import latest_date
from ..stats.balance import SMD_FLAG, standardised_mean_difference, summary
from .frame import (CHARACTERISTIC_PREFIX, StudyError, check_strata, read_frame, restrict,
                    stratum_labels, stratum_values)
from .plan import Plan
from .sampling import SAMPLE, check_allocation, draw, proportional_allocation, read_allocation
from .schedule import ScheduleRules, schedule, windows

INSTRUMENTS = ("SCID-5", "SCID-IV", "MINI", "DIAMOND", "CIDI", "ADIS", "other")


@dataclass
class StudySample:
    """A drawn study: exact results, before disclosure control."""

    rows: pd.DataFrame            # sample.csv: study_id, referral_id, stratum, ...
    schedule: pd.DataFrame        # schedule.csv
    strata: list[dict]            # per stratum: label, values, frame_n, sample_n, reserve_n
    representativeness: list[dict]
    settings: dict
    data: dict
    plan: Plan | None = None
    timing: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int((self.rows["selection"] == SAMPLE).sum())

    @property
    def frame_n(self) -> int:
        return sum(s["frame_n"] for s in self.strata)

    def to_document(self, disclosure_control: bool | None = None) -> dict:
        """The protocol's content as plain data, disclosure control applied to every
        count, share and mean (unless turned off)."""
        control = self.settings["disclosure_control"] if disclosure_control is None \
            else disclosure_control
        count = disclosure.round_count if control else (lambda n: n)
        return {
            "tincheck_version": __version__,
            "data": self.data,
            "settings": {**self.settings, "disclosure_control": control,
                         "disclosure_rule": disclosure.RULE if control else disclosure.OFF},
            "plan": None if self.plan is None else self.plan.to_dict(),
            # the sample size is the user's choice, not a count found in the data
            "n": self.n, "frame_n": count(self.frame_n),
            "reserve_n": count(len(self.rows) - self.n),
            "strata": [_stratum_json(s, control) for s in self.strata],
            "representativeness": [_balance_json(r, control) for r in
                                   self.representativeness],
            "schedule": _schedule_summary(self.schedule, self.rows, control),
            "timing": {k: count(v) if isinstance(v, int) else v
                       for k, v in self.timing.items()},
        }


# ------------------------------------------------------------------ disclosure control

def _stratum_json(s: dict, control: bool) -> dict:
    out = dict(s, suppressed=False)
    fraction = s["sample_n"] / s["frame_n"] if s["frame_n"] else None
    if control:
        out["suppressed"] = disclosure.is_small(s["frame_n"], s["sample_n"], s["reserve_n"])
        small = disclosure.is_small(s["frame_n"], s["sample_n"])
        for key in ("frame_n", "sample_n", "reserve_n"):
            out[key] = disclosure.round_count(s[key])
        fraction = None if small or fraction is None else disclosure.round_rate(fraction)
    out["sampling_fraction"] = fraction
    return out


def _balance_json(row: dict, control: bool) -> dict:
    """A representativeness row: means over fewer than 5 people, and shares whose count
    of people (share × n) is under 5, suppressed; the rest rounded to 2 decimals (an
    exact mean can give away its exact n)."""
    if not control:
        return dict(row)
    out = dict(row)
    hidden = set()
    for side in ("sample", "frame"):
        n, mean = row[f"{side}_n"], row[f"{side}_mean"]
        small = disclosure.is_small(n) or mean is None
        if row["share"] and mean is not None and n:
            small |= disclosure.is_small(round(mean * n)) or \
                disclosure.is_small(round((1 - mean) * n))
        if small:
            hidden.add(side)
        out[f"{side}_n"] = disclosure.round_count(n)
        out[f"{side}_mean"] = None if small else round(mean, 2)
    if hidden or row["smd"] is None:
        out["smd"] = out["flag"] = None
    else:
        out["smd"] = round(row["smd"], 2)
    return out


def _schedule_summary(sched: pd.DataFrame, rows: pd.DataFrame, control: bool) -> list[dict]:
    """Per time point: how many sampled referrals have a window yet, and its range."""
    sampled = set(rows.loc[rows["selection"] == SAMPLE, "study_id"])
    s = sched[sched["study_id"].isin(sampled)]
    out = []
    for (timepoint, months), group in s.groupby(["timepoint", "months_after_end"],
                                                dropna=False, sort=False):
        known = group["window_start"].notna()
        n_known = int(known.sum())
        starts, ends = group.loc[known, "window_start"], group.loc[known, "window_end"]
        out.append({
            "timepoint": timepoint,
            "months_after_end": None if pd.isna(months) else int(months),
            "anchor": group["anchor"].iloc[0],
            "known": disclosure.round_count(n_known) if control else n_known,
            "not_yet_known": (disclosure.round_count(len(group) - n_known) if control
                              else len(group) - n_known),
            "first_start": None if not n_known or (control and disclosure.is_small(n_known))
            else min(starts).isoformat(),
            "last_end": None if not n_known or (control and disclosure.is_small(n_known))
            else max(ends).isoformat(),
        })
    return out


# ------------------------------------------------------------------ the draw

def representativeness(frame: pd.DataFrame, sampled: pd.Series) -> list[dict]:
    """The sample against its frame on every characteristic of metrics.balance: n,
    mean and variance on each side, the SMD and its |SMD| > 0.1 flag."""
    out = []
    for c in CHARACTERISTICS:
        values = frame[CHARACTERISTIC_PREFIX + c.name].to_numpy(dtype=float)
        n_in, mean_in, var_in = summary(values[sampled])
        n_all, mean_all, var_all = summary(values)
        smd = standardised_mean_difference(mean_in, var_in, mean_all, var_all)
        out.append({"variable": c.name, "label": c.label, "share": c.share,
                    "sample_n": n_in, "sample_mean": mean_in, "frame_n": n_all,
                    "frame_mean": mean_all, "smd": smd,
                    "flag": None if smd is None else abs(smd) > SMD_FLAG})
    return out


def _timing(frame: pd.DataFrame, rows: pd.DataFrame, rules: ScheduleRules,
            data_end) -> dict:
    """How many sampled referrals are already past their baseline window, or treated,
    by the end of the data: their baseline interview can no longer come first."""
    sampled = frame.set_index("referral_id").loc[
        rows.loc[rows["selection"] == SAMPLE, "referral_id"]]
    treated = int(sampled["first_treatment_date"].notna().sum())
    closed = 0
    if data_end is not None:
        for received, first, ended in sampled[["received_date", "first_treatment_date",
                                               "ended_date"]].itertuples(index=False):
            end = windows(received, first, ended, rules)[0][4]
            closed += end < data_end
    return {"data_end": None if data_end is None else data_end.isoformat(),
            "treated_by_data_end": treated, "baseline_closed_by_data_end": closed}


def draw_sample(data: str | Path | Dataset, *, n: int | None = None,
                strata: list[str] | str | None = None, seed: int = 1,
                received: str | None = None, allocation: str | Path | None = None,
                reserve_ratio: float = 1.0, rules: ScheduleRules | None = None,
                plan: Plan | None = None, instrument: str = "SCID-5",
                question: str | None = None, disclosure_control: bool = True,
                key_file=None, memory_limit: str | None = None) -> StudySample:
    """Draw a stratified random sample of referrals for an independent outcome study.

    Parameters
    ----------
    data : a data folder (read and validated as ``tincheck audit`` does) or a Dataset
    n : referrals to sample; default the plan's ``n_recruit``, or the sum of an
        explicit allocation
    strata : stratum columns (a list, or comma-separated): any referral column but the
        identifiers, or ``step``, ``problem_group``, ``problem_category``,
        ``ethnic_group``, ``age_band`` (:mod:`tincheck.study.frame`)
    seed : seed of the NumPy generator; the same seed and data give the same files
    received : ``START:END``, keep referrals received in that window (inclusive)
    allocation : CSV of explicit stratum sizes (default: proportional allocation)
    reserve_ratio : reserves per sampled referral in each stratum (default 1)
    rules : the schedule's windows (:class:`~tincheck.study.schedule.ScheduleRules`)
    plan : the sample-size calculation (:func:`tincheck.study.plan.plan`) to show
    instrument : the diagnostic interview the study will use (default SCID-5)
    question : the study's question (default: the plan's)
    disclosure_control : apply disclosure control to frame.csv and the protocol

    Raises :class:`~tincheck.study.frame.StudyError` for bad input (one line) and
    :class:`~tincheck.ingest.DataError` when the data break a validation rule.

    >>> s = draw_sample(example_path(), n=10, strata="problem_group", seed=7)  # doctest: +SKIP
    """
    rules = rules or ScheduleRules()
    if instrument not in INSTRUMENTS:
        raise StudyError(f"--instrument {instrument}: expected one of {', '.join(INSTRUMENTS)}")
    names = check_strata(strata.split(",") if isinstance(strata, str) else list(strata or []))
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise StudyError(f"--n {n}: expected a whole number of referrals ≥ 1")
    own = not isinstance(data, Dataset)
    dataset = read_dataset(data, key_file=key_file, memory_limit=memory_limit) if own \
        else data
    try:
        frame = restrict(read_frame(dataset), received)
        data_end = latest_date(dataset.backend, Tables())
        info = {"path": str(dataset.path), "files": dataset.files,
                "synthetic": dataset.synthetic, **data_coverage(dataset),
                "data_end": None if data_end is None else data_end.isoformat()}
    finally:
        if own:
            dataset.close()
    labels = stratum_labels(frame, names)
    texts = stratum_values(frame, names)
    first_row = {label: i for i, label in reversed(list(enumerate(labels)))}
    sizes = {label: int(c) for label, c in sorted(labels.value_counts().items())}
    if allocation is not None:
        alloc = read_allocation(allocation, names, sizes)
        total = sum(alloc.values())
        if n is not None and n != total:
            raise StudyError(f"--n {n} differs from the {total} referrals allocated in "
                             f"{Path(allocation).name}; give one or the other")
        check_allocation(alloc, sizes)
        rule = f"explicit ({Path(allocation).name})"
    else:
        if n is None:
            if plan is None:
                raise StudyError("give --n (referrals to sample), a --design to compute it, "
                                 "or an --allocation file")
            n = plan.n_recruit  # per group for two proportions: each is drawn apart
        alloc = proportional_allocation(sizes, int(n))
        rule = "proportional (largest remainder)"
    drawn = draw(frame, labels, alloc, seed, reserve_ratio)
    sched = schedule(drawn.rows, frame, rules)
    sampled_ids = set(drawn.rows.loc[drawn.rows["selection"] == SAMPLE, "referral_id"])
    in_sample = frame["referral_id"].isin(sampled_ids).to_numpy()
    strata_rows = []
    for label, size in drawn.sizes.items():
        values = {name: texts[name][first_row[label]] for name in names}
        strata_rows.append({"stratum": label, "values": values, "frame_n": size,
                            "sample_n": drawn.allocation[label],
                            "reserve_n": drawn.reserves[label]})
    settings = {"seed": seed, "strata": names, "received": received or None,
                "allocation": rule, "reserve_ratio": reserve_ratio,
                "schedule": rules.to_dict(), "instrument": instrument,
                "question": question or (plan.question if plan else None),
                "disclosure_control": disclosure_control}
    return StudySample(drawn.rows, sched, strata_rows, representativeness(frame, in_sample),
                       settings, info, plan, _timing(frame, drawn.rows, rules, data_end))
