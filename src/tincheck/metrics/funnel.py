"""funnel: what happened to everyone referred (denominator: referrals ended, E)."""

from __future__ import annotations

from .registry import count, proportion
from .citations import GUIDE, TINCHECK

count("funnel.referrals_received", "Referrals received",
      lambda o: o.received,
      "Referrals received in the period (every other metric counts referrals ended).", GUIDE)
count("funnel.referrals_ended", "Referrals ended (E)",
      lambda o: o.ended, "Referrals whose ended_date is in the period.", GUIDE)


def _share(id, label, numerator, definition, source=TINCHECK):
    proportion(id, label, numerator, lambda o: o.ended, definition + " ÷ referrals ended (E).",
               source)


_share("funnel.ended_not_seen", "Ended without being seen",
       lambda o: o.ended & (o.attended_contacts == 0), "No attended contact")
_share("funnel.ended_seen_not_treated", "Seen but not treated",
       lambda o: o.ended & (o.attended_contacts >= 1) & (o.treatment_contacts == 0),
       "At least one attended contact and no treatment contact")
_share("funnel.ended_before_treatment", "Ended before any treatment",
       lambda o: o.ended & (o.treatment_contacts == 0),
       "No treatment contact (not seen, or seen but not treated)")
_share("funnel.ended_one_treatment", "Ended after one treatment session",
       lambda o: o.ended & (o.treatment_contacts == 1), "Exactly one treatment contact")
_share("funnel.finished_course", "Finished a course of treatment",
       lambda o: o.finished, "Two or more treatment contacts (the NHS 'finished a course')",
       GUIDE)
_share("funnel.not_finished", "Did not finish a course",
       lambda o: o.ended & ~o.finished, "Ended with fewer than two treatment contacts")
_share("funnel.completed_as_planned", "Ended as planned (mutually agreed completion)",
       lambda o: o.ended & (o.end_reason == "completed"), "end_reason completed (EndCode 46)")
_share("funnel.dropped_out", "Dropped out",
       lambda o: o.ended & o.end_reason.isin(("dropped_out_assessment",
                                              "dropped_out_treatment")).fill_null(False),
       "end_reason dropped_out_assessment or dropped_out_treatment (EndCode 16, 47)")
