"""therapists: how much of the outcome lies between therapists (therapist effects).

Each referral that finished a course is attributed to its main therapist: the one who
delivered most of its attended treatment contacts (ties to the one who delivered the
latest). Over those referrals, one Ibis query fetches a small per-referral frame
(outcome, case mix, therapist, ratings); the models run in :mod:`tincheck.stats`:

* recovery (among finishers at caseness, as the official rate): a logistic model with
  a random intercept per therapist, adjusted for first PHQ-9, first anxiety-measure
  score (as a ratio to its caseness cut-off), problem descriptor group and, when the
  data hold several services, service; ICC = σ² / (σ² + π²/3) with a profile-
  likelihood 95% interval;
* PHQ-9 change (first minus last, finishers with two or more PHQ-9 scores): a linear
  mixed model with the same case mix; ICC = σ²_u / (σ²_u + σ²_e), profile-REML
  interval;
* each therapist's shrunken (conditional) estimate, as recovery and PHQ-9 change for
  an average case, for the therapists with at least ``therapist_min_cases`` finished
  cases (default 10); the others are pooled, not shown. Therapists appear under a
  label (T01, T02, ... in the order of their estimate), never their identifier.

Routine-care studies put about 5% of outcome variance between therapists (Johns et
al. 2019), the reference the report sets the estimate beside.

References: Johns RG, Barkham M, Kellett S, Saxon D (2019) Clin Psychol Rev 67:78-93;
Baldwin SA, Imel ZE (2013) Therapist effects: findings and methods, in Lambert MJ (ed)
Bergin and Garfield's Handbook of Psychotherapy and Behavior Change, 6th ed., 258-297.
"""

from __future__ import annotations

import contextlib

import ibis
import numpy as np
import pandas as pd
from scipy import special

from .. import engine, parallel
from ..stats.mixed_models import (profile_icc_linear, profile_sigma_logistic,
                                  random_intercept_linear, random_intercept_logistic,
                                  icc_logistic)
from .blocks import Tables, caseness_cutoff, contacts_in_referral, problem_group
from .citations import JOHNS_2019
from .registry import Metric, Result, derived, register

try:  # BLAS threads on these small matrices only contend
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    def threadpool_limits(**_):
        return contextlib.nullcontext()

MIN_CASES = 10            # finished cases a therapist needs to be shown
MIN_THERAPISTS = 10       # therapists a model needs
MIN_REFERRALS = 100       # referrals a model needs
REFERENCE_ICC = 0.05      # routine care (Johns et al. 2019)
RATINGS = ("competence_diagnosis_specific", "competence_stage_specific",
           "competence_generic")


def main_therapist(t: Tables):
    """Each referral's main therapist: most attended treatment contacts, ties to the
    one with the latest (by date, source_row); with the number of treating therapists."""
    c = contacts_in_referral(t)
    c = c.filter(c.treatment & c.therapist_id.notnull())
    per = c.group_by(["referral_id", "therapist_id"]).aggregate(
        therapist_contacts=c.key.count(), last_key=c.key.max(),
        therapist_high=(c.step == "high").cast("int64").sum())
    order = ibis.window(group_by=per.referral_id,
                        order_by=[ibis.desc(per.therapist_contacts), ibis.desc(per.last_key),
                                  per.therapist_id])
    everyone = ibis.window(group_by=per.referral_id)
    per = per.mutate(rank=ibis.row_number().over(order),
                     therapists=per.therapist_id.count().over(everyone))
    return per.filter(per.rank == 0).select("referral_id", "therapist_id",
                                            "therapist_contacts", "therapist_high",
                                            "therapists")


