"""Report sections about the service: what was delivered, whether it lasts, what it
costs, and the quality of the data.
"""

from __future__ import annotations

from ...codes import THERAPY_TYPE
from ...metrics.needs import sentence
from ..format import (DASH, count_html, count_text, missing, money, num, pct, pct_interval,
                      value_text)
from ..page import bullet_list, empty, esc, figure, html_table, paragraph
from . import charts
from .charts import Bar
from .document import Doc, family_metrics, metric_table
from .offered import offered_table

THERAPY = {c.value: c for c in THERAPY_TYPE}
INTENSITY_COLOURS = {"low": charts.SKY, "high": charts.BLUE}
INTENSITY_NAMES = {"low": "low intensity", "high": "high intensity"}

# ------------------------------------------------------------------ 8. delivery

def delivery(doc: Doc) -> list[str]:
    entered = doc.m("delivery.entered_treatment")
    if not entered.get("numerator") and not entered.get("suppressed"):
        return [empty("No referral that ended had a treatment session, so there is nothing "
                      "delivered to describe.")]
    sessions = doc.m("delivery.mean_sessions")
    median = "" if missing(sessions.get("median")) else \
        f" (median {num(sessions['median'], 0)})"
    blocks = [
        paragraph(
            f"What people who had at least one treatment session received: "
            f"{_share(doc, 'delivery.low_intensity_only')} had only low-intensity "
            f"treatment, {_share(doc, 'delivery.guided_self_help')} mostly guided or "
            f"unguided self-help, and {_share(doc, 'delivery.telephone_contacts')} of "
            f"treatment sessions were by telephone. They had {value_text(sessions)} "
            f"treatment sessions on average{median}. The 'hidden wait' between the first "
            f"and second treatment session was over 28 days for "
            f"{_share(doc, 'delivery.wait_second_treatment_over_28_days')} of those with "
            f"two or more."),
        metric_table(doc, family_metrics("delivery"), "What was delivered"),
    ]
    rows = doc.table("delivery.by_therapy_type")
    if rows:
        blocks.append(figure(*_therapy_chart(rows)))
        blocks.append(_therapy_table(rows))
    offered = offered_table(doc, _therapy_name)
    if offered:
        blocks.append(offered)
    return blocks


def _share(doc: Doc, metric_id: str) -> str:
    m = doc.m(metric_id)
    if m.get("suppressed"):
        return "a suppressed share (fewer than 5)"
    return f"{pct(m.get('value'))} (95% CI {pct_interval(m.get('ci_low'), m.get('ci_high'))})" \
        if not missing(m.get("value")) else "an unknown share"


def _therapy_name(code: str) -> str:
    if code == "not_recorded":
        return "not recorded"
    therapy = THERAPY.get(code)
    return therapy.label if therapy else str(code).replace("_", " ")


def _therapy_chart(rows: list[dict]) -> tuple[str, str]:
    ordered = sorted(rows, key=lambda r: (-(r.get("courses") or 0), r["therapy"]))
    bars = []
    for r in ordered:
        group = THERAPY[r["therapy"]].group if r["therapy"] in THERAPY else ""
        bars.append(Bar(_therapy_name(r["therapy"]), r.get("courses"),
                        count_text(r.get("courses")),
                        INTENSITY_COLOURS.get(group, charts.MUTED)))
    described = "; ".join(f"{b.label}: {b.text}" for b in bars)
    svg = charts.bar_chart(
        bars, "Therapy mix: finished courses by their main therapy type",
        f"Horizontal bars of finished courses by most frequent therapy type. {described}.",
        xlabel="finished courses", legend=tuple((INTENSITY_NAMES[g], c)
                                                for g, c in INTENSITY_COLOURS.items()))
    return svg, ("Finished courses by the therapy type of most of their treatment sessions. "
                 "Light blue: low intensity; dark blue: high intensity. Counts rounded to 5; "
                 "* marks a count under 5.")


def _rate(row: dict, stem: str) -> str:
    rate = row.get(f"{stem}_rate")
    if rate is None:
        return "*" if row.get("suppressed") else DASH
    return f"{pct(rate)} ({pct_interval(row.get(f'{stem}_ci_low'), row.get(f'{stem}_ci_high'))})"


