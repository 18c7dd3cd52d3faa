"""itt.* and sensitivity.*: everyone who was a case when referred."""

from __future__ import annotations

from .cohort import fraction


def test_cases_include_people_who_never_finished(cohort):
    cohort.referral().assessment(0).phq9(15)                          # left: case, unknown
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)           # recovered
    cohort.referral().treatments(2).phq9(6, 5).gad7(5, 4)             # not a case
    cohort.referral().assessment(0)                                    # no scores: not a case
    a = cohort.audit()
    assert a.value("itt.cases") == 2
    assert fraction(a, "itt.recovery_among_cases") == (1, 2)
    assert fraction(a, "itt.recovered_per_ended_referral") == (1, 4)
    assert fraction(a, "itt.outcome_unknown_among_cases") == (1, 2)
    assert fraction(a, "sensitivity.completers") == fraction(a, "official.recovery_rate")
    assert fraction(a, "sensitivity.missing_as_not_recovered") == (1, 2)


def test_itt_caseness_uses_the_adsm_when_it_has_any_score(cohort):
    # panic: one PDSS score of 20 makes a case for ITT, though officially (GAD-7 fallback,
    # PHQ-9 5) the referral is not at caseness
    cohort.referral(problem="F41.0").treatments(2).phq9(5, 4).gad7(6, 3).scores("PDSS", 20)
    a = cohort.audit()
    assert a.value("itt.cases") == 1
    assert a.value("official.not_at_caseness") == 1
    assert fraction(a, "itt.recovery_among_cases") == (0, 1)


def test_deterioration_counts_referrals_that_did_not_finish(cohort):
    cohort.referral().assessment(0).treatment(7).phq9(12, 19)          # one session, +7
    cohort.referral().treatments(2).phq9(12, 20).gad7(9, 4)            # +8 and -5: neither
    a = cohort.audit()
    assert fraction(a, "itt.deterioration_among_cases") == (1, 2)
    assert fraction(a, "official.reliable_deterioration_rate") == (0, 1)


def test_reliable_recovery_among_cases(cohort):
    cohort.referral().treatments(2).phq9(18, 6).gad7(9, 7)             # reliably recovered
    cohort.referral().treatments(2).phq9(11, 8).gad7(9, 7)             # recovered only
    a = cohort.audit()
    assert fraction(a, "itt.reliable_recovery_among_cases") == (1, 2)
    assert fraction(a, "itt.reliable_recovery_per_ended_referral") == (1, 2)


def test_locf_carries_last_scores_and_a_single_score_stays_a_case(cohort):
    cohort.referral().assessment(0).treatment(7).phq9(15, 6).gad7(10, 5)   # left, improved
    cohort.referral().assessment(0).phq9(15).gad7(10)                      # single: a case
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)                # recovered
    cohort.referral().assessment(0).treatment(7).phq9(15, 6)               # no anxiety score
    a = cohort.audit()
    assert a.value("itt.cases") == 4
    assert fraction(a, "sensitivity.locf") == (2, 4)
    assert fraction(a, "sensitivity.missing_as_not_recovered") == (1, 4)
