"""delivery, by the treatment offered: what happened to the people offered each treatment.

A client about to start a treatment can only be told what happened to people who were
offered the same one, before anyone knew whether they would start it. The treatment a
referral was **offered** is the therapy type of its first booked treatment appointment
(kind ``treatment``, ``assessment_treatment`` or ``review_treatment``, whatever the
attendance, dated within the referral, ordered by date then source row) among those
with a low- or high-intensity therapy type; ``not_recorded`` when its treatment
appointments carry no such type, ``none_booked`` when it had none (employment support
and signposting are not treatments). A missed or
cancelled first appointment still names the treatment offered, so people who never
start stay in the denominator of the treatment they were offered.

Two tables, each with one row per treatment offered (and ``any``: every referral,
whatever it was offered) × problem: ``all`` (every referral) and, where the problem
descriptor says, ``depression`` (ICD-10 F32, F33) and ``anxiety`` (every other
problem group of the guide's Appendix A, F40-F43 and F45.2, mixed anxiety and
depression F41.2 included, as ICD-10 files it under F41):

- :data:`OUTCOMES` (``delivery.outcomes_by_treatment_offered``): over referrals ended in
  the period, how many never started any treatment, finished a course, recovered (the
  official flag, over everyone offered: unknown counts as not recovered), reliably
  deteriorated, and (over those interviewed) lost their index diagnoses at the end
  interview and rated themselves back to their usual self;
  Without an interviews table (or a usual-self column) those columns are withheld
  (``None``: :data:`INTERVIEW_COLUMNS`, :data:`USUAL_SELF_COLUMNS`), not counts of 0;
- :data:`SESSIONS` (``delivery.sessions_by_treatment_offered``): the sessions of the
  offered treatment itself (attended treatment contacts of that therapy type): how many
  per person (median and quartiles), by what medium, with whom (therapist role), and
  how long.

Every figure is a count or a rate of counts; rates carry Wilson 95% intervals. The
interview figures follow the ``diagnostic`` family's rules (eligible interviews,
index disorders, usual-self threshold) by reading its working table.

References: NHS Digital (2021) *A guide to IAPT data and publications*, §6.2 (finished
a course), §6.4 (recovery), Appendix A (problem descriptor groups); Scott MJ (2018) J
Health Psychol 23:1136-1147 (loss of diagnostic status); Wilson EB (1927) J Am Stat
Assoc 22:209-212.
"""

from __future__ import annotations

from dataclasses import replace

import ibis
import ibis.expr.types as ir

from .. import codes
from ..instruments import PROBLEM_GROUPS
from ..stats.intervals import wilson_interval
from .balance import problem_group
from .blocks import Tables, contacts_in_referral
from .citations import TINCHECK
from .official import eligible_for_recovery
from .registry import table

OUTCOMES = "delivery.outcomes_by_treatment_offered"
SESSIONS = "delivery.sessions_by_treatment_offered"
NOT_RECORDED = "not_recorded"
NONE_BOOKED = "none_booked"
ALL = "all"
ANY = "any"  # every referral, whatever it was offered
# the problems a leaflet may be written for: the ICD-10 groups of each
PROBLEMS: dict[str, tuple[str, ...]] = {
    "depression": ("depression",),
    "anxiety": tuple(g for g in PROBLEM_GROUPS if g != "depression"),
}
OFFERABLE = codes.in_group("therapy_type", "low") + codes.in_group("therapy_type", "high")
NOT_TREATMENT = codes.in_group("therapy_type", "employment") + codes.in_group(
    "therapy_type", "signposting")
UNKNOWN = "unknown"
# a session's medium and its therapist's role: the code lists, and unknown (not recorded,
# or no therapists table)
MEDIA = (*codes.values("medium"), UNKNOWN)
ROLES = (*codes.values("role"), UNKNOWN)


def _flag(value: ir.BooleanValue) -> ir.IntegerValue:
    return value.fill_null(False).cast("int64")


def _booked(t: Tables) -> ir.Table:
    """The booked treatment appointments (kind ``treatment``, ``assessment_treatment``
    or ``review_treatment``, whatever the attendance, not employment support or
    signposting) dated within their referral, as :func:`contacts_in_referral`."""
    a = t.appointments
    a = a.filter(a.kind.isin(codes.TREATMENT_KINDS),
                 a.therapy_type.isnull() | ~a.therapy_type.isin(NOT_TREATMENT))
    return contacts_in_referral(replace(t, appointments=a))


