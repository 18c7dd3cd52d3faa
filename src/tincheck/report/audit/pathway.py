"""The report's section on the treatment pathway: the flow from referral to loss of
diagnosis, the dose against NICE's range, the first step, and who is never seen.

Built from the disclosure-controlled document only (the ``pathway`` family's metrics and
tables, and the NICE tables the audit applied, ``pathway.nice_dose`` and
``pathway.nice_steps``).
"""

from __future__ import annotations

from ...metrics.pathway import FLOW_NODES, FLOW_STAGES, NO_APPOINTMENT, NOT_RECORDED
from ..format import DASH, count_html, count_text, pct, pct_interval
from ..page import bullet_list, empty, esc, figure, html_table, paragraph
from . import charts
from .charts import Link, Split
from .document import Doc, family_metrics, metric_table

# the order of the flow's nodes, top to bottom, and their colours: care received in
# blues, courses finished and diagnoses lost in green, people lost on the way in red
FLOW_ORDER = ("referred", "low_first", "high_first", "unknown_first", "not_treated",
              "not_seen", "stayed_low", "stepped_up", "high", "unknown", "finished",
              "one_session", "recovered", "not_recovered", "no_outcome", "lost",
              "still_diagnosed", "not_interviewed")
FLOW_COLOURS = {
    "referred": charts.MUTED, "low_first": charts.SKY, "stayed_low": charts.SKY,
    "high_first": charts.BLUE, "high": charts.BLUE, "stepped_up": charts.PINK,
    "unknown_first": charts.MUTED, "unknown": charts.MUTED,
    "not_treated": charts.ORANGE, "not_seen": charts.VERMILLION,
    "finished": charts.GREEN, "one_session": charts.VERMILLION,
    "recovered": charts.GREEN, "not_recovered": charts.ORANGE, "no_outcome": charts.MUTED,
    "lost": charts.GREEN, "still_diagnosed": charts.VERMILLION,
    "not_interviewed": "#c8c8c8"}
STAGE_TITLES = ("Referred", "First step", "Step up", "Finish", "Recovery",
                "Loss of diagnosis")
DOSE_IDS = ("pathway.high_intensity", "pathway.low_intensity")
STEP_IDS = ("pathway.first_step", "pathway.stepped_up", "pathway.days_to_step_up")
ENGAGEMENT_IDS = ("pathway.not_seen", "pathway.no_appointment")
STEP_NAMES = {"high": "high intensity", "low": "low intensity"}
RULES = {"yes": "recommended", "conditional": "conditional", "no": "not a first step",
         NOT_RECORDED: "no rule"}
SEEN = {"yes": "yes", "via_reproduction": "yes (as reproduced)", "no": "no"}
MEDIA = {"telephone": "Telephone", "face_to_face": "Face to face", "video": "Video",
         "text": "Text", "other": "Other medium", NOT_RECORDED: "Medium not recorded",
         NO_APPOINTMENT: "No appointment offered"}
SOURCES = {"self": "Self-referral", "gp": "GP", "other": "Other source",
           NOT_RECORDED: "Source not recorded"}


def pathway(doc: Doc) -> list[str]:
    ended = doc.value("funnel.referrals_ended")
    flow = doc.table("pathway.flow")
    if not flow and not doc.m("funnel.referrals_ended").get("suppressed"):
        return [empty("No referral ended in the period, so there is no pathway to follow.")]
    blocks = [paragraph(
        "Where did everyone referred go, did those treated receive a dose NICE recommends "
        "for their problem, was the first step one NICE recommends, and who was never "
        "seen? Figures over referrals ended in the period"
        + (f" ({count_text(ended)})" if ended is not None else "") + "; NICE's figures "
        "are those the audit applied (tables below and docs/nice.md), each with the "
        "guideline and recommendation it comes from.")]
    missing = not_computed(doc)
    if missing:
        blocks.append("<h3>Not computed</h3>" + bullet_list(missing))
    blocks += _flow(doc, flow)
    blocks += _dose(doc)
    blocks += _steps(doc)
    blocks += _engagement(doc)
    other = [m for m in family_metrics("pathway")
             if not m.startswith((*DOSE_IDS, *STEP_IDS, *ENGAGEMENT_IDS))]
    if other:
        blocks.append(metric_table(doc, other, "Other pathway figures"))
    blocks.append(paragraph(
        "The revolving door (clients with two and three or more referrals, the days "
        "between one referral's end and the next, and whether a client back again had been "
        "recorded as recovered) is in the next section, 'Does it last?'."))
    return blocks


