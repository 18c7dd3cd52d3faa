"""Agreement between two classifications of the same people (Cohen's kappa).

Used to ask whether questionnaire "recovery" agrees with loss of diagnosis at an
independent blind interview: the 2 × 2 table official recovered × lost index diagnoses.

References
----------
Cohen J (1960) A coefficient of agreement for nominal scales. Educ Psychol Meas
20:37-46.
Fleiss JL, Cohen J, Everitt BS (1969) Large sample standard errors of kappa and
weighted kappa. Psychol Bull 72:323-327.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .arguments import check_confidence, plain_dict

__all__ = ["Kappa", "cohen_kappa"]


@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa with its standard errors, CI and test of κ = 0."""

    kappa: float
    ase: float
    ci_low: float
    ci_high: float
    n: int
    observed: float
    expected: float
    ase_null: float
    z: float
    p_value: float

    def to_dict(self) -> dict:
        """Plain Python values, ready for JSON."""
        return plain_dict(self)


def cohen_kappa(table, confidence: float = 0.95) -> Kappa:
    """Cohen's (unweighted) kappa for a k × k table of counts, with its asymptotic SE.

    κ = (p_o − p_e) / (1 − p_e), where p_o = Σ p_ii is the observed agreement and
    p_e = Σ p_i· p_·i the agreement expected by chance from the margins (rows: first
    rater or method, columns: second).

    The CI is κ ± z·ASE with the large-sample SE of Fleiss, Cohen & Everitt (1969)
    under the alternative (this is the SE statsmodels reports as ``std_kappa`` and
    uses for ``kappa_low``/``kappa_upp``, and SAS as "ASE"):

    ASE² = [Σ_i p_ii (1 − (p_i· + p_·i)(1 − κ))² + (1 − κ)² Σ_{i≠j} p_ij (p_·i + p_j·)²
    − (κ − p_e(1 − κ))²] / (n (1 − p_e)²).

    The test of κ = 0 uses the SE under the null hypothesis,
    ASE₀² = [p_e + p_e² − Σ_i p_i· p_·i (p_i· + p_·i)] / (n (1 − p_e)²), with
    z = κ / ASE₀ and a two-sided normal p-value.

    Parameters
    ----------
    table : array-like, k × k (k ≥ 2)
        Counts: table[i][j] = people put in category i by the first rating and j by
        the second.
    confidence : float, default 0.95

    Returns
    -------
    Kappa
        kappa, ase, ci_low, ci_high, n, observed (p_o), expected (p_e), ase_null, z,
        p_value. Kappa and its SEs are NaN when p_e = 1 (both ratings put everyone
        in one category).

    Raises
    ------
    ValueError
        A table that is not square, has a negative or missing count, or is empty.

    References: Cohen (1960); Fleiss, Cohen & Everitt (1969).

    >>> k = cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    >>> [round(x, 4) for x in (k.kappa, k.ase, k.ci_low, k.ci_high)]
    [0.4842, 0.138, 0.2137, 0.7547]
    """
    z_crit = check_confidence(confidence)
    try:
        counts = np.asarray(table, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"table must be a square array of counts; got {table!r}") from None
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise ValueError(f"table must be a square k × k array of counts with k ≥ 2; got shape "
                         f"{counts.shape}")
    bad = ~np.isfinite(counts) | (counts < 0)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(f"table[{i}][{j}] = {counts[i, j]:g}: expected a count ≥ 0")
    n = counts.sum()
    if n == 0:
        raise ValueError("table is empty (all counts are 0)")
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    observed = np.trace(p)
    expected = rows @ cols
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (observed - expected) / (1 - expected)
        diagonal = np.diag(p) * (1 - (rows + cols) * (1 - kappa)) ** 2
        off = p * (cols[:, None] + rows[None, :]) ** 2
        off_diagonal = (1 - kappa) ** 2 * (off.sum() - np.trace(off))
        variance = (diagonal.sum() + off_diagonal - (kappa - expected * (1 - kappa)) ** 2) / (
            n * (1 - expected) ** 2)
        variance_null = (expected + expected**2 - np.sum(rows * cols * (rows + cols))) / (
            n * (1 - expected) ** 2)
        ase, ase_null = np.sqrt(variance), np.sqrt(variance_null)
        z = kappa / ase_null
    return Kappa(kappa=float(kappa), ase=float(ase), ci_low=float(kappa - z_crit * ase),
                 ci_high=float(kappa + z_crit * ase), n=round(n),
                 observed=float(observed), expected=float(expected),
                 ase_null=float(ase_null), z=float(z),
                 p_value=float(2 * stats.norm.sf(abs(z))))
