"""The published-data audit as plain data: read, compute every section, no rendering."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .consistency import ConsistencyResult, consistency
from .delivery import mix_summary, read_positions, therapy_mix
from .evidence import EvidenceResult, practice_evidence
from .national import england, national_series, recompute_rates
from .proms import CORRELATIONS, check_summary, england_effect_sizes
from .providers import FunnelResult, provider_funnel
from .read import PublishedDataError, PublishedTable, read_measures, read_proms


@dataclass(frozen=True)
class PublishedAudit:
    """Everything the report shows, computed from the published files."""

    year: str
    org_type: str
    sources: dict
    national: pd.DataFrame
    england_rates: dict               # every England rate, all years and breakdowns
    funnel: FunnelResult
    consistency: ConsistencyResult
    effects: pd.DataFrame | None      # England effect sizes, all years
    effects_check: dict | None
    evidence: EvidenceResult | None
    mix: pd.DataFrame | None
    mix_summary: pd.DataFrame | None
    positions: pd.DataFrame | None
    correlation: float
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def headline(self) -> dict:
        """The numbers the closing note quotes."""
        counts = self.funnel.counts() if self.funnel.compared else {}
        pooled = ([{"therapy": p.therapy, "measure": p.measure, "k": p.k,
                    "d": p.estimate, "ci": [p.ci_low, p.ci_high], "tau2": p.tau2,
                    "I2": p.I2, "pi": [p.pi_low, p.pi_high], "benchmark": p.benchmark}
                   for p in self.evidence.pooled] if self.evidence else [])
        return {
            "year": self.year,
            "providers_compared": self.funnel.compared,
            "outside_limits": counts,
            "overdispersion_phi": self.funnel.phi,
            "tau2_providers": self.funnel.tau2,
            "inconsistent_providers": self.consistency.inconsistent_organisations,
            "providers_checked": self.consistency.organisations,
            "england_rates_checked": self.england_rates["checked"],
            "england_rates_agree": self.england_rates["agree"],
            "effect_sizes_checked": (self.effects_check or {}).get("checked"),
            "effect_sizes_inside": (self.effects_check or {}).get("inside"),
            "pooled": pooled,
        }


def _default_positions(paths) -> Path | None:
    if isinstance(paths, PublishedTable):
        paths = paths.files
    for path in ([paths] if isinstance(paths, (str, Path)) else list(paths or [])):
        path = Path(path)
        folder = path if path.is_dir() else path.parent
        for name in ("therapy_position_annual.parquet", "therapy_position_annual.csv"):
            if (folder / name).is_file():
                return folder / name
    return None


def audit_published(measures, proms=None, *, year: str | None = None,
                    org_type: str = "Provider", positions=None,
                    correlation: float = 0.5) -> PublishedAudit:
    """Audit the NHS's own published annual data.

    Parameters
    ----------
    measures : path(s) to ``measures_annual`` (tidy Parquet/CSV) or raw NHS main
        CSVs, or a :class:`PublishedTable` from :func:`read_measures`.
    proms : optional path(s) to ``proms_annual`` or a :class:`PublishedTable`.
    year : reporting year for the provider sections (default: the latest).
    org_type : organisation level compared (``Provider``, ``ICB``, ``CCG``, …).
    positions : optional ``therapy_position_annual`` file; by default one lying
        beside ``proms`` (or ``measures``) is used.
    correlation : assumed pre-post correlation for effect-size CIs and the
        meta-analysis (0.3 and 0.7 are always shown as sensitivity).

    Raises :class:`PublishedDataError` for unreadable input or an unknown year.
    """
    started = time.perf_counter()
    notes: list[str] = []
    table = measures if isinstance(measures, PublishedTable) else read_measures(measures)
    periods = table.periods()
    if not periods:
        raise PublishedDataError(", ".join(table.files), "at least one year of data")
    year = year or periods[-1]
    if year not in periods:
        raise PublishedDataError(", ".join(table.files),
                                 "a year present in the data: " + ", ".join(periods),
                                 column="reporting_period", value=year)
    levels = table.org_types(year)
    if org_type not in levels:
        raise PublishedDataError(", ".join(table.files), f"an organisation level present "
                                 f"in {year}: " + ", ".join(levels), column="org_type",
                                 value=org_type)
    series = national_series(table)
    all_england = recompute_rates(england(table, breakdowns=True))
    checked = all_england[all_england["agrees"].notna()]
    england_rates = {"checked": len(checked), "agree": int(checked["agrees"].sum()),
                     "years": sorted(checked["reporting_period"].unique().tolist()),
                     "disagreements": checked[~checked["agrees"].astype(bool)]}
    funnel = provider_funnel(table, year, org_type)
    check = consistency(table, year, org_type)
    sources = {"measures": table.files, "measures_layout": table.layout}
    effects = effects_check = evidence = mix = summary = position_table = None
    if proms is not None:
        proms_table = proms if isinstance(proms, PublishedTable) else read_proms(proms)
        sources["proms"] = proms_table.files
        correlations = tuple(dict.fromkeys((correlation,) + CORRELATIONS))
        effects = england_effect_sizes(proms_table, correlations=correlations)
        effects_check = check_summary(effects)
        if year in proms_table.periods():
            evidence = practice_evidence(proms_table, year, org_type, correlation)
        else:
            notes.append(f"proms data have no {year}: no meta-analysis across providers.")
        finished = series.set_index("reporting_period")["finished"] if len(series) else None
        mix = therapy_mix(proms_table, finished)
        summary = mix_summary(mix)
    else:
        notes.append("No proms file given (--proms): effect sizes, the meta-analysis and "
                     "the therapy mix are not shown.")
    position_path = positions or _default_positions(proms or measures)
    if position_path is not None:
        position_table = read_positions(position_path)
        sources["therapy_position"] = [str(position_path)]
    return PublishedAudit(year, org_type, sources, series, england_rates, funnel, check,
                          effects, effects_check, evidence, mix, summary, position_table,
                          correlation, notes, time.perf_counter() - started)
