"""delivery.outcomes_by_treatment_offered and delivery.sessions_by_treatment_offered.

Each cohort is hand-built; every expected number is counted by hand from the rules in
metrics/offered.py's docstring (the treatment offered is the type of the first booked
treatment appointment that has one, whatever its attendance).
"""

from __future__ import annotations

import csv

import pytest

from tincheck.disclosure import table_json
from tincheck.metrics.offered import OUTCOMES, SESSIONS
from tincheck.stats.intervals import wilson_interval

from .cohort import COLUMNS, Cohort

PRESENT, ABSENT = "present", "absent"


def rows(audit, table=OUTCOMES) -> dict:
    return {(r["therapy"], r["problem"]): r for r in audit.tables[table]}


def test_a_missed_first_session_names_the_treatment_offered_and_counts_as_never_started(
        cohort):
    cohort.referral().assessment(0).treatment(14, therapy="gsh_book", attendance="dna")
    cohort.referral().treatment(7, therapy="gsh_book").treatment(14, therapy="gsh_book")
    r = rows(cohort.audit())[("gsh_book", "all")]
    assert (r["referred"], r["never_started"], r["started"], r["finished"]) == (2, 1, 1, 1)
    assert r["never_started_rate"] == 0.5
    assert (r["never_started_ci_low"], r["never_started_ci_high"]) == pytest.approx(
        wilson_interval(1, 2))


def test_the_first_typed_booking_wins_and_untyped_or_no_bookings_have_their_own_rows(cohort):
    # an untyped first booking, then a cancelled computerised session, then CBT: offered
    # computerised self-help (the first booking with a type, whatever its attendance)
    (cohort.referral().treatment(7).treatment(14, therapy="gsh_computer",
                                              attendance="cancelled_patient")
     .treatment(21, therapy="cbt").treatment(28, therapy="cbt"))
    cohort.referral().treatment(7).treatment(14)                     # no type: not recorded
    cohort.referral().assessment(0)                                  # nothing booked
    # employment support is no treatment: this referral was offered none
    cohort.referral().assessment(0).treatment(7, therapy="employment_support")
    r = rows(cohort.audit())
    assert {k: v["referred"] for k, v in r.items() if k[1] == "all"} == {
        ("gsh_computer", "all"): 1, ("not_recorded", "all"): 1, ("none_booked", "all"): 2,
        ("any", "all"): 4}
    assert r[("none_booked", "all")]["offered_rate"] == 2 / 4
    assert r[("none_booked", "all")]["never_started"] == 2
    assert r[("gsh_computer", "all")]["finished"] == 1


def test_problems_are_depression_and_anxiety_with_mixed_anxiety_and_depression_in_anxiety(
        cohort):
    for problem in ("F32.1", "F33", "F41.1", "F41.2", "F43.1", "Z63", None):
        cohort.referral(problem=problem).treatments(2, therapy="cbt")
    r = rows(cohort.audit())
    assert {k[1]: v["referred"] for k, v in r.items()} == {
        "all": 7, "depression": 2, "anxiety": 3}
    assert {k[1]: v["all_referred"] for k, v in r.items()} == {
        "all": 7, "depression": 2, "anxiety": 3}
    assert r[("cbt", "anxiety")]["offered_rate"] == 1.0


def test_outcomes_are_over_everyone_offered_and_the_official_rate_beside_them(cohort):
    cohort.referral().treatments(2, therapy="cbt").phq9(15, 5).gad7(10, 4)      # recovered
    cohort.referral().treatments(2, therapy="cbt").phq9(15, 14).gad7(10, 9)     # not
    cohort.referral().treatments(2, therapy="cbt").phq9(5, 4).gad7(4, 3)        # not a case
    cohort.referral().treatments(1, therapy="cbt").phq9(15, 22)                 # worse
    cohort.referral().treatment(7, therapy="cbt", attendance="dna")             # never
    cohort.referral().treatment(7, therapy="gsh_book").treatment(14, therapy="gsh_book")
    r = rows(cohort.audit())[("cbt", "all")]
    assert (r["referred"], r["never_started"], r["finished"], r["recovered"],
            r["eligible"], r["deteriorated"]) == (5, 1, 3, 1, 2, 1)
    assert r["recovered_rate"] == 1 / 5          # unknown or not started: not recovered
    assert r["recovery_rate"] == 1 / 2           # the official rate: F − not at caseness
    assert r["deteriorated_rate"] == 1 / 5
    assert r["offered_rate"] == 5 / 6 and r["all_referred"] == 6


