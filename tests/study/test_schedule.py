"""The interview windows (tincheck.study.schedule), computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tincheck.study import ScheduleRules, StudyError
from tincheck.study.schedule import add_months, windows

D = dt.date


@pytest.mark.parametrize("day, months, expected", [
    (D(2025, 1, 31), 1, D(2025, 2, 28)), (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 8, 31), 6, D(2026, 2, 28)), (D(2025, 4, 30), 12, D(2026, 4, 30)),
    (D(2025, 11, 15), 2, D(2026, 1, 15))])
def test_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_windows_of_an_ended_referral():
    # received 6 Jan, first treatment 20 Jan, ended 30 Apr 2025: baseline 6-19 Jan (the
    # day before treatment, sooner than 28 days); end 30 Apr + 4 weeks = 28 May;
    # follow-up 30 Oct 2025 and 30 Apr 2026, each ± 2 weeks
    got = windows(D(2025, 1, 6), D(2025, 1, 20), D(2025, 4, 30), ScheduleRules())
    assert got == [
        ("baseline", None, "received", D(2025, 1, 6), D(2025, 1, 19)),
        ("end", None, "ended", D(2025, 4, 30), D(2025, 5, 28)),
        ("follow_up", 6, "ended", D(2025, 10, 16), D(2025, 11, 13)),
        ("follow_up", 12, "ended", D(2026, 4, 16), D(2026, 5, 14)),
    ]


def test_baseline_window_length_and_treatment_on_the_day_of_referral():
    rules = ScheduleRules(baseline_days=28)
    assert windows(D(2025, 1, 6), D(2025, 3, 1), None, rules)[0][4] == D(2025, 2, 2)
    assert windows(D(2025, 1, 6), None, None, rules)[0][4] == D(2025, 2, 2)
    # treated on the day of referral: the window cannot end before it opens
    assert windows(D(2025, 1, 6), D(2025, 1, 6), None, rules)[0][3:] == (D(2025, 1, 6),
                                                                          D(2025, 1, 6))


def test_windows_of_an_open_referral_are_blank():
    got = windows(D(2025, 1, 6), None, None, ScheduleRules(follow_up_months=(3,)))
    assert got[1:] == [("end", None, "ended", None, None),
                       ("follow_up", 3, "ended", None, None)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(baseline_days=0), "--baseline-days 0"), (dict(end_weeks=-1), "--end-weeks -1"),
    (dict(follow_up_months=(6, 6)), "--follow-up-months 6,6"),
    (dict(follow_up_months=(0,)), "--follow-up-months 0"),
    (dict(follow_up_weeks=-2), "--follow-up-weeks -2")])
def test_bad_rules_are_named(kwargs, message):
    with pytest.raises(StudyError, match=message):
        ScheduleRules(**kwargs)
