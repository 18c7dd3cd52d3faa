"""sensitivity: how the handling of missing outcomes changes recovery among cases.

Completers is the official rate; missing-as-not-recovered is the ITT rate; LOCF
carries the last available scores forward. Multiple imputation is computed in
:mod:`tincheck.metrics.imputation` on the aggregated-to-referral table.
"""

from __future__ import annotations

from .official import eligible_for_recovery
from .registry import proportion
from .citations import ANNUAL_REPORT, TINCHECK

proportion("sensitivity.completers", "Completers only (the official rate)",
           lambda o: o.official_recovered, eligible_for_recovery,
           "Equal to official.recovery_rate: recovery among finished courses at caseness.",
           ANNUAL_REPORT)
proportion("sensitivity.missing_as_not_recovered", "Missing counted as not recovered",
           lambda o: o.case & o.official_recovered, lambda o: o.case,
           "Equal to itt.recovery_among_cases.", TINCHECK)
proportion("sensitivity.locf", "Last observation carried forward",
           lambda o: o.case & o.locf_recovered, lambda o: o.case,
           "Cases whose last available PHQ-9 and anxiety-measure scores (finished or not) "
           "are below caseness ÷ cases (C); a single score stays a case, and a case with no "
           "score on a measure counts as not recovered.", TINCHECK)
