"""pathway (dose): was the dose a NICE dose?

Over finished courses (ended in the period with two or more treatment contacts), each
step's sessions against the range NICE gives for the problem descriptor and the course's
main therapy at that step (:mod:`tincheck.nice`; the rows of ``nice_dose.csv`` marked
``use = yes``, listed with their citations in ``docs/nice.md``).

- High intensity: finished courses with at least one high-intensity treatment contact,
  judged on their high-intensity sessions (a course stepped up from low intensity
  included).
- Low intensity: finished courses of low intensity only (a course stepped up is not
  judged on its low-intensity part, which was cut short on purpose).

A course has no range when it has no problem descriptor, when its descriptor is not a
problem of the table, or when the table gives no number of sessions for its problem,
step and main therapy; the ``..._dose_judged`` shares say how many could be judged.
Bands: below (fewer sessions than the minimum), within, above (more than the maximum);
a missing bound is open. Outcomes by band are associations, not effects: dose is not
assigned at random (people who recover early stop early; people who do not improve
drop out or are stepped up).
"""

from __future__ import annotations

import ibis
import numpy as np

from .citations import TINCHECK
from .pathway import add_rates, problem_label
from .registry import proportion, table

STEPS = (("high", "hi", "high_treatment_contacts", "High-intensity"),
         ("low", "li", "low_treatment_contacts", "Low-intensity"))
BANDS = ("below", "within", "above")
NO_RANGE = "no_range"

for _step, _x, _sessions, _Label in STEPS:
    _course = f"finished courses with {'any' if _step == 'high' else 'only'} " \
              f"{_step}-intensity treatment"
    proportion(f"pathway.{_step}_intensity_dose_judged",
               f"{_Label} courses NICE gives a number of sessions for",
               lambda p, x=_x: p[f"{x}_judged"], lambda p, x=_x: p[f"{x}_course"],
               f"Courses whose problem descriptor, step and main {_step}-intensity therapy "
               f"have a NICE number of sessions in the dose table ÷ {_course}. The rest "
               "have no descriptor, a descriptor the table does not cover, or no NICE "
               "figure for their therapy.", TINCHECK, base="pathway")
    proportion(f"pathway.{_step}_intensity_minimum_dose",
               f"{_Label} courses with at least NICE's minimum number of sessions",
               lambda p, x=_x, s=_sessions: p[f"{x}_judged"]
               & p[f"{x}_min_sessions"].notnull() & (p[s] >= p[f"{x}_min_sessions"]),
               lambda p, x=_x: p[f"{x}_judged"] & p[f"{x}_min_sessions"].notnull(),
               f"{_step.capitalize()}-intensity treatment sessions at least NICE's minimum "
               f"for the problem and therapy ÷ {_course} with a NICE minimum.", TINCHECK,
               base="pathway")
    proportion(f"pathway.{_step}_intensity_within_range",
               f"{_Label} courses within NICE's range of sessions",
               lambda p, x=_x: (p[f"{x}_band"] == "within").fill_null(False),
               lambda p, x=_x: p[f"{x}_judged"],
               f"{_step.capitalize()}-intensity sessions neither below NICE's minimum nor "
               f"above its maximum ÷ {_course} with a NICE number of sessions.", TINCHECK,
               base="pathway")


def _courses(p):
    """One row per judged-or-not course and step: intensity, problem, range, sessions,
    band, outcome flags."""
    parts = []
    for step, x, sessions, _ in STEPS:
        c = p.filter(p[f"{x}_course"])
        parts.append(c.select(
            intensity=ibis.literal(step), problem=c.stratum_problem,
            dose_id=c[f"{x}_dose_id"].fill_null(NO_RANGE),
            min_sessions=c[f"{x}_min_sessions"], max_sessions=c[f"{x}_max_sessions"],
            verified=c[f"{x}_dose_verified"], sessions=c[sessions],
            band=c[f"{x}_band"].fill_null(NO_RANGE),
            eligible=c.finished & ~c.not_at_caseness, recovered=c.official_recovered,
            end_assessed=c.end_assessed, lost_end=c.end_assessed & c.lost_at_end))
    return ibis.union(*parts)


def _by_problem(bases):
    c = _courses(bases["pathway"])
    return c.group_by(["intensity", "problem", "dose_id", "min_sessions", "max_sessions",
                       "verified", "band", "sessions"]).aggregate(courses=c.count()).order_by(
        ["intensity", "problem", "dose_id", "sessions", "band"])


