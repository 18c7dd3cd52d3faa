"""The client leaflet, "What to expect": one page per treatment offered (and problem).

Rendered only from the audit's disclosure-controlled ``report.json`` document
(:meth:`tincheck.Audit.to_json`): it runs no query and reads no file. Its figures
are the rows of ``delivery.outcomes_by_treatment_offered`` and
``delivery.sessions_by_treatment_offered`` (:mod:`tincheck.metrics.offered`), one
page for each treatment offered to at least ``min_people`` people (default 30), and
one for each problem (depression, anxiety) that reaches the same number.

Each number on a page is a ``<data>`` element whose ``data-from`` names the figure of
``report.json`` it shows (``table|therapy|problem|column``, or a path such as
``settings|usual_self_threshold``), so a test can tie every number to its source. A
rate is shown as "43 in 100" (the published rate, already rounded to whole percents,
times 100), its Wilson 95% interval as "between 40 and 46 in 100"; counts of people
as published (rounded to 5). No page, and no interview figure, rests on fewer than
``min_people`` people: a published count n may be as few as n − 2, so n − 2 must
reach it (:func:`enough`). A figure disclosure control suppressed is withheld, and the
page says so; interview figures on too few people are left out, and "What we do not
know" says so, as plainly as it says when there are no independent interviews at all.

Absent optional data narrows the leaflets, never stops them: report.json withholds
the interview columns when there is no interviews table (and the usual-self ones
without a usual-self rating: its ``not_computed`` entries name them), and lists
absent columns in ``data.optional_absent``; each page then says what is not known
(no independent check, no usual-self rating, which treatment each person was offered,
which problem each had, how sessions were given), and when the figures by treatment
were not computed at all the index says why.
Besides a page per treatment, a page about the service as a whole (``any``: every
referral, whatever it was offered) comes first.

The words are in :mod:`tincheck.report.leaflet_text` (every template is measured for
reading level by the suite); the icon grids in :mod:`tincheck.report.leaflet_charts`.
Printing to PDF is done elsewhere (:mod:`tincheck.printing`).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace

from ..codes import THERAPY_TYPE
from ..disclosure import ROUND_TO
from ..metrics.offered import ALL, ANY, NONE_BOOKED, OUTCOMES, PROBLEMS, SESSIONS
from ..notices import SYNTHETIC_NOTICE
from . import leaflet_text as text
from .leaflet_charts import SYMBOL, icon_grid
from .page import esc

MIN_PEOPLE = 30
STEP_OF = {c.value: c.group for c in THERAPY_TYPE}
ORDER = ("never_started", "finished", "recovered", "deteriorated", "lost_diagnosis",
         "usual_self")
# each figure: (rate column, the count column it is out of)
FIGURE_COLUMNS = {
    "never_started": ("never_started_rate", "referred"),
    "finished": ("finished_rate", "referred"),
    "recovered": ("recovered_rate", "referred"),
    "deteriorated": ("deteriorated_rate", "referred"),
    "lost_diagnosis": ("lost_diagnosis_rate", "diagnosed"),
    "usual_self": ("usual_self_rate", "usual_self_rated"),
}

CSS = """
:root { --ink:#1b1b1b; --muted:#4a4a4a; --rule:#c8c8c8; --on:#12355b; --off:#ffffff;
        --off-line:#6b6b6b; --band:#f3f5f7; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; color: var(--ink); background: #fff; margin: 0; line-height: 1.5;
       font-size: 1.05rem; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem; }
svg.defs { position: absolute; width: 0; height: 0; overflow: hidden; }
header { border-bottom: 4px solid var(--on); padding-bottom: .6rem; margin-bottom: .8rem; }
.kicker { text-transform: uppercase; letter-spacing: .06em; font-weight: 700;
          color: var(--muted); margin: 0; font-size: .85rem; }
h1 { font-size: 1.8rem; margin: .2rem 0; line-height: 1.2; }
h2 { font-size: 1.3rem; margin: 1.4rem 0 .5rem; border-bottom: 1px solid var(--rule);
     padding-bottom: .2rem; }
p { margin: .4rem 0; }
.for { font-size: 1.15rem; font-weight: 600; margin: 0; }
.banner { border: 2px solid #8a4b00; background: #fff3cd; padding: .5rem .7rem;
          font-weight: 600; margin: .5rem 0; }
