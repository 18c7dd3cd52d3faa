"""rereferral: does it last? (the revolving door)

A referral counts only if at least 365 days separate its end from the end of the data
(``data_end``, default the latest date in the data). Clients with two and three or
more referrals count every referral in the data. The revolving-door figures over the
pathway table (:mod:`.pathway`) follow each referral to the client's previous and next
referral by (received date, row): whether the previous one was recorded as recovered,
and the days from one's end to the next's receipt.
"""

from __future__ import annotations

from .registry import count, mean, proportion
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
proportion("rereferral.clients_with_2plus_referrals", "Clients with two or more referrals",
           lambda o: (o.client_rank == 0) & (o.client_referrals >= 2),
           lambda o: o.client_rank == 0,
           "Clients with at least two referrals anywhere in the data ÷ clients (whatever "
           "the period).", TINCHECK)

# The revolving door, over the pathway table (metrics/pathway.py): each referral with
# the client's previous and next referral by (received date, row).
count("rereferral.back_after_an_ended_referral",
      "Referrals of clients whose previous referral had ended",
      lambda p: p.received & p.after_ended_episode,
      "Referrals received in the period whose client's previous referral (by date received) "
      "had ended on or before the day this one was received.", TINCHECK, base="pathway")
proportion("rereferral.recovered_but_back", "Back after 'recovering'",
           lambda p: p.received & p.after_ended_episode & p.previous_recovered.fill_null(False),
           lambda p: p.received & p.after_ended_episode,
           "The client's previous referral finished a course and was recorded as recovered "
           "(at caseness, last PHQ-9 and anxiety scores below caseness) ÷ referrals received "
           "in the period whose client's previous referral had ended (on or before the day "
           "this one was received).", TINCHECK, base="pathway")
mean("rereferral.days_to_next_referral", "Days from the end of a referral to the next",
     lambda p: p.days_to_next,
     lambda p: p.ended & p.days_to_next.notnull() & (p.days_to_next >= 0),
     "Mean (and median) days from the end of a referral ended in the period to the receipt "
     "of the client's next referral (by date received), over referrals followed by one "
     "received on or after their end (0: re-referred the day it ended). Not adjusted for "
     "censoring: referrals that ended late can only show short intervals.", TINCHECK,
     base="pathway", unit="days")
