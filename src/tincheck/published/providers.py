"""Provider comparison: recovery rates on a funnel plot around the national rate.

Each provider's official recovery rate (recovered ÷ (finished − not at caseness), from
its published counts) is compared with the England rate of the same year, the target
θ. Limits (Spiegelhalter 2005): exact binomial at 95% and 99.8%, and the same
coverages widened for overdispersion by an additive random effect τ² estimated from
z-scores winsorised at 10% each tail (§5.2). Providers outside the 99.8% limits after
that adjustment differ from the national rate by more than the usual spread between
providers; those outside only the unadjusted limits may just be noise on a large
denominator.

Provider counts are rounded to the nearest 5 by NHS England, so each rate carries an
error of up to about 2.5 / denominator besides its sampling error; a suppressed
not-at-caseness count (``*``, 0 to 4) is taken as 2, the middle of its range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..rates import recovery_denominator, recovery_rate
from ..stats.control_limits import COVERAGES, funnel
from .read import PublishedTable

WINSOR = 0.1
SUPPRESSED_MIDPOINT = 2.0


@dataclass(frozen=True)
class FunnelResult:
    """Recovery rates of one organisation type in one year against the national rate."""

    year: str
    org_type: str
    target: float                # θ, the national recovery rate (proportion)
    target_source: str
    providers: pd.DataFrame      # one row per compared organisation, with limits/flags
    excluded: pd.DataFrame       # org_code, org_name, reason
    phi: float                   # overdispersion factor (winsorised)
    tau2: float                  # additive between-provider variance
    overdispersion_p: float      # P(χ²(I − 1) ≥ I·φ)
    curve: pd.DataFrame          # denominators and limits, for drawing

    @property
    def compared(self) -> int:
        return len(self.providers)

    def outside(self, limit: str) -> pd.DataFrame:
        """Providers outside ``limit``: 'exact_95', 'exact_998', 're_95', 're_998'."""
        flag = self.providers[f"outside_{limit}"]
        return self.providers[flag].sort_values("z")

    def counts(self) -> dict[str, dict[str, int]]:
        """Providers above and below each limit."""
        out = {}
        for limit in ("exact_95", "exact_998", "re_95", "re_998"):
            rows = self.outside(limit)
            out[limit] = {"above": int((rows["rate"] > self.target).sum()),
                          "below": int((rows["rate"] < self.target).sum()),
                          "total": len(rows)}
        return out


def national_recovery(measures: PublishedTable, year: str) -> tuple[float, str] | None:
    """England's recovery rate in ``year`` from its exact published counts."""
    wide = measures.wide({"org_type": "England", "variable_type": "Total",
                          "reporting_period": year},
                         ["recovery", "finished_course_treatment", "not_at_caseness"])
    if wide.empty:
        return None
    row = wide.iloc[0]
    rate = recovery_rate(row["recovery_count"], row["finished_course_treatment_count"],
                         row["not_at_caseness_count"])
    return (float(rate), f"England {year}: {row['recovery_count']:,.0f} recovered of "
            f"{row['finished_course_treatment_count'] - row['not_at_caseness_count']:,.0f}")


def provider_funnel(measures: PublishedTable, year: str, org_type: str = "Provider",
                    target: float | None = None) -> FunnelResult:
    """Funnel-plot comparison of recovery rates for ``org_type`` in ``year``.

    ``target`` defaults to England's rate in ``year``; without England rows it is
    the pooled rate of the organisations compared (the report says which).
    Organisations without a recovery count or denominator are listed in ``excluded``
    with the reason, never silently dropped.
    """
    wide = measures.wide({"org_type": org_type, "variable_type": "Total",
                          "reporting_period": year},
                         ["recovery", "finished_course_treatment", "not_at_caseness"])
    keys = ["org_code", "org_name"]
    if wide.empty:
        empty = pd.DataFrame(columns=keys + ["reason"])
        return FunnelResult(year, org_type, float("nan"), "no data", empty.iloc[:0],
                            empty, float("nan"), float("nan"), float("nan"),
                            pd.DataFrame())
    recovered = wide["recovery_count"].to_numpy(float)
    finished = wide["finished_course_treatment_count"].to_numpy(float)
    not_case = wide["not_at_caseness_count"].to_numpy(float)
    not_case_suppressed = wide["not_at_caseness_count__suppressed"].to_numpy(bool)
    not_case = np.where(not_case_suppressed, SUPPRESSED_MIDPOINT, not_case)
    denominator = recovery_denominator(finished, not_case)
    reason = np.select(
        [np.isnan(finished), np.isnan(recovered) & wide["recovery_count__suppressed"],
         np.isnan(recovered), np.isnan(not_case), ~(denominator > 0)],
        ["finished count not published", "recovered count suppressed (under 5)",
         "recovered count not published", "not-at-caseness count not published",
         "no referrals in the recovery denominator"], default="")
    keep = reason == ""
    excluded = wide.loc[~keep, keys].assign(reason=reason[~keep]).reset_index(drop=True)
    frame = wide.loc[keep, keys].reset_index(drop=True)
    frame["recovered"] = recovered[keep]
    frame["denominator"] = denominator[keep]
    frame["not_at_caseness_suppressed"] = not_case_suppressed[keep]
    frame["rate"] = recovery_rate(frame["recovered"], frame["denominator"], 0)
    if target is None:
        national = national_recovery(measures, year)
        if national is not None:
            target, source = national
        else:
            target = float(frame["recovered"].sum() / frame["denominator"].sum())
            source = f"pooled rate of the {len(frame)} {org_type} rows compared " \
                     "(no England row in the data)"
    else:
        source = "given by the user"
    # the one funnel implementation, shared with the audit's services comparison
    result = funnel(frame["recovered"], frame["denominator"], target, WINSOR, COVERAGES)
    units = result.units.drop(columns=["events", "n", "rate"])
    frame = pd.concat([frame, units], axis=1)
    phi = result.phi if len(frame) > 2 else float("nan")
    tau2, p_value, curve = result.tau2, result.overdispersion_p, result.curve
    return FunnelResult(year, org_type, float(target), source,
                        frame.sort_values("denominator").reset_index(drop=True),
                        excluded, phi, tau2, p_value, curve)
