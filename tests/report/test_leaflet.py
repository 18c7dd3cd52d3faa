"""The client leaflet: every number tied to report.json, plain English, withheld figures
said so, what is not known said as plainly, nothing fetched.

The synthetic service is written once for the module (8,000 referrals, one service,
seed 5) and its leaflets made through the public API (``tincheck.leaflet``) without
PDFs; the browser and PDF tests are in test_leaflet_browser.py.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
import textstat

import tincheck
from tincheck.metrics.offered import OUTCOMES, SESSIONS
from tincheck.report import leaflet_text
from tincheck.report.leaflet import (LeafletError, enough, interviews_missing, leaflets,
                                     render)

from .audit_pages import PageStructure, external_references, text

pytestmark = pytest.mark.xdist_group("leaflet")
MIN_FLESCH = 60


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from tincheck.synth import generate

    folder = generate(tmp_path_factory.mktemp("leaflet") / "service", referrals=8_000,
                      seed=5, services=1)
    out = tmp_path_factory.mktemp("leaflets")
    made = tincheck.leaflet(folder, out, pdf=False)
    doc = json.loads(made.report_json.read_text(encoding="utf-8"))
    return made, doc


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example service (30 referrals): with --min-people 1 its one page renders,
    every figure withheld under disclosure control."""
    made = tincheck.leaflet(tincheck.example_path(), tmp_path_factory.mktemp("example"),
                            pdf=False, min_people=1)
    return made, json.loads(made.report_json.read_text(encoding="utf-8"))


def pages(made) -> dict[str, str]:
    return {p.key: p.html.read_text(encoding="utf-8") for p in made.leaflets}


# ------------------------------------------------------------------ numbers


