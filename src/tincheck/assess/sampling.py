"""Read ``study/sample.csv`` and ``study/schedule.csv`` (written by ``tincheck study
sample``) and check them against their contract before anything is stored.

Only the columns of the contract are accepted: a file with any other column (therapy
type, therapist, sessions, end reason, scores, ...) is refused, naming the column, so
nothing that could unblind an assessor ever enters the app's database. Every problem
names file, row (header = row 1), column, value and what was expected; identifier
values (study and referral ids) are never quoted.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from .. import codes
from .csvcells import unescape_cell

SAMPLE_COLUMNS = ("study_id", "referral_id", "stratum", "selection", "reserve_rank")
SCHEDULE_COLUMNS = ("study_id", "timepoint", "months_after_end", "anchor", "window_start",
                    "window_end")
IDENTIFIERS = ("study_id", "referral_id")
SELECTIONS = ("sample", "reserve")
ANCHORS = ("received", "ended")
MAX_LENGTH = {"study_id": 40, "referral_id": 200, "stratum": 500}  # as the app stores them
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def sentence(self) -> str:
        where = self.file + (f" row {self.row}" if self.row else "") + (
            f", column {self.column}" if self.column else "")
        shown = "" if self.value is None else f": {self.value!r}"
        return f"{where}{shown}: expected {self.expected}"


class SampleError(Exception):
    """The sample files broke the contract; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = len(problems) - MAX_PROBLEMS
        text = "\n".join("  " + p.sentence() for p in problems[:MAX_PROBLEMS])
        super().__init__(f"the sample files have {len(problems)} problem(s); nothing was "
                         f"loaded:\n{text}" + (f"\n  … and {more} more" if more > 0 else ""))


@dataclass(frozen=True)
class SampleRow:
    study_id: str
    referral_id: str
    stratum: str
    selection: str
    reserve_rank: int | None


@dataclass(frozen=True)
class ScheduleRow:
    study_id: str
    timepoint: str
    months_after_end: float | None
    anchor: str
    window_start: _dt.date | None
    window_end: _dt.date | None


def _read(path: Path, columns: tuple[str, ...],
          problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, f"a file at {path} (no such file)"))
        return []
    except UnicodeDecodeError:
        problems.append(Problem(name, None, None, None, "UTF-8 text"))
        return []
    except OSError as exc:
        problems.append(Problem(name, None, None, None, f"a readable file ({exc.strerror})"))
        return []
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(Problem(name, None, None, None, f"well-formed CSV ({exc})"))
        return []
    if not records:
        problems.append(Problem(name, 1, None, None, "a header row: " + ", ".join(columns)))
        return []
    header = [h.strip() for h in records[0]]
    for column in header:
        if column not in columns:
            problems.append(Problem(
                name, 1, column, None,
                "only the columns " + ", ".join(columns) + ": the app refuses any other "
                "column (treatment, therapist, sessions, end reason or scores could unblind "
                "an assessor); remove it"))
    for column in columns:
        if column not in header:
            problems.append(Problem(name, 1, column, None, f"a column {column}"))
    if len(set(header)) != len(header):
        problems.append(Problem(name, 1, None, None, "each column once"))
    if any(p.file == name for p in problems):
        return []
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(Problem(name, number, None, None,
                                    f"{len(header)} cells, as in the header; found "
                                    f"{len(record)}"))
            continue
        rows.append((number, {h: unescape_cell(c).strip() for h, c in zip(header, record)}))
    if not rows:
        problems.append(Problem(name, 2, None, None, "at least one row"))
    return rows


def _text_ok(value: str) -> bool:
    return all(ch.isprintable() for ch in value)


def read_sample(sample_path: Path, schedule_path: Path) -> tuple[list[SampleRow],
                                                                 list[ScheduleRow]]:
    """The checked rows of both files; raises :class:`SampleError` listing every problem."""
    problems: list[Problem] = []
    sample_rows = _read(Path(sample_path), SAMPLE_COLUMNS, problems)
    schedule_rows = _read(Path(schedule_path), SCHEDULE_COLUMNS, problems)
    if problems:
        raise SampleError(problems)
    sample = _check_sample(Path(sample_path).name, sample_rows, problems)
    # a study id with a problem of its own in sample.csv still counts as known here
    schedule = _check_schedule(Path(schedule_path).name, schedule_rows,
                               {row["study_id"] for _, row in sample_rows}, problems)
    if problems:
        raise SampleError(problems)
    return sample, schedule


