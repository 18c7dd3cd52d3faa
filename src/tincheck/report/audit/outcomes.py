"""Report sections about outcomes: the headline, the funnel, the official measures,
missing data and effect sizes (the interview-based sections are in ``interviews``).

Each function takes the :class:`~tincheck.report.audit.document.Doc` and returns the
section's HTML blocks; a section without data returns one line saying so.
"""

from __future__ import annotations

from ...codes import DISORDER
from ...notices import ANY_ASSESSOR_WARNING
from ..format import (DASH, count_html, count_text, interval_text, missing, num, pct,
                      value_html, value_text)
from ..page import banner, card, empty, esc, figure, html_table, paragraph
from . import charts
from .charts import Bar, Row
from .document import Doc, family_metrics, metric_table
from .headline import HEADLINE


def narrow_figure(svg: str, caption: str) -> str:
    """A figure that should not be stretched to the full width (a small table chart)."""
    return figure(svg, caption).replace("<figure>", '<figure class="narrow">', 1)

NHS_TARGET = 0.50            # NHS Digital (2021) guide §2.6 (benchmarks: nhs_recovery_target)
SCOTT_2018 = 0.092           # Scott 2018, J Health Psychol 23:1136-1147 (scott2018_lost_diagnosis)
DISORDER_LABELS = {c.value: c.label for c in DISORDER}
NO_DATA = "no interviews"
NO_INTERVIEWS = ("No interviews table was supplied: loss of diagnosis by independent blind "
                 "interview cannot be assessed.")


def _figure_text(m: dict, none: str = "not available") -> str:
    """'56% (34% to 75%)' for a chart's right-hand column, or why there is no value."""
    if m.get("suppressed"):
        return "* suppressed (fewer than 5)"
    if missing(m.get("value")):
        return none
    ci = interval_text(m)
    return f"{value_text(m)} ({ci})" if ci and ci != DASH else value_text(m)


def _row(doc: Doc, metric_id: str, label: str, series: str, none: str = "not available"
         ) -> Row:
    if none == NO_DATA:
        return Row(label, text=none, series=series)
    m = doc.m(metric_id)
    return Row(label, m.get("value"), m.get("ci_low"), m.get("ci_high"),
               _figure_text(m, none), series)


COVARIATES = {"phq_first": "first PHQ-9", "anx_first": "first anxiety score", "age": "age",
              "treatment_contacts": "treatment contacts", "sex": "sex",
              "problem": "problem descriptor", "service": "service"}


def _left_out(dropped: dict) -> str:
    """'; left out of the model: age (no observed values)', or '' when none was."""
    if not dropped:
        return ""
    return "; left out of the model: " + ", ".join(
        f"{COVARIATES.get(c, c)} ({why})" for c, why in dropped.items())


def _say(m: dict) -> str:
    """A figure inside a sentence."""
    if m.get("suppressed"):
        return "a figure suppressed because it rests on fewer than 5 people"
    if missing(m.get("value")):
        return "not known"
    ci = interval_text(m)
    return f"{value_text(m)} (95% CI {ci})" if ci and ci != DASH else value_text(m)


def has_interviews(doc: Doc) -> bool:
    return doc.supplied("interviews")


# ------------------------------------------------------------------ 1. headline

def headline(doc: Doc) -> list[str]:
    blocks = []
    if doc.settings.get("assessors") == "any":
        blocks.append(banner(ANY_ASSESSOR_WARNING, alert=True))
    blocks.append(paragraph(_headline_sentence(doc), "summary"))
    if doc.doc.get("not_computed"):
        count = len(doc.doc["not_computed"])
        blocks.append(f'<p class="note">Optional data is absent, so not every figure was '
                      f'computed ({count} part{"s" if count > 1 else ""} of the audit): '
                      f'<a href="#not-computed">what, and why</a>.</p>')
    none = NO_DATA if not has_interviews(doc) else "not available"
    on_page = [h for h in HEADLINE if h.on_page]
    tin = [_card(doc, h.metric_id, h.card_label, h.over) for h in on_page if h.official]
    inside = [_card(doc, h.metric_id, h.card_label, h.over, none if h.needs_interviews else DASH)
              for h in on_page if not h.official]
    blocks.append(
        '<div class="tin-compare">'
        f'<div class="tin"><h3>What it says on the tin</h3>{"".join(tin)}</div>'
        f'<div class="in-tin"><h3>What is in the tin</h3>{"".join(inside)}</div></div>')
    rows = [Row("What it says on the tin", header=True),
            *[_row(doc, h.metric_id, h.chart, "official") for h in on_page if h.official],
            Row("What is in the tin", header=True),
            *[_row(doc, h.metric_id, h.chart, "honest",
                   none if h.needs_interviews else "not available")
              for h in on_page if not h.official]]
    described = "; ".join(f"{r.label}: {r.text}" for r in rows if not r.header)
    blocks.append(figure(
        charts.interval_chart(
            rows, "What it says on the tin beside what is in the tin",
            f"Percentages with 95% intervals. {described}. Dashed lines: the NHS recovery "
            f"target of 50% and the 9.2% who lost their diagnoses in Scott (2018).",
            xlabel="per cent, with 95% interval",
            references=((NHS_TARGET, "NHS target 50%"), (SCOTT_2018, "Scott 2018: 9.2%"))),
        "Blue: the official figure, over people who finished a course and were at caseness. "
        "Vermillion: the same service's outcomes over everyone it took on. Bars are Wilson "
        "95% intervals. Loss of diagnosis counts people without an end or follow-up "
        "interview as not having lost it."))
    return blocks


