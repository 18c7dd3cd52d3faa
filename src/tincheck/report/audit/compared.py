"""Report sections comparing services and therapists: funnel plots and the gap between
official and intention-to-treat recovery per service; therapist effects (ICC) beside
the routine-care reference; competence ratings against outcome, with what the data
can and cannot say.
"""

from __future__ import annotations

from ...metrics.citations import JOHNS_2019
from ...metrics.services import MEASURES
from ..format import (DASH, count_html, fixed, fixed_interval, missing, num, p_value, pct,
                      pct_interval)


def _count(value) -> str:
    """A count from the controlled document in a sentence ('fewer than 5' when
    suppressed)."""
    return "fewer than 5" if value is None else f"{value:,}"
from ..page import bullet_list, empty, esc, figure, html_table, paragraph
from .compared_charts import caterpillar_chart, funnel_chart
from .document import Doc

FLAGS = (("outside_exact_95", "95%"), ("outside_exact_998", "99.8%"),
         ("outside_re_95", "95% widened"), ("outside_re_998", "99.8% widened"))
TERM_LABELS = {"diagnosis_specific": "diagnosis-specific",
               "stage_specific": "stage-specific", "generic": "generic",
               "diagnosis_specific x stage_specific": "diagnosis-specific × stage-specific",
               "diagnosis_specific x generic": "diagnosis-specific × generic",
               "stage_specific x generic": "stage-specific × generic"}


def _rate(row: dict, stem: str = "rate") -> str:
    value = row.get(stem if stem == "rate" else f"{stem}_rate")
    if value is None:
        return "*" if row.get("suppressed") else DASH
    low = row.get("rate_ci_low" if stem == "rate" else f"{stem}_ci_low")
    high = row.get("rate_ci_high" if stem == "rate" else f"{stem}_ci_high")
    return f"{pct(value)} ({pct_interval(low, high)})" if low is not None else pct(value)


# ------------------------------------------------------------------ services

def services(doc: Doc) -> list[str]:
    compared = doc.m("services.compared")
    if (compared.get("value") or 0) < 2:
        return [empty(compared.get("note") or "Services are compared only when the data "
                      "hold two or more.")]
    spread = {r["measure"]: r for r in doc.table("services.overdispersion")}
    rows = doc.table("services.comparison")
    curves = doc.table("services.control_limits")
    blocks = [paragraph(
        f"The data hold {compared['value']} services. Each is set against the figure for "
        "all services together on three measures: official recovery, recovery among "
        "everyone referred as a case, and loss of index diagnoses (where interviewed). A "
        "funnel plot draws each service's rate against its denominator, with the limits "
        "within which 95% and 99.8% of services would fall if each performed at the "
        "all-service rate: exact binomial limits, and the same widened for the spread "
        "between services seen in the data (overdispersion; Spiegelhalter 2005). A "
        "service outside the widened 99.8% limits differs by more than the usual "
        "variation between services. Case mix is not adjusted for: a service outside "
        "the limits is a question to ask, not a verdict.")]
    for measure, (label, _, _) in MEASURES.items():
        these = [r for r in rows if r["measure"] == measure]
        blocks.append(f"<h3>{esc(label)}</h3>")
        if not these:
            blocks.append(empty(
                "Not compared: fewer than two services have anyone to count for this "
                "measure" + (" (nobody diagnosed at baseline by an independent interview "
                             "that counts)." if measure == "lost_diagnosis" else ".")))
            continue
        info = spread.get(measure, {})
        blocks.append(paragraph(_spread_text(info)))
        blocks.append(figure(funnel_chart(label, info.get("target"), these,
                                          [c for c in curves if c["measure"] == measure]),
                             "Dashed: 95% limits; solid: 99.8%. Blue: exact binomial; "
                             "orange: widened for overdispersion. A suppressed service "
                             "is not drawn."))
        blocks.append(_service_table(these, label))
    gap = doc.table("services.gap")
    if gap:
        blocks.append("<h3>The gap: official recovery minus recovery among cases</h3>")
        blocks.append(paragraph(
            "How far each service's official figure sits from what happened to everyone "
            "it took on as a case. The interval allows for the referrals counted in both "
            "rates. Rank 1 is the largest gap."))
        blocks.append(_gap_table(gap))
    return blocks


