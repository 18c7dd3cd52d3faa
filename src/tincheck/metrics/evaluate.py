"""Evaluate registered metrics on a backend.

The per-referral working table (:func:`~tincheck.metrics.outcomes.referral_outcomes`)
is materialised once on the backend; every proportion, count and mean over it is then
one column of a single aggregate query, so the patient-level data is scanned a fixed
number of times whatever the number of metrics. Tables are one small query each;
ratios are derived in Python from the other results. Intervals are computed here, on
the small aggregates.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field
from typing import Callable

import ibis

from .. import engine
from ..jsonable import jsonable
from ..nice import NiceTables, load_nice_tables
from ..stats.intervals import mean_t_interval, wilson_interval
from . import diagnostic, effect, imputation, pathway, services, therapists
from .blocks import Period, Tables, parameters_sql, parameters_table
from .outcomes import referral_blocks, referral_outcomes
from .registry import DERIVED, REGISTRY, Result


@dataclass
class Context:
    """What derived metrics need beyond other results."""

    period: Period
    data_end: _dt.date
    cost_gbp: float | None = None
    extra: dict = field(default_factory=dict)


def latest_date(backend, t: Tables) -> _dt.date | None:
    """The latest date anywhere in referrals, appointments and measures (one query)."""
    r, a, m = t.referrals, t.appointments, t.measures
    expr = (r.aggregate(received=r.received_date.max(), ended=r.ended_date.max())
            .cross_join(a.aggregate(appointment=a.date.max()))
            .cross_join(m.aggregate(measure=m.date.max())))
    row = engine.fetch(backend, engine.compiled_sql(backend, "latest_date", lambda: expr))
    dates = [_as_date(d) for d in row.iloc[0].tolist() if d is not None and not _isnan(d)]
    return max(dates) if dates else None


def _isnan(value) -> bool:
    try:
        return bool(value != value)
    except TypeError:
        return False


def _as_date(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return value.to_pydatetime().date()  # pandas Timestamp


WORKING = "tincheck_outcomes"
DIAGNOSTIC = "tincheck_diagnostic"
PATHWAY = "tincheck_pathway"
PARAMETERS = "tincheck_parameters"


# Columns the working table is built with but no metric reads: left out of it, so
# that it is narrower to write and to hold (the keys ordering contacts, the scores on
# the ADSM before the anxiety measure is chosen).
INTERNAL = ("first_treatment_key", "first_low_key", "first_high_key", "last_high_key",
            "second_treatment_date", "adsm_n", "adsm_first", "adsm_last")


def working_table(t: Tables | None = None, blocks: dict | None = None):
    """The working-table expression: outcomes, re-referrals and client counts
    (:func:`~tincheck.metrics.outcomes.referral_outcomes`), over ``blocks`` when
    given (see :func:`block_tables`)."""
    t = t or Tables()
    return referral_outcomes(t, parameters_table(), blocks).drop(*INTERNAL)


# The working table's building blocks (outcomes.referral_blocks) are materialised
# under these names, one statement each, then joined, then dropped: that keeps one
# grouping's hash table in memory at a time.
BLOCKS = {name: f"tincheck_block_{name}" for name in ("history", "contacts", "scores",
                                                       "therapy")}


@functools.lru_cache(maxsize=1)
def default_blocks() -> dict:
    """The building blocks' expressions over the canonical tables (built once)."""
    return referral_blocks(Tables())


def block_schema(name: str) -> ibis.Schema:
    """A building block's schema (cached with the compiled SQL)."""
    return engine.cached_schema(f"block:{name}", lambda: default_blocks()[name].schema())


def block_tables() -> dict:
    """The materialised building blocks, as unbound tables under their names."""
    return {name: ibis.table(block_schema(name), name=table) for name, table in BLOCKS.items()}


@functools.lru_cache(maxsize=1)
def default_working_table():
    """:func:`working_table` over the materialised building blocks, built once per
    process.

    Building it takes a while and it is fixed (parameters enter as a table), so its
    schema and its compiled SQL share one build.
    """
    return working_table(blocks=block_tables())