# What each absent optional item leaves out of this section, keyed by the data of an
# entry of report.json's ``not_computed`` (tincheck.metrics.needs, the one declaration)
PATHWAY_NEEDS = {
    ("referrals.problem_descriptor",): (
        "No referral has a problem descriptor: doses and first steps cannot be judged "
        "against NICE, and the pathway per problem is not shown"),
    ("referrals.source",): (
        "No referral records its source: never seen by source of referral is not "
        "computed"),
    ("appointments.medium",): (
        "No appointment records its medium: never seen by the medium of the first "
        "appointment (telephone first against face to face) is not computed"),
    ("appointments.intensity", "appointments.therapy_type"): (
        "No treatment contact records its step (intensity or therapy type): first steps, "
        "stepping up and doses are not computed"),
    ("interviews",): "No interviews table: loss of index diagnoses is not part of the "
                     "pathway",
}


def not_computed(doc: Doc) -> list[str]:
    """What absent optional data left out of the pathway, one sentence each, from the
    document's ``not_computed`` entries (the reason, as data quality gives it, in
    brackets)."""
    entries = {tuple(e.get("data") or ()): e for e in doc.doc.get("not_computed") or []}
    return [f"{words} ({entries[data]['why']})." for data, words in PATHWAY_NEEDS.items()
            if data in entries]


# ------------------------------------------------------------------ the flow

def _flow(doc: Doc, rows: list[dict]) -> list[str]:
    if not rows:
        return []
    stage_of = {name: i for i, name in enumerate(FLOW_STAGES)}
    links = [Link(stage_of[r["stage"]], r["source"], r["target"], r.get("referrals"))
             for r in rows]
    described = "; ".join(f"{FLOW_NODES.get(r['source'], r['source'])} to "
                          f"{FLOW_NODES.get(r['target'], r['target'])}: "
                          f"{count_text(r.get('referrals'))}" for r in rows)
    svg = charts.flow_chart(
        links, STAGE_TITLES, FLOW_NODES, FLOW_ORDER, FLOW_COLOURS,
        "The pathway: from referral to loss of diagnosis",
        f"A flow chart of referrals ended in the period through six stages (referred, "
        f"first step, step up, finish, recovery, loss of diagnosis), bands as wide as the "
        f"referrals they carry. {described}.")
    suppressed = any(r.get("referrals") is None for r in rows)
    caption = ("Bands are as wide as the referrals they carry (counts rounded to 5"
               + ("; bands under 5 are not drawn" if suppressed else "") + "). A node's "
               "count is the larger of what enters and what leaves it: never seen, seen but "
               "not treated and one session only end there. Loss of diagnosis is known only "
               "for finishers interviewed at baseline and at the end.")
    body = [[esc(FLOW_NODES.get(r["source"], r["source"])),
             esc(FLOW_NODES.get(r["target"], r["target"])), count_html(r.get("referrals"))]
            for r in rows]
    return ["<h3>The pathway at a glance</h3>", figure(svg, caption),
            html_table(body, ["From", "To", "Referrals"], caption="The flow in numbers",
                       numeric={2}),
            _strata_table(doc.table("pathway.by_stratum"))]


def _rate(row: dict, stem: str) -> str:
    """A table rate with its interval; '*' when suppressed, '–' when it has none."""
    if f"{stem}_rate" not in row:
        return DASH
    rate = row.get(f"{stem}_rate")
    if rate is None:
        return "*" if row.get("suppressed") else DASH
    return f"{pct(rate)} ({pct_interval(row.get(f'{stem}_ci_low'), row.get(f'{stem}_ci_high'))})"