def _finish_by_problem(rows):
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = (row["intensity"], row["problem"], row["dose_id"])
        group = groups.setdefault(key, {
            "intensity": row["intensity"], "problem": row["problem"],
            "label": problem_label(row["problem"]), "dose_id": row["dose_id"],
            "min_sessions": row["min_sessions"], "max_sessions": row["max_sessions"],
            "verified": row["verified"], "courses": 0, "below": 0, "within": 0, "above": 0,
            "_sessions": []})
        n = int(row["courses"] or 0)
        group["courses"] += n
        if row["band"] in BANDS:
            group[row["band"]] += n
        group["_sessions"].append((int(row["sessions"]), n))
    out = []
    for group in groups.values():
        values, weights = zip(*group.pop("_sessions"))
        sessions = np.repeat(np.array(values), np.array(weights))
        q1, median, q3 = (float(v) for v in np.percentile(sessions, [25, 50, 75]))
        group.update(q1_sessions=q1, median_sessions=median, q3_sessions=q3)
        if group["dose_id"] == NO_RANGE:  # no range: no bands (not zeros)
            for key in (*BANDS, "min_sessions", "max_sessions", "verified"):
                group.pop(key)
        else:
            add_rates(group, {band: (band, "courses") for band in BANDS})
        out.append(group)
    return sorted(out, key=lambda g: ({"high": 0, "low": 1}[g["intensity"]],
                                      g["dose_id"] == NO_RANGE, -g["courses"], g["problem"],
                                      g["dose_id"]))


table("pathway.dose_by_problem", "Sessions against NICE's range, per problem",
      _by_problem,
      "Finished courses by step (high intensity: courses with any high-intensity session, "
      "their high-intensity sessions; low intensity: low-intensity-only courses), NICE "
      "problem and the dose-table row that applies (none: no NICE number of sessions): "
      "courses, sessions (median and quartiles, numpy's linear interpolation), and below, "
      "within and above NICE's range with Wilson 95% intervals.", TINCHECK,
      columns=[("intensity", "step"), ("problem", "NICE problem of the descriptor"),
               ("dose_id", "dose-table row applied (no_range: none)"),
               ("min_sessions", "NICE minimum"), ("max_sessions", "NICE maximum"),
               ("courses", "finished courses"), ("median_sessions", "median sessions"),
               ("below_rate", "below the minimum ÷ courses"),
               ("within_rate", "within the range ÷ courses"),
               ("above_rate", "above the maximum ÷ courses")],
      finish=_finish_by_problem, base="pathway")


def _by_band(bases):
    c = _courses(bases["pathway"])

    def flag(x):
        return x.cast("int64").sum()

    return c.group_by(["intensity", "band"]).aggregate(
        courses=c.count(), eligible=flag(c.eligible), recovered=flag(c.recovered),
        end_assessed=flag(c.end_assessed), lost_end=flag(c.lost_end)).order_by(
        ["intensity", "band"])


def _finish_by_band(rows):
    order = {b: i for i, b in enumerate((*BANDS, NO_RANGE))}
    for row in rows:
        row["courses"] = int(row["courses"] or 0)
        add_rates(row, {"recovery": ("recovered", "eligible"),
                        "lost_diagnosis": ("lost_end", "end_assessed")})
    return sorted(rows, key=lambda r: ({"high": 0, "low": 1}[r["intensity"]],
                                       order[r["band"]]))


table("pathway.outcome_by_dose_band", "Outcomes by dose band (an association, not an effect)",
      _by_band,
      "Finished courses by step and by band of sessions against NICE's range (below, "
      "within, above; no_range: no NICE number of sessions): official recovery (of those "
      "at caseness) and loss of index diagnoses at an eligible end interview (of those "
      "diagnosed at baseline and interviewed at the end), with Wilson 95% intervals. An "
      "association, not an effect of dose: dose is not assigned at random; people who "
      "recover early stop early, and people who do not improve drop out or are stepped "
      "up.", TINCHECK,
      columns=[("intensity", "step"), ("band", "below, within or above NICE's range"),
               ("courses", "finished courses"),
               ("recovery_rate", "recovered ÷ at caseness"),
               ("lost_diagnosis_rate", "lost index diagnoses ÷ interviewed at end")],
      finish=_finish_by_band, base="pathway")
