"""The study's files: sample.csv, schedule.csv, frame.csv and protocol.html.

sample.csv and schedule.csv follow the contract with ``tincheck assess load-sample``
(docs/study.md): UTF-8, a header row, commas, ``\\n`` line endings, rows in study_id
order, ISO dates, blank for missing. A cell that would begin with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a leading apostrophe and
quoted (:mod:`tincheck.safecsv`, OWASP's advice), so no cell can run as a formula;
readers strip one leading apostrophe before such a character. frame.csv holds stratum sizes under disclosure control (unless turned
off: counts under 5 blank with ``suppressed`` true, others rounded to 5);
protocol.html is rendered from the disclosure-controlled document.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pandas as pd

from ..outputs import write_text
from ..report.protocol import render_protocol
from ..safecsv import csv_bytes
from .sample import StudySample
from .schedule import COLUMNS as SCHEDULE_COLUMNS

SAMPLE_COLUMNS = ("study_id", "referral_id", "stratum", "selection", "reserve_rank")
FRAME_COLUMNS = ("stratum", "frame_n", "sample_n", "reserve_n", "sampling_fraction",
                 "suppressed")
def cell(value) -> str | None:
    """A value as CSV text, before the CSV writer neutralises formula triggers: None
    when missing, ISO dates, true/false, floats to 4 significant figures.

    >>> cell("=1+1"), cell(None), cell(_dt.date(2025, 1, 31)), cell(3), cell(0.123456)
    ('=1+1', None, '2025-01-31', '3', '0.1235')
    """
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and value != value):
        return None
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def csv_text(header, rows) -> str:
    """CSV text with ``\\n`` line endings (the same bytes for the same rows), written by
    tincheck's one CSV writer (:mod:`tincheck.safecsv`: a cell beginning with a formula
    trigger is neutralised).

    >>> print(csv_text(["id", "n"], [["=1+1", 2], ["S02", None]]), end="")
    id,n
    "'=1+1",2
    S02,
    """
    rows = [[cell(v) for v in row] for row in rows]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    return csv_bytes(columns, list(header), eol="\n").decode("utf-8")


def sample_csv(study: StudySample) -> str:
    return csv_text(SAMPLE_COLUMNS, study.rows[list(SAMPLE_COLUMNS)].itertuples(index=False))


def schedule_csv(study: StudySample) -> str:
    return csv_text(SCHEDULE_COLUMNS,
                    study.schedule[list(SCHEDULE_COLUMNS)].itertuples(index=False))


def frame_csv(doc: dict) -> str:
    """Stratum sizes from the (disclosure-controlled) document: one column per stratum
    variable after the label, then the counts."""
    names = doc["settings"]["strata"]
    header = ["stratum", *names, *FRAME_COLUMNS[1:]]
    rows = ([s["stratum"], *(s["values"].get(n) for n in names), s["frame_n"],
             s["sample_n"], s["reserve_n"], s["sampling_fraction"], s["suppressed"]]
            for s in doc["strata"])
    return csv_text(header, rows)


def write_study(study: StudySample, out: str | Path) -> dict[str, Path]:
    """Write sample.csv, schedule.csv, frame.csv and protocol.html into ``out``.

    Returns the paths written, by kind.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = study.to_document()
    texts = {"sample": ("sample.csv", sample_csv(study)),
             "schedule": ("schedule.csv", schedule_csv(study)),
             "frame": ("frame.csv", frame_csv(doc)),
             "protocol": ("protocol.html", render_protocol(doc))}
    return {kind: write_text(out / name, text) for kind, (name, text) in texts.items()}
