"""official.*: the NHS headline measures, one rule per test on a hand-built cohort.

Rules: NHS Digital (2021) guide §6.1-6.8 and docs/metrics.md; thresholds from
docs/instruments.md (PHQ-9 caseness >= 10, reliable change 6; GAD-7 >= 8, 4; SPIN 19, 10;
PDSS 8, 5; MI > 2.3, 0.73).
"""

from __future__ import annotations

from .cohort import fraction


def test_not_at_caseness_stays_out_of_the_recovery_denominator(cohort):
    cohort.referral().treatments(2).phq9(8, 4).gad7(6, 3)        # not at caseness
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)      # recovered
    cohort.referral().treatments(3).phq9(15, 12).gad7(10, 9)     # at caseness, not recovered
    a = cohort.audit()
    assert a.value("official.finished_course") == 3
    assert a.value("official.not_at_caseness") == 1
    assert a.value("official.at_caseness") == 2
    assert fraction(a, "official.recovery_rate") == (1, 2)        # 1 / (3 - 1)
    assert fraction(a, "official.reliable_improvement_rate") == (1, 3)  # over F


def test_caseness_on_the_adsm_only(cohort):
    # social phobia: SPIN 25 is a case although PHQ-9 8 and GAD-7 6 are not
    cohort.referral(problem="F40.1").treatments(2).phq9(8, 5).gad7(6, 3).scores(
        "SPIN", 25, 12)
    a = cohort.audit()
    assert a.value("official.at_caseness") == 1
    assert fraction(a, "official.recovery_rate") == (1, 1)
    # reliable improvement on the ADSM: SPIN fell by 13 >= 10
    assert fraction(a, "official.reliable_improvement_rate") == (1, 1)


def test_adsm_with_one_score_falls_back_to_gad7(any_cohort):
    # panic: one PDSS score (20, a case) cannot pair, so GAD-7 (6 -> 3, not a case) is
    # the anxiety measure; PHQ-9 9 is not a case either, so: not at caseness.
    any_cohort.referral(problem="F41.0").treatments(2).phq9(9, 4).gad7(6, 3).scores("PDSS", 20)
    a = any_cohort.audit()
    assert a.value("official.not_at_caseness") == 1
    assert fraction(a, "official.recovery_rate") == (0, 0)


def test_adsm_with_two_scores_is_used_instead_of_gad7(cohort):
    # panic: PDSS 12 -> 10 is still a case (>= 8) though GAD-7 fell to 3: not recovered
    cohort.referral(problem="F41.0").treatments(2).phq9(12, 4).gad7(12, 3).scores(
        "PDSS", 12, 10)
    a = cohort.audit()
    assert fraction(a, "official.recovery_rate") == (0, 1)


def test_no_paired_scores_stays_in_the_official_denominators(cohort):
    cohort.referral().treatments(3).phq9(18).gad7(12, 5)          # one PHQ-9: unpaired
    cohort.referral().treatments(3).phq9(18, 6).gad7(12, 5)       # recovered
    a = cohort.audit()
    assert a.value("official.no_paired_scores") == 1
    assert fraction(a, "official.recovery_rate") == (1, 2)
    assert fraction(a, "official.reliable_improvement_rate") == (1, 2)
    assert fraction(a, "official.no_reliable_change_rate") == (0, 2)
    assert fraction(a, "official.reliable_deterioration_rate") == (0, 2)


def test_one_measure_reliably_improving_while_the_other_deteriorates(cohort):
    cohort.referral().treatments(2).phq9(20, 12).gad7(8, 14)     # -8 and +6
    a = cohort.audit()
    assert fraction(a, "official.reliable_improvement_rate") == (0, 1)
    assert fraction(a, "official.reliable_deterioration_rate") == (0, 1)
    assert fraction(a, "official.no_reliable_change_rate") == (1, 1)


