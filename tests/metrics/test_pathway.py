"""pathway.*: the NICE dose, the first step, engagement, and the pathway's pictures.

The NICE ranges applied by default (tincheck/data/nice_dose.csv, docs/nice.md):
guided self-help for less severe depression 6-8 sessions (NG222), counselling for more
severe depression 12-16 (NG222), guided self-help for GAD 5-7 (CG113 1.2.13). First
step: low intensity is not a first step for PTSD (CG123), conditional for GAD, panic,
OCD and more severe depression, recommended for less severe depression.
"""

from __future__ import annotations

import csv

import pytest

from tincheck.nice import DOSE_COLUMNS

from .cohort import fraction

COUNSELLING = dict(therapy="counselling")
GSH = dict(therapy="gsh_book")


def rows(audit, table_id, **match):
    return [r for r in audit.tables[table_id] if all(r[k] == v for k, v in match.items())]


# ------------------------------------------------------------------ dose

def test_high_intensity_sessions_against_ng222s_counselling_range(cohort):
    cohort.referral(length=200).treatments(12, **COUNSELLING)                 # within
    cohort.referral(length=200).treatments(11, **COUNSELLING)                 # below
    cohort.referral(length=200).treatments(17, **COUNSELLING)                 # above
    cohort.referral(length=200).treatments(12, therapy="cbt")                 # no NICE figure
    cohort.referral(problem="F32.9", length=200).treatments(12, **COUNSELLING)  # severity?
    a = cohort.audit()
    assert fraction(a, "pathway.high_intensity_dose_judged") == (3, 5)
    assert fraction(a, "pathway.high_intensity_minimum_dose") == (2, 3)
    assert fraction(a, "pathway.high_intensity_within_range") == (1, 3)
    [judged] = rows(a, "pathway.dose_by_problem", dose_id="ng222-more-severe-counselling")
    assert (judged["courses"], judged["below"], judged["within"], judged["above"]) == (
        3, 1, 1, 1)
    assert (judged["min_sessions"], judged["max_sessions"], judged["verified"]) == (
        12.0, 16.0, "yes")
    # numpy.percentile([11, 12, 17], [25, 50, 75]) (linear interpolation)
    assert (judged["q1_sessions"], judged["median_sessions"], judged["q3_sessions"]) == (
        11.5, 12.0, 14.5)
    unjudged = {(r["problem"], r["courses"]) for r in rows(a, "pathway.dose_by_problem",
                                                            dose_id="no_range")}
    assert unjudged == {("depression_more_severe", 1), ("depression", 1)}


def test_low_intensity_guided_self_help_against_ng222_and_cg113(cohort):
    cohort.referral(problem="F32.0").treatments(6, therapy="gsh_book")        # within 6-8
    cohort.referral(problem="F32.0").treatments(5, therapy="gsh_computer")    # below
    cohort.referral(problem="F41.1").treatments(8, therapy="gsh_book")        # above 5-7
    cohort.referral(problem="F41.1").treatments(6, therapy="psychoeducation_group")
    cohort.referral(problem="F41.1").treatments(6, therapy="nongsh_book")     # no count
    cohort.referral(problem=None).treatments(6, therapy="gsh_book")           # no descriptor
    cohort.referral(problem="F41.1").treatments(1, therapy="gsh_book")        # not finished
    a = cohort.audit()
    assert fraction(a, "pathway.low_intensity_dose_judged") == (3, 6)
    assert fraction(a, "pathway.low_intensity_minimum_dose") == (2, 3)
    assert fraction(a, "pathway.low_intensity_within_range") == (1, 3)
    assert fraction(a, "pathway.high_intensity_dose_judged") == (0, 0)
    [gad] = rows(a, "pathway.dose_by_problem", dose_id="cg113-gad-gsh")
    assert (gad["courses"], gad["above"], gad["verified"]) == (1, 1, "via_reproduction")