def _strata_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    body, headers = [], []
    for r in rows:
        label = r.get("label") or r["stratum"]
        if r.get("kind") == "source":
            label = SOURCES.get(r["stratum"], label)
        body.append([esc(label) + f'<br><span class="def">{esc("by " + r["kind"])}</span>',
                     count_html(r.get("referrals")), esc(_rate(r, "not_seen")),
                     esc(_rate(r, "low_first")), esc(_rate(r, "stepped_up")),
                     esc(_rate(r, "finished")), esc(_rate(r, "recovery")),
                     esc(_rate(r, "lost_diagnosis"))])
        headers.append(r["kind"])
    return html_table(body, ["Stratum", "Referrals ended", "Never seen, %",
                             "Low intensity first, % of treated", "Stepped up, % of low first",
                             "Finished, %", "Recovered, % at caseness",
                             "Lost diagnoses, % interviewed"],
                      caption="The pathway per stratum (by NICE problem of the descriptor, "
                              "and by source of referral; 95% CI)",
                      numeric=set(range(1, 8)))


# ------------------------------------------------------------------ dose

def _range(row: dict) -> str:
    low, high = row.get("min_sessions"), row.get("max_sessions")
    if low is None and high is None:
        return "no NICE number of sessions"
    if low is not None and high is not None:
        return f"{low:g}" if low == high else f"{low:g}–{high:g}"
    return f"at least {low:g}" if high is None else f"up to {high:g}"


def _dose(doc: Doc) -> list[str]:
    blocks = ["<h3>Was the dose a NICE dose?</h3>", paragraph(
        "Finished courses (two or more treatment sessions) against the number of sessions "
        "NICE recommends for the problem descriptor and the course's main therapy: "
        "high-intensity courses on their high-intensity sessions (a course stepped up from "
        "low intensity included), low-intensity-only courses on theirs. A course without a "
        "descriptor, with one the NICE tables do not cover, or with a therapy NICE gives no "
        "number of sessions for cannot be judged; the first figure of each step says how "
        "many could be.")]
    ids = [m for m in family_metrics("pathway") if m.startswith(DOSE_IDS)]
    blocks.append(metric_table(doc, ids, "The dose"))
    rows = doc.table("pathway.dose_by_problem")
    applied = {r["id"]: r for r in doc.table("pathway.nice_dose")}
    judged = [r for r in rows if r.get("dose_id") != "no_range"]
    if judged:
        def share(r, band):
            value = r.get(f"{band}_rate")
            return "*" if value is None and r.get("suppressed") else pct(value)

        # NICE's figures are reference text, shown beside the chart (in the table), not
        # in it: a chart's text is read as the service's numbers
        bars = [Split(f"{r.get('label')}, {STEP_NAMES.get(r['intensity'], r['intensity'])}",
                      (r.get("below_rate"), r.get("within_rate"), r.get("above_rate")),
                      f"{count_text(r.get('courses'))} courses; below {share(r, 'below')}, "
                      f"within {share(r, 'within')}, above {share(r, 'above')}")
                for r in judged]
        svg = charts.split_chart(
            bars, "Sessions against NICE's recommended range",
            "Stacked bars of finished courses below, within and above NICE's range of "
            "sessions, per problem and step. " + "; ".join(f"{b.label}: {b.text}"
                                                            for b in bars) + ".")
        blocks.append(figure(svg, "Each bar is the finished courses NICE gives a number of "
                                  "sessions for; rates to whole percents, * suppressed."))
    if judged:
        blocks.append(_dose_table(judged, applied))
    unjudged = [r for r in rows if r.get("dose_id") == "no_range"]
    if unjudged:
        blocks.append(_sessions_table(unjudged))
    bands = doc.table("pathway.outcome_by_dose_band")
    if bands:
        blocks.append(paragraph(
            "Outcomes by dose band are an association, not the effect of the dose: dose is "
            "not assigned at random. People who recover early stop early, and people who do "
            "not improve drop out or are stepped up, so courses below the range mix both."))
        blocks.append(_band_table(bands))
    blocks.append(_nice_dose_list(doc.table("pathway.nice_dose"), doc))
    return blocks


