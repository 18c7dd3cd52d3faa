"""The report's header (what was audited, how) and its definitions appendix.

The appendix is generated: every figure's definition from the metric registry (as
carried in the JSON document), the thresholds table of :mod:`tincheck.instruments`,
the benchmarks compared with, and the references.
"""

from __future__ import annotations

from ... import disclosure
from ...reference_figures import load_benchmarks
from ...instruments import INSTRUMENTS
from ...metrics import REGISTRY
from ...metrics.registry import FAMILIES, sort_key
from ..format import DASH, num
from ..page import banner, esc, html_table, paragraph
from .document import Doc

FAMILY_TITLES = {family.id: family.title for family in FAMILIES}
REFERENCES = [
    "NHS Digital (2021) A guide to IAPT data and publications, updated for the v2.0 dataset.",
    "Clark DM (2018) Realising the mass public benefit of evidence-based psychological "
    "therapies: the IAPT program. Annu Rev Clin Psychol 14:159-183.",
    "Scott MJ (2018) Improving access to psychological therapies (IAPT): the need for radical "
    "reform. J Health Psychol 23:1136-1147.",
    "Scott MJ (2021) Ensuring that the IAPT programme does what it says on the tin. Br J Clin "
    "Psychol 60:38-41.",
    "Wakefield S et al. (2021) Improving Access to Psychological Therapies (IAPT) in the "
    "United Kingdom: a systematic review and meta-analysis of 10 years of practice-based "
    "evidence. Br J Clin Psychol 60:1-37.",
    "Gaskell C et al. (2023) The effectiveness of psychological interventions delivered in "
    "routine practice: systematic review and meta-analysis. Adm Policy Ment Health "
    "50:43-57.",
    "Stiles WB et al. (2008) Effectiveness of cognitive-behavioural, person-centred and "
    "psychodynamic therapies in UK primary-care routine practice. Psychol Med 38:677-688.",
    "Delgadillo J et al. (2014) Benchmarking routine psychological services: a discussion "
    "of challenges and methods. Behav Cogn Psychother 42:16-30.",
    "Rutherford BR et al. (2012) A meta-analysis of the placebo response in antidepressant "
    "trials: wait-list control arms (natural course). J Psychiatr Res 46:697-702.",
    "Tolin DF et al. (2015) Empirically supported treatment: recommendations for a new "
    "model. Clin Psychol Sci Pract 22:317-338.",
    "Jacobson NS, Truax P (1991) Clinical significance: a statistical approach to defining "
    "meaningful change in psychotherapy research. J Consult Clin Psychol 59:12-19.",
    "Becker BJ (1988) Synthesizing standardized mean-change measures. Br J Math Stat Psychol "
    "41:257-278.",
    "Wilson EB (1927) Probable inference, the law of succession, and statistical inference. "
    "J Am Stat Assoc 22:209-212.",
    "Cohen J (1960) A coefficient of agreement for nominal scales. Educ Psychol Meas "
    "20:37-46.",
    "Landis JR, Koch GG (1977) The measurement of observer agreement for categorical data. "
    "Biometrics 33:159-174.",
    "Rubin DB (1987) Multiple Imputation for Nonresponse in Surveys. Wiley.",
    "van Buuren S (2018) Flexible Imputation of Missing Data, 2nd ed. CRC Press.",
    "Austin PC (2009) Balance diagnostics for comparing the distribution of baseline "
    "covariates between treatment groups in propensity-score matched samples. Stat Med "
    "28:3083-3107.",
    "Okabe M, Ito K (2008) Color Universal Design: how to make figures and presentations "
    "that are friendly to colorblind people (the chart palette).",
]


# ------------------------------------------------------------------ header

def header(doc: Doc, version: str) -> list[str]:
    """Header blocks: what was audited, and how (the page itself carries the
    synthetic-data banner)."""
    data, settings = doc.data, doc.settings
    blocks = []
    if not settings.get("disclosure_control"):
        blocks.append(banner(disclosure.OFF, alert=True))
    services = data.get("services") or []
    period = data.get("period") or {}
    received = data.get("received") or {}
    if period.get("start") or period.get("end"):
        period_text = (f"{period.get('start') or 'the start of the data'} to "
                       f"{period.get('end') or 'the end of the data'}: outcomes of referrals "
                       "that ended in it (referrals received: those received in it)")
    else:
        period_text = (f"all data: referrals received {received.get('first') or DASH} to "
                       f"{received.get('last') or DASH}")
    files = "".join(f"<li><code>{esc(name)}</code> <span class=hash>sha256 {esc(sha)}</span>"
                    "</li>" for name, sha in (data.get("files") or {}).items())
    assessors = ("every interview (--assessors any)" if settings.get("assessors") == "any"
                 else "independent and blind assessors only")
    imputation = (f"m = {settings.get('imputations')}, seed {settings.get('imputation_seed')}"
                  if settings.get("imputations") else "not run")
    items = [
        ("Service" + ("s" if len(services) != 1 else ""),
         esc(", ".join(services)) if services else DASH),
        ("Period", esc(period_text)),
        ("End of data", esc(f"{data.get('data_end')} (for 12-month re-referral windows)")),
        ("Data files", f'<ul class="files">{files}</ul>' if files else DASH),
        ("Produced by", esc(f"tincheck {version}, {settings.get('engine')} engine, "
                            f"{doc.doc.get('generated_at')}")),
        ("Interviews counted", esc(assessors)),
        ("Multiple imputation", esc(imputation)),
        ("Disclosure control", esc(settings.get("disclosure_rule") or "")),
    ]
    if settings.get("benchmarks_file"):
        items.append(("Extra benchmarks", esc(settings["benchmarks_file"])))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items)
    blocks.append(f'<dl class="meta" id="header">{body}</dl>')
    return blocks


