"""services: the services in the data compared (only when there are two or more).

For each service, over referrals ended in the period: official recovery (recovered ÷
finished less not at caseness), recovery among everyone referred as a case (C), and
loss of index diagnoses at end among those diagnosed at baseline (B; where
interviewed), each with its Wilson interval; a funnel plot per measure around the
all-service figure with 95% and 99.8% limits, exact binomial and widened for
overdispersion (the one implementation, :func:`tincheck.stats.control_limits.funnel`,
that ``tincheck published`` uses for providers); and the gap, official minus ITT, per
service with a delta-method interval that allows for the people counted in both, ranked.

One grouped Ibis query gives the per-service counts; everything else is arithmetic on
that small table.

References: Spiegelhalter DJ (2005) Stat Med 24:1185-1202.
"""

from __future__ import annotations

import ibis
import numpy as np

from .. import engine
from ..stats.control_limits import COVERAGES, LIMITS, funnel
from ..stats.intervals import overlapping_difference_interval, wilson_interval
from .citations import SPIEGELHALTER_2005, TINCHECK
from .registry import Metric, Result, derived, register

# measure id → (label, numerator column, denominator column)
MEASURES = {
    "official_recovery": ("Official recovery rate", "official_events", "official_n"),
    "itt_recovery": ("Recovery among everyone referred as a case", "itt_events", "itt_n"),
    "lost_diagnosis": ("Lost index diagnoses at end (of those diagnosed at baseline)",
                       "lost_events", "lost_n"),
}
WINSOR = 0.1


def _int(value) -> int:
    return int(value) if value is not None and value == value else 0


def services_expression(bases):
    """One row per service: the counts every comparison is made of."""
    o = bases["referrals"]
    o = o.filter(o.ended)
    eligible = o.finished & ~o.not_at_caseness

    def total(flag):
        return flag.cast("int64").sum()

    per = o.group_by("service_id").aggregate(
        ended=o.count(),
        official_events=total(o.official_recovered),
        official_n=total(eligible),
        itt_events=total(o.case & o.official_recovered),
        itt_n=total(o.case),
        overlap_n=total(eligible & o.case),
        overlap_events=total(eligible & o.case & o.official_recovered),
    )
    d = bases["diagnostic"]
    d = d.join(o.select("referral_id", o_service=o.service_id), "referral_id")
    lost = d.group_by(service_id=d.o_service).aggregate(
        lost_events=total(d.lost_end), lost_n=total(d.diagnosed))
    return per.left_join(lost, "service_id").drop("service_id_right").order_by("service_id")


def compare(rows: list[dict]) -> dict:
    """The comparison tables from per-service counts (see the module docstring).

    Returns ``comparison`` (one row per service × measure), ``gap`` (one row per
    service, ranked), ``control_limits`` (limits on a grid of denominators, per
    measure) and ``overdispersion`` (one row per measure).
    """
    services = [r for r in rows if r.get("service_id") is not None]
    comparison, curves, spread = [], [], []
    for measure, (label, num, den) in MEASURES.items():
        units = [r for r in services if _int(r.get(den)) > 0]
        if len(units) < 2:
            continue
        events = np.array([_int(r.get(num)) for r in units], dtype=float)
        n = np.array([_int(r.get(den)) for r in units], dtype=float)
        f = funnel(events, n, None, WINSOR, COVERAGES)
        low, high = wilson_interval(events, n)
        for i, r in enumerate(units):
            u = f.units.iloc[i]
            row = {"service_id": r["service_id"], "measure": measure,
                   "events": int(events[i]), "n": int(n[i]), "rate": float(u["rate"]),
                   "rate_ci_low": float(low[i]), "rate_ci_high": float(high[i]),
                   "z": float(u["z"])}
            for limit in LIMITS:
                row[f"{limit}_low"] = float(u[f"{limit}_low"])
                row[f"{limit}_high"] = float(u[f"{limit}_high"])
                row[f"outside_{limit}"] = bool(u[f"outside_{limit}"])
            comparison.append(row)
        for _, point in f.curve.iterrows():
            curves.append({"measure": measure, "denominator": float(point["n"]),
                           **{k: float(point[k]) for k in f.curve.columns if k != "n"}})
        spread.append({"measure": measure, "label": label, "services": len(units),
                       "target": f.target, "events": int(events.sum()),
                       "n": int(n.sum()), "phi": _finite(f.phi), "tau2": f.tau2,
                       "overdispersion_p": _finite(f.overdispersion_p),
                       **{f"outside_{limit}": int(f.units[f"outside_{limit}"].sum())
                          for limit in LIMITS}})
    return {"comparison": comparison, "gap": gap_rows(services),
            "control_limits": curves, "overdispersion": spread}


