"""diagnostic and agreement: loss of diagnostic status by independent blind interview.

The central test that someone is back to their usual self is that they no longer meet
criteria for the disorders they came with, judged by a standardised semi-structured
interview done by an assessor independent of the service and blind to the treatment.

Eligible interviews: assessor independent **and** blind (``any_assessor`` widens this).
Second ratings (``second_rating``) never count towards an outcome: they serve only
inter-rater agreement. Per referral and time point the latest eligible interview is
used (by date, then interview_id). Interviews in which the assessor became unblinded
(``unblinded``) count in the headline figures; the ``_blinded`` variants leave them out.
B = referrals ended in the period with an eligible baseline interview in which at
least one disorder is ``present`` (its index disorders). "Lost index
diagnoses" at a time point: none of the index disorders is ``present`` there
(subthreshold counts as lost; the strict variant needs ``absent``); an index disorder
the later interview did not rate counts as not lost, and a missing interview counts as
not lost in the intention-to-treat rates.

References: Scott MJ (2018) J Health Psychol 23:1136-1147; Scott MJ (2021) Br J Clin
Psychol 60:38-41; Cohen J (1960) Educ Psychol Meas 20:37-46.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..stats.agreement import cohen_kappa
from ..stats.balance import SMD_FLAG, standardised_mean_difference
from ..stats.intervals import wilson_interval
from . import balance
from .blocks import Tables, parameters_table
from .registry import Result, count, derived, proportion, table
from .citations import SCOTT_2018, TINCHECK

TIMEPOINTS = ("baseline", "end", "follow_up")


def _flag(value: ir.BooleanValue) -> ir.IntegerValue:
    return value.cast("int64")


def primary_ratings(t: Tables) -> ir.Table:
    """The interviews table without second ratings: the ratings outcomes count."""
    i = t.interviews
    return i.filter(~i.second_rating.fill_null(False))


def interview_summary(t: Tables) -> ir.Table:
    """One row per interview: referral, time point, date, eligibility and what it found.

    ``eligible_blinded``: eligible, and the assessor did not become unblinded. One
    summary serves the headline figures and the ``_blinded`` ones.
    """
    i = primary_ratings(t).cross_join(parameters_table())
    eligible = (i.assessor_independent & i.assessor_blind) | i.any_assessor
    return i.group_by("interview_id").aggregate(
        referral_id=i.referral_id.max(),
        timepoint=i.timepoint.max(),
        date=i.date.max(),
        independent=_flag(i.assessor_independent).max() == 1,
        blind=_flag(i.assessor_blind).max() == 1,
        retrospective=_flag(i.retrospective.fill_null(False)).max() == 1,
        eligible=_flag(eligible).max() == 1,
        eligible_blinded=_flag(eligible & ~i.unblinded.fill_null(False)).max() == 1,
        usual_self_pct=i.usual_self_pct.max(),
        present=_flag(i.status == "present").sum(),
        unblinded=_flag(i.unblinded.fill_null(False)).max() == 1,
        unblinding_recorded=_flag(i.unblinded.notnull()).max() == 1,
    )


def chosen_interviews(t: Tables, without_unblinded: bool = False) -> ir.Table:
    """The latest eligible interview per referral and time point.

    ``without_unblinded``: interviews in which the assessor became unblinded are not
    eligible.
    """
    s = interview_summary(t)
    s = s.filter(s.eligible_blinded if without_unblinded else s.eligible)
    order = ibis.window(group_by=[s.referral_id, s.timepoint],
                        order_by=[ibis.desc(s.date), ibis.desc(s.interview_id)])
    s = s.mutate(k=ibis.row_number().over(order))
    return s.filter(s.k == 0).drop("k")


def index_disorders(t: Tables, without_unblinded: bool = False) -> ir.Table:
    """Per referral × index disorder (present at baseline): its status at end and follow-up.

    Columns ``end_status`` and ``follow_up_status`` are NULL where the time point had
    no eligible interview or the interview did not rate that disorder.
    """
    chosen = chosen_interviews(t, without_unblinded).select("interview_id", "timepoint")
    rows = primary_ratings(t).join(chosen, "interview_id").select(
        "referral_id", "disorder", "status", timepoint=chosen.timepoint)
    baseline = rows.filter((rows.timepoint == "baseline") & (rows.status == "present")).select(
        "referral_id", "disorder")
    out = baseline
    for point in ("end", "follow_up"):
        later = rows.filter(rows.timepoint == point).select(
            "referral_id", "disorder", **{f"{point}_status": rows.status})
        out = out.left_join(later, ["referral_id", "disorder"]).drop(
            "referral_id_right", "disorder_right")
    return out


def _lost(status: ir.StringValue, strict: bool) -> ir.BooleanValue:
    lost = status == "absent" if strict else status.isin(("absent", "subthreshold"))
    return lost.fill_null(False)


def diagnostic_table(t: Tables, o: ir.Table) -> ir.Table:
    """One row per referral ended in the period that has any interview.

    Joins interview counts (for the eligibility share), the chosen interviews and the
    loss of index diagnoses to the outcomes working table ``o``.
    """
    s = interview_summary(t)
    counts = s.group_by("referral_id").aggregate(
        interviews=s.count(),
        eligible_interviews=_flag(s.eligible).sum(),
        not_independent=_flag(~s.independent).sum(),
        not_blind=_flag(~s.blind).sum(),
        retrospective_interviews=_flag(s.retrospective & s.eligible).sum(),
        unblinded_interviews=_flag(s.unblinded & s.eligible).sum(),
        unblinding_recorded=_flag(s.unblinding_recorded & s.eligible).sum(),
    )
    chosen = chosen_interviews(t)
    ix = index_disorders(t)
    losses = ix.group_by("referral_id").aggregate(
        index_n=ix.count(),
        **{f"lost_{p}{sfx}": _flag(_lost(ix[f"{p}_status"], strict)).sum()
           for p in ("end", "follow_up") for sfx, strict in (("", False), ("_strict", True))})
    ended = o.filter(o.ended).select(
        "referral_id", "finished", "paired", "at_caseness", "official_recovered")
    d = ended.join(counts, "referral_id")
    for point in TIMEPOINTS:
        c = chosen.filter(chosen.timepoint == point).select(
            "referral_id", **{f"has_{point}": ibis.literal(True),
                              f"{point}_present": chosen.present,
                              f"{point}_usual_self": chosen.usual_self_pct,
                              f"{point}_retrospective": chosen.retrospective})
        d = d.left_join(c, "referral_id").drop("referral_id_right")
    d = d.left_join(losses, "referral_id").drop("referral_id_right")
    d = d.mutate(**{f"has_{p}": d[f"has_{p}"].fill_null(False) for p in TIMEPOINTS},
                 index_n=d.index_n.fill_null(0))
    d = d.mutate(diagnosed=d.has_baseline & (d.index_n > 0))
    lost = {}
    for point in ("end", "follow_up"):
        for sfx in ("", "_strict"):
            lost[f"lost_{point}{sfx}"] = (d.diagnosed & d[f"has_{point}"]
                                          & (d[f"lost_{point}{sfx}"] == d.index_n))
    d = d.mutate(**lost)
    d = _without_unblinded(t, d)
    return d.mutate(
        free_end=d.has_end & (d.end_present == 0),
        usual_self_rated=d.diagnosed & d.has_end & d.end_usual_self.notnull(),
        official_outcome=d.finished & d.paired & d.at_caseness,
    )


def _without_unblinded(t: Tables, d: ir.Table) -> ir.Table:
    """Columns ``diagnosed_b``, ``has_end_b``, ``has_follow_up_b``, ``lost_end_b`` and
    ``lost_follow_up_b``: the same rules with unblinded interviews left out."""
    chosen = chosen_interviews(t, without_unblinded=True)
    ix = index_disorders(t, without_unblinded=True)
    losses = ix.group_by("referral_id").aggregate(
        index_n_b=ix.count(),
        **{f"lost_{p}_n_b": _flag(_lost(ix[f"{p}_status"], False)).sum()
           for p in ("end", "follow_up")})
    has = chosen.group_by("referral_id").aggregate(
        **{f"has_{p}_b": _flag(chosen.timepoint == p).max() == 1 for p in TIMEPOINTS})
    d = d.left_join(has, "referral_id").drop("referral_id_right")
    d = d.left_join(losses, "referral_id").drop("referral_id_right")
    d = d.mutate(**{f"has_{p}_b": d[f"has_{p}_b"].fill_null(False) for p in TIMEPOINTS},
                 index_n_b=d.index_n_b.fill_null(0))
    d = d.mutate(diagnosed_b=d.has_baseline_b & (d.index_n_b > 0))
    return d.mutate(**{f"lost_{p}_b": d.diagnosed_b & d[f"has_{p}_b"]
                       & (d[f"lost_{p}_n_b"] == d.index_n_b) for p in ("end", "follow_up")})


# ------------------------------------------------------------------ metrics

def _p(id, label, numerator, denominator, definition, source=TINCHECK):
    proportion(id, label, numerator, denominator, definition, source, base="diagnostic")


count("diagnostic.baseline_interviewed", "Referrals interviewed at baseline",
      lambda d: d.has_baseline,
      "Referrals ended in the period with an eligible baseline interview.", TINCHECK,
      base="diagnostic")
count("diagnostic.baseline_diagnosed", "Diagnosed at baseline (B)", lambda d: d.diagnosed,
      "Referrals with an eligible baseline interview in which at least one disorder was "
      "present.", TINCHECK, base="diagnostic")
for _sfx, _strict_text in (("", " (subthreshold counts as lost)"),
                           ("_strict", " (strict: only absent counts as lost)")):
    _p(f"diagnostic.lost_index_end_itt{_sfx}",
       "Lost their index diagnoses at end" + (" (strict)" if _sfx else ""),
       lambda d, s=_sfx: d[f"lost_end{s}"], lambda d: d.diagnosed,
       "None of the disorders present at baseline is present at the end interview" +
       _strict_text + " ÷ B; no end interview counts as not lost.", SCOTT_2018)
    _p(f"diagnostic.lost_index_end_observed{_sfx}",
       "Lost index diagnoses at end, among those interviewed" + (" (strict)" if _sfx else ""),
       lambda d, s=_sfx: d[f"lost_end{s}"], lambda d: d.diagnosed & d.has_end,
       "The same ÷ B with an eligible end interview" + _strict_text + ".")
    _p(f"diagnostic.lost_index_follow_up_itt{_sfx}",
       "Lost their index diagnoses at follow-up" + (" (strict)" if _sfx else ""),
       lambda d, s=_sfx: d[f"lost_follow_up{s}"], lambda d: d.diagnosed,
       "None of the baseline disorders present at the follow-up interview" + _strict_text +
       " ÷ B; no follow-up interview counts as not lost.")
    _p(f"diagnostic.lost_index_follow_up_observed{_sfx}",
       "Lost index diagnoses at follow-up, among those interviewed" +
       (" (strict)" if _sfx else ""),
       lambda d, s=_sfx: d[f"lost_follow_up{s}"], lambda d: d.diagnosed & d.has_follow_up,
       "The same ÷ B with an eligible follow-up interview" + _strict_text + ".")
    _p(f"diagnostic.durable_loss_itt{_sfx}",
       "Lost index diagnoses at end and still at follow-up" + (" (strict)" if _sfx else ""),
       lambda d, s=_sfx: d[f"lost_end{s}"] & d[f"lost_follow_up{s}"], lambda d: d.diagnosed,
       "Lost at end and at follow-up" + _strict_text + " ÷ B.")
_p("diagnostic.diagnosis_free_end_observed", "Free of any diagnosis at end",
   lambda d: d.diagnosed & d.free_end, lambda d: d.diagnosed & d.has_end,
   "No disorder at all present at the end interview (a new disorder counts) ÷ B with an "
   "eligible end interview.")
_p("diagnostic.back_to_usual_self_end", "Back to their usual self at end (own rating)",
   lambda d: d.usual_self_rated & (d.end_usual_self >= d.usual_self_threshold),
   lambda d: d.usual_self_rated,
   "usual_self_pct at or above the threshold (default 90) at the end interview ÷ B with "
   "an end rating.")
_p("diagnostic.eligible_interview_share", "Interviews by independent, blind assessors",
   lambda d: d.eligible_interviews, lambda d: d.interviews,
   "Eligible interviews ÷ all interviews of referrals ended in the period (with "
   "--assessors any every interview is eligible).")


_p("diagnostic.unblinded_share", "Interviews in which the assessor became unblinded",
   lambda d: d.unblinded_interviews, lambda d: d.unblinding_recorded,
   "Eligible interviews in which the assessor learnt the treatment or the scores before "
   "rating (unblinded) ÷ eligible interviews that record whether they did.")
for _point, _name in (("end", "end"), ("follow_up", "follow-up")):
    _p(f"diagnostic.lost_index_{_point}_itt_blinded",
       f"Lost their index diagnoses at {_name}, without unblinded interviews",
       lambda d, p=_point: d[f"lost_{p}_b"], lambda d: d.diagnosed_b,
       f"As lost_index_{_point}_itt, with every interview in which the assessor became "
       "unblinded left out (B then counts only people diagnosed at a blinded baseline).")
    _p(f"diagnostic.lost_index_{_point}_observed_blinded",
       f"Lost index diagnoses at {_name} among those interviewed, without unblinded "
       "interviews",
       lambda d, p=_point: d[f"lost_{p}_b"], lambda d, p=_point: d.diagnosed_b & d[f"has_{p}_b"],
       f"As lost_index_{_point}_observed, with unblinded interviews left out.")


def _agreement_set(d):
    return d.diagnosed & d.official_outcome & d.has_end


count("agreement.n", "Referrals with both an official outcome and an end interview",
      _agreement_set,
      "B referrals that finished, paired and at caseness (an official outcome) with an "
      "eligible end interview: the 2 × 2 table official recovered × lost index diagnoses.",
      TINCHECK, base="diagnostic")
_p("agreement.recovered_but_still_diagnosed", "Officially recovered but still diagnosed",
   lambda d: _agreement_set(d) & d.official_recovered & ~d.lost_end,
   lambda d: _agreement_set(d) & d.official_recovered,
   "Still meeting criteria for an index disorder at end ÷ officially recovered.")
_p("agreement.lost_diagnosis_but_not_recovered", "Lost diagnosis but not officially recovered",
   lambda d: _agreement_set(d) & ~d.official_recovered & d.lost_end,
   lambda d: _agreement_set(d) & ~d.official_recovered,
   "Lost index diagnoses at end ÷ not officially recovered.")


def agreement_cells(results: dict) -> dict | None:
    """The 2 × 2 counts from the two agreement proportions (None if not computed)."""
    a = results.get("agreement.recovered_but_still_diagnosed")
    b = results.get("agreement.lost_diagnosis_but_not_recovered")
    if a is None or b is None:
        return None
    return {"recovered_lost": a.denominator - a.numerator, "recovered_diagnosed": a.numerator,
            "not_recovered_lost": b.numerator,
            "not_recovered_diagnosed": b.denominator - b.numerator}


def _kappa(results: dict, context) -> Result:
    cells = agreement_cells(results)
    if not cells or sum(cells.values()) == 0:
        return Result("agreement.kappa", "statistic", None, n=0, note="no referrals to compare")
    table = [[cells["recovered_lost"], cells["recovered_diagnosed"]],
             [cells["not_recovered_lost"], cells["not_recovered_diagnosed"]]]
    n = sum(cells.values())
    try:
        k = cohen_kappa(table)
    except (ValueError, ZeroDivisionError) as exc:
        return Result("agreement.kappa", "statistic", None, n=n, note=str(exc))
    value = None if k.kappa != k.kappa else k.kappa
    # kappa lies in [-1, 1]; the Wald interval can cross those bounds in small tables
    return Result("agreement.kappa", "statistic", value, n=n,
                  ci_low=None if value is None else max(-1.0, k.ci_low),
                  ci_high=None if value is None else min(1.0, k.ci_high),
                  note=None if value is not None else "kappa undefined (one margin is empty)",
                  extra={"ase": None if value is None else k.ase, "cells": cells})


derived("agreement.kappa", "Agreement of questionnaire recovery with loss of diagnosis (κ)",
        "statistic", _kappa,
        "Cohen's kappa on the 2 × 2 table official recovered × lost index diagnoses at end, "
        "with its asymptotic standard error and 95% interval (Fleiss, Cohen & Everitt 1969).",
        "Cohen J (1960) Educ Psychol Meas 20:37-46")


# ------------------------------------------------------------------ tables

def _by_disorder(bases):
    d = bases["diagnostic"]
    ix = index_disorders(Tables())
    diag = d.filter(d.diagnosed).select("referral_id", "has_end", "has_follow_up")
    j = ix.join(diag, "referral_id")
    return j.group_by("disorder").aggregate(
        n=j.count(),
        end_interviewed=_flag(j.has_end).sum(),
        lost_end=_flag(j.has_end & _lost(j.end_status, False)).sum(),
        follow_up_interviewed=_flag(j.has_follow_up).sum(),
        lost_follow_up=_flag(j.has_follow_up & _lost(j.follow_up_status, False)).sum(),
    ).order_by("disorder")


def _finish_by_disorder(rows):
    for row in rows:
        for key in ("n", "end_interviewed", "lost_end", "follow_up_interviewed",
                    "lost_follow_up"):
            row[key] = int(row[key] or 0)
        for what in ("lost_end", "lost_follow_up"):
            low, high = wilson_interval(row[what], row["n"])
            row[f"{what}_rate"] = row[what] / row["n"] if row["n"] else None
            row[f"{what}_ci_low"], row[f"{what}_ci_high"] = low, high
    return rows


table("diagnostic.by_disorder", "Loss of each disorder present at baseline", _by_disorder,
      "For each disorder present at an eligible baseline interview: referrals, and how many "
      "no longer had it present at end and at follow-up (ITT: no interview = not lost), "
      "with Wilson 95% intervals.", TINCHECK,
      columns=[("disorder", "disorder present at baseline"), ("n", "referrals in B"),
               ("lost_end", "not present at the end interview"),
               ("lost_follow_up", "not present at the follow-up interview")],
      finish=_finish_by_disorder, base="diagnostic")

RATED = ("present", "subthreshold", "absent")


def _inter_rater(bases):
    d = bases["diagnostic"]
    i = Tables().interviews
    second = i.filter(i.second_rating.fill_null(False))
    seconds = second.select("referral_id", "timepoint", "disorder", second=second.status)
    # the interviews of referrals with a second rating only (usually few): the interview
    # chosen for a referral and time point depends on that referral's interviews alone
    # (referral_id is the same on every row of an interview)
    t = Tables(interviews=i.filter(i.referral_id.isin(second.referral_id)))
    first = chosen_interviews(t).select("interview_id")
    rated = primary_ratings(t)
    firsts = rated.join(first, "interview_id").select(
        "referral_id", "timepoint", "disorder", first=rated.status)
    pairs = firsts.join(seconds, ["referral_id", "timepoint", "disorder"])
    pairs = pairs.join(d.select("referral_id"), "referral_id")
    return pairs.group_by(["disorder", "first", "second"]).aggregate(n=pairs.count()).order_by(
        ["disorder", "first", "second"])


def _finish_inter_rater(rows):
    tables: dict[str, list[list[int]]] = {}
    for row in rows:
        cells = tables.setdefault(row["disorder"], [[0] * 3 for _ in RATED])
        cells[RATED.index(row["first"])][RATED.index(row["second"])] += int(row["n"])
    out = []
    for disorder in sorted(tables):
        cells = tables[disorder]
        n = sum(map(sum, cells))
        k = cohen_kappa(cells)
        defined = k.kappa == k.kappa
        out.append({"disorder": disorder, "n": n,
                    "agreement_rate": k.observed,
                    "kappa": k.kappa if defined else None,
                    # kappa lies in [-1, 1]; the Wald interval can cross those bounds
                    "kappa_ci_low": max(-1.0, k.ci_low) if defined else None,
                    "kappa_ci_high": min(1.0, k.ci_high) if defined else None})
    return out


table("agreement.inter_rater", "Agreement between two assessors of the same interview",
      _inter_rater,
      "For each disorder: pairs of a first rating (the eligible interview counted) and a "
      "second, independent rating of the same referral and time point (second_rating), "
      "their raw agreement and Cohen's kappa over present / subthreshold / absent with its "
      "asymptotic 95% interval (Fleiss, Cohen & Everitt 1969); kappa is undefined when "
      "both raters put every pair in one category.",
      "Cohen J (1960) Educ Psychol Meas 20:37-46",
      columns=[("disorder", "disorder"), ("n", "pairs of ratings"),
               ("agreement_rate", "share of pairs rated the same"),
               ("kappa", "Cohen's kappa (95% CI)")],
      finish=_finish_inter_rater, base="diagnostic")

# the characteristics the study compares its sample on (metrics/balance.py), then two
# that only exist once treatment is over
REPRESENTATIVENESS = (*(c.name for c in balance.CHARACTERISTICS), "treatment_contacts",
                      "finished_course")

def _representativeness(bases):
    o, d = bases["referrals"], bases["diagnostic"]
    e = o.filter(o.ended).left_join(d.select("referral_id", interviewed=d.has_baseline),
                                    "referral_id")
    values = {**balance.characteristics(e), "treatment_contacts": e.treatment_contacts,
              "finished_course": e.finished}
    # each value computed once, then two plain aggregates (everyone, the interviewed):
    # one aggregate with a FILTER per statistic took four times as long
    v = e.select(inside=e.interviewed.fill_null(False),
                 **{name: value.cast("float64") for name, value in values.items()})

    def summary(rows, group):
        columns = {}
        for name in values:
            columns[f"{name}__{group}_n"] = rows[name].count()
            columns[f"{name}__{group}_mean"] = rows[name].mean()
            columns[f"{name}__{group}_var"] = rows[name].var()
        return rows.aggregate(**columns)

    return summary(v, "all").cross_join(summary(v.filter(v.inside), "in"))


def _finish_representativeness(rows):
    row = rows[0] if rows else {}
    out = []
    for name in REPRESENTATIVENESS:
        get = lambda key: row.get(f"{name}__{key}")  # noqa: E731
        smd = standardised_mean_difference(get("in_mean"), get("in_var"), get("all_mean"),
                                           get("all_var"))
        out.append({"variable": name, "interviewed_n": int(get("in_n") or 0),
                    "interviewed_mean": get("in_mean"), "all_n": int(get("all_n") or 0),
                    "all_mean": get("all_mean"), "smd": smd,
                    "flag": None if smd is None else abs(smd) > SMD_FLAG})
    return out


table("diagnostic.representativeness", "Is the interviewed sample like everyone referred?",
      _representativeness,
      "Standardised mean differences (interviewed at baseline vs all ended referrals) on "
      "the characteristics a study sample is compared on (age, female, ethnic group, "
      "deprivation decile, problem descriptor group, first treatment step, first PHQ-9, "
      "first GAD-7; a share per level of a category, over referrals where it is known) "
      "and on treatment contacts and finished course; |SMD| > 0.1 is flagged.",
      "Austin PC (2009) Stat Med 28:3083-3107",
      columns=[("variable", "characteristic"), ("interviewed_mean", "mean among interviewed"),
               ("all_mean", "mean among all ended referrals"),
               ("smd", "standardised mean difference"), ("flag", "|SMD| > 0.1")],
      finish=_finish_representativeness, base="diagnostic")


def _eligibility(bases):
    d = bases["diagnostic"]
    return d.aggregate(interviews=d.interviews.sum(), eligible=d.eligible_interviews.sum(),
                       not_independent=d.not_independent.sum(), not_blind=d.not_blind.sum(),
                       retrospective=d.retrospective_interviews.sum())


def _finish_eligibility(rows):
    row = {k: int(v or 0) for k, v in (rows[0] if rows else {}).items()}
    return [
        {"interviews": "all interviews", "n": row.get("interviews", 0)},
        {"interviews": "eligible (counted)", "n": row.get("eligible", 0)},
        {"interviews": "excluded", "n": row.get("interviews", 0) - row.get("eligible", 0)},
        {"interviews": "assessor not independent", "n": row.get("not_independent", 0)},
        {"interviews": "assessor not blind", "n": row.get("not_blind", 0)},
        {"interviews": "eligible, rated retrospectively", "n": row.get("retrospective", 0)},
    ]


table("diagnostic.interview_eligibility", "Which interviews count, and why others do not",
      _eligibility,
      "Interviews of referrals ended in the period: how many were eligible (independent "
      "and blind assessor, or every interview with --assessors any), how many were "
      "excluded and why (an interview can fail both tests), and how many eligible ones "
      "were rated retrospectively.", TINCHECK,
      columns=[("interviews", "group"), ("n", "interviews")],
      finish=_finish_eligibility, base="diagnostic")
