"""Reference data sets for the meta-analysis tests (read from ../shared/reference_data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def _table(path):
    return pd.read_csv(path, sep=r"\s+", quotechar='"')


@pytest.fixture(scope="session")
def bcg(reference_dir):
    """dat.bcg (Colditz et al. 1994) as log risk ratios, as metafor's escalc(measure="RR")."""
    d = _table(reference_dir / "metadat_dat.bcg.txt")
    yi = np.log((d.tpos / (d.tpos + d.tneg)) / (d.cpos / (d.cpos + d.cneg))).to_numpy()
    vi = (1 / d.tpos - 1 / (d.tpos + d.tneg) + 1 / d.cpos - 1 / (d.cpos + d.cneg)).to_numpy()
    return yi, vi, d


@pytest.fixture(scope="session")
def bcg_or(reference_dir):
    """dat.bcg as log odds ratios, as metafor's escalc(measure="OR") (no zero cells)."""
    d = _table(reference_dir / "metadat_dat.bcg.txt")
    a, b, c, e = (d[col].to_numpy(dtype=float) for col in ("tpos", "tneg", "cpos", "cneg"))
    return np.log(a * e / (b * c)), 1 / a + 1 / b + 1 / c + 1 / e


@pytest.fixture(scope="session")
def raudenbush(reference_dir):
    """dat.raudenbush1985: teacher expectancy SMDs with their variances."""
    return _table(reference_dir / "metadat_dat.raudenbush1985.txt")


# Kacker (2004) interlaboratory data, as in statsmodels' test_meta.py (results computed
# there with R metafor 'rma' and control=list(tol=1e-9)).
KACKER_Y = np.array([61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90])
KACKER_V = np.array([0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])

# dat.egger2001 (metadat; Egger, Davey Smith & Altman 2001): 16 magnesium trials,
# ai/n1i deaths/patients treated, ci/n2i control. Data only, typed in from metadat.
EGGER2001 = np.array([
    [1, 40, 2, 36], [9, 135, 23, 135], [2, 200, 7, 200], [1, 48, 1, 46],
    [10, 150, 8, 148], [1, 59, 9, 56], [1, 25, 3, 23], [0, 22, 1, 21],
    [6, 76, 11, 75], [1, 27, 7, 27], [2, 89, 12, 80], [5, 23, 13, 33],
    [4, 130, 8, 122], [90, 1159, 118, 1157], [4, 107, 17, 108], [2216, 29011, 2103, 29039],
], dtype=float)


@pytest.fixture(scope="session")
def egger2001():
    """Log odds ratios as metafor's escalc(measure="OR"): 1/2 added to tables with a zero."""
    ai, n1, ci, n2 = EGGER2001.T
    a, b, c, d = ai, n1 - ai, ci, n2 - ci
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (x + 0.5 * zero for x in (a, b, c, d))
    return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


@pytest.fixture(scope="session")
def kacker():
    return KACKER_Y, KACKER_V
