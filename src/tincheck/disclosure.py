"""Statistical disclosure control, applied to every output (on by default).

The NHS rules for published Talking Therapies data (NHS Digital 2021 guide, §9):
counts under 5 are suppressed; other counts below national level are rounded to the
nearest 5; rates are computed from unrounded numbers and suppressed when their
numerator or denominator is under 5; rates are shown to whole percents below national
level. Computation always uses exact counts; only outputs are controlled.

The rules as applied to the audit's ``report.json`` (:meth:`tincheck.Audit.to_json`):
each metric (:func:`metric_json`), each table (:func:`table_json`), cost per outcome
(:func:`published_costs`) and validation warnings (:func:`public_sentence`).
"""

from __future__ import annotations

import math

from .metrics import REGISTRY, Result, balance
from .metrics.registry import Metric
from .stats.intervals import wilson_interval

THRESHOLD = 5
ROUND_TO = 5
RULE = ("Disclosure control: counts under 5 suppressed (*), other counts rounded to the "
        "nearest 5; rates computed from unrounded counts, suppressed when their numerator "
        "or denominator is under 5, and shown to whole percents.")
OFF = "Disclosure control is OFF: exact small counts are shown. For internal use only."


def round_count(n: int | None) -> int | None:
    """``n`` rounded to the nearest 5 (halves up); None when ``n`` < 5 (suppressed).

    >>> round_count(3), round_count(7), round_count(12), round_count(13)
    (None, 5, 10, 15)
    """
    if n is None:
        return None
    if n < THRESHOLD:
        return None
    return int(math.floor(n / ROUND_TO + 0.5) * ROUND_TO)


def round_rate(value: float | None, digits: int = 2) -> float | None:
    """A rate to whole percents (2 decimals as a proportion)."""
    return None if value is None else round(value, digits)


def is_small(*counts: int | None) -> bool:
    """Whether any of ``counts`` is under the threshold (a missing count is not small)."""
    return any(c is not None and c < THRESHOLD for c in counts)


# ------------------------------------------------------------------ report.json

COUNT_COLUMNS = ("courses", "eligible", "recovered", "reliably_improved", "n", "lost_end",
                 "lost_follow_up", "end_interviewed", "follow_up_interviewed",
                 "interviewed_n", "all_n", "referrals")


def metric_json(result: Result, control: bool) -> dict:
    """One metric for report.json, with disclosure control applied when ``control``."""
    metric: Metric = REGISTRY[result.id]
    out = {"label": metric.label, "kind": metric.kind, "definition": metric.definition,
           "source": metric.source}
    if metric.unit:
        out["unit"] = metric.unit
    value, low, high = result.value, result.ci_low, result.ci_high
    suppressed = False
    if metric.kind == "proportion":
        num, den = result.numerator, result.denominator
        if control:
            suppressed = is_small(num, den)
            num, den = round_count(num), round_count(den)
            value, low, high = (None, None, None) if suppressed else (
                round_rate(value), round_rate(low),
                round_rate(high))
        out.update(numerator=num, denominator=den)
    elif metric.kind == "count":
        if control:
            suppressed = is_small(value)
            value = round_count(value)
    elif metric.kind in ("mean", "ratio", "statistic", "effect"):
        n = result.n
        if control:
            suppressed = is_small(n) if n is not None else False
            cells = result.extra.get("cells")
            if isinstance(cells, dict):
                # a statistic of a small table (kappa) with its margins could give a
                # suppressed cell away: suppressed when any cell is under 5
                suppressed = suppressed or is_small(*cells.values())
            n = round_count(n) if n is not None else None
            if suppressed:
                value = low = high = None
            elif metric.kind == "mean":  # an exact mean can give away its exact n
                value, low, high = (_round(x, 2) for x in (value, low, high))
        out["n"] = n
        if metric.kind == "mean":
            out["median"] = None if suppressed else result.median
            out["sd"] = None if suppressed else (
                _round(result.sd, 2) if control else result.sd)
    out.update(value=value, ci_low=low, ci_high=high, suppressed=suppressed)
    if result.note:
        out["note"] = result.note
    for key, extra in result.extra.items():
        if control:
            extra = _extra_json(key, extra, suppressed)
        out.setdefault(key, extra)
    return out


# Extras that are counts of people (rounded like any count), and extras that are
# settings rather than results (kept even when the metric is suppressed).
EXTRA_COUNTS = ("cases", "missing_last_scores")
EXTRA_SETTINGS = ("m", "seed", "method", "scale", "imputed_columns", "cost_gbp", "over",
                  "cells")


EXTRA_MEANS = ("mean_first", "mean_last", "sd_first", "sd_last")


