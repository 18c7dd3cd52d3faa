"""official: NHS Talking Therapies headline measures, reproduced exactly.

Over referrals ended in the period that finished a course (F). Rate formulas are the
published annual report's: recovery ÷ (F − not at caseness); reliable improvement,
deterioration and no reliable change ÷ F. Referrals that finished without paired
scores stay in the denominators as not recovered, exactly as published.
"""

from __future__ import annotations

from ..instruments import DEPRESSION_MEASURE
# The rate formulas as functions of counts live in tincheck.rates, shared with the
# published-data audit; the registry below states the same formulas over records.
from ..rates import (no_reliable_change_rate, recovery_rate,  # noqa: F401
                     reliable_deterioration_rate, reliable_improvement_rate,
                     reliable_recovery_rate)
from .outcomes import WAIT_18_WEEKS_DAYS, WAIT_6_WEEKS_DAYS
from .registry import count, mean, proportion
from .citations import ANNUAL_REPORT, GUIDE


def eligible_for_recovery(o):
    """The recovery denominator: finished and not 'not at caseness' (F − not at caseness)."""
    return o.finished & ~o.not_at_caseness


count("official.finished_course", "Finished a course of treatment (F)", lambda o: o.finished,
      "Referrals ended in the period with at least two attended treatment contacts.", GUIDE)
count("official.at_caseness", "Finished, at caseness", lambda o: o.finished & o.at_caseness,
      f"Finished, paired, and the first {DEPRESSION_MEASURE} or first anxiety-measure score "
      "(or both) at caseness.", GUIDE)
count("official.not_at_caseness", "Finished, not at caseness",
      lambda o: o.finished & o.not_at_caseness,
      "Finished, paired, and neither first score at caseness.", GUIDE)
count("official.no_paired_scores", "Finished without paired scores",
      lambda o: o.finished & ~o.paired,
      "F − at caseness − not at caseness: fewer than two PHQ-9 or two anxiety-measure scores.",
      GUIDE)
proportion("official.recovery_rate", "Recovery rate (official)",
           lambda o: o.official_recovered, eligible_for_recovery,
           "At caseness, with the last PHQ-9 and last anxiety score both below caseness; "
           "÷ (finished − not at caseness).", ANNUAL_REPORT)
proportion("official.reliable_improvement_rate", "Reliable improvement rate (official)",
           lambda o: o.finished & o.reliable_improvement, lambda o: o.finished,
           "Paired; PHQ-9 or the anxiety measure fell by at least its reliable-change "
           "threshold and neither rose by at least its threshold; ÷ finished.", ANNUAL_REPORT)
proportion("official.reliable_deterioration_rate", "Reliable deterioration rate (official)",
           lambda o: o.finished & o.reliable_deterioration, lambda o: o.finished,
           "Paired; either measure rose by at least its threshold and neither fell by at "
           "least its threshold; ÷ finished.", ANNUAL_REPORT)
proportion("official.no_reliable_change_rate", "No reliable change rate (official)",
           lambda o: o.finished & o.no_reliable_change, lambda o: o.finished,
           "Paired and neither reliably improved nor reliably deteriorated (including one "
           "measure up and one down); ÷ finished.", ANNUAL_REPORT)
proportion("official.reliable_recovery_rate", "Reliable recovery rate (official)",
           lambda o: o.official_reliable_recovery, eligible_for_recovery,
           "Recovered and reliably improved; ÷ (finished − not at caseness).", ANNUAL_REPORT)
mean("official.mean_treatment_sessions", "Mean treatment sessions (finished courses)",
     lambda o: o.treatment_contacts, lambda o: o.finished,
     "Mean number of attended treatment contacts among referrals that finished a course.",
     GUIDE, unit="sessions")
proportion("official.wait_6_weeks_rate", "First treatment within 6 weeks",
           lambda o: o.finished & (o.wait_days <= WAIT_6_WEEKS_DAYS).fill_null(False),
           lambda o: o.finished,
           f"First treatment contact at most {WAIT_6_WEEKS_DAYS} days after the referral was "
           "received; ÷ finished.", GUIDE)
proportion("official.wait_18_weeks_rate", "First treatment within 18 weeks",
           lambda o: o.finished & (o.wait_days <= WAIT_18_WEEKS_DAYS).fill_null(False),
           lambda o: o.finished,
           f"First treatment contact at most {WAIT_18_WEEKS_DAYS} days after the referral was "
           "received; ÷ finished.", GUIDE)
