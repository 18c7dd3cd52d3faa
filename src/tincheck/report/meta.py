"""The ``tincheck meta`` report: an :class:`EvidenceSynthesis` as HTML and as JSON.

The HTML page is self-contained (inline CSS and SVG, nothing fetched). The JSON holds
every number of the synthesis; the page shows the ones a reader needs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .. import __version__
from ..evidence.synthesis import EvidenceSynthesis
from ..examples import example_path
from ..jsonable import jsonable
from ..stats.study_effects import NAMES as MEASURE_NAMES
from .format import fixed as fmt
from .format import fixed_interval as interval
from .format import p_value as fmt_p
from .meta_charts import baujat_plot, forest_plot, funnel_plot, repooled_plot
from .page import Page, banner, cards, esc, figure, paragraph, table
from .page import bullet_list as _list

METHOD_NAMES = {"FE": "fixed effect (inverse variance)", "DL": "DerSimonian-Laird",
                "REML": "restricted maximum likelihood (REML)", "ML": "maximum likelihood",
                "PM": "Paule-Mandel", "SJ": "Sidik-Jonkman",
                "HE": "Hedges (unweighted method of moments)", "HS": "Hunter-Schmidt",
                "EB": "empirical Bayes"}
TEST_NAMES = {"z": "Wald z test", "knha": "Hartung-Knapp t test (k − 1 df)",
              "knha_adhoc": "Hartung-Knapp t test with the ad hoc floor (k − 1 df)"}
REFERENCES = [
    ("DerSimonian R, Laird N (1986) Meta-analysis in clinical trials. Control Clin Trials "
     "7:177-188."),
    ("Paule RC, Mandel J (1982) Consensus values and weighting factors. J Res Natl Bur Stand "
     "87:377-385."),
    ("Viechtbauer W (2005) Bias and efficiency of meta-analytic variance estimators in the "
     "random-effects model. J Educ Behav Stat 30:261-293."),
    ("Viechtbauer W (2007) Confidence intervals for the amount of heterogeneity in "
     "meta-analysis. Stat Med 26:37-52."),
    ("Hartung J, Knapp G (2001) A refined method for the meta-analysis of controlled clinical "
     "trials with binary outcome. Stat Med 20:3875-3889."),
    ("Knapp G, Hartung J (2003) Improved tests for a random effects meta-regression with a "
     "single covariate. Stat Med 22:2693-2710."),
    ("Higgins JPT, Thompson SG (2002) Quantifying heterogeneity in a meta-analysis. Stat Med "
     "21:1539-1558."),
    ("Egger M, Davey Smith G, Schneider M, Minder C (1997) Bias in meta-analysis detected by a "
     "simple, graphical test. BMJ 315:629-634."),
    ("Begg CB, Mazumdar M (1994) Operating characteristics of a rank correlation test for "
     "publication bias. Biometrics 50:1088-1101."),
    ("Duval S, Tweedie R (2000) Trim and fill: a simple funnel-plot-based method of testing "
     "and adjusting for publication bias in meta-analysis. Biometrics 56:455-463."),
    ("Tolin DF, McKay D, Forman EM, Klonsky ED, Thombs BD (2015) Empirically supported "
     "treatment: recommendations for a new model. Clin Psychol Sci Pract 22:317-338."),
    ("Becker BJ (1988) Synthesizing standardized mean-change measures. Br J Math Stat Psychol "
     "41:257-278."),
    ("Hedges LV (1981) Distribution theory for Glass's estimator of effect size and related "
     "estimators. J Educ Stat 6:107-128."),
    ("Viechtbauer W, Cheung MW-L (2010) Outlier and influence diagnostics for meta-analysis. "
     "Res Synth Methods 1:112-125."),
    ("Baujat B, Mahé C, Pignon J-P, Hill C (2002) A graphical method for exploring "
     "heterogeneity in meta-analyses: application to a meta-analysis of 65 trials. Stat Med "
     "21:2641-2652."),
    ("Lau J, Antman EM, Jimenez-Silva J, Kupelnick B, Mosteller F, Chalmers TC (1992) "
     "Cumulative meta-analysis of therapeutic trials for myocardial infarction. N Engl J Med "
     "327:248-254."),
    ("Viechtbauer W (2010) Conducting meta-analyses in R with the metafor package. J Stat "
     "Softw 36(3):1-48."),
]


def _is_example(syn: EvidenceSynthesis) -> bool:
    return str(example_path("meta_studies.csv")) == syn.studies.path


def effect_label(syn: EvidenceSynthesis) -> str:
    """The axis label of the effect sizes: the measure's name when raw data were read."""
    measure = syn.studies.measure
    if measure is None:
        return "Effect size"
    name = MEASURE_NAMES[measure]
    return name[0].upper() + name[1:]


