"""A tiny REDCap project for tests: its export and mapping written into a folder."""

from __future__ import annotations

import csv
from pathlib import Path

from tincheck.redcap import Conversion, read_redcap

HEADER = ["record_id", "redcap_event_name", "ref", "d", "who", "ind", "blind", "mdd", "gad"]
# record 1 has its referral id on the baseline row only, as an enrolment form would.
ROWS = [
    ["1", "base_arm_1", "R01", "2023-01-12", "AS1", "1", "1", "1", "2"],
    ["1", "end_arm_1", "", "2023-05-14", "AS1", "1", "0", "0", "0"],
    ["2", "base_arm_1", "R02", "2023-01-18", "AS2", "0", "1", "1", ""],
]
MAPPING = """\
referral_id = "ref"

[events]
baseline = "base_arm_1"
end = "end_arm_1"
follow_up = "fu_arm_1"

[fields]
date = "d"
assessor_id = "who"
instrument = { value = "MINI" }
assessor_independent = "ind"
assessor_blind = "blind"

[status]
present = ["1"]
subthreshold = ["2"]
absent = ["0"]

[disorders]
depression = "mdd"
gad = "gad"
"""


def write_project(folder: Path, rows=None, header=None, mapping: str = MAPPING,
                  text: str | None = None) -> tuple[Path, Path]:
    """Write export.csv (from rows, or raw ``text``) and mapping.toml into ``folder``."""
    export = folder / "export.csv"
    if text is not None:
        export.write_text(text, encoding="utf-8")
    else:
        with open(export, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header or HEADER)
            writer.writerows(ROWS if rows is None else rows)
    path = folder / "mapping.toml"
    path.write_text(mapping, encoding="utf-8")
    return export, path


def convert(folder: Path, **kwargs) -> Conversion:
    return read_redcap(*write_project(folder, **kwargs))


def with_cell(row: int, column: str, value: str, rows=None, header=None) -> list[list[str]]:
    """The rows with one cell changed; ``row`` counts as a spreadsheet does (header = 1)."""
    rows = [list(r) for r in (ROWS if rows is None else rows)]
    rows[row - 2][(header or HEADER).index(column)] = value
    return rows


def lines(conversion: Conversion, rule: str) -> list[dict]:
    """Every shown error or warning line of one rule."""
    return [line for f in conversion.report.findings if f.rule == rule for line in f.lines()]