class Numbers(HTMLParser):
    """Every <data> and <time> element: (source, value attribute, text shown), and the
    page's text outside them, <svg> and <style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.numbers: list[tuple[str, str, str]] = []
        self.rest: list[str] = []
        self._open: list | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("svg", "style", "title") and self._open is None:
            self._skip += 1
        elif tag in ("data", "time") and "data-from" in a:
            self._open = [a["data-from"], a.get("value", a.get("datetime")), ""]

    def handle_endtag(self, tag):
        if tag in ("svg", "style", "title") and self._open is None and self._skip:
            self._skip -= 1
        elif tag in ("data", "time") and self._open is not None:
            self.numbers.append(tuple(self._open))
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[2] += data
        elif not self._skip:
            self.rest.append(data)


def parse(page: str) -> Numbers:
    parser = Numbers()
    parser.feed(page)
    return parser


def half_up(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected(doc: dict, source: str, min_people: int) -> tuple[object, str]:
    """The report.json figure a page number comes from, and how the page must show it:
    a rate (and its interval) × 100 to a whole number, a count with thousands
    separators, a median to a whole number, a date in words."""
    parts = source.split("|")
    if parts[0] in (OUTCOMES, SESSIONS):
        row = next(r for r in doc["tables"][parts[0]]
                   if (r["therapy"], r["problem"]) == (parts[1], parts[2]))
        value = row[parts[3]]
        if parts[3].endswith(("_rate", "_ci_low", "_ci_high")):
            return value, str(half_up(value * 100))
        if parts[3].endswith(("_median", "_q1", "_q3")):
            return value, str(half_up(value))
        return value, f"{value:,}"
    if parts == ["leaflet", "min_people"]:
        return min_people, str(min_people)
    value = doc
    for part in parts:
        value = value[int(part)] if isinstance(value, list) else value[part]
    if isinstance(value, list):  # the number of services
        return len(value), str(len(value))
    if parts == ["settings", "usual_self_threshold"]:
        return value, f"{value:g}"
    if parts[-1] in ("start", "end", "data_end", "generated_at"):
        day = value[:10]
        y, m, d = (int(x) for x in day.split("-"))
        months = ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]
        return day, f"{d} {months[m - 1]} {y}"
    return value, str(value)


def check_numbers(page: str, doc: dict, min_people: int) -> int:
    found = parse(page)
    for source, attribute, shown in found.numbers:
        value, text_ = expected(doc, source, min_people)
        assert shown == text_, (source, shown, text_)
        assert attribute == (value if isinstance(value, str) else str(value)), source
    # every other number on the page is one of the template's own constants
    rest = " ".join(found.rest)
    assert set(re.findall(r"\d+(?:[.,]\d+)*", rest)) <= {"100", "0", "5"}, rest
    return len(found.numbers)


def test_every_number_on_every_synthetic_leaflet_is_a_figure_of_report_json(synthetic):
    made, doc = synthetic
    assert len(made.leaflets) >= 12
    counted = sum(check_numbers(html, doc, 30) for html in pages(made).values())
    assert counted > 300
    check_numbers(made.index.read_text(encoding="utf-8"), doc, 30)


def test_the_example_leaflets_render_and_tie_to_report_json(example):
    made, doc = example
    # 29 referrals ended, published as 30: no treatment was offered to 5 or more, so
    # only the pages about the service as a whole are written, and only with a minimum
    # of people below the default
    assert [p.key for p in made.leaflets] == ["any", "any-depression", "any-anxiety"]
    assert {t for t, _ in made.too_few} >= {"cbt", "gsh_book"}
    for page in pages(made).values():
        check_numbers(page, doc, 1)
    page = pages(made)["any"]
    assert 'class="figure withheld"' in page and 'class="icons"' in page
    assert "to keep people's details private" in text(page)
    # the example has interviews: the figures from them are on the page
    assert 'id="lost_diagnosis"' in page


def test_the_example_has_no_leaflet_at_the_default_minimum(tmp_path):
    made = tincheck.leaflet(tincheck.example_path(), tmp_path, pdf=False)
    assert made.leaflets == () and made.too_few[0] == ("any", 30)
    index = made.index.read_text(encoding="utf-8")
    assert "No page could be made" in text(index)
    check_numbers(index, json.loads(made.report_json.read_text(encoding="utf-8")), 30)


def test_a_figure_shows_its_number_range_grid_and_base(synthetic):
    made, doc = synthetic
    row = next(r for r in doc["tables"][OUTCOMES]
               if (r["therapy"], r["problem"]) == ("gsh_book", "depression"))
    page = pages(made)["gsh_book-depression"]
    figure = re.search(r'<figure class="figure" id="finished">(.*?)</figure>', page, re.S)[1]
    x = half_up(row["finished_rate"] * 100)
    low, high = half_up(row["finished_ci_low"] * 100), half_up(row["finished_ci_high"] * 100)
    shown = text(figure)
    assert f"{x} in 100 finished a course." in shown
    assert f"It could be between {low} and {high} in 100." in shown
    assert f"Out of {row['referred']:,} people offered this." in shown
    # the grid: x dark icons of 100, and its text equivalent
    assert figure.count('class="on"') == x and figure.count('class="off"') == 100 - x
    assert f"<title id=\"fig-finished-t\">{x} in 100 finished a course</title>" in figure
    assert f"{x} are dark and {100 - x} are pale" in figure


def test_every_grid_title_and_icon_count_match_the_number_beside_it(synthetic):
    made, _ = synthetic
    grids = 0
    for page in pages(made).values():
        for figure in re.findall(r'<figure class="figure" id="[^"]+">(.*?)</figure>', page,
                                 re.S):
            x = int(re.search(r'<strong class="big"><data [^>]*>(\d+)</data>', figure)[1])
            assert figure.count('class="on"') == x
            assert re.search(r"<title [^>]*>(\d+) in 100 ", figure)[1] == str(x)
            assert 'role="img"' in figure
            grids += 1
    assert grids > 50


def test_recovered_is_never_used_without_saying_what_it_means(synthetic):
    made, _ = synthetic
    for page in pages(made).values():
        shown = text(page)
        if "recover" in shown.lower():
            assert "It is a score on a form. It does not mean the problem has gone." in shown
        assert "were well on the forms at the end" in shown
        assert "People fill in two short forms about mood and worry." in shown


def test_interviews_and_usual_self_are_shown_where_enough_people_were_checked(synthetic):
    made, doc = synthetic
    page = pages(made)["gsh_book"]
    row = next(r for r in doc["tables"][OUTCOMES]
               if (r["therapy"], r["problem"]) == ("gsh_book", "all"))
    assert enough(row["diagnosed"], 30) and enough(row["usual_self_rated"], 30)
    assert 'id="lost_diagnosis"' in page and 'id="usual_self"' in page
    assert f"We count those who said {doc['settings']['usual_self_threshold']:g} or more" \
        in text(page)


def test_too_few_interviews_are_said_under_what_we_do_not_know(synthetic):
    made, doc = synthetic
    few = [p for p in made.leaflets
           if not enough(next(r for r in doc["tables"][OUTCOMES]
                              if (r["therapy"], r["problem"]) == (p.therapy, p.problem)
                              )["diagnosed"], 30)]
    assert few
    for p in few:
        page = p.html.read_text(encoding="utf-8")
        unknown = re.search(r'<section id="unknown".*?</section>', page, re.S)[0]
        assert 'id="lost_diagnosis"' not in page
        assert leaflet_text.FEW_INTERVIEWS in text(unknown) or \
            leaflet_text.NO_INTERVIEWS_HERE in text(unknown)


def narrowed(tmp_path, removed: dict[str, str]):
    """Leaflets (min_people 1) of the example service with optional data removed: a
    table ("drop" its file) or a column ("drop" it, or "blank" every cell)."""
    from ..ingest.folders import copy_example, drop_column, read_rows, write_rows

    tables = {item for item in removed if "." not in item}
    folder = copy_example(tmp_path / "data", tables=[
        t for t in ("referrals", "appointments", "measures", "interviews", "therapists",
                    "costs") if t not in tables])
    for item, how in removed.items():
        if "." not in item:
            continue
        table, column = item.split(".")
        if how == "drop":
            drop_column(folder, table, column)
        else:
            header, rows = read_rows(folder / f"{table}.csv")
            for row in rows:
                row[header.index(column)] = ""
            write_rows(folder / f"{table}.csv", header, rows)
    made = tincheck.leaflet(folder, tmp_path / "out", pdf=False, min_people=1)
    return made, json.loads(made.report_json.read_text(encoding="utf-8"))


def unknown_items(page: str) -> list[str]:
    section = re.search(r'<section id="unknown".*?</section>', page, re.S)[0]
    return [text(li) for li in re.findall(r"<li>(.*?)</li>", section, re.S)]


def test_without_interviews_the_figures_are_withheld_and_the_page_says_nobody_was_checked(
        tmp_path, example):
    made, doc = narrowed(tmp_path, {"interviews": "drop"})
    # report.json withholds the interview columns (not counts of 0), and says why
    for row in doc["tables"][OUTCOMES]:
        assert row["diagnosed"] is None and row["lost_diagnosis_rate"] is None
        assert row["usual_self_rated"] is None and row["usual_self_rate"] is None
    assert interviews_missing(doc) and not interviews_missing(example[1])
    page = pages(made)["any"]
    assert 'id="lost_diagnosis"' not in page and 'id="usual_self"' not in page
    assert leaflet_text.NO_INTERVIEWS in unknown_items(page)
    assert leaflet_text.NO_USUAL_SELF_RECORDED not in unknown_items(page)
    # the rest of the page is as with interviews
    assert 'id="finished"' in page and 'id="finished"' in pages(example[0])["any"]
    for html in pages(made).values():
        check_numbers(html, doc, 1)


@pytest.mark.parametrize("how", ["drop", "blank"])
def test_without_usual_self_ratings_only_that_figure_is_withheld(tmp_path, example, how):
    made, doc = narrowed(tmp_path, {"interviews.usual_self_pct": how})
    [entry] = doc["not_computed"]
    assert entry["columns"] == {OUTCOMES: ["usual_self_rated", "usual_self", "usual_self_rate",
                                           "usual_self_ci_low", "usual_self_ci_high"]}
    full = {(r["therapy"], r["problem"]): r for r in example[1]["tables"][OUTCOMES]}
    for row in doc["tables"][OUTCOMES]:
        assert row["usual_self_rate"] is None and row["usual_self_rated"] is None
        # loss of diagnosis is unchanged
        assert row["diagnosed"] == full[(row["therapy"], row["problem"])]["diagnosed"]
    page = pages(made)["any"]
    assert 'id="usual_self"' not in page and 'id="lost_diagnosis"' in page
    assert leaflet_text.NO_USUAL_SELF_RECORDED in unknown_items(page)
    assert leaflet_text.NO_INTERVIEWS not in unknown_items(page)


def test_without_treatment_types_problems_or_media_the_page_says_what_is_not_known(
        tmp_path):
    made, doc = narrowed(tmp_path, {"appointments.therapy_type": "drop",
                                    "referrals.problem_descriptor": "blank"})
    assert set(doc["data"]["optional_absent"]) == {
        "appointments.therapy_type", "referrals.problem_descriptor"}
    # no problem: only the page about every referral, for all problems together
    assert [p.key for p in made.leaflets] == ["any"]
    page = pages(made)["any"]
    items = unknown_items(page)
    assert leaflet_text.NO_TREATMENT_TYPES in items and leaflet_text.NO_PROBLEMS in items
    # the sessions of the treatment offered cannot be told from others: withheld, and said
    assert doc["tables"][SESSIONS] == []
    facts = re.search(r'<ul class="facts">(.*?)</ul>', page, re.S)[1]
    assert text(facts) == leaflet_text.NO_SESSION_TYPES
    check_numbers(page, doc, 1)


def test_sessions_of_no_recorded_medium_are_said_so(synthetic):
    _, doc = synthetic
    unknown = copy.deepcopy(doc)
    for row in unknown["tables"][SESSIONS]:
        for key in [k for k in row if k.startswith("medium_") and k.endswith("_rate")]:
            row[key] = 1.0 if key == "medium_unknown_rate" else 0.0
    facts = re.search(r'<ul class="facts">(.*?)</ul>', render(unknown)["gsh_book.html"],
                      re.S)[1]
    assert leaflet_text.NO_MEDIUM in text(facts) and "Most sessions were" not in text(facts)


def test_a_figure_on_too_few_people_is_withheld_and_the_page_says_why(synthetic):
    _, doc = synthetic
    small = copy.deepcopy(doc)
    row = next(r for r in small["tables"][OUTCOMES]
               if (r["therapy"], r["problem"]) == ("gsh_book", "all"))
    row["referred"] = 30  # published 30 may be 28 people: too few to be sure of 30
    assert "gsh_book" not in {p.key for p in leaflets(small).pages}
    assert ("gsh_book", 30) in leaflets(small).too_few
    row["referred"] = 35  # surely 33 or more
    made = leaflets(small, min_people=30)
    html = next(p.html for p in made.pages if p.key == "gsh_book")
    assert 'id="never_started"' in html
    # a rate suppressed for a small numerator says so, with the base
    never = re.search(r'<figure class="figure withheld" id="never_started">(.*?)</figure>',
                      html, re.S)
    assert never and "fewer than 5 people out of" in text(never[1])


def test_min_people_leaves_out_pages_and_interview_figures_on_fewer(synthetic):
    _, doc = synthetic
    made = leaflets(doc, min_people=1000)
    assert made.pages and all(p.people >= 1002 for p in made.pages)
    assert {t for t, n in made.too_few} >= {"cbt", "counselling"}
    html = made.pages[0].html
    assert 'id="lost_diagnosis"' not in html and 'id="finished"' in html
    assert leaflet_text.FEW_INTERVIEWS in text(html)


def test_leaflets_need_disclosure_control_and_the_tables(synthetic):
    _, doc = synthetic
    off = copy.deepcopy(doc)
    off["settings"]["disclosure_control"] = False
    with pytest.raises(LeafletError, match="disclosure control"):
        leaflets(off)
    old = copy.deepcopy(doc)
    del old["tables"][OUTCOMES]
    with pytest.raises(LeafletError, match="older tincheck"):
        leaflets(old)


def test_nothing_is_fetched_and_the_page_prints_on_a4(synthetic):
    made, _ = synthetic
    for page in [*pages(made).values(), made.index.read_text(encoding="utf-8")]:
        assert external_references(page) == []
        assert "<script" not in page
    page = pages(made)["gsh_book"]
    assert "@page { size: A4" in page and "print-color-adjust: exact" in page


def test_the_index_links_every_leaflet_and_lists_those_not_written(synthetic):
    made, _ = synthetic
    index = made.index.read_text(encoding="utf-8")
    for p in made.leaflets:
        assert f'href="{p.key}.html"' in index
    for therapy, _ in made.too_few:
        assert leaflet_text.TREATMENTS[therapy].name in text(index)


def test_the_synthetic_banner_is_on_every_page(synthetic):
    made, _ = synthetic
    for page in pages(made).values():
        assert "Synthetic data" in text(page)


def _blocks(page: str) -> list[str]:
    """The texts a reader reads one by one: paragraphs, list items, headings."""
    page = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    return [text(b) for b in re.findall(r"<(?:p|li|h1|h2)\b[^>]*>(.*?)</(?:p|li|h1|h2)>",
                                        page, re.S)]


def test_every_page_and_every_paragraph_is_plain_english(synthetic, example):
    scores = []
    for made, _ in (synthetic, example):
        for page in pages(made).values():
            body = re.sub(r"<(svg|style|title).*?</\1>", "", page, flags=re.S)
            whole = textstat.flesch_reading_ease(text(body))
            assert whole >= MIN_FLESCH, whole
            scores.append(whole)
            for block in _blocks(page):
                if re.search(r"[.?!]$", block):  # sentences; headings are measured above
                    score = textstat.flesch_reading_ease(block)
                    assert score >= MIN_FLESCH, (score, block)
    assert min(scores) >= MIN_FLESCH


def test_the_structure_of_one_leaflet(synthetic, snapshot):
    made, _ = synthetic
    page = pages(made)["gsh_book-depression"]
    structure = {
        "title": text(re.search(r"<title>(.*?)</title>", page)[1]),
        "headings": [text(h) for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page, re.S)],
        "figures": [[i, text(s)] for i, s in re.findall(
            r'<figure class="figure[^"]*" id="([^"]+)">.*?<p class="statement">(.*?)</p>',
            page, re.S)],
        "facts": [text(li) for li in re.findall(r"<li>(.*?)</li>", re.search(
            r'<ul class="facts">(.*?)</ul>', page, re.S)[1], re.S)],
    }
    assert structure == snapshot(extension_class=PageStructure)


@pytest.mark.parametrize("period, said", [
    ({"start": "2023-04-01", "end": "2024-03-31"},
     "care that ended between 1 April 2023 and 31 March 2024."),
    ({"start": "2023-04-01", "end": None}, "all care that ended from 1 April 2023 to "),
    ({"start": None, "end": "2024-03-31"}, "all care that ended up to 31 March 2024."),
])
def test_the_period_is_said_in_words_from_report_json(synthetic, period, said):
    _, doc = synthetic
    dated = copy.deepcopy(doc)
    dated["data"]["period"] = period
    page = render(dated)["gsh_book.html"]
    assert said in re.sub(r"\s+([.,:])", r"\1", text(page))  # no space before a stop
    check_numbers(page, dated, 30)
