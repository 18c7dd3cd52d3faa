"""The command line fails in one place: a one-line message naming what is wrong (the
option, the file), exit status 2, no traceback, and no work done first.

Outputs that cannot be written (an existing file, inside a file, not writable, a
folder where a file is expected, a full disk), options that cannot be used (``--period``
ending before it starts, ``--data-end`` before the data) and Rich markup in messages.
"""

from __future__ import annotations

import ast
import errno
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tincheck
from tincheck import outputs
from tincheck.cli import app
from tincheck.engine import EngineUnavailable

from ..conftest import REPO

runner = CliRunner()
EXAMPLE = str(tincheck.example_path())


def run(*args: str):
    return runner.invoke(app, list(args), terminal_width=300)


def one_line(result) -> str:
    """The output, which must be exactly one line starting 'error: ', and exit 2."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)
    return lines[0]


@pytest.fixture
def no_audit(monkeypatch):
    """The audit must not start: an output problem is found before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the audit started before its outputs were checked")
    monkeypatch.setattr("tincheck.cli.audit.run_audit", refuse)


# ------------------------------------------------------------------ outputs

def test_out_that_is_an_existing_file(tmp_path, no_audit):
    (tmp_path / "report").write_text("x")
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "report"))) == \
        f"error: --out {tmp_path / 'report'}: it is a file; a folder is expected here"


def test_out_inside_a_file(tmp_path, no_audit):
    (tmp_path / "f").write_text("x")
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "f" / "sub"))) == \
        (f"error: --out {tmp_path / 'f' / 'sub'}: {tmp_path / 'f'} is a file, so nothing "
         "can be created inside it")


def test_json_that_is_a_folder(tmp_path, no_audit):
    (tmp_path / "j").mkdir()
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"), "--json",
                        str(tmp_path / "j"))) == \
        f"error: --json {tmp_path / 'j'}: it is a folder; a file is expected here"


def test_a_folder_where_a_report_file_goes(tmp_path, no_audit):
    (tmp_path / "o" / "metrics.csv").mkdir(parents=True)
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"))) == \
        f"error: --out {tmp_path / 'o' / 'metrics.csv'}: it is a folder; a file is expected here"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_out_in_a_folder_that_is_not_writable(tmp_path, no_audit):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        line = one_line(run("audit", EXAMPLE, "--out", str(locked / "o")))
    finally:
        locked.chmod(0o755)
    assert line == (f"error: --out {locked / 'o'}: cannot write in {locked} "
                    "(permission denied)")


def test_out_in_a_folder_the_system_refuses(tmp_path, no_audit, monkeypatch):
    # as root every folder is writable: the refusal is simulated at the system call
    real = os.access
    monkeypatch.setattr(outputs.os, "access",
                        lambda p, mode: False if Path(p) == tmp_path else real(p, mode))
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"))) == \
        f"error: --out {tmp_path / 'o'}: cannot write in {tmp_path} (permission denied)"


def test_a_report_file_that_cannot_be_overwritten(tmp_path, no_audit, monkeypatch):
    (tmp_path / "o").mkdir()
    target = tmp_path / "o" / "report.html"
    target.write_text("old")
    real = os.access
    monkeypatch.setattr(outputs.os, "access",
                        lambda p, mode: False if Path(p) == target else real(p, mode))
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"))) == \
        f"error: --out {target}: it cannot be overwritten (permission denied)"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_disk_for_report_json(tmp_path):
    # /dev/full: every write fails with ENOSPC, as on a full disk
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"), "--json",
                        "/dev/full", "--imputations", "0")) == \
        "error: cannot write /dev/full: no space left on the disk"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_disk_leaves_the_earlier_report_whole(tmp_path, monkeypatch):
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.json").write_text("earlier report")
    opened = []

    def full_disk(path):  # the temporary file lands on a full disk
        temporary, _ = real(path)
        opened.append(temporary)
        return temporary, open("/dev/full", "wb")  # noqa: SIM115
    real = outputs._temporary
    monkeypatch.setattr(outputs, "_temporary", full_disk)
    assert one_line(run("audit", EXAMPLE, "--out", str(out), "--imputations", "0")) == \
        f"error: cannot write {out / 'report.json'}: no space left on the disk"
    assert (out / "report.json").read_text() == "earlier report"
    assert opened and not any(p.exists() for p in opened)  # no temporary file left
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_write_bytes_turns_enospc_into_an_output_error(tmp_path, monkeypatch):
    def fail(path):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(outputs, "_temporary", fail)
    with pytest.raises(OSError, match="cannot write .*x.txt: no space left on the disk"):
        outputs.write_text(tmp_path / "x.txt", "x")


@pytest.mark.parametrize("command", [
    ["synth", "-n", "10"], ["meta", "--example"], ["demo", "-n", "100"],
    ["published", str(REPO / "no-such-measures.parquet")],
])
def test_every_command_checks_its_out_folder_first(command, tmp_path):
    (tmp_path / "f").write_text("x")
    assert one_line(run(*command, "--out", str(tmp_path / "f"))) == \
        f"error: --out {tmp_path / 'f'}: it is a file; a folder is expected here"


