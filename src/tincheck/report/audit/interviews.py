"""Report sections built on independent diagnostic interviews: loss of diagnosis,
agreement of questionnaire recovery with it, and the independence and
representativeness of the interviews themselves.
"""

from __future__ import annotations

import math

from ...metrics import balance
from ...notices import ANY_ASSESSOR_WARNING
from ..format import (DASH, count_html, count_text, missing, num, num_interval, pct,
                      pct_interval)
from ..page import banner, empty, esc, figure, html_table, paragraph
from . import charts
from .charts import Row
from .document import Doc, family_metrics, metric_table
from .outcomes import (DISORDER_LABELS, NO_INTERVIEWS, SCOTT_2018, _say, has_interviews,
                       narrow_figure)


# ------------------------------------------------------------------ 5. diagnostic

# the main table's order; any other diagnostic metric follows these, a "_strict" one
# goes to the strict table, and the eligible share to section 11
DIAGNOSTIC = ("diagnostic.baseline_interviewed", "diagnostic.baseline_diagnosed",
              "diagnostic.lost_index_end_itt", "diagnostic.lost_index_end_observed",
              "diagnostic.diagnosis_free_end_observed", "diagnostic.lost_index_follow_up_itt",
              "diagnostic.lost_index_follow_up_observed", "diagnostic.durable_loss_itt",
              "diagnostic.back_to_usual_self_end")
INDEPENDENCE = ("diagnostic.eligible_interview_share",)
UNBLINDED_SHARE = "diagnostic.unblinded_share"


def _strict() -> list[str]:
    return [i for i in family_metrics("diagnostic") if i.endswith("_strict")]


def _blinding_figures() -> list[str]:
    """The share unblinded, then each figure beside its variant without the interviews
    in which the assessor became unblinded (``..._blinded``)."""
    pairs = [(i.removesuffix("_blinded"), i) for i in family_metrics("diagnostic")
             if i.endswith("_blinded")]
    return [UNBLINDED_SHARE, *(i for pair in pairs for i in pair)]


def diagnostic(doc: Doc) -> list[str]:
    if not has_interviews(doc):
        return [empty(NO_INTERVIEWS)]
    diagnosed = doc.m("diagnostic.baseline_diagnosed")
    if not diagnosed.get("value") and not diagnosed.get("suppressed"):
        return [empty("No referral had an eligible baseline interview with a disorder "
                      "present, so loss of diagnosis cannot be assessed.")]
    blocks = []
    if doc.settings.get("assessors") == "any":
        blocks.append(banner(ANY_ASSESSOR_WARNING, alert=True))
    blocks += [
        paragraph("The minimum test that someone is back to their usual self is that they "
                  "no longer have the disorder, judged by a standardised diagnostic "
                  "interview by an assessor independent of the service and blind to the "
                  "treatment received. B is everyone diagnosed at an eligible baseline "
                  "interview; 'lost' means none of the disorders present at baseline is "
                  "present (subthreshold counts as lost; the strict variant below needs "
                  "absent). ITT figures count people without a later interview as not "
                  "having lost their diagnoses."),
        metric_table(doc, family_metrics("diagnostic", first=DIAGNOSTIC,
                                         skip=_strict() + list(INDEPENDENCE) + [
                                             i for i in _blinding_figures()
                                             if i.endswith("_blinded") or
                                             i == UNBLINDED_SHARE]),
                     "Loss of diagnosis, durability and back to usual self"),
    ]
    rows_by_disorder = doc.table("diagnostic.by_disorder")
    if any(r.get("lost_end_rate") is not None or r.get("lost_follow_up_rate") is not None
           for r in rows_by_disorder):
        blocks.append(figure(*_by_disorder_chart(rows_by_disorder)))
    elif rows_by_disorder:
        blocks.append(paragraph("No chart by disorder: every disorder's group is under 5 "
                                "people or has under 5 who lost it, so all are suppressed.",
                                "empty"))
    if rows_by_disorder:
        blocks.append(_by_disorder_table(rows_by_disorder))
    blocks.append(metric_table(doc, _strict(), "Strict variant: only 'absent' counts as lost"))
    blocks += _blinding(doc)
    return blocks


def _blinding(doc: Doc) -> list[str]:
    """The share of interviews in which blinding broke, and the headline figures with
    and without those interviews."""
    if "interviews.unblinded" in (doc.data.get("optional_absent") or {}):
        return [paragraph("The interviews do not record whether the assessor became "
                          "unblinded (column unblinded), so the figures cannot be shown "
                          "without such interviews.", "empty")]
    return [paragraph("An assessor kept blind may still learn the treatment in the "
                      "interview (the client names the therapy). Such interviews count "
                      "above; here the headline figures are set beside the same figures "
                      "without them."),
            metric_table(doc, _blinding_figures(), "With and without interviews in which the "
                                        "assessor became unblinded")]


def _disorder(code) -> str:
    return DISORDER_LABELS.get(code, str(code).replace("_", " "))