def offered_treatment(t: Tables) -> ir.Table:
    """One row per referral with a booked treatment appointment: ``offered``, the
    therapy type offered, and ``offered_sessions``, the referral's attended treatment
    contacts of that type (NULL when ``not_recorded``).

    The therapy type of the first booked treatment appointment that has a low- or
    high-intensity type (by date, then source row), else ``not_recorded``. Referrals
    without any booked treatment appointment have no row (``none_booked``). The
    bookings are grouped once, by referral and type (each type's first booking and
    sessions), and the sessions of the type offered come with it.
    """
    booked = _booked(t)
    types = booked.group_by(["referral_id", "therapy_type"]).aggregate(
        first=booked.key.min(), sessions=_flag(booked.treatment).sum())
    typed = types.therapy_type.isin(OFFERABLE)
    return types.group_by("referral_id").aggregate(
        offered=types.therapy_type.argmin(types.first, where=typed).fill_null(NOT_RECORDED),
        offered_sessions=types.sessions.argmin(types.first, where=typed))


def problem(descriptor: ir.StringValue) -> ir.StringValue:
    """``depression``, ``anxiety`` or NULL (another code, or none) for a descriptor."""
    group = problem_group(descriptor)
    return ibis.cases(*[(group.isin(groups), name) for name, groups in PROBLEMS.items()],
                      else_=ibis.null("string"))


KEYS = ["therapy", "problem"]


def _in_groupings(cells: ir.Table) -> ir.Table:
    """Each row once in every grouping it belongs to: its therapy and ``any`` (every
    therapy together), each with ``all`` (every problem) and, where it is known, its
    problem (NULL: not known); so up to four copies of each row."""
    g = cells.mutate(_grouping=ibis.literal([0, 1, 2, 3], type="array<int8>").unnest())
    by_therapy, by_problem = g._grouping < 2, g._grouping % 2 == 1
    g = g.mutate(therapy=by_therapy.ifelse(g.therapy, ibis.literal(ANY)),
                 problem=by_problem.ifelse(g.problem, ibis.literal(ALL)))
    return g.filter(g.problem.notnull()).drop("_grouping")


def _rolled_up(cells: ir.Table, by: tuple[str, ...] = ()) -> ir.Table:
    """Counts by therapy × problem descriptor (and ``by``), added up into the groupings
    of :func:`_in_groupings`: by therapy and for every therapy together (``any``), each
    for every problem (``all``) and by problem where it is known.

    The rows (people, sessions) are counted once, by the finest grouping, and only these
    few counts are repeated: the rows are an expression (the treatment offered, the
    sessions of it) that a group_by of the rows for each grouping would compute once
    per grouping. Without any rows there are no groups (see :func:`_or_empty_row`).
    """
    # the problem of a few cells rather than of every referral
    cells = cells.mutate(problem=problem(cells.problem_descriptor)).drop(
        "problem_descriptor")
    g = _in_groupings(cells)
    keys = [*KEYS, *by]
    return g.group_by(keys).aggregate(**{c: g[c].sum() for c in cells.columns
                                         if c not in keys})


def _summary(counts: ir.Table, value: str, n: str, quantiles: dict[str, float],
             sums: tuple[str, ...]) -> ir.Table:
    """One row per therapy × problem of ``counts`` (how many times, ``n``, each integer
    ``value`` occurs, NULL included): the ``sums`` of columns, and the ``quantiles`` of
    the non-missing values.

    Quantiles interpolate linearly between order statistics, as DuckDB's
    ``quantile_cont``, Spark's ``percentile`` and numpy's default (Hyndman & Fan type
    7): with the N values in order x₀ ≤ … ≤ x_{N−1} and h = (N − 1)·q, the quantile is
    x_⌊h⌋ + (h − ⌊h⌋)(x_⌈h⌉ − x_⌊h⌋), NULL when N = 0. For integer values and
    quartiles (q a multiple of 1/4) every step is exact in floating point, so the
    figures equal those functions' to the last digit. Reference: Hyndman RJ, Fan Y
    (1996) Am Stat 50:361-365.
    """
    x = counts[value]
    known = x.notnull().ifelse(counts[n], 0)
    # values up to and including this one (missing values count as none, wherever the
    # engine sorts them), and all the non-missing values of the group
    c = counts.mutate(
        _upto=known.sum().over(ibis.window(group_by=KEYS, order_by=x, rows=(None, 0))),
        _total=known.sum().over(ibis.window(group_by=KEYS)))
    out = {name: c[name].sum() for name in sums}
    for name, q in quantiles.items():
        h = (c._total - 1).cast("float64") * q
        lo, hi = h.floor(), h.ceil()
        # the k-th value from 0 is the first whose count up to it exceeds k
        x_lo = c[value].min(where=c._upto > lo).cast("float64")
        x_hi = c[value].min(where=c._upto > hi).cast("float64")
        out[name] = x_lo + (h - lo).max() * (x_hi - x_lo)
    return c.group_by(KEYS).aggregate(**out)


