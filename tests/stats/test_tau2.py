"""τ² estimators: the O(k) intercept-only path equals the general projection-matrix path."""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx

from tincheck.stats.tau2 import estimate_tau2, residual_q


@pytest.mark.parametrize("method", ["DL", "REML", "ML", "PM", "SJ", "HE", "HS", "EB"])
def test_intercept_fast_path_equals_the_design_matrix_path(bcg, method):
    yi, vi, _ = bcg
    ones = np.ones((yi.size, 1))
    assert estimate_tau2(yi, vi, method) == approx(estimate_tau2(yi, vi, method, ones),
                                                   rel=1e-10)
    assert residual_q(yi, vi, 0.3) == approx(residual_q(yi, vi, 0.3, ones), rel=1e-12)


def test_unknown_estimator():
    with pytest.raises(ValueError, match="unknown method 'XX'"):
        estimate_tau2([0.1, 0.2], [0.1, 0.1], "XX")