def test_a_course_that_mixes_steps_is_judged_on_its_high_intensity_sessions(cohort):
    (cohort.referral(length=300).treatments(3, therapy="gsh_book")            # stepped up
     .treatments(12, **COUNSELLING))
    (cohort.referral(length=300).treatments(12, **COUNSELLING)                # stepped down
     .treatments(2, therapy="gsh_book"))
    cohort.referral(problem="F32.0").treatments(2, **GSH).treatments(2, therapy="cbt")
    a = cohort.audit()
    assert fraction(a, "pathway.high_intensity_dose_judged") == (2, 3)
    assert fraction(a, "pathway.high_intensity_within_range") == (2, 2)
    # none is a low-intensity-only course, so no low-intensity part is judged
    assert fraction(a, "pathway.low_intensity_dose_judged") == (0, 0)


def test_no_problem_descriptor_and_descriptors_the_tables_do_not_cover(cohort):
    cohort.referral(problem=None).treatments(12, **COUNSELLING)               # none
    cohort.referral(problem="F41.2").treatments(12, **COUNSELLING)            # mixed: no row
    cohort.referral(problem="F40.1").treatments(12, therapy="cbt")            # rule unused
    a = cohort.audit()
    assert fraction(a, "pathway.high_intensity_dose_judged") == (0, 3)
    assert fraction(a, "pathway.first_step_judged") == (0, 3)
    labels = {r["problem"]: r["label"] for r in a.tables["pathway.dose_by_problem"]}
    assert labels == {"not_recorded": "No problem descriptor",
                      "other": "Other problem descriptors",
                      "social_anxiety": "Social anxiety disorder"}


def test_recovery_and_loss_of_diagnosis_by_dose_band(cohort):
    (cohort.referral(length=200).treatments(12, **COUNSELLING).phq9(15, 5).gad7(10, 4)
     .interview("baseline", 1, {"depression": "present"})
     .interview("end", 130, {"depression": "absent"}))                        # within
    (cohort.referral(length=200).treatments(11, **COUNSELLING).phq9(15, 12).gad7(10, 9)
     .interview("baseline", 1, {"depression": "present"})
     .interview("end", 130, {"depression": "present"}))                       # below
    cohort.referral(length=200).treatments(17, **COUNSELLING)                 # above, unpaired
    a = cohort.audit()
    bands = {r["band"]: r for r in rows(a, "pathway.outcome_by_dose_band", intensity="high")}
    assert {b: (r["courses"], r["eligible"], r["recovered"], r["end_assessed"],
                r["lost_end"]) for b, r in bands.items()} == {
        "within": (1, 1, 1, 1, 1), "below": (1, 1, 0, 1, 0), "above": (1, 1, 0, 0, 0)}
    assert bands["within"]["recovery_rate"] == 1.0
    assert bands["above"]["lost_diagnosis_rate"] is None


def test_a_service_may_apply_its_own_dose_table(cohort, tmp_path):
    cohort.referral(problem="F41.1", length=200).treatments(12, therapy="cbt")
    shipped = list(csv.DictReader(open(_shipped("nice_dose.csv"), encoding="utf-8")))
    for row in shipped:
        if row["id"] == "cg113-gad-cbt":  # not verified in NICE's text: off by default
            row["use"] = "yes"
    own = tmp_path / "our-dose.csv"
    with open(own, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, DOSE_COLUMNS)
        writer.writeheader()
        writer.writerows(shipped)
    assert fraction(cohort.audit(), "pathway.high_intensity_dose_judged") == (0, 1)
    a = cohort.audit(dose_table=own)
    assert fraction(a, "pathway.high_intensity_within_range") == (1, 1)
    assert a.settings["dose_table"] == "our-dose.csv"
    applied = {r["id"] for r in a.tables["pathway.nice_dose"] if r["applied"]}
    assert "cg113-gad-cbt" in applied


