"""NHS-number detection and keyed pseudonyms, in Python and in SQL."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from tincheck import pseudonymise as ps


def nhs_number(nine_digits: str) -> str | None:
    """Complete nine digits with the modulus-11 check digit (None if invalid)."""
    total = sum(int(d) * w for d, w in zip(nine_digits, range(10, 1, -1)))
    check = (11 - total % 11) % 11
    return None if check == 10 else nine_digits + str(check)


def test_known_valid_and_invalid_numbers():
    # NHS Data Dictionary worked example: 943 476 5919 is valid.
    assert ps.is_nhs_number("9434765919")
    assert ps.is_nhs_number("943 476 5919") and ps.is_nhs_number("943-476-5919")
    assert not ps.is_nhs_number("9434765918")  # wrong check digit
    assert not ps.is_nhs_number("94347659190") and not ps.is_nhs_number("R01")
    # check digit 10 is never valid: 000000001x has sum 2 -> 11 - 2 = 9, fine; find a 10
    nine = next(f"{i:09d}" for i in range(1, 10**5) if nhs_number(f"{i:09d}") is None)
    assert not any(ps.is_nhs_number(nine + str(d)) for d in range(10))
    # a sum divisible by 11 gives check digit 0 (11 -> 0)
    assert ps.is_nhs_number(nhs_number("000000011") or "")


def test_sql_pseudonym_equals_python_hmac():
    key = b"a key of my own"
    con = duckdb.connect()
    got = con.execute(f"SELECT {ps.pseudonym_sql(repr('943 476 5919'), key)}").fetchone()[0]
    expected = "p_" + hmac.new(key, b"9434765919", hashlib.sha256).hexdigest()[:24]
    assert got == expected == ps.pseudonym("9434765919", key)


def test_long_keys_are_hashed_first_as_rfc2104_says():
    key = b"k" * 100
    con = duckdb.connect()
    got = con.execute(f"SELECT {ps.pseudonym_sql(repr('9434765919'), key)}").fetchone()[0]
    assert got == "p_" + hmac.new(key, b"9434765919", hashlib.sha256).hexdigest()[:24]


def test_mask_withholds_embedded_numbers():
    assert ps.mask("9434765919") == ps.WITHHELD
    assert ps.mask("patient 943 476 5919 seen") == ps.WITHHELD
    assert ps.mask("1234567890") == "1234567890"  # not a valid NHS number
    assert ps.mask_text("id 9434765919, age 40") == "id [NHS number withheld], age 40"


def test_key_sources(tmp_path, monkeypatch):
    monkeypatch.delenv(ps.KEY_ENV, raising=False)
    monkeypatch.delenv(ps.KEY_FILE_ENV, raising=False)
    assert ps.find_key() is None
    monkeypatch.setenv(ps.KEY_ENV, "from-env")
    assert ps.find_key() == b"from-env"
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    assert ps.find_key(key_file) == b"from-file"
    with pytest.raises(ps.PseudonymKeyError, match="empty"):
        (tmp_path / "empty").write_text("")
        ps.find_key(tmp_path / "empty")
