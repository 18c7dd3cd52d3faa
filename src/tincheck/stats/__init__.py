"""Statistics on small aggregates: pure numpy / scipy / statsmodels.

One function per statistic, in a module named for its family; each docstring gives
the formula and its reference, and each test pins it to an independent implementation.
The public API is documented with examples in ``docs/stats.md``.

- ``intervals``: Wilson, Clopper-Pearson and t intervals;
- ``effect_sizes``: pre-post d (pre SD, pooled SD, d_z) from raw pairs or summaries;
- ``reliable_change``: reliable change indices and Jacobson-Truax clinical significance;
- ``agreement``: Cohen's kappa;
- ``imputation``: chained-equation PMM imputation and Rubin's rules.
"""

from .agreement import Kappa, cohen_kappa
from .effect_sizes import (
    EffectSize,
    d_pooled_sd,
    d_pooled_sd_from_summary,
    d_pre_sd,
    d_pre_sd_from_summary,
    d_z,
    d_z_from_summary,
    hedges_j,
)
from .imputation import PooledProportion, RubinResult, impute_pmm, pooled_proportion, rubin_rules
from .intervals import clopper_pearson_interval, mean_t_interval, wilson_interval
from .reliable_change import (
    ChangeResult,
    ChangeSummary,
    Cutoff,
    clinical_significance,
    reliable_change,
)

__all__ = [
    "ChangeResult", "ChangeSummary", "Cutoff", "EffectSize", "Kappa", "PooledProportion",
    "RubinResult", "clinical_significance", "clopper_pearson_interval", "cohen_kappa",
    "d_pooled_sd", "d_pooled_sd_from_summary", "d_pre_sd", "d_pre_sd_from_summary", "d_z",
    "d_z_from_summary", "hedges_j", "impute_pmm", "mean_t_interval", "pooled_proportion",
    "reliable_change", "rubin_rules", "wilson_interval",
]
