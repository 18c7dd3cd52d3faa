"""delivery: what people actually received.

Denominator T: referrals ended in the period with at least one treatment contact.
A contact's step is its recorded intensity, or else the group of its therapy type.
"""

from __future__ import annotations

from ..stats.intervals import wilson_interval
from .official import eligible_for_recovery
from .registry import mean, proportion, table
from .citations import TINCHECK

SECOND_SESSION_DAYS = (28, 90)


def entered(o):
    return o.ended & (o.treatment_contacts >= 1)


proportion("delivery.entered_treatment", "Entered treatment (T) among ended referrals",
           entered, lambda o: o.ended,
           "Referrals ended with at least one treatment contact ÷ referrals ended.", TINCHECK)
proportion("delivery.low_intensity_only", "Low intensity only",
           lambda o: entered(o) & (o.low_treatment_contacts == o.treatment_contacts), entered,
           "Every treatment contact was low intensity ÷ T.", TINCHECK)
proportion("delivery.guided_self_help", "Mostly (guided or non-guided) self-help",
           lambda o: entered(o) & (o.self_help_contacts * 2 > o.treatment_contacts), entered,
           "More than half of the treatment contacts were gsh_book, gsh_computer, nongsh_book "
           "or nongsh_computer ÷ T.", TINCHECK)
proportion("delivery.stepped_up", "Stepped up from low to high intensity",
           lambda o: entered(o) & o.stepped_up, entered,
           "A low-intensity treatment contact followed by a high-intensity one ÷ T.", TINCHECK)
proportion("delivery.telephone_contacts", "Treatment contacts by telephone",
           lambda o: entered(o).ifelse(o.telephone_contacts, 0),
           lambda o: entered(o).ifelse(o.treatment_contacts, 0),
           "Telephone treatment contacts ÷ all treatment contacts of ended referrals (a "
           "share of contacts, not of people).", TINCHECK)
mean("delivery.mean_sessions", "Mean treatment sessions among those treated",
     lambda o: o.treatment_contacts, entered,
     "Mean (and median) number of treatment contacts over T.", TINCHECK, unit="sessions")
for days in SECOND_SESSION_DAYS:
    proportion(f"delivery.wait_second_treatment_over_{days}_days",
               f"Waited over {days} days for the second treatment session",
               lambda o, d=days: o.ended & (o.second_wait_days > d).fill_null(False),
               lambda o: o.ended & (o.treatment_contacts >= 2),
               f"More than {days} days between the first and second treatment contacts ÷ "
               "ended referrals with at least two (the 'hidden wait').", TINCHECK)


def _by_therapy(bases):
    o = bases["referrals"]
    f = o.filter(o.finished)
    return f.group_by(therapy=f.therapy.fill_null("not_recorded")).aggregate(
        courses=f.count(),
        eligible=eligible_for_recovery(f).cast("int64").sum(),
        recovered=f.official_recovered.cast("int64").sum(),
        reliably_improved=f.reliable_improvement.cast("int64").sum(),
    ).order_by("therapy")


def _finish_by_therapy(rows):
    for row in rows:
        low, high = wilson_interval(row["recovered"], row["eligible"])
        row["recovery_rate"] = row["recovered"] / row["eligible"] if row["eligible"] else None
        row["recovery_ci_low"], row["recovery_ci_high"] = (
            (low, high) if row["eligible"] else (None, None))
        low, high = wilson_interval(row["reliably_improved"], row["courses"])
        row["reliable_improvement_rate"] = row["reliably_improved"] / row["courses"]
        row["reliable_improvement_ci_low"], row["reliable_improvement_ci_high"] = low, high
    return rows


table("delivery.by_therapy_type", "Finished courses by their main therapy type",
      _by_therapy,
      "Finished courses grouped by their most frequent therapy type (ties go to the type "
      "delivered last), with official recovery and reliable improvement rates.", TINCHECK,
      columns=[("therapy", "most frequent therapy type of the treatment contacts"),
               ("courses", "finished courses"),
               ("eligible", "recovery denominator (finished − not at caseness)"),
               ("recovered", "officially recovered"),
               ("recovery_rate", "recovered ÷ eligible, Wilson 95% interval"),
               ("reliably_improved", "reliably improved"),
               ("reliable_improvement_rate", "reliably improved ÷ courses")],
      finish=_finish_by_therapy)
