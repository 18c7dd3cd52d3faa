"""The default synthetic service's pathway figures are those docs/synth.md documents.

100,000 referrals (seed 1), audited once per session (the ``synthetic_audit`` fixture
the calibration tests share). docs/synth.md ("The pathway: doses, first steps,
engagement and the revolving door") gives each figure to one decimal; each must stay
within half a percentage point of it, so the page cannot drift from the generator. The
relations after them are what makes the pathway plausible: a service that delivers fewer
sessions than NICE recommends, mostly starts at low intensity, starts PTSD and social
anxiety at high intensity more often than other problems, and sees fewer GP referrals
than self-referrals.
"""

from __future__ import annotations

import pytest

TOLERANCE = 0.005  # half a percentage point: the page gives one decimal

# metric id -> the share docs/synth.md documents
DOCUMENTED = {
    "pathway.high_intensity_dose_judged": 0.054,
    "pathway.high_intensity_minimum_dose": 0.082,
    "pathway.high_intensity_within_range": 0.078,
    "pathway.low_intensity_dose_judged": 0.286,
    "pathway.low_intensity_minimum_dose": 0.503,
    "pathway.low_intensity_within_range": 0.416,
    "pathway.first_step_judged": 0.612,
    "pathway.first_step_not_recommended": 0.027,
    "pathway.first_step_conditional": 0.701,
    "pathway.stepped_up_from_low": 0.195,
    "pathway.no_appointment_offered": 0.046,
    "rereferral.clients_with_2plus_referrals": 0.098,
    "rereferral.clients_with_3plus_referrals": 0.007,
    "rereferral.recovered_but_back": 0.132,
}


@pytest.mark.parametrize("metric_id,documented", DOCUMENTED.items())
def test_each_pathway_share_is_the_documented_one(synthetic_audit, metric_id, documented):
    assert synthetic_audit.value(metric_id) == pytest.approx(documented, abs=TOLERANCE)


def test_days_to_the_step_up_and_to_the_next_referral_are_the_documented_ones(
        synthetic_audit):
    up = synthetic_audit.metrics["pathway.days_to_step_up"]
    back = synthetic_audit.metrics["rereferral.days_to_next_referral"]
    assert (round(up.value, 1), up.median) == (114.6, 95.0)
    assert (round(back.value, 1), back.median) == (174.8, 148.0)
    assert synthetic_audit.value("rereferral.back_after_an_ended_referral") == 9477


def _rows(audit, table_id, **match):
    return [r for r in audit.tables[table_id] if all(r[k] == v for k, v in match.items())]


def test_courses_fall_short_of_nices_range_more_often_than_they_exceed_it(synthetic_audit):
    for row in _rows(synthetic_audit, "pathway.dose_by_problem"):
        if row["dose_id"] != "no_range":
            assert row["below"] > row["above"], row["dose_id"]
    [counselling] = _rows(synthetic_audit, "pathway.dose_by_problem",
                          dose_id="ng222-more-severe-counselling")
    assert (counselling["median_sessions"], round(counselling["below_rate"], 3)) == (7.0, 0.918)


def test_recovery_rises_with_dose_band_at_low_intensity_an_association(synthetic_audit):
    low = {r["band"]: r["recovery_rate"]
           for r in _rows(synthetic_audit, "pathway.outcome_by_dose_band", intensity="low")}
    assert low["below"] < low["within"] < low["above"]
    assert [round(low[b], 3) for b in ("below", "within", "above")] == [0.370, 0.587, 0.710]


def test_ptsd_and_social_anxiety_start_high_more_often_than_other_problems(synthetic_audit):
    first = {r["problem"]: r["low_first_rate"]
             for r in synthetic_audit.tables["pathway.first_step_by_problem"]}
    others = [rate for problem, rate in first.items()
              if problem not in ("ptsd", "social_anxiety", "not_recorded")]
    assert round(first["ptsd"], 3) == 0.456 and round(first["social_anxiety"], 3) == 0.650
    assert first["ptsd"] < first["social_anxiety"] < min(others)
    assert all(0.85 < rate < 0.93 for rate in others)  # "about 89%"


def test_gp_referrals_are_never_seen_more_often_than_self_referrals(synthetic_audit):
    never = {r["group"]: r["not_seen_rate"]
             for r in synthetic_audit.tables["pathway.not_seen_by_source"]}
    assert [round(never[s], 3) for s in ("self", "gp", "other")] == [0.117, 0.158, 0.149]