def _reference(text: str) -> str:
    """NICE's figures and citations: reference text, marked like a definition (never a
    count of the service's people)."""
    return f'<span class="def">{esc(text)}</span>'


def _quartiles(r: dict) -> str:
    if r.get("median_sessions") is None:
        return "*" if r.get("suppressed") else DASH
    return f"{r['median_sessions']:g} ({r['q1_sessions']:g}–{r['q3_sessions']:g})"


def _problem_step(r: dict) -> str:
    return (f"{esc(r.get('label'))}<br><span class=def>"
            f"{esc(STEP_NAMES.get(r['intensity'], r['intensity']))}</span>")


def _dose_table(rows: list[dict], applied: dict) -> str:
    body = []
    for r in rows:
        source = applied.get(r.get("dose_id"))
        therapy = f", {source['therapy_codes'].replace('|', ', ')}" if source else ""
        nice = f"{_range(r)}" + (f" ({source['guideline']}{therapy})" if source else "")
        body.append([_problem_step(r), _reference(nice), count_html(r.get("courses")),
                     esc(_quartiles(r)), esc(_rate(r, "below")), esc(_rate(r, "within")),
                     esc(_rate(r, "above"))])
    return html_table(body, ["Problem and step", "NICE's sessions (guideline, therapy)",
                             "Finished courses", "Sessions, median (IQR)",
                             "Below, % (95% CI)", "Within, % (95% CI)", "Above, % (95% CI)"],
                      caption="Sessions against NICE's range, per problem",
                      numeric={2, 3, 4, 5, 6})


def _sessions_table(rows: list[dict]) -> str:
    body = [[_problem_step(r), count_html(r.get("courses")), esc(_quartiles(r))]
            for r in rows]
    return html_table(body, ["Problem and step", "Finished courses", "Sessions, median (IQR)"],
                      caption="Sessions where NICE gives no number of sessions the audit "
                              "could apply (no descriptor, a problem or therapy the table "
                              "does not cover)", numeric={1, 2})


BAND_LABELS = {"below": "below NICE's range", "within": "within", "above": "above",
               "no_range": "no NICE number of sessions"}


def _band_table(rows: list[dict]) -> str:
    body = [[esc(f"{STEP_NAMES.get(r['intensity'], r['intensity'])}, "
                 f"{BAND_LABELS.get(r['band'], r['band'])}"),
             count_html(r.get("courses")),
             f'{count_html(r.get("recovered"))} <span class="def">of '
             f'{count_html(r.get("eligible"))}</span>', esc(_rate(r, "recovery")),
             f'{count_html(r.get("lost_end"))} <span class="def">of '
             f'{count_html(r.get("end_assessed"))}</span>', esc(_rate(r, "lost_diagnosis"))]
            for r in rows]
    return html_table(body, ["Step and dose band", "Finished courses", "Recovered",
                             "Recovery, % (95% CI)", "Lost index diagnoses",
                             "Lost, % (95% CI)"],
                      caption="Recovery and loss of diagnosis by dose band (an association, "
                              "not an effect)", numeric={1, 2, 3, 4, 5})


def _nice_dose_list(rows: list[dict], doc: Doc) -> str:
    applied = [r for r in rows if r.get("applied")]
    others = len(rows) - len(applied)
    source = doc.settings.get("dose_table") or "tincheck"
    if not applied:
        return paragraph(f"The dose table ({source}) gives no number of sessions the audit "
                         "could apply.", "empty")
    items = [f"{r['problem'].replace('_', ' ')}, {r['intensity']} intensity, {r['therapy']}: "
             f"{r['range']} ({r['guideline']}, {r['recommendation']}; seen in NICE's text: "
             f"{SEEN.get(r['verified'], r['verified'])})" for r in applied]
    return (f"<p>NICE's numbers of sessions applied (dose table: {esc(source)}):</p><ul>"
            + "".join(f"<li>{_reference(item)}</li>" for item in items) + "</ul>" + paragraph(
                ("Its other rows were not applied: not seen in NICE's own text, "
                 "superseded, hours rather than sessions, or a therapy the data model does "
                 "not record. " if others else "") + "docs/nice.md lists every row of "
                "tincheck's table with its citation."))


