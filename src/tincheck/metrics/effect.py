"""effect: pre-post effect sizes (PHQ-9, GAD-7, WSAS), completer and ITT sets.

Completer set: finished a course with at least two scores on the measure. ITT set:
every ended referral with a first score; the last score is the first when there is
no later one. For each measure and set three standardisations: by the pre SD (the NHS
annual-report definition), by the pooled SD, and by the SD of the change (d_z). Each
d is compared with the benchmarks of docs/benchmarks.md in the table
``effect.benchmarks``.

References: Becker BJ (1988) Br J Math Stat Psychol 41:257-278; Morris SB & DeShon RP
(2002) Psychol Methods 7:105-125; Wakefield S et al. (2021) Br J Clin Psychol 60:1-37.
"""

from __future__ import annotations

import math

from ..reference_figures import compare, load_benchmarks
from ..stats.effect_sizes import (d_pooled_sd_from_summary, d_pre_sd_from_summary,
                                  d_z_from_summary)
from .registry import REGISTRY, derived, effect, table
from .citations import ANNUAL_REPORT, TINCHECK

MEASURES = {"phq9": ("phq", "PHQ-9"), "gad7": ("gad", "GAD-7"), "wsas": ("wsas", "WSAS")}
# Which shipped benchmarks each measure is compared with (by the benchmark's measure).
BENCHMARK_MEASURES = {"phq9": ("depression", "phq-9", "core-om"),
                      "gad7": ("anxiety", "gad-7", "core-om"),
                      "wsas": ("functioning (wsas)",)}


def _scores(prefix: str, itt: bool):
    def scores(o):
        first, last, n = o[f"{prefix}_first"], o[f"{prefix}_last"], o[f"{prefix}_n"]
        where = (o.ended & first.notnull()) if itt else (o.finished & (n >= 2))
        return first, last, where
    return scores


def _pre_sd(a):
    return d_pre_sd_from_summary(a["mean_first"], a["mean_last"], a["sd_first"], a["n"],
                                 a["r"])


def _pooled(a):
    return d_pooled_sd_from_summary(a["mean_first"], a["mean_last"], a["sd_first"],
                                    a["sd_last"], a["n"], a["r"])


def _dz(a):
    return d_z_from_summary(a["mean_first"] - a["mean_last"], a["sd_change"], a["n"])


SIZES = {
    "d_pre_sd": (_pre_sd, "(mean first − mean last) ÷ SD of first scores (the NHS "
                 "annual-report definition); variance 2(1 − r)/n + d²/(2n) (Becker 1988), "
                 "r the observed pre-post correlation", ANNUAL_REPORT),
    "d_pooled_sd": (_pooled, "(mean first − mean last) ÷ √((SD₁² + SD₂²)/2); variance of "
                    "Bonett (2008)", "Bonett DG (2008) Psychol Methods 13:99-109"),
    "d_z": (_dz, "mean change ÷ SD of the change; SE √(1/n + d²/(2n))",
            "Morris SB & DeShon RP (2002) Psychol Methods 7:105-125"),
}

for _measure, (_prefix, _name) in MEASURES.items():
    for _size, (_fn, _text, _source) in SIZES.items():
        for _itt in (False, True):
            _set = ("every ended referral with a first score (last = first when there is no "
                    "later score)" if _itt else
                    "finished courses with at least two scores on the measure")
            effect(f"effect.{_measure}_{_size}{'_itt' if _itt else ''}",
                   f"{_name} effect size, {_size.replace('_', ' ')}"
                   f" ({'ITT' if _itt else 'completers'})",
                   _scores(_prefix, _itt), _fn,
                   f"{_name}: {_text}. Set: {_set}.", _source)


def aggregates_to_summary(row: dict, key) -> dict:
    """Means, SDs and r from the aggregate columns of one effect metric."""
    n = int(row[key("n")] or 0)
    var_first, var_last, var_change = (row[key("var_first")], row[key("var_last")],
                                       row[key("var_change")])
    summary = {"n": n, "mean_first": row[key("mean_first")], "mean_last": row[key("mean_last")],
               "sd_first": _sqrt(var_first), "sd_last": _sqrt(var_last),
               "sd_change": _sqrt(var_change), "r": None}
    if n >= 3 and summary["sd_first"] and summary["sd_last"]:
        # var(x − y) = var x + var y − 2 cov  →  r = (var x + var y − var(x − y)) / (2 sx sy)
        r = (var_first + var_last - var_change) / (2 * summary["sd_first"] * summary["sd_last"])
        summary["r"] = max(-1.0, min(1.0, r))
    return summary


def _sqrt(value):
    return None if value is None or value != value or value < 0 else math.sqrt(value)


def _relevant(measure: str, benchmarks) -> list:
    wanted = BENCHMARK_MEASURES[measure]
    rows = benchmarks[benchmarks["statistic"].str.lower() == "pre-post d"]
    return [row for _, row in rows.iterrows() if str(row["measure"]).lower() in wanted]


def benchmark_rows(results: dict, context) -> list[dict]:
    """Each d (pre SD) set against each relevant benchmark: difference and exclusion."""
    benchmarks = load_benchmarks(context.extra.get("benchmarks_file"))
    rows = []
    for measure in MEASURES:
        for suffix, set_name in (("", "completers"), ("_itt", "ITT")):
            metric_id = f"effect.{measure}_d_pre_sd{suffix}"
            result = results.get(metric_id)
            if result is None or result.value is None or result.ci_low is None:
                continue
            for bench in _relevant(measure, benchmarks):
                c = compare({"estimate": result.value, "ci_low": result.ci_low,
                             "ci_high": result.ci_high}, bench["id"], table=benchmarks)
                rows.append({"metric": metric_id, "measure": measure, "set": set_name,
                             "d": result.value, "ci_low": result.ci_low,
                             "ci_high": result.ci_high, "n": result.n,
                             "benchmark": c.benchmark_id, "benchmark_value": c.benchmark_value,
                             "benchmark_ci_low": c.benchmark_ci_low,
                             "benchmark_ci_high": c.benchmark_ci_high,
                             "difference": c.difference, "excludes": bool(c.excludes),
                             "direction": c.direction, "citation": c.citation})
    return rows


table("effect.benchmarks", "Effect sizes against benchmarks", benchmark_rows,
      "Each pre-post d (pre SD) for PHQ-9, GAD-7 and WSAS, completers and ITT, against the "
      "benchmarks of the same measure in docs/benchmarks.md (and any user file): the "
      "difference, and whether the service's 95% interval excludes the benchmark value. "
      "A service whose d does not clearly exceed the wait-list figure shows no added "
      "value over the natural course.", TINCHECK,
      columns=[("metric", "effect size"), ("benchmark", "benchmark id"),
               ("difference", "d − benchmark"), ("excludes", "95% CI excludes it")],
      base="derived")

__all__ = ["REGISTRY", "aggregates_to_summary", "benchmark_rows", "derived"]