def cases_expression(bases, t: Tables | None = None):
    """One row per finished referral with a main therapist: outcomes, case mix, ratings."""
    t = t or Tables()
    o = bases["referrals"]
    o = o.filter(o.finished)
    main = main_therapist(t)
    j = o.join(main, "referral_id")
    ratings = t.therapists.select("therapist_id", *RATINGS)
    j = j.left_join(ratings, "therapist_id").drop("therapist_id_right")
    return j.order_by("referral_id").select(
        "referral_id", "service_id", "therapist_id", "therapists",
        measured=j.at_caseness,
        recovered=j.official_recovered,
        phq_first=j.phq_first.cast("float64"),
        phq_last=ibis.cases((j.phq_n >= 2, j.phq_last), else_=ibis.null("float64")
                            ).cast("float64"),
        anx_first=(j.anx_first / caseness_cutoff(j.anx)).cast("float64"),
        problem=problem_group(j.problem_descriptor),
        # the step of care, and for stepped care which step the main therapist gave
        step=ibis.cases(((j.low_treatment_contacts > 0) & (j.high_treatment_contacts > 0)
                         & (2 * j.therapist_high > j.therapist_contacts), "stepped, high"),
                        ((j.low_treatment_contacts > 0) & (j.high_treatment_contacts > 0),
                         "stepped, low"),
                        (j.high_treatment_contacts > 0, "high"),
                        (j.low_treatment_contacts > 0, "low"), else_="not recorded"),
        **{name: j[name].cast("float64") for name in RATINGS},
    )


def fetch_cases(backend, bases) -> pd.DataFrame:
    """The per-referral frame of :func:`cases_expression`, typed."""
    sql = engine.compiled_sql(backend, "therapist_cases", lambda: cases_expression(bases))
    frame = engine.fetch(backend, sql)
    for column in ("measured", "recovered"):
        frame[column] = frame[column].astype(bool)
    return frame


def therapist_rows(backend) -> int:
    """Rows of the therapists table (0 when it was not supplied)."""
    t = Tables().therapists
    sql = engine.compiled_sql(backend, "therapist_rows", lambda: t.aggregate(n=t.count()))
    return int(engine.fetch(backend, sql).iloc[0, 0])


# ------------------------------------------------------------------ design

def case_mix(frame: pd.DataFrame, severity=("phq_first", "anx_first")
             ) -> tuple[np.ndarray, list[str]]:
    """The case-mix design: intercept, centred severity scores, problem-group, step of
    care (low intensity only; stepped care, the main therapist giving the low- or the
    high-intensity part; high intensity only) and (with several services) service
    indicators, each against its largest level; columns without variation are left out.
    The step is adjusted for because low- and high-intensity therapists treat different
    clients with different treatments: the ICC compares therapists at the same step."""
    columns, names = [np.ones(len(frame))], ["intercept"]
    for name in severity:
        values = frame[name].to_numpy(float)
        if np.nanstd(values) > 0:
            columns.append(values - np.nanmean(values))
            names.append(name)
    for factor in ("problem", "step", "service_id"):
        counts = frame[factor].value_counts()
        # indicators from the codes of the levels (comparing the strings themselves,
        # level by level, took a tenth of a second per factor at a million referrals)
        codes, levels = pd.factorize(frame[factor])
        code = {level: i for i, level in enumerate(levels)}
        for level in sorted(counts.index[1:]):  # the largest level is the reference
            columns.append((codes == code[level]).astype(float))
            names.append(f"{factor}[{level}]")
    return np.column_stack(columns), names


def recovery_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """Finishers at caseness with both first scores: where recovery is measured."""
    keep = frame["measured"] & frame["phq_first"].notna() & frame["anx_first"].notna()
    return frame[keep].reset_index(drop=True)


def change_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """Finishers with two or more PHQ-9 scores; change = first − last."""
    keep = frame["phq_first"].notna() & frame["phq_last"].notna()
    out = frame[keep].reset_index(drop=True)
    out["phq_change"] = out["phq_first"] - out["phq_last"]
    return out


def enough(sample: pd.DataFrame) -> str | None:
    """Why a sample is too small for a model (None when it is not). The reason names
    the thresholds, never the exact numbers (it is published as it is)."""
    if sample["therapist_id"].nunique() < MIN_THERAPISTS:
        return (f"too few to model therapist effects: fewer than {MIN_THERAPISTS} "
                "therapists with referrals to model")
    if len(sample) < MIN_REFERRALS:
        return (f"too few to model therapist effects: fewer than {MIN_REFERRALS} "
                "referrals to model")
    return None


# ------------------------------------------------------------------ analysis

