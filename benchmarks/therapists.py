"""Therapist effects and competence against a known truth (synthetic data).

The check (the default): synthetic services of 50,000 referrals and 200 therapists
(one service; 112 low-intensity practitioners and 88 high-intensity staff, the
default ratio),
generated with the default true ICC of recovery (0.05) and the default competence
effects, once with the diagnosis-specific x stage-specific interaction and once
without it, for each of seeds 1 to 10 (a single seed shows one draw; ten show how
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
being ``logit_per_response_unit``. This mode generates the check's own services
(50,000 referrals, 200 therapists, the default parameters) for seeds 101 to 110 (not
the check's seeds) with the current λ₀, and fits, on the audit's recovery sample, a
logistic regression of recovery on the audit's case mix and the main therapist's known
η: its slope b is the log-odds of recovery per unit of η, so λ = λ₀ b is the λ that
makes the effect on the log-odds η itself (the mean over the seeds, with its standard
error). The mapping is not exactly proportional to 1/λ, so repeat with the new value in
place until the two agree within the standard error (0.820 measured with 0.845 in
place, 0.838 with 0.82: the default is 0.83; docs/synth.md). The slope does not use
the mixed model whose interval the check tests, so the check's centring is not built
in. It also prints, for comparison, the λ the mixed model itself implies
(λ₀ √(σ̂² / Var(η)), σ̂² the random-intercept variance of the audit's model and Var(η)
the realised variance of the therapists' η: noisier, and the quantity the check
tests), the coefficient of the
squared η (how far the effect on the log-odds is from linear) and the true ICC of
PHQ-9 change that the defaults imply (slope and residual variance of a linear
regression of the change on the case mix and η).

Run: python benchmarks/therapists.py                # the check, seeds 1-10
     python benchmarks/therapists.py --seeds 3      # seeds 1-3
     python benchmarks/therapists.py --first 11     # seeds 11-20
     python benchmarks/therapists.py --calibrate    # λ, seeds 101-110
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
from tincheck.stats.mixed_models import icc_logistic
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
    staff = staff_truth(params, seed, referrals, 1)
    realised_icc = icc_logistic(float(staff["logit_effect"].var(ddof=1)))
    for term, row in terms.items():
        row["realised"] = drawn[term]
    interaction = terms[INTERACTION[1]]
    return {
        "referrals": referrals, "seed": seed,
        "staff": int(len(staff)),
        "therapists_with_cases": icc.extra.get("therapists"),
        "true_icc": true["icc_recovery"], "icc": icc.value, "icc_ci": [icc.ci_low, icc.ci_high],
        "icc_covered": icc.ci_low <= true["icc_recovery"] <= icc.ci_high,
        "realised_icc": realised_icc,
        "realised_icc_covered": icc.ci_low <= realised_icc <= icc.ci_high,
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
    lines = ["| seed | scenario | ICC of recovery: true | realised | estimate (95% CI) | "
             "covered | interaction per point²: true | realised | estimate (95% CI) | found "
             "| ICC of PHQ-9 change (95% CI) | audit |", "| --- | --- | --- | --- | --- | --- "
             "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        lines.append(
            f"| {r['seed']} | {r['scenario']} | {r['true_icc']:.3f} | "
            f"{r['realised_icc']:.3f} | {r['icc']:.3f} "
            f"({r['icc_ci'][0]:.3f} "
            f"to {r['icc_ci'][1]:.3f}) | {'yes' if r['icc_covered'] else 'NO'} | "
            f"{r['true_interaction']:.3f} | {r['realised_interaction']:.3f} | "
            f"{r['interaction']:.3f} "
            f"({r['interaction_ci'][0]:.3f} to {r['interaction_ci'][1]:.3f}) | "
            f"{'yes' if r['interaction_found'] else 'no'} | {r['icc_phq9_change']:.3f} "
            f"({r['icc_phq9_change_ci'][0]:.3f} to {r['icc_phq9_change_ci'][1]:.3f}) | "
            f"{r['audit_seconds']:.0f} s |")
    return "\n".join(lines)


def calibrate_seed(referrals: int, seed: int) -> dict:
    """λ from one generated service of the check's size (module docstring)."""
    import statsmodels.api as sm

    from tincheck.stats.mixed_models import random_intercept_logistic

    params = load_parameters(CHECK)
    lam0 = params["therapists"]["logit_per_response_unit"]
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
                     config=CHECK)
            tincheck.audit(Path(folder) / "data", imputations=0)
    finally:
        therapists.analyse, competence.analyse = original
    frame = captured["frame"]
    staff = staff_truth(params, seed, referrals, 1).set_index("therapist_id")
    frame["eta"] = staff.loc[frame["therapist_id"], "logit_effect"].to_numpy()
    recovery = therapists.recovery_sample(frame)
    y = recovery["recovered"].to_numpy(float)
    X0, _ = therapists.case_mix(recovery)
    X = np.column_stack([X0, recovery["eta"]])
    slope = sm.Logit(y, X).fit(disp=0)
    curve = sm.Logit(y, np.column_stack([X, recovery["eta"] ** 2])).fit(disp=0)
    # with shift η/λ₀ the log-odds move b = λ_true/λ₀ per unit of η
    glmm = random_intercept_logistic(y, X0, recovery["therapist_id"].to_numpy())
    eta = staff.loc[glmm.groups, "logit_effect"].to_numpy()
    change = therapists.change_sample(frame)
    Xc, _ = therapists.case_mix(change, ("phq_first",))
    ols = sm.OLS(change["phq_change"].to_numpy(float),
                 np.column_stack([Xc, change["eta"]])).fit()
    return {"referrals": referrals, "seed": seed, "recovery_cases": len(recovery),
            "therapists": int(len(glmm.groups)), "generated_with": lam0,
            "lambda_from_slope": float(slope.params[-1]) * lam0,
            "lambda_from_slope_se": float(slope.bse[-1]) * lam0,
            "lambda_from_mixed_model": lam0 * float(np.sqrt(glmm.sigma ** 2
                                                            / eta.var(ddof=1))),
            "quadratic": float(curve.params[-1]), "quadratic_se": float(curve.bse[-1]),
            "phq9_change_points_per_eta": float(ols.params[-1]),
            "phq9_change_residual_variance": float(ols.scale),
            "var_eta": float(eta.var(ddof=1)),
            "multiple_therapists_share": float((frame["therapists"] > 1).mean())}


