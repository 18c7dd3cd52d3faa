"""Therapist effects and competence against a known truth (synthetic data).

The check (the default): synthetic services of 50,000 referrals and 200 therapists
(one service; 112 low-intensity practitioners and 88 high-intensity staff, the
default ratio),
generated with the default true ICC of recovery (0.05) and the default competence
effects, once with the diagnosis-specific x stage-specific interaction and once
without it, for each of seeds 1 to 5 (a single seed shows one draw; five show how
often the interval holds the truth and how often the interaction is found). Each is
audited (``tincheck.audit``, imputations off) and the
estimates are set against the truth of ``tincheck.synth.therapists.truth``: the ICC's
95% interval should hold the true value, and the interaction should be found (95%
interval excluding 0) when present and not when absent. Beside each true effect it
prints the realised one (:func:`realised`: the 200 therapists drawn carry a random part
that correlates with their ratings by chance). Prints one JSON line per run
and a Markdown table for docs/stats.md.

Calibration (``--calibrate``): the generator turns a therapist's effect η on the
log-odds of recovery into a shift of η/λ latent units of the treatment response, λ
being ``logit_per_response_unit``. This mode generates 300,000 referrals (about 1,500
therapists) with the current λ₀, fits the audit's mixed logistic model and compares
its between-therapist variance σ̂² with the realised variance of the therapists' known
η: λ = λ₀ √(σ̂² / Var(η)) is the λ to put in ``parameters.toml``. It also prints the
same quantity estimated another way (the slope of a logistic regression on the main
therapist's known shift), the coefficient of the squared shift (how far the effect on
the log-odds is from linear) and the true ICC of PHQ-9 change that the defaults imply
(slope and residual variance of a linear regression of the change on the case mix and
the known shift).

Run: python benchmarks/therapists.py                # the check, seeds 1-5
     python benchmarks/therapists.py --seeds 3      # seeds 1-3
     python benchmarks/therapists.py --calibrate    # λ
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import tincheck
from tincheck.metrics import competence, therapists
from tincheck.synth import generate, load_parameters
from tincheck.synth.therapists import staff_truth, truth

# 200 staff for 50,000 referrals, in the default ratio of low- to high-intensity staff
# (350 : 450 referrals each), the staff mix λ was calibrated on: 112 PWPs, 88 others
CHECK = {"services": {"referrals_per_pwp": 445, "referrals_per_hi": 570}}
INTERACTION = ("all three with interactions", "diagnosis_specific x stage_specific")


def realised(params: dict, seed: int, referrals: int) -> dict:
    """The competence effects among the staff actually drawn: least squares of each
    member of staff's known η on their centred ratings and pairwise products (per
    point). The random part u of 200 therapists correlates with the ratings by chance
    (over seeds 1-40 its coefficient on the diagnosis x stage product has SD 0.07 per
    point²), so an estimate is expected near this, not exactly at the parameter."""
    staff = staff_truth(params, seed, referrals, 1)
    r = staff[list(therapists.RATINGS)].to_numpy(float)
    c = r - r.mean(axis=0)
    X = np.column_stack([np.ones(len(c)), c, c[:, 0] * c[:, 1], c[:, 0] * c[:, 2],
                         c[:, 1] * c[:, 2]])
    b = np.linalg.lstsq(X, staff["logit_effect"].to_numpy(float), rcond=None)[0]
    return dict(zip(["diagnosis_specific", "stage_specific", "generic",
                     "diagnosis_specific x stage_specific", "diagnosis_specific x generic",
                     "stage_specific x generic"], (float(v) for v in b[1:])))


def audit_run(config: dict, referrals: int, seed: int, folder: Path) -> dict:
    params = load_parameters(config)
    started = time.perf_counter()
    generate(folder, referrals=referrals, seed=seed, services=1, config=config,
             overwrite=True)
    synth_seconds = time.perf_counter() - started
    started = time.perf_counter()
    audit = tincheck.audit(folder, imputations=0)
    audit_seconds = time.perf_counter() - started
    icc = audit.results["therapists.icc_recovery"]
    change = audit.results["therapists.icc_phq9_change"]
    rows = [r for r in audit.tables["therapists.competence"] if r["outcome"] == "recovery"
            and r["model"] == INTERACTION[0]]
    true = truth(params)
    terms = {r["term"]: {"estimate": r["estimate"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"],
                         "true": true["per_point"].get(r["term"].replace(
                             "diagnosis_specific x stage_specific", "diagnosis_x_stage"),
                             0.0)}
             for r in rows}
    drawn = realised(params, seed, referrals)
    for term, row in terms.items():
        row["realised"] = drawn[term]
    interaction = terms[INTERACTION[1]]
    return {
        "referrals": referrals, "seed": seed,
        "staff": int(len(staff_truth(params, seed, referrals, 1))),
        "therapists_with_cases": icc.extra.get("therapists"),
        "true_icc": true["icc_recovery"], "icc": icc.value, "icc_ci": [icc.ci_low, icc.ci_high],
        "icc_covered": icc.ci_low <= true["icc_recovery"] <= icc.ci_high,
        "icc_phq9_change": change.value, "icc_phq9_change_ci": [change.ci_low, change.ci_high],
        "true_interaction": interaction["true"],
        "realised_interaction": interaction["realised"],
        "interaction": interaction["estimate"],
        "interaction_ci": [interaction["ci_low"], interaction["ci_high"]],
        "interaction_found": interaction["ci_low"] > 0 or interaction["ci_high"] < 0,
        "terms": terms, "cases": icc.n,
        "synth_seconds": round(synth_seconds, 1), "audit_seconds": round(audit_seconds, 1),
    }


def check(referrals: int, seeds) -> list[dict]:
    out = []
    for seed, (name, extra) in ((s, scenario) for s in seeds for scenario in (
            ("interaction present", {}),
            ("interaction absent", {"therapists": {"competence_interaction": 0.0}}))):
        config = {**CHECK, **extra}
        with tempfile.TemporaryDirectory(prefix="tincheck-therapists-") as folder:
            result = {"scenario": name, **audit_run(config, referrals, seed,
                                                      Path(folder) / "data")}
        print(json.dumps(result), flush=True)
        out.append(result)
    return out


def markdown(results: list[dict]) -> str:
    lines = ["| seed | scenario | ICC of recovery: true | estimate (95% CI) | covered | "
             "interaction per point²: true | realised | estimate (95% CI) | found | ICC of "
             "PHQ-9 change (95% CI) | audit |", "| --- | --- | --- | --- | --- | --- | --- "
             "| --- | --- | --- | --- |"]
    for r in results:
        lines.append(
            f"| {r['seed']} | {r['scenario']} | {r['true_icc']:.3f} | {r['icc']:.3f} "
            f"({r['icc_ci'][0]:.3f} "
            f"to {r['icc_ci'][1]:.3f}) | {'yes' if r['icc_covered'] else 'NO'} | "
            f"{r['true_interaction']:.3f} | {r['realised_interaction']:.3f} | "
            f"{r['interaction']:.3f} "
            f"({r['interaction_ci'][0]:.3f} to {r['interaction_ci'][1]:.3f}) | "
            f"{'yes' if r['interaction_found'] else 'no'} | {r['icc_phq9_change']:.3f} "
            f"({r['icc_phq9_change_ci'][0]:.3f} to {r['icc_phq9_change_ci'][1]:.3f}) | "
            f"{r['audit_seconds']:.0f} s |")
    return "\n".join(lines)


def calibrate(referrals: int, seed: int) -> dict:
    """λ: the recovery log-odds per latent unit of the main therapist's response shift."""
    import statsmodels.api as sm

    lam0 = load_parameters()["therapists"]["logit_per_response_unit"]
    config = {"therapists": {"logit_per_response_unit": lam0}}
    params = load_parameters(config)
    captured = {}
    original = (therapists.analyse, competence.analyse)
    def capture(frame, min_cases=10):
        captured["frame"] = frame
        return {}

    therapists.analyse = capture
    competence.analyse = lambda frame, rows: {}
    try:
        with tempfile.TemporaryDirectory(prefix="tincheck-calibrate-") as folder:
            generate(Path(folder) / "data", referrals=referrals, seed=seed, services=1,
                     config=config)
            tincheck.audit(Path(folder) / "data", imputations=0)
    finally:
        therapists.analyse, competence.analyse = original
    frame = captured["frame"]
    staff = staff_truth(params, seed, referrals, 1).set_index("therapist_id")
    frame["shift"] = staff.loc[frame["therapist_id"], "logit_effect"].to_numpy()
    recovery = therapists.recovery_sample(frame)
    X, names = therapists.case_mix(recovery)
    X = np.column_stack([X, recovery["shift"]])
    slope = sm.Logit(recovery["recovered"].to_numpy(float), X).fit(disp=0)
    curve = sm.Logit(recovery["recovered"].to_numpy(float),
                     np.column_stack([X, recovery["shift"] ** 2])).fit(disp=0)
    change = therapists.change_sample(frame)
    Xc, _ = therapists.case_mix(change, ("phq_first",))
    Xc = np.column_stack([Xc, change["shift"]])
    ols = sm.OLS(change["phq_change"].to_numpy(float), Xc).fit()
    # the estimand itself: the mixed model's between-therapist variance against the
    # realised variance of the therapists' η (with shift η/λ₀ the log-odds move
    # λ_true/λ₀ per unit of η, so σ̂² = (λ_true/λ₀)² Var(η))
    from tincheck.stats.mixed_models import random_intercept_logistic

    X0, _ = therapists.case_mix(recovery)
    glmm = random_intercept_logistic(recovery["recovered"].to_numpy(float), X0,
                                     recovery["therapist_id"].to_numpy())
    eta = staff.loc[glmm.groups, "logit_effect"].to_numpy()
    lam_glmm = lam0 * float(np.sqrt(glmm.sigma ** 2 / eta.var(ddof=1)))
    lam = lam_glmm
    slope_lam = float(slope.params[-1]) * lam0
    # with λ in place, PHQ-9 change moves κ/λ points per unit of η (log-odds)
    default = load_parameters()
    default["therapists"]["logit_per_response_unit"] = lam
    var_eta = truth(default)["random_sd"] ** 2 + sum(
        default["therapists"][k] ** 2 for k in ("competence_diagnosis", "competence_stage",
                                                "competence_generic",
                                                "competence_interaction"))
    between = (float(ols.params[-1]) * lam0 / lam) ** 2 * var_eta
    return {"referrals": referrals, "seed": seed, "recovery_cases": len(recovery),
            "generated_with": lam0,
            "therapists": int(len(glmm.groups)),
            "logit_per_response_unit": round(lam, 3),
            "from_the_glm_slope": round(slope_lam, 3),
            "se_of_the_slope": round(float(slope.bse[-1]) * lam0, 3),
            "quadratic": round(float(curve.params[-1]), 3),
            "quadratic_se": round(float(curve.bse[-1]), 3),
            "phq9_change_points_per_unit": round(float(ols.params[-1]), 3),
            "phq9_change_residual_variance": round(float(ols.scale), 3),
            "implied_true_icc_phq9_change": round(between / (between + float(ols.scale)), 4),
            "multiple_therapists_share": round(float((frame["therapists"] > 1).mean()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--referrals", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1, help="seed of --calibrate")
    parser.add_argument("--seeds", type=int, default=5, help="the check runs seeds 1..N")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, tincheck {tincheck.__version__}")
    if args.calibrate:
        print(json.dumps(calibrate(args.referrals or 300_000, args.seed)))
        return
    results = check(args.referrals or 50_000, range(1, args.seeds + 1))
    print(markdown(results))
    for name in ("interaction present", "interaction absent"):
        runs = [r for r in results if r["scenario"] == name]
        print(f"{name}: ICC covered {sum(r['icc_covered'] for r in runs)}/{len(runs)}, "
              f"interaction found {sum(r['interaction_found'] for r in runs)}/{len(runs)}")


if __name__ == "__main__":
    main()
