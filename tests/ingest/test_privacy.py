"""No raw NHS number reaches any output of ingest or validation."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import tincheck
from tincheck import pseudonymise as ps
from tincheck.cli import app

from ..test_pseudonymise import nhs_number
from .folders import add_column, copy_example, read_rows, set_cell, write_rows

NUMBERS = [n for n in (nhs_number(f"{400000000 + 7919 * i:09d}") for i in range(80)) if n][:40]


def spellings(number: str) -> list[str]:
    return [number, f"{number[:3]} {number[3:6]} {number[6:]}",
            f"{number[:3]}-{number[3:6]}-{number[6:]}"]


@pytest.fixture
def identified(tmp_path):
    """The example with NHS numbers as client ids, in an nhs_number column and elsewhere."""
    folder = copy_example(tmp_path / "service")
    header, rows = read_rows(folder / "referrals.csv")
    clients = sorted({r[header.index("client_id")] for r in rows})
    to_nhs = {c: NUMBERS[i] for i, c in enumerate(clients)}
    for r in rows:
        r[header.index("client_id")] = to_nhs[r[header.index("client_id")]]
    write_rows(folder / "referrals.csv", header + ["nhs_number", "notes"],
               [r + [spellings(r[1])[i % 3], f"seen {NUMBERS[i % 10]} twice"]
                for i, r in enumerate(rows)])
    return folder


def all_bytes(path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def assert_no_number_in(blob: bytes | str):
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    digits_only = re.sub(r"[ -]", "", text)
    for number in NUMBERS:
        assert number not in digits_only, "a raw NHS number was written"


def test_nhs_numbers_are_pseudonymised_everywhere(identified, tmp_path, monkeypatch):
    monkeypatch.setenv(ps.KEY_ENV, "test key")
    with tincheck.read_dataset(identified) as dataset:
        clients = {r[0] for r in dataset.connection.execute(
            "SELECT client_id FROM referrals").fetchall()}
        assert len(clients) == 28 and all(c.startswith("p_") for c in clients)
        # the same person keeps the same pseudonym (C01 has three referrals)
        assert dataset.connection.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM referrals GROUP BY client_id)"
        ).fetchone()[0] == 3
        # nhs_number spelled three ways gives one pseudonym per person
        assert dataset.connection.execute(
            "SELECT count(DISTINCT nhs_number) FROM referrals").fetchone()[0] == 28
        out = dataset.to_parquet(tmp_path / "out")
        assert_no_number_in(all_bytes(out))
        assert_no_number_in(json.dumps(dataset.report.to_dict()))
        every_value = dataset.connection.execute(
            "SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), '|') FROM referrals").fetchone()
        assert_no_number_in("|".join(v or "" for v in every_value))


def test_error_messages_never_quote_an_nhs_number(identified, monkeypatch):
    monkeypatch.setenv(ps.KEY_ENV, "test key")
    set_cell(identified, "referrals", 3, "age", NUMBERS[5])          # typed column
    set_cell(identified, "referrals", 4, "received_date", NUMBERS[6])  # date column
    set_cell(identified, "appointments", 15, "referral_id", NUMBERS[7])  # dangling key
    report = tincheck.validate(identified)
    assert report.error_count == 3, report.error_lines()
    assert_no_number_in(json.dumps(report.to_dict()))
    with pytest.raises(tincheck.DataError) as caught:
        tincheck.read_dataset(identified)
    assert_no_number_in(str(caught.value))
    runner = CliRunner()
    for args in (["validate", str(identified)], ["validate", str(identified), "--json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert_no_number_in(result.output)


def test_without_a_key_the_error_names_the_file_and_the_fix(identified, monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)
    report = tincheck.validate(identified)
    assert [(e.file, e.rule) for e in report.errors] == [("referrals.csv", "pseudonym_key")]
    assert ps.KEY_ENV in report.errors[0].expected
    assert_no_number_in(json.dumps(report.to_dict()))


def test_key_file_on_the_command_line(identified, tmp_path, monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    key = tmp_path / "secret.key"
    key.write_text("my secret")
    result = CliRunner().invoke(app, ["validate", str(identified), "--key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert_no_number_in(result.output)


def test_data_without_nhs_numbers_needs_no_key(tmp_path, monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)
    assert tincheck.validate(copy_example(tmp_path)).ok
