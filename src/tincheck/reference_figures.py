"""Benchmarks to compare a service with, shipped as data, and the comparison itself.

The table (``tincheck/data/reference_figures.csv``) holds only figures verified from the
cited source (the product contract, ``benchmarks.md``); users add their own from a
CSV file with the same columns. Every comparison names the benchmark it used, so the
report can show it.

Columns: ``id`` (unique), ``measure`` (what was measured: depression, anxiety,
functioning (WSAS), CORE-OM, PHQ-9, GAD-7, recovery, diagnostic status (SCID)),
``statistic`` (pre-post d, recovery rate, lost diagnostic status), ``value``,
``ci_low`` and ``ci_high`` (the benchmark's own 95% CI, when published),
``population`` and ``citation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .stats.arguments import plain_dict

__all__ = ["COLUMNS", "Benchmark", "BenchmarkFileError", "Comparison", "compare",
           "get_benchmark", "load_benchmarks"]

COLUMNS = ("id", "measure", "statistic", "value", "ci_low", "ci_high", "population",
           "citation")
TEXT_COLUMNS = ("id", "measure", "statistic", "population", "citation")
MAX_SHOWN = 20


@dataclass(frozen=True)
class Benchmark:
    """One published figure to compare with (``ci_low``/``ci_high`` None if unpublished)."""

    id: str
    measure: str
    statistic: str
    value: float
    ci_low: float | None
    ci_high: float | None
    population: str
    citation: str


class BenchmarkFileError(ValueError):
    """A user's benchmarks file broke a rule; ``problems`` lists each one.

    Each problem is a dict with file, row (as a spreadsheet counts: the header is
    row 1), column, value and expected.
    """

    def __init__(self, problems: list[dict]):
        self.problems = problems
        lines = [f"{p['file']} row {p['row']}, column {p['column']}: "
                 f"value {p['value']!r}, expected {p['expected']}" if p["row"] is not None
                 else f"{p['file']}: {p['expected']}" for p in problems[:MAX_SHOWN]]
        more = len(problems) - MAX_SHOWN
        if more > 0:
            lines.append(f"... and {more} more")
        super().__init__(f"{len(problems)} problem(s) in the benchmarks file:\n  "
                         + "\n  ".join(lines))


def _shipped() -> pd.DataFrame:
    with resources.files("tincheck").joinpath("data/reference_figures.csv").open(
            encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={c: str for c in TEXT_COLUMNS})


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _read_extra(path: str | Path, shipped_ids: set[str]) -> pd.DataFrame:
    """Read and validate a user's benchmarks CSV, listing every problem at once."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise BenchmarkFileError([{"file": str(path), "row": None, "column": None,
                                   "value": None,
                                   "expected": "a CSV file of benchmarks (file not found)"}])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [c.strip() for c in raw.columns]
    absent = [c for c in COLUMNS if c not in raw.columns]
    if absent:
        raise BenchmarkFileError([{
            "file": name, "row": 1, "column": ", ".join(absent), "value": None,
            "expected": f"a header with the columns {', '.join(COLUMNS)} "
                        f"(found {', '.join(raw.columns)})"}])
    problems = []

    def problem(row, column, value, expected):
        problems.append({"file": name, "row": row, "column": column, "value": value,
                         "expected": expected})

    seen: dict[str, int] = {}
    for position, record in enumerate(raw.to_dict("records")):
        row = position + 2  # the header is row 1
        record = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items()}
        for column in TEXT_COLUMNS:
            if not record[column]:
                problem(row, column, record[column], "a non-empty text")
        bench_id = record["id"]
        if bench_id in shipped_ids:
            problem(row, "id", bench_id, "an id not already used by a shipped benchmark")
        elif bench_id and bench_id in seen:
            problem(row, "id", bench_id, f"a unique id (also used in row {seen[bench_id]})")
        seen.setdefault(bench_id, row)
        value = _number(record["value"])
        if value is None:
            problem(row, "value", record["value"], "a number")
        bounds = {c: record[c] for c in ("ci_low", "ci_high")}
        numbers = {c: _number(v) for c, v in bounds.items() if v}
        for column, text in bounds.items():
            if text and numbers[column] is None:
                problem(row, column, text, "a number, or empty when no CI was published")
        if sum(bool(v) for v in bounds.values()) == 1:
            missing = "ci_high" if bounds["ci_low"] else "ci_low"
            problem(row, missing, "", "both CI bounds, or neither")
        complete = value is not None and len(numbers) == 2 and None not in numbers.values()
        if complete and not numbers["ci_low"] <= value <= numbers["ci_high"]:
            problem(row, "value", record["value"],
                    f"a value between ci_low {bounds['ci_low']} and ci_high {bounds['ci_high']}")
    if problems:
        raise BenchmarkFileError(problems)
    table = raw.copy()
    for column in ("value", "ci_low", "ci_high"):
        table[column] = pd.to_numeric(table[column].str.strip().replace("", np.nan))
    for column in TEXT_COLUMNS:
        table[column] = table[column].str.strip()
    return table