# ------------------------------------------------------------------ first step

def _steps(doc: Doc) -> list[str]:
    blocks = ["<h3>Was the first step right?</h3>", paragraph(
        "The first treatment session's step against NICE's advice for the problem "
        "descriptor: low intensity first is counted as not recommended only where NICE "
        "sends the problem straight to a formal psychological therapy; where NICE makes it "
        "depend on impairment, severity or the person's preference (which routine data do "
        "not record) it is counted as conditional. High intensity first is never counted "
        "against a service.")]
    ids = [m for m in family_metrics("pathway") if m.startswith(STEP_IDS)]
    blocks.append(metric_table(doc, ids, "First step and stepping up"))
    rows = doc.table("pathway.first_step_by_problem")
    if rows:
        body = [[esc(r.get("label")), esc(RULES.get(r["rule"], r["rule"])),
                 count_html(r.get("entered")), esc(_rate(r, "low_first")),
                 esc(_rate(r, "not_recommended")), esc(_rate(r, "stepped_up")),
                 esc(DASH if r.get("median_step_up_days") is None
                     else f"{r['median_step_up_days']:g}")] for r in rows]
        blocks.append(html_table(body, ["Problem", "Low intensity as a first step",
                                        "Entered treatment", "Low intensity first, %",
                                        "Not recommended, % judged", "Stepped up, % of low first",
                                        "Median days to step up"],
                                 caption="First step and stepping up, per problem (95% CI)",
                                 numeric={2, 3, 4, 5, 6}))
    rules: dict[str, list[dict]] = {}
    for r in doc.table("pathway.nice_steps"):
        if r.get("use"):
            rules.setdefault(r["problem"], []).append(r)
    if rules:
        items = [f"{problem.replace('_', ' ')}: {RULES.get(rows[0]['low_intensity_first'])} ("
                 + "; ".join(f"{r['guideline']}, {r['recommendation']}, seen in NICE's text: "
                             f"{SEEN.get(r['verified'], r['verified'])}" for r in rows) + ")"
                 for problem, rows in rules.items()]
        blocks.append(f"<p>NICE's first-step advice applied (step table: "
                      f"{esc(doc.settings.get('step_table') or 'tincheck')}):</p><ul>"
                      + "".join(f"<li>{_reference(item)}</li>" for item in items) + "</ul>")
    return blocks


# ------------------------------------------------------------------ engagement

def _engagement(doc: Doc) -> list[str]:
    blocks = ["<h3>Who is never seen?</h3>", paragraph(
        "Referrals that ended without any attended contact, by how they came and by how "
        "the service first tried to see them (the first appointment offered, attended or "
        "not). Differences are associations: a service's choice of first medium may "
        "follow the same things that predict attendance.")]
    ids = [m for m in family_metrics("pathway") if m.startswith(ENGAGEMENT_IDS)]
    blocks.append(metric_table(doc, ids, "Never seen"))
    for table_id, names, caption in (
            ("pathway.not_seen_by_source", SOURCES, "Never seen, by source of referral"),
            ("pathway.not_seen_by_first_medium", MEDIA,
             "Never seen, by the medium of the first appointment offered")):
        rows = doc.table(table_id)
        if not rows:
            continue
        body = [[esc(names.get(r["group"], str(r["group"]))), count_html(r.get("referrals")),
                 count_html(r.get("not_seen")), esc(_rate(r, "not_seen"))] for r in rows]
        blocks.append(html_table(body, ["Group", "Referrals ended", "Never seen",
                                        "Never seen, % (95% CI)"], caption=caption,
                                 numeric={1, 2, 3}))
    return blocks
