"""Nothing read from the data reaches the terminal as a control sequence.

A file name, a column name or a cell value holding ESC (or another C0 or C1 control,
or a Unicode control that reorders text) is shown escaped (``\\x1b``), so it cannot
clear the screen, recolour it, set the window title or hide text.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.cli.output import printable

from ..ingest.folders import copy_example, read_rows, set_cell, write_rows

ATTACK = "x\x1b[2J\x1b]0;pwned\x07\x9b31m\u202egpj.exe\x00"
SHOWN = "x\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202egpj.exe\\x00"
# a file name cannot hold NUL
NAME, NAME_SHOWN = ATTACK[:-1], SHOWN[:-len("\\x00")]
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]


def clean(output: str) -> None:
    """No control character but line feed and tab in what was printed."""
    found = sorted({f"{ord(c):#04x}" for c in output if c in CONTROLS or c == "\u202e"})
    assert not found, f"control characters printed: {found}"


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """A wide console, so that no table cell is folded over lines."""
    from tincheck.cli import output
    for console in (output.console, output.errors):
        monkeypatch.setattr(console, "width", 1000)


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=400)
    return result.output


def test_printable_shows_every_control_character_escaped():
    assert printable(ATTACK) == SHOWN
    assert printable("plain, with\ttab\nand line feed") == "plain, with\ttab\nand line feed"
    clean(printable("".join(CONTROLS)))


def test_a_cell_value_in_the_error_table(tmp_path):
    folder = copy_example(tmp_path / "data")
    set_cell(folder, "referrals", 3, "source", ATTACK)
    output = run("validate", str(folder))
    clean(output)
    line = next(x for x in output.splitlines() if "referrals.csv" in x)
    assert "│ 3 " in line and SHOWN in line


def test_a_column_name_echoed_in_a_message(tmp_path):
    folder = copy_example(tmp_path / "data")
    header, rows = read_rows(folder / "costs.csv")
    # a control character in a header is an error naming the header, shown escaped
    header[header.index("cost_gbp")] = "cost_gbp\x1b[1m"
    write_rows(folder / "costs.csv", header, rows)
    output = run("validate", str(folder))
    clean(output)
    line = next(x for x in output.splitlines() if "control characters" in x)
    assert "cost_gbp\\x1b[1m" in line


def test_a_folder_name_echoed_in_an_error(tmp_path):
    output = run("audit", str(tmp_path / NAME), "--out", str(tmp_path / "out"))
    clean(output)
    assert str(tmp_path / NAME_SHOWN) in output


def test_an_output_path_echoed_in_an_error(tmp_path):
    (tmp_path / NAME).write_text("a file")
    output = run("audit", str(tmp_path), "--out", str(tmp_path / NAME))
    clean(output)
    assert f"--out {tmp_path / NAME_SHOWN}: it is a file" in output


@pytest.mark.parametrize("command", ["audit", "validate"])
def test_a_warning_from_the_data(tmp_path, command):
    # a file tincheck does not read is named in a warning
    folder = copy_example(tmp_path / "data")
    (folder / f"extra{NAME}.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    output = run(command, str(folder), "--out", str(tmp_path / "out")) if command == \
        "audit" else run(command, str(folder))
    clean(output)