def _grading_statement(syn: EvidenceSynthesis) -> str:
    if syn.grade is not None:
        return syn.grade.statement
    return ("Evidence grading not computed: the studies file has no "
            f"{', '.join(syn.grading_missing)} column"
            f"{'' if len(syn.grading_missing) == 1 else 's'}. The grading (after Tolin et "
            "al. 2015) needs setting, outcome, independent and allegiance for every study.")


def _summary(syn: EvidenceSynthesis) -> list[str]:
    o, level = syn.overall, f"{syn.level:.0%}"
    items = [("Pooled effect, all studies", fmt(o.estimate),
              f"{level} CI {interval(o.ci_low, o.ci_high)}; k = {o.k}")]
    for name in ("independent", "allegiant"):
        p = syn.pooled(name)
        if p is not None and p.result is not None:
            items.append((p.description, fmt(p.result.estimate),
                          f"{level} CI {interval(p.result.ci_low, p.result.ci_high)}; "
                          f"k = {p.k}"))
    items.append(("Prediction interval (a new study's true effect)",
                  interval(o.pi_low, o.pi_high), f"{level}, τ² = {fmt(o.tau2, 3)}"))
    items.append(("Heterogeneity I²", f"{fmt(o.I2, 0)}%",
                  f"{level} CI {fmt(o.I2_ci_low, 0)}% to {fmt(o.I2_ci_high, 0)}%"))
    blocks = [banner(_grading_statement(syn), alert=syn.grade is not None and not syn.grade.met),
              cards(items)]
    allegiant, independent = syn.pooled("allegiant"), syn.pooled("independent")
    allegiant = allegiant.result if allegiant is not None else None
    independent = independent.result if independent is not None else None
    if allegiant is not None and independent is not None:
        blocks.append(paragraph(
            f"Studies by evaluators with allegiance pool to {fmt(allegiant.estimate)}; "
            f"studies by independent evaluators to {fmt(independent.estimate)}."))
    return blocks


def _pooled_table(syn: EvidenceSynthesis) -> str:
    o = syn.overall
    rows = [
        ("Estimate", fmt(o.estimate, 3)), ("Standard error", fmt(o.se, 3)),
        (f"{syn.level:.0%} confidence interval", interval(o.ci_low, o.ci_high, 3)),
        ("Test statistic", f"{'z' if o.test == 'z' else 't'} = {fmt(o.statistic)}"
         + ("" if math.isnan(o.df) else f" on {o.df:.0f} df")),
        ("p-value", fmt_p(o.pvalue)),
        ("τ² (between-study variance)", f"{fmt(o.tau2, 4)} ({interval(o.tau2_ci_low, o.tau2_ci_high, 4)})"),
        ("τ", fmt(o.tau, 3)),
        ("I²", f"{fmt(o.I2, 1)}% ({fmt(o.I2_ci_low, 1)}% to {fmt(o.I2_ci_high, 1)}%)"),
        ("H²", f"{fmt(o.H2)} ({interval(o.H2_ci_low, o.H2_ci_high)})"),
        ("Cochran's Q", f"{fmt(o.Q)} on {o.Q_df} df, p {fmt_p(o.Q_pvalue)}"),
        (f"{syn.level:.0%} prediction interval", interval(o.pi_low, o.pi_high, 3)),
    ]
    return table([{"what": a, "value": b} for a, b in rows],
                 [("what", "Statistic"), ("value", "Value")],
                 caption=f"{METHOD_NAMES[o.method]}, {TEST_NAMES[o.test]}, k = {o.k}",
                 numeric={"value"})