def working_schema() -> ibis.Schema:
    """The working table's schema (cached with the compiled SQL)."""
    return engine.cached_schema("working", lambda: default_working_table().schema())


@functools.lru_cache(maxsize=1)
def diagnostic_working_table():
    """The diagnostic working table over the materialised outcomes table (built once)."""
    return diagnostic.diagnostic_table(Tables(), ibis.table(working_schema(), name=WORKING))


def diagnostic_schema() -> ibis.Schema:
    """The diagnostic working table's schema (cached with the compiled SQL)."""
    return engine.cached_schema("diagnostic", lambda: diagnostic_working_table().schema())


@functools.lru_cache(maxsize=1)
def pathway_working_table():
    """The pathway table over the materialised outcomes and diagnostic tables and the
    NICE lookup tables (built once)."""
    return pathway.pathway_table(Tables(), ibis.table(working_schema(), name=WORKING),
                                 ibis.table(diagnostic_schema(), name=DIAGNOSTIC))


def pathway_schema() -> ibis.Schema:
    """The pathway table's schema (cached with the compiled SQL)."""
    return engine.cached_schema("pathway", lambda: pathway_working_table().schema())


def base_tables() -> dict:
    """The working tables metrics are sums over, as unbound tables with their names."""
    d = ibis.table(diagnostic_schema(), name=DIAGNOSTIC)
    return {"referrals": ibis.table(working_schema(), name=WORKING),
            "diagnostic": d.cross_join(parameters_table()),
            "pathway": ibis.table(pathway_schema(), name=PATHWAY)}


def _key(metric_id: str, part: str) -> str:
    return metric_id.replace(".", "__") + "__" + part


def aggregate_columns(o, metric_ids) -> dict:
    """The aggregate columns computing the scalar metrics ``metric_ids`` over ``o``."""
    columns = {}
    for metric_id in metric_ids:
        metric = REGISTRY[metric_id]
        if metric.kind == "proportion":
            numerator, denominator = metric.compute(o)
            columns[_key(metric_id, "num")] = numerator.cast("int64").sum()
            columns[_key(metric_id, "den")] = denominator.cast("int64").sum()
        elif metric.kind == "count":
            columns[_key(metric_id, "value")] = metric.compute(o).cast("int64").sum()
        elif metric.kind == "mean":
            values, where = metric.compute(o)
            values = values.cast("float64")
            columns[_key(metric_id, "n")] = values.count(where=where)
            columns[_key(metric_id, "mean")] = values.mean(where=where)
            columns[_key(metric_id, "sd")] = values.std(where=where)
            # median of masked values, not median(where=): Ibis 12 compiles the latter
            # for Spark as percentile(x, IF(where, 0.5, NULL)), which Spark rejects
            masked = ibis.cases((where, values), else_=ibis.null("float64"))
            columns[_key(metric_id, "median")] = masked.median()
        elif metric.kind == "effect":
            first, last, where = metric.compute(o)
            first, last = first.cast("float64"), last.cast("float64")
            where = where & first.notnull() & last.notnull()
            columns[_key(metric_id, "n")] = first.count(where=where)
            columns[_key(metric_id, "mean_first")] = first.mean(where=where)
            columns[_key(metric_id, "mean_last")] = last.mean(where=where)
            columns[_key(metric_id, "var_first")] = first.var(where=where)
            columns[_key(metric_id, "var_last")] = last.var(where=where)
            columns[_key(metric_id, "var_change")] = (first - last).var(where=where)
    return columns


