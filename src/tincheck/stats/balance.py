"""Balance of a sample against the population it should represent.

One statistic, the standardised mean difference, used for every representativeness
table: the study's sample against its sampling frame (``tincheck study sample``) and
the audit's interviewed clients against everyone referred
(``diagnostic.representativeness``).

References
----------
Austin PC (2009) Balance diagnostics for comparing the distribution of baseline
covariates between treatment groups in propensity-score matched samples. Stat Med
28:3083-3107.
Normand SLT et al. (2001) Validating recommendations for coronary angiography following
acute myocardial infarction in the elderly. J Clin Epidemiol 54:387-398 (the 0.1 flag).
"""

from __future__ import annotations

import math

import numpy as np

SMD_FLAG = 0.1


def standardised_mean_difference(mean_in, var_in, mean_all, var_all) -> float | None:
    """SMD = (mean₁ − mean₀) / √((var₁ + var₀)/2); None when undefined.

    The usual balance statistic for comparing a sample (1) with its population (0):
    for a continuous characteristic the means and variances of its values, for a
    share (a 0/1 indicator) the shares and their variances. |SMD| > 0.1 is the
    customary flag (:data:`SMD_FLAG`). None when any summary is missing or NaN; 0 when
    both variances and the means are equal, None when only the variances are 0.

    Parameters
    ----------
    mean_in, var_in : mean and variance in the sample
    mean_all, var_all : mean and variance in the population

    Returns
    -------
    float or None

    References: Austin (2009) Stat Med 28:3083-3107, eq. (1) and (2).

    >>> round(standardised_mean_difference(60.0, 0.0, 40.0, 480.0), 4)
    1.291
    """
    values = (mean_in, var_in, mean_all, var_all)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        return None
    pooled = math.sqrt((var_in + var_all) / 2)
    if pooled == 0:
        return 0.0 if mean_in == mean_all else None
    return (mean_in - mean_all) / pooled


def summary(values) -> tuple[int, float | None, float | None]:
    """(n, mean, sample variance) of the values that are not NaN (None where undefined).

    The sample variance divides by n − 1, as SQL's ``var_samp`` does in the audit, so
    the two representativeness tables compute the same figure from the same data.

    >>> summary([1.0, float("nan"), 3.0])
    (2, 2.0, 2.0)
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else None
    var = float(x.var(ddof=1)) if n > 1 else None
    return n, mean, var