def calibrate(referrals: int, seeds) -> dict:
    """λ over several seeds: the mean of the per-seed slopes, and the ICC of PHQ-9
    change the defaults imply with that λ in place."""
    runs = []
    for seed in seeds:
        run = calibrate_seed(referrals, seed)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                          for k, v in run.items()}), flush=True)
        runs.append(run)
    mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]
            if isinstance(runs[0][k], float)}
    lam = mean["lambda_from_slope"]
    spread = float(np.std([r["lambda_from_slope"] for r in runs], ddof=1)) if len(
        runs) > 1 else float("nan")
    # with λ in place, PHQ-9 change moves (points per η at λ₀) · λ₀/λ per unit of η
    default = load_parameters(CHECK)
    default["therapists"]["logit_per_response_unit"] = lam
    var_eta = truth(default)["random_sd"] ** 2 + sum(
        default["therapists"][k] ** 2 for k in ("competence_diagnosis", "competence_stage",
                                                "competence_generic",
                                                "competence_interaction"))
    between = (mean["phq9_change_points_per_eta"] * runs[0]["generated_with"] / lam
               ) ** 2 * var_eta
    return {"seeds": [r["seed"] for r in runs], "referrals": referrals,
            "generated_with": runs[0]["generated_with"],
            "logit_per_response_unit": round(lam, 3),
            "se": round(spread / np.sqrt(len(runs)), 3),
            "per_seed": [round(r["lambda_from_slope"], 3) for r in runs],
            "from_the_mixed_model": round(mean["lambda_from_mixed_model"], 3),
            "from_the_mixed_model_per_seed": [round(r["lambda_from_mixed_model"], 3)
                                              for r in runs],
            "quadratic": round(mean["quadratic"], 3),
            "quadratic_se": round(float(np.mean([r["quadratic_se"] for r in runs]))
                                  / np.sqrt(len(runs)), 3),
            "implied_true_icc_phq9_change": round(
                between / (between + mean["phq9_change_residual_variance"]), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--referrals", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=10,
                        help="the check runs N seeds from --first; --calibrate seeds "
                        "101..100+N")
    parser.add_argument("--first", type=int, default=1, help="the check's first seed")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, tincheck {tincheck.__version__}")
    if args.calibrate:
        print(json.dumps(calibrate(args.referrals or 50_000,
                                   range(101, 101 + args.seeds))))
        return
    results = check(args.referrals or 50_000, range(args.first, args.first + args.seeds))
    print(markdown(results))
    for name in ("interaction present", "interaction absent"):
        runs = [r for r in results if r["scenario"] == name]
        print(f"{name}: ICC covered {sum(r['icc_covered'] for r in runs)}/{len(runs)} "
              f"(the realised ICC {sum(r['realised_icc_covered'] for r in runs)}/"
              f"{len(runs)}), interaction found "
              f"{sum(r['interaction_found'] for r in runs)}/{len(runs)}")
    iccs = np.array([r["icc"] for r in results])
    drawn = np.array([r["realised_icc"] for r in results])
    print(f"ICC of recovery over all runs: mean {iccs.mean():.4f} (SD {iccs.std(ddof=1):.4f}); "
          f"realised mean {drawn.mean():.4f}; estimate minus realised mean "
          f"{(iccs - drawn).mean():+.4f} (SD {(iccs - drawn).std(ddof=1):.4f})")


if __name__ == "__main__":
    main()