def _effect_result(metric_id: str, row: dict) -> Result:
    metric = REGISTRY[metric_id]
    summary = effect.aggregates_to_summary(
        {k: _number(v) for k, v in row.items()}, lambda part: _key(metric_id, part))
    extra = {k: summary[k] for k in ("mean_first", "mean_last", "sd_first", "sd_last", "r")}
    needed = ("mean_first", "mean_last", "sd_first", "sd_last", "sd_change", "r")
    if summary["n"] < 3 or any(summary[k] in (None, 0) for k in needed if k != "r") \
            or summary["r"] is None:
        return Result(metric_id, "effect", None, n=summary["n"], extra=extra,
                      note="fewer than three pairs, or no variation")
    size = metric.finish(summary)
    value = _number(size.estimate)
    return Result(metric_id, "effect", value, n=summary["n"],
                  ci_low=_number(size.ci_low), ci_high=_number(size.ci_high),
                  extra={**extra, "se": _number(size.se), "method": size.method})


def _number(value, kind=float):
    if value is None or _isnan(value):
        return None
    return kind(value)


def results_from_row(row: dict, metric_ids) -> dict[str, Result]:
    """Turn one aggregate row into exact results with their intervals."""
    out = {}
    for metric_id in metric_ids:
        kind = REGISTRY[metric_id].kind
        if kind == "proportion":
            num = _number(row[_key(metric_id, "num")], int) or 0
            den = _number(row[_key(metric_id, "den")], int) or 0
            low, high = wilson_interval(num, den) if den else (None, None)
            out[metric_id] = Result(metric_id, kind, num / den if den else None, num, den,
                                    ci_low=low, ci_high=high)
        elif kind == "count":
            out[metric_id] = Result(metric_id, kind, _number(row[_key(metric_id, "value")],
                                                             int) or 0)
        elif kind == "mean":
            n = _number(row[_key(metric_id, "n")], int) or 0
            mean = _number(row[_key(metric_id, "mean")])
            sd = _number(row[_key(metric_id, "sd")])
            low, high = mean_t_interval(mean, sd, n) if n > 1 and sd is not None \
                else (None, None)
            out[metric_id] = Result(metric_id, kind, mean, n=n, sd=sd,
                                    median=_number(row[_key(metric_id, "median")]),
                                    ci_low=_number(low), ci_high=_number(high))
        elif kind == "effect":
            out[metric_id] = _effect_result(metric_id, row)
    return out


def table_rows(backend, bases, metric_id: str) -> list[dict]:
    metric = REGISTRY[metric_id]
    frame = engine.fetch(backend, engine.compiled_sql(backend, f"table:{metric_id}",
                                                      lambda: metric.compute(bases)))
    rows = [jsonable(record) for record in frame.to_dict("records")]
    return metric.finish(rows) if metric.finish else rows


def cost_in_period(backend, t: Tables, period: Period) -> float | None:
    """Spend in the period: cost rows pro rata by the days they overlap it."""
    c = t.costs
    if period.start is None and period.end is None:
        total = backend.execute(c.cost_gbp.sum())
        return _number(total)
    start = ibis.literal(period.start) if period.start else c.period_start
    end = ibis.literal(period.end) if period.end else c.period_end
    lo = ibis.greatest(c.period_start, start)
    hi = ibis.least(c.period_end, end)
    days = c.period_end.delta(c.period_start, unit="day") + 1
    overlap = hi.delta(lo, unit="day") + 1
    share = ibis.greatest(overlap, 0).cast("float64") / days.cast("float64")
    return _number(backend.execute((c.cost_gbp * share).sum()))


@dataclass
class Evaluation:
    results: dict[str, Result]
    tables: dict[str, list[dict]]
    context: Context


