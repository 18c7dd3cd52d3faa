"""therapists (competence): outcome against the three competence ratings.

The Competence Engine (Scott 2017) holds that diagnosis-specific, stage-specific and
generic competences act together, so that a null association of a generic rating with
outcome is what it predicts (Delgadillo et al. 2020 found none). The ratings of the
``therapists`` table (0-6) are set against the outcomes of the referrals each therapist
treated, in the models of :mod:`tincheck.metrics.therapists` (recovery: mixed logistic;
PHQ-9 change: linear mixed; therapist random intercept; the same case mix):

* each rating alone; all three together; all three with their pairwise interactions
  (diagnosis × stage, diagnosis × generic, stage × generic);
* ratings centred at their mean over the therapists rated, per rating point; estimates
  (log-odds or PHQ-9 points per point, per point² for an interaction) with Wald 95%
  intervals, p-values and the smallest effect the data could detect (80% power, two-
  sided 5%: 2.8 standard errors);
* the spread of each rating (range restriction: ratings bunched in a narrow band of
  the 0-6 scale cannot show an association however strong it is).

A model whose fit did not converge keeps its rows with their figures withheld, and the
note names it.

References: Delgadillo J et al. (2020) Psychother Res 30:857-870; Webb CA, DeRubeis RJ,
Barber JP (2010) J Consult Clin Psychol 78:200-211; Cohen J (1988) Statistical Power
Analysis for the Behavioral Sciences, 2nd ed. (2.8 = z₀.₉₇₅ + z₀.₈₀).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..stats.mixed_models import random_intercept_linear, random_intercept_logistic
from .citations import SCOTT_2017
from .registry import Metric, register
from .therapists import (RATINGS, case_mix, change_sample, enough, recovery_sample)

SHORT = {"competence_diagnosis_specific": "diagnosis_specific",
         "competence_stage_specific": "stage_specific",
         "competence_generic": "generic"}
MODELS = (
    ("diagnosis_specific alone", ("diagnosis_specific",)),
    ("stage_specific alone", ("stage_specific",)),
    ("generic alone", ("generic",)),
    ("all three", ("diagnosis_specific", "stage_specific", "generic")),
    ("all three with interactions", ("diagnosis_specific", "stage_specific", "generic",
                                     "diagnosis_specific x stage_specific",
                                     "diagnosis_specific x generic",
                                     "stage_specific x generic")),
)
DETECTABLE = float(stats.norm.ppf(0.975) + stats.norm.ppf(0.80))  # 2.80


def rating_terms(sample: pd.DataFrame, centres: dict) -> dict[str, np.ndarray]:
    """Centred ratings (per point) and their pairwise products, by term name."""
    z = {SHORT[r]: sample[r].to_numpy(float) - centres[r] for r in RATINGS}
    terms = dict(z)
    for a, b in (("diagnosis_specific", "stage_specific"),
                 ("diagnosis_specific", "generic"), ("stage_specific", "generic")):
        terms[f"{a} x {b}"] = z[a] * z[b]
    return terms


def ratings_summary(frame: pd.DataFrame) -> list[dict]:
    """The spread of each rating over the therapists rated (range restriction)."""
    therapists = frame.drop_duplicates("therapist_id")
    out = []
    for rating in RATINGS:
        values = therapists[rating].dropna().to_numpy(float)
        if len(values) == 0:
            continue
        out.append({"rating": SHORT[rating], "therapists": int(len(values)),
                    "mean": float(values.mean()),
                    "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                    "p10": float(np.quantile(values, 0.1)),
                    "p90": float(np.quantile(values, 0.9)),
                    "scale_share": float((np.quantile(values, 0.9)
                                          - np.quantile(values, 0.1)) / 6)})
    return out


def _rows(fit, terms, outcome, model, sample):
    rows = []
    for term in terms:
        estimate, low, high = fit.coefficient(term)
        se = fit.se[fit.names.index(term)]
        rows.append({"outcome": outcome, "model": model, "term": term,
                     "estimate": estimate, "ci_low": low, "ci_high": high,
                     "p_value": float(2 * stats.norm.sf(abs(estimate / se)))
                     if se > 0 else None,
                     "detectable": float(DETECTABLE * se),
                     "therapists": int(sample["therapist_id"].nunique()),
                     "cases": int(len(sample))})
    return rows


def analyse(frame: pd.DataFrame, therapist_rows: int) -> dict:
    """The competence models (module docstring) from the per-referral frame."""
    if therapist_rows == 0:
        return {"note": "The therapists table has no rows: competence ratings cannot be "
                        "set against outcomes."}
    rated = frame.dropna(subset=list(RATINGS)) if not frame.empty else frame
    if rated.empty:
        return {"note": "No treating therapist has all three competence ratings: "
                        "competence is not analysed."}
    therapists = rated.drop_duplicates("therapist_id")
    centres = {r: float(therapists[r].mean()) for r in RATINGS}
    out = {"ratings": ratings_summary(rated), "centres": {SHORT[k]: v for k, v in
                                                          centres.items()}, "rows": []}
    notes = []
    for outcome, sample in (("recovery", recovery_sample(rated)),
                            ("phq9_change", change_sample(rated))):
        reason = enough(sample)
        if reason:
            notes.append(f"{outcome.replace('_', ' ')}: {reason}")
            continue
        terms_all = rating_terms(sample, centres)
        base, base_names = case_mix(sample, ("phq_first", "anx_first")
                                    if outcome == "recovery" else ("phq_first",))
        # the therapists as numbers (in the order of their identifiers): ten models group
        # the same rows by them, and numbers are grouped far quicker than strings
        groups = pd.factorize(sample["therapist_id"], sort=True)[0]
        y = sample["recovered" if outcome == "recovery" else "phq_change"].to_numpy(float)
        previous = None  # each logistic model starts from the one before (nested models)
        for model, terms in MODELS:
            if any(np.std(terms_all[t]) == 0 for t in terms):
                notes.append(f"{outcome.replace('_', ' ')}, {model}: a rating does not vary")
                continue
            X = np.column_stack([base] + [terms_all[t] for t in terms])
            names = base_names + list(terms)
            if outcome == "recovery":
                fit = previous = random_intercept_logistic(y, X, groups, names,
                                                           start=previous)
            else:
                fit = random_intercept_linear(y, X, groups, names)
            rows = _rows(fit, terms, outcome, model, sample)
            if not fit.converged:
                # a fit that did not reach its maximum has no estimates to publish: its
                # rows stay (the model was tried) with their figures withheld
                for row in rows:
                    row.update(estimate=None, ci_low=None, ci_high=None, p_value=None,
                               detectable=None)
                notes.append(f"{outcome.replace('_', ' ')}, {model}: the model did not "
                             "converge; its figures are withheld")
            out["rows"].extend(rows)
    if notes:
        out["note"] = "; ".join(notes)
    return out


def _part(part):
    return lambda results, context: (context.extra.get("competence") or {}).get(part, [])


register(Metric(
    "therapists.competence", "Outcome against competence ratings", "table",
    "Recovery (mixed logistic, log-odds) and PHQ-9 change (linear mixed, points) against "
    "the therapists' diagnosis-specific, stage-specific and generic competence ratings "
    "(0-6, centred at the therapists' mean, per point): each alone, all three, and all "
    "three with their pairwise interactions; case mix as for the therapist effects; "
    "Wald 95% intervals; 'detectable' is the effect the data had 80% power to find "
    "(2.8 standard errors).", SCOTT_2017, _part("rows"), "derived",
    columns=(("outcome", "recovery or phq9_change"), ("model", "model"),
             ("term", "rating or interaction"), ("estimate", "per rating point"),
             ("detectable", "smallest effect detectable with 80% power"))))
register(Metric(
    "therapists.competence_ratings", "The spread of the competence ratings", "table",
    "For each rating, over the treating therapists rated on all three: how many, mean, "
    "SD, 10th and 90th percentiles and the share of the 0-6 scale between them (range "
    "restriction).", SCOTT_2017, _part("ratings"), "derived",
    columns=(("rating", "rating"), ("therapists", "therapists rated"), ("sd", "SD"),
             ("scale_share", "share of the scale between the 10th and 90th percentiles"))))


def _rated(results, context):
    from .registry import Result

    info = context.extra.get("competence") or {}
    ratings = info.get("ratings") or []
    count = max((r["therapists"] for r in ratings), default=0)
    return Result("therapists.competence_rated", "statistic", count if ratings else None,
                  note=info.get("note"), extra={"count": True})


register(Metric(
    "therapists.competence_rated", "Treating therapists with all three competence ratings",
    "statistic",
    "Main therapists of finished referrals who have diagnosis-specific, stage-specific and "
    "generic competence ratings in the therapists table; the note says what could not be "
    "computed.", SCOTT_2017, _rated, "derived"))
