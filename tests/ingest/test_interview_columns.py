"""The optional interview columns second_rating and unblinded: read as yes/no, and the
same on every row of one interview."""

from __future__ import annotations

import pytest

import tincheck

from .folders import add_column, copy_example, read_rows


@pytest.fixture
def folder(tmp_path):
    return copy_example(tmp_path / "service")


def _add_column(folder, column, values):
    add_column(folder, "interviews", column, values)


def test_unblinded_must_be_the_same_on_every_row_of_an_interview(folder):
    # I01 spans rows 2-3 of interviews.csv; row 3 says the assessor became unblinded
    header, rows = read_rows(folder / "interviews.csv")
    _add_column(folder, "unblinded", ["false", "true"] + ["false"] * (len(rows) - 2))
    errors = tincheck.validate(folder).error_lines()
    assert [(e["file"], e["row"], e["column"], e["rule"]) for e in errors] == [
        ("interviews.csv", 3, "unblinded", "interview_inconsistent")]


def test_second_rating_is_a_yes_no_column(folder):
    header, rows = read_rows(folder / "interviews.csv")
    _add_column(folder, "second_rating", ["maybe"] + ["no"] * (len(rows) - 1))
    errors = tincheck.validate(folder).error_lines()
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [
        (2, "second_rating", "maybe")]