def evaluate(backend, t: Tables | None = None, period: Period | None = None,
             data_end: _dt.date | None = None, *, has_costs: bool = False,
             any_assessor: bool = False, usual_self_threshold: float = 90.0,
             imputations: int = imputation.DEFAULT_M,
             imputation_seed: int = imputation.DEFAULT_SEED, benchmarks_file=None,
             nice: NiceTables | None = None,
             therapist_min_cases: int = therapists.MIN_CASES,
             progress: Callable[[str], None] | None = None,
             extra_results: Callable | None = None) -> Evaluation:
    """Compute every registered metric on ``backend`` (a connected Ibis backend).

    ``nice`` holds the NICE dose and first-step tables the pathway metrics apply
    (default: tincheck's, :func:`tincheck.nice.load_nice_tables`).
    ``extra_results(backend, bases, context)`` may add results computed elsewhere
    (multiple imputation) before derived metrics are computed.
    """
    t = t or Tables()
    nice = nice or load_nice_tables()
    period = period or Period()
    step = progress or (lambda _: None)
    data_end = data_end or latest_date(backend, t) or _dt.date.today()
    context = Context(period, data_end)
    context.extra.update(any_assessor=any_assessor, usual_self_threshold=usual_self_threshold,
                         imputations=imputations, imputation_seed=imputation_seed,
                         benchmarks_file=benchmarks_file, nice=nice,
                         therapist_min_cases=therapist_min_cases)
    step("building the per-referral working table")
    engine.materialise(backend, PARAMETERS, parameters_sql(
        period, data_end, any_assessor=any_assessor,
        usual_self_threshold=usual_self_threshold))
    made = [PARAMETERS]
    try:
        for name, sql in ((pathway.NICE_DOSE, nice.dose_sql()),
                          (pathway.NICE_STEPS, nice.steps_sql())):
            engine.materialise(backend, name, sql)
            made.append(name)
        for name, table in BLOCKS.items():
            engine.materialise(backend, table, engine.compiled_sql(
                backend, f"block:{name}", lambda name=name: default_blocks()[name]))
            made.append(table)
        engine.materialise(backend, WORKING,
                           engine.compiled_sql(backend, "working", default_working_table),
                           compress=True)
        made.append(WORKING)
        for table in BLOCKS.values():
            engine.drop(backend, table)
        engine.compress(backend)  # once the blocks are gone: less memory at once
        step("building the interview table")
        engine.materialise(backend, DIAGNOSTIC,
                           engine.compiled_sql(backend, "diagnostic", diagnostic_working_table),
                           compress=True)
        engine.compress(backend)
        made.append(DIAGNOSTIC)
        step("building the pathway table")
        engine.materialise(backend, PATHWAY,
                           engine.compiled_sql(backend, "pathway", pathway_working_table),
                           compress=True)
        engine.compress(backend)
        made.append(PATHWAY)
        bases = base_tables()
        results: dict[str, Result] = {}
        step("computing metrics")
        for base, table in bases.items():
            scalar = tuple(m for m, metric in REGISTRY.items()
                           if metric.kind in ("proportion", "count", "mean", "effect")
                           and metric.base == base)
            sql = engine.compiled_sql(
                backend, f"aggregate:{base}:" + ",".join(scalar),
                lambda table=table, scalar=scalar: table.aggregate(
                    **aggregate_columns(table, scalar)))
            row = engine.fetch(backend, sql).iloc[0].to_dict()
            results.update(results_from_row(row, scalar))
        tables = {m: table_rows(backend, bases, m) for m, metric in REGISTRY.items()
                  if metric.kind == "table" and metric.base != "derived"}
        if has_costs:
            context.cost_gbp = cost_in_period(backend, t, period)
        for hook, doing in ((imputation.compute, "multiple imputation"),
                            (services.compute, "comparing services"),
                            (therapists.compute, "therapist effects and competence"),
                            (extra_results, "further results")):
            if hook is not None:
                step(doing)
                more_results, more_tables = hook(backend, bases, context)
                results.update(more_results)
                tables.update(more_tables)
        for metric_id, metric in REGISTRY.items():
            if metric.kind in DERIVED:
                results[metric_id] = metric.compute(results, context)
        for metric_id, metric in REGISTRY.items():
            if metric.kind == "table" and metric.base == "derived":
                tables[metric_id] = metric.compute(results, context)
    finally:
        for name in reversed(made):
            engine.drop(backend, name)
    return Evaluation(results, tables, context)
