"""docs/study.md and the code agree: file columns, derived strata, designs."""

from __future__ import annotations

import re

from tincheck.study import DESIGNS
from tincheck.study.files import SAMPLE_COLUMNS
from tincheck.study.frame import DERIVED
from tincheck.study.schedule import COLUMNS as SCHEDULE_COLUMNS

from ..conftest import REPO

DOC = (REPO / "docs" / "study.md").read_text(encoding="utf-8")


def _columns(heading: str) -> list[str]:
    """The first cell of each row of the table after ``heading``."""
    section = DOC.split(heading, 1)[1].split("\n\n**", 1)[0]
    names = []
    for cells in re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", section, re.M):
        names += [c for c in cells if c]
    return names


def test_sample_and_schedule_columns_are_documented_in_order():
    assert _columns("**sample.csv**") == list(SAMPLE_COLUMNS)
    assert _columns("**schedule.csv**") == list(SCHEDULE_COLUMNS)


def test_every_derived_stratum_and_design_is_documented():
    for name in DERIVED:
        assert f"| `{name}` |" in DOC, name
    for design in DESIGNS:
        assert f"| `{design}` |" in DOC, design
