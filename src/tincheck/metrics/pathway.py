"""pathway: the treatment pathway, one row per referral, and its pictures.

The pathway table (:func:`pathway_table`) holds what the pathway metrics read: the
working table's columns they need (:data:`FROM_OUTCOMES`), and what the working table
does not hold: the NICE problem of the problem descriptor
(:data:`tincheck.nice.PROBLEMS`), the NICE dose range for each course's main therapy
at each step (``tincheck_nice_dose``, from ``nice_dose.csv`` or a service's own
table), the NICE first-step rule (``tincheck_nice_steps``), the days to the step up,
the medium of the first appointment offered, the loss of index diagnoses at the end
interview, and the client's previous and next referrals. The per-referral facts from
the appointments (main therapy per step, first low- and high-intensity dates, first
medium) come from the working table, which groups the appointments once for all of
them (:func:`~tincheck.metrics.blocks.contact_summary`,
:func:`~tincheck.metrics.blocks.modal_therapy`). The metrics of the ``pathway``
family (here, :mod:`.dose`, :mod:`.steps`, :mod:`.engagement`) and the revolving-door
metrics of :mod:`.rereferral` are sums over it; a metric that needs another column of
the working table adds it to :data:`FROM_OUTCOMES`.

This module also declares the pathway's pictures: the flow of referrals from referral
to first step, step up, finish, recovery and loss of diagnosis (``pathway.flow``), and
the same pathway per stratum (``pathway.by_stratum``).

A course's step is that of its treatment contacts (recorded intensity, else the group
of the therapy type). "A course that mixes steps" is judged on each step's own
sessions: its high-intensity sessions against the high-intensity range; a course
stepped up from low intensity is not judged on its low-intensity part (it was cut
short on purpose).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..nice import PROBLEMS, problem_prefixes
from ..stats.intervals import wilson_interval
from .blocks import Tables
from .citations import TINCHECK
from .registry import table

NICE_DOSE = "tincheck_nice_dose"
NICE_STEPS = "tincheck_nice_steps"
DOSE_SCHEMA = ibis.schema({"problem": "string", "intensity": "string", "therapy": "string",
                           "min_sessions": "float64", "max_sessions": "float64",
                           "dose_id": "string", "dose_verified": "string"})
STEPS_SCHEMA = ibis.schema({"problem": "string", "step_rule": "string",
                            "step_verified": "string"})
NOT_RECORDED = "not_recorded"
OTHER = "other"
NO_APPOINTMENT = "no_appointment"


def dose_lookup() -> ir.Table:
    """The applied NICE dose rows, one per therapy code (materialised per audit)."""
    return ibis.table(DOSE_SCHEMA, name=NICE_DOSE)


def step_rules() -> ir.Table:
    """One NICE first-step rule per problem (materialised per audit)."""
    return ibis.table(STEPS_SCHEMA, name=NICE_STEPS)


def nice_problem(descriptor: ir.StringValue) -> ir.StringValue:
    """The NICE problem of an ICD-10 problem descriptor (longest prefix first); NULL
    when there is none or no problem covers it (:func:`tincheck.nice.problem_of`)."""
    return ibis.cases(*[(descriptor.startswith(prefix), key)
                        for prefix, key in problem_prefixes()], else_=ibis.null("string"))


def _with_range(p: ir.Table, intensity: str, therapy: str, prefix: str) -> ir.Table:
    """Join the NICE range for the course's step and main therapy: the row for that
    therapy type, else the row for any therapy of the step ('*')."""
    d = dose_lookup()
    d = d.filter(d.intensity == intensity)
    columns = ("problem", "therapy", "min_sessions", "max_sessions", "dose_id",
               "dose_verified")
    exact = d.select(**{f"{prefix}x_{c}": d[c] for c in columns})
    anyone = d.filter(d.therapy == "*").select(**{f"{prefix}a_{c}": d[c] for c in columns})
    p = p.left_join(exact, [p.problem == exact[f"{prefix}x_problem"],
                            p[therapy] == exact[f"{prefix}x_therapy"]])
    p = p.left_join(anyone, [p.problem == anyone[f"{prefix}a_problem"]])
    found = p[f"{prefix}x_dose_id"].notnull()
    p = p.mutate(**{f"{prefix}_{c}": ibis.cases((found, p[f"{prefix}x_{c}"]),
                                                  else_=p[f"{prefix}a_{c}"])
                    for c in ("min_sessions", "max_sessions", "dose_id", "dose_verified")})
    return p.drop(*[f"{prefix}{k}_{c}" for k in ("x", "a") for c in columns])


def _band(sessions: ir.IntegerValue, low: ir.FloatingValue, high: ir.FloatingValue,
          judged: ir.BooleanValue) -> ir.StringValue:
    """below / within / above the NICE range (a missing bound is open); NULL when the
    course has no range."""
    return ibis.cases((~judged, ibis.null("string")),
                      (low.notnull() & (sessions < low), "below"),
                      (high.notnull() & (sessions > high), "above"), else_="within")


# The outcomes working table's columns the pathway's metrics read (they are copied
# into the pathway table, which holds nothing else: narrow, so it is quick to write).
FROM_OUTCOMES = ("referral_id", "ended", "received", "finished", "not_at_caseness",
                 "at_caseness", "official_recovered", "attended_contacts",
                 "treatment_contacts", "low_treatment_contacts", "high_treatment_contacts",
                 "first_step", "stepped_up")


def _neighbours(o: ir.Table) -> ir.Table:
    """The client's previous and next referral, by (received date, row): the previous
    one's end date and whether it ended recovered, and the next one's received date;
    one row per referral of a client with two or more referrals (the others have
    neither)."""
    o = o.filter(o.client_referrals >= 2)
    order = ibis.window(group_by=o.client_id, order_by=[o.received_date, o.source_row])
    recovered_ever = o.ended_date.notnull() & (o.treatment_contacts >= 2) & o.recovered
    return o.select(
        "referral_id",
        previous_ended_date=o.ended_date.lag().over(order),
        previous_recovered=recovered_ever.lag().over(order),
        next_received_date=o.received_date.lead().over(order),
    )


def pathway_table(t: Tables, o: ir.Table, d: ir.Table) -> ir.Table:
    """One row per referral: the pathway's columns, and those of the working table
    ``o`` its metrics read (:data:`FROM_OUTCOMES`).

    ``d`` is the diagnostic working table (one row per interviewed ended referral).
    ``t`` is unused (the working table holds what the pathway needs from the
    appointments); it is kept so every working table is built from the same inputs.
    """
    diagnosed = d.select("referral_id", end_assessed=d.diagnosed & d.has_end,
                         lost_at_end=d.lost_end)
    p = o.select(*FROM_OUTCOMES, "received_date", "ended_date", "problem_descriptor",
                 "source", "li_therapy", "hi_therapy", "first_low_date", "first_high_date",
                 "first_offered_medium")
    p = p.mutate(problem=nice_problem(p.problem_descriptor))
    for right in (_neighbours(o), diagnosed):
        p = p.left_join(right, "referral_id").drop("referral_id_right")
    rules = step_rules()
    p = p.left_join(rules, [p.problem == rules.problem]).drop("problem_right")
    p = _with_range(p, "high", "hi_therapy", "hi")
    p = _with_range(p, "low", "li_therapy", "li")
    hi_course = p.finished & (p.high_treatment_contacts >= 1)
    li_course = p.finished & (p.high_treatment_contacts == 0) & (p.low_treatment_contacts >= 1)
    entered = p.ended & (p.treatment_contacts >= 1)
    p = p.mutate(
        has_descriptor=p.problem_descriptor.notnull(),
        hi_course=hi_course, li_course=li_course,
        hi_judged=hi_course & p.hi_dose_id.notnull(),
        li_judged=li_course & p.li_dose_id.notnull(),
        entered=entered,
        started_low=entered & (p.first_step == "low"),
        step_judged=entered & p.first_step.notnull() & p.step_rule.notnull(),
        not_seen=p.ended & (p.attended_contacts == 0),
        first_medium=p.first_offered_medium.fill_null(NO_APPOINTMENT),
        source_of_referral=p.source.fill_null(NOT_RECORDED),
        end_assessed=p.end_assessed.fill_null(False),
        lost_at_end=p.lost_at_end.fill_null(False),
        # a course that started at low intensity: every high-intensity session came
        # after its first (low-intensity) one, so the step up is the first of them
        step_up_days=ibis.cases(
            (p.first_step == "low", p.first_high_date.delta(p.first_low_date, unit="day")),
            else_=ibis.null("int64")),
        days_to_next=p.next_received_date.delta(p.ended_date, unit="day"),
        after_ended_episode=p.previous_ended_date.notnull()
        & (p.previous_ended_date <= p.received_date),
    )
    return p.select(
        *FROM_OUTCOMES, "first_medium", "source_of_referral", "not_seen", "entered",
        "started_low", "step_judged", "step_rule", "step_up_days", "end_assessed",
        "lost_at_end", "previous_recovered", "days_to_next", "after_ended_episode",
        *[f"{x}_{c}" for x in ("hi", "li") for c in (
            "course", "judged", "min_sessions", "max_sessions", "dose_id", "dose_verified")],
        hi_band=_band(p.high_treatment_contacts, p.hi_min_sessions, p.hi_max_sessions,
                      p.hi_judged),
        li_band=_band(p.low_treatment_contacts, p.li_min_sessions, p.li_max_sessions,
                      p.li_judged),
        stratum_problem=ibis.cases((~p.has_descriptor, NOT_RECORDED),
                                   (p.problem.isnull(), OTHER), else_=p.problem),
    )


# ------------------------------------------------------------------ labels

STEP_LABELS = {"low": "low intensity", "high": "high intensity"}


def problem_label(key: str | None) -> str:
    """A problem key as the report names it ('not_recorded': no descriptor)."""
    if key == NOT_RECORDED:
        return "No problem descriptor"
    if key in (None, OTHER):
        return "Other problem descriptors"
    problem = PROBLEMS.get(key)
    return problem.label if problem else str(key)


# ------------------------------------------------------------------ rates in tables

def add_rates(row: dict, rates: dict[str, tuple[str, str]]) -> dict:
    """Add ``<stem>_rate`` and its Wilson interval for each stem → (numerator,
    denominator) column; None where the denominator is 0."""
    for stem, (num, den) in rates.items():
        k, n = int(row.get(num) or 0), int(row.get(den) or 0)
        row[num], row[den] = k, n
        low, high = wilson_interval(k, n) if n else (None, None)
        row[f"{stem}_rate"] = k / n if n else None
        row[f"{stem}_ci_low"], row[f"{stem}_ci_high"] = low, high
    return row


# ------------------------------------------------------------------ the flow

# Stage → node: what each referral ended in the period is at each stage. A node with
# no next stage (never seen, one session only) ends there.
FLOW_STAGES = ("referred", "first step", "step up", "finish", "recovery", "diagnosis")
FLOW_NODES = {
    "referred": "Referrals ended",
    "not_seen": "Never seen",
    "not_treated": "Seen, not treated",
    "low_first": "Low intensity first",
    "high_first": "High intensity first",
    "unknown_first": "Step not recorded",
    "stepped_up": "Stepped up to high",
    "stayed_low": "Low intensity only",
    "high": "High intensity",
    "unknown": "Step not recorded",
    "finished": "Finished a course",
    "one_session": "One session only",
    "recovered": "Recovered",
    "not_recovered": "Not recovered",
    "no_outcome": "No official outcome",
    "lost": "Lost index diagnoses",
    "still_diagnosed": "Still diagnosed",
    "not_interviewed": "Not interviewed at baseline and end",
}


def _stage_nodes(p: ir.Table) -> dict[str, ir.StringValue]:
    """The node of each stage for a referral (NULL past the end of its path)."""
    treated = p.treatment_contacts >= 1
    first = ibis.cases((p.attended_contacts == 0, "not_seen"), (~treated, "not_treated"),
                       (p.first_step == "low", "low_first"),
                       (p.first_step == "high", "high_first"), else_="unknown_first")
    stepped = ibis.cases((~treated, ibis.null("string")),
                         ((p.first_step == "low") & p.stepped_up, "stepped_up"),
                         (p.first_step == "low", "stayed_low"),
                         (p.first_step == "high", "high"), else_="unknown")
    finish = ibis.cases((~treated, ibis.null("string")), (p.finished, "finished"),
                        else_="one_session")
    recovery = ibis.cases((~p.finished, ibis.null("string")),
                          (p.official_recovered, "recovered"),
                          (p.at_caseness, "not_recovered"), else_="no_outcome")
    diagnosis = ibis.cases((~p.finished, ibis.null("string")),
                           (p.end_assessed & p.lost_at_end, "lost"),
                           (p.end_assessed, "still_diagnosed"), else_="not_interviewed")
    return {"referred": ibis.literal("referred"), "first step": first, "step up": stepped,
            "finish": finish, "recovery": recovery, "diagnosis": diagnosis}


def _flow(bases):
    p = bases["pathway"]
    p = p.filter(p.ended)
    nodes = _stage_nodes(p)
    p = p.mutate(**{f"s{i}": node for i, node in enumerate(nodes.values())})
    links = []
    for i in range(len(FLOW_STAGES) - 1):
        a, b = f"s{i}", f"s{i + 1}"
        step = p.filter(p[b].notnull())
        links.append(step.group_by(source=step[a], target=step[b]).aggregate(
            referrals=step.count(), stage=ibis.literal(FLOW_STAGES[i + 1])))
    return ibis.union(*links).order_by(["stage", "source", "target"])


def _finish_flow(rows):
    order = {stage: i for i, stage in enumerate(FLOW_STAGES)}
    for row in rows:
        row["referrals"] = int(row["referrals"] or 0)
        row["source_label"] = FLOW_NODES.get(row["source"], row["source"])
        row["target_label"] = FLOW_NODES.get(row["target"], row["target"])
    return sorted(rows, key=lambda r: (order[r["stage"]], r["source"], r["target"]))


table("pathway.flow", "The pathway: from referral to loss of diagnosis", _flow,
      "Referrals ended in the period, followed through five steps: first treatment step "
      "(or never seen, or seen but not treated); stepped up from low to high intensity or "
      "not; finished a course (two or more treatment sessions) or one session only; "
      "officially recovered, not recovered, or no official outcome (not at caseness or "
      "without paired scores); and, at an eligible end interview of those diagnosed at "
      "baseline, index diagnoses lost or still present. Each row is one link: referrals "
      "going from one node to the next.", TINCHECK,
      columns=[("stage", "the step the link leads to"), ("source", "node it leaves"),
               ("target", "node it reaches"), ("referrals", "referrals")],
      finish=_finish_flow, base="pathway")


# ------------------------------------------------------------------ per stratum

STRATA = ("problem", "source")


def _by_stratum(bases):
    p = bases["pathway"]
    p = p.filter(p.ended)

    def flag(x):
        return x.cast("int64").sum()

    parts = []
    for kind, column in (("problem", p.stratum_problem), ("source", p.source_of_referral)):
        parts.append(p.group_by(stratum=column).aggregate(
            kind=ibis.literal(kind), referrals=p.count(), not_seen=flag(p.not_seen),
            entered=flag(p.entered), low_first=flag(p.started_low),
            stepped_up=flag(p.started_low & p.stepped_up), finished=flag(p.finished),
            eligible=flag(p.finished & ~p.not_at_caseness),
            recovered=flag(p.official_recovered),
            end_assessed=flag(p.finished & p.end_assessed),
            lost_end=flag(p.finished & p.end_assessed & p.lost_at_end)))
    return ibis.union(*parts).order_by(["kind", "stratum"])


STRATUM_RATES = {"not_seen": ("not_seen", "referrals"), "entered": ("entered", "referrals"),
                 "low_first": ("low_first", "entered"),
                 "stepped_up": ("stepped_up", "low_first"),
                 "finished": ("finished", "referrals"), "recovery": ("recovered", "eligible"),
                 "lost_diagnosis": ("lost_end", "end_assessed")}


def _finish_by_stratum(rows):
    out = []
    for row in rows:
        add_rates(row, STRATUM_RATES)
        row["label"] = problem_label(row["stratum"]) if row["kind"] == "problem" else \
            ("Not recorded" if row["stratum"] == NOT_RECORDED else str(row["stratum"]))
        out.append(row)
    return sorted(out, key=lambda r: (STRATA.index(r["kind"]), r["stratum"] in
                                      (NOT_RECORDED, OTHER), -r["referrals"], r["stratum"]))


table("pathway.by_stratum", "The pathway per stratum", _by_stratum,
      "Referrals ended in the period, by NICE problem of the problem descriptor and by "
      "source of referral: never seen, entered treatment, started at low intensity, "
      "stepped up (of those who started low), finished a course, official recovery (of "
      "finishers at caseness) and loss of index diagnoses at the end interview (of "
      "finishers diagnosed at baseline with an end interview), each with a Wilson 95% "
      "interval.", TINCHECK,
      columns=[("kind", "problem or source"), ("stratum", "the stratum"),
               ("referrals", "referrals ended"), ("not_seen_rate", "never seen ÷ referrals"),
               ("low_first_rate", "low intensity first ÷ entered treatment"),
               ("stepped_up_rate", "stepped up ÷ started low"),
               ("finished_rate", "finished ÷ referrals"),
               ("recovery_rate", "recovered ÷ finished at caseness"),
               ("lost_diagnosis_rate", "lost index diagnoses ÷ finishers interviewed at end")],
      finish=_finish_by_stratum, base="pathway")


# ------------------------------------------------------------------ the NICE tables used

def _nice_dose(results, context):
    nice = context.extra.get("nice")
    return [] if nice is None else [{
        "id": r.id, "problem": r.problem, "intensity": r.intensity, "therapy": r.therapy,
        "therapy_codes": "|".join(r.therapy_codes), "range": r.range_text(),
        "min_sessions": r.min_sessions, "max_sessions": r.max_sessions,
        "guideline": r.guideline, "recommendation": r.recommendation, "quote": r.quote,
        "url": r.url, "source_kind": r.source_kind, "verified": r.verified,
        "status": r.status, "use": r.use, "applied": r.applied, "table": nice.dose_source,
    } for r in nice.dose]


def _nice_steps(results, context):
    nice = context.extra.get("nice")
    return [] if nice is None else [{
        "id": r.id, "problem": r.problem, "low_intensity_first": r.low_intensity_first,
        "guideline": r.guideline, "recommendation": r.recommendation, "quote": r.quote,
        "url": r.url, "source_kind": r.source_kind, "verified": r.verified, "use": r.use,
        "table": nice.steps_source,
    } for r in nice.steps]


table("pathway.nice_dose", "The NICE dose table", _nice_dose,
      "Every row of the dose table the audit read (tincheck's nice_dose.csv or the "
      "service's own), with its citation, whether NICE's own text was seen to give the "
      "figure, and whether the audit applied it (marked for use, current, matched to "
      "therapy types, giving a number of sessions).",
      "NICE guidelines NG222, CG113, CG159, NG116, CG31, CG123 (see docs/nice.md)",
      columns=[("id", "row"), ("problem", "NICE problem"), ("intensity", "step"),
               ("therapy", "therapy"), ("range", "recommended dose"),
               ("guideline", "guideline"), ("recommendation", "recommendation"),
               ("verified", "seen in NICE's text"), ("applied", "applied by the audit")],
      base="derived")
table("pathway.nice_steps", "The NICE first-step table", _nice_steps,
      "Every row of the first-step table the audit read, with its citation, whether "
      "NICE's own text was seen to say it, and whether the audit used it.",
      "NICE guidelines NG222, CG113, CG159, NG116, CG31, CG123 (see docs/nice.md)",
      columns=[("id", "row"), ("problem", "NICE problem"),
               ("low_intensity_first", "low intensity as a first step"),
               ("guideline", "guideline"), ("recommendation", "recommendation"),
               ("verified", "seen in NICE's text"), ("use", "used by the audit")],
      base="derived")