def test_scores_exactly_at_the_cutoff(cohort):
    cohort.referral().treatments(2).phq9(10, 9).gad7(8, 7)       # both cases, both below
    cohort.referral().treatments(2).phq9(12, 10).gad7(9, 3)      # last PHQ-9 at 10: a case
    cohort.referral().treatments(2).phq9(9, 5).gad7(7, 2)        # neither first is a case
    a = cohort.audit()
    assert a.value("official.not_at_caseness") == 1
    assert fraction(a, "official.recovery_rate") == (1, 2)


def test_changes_exactly_at_the_reliable_change_threshold(cohort):
    cohort.referral().treatments(2).phq9(16, 10).gad7(5, 5)      # PHQ-9 -6: reliable
    cohort.referral().treatments(2).phq9(16, 11).gad7(5, 2)      # -5 and -3: not
    cohort.referral().treatments(2).phq9(10, 10).gad7(9, 13)     # GAD-7 +4: deterioration
    a = cohort.audit()
    assert fraction(a, "official.reliable_improvement_rate") == (1, 3)
    assert fraction(a, "official.reliable_deterioration_rate") == (1, 3)
    assert fraction(a, "official.no_reliable_change_rate") == (1, 3)


def test_mi_caseness_is_strictly_above_2_3(cohort):
    # agoraphobia, PHQ-9 and MI only matter: MI 2.3 is not a case, 2.4 is
    cohort.referral(problem="F40.0").treatments(2).phq9(5, 4).gad7(9, 9).scores(
        "MI", 2.3, 1.5)
    cohort.referral(problem="F40.0").treatments(2).phq9(5, 4).gad7(9, 9).scores(
        "MI", 2.4, 2.3)
    a = cohort.audit()
    assert a.value("official.not_at_caseness") == 1
    assert fraction(a, "official.recovery_rate") == (1, 1)        # 2.3 at the end is below


def test_reliable_recovery_needs_recovery_and_reliable_improvement(cohort):
    cohort.referral().treatments(2).phq9(11, 8).gad7(9, 7)       # recovered, changes 3, 2
    cohort.referral().treatments(2).phq9(18, 6).gad7(9, 7)       # recovered, PHQ-9 -12
    a = cohort.audit()
    assert fraction(a, "official.recovery_rate") == (2, 2)
    assert fraction(a, "official.reliable_recovery_rate") == (1, 2)


def test_waits_are_days_from_referral_to_first_treatment(cohort):
    cohort.referral().assessment(0).treatment(42).treatment(49)
    cohort.referral().assessment(0).treatment(43).treatment(50)
    cohort.referral(length=200).assessment(0).treatment(127).contact(128, "assessment_treatment")
    a = cohort.audit(period=None)
    assert fraction(a, "official.wait_6_weeks_rate") == (1, 3)
    assert fraction(a, "official.wait_18_weeks_rate") == (2, 3)


def test_mean_treatment_sessions_over_finished_courses(cohort):
    cohort.referral().treatments(2)
    cohort.referral().treatments(6)
    cohort.referral().treatments(1)                               # not finished: excluded
    a = cohort.audit()
    result = a.metrics["official.mean_treatment_sessions"]
    assert (result.value, result.n, result.median) == (4.0, 2, 4.0)
    # t interval: 4 -/+ t(0.975, 1) * sd(2, 6) / sqrt(2) = 4 -/+ 12.706 * 2.828 / 1.414
    assert round(result.ci_low, 3) == round(4 - 12.7062047361747 * 2, 3)


def test_recovery_denominator_is_finished_minus_not_at_caseness(cohort):
    """The published formula: recovered / (finished - not at caseness), not / at caseness."""
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)      # recovered
    cohort.referral().treatments(2).phq9(15, 5)                   # no anxiety pair
    cohort.referral().treatments(2).phq9(5, 5).gad7(5, 5)        # not at caseness
    a = cohort.audit()
    f, nac = a.value("official.finished_course"), a.value("official.not_at_caseness")
    assert fraction(a, "official.recovery_rate") == (1, f - nac) == (1, 2)
    assert a.value("official.at_caseness") == 1                   # dividing by this is wrong
