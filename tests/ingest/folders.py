"""Make data folders for tests: copies of the example, edited cell by cell."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tincheck import example_path


def copy_example(target: Path, name: str = "service", tables=None) -> Path:
    """Copy an example folder (optionally only some tables) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for path in example_path(name).iterdir():
        if path.suffix == ".csv" and (tables is None or path.stem in tables):
            shutil.copy(path, target / path.name)
    return target


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts as a spreadsheet does (header = row 1)."""
    path = folder / f"{table}.csv"
    header, rows = read_rows(path)
    rows[row - 2][header.index(column)] = value
    write_rows(path, header, rows)


def drop_column(folder: Path, table: str, column: str) -> None:
    path = folder / f"{table}.csv"
    header, rows = read_rows(path)
    index = header.index(column)
    write_rows(path, header[:index] + header[index + 1:],
               [r[:index] + r[index + 1:] for r in rows])


def add_column(folder: Path, table: str, column: str, values: list[str]) -> None:
    """Set `column` of `table` to `values`: replaced if the table has it, else appended."""
    path = folder / f"{table}.csv"
    header, rows = read_rows(path)
    if column in header:
        at = header.index(column)
        write_rows(path, header, [r[:at] + [v] + r[at + 1:] for r, v in zip(rows, values)])
    else:
        write_rows(path, header + [column], [r + [v] for r, v in zip(rows, values)])


def errors_of(report) -> list[tuple]:
    """(file, row, column, rule) of every error finding's shown rows."""
    return [(line["file"], line["row"], line["column"], line["rule"])
            for line in report.error_lines(1000)]
