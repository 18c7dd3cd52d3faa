"""The official NHS Talking Therapies rates as plain functions of counts.

This module is the one definition of the headline rate formulas: the published-data
audit applies them to the counts NHS England publishes, and the patient-level metrics
engine (``tincheck.metrics.official``) applies them to the counts it derives from
records. Each function takes counts (scalars or numpy arrays), returns a proportion
between 0 and 1, and gives NaN where the denominator is not positive. Nothing is
dropped: a NaN count gives a NaN rate.

Definitions: NHS Digital (2021) *A guide to IAPT data and publications, updated for the
v2.0 dataset*, §6 (caseness, recovery, reliable improvement, reliable deterioration,
reliable recovery, finished a course of treatment). Referrals that finished a course
without paired scores stay in the denominators as not recovered, exactly as published.
Verified on the published annual data: England 2018-19 recovery
284,810 / (582,556 − 35,706) = 52.1%.

Rounding of published percentages is in :func:`round_half_up`: NHS England rounds
half away from zero (SQL Server ``ROUND``), which for the non-negative rates here is
half up; Python's ``round`` rounds half to even and would disagree on exact halves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, numerator / denominator, np.nan)
    return float(value) if value.ndim == 0 else value


def recovery_denominator(finished, not_at_caseness):
    """Referrals in the recovery denominator: finished − not at caseness.

    NHS Digital (2021) guide §6.5: referrals that finished a course of treatment,
    less those whose first PHQ-9 and first anxiety score were both below caseness.
    Finishers without paired scores stay in it (they are not "not at caseness").

    >>> int(recovery_denominator(582556, 35706))
    546850
    """
    return np.asarray(finished, dtype=float) - np.asarray(not_at_caseness, dtype=float)


def recovery_rate(recovered, finished, not_at_caseness):
    """Official recovery rate: recovered / (finished − not at caseness).

    Parameters
    ----------
    recovered : referrals at caseness at the start whose last PHQ-9 and last anxiety
        score are both below caseness.
    finished : referrals that ended in the period with ≥ 2 treatment contacts.
    not_at_caseness : finishers with paired scores, neither first score at caseness.

    Returns the proportion (0-1); NaN where the denominator is not positive.

    Reference: NHS Digital (2021) guide §6.5 (recovery).

    >>> round(100 * recovery_rate(284810, 582556, 35706), 1)   # England 2018-19
    52.1
    """
    return _ratio(recovered, recovery_denominator(finished, not_at_caseness))


def reliable_recovery_rate(reliably_recovered, finished, not_at_caseness):
    """Official reliable recovery rate: reliably recovered / (finished − not at caseness).

    Reliable recovery = recovery and reliable improvement (NHS Digital 2021 guide §6.7).

    >>> round(100 * reliable_recovery_rate(270763, 582556, 35706), 1)   # England 2018-19
    49.5
    """
    return _ratio(reliably_recovered, recovery_denominator(finished, not_at_caseness))


def reliable_improvement_rate(improved, finished):
    """Official reliable improvement rate: reliably improved / finished.

    Reliable improvement: PHQ-9 or the anxiety measure fell by at least its
    reliable-change threshold and neither rose by it (NHS Digital 2021 guide §6.6).

    >>> round(100 * reliable_improvement_rate(392662, 582556), 1)   # England 2018-19
    67.4
    """
    return _ratio(improved, finished)


def reliable_deterioration_rate(deteriorated, finished):
    """Official reliable deterioration rate: reliably deteriorated / finished.

    NHS Digital (2021) guide §6.8.

    >>> round(100 * reliable_deterioration_rate(33660, 582556), 1)   # England 2018-19
    5.8
    """
    return _ratio(deteriorated, finished)


def no_reliable_change_rate(no_change, finished):
    """Official no-reliable-change rate: no reliable change / finished.

    Paired finishers who neither reliably improved nor reliably deteriorated
    (NHS Digital 2021 guide §6.6-6.8).

    >>> round(100 * no_reliable_change_rate(149884, 582556), 1)   # England 2018-19
    25.7
    """
    return _ratio(no_change, finished)


def no_paired_scores(finished, at_caseness, not_at_caseness):
    """Finishers without paired scores: finished − at caseness − not at caseness.

    They count as not recovered in every official rate (NHS Digital 2021 guide §6.5).

    >>> int(no_paired_scores(672193, 633236, 37805))   # England 2022-23
    1152
    """
    return (np.asarray(finished, dtype=float) - np.asarray(at_caseness, dtype=float)
            - np.asarray(not_at_caseness, dtype=float))


def round_half_up(value, decimals: int = 1):
    """Round as NHS England does: half away from zero (half up for rates ≥ 0).

    A tolerance of 1e-9 absorbs binary floating-point error, so 52.05 (stored as
    52.04999…) rounds to 52.1 like the published figure. NaN stays NaN.

    >>> float(round_half_up(0.25, 1)), round(0.25, 1)
    (0.3, 0.2)
    """
    value = np.asarray(value, dtype=float)
    scale = 10.0 ** decimals
    rounded = np.sign(value) * np.floor(np.abs(value) * scale + 0.5 + 1e-9) / scale
    return float(rounded) if rounded.ndim == 0 else rounded


@dataclass(frozen=True)
class RateDefinition:
    """One official rate: its metric id, NHS measure name, label and formula."""

    id: str                    # metric id shared with tincheck.metrics.official
    measure: str               # NHS measure name (measure_name in the tidy files)
    label: str
    denominator: str           # in words
    compute: Callable          # the function above
    uses_not_at_caseness: bool

    def from_counts(self, numerator, finished, not_at_caseness=None):
        """The rate from its numerator, finished and (if needed) not-at-caseness counts."""
        if self.uses_not_at_caseness:
            return self.compute(numerator, finished, not_at_caseness)
        return self.compute(numerator, finished)


RATES: tuple[RateDefinition, ...] = (
    RateDefinition("official.recovery_rate", "recovery", "Recovery",
                   "finished − not at caseness", recovery_rate, True),
    RateDefinition("official.reliable_recovery_rate", "reliable_recovery",
                   "Reliable recovery", "finished − not at caseness",
                   reliable_recovery_rate, True),
    RateDefinition("official.reliable_improvement_rate", "improvement",
                   "Reliable improvement", "finished", reliable_improvement_rate, False),
    RateDefinition("official.reliable_deterioration_rate", "deterioration",
                   "Reliable deterioration", "finished", reliable_deterioration_rate, False),
    RateDefinition("official.no_reliable_change_rate", "no_reliable_change",
                   "No reliable change", "finished", no_reliable_change_rate, False),
)
"""The five published outcome rates, in the order the annual report gives them."""
