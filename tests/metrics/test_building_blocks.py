"""Building blocks: which contacts are treatment, which scores count, and their order."""

from __future__ import annotations

from .cohort import fraction


def test_follow_up_dna_and_cancelled_appointments_are_not_treatment(cohort):
    (cohort.referral().assessment(0).treatment(7)
     .treatment(14, attendance="dna").treatment(21, attendance="cancelled_patient")
     .treatment(28, attendance="cancelled_provider").treatment(35, attendance="late_not_seen")
     .contact(100, "follow_up"))
    a = cohort.audit()
    assert fraction(a, "funnel.ended_one_treatment") == (1, 1)
    assert a.value("official.finished_course") == 0


def test_late_seen_counts_as_attended(cohort):
    cohort.referral().treatment(7, attendance="late_seen").treatment(14, attendance="late_seen")
    assert cohort.audit().value("official.finished_course") == 1


def test_employment_support_contacts_are_not_treatment(cohort):
    cohort.referral().treatment(7).treatment(14, therapy="employment_support")
    a = cohort.audit()
    assert fraction(a, "funnel.ended_one_treatment") == (1, 1)


def test_review_and_assessment_with_treatment_are_treatment_kinds(cohort):
    cohort.referral().contact(7, "assessment_treatment").contact(14, "review_treatment")
    cohort.referral().assessment(7).contact(14, "other")
    a = cohort.audit()
    assert a.value("official.finished_course") == 1
    assert fraction(a, "funnel.ended_seen_not_treated") == (1, 2)


def test_contacts_outside_the_referral_do_not_count(cohort):
    cohort.referral(length=30).treatment(7).treatment(40)         # second after the end
    assert cohort.audit().value("official.finished_course") == 0


def test_scores_after_the_referral_ended_are_ignored(cohort):
    # the 4 on day 140 would make this a recovery; the referral ended on day 120
    cohort.referral().treatments(2).phq9(15, 12, 4, days=[0, 14, 140]).gad7(9, 5)
    a = cohort.audit()
    assert fraction(a, "official.recovery_rate") == (0, 1)


def test_scores_at_unattended_appointments_count(cohort):
    # v2.0: a score recorded at a DNA'd appointment still counts; measures carry dates
    cohort.referral().treatments(2).treatment(30, attendance="dna").phq9(
        15, 5, days=[0, 30]).gad7(9, 5, days=[0, 30])
    assert fraction(cohort.audit(), "official.recovery_rate") == (1, 1)


def test_two_scores_on_one_date_are_ordered_by_row(any_cohort):
    # same last date: the row written later (the 12) is the last score
    any_cohort.referral().treatments(2).phq9(15, 5, 12, days=[0, 30, 30]).gad7(9, 5, days=[0, 30])
    any_cohort.referral().treatments(2).phq9(15, 12, 5, days=[0, 30, 30]).gad7(9, 5, days=[0, 30])
    a = any_cohort.audit()
    assert fraction(a, "official.recovery_rate") == (1, 2)


def test_first_score_is_the_earliest_date_not_the_first_row(cohort):
    # rows out of date order: the first by date is the 16 (day 0), not the 6 (day 30)
    cohort.referral().treatments(2).phq9(6, 16, days=[30, 0]).gad7(5, 5)
    a = cohort.audit()
    assert fraction(a, "official.reliable_improvement_rate") == (1, 1)
