"""The metric registry: every metric's id, label, kind, definition and source.

A metric is registered once, with the expression that computes it, by the module of
its family (``funnel``, ``official``, ...). The report, ``report.json`` and the docs
read this registry; nothing else restates a definition.

Kinds:

- ``proportion``: Σ numerator ÷ Σ denominator over a base table, Wilson 95% interval;
- ``count``: Σ value;
- ``mean``: mean of a value over the rows where a condition holds, t 95% interval
  (and the median);
- ``ratio``: derived from other results after they are computed (cost per outcome);
- ``table``: a small table (rows of dicts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

KINDS = ("proportion", "count", "mean", "ratio", "table")


@dataclass(frozen=True)
class Metric:
    """A registered metric. ``compute`` returns its expression(s) over ``base``."""

    id: str
    label: str
    kind: str
    definition: str
    source: str
    compute: Callable | None = None
    base: str = "referrals"
    unit: str = ""
    columns: tuple[tuple[str, str], ...] = ()  # tables: (column, meaning)
    finish: Callable | None = None  # tables: rows -> rows with rates and intervals

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.kind not in KINDS:
        raise ValueError(f"{metric.id}: unknown kind {metric.kind!r}")
    if metric.id in REGISTRY:
        raise ValueError(f"metric {metric.id} registered twice")
    REGISTRY[metric.id] = metric
    return metric


def proportion(id, label, numerator, denominator, definition, source, base="referrals"):
    """Register a proportion: ``numerator(o)`` and ``denominator(o)`` are summed."""
    return register(Metric(id, label, "proportion", definition, source,
                           lambda o: (numerator(o), denominator(o)), base))


def count(id, label, value, definition, source, base="referrals"):
    """Register a count: ``value(o)`` (boolean or integer) is summed."""
    return register(Metric(id, label, "count", definition, source, value, base))


def mean(id, label, value, where, definition, source, base="referrals", unit=""):
    """Register a mean of ``value(o)`` over rows where ``where(o)`` holds."""
    return register(Metric(id, label, "mean", definition, source,
                           lambda o: (value(o), where(o)), base, unit))


def ratio(id, label, derive, definition, source, unit=""):
    """Register a metric derived from other results: ``derive(results, context)``."""
    return register(Metric(id, label, "ratio", definition, source, derive, "derived", unit))


def table(id, label, build, definition, source, columns, finish=None, base="referrals"):
    """Register a table: ``build(o)`` is a grouped expression; ``finish(rows)`` adds
    rates and intervals to its rows."""
    return register(Metric(id, label, "table", definition, source, build, base,
                           columns=tuple(columns), finish=finish))


@dataclass(frozen=True)
class Result:
    """A computed metric, exact (disclosure control is applied only on output)."""

    id: str
    kind: str
    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    median: float | None = None
    sd: float | None = None
    note: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def metric(self) -> Metric:
        return REGISTRY[self.id]
