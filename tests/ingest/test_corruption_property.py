"""Property: any corruption of valid data gives a located validation error, never a crash.

Eleven kinds of corruption, each applied at a place hypothesis chooses, to a copy of
the example's three required tables. Every run must produce a validation report
(no other exception) holding an error in the corrupted file, at the corrupted row
where the corruption has one. 46 examples per kind: 506 in all.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tincheck
from tincheck.schema import TABLES

from .folders import copy_example, read_rows, write_rows

EXAMPLES_PER_KIND = 46
CORE = ("referrals", "appointments", "measures")
FILE_LEVEL = {"empty_file", "encoding", "unreadable_file", "missing_file"}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return copy_example(tmp_path_factory.mktemp("base"), tables=set(CORE))


def typed_columns(table, kinds=("date", "int", "number", "bool", "code", "icd10")):
    return [c.name for c in TABLES[table].columns if c.type in kinds]


def cell_corruption(value_for, first_index=0):
    """A corruption that rewrites one cell: returns (table, row)."""
    def corrupt(folder: Path, data) -> tuple[str, int | None]:
        table, column, value = value_for(data)
        header, rows = read_rows(folder / f"{table}.csv")
        index = data.draw(st.integers(first_index, len(rows) - 1), label="row index")
        rows[index][header.index(column)] = value(rows, index, header) if callable(value) \
            else value
        write_rows(folder / f"{table}.csv", header, rows)
        return table, index + 2
    return corrupt


def _wrong_type(data):
    table = data.draw(st.sampled_from(CORE))
    column = data.draw(st.sampled_from(typed_columns(table)))
    return table, column, data.draw(st.sampled_from(["not a value", "??", "1/2/3/4", "x9"]))


def _bad_date(data):
    table = data.draw(st.sampled_from(CORE))
    column = data.draw(st.sampled_from(typed_columns(table, ("date",))))
    return table, column, data.draw(st.sampled_from(
        ["2023-02-30", "31/04/2023", "2023/01/01", "13/13/2023", "1850-01-01", "tomorrow"]))


def _bad_score(data):
    value = data.draw(st.one_of(
        st.sampled_from(["NaN", "nan", "inf", "-inf", ""]),
        st.integers(-1000, -1).map(str), st.integers(169, 10_000).map(str)))
    return "measures", "score", value


def _unknown_code(data):
    table = data.draw(st.sampled_from(CORE))
    column = data.draw(st.sampled_from(typed_columns(table, ("code",))))
    return table, column, data.draw(st.sampled_from(["zzz", "99", "unknown-code", "07x"]))


def _dangling_key(data):
    table = data.draw(st.sampled_from(["appointments", "measures"]))
    return table, "referral_id", data.draw(st.sampled_from(["R999", "nobody", "R1"]))


def _duplicate_id(data):
    table = data.draw(st.sampled_from(["referrals", "appointments"]))
    key = "referral_id" if table == "referrals" else "appointment_id"

    def value(rows, index, header):
        # a copy of an earlier row's id: the later row is the one reported
        return rows[index - 1][header.index(key)]
    return table, key, value


def drop_column(folder: Path, data):
    table = data.draw(st.sampled_from(CORE))
    required = [c.name for c in TABLES[table].columns if c.required]
    column = data.draw(st.sampled_from(required))
    header, rows = read_rows(folder / f"{table}.csv")
    i = header.index(column)
    write_rows(folder / f"{table}.csv", header[:i] + header[i + 1:],
               [r[:i] + r[i + 1:] for r in rows])
    return table, 1


def empty_file(folder: Path, data):
    table = data.draw(st.sampled_from(CORE))
    (folder / f"{table}.csv").write_bytes(b"")
    return table, 1


def truncate(folder: Path, data):
    """Cut the file inside a row, before its last delimiter (the row loses columns)."""
    table = data.draw(st.sampled_from(CORE))
    raw = (folder / f"{table}.csv").read_bytes()
    lines = raw.split(b"\n")
    row = data.draw(st.integers(1, len([x for x in lines if x]) - 1))
    line = lines[row]
    last_comma = line.rindex(b",")
    cut = data.draw(st.integers(1, last_comma))  # at least one byte of the row kept
    kept = b"\n".join(lines[:row]) + b"\n" + line[:cut]
    (folder / f"{table}.csv").write_bytes(kept)
    return table, row + 1


def garbage(folder: Path, data):
    table = data.draw(st.sampled_from(CORE))
    blob = data.draw(st.binary(min_size=1, max_size=400))
    (folder / f"{table}.csv").write_bytes(blob)
    return table, None


def wrong_encoding(folder: Path, data):
    """Put a Latin-1 accented letter (not valid UTF-8 alone) into one line."""
    table = data.draw(st.sampled_from(CORE))
    raw = (folder / f"{table}.csv").read_bytes()
    lines = raw.split(b"\n")
    row = data.draw(st.integers(0, len([x for x in lines if x]) - 1))
    at = data.draw(st.integers(0, len(lines[row])))
    byte = data.draw(st.sampled_from([b"\xe9", b"\xa3", b"\xfc", b"\xff"]))
    lines[row] = lines[row][:at] + byte + lines[row][at:]
    (folder / f"{table}.csv").write_bytes(b"\n".join(lines))
    return table, row + 1


CORRUPTIONS = {
    "dropped_column": drop_column,
    "wrong_type": cell_corruption(_wrong_type),
    "bad_date": cell_corruption(_bad_date),
    "bad_score": cell_corruption(_bad_score),
    "duplicate_id": cell_corruption(_duplicate_id, first_index=1),
    "unknown_code": cell_corruption(_unknown_code),
    "dangling_key": cell_corruption(_dangling_key),
    "empty_file": empty_file,
    "truncated_file": truncate,
    "binary_garbage": garbage,
    "wrong_encoding": wrong_encoding,
}


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
@settings(max_examples=EXAMPLES_PER_KIND, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(data=st.data())
def test_corruption_gives_a_located_error(base, kind, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "service"
        shutil.copytree(base, folder)
        table, row = CORRUPTIONS[kind](folder, data)
        report = tincheck.validate(folder)  # must not raise
        file = f"{table}.csv"
        assert not report.ok, f"{kind} at {file} row {row} was not detected"
        mine = [line for line in report.error_lines(10_000) if line["file"] == file]
        assert mine, report.error_lines()
        for line in report.error_lines(10_000):
            located = line["row"] is not None or line["column"] is not None \
                or line["rule"] in FILE_LEVEL
            assert located, line
            assert line["expected"]
        if row is not None and kind != "dropped_column":
            assert any(line["row"] == row for line in mine), (row, mine)
