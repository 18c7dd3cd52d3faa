"""A protective quote before a formula trigger is removed once, not twice.

tincheck writes a text value that begins with = + - @ (or a tab or carriage return)
with a single quote before it (tincheck.safecsv), and reads such a value back without
that quote. The loader makes text columns text once, while loading and pseudonymising;
parsing them again must not drop a second quote: ``''-3`` (the written form of the
value ``'-3``) reads as ``'-3``, ``'-3`` as ``-3``, in every table and format.
"""

from __future__ import annotations

import csv
import shutil

import pytest

import tincheck
from tincheck.examples import example_path


@pytest.mark.parametrize(("written", "read"), [("''-3", "'-3"), ("'-3", "-3"),
                                                ("  ''=A1 ", "'=A1"), ("'x", "'x")])
def test_a_protective_quote_is_removed_once(tmp_path, written, read):
    folder = tmp_path / "service"
    shutil.copytree(example_path(), folder)
    path = folder / "referrals.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("client_id")
    rows[1][column] = written
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    with tincheck.read_dataset(folder) as dataset:
        got = dataset.connection.execute(
            "SELECT client_id FROM referrals ORDER BY source_row LIMIT 1").fetchone()[0]
    assert got == read
