"""The study protocol page (``study/protocol.html``): one self-contained page.

Rendered from the disclosure-controlled document of a drawn study
(:meth:`tincheck.study.StudySample.to_document`): it runs no query and reads no
file. Like the audit report it has inline CSS, an inline SVG chart, no script and
nothing fetched, print CSS (a section per page), and every count marked up as
``<data class="count">`` so one test can guard disclosure control for the page.
"""

from __future__ import annotations

from .. import __version__, disclosure
from .audit import charts
from .format import DASH, count_html, num, pct
from .page import (Page, banner, cards, definition_list, empty, esc, figure, html_table,
                   paragraph)

LEDE = ("A plan for an independent outcome study: the question, how many clients to "
        "interview and why, a reproducible stratified sample of the service's own "
        "referrals, and when to interview them, by assessors independent of the "
        "service and blind to the treatment.")
DESIGN_NAMES = {"precision": "Precision of one proportion (Wilson interval)",
                "mcnemar": "Paired comparison in the same clients (McNemar, Connor 1987)",
                "benchmark": "The service against a benchmark (exact binomial test)",
                "two-proportions": "Two services or periods (two proportions, Cohen's h)"}
INPUT_NAMES = {"p": "anticipated share (p)", "half_width": "largest half-width (d)",
               "confidence": "confidence level",
               "p10": "recovered by questionnaire but still diagnosed (p10)",
               "p01": "lost the diagnosis but not recovered (p01)",
               "p0": "benchmark share (p0)", "p1": "anticipated share (p1)",
               "p2": "anticipated share, second group (p2)", "alpha": "significance level (α)",
               "power": "power (1 − β)", "alternative": "test", "ratio": "n2 / n1"}
TIMEPOINT_NAMES = {"baseline": "Baseline", "end": "End of treatment",
                   "follow_up": "Follow-up"}
REFERENCES = [
    "Connor RJ (1987) Sample size for testing differences in proportions for the "
    "paired-sample design. Biometrics 43:207-211.",
    "Wilson EB (1927) Probable inference, the law of succession, and statistical "
    "inference. J Am Stat Assoc 22:209-212.",
    "Chernick MR, Liu CY (2002) The saw-toothed behavior of power versus sample size and "
    "software solutions: single binomial proportion using exact methods. Am Stat "
    "56:149-155.",
    "Cohen J (1988) Statistical power analysis for the behavioral sciences, 2nd ed. "
    "Erlbaum.",
    "Kish L (1965) Survey sampling. Wiley.",
    "Austin PC (2009) Balance diagnostics for comparing the distribution of baseline "
    "covariates between treatment groups in propensity-score matched samples. Stat Med "
    "28:3083-3107.",
    "Scott MJ (2018) Improving access to psychological therapies (IAPT): the need for "
    "radical reform. J Health Psychol 23:1136-1147.",
    "Tolin DF et al. (2015) Empirically supported treatment: recommendations for a new "
    "model. Clin Psychol Sci Pract 22:317-338.",
]


def _eligibility(instrument: str) -> list[str]:
    return [
        f"Each interview is a standardised semi-structured diagnostic interview, named in "
        f"its record; this study plans the {instrument}. Only the rule-level result "
        "(present, subthreshold, absent per disorder) is recorded, never the wording of "
        "the interview.",
        "An interview counts only when its assessor is independent of the service (not "
        "employed by, paid by or otherwise tied to it) and blind to the treatment received "
        "and to the service's outcome scores; the audit reports how many interviews were "
        "excluded and why. Assessors see study ids only (S0001, ...), never the referral "
        "id, the stratum or any treatment or score data.",
        "Ratings made retrospectively (lifetime or past-episode versions of an interview) "
        "are flagged in the record and counted apart in the audit.",
        "The disorders present at the baseline interview are the client's index "
        "diagnoses. A client has lost them at end or follow-up when none is present "
        "(subthreshold counts as lost; the audit also reports the strict variant, absent "
        "only).",
        "Intention to treat: a missing end or follow-up interview counts as not lost; the "
        "audit also gives the share among those interviewed.",
        "Clients who decline are replaced by the next reserve of their stratum, in the "
        "order of the reserve list, and the replacement is recorded.",
        "The audit repeats the representativeness table of section 4, on the same "
        "characteristics, for the clients actually interviewed at baseline against all "
        "ended referrals.",
    ]


def _cell(value) -> str:
    return esc(DASH if value is None else value)


def _question(doc: dict) -> list[str]:
    settings, plan = doc["settings"], doc.get("plan")
    question = settings.get("question") or (plan or {}).get("question")
    blocks = [paragraph(question, "summary") if question else
              empty("No question was given (tincheck study sample --question, or a "
                    "--design).")]
    blocks.append(paragraph(
        "The outcome is loss of diagnostic status: whether the disorders a client had "
        "when referred are still present at the end of treatment and at follow-up, "
        "judged by a standardised diagnostic interview, the minimum test that someone is "
        "back to their usual self (Scott 2018). The service's own questionnaire "
        "'recovery' is compared with it in the same clients."))
    return blocks