def _side_by_side(syn: EvidenceSynthesis) -> str:
    rows = []
    for p in syn.side_by_side:
        r = p.result
        rows.append({"subset": p.description, "k": p.k,
                     "estimate": fmt(r.estimate) if r else "–",
                     "ci": interval(r.ci_low, r.ci_high) if r else "–",
                     "pi": interval(r.pi_low, r.pi_high) if r else "–",
                     "tau2": fmt(r.tau2, 3) if r else "–",
                     "i2": f"{fmt(r.I2, 0)}%" if r and r.k > 1 else "–"})
    level = f"{syn.level:.0%}"
    blocks = [table(rows, [("subset", "Studies"), ("k", "k"), ("estimate", "Estimate"),
                           ("ci", f"{level} CI"), ("pi", f"{level} prediction interval"),
                           ("tau2", "τ²"), ("i2", "I²")],
                    caption="Pooled estimates by who did the evaluation",
                    numeric={"k", "estimate", "ci", "pi", "tau2", "i2"})]
    lacking = [c for c in ("independent", "allegiance") if c not in syn.studies.features]
    if lacking:
        blocks.append(paragraph(f"Not separated by {' and '.join(lacking)}: the studies file "
                                f"has no {' or '.join(lacking)} column.", "note"))
    return "".join(blocks)


def _subgroups(syn: EvidenceSynthesis) -> list[str]:
    if not syn.subgroups:
        return [paragraph("No subgroups: the studies file has no coded feature (design, "
                          "setting, outcome, independent, allegiance, coi_declared or an "
                          "extra column) that varies.", "empty")]
    rows, tests = [], []
    for feature, res in syn.subgroups.items():
        for name, r in res.groups.items():
            rows.append({"feature": feature, "group": name, "k": r.k,
                         "estimate": fmt(r.estimate), "ci": interval(r.ci_low, r.ci_high),
                         "tau2": fmt(r.tau2, 3), "i2": f"{fmt(r.I2, 0)}%" if r.k > 1 else "–"})
        tests.append({"feature": feature, "groups": len(res.groups),
                      "q": fmt(res.Q_between), "df": res.Q_between_df,
                      "p": fmt_p(res.Q_between_pvalue)})
    level = f"{syn.level:.0%}"
    return [
        table(tests, [("feature", "Feature"), ("groups", "Subgroups"), ("q", "Q between"),
                      ("df", "df"), ("p", "p")],
              caption="Do the subgroups differ? (Q-between test, each subgroup with its own τ²)",
              numeric={"groups", "q", "df", "p"}),
        table(rows, [("feature", "Feature"), ("group", "Subgroup"), ("k", "k"),
                     ("estimate", "Estimate"), ("ci", f"{level} CI"), ("tau2", "τ²"),
                     ("i2", "I²")],
              caption="Pooled estimate within each subgroup",
              numeric={"k", "estimate", "ci", "tau2", "i2"}),
    ]


def _small_study(syn: EvidenceSynthesis) -> list[str]:
    rows = []
    if syn.egger is not None:
        e = syn.egger
        rows.append({"test": "Egger's regression test (weighted regression on the SE)",
                     "result": f"bias {fmt(e.bias)}, t = {fmt(e.statistic)} on {e.df:.0f} df",
                     "p": fmt_p(e.pvalue)})
        rows.append({"test": "Egger's limit estimate (a study with SE → 0)",
                     "result": f"{fmt(e.limit_estimate)} ({interval(e.limit_ci_low, e.limit_ci_high)})",
                     "p": "–"})
    if syn.begg is not None:
        rows.append({"test": "Begg's rank correlation test",
                     "result": f"Kendall's τ = {fmt(syn.begg.tau, 3)}"
                               + (" (exact p)" if syn.begg.exact else " (normal approximation)"),
                     "p": fmt_p(syn.begg.pvalue)})
    blocks = []
    t = syn.trimfill
    if t is not None:
        a = t.adjusted
        rows.append({"test": "Trim-and-fill (L0 estimator, side chosen automatically)",
                     "result": f"{t.k0} studies imputed on the {t.side} (SE {fmt(t.se_k0)}); "
                               f"adjusted estimate {fmt(a.estimate)} "
                               f"({interval(a.ci_low, a.ci_high)})",
                     "p": "–"})
        blocks.append(figure(funnel_plot(syn.overall, t, title="Funnel plot",
                                         effect_label=effect_label(syn)),
                             "Funnel plot: each study's effect against its standard error; "
                             "open circles are studies imputed by trim-and-fill."))
    if not rows:
        return [paragraph("Not run: they need at least 3 studies of different precision "
                          "(see Notes and warnings).", "empty")]
    return blocks + [
        table(rows, [("test", "Test"), ("result", "Result"), ("p", "p")],
              caption="Small-study effects", numeric={"p"}),
        paragraph("Asymmetry can come from publication bias, from small studies of poorer "
                  "quality or different populations, or from chance; trim-and-fill is a "
                  "sensitivity analysis, not a corrected estimate.", "note")]