def _card(doc: Doc, metric_id: str, label: str, over: str, none: str = DASH) -> str:
    m = doc.m(metric_id) if none != NO_DATA else {"kind": "proportion", "value": None}
    value = value_html(m) if not missing(m.get("value")) or m.get("suppressed") else esc(none)
    ci = interval_text(m)
    base = ""
    if m.get("kind") == "proportion" and (m.get("denominator") is not None
                                          or m.get("suppressed")):
        base = f"{count_html(m.get('numerator'))} of {count_html(m.get('denominator'))}"
    ci_line = f"95% CI {esc(ci)}" if ci and ci != DASH else ""
    return card(label, value, ci_line,
                f'{base}{" · " if base else ""}{esc(over)} '
                f'<a class="mid" href="#def-{esc(metric_id)}">{esc(metric_id)}</a>')


def _headline_sentence(doc: Doc) -> str:
    ended = doc.m("funnel.referrals_ended")
    finished = doc.m("funnel.finished_course")
    text = (f"Of {value_text(ended)} referrals that ended, {_say(finished)} finished a course "
            f"of treatment. The official recovery rate, over those who finished at caseness, "
            f"is {_say(doc.m('official.recovery_rate'))}; among everyone referred as a case, "
            f"{_say(doc.m('itt.recovery_among_cases'))} recovered.")
    if has_interviews(doc):
        text += (f" Independent blind interviews found that "
                 f"{_say(doc.m('diagnostic.lost_index_end_itt'))} of those diagnosed at "
                 f"baseline had lost their index diagnoses at the end of treatment, and "
                 f"{_say(doc.m('diagnostic.lost_index_follow_up_itt'))} at follow-up.")
    else:
        text += " No independent diagnostic interviews were supplied."
    return text


# ------------------------------------------------------------------ 2. funnel

def _stage_text(count, share) -> str:
    if count is None:
        return "* (not shown: derived from a count under 5)"
    return f"{count_text(count)} ({pct(share) if share is not None else '*'})"


def _minus(a, b):
    return None if a is None or b is None else a - b


def funnel(doc: Doc) -> list[str]:
    ended = doc.m("funnel.referrals_ended")
    if not ended.get("value") and not ended.get("suppressed"):
        return [empty("No referral ended in the period.")]
    not_seen = doc.m("funnel.ended_not_seen")
    entered = doc.m("delivery.entered_treatment")
    finished = doc.m("funnel.finished_course")
    recovered = doc.m("itt.recovered_per_ended_referral")
    seen_share = None if missing(not_seen.get("value")) else 1 - not_seen["value"]
    stages = [
        ("Referrals that ended", ended.get("value"), 1.0 if ended.get("value") else None,
         charts.BLUE),
        ("Seen at least once", _minus(ended.get("value"), not_seen.get("numerator")),
         seen_share, charts.BLUE),
        ("Had a treatment session", entered.get("numerator"), entered.get("value"),
         charts.BLUE),
        ("Finished a course (2+ sessions)", finished.get("numerator"), finished.get("value"),
         charts.BLUE),
        ("Officially recovered", recovered.get("numerator"), recovered.get("value"),
         charts.GREEN),
    ]
    bars = [Bar(label, count, _stage_text(count, share), colour)
            for label, count, share, colour in stages]
    described = "; ".join(f"{label}: {b.text}" for (label, *_), b in zip(stages, bars))
    blocks = [
        paragraph("What happened to every referral that ended in the period: how many were "
                  "seen, treated, finished a course and recovered. Percentages are of the "
                  "referrals that ended, computed from exact counts."),
        figure(charts.bar_chart(bars, "Everyone referred: the attrition funnel",
                                f"Horizontal bars, counts with the share of referrals that "
                                f"ended. {described}.", xlabel="referrals"),
               "Each bar is a subset of the one above it. Counts are rounded to the "
               "nearest 5; * marks a count under 5."),
        metric_table(doc, family_metrics("funnel"), "Where every referral ended"),
    ]
    return blocks