def _or_empty_row(rows: list[dict], columns) -> list[dict]:
    """``rows``, or when there are none (nothing to count) the one row of ``any``
    therapy and ``all`` problems, every figure missing (counts become 0): the tables
    always have that row, even when the groupings have nothing to add up."""
    return rows or [{"therapy": ANY, "problem": ALL, **dict.fromkeys(columns)}]


def _offered_people(bases, offers: ir.Table) -> ir.Table:
    """Referrals ended in the period with ``therapy``, the treatment offered (``offers``:
    :func:`offered_treatment`)."""
    o = bases["referrals"]
    o = o.filter(o.ended).drop("therapy")  # the working table's: the most frequent type
    p = o.left_join(offers, "referral_id").drop("referral_id_right")
    return p.mutate(therapy=p.offered.fill_null(NONE_BOOKED))


def _people(bases) -> ir.Table:
    """Referrals ended in the period: treatment offered, problem and outcome flags."""
    p, d = _offered_people(bases, offered_treatment(Tables())), bases["diagnostic"]
    interviews = d.select(
        "referral_id", i_diagnosed=d.diagnosed, i_lost=d.diagnosed & d.lost_end,
        i_end=d.diagnosed & d.has_end, i_rated=d.usual_self_rated,
        i_usual=d.usual_self_rated & (d.end_usual_self >= d.usual_self_threshold))
    return p.left_join(interviews, "referral_id").drop("referral_id_right")


def _outcome_measures(p: ir.Table) -> dict:
    return dict(
        referred=p.count(),
        never_started=_flag(p.treatment_contacts == 0).sum(),
        started=_flag(p.treatment_contacts >= 1).sum(),
        finished=_flag(p.finished).sum(),
        recovered=_flag(p.official_recovered).sum(),
        eligible=_flag(eligible_for_recovery(p)).sum(),
        deteriorated=_flag(p.deteriorated_any).sum(),
        stepped_up=_flag((p.treatment_contacts >= 1) & p.stepped_up).sum(),
        diagnosed=_flag(p.i_diagnosed).sum(),
        end_interviewed=_flag(p.i_end).sum(),
        lost_diagnosis=_flag(p.i_lost).sum(),
        usual_self_rated=_flag(p.i_rated).sum(),
        usual_self=_flag(p.i_usual).sum(),
    )


def _outcomes(bases) -> ir.Table:
    p = _people(bases)
    cells = p.group_by(["therapy", "problem_descriptor"]).aggregate(**_outcome_measures(p))
    return _rolled_up(cells).order_by(KEYS)


# (rate, numerator, denominator) of the outcomes table
OUTCOME_RATES = (
    ("offered_rate", "referred", "all_referred"),
    ("never_started_rate", "never_started", "referred"),
    ("finished_rate", "finished", "referred"),
    ("recovered_rate", "recovered", "referred"),
    ("recovery_rate", "recovered", "eligible"),
    ("deteriorated_rate", "deteriorated", "referred"),
    ("stepped_up_rate", "stepped_up", "started"),
    ("lost_diagnosis_rate", "lost_diagnosis", "diagnosed"),
    ("usual_self_rate", "usual_self", "usual_self_rated"),
)


def _finish_outcomes(rows: list[dict]) -> list[dict]:
    """Add ``all_referred`` (the ``any`` row's referred: every referral with the row's
    problem) and the rates, among them ``offered_rate``: referred ÷ all_referred."""
    rows = _or_empty_row(rows, OUTCOME_COUNTS[1:])
    totals = {row["problem"]: int(row["referred"] or 0) for row in rows
              if row["therapy"] == ANY}
    for row in rows:
        row["all_referred"] = totals[row["problem"]]
    return _with_rates(rows, OUTCOME_RATES, OUTCOME_COUNTS)