def _influence(syn: EvidenceSynthesis) -> list[str]:
    inf = syn.influence
    if inf is None:
        return [paragraph("Not computed: influence diagnostics need at least 3 studies.",
                          "empty")]
    rows = []
    for i, label in enumerate(inf.labels):
        rows.append({"study": label, "rstudent": fmt(inf.rstudent[i]),
                     "dffits": fmt(inf.dffits[i]), "cook": fmt(inf.cook_d[i]),
                     "covr": fmt(inf.cov_r[i]), "tau2": fmt(inf.tau2_del[i], 4),
                     "qe": fmt(inf.QE_del[i]), "hat": fmt(inf.hat[i], 3),
                     "weight": f"{inf.weight[i]:.1f}%",
                     "inf": "yes" if inf.influential[i] else ""})
    t = inf.thresholds
    flagged = inf.flagged
    summary = (f"Influential by metafor's criteria: {', '.join(flagged)}." if flagged else
               "No study is influential by metafor's criteria.")
    return [
        paragraph(summary + " A study is flagged when |DFFITS| > "
                  f"{fmt(t['dffits'])}, its Cook's distance exceeds the median of χ²(p) "
                  f"({fmt(t['cook_d'], 3)}), its hat value exceeds {fmt(t['hat'], 3)} (3p/k), or "
                  "|DFBETAS| > 1 (Viechtbauer & Cheung 2010)."),
        table(rows, [("study", "Study"), ("rstudent", "Studentised residual"),
                     ("dffits", "DFFITS"), ("cook", "Cook's distance"),
                     ("covr", "Covariance ratio"), ("tau2", "τ² without it"),
                     ("qe", "Q without it"), ("hat", "Hat value"), ("weight", "Weight"),
                     ("inf", "Influential")],
              caption=f"Influence of each study ({METHOD_NAMES[inf.method]}, "
                      f"{TEST_NAMES[inf.test]}); each study left out in turn",
              numeric={"rstudent", "dffits", "cook", "covr", "tau2", "qe", "hat", "weight"}),
        figure(baujat_plot(syn.baujat, inf, title="Baujat plot"),
               "Baujat plot: each study's contribution to the heterogeneity (its squared "
               "Pearson residual) against its influence on the pooled result (the "
               "standardised squared change when it is left out). Studies to the right "
               "are heterogeneous; studies high up move the result."),
    ]


def _leave_one_out(syn: EvidenceSynthesis) -> list[str]:
    loo = syn.leave_one_out
    if loo is None:
        return [paragraph("Not computed: leaving one study out needs at least 3 studies.",
                          "empty")]
    level = f"{syn.level:.0%}"
    rows = [{"study": label, "estimate": fmt(loo.estimate[i]),
             "ci": interval(loo.ci_low[i], loo.ci_high[i]), "p": fmt_p(loo.pvalue[i]),
             "tau2": fmt(loo.tau2[i], 3), "i2": f"{fmt(loo.I2[i], 0)}%"}
            for i, label in enumerate(loo.labels)]
    return [
        figure(repooled_plot(loo, syn.overall, title="Leave-one-out meta-analysis",
                             effect_label=effect_label(syn)),
               "Each row pools every study but one; the diamond pools them all."),
        table(rows, [("study", "Study left out"), ("estimate", "Estimate"),
                     ("ci", f"{level} CI"), ("p", "p"), ("tau2", "τ²"), ("i2", "I²")],
              caption="The pooled estimate without each study in turn",
              numeric={"estimate", "ci", "p", "tau2", "i2"}),
    ]


