"""The metric registry: every metric's id, label, kind, definition and source.

A metric is registered once, with the expression that computes it, by the module of
its family (``funnel``, ``official``, ...). :data:`FAMILIES` lists the families in the
order every output shows them, with the modules that declare each; :data:`REGISTRY`
imports those modules the first time it is read, so it is complete whatever was
imported before. The report, ``report.json``, ``metrics.csv`` and the docs read this
registry; nothing else restates a definition or the order of the families.

Kinds:

- ``proportion``: Σ numerator ÷ Σ denominator over a base table, Wilson 95% interval;
- ``count``: Σ value;
- ``mean``: mean of a value over the rows where a condition holds, t 95% interval
  (and the median);
- ``ratio``: derived from other results after they are computed (cost per outcome);
- ``effect``: a pre-post effect size from the means, SDs and correlation of first and
  last scores over the rows where a condition holds;
- ``statistic``: another statistic derived from other results (kappa), with an interval;
- ``table``: a small table (rows of dicts).

Scalar metrics name their ``base``: the working table they are sums over
(``referrals``: one row per referral; ``diagnostic``: one row per interviewed referral;
``pathway``: one row per referral with the pathway's columns, :mod:`.pathway`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Callable

KINDS = ("proportion", "count", "mean", "effect", "ratio", "statistic", "table")
DERIVED = ("ratio", "statistic")


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


@dataclass(frozen=True)
class Family:
    """A family of metrics: the prefix of its metrics' ids, its title in the report, and
    the modules of :mod:`tincheck.metrics` that declare its metrics."""

    id: str
    title: str
    modules: tuple[str, ...]


# The families, in the order the report, metrics.csv and docs/metrics.md show them.
# A new family is one module here and one line below.
FAMILIES: tuple[Family, ...] = (
    Family("funnel", "What happened to everyone referred", ("funnel",)),
    Family("official", "Official NHS measures", ("official",)),
    Family("itt", "Everyone referred as a case", ("itt",)),
    Family("sensitivity", "Missing data", ("sensitivity", "imputation")),
    Family("diagnostic", "Independent diagnostic outcomes", ("diagnostic",)),
    Family("agreement", "Agreement", ("diagnostic",)),
    Family("effect", "Effect sizes", ("effect",)),
    Family("delivery", "What was delivered", ("delivery", "offered")),
    Family("pathway", "The treatment pathway", ("pathway", "dose", "steps", "engagement")),
    Family("rereferral", "Re-referral", ("rereferral",)),
    Family("value", "Cost per outcome", ("value",)),
    Family("services", "Services compared", ("services",)),
    Family("therapists", "Therapists compared", ("therapists", "competence")),
)
FAMILY_IDS = tuple(f.id for f in FAMILIES)


def family_order(metric_id: str) -> int:
    """The position of a metric's family in :data:`FAMILIES` (unknown families last)."""
    family = metric_id.split(".", 1)[0]
    return FAMILY_IDS.index(family) if family in FAMILY_IDS else len(FAMILY_IDS)


def sort_key(metric_id: str) -> tuple[int, str]:
    """Metrics ordered by family, then by id (docs, definitions, metrics.csv)."""
    return family_order(metric_id), metric_id


class Registry(Mapping):
    """Metric id → :class:`Metric`, family by family in the order of :data:`FAMILIES`,
    and within a family in the order its modules declare them.

    Reading it loads every module named in :data:`FAMILIES` (once); the modules fill
    it through :func:`register` as they are imported, in whatever order they are.
    """

    def __init__(self) -> None:
        self._declared: dict[str, tuple[Metric, str]] = {}  # id → (metric, module)
        self._ordered: dict[str, Metric] = {}
        self._loaded = False

    def add(self, metric: Metric, module: str) -> None:
        if metric.id in self._declared:
            raise ValueError(f"metric {metric.id} registered twice")
        self._declared[metric.id] = (metric, module)

    def _load(self) -> dict[str, Metric]:
        if not self._loaded:
            self._loaded = True  # before importing: a family module may read the registry
            for family in FAMILIES:
                for module in family.modules:
                    importlib.import_module(f"{__package__}.{module}")
        if len(self._ordered) != len(self._declared):
            position = {metric_id: i for i, metric_id in enumerate(self._declared)}

            def order(metric_id: str) -> tuple:
                metric, module = self._declared[metric_id]
                modules = FAMILIES[family_order(metric_id)].modules \
                    if family_order(metric_id) < len(FAMILIES) else ()
                short = module.rsplit(".", 1)[-1]
                return (family_order(metric_id),
                        modules.index(short) if short in modules else len(modules),
                        position[metric_id])

            self._ordered = {i: self._declared[i][0] for i in sorted(self._declared, key=order)}
        return self._ordered

    def __getitem__(self, metric_id: str) -> Metric:
        return self._load()[metric_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def family(self, family: str) -> list[Metric]:
        """The metrics of ``family``, in the order its module declares them."""
        return [m for m in self.values() if m.family == family]


REGISTRY = Registry()


def register(metric: Metric) -> Metric:
    """Add ``metric`` to :data:`REGISTRY`, noting the module that declares it."""
    if metric.kind not in KINDS:
        raise ValueError(f"{metric.id}: unknown kind {metric.kind!r}")
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back  # past the helpers of this module (proportion, count, ...)
    REGISTRY.add(metric, frame.f_globals.get("__name__", "") if frame is not None else "")
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


def effect(id, label, scores, size, definition, source):
    """Register an effect size: ``scores(o)`` gives (first, last, where); ``size`` maps
    the aggregates (dict) to an :class:`~tincheck.stats.effect_sizes.EffectSize`."""
    return register(Metric(id, label, "effect", definition, source, scores,
                           finish=size))


def derived(id, label, kind, derive, definition, source, unit=""):
    """Register a metric derived from other results: ``derive(results, context)``."""
    return register(Metric(id, label, kind, definition, source, derive, "derived", unit))


def ratio(id, label, derive, definition, source, unit=""):
    """Register a ratio derived from other results (cost per outcome)."""
    return derived(id, label, "ratio", derive, definition, source, unit)


def table(id, label, build, definition, source, columns, finish=None, base="referrals"):
    """Register a table: ``build(bases)`` is a grouped expression over the working
    tables (``bases["referrals"]``, ``bases["diagnostic"]``); ``finish(rows)`` adds
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
