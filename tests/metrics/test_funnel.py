"""funnel.*: what happened to everyone referred."""

from __future__ import annotations

from .cohort import fraction


def test_every_ended_referral_lands_in_exactly_one_stage(cohort):
    cohort.referral(end_reason="not_assessed").assessment(7, attendance="dna")   # not seen
    cohort.referral(end_reason="declined").assessment(7)                        # seen
    cohort.referral(end_reason="dropped_out_treatment").assessment(7).treatment(14)
    cohort.referral().assessment(7).treatments(3)                                # finished
    cohort.referral(end_reason="dropped_out_assessment")                         # no contact
    cohort.referral(length=None, end_reason=None).treatments(3)                  # still open
    a = cohort.audit()
    assert a.value("funnel.referrals_received") == 6
    assert a.value("funnel.referrals_ended") == 5
    assert fraction(a, "funnel.ended_not_seen") == (2, 5)
    assert fraction(a, "funnel.ended_seen_not_treated") == (1, 5)
    assert fraction(a, "funnel.ended_before_treatment") == (3, 5)
    assert fraction(a, "funnel.ended_one_treatment") == (1, 5)
    assert fraction(a, "funnel.finished_course") == (1, 5)
    assert fraction(a, "funnel.not_finished") == (4, 5)
    assert fraction(a, "funnel.completed_as_planned") == (1, 5)
    assert fraction(a, "funnel.dropped_out") == (2, 5)


def test_open_referrals_are_not_ended(cohort):
    cohort.referral(length=None, end_reason=None).treatments(4).phq9(15, 5).gad7(10, 4)
    a = cohort.audit()
    assert a.value("funnel.referrals_ended") == 0
    assert a.value("official.finished_course") == 0
    assert a.metrics["official.recovery_rate"].value is None      # 0 / 0


def test_period_filters_outcomes_by_ended_date_and_received_by_received_date(cohort):
    cohort.referral(received=0, length=100).treatments(2)          # ended 2023-04-12
    cohort.referral(received=80, length=100).treatments(2)         # ended 2023-07-01
    cohort.referral(received=200, length=30).treatments(2)         # received 2023-07-21
    a = cohort.audit(period="2023-04-01:2023-07-31")
    assert a.value("funnel.referrals_received") == 1                # received 2023-07-21
    assert a.value("funnel.referrals_ended") == 2
    a = cohort.audit(period="2023-06-01:")                           # open-ended period
    assert (a.value("funnel.referrals_received"), a.value("funnel.referrals_ended")) == (1, 2)
