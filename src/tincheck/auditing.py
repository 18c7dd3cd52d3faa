"""The audit of one service's patient-level data: :func:`audit` → :class:`Audit`.

An :class:`Audit` is plain data: exact results (``results``), small tables, warnings
and a description of the data and settings. Renderings (JSON here; HTML and terminal
in :mod:`tincheck.report`) are functions of it, and apply disclosure control on the
way out.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__, disclosure
from . import engine as engines
from .ingest import Dataset, read_dataset
from .metrics import REGISTRY, Period, Result, evaluate
from .metrics.registry import Metric
from .stats.intervals import wilson_interval

COUNT_COLUMNS = ("courses", "eligible", "recovered", "reliably_improved", "n", "lost_end",
                 "lost_follow_up", "end_interviewed", "follow_up_interviewed",
                 "interviewed_n", "all_n", "referrals")


@dataclass
class Audit:
    """The result of an audit: exact numbers, before disclosure control."""

    results: dict[str, Result]
    tables: dict[str, list[dict]]
    warnings: list[str]
    data: dict
    settings: dict
    generated_at: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    # the warnings as published under disclosure control (row counts rounded, no rows)
    public_warnings: list[str] | None = None

    @property
    def metrics(self) -> dict[str, Result]:
        """Metric id → exact :class:`~tincheck.metrics.Result`."""
        return self.results

    def value(self, metric_id: str) -> float | None:
        return self.results[metric_id].value

    def to_json(self, disclosure_control: bool | None = None) -> dict:
        """The ``report.json`` document (disclosure control as set, unless overridden)."""
        control = self.settings["disclosure_control"] if disclosure_control is None \
            else disclosure_control
        metrics = {mid: metric_json(r, control) for mid, r in self.results.items()}
        if control:
            published_costs(metrics)
        return {
            "tincheck_version": __version__,
            "generated_at": self.generated_at,
            "data": self.data,
            "settings": {**self.settings, "disclosure_control": control,
                         "disclosure_rule": disclosure.RULE if control else disclosure.OFF},
            "metrics": metrics,
            "tables": {tid: table_json(tid, rows, control) for tid, rows in self.tables.items()},
            "warnings": list(self.public_warnings if control and self.public_warnings
                             is not None else self.warnings),
        }

    def write_json(self, path: str | Path, disclosure_control: bool | None = None) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(disclosure_control), indent=2, allow_nan=False),
                        encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """A compact table for notebooks (disclosure control as set)."""
        doc = self.to_json()
        rows = []
        for mid, m in doc["metrics"].items():
            rows.append(f"<tr><td>{html.escape(mid)}</td><td>{html.escape(m['label'])}</td>"
                        f"<td style='text-align:right'>{html.escape(format_value(m))}</td></tr>")
        banner = ("<p><b>Synthetic data</b></p>" if self.data.get("synthetic") else "")
        return (f"<div>{banner}<p>tincheck audit of {html.escape(str(self.data.get('path')))}"
                f" ({html.escape(doc['settings']['disclosure_rule'])})</p><table>"
                "<tr><th>metric</th><th>label</th><th>value (95% CI)</th></tr>"
                + "".join(rows) + "</table></div>")


def format_value(m: dict) -> str:
    """A JSON metric as short text: '52% (48-56%)', '123', '*' when suppressed."""
    if m.get("suppressed"):
        return "*"
    value = m.get("value")
    if value is None:
        return "n/a"
    if m["kind"] == "proportion":
        text = f"{value:.0%}"
        if m.get("ci_low") is not None:
            text += f" ({m['ci_low']:.0%}-{m['ci_high']:.0%})"
        return text
    if m["kind"] == "count":
        return f"{value:,}"
    money = m["kind"] == "ratio"
    text = f"£{value:,.0f}" if money else f"{value:,.2f}"
    if m.get("ci_low") is not None:
        low, high = m["ci_low"], m["ci_high"]
        text += f" (£{low:,.0f}-£{high:,.0f})" if money else f" ({low:,.2f} to {high:,.2f})"
    return text


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
            suppressed = disclosure.is_small(num, den)
            num, den = disclosure.round_count(num), disclosure.round_count(den)
            value, low, high = (None, None, None) if suppressed else (
                disclosure.round_rate(value), disclosure.round_rate(low),
                disclosure.round_rate(high))
        out.update(numerator=num, denominator=den)
    elif metric.kind == "count":
        if control:
            suppressed = disclosure.is_small(value)
            value = disclosure.round_count(value)
    elif metric.kind in ("mean", "ratio", "statistic", "effect"):
        n = result.n
        if control:
            suppressed = disclosure.is_small(n) if n is not None else False
            cells = result.extra.get("cells")
            if isinstance(cells, dict):
                # a statistic of a small table (kappa) with its margins could give a
                # suppressed cell away: suppressed when any cell is under 5
                suppressed = suppressed or disclosure.is_small(*cells.values())
            n = disclosure.round_count(n) if n is not None else None
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
        return {k: disclosure.round_count(v) if isinstance(v, int) else v
                for k, v in extra.items()}
    if key in EXTRA_COUNTS:
        return disclosure.round_count(extra)
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
        small = {k for k in COUNT_COLUMNS if k in row and disclosure.is_small(row[k])}
        for key in COUNT_COLUMNS:
            if key in row:
                row[key] = disclosure.round_count(row[key])
        for key in list(row):
            if key.endswith(("_rate", "_ci_low", "_ci_high")) or key in TABLE_STATISTICS:
                stem = key.rsplit("_rate", 1)[0] if key.endswith("_rate") else \
                    key.rsplit("_ci_", 1)[0]
                parts = _rate_parts(stem)
                if small & parts or not parts and small:
                    row[key] = None
                else:
                    row[key] = disclosure.round_rate(row[key])
        if table_id == "diagnostic.representativeness":
            _control_means(row, exact, small)
        row["suppressed"] = bool(small)
        out.append(row)
    return out


# Representativeness: the counts each mean is taken over, and the variables that are
# shares (a mean of 0/1), whose numerator (mean × n) is a count of people.
MEAN_PARTS = {"interviewed_mean": {"interviewed_n"}, "all_mean": {"all_n"},
              "smd": {"interviewed_n", "all_n"}}
SHARE_VARIABLES = ("female", "finished_course")


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
                    hidden |= disclosure.is_small(round(exact[mean_key] * exact[n_key]))
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
    rounded = disclosure.round_count(finding.count)
    count = "fewer than 5 rows" if rounded is None else f"{rounded:,} rows"
    return f"{where}: {count}: {finding.expected}"


def data_coverage(dataset: Dataset) -> dict:
    """The services in the data and the dates its referrals were received between."""
    services = [r[0] for r in dataset.connection.execute(
        "SELECT DISTINCT service_id FROM referrals WHERE service_id IS NOT NULL "
        "ORDER BY 1").fetchall()]
    first, last = dataset.connection.execute(
        "SELECT min(received_date), max(received_date) FROM referrals").fetchone()
    return {"services": services,
            "received": {"first": None if first is None else first.isoformat(),
                         "last": None if last is None else last.isoformat()}}


def interview_recording(dataset: Dataset) -> dict:
    """Which optional interview columns hold any value (the report says what it could
    not show): ``{"interviews_record": {"unblinded": bool, "second_rating": bool}}``."""
    if not dataset.has("interviews"):
        return {}
    unblinded, second = dataset.connection.execute(
        "SELECT count(unblinded), count(second_rating) FROM interviews").fetchone()
    return {"interviews_record": {"unblinded": unblinded > 0, "second_rating": second > 0}}


ASSESSORS = ("independent_blind", "any")
ANY_ASSESSOR_WARNING = ("Interviews by ANY assessor were counted (--assessors any): loss of "
                        "diagnosis here is not judged only by independent, blind assessors.")


def audit(data: str | Path | Dataset, period: str | Period | None = None,
          data_end: str | _dt.date | None = None, engine: str = "duckdb",
          disclosure_control: bool = True, *, assessors: str = "independent_blind",
          usual_self_threshold: float = 90.0, imputations: int = 20,
          imputation_seed: int = 20260101, benchmarks: str | Path | None = None,
          spark_session=None, spark_master: str | None = None,
          spark_staging: str | Path | None = None, key_file=None,
          memory_limit: str | None = None,
          progress: Callable[[str], None] | None = None) -> Audit:
    """Audit a service's patient-level data.

    Parameters
    ----------
    data : a data folder (path) or a :class:`~tincheck.ingest.Dataset`
    period : ``"START:END"`` (inclusive ISO dates) or a Period; default all data.
        Referrals received in the period feed ``funnel.referrals_received``; every
        other metric is over referrals ended in the period.
    data_end : the end of the data, for re-referral windows (default: latest date).
    engine : ``"duckdb"`` (default) or ``"spark"``: the same metric definitions run on
        Spark (``pip install 'tincheck[spark]'``, Java 17). ``spark_session`` reuses
        a session (e.g. Databricks' ``spark``); ``spark_master`` names a cluster;
        ``spark_staging`` is a folder every executor can read (default a temp folder).
    disclosure_control : apply NHS disclosure control to outputs (default True).
    assessors : ``"independent_blind"`` (default: only interviews by independent and
        blind assessors count) or ``"any"`` (every interview; the report says so).
    usual_self_threshold : usual_self_pct counted as back to usual self (default 90).
    imputations, imputation_seed : multiple imputation of missing outcomes (m = 20 by
        default; 0 skips it) and its seed, reported in the result.
    benchmarks : a CSV of extra benchmarks to compare effect sizes with.
    memory_limit : cap on DuckDB's memory when reading ``data`` from a folder, e.g.
        ``"3GB"`` (default ``TINCHECK_MEMORY_LIMIT`` or DuckDB's 80% of RAM); beyond
        it DuckDB spills to a private temporary folder.

    >>> a = audit(example_path())                       # doctest: +SKIP
    >>> round(a.value("official.recovery_rate"), 3)      # doctest: +SKIP
    0.556
    """
    if engine not in engines.ENGINES:
        raise ValueError(f"engine {engine!r}: expected one of {', '.join(engines.ENGINES)}")
    if assessors not in ASSESSORS:
        raise ValueError(f"assessors {assessors!r}: expected one of {', '.join(ASSESSORS)}")
    period = period if isinstance(period, Period) else Period.parse(period)
    if isinstance(data_end, str):
        data_end = _dt.date.fromisoformat(data_end)
    step = progress or (lambda _: None)
    own = not isinstance(data, Dataset)
    step("reading and validating the data")
    dataset = read_dataset(data, key_file=key_file, memory_limit=memory_limit) if own else data
    try:
        with contextlib.ExitStack() as stack:
            backend = dataset.backend
            if engine == "spark":
                step("starting Spark and loading the canonical tables")
                backend = stack.enter_context(engines.spark_backend(
                    dataset, spark_session, master=spark_master, staging=spark_staging))
            evaluation = evaluate(backend, period=period, data_end=data_end,
                                  has_costs=dataset.has("costs"),
                                  any_assessor=assessors == "any",
                                  usual_self_threshold=usual_self_threshold,
                                  imputations=imputations, imputation_seed=imputation_seed,
                                  benchmarks_file=benchmarks, progress=step)
        general = [ANY_ASSESSOR_WARNING] if assessors == "any" else []
        missing = []
        if not dataset.has("interviews"):
            missing.append("No interviews table: loss of diagnosis by independent interview "
                           "cannot be assessed.")
        if not dataset.has("costs"):
            missing.append("No costs table: cost-per-outcome metrics are not computed.")
        warnings = general + [w.sentence() for w in dataset.warnings] + missing
        public = general + [public_sentence(w) for w in dataset.warnings] + missing
        info = {
            "path": str(dataset.path),
            "files": dataset.files,
            "synthetic": dataset.synthetic,
            "period": period.as_dict(),
            "data_end": evaluation.context.data_end.isoformat(),
            "tables_supplied": sorted(dataset.supplied),
            **data_coverage(dataset),
            **interview_recording(dataset),
        }
        if dataset.manifest:
            info["manifest"] = dataset.manifest
        settings = {"engine": engine, "disclosure_control": disclosure_control,
                    "assessors": assessors, "usual_self_threshold": usual_self_threshold,
                    "imputations": imputations, "imputation_seed": imputation_seed,
                    "benchmarks_file": None if benchmarks is None else str(benchmarks)}
        return Audit(evaluation.results, evaluation.tables, warnings, info, settings,
                     public_warnings=public)
    finally:
        if own:
            dataset.close()