def recovery_icc(sample: pd.DataFrame):
    """(fit, (ICC low, ICC high), design names) of the recovery model."""
    X, names = case_mix(sample)
    y = sample["recovered"].to_numpy(float)
    groups = sample["therapist_id"].to_numpy()
    fit = random_intercept_logistic(y, X, groups, names)
    low, high = profile_sigma_logistic(y, X, groups, fit)
    return fit, (icc_logistic(low ** 2), icc_logistic(high ** 2)), X


def change_icc(sample: pd.DataFrame):
    """(fit, (ICC low, ICC high), X) of the PHQ-9 change model."""
    X, names = case_mix(sample, ("phq_first",))
    fit = random_intercept_linear(sample["phq_change"].to_numpy(float), X,
                                  sample["therapist_id"].to_numpy(), names)
    return fit, profile_icc_linear(fit), X


def analyse(frame: pd.DataFrame, min_cases: int = MIN_CASES) -> dict:
    """Every therapist-effect result from the per-referral frame (see module docstring)."""
    out: dict = {"min_cases": min_cases}
    if frame.empty:
        out["note"] = ("No referral that finished a course has a therapist_id on its "
                       "treatment contacts: therapist effects are not computed.")
        return out
    finished = frame.groupby("therapist_id").size()
    shown = finished[finished >= min_cases].index
    out.update(therapists=int(len(finished)), finished=int(len(frame)),
               multiple_therapists=int((frame["therapists"] > 1).sum()),
               shown=int(len(shown)), pooled=int(len(finished) - len(shown)),
               pooled_cases=int(finished[finished < min_cases].sum()))
    rows = {t: {"therapist_id": t, "cases": int(finished[t])} for t in shown}
    recovery = recovery_sample(frame)
    reason = enough(recovery)
    if reason:
        out["recovery_note"] = reason
    else:
        fit, (low, high), X = recovery_icc(recovery)
        out["recovery"] = {"icc": fit.icc, "ci_low": low, "ci_high": high,
                           "sigma": fit.sigma, "n": fit.n, "therapists": len(fit.groups),
                           "converged": fit.converged}
        typical = float(X.mean(axis=0) @ fit.beta)
        for t, mode, sd in zip(fit.groups, fit.modes, fit.mode_sd):
            if t in rows:
                rows[t].update(recovery=float(special.expit(typical + mode)),
                               recovery_low=float(special.expit(typical + mode - 1.96 * sd)),
                               recovery_high=float(special.expit(typical + mode + 1.96 * sd)))
        out["recovery"]["typical"] = float(special.expit(typical))
    change = change_sample(frame)
    reason = enough(change)
    if reason:
        out["change_note"] = reason
    else:
        fit, (low, high), X = change_icc(change)
        out["change"] = {"icc": fit.icc, "ci_low": low, "ci_high": high,
                         "sigma2_between": fit.sigma2_between,
                         "sigma2_within": fit.sigma2_within, "n": fit.n,
                         "therapists": len(fit.groups), "converged": fit.converged}
        typical = float(X.mean(axis=0) @ fit.beta)
        for t, blup, sd in zip(fit.groups, fit.blups, fit.blup_sd):
            if t in rows:
                rows[t].update(phq_change=typical + float(blup),
                               phq_change_low=typical + float(blup - 1.96 * sd),
                               phq_change_high=typical + float(blup + 1.96 * sd))
        out["change"]["typical"] = typical
    ordered = sorted(rows.values(), key=lambda r: (r.get("recovery", np.inf),
                                                   r.get("phq_change", np.inf),
                                                   r["therapist_id"]))
    width = max(2, len(str(len(ordered))))
    estimates = []
    for i, row in enumerate(ordered, 1):
        row = dict(row)
        del row["therapist_id"]  # never leaves this function: labels only
        estimates.append({"therapist": f"T{i:0{width}d}", **row})
    if out["pooled"]:
        estimates.append({"therapist": f"pooled: {out['pooled']} therapists with fewer "
                                       f"than {min_cases} finished cases",
                          "cases": out["pooled_cases"], "pooled": True})
    out["estimates"] = estimates
    return out