def _spread_text(info: dict) -> str:
    if not info:
        return ""
    phi, p = info.get("phi"), info.get("overdispersion_p")
    text = (f"All services: {pct(info.get('target'))} over {info.get('services')} services. ")
    if phi is None:
        return text + "With fewer than three services, overdispersion is not estimated."
    shown_p = p_value(p)
    shown_p = shown_p if shown_p.startswith("<") else f"= {shown_p}"
    return text + (f"Overdispersion φ = {fixed(phi)} (P {shown_p}); between-service "
                   f"variance τ² = {fixed(info.get('tau2'), 4)}. Outside the exact 99.8% "
                   f"limits: {info.get('outside_exact_998')}; outside the widened 99.8% "
                   f"limits: {info.get('outside_re_998')}.")


def _service_table(rows: list[dict], label: str) -> str:
    body = []
    for r in sorted(rows, key=lambda r: str(r["service_id"])):
        outside = [name for key, name in FLAGS if r.get(key)]
        flags = DASH if r.get("rate") is None else (", ".join(outside) or "inside all")
        body.append([esc(r["service_id"]),
                     f'{count_html(r.get("events"))} <span class="def">of '
                     f'{count_html(r.get("n"))}</span>',
                     esc(_rate(r)), esc(num(r.get("z"), 2) if r.get("z") is not None
                                        else DASH), esc(flags)])
    return html_table(body, ["Service", "Events", "Rate (95% CI)", "z", "Outside the limits"],
                      caption=f"{label}: each service against all services",
                      numeric={1, 2, 3})


def _gap_table(rows: list[dict]) -> str:
    body = []
    for r in sorted(rows, key=lambda r: (r.get("rank") or 10 ** 9, str(r["service_id"]))):
        gap = r.get("gap")
        text = "*" if gap is None and r.get("suppressed") else (
            f"{pct(gap)} ({pct_interval(r.get('gap_ci_low'), r.get('gap_ci_high'))})"
            if gap is not None else DASH)
        body.append([esc(r.get("rank") if r.get("rank") is not None else DASH),
                     esc(r["service_id"]), esc(_rate(r, "official")),
                     esc(_rate(r, "itt")), esc(text)])
    return html_table(body, ["Rank", "Service", "Official recovery (95% CI)",
                             "Recovery among cases (95% CI)",
                             "Gap, percentage points (95% CI)"],
                      caption="Official recovery minus recovery among everyone referred "
                              "as a case, largest first", numeric={0, 2, 3, 4})


# ------------------------------------------------------------------ therapists

def therapists(doc: Doc) -> list[str]:
    recovery = doc.m("therapists.icc_recovery")
    change = doc.m("therapists.icc_phq9_change")
    blocks = []
    if missing(recovery.get("value")) and missing(change.get("value")):
        blocks.append(empty(_withheld("Therapist effects are",
                                      recovery.get("note") or change.get("note"))))
    else:
        blocks += _effects(doc, recovery, change)
    blocks.append("<h3>Does competence matter?</h3>")
    blocks += competence(doc)
    return blocks


def _withheld(subject: str, note: str | None) -> str:
    """The one line for figures not computed: the model's own reason, or the absent
    data that withheld them ("not computed: no therapists file was supplied")."""
    prefix = "not computed: "
    if note and note.startswith(prefix):
        return f"{subject} not computed: {note[len(prefix):]}."
    return note or f"{subject} not computed."


def _icc_sentence(m: dict, what: str) -> str:
    if m.get("suppressed"):
        return f"The share of {what} between therapists is suppressed (fewer than 5 cases)."
    if missing(m.get("value")):
        return f"{what.capitalize()}: {m.get('note') or 'not computed'}."
    value, low, high = m["value"], m.get("ci_low"), m.get("ci_high")
    reference = m.get("reference", 0.05)
    if high is not None and high < reference:
        versus = f"below the {pct(reference)} typical of routine care"
    elif low is not None and low > reference:
        versus = f"above the {pct(reference)} typical of routine care"
    else:
        versus = f"consistent with the {pct(reference)} typical of routine care"
    return (f"{pct(value, 1)} of the variance in {what} lies between therapists (95% CI "
            f"{pct(low, 1)} to {pct(high, 1)}; {_count(m.get('therapists'))} therapists, "
            f"{_count(m.get('n'))} referrals, rounded to 5): {versus}.")


