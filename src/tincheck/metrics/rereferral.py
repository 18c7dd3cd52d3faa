"""rereferral: does it last? (the revolving door)

A referral counts only if at least 365 days separate its end from the end of the data
(``data_end``, default the latest date in the data).
"""

from __future__ import annotations

from .registry import proportion
from .citations import TINCHECK

proportion("rereferral.within_12_months", "Re-referred within 12 months",
           lambda o: o.rereferral_eligible & o.rereferred, lambda o: o.rereferral_eligible,
           "The same client had another referral received within 365 days on or after this "
           "one ended ÷ ended referrals with at least 365 days of data after their end.",
           TINCHECK)
proportion("rereferral.recovered_within_12_months", "Re-referred within 12 months after "
           "recovery",
           lambda o: o.rereferral_eligible & o.official_recovered & o.rereferred,
           lambda o: o.rereferral_eligible & o.official_recovered,
           "The same, among officially recovered referrals.", TINCHECK)
proportion("rereferral.clients_with_3plus_referrals", "Clients with three or more referrals",
           lambda o: (o.client_rank == 0) & (o.client_referrals >= 3),
           lambda o: o.client_rank == 0,
           "Clients with at least three referrals anywhere in the data ÷ clients (whatever "
           "the period).", TINCHECK)