def test_stepped_up_is_among_those_who_started(cohort):
    (cohort.referral().treatments(2, therapy="gsh_book", intensity="low")
     .treatments(2, therapy="cbt", intensity="high"))
    cohort.referral().treatments(3, therapy="gsh_book", intensity="low")
    cohort.referral().treatment(7, therapy="gsh_book", attendance="dna")
    r = rows(cohort.audit())[("gsh_book", "all")]
    assert (r["stepped_up"], r["started"], r["stepped_up_rate"]) == (1, 2, 0.5)


def test_interview_figures_follow_the_diagnostic_rules(cohort):
    (cohort.referral().treatments(2, therapy="cbt")
     .interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": ABSENT}, usual_self=90))             # lost, 90
    (cohort.referral().treatments(2, therapy="cbt")
     .interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": PRESENT}, usual_self=89))            # kept, 89
    (cohort.referral().treatments(2, therapy="cbt")
     .interview("baseline", 1, {"depression": PRESENT}))                        # no end
    (cohort.referral().treatments(2, therapy="cbt")                             # no disorder
     .interview("baseline", 1, {"depression": ABSENT})
     .interview("end", 119, {"depression": ABSENT}, usual_self=100))
    (cohort.referral().treatments(2, therapy="cbt")                             # not blind
     .interview("baseline", 1, {"depression": PRESENT}, blind=False)
     .interview("end", 119, {"depression": ABSENT}, usual_self=95, blind=False))
    r = rows(cohort.audit())[("cbt", "all")]
    assert (r["diagnosed"], r["end_interviewed"], r["lost_diagnosis"]) == (3, 2, 1)
    assert r["lost_diagnosis_rate"] == 1 / 3     # no end interview counts as not lost
    assert (r["usual_self_rated"], r["usual_self"], r["usual_self_rate"]) == (2, 1, 0.5)


def test_the_usual_self_threshold_is_the_audits(cohort):
    (cohort.referral().treatments(2, therapy="cbt")
     .interview("baseline", 1, {"depression": PRESENT})
     .interview("end", 119, {"depression": PRESENT}, usual_self=80))
    r = rows(cohort.audit(usual_self_threshold=80))[("cbt", "all")]
    assert (r["usual_self"], r["usual_self_rated"]) == (1, 1)


class StaffedCohort(Cohort):
    """A cohort whose appointments name their therapist and duration, with a
    therapists table."""

    def __init__(self, folder, roles):
        super().__init__(folder)
        self.roles = roles

    def write(self):
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        columns = {**COLUMNS, "appointments": [c for c in COLUMNS["appointments"]
                                               if c != "therapist_id"] + [
            "therapist_id", "duration_minutes"]}
        for name in ("referrals", "appointments", "measures"):
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=columns[name], lineterminator="\n")
                writer.writeheader()
                writer.writerows(self.rows[name])
        with open(folder / "therapists.csv", "w", newline="", encoding="utf-8") as f:
            f.write("therapist_id,role\n" + "".join(f"{t},{r}\n"
                                                   for t, r in self.roles.items()))
        return folder


def staffed(ref, n, therapist, minutes, **kw):
    for _ in range(n):
        ref.treatment(**kw)
        ref.cohort.rows["appointments"][-1].update(therapist_id=therapist,
                                                   duration_minutes=minutes)
    return ref


def test_sessions_are_those_of_the_treatment_offered_with_medium_role_and_minutes(tmp_path):
    cohort = StaffedCohort(tmp_path / "c", {"P1": "pwp", "H1": "hi_therapist"})
    a = cohort.referral()
    staffed(a, 2, "P1", 30, therapy="gsh_book", medium="telephone")
    staffed(a, 3, "H1", 50, therapy="cbt", medium="face_to_face")  # stepped up: not counted
    staffed(cohort.referral(), 4, "P1", 40, therapy="gsh_book", medium="telephone")
    b = cohort.referral()
    staffed(b, 1, "P1", 35, therapy="gsh_book", medium="video")
    staffed(b, 1, "", 35, therapy="gsh_book", medium="telephone")    # therapist not named
    staffed(b, 1, "P1", 35, therapy="gsh_book", medium="telephone",
            attendance="dna")                                         # not a session
    for ref in cohort.rows["appointments"]:
        ref.setdefault("therapist_id", "")
        ref.setdefault("duration_minutes", "")
    s = rows(cohort.audit(), SESSIONS)[("gsh_book", "all")]
    # sessions of gsh_book per person: 2, 4, 2 → median 2, quartiles 2 and 3 (linear)
    assert (s["people"], s["sessions_median"], s["sessions_q1"], s["sessions_q3"]) == (
        3, 2.0, 2.0, 3.0)
    assert (s["contacts"], s["medium_telephone_contacts"], s["medium_video_contacts"]) == (
        8, 7, 1)
    assert s["medium_telephone_rate"] == 7 / 8
    assert (s["role_pwp_contacts"], s["role_unknown_contacts"], s["role_hi_therapist_contacts"]
            ) == (7, 1, 0)
    # minutes of the 8 sessions: 30 30 40 40 40 40 35 35 → median 37.5
    assert (s["timed_contacts"], s["minutes_median"]) == (8, 37.5)
    assert ("cbt", "all") not in rows(cohort.audit(), SESSIONS)


def test_the_tables_are_the_same_on_every_engine(any_cohort):
    any_cohort.referral(problem="F41.1").treatments(3, therapy="gsh_book", medium="telephone")
    any_cohort.referral(problem="F32.0").treatments(5, therapy="gsh_book").phq9(15, 5)
    any_cohort.referral().treatment(7, therapy="cbt", attendance="dna")
    a = any_cohort.audit()
    s = rows(a, SESSIONS)
    three, five = (1, 3.0, 3.0), (1, 5.0, 5.0)
    assert {k: (v["people"], v["sessions_median"], v["sessions_q3"]) for k, v in s.items()} \
        == {("gsh_book", "all"): (2, 4.0, 4.5), ("gsh_book", "anxiety"): three,
            ("gsh_book", "depression"): five, ("any", "all"): (2, 4.0, 4.5),
            ("any", "anxiety"): three, ("any", "depression"): five}
    o = rows(a)
    assert {k: v["referred"] for k, v in o.items()} == {
        ("cbt", "all"): 1, ("cbt", "depression"): 1, ("gsh_book", "all"): 2,
        ("gsh_book", "anxiety"): 1, ("gsh_book", "depression"): 1, ("any", "all"): 3,
        ("any", "anxiety"): 1, ("any", "depression"): 2}


def test_disclosure_rounds_counts_and_withholds_what_rests_on_fewer_than_5():
    row = {"therapy": "cbt", "problem": "all", "all_referred": 1000, "referred": 42,
           "never_started": 3, "started": 39, "finished": 21, "recovered": 9,
           "eligible": 18, "deteriorated": 0, "stepped_up": 0, "diagnosed": 4,
           "end_interviewed": 4, "lost_diagnosis": 1, "usual_self_rated": 4,
           "usual_self": 2, "never_started_rate": 3 / 42, "never_started_ci_low": 0.02,
           "never_started_ci_high": 0.19, "finished_rate": 0.5, "finished_ci_low": 0.3543,
           "finished_ci_high": 0.6457, "recovery_rate": 0.5, "recovery_ci_low": 0.29,
           "recovery_ci_high": 0.71, "lost_diagnosis_rate": 0.25,
           "lost_diagnosis_ci_low": 0.05, "lost_diagnosis_ci_high": 0.7}
    out = table_json(OUTCOMES, [row], True)[0]
    assert (out["referred"], out["finished"], out["never_started"], out["eligible"]) == (
        40, 20, None, 20)
    assert (out["finished_rate"], out["finished_ci_low"], out["finished_ci_high"]) == (
        0.5, 0.35, 0.65)
    assert out["never_started_rate"] is None and out["never_started_ci_low"] is None
    assert out["recovery_rate"] == 0.5                   # 9 of 18: both 5 or more
    assert out["lost_diagnosis_rate"] is None            # 1 of 4
    assert out["suppressed"] is True
    assert table_json(OUTCOMES, [row], False)[0] is row  # control off: exact


def test_session_figures_are_withheld_with_the_people_they_describe():
    row = {"therapy": "cbt", "problem": "all", "people": 4, "sessions_median": 6.0,
           "sessions_q1": 4.0, "sessions_q3": 8.0, "contacts": 33,
           "medium_telephone_contacts": 20, "medium_telephone_rate": 20 / 33,
           "timed_contacts": 33, "minutes_median": 50.0}
    out = table_json(SESSIONS, [row], True)[0]
    assert out["contacts"] == 35
    assert out["sessions_median"] is None and out["minutes_median"] is None
    assert out["medium_telephone_rate"] is None
    row["people"] = 12
    out = table_json(SESSIONS, [row], True)[0]
    assert (out["people"], out["sessions_median"], out["minutes_median"]) == (10, 6.0, 50.0)
    assert out["medium_telephone_rate"] == 0.61


def test_without_any_session_the_sessions_table_is_one_row_of_zeros(cohort):
    cohort.referral().assessment(0).treatment(7, therapy="cbt", attendance="dna")
    cohort.referral(problem=None).assessment(3)
    s = cohort.audit().tables[SESSIONS]
    assert [(r["therapy"], r["problem"], r["people"], r["contacts"], r["timed_contacts"])
            for r in s] == [("any", "all", 0, 0, 0)]
    assert (s[0]["sessions_median"], s[0]["minutes_median"], s[0]["medium_telephone_rate"]
            ) == (None, None, None)
    assert rows(cohort.audit())[("cbt", "all")]["never_started"] == 1


def test_without_any_referral_ended_each_table_is_one_row_of_zeros(cohort):
    cohort.referral(end_reason=None, length=None).treatments(2, therapy="cbt")
    a = cohort.audit()
    [o], [s] = a.tables[OUTCOMES], a.tables[SESSIONS]
    assert (o["therapy"], o["problem"], o["referred"], o["all_referred"], o["offered_rate"]
            ) == ("any", "all", 0, 0, None)
    assert (s["therapy"], s["problem"], s["people"], s["sessions_median"]) == (
        "any", "all", 0, None)


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_from_counts_are_numpys_linear_quantiles_to_the_last_digit(seed):
    # the sessions table takes its quartiles from counts of each value (offered._summary);
    # the peer is numpy.quantile(values, q) (method "linear", Hyndman & Fan type 7) over
    # the values themselves; missing values are left out, as SQL's quantiles leave them
    import ibis
    import numpy as np
    import pandas as pd

    from tincheck.metrics.offered import _summary

    rng = np.random.default_rng(seed)
    cells = []
    for therapy, problem in (("cbt", "all"), ("cbt", "anxiety"), ("ipt", "all"),
                             ("ipt", "depression")):
        values = rng.choice(np.arange(1, 90), size=rng.integers(1, 12), replace=False)
        cells += [(therapy, problem, int(v), int(rng.integers(1, 40))) for v in values]
        cells.append((therapy, problem, None, int(rng.integers(0, 5))))
    cells.append(("none", "all", None, 3))                   # no value at all: NULL
    counts = pd.DataFrame(cells, columns=["therapy", "problem", "value", "n"]).astype(
        {"value": "Int64"})
    qs = dict(q1=0.25, median=0.5, q3=0.75)
    got = ibis.duckdb.connect().execute(
        _summary(ibis.memtable(counts), "value", "n", qs, ("n",)))
    for _, row in got.iterrows():
        mine = counts[(counts.therapy == row.therapy) & (counts.problem == row.problem)]
        assert row.n == mine.n.sum()
        known = mine.dropna(subset=["value"])
        values = np.repeat(known.value.to_numpy(dtype=float), known.n.to_numpy())
        for name, q in qs.items():
            if len(values):
                assert row[name] == np.quantile(values, q), (row.therapy, name)
            else:
                assert pd.isna(row[name])
    assert len(got) == 5
