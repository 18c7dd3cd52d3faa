"""CSV cells safe to open in a spreadsheet (OWASP, "CSV Injection").

A cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by
spreadsheet programs as a formula. Written cells that begin so are prefixed with a
single quote; read cells that begin with a quote followed by one of those characters
lose the quote, so a file round-trips unchanged. (Kept small and local to the app: a
shared writer for every CSV tincheck writes may replace it.)

Reference: OWASP Foundation, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import io

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value) -> str:
    """The text of one cell, neutralised.

    >>> escape_cell("=1+1"), escape_cell("S0001"), escape_cell(None)
    ("'=1+1", 'S0001', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def unescape_cell(text: str) -> str:
    """The value of a cell written by :func:`escape_cell`.

    >>> unescape_cell("'=1+1"), unescape_cell("'quoted")
    ('=1+1', "'quoted")
    """
    return text[1:] if text.startswith("'") and text[1:2] in TRIGGERS and text[1:2] else text


def write_csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 CSV with a header row and ``\\n`` line endings, every cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([escape_cell(h) for h in header])
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")
