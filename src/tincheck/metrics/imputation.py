"""sensitivity.multiple_imputation: recovery among cases had everyone's outcome been seen.

Runs on the aggregated-to-referral table (one row per case, C), so it scales with
cases, not appointments. Last PHQ-9 and last anxiety-measure scores are missing for
cases without two scores on the measure; they (and any missing first score or age)
are imputed by chained equations with predictive mean matching from first scores,
treatment contacts, age, sex, problem descriptor group and service; m = 20 by
default; the m recovery proportions are pooled by Rubin's rules on the logit scale.
A covariate with fewer than two observed values (an optional column the data lacks,
such as age) or with one value only is left out of the model, and the result says so
(``dropped_covariates``, and a note).
Anxiety scores enter as a ratio to their instrument's caseness cut-off so that
different anxiety-disorder-specific measures share one scale.

References: van Buuren S (2018) Flexible Imputation of Missing Data, 2nd ed., ch. 3
and 5; Rubin DB (1987) Multiple Imputation for Nonresponse in Surveys.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from .. import engine
from ..instruments import INSTRUMENTS
from ..stats.imputation import impute_pmm, pooled_proportion
from .blocks import caseness_cutoff, problem_group
from .registry import Result, derived
from .citations import TINCHECK

DEFAULT_M = 20
DEFAULT_SEED = 20260101
PHQ_CUTOFF = INSTRUMENTS["PHQ9"].caseness_cutoff
IMPUTE = ("phq_first", "phq_last", "anx_first", "anx_last", "age")
PREDICTORS = ("treatment_contacts", "sex", "problem", "service")


def cases_expression(o):
    """One row per case (C): first and (where observed) last scores, predictors."""
    c = o.filter(o.case)
    cutoff = caseness_cutoff(c.itt_anx)
    # ordered, so the same seed gives the same imputations on every engine
    return c.order_by("referral_id").select(
        phq_first=c.phq_first.cast("float64"),
        phq_last=ibis.cases((c.phq_n >= 2, c.phq_last), else_=ibis.null("float64")),
        anx_first=c.itt_anx_first / cutoff,
        anx_last=ibis.cases((c.itt_anx_n >= 2, c.itt_anx_last / cutoff),
                            else_=ibis.null("float64")),
        # MI is at caseness only above its cut-off: at exactly 2.3 it is below
        anx_inclusive=c.itt_anx == "MI",
        age=c.age.cast("float64"),
        treatment_contacts=c.treatment_contacts.cast("float64"),
        sex=c.sex.fill_null("unknown"),
        problem=problem_group(c.problem_descriptor),
        service=c.service_id,
    )


def recovered(frame: pd.DataFrame) -> np.ndarray:
    """Last PHQ-9 and last anxiety score both below caseness, in a completed frame."""
    anx_below = np.where(frame["anx_inclusive"], frame["anx_last"] <= 1.0,
                         frame["anx_last"] < 1.0)
    return (frame["phq_last"].to_numpy() < PHQ_CUTOFF) & anx_below


def impute_recovery(cases: pd.DataFrame, m: int = DEFAULT_M, seed: int = DEFAULT_SEED
                    ) -> Result:
    """Pool recovery among ``cases`` over ``m`` imputations (see the module docstring)."""
    metric_id = "sensitivity.multiple_imputation"
    n = len(cases)
    missing = int(cases["phq_last"].isna().sum() + cases["anx_last"].isna().sum())
    extra = {"m": m, "seed": seed, "cases": n, "missing_last_scores": missing,
             "method": "chained equations, predictive mean matching (5 donors), "
                       "Rubin's rules on the logit scale"}
    if n == 0:
        return Result(metric_id, "statistic", None, n=0, note="no cases", extra=extra)
    observed = cases[["phq_last", "anx_last"]].notna().all(axis=1).sum()
    if observed < 2:
        return Result(metric_id, "statistic", None, n=n, extra=extra,
                      note="fewer than two cases with both last scores observed")
    dropped = unusable_covariates(cases)
    usable = [c for c in IMPUTE if c not in dropped]
    columns = [c for c in usable if cases[c].isna().any()]
    predictors = [p for p in PREDICTORS if p not in dropped]
    predictors += [c for c in usable if c not in columns]
    frames = impute_pmm(cases, columns, predictors, m=m, seed=seed) if columns else \
        [cases, cases]
    pooled = pooled_proportion(frames, recovered)
    extra.update(scale=pooled.scale, imputed_columns=columns, dropped_covariates=dropped)
    notes = [pooled.note] if pooled.note else []
    if set(dropped) & set(COVARIATE_NAMES):
        notes.append("imputed without " + ", ".join(
            f"{COVARIATE_NAMES[c]} ({why})" for c, why in dropped.items()
            if c in COVARIATE_NAMES))
    return Result(metric_id, "statistic", float(pooled.estimate), n=n,
                  ci_low=float(pooled.ci_low), ci_high=float(pooled.ci_high),
                  note="; ".join(notes) or None, extra=extra)


# The covariates whose absence is worth a note (a service with one service_id, or a
# first PHQ-9 that every case has, is ordinary)
COVARIATE_NAMES = {"age": "age", "sex": "sex", "problem": "problem descriptor",
                   "anx_first": "first anxiety score"}


def unusable_covariates(cases: pd.DataFrame) -> dict[str, str]:
    """Covariates the imputation model leaves out, with the reason: a covariate with
    fewer than two observed values among the cases (an optional column such as age
    that the data lacks), or with one value only (a categorical predictor such as
    sex that is all 'unknown', or one service), carries no information.

    The last scores (the outcomes) are never left out: without two observed pairs
    the imputation is not run at all.

    >>> frame = pd.DataFrame({"phq_first": [10.0, 12, 15], "phq_last": [5.0, None, 9],
    ...     "anx_first": [1.2, 1.4, 1.1], "anx_last": [0.5, None, 0.9],
    ...     "age": [None, None, None], "treatment_contacts": [3.0, 1, 6],
    ...     "sex": ["female", "male", "female"], "problem": ["none"] * 3,
    ...     "service": ["S1", "S1", "S2"]})
    >>> unusable_covariates(frame)
    {'age': 'no observed values', 'problem': 'one value only'}
    """
    dropped = {}
    for column in (*IMPUTE, *PREDICTORS):
        if column in ("phq_last", "anx_last"):
            continue
        values = cases[column]
        observed = int(values.notna().sum())
        if observed < 2:
            dropped[column] = ("no observed values" if observed == 0 else
                               "one observed value only")
        elif values.nunique(dropna=True) < 2:
            dropped[column] = "one value only"
    return dropped


def compute(backend, bases, context) -> tuple[dict, dict]:
    """The evaluation hook: fetch the cases table and impute (skipped when m = 0)."""
    m = context.extra.get("imputations", DEFAULT_M)
    if not m:
        context.extra["multiple_imputation"] = Result(
            "sensitivity.multiple_imputation", "statistic", None,
            note="multiple imputation not run (imputations = 0)")
        return {}, {}
    sql = engine.compiled_sql(backend, "imputation_cases",
                              lambda: cases_expression(bases["referrals"]))
    cases = engine.fetch(backend, sql)
    for column in ("anx_inclusive",):
        cases[column] = cases[column].astype(bool)
    seed = context.extra.get("imputation_seed", DEFAULT_SEED)
    context.extra["multiple_imputation"] = impute_recovery(cases, m=m, seed=seed)
    return {}, {}


derived("sensitivity.multiple_imputation", "Multiple imputation of missing outcomes",
        "statistic", lambda results, context: context.extra.get(
            "multiple_imputation",
            Result("sensitivity.multiple_imputation", "statistic", None, note="not run")),
        "Recovery among cases (C) with missing last PHQ-9 and anxiety scores imputed by "
        "chained equations with predictive mean matching on first scores, treatment "
        "contacts, age, sex, problem descriptor and service; m = 20; pooled by Rubin's "
        "rules; the seed is reported. Recovered = last PHQ-9 and last anxiety score below "
        "caseness.", TINCHECK)