def _with_rates(rows: list[dict], rates, counts) -> list[dict]:
    """Counts as ints (0 when missing), and each rate with its Wilson 95% interval."""
    for row in rows:
        for key in counts:
            row[key] = int(row.get(key) or 0)
        for rate, numerator, denominator in rates:
            k, n = row[numerator], row[denominator]
            low, high = wilson_interval(k, n) if n else (None, None)
            row[rate] = k / n if n else None
            row[f"{rate[:-len('_rate')]}_ci_low"] = low
            row[f"{rate[:-len('_rate')]}_ci_high"] = high
    return rows


OUTCOME_COUNTS = (
    "all_referred", "referred", "never_started", "started", "finished", "recovered",
    "eligible", "deteriorated", "stepped_up", "diagnosed", "end_interviewed",
    "lost_diagnosis", "usual_self_rated", "usual_self")


def _rate_columns(*rates: str) -> tuple[str, ...]:
    return tuple(f"{r}{sfx}" for r in rates for sfx in ("_rate", "_ci_low", "_ci_high"))


# The columns resting on interviews, withheld (None) when there are none
# (tincheck.metrics.needs), rather than published as counts of zero
USUAL_SELF_COLUMNS = ("usual_self_rated", "usual_self", *_rate_columns("usual_self"))
INTERVIEW_COLUMNS = ("diagnosed", "end_interviewed", "lost_diagnosis",
                     *_rate_columns("lost_diagnosis"), *USUAL_SELF_COLUMNS)

table(OUTCOMES, "What happened to the people offered each treatment", _outcomes,
      "Referrals ended in the period, by the treatment offered (the therapy type of the "
      "first booked treatment appointment with a low- or high-intensity type, whatever its "
      "attendance; not_recorded when no booked treatment appointment has one, none_booked "
      "when none was booked; any: every referral) and problem (all; depression F32-F33; "
      "anxiety F40-F43 and "
      "F45.2): their share of all referrals ended with the problem; how many never had a "
      "treatment session, finished a course (two or more), officially recovered (÷ "
      "everyone offered, and ÷ the official denominator), reliably deteriorated on a "
      "measure, and were stepped up from low to high intensity (÷ those "
      "who started); and among those diagnosed at an eligible baseline interview, how many "
      "lost their index diagnoses at the end interview (no end interview = not lost) and, "
      "among those who rated it at the end interview, how many said they were back to "
      "their usual self (at or above the threshold, default 90). Wilson 95% intervals.",
      TINCHECK,
      columns=[("therapy", "treatment offered (therapy type)"),
               ("problem", "all, depression or anxiety"),
               ("referred", "referrals ended in the period that were offered it"),
               ("offered_rate", "referred ÷ all referrals ended with the problem "
                "(all_referred)"),
               ("never_started_rate", "no treatment session ÷ referred"),
               ("finished_rate", "finished a course ÷ referred"),
               ("recovered_rate", "officially recovered ÷ referred"),
               ("recovery_rate", "officially recovered ÷ finished − not at caseness"),
               ("deteriorated_rate", "reliably deteriorated ÷ referred"),
               ("stepped_up_rate", "stepped up to high intensity ÷ started"),
               ("diagnosed", "diagnosed at an eligible baseline interview"),
               ("lost_diagnosis_rate", "lost index diagnoses at end ÷ diagnosed"),
               ("usual_self_rate", "back to usual self at end ÷ rated")],
      finish=_finish_outcomes)


# ------------------------------------------------------------------ sessions