def _finite(value):
    return None if value is None or not np.isfinite(value) else float(value)


def gap_rows(services: list[dict]) -> list[dict]:
    """Official recovery minus recovery among cases, per service, largest gap first."""
    out = []
    for r in services:
        a, n_a = _int(r.get("official_events")), _int(r.get("official_n"))
        b, n_b = _int(r.get("itt_events")), _int(r.get("itt_n"))
        if n_a == 0 or n_b == 0:
            continue
        gap, low, high = overlapping_difference_interval(
            a, n_a, b, n_b, _int(r.get("overlap_events")), _int(r.get("overlap_n")))
        out.append({"service_id": r["service_id"], "official_events": a, "official_n": n_a,
                    "itt_events": b, "itt_n": n_b, "official_rate": a / n_a,
                    "itt_rate": b / n_b, "gap": gap, "gap_ci_low": low, "gap_ci_high": high})
    out.sort(key=lambda row: (-row["gap"], row["service_id"]))
    for rank, row in enumerate(out, 1):
        row["rank"] = rank
    return out


def compute(backend, bases, context) -> tuple[dict, dict]:
    """The evaluation hook: one grouped query, then the comparison (2+ services)."""
    sql = engine.compiled_sql(backend, "services", lambda: services_expression(bases))
    frame = engine.fetch(backend, sql)
    rows = [{k: (None if v != v else v) for k, v in r.items()}
            for r in frame.to_dict("records")]
    count = len([r for r in rows if r.get("service_id") is not None])
    context.extra["services_count"] = count
    if count >= 2:
        context.extra["services"] = compare(rows)
    return {}, {}


def _count(results, context) -> Result:
    count = context.extra.get("services_count", 0)
    note = None if count >= 2 else (
        "The data hold one service: services are compared only when there are two or "
        "more." if count == 1 else "No service has referrals ended in the period.")
    return Result("services.compared", "statistic", count, note=note)


derived("services.compared", "Services compared", "statistic", _count,
        "Services with referrals ended in the period; the comparison is made only when "
        "there are two or more.", TINCHECK)


def _table(id, label, part, definition, source, columns):
    register(Metric(id, label, "table", definition, source,
                    lambda results, context: (context.extra.get("services") or {}).get(
                        part, []), "derived", columns=tuple(columns)))


_table("services.comparison", "Services compared on each measure", "comparison",
       "For each service and measure (official recovery: recovered ÷ finished less not "
       "at caseness; recovery among cases: recovered ÷ C; lost index diagnoses at end ÷ "
       "B): the rate with its Wilson 95% interval, its z-score against the all-service "
       "rate θ (z = (y − θ) / √(θ(1 − θ)/n)), and whether it lies outside the exact "
       "binomial 95% and 99.8% limits and the same limits widened for overdispersion by "
       "an additive τ² from z-scores winsorised at 10% each tail.", SPIEGELHALTER_2005,
       [("service_id", "service"), ("measure", "measure"), ("events", "numerator"),
        ("n", "denominator"), ("rate", "rate"), ("z", "z-score against the all-service rate"),
        ("outside_re_998", "outside the 99.8% limits widened for overdispersion")])
_table("services.gap", "The gap between official recovery and recovery among cases",
       "gap",
       "Official recovery rate minus recovery among everyone referred as a case, per "
       "service, with a delta-method 95% interval allowing for the referrals counted in "
       "both (Var = p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂ − 2 n₀ p₀(1 − p₀)/(n₁ n₂)); rank 1 is "
       "the largest gap.", TINCHECK,
       [("service_id", "service"), ("official_rate", "official recovery rate"),
        ("itt_rate", "recovery among cases"), ("gap", "difference"), ("rank", "rank")])
_table("services.control_limits", "Funnel-plot limits", "control_limits",
       "Exact binomial and overdispersion-widened 95% and 99.8% limits around each "
       "measure's all-service rate, on a grid of denominators (for drawing).",
       SPIEGELHALTER_2005, [("measure", "measure"), ("denominator", "denominator")])
_table("services.overdispersion", "Spread between services", "overdispersion",
       "Per measure: services compared, the all-service rate θ, the overdispersion factor "
       "φ (mean squared winsorised z-score), P(χ²(I − 1) ≥ I·φ), the additive "
       "between-service variance τ², and how many services lie outside each limit.",
       SPIEGELHALTER_2005,
       [("measure", "measure"), ("target", "all-service rate"), ("phi", "φ"),
        ("tau2", "τ²")])
