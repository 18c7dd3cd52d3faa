"""Pseudonymisation of NHS numbers at ingest (keyed HMAC-SHA256).

A column that holds NHS numbers (10 digits with a valid modulus-11 check digit, written
plainly or in the 3-3-4 layout with spaces, hyphens, dots or slashes), or is named
``nhs_number``, is replaced at ingest by keyed pseudonyms. The key comes from
the ``TINCHECK_PSEUDONYM_KEY`` environment variable, or from a key file (argument, or
the ``TINCHECK_PSEUDONYM_KEY_FILE`` variable). The raw value is never written anywhere.

The HMAC is computed inside the query engine (SQL ``sha256`` over blobs), so no raw
value is copied into Python objects, caches or logs.

References: NHS Data Dictionary, *NHS Number* (modulus 11 check); RFC 2104, HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

KEY_ENV = "TINCHECK_PSEUDONYM_KEY"
KEY_FILE_ENV = "TINCHECK_PSEUDONYM_KEY_FILE"
PSEUDONYM_PREFIX = "p_"
PSEUDONYM_HEX_CHARS = 24  # 96 bits: collisions are negligible at national scale

# Separators allowed between the 3-3-4 groups of an NHS number: the same set in the
# Python and the SQL forms, and the same set removed before a pseudonym is computed,
# so ``943.476.5919`` and ``9434765919`` get the same pseudonym.
_SEP = "[ ./-]"
_SEP_PY = r"[\s./-]"  # Python's checks also allow a tab or other white space
_NHS_SHAPE = re.compile(rf"^\s*(\d{{3}}){_SEP_PY}?(\d{{3}}){_SEP_PY}?(\d{{4}})\s*$")
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


class PseudonymKeyError(Exception):
    """No pseudonymisation key is available but the data holds NHS numbers."""


def is_nhs_number(value: object) -> bool:
    """Whether ``value`` is a 10-digit NHS number with a valid modulus-11 check digit.

    Check digit = 11 − (Σ digitᵢ · (11 − i) mod 11) for i = 1..9; 11 becomes 0 and 10
    is invalid (NHS Data Dictionary). Spaces, hyphens, dots or slashes in the 3-3-4
    layout are allowed.

    >>> is_nhs_number("943 476 5919"), is_nhs_number("943/476/5919"), is_nhs_number("9434765918")
    (True, True, False)
    """
    if value is None:
        return False
    match = _NHS_SHAPE.match(str(value))
    if match is None:
        return False
    digits = "".join(match.groups())
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nhs_number_sql(column_sql: str) -> str:
    """A SQL predicate, true where ``column_sql`` holds a valid NHS number.

    The same rule as :func:`is_nhs_number`. The weighted sum is a list lambda over
    the nine digits rather than nine spelled-out terms: the statement plans about
    seven times faster, which matters when every text column of every file is checked.
    """
    text = f"trim(CAST({column_sql} AS VARCHAR))"
    digits = f"regexp_replace({text}, '{_SEP}', '', 'g')"
    weighted = (f"list_sum(list_transform(range(1, 10), "
                f"lambda i: (ascii({digits}[i]) - 48) * (11 - i)))")
    # check digit = (11 - sum mod 11) mod 11; a result of 10 never equals a digit
    return (f"(regexp_full_match({text}, '\\d{{3}}{_SEP}?\\d{{3}}{_SEP}?\\d{{4}}') "
            f"AND (11 - {weighted} % 11) % 11 = ascii({digits}[10]) - 48)")


def contains_nhs_number_sql(column_sql: str) -> str:
    """A SQL predicate, true where ``column_sql`` holds or contains an NHS number.

    Candidates are runs of digits and separators 10 to 12 characters long; each
    is checked with :func:`nhs_number_sql`. A reference such as ``REF-9434765919``
    or a note naming a number counts, so that free text cannot carry one out.
    """
    text = f"CAST({column_sql} AS VARCHAR)"
    candidates = f"regexp_extract_all({text}, '[0-9][0-9 ./-]{{8,10}}[0-9]')"
    return f"(len(list_filter({candidates}, lambda m: {nhs_number_sql('m')})) > 0)"


def find_key(key_file: str | os.PathLike | None = None) -> bytes | None:
    """The pseudonymisation key, or None when none is configured.

    Order: ``key_file``; the ``TINCHECK_PSEUDONYM_KEY`` variable; the file named by
    ``TINCHECK_PSEUDONYM_KEY_FILE``. A key file that cannot be read is an error.
    """
    path = key_file
    if path is None and os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    path = path or os.environ.get(KEY_FILE_ENV)
    if not path:
        return None
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise PseudonymKeyError(f"cannot read the pseudonym key file {path}: "
                                f"{exc.strerror}") from None
    if not key:
        raise PseudonymKeyError(f"the pseudonym key file {path} is empty")
    return key


def missing_key_message(file: str) -> str:
    return (
        f"{file} holds NHS numbers, which tincheck replaces with keyed pseudonyms at "
        f"ingest, but no key is set: set the environment variable {KEY_ENV} to a secret "
        f"of your own, or pass --key-file (or set {KEY_FILE_ENV}) naming a file that "
        "holds it. Keep the same key to link pseudonyms across extracts."
    )


def pseudonym(value: str, key: bytes) -> str:
    """The pseudonym of one value (Python twin of :func:`pseudonym_sql`, for tests).

    pseudonym = "p_" + first 24 hex characters of HMAC-SHA256(key, value with spaces,
    hyphens, dots and slashes removed) (RFC 2104).
    """
    normalised = re.sub(_SEP, "", str(value).strip())
    digest = hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]


def _pads(key: bytes) -> tuple[bytes, bytes]:
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym_sql(column_sql: str, key: bytes) -> str:
    """SQL computing :func:`pseudonym` of ``column_sql`` (NULL stays NULL).

    HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), RFC 2104.
    """
    ipad, opad = _pads(key)
    value = f"regexp_replace(trim(CAST({column_sql} AS VARCHAR)), '{_SEP}', '', 'g')"
    inner = f"unhex(sha256(from_hex('{ipad.hex()}') || encode({value})))"
    outer = f"sha256(from_hex('{opad.hex()}') || {inner})"
    return (
        f"CASE WHEN {column_sql} IS NULL THEN NULL "
        f"ELSE '{PSEUDONYM_PREFIX}' || substr({outer}, 1, {PSEUDONYM_HEX_CHARS}) END"
    )


_CANDIDATE = re.compile(rf"(?<!\d)\d{{3}}{_SEP_PY}?\d{{3}}{_SEP_PY}?\d{{4}}(?!\d)")
# the cheap SQL pre-filter: only values with ten digits in the 3-3-4 layout can hold one
CANDIDATE_SQL = f"[0-9]{{3}}{_SEP}?[0-9]{{3}}{_SEP}?[0-9]{{4}}"
WITHHELD = "(withheld: looks like an NHS number)"


def mask(value: object) -> str:
    """``value`` as text for a message, withheld when it holds an NHS number.

    >>> mask("9434765919"), mask("F41.1")
    ('(withheld: looks like an NHS number)', 'F41.1')
    """
    text = str(value)
    if any(is_nhs_number(m.group(0)) for m in _CANDIDATE.finditer(text)):
        return WITHHELD
    return text


def mask_text(text: str) -> str:
    """``text`` with every embedded NHS number replaced by a placeholder."""
    return _CANDIDATE.sub(
        lambda m: "[NHS number withheld]" if is_nhs_number(m.group(0)) else m.group(0), text)