# ------------------------------------------------------------------ 3. official

def official(doc: Doc) -> list[str]:
    finished = doc.m("official.finished_course")
    if not finished.get("value") and not finished.get("suppressed"):
        return [empty("No referral that ended in the period finished a course of treatment, "
                      "so there are no official outcome measures.")]
    return [
        paragraph("The NHS Talking Therapies headline measures, computed exactly as the "
                  "published definitions compute them (NHS Digital 2021, guide §6.1-6.8): "
                  "only over referrals that ended having finished a course of treatment "
                  "(two or more treatment sessions). Finishers without paired scores stay in "
                  "the denominators as not recovered, as in the published figures. The "
                  f"national recovery target is {pct(NHS_TARGET)}."),
        metric_table(doc, family_metrics("official"), "Official measures"),
    ]


# ------------------------------------------------------------------ 4. missing data

ASSUMPTIONS = (
    ("sensitivity.completers", "Completers only (the official rate)", "official"),
    ("sensitivity.missing_as_not_recovered", "Missing counted as not recovered", "honest"),
    ("sensitivity.locf", "Last observation carried forward", "assumption"),
    ("sensitivity.multiple_imputation", "Multiple imputation", "assumption"),
)


def missing_data(doc: Doc) -> list[str]:
    cases = doc.m("itt.cases")
    if not cases.get("value") and not cases.get("suppressed"):
        return [empty("No referral that ended was a case when referred, so recovery cannot "
                      "be estimated under any assumption.")]
    rows = [_row(doc, mid, label, series) for mid, label, series in ASSUMPTIONS]
    described = "; ".join(f"{r.label}: {r.text}" for r in rows)
    mi = doc.m("sensitivity.multiple_imputation")
    blocks = [
        paragraph(f"Recovery among everyone referred as a case ({value_text(cases)} "
                  f"referrals) depends on what is assumed about the "
                  f"{_say(doc.m('itt.outcome_unknown_among_cases'))} of cases whose outcome "
                  "is unknown. In a service where many never start or stop after one session, "
                  "the assumption decides the answer, so every one is shown."),
        figure(charts.interval_chart(
            rows, "Recovery under each assumption about missing outcomes",
            f"Percentages with 95% intervals. {described}.",
            xlabel="recovery, per cent with 95% interval",
            references=((NHS_TARGET, "NHS target 50%"),)),
            "Completers: the official rate. The other three are over every case (C). "
            "Multiple imputation interval: Rubin's rules on the logit scale."),
        metric_table(doc, family_metrics("sensitivity", first=[m for m, *_ in ASSUMPTIONS])
                     + ["itt.outcome_unknown_among_cases"],
                     "Recovery among cases under each assumption"),
    ]
    if not mi.get("suppressed") and not missing(mi.get("value")):
        blocks.append(paragraph(
            f"Multiple imputation: {mi.get('method', '')}; m = {mi.get('m')} imputations, "
            f"seed {mi.get('seed')}; imputed columns: "
            f"{', '.join(mi.get('imputed_columns') or []) or 'none'}"
            f"{_left_out(mi.get('dropped_covariates') or {})}.", "note"))
        blocks.append(f'<p class="note">Last scores imputed: '
                      f'{count_html(mi.get("missing_last_scores"))} over '
                      f'{count_html(mi.get("cases"))} cases.</p>')
    elif mi.get("note"):
        blocks.append(paragraph(f"Multiple imputation: {mi['note']}.", "note"))
    return blocks


# ------------------------------------------------------------------ 7. effect sizes

MEASURES = (("phq9", "PHQ-9 (depression)"), ("gad7", "GAD-7 (anxiety)"),
            ("wsas", "WSAS (work and social functioning)"))
SIZES = (("d_pre_sd", "d, SD of first scores (NHS definition)"),
         ("d_pooled_sd", "d, pooled SD"), ("d_z", "d_z, SD of the change"))


