"""rereferral.*: the revolving door, censored at the end of the data."""

from __future__ import annotations

from .cohort import fraction


def test_new_referral_within_365_days_of_the_end(cohort):
    cohort.referral(client="A", received=0, length=100).treatments(2)        # ends day 100
    cohort.referral(client="A", received=465, length=30)                      # 365 days later
    cohort.referral(client="B", received=0, length=100).treatments(2)
    cohort.referral(client="B", received=466, length=30)                      # 366: too late
    a = cohort.audit(data_end="2025-12-31")
    assert fraction(a, "rereferral.within_12_months") == (1, 4)


def test_referrals_without_a_full_year_of_data_are_censored(cohort):
    cohort.referral(client="A", received=0, length=100)                       # 2023-04-12
    cohort.referral(client="A", received=200, length=50)                      # 2023-08-20
    # data end 2024-04-11: exactly 365 days after the first ended, 235 after the second
    a = cohort.audit(data_end="2024-04-11")
    assert fraction(a, "rereferral.within_12_months") == (1, 1)
    a = cohort.audit(data_end="2024-04-10")
    assert fraction(a, "rereferral.within_12_months") == (0, 0)


def test_rereferral_after_recovery(cohort):
    cohort.referral(client="A", received=0, length=100).treatments(2).phq9(15, 5).gad7(9, 4)
    cohort.referral(client="A", received=200, length=50)
    cohort.referral(client="B", received=0, length=100).treatments(2).phq9(15, 5).gad7(9, 4)
    a = cohort.audit(data_end="2025-12-31")
    assert fraction(a, "rereferral.recovered_within_12_months") == (1, 2)


def test_clients_with_three_or_more_referrals(cohort):
    for day in (0, 150, 300):
        cohort.referral(client="A", received=day, length=100)
    cohort.referral(client="B", received=0, length=100)
    cohort.referral(client="C", received=0, length=100)
    a = cohort.audit()
    assert fraction(a, "rereferral.clients_with_3plus_referrals") == (1, 3)