def _effects(doc: Doc, recovery: dict, change: dict) -> list[str]:
    shown, pooled = recovery.get("shown"), recovery.get("pooled")
    minimum = recovery.get("min_cases") or doc.settings.get("therapist_min_cases", 10)
    rows = doc.table("therapists.estimates")
    therapists_rows = [r for r in rows if not r.get("pooled")]
    blocks = [
        paragraph("Therapist effects: how much of the outcome depends on which therapist "
                  "a client sees, after allowing for how unwell clients were at the start "
                  "(first PHQ-9 and anxiety scores), their problem descriptor and their "
                  "service. Each referral that finished a course counts for the therapist "
                  "who gave most of its treatment sessions."),
        bullet_list([
            _icc_sentence(recovery, "recovery"),
            _icc_sentence(change, "PHQ-9 change"),
            f"Reference: routine-care studies put about 5% of outcome variance between "
            f"therapists ({JOHNS_2019}).",
            f"{_count(recovery.get('multiple_therapists'))} referrals (rounded to 5) had more than "
            "one treating therapist; each counts for the one who gave most sessions.",
        ]),
        paragraph(f"Recovery is modelled by a mixed logistic model (ICC on the latent scale, "
                  f"σ² / (σ² + π²/3)) and PHQ-9 change by a linear mixed model; intervals "
                  f"are profile-likelihood intervals. Therapists are shown under labels "
                  f"only (T01, T02, ... in the order of their estimate); "
                  f"therapists with at least {minimum} finished cases are shown "
                  f"({_count(shown)}); those with fewer are pooled and not shown "
                  f"({_count(pooled)}; counts rounded to 5)."),
    ]
    typical = recovery.get("typical")
    if any(r.get("recovery") is not None for r in therapists_rows):
        blocks.append(figure(caterpillar_chart(
            therapists_rows, "recovery", typical, percent=True,
            title="Therapists' recovery rates for an average case (shrunken)",
            ylabel="Recovery for an average case (%)"),
            "Each therapist's recovery rate for a client of average case mix, shrunk "
            "towards the average in proportion to how little their own cases say, with "
            "95% intervals. Where two therapists' intervals overlap, the data cannot tell "
            "them apart: a league table of these estimates would mostly rank noise."))
    if any(r.get("phq_change") is not None for r in therapists_rows):
        blocks.append(figure(caterpillar_chart(
            therapists_rows, "phq_change", change.get("typical"), percent=False,
            title="Therapists' PHQ-9 change for an average case (shrunken)",
            ylabel="PHQ-9 change, points")))
    if rows:
        blocks.append(_estimates_table(rows))
    return blocks


def _estimates_table(rows: list[dict]) -> str:
    body = []
    for r in rows:
        recovery = DASH if r.get("recovery") is None else (
            f"{pct(r['recovery'])} ({pct_interval(r.get('recovery_low'), r.get('recovery_high'))})")
        change = DASH if r.get("phq_change") is None else (
            f"{num(r['phq_change'], 1)} ({num(r.get('phq_change_low'), 1)} to "
            f"{num(r.get('phq_change_high'), 1)})")
        body.append([esc(r["therapist"]), count_html(r.get("cases")), esc(recovery),
                     esc(change)])
    table = html_table(body, ["Therapist", "Finished cases",
                              "Recovery, average case (95% CI)",
                              "PHQ-9 change, average case (95% CI)"],
                       caption="Each therapist's shrunken estimate (pseudonymous labels)",
                       numeric={1, 2, 3})
    return (f"<details><summary>Each therapist's estimate ({len(rows)} rows)</summary>"
            f"{table}</details>")


# ------------------------------------------------------------------ competence

def competence(doc: Doc) -> list[str]:
    rated = doc.m("therapists.competence_rated")
    rows = doc.table("therapists.competence")
    ratings = doc.table("therapists.competence_ratings")
    if not rows:
        return [empty(_withheld("Competence ratings against outcomes are",
                                rated.get("note")))]
    blocks = [paragraph(
        "The Competence Engine (Scott 2017) holds that diagnosis-specific, stage-specific "
        "and generic competences act together, so a null association between a single "
        "generic rating and outcome (Delgadillo et al. 2020) is what it predicts. Each rating "
        "is set against recovery (log-odds per rating point) and PHQ-9 change (points per "
        "rating point) alone, all three together, and with their interactions, case mix "
        "adjusted, with a random intercept per therapist.")]
    blocks.append(bullet_list(statements(rows, ratings)))
    if rated.get("note"):
        blocks.append(paragraph(rated["note"], "empty"))
    for outcome, title, unit in (("recovery", "Recovery", "log-odds per point"),
                                 ("phq9_change", "PHQ-9 change", "points per point")):
        these = [r for r in rows if r["outcome"] == outcome]
        if these:
            blocks.append(_model_table(these, f"{title}: {unit} of rating (95% CI)"))
    if ratings:
        blocks.append(_ratings_table(ratings))
    return blocks


