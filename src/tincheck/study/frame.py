"""The sampling frame: one row per referral of a validated data folder.

The frame is one Ibis expression over the canonical tables (the same building blocks
the audit uses: contacts, first scores, the first treatment step), run once on the
dataset's DuckDB connection. Each referral carries its dates (received, first
treatment, ended), every column a stratum may be formed on, and the characteristics
the sample is compared on (:mod:`tincheck.metrics.balance`).

Strata may be formed on any referral column except the identifiers, or on these
derived columns:

- ``step``: the step of the first treatment contact, ``low`` or ``high``; ``none``
  when the referral has no treatment contact (yet), ``not_recorded`` when its first
  one has no step;
- ``problem_group``: the ICD-10 group of the problem descriptor (depression, gad,
  panic, ... as in the NHS guide, App. A; ``other`` for any other code);
- ``problem_category``: the three-character ICD-10 category (``F32.1`` → ``F32``);
- ``ethnic_group``: the broad group of the NHS ethnic category (white, mixed, asian,
  black, other);
- ``age_band``: 16-24, 25-34, 35-44, 45-54, 55-64, 65+.

A missing value forms its own stratum, ``not_recorded``.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .. import engine
from ..metrics.balance import characteristics, ethnic_group, problem_group
from ..metrics.blocks import Period, Tables, contact_summary, first_step, score_summary
from ..schema import TABLES

IDENTIFIERS = ("referral_id", "client_id")
DERIVED = ("step", "problem_group", "problem_category", "ethnic_group", "age_band")
REFERRAL_COLUMNS = tuple(c for c in TABLES["referrals"].column_names if c not in IDENTIFIERS)
STRATA_COLUMNS = (*REFERRAL_COLUMNS, *DERIVED)
NOT_RECORDED = "not_recorded"
AGE_BANDS = ((16, "16-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"),
             (65, "65+"))
CHARACTERISTIC_PREFIX = "c__"


class StudyError(ValueError):
    """Bad input for a study (one line: what was wrong and what was expected)."""


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    branches = [(age >= low, label) for low, label in reversed(AGE_BANDS)]
    return ibis.cases((age.isnull(), ibis.null("string")), *branches, else_="under 16")


def frame_expression(t: Tables | None = None) -> ir.Table:
    """One row per referral: its columns, dates, derived strata and characteristics."""
    t = t or Tables()
    r = t.referrals
    s = contact_summary(t)
    contacts = s.select("referral_id", "first_treatment_date", "treatment_contacts",
                        first_step=first_step(s))
    scores = score_summary(t).select("referral_id", "phq_first", "gad_first")
    j = r.left_join(contacts, "referral_id").drop("referral_id_right")
    j = j.left_join(scores, "referral_id").drop("referral_id_right")
    treated = j.treatment_contacts.fill_null(0) > 0
    j = j.mutate(
        step=ibis.cases((j.first_step.notnull(), j.first_step), (treated, NOT_RECORDED),
                        else_="none"),
        problem_group=problem_group(j.problem_descriptor),
        problem_category=j.problem_descriptor.substr(0, 3),
        ethnic_group=ethnic_group(j.ethnicity),
        age_band=_age_band(j.age),
    )
    values = {CHARACTERISTIC_PREFIX + k: v for k, v in characteristics(j).items()}
    columns = ["referral_id", *REFERRAL_COLUMNS, "first_treatment_date", *DERIVED]
    return j.select(*columns, **values)


def read_frame(dataset) -> pd.DataFrame:
    """The frame of a :class:`~tincheck.ingest.Dataset`, sorted by referral_id.

    Sorting by the (pseudonymised) id, not by file order, makes the draw depend on
    the data alone.
    """
    backend = dataset.backend
    sql = engine.compiled_sql(backend, "study_frame", frame_expression)
    frame = engine.fetch(backend, sql)
    return frame.sort_values("referral_id", kind="stable").reset_index(drop=True)


def restrict(frame: pd.DataFrame, received: Period | str | None) -> pd.DataFrame:
    """Referrals received within ``received`` (inclusive ISO dates ``START:END``)."""
    if received is None or received == "":
        return frame
    try:
        window = received if isinstance(received, Period) else Period.parse(received)
    except ValueError as exc:
        raise StudyError(f"--received: {exc}") from None
    dates = pd.to_datetime(frame["received_date"]).dt.date
    keep = pd.Series(True, index=frame.index)
    if window.start:
        keep &= dates >= window.start
    if window.end:
        keep &= dates <= window.end
    out = frame[keep].reset_index(drop=True)
    if out.empty:
        first, last = (min(dates), max(dates)) if len(dates) else (None, None)
        seen = f"; the data's referrals were received from {first} to {last}" if first \
            else ""
        raise StudyError(f"no referrals were received in {received}{seen}")
    return out


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return NOT_RECORDED
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or NOT_RECORDED


def check_strata(strata: list[str]) -> list[str]:
    """The stratum columns, checked: known, not identifiers, no repeats."""
    out = []
    for name in strata:
        name = name.strip()
        if not name:
            continue
        if name in IDENTIFIERS:
            raise StudyError(f"--strata {name}: an identifier cannot define strata; use a "
                             f"referral column or one of {', '.join(DERIVED)}")
        if name not in STRATA_COLUMNS:
            raise StudyError(f"--strata {name}: unknown stratum column; expected one of "
                             f"{', '.join(STRATA_COLUMNS)}")
        if name in out:
            raise StudyError(f"--strata {name}: named twice")
        out.append(name)
    return out


def stratum_values(frame: pd.DataFrame, strata: list[str]) -> dict[str, np.ndarray]:
    """Each stratum column's values as text (``not_recorded`` when missing)."""
    out = {}
    for name in strata:
        # format each distinct value once (100,000 referrals have few distinct values)
        codes, uniques = pd.factorize(frame[name], use_na_sentinel=False)
        out[name] = np.array([_text(v) for v in uniques], dtype=object)[codes]
    return out


def stratum_labels(frame: pd.DataFrame, strata: list[str]) -> pd.Series:
    """Each referral's stratum label, ``column=value|column=value`` (``all`` without
    strata); a missing value reads ``not_recorded``."""
    if not strata:
        return pd.Series("all", index=frame.index, dtype=object)
    label = None
    for name, texts in stratum_values(frame, strata).items():
        part = name + "=" + texts
        label = part if label is None else label + "|" + part
    return pd.Series(label, index=frame.index, dtype=object)
