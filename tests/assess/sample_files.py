"""``study/sample.csv`` and ``study/schedule.csv`` made from a synthetic service, exactly
as the contract between ``tincheck study sample`` and ``tincheck assess load-sample``
describes them (one small function, so that the real command can replace it).

Referrals that have ended are drawn at random within strata of (ICD-10 group of the
problem descriptor, highest step of care received); every stratum also gets reserves.
Baseline windows hang on the received date (0-28 days), end windows on the ended date
(0-28 days), follow-up windows on the ended date plus ``months`` (± 14 days).
"""

from __future__ import annotations

import csv
import datetime as _dt
import random
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SAMPLE_HEADER = ["study_id", "referral_id", "stratum", "selection", "reserve_rank"]
SCHEDULE_HEADER = ["study_id", "timepoint", "months_after_end", "anchor", "window_start",
                   "window_end"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _table(folder: Path, name: str):
    for suffix, read in ((".parquet", pq.read_table), (".csv", lambda p: pacsv.read_csv(
            p, convert_options=pacsv.ConvertOptions(strings_can_be_null=True)))):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return read(path).to_pylist()
    raise FileNotFoundError(f"no {name} table in {folder}")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in row] for row in rows])


def _date(value) -> _dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def write_sample_files(service: Path, out: Path, *, sample: int = 8, reserves: int = 1,
                       months: int = 6, seed: int = 1) -> tuple[Path, Path]:
    """Write out/sample.csv and out/schedule.csv for ``sample`` ended referrals."""
    referrals = _table(service, "referrals")
    steps: dict[str, str] = {}
    for row in _table(service, "appointments"):
        if row.get("intensity") == "high" or (row.get("intensity") == "low" and
                                              row["referral_id"] not in steps):
            steps[row["referral_id"]] = row["intensity"]
    ended = [r for r in referrals if _date(r.get("ended_date")) and r.get("problem_descriptor")
             and r["referral_id"] in steps]
    ended.sort(key=lambda r: r["referral_id"])
    rng = random.Random(seed)
    rng.shuffle(ended)
    strata: dict[str, list[dict]] = {}
    for r in ended:
        label = f"problem_descriptor={r['problem_descriptor'][:3]}|step={steps[r['referral_id']]}"
        strata.setdefault(label, []).append(r)
    chosen = ended[:sample]
    labels = {r["referral_id"]: label for label, rs in strata.items() for r in rs}
    rows, reserve_rows = [], []
    for label in sorted({labels[r["referral_id"]] for r in chosen}):
        spare = [r for r in strata[label] if r not in chosen][:reserves]
        reserve_rows += [(r, label, rank) for rank, r in enumerate(spare, 1)]
    for r in chosen:
        rows.append((r, labels[r["referral_id"]], None))
    rows += reserve_rows
    out.mkdir(parents=True, exist_ok=True)
    sample_rows, schedule_rows = [], []
    for number, (r, label, rank) in enumerate(rows, 1):
        study_id = f"S{number:04d}"
        sample_rows.append([study_id, r["referral_id"], label,
                            "sample" if rank is None else "reserve", rank or ""])
        received, ended_on = _date(r["received_date"]), _date(r.get("ended_date"))
        day = _dt.timedelta(days=1)
        schedule_rows.append([study_id, "baseline", "", "received", received.isoformat(),
                              (received + 28 * day).isoformat()])
        schedule_rows.append([study_id, "end", "", "ended", ended_on.isoformat(),
                              (ended_on + 28 * day).isoformat()])
        follow = ended_on + round(months * 30.44) * day
        schedule_rows.append([study_id, "follow_up", months, "ended",
                              (follow - 14 * day).isoformat(), (follow + 14 * day).isoformat()])
    sample_path, schedule_path = out / "sample.csv", out / "schedule.csv"
    _write(sample_path, SAMPLE_HEADER, sample_rows)
    _write(schedule_path, SCHEDULE_HEADER, schedule_rows)
    return sample_path, schedule_path