def _sample_size(doc: dict) -> list[str]:
    plan, n = doc.get("plan"), doc.get("n")
    if not plan:
        return [empty("No sample-size calculation was given: the sample size was set "
                      "directly (--n or an allocation file). Add e.g. --design mcnemar "
                      "--p10 0.15 --p01 0.05 to state the calculation here."),
                cards([("Referrals sampled", _count_text(n), "")])]
    per = " per group" if plan["design"] == "two-proportions" else ""
    blocks = [paragraph(f"Design: {DESIGN_NAMES.get(plan['design'], plan['design'])}.")]
    blocks.append(definition_list([(INPUT_NAMES.get(k, k), f"{v:g}" if isinstance(v, float)
                                    else str(v)) for k, v in plan["inputs"].items()]))
    blocks.append(f'<p>Formula: <code>{esc(plan["formula"])}</code></p>')
    blocks.append(f'<p>Inflation for clients lost before their interview and for '
                  f'clustering within therapists: <code>{esc(plan["inflation"])}</code></p>')
    for note in plan.get("notes") or []:
        blocks.append(paragraph(note, "note"))
    blocks.append(paragraph(f"References: {plan['reference']}; Kish L (1965) Survey "
                            "sampling, §5.4 (design effect).", "note"))
    # sample sizes are chosen or computed, not counted in the data: plain numbers
    blocks.append(cards([(f"Needed by the design{per}", f"{plan['n']:,}", ""),
                         (f"To recruit{per}, after inflation", f"{plan['n_recruit']:,}", ""),
                         ("Referrals sampled", _count_text(n), "")]))
    if n is not None and n < plan["n_recruit"]:
        blocks.append(banner(f"The sample drawn is smaller than the {plan['n_recruit']:,} "
                             "the calculation asks for: the study will fall short of its "
                             "stated power or precision.", alert=True))
    return blocks


def _count_text(n) -> str:
    return "*" if n is None else f"{n:,}"


def _frame(doc: dict) -> list[str]:
    settings, data = doc["settings"], doc["data"]
    window = settings.get("received")
    received = data.get("received") or {}
    blocks = [paragraph(
        ("The frame is every referral received " + (f"in {window}" if window else
         f"in the data ({received.get('first') or '?'} to {received.get('last') or '?'})")
         + ", read and validated as the audit reads it.")),
        f'<p>Referrals in the frame: {count_html(doc.get("frame_n"))}; sampled: '
        f'{esc(_count_text(doc.get("n")))}; reserves: {count_html(doc.get("reserve_n"))}.</p>']
    names = settings.get("strata") or []
    blocks.append(paragraph(
        (f"Strata: {', '.join(names)}. " if names else "No strata: one simple random "
         "sample. ") + f"Allocation: {settings.get('allocation')}. "
        "Proportional allocation gives each stratum n × its share of the frame, rounded by "
        "the largest-remainder rule so the counts add up to n exactly. Within each stratum "
        "a seeded random order picks the sample, then the reserves, ranked in the order in "
        f"which they replace people who decline (reserves per sampled referral: "
        f"{settings.get('reserve_ratio'):g})."))
    rows = [[esc(s["stratum"]), count_html(s["frame_n"]), count_html(s["sample_n"]),
             count_html(s["reserve_n"]),
             esc(pct(s.get("sampling_fraction")) if s.get("sampling_fraction") is not None
                 else ("*" if doc["settings"]["disclosure_control"] else DASH))]
            for s in doc["strata"]]
    blocks.append(html_table(rows, ["Stratum", "In the frame", "Sampled", "Reserves",
                                    "Sampling fraction"],
                             caption="Strata: frame sizes and allocation",
                             numeric={1, 2, 3, 4}))
    return blocks


def _representativeness(doc: dict) -> list[str]:
    table = doc.get("representativeness") or []
    if not table:
        return [empty("No characteristics to compare.")]
    rows = [(r["label"], r.get("smd"), r.get("flag")) for r in table]
    flagged = [label for label, _, f in rows if f]
    described = "; ".join(f"{label}: {'*' if s is None else f'{s:+.2f}'}"
                          for label, s, _ in rows)
    blocks = [paragraph(
        "Before anyone is interviewed: is the sample like the referrals it was drawn from? "
        "Standardised mean differences (Austin 2009), sample minus frame; a share per "
        "level of a category, over the referrals where it is recorded. Characteristics "
        "not yet known when the sample is drawn (a first treatment step, a first score) "
        "are compared over the referrals that have them."),
        figure(charts.smd_chart(rows, "Is the sample like its frame?",
                                f"Standardised mean differences, sample minus frame. "
                                f"{described}. Flagged when over 0.1 in absolute value: "
                                f"{', '.join(flagged) or 'none'}.",
                                compared="sample − frame"),
               "Points outside the shaded band (|SMD| > 0.1) mark characteristics on "
               "which the sample differs from its frame.")]
    blocks.append(html_table(
        [[esc(r["label"]), esc(num(r.get("sample_mean"))), count_html(r.get("sample_n")),
          esc(num(r.get("frame_mean"))), count_html(r.get("frame_n")),
          esc("*" if r.get("smd") is None else f"{r['smd']:+.2f}"),
          esc({True: "yes", False: "no"}.get(r.get("flag"), DASH))] for r in table],
        ["Characteristic", "Mean, sample", "n", "Mean, frame", "n", "SMD", "|SMD| > 0.1"],
        caption="Representativeness of the sample", numeric={1, 2, 3, 4, 5}))
    return blocks


