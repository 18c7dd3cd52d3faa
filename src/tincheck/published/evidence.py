"""Practice-based evidence redone from public data: a meta-analysis across providers.

Wakefield et al. (2021, Br J Clin Psychol 60:1-37) pooled 47 practice-based IAPT
studies: pre-post d = 0.87 for depression and 0.88 for anxiety. The annual
publication gives the same kind of evidence for every provider every year. For one
year, each provider's pre-post d on PHQ-9 (depression) and GAD-7 (anxiety) is
computed for each main therapy type (proms_annual has no all-therapies total per
provider), from its own published means and SD at start, with n = total finishing
a course with that therapy and an assumed pre-post correlation (default 0.5).
Providers are pooled by a random-effects model (REML τ², Hartung-Knapp intervals),
with τ², I² and a prediction interval: the range in which a new provider's effect
is expected to fall.

Providers are not independent studies of one intervention: they differ in case mix,
data completeness and how "finished" is recorded, so the pooled d describes routine
practice, not the effect of therapy over no therapy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .proms import effect_size_rows
from .read import PublishedTable
from ..reference_figures import get_benchmark
from ..stats.meta import meta_analysis

THERAPIES = ("Cognitive Behaviour Therapy (CBT)", "Guided Self Help (Book)",
             "Counselling for Depression")
OUTCOMES = {"phq": "depression (PHQ-9)", "gad": "anxiety (GAD-7)"}
def _wakefield(measure: str) -> tuple[float, float, float]:
    """The Wakefield et al. (2021) pooled d of a measure, from the benchmark table."""
    b = get_benchmark({"phq": "wakefield2021_depression",
                       "gad": "wakefield2021_anxiety"}[measure])
    return b.value, b.ci_low, b.ci_high


WAKEFIELD_2021 = {"phq": _wakefield("phq"), "gad": _wakefield("gad")}
WAKEFIELD_SOURCE = ("Wakefield S et al. (2021) IAPT in the United Kingdom: a systematic "
                    "review and meta-analysis of 10 years of practice-based evidence. "
                    "Br J Clin Psychol 60:1-37")
MIN_N = 10


@dataclass(frozen=True)
class PooledEffect:
    """One therapy × outcome pooled across providers."""

    therapy: str
    measure: str
    label: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    tau2: float
    I2: float
    pi_low: float
    pi_high: float
    Q: float
    Q_pvalue: float
    benchmark: float
    benchmark_ci: tuple[float, float]
    excluded: int
    studies: pd.DataFrame = field(repr=False)  # org_code, org_name, n, d, variance, weight

    @property
    def difference(self) -> float:
        return self.estimate - self.benchmark


@dataclass(frozen=True)
class EvidenceResult:
    year: str
    correlation: float
    pooled: list[PooledEffect]
    notes: list[str]


def provider_effects(proms: PublishedTable, year: str, org_type: str = "Provider",
                     correlation: float = 0.5) -> pd.DataFrame:
    """Per provider × main therapy × PHQ-9/GAD-7: d (own SD at start) and variance."""
    wide = proms.wide({"org_type": org_type, "reporting_period": year,
                       "variable_a": "Total", "variable_b": list(THERAPIES)})
    if wide.empty:
        return pd.DataFrame(columns=["org_code", "variable_b", "measure"])
    rows = effect_size_rows(wide, (correlation,))
    return rows[rows["measure"].isin(list(OUTCOMES))].reset_index(drop=True)


def practice_evidence(proms: PublishedTable, year: str, org_type: str = "Provider",
                      correlation: float = 0.5, min_n: int = MIN_N) -> EvidenceResult:
    """Random-effects pooled d per main therapy type and outcome for ``year``.

    A provider enters when its means and SD at start are published, its SD is
    positive and n ≥ ``min_n``; the others are counted in ``excluded``.
    """
    rows = provider_effects(proms, year, org_type, correlation)
    pooled, notes = [], []
    for therapy in THERAPIES:
        for measure, label in OUTCOMES.items():
            part = rows[(rows["variable_b"] == therapy) & (rows["measure"] == measure)]
            ok = (part["d"].notna() & part["variance"].notna() & (part["n"] >= min_n)
                  & (part["sd_start"] > 0))
            studies = part[ok]
            if len(studies) < 3:
                notes.append(f"{therapy}, {label}: fewer than 3 providers with published "
                             "means and SD; not pooled.")
                continue
            result = meta_analysis(studies["d"].to_numpy(float),
                                   studies["variance"].to_numpy(float),
                                   method="REML", test="knha",
                                   labels=studies["org_code"].tolist())
            bench = WAKEFIELD_2021[measure]
            table = studies[["org_code", "org_name", "n", "d", "variance",
                             "mean_start", "mean_end", "sd_start"]].assign(
                weight=np.asarray(result.weights, dtype=float)).reset_index(drop=True)
            pooled.append(PooledEffect(
                therapy, measure, label, int(result.k), float(result.estimate),
                float(result.ci_low), float(result.ci_high), float(result.tau2),
                float(result.I2), float(result.pi_low), float(result.pi_high),
                float(result.Q), float(result.Q_pvalue), bench[0], bench[1:],
                int((~ok).sum()), table))
    return EvidenceResult(year, correlation, pooled, notes)
