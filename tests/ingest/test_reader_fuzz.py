"""Property: the reader never raises on any file, only reports (or DataError).

Hypothesis writes the example's referrals in random CSV dialects (delimiter, quoting,
line breaks, encoding: UTF-8 with or without a byte order mark, UTF-16, Latin-1,
Windows-1252; sometimes gzip-compressed), with random text in random cells, and
sometimes damages the bytes; or it writes random bytes under every accepted file
name. ``validate`` must return a report, and ``read_dataset`` must either succeed
or raise :class:`tincheck.DataError`: never any other exception (a traceback).
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tincheck

from .folders import copy_example, read_rows

CORE = {"referrals", "appointments", "measures"}
EXAMPLES = 120

# text that breaks naive readers: quotes, delimiters, line breaks, control and
# non-ASCII characters, NHS-number look-alikes, very long runs
TRICKY = st.one_of(
    st.text(alphabet=st.sampled_from(list(',;\t|"\'\r\n\x00\x1b\x7f\x85é£€😀 aZ9-./_')),
            max_size=12),
    st.sampled_from(["943 476 5919", "943.476.5919", "=cmd|' /C calc'!A0", "NaN", "1_2",
                     "2023-01-20 00:00:00.000", "\ufeffx", "", " ", "x" * 140_000]),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return copy_example(tmp_path_factory.mktemp("base"), tables=CORE)


@st.composite
def dialect_file(draw, header, rows):
    """The table as bytes in a random dialect, with random cells replaced."""
    rows = [list(r) for r in rows[: draw(st.integers(0, len(rows)))]]
    for _ in range(draw(st.integers(0, 6))):
        if rows:
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(header) - 1))
            rows[r][c] = draw(TRICKY)
    header = list(header)
    if draw(st.booleans()):
        header[draw(st.integers(0, len(header) - 1))] = draw(TRICKY)
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL,
                                    csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline,
                        escapechar="\\")
    for row in [header, *rows]:
        try:
            writer.writerow(row)
        except csv.Error:
            writer.writerow([cell.replace('"', "") for cell in row])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    if draw(st.booleans()):  # damage: cut, insert or flip bytes
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            data = draw(st.sampled_from([
                data[:at],
                data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:],
                data[:at] + bytes([(data[at:at + 1] or b"\0")[0] ^ 0xFF]) + data[at + 1:],
            ]))
    compress = draw(st.booleans())
    return data, compress


def assert_no_traceback(folder: Path) -> None:
    report = tincheck.validate(folder)  # must not raise
    assert report.ok or report.errors
    for line in report.error_lines(1000):
        assert line["expected"] and line["file"]
    try:
        tincheck.read_dataset(folder).close()
    except tincheck.DataError:
        pass


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_csv_dialect_gives_a_report_never_a_traceback(base, data):
    header, rows = read_rows(base / "referrals.csv")
    content, compress = data.draw(dialect_file(header, rows[:8]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "service"
        shutil.copytree(base, folder)
        (folder / "referrals.csv").unlink()
        if compress:
            (folder / "referrals.csv.gz").write_bytes(gzip.compress(content))
        else:
            (folder / "referrals.csv").write_bytes(content)
        assert_no_traceback(folder)


@settings(max_examples=EXAMPLES // 2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(name=st.sampled_from(["measures.csv", "measures.csv.gz", "measures.parquet",
                             "measures.xlsx", "MEASURES.XLSX"]),
       blob=st.one_of(st.binary(max_size=600),
                      st.sampled_from([b"PK\x03\x04" + b"\0" * 40, b"PAR1" * 8,
                                       b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
                                       b"\x1f\x8b\x08\x00" + b"\0" * 20])))
def test_random_bytes_under_any_table_name_give_a_report(base, name, blob):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "service"
        shutil.copytree(base, folder)
        (folder / "measures.csv").unlink()
        (folder / name).write_bytes(blob)
        assert_no_traceback(folder)