def _cumulative(syn: EvidenceSynthesis) -> list[str]:
    cum = syn.cumulative
    if cum is None:
        return [paragraph("Not computed: a cumulative analysis needs at least 3 studies.",
                          "empty")]
    studies = syn.studies.studies
    groups = None
    if "allegiance" in syn.studies.features:
        groups = ["evaluators with allegiance" if studies[i].allegiance
                  else "evaluators without allegiance" for i in cum.order]
    by = _cumulative_by(syn)
    level = f"{syn.level:.0%}"
    rows = [{"study": label, "k": int(cum.k[i]), "estimate": fmt(cum.estimate[i]),
             "ci": interval(cum.ci_low[i], cum.ci_high[i]), "tau2": fmt(cum.tau2[i], 3),
             **({"group": "yes" if studies[cum.order[i]].allegiance else "no"}
                if groups else {})}
            for i, label in enumerate(cum.labels)]
    columns = [("study", "Study added"), ("k", "k"), ("estimate", "Estimate"),
               ("ci", f"{level} CI"), ("tau2", "τ²")]
    if groups:
        columns.append(("group", "Allegiance"))
    return [
        figure(repooled_plot(cum, syn.overall, title=f"Cumulative meta-analysis by {by}",
                             effect_label=effect_label(syn), groups=groups),
               f"Studies added one at a time in {by}; each row pools the studies up to "
               "it" + (", coloured by the allegiance of the study added." if groups else ".")),
        table(rows, columns, caption=f"The pooled estimate as the studies accumulate ({by})",
              numeric={"k", "estimate", "ci", "tau2"}),
    ]


def _cumulative_by(syn: EvidenceSynthesis) -> str:
    order = syn.cumulative_order
    return {"year": "publication year", "file order": "the order of the file",
            "yi": "effect size", "vi": "sampling variance", "n": "sample size"}.get(order, order)


def _grading(syn: EvidenceSynthesis) -> list[str]:
    g = syn.grade
    if g is None:
        return [banner(_grading_statement(syn)),
                paragraph("Add the columns setting (routine or trial), outcome "
                          "(interview_blind, interview_not_blind or self_report), independent "
                          "and allegiance (true or false) to grade the evidence; everything "
                          "else in this report does not need them.")]
    rows = [{"study": a.label, "qualifies": "yes" if a.qualifies else "no",
             "fails": ", ".join(a.fails) or "–",
             "estimate": f"{fmt(a.estimate)} ({interval(a.ci_low, a.ci_high)})",
             "benefit": "yes" if a.significant_benefit else "no"} for a in g.studies]
    return [
        banner(g.statement, alert=not g.met),
        paragraph(f"Criterion: {g.criterion}."),
        table(rows, [("study", "Study"), ("qualifies", "Qualifies"),
                     ("fails", "Criteria failed"), ("estimate", f"Effect ({g.level:.0%} CI)"),
                     ("benefit", "Significant benefit")],
              caption=f"{g.qualifying} of {g.k} studies qualify; "
                      f"{g.qualifying_with_benefit} of them show a significant benefit",
              numeric={"estimate"}),
        "<h3>Reasons</h3>" + _list(g.reasons),
    ]


def _studies(syn: EvidenceSynthesis) -> str:
    features = syn.studies.features
    coded = [("design", "Design"), ("setting", "Setting"), ("outcome", "Outcome"),
             ("independent", "Independent"), ("allegiance", "Allegiance"),
             ("coi_declared", "COI declared")]
    rows = []
    for s, label, w in zip(syn.studies.studies, syn.studies.labels,
                           syn.overall.weights.tolist()):
        row = {"study": label, "row": s.row, "n": "" if s.n is None else f"{s.n:,}",
               "yi": fmt(s.yi, 3), "vi": fmt(s.vi, 4), "weight": f"{w:.1f}%",
               "source": s.source + (" (0.5 added to its cells)" if s.continuity_corrected
                                     else "")}
        for key, _ in coded:
            if key in features:
                row[key] = s.feature(key).replace("_", " ")
        rows.append(row)
    columns = ([("study", "Study"), ("row", "Row")]
               + [c for c in coded if c[0] in features]
               + [("n", "n"), ("yi", "yi"), ("vi", "vi"), ("source", "Effect from"),
                  ("weight", "Weight")])
    return table(rows, columns, caption=f"{len(rows)} studies from {syn.studies.path}",
                 numeric={"row", "n", "yi", "vi", "weight"})