def _table_rate_text(row: dict, stem: str) -> str:
    rate = row.get(f"{stem}_rate")
    if rate is None:
        return "* suppressed" if row.get("suppressed") else DASH
    return f"{pct(rate)} ({pct_interval(row.get(f'{stem}_ci_low'), row.get(f'{stem}_ci_high'))})"


def _by_disorder_rows(rows: list[dict]) -> list[dict]:
    """Disorders by number of people, largest first (suppressed groups last)."""
    return sorted(rows, key=lambda r: (-(r.get("n") or 0), str(r["disorder"])))


def _by_disorder_chart(rows: list[dict]) -> tuple[str, str]:
    chart_rows = []
    for row in _by_disorder_rows(rows):
        n = row.get("n")
        label = f"{_disorder(row['disorder'])} ({'*' if n is None else f'{n:,}'})"
        for stem, name, series in (("lost_end", "end", "end"),
                                   ("lost_follow_up", "follow-up", "follow_up")):
            rate, low, high = (row.get(f"{stem}{k}") for k in ("_rate", "_ci_low", "_ci_high"))
            text = "*" if rate is None else (
                f"{pct(rate)} ({100 * low:.0f}–{pct(high)})" if low is not None else pct(rate))
            chart_rows.append(Row(label, rate, low, high, f"{name} {text}", series,
                                  same_line=stem == "lost_follow_up"))
    described = "; ".join(f"{_disorder(r['disorder'])}: lost at end "
                          f"{_table_rate_text(r, 'lost_end')}, at follow-up "
                          f"{_table_rate_text(r, 'lost_follow_up')}"
                          for r in _by_disorder_rows(rows))
    highs = [r.high for r in chart_rows if not missing(r.high)]
    top = min(1.0, math.ceil((max(highs + [SCOTT_2018]) + 0.05) * 10) / 10)
    svg = charts.interval_chart(
        chart_rows, "Loss of each disorder present at baseline",
        f"Percentages with 95% intervals, ITT over everyone with the disorder at baseline. "
        f"{described}. Dashed line: 9.2% in Scott (2018).",
        xlabel="no longer present, per cent with 95% interval",
        references=((SCOTT_2018, "Scott 2018: 9.2%"),), width=8.2, xlim=(0.0, top))
    return svg, ("For each disorder present at baseline (people in brackets), the share in "
                 "whom it was no longer present at the end (vermillion circles) and at "
                 "follow-up (pink triangles); no interview counts as not lost. Groups under 5 "
                 "people are suppressed.")


def _by_disorder_table(rows: list[dict]) -> str:
    body = [[esc(_disorder(r["disorder"])), count_html(r.get("n")),
             f'{count_html(r.get("lost_end"))} <span class="def">of '
             f'{count_html(r.get("end_interviewed"))} interviewed</span>',
             esc(_table_rate_text(r, "lost_end")),
             f'{count_html(r.get("lost_follow_up"))} <span class="def">of '
             f'{count_html(r.get("follow_up_interviewed"))} interviewed</span>',
             esc(_table_rate_text(r, "lost_follow_up"))]
            for r in _by_disorder_rows(rows)]
    return html_table(body, ["Disorder at baseline", "People", "Lost at end",
                             "% of people (95% CI)", "Lost at follow-up",
                             "% of people (95% CI)"],
                      caption="Loss of each disorder (ITT: % of everyone who had it)",
                      numeric={1, 2, 3, 4, 5})


# ------------------------------------------------------------------ 6. agreement

KAPPA_BANDS = ((0.0, "poor (less than chance)"), (0.2, "slight"), (0.4, "fair"),
               (0.6, "moderate"), (0.8, "substantial"), (1.01, "almost perfect"))


def kappa_band(kappa: float) -> str:
    """Landis & Koch (1977) descriptive band for a kappa value."""
    if kappa < 0:
        return KAPPA_BANDS[0][1]
    for upper, name in KAPPA_BANDS[1:]:
        if kappa <= upper:
            return name
    return KAPPA_BANDS[-1][1]


def agreement(doc: Doc) -> list[str]:
    if not has_interviews(doc):
        return [empty(NO_INTERVIEWS)]
    n = doc.m("agreement.n")
    if not n.get("value") and not n.get("suppressed"):
        return [empty("No referral had both an official outcome and an eligible end "
                      "interview, so questionnaire recovery cannot be compared with loss of "
                      "diagnosis.")]
    kappa = doc.m("agreement.kappa")
    cells = kappa.get("cells") or {}
    still = doc.m("agreement.recovered_but_still_diagnosed")
    described = ", ".join(f"{k.replace('_', ' ')} {count_text(v)}" for k, v in cells.items())
    blocks = [paragraph(
        "Does questionnaire 'recovery' mean the disorder has gone? Over people with both an "
        "official outcome and an independent end interview, official recovery is set "
        "against loss of the index diagnoses.")]
    if cells:
        blocks.append(narrow_figure(
            charts.agreement_heatmap(
                cells, "Official recovery against loss of diagnosis (2 × 2)",
                f"A 2 by 2 table of counts: {described}. Kappa {_say(kappa)}. Officially "
                f"recovered but still diagnosed: {_say(still)}."),
            "Outlined cells are where the questionnaires and the interview agree. Counts are "
            "rounded to the nearest 5; * marks a count under 5."))
    if not kappa.get("suppressed") and not missing(kappa.get("value")):
        blocks.append(paragraph(
            f"Cohen's κ = {num(kappa['value'])} (95% CI "
            f"{num_interval(kappa.get('ci_low'), kappa.get('ci_high'))}): "
            f"{kappa_band(kappa['value'])} agreement beyond chance on the bands of Landis & "
            f"Koch (1977). Officially recovered but still diagnosed: {_say(still)}."))
    blocks.append(metric_table(doc, family_metrics("agreement",
                                                   first=("agreement.n", "agreement.kappa")),
                               "Agreement"))
    return blocks