ul.facts { padding-left: 1.2rem; margin: .4rem 0; }
ul.facts li { margin: .25rem 0; }
.figures { display: grid; grid-template-columns: 1fr; gap: .8rem; margin: .8rem 0; }
figure.figure { margin: 0; border: 1px solid var(--rule); border-radius: .4rem;
                padding: .8rem; display: grid; grid-template-columns: 11rem 1fr;
                gap: 1rem; align-items: start; break-inside: avoid;
                page-break-inside: avoid; }
figure.figure svg.icons { width: 11rem; height: auto; }
svg.icons .on { fill: var(--on); stroke: var(--on); stroke-width: .6; }
svg.icons .off { fill: var(--off); stroke: var(--off-line); stroke-width: .6; }
figcaption p { margin: .25rem 0; }
.statement { font-size: 1.1rem; }
.statement .big { font-size: 1.9rem; font-weight: 800; line-height: 1; }
.range { font-weight: 600; }
.base, .means { color: var(--muted); font-size: .92rem; }
figure.figure.withheld { grid-template-columns: 1fr; background: var(--band);
                         border-style: dashed; }
.nhs { font-size: .92rem; color: var(--muted); }
ul.plain { padding-left: 1.2rem; }
footer { margin-top: 1.2rem; font-size: .92rem; color: var(--muted); }
table.index { border-collapse: collapse; width: 100%; }
table.index th, table.index td { border-bottom: 1px solid var(--rule); padding: .35rem;
                                 text-align: left; vertical-align: top; }