def _methods(syn: EvidenceSynthesis) -> list[str]:
    return [
        paragraph(f"Studies were pooled by inverse-variance weighting with τ² estimated by "
                  f"{METHOD_NAMES[syn.method]} and tested with the {TEST_NAMES[syn.test]}. "
                  "Heterogeneity: Cochran's Q; I² = τ²/(τ² + ṽ) and H² = (τ² + ṽ)/ṽ with ṽ "
                  "the typical within-study variance (as metafor); τ² interval by the "
                  "Q-profile method. Prediction interval: estimate ± c·√(SE² + τ²). "
                  "Subgroups are pooled separately and compared with the Q-between test. "
                  "Pre-post summaries are converted to d = (mean_pre − mean_post)/sd_pre, "
                  "variance 2(1 − r)/n + d²/(2n). Positive effects are benefits"
                  + ("." if syn.benefit == "positive" else " inverted: negative effects are "
                     "benefits.")),
        *([paragraph(f"Raw study data were converted to the {MEASURE_NAMES[m]} ({m}) and its "
                     "sampling variance as metafor's escalc does (standardised mean "
                     "differences with Hedges' exact small-sample correction; 0.5 added to "
                     "every cell of a table with a zero cell).")]
          if (m := syn.studies.measure) else []),
        paragraph("Influence: each study left out in turn and the model refitted "
                  "(Viechtbauer & Cheung 2010), with metafor's criteria for an influential "
                  "study; Baujat plot (Baujat et al. 2002). Leave-one-out and cumulative "
                  "analyses re-pool subsets with the same estimator and test; the "
                  "cumulative analysis adds studies by "
                  + (_cumulative_by(syn) + "." if syn.cumulative_order != "file order" else
                     "their order in the file (the file has no year column).")),
        paragraph(f"tincheck {__version__}; the JSON report holds every number."),
        "<h3>References</h3>" + _list(REFERENCES),
    ]


def render_html(syn: EvidenceSynthesis) -> str:
    """The synthesis as one self-contained HTML page."""
    page = Page(title="Meta-analysis of outcome studies",
                lede=f"{syn.overall.k} studies from {Path(syn.studies.path).name}: pooled "
                     "estimate, heterogeneity, independent against allegiant evidence, "
                     "small-study effects, influence, leave-one-out and cumulative analyses "
                     "and an evidence grade after Tolin et al. (2015).")
    if _is_example(syn):
        page.header_blocks.append(banner("Example data: the studies in this report are "
                                         "made up for illustration. They are not real "
                                         "studies."))
    page.section("summary", "Summary", *_summary(syn))
    page.section("pooled", "Pooled estimate", _pooled_table(syn))
    forest = syn.subgroups.get(syn.forest_feature) if syn.forest_feature else None
    legend = ("squares are studies (area by weight), diamonds are pooled estimates, the "
              "dashed line is the prediction interval.")
    page.section("forest", "Forest plot", figure(
        forest_plot(forest, syn.overall, effect_label=effect_label(syn),
                    title=f"Forest plot by {syn.forest_feature}" if forest is not None
                    else "Forest plot"),
        f"Studies grouped by {syn.forest_feature}: {legend}" if forest is not None
        else legend[0].upper() + legend[1:]))
    page.section("independence", "Independent and allegiant evidence side by side",
                 _side_by_side(syn))
    page.section("subgroups", "Subgroups", *_subgroups(syn))
    page.section("small-study", "Small-study effects", *_small_study(syn))
    page.section("influence", "Influence of each study", *_influence(syn))
    page.section("leave-one-out", "Leave-one-out", *_leave_one_out(syn))
    page.section("cumulative", "Cumulative meta-analysis", *_cumulative(syn))
    page.section("grading", "Evidence grading", *_grading(syn))
    page.section("studies", "Studies", _studies(syn))
    page.section("notes", "Notes and warnings",
                 _list(syn.notes) or paragraph("None.", "empty"))
    page.section("methods", "Methods", *_methods(syn))
    return page.render()


def to_json(syn: EvidenceSynthesis) -> str:
    """The synthesis as JSON text (every number; NaN written as null)."""
    data = {"report": "tincheck meta", "tincheck_version": __version__, **syn.to_dict()}
    return json.dumps(jsonable(data), indent=2, ensure_ascii=False) + "\n"
