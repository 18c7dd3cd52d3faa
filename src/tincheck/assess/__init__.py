"""``tincheck assess``: a web app in which blind assessors record diagnostic interviews.

A small Django application for an independent outcome study. Coordinators load the
study sample (``tincheck study sample``), assign each scheduled interview to an
assessor and follow progress; assessors see only the interviews assigned to them (a
study id, a time point and its window) and record them; analysts export the canonical
interviews table that ``tincheck audit`` reads. Every write goes through
:mod:`tincheck.assess.services`, which appends an event to a hash-chained, append-only
audit trail in the same transaction. ``docs/assess.md`` describes how to run a study.

The app shares the code lists of :mod:`tincheck.codes` with the rest of tincheck and
nothing else. It needs the optional extra: ``pip install 'tincheck[assess]'``.
"""

from __future__ import annotations

EXTRA_MISSING = ("the interview app needs the optional extra: pip install 'tincheck[assess]' "
                 "(Django, argon2-cffi, psycopg, waitress, whitenoise)")


class AssessError(Exception):
    """A problem the user can fix (bad study folder, bad file, bad argument): the
    message says what and how; the command line prints it and exits with status 2."""


def require_extra() -> None:
    """Raise :class:`AssessError` with the install command when the extra is missing."""
    try:
        import argon2  # noqa: F401
        import django  # noqa: F401
    except ImportError:
        raise AssessError(EXTRA_MISSING) from None