def _check_sample(name, rows, problems) -> list[SampleRow]:
    out, seen_study, seen_referral, ranks = [], {}, {}, {}
    for number, row in rows:
        bad = len(problems)
        for column, longest in MAX_LENGTH.items():
            value = row[column]
            if not value or len(value) > longest or not _text_ok(value):
                problems.append(Problem(name, number, column, None if column in IDENTIFIERS
                                        else value, f"a {column} of printable text (at most "
                                        f"{longest} characters)"))
        for column, seen in (("study_id", seen_study), ("referral_id", seen_referral)):
            if row[column] in seen:
                problems.append(Problem(name, number, column, None,
                                        f"a unique {column}; it repeats row {seen[row[column]]}"))
            seen.setdefault(row[column], number)
        selection, rank = row["selection"], row["reserve_rank"]
        value = None
        if selection not in SELECTIONS:
            problems.append(Problem(name, number, "selection", selection, "sample or reserve"))
        elif selection == "sample" and rank:
            problems.append(Problem(name, number, "reserve_rank", rank,
                                    "blank for a row selected into the sample"))
        elif selection == "reserve":
            if not rank.isdigit() or int(rank) < 1:
                problems.append(Problem(name, number, "reserve_rank", rank,
                                        "a whole number 1, 2, ... for a reserve"))
            else:
                value = int(rank)
                key = (row["stratum"], value)
                if key in ranks:
                    problems.append(Problem(name, number, "reserve_rank", rank,
                                            f"one reserve per rank within a stratum; row "
                                            f"{ranks[key]} has the same rank"))
                ranks.setdefault(key, number)
        if len(problems) == bad:
            out.append(SampleRow(row["study_id"], row["referral_id"], row["stratum"],
                                 selection, value))
    return out


def _date(value: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _check_schedule(name, rows, known, problems) -> list[ScheduleRow]:
    out, seen = [], {}
    timepoints = codes.values("timepoint")
    for number, row in rows:
        bad = len(problems)
        study_id, timepoint = row["study_id"], row["timepoint"]
        if study_id not in known:
            problems.append(Problem(name, number, "study_id", None,
                                    "a study_id of sample.csv"))
        if timepoint not in timepoints:
            problems.append(Problem(name, number, "timepoint", timepoint,
                                    "one of " + ", ".join(timepoints)))
        key = (study_id, timepoint)
        if key in seen:
            problems.append(Problem(name, number, "timepoint", timepoint,
                                    f"one row per study_id and time point; row {seen[key]} "
                                    "has the same"))
        seen.setdefault(key, number)
        months_text, months = row["months_after_end"], None
        if timepoint == "follow_up":
            try:
                months = float(months_text)
                if not 0 <= months <= 240:
                    raise ValueError
            except ValueError:
                problems.append(Problem(name, number, "months_after_end", months_text,
                                        "a number of months from 0 to 240 for a follow-up"))
        elif months_text:
            problems.append(Problem(name, number, "months_after_end", months_text,
                                    "blank except for follow-up"))
        anchor = row["anchor"]
        want = "received" if timepoint == "baseline" else "ended"
        if anchor not in ANCHORS or (timepoint in timepoints and anchor != want):
            problems.append(Problem(name, number, "anchor", anchor,
                                    f"{want} for {timepoint}" if timepoint in timepoints
                                    else "received or ended"))
        start, end = row["window_start"], row["window_end"]
        dates = []
        for column, text in (("window_start", start), ("window_end", end)):
            value = _date(text) if text else None
            if text and value is None:
                problems.append(Problem(name, number, column, text,
                                        "an ISO date YYYY-MM-DD, or blank while the anchor "
                                        "date is not known"))
            dates.append(value)
        if bool(start) != bool(end):
            problems.append(Problem(name, number, "window_end" if start else "window_start",
                                    None, "both window dates, or neither"))
        elif dates[0] and dates[1] and dates[1] < dates[0]:
            problems.append(Problem(name, number, "window_end", end,
                                    f"a date on or after window_start ({start})"))
        if len(problems) == bad:
            out.append(ScheduleRow(study_id, timepoint, months, anchor, dates[0], dates[1]))
    return out


def in_second_draw(seed: str, study_id: str, timepoint: str, share: float) -> bool:
    """Whether a scheduled interview is drawn for a second rating: SHA-256(seed:study_id:
    timepoint), read as a number in [0, 1), is below ``share``. Reproducible,
    independent of file order and of later reloads; the expected share is ``share``.

    >>> in_second_draw("seed", "S0001", "baseline", 1.0), in_second_draw("s", "S1", "end", 0)
    (True, False)
    """
    digest = hashlib.sha256(f"{seed}:{study_id}:{timepoint}".encode()).hexdigest()
    return int(digest, 16) / 16 ** 64 < share