def _therapy_table(rows: list[dict]) -> str:
    body = []
    for r in sorted(rows, key=lambda r: (-(r.get("courses") or 0), r["therapy"])):
        group = THERAPY[r["therapy"]].group if r["therapy"] in THERAPY else ""
        step = INTENSITY_NAMES.get(group, group)
        body.append([f'{esc(_therapy_name(r["therapy"]))}'
                     f'{f"<br><span class=def>{esc(step)}</span>" if step else ""}',
                     count_html(r.get("courses")),
                     f'{count_html(r.get("recovered"))} <span class="def">of '
                     f'{count_html(r.get("eligible"))}</span>',
                     esc(_rate(r, "recovery")), esc(_rate(r, "reliable_improvement"))])
    return html_table(body, ["Main therapy type", "Finished courses", "Recovered",
                             "Recovery, % (95% CI)", "Reliable improvement, % (95% CI)"],
                      caption="Outcomes by main therapy type (finished courses; recovery "
                              "over those at caseness)", numeric={1, 2, 3, 4})


# ------------------------------------------------------------------ 10. re-referral

WITHIN_12_MONTHS = ("rereferral.within_12_months", "rereferral.recovered_within_12_months")


def rereferral(doc: Doc) -> list[str]:
    within = doc.m("rereferral.within_12_months")
    measured = bool(within.get("denominator") or within.get("suppressed"))
    blocks = [paragraph(
        f"Does it last? Being referred again, especially after 'recovering', is the "
        f"revolving door. The 12-month figures count a referral only if at least 365 days "
        f"separate its end from the end of the data ({doc.data.get('data_end')}); the "
        f"others follow each referral to the client's previous and next referral.")]
    if not measured:
        blocks.append(empty(f"No referral ended at least 365 days before the end of the data "
                            f"({doc.data.get('data_end')}), so 12-month re-referral cannot "
                            "be measured yet."))
    shown = family_metrics("rereferral", skip=() if measured else WITHIN_12_MONTHS)
    blocks.append(metric_table(doc, shown, "Re-referrals"))
    return blocks


# ------------------------------------------------------------------ 11. value

def value(doc: Doc) -> list[str]:
    if not doc.supplied("costs"):
        return [empty("No costs table was supplied: cost per outcome is not computed.")]
    spend = doc.m("value.cost_per_referral").get("cost_gbp")
    return [
        paragraph(f"Spend in the period: {money(spend)} (cost rows pro rata by the days "
                  "they overlap the period). Each cost per outcome carries the interval of "
                  "the outcome rate it divides by."),
        metric_table(doc, family_metrics("value"), "Cost per outcome"),
    ]


# ------------------------------------------------------------------ 15. data quality

def data_quality(doc: Doc) -> list[str]:
    supplied = ", ".join(doc.data.get("tables_supplied") or []) or "none"
    blocks = [paragraph(f"The data passed every validation rule of the data model (an audit "
                        f"stops on any error). Tables supplied: {supplied}.")]
    blocks += not_computed(doc)
    warnings = doc.doc.get("warnings") or []
    if warnings:
        blocks.append(f"<h3>Warnings ({len(warnings)})</h3>" + bullet_list(warnings))
    else:
        blocks.append(paragraph("No validation warnings.", "empty"))
    return blocks


def not_computed(doc: Doc) -> list[str]:
    """What absent optional data left out of the audit, and why (report.json
    ``not_computed``), and which optional tables and columns were absent."""
    entries = doc.doc.get("not_computed") or []
    absent = doc.data.get("optional_absent") or {}
    if not entries and not absent:
        return [paragraph("Every optional table and column of the data model was supplied "
                          "with values.", "empty")]
    blocks = [f'<h3 id="not-computed">Not computed ({len(entries)})</h3>']
    if entries:
        blocks.append(bullet_list([sentence(e) for e in entries]))
    else:
        blocks.append(paragraph("Nothing: the optional data that is absent is not used by "
                                "this audit.", "empty"))
    if absent:
        blocks.append(paragraph("Optional data absent: " + "; ".join(
            f"{item} ({how})" for item, how in absent.items()) + "."))
    return blocks