def _shipped(name):
    from importlib import resources
    return resources.files("tincheck").joinpath(f"data/{name}")


# ------------------------------------------------------------------ first step

def test_low_intensity_first_for_ptsd_is_not_a_recommended_first_step(cohort):
    cohort.referral(problem="F43.1").treatments(2, **GSH)                     # not recommended
    cohort.referral(problem="F43.1").treatments(2, therapy="cbt")             # fine
    cohort.referral(problem="F41.1").treatments(2, **GSH)                     # conditional
    cohort.referral(problem="F32.0").treatments(2, **GSH)                     # recommended
    cohort.referral(problem=None).treatments(2, **GSH)                        # no descriptor
    cohort.referral(problem="F41.2").treatments(2, **GSH)                     # no rule
    cohort.referral(problem="F43.1").treatments(2)                            # step unknown
    cohort.referral(problem="F43.1").assessment(3)                            # not treated
    a = cohort.audit()
    assert fraction(a, "pathway.first_step_judged") == (4, 7)
    assert fraction(a, "pathway.first_step_not_recommended") == (1, 4)
    assert fraction(a, "pathway.first_step_conditional") == (1, 4)
    [ptsd] = rows(a, "pathway.first_step_by_problem", problem="ptsd")
    assert (ptsd["rule"], ptsd["entered"], ptsd["low_first"], ptsd["high_first"],
            ptsd["judged"], ptsd["not_recommended"]) == ("no", 3, 1, 1, 2, 1)


def test_stepped_up_share_and_days_to_the_step_up(cohort):
    (cohort.referral(problem="F41.1", length=200).treatment(7, **GSH).treatment(14, **GSH)
     .treatment(60, therapy="cbt").treatment(67, therapy="cbt"))
    cohort.referral(problem="F41.1").treatments(2, **GSH)
    cohort.referral(problem="F41.1").treatments(2, therapy="cbt")
    a = cohort.audit()
    assert fraction(a, "pathway.stepped_up_from_low") == (1, 2)
    days = a.metrics["pathway.days_to_step_up"]
    assert (days.value, days.median, days.n) == (53.0, 53.0, 1)               # day 60 - day 7
    [gad] = rows(a, "pathway.first_step_by_problem", problem="gad")
    assert (gad["stepped_up"], gad["median_step_up_days"]) == (1, 53.0)


# ------------------------------------------------------------------ engagement

def test_never_seen_by_source_and_by_the_medium_of_the_first_appointment(cohort):
    (cohort.referral(source="self").assessment(3, attendance="dna", medium="telephone")
     .assessment(10, medium="face_to_face"))                                  # seen
    cohort.referral(source="gp").assessment(3, attendance="dna", medium="telephone")
    cohort.referral(source="gp").assessment(3, attendance="dna", medium="face_to_face")
    cohort.referral(source=None)                                              # no appointment
    (cohort.referral(source="self").contact(1, kind="follow_up", medium="telephone")
     .assessment(5, medium="face_to_face"))                                   # follow-ups skip
    (cohort.referral(source="self")
     .assessment(3, attendance="cancelled_provider", medium="video").assessment(9))
    a = cohort.audit()
    assert fraction(a, "pathway.not_seen_telephone_first") == (1, 2)
    assert fraction(a, "pathway.not_seen_face_to_face_first") == (1, 2)
    assert fraction(a, "pathway.no_appointment_offered") == (1, 6)
    by_source = {r["group"]: (r["referrals"], r["not_seen"])
                 for r in a.tables["pathway.not_seen_by_source"]}
    assert by_source == {"self": (3, 0), "gp": (2, 2), "not_recorded": (1, 1)}
    by_medium = {r["group"]: (r["referrals"], r["not_seen"])
                 for r in a.tables["pathway.not_seen_by_first_medium"]}
    assert by_medium == {"telephone": (2, 1), "face_to_face": (2, 1), "video": (1, 0),
                         "no_appointment": (1, 1)}
    [gp] = [r for r in a.tables["pathway.not_seen_by_source"] if r["group"] == "gp"]
    assert (gp["not_seen_rate"], round(gp["not_seen_ci_low"], 4)) == (1.0, 0.3424)