# From this many finished referrals the therapist-effect and the competence models are
# fitted at the same time in two forked processes (forking costs tens of milliseconds)
PARALLEL_MIN_ROWS = 20_000


def _analysis(shared: tuple, which: str) -> dict:
    from . import competence

    frame, min_cases, rows = shared
    return analyse(frame, min_cases) if which == "therapists" else \
        competence.analyse(frame, rows)


def compute(backend, bases, context) -> tuple[dict, dict]:
    """The evaluation hook: fetch the per-referral frame, fit the models (the two
    analyses side by side on two cores where there are two)."""
    frame = fetch_cases(backend, bases)
    min_cases = int(context.extra.get("therapist_min_cases", MIN_CASES))
    shared, parts = (frame, min_cases, therapist_rows(backend)), ("therapists", "competence")
    with threadpool_limits(limits=1, user_api="blas"):
        results = parallel.mapped(_analysis, shared, parts,
                                  when=len(frame) >= PARALLEL_MIN_ROWS)
    context.extra.update(zip(parts, results))
    return {}, {}


# ------------------------------------------------------------------ registry

def _icc(part: str, metric_id: str, what: str):
    def derive(results, context) -> Result:
        info = context.extra.get("therapists") or {}
        fit = info.get(part)
        extra = {"reference": REFERENCE_ICC, "min_cases": info.get("min_cases", MIN_CASES),
                 "therapists": info.get("therapists"), "shown": info.get("shown"),
                 "pooled": info.get("pooled"),
                 "multiple_therapists": info.get("multiple_therapists")}
        if fit is None:
            note = (info.get("note") or info.get(f"{part}_note")
                    or "the therapist models were not run")
            return Result(metric_id, "statistic", None, note=note, extra=extra)
        extra.update(therapists=fit["therapists"], method=what,
                     typical=fit["typical"])
        return Result(metric_id, "statistic", fit["icc"], n=fit["n"],
                      ci_low=fit["ci_low"], ci_high=fit["ci_high"],
                      note=None if fit["converged"] else "the model did not converge",
                      extra=extra)
    return derive


derived("therapists.icc_recovery", "Share of recovery variance between therapists (ICC)",
        "statistic", _icc("recovery", "therapists.icc_recovery",
                          "mixed logistic model, therapist random intercept, ML by adaptive "
                          "Gauss-Hermite quadrature; profile-likelihood 95% interval"),
        "Among finishers at caseness attributed to their main therapist (most attended "
        "treatment contacts): a logistic model of official recovery with a random "
        "intercept per therapist, adjusted for first PHQ-9, first anxiety-measure score "
        "(÷ its cut-off), problem descriptor group and service; ICC = σ² / (σ² + π²/3), "
        "profile-likelihood 95% interval. Routine care: about 5%.", JOHNS_2019)
derived("therapists.icc_phq9_change", "Share of PHQ-9 change variance between therapists "
        "(ICC)", "statistic",
        _icc("change", "therapists.icc_phq9_change",
             "linear mixed model, therapist random intercept, REML; profile-REML 95% "
             "interval"),
        "Among finishers with two or more PHQ-9 scores: first minus last PHQ-9 in a linear "
        "model with a random intercept per therapist, adjusted for first PHQ-9, problem "
        "descriptor group and service; ICC = σ²_u / (σ²_u + σ²_e), profile-REML 95% "
        "interval.", JOHNS_2019)
register(Metric(
    "therapists.estimates", "Each therapist's shrunken estimate", "table",
    "For therapists with at least the minimum number of finished cases (default 10): "
    "their conditional (shrunken) estimate from the two models, as recovery and PHQ-9 "
    "change for an average case, with 95% intervals; labelled T01, T02, ... in order of "
    "the estimate, never by identifier. Therapists with fewer cases are pooled in one "
    "row, without estimates.", JOHNS_2019,
    lambda results, context: (context.extra.get("therapists") or {}).get("estimates", []),
    "derived", columns=(("therapist", "label (pseudonymous)"), ("cases", "finished cases"),
                        ("recovery", "recovery for an average case"),
                        ("phq_change", "PHQ-9 change for an average case"))))
