"""itt: the same outcomes over everyone who was a case when referred.

C = referrals ended in the period whose first PHQ-9 ≥ 10 or whose first score on the
anxiety measure is at caseness (the descriptor's ADSM if it has any score, else
GAD-7), whatever happened next. Unknown outcomes count as not recovered.
"""

from __future__ import annotations

from .registry import count, proportion
from .citations import TINCHECK

count("itt.cases", "Cases when referred (C)", lambda o: o.case,
      "Referrals ended in the period whose first PHQ-9 or first anxiety-measure score (the "
      "descriptor's ADSM if it has any score, else GAD-7) was at caseness.", TINCHECK)
proportion("itt.recovered_per_ended_referral", "Recovered per ended referral",
           lambda o: o.official_recovered, lambda o: o.ended,
           "Officially recovered ÷ all referrals ended (E).", TINCHECK)
proportion("itt.reliable_recovery_per_ended_referral", "Reliably recovered per ended referral",
           lambda o: o.official_reliable_recovery, lambda o: o.ended,
           "Officially reliably recovered ÷ all referrals ended (E).", TINCHECK)
proportion("itt.recovery_among_cases", "Recovery among everyone referred as a case",
           lambda o: o.case & o.official_recovered, lambda o: o.case,
           "Cases that officially recovered ÷ cases (C); people who left, or whose outcome "
           "is unknown, count as not recovered.", TINCHECK)
proportion("itt.reliable_recovery_among_cases", "Reliable recovery among cases",
           lambda o: o.case & o.official_reliable_recovery, lambda o: o.case,
           "Cases that officially reliably recovered ÷ cases (C).", TINCHECK)
proportion("itt.deterioration_among_cases", "Reliable deterioration among cases",
           lambda o: o.case & o.deteriorated_any, lambda o: o.case,
           "Cases that reliably deteriorated on a measure with at least two scores, whether "
           "or not they finished a course ÷ cases (C).", TINCHECK)
proportion("itt.outcome_unknown_among_cases", "Cases with unknown outcome",
           lambda o: o.case & ~o.paired, lambda o: o.case,
           "Cases without paired scores (fewer than two PHQ-9 or two anxiety-measure "
           "scores) ÷ cases (C).", TINCHECK)