# ------------------------------------------------------------------ 16. definitions

def definitions(doc: Doc) -> list[str]:
    blocks = [paragraph(
        "Every figure in this report, generated from the metric registry: its id (as in "
        "report.json and metrics.csv), label, definition and source. Proportions carry "
        "Wilson score 95% intervals; means a t interval; effect sizes the interval of their "
        "stated variance.")]
    families: dict[str, list[str]] = {}
    ids = set(doc.metrics) | set(doc.tables)
    for metric_id in sorted(ids, key=sort_key):
        families.setdefault(metric_id.split(".", 1)[0], []).append(metric_id)
    for family, metric_ids in families.items():
        rows = []
        for metric_id in metric_ids:
            m = doc.metrics.get(metric_id) or {}
            metric = REGISTRY.get(metric_id)
            label = m.get("label") or (metric.label if metric else metric_id)
            definition = m.get("definition") or (metric.definition if metric else "")
            source = m.get("source") or (metric.source if metric else "")
            kind = m.get("kind") or (metric.kind if metric else "")
            rows.append([f"<code>{esc(metric_id)}</code>",
                         f'<span class="label">{esc(label)}</span> '
                         f'<span class="def">({esc(kind)})</span><br>{esc(definition)}',
                         f'<span class="def">{esc(source)}</span>'])
        blocks.append(
            f"<h3>{esc(FAMILY_TITLES.get(family, family))}</h3>"
            + html_table(rows, ["id", "Figure and definition", "Source"], cls="definitions",
                         row_ids=[f"def-{metric_id}" for metric_id in metric_ids]))
    blocks += [_thresholds(), _benchmarks(doc), "<h3>Disclosure control</h3>",
               paragraph(doc.settings.get("disclosure_rule") or ""),
               "<h3>References</h3>",
               "<ol class=refs>" + "".join(f"<li>{esc(r)}</li>" for r in REFERENCES) + "</ol>",
               paragraph("Charts are drawn with matplotlib as inline SVG (text kept as text, "
                         "with a title and description for screen readers) in the "
                         "Okabe-Ito colour-blind-safe palette; nothing is fetched from the "
                         "network.", "note")]
    return blocks


def _threshold(value, op: str = ">=") -> str:
    if value is None:
        return "none"
    return f"{'>' if op == '>' else '≥'} {value:g}"


def _thresholds() -> str:
    rows = []
    for i in INSTRUMENTS.values():
        rows.append([f"<code>{esc(i.code)}</code>", esc(i.name),
                     esc(f"{i.minimum:g}-{i.maximum:g}"),
                     esc(_threshold(i.caseness_cutoff, i.caseness_op)),
                     esc("none" if i.reliable_change is None else f"≥ {i.reliable_change:g}"),
                     esc("yes" if i.official else "no"),
                     esc(i.source + (f"; {i.note}" if i.note else ""))])
    return "<h3>Thresholds applied</h3>" + html_table(
        rows, ["Instrument", "Name", "Range", "Caseness (first score)", "Reliable change",
               "Official NHS threshold", "Source"],
        caption="Caseness: first score at or above the cut-off (MI: above 2.3); recovery: "
                "below caseness at the last score; reliable change: an absolute change at "
                "or above the threshold.")


def _benchmarks(doc: Doc) -> str:
    table = load_benchmarks()
    used = {r.get("benchmark") for r in doc.table("effect.benchmarks")}
    rows = []
    for _, b in table.iterrows():
        ci = (f"{num(b['ci_low'])} to {num(b['ci_high'])}"
              if b["ci_low"] == b["ci_low"] and b["ci_low"] is not None else DASH)
        rows.append([f"<code>{esc(b['id'])}</code>", esc(b["measure"]), esc(b["statistic"]),
                     esc(f"{b['value']:g}"), esc(ci), esc(b["population"]),
                     esc(b["citation"]), esc("yes" if b["id"] in used else "")])
    shipped = set(table["id"])
    for r in doc.table("effect.benchmarks"):  # user-supplied benchmarks
        if r.get("benchmark") not in shipped:
            shipped.add(r.get("benchmark"))
            rows.append([f"<code>{esc(r.get('benchmark'))}</code>", esc(r.get("measure")),
                         "pre-post d", esc(num(r.get("benchmark_value"))), DASH, "user file",
                         esc(r.get("citation")), "yes"])
    return "<h3>Benchmarks</h3>" + html_table(
        rows, ["id", "Measure", "Statistic", "Value", "95% CI", "Population", "Citation",
               "Used above"], caption="Published figures a service is compared with",
        numeric={3})