table.index td.num { text-align: right; font-variant-numeric: tabular-nums; }
@media (max-width: 30rem) {
  h1 { font-size: 1.45rem; }
  figure.figure { grid-template-columns: 6.5rem 1fr; gap: .7rem; padding: .6rem; }
  figure.figure svg.icons { width: 6.5rem; }
  .statement .big { font-size: 1.6rem; }
}
@page { size: A4; margin: 10mm 11mm; }
@media print {
  body { font-size: 9.4pt; line-height: 1.32; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 18pt; }
  h2 { font-size: 12pt; margin: .7rem 0 .3rem; break-after: avoid; page-break-after: avoid; }
  .figures { grid-template-columns: 1fr 1fr; gap: .45rem; margin: .4rem 0; }
  figure.figure { grid-template-columns: 23mm 1fr; padding: .4rem; gap: .5rem; }
  figure.figure svg.icons { width: 23mm; }
  figure.figure.withheld { grid-template-columns: 1fr; }
  .statement .big { font-size: 16pt; }
  .statement { font-size: 10.5pt; }
  .base, .means, .nhs { font-size: 8.6pt; }
  a { color: inherit; text-decoration: none; }
}
"""


# ------------------------------------------------------------------ numbers


def enough(published: int | None, min_people: int) -> bool:
    """Whether a published count (rounded to the nearest 5) is surely at least
    ``min_people`` people: the smallest count that rounds to it must be.

    >>> enough(30, 30), enough(35, 30), enough(None, 30)
    (False, True, False)
    """
    return published is not None and published - ROUND_TO // 2 >= min_people


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def in_100(rate: float) -> int:
    """A published rate (a proportion to 2 decimals) as a number out of 100.

    >>> in_100(0.29), in_100(0.5), in_100(1.0)
    (29, 50, 100)
    """
    return _round_half_up(rate * 100)


def whole(value: float) -> int:
    """A median or quartile of sessions or minutes to a whole number (halves up).

    >>> whole(4.5), whole(4.25), whole(35.0)
    (5, 4, 35)
    """
    return _round_half_up(value)


def long_date(iso: str) -> str:
    """'2024-03-31' (or a timestamp) as '31 March 2024'.

    >>> long_date("2024-03-31"), long_date("2026-01-05T10:00:00+00:00")
    ('31 March 2024', '5 January 2026')
    """
    day = _dt.date.fromisoformat(iso[:10])
    return f"{day.day} {day:%B %Y}"


def _data(shown: str, source: str, value) -> str:
    """A number on the page, marked with the report.json figure it shows."""
    return f'<data value="{esc(value)}" data-from="{esc(source)}">{esc(shown)}</data>'


def _fill(template: str, **fields: str) -> str:
    """A template escaped, then filled with fields that are already HTML."""
    return esc(template).format(**fields)


# ------------------------------------------------------------------ the document


class LeafletError(ValueError):
    """The document cannot be made into leaflets (no figures by treatment, or
    disclosure control off)."""


@dataclass(frozen=True)
class Row:
    """A row of the two tables for one treatment and problem, and where it comes from."""

    therapy: str
    problem: str
    outcomes: dict
    sessions: dict

    def source(self, column: str, table: str = OUTCOMES) -> str:
        return f"{table}|{self.therapy}|{self.problem}|{column}"

    def count(self, column: str) -> str:
        n = self.outcomes.get(column)
        return _data(f"{n:,}", self.source(column), n)

    def rate(self, column: str, table: str = OUTCOMES) -> str:
        value = (self.outcomes if table == OUTCOMES else self.sessions)[column]
        return _data(str(in_100(value)), self.source(column, table), value)


@dataclass(frozen=True)
class LeafletPage:
    """One leaflet: its file stem (``gsh_book``, ``gsh_book-depression``), treatment,
    problem (``all``, ``depression``, ``anxiety``), people offered it (as published),
    title and HTML."""

    key: str
    therapy: str
    problem: str
    people: int
    title: str
    html: str


@dataclass(frozen=True)
class Leaflets:
    """Every leaflet of a report.json document, and what was not written and why:
    ``too_few`` (treatments offered to too few people, with the people as published)
    and ``not_computed`` (why report.json has no figures by treatment at all, e.g. the
    referrals have no end date; None when it has them)."""

    pages: tuple[LeafletPage, ...]
    too_few: tuple[tuple[str, int | None], ...]  # (therapy, people as published)
    min_people: int
    doc: dict
    not_computed: str | None = None

    def only(self, therapies) -> Leaflets:
        """These leaflets less those of treatments not in ``therapies``."""
        return replace(self, pages=tuple(p for p in self.pages if p.therapy in therapies),
                       too_few=tuple(t for t in self.too_few if t[0] in therapies))

    def index_html(self, pdfs: dict[str, str] | None = None, note: str | None = None) -> str:
        """The index page: a link to every leaflet (and its PDF, where ``pdfs`` maps a
        page key to the PDF's file name), the treatments without one, and ``note``
        (e.g. why there are no PDFs)."""
        return render_index(self, pdfs or {}, note)


def _check(doc: dict) -> None:
    if not doc.get("settings", {}).get("disclosure_control"):
        raise LeafletError("leaflets are for the public: they are made only from a "
                           "report.json written with disclosure control on")
    if OUTCOMES not in doc.get("tables", {}) or SESSIONS not in doc.get("tables", {}):
        raise LeafletError(f"this report.json has no figures by treatment offered "
                           f"({OUTCOMES}): it was written by an older tincheck; audit the "
                           "data again")


def withheld(doc: dict) -> dict[str, str]:
    """The columns of the outcomes-by-treatment table that report.json withholds for
    absent optional data (its ``not_computed`` entries), each with why.

    >>> withheld({"not_computed": [{"why": "no interviews file was supplied",
    ...     "columns": {OUTCOMES: ["usual_self_rate"]}}]})
    {'usual_self_rate': 'no interviews file was supplied'}
    """
    out: dict[str, str] = {}
    for entry in doc.get("not_computed") or ():
        for column in (entry.get("columns") or {}).get(OUTCOMES, ()):
            out.setdefault(column, entry.get("why", ""))
    return out


def absent(doc: dict, item: str) -> bool:
    """Whether report.json lists ``item`` ("table.column") as absent optional data."""
    return item in (doc.get("data", {}).get("optional_absent") or {})


def interviews_missing(doc: dict) -> bool:
    """Whether the audit had no interviews: report.json withholds the interview figures
    by treatment as not computed (or, written before it said so, lists no interviews
    table among the tables supplied)."""
    if "lost_diagnosis_rate" in withheld(doc):
        return True
    return "interviews" not in doc.get("data", {}).get("tables_supplied", ("interviews",))


def usual_self_missing(doc: dict) -> bool:
    """Whether no usual-self rating was recorded (the figure withheld as not computed)."""
    return interviews_missing(doc) or "usual_self_rate" in withheld(doc)


def _withheld_table(doc: dict, table_id: str) -> str | None:
    """Why report.json withholds a whole table for absent data (None when it does not)."""
    for entry in doc.get("not_computed") or ():
        if table_id in (entry.get("metrics") or ()):
            return entry.get("why") or None
    return None


def _not_computed(doc: dict) -> str | None:
    """Why report.json has no figures by treatment offered, when it has none."""
    return None if doc["tables"][OUTCOMES] else _withheld_table(doc, OUTCOMES)


def _rows(doc: dict) -> dict[tuple[str, str], Row]:
    sessions = {(r["therapy"], r["problem"]): r for r in doc["tables"][SESSIONS]}
    return {(r["therapy"], r["problem"]): Row(r["therapy"], r["problem"], r,
                                               sessions.get((r["therapy"], r["problem"]), {}))
            for r in doc["tables"][OUTCOMES]}


def leaflets(doc: dict, min_people: int = MIN_PEOPLE) -> Leaflets:
    """The leaflets of a ``report.json`` document (disclosure control on).

    One page about the service as a whole (``any``), one per treatment offered to at
    least ``min_people`` people (:func:`enough`, on the published counts), and one per
    problem (depression, anxiety) where as many had it. Those with fewer are listed in
    :attr:`Leaflets.too_few`.
    """
    _check(doc)
    if min_people < 1:
        raise LeafletError(f"min_people {min_people}: expected 1 or more (counts under 5 "
                           "are suppressed whatever it is)")
    rows = _rows(doc)
    pages, too_few = [], []
    for (therapy, problem), row in rows.items():
        if not (therapy in text.TREATMENTS or therapy == ANY) or problem != ALL:
            continue
        people = row.outcomes.get("referred")
        if not enough(people, min_people):
            too_few.append((therapy, people))
            continue
        for p in (ALL, *PROBLEMS):
            r = rows.get((therapy, p))
            if r is not None and enough(r.outcomes.get("referred"), min_people):
                pages.append(_page(doc, rows, r, min_people))
    # the service as a whole first, then the treatments most often offered
    pages.sort(key=lambda p: (p.therapy != ANY, -rows[(p.therapy, ALL)].outcomes["referred"],
                              p.therapy, (ALL, *PROBLEMS).index(p.problem)))
    too_few.sort(key=lambda t: (-(t[1] or 0), t[0]))
    return Leaflets(tuple(pages), tuple(too_few), min_people, doc, _not_computed(doc))


def render(doc: dict, min_people: int = MIN_PEOPLE) -> dict[str, str]:
    """File name → HTML: every leaflet (``<key>.html``) and ``index.html``."""
    made = leaflets(doc, min_people)
    out = {f"{p.key}.html": p.html for p in made.pages}
    out["index.html"] = made.index_html()
    return out


# ------------------------------------------------------------------ one page


def treatment_of(therapy: str) -> text.Treatment:
    """The words for a treatment offered, or for the service (``any``)."""
    return text.SERVICE if therapy == ANY else text.TREATMENTS[therapy]


def _page(doc: dict, rows: dict, row: Row, min_people: int) -> LeafletPage:
    treatment = treatment_of(row.therapy)
    key = row.therapy if row.problem == ALL else f"{row.therapy}-{row.problem}"
    title = f"{text.KICKER}: {treatment.name}"
    head = [f'<p class="kicker">{esc(text.KICKER)}</p>', f"<h1>{esc(treatment.name)}</h1>"]
    if row.problem != ALL:
        problem = esc(text.PROBLEMS[row.problem])
        head.append(f'<p class="for">{_fill(text.FOR_PROBLEM, problem=problem)}</p>')
        title += f" ({text.PROBLEMS[row.problem]})"
    intro = esc(text.INTRO_ANY) if row.therapy == ANY else _fill(
        text.INTRO, treatment=esc(treatment.in_sentence))
    head.append(f'<p class="intro">{intro} {esc(text.NUMBERS_FROM)}</p>')
    if row.problem != ALL:
        head.append(f"<p>{esc(text.PROBLEM_GLOSS[row.problem])}</p>")
    banner = (f'<div class="banner" role="note">{esc(SYNTHETIC_NOTICE)}</div>'
              if doc.get("data", {}).get("synthetic") else "")
    body = [
        f"<header>{banner}{''.join(head)}</header>",
        _section("what", text.WHAT_IT_OFFERS if row.therapy == ANY else text.WHAT_IT_IS,
                 _what_it_is(doc, rows, row, treatment)),
        _section("numbers", text.OUT_OF_100, _numbers(doc, rows, row, min_people)),
        _section("unknown", text.NOT_KNOWN_HEADING, _not_known(doc, row, min_people)),
        _section("source", text.SOURCE_HEADING, _source(doc, min_people)),
    ]
    html = ("<!DOCTYPE html>\n"
            '<html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f'<body>{SYMBOL}<main class="leaflet">{"".join(body)}</main></body></html>\n')
    return LeafletPage(key, row.therapy, row.problem, row.outcomes["referred"], title, html)


def _section(id: str, heading: str, blocks: list[str]) -> str:
    return (f'<section id="{id}" aria-labelledby="{id}-h"><h2 id="{id}-h">{esc(heading)}'
            f'</h2>{"".join(blocks)}</section>')


def _what_it_is(doc: dict, rows: dict, row: Row, treatment: text.Treatment) -> list[str]:
    step = STEP_OF.get(row.therapy, "")
    what = " ".join((*treatment.what, text.ALSO_CALLED.format(also=treatment.also)))
    blocks = [f"<p>{esc(what)}</p>"]
    if step in text.STEP:
        blocks.append(f"<p>{esc(text.STEP[step])}</p>")
    facts = [*_sessions_facts(doc, row), *_share_facts(row, "medium", text.MEDIA),
             *_role_facts(row), *_minutes_fact(row)]
    if (step == "low" or row.therapy == ANY) and \
            row.outcomes.get("stepped_up_rate") is not None:
        facts.append(_fill(text.STEPPED_UP, x=row.rate("stepped_up_rate")))
    if row.therapy == ANY:
        blocks += _offered_mix(rows, row)
    blocks.append('<ul class="facts">' + "".join(f"<li>{f}</li>" for f in facts) + "</ul>")
    return blocks


def _offered_mix(rows: dict, row: Row) -> list[str]:
    """What the people referred (with the page's problem) were offered, out of 100."""
    mix = sorted(((r.outcomes["offered_rate"], therapy, r) for (therapy, problem), r
                  in rows.items() if problem == row.problem and therapy != ANY
                  and r.outcomes.get("offered_rate")), key=lambda m: (-m[0], m[1]))
    entries = []
    for _, therapy, r in mix:
        if therapy == NONE_BOOKED:
            entries.append(_fill(text.OFFERED_NONE, x=r.rate("offered_rate")))
        elif therapy in text.TREATMENTS:
            entries.append(_fill(text.OFFERED, treatment=esc(text.TREATMENTS[therapy].name),
                                 x=r.rate("offered_rate")))
    if not entries:
        return []
    lead = _fill(text.OFFERED_INTRO_PROBLEM, problem=esc(text.PROBLEMS[row.problem])) \
        if row.problem != ALL else esc(text.OFFERED_INTRO)
    return [f"<p>{lead}</p>",
            '<ul class="mix">' + "".join(f"<li>{e}</li>" for e in entries) + "</ul>"]


def _sessions_facts(doc: dict, row: Row) -> list[str]:
    s = row.sessions
    if not doc["tables"][SESSIONS] and _withheld_table(doc, SESSIONS):
        return [esc(text.NO_SESSION_TYPES)]
    if s.get("sessions_median") is None:
        return [esc(text.NO_SESSIONS)]
    # true of whole sessions whatever the rounding: a median m means half had m or
    # fewer; an upper quartile q that at least one in four had q or more
    value = {k: _data(str(whole(s[k])), row.source(k, SESSIONS), s[k])
             for k in ("sessions_median", "sessions_q3")}
    return [_fill(text.SESSIONS, median=value["sessions_median"], q3=value["sessions_q3"])]


def _shares(row: Row, prefix: str, names: dict) -> list[tuple[str, str, float]]:
    """(code, column, rate) of the shares of sessions shown, largest first."""
    shares = [(code, f"{prefix}_{code}_rate", row.sessions.get(f"{prefix}_{code}_rate"))
              for code in names]
    return sorted(((c, k, v) for c, k, v in shares if v), key=lambda s: (-s[2], s[0]))


def _share_facts(row: Row, prefix: str, names: dict) -> list[str]:
    shares = _shares(row, prefix, names)
    if not shares:
        return []
    if [c for c, _, _ in shares] == ["unknown"]:
        return [esc(text.NO_MEDIUM)]
    (code, column, top), rest = shares[0], shares[1:]
    if in_100(top) == 100:
        return [_fill(text.ALL_BY, medium=esc(names[code]))]
    first = text.MOST_BY if top > 0.5 else text.MIX_BY
    facts = [_fill(first, medium=esc(names[code]), x=row.rate(column, SESSIONS))]
    facts += [_fill(text.SOME_BY, medium=esc(names[c]), x=row.rate(k, SESSIONS))
              for c, k, _ in rest]
    return [" ".join(facts)]


def _role_facts(row: Row) -> list[str]:
    shares = _shares(row, "role", text.ROLES)
    if row.sessions.get("contacts") is None or not shares:
        return []
    if [c for c, _, _ in shares] == ["unknown"]:
        return [esc(text.NO_ROLE)]
    (code, column, top), rest = shares[0], shares[1:]
    if in_100(top) == 100:
        facts = [_fill(text.ALL_WITH, role=esc(text.ROLES[code]))]
    else:
        first = text.WITH_WHOM if top > 0.5 else text.MIX_WITH
        facts = [_fill(first, role=esc(text.ROLES[code]), x=row.rate(column, SESSIONS))]
        facts += [_fill(text.SOME_WITH, role=esc(text.ROLES[c]), x=row.rate(k, SESSIONS))
                  for c, k, _ in rest]
    glosses = [text.ROLE_GLOSS[c] for c, _, _ in shares if c in text.ROLE_GLOSS]
    return [" ".join([*facts, *map(esc, glosses)])]


def _minutes_fact(row: Row) -> list[str]:
    minutes = row.sessions.get("minutes_median")
    if minutes is None:
        return []
    return [_fill(text.MINUTES, minutes=_data(str(whole(minutes)),
                                              row.source("minutes_median", SESSIONS),
                                              minutes))]


def _numbers(doc: dict, rows: dict, row: Row, min_people: int) -> list[str]:
    problem = text.PROBLEMS.get(row.problem, "")
    n = row.count("referred")
    if row.therapy == ANY:
        intro = [_fill(text.LIKE_YOU_ANY_PROBLEM, n=n, problem=esc(problem))
                 if row.problem != ALL else _fill(text.LIKE_YOU_ANY, n=n)]
    else:
        intro = [_fill(text.LIKE_YOU_PROBLEM, n=n, problem=esc(problem))
                 if row.problem != ALL else _fill(text.LIKE_YOU, n=n)]
    if row.therapy != ANY and row.outcomes.get("offered_rate") is not None:
        template = text.SHARE_OFFERED_PROBLEM if row.problem != ALL else text.SHARE_OFFERED
        intro.append(_fill(template, x=row.rate("offered_rate"), problem=esc(problem)))
    none = rows.get((NONE_BOOKED, row.problem))
    if row.therapy != ANY and none is not None and \
            none.outcomes.get("offered_rate") is not None:
        template = text.NONE_BOOKED_PROBLEM if row.problem != ALL else text.NONE_BOOKED
        intro.append(_fill(template, x=none.rate("offered_rate"), problem=esc(problem)))
    blocks = [f"<p>{' '.join(intro)}</p>", f"<p>{esc(text.HOW_TO_READ)}</p>"]
    figures = [_figure(doc, row, key, min_people) for key in ORDER]
    blocks.append('<div class="figures">' + "".join(f for f in figures if f) + "</div>")
    return blocks


def _figure(doc: dict, row: Row, key: str, min_people: int) -> str:
    words = text.FIGURES[key]
    rate_column, base_column = FIGURE_COLUMNS[key]
    base = row.outcomes.get(base_column)
    rate = row.outcomes.get(rate_column)
    stem = rate_column[:-len("_rate")]
    if key == "lost_diagnosis" and interviews_missing(doc) or \
            key == "usual_self" and usual_self_missing(doc):
        return ""  # not computed: said once, under "what we do not know"
    threshold = doc.get("settings", {}).get("usual_self_threshold")
    means = [_fill(m, threshold=_data(f"{threshold:g}", "settings|usual_self_threshold",
                                      threshold)) if "{threshold}" in m else esc(m)
             for m in (words.means_any if row.therapy == ANY and words.means_any
                       else words.means)]
    question = _fill(text.HOW_MANY, label=esc(words.label))
    if not enough(base, min_people):
        # too few interviewed: said under "what we do not know" (the other figures are
        # out of the people offered the treatment, as many as a page needs)
        return ""
    out_of = _fill(words.out_of_any if row.therapy == ANY else words.out_of,
                   n=row.count(base_column))
    if rate is None:
        reason = _fill(text.WITHHELD_SMALL, n=row.count(base_column))
        return _withheld(key, question, reason, out_of)
    x = in_100(rate)
    low, high = row.outcomes.get(f"{stem}_ci_low"), row.outcomes.get(f"{stem}_ci_high")
    statement = (f'<p class="statement"><strong class="big">'
                 f'{_data(str(x), row.source(rate_column), rate)}</strong> in 100 '
                 f"{esc(words.label)}.</p>")
    lines = [statement]
    if low is not None and high is not None:
        lines.append('<p class="range">' + _fill(
            text.RANGE, low=_data(str(in_100(low)), row.source(f"{stem}_ci_low"), low),
            high=_data(str(in_100(high)), row.source(f"{stem}_ci_high"), high)) + "</p>")
    lines.append(f'<p class="base">{out_of}</p>')
    lines += [f'<p class="means">{m}</p>' for m in means]
    if key == "recovered" and row.outcomes.get("recovery_rate") is not None:
        lines.append('<p class="nhs">' + _fill(text.NHS_COUNT, x=row.rate("recovery_rate"))
                     + "</p>")
    title = f"{x} in 100 {words.label}"
    grid = icon_grid(x, title, _fill(text.GRID, x=str(x), rest=str(100 - x)), f"fig-{key}")
    return (f'<figure class="figure" id="{key}">{grid}<figcaption>{"".join(lines)}'
            "</figcaption></figure>")


def _withheld(key: str, question: str, reason: str, out_of: str = "") -> str:
    base = f'<p class="base">{out_of}</p>' if out_of else ""
    return (f'<figure class="figure withheld" id="{key}"><figcaption>'
            f'<p class="statement"><strong>{question}</strong></p><p>{reason}</p>{base}'
            "</figcaption></figure>")


def _not_known(doc: dict, row: Row, min_people: int) -> list[str]:
    items = []
    if interviews_missing(doc):
        items.append(esc(text.NO_INTERVIEWS))
    else:
        diagnosed = row.outcomes.get("diagnosed")
        rated = row.outcomes.get("usual_self_rated")
        if diagnosed is None and not row.outcomes.get("suppressed"):
            items.append(esc(text.NO_INTERVIEWS_HERE))
        elif not enough(diagnosed, min_people):
            items.append(esc(text.FEW_INTERVIEWS))
        if usual_self_missing(doc):
            items.append(esc(text.NO_USUAL_SELF_RECORDED))
        elif enough(diagnosed, min_people) and not enough(rated, min_people):
            items.append(esc(text.NO_USUAL_SELF))
    if row.therapy == ANY and absent(doc, "appointments.therapy_type"):
        items.append(esc(text.NO_TREATMENT_TYPES))
    if row.problem == ALL and absent(doc, "referrals.problem_descriptor"):
        items.append(esc(text.NO_PROBLEMS))
    items += [esc(text.HOW_LONG), esc(text.NOT_A_TEST), esc(text.NOT_ALIKE)]
    return ['<ul class="plain">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>",
            f"<p>{esc(text.ASK)}</p>"]


def services_html(services: list[str]) -> str:
    """'service S1', 'services S1 and S2', 'services S1, S2 and S3', '8 services': each
    name (or the number of services) marked with where it comes from."""
    names = [_data(name, f"data|services|{i}", name) for i, name in enumerate(services)]
    if not services:
        return "this service"
    if len(services) == 1:
        return f"service {names[0]}"
    if len(services) <= 3:
        return f"services {', '.join(names[:-1])} and {names[-1]}"
    return f"{_data(str(len(services)), 'data|services', len(services))} services"


def _date(doc: dict, *path: str) -> str:
    value = doc
    for part in path:
        value = value[part]
    return f'<time datetime="{esc(value[:10])}" data-from="{esc("|".join(path))}">' \
           f"{esc(long_date(value))}</time>"


def _source(doc: dict, min_people: int) -> list[str]:
    data = doc.get("data", {})
    period = data.get("period") or {}
    services = services_html(data.get("services") or [])
    if period.get("start") and period.get("end"):
        where = _fill(text.SOURCE, services=services, start=_date(doc, "data", "period", "start"),
                      end=_date(doc, "data", "period", "end"))
    elif period.get("start"):
        where = _fill(text.SOURCE_FROM, services=services,
                      start=_date(doc, "data", "period", "start"),
                      end=_date(doc, "data", "data_end"))
    else:
        end = ("data", "period", "end") if period.get("end") else ("data", "data_end")
        where = _fill(text.SOURCE_TO, services=services, end=_date(doc, *end))
    made = _fill(text.MADE_ON, date=_date(doc, "generated_at"),
                 version=_data(doc.get("tincheck_version", ""), "tincheck_version",
                               doc.get("tincheck_version", "")))
    items = [where, made, esc(text.ROUNDING),
             _fill(text.MIN_PEOPLE, min_people=_data(str(min_people), "leaflet|min_people",
                                                     min_people)),
             esc(text.ROUNDED), esc(text.RANGE_MEANS)]
    return ['<ul class="plain">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"]


# ------------------------------------------------------------------ the index


def render_index(made: Leaflets, pdfs: dict[str, str], note: str | None) -> str:
    """The index of the leaflets written (for the service's staff)."""
    doc = made.doc
    rows = []
    for page in made.pages:
        problem = text.PROBLEMS.get(page.problem, "all problems")
        pdf = (f' · <a href="{esc(pdfs[page.key])}">PDF</a>' if page.key in pdfs else "")
        people = _data(f"{page.people:,}", f"{OUTCOMES}|{page.therapy}|{page.problem}|referred",
                       page.people)
        rows.append(f'<tr><td><a href="{esc(page.key)}.html">'
                    f'{esc(treatment_of(page.therapy).name)}</a>{pdf}</td>'
                    f'<td>{esc(problem)}</td><td class="num">{people}</td></tr>')
    min_people = _data(str(made.min_people), "leaflet|min_people", made.min_people)
    blocks = [f"<p>{esc(text.INDEX_INTRO)}</p>"]
    if rows:
        blocks.append('<table class="index"><thead><tr><th scope="col">Treatment</th>'
                      '<th scope="col">For</th><th scope="col">People offered it</th></tr>'
                      f'</thead><tbody>{"".join(rows)}</tbody></table>')
    elif made.not_computed:
        blocks.append(f"<p>{_fill(text.INDEX_NOT_COMPUTED, why=esc(made.not_computed))}</p>")
    else:
        blocks.append(f"<p>{_fill(text.INDEX_NONE, min_people=min_people)}</p>")
    if made.too_few:
        blocks.append(f"<p>{_fill(text.INDEX_NOT_WRITTEN, min_people=min_people)}</p>")
        blocks.append('<ul class="plain">' + "".join(
            f"<li>{esc(treatment_of(t).name)}</li>" for t, _ in made.too_few) + "</ul>")
    if note:
        blocks.append(f'<p class="banner" role="note">{esc(note)}</p>')
    blocks.append(_section("source", text.SOURCE_HEADING, _source(doc, made.min_people)))
    banner = (f'<div class="banner" role="note">{esc(SYNTHETIC_NOTICE)}</div>'
              if doc.get("data", {}).get("synthetic") else "")
    return ("<!DOCTYPE html>\n"
            '<html lang="en-GB"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(text.INDEX_TITLE)}</title><style>{CSS}</style></head>"
            f'<body><main class="leaflet"><header>{banner}<h1>{esc(text.INDEX_TITLE)}</h1>'
            f'</header>{"".join(blocks)}</main></body></html>\n')