# ------------------------------------------------------------------ pictures

def test_the_flow_follows_each_referral_to_its_last_stage(cohort):
    for _ in range(2):
        cohort.referral().assessment(3, attendance="dna")                    # never seen
    cohort.referral().assessment(3)                                           # not treated
    (cohort.referral(problem="F41.1").treatments(2, **GSH).treatments(2, therapy="cbt")
     .phq9(15, 5).gad7(10, 4))                                                # recovered
    cohort.referral(problem="F41.1").treatments(1, **GSH)                     # one session
    cohort.referral().treatments(3, therapy="cbt").phq9(15, 14).gad7(10, 9)   # not recovered
    a = cohort.audit()
    links = {(r["source"], r["target"]): r["referrals"] for r in a.tables["pathway.flow"]}
    assert links == {
        ("referred", "not_seen"): 2, ("referred", "not_treated"): 1,
        ("referred", "low_first"): 2, ("referred", "high_first"): 1,
        ("low_first", "stepped_up"): 1, ("low_first", "stayed_low"): 1,
        ("high_first", "high"): 1,
        ("stepped_up", "finished"): 1, ("stayed_low", "one_session"): 1,
        ("high", "finished"): 1,
        ("finished", "recovered"): 1, ("finished", "not_recovered"): 1,
        ("recovered", "not_interviewed"): 1, ("not_recovered", "not_interviewed"): 1}
    [gad] = rows(a, "pathway.by_stratum", kind="problem", stratum="gad")
    assert (gad["referrals"], gad["entered"], gad["low_first"], gad["stepped_up"],
            gad["finished"], gad["recovered"], gad["recovery_rate"]) == (
        2, 2, 2, 1, 1, 1, 1.0)


@pytest.mark.parametrize("table_id", ["pathway.nice_dose", "pathway.nice_steps"])
def test_the_nice_tables_applied_are_in_the_report_with_their_citations(cohort, table_id):
    cohort.referral().treatments(2)
    table = cohort.audit().tables[table_id]
    assert table and all(r["guideline"] and r["recommendation"] and r["quote"] and r["url"]
                         for r in table)


# ------------------------------------------------------------------ every engine

def test_edge_cases_give_the_same_numbers_on_every_engine(any_cohort):
    """A course that mixes steps, a first appointment without a medium (an aggregate's
    value at the first row must not skip NULLs), a client back on the day the last
    referral ended, and no descriptor: exact numbers on DuckDB and Spark."""
    c = any_cohort
    (c.referral(client="A", length=300).treatments(3, **GSH)
     .treatments(12, **COUNSELLING).phq9(15, 5).gad7(10, 4))                  # recovered
    c.referral(client="A", received=300, length=60).assessment(5, medium=None)
    (c.referral(problem=None).assessment(2, attendance="dna", medium=None)
     .assessment(9, attendance="dna", medium="telephone"))
    a = c.audit(data_end="2025-12-31")
    assert fraction(a, "pathway.high_intensity_within_range") == (1, 1)
    assert fraction(a, "pathway.stepped_up_from_low") == (1, 1)
    assert a.metrics["pathway.days_to_step_up"].value == 21.0                 # day 28 - day 7
    assert fraction(a, "rereferral.recovered_but_back") == (1, 1)
    assert a.metrics["rereferral.days_to_next_referral"].value == 0.0
    by_medium = {r["group"]: (r["referrals"], r["not_seen"])
                 for r in a.tables["pathway.not_seen_by_first_medium"]}
    assert by_medium == {"face_to_face": (1, 0), "not_recorded": (2, 1)}