def _schedule(doc: dict) -> list[str]:
    rules = doc["settings"]["schedule"]
    follow = ", ".join(str(m) for m in rules["follow_up_months"])
    blocks = [html_table(
        [[esc("Baseline"), esc("referral received"),
          esc(f"from the received date for {rules['baseline_days']} days, ending the day "
              "before the first treatment contact when that comes sooner")],
         [esc("End of treatment"), esc("referral ended"),
          esc(f"within {rules['end_weeks']} weeks of the referral ending")],
         [esc("Follow-up"), esc("referral ended"),
          esc(f"{follow} months after the referral ended, ± {rules['follow_up_weeks']} "
              "weeks")]],
        ["Time point", "Anchor", "Window"], caption="Interview windows")]
    rows = []
    for s in doc.get("schedule") or []:
        name = TIMEPOINT_NAMES.get(s["timepoint"], s["timepoint"])
        if s.get("months_after_end"):
            name += f" ({s['months_after_end']} months)"
        rows.append([esc(name), count_html(s.get("known")), count_html(s.get("not_yet_known")),
                     _cell(s.get("first_start")), _cell(s.get("last_end"))])
    blocks.append(html_table(rows, ["Time point", "Window known", "Anchor not yet known",
                                    "First window opens", "Last window closes"],
                             caption="Windows of the sampled referrals (schedule.csv)",
                             numeric={1, 2}))
    timing = doc.get("timing") or {}
    if timing.get("data_end"):
        blocks.append(
            f'<p>By the end of the data ({esc(timing["data_end"])}), '
            f'{count_html(timing.get("treated_by_data_end"))} of the sampled referrals had '
            f'had a treatment contact and {count_html(timing.get("baseline_closed_by_data_end"))} '
            "had their baseline window closed: their baseline interview can no longer "
            "precede treatment. Draw the sample from new referrals (--received) as they "
            "arrive.</p>")
    blocks.append(paragraph(
        "Windows whose anchor is not yet known (a referral still open) are left blank in "
        "schedule.csv and are filled in when the sample is drawn again from later data "
        "with the same seed.", "note"))
    return blocks


def _rules(doc: dict) -> list[str]:
    items = _eligibility(doc["settings"].get("instrument") or "interview")
    return ["<ol>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ol>"]


def _reproducibility(doc: dict) -> list[str]:
    settings, data = doc["settings"], doc["data"]
    items = [("Data", data.get("path")),
             ("Services", ", ".join(data.get("services") or []) or DASH),
             ("Latest date in the data", data.get("data_end") or DASH),
             ("Seed", str(settings.get("seed"))),
             ("Strata", ", ".join(settings.get("strata") or []) or "none"),
             ("Received window", settings.get("received") or "all referrals"),
             ("Allocation", settings.get("allocation")),
             ("tincheck", doc.get("tincheck_version") or __version__)]
    files = "".join(f'<li>{esc(name)} <span class="hash">sha256 {esc(sha)}</span></li>'
                    for name, sha in sorted((data.get("files") or {}).items()))
    return [definition_list(items), paragraph(settings.get("disclosure_rule")),
            f'<h3>Files read</h3><ul class="files">{files}</ul>',
            paragraph("The same data, seed and options give the same sample.csv, "
                      "schedule.csv and frame.csv, byte for byte. sample.csv holds "
                      "pseudonymous referral ids only; assessors see study ids only."),
            "<h3>References</h3><ul>" + "".join(f"<li>{esc(r)}</li>" for r in REFERENCES)
            + "</ul>"]


SECTIONS = (
    ("question", "1. The question", _question),
    ("sample-size", "2. How many clients, and why", _sample_size),
    ("frame", "3. The sampling frame and strata", _frame),
    ("representativeness", "4. Is the sample like its frame?", _representativeness),
    ("schedule", "5. When to interview", _schedule),
    ("rules", "6. The rules the audit will apply", _rules),
    ("reproducibility", "7. Data, reproducibility and disclosure control",
     _reproducibility),
)


def render_protocol(doc: dict) -> str:
    """The protocol page from a study document (``StudySample.to_document()``)."""
    services = doc["data"].get("services") or []
    name = services[0] if len(services) == 1 else f"{len(services)} services"
    page = Page(title=f"Study protocol: {name}" if services else "Study protocol",
                lede=LEDE, synthetic=bool(doc["data"].get("synthetic")))
    if not doc["settings"].get("disclosure_control"):
        page.header_blocks.append(banner(disclosure.OFF, alert=True))
    for section_id, title, build in SECTIONS:
        page.section(section_id, title, *build(doc))
    return page.render()