# ------------------------------------------------------------------ 11. independence

def independence(doc: Doc) -> list[str]:
    if not has_interviews(doc):
        return [empty(NO_INTERVIEWS)]
    rule = ("every interview, whoever the assessor (--assessors any)"
            if doc.settings.get("assessors") == "any" else
            "only interviews by an assessor who is both independent of the service (not "
            "employed, paid by or otherwise tied to it) and blind to the treatment received "
            "and the service's outcome scores")
    blocks = [
        paragraph(f"Which evidence counts: {rule}. A treatment counts as evidence-supported "
                  "only with real-world studies by researchers without allegiance to it "
                  "(Tolin et al. 2015)."),
        metric_table(doc, INDEPENDENCE, "Eligible interviews"),
    ]
    eligibility = doc.table("diagnostic.interview_eligibility")
    if eligibility:
        blocks.append(html_table(
            [[esc(r["interviews"]), count_html(r.get("n"))] for r in eligibility],
            ["Interviews", "Number"], caption="Which interviews count, and why others do not",
            numeric={1}))
    blocks += _inter_rater(doc)
    smd = doc.table("diagnostic.representativeness")
    if smd:
        names = {**balance.LABELS, "treatment_contacts": "treatment sessions",
                 "finished_course": "finished a course (share)"}
        rows = [(names.get(r["variable"], r["variable"]), r.get("smd"), r.get("flag"))
                for r in smd]
        flagged = [n for n, _, f in rows if f]
        described = "; ".join(f"{n}: {'*' if s is None else f'{s:+.2f}'}" for n, s, _ in rows)
        blocks.append(figure(
            charts.smd_chart(rows, "Is the interviewed sample like everyone referred?",
                             f"Standardised mean differences, interviewed at baseline minus "
                             f"all ended referrals. {described}. Flagged when over 0.1 in "
                             f"absolute value: {', '.join(flagged) or 'none'}."),
            "Points outside the shaded band (|SMD| > 0.1, Austin 2009) mark characteristics "
            "on which the interviewed people differ from everyone referred; interview "
            "results may then not generalise."))
        blocks.append(html_table(
            [[esc(names.get(r["variable"], r["variable"])), esc(num(r.get("interviewed_mean"))),
              count_html(r.get("interviewed_n")), esc(num(r.get("all_mean"))),
              count_html(r.get("all_n")),
              esc("*" if r.get("smd") is None else f"{r['smd']:+.2f}"),
              esc({True: "yes", False: "no"}.get(r.get("flag"), DASH))] for r in smd],
            ["Characteristic", "Mean, interviewed", "n", "Mean, all ended referrals", "n",
             "SMD", "|SMD| > 0.1"], caption="Representativeness of the interviewed sample",
            numeric={1, 2, 3, 4, 5}))
    return blocks


def _inter_rater(doc: Doc) -> list[str]:
    """Agreement between two assessors rating the same interview, per disorder."""
    rows = doc.table("agreement.inter_rater")
    if not rows:
        recorded = "interviews.second_rating" not in (doc.data.get("optional_absent") or {})
        return [paragraph("No second rating could be paired with the interview it rates, "
                          "so agreement between assessors is not reported." if recorded else
                          "No interview has a second, independent rating (column "
                          "second_rating), so agreement between assessors is not "
                          "reported.", "empty")]
    body = []
    for r in sorted(rows, key=lambda r: (-(r.get("n") or 0), str(r["disorder"]))):
        kappa = r.get("kappa")
        if kappa is None:
            text = "* suppressed" if r.get("suppressed") else "undefined (one category)"
        else:
            interval = num_interval(r.get("kappa_ci_low"), r.get("kappa_ci_high"))
            text = f"{num(kappa)} ({interval}), {kappa_band(kappa)}"
        agreement = r.get("agreement_rate")
        body.append([esc(_disorder(r["disorder"])), count_html(r.get("n")),
                     esc(DASH if agreement is None else pct(agreement)), esc(text)])
    return [paragraph("Reliability: a share of interviews was rated a second time by another "
                      "assessor (from the recording, or sitting in) without seeing the first "
                      "rating. Cohen's κ per disorder over present, subthreshold and absent, "
                      "with 95% intervals; second ratings never count towards an outcome."),
            html_table(body, ["Disorder", "Pairs", "Same rating", "κ (95% CI), Landis & Koch"],
                       caption="Agreement between two assessors of the same interview",
                       numeric={1, 2})]
