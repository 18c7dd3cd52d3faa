"""Render a :class:`PublishedAudit` as a self-contained HTML page and as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..jsonable import jsonable
from ..published.analysis import PublishedAudit
from ..published.evidence import WAKEFIELD_SOURCE
from ..published.proms import ci_tag
from ..outputs import write_text
from ..rates import RATES
from . import published_charts as charts
from .format import missing, percent_figure, rounded
from .page import Page, banner, cards, definition_list, empty, figure, paragraph, table

ROUNDING_NOTE = ("NHS England rounds every count below England level to the nearest 5 "
                 "and shows counts under 5 as '*'; percentages below England are whole "
                 "numbers computed from the unrounded counts. Provider rates recomputed "
                 "here from rounded counts therefore carry an error of up to about "
                 "2.5 / denominator besides their sampling error.")


def _national_section(page: Page, audit: PublishedAudit) -> None:
    s = audit.national
    rates = audit.england_rates
    if s.empty or "recovery_published" not in s:
        page.section("national", "1. The national series",
                     empty("No England rows with published rates in the data."))
        return
    rows = []
    for _, r in s.iterrows():
        row = {"year": r["reporting_period"], "received": rounded(r["referrals_received"]),
               "finished": rounded(r["finished"]), "no_paired": rounded(r["no_paired_scores"]),
               "recovered": rounded(r["recovered"]),
               "per100": rounded(r["recovered_per_100_received"], 1)}
        for rate in RATES:
            published = r.get(f"{rate.measure}_published")
            recomputed = r.get(f"{rate.measure}_recomputed")
            agrees = r.get(f"{rate.measure}_agrees")
            mark = "" if agrees is not pd.NA and bool(agrees) else " ✗"
            row[rate.measure] = (f"{published:.1f} / {recomputed:.2f}{mark}"
                                 if not missing(published) else "")
        rows.append(row)
    columns = [("year", "Year"), ("received", "Referrals received"),
               ("finished", "Finished a course"), ("recovered", "Recovered"),
               ("per100", "Recovered per 100 received*"),
               ("no_paired", "Finished without paired scores")]
    columns += [(rate.measure, f"{rate.label} % published / recomputed") for rate in RATES]
    blocks = [
        paragraph(f"Every published England rate recomputed from its counts with the "
                  f"official formulas (recovery = recovered ÷ (finished − not at "
                  f"caseness); improvement, deterioration and no change ÷ finished): "
                  f"{rates['agree']:,} of {rates['checked']:,} published England rates "
                  f"(all years, every breakdown) agree to the published decimal."),
        table(rows, columns, caption="England, all referrals (Total)",
              numeric={"received", "finished", "recovered", "per100", "no_paired"}),
        paragraph("* A same-year approximation: the referrals received in a year are not "
                  "the ones that finished or recovered in it. Finished without paired "
                  "scores = finished − at caseness − not at caseness; they stay in the "
                  "recovery denominator as not recovered.", "note"),
        figure(charts.national_chart(s)),
    ]
    if "ended_referrals" in s and s["ended_referrals"].notna().any():
        funnel_rows = [{"year": r["reporting_period"], "ended": rounded(r["ended_referrals"]),
                        "before": rounded(r.get("ended_before_treatment")),
                        "one": rounded(r.get("ended_after_one_treatment")),
                        "finished": rounded(r["finished"]),
                        "fin100": rounded(r["finished_per_100_ended"], 1),
                        "rec100": rounded(r["recovered_per_100_ended"], 1)}
                       for _, r in s.iterrows() if not missing(r["ended_referrals"])]
        blocks.append(table(funnel_rows, [
            ("year", "Year"), ("ended", "Referrals ended"),
            ("before", "Ended before treatment"), ("one", "Ended after one treatment"),
            ("finished", "Finished a course"), ("fin100", "Finished per 100 ended"),
            ("rec100", "Recovered per 100 ended")],
            caption="What happened to referrals that ended (raw NHS files)"))
    page.section("national", "1. The national series", *blocks)


def _phi_text(f) -> str:
    if missing(f.phi):
        return "overdispersion not estimated (fewer than 3 organisations)"
    p = f.overdispersion_p
    return f"overdispersion factor φ = {f.phi:.2f} (p {'< 0.001' if p < 0.001 else f'= {p:.3f}'})"


def _funnel_section(page: Page, audit: PublishedAudit) -> None:
    f = audit.funnel
    if not f.compared:
        page.section("providers", "2. Provider comparison",
                     empty(f"No {f.org_type} rows with recovery counts in {f.year}."))
        return
    counts = f.counts()
    blocks = [
        banner(ROUNDING_NOTE),
        paragraph(f"{f.compared} {f.org_type.lower()} rows in {f.year} compared with "
                  f"England's recovery rate {100 * f.target:.1f}% ({f.target_source}). "
                  f"Exact binomial limits with interpolation (Spiegelhalter 2005, "
                  f"Appendix A.1.1); limits adjusted for overdispersion by an additive "
                  f"random effect, τ² = {f.tau2:.5f} (SD {100 * math.sqrt(f.tau2):.1f} "
                  f"percentage points), estimated from z-scores winsorised at 10% each "
                  f"tail (§5.2, normal approximation); {_phi_text(f)}."),
        figure(charts.funnel_chart(f)),
        table([{"limits": name, "above": counts[key]["above"],
                "below": counts[key]["below"], "total": counts[key]["total"]}
               for key, name in (("exact_95", "95%, exact binomial"),
                                 ("exact_998", "99.8%, exact binomial"),
                                 ("re_95", "95%, adjusted for overdispersion"),
                                 ("re_998", "99.8%, adjusted for overdispersion"))],
              [("limits", "Limits"), ("above", "Above"), ("below", "Below"),
               ("total", "Outside")], caption="Providers outside each limit"),
    ]
    outside = f.providers[f.providers["outside_exact_95"]].sort_values("z")
    rows = [{"code": r["org_code"], "name": r["org_name"], "den": rounded(r["denominator"]),
             "rate": percent_figure(100 * min(r["rate"], 1.0), 1), "z": round(float(r["z"]), 1),
             "e95": "✓" if r["outside_exact_95"] else "",
             "e998": "✓" if r["outside_exact_998"] else "",
             "r95": "✓" if r["outside_re_95"] else "",
             "r998": "✓" if r["outside_re_998"] else ""} for _, r in outside.iterrows()]
    blocks.append(table(rows, [("code", "Code"), ("name", "Provider"),
                               ("den", "Denominator"), ("rate", "Recovery"), ("z", "z"),
                               ("e95", "Outside 95%"), ("e998", "Outside 99.8%"),
                               ("r95", "Outside adj. 95%"), ("r998", "Outside adj. 99.8%")],
                        caption="Providers outside any limit (lowest first)",
                        numeric={"den", "z"}))
    if len(f.excluded):
        blocks.append(table(f.excluded.to_dict("records"),
                            [("org_code", "Code"), ("org_name", "Provider"),
                             ("reason", "Not compared because")],
                            caption="Not compared"))
    if f.providers["rate"].gt(1).any():
        blocks.append(paragraph("A rate above 100% from rounded counts is drawn at 100%.",
                                "note"))
    page.section("providers", "2. Provider comparison", *blocks)


def _consistency_section(page: Page, audit: PublishedAudit) -> None:
    c = audit.consistency
    blocks = [paragraph(
        f"Each published percentage of each {c.org_type.lower()} in {c.year} (five "
        f"official rates) checked against the range its own rounded counts allow (each "
        f"count ± 2.5 before rounding, i.e. c − 2 … c + 2; '*' = 0 … 4; the whole-number "
        f"percentage ± 0.5): {c.inconsistent_organisations} of {c.organisations} "
        f"organisations have a published figure outside that range.")]
    if len(c.inconsistent):
        rows = [{"code": r["org_code"], "name": r["org_name"], "rate": r["measure"],
                 "published": rounded(r["published"]),
                 "range": f"{r['allowed_low']:.1f}–{r['allowed_high']:.1f}%",
                 "off": round(float(r["distance"]), 1)} for _, r in c.inconsistent.iterrows()]
        blocks.append(table(rows, [("code", "Code"), ("name", "Organisation"),
                                   ("rate", "Rate"), ("published", "Published %"),
                                   ("range", "Counts allow"), ("off", "Points outside")]))
    else:
        blocks.append(paragraph("Every published percentage lies within the range its "
                                "rounded counts allow.", "note"))
    page.section("consistency", "3. Consistency of published figures", *blocks)


def _effects_section(page: Page, audit: PublishedAudit) -> None:
    if audit.effects is None:
        page.section("effects", "4. Effect sizes by therapy type",
                     empty("No proms file given."))
        return
    check = audit.effects_check
    rows = audit.effects[(audit.effects["reporting_period"] == audit.year)
                         & (audit.effects["variable_a"] == "Total")
                         & (audit.effects["n"] >= 100)]
    out, tag = [], ci_tag(audit.correlation)
    for therapy, part in rows.groupby("variable_b"):
        item = {"therapy": therapy, "n": rounded(part["n"].iloc[0])}
        for _, r in part.iterrows():
            if missing(r["d"]):
                continue
            low, high = r[f"ci_low_{tag}"], r[f"ci_high_{tag}"]
            item[r["measure"]] = f"{r['d']:.2f} ({low:.2f}–{high:.2f}) pub. {r['published']:.1f}"
        out.append(item)
    out.sort(key=lambda x: -(x["n"] or 0))
    sensitivity = []
    for therapy, part in rows.groupby("variable_b"):
        item = {"therapy": therapy, "n": rounded(part["n"].iloc[0])}
        for _, r in part[part["measure"].isin(["phq", "gad"])].iterrows():
            for key in ("r3", "r5", "r7"):
                col = ci_tag(int(key[1]) / 10)
                item[f"{r['measure']}_{key}"] = (
                    f"{r[f'ci_low_{col}']:.2f}–{r[f'ci_high_{col}']:.2f}"
                    if not missing(r[f"ci_low_{col}"]) else "")
        sensitivity.append(item)
    sensitivity.sort(key=lambda x: -(x["n"] or 0))
    blocks = [
        paragraph(f"Pre-post d = (mean start − mean end) / SD at start, recomputed from "
                  f"the published means and SDs. These are rounded to one decimal while "
                  f"the published effect size was computed before rounding, so the check "
                  f"is against the interval rounding allows: of {check['checked']:,} "
                  f"published England effect sizes with n ≥ {check['min_n']} (all years, "
                  f"problem descriptor × therapy type × measure), {check['inside']:,} lie "
                  f"inside it and {check['exact']:,} ({100 * check['exact_share']:.1f}%) "
                  f"equal the recomputed value at one decimal."),
        table(out, [("therapy", "Therapy type"), ("n", "Finished (n)"),
                    ("phq", "PHQ-9 d (95% CI)"), ("gad", "GAD-7 d (95% CI)"),
                    ("wsas", "WSAS d (95% CI)")],
              caption=f"England {audit.year}, all problem descriptors", numeric={"n"}),
        paragraph(f"95% CIs from n (total finishing) under an assumed pre-post correlation "
                  f"r = {audit.correlation} (the correlation is not published); the table "
                  f"below shows r = 0.3 and 0.7 as sensitivity. With n in the thousands the "
                  f"CIs are narrow: what limits these numbers is bias (who finishes, who "
                  f"has paired scores), not sampling error.", "note"),
        table(sensitivity, [("therapy", "Therapy type"), ("n", "n"),
                            ("phq_r3", "PHQ-9 CI, r = 0.3"), ("phq_r5", "r = 0.5"),
                            ("phq_r7", "r = 0.7"), ("gad_r3", "GAD-7 CI, r = 0.3"),
                            ("gad_r5", "r = 0.5"), ("gad_r7", "r = 0.7")],
              caption="Sensitivity of the 95% CIs to the assumed pre-post correlation",
              numeric={"n"}),
    ]
    page.section("effects", "4. Effect sizes by therapy type", *blocks)


def _evidence_section(page: Page, audit: PublishedAudit) -> None:
    ev = audit.evidence
    if ev is None or not ev.pooled:
        page.section("evidence", "5. Practice-based evidence across providers",
                     empty("No provider effect sizes for this year."))
        return
    rows = [{"therapy": p.therapy, "outcome": p.label, "k": p.k,
             "d": f"{p.estimate:.2f} ({p.ci_low:.2f}–{p.ci_high:.2f})",
             "tau2": round(p.tau2, 4), "I2": f"{p.I2:.1f}%",
             "pi": f"{p.pi_low:.2f} to {p.pi_high:.2f}",
             "bench": f"{p.benchmark:.2f} ({p.benchmark_ci[0]:.2f}–{p.benchmark_ci[1]:.2f})",
             "diff": f"{p.difference:+.2f}"} for p in ev.pooled]
    blocks = [
        paragraph(f"For {ev.year}, each provider's pre-post d on PHQ-9 (depression) and "
                  f"GAD-7 (anxiety) for each main therapy type, from its own published "
                  f"means and SD at start (n = total finishing with that therapy, r = "
                  f"{ev.correlation}), pooled by a random-effects model (REML τ², "
                  f"Hartung-Knapp 95% CI, prediction interval for a new provider). "
                  f"Compared with {WAKEFIELD_SOURCE}: 0.87 depression, 0.88 anxiety."),
        table(rows, [("therapy", "Therapy"), ("outcome", "Outcome"), ("k", "Providers"),
                     ("d", "Pooled d (95% CI)"), ("tau2", "τ²"), ("I2", "I²"),
                     ("pi", "Prediction interval"), ("bench", "Wakefield 2021"),
                     ("diff", "Difference")], numeric={"k", "tau2"}),
        figure(charts.summary_chart(ev.pooled)),
        paragraph("NHS England's published provider effect sizes divide by England's SD at "
                  "start, not the provider's own; the d here uses each provider's own SD, "
                  "the usual pre-post standardisation.", "note"),
    ]
    blocks += [figure(charts.forest_chart(p), f"{p.therapy}, {p.label}: the 30 providers "
                      "with the most finishers, and the pooled estimate")
               for p in ev.pooled]
    blocks += [paragraph(n, "note") for n in ev.notes]
    page.section("evidence", "5. Practice-based evidence across providers", *blocks)


def _delivery_section(page: Page, audit: PublishedAudit) -> None:
    blocks = []
    if audit.mix_summary is not None and len(audit.mix_summary):
        s = audit.mix_summary
        rows = [{"year": r["reporting_period"], "courses": rounded(r["therapy_courses"]),
                 "gsh": percent_figure(100 * r["guided_self_help_share"]),
                 "sh": percent_figure(100 * r["self_help_any_share"]),
                 "li": percent_figure(100 * r["low_intensity_share"]),
                 "gshf": percent_figure(100 * r.get("guided_self_help_share_of_finished", np.nan))}
                for _, r in s.iterrows()]
        blocks += [
            paragraph("Finished courses by the therapy types they included (England, "
                      "proms_annual). A course can include several therapies, so shares "
                      "are of therapy courses; the last column is the share of all "
                      "finished courses (measures_annual) that included guided self-help."),
            table(rows, [("year", "Year"), ("courses", "Therapy courses"),
                         ("gsh", "Guided self-help"), ("sh", "Any self-help"),
                         ("li", "Low intensity"), ("gshf", "Finished courses with GSH")],
                  numeric={"courses"}),
            figure(charts.delivery_chart(s)),
        ]
        last = audit.mix[audit.mix["reporting_period"] == s["reporting_period"].iloc[-1]]
        blocks.append(table(
            [{"therapy": r["therapy"], "courses": rounded(r["courses"]),
              "share": percent_figure(100 * r["share_of_therapy_courses"]),
              "li": "low" if r["low_intensity"] else "high"} for _, r in last.iterrows()],
            [("therapy", "Therapy type"), ("courses", "Courses"),
             ("share", "Share"), ("li", "Intensity")],
            caption=f"Therapy types, England {s['reporting_period'].iloc[-1]}",
            numeric={"courses"}))
    if audit.positions is not None and len(audit.positions):
        p = audit.positions
        share = p.groupby("reporting_period").apply(
            lambda d: d.loc[d["low_intensity"], "position_1_share"].sum(),
            include_groups=False)
        blocks.append(paragraph(
            "therapy_position_annual (Table 1 of the therapy-based outcomes publication), "
            "low-intensity share of first-position counts: " + "; ".join(
                f"{y} {100 * v:.0f}%" for y, v in share.items()) + ". Its counts far "
            "exceed the number of referrals, so its unit is not courses; it is shown "
            "only as a cross-check.", "note"))
    page.section("delivery", "6. What is delivered",
                 *(blocks or [empty("No proms or therapy-position file given.")]))


def closing_note(audit: PublishedAudit) -> str:
    """One paragraph quoting the headline numbers."""
    h = audit.headline()
    counts = h["outside_limits"]
    parts = [f"In {audit.year}, {h['providers_compared']} providers were compared with "
             f"England's recovery rate: {counts.get('exact_998', {}).get('total', 0)} lie "
             f"outside the exact 99.8% limits, but after allowing for the usual spread "
             f"between providers (τ² = {h['tau2_providers']:.5f}) "
             f"{counts.get('re_998', {}).get('total', 0)} remain outside the 99.8% limits "
             f"({counts.get('re_95', {}).get('total', 0)} outside 95%)",
             f"{h['inconsistent_providers']} of {h['providers_checked']} providers publish a "
             f"percentage their own counts cannot produce",
             f"{h['england_rates_agree']:,} of {h['england_rates_checked']:,} England rates "
             f"agree with their counts"]
    if h["pooled"]:
        pooled = "; ".join(
            f"{p['therapy']} {'PHQ-9' if p['measure'] == 'phq' else 'GAD-7'} d = "
            f"{p['d']:.2f} ({p['ci'][0]:.2f}–{p['ci'][1]:.2f}), τ² = {p['tau2']:.3f}, "
            f"I² = {p['I2']:.0f}%" for p in h["pooled"])
        parts.append("pooled across providers: " + pooled +
                     " (Wakefield et al. 2021: 0.87 depression, 0.88 anxiety)")
    return "; ".join(parts) + "."


def render_html(audit: PublishedAudit) -> str:
    """The report as one self-contained HTML page."""
    page = Page(
        title=f"Published NHS Talking Therapies data: independent audit, {audit.year}",
        lede="What the NHS's own published annual figures show when every number is "
             "recomputed and its uncertainty is shown.",
        header_blocks=[definition_list([
            ("Year compared", audit.year), ("Organisations", audit.org_type),
            ("Sources", "; ".join(Path(f).name for files in audit.sources.values()
                                  if isinstance(files, list) for f in files)),
            ("Licence", "NHS England, Open Government Licence v3.0"),
            ("Disclosure control", "figures are NHS England's published figures (counts "
             "below England rounded to 5, under 5 suppressed); nothing finer is shown"),
            ("tincheck", __version__)]),
            cards(_cards(audit))])
    _national_section(page, audit)
    _funnel_section(page, audit)
    _consistency_section(page, audit)
    _effects_section(page, audit)
    _evidence_section(page, audit)
    _delivery_section(page, audit)
    page.section("closing", "Closing note", paragraph(closing_note(audit)),
                 *[paragraph(n, "note") for n in audit.notes])
    return page.render()


def _cards(audit: PublishedAudit) -> list[tuple[str, str, str]]:
    s = audit.national
    row = s[s["reporting_period"] == audit.year]
    items = []
    if len(row) and "recovery_published" in row:
        r = row.iloc[0]
        items.append(("Published recovery rate, England", percent_figure(r["recovery_published"]),
                      "of finishers at caseness"))
        items.append(("Recovered per 100 referrals received",
                      f"{r['recovered_per_100_received']:.1f}", "same-year approximation"))
    counts = audit.funnel.counts() if audit.funnel.compared else {}
    items.append(("Providers outside adjusted 99.8% limits",
                  str(counts.get("re_998", {}).get("total", "–")),
                  f"of {audit.funnel.compared} compared"))
    items.append(("Providers with inconsistent figures",
                  str(audit.consistency.inconsistent_organisations),
                  f"of {audit.consistency.organisations} checked"))
    return items


def to_json(audit: PublishedAudit) -> dict:
    """The audit as plain JSON-ready data (NaN → null)."""
    f, c, ev = audit.funnel, audit.consistency, audit.evidence
    data = {
        "tincheck_version": __version__, "year": audit.year, "org_type": audit.org_type,
        "sources": audit.sources, "seconds": audit.seconds, "headline": audit.headline(),
        "closing_note": closing_note(audit), "notes": audit.notes,
        "rounding_note": ROUNDING_NOTE,
        "national": audit.national,
        "england_rates": {k: v for k, v in audit.england_rates.items()
                          if k != "disagreements"} | {
            "disagreements": audit.england_rates["disagreements"]},
        "providers": {"target": f.target, "target_source": f.target_source,
                      "phi": f.phi, "tau2": f.tau2, "overdispersion_p": f.overdispersion_p,
                      "limits": "exact binomial with interpolation (Spiegelhalter 2005 "
                                "A.1.1); random-effects limits normal approximation with "
                                "additive tau2 from 10%-winsorised z (section 5.2)",
                      "compared": f.providers, "excluded": f.excluded,
                      "counts": f.counts() if f.compared else {}},
        "consistency": {"organisations": c.organisations,
                        "inconsistent_organisations": c.inconsistent_organisations,
                        "inconsistent": c.inconsistent},
        "effect_sizes": None, "meta_analysis": None, "delivery": None,
    }
    if audit.effects is not None:
        keep = audit.effects[audit.effects["n"] >= 100]
        data["effect_sizes"] = {"check": audit.effects_check,
                                "correlation": audit.correlation,
                                "england": keep.drop(columns=["org_type", "org_code",
                                                              "org_name"])}
    if ev is not None:
        data["meta_analysis"] = {
            "year": ev.year, "correlation": ev.correlation, "notes": ev.notes,
            "benchmark_source": WAKEFIELD_SOURCE,
            "pooled": [{k: v for k, v in p.__dict__.items() if k != "studies"}
                       | {"studies": p.studies} for p in ev.pooled]}
    if audit.mix is not None:
        data["delivery"] = {"by_therapy": audit.mix, "summary": audit.mix_summary,
                            "therapy_position": audit.positions}
    return jsonable(data)


def write_report(audit: PublishedAudit, out_dir) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.json`` into ``out_dir`` (created if needed)."""
    out = Path(out_dir)
    html_path = write_text(out / "report.html", render_html(audit))
    json_path = write_text(out / "report.json",
                           json.dumps(to_json(audit), indent=1, ensure_ascii=False))
    return html_path, json_path