def _extra_json(key: str, extra, suppressed: bool):
    """A metric's extra value under disclosure control."""
    if isinstance(extra, dict):  # cell counts (the kappa 2 x 2 table)
        return {k: round_count(v) if isinstance(v, int) else v
                for k, v in extra.items()}
    if key in EXTRA_COUNTS:
        return round_count(extra)
    if suppressed and key not in EXTRA_SETTINGS:
        return None  # e.g. the means and SDs behind a suppressed effect size
    if key in EXTRA_MEANS:
        return _round(extra, 2)
    return extra


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def published_costs(metrics: dict) -> None:
    """Cost per outcome recomputed from the published counts, so that it gives away no
    exact count (spend ÷ an exact count would): spend ÷ (Ê × p̂), p̂ = rounded numerator
    ÷ rounded denominator of the outcome's share, interval from p̂'s Wilson interval on
    those counts (Ê = rounded count of ended referrals). Changes ``metrics`` (the
    report.json metrics) in place."""
    ended = (metrics.get("funnel.referrals_ended") or {}).get("value")
    for m in metrics.values():
        cost = m.get("cost_gbp")
        if m.get("kind") != "ratio" or cost is None or m.get("value") is None:
            continue
        if not m.get("over"):
            m.update(value=cost / ended if ended else None, ci_low=None, ci_high=None)
            continue
        share = metrics.get(m["over"]) or {}
        k, n = share.get("numerator"), share.get("denominator")
        if not ended or share.get("suppressed") or not k or not n:
            m.update(value=None, ci_low=None, ci_high=None,
                     suppressed=bool(share.get("suppressed")))
            continue
        low, high = wilson_interval(k, n)
        m.update(value=cost / (ended * k / n), ci_low=cost / (ended * high),
                 ci_high=cost / (ended * low) if low else None)


# Statistics in table rows, suppressed with the row's counts like a rate.
TABLE_STATISTICS = ("kappa",)


def table_json(table_id: str, rows: list[dict], control: bool) -> list[dict]:
    """A table for report.json: counts rounded or suppressed, rates suppressed when small."""
    if not control:
        return rows
    out = []
    for exact in rows:
        row = dict(exact)
        small = {k for k in COUNT_COLUMNS if k in row and is_small(row[k])}
        for key in COUNT_COLUMNS:
            if key in row:
                row[key] = round_count(row[key])
        for key in list(row):
            if key.endswith(("_rate", "_ci_low", "_ci_high")) or key in TABLE_STATISTICS:
                stem = key.rsplit("_rate", 1)[0] if key.endswith("_rate") else \
                    key.rsplit("_ci_", 1)[0]
                parts = _rate_parts(stem)
                if small & parts or not parts and small:
                    row[key] = None
                else:
                    row[key] = round_rate(row[key])
        if table_id == "diagnostic.representativeness":
            _control_means(row, exact, small)
        row["suppressed"] = bool(small)
        out.append(row)
    return out


# Representativeness: the counts each mean is taken over, and the variables that are
# shares (a mean of 0/1), whose numerator (mean × n) is a count of people.
MEAN_PARTS = {"interviewed_mean": {"interviewed_n"}, "all_mean": {"all_n"},
              "smd": {"interviewed_n", "all_n"}}
SHARE_VARIABLES = (*balance.SHARES, "finished_course")


def _control_means(row: dict, exact: dict, small: set[str]) -> None:
    """Suppress means over fewer than 5 people, and shares whose numerator is under 5;
    round the rest to 2 decimals (an exact mean can give away its exact n)."""
    for key, parts in MEAN_PARTS.items():
        if key not in row:
            continue
        hidden = bool(small & parts)
        if row.get("variable") in SHARE_VARIABLES:
            for mean_key, n_key in (("interviewed_mean", "interviewed_n"),
                                    ("all_mean", "all_n")):
                if (mean_key == key or key == "smd") and exact.get(mean_key) is not None \
                        and exact.get(n_key) is not None:
                    hidden |= is_small(round(exact[mean_key] * exact[n_key]))
        if hidden:
            small.add(key)
        row[key] = None if hidden or row[key] is None else round(row[key], 2)
    if "smd" in small and "flag" in row:
        row["flag"] = None


def _rate_parts(stem: str) -> set[str]:
    """The count columns a table rate is made of (for suppression)."""
    return {"recovery": {"recovered", "eligible"},
            "reliable_improvement": {"reliably_improved", "courses"},
            "lost_end": {"lost_end", "n"},
            "lost_follow_up": {"lost_follow_up", "n"}}.get(stem, set())


def public_sentence(finding) -> str:
    """A validation warning under disclosure control: its row count rounded to 5 (or
    'fewer than 5'), without row numbers or values.

    >>> from tincheck.ingest.findings import Example, Finding
    >>> public_sentence(Finding("warning", "r", "referrals.csv", "referral_id",
    ...                         "referrals with no appointments", 3, (Example(8),)))
    'referrals.csv, column referral_id: fewer than 5 rows: referrals with no appointments'
    """
    where = finding.file + (f", column {finding.column}" if finding.column else "")
    if not any(e.row is not None for e in finding.examples):
        return f"{where}: {finding.expected}"
    rounded = round_count(finding.count)
    count = "fewer than 5 rows" if rounded is None else f"{rounded:,} rows"
    return f"{where}: {count}: {finding.expected}"
