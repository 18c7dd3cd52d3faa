"""pathway (steps): was the first step one NICE recommends, and who was stepped up?

Over referrals ended in the period that entered treatment (at least one treatment
contact). The first step is that of the first treatment contact, by (date, row). The
rule for the problem descriptor comes from ``nice_steps.csv`` (rows marked ``use =
yes``; ``docs/nice.md``): low intensity as a first step is recommended (``yes``),
``conditional`` on something routine data do not record (impairment, preference,
severity), or not recommended (``no``). High intensity as a first step is never counted
as not recommended: NICE allows it for every problem in the table.
"""

from __future__ import annotations

import ibis

from .citations import TINCHECK
from .pathway import NOT_RECORDED, add_rates, problem_label
from .registry import mean, proportion, table


def _low_first(p, rule):
    return (p.step_judged & (p.first_step == "low") & (p.step_rule == rule)).fill_null(False)


proportion("pathway.first_step_judged", "Treated referrals whose first step can be judged",
           lambda p: p.step_judged, lambda p: p.entered,
           "Referrals that entered treatment with a recorded first step and a problem "
           "descriptor the NICE first-step table has a rule for ÷ referrals ended that "
           "entered treatment.", TINCHECK, base="pathway")
proportion("pathway.first_step_not_recommended",
           "First step one NICE does not recommend as a first step",
           lambda p: _low_first(p, "no"), lambda p: p.step_judged,
           "Low intensity first for a problem whose NICE rule is that low intensity is not "
           "a first step (by default: PTSD, CG123) ÷ treated referrals whose first step can "
           "be judged.", TINCHECK, base="pathway")
proportion("pathway.first_step_conditional",
           "Low intensity first where NICE makes that conditional",
           lambda p: _low_first(p, "conditional"), lambda p: p.step_judged,
           "Low intensity first for a problem whose NICE rule makes it conditional on "
           "impairment, severity or preference that routine data do not record ÷ treated "
           "referrals whose first step can be judged.", TINCHECK, base="pathway")
proportion("pathway.stepped_up_from_low", "Stepped up, of those who started at low intensity",
           lambda p: p.started_low & p.stepped_up, lambda p: p.started_low,
           "A high-intensity treatment contact after the first low-intensity one ÷ referrals "
           "ended whose first treatment contact was low intensity.", TINCHECK, base="pathway")
mean("pathway.days_to_step_up", "Days from the first low-intensity session to the step up",
     lambda p: p.step_up_days, lambda p: p.started_low & p.stepped_up & p.step_up_days.notnull(),
     "Mean (and median) days from the first low-intensity treatment contact to the first "
     "high-intensity one after it, over referrals stepped up from low intensity.", TINCHECK,
     base="pathway", unit="days")


def _by_problem(bases):
    p = bases["pathway"]
    p = p.filter(p.entered)

    def flag(x):
        return x.cast("int64").sum()

    up = p.started_low & p.stepped_up & p.step_up_days.notnull()
    return p.group_by(problem=p.stratum_problem,
                      rule=p.step_rule.fill_null(NOT_RECORDED)).aggregate(
        entered=p.count(), low_first=flag(p.first_step == "low"),
        high_first=flag(p.first_step == "high"), judged=flag(p.step_judged),
        not_recommended=flag(_low_first(p, "no")),
        conditional=flag(_low_first(p, "conditional")),
        stepped_up=flag(p.started_low & p.stepped_up),
        median_step_up_days=ibis.cases((up, p.step_up_days.cast("float64")),
                                       else_=ibis.null("float64")).median(),
    ).order_by(["problem", "rule"])


def _finish_by_problem(rows):
    for row in rows:
        row["label"] = problem_label(row["problem"])
        for key in ("entered", "low_first", "high_first", "judged", "not_recommended",
                    "conditional", "stepped_up"):
            row[key] = int(row[key] or 0)
        add_rates(row, {"low_first": ("low_first", "entered"),
                        "high_first": ("high_first", "entered"),
                        "stepped_up": ("stepped_up", "low_first"),
                        **({"not_recommended": ("not_recommended", "judged")}
                           if row["rule"] == "no" else {})})
        row["median_step_up_days"] = None if row["median_step_up_days"] is None else \
            float(row["median_step_up_days"])
        # counts a rule cannot produce are left out, not shown as zeros
        for key, rule in (("not_recommended", "no"), ("conditional", "conditional")):
            if row["rule"] != rule:
                row.pop(key)
                row.pop(f"{key}_rate", None)
                row.pop(f"{key}_ci_low", None)
                row.pop(f"{key}_ci_high", None)
        if row["rule"] == NOT_RECORDED:
            row.pop("judged")
    return sorted(rows, key=lambda r: (r["problem"] in (NOT_RECORDED, "other"),
                                       -r["entered"], r["problem"]))


table("pathway.first_step_by_problem", "First step and stepping up, per problem",
      _by_problem,
      "Referrals ended that entered treatment, by NICE problem of the descriptor and its "
      "first-step rule (yes, conditional, no; not_recorded: no rule): low- and "
      "high-intensity first, first step not recommended, stepped up (of those who started "
      "low) with Wilson 95% intervals, and the median days to the step up.", TINCHECK,
      columns=[("problem", "NICE problem"), ("rule", "low intensity as a first step"),
               ("entered", "entered treatment"),
               ("low_first_rate", "low intensity first ÷ entered"),
               ("not_recommended_rate", "not recommended ÷ judged"),
               ("stepped_up_rate", "stepped up ÷ started low"),
               ("median_step_up_days", "median days to step up")],
      finish=_finish_by_problem, base="pathway")
