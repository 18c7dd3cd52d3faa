"""Every CSV file tincheck writes, written one way: RFC 4180 with CSV-injection defence.

A spreadsheet opening a CSV file treats a cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula, and a formula can run commands or
send data away (OWASP, "CSV Injection"). Data written by tincheck comes partly from
the files it read, so every cell that begins with one of those characters is
neutralised as OWASP describes: a single quote is put before it, and the cell is
quoted (``-3`` is written ``"'-3"``; a spreadsheet shows ``-3`` as text). Other cells
are quoted only when they must be (a comma, a double quote or a line break in them),
with double quotes doubled.

tincheck reads its own files back unchanged: ingest drops the single quote before
any of those characters (``'-3`` reads as ``-3``; see ``docs/data-model.md``), the
inverse of :func:`neutralise`.

:class:`CsvWriter` is the one writer (chunk by chunk, for large tables);
:func:`csv_bytes` and :func:`write_csv` are it for a whole table. Cells are formatted
by Arrow compute kernels, column by column, never cell by cell in Python, so a table
of millions of rows costs about what Arrow's own CSV writer does.

Reference: OWASP Foundation, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .outputs import write_bytes

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
_SPECIAL = (",", '"', "\r", "\n")
EOL = "\r\n"


def neutralise(text: str) -> str:
    """One cell as written (before quoting): a single quote before a formula trigger.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-3"), neutralise("R01")
    ('\\'=HYPERLINK("http://x")', "'-3", 'R01')
    >>> neutralise("'-3"), neutralise("'quoted")
    ("''-3", "'quoted")
    """
    # a value that itself begins with quotes and a trigger gets one more quote, so that
    # restore() gives it back exactly
    guarded = text.lstrip(PREFIX)[:1]
    return PREFIX + text if guarded and guarded in TRIGGERS else text


def restore(text: str) -> str:
    """The inverse of :func:`neutralise`, as ingest applies it to every text cell.

    >>> restore("'-3"), restore("'quoted"), restore("-3"), restore("''-3")
    ('-3', "'quoted", '-3', "'-3")
    """
    guarded = text.lstrip(PREFIX)[:1]
    return text[1:] if text[:1] == PREFIX and guarded and guarded in TRIGGERS else text


def _text(column: pa.Array) -> pa.Array:
    """A column as text: dates ISO, booleans true/false, numbers as Arrow writes them."""
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    elif not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    return pc.fill_null(column, "")


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def cells(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    r"""Each value of ``column`` as its CSV cell: neutralised, then quoted if needed.

    >>> cells(pa.array(["R01", "=1+2", None, 'a "b" c'])).to_pylist()
    ['R01', '"\'=1+2"', '', '"a ""b"" c"']
    >>> cells(pa.array([-2.5, 3.0])).to_pylist()
    ['"\'-2.5"', '3']
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    text = _text(column)
    if pa.types.is_boolean(kind) or pa.types.is_temporal(kind):
        return text  # true/false, ISO dates: nothing to neutralise or quote
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        trigger = pc.starts_with(text, "-")  # a number's text can begin only with '-'
        quote = trigger
    else:
        # a trigger first, or quotes and a trigger (see neutralise)
        trigger = pc.match_substring_regex(text, "^'*[=+\\-@\\t\\r]")
        quote = trigger
        # one scan of the column's bytes says whether any cell needs the per-cell search
        values = text.buffers()[2]
        data = b"" if values is None else values.to_pybytes()
        for special in _SPECIAL:
            if special.encode() in data:
                quote = pc.or_(quote, pc.match_substring(text, special))
    # most columns hold no cell to neutralise or quote: leave them as they are
    if not _any(quote):
        return text
    if _any(trigger):
        text = pc.if_else(trigger, pc.binary_join_element_wise(PREFIX, text, ""), text)
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(quote, quoted, text)


def _lines(columns: Sequence[pa.Array], eol: str) -> bytes:
    """Rows of already formatted cells joined into CSV lines, as bytes."""
    rows = pc.binary_join_element_wise(*columns, ",") if len(columns) > 1 else columns[0]
    rows = pc.binary_join_element_wise(rows, eol, "")
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    if len(rows) == 0:
        return b""
    # the values of a string array lie end to end in its data buffer: the file's bytes
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset:rows.offset
                                                                + len(rows) + 1]
    return rows.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _table(data) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, Mapping):
        return pa.table({name: values if isinstance(values, (pa.Array, pa.ChunkedArray))
                         else _array(values) for name, values in data.items()})
    raise TypeError(f"a pyarrow Table or a mapping of column name -> values, not "
                    f"{type(data).__name__}")


def _array(values) -> pa.Array:
    """Python values as an Arrow array; values of mixed types (a column of numbers and
    words) as text."""
    values = list(values)
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 or kinds == {int, float}:
        return pa.array(values, type=pa.string() if not kinds else None)
    return pa.array([None if v is None else ("true" if v else "false")
                     if isinstance(v, bool) else str(v) for v in values], pa.string())


class CsvWriter:
    """Writes a CSV file chunk by chunk: a header row, then the rows of each chunk.

    ``target`` is a path or a binary file object. Columns are given by name in the
    header; every chunk (a pyarrow Table, or a mapping of column name → values) must
    have them.
    """

    def __init__(self, target: str | os.PathLike | BinaryIO, names: Sequence[str],
                 eol: str = EOL):
        self.names, self.eol = list(names), eol
        self._own = not hasattr(target, "write")
        self._handle = open(target, "wb") if self._own else target  # noqa: SIM115
        try:
            self._handle.write(_lines([cells(pa.array([n], pa.string()))
                                       for n in self.names], eol))
        except BaseException:
            self.close()
            raise

    def write(self, chunk) -> None:
        table = _table(chunk)
        missing = [n for n in self.names if n not in table.column_names]
        if missing:
            raise ValueError(f"chunk lacks column(s) {missing}")
        if table.num_rows:
            self._handle.write(_lines([cells(table.column(n)) for n in self.names],
                                      self.eol))

    def close(self) -> None:
        if self._own and not self._handle.closed:
            self._handle.close()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def csv_bytes(data, names: Sequence[str] | None = None, eol: str = EOL) -> bytes:
    """A whole table as CSV bytes (UTF-8): the header row, then one line per row.

    >>> csv_bytes({"id": ["R01", "@SUM(A1)"], "change": [-2.5, 3.0]}).decode()
    'id,change\\r\\nR01,"\\'-2.5"\\r\\n"\\'@SUM(A1)",3\\r\\n'
    """
    table = _table(data)
    buffer = io.BytesIO()
    with CsvWriter(buffer, names or table.column_names, eol) as writer:
        writer.write(table)
    return buffer.getvalue()


def write_csv(path: str | os.PathLike, data, names: Sequence[str] | None = None,
              eol: str = EOL) -> Path:
    """Write a whole table to ``path`` as CSV, whole or not at all
    (:func:`tincheck.outputs.write_bytes`)."""
    return write_bytes(path, csv_bytes(data, names, eol))


__all__ = ["CsvWriter", "EOL", "TRIGGERS", "cells", "csv_bytes", "neutralise", "restore",
           "write_csv"]
