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


def test_clients_with_two_or_more_referrals(cohort):
    for day in (0, 150):
        cohort.referral(client="A", received=day, length=100)
    cohort.referral(client="B", received=0, length=100)
    a = cohort.audit()
    assert fraction(a, "rereferral.clients_with_2plus_referrals") == (1, 2)
    assert fraction(a, "rereferral.clients_with_3plus_referrals") == (0, 2)


def test_a_client_re_referred_on_the_day_the_last_referral_ended(cohort):
    cohort.referral(client="A", received=0, length=100).treatments(2).phq9(15, 5).gad7(9, 4)
    cohort.referral(client="A", received=100, length=120)    # received the day A1 ended
    cohort.referral(client="B", received=0, length=100)
    cohort.referral(client="B", received=50, length=100)     # received before B1 ended
    cohort.referral(client="C", received=0, length=100)
    a = cohort.audit(data_end="2025-12-31")
    assert a.value("rereferral.back_after_an_ended_referral") == 1
    assert fraction(a, "rereferral.recovered_but_back") == (1, 1)
    days = a.metrics["rereferral.days_to_next_referral"]
    assert (days.value, days.median, days.n) == (0.0, 0.0, 1)  # B1 -> B2 overlaps: not a gap
    assert fraction(a, "rereferral.within_12_months") == (1, 5)


def test_recovered_but_back_needs_a_recorded_recovery_before(cohort):
    cohort.referral(client="A", received=0, length=100).treatments(2).phq9(15, 14).gad7(9, 8)
    cohort.referral(client="A", received=130, length=50)
    cohort.referral(client="B", received=0, length=100).treatments(2).phq9(15, 5).gad7(9, 4)
    cohort.referral(client="B", received=400, length=50)
    cohort.referral(client="B", received=600, length=50)     # after B2, not recovered
    a = cohort.audit(data_end="2025-12-31")
    assert fraction(a, "rereferral.recovered_but_back") == (1, 3)
    days = a.metrics["rereferral.days_to_next_referral"]
    assert (days.value, days.median, days.n) == (160.0, 150.0, 3)  # 30, 300 and 150 days


def test_recovered_but_back_counts_new_referrals_received_in_the_period(cohort):
    # B1 recovered and ended before the period; B2 arrives in it
    cohort.referral(client="B", received=0, length=100).treatments(2).phq9(15, 5).gad7(9, 4)
    cohort.referral(client="B", received=400, length=50)
    a = cohort.audit(period="2024-01-01:2024-12-31", data_end="2025-12-31")
    assert fraction(a, "rereferral.recovered_but_back") == (1, 1)
