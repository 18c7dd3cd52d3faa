"""The audit of one service's patient-level data: :func:`audit` → :class:`Audit`.

An :class:`Audit` is plain data: exact results (``results``), small tables, warnings
and a description of the data and settings. Its three jobs live in three places: this
module runs the audit; :mod:`tincheck.disclosure` applies disclosure control on the
way out (:meth:`Audit.to_json`); :mod:`tincheck.report` presents the controlled
document (HTML, CSV, terminal, notebooks).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from . import __version__, disclosure
from . import engine as engines
from .disclosure import metric_json, public_sentence, published_costs, table_json
from .errors import MemoryLimitError, SettingError
from .ingest import Dataset, read_dataset
from .jsonable import jsonable
from .metrics import Period, Result, evaluate, needs
from .nice import load_nice_tables
from .notices import ANY_ASSESSOR_WARNING
from .outputs import write_text


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
    # what absent optional data left out, and why (tincheck.metrics.needs.unmet)
    not_computed: list[dict] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, Result]:
        """Metric id → exact :class:`~tincheck.metrics.Result`."""
        return self.results

    def value(self, metric_id: str) -> float | None:
        return self.results[metric_id].value

    def to_json(self, disclosure_control: bool | None = None) -> dict:
        """The ``report.json`` document (disclosure control as set, unless overridden):
        plain JSON values throughout (a statistic that could not be estimated, NaN in a
        model's output, is null)."""
        control = self.settings["disclosure_control"] if disclosure_control is None \
            else disclosure_control
        metrics = {mid: metric_json(r, control) for mid, r in self.results.items()}
        if control:
            published_costs(metrics)
        return jsonable({
            "tincheck_version": __version__,
            "generated_at": self.generated_at,
            "data": self.data,
            "settings": {**self.settings, "disclosure_control": control,
                         "disclosure_rule": disclosure.RULE if control else disclosure.OFF},
            "metrics": metrics,
            "tables": {tid: table_json(tid, rows, control) for tid, rows in self.tables.items()},
            "warnings": list(self.public_warnings if control and self.public_warnings
                             is not None else self.warnings),
            "not_computed": [dict(entry) for entry in self.not_computed],
        })

    def write_json(self, path: str | Path, disclosure_control: bool | None = None) -> Path:
        return write_text(Path(path), json.dumps(self.to_json(disclosure_control), indent=2,
                                                 allow_nan=False))

    def _repr_html_(self) -> str:
        """A compact table for notebooks (disclosure control as set)."""
        from .report.audit.notebook import notebook_html  # the audit runs without renderers

        return notebook_html(self.to_json())


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


def check_data_end(dataset: Dataset, data_end: _dt.date) -> None:
    """``data_end`` may not lie before a referral was received or ended: the data would
    then run past its own end (a re-referral window would be negative)."""
    latest = dataset.connection.execute(
        "SELECT greatest(max(received_date), max(ended_date)) FROM referrals").fetchone()[0]
    if latest is not None and data_end < latest:
        raise SettingError("data_end", data_end.isoformat(),
                           f"before the data: referrals were received or ended up to "
                           f"{latest.isoformat()}; give a date on or after it (or none, "
                           "for the latest date in the data)")


ASSESSORS = ("independent_blind", "any")


def audit(data: str | Path | Dataset, period: str | Period | None = None,
          data_end: str | _dt.date | None = None, engine: str = "duckdb",
          disclosure_control: bool = True, *, assessors: str = "independent_blind",
          usual_self_threshold: float = 90.0, imputations: int = 20,
          imputation_seed: int = 20260101, benchmarks: str | Path | None = None,
          dose_table: str | Path | None = None, step_table: str | Path | None = None,
          therapist_min_cases: int = 10, spark_session=None, spark_master: str | None = None,
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
    dose_table, step_table : a service's own NICE dose and first-step tables (CSV files
        with the columns of ``tincheck/data/nice_dose.csv`` and ``nice_steps.csv``;
        ``docs/nice.md``) instead of tincheck's.
    therapist_min_cases : finished cases a therapist needs to be shown on their own in
        the therapist comparison (default 10); therapists with fewer are pooled.
    memory_limit : cap on DuckDB's memory when reading ``data`` from a folder, e.g.
        ``"3GB"`` (default ``TINCHECK_MEMORY_LIMIT`` or DuckDB's 80% of RAM); beyond
        it DuckDB spills to a private temporary folder.

    >>> from tincheck import example_path
    >>> a = audit(example_path(), imputations=0)
    >>> round(a.value("official.recovery_rate"), 3)
    0.556
    """
    if engine not in engines.ENGINES:
        raise SettingError("engine", engine, f"expected one of {', '.join(engines.ENGINES)}")
    if assessors not in ASSESSORS:
        raise SettingError("assessors", assessors, f"expected one of {', '.join(ASSESSORS)}")
    if isinstance(therapist_min_cases, bool) or not isinstance(therapist_min_cases, int) \
            or therapist_min_cases < 1:
        raise SettingError("therapist_min_cases", therapist_min_cases,
                           "expected a whole number of cases, 1 or more")
    period = period if isinstance(period, Period) else Period.parse(period)
    if isinstance(data_end, str):
        try:
            data_end = _dt.date.fromisoformat(data_end)
        except ValueError:
            raise SettingError("data_end", data_end, "expected a date, YYYY-MM-DD") from None
    step = progress or (lambda _: None)
    nice = load_nice_tables(dose_table, step_table)  # a bad table stops before any work
    own = not isinstance(data, Dataset)
    step("reading and validating the data")
    dataset = read_dataset(data, key_file=key_file, memory_limit=memory_limit) if own else data
    try:
        if data_end is not None:
            check_data_end(dataset, data_end)
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
                                  benchmarks_file=benchmarks, nice=nice,
                                  therapist_min_cases=therapist_min_cases, progress=step)
        general = [ANY_ASSESSOR_WARNING] if assessors == "any" else []
        warnings = general + [w.sentence() for w in dataset.warnings]
        public = general + [public_sentence(w) for w in dataset.warnings]
        # absent optional data narrows the audit: figures resting on it are withheld
        absent = needs.absent_optional(dataset.table, dataset.supplied, dataset.columns,
                                       dataset.backend.execute)
        not_computed = needs.unmet(absent, {n: s.name for n, s in dataset.sources.items()})
        results, tables = needs.narrow(evaluation.results, evaluation.tables, not_computed)
        info = {
            "path": str(dataset.path),
            "files": dataset.files,
            "synthetic": dataset.synthetic,
            "period": period.as_dict(),
            "data_end": evaluation.context.data_end.isoformat(),
            "tables_supplied": sorted(dataset.supplied),
            "optional_absent": absent,
            **data_coverage(dataset),
        }
        if dataset.manifest:
            info["manifest"] = dataset.manifest
        settings = {"engine": engine, "disclosure_control": disclosure_control,
                    "assessors": assessors, "usual_self_threshold": usual_self_threshold,
                    "imputations": imputations, "imputation_seed": imputation_seed,
                    "benchmarks_file": None if benchmarks is None else str(benchmarks),
                    "dose_table": nice.dose_source, "step_table": nice.steps_source,
                    "therapist_min_cases": therapist_min_cases}
        return Audit(results, tables, warnings, info, settings, public_warnings=public,
                     not_computed=not_computed)
    except duckdb.OutOfMemoryException:
        # the cap on DuckDB's memory is too small for a step that cannot spill
        raise MemoryLimitError(dataset.memory_limit) from None
    finally:
        if own:
            dataset.close()