def test_import_redcap_checks_its_out_file_first(tmp_path):
    (tmp_path / "d").mkdir()
    assert one_line(run("import-redcap", "no-export.csv", "--mapping", "no-mapping.toml",
                        "--out", str(tmp_path / "d"))) == \
        f"error: --out {tmp_path / 'd'}: it is a folder; a file is expected here"


def test_demo_names_a_data_folder_that_is_a_file(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "data").write_text("x")
    assert one_line(run("demo", "-n", "100", "--out", str(tmp_path / "demo"))) == \
        (f"error: --out {tmp_path / 'demo' / 'data'}: it is a file; a folder is expected "
         "here")


# ------------------------------------------------------------------ options

@pytest.mark.parametrize("args, message", [
    (["--period", "2024-03-31:2023-04-01"], "--period '2024-03-31:2023-04-01': the end is "
     "before the start (START:END, both inclusive)"),
    (["--period", "2023-04-01"], "--period '2023-04-01': expected START:END, e.g. "
     "2023-04-01:2024-03-31"),
    (["--period", "2023-04-01:next year"], "--period '2023-04-01:next year': dates must be "
     "YYYY-MM-DD"),
    (["--data-end", "2024-01-31"], "--data-end '2024-01-31': before the data: referrals "
     "were received or ended up to 2024-10-01; give a date on or after it (or none, for "
     "the latest date in the data)"),
    (["--data-end", "31/01/2025"], "--data-end '31/01/2025': expected a date, YYYY-MM-DD"),
    (["--engine", "spork"], "--engine 'spork': expected one of duckdb, spark"),
    (["--assessors", "all"], "--assessors 'all': expected one of independent_blind, any"),
    (["--memory-limit", "lots"], "--memory-limit 'lots': expected a size such as 3GB or "
     "500MB"),
])
def test_an_option_the_audit_refuses_is_named(args, message, tmp_path):
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"), *args)) == \
        f"error: {message}"
    assert not (tmp_path / "o").exists()


def test_data_end_on_the_last_date_of_the_data_is_accepted(tmp_path):
    result = run("audit", EXAMPLE, "--out", str(tmp_path / "o"), "--data-end", "2024-10-01",
                 "--imputations", "0")
    assert result.exit_code == 0, result.output


def test_library_names_the_parameter():
    with pytest.raises(ValueError, match=r"^period '2024-01-01:2023-01-01': the end is "
                                         r"before the start"):
        tincheck.audit(EXAMPLE, period="2024-01-01:2023-01-01")
    with pytest.raises(ValueError, match=r"^data_end '2023-01-01': before the data"):
        tincheck.audit(EXAMPLE, data_end="2023-01-01")


@pytest.mark.parametrize("args, option", [
    (["audit", EXAMPLE, "--imputations", "-1"], "'--imputations'"),
    (["audit", EXAMPLE, "--imputations", "many"], "'--imputations'"),
    (["audit", EXAMPLE, "--benchmarks", "no-such.csv"], "'--benchmarks'"),
    (["synth", "--out", "x", "--correlation"], "--correlation"),
    (["published", "m.csv", "--correlation", "2"], "'--correlation'"),
    (["meta", "--example", "--method", "OLS"], "'--method'"),
])
def test_click_option_errors_name_the_option_in_one_line(args, option):
    line = one_line(run(*args))
    assert option in line and "--help" in line


def test_no_arguments_shows_the_help():
    result = run()
    assert "Usage" in result.output and "audit" in result.output


# ------------------------------------------------------------------ markup, one place

def test_markup_in_a_message_prints_as_written(tmp_path, monkeypatch):
    def unavailable(*args, **kwargs):
        raise EngineUnavailable("the Spark engine needs pyspark: pip install "
                                "'tincheck[spark]' [bold]and[/bold] Java 17")
    monkeypatch.setattr("tincheck.cli.audit.run_audit", unavailable)
    assert one_line(run("audit", EXAMPLE, "--out", str(tmp_path / "o"))) == (
        "error: the Spark engine needs pyspark: pip install 'tincheck[spark]' "
        "[bold]and[/bold] Java 17")


def test_a_defect_still_shows_its_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a defect")
    monkeypatch.setattr("tincheck.cli.audit.run_audit", broken)
    result = run("audit", EXAMPLE, "--out", str(tmp_path / "o"))
    assert isinstance(result.exception, KeyError)


def test_only_the_failure_module_turns_exceptions_into_messages():
    """The one place: a command may add context to an exception and raise it again, but
    no command catches an exception to print it or to choose an exit status."""
    folder = REPO / "src" / "tincheck" / "cli"
    for path in folder.glob("*.py"):
        if path.name in ("failure.py", "output.py"):
            continue
        source = path.read_text(encoding="utf-8")
        assert "errors.print" not in source, path.name
        for handler in ast.walk(ast.parse(source)):
            if not isinstance(handler, ast.ExceptHandler):
                continue
            body = ast.unparse(handler)
            reraises = any(isinstance(n, ast.Raise) and "Exit" not in ast.unparse(n)
                           for n in ast.walk(handler))
            # demo reads an earlier demo's manifest: a damaged one means "not a demo"
            quiet = path.name == "demo.py" and "return False" in body
            assert reraises or quiet, f"{path.name}: {body}"
            assert "print" not in body and "Exit" not in body, f"{path.name}: {body}"