def statements(rows: list[dict], ratings: list[dict]) -> list[str]:
    """The plain-English reading: what the data say, and what they cannot."""
    out = []
    full = [r for r in rows if r["outcome"] == "recovery"
            and r["model"] == "all three with interactions"]
    key = next((r for r in full if r["term"] == "diagnosis_specific x stage_specific"), None)
    if key is not None and key.get("estimate") is not None and (
            key.get("ci_low") is None or key.get("ci_high") is None):
        # the model ran but its standard errors could not be estimated (NaN, null in
        # report.json): too few therapists, or ratings with too little spread
        out.append(
            f"The diagnosis-specific × stage-specific interaction on recovery is "
            f"{fixed(key['estimate'], 3)} log-odds per point², but its interval could not "
            "be estimated (too few therapists or too little spread in their ratings): the "
            "data cannot say whether the two competences act together.")
    elif key is not None and key.get("estimate") is not None:
        found = key["ci_low"] > 0 or key["ci_high"] < 0
        out.append(
            f"The diagnosis-specific × stage-specific interaction on recovery is "
            f"{fixed(key['estimate'], 3)} log-odds per point² (95% CI "
            f"{fixed_interval(key['ci_low'], key['ci_high'], 3)}): "
            + ("the data show that the two competences act together."
               if found else "the data do not show the two competences acting together; "
               "that is not evidence that they do not."))
    singles = [r for r in rows if r["outcome"] == "recovery" and r["model"].endswith("alone")]
    found = [TERM_LABELS.get(r["term"], r["term"]) for r in singles
             if r.get("ci_low") is not None and (r["ci_low"] > 0 or r["ci_high"] < 0)]
    out.append("Alone, " + (", ".join(found) + " competence is associated with recovery."
                            if found else "no rating is associated with recovery beyond "
                            "chance."))
    if key is not None and key.get("detectable") is not None:
        out.append(
            f"Power: with {_count(key.get('therapists'))} therapists (rounded to 5) the smallest "
            f"interaction the data could detect with 80% power is about "
            f"{fixed(key['detectable'], 2)} log-odds per point²; smaller effects, which "
            "may still matter, would go unseen.")
    narrow = [r for r in ratings if r.get("scale_share") is not None]
    if narrow:
        spans = "; ".join(f"{r['rating'].replace('_', '-')} {fixed(r.get('p10'), 1)} to "
                          f"{fixed(r.get('p90'), 1)}" for r in narrow)
        out.append(
            f"Range restriction: 80% of ratings lie within {spans} on the 0-6 scale. "
            "Ratings bunched in a narrow band cannot show what happens to clients of "
            "therapists rated much lower or higher, and they understate any association.")
    out.append("These are associations in routine data: clients were not allocated to "
               "therapists at random, and ratings may come from another time than the "
               "treatment; they cannot show that raising competence would change outcomes.")
    return out


def _model_table(rows: list[dict], caption: str) -> str:
    body = []
    for r in rows:
        estimate = DASH if r.get("estimate") is None else (
            f"{fixed(r['estimate'], 3)} ({fixed_interval(r.get('ci_low'), r.get('ci_high'), 3)})")
        body.append([esc(r["model"].replace("_", "-")),
                     esc(TERM_LABELS.get(r["term"], r["term"])), esc(estimate),
                     esc(p_value(r.get("p_value"))), esc(fixed(r.get("detectable"), 3))])
    return html_table(body, ["Model", "Term", "Estimate (95% CI)", "P",
                             "Detectable with 80% power"], caption=caption,
                      numeric={2, 3, 4})


def _ratings_table(rows: list[dict]) -> str:
    body = [[esc(r["rating"].replace("_", "-")), count_html(r.get("therapists")),
             esc(fixed(r.get("mean"))), esc(fixed(r.get("sd"))),
             esc(f"{fixed(r.get('p10'), 1)} to {fixed(r.get('p90'), 1)}"),
             esc(pct(r.get("scale_share")))] for r in rows]
    return html_table(body, ["Rating", "Therapists rated", "Mean", "SD",
                             "10th to 90th percentile", "Share of the 0-6 scale"],
                      caption="The spread of the competence ratings (range restriction)",
                      numeric={1, 2, 3, 5})
