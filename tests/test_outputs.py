"""Output paths checked before work, files written whole, and the settings errors."""

from __future__ import annotations

import doctest
import os
import stat

import pytest

from tincheck import errors, outputs, safecsv
from tincheck.errors import OutputError, SettingError
from tincheck.metrics import Period


def test_check_folder_accepts_a_new_or_existing_folder(tmp_path):
    assert outputs.check_folder(tmp_path / "a" / "b", ("x.html",)) == tmp_path / "a" / "b"
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.html").write_text("old")
    outputs.check_folder(tmp_path / "c", ("x.html", "y.json"))
    assert not (tmp_path / "a").exists()  # checking writes nothing


@pytest.mark.parametrize("make, path, problem", [
    (lambda t: (t / "f").write_text("x"), "f", "it is a file; a folder is expected here"),
    (lambda t: (t / "f").write_text("x"), "f/sub/deeper",
     "{t}/f is a file, so nothing can be created inside it"),
    (lambda t: (t / "o" / "x.html").mkdir(parents=True), "o",
     "it is a folder; a file is expected here"),
])
def test_check_folder_refuses(tmp_path, make, path, problem):
    make(tmp_path)
    with pytest.raises(OutputError) as caught:
        outputs.check_folder(tmp_path / path, ("x.html",), option="--out")
    assert caught.value.problem == problem.format(t=tmp_path)
    assert caught.value.option == "--out" and str(caught.value).startswith("--out ")


def test_check_file_refuses_a_folder_and_a_path_inside_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="it is a folder; a file is expected here"):
        outputs.check_file(tmp_path)
    with pytest.raises(OutputError, match="is a file, so nothing can be created inside it"):
        outputs.check_file(tmp_path / "f" / "x.json")
    assert outputs.check_file(tmp_path / "new" / "x.json") == tmp_path / "new" / "x.json"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_file_refuses_a_read_only_folder(tmp_path):
    (tmp_path / "ro").mkdir(mode=0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            outputs.check_file(tmp_path / "ro" / "x.json")
    finally:
        (tmp_path / "ro").chmod(0o755)


def test_write_text_replaces_whole_and_keeps_the_mode(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old")
    path.chmod(0o640)
    outputs.write_text(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old")

    def interrupted(temporary, target):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(OutputError) as caught:
        outputs.write_text(path, "new")
    assert str(caught.value) == f"cannot write {path}: no space left on the disk"
    assert isinstance(caught.value, OSError) and caught.value.errno == 28
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_a_folder_in_the_way_of_a_write(tmp_path):
    (tmp_path / "r.json").mkdir()
    with pytest.raises(OutputError, match="it is a folder; a file is expected here"):
        outputs.write_text(tmp_path / "r.json", "x")
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="a part of the path is a file, not a folder"):
        outputs.write_text(tmp_path / "f" / "r.json", "x")


def test_period_end_before_start_is_a_setting_error():
    with pytest.raises(SettingError) as caught:
        Period.parse("2024-03-31:2023-04-01")
    assert (caught.value.setting, caught.value.option) == ("period", "--period")
    with pytest.raises(SettingError):
        Period(Period.parse("2023-04-01:").start, Period.parse(":2023-03-31").end)
    assert Period.parse("2023-04-01:2023-04-01").as_dict() == {"start": "2023-04-01",
                                                               "end": "2023-04-01"}


@pytest.mark.parametrize("module", [errors, outputs, safecsv])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
