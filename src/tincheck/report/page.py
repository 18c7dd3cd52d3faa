"""A self-contained HTML page: sections, tables, figures, notes.

Everything is inline: one ``<style>`` block, SVG charts, no script, font, image or
stylesheet fetched from anywhere. Print CSS puts each section on its own page.
Pages are built from blocks (strings of HTML made by the helpers here), so a report
is data first and markup last.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..notices import SYNTHETIC_NOTICE
from .format import cell_text

CSS = """
:root { --ink:#1b1b1b; --muted:#5a5a5a; --rule:#d0d0d0; --accent:#0072B2;
        --warn:#D55E00; --bg:#ffffff; --band:#f4f6f8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; color: var(--ink); background: var(--bg); margin: 0; line-height: 1.45; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
header.page { border-bottom: 3px solid var(--accent); margin-bottom: 1rem; }
h1 { font-size: 1.7rem; margin: 0.5rem 0; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem;
     margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: .3rem; }
p.lede { color: var(--muted); margin-top: 0; }
.banner { background: #fff3cd; border: 2px solid #b58900; padding: .6rem .8rem;
          font-weight: 600; margin: .8rem 0; }
.banner.alert { background: #fde2d5; border-color: var(--warn); }
.note { color: var(--muted); font-size: .9rem; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .4rem; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: var(--band); }
.table-wrap { overflow-x: auto; }
figure { margin: 1rem 0; }
figure svg { width: 100%; height: auto; max-width: 100%; }
figcaption { font-size: .9rem; color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
          font-size: .92rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; word-break: break-all; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
         gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid var(--rule); border-radius: .4rem; padding: .7rem; }
.card .value { font-size: 1.8rem; font-weight: 700; }
.card .label { font-size: .9rem; }
.card .ci { color: var(--muted); font-size: .85rem; }
nav.toc ol { columns: 2; font-size: .9rem; }
code, .mid, .hash { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas,
                    "DejaVu Sans Mono", monospace; font-size: .85em; }
p.summary { font-size: 1.08rem; }
.tin-compare { display: grid; grid-template-columns: minmax(12rem, 1fr) 2fr; gap: 1rem;
               margin: 1rem 0; }
.tin-compare h3 { margin: 0 0 .4rem; }
.tin-compare .in-tin > div.card { margin-bottom: .6rem; }
.tin-compare .in-tin { display: grid; grid-template-columns: repeat(auto-fit,
                       minmax(13rem, 1fr)); gap: .6rem; align-content: start; }
.tin-compare .in-tin h3 { grid-column: 1 / -1; }
.tin .card { border-left: 6px solid #0072B2; }
.in-tin .card { border-left: 6px solid #D55E00; margin-bottom: 0; }
.card .base { color: var(--muted); font-size: .8rem; margin-top: .3rem; }
table.metrics th[scope=row] { font-weight: normal; }
table.metrics .label, table.metrics .def { display: block; }
table.metrics .label { font-weight: 600; }
.def { color: var(--muted); font-size: .8rem; }
a.mid { color: var(--muted); }
.suppressed { color: var(--warn); font-weight: 700; cursor: help; }
ul.files { list-style: none; padding: 0; margin: 0; }
ul.files .hash { color: var(--muted); word-break: break-all; }
table.definitions { font-size: .82rem; }
tr:target { background: #fff3cd; }
table.definitions .label { font-weight: 600; }
table.definitions code { word-break: break-all; }
figure.narrow { max-width: 34rem; }
.verdict.above { color: #007a55; font-weight: 600; }
.verdict.below { color: var(--warn); font-weight: 600; }
@media (max-width: 40rem) {
  nav.toc ol { columns: 1; } h1 { font-size: 1.35rem; }
  .tin-compare { grid-template-columns: 1fr; }
  /* charts keep a legible size and scroll sideways inside their figure */
  figure { overflow-x: auto; }
  figure svg { min-width: 36rem; }
  figure.narrow svg { min-width: 24rem; }
  dl.meta { grid-template-columns: 1fr; } dl.meta dd { margin-bottom: .4rem; }
}
@media print {
  section.report-section { page-break-before: always; break-before: page; }
  section.report-section:first-of-type { page-break-before: avoid; break-before: avoid; }
  nav.toc { display: none; }
  main { max-width: none; }
  a { color: inherit; text-decoration: none; }
  figure, .card, tr { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
}
"""


def esc(value) -> str:
    """HTML-escape any value (None → empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def paragraph(text: str, cls: str | None = None) -> str:
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>"


def banner(text: str, alert: bool = False) -> str:
    return f'<div class="banner{" alert" if alert else ""}" role="note">{esc(text)}</div>'


def synthetic_banner() -> str:
    """The banner every page made from synthetic data carries at its top."""
    return banner(SYNTHETIC_NOTICE, alert=True)


def empty(text: str) -> str:
    """The one line a section shows when it has no data."""
    return f'<p class="empty">{esc(text)}</p>'


def table(rows: list[dict], columns: list[tuple[str, str]] | None = None,
          caption: str | None = None, numeric: set[str] | None = None) -> str:
    """An HTML table of ``rows``; ``columns`` is [(key, heading)], default all keys.

    Numbers in ``numeric`` columns are right-aligned. Values are formatted by
    :func:`~tincheck.report.format.cell_text` and escaped.
    """
    if not rows:
        return empty("No rows.")
    columns = columns or [(k, k) for k in rows[0]]
    numeric = numeric or {k for k, _ in columns
                          if all(isinstance(r.get(k), (int, float)) or r.get(k) is None
                                 for r in rows)}
    return html_table([[esc(cell_text(r.get(k))) for k, _ in columns] for r in rows],
                      [heading for _, heading in columns], caption=caption,
                      numeric={i for i, (k, _) in enumerate(columns) if k in numeric})


def html_table(rows: list[list[str]], headings: list[str], caption: str | None = None,
               numeric: set[int] = frozenset(), *, cls: str | None = None,
               row_headers: bool = False, row_ids: list[str] | None = None) -> str:
    """The one HTML table every report draws: ``rows`` of cells that are already HTML
    (escape text before passing it), ``headings`` as text.

    Columns whose index is in ``numeric`` are right-aligned; ``row_headers`` makes each
    row's first cell its header; ``row_ids`` gives each row an id (a link target).
    """
    def align(i: int) -> str:
        return ' class="num"' if i in numeric else ""

    def cell(i: int, content: str) -> str:
        if i == 0 and row_headers:
            return f'<th scope="row"{align(i)}>{content}</th>'
        return f"<td{align(i)}>{content}</td>"

    head = "".join(f'<th scope="col"{align(i)}>{esc(h)}</th>' for i, h in enumerate(headings))
    ids = row_ids or [None] * len(rows)
    body = "".join(
        (f'<tr id="{esc(row_id)}">' if row_id else "<tr>")
        + "".join(cell(i, content) for i, content in enumerate(row)) + "</tr>"
        for row, row_id in zip(rows, ids))
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    attr = f' class="{esc(cls)}"' if cls else ""
    return (f'<div class="table-wrap"><table{attr}>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def figure(svg: str, caption: str | None = None) -> str:
    """An inline SVG chart with an optional visible caption."""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def bullet_list(items) -> str:
    """A bulleted list of texts ('' when there are none)."""
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>" if items else ""


def definition_list(items: list[tuple[str, str]], cls: str = "meta") -> str:
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="{esc(cls)}">{body}</dl>'


def card(label: str, value_html: str, ci_html: str, base_html: str | None = None) -> str:
    """One headline figure: its label, value and interval (HTML), and optionally what
    it is taken over (HTML)."""
    base = f'<div class="base">{base_html}</div>' if base_html is not None else ""
    return (f'<div class="card"><div class="label">{esc(label)}</div>'
            f'<div class="value">{value_html}</div><div class="ci">{ci_html}</div>{base}</div>')


def cards(items: list[tuple[str, str, str]]) -> str:
    """Headline figures: [(label, value, interval text)]."""
    body = "".join(card(label, esc(value), esc(ci)) for label, value, ci in items)
    return f'<div class="cards">{body}</div>'


@dataclass
class Section:
    id: str
    title: str
    blocks: list[str] = field(default_factory=list)


@dataclass
class Page:
    """An HTML report page: a title, a header block and numbered sections.

    ``synthetic`` (set it from ``Dataset.synthetic``, read from the data folder's
    manifest) puts the synthetic-data banner at the top of the page.
    """

    title: str
    lede: str = ""
    header_blocks: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    synthetic: bool = False

    def section(self, id: str, title: str, *blocks: str) -> Section:
        section = Section(id, title, list(blocks))
        self.sections.append(section)
        return section

    def render(self) -> str:
        toc = "".join(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a></li>'
                      for s in self.sections)
        body = "".join(
            f'<section class="report-section" id="{esc(s.id)}" aria-labelledby="{esc(s.id)}-h">'
            f'<h2 id="{esc(s.id)}-h">{esc(s.title)}</h2>{"".join(s.blocks)}</section>'
            for s in self.sections)
        lede = f'<p class="lede">{esc(self.lede)}</p>' if self.lede else ""
        if self.synthetic:
            lede = synthetic_banner() + lede
        nav = (f'<nav class="toc" aria-label="Contents"><ol>{toc}</ol></nav>'
               if len(self.sections) > 2 else "")
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(self.title)}</title><style>{CSS}</style></head>"
            f'<body><main><header class="page"><h1>{esc(self.title)}</h1>{lede}'
            f'{"".join(self.header_blocks)}</header>{nav}{body}</main></body></html>\n'
        )
