"""The interview schedule: for each study id, a window per time point.

- ``baseline`` hangs on the date the referral was received: from that date for
  ``baseline_days`` days, ending the day before the first treatment contact when that
  comes sooner (not before the received date), so the interview precedes treatment;
- ``end`` hangs on the date the referral ended: from that date for ``end_weeks``
  weeks;
- ``follow_up`` hangs on the same date: ``months`` calendar months after it (the
  day clipped to the month's length, 31 January + 1 month = 28/29 February), give or
  take ``follow_up_weeks`` weeks, once per entry of ``follow_up_months``.

A window whose anchor date is not known yet (a referral still open) is left blank.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import asdict, dataclass

import pandas as pd

from .frame import StudyError


@dataclass(frozen=True)
class ScheduleRules:
    baseline_days: int = 28
    end_weeks: int = 4
    follow_up_months: tuple[int, ...] = (6, 12)
    follow_up_weeks: int = 2

    def __post_init__(self):
        for name, value, low in (("--baseline-days", self.baseline_days, 1),
                                 ("--end-weeks", self.end_weeks, 1),
                                 ("--follow-up-weeks", self.follow_up_weeks, 0)):
            if not isinstance(value, int) or value < low:
                raise StudyError(f"{name} {value}: expected a whole number ≥ {low}")
        months = self.follow_up_months
        if any(not isinstance(m, int) or m < 1 for m in months) or \
                len(set(months)) != len(months):
            raise StudyError(f"--follow-up-months {','.join(map(str, months))}: expected "
                             "distinct whole numbers of months ≥ 1, e.g. 6,12")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["follow_up_months"] = list(self.follow_up_months)
        return out


def add_months(day: _dt.date, months: int) -> _dt.date:
    """``day`` plus calendar months, the day clipped to the target month's length.

    >>> add_months(_dt.date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _date(value) -> _dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, _dt.datetime):
        return value.date()
    return value


COLUMNS = ("study_id", "timepoint", "months_after_end", "anchor", "window_start",
           "window_end")


def windows(received, first_treatment, ended, rules: ScheduleRules) -> list[tuple]:
    """(timepoint, months_after_end, anchor, start, end) of one referral."""
    received, first_treatment, ended = _date(received), _date(first_treatment), _date(ended)
    day = _dt.timedelta(days=1)
    base_end = received + rules.baseline_days * day - day
    if first_treatment is not None:
        base_end = min(base_end, max(received, first_treatment - day))
    out = [("baseline", None, "received", received, base_end)]
    if ended is None:
        out.append(("end", None, "ended", None, None))
    else:
        out.append(("end", None, "ended", ended, ended + rules.end_weeks * 7 * day))
    for months in rules.follow_up_months:
        if ended is None:
            out.append(("follow_up", months, "ended", None, None))
            continue
        target = add_months(ended, months)
        spread = rules.follow_up_weeks * 7 * day
        out.append(("follow_up", months, "ended", target - spread, target + spread))
    return out


def schedule(rows: pd.DataFrame, frame: pd.DataFrame, rules: ScheduleRules) -> pd.DataFrame:
    """One row per study id × time point, in study_id order (schedule.csv's columns)."""
    dates = frame.set_index("referral_id")[["received_date", "first_treatment_date",
                                            "ended_date"]].reindex(rows["referral_id"])
    records = []
    for study_id, received, first, ended in zip(rows["study_id"], *(
            dates[c].tolist() for c in dates.columns)):
        for timepoint, months, anchor, start, end in windows(received, first, ended, rules):
            records.append((study_id, timepoint, months, anchor, start, end))
    out = pd.DataFrame(records, columns=list(COLUMNS))
    out["months_after_end"] = out["months_after_end"].astype("Int64")
    return out