def _sessions(bases) -> ir.Table:
    """The sessions of the treatment offered, counted by their person's number of them
    and by their duration, then added up into the groupings, where the quantiles of
    both are taken (:func:`_summary`)."""
    t = Tables()
    people = _offered_people(bases, offered_treatment(t)).select(
        "referral_id", "offered_sessions", "therapy", "problem_descriptor")
    c = _booked(t)  # the same expression as the treatment offered's: computed once
    c = c.filter(c.treatment).join(people, "referral_id")
    c = c.filter(c.therapy_type == c.therapy)  # sessions of the treatment offered itself
    roles = t.therapists.select("therapist_id", role=t.therapists.role)
    c = c.left_join(roles, "therapist_id").drop("therapist_id_right")
    medium = c.medium.fill_null(UNKNOWN)
    role = c.role.fill_null(UNKNOWN)
    counts = {**{f"medium_{m}_contacts": _flag(medium == m).sum() for m in MEDIA},
              **{f"role_{r}_contacts": _flag(role == r).sum() for r in ROLES},
              "timed_contacts": c.duration_minutes.count()}
    # one pass over the sessions, down to counts by person's number of sessions and
    # duration: people by their number of sessions (each person with k sessions has k
    # of them there), and sessions by their duration
    cell = ["therapy", "problem_descriptor"]
    fine = c.group_by([*cell, "offered_sessions", "duration_minutes"]).aggregate(
        contacts=c.count(), **counts)
    by_number = fine.group_by([*cell, sessions := "offered_sessions"]).aggregate(
        people=fine.contacts.sum())
    by_number = by_number.select(*cell, sessions=by_number[sessions],
                                 people=(by_number.people // by_number[sessions]))
    by_minutes = fine.group_by([*cell, "duration_minutes"]).aggregate(
        contacts=fine.contacts.sum(), **{k: fine[k].sum() for k in counts})
    people = _summary(_rolled_up(by_number, ("sessions",)), "sessions", "people",
                      dict(sessions_median=0.5, sessions_q1=0.25, sessions_q3=0.75),
                      ("people",))
    sessions = _summary(_rolled_up(by_minutes, ("duration_minutes",)), "duration_minutes",
                        "contacts", dict(minutes_median=0.5), ("contacts", *counts))
    j = people.join(sessions, KEYS)
    return j.select(*KEYS, *SESSION_COLUMNS).order_by(KEYS)


SESSION_RATES = (
    *((f"medium_{m}_rate", f"medium_{m}_contacts", "contacts") for m in MEDIA),
    *((f"role_{r}_rate", f"role_{r}_contacts", "contacts") for r in ROLES),
)
SESSION_COUNTS = ("people", "contacts", *(c for _, c, _ in SESSION_RATES), "timed_contacts")
# the columns of the sessions table after therapy and problem, in order
SESSION_COLUMNS = ("people", "sessions_median", "sessions_q1", "sessions_q3", "contacts",
                   *(c for _, c, _ in SESSION_RATES), "timed_contacts", "minutes_median")

table(SESSIONS, "How each treatment offered was delivered", _sessions,
      "Attended treatment contacts of the treatment offered itself (therapy type equal to "
      "the one offered; see outcomes_by_treatment_offered), of referrals ended in the "
      "period, by treatment offered and problem (any: pooled over the treatments "
      "offered): people who had at least one, the median and quartiles of their number "
      "of such sessions, the share of the sessions by each medium and by each therapist "
      "role (from the therapists table; unknown when the session names no therapist or "
      "there is no therapists table), and the median recorded duration in minutes.",
      TINCHECK,
      columns=[("therapy", "treatment offered (therapy type)"),
               ("problem", "all, depression or anxiety"),
               ("people", "people with at least one session of it"),
               ("sessions_median", "median sessions per person (quartiles q1, q3)"),
               ("contacts", "sessions"),
               ("medium_telephone_rate", "sessions by telephone ÷ sessions (also "
                "medium_face_to_face, _video, _text, _other, _unknown)"),
               ("role_pwp_rate", "sessions with a psychological wellbeing practitioner ÷ "
                "sessions (also role_hi_therapist, _counsellor, _other, _unknown)"),
               ("minutes_median", "median recorded duration of a session (minutes)")],
      finish=lambda rows: _with_rates(_or_empty_row(rows, SESSION_COLUMNS), SESSION_RATES,
                                      SESSION_COUNTS))


# Disclosure control of both tables (tincheck.disclosure): their count columns, and the
# counts every other figure is made of (it is suppressed when any of them is under 5).
DISCLOSURE: dict[str, tuple[tuple[str, ...], dict[str, set[str]]]] = {
    OUTCOMES: (OUTCOME_COUNTS, {rate: {k, n} for rate, k, n in OUTCOME_RATES}),
    # every figure about sessions is withheld with the number of people who had them
    SESSIONS: (SESSION_COUNTS, {
        **{rate: {k, n, "people"} for rate, k, n in SESSION_RATES},
        "sessions_median": {"people"}, "sessions_q1": {"people"}, "sessions_q3": {"people"},
        "minutes_median": {"timed_contacts", "people"}}),
}
