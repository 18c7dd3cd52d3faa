"""Raw study data in a studies file: the cells each ``--measure`` reads, and their checks.

A studies file may give each study's raw data under metafor's ``escalc`` argument names
instead of an effect size: two groups' means and SDs (``SMD``), pre-post means, SDs and
correlation (``SMCR``, ``SMCRH``, ``SMCC``), 2×2 counts (``RR``, ``OR``, ``RD``), a
correlation (``ZCOR``) or a count of events (``PLO``, ``PR``). Every cell is checked
against what the measure needs (a count is a whole number ≥ 0; an SD is > 0; a
correlation lies in −1..1; n is large enough for the measure), and the effect sizes
are computed by :func:`tincheck.stats.effect_sizes.escalc`, as metafor computes them.
"""

from __future__ import annotations

import numpy as np

from ..stats.effect_sizes import escalc
from ..stats.study_effects import COLUMNS, MEASURES, NAMES

RAW_COLUMNS = tuple(sorted({c for sets in COLUMNS.values() for s in sets for c in s}))

_COUNT = dict(low=0, low_open=False, integer=True, expected="a count (a whole number ≥ 0)")
_SD = dict(low=0, expected="a standard deviation greater than 0")
_MEAN = dict(expected="a mean (a number)")
_R = dict(low=-1, high=1, low_open=False, high_open=False,
          expected="a correlation between -1 and 1")
_SMC_N = dict(low=3, low_open=False, integer=True,
              expected="a sample size of at least 3 (Hedges' correction needs n − 1 ≥ 2)")

RULES: dict[str, dict[str, dict]] = {
    "SMD": {"m1i": _MEAN, "m2i": _MEAN, "sd1i": _SD, "sd2i": _SD,
            **{n: dict(low=2, low_open=False, integer=True,
                       expected="a group size of at least 2 (a group's SD needs two people)")
               for n in ("n1i", "n2i")}},
    **{m: {"m1i": _MEAN, "m2i": _MEAN, "sd1i": _SD, "sd2i": _SD, "ni": _SMC_N, "ri": _R}
       for m in ("SMCR", "SMCRH", "SMCC")},
    **{m: {"ai": _COUNT, "bi": _COUNT, "ci": _COUNT, "di": _COUNT,
           **{n: dict(low=1, low_open=False, integer=True,
                      expected="a group size (a whole number ≥ 1)") for n in ("n1i", "n2i")}}
       for m in ("RR", "OR", "RD")},
    "ZCOR": {"ri": dict(low=-1, high=1, expected="a correlation strictly between -1 and 1 "
                        "(Fisher's z of ±1 is infinite)"),
             "ni": dict(low=4, low_open=False, integer=True,
                        expected="a sample size of at least 4 (the variance 1/(n − 3) needs "
                                 "n ≥ 4)")},
    **{m: {"xi": _COUNT, "mi": _COUNT,
           "ni": dict(low=1, low_open=False, integer=True,
                      expected="a sample size (a whole number ≥ 1)")}
       for m in ("PLO", "PR")},
}


def check_measure(measure: str | None) -> str | None:
    """The measure's canonical name, or ValueError listing the measures."""
    if measure is None:
        return None
    key = measure.upper()
    if key not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    return key


def columns_found(measure: str, names) -> tuple[str, ...] | None:
    """The first of the measure's column sets that the header has in full, or None."""
    return next((s for s in COLUMNS[measure] if set(s) <= set(names)), None)


def guess_measures(names) -> list[str]:
    """Measures whose raw columns the header has in full (to suggest ``--measure``)."""
    return [m for m in MEASURES if columns_found(m, names)]


def needed(measure: str) -> str:
    """The measure's columns, in words."""
    return " or ".join(", ".join(s) for s in COLUMNS[measure])


def describe(measure: str) -> str:
    return f"{measure} ({NAMES[measure]})"


def parse_row(cell: dict, row: int, reader, measure: str, names) -> dict | None:
    """The measure's raw values of one row (errors recorded by ``reader``), or None.

    The row uses the first column set whose cells it fills (for counts: ai, bi, ci, di,
    or ai, n1i, ci, n2i).
    """
    sets = [s for s in COLUMNS[measure] if set(s) <= set(names)]
    filled = [s for s in sets if all(cell.get(c, "") for c in s)]
    # a header may lack part of the measure's columns when rows give yi instead
    chosen = filled[0] if filled else (sets[0] if sets else COLUMNS[measure][0])
    before = reader.report.error_count
    for column in chosen:
        if not cell.get(column, ""):
            reader.error(row, column, None, f"a value: {measure} rows need {needed(measure)}")
    if reader.report.error_count > before:
        return None
    values = {}
    for column in chosen:
        rule = dict(RULES[measure][column])
        expected = rule.pop("expected")
        values[column] = reader.number(cell[column], row, column, expected, **rule)
    if reader.report.error_count > before:
        return None
    for events, total in (("ai", "n1i"), ("ci", "n2i"), ("xi", "ni")):
        if events in values and total in values and values[events] > values[total]:
            reader.error(row, events, cell[events],
                         f"a count of events not above {total} (= {cell[total]})")
    for first, second in (("ai", "bi"), ("ci", "di"), ("xi", "mi")):
        if first in values and second in values and values[first] + values[second] == 0:
            reader.error(row, second, cell[second],
                         f"a group of at least one person ({first} + {second} = 0)")
    return values if reader.report.error_count == before else None


def convert(measure: str, rows: list[dict]):
    """yi, vi, n and whether 0.5 was added, for parsed rows (one escalc call per column
    set)."""
    out = [None] * len(rows)
    for column_set in COLUMNS[measure]:
        which = [i for i, r in enumerate(rows) if set(r) == set(column_set)]
        if not which:
            continue
        data = {c: np.array([rows[i][c] for i in which], dtype=float) for c in column_set}
        es = escalc(measure, **data)
        corrected = (np.zeros(len(which), dtype=bool) if es.continuity_corrected is None
                     else np.atleast_1d(es.continuity_corrected))
        for j, i in enumerate(which):
            out[i] = (float(np.atleast_1d(es.estimate)[j]), float(np.atleast_1d(es.variance)[j]),
                      int(np.atleast_1d(es.n)[j]), bool(corrected[j]))
    return out