def load_benchmarks(extra: str | Path | None = None) -> pd.DataFrame:
    """The benchmark table shipped with tincheck, plus a user's own if given.

    Parameters
    ----------
    extra : path, optional
        A CSV file with the columns ``id, measure, statistic, value, ci_low, ci_high,
        population, citation`` (UTF-8; empty CI cells when no CI was published). Its
        rows are validated (non-empty text, numeric value, both or neither CI bound,
        ci_low ≤ value ≤ ci_high, ids unique and not already shipped) and appended;
        further columns are kept.

    Returns
    -------
    DataFrame
        One row per benchmark, shipped ones first, with a ``source`` column
        ("tincheck" or the file name).

    Raises
    ------
    BenchmarkFileError
        Listing every problem in ``extra`` by file, row, column, value and expectation.

    >>> table = load_benchmarks().set_index("id")
    >>> table.loc["wakefield2021_depression", ["value", "ci_low", "ci_high"]].tolist()
    [0.87, 0.78, 0.96]
    """
    table = _shipped()
    table["source"] = "tincheck"
    if extra is None:
        return table
    added = _read_extra(extra, set(table["id"]))
    added["source"] = Path(extra).name
    return pd.concat([table, added], ignore_index=True)


def get_benchmark(benchmark_id: str, table: pd.DataFrame | None = None) -> Benchmark:
    """One benchmark by id, from ``table`` (default: the shipped table).

    >>> get_benchmark("rutherford2012_waitlist").value
    0.505
    """
    table = load_benchmarks() if table is None else table
    match = table[table["id"] == benchmark_id]
    if match.empty:
        raise KeyError(f"no benchmark with id {benchmark_id!r}; known ids: "
                       f"{', '.join(table['id'])}")
    row = match.iloc[0]

    def bound(value):
        return None if pd.isna(value) else float(value)

    return Benchmark(id=row["id"], measure=row["measure"], statistic=row["statistic"],
                     value=float(row["value"]), ci_low=bound(row["ci_low"]),
                     ci_high=bound(row["ci_high"]), population=row["population"],
                     citation=row["citation"])


@dataclass(frozen=True)
class Comparison:
    """An estimate set against a benchmark.

    ``difference`` = estimate − benchmark value. ``excludes`` is True when the
    estimate's CI lies wholly above or below the benchmark value; ``direction`` is
    "above", "below" or "includes" accordingly (arrays when the estimate was an
    array). The benchmark's own CI is carried for display but not used in the test.
    """

    benchmark_id: str
    benchmark_value: float
    benchmark_ci_low: float | None
    benchmark_ci_high: float | None
    citation: str
    estimate: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray
    difference: float | np.ndarray
    excludes: bool | np.ndarray
    direction: str | np.ndarray

    def to_dict(self) -> dict:
        """Plain Python values (lists for arrays), ready for JSON."""
        return plain_dict(self)


def _estimate_and_ci(effect):
    if isinstance(effect, dict):
        get = effect.get
    else:
        def get(key):
            return getattr(effect, key, None)
    estimate = get("estimate")
    if estimate is None:
        estimate = get("value")
    low, high = get("ci_low"), get("ci_high")
    if estimate is None or low is None or high is None:
        raise ValueError("effect must have an estimate (or value), ci_low and ci_high, such "
                         f"as an EffectSize or a metric; got {effect!r}")
    return (np.asarray(estimate, dtype=float), np.asarray(low, dtype=float),
            np.asarray(high, dtype=float))


def compare(effect, benchmark: str | Benchmark, *,
            table: pd.DataFrame | None = None) -> Comparison:
    """Set an estimate and its CI against a benchmark value.

    difference = estimate − benchmark; the estimate's CI "excludes" the benchmark
    when ci_low > benchmark (the estimate is clearly above it) or ci_high <
    benchmark (clearly below). A CI that touches the benchmark value does not
    exclude it. Vectorised: an EffectSize of arrays (e.g. one per provider) gives
    arrays; a missing CI gives ``excludes`` False and ``direction`` "includes".

    Parameters
    ----------
    effect : EffectSize, or any object or dict with ``estimate`` (or ``value``),
        ``ci_low`` and ``ci_high``. Use a 95% CI to compare with benchmarks.md.
    benchmark : str or Benchmark
        A benchmark id (looked up in ``table``), or a :class:`Benchmark`.
    table : DataFrame, optional
        From :func:`load_benchmarks` (default: the shipped table), for ids of
        user-added benchmarks.

    Returns
    -------
    Comparison

    >>> c = compare({"estimate": 0.62, "ci_low": 0.55, "ci_high": 0.69}, "wakefield2021_anxiety")
    >>> round(c.difference, 2), c.excludes, c.direction
    (-0.26, True, 'below')
    """
    if not isinstance(benchmark, Benchmark):
        benchmark = get_benchmark(benchmark, table)
    estimate, low, high = _estimate_and_ci(effect)
    value = benchmark.value
    above = low > value
    below = high < value
    direction = np.where(above, "above", np.where(below, "below", "includes"))

    def out(array, kind=float):
        return kind(array) if np.ndim(array) == 0 else array

    return Comparison(
        benchmark_id=benchmark.id, benchmark_value=value, benchmark_ci_low=benchmark.ci_low,
        benchmark_ci_high=benchmark.ci_high, citation=benchmark.citation,
        estimate=out(estimate), ci_low=out(low), ci_high=out(high),
        difference=out(estimate - value), excludes=out(above | below, bool),
        direction=out(direction, str))