def effect_sizes(doc: Doc) -> list[str]:
    ids = [f"effect.{m}_{s}{suffix}" for m, _ in MEASURES for s, _ in SIZES
           for suffix in ("", "_itt")]
    if all(missing(doc.value(i)) and not doc.m(i).get("suppressed") for i in ids):
        return [empty("No measure had scores before and after treatment, so no pre-post "
                      "effect size can be computed.")]
    rows, benchmarks = [], doc.table("effect.benchmarks")
    for measure, name in MEASURES:
        rows.append(Row(name, header=True))
        for suffix, label, series in (("", "This service, completers", "completers"),
                                      ("_itt", "This service, ITT", "itt")):
            rows.append(_effect_row(doc, f"effect.{measure}_d_pre_sd{suffix}", label, series))
        seen = set()
        for b in benchmarks:
            if b.get("measure") != measure or b.get("benchmark") in seen:
                continue
            seen.add(b["benchmark"])
            ci = (f" ({num(b['benchmark_ci_low'])} to {num(b['benchmark_ci_high'])})"
                  if not missing(b.get("benchmark_ci_low")) else "")
            rows.append(Row(_benchmark_name(b), b.get("benchmark_value"),
                            b.get("benchmark_ci_low"), b.get("benchmark_ci_high"),
                            f"{num(b.get('benchmark_value'))}{ci}", "benchmark"))
    values = [v for r in rows for v in (r.low, r.high, r.value) if not missing(v)]
    high = max(values + [1.5]) * 1.05
    low = min(values + [0.0])
    described = "; ".join(f"{r.label}: {r.text}" for r in rows if not r.header)
    blocks = [
        paragraph("Pre-post effect sizes: how far scores fell, in standard deviations. They "
                  "are set against routine-practice benchmarks (Wakefield et al. 2021, "
                  "Gaskell et al. 2023, Delgadillo et al. 2014), pre-IAPT NHS services "
                  "(Stiles et al. 2008, 2006) and the natural course on a wait-list "
                  "(Rutherford et al. 2012). A service whose effect does not clearly exceed "
                  "the wait-list figure shows no added value."),
        figure(charts.interval_chart(
            rows, "Effect sizes against benchmarks (forest plot)",
            f"Pre-post effect sizes d with 95% intervals. {described}.",
            xlabel="pre-post effect size d (SD of first scores), with 95% interval",
            percent=False, xlim=(min(low, 0.0) - 0.05, high), references=((0.0, "no change"),)),
            "Squares: this service (blue: completers; vermillion: everyone with a first "
            "score, last = first when no later score). Open diamonds: published benchmarks "
            "with their intervals where published."),
        _effect_table(doc),
    ]
    if benchmarks:
        blocks.append(_comparison_table(benchmarks))
    return blocks


def _benchmark_name(b: dict) -> str:
    citation = str(b.get("citation") or b.get("benchmark"))
    return citation.split(",")[0] + f" [{b.get('benchmark')}]"


def _effect_row(doc: Doc, metric_id: str, label: str, series: str) -> Row:
    m = doc.m(metric_id)
    return Row(label, m.get("value"), m.get("ci_low"), m.get("ci_high"),
               _figure_text(m, "no paired scores"), series)


def _effect_table(doc: Doc) -> str:
    body = []
    for measure, name in MEASURES:
        for size, size_name in SIZES:
            cells = [esc(name), esc(size_name)]
            for suffix in ("", "_itt"):
                metric_id = f"effect.{measure}_{size}{suffix}"
                m = doc.m(metric_id)
                cells += [f'<a href="#def-{esc(metric_id)}">{value_html(m)}</a>',
                          esc(interval_text(m)),
                          count_html(m.get("n"), None if m.get("suppressed") else False)]
            body.append(cells)
    return html_table(body, ["Measure", "Standardised by", "Completers d", "95% CI", "n",
                             "ITT d", "95% CI", "n"],
                      caption="Every effect size: three standardisations, completers and ITT",
                      numeric={2, 3, 4, 5, 6, 7})


VERDICT = {"above": "▲ above", "below": "▼ below", "includes": "≈ not clearly different"}


def _comparison_table(rows: list[dict]) -> str:
    """One row per measure × benchmark: the difference for completers and for ITT."""
    grouped: dict[tuple, dict] = {}
    for b in rows:
        key = (b.get("measure"), b.get("benchmark"))
        grouped.setdefault(key, {"b": b})[b.get("set")] = b
    names = dict(MEASURES)
    body = []
    for (measure, _), entry in grouped.items():
        b = entry["b"]
        cells = [esc(names.get(measure, measure).split(" (")[0]), esc(_benchmark_name(b)),
                 esc(num(b.get("benchmark_value")))]
        for set_name in ("completers", "ITT"):
            c = entry.get(set_name)
            if c is None or missing(c.get("difference")):
                cells.append(DASH)
                continue
            direction = c.get("direction")
            cells.append(f'{c["difference"]:+.2f} <span class="verdict {esc(direction)}">'
                         f'{esc(VERDICT.get(direction, DASH))}</span>')
        body.append(cells)
    return html_table(body, ["Measure", "Benchmark", "Benchmark d", "Completers: d − benchmark",
                             "ITT: d − benchmark"],
                      caption="The service's d (SD of first scores) against each benchmark: "
                              "above or below when its 95% interval excludes the benchmark",
                      numeric={2, 3, 4})


__all__ = ["effect_sizes", "funnel", "headline", "missing_data", "official"]
