"""Helpers for the audit-report tests: a page's structure, its counts, its links.

The structure of a page (sections, headings, chart titles, table captions, and the
numbers shown in its cards and figure tables) is what the snapshot tests compare
with stored expectations (syrupy, under ``__snapshots__``), so that a layout change is a
deliberate diff: ``pytest --snapshot-update`` rewrites them, and the diff is reviewed.
"""

from __future__ import annotations

import html as _html
import json
import re
from html.parser import HTMLParser

from syrupy.extensions.json import JSONSnapshotExtension


def text(fragment: str) -> str:
    """Visible text of an HTML fragment: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def sections(page: str) -> list[tuple[str, str, str]]:
    """(id, title, inner HTML) of every report section, in order."""
    return [(i, _html.unescape(t), body) for i, t, body in re.findall(
        r'<section class="report-section" id="([^"]+)"[^>]*><h2 id="[^"]+">([^<]+)</h2>'
        r"(.*?)</section>", page, re.S)]


def structure(page: str) -> dict:
    """What a reader sees, section by section (the snapshot)."""
    out = {"title": text(re.search(r"<title>(.*?)</title>", page).group(1)), "sections": []}
    for section_id, title, body in sections(page):
        out["sections"].append({
            "id": section_id, "title": title,
            "headings": [text(h) for h in re.findall(r"<h3>(.*?)</h3>", body, re.S)],
            "charts": [_html.unescape(t) for t in
                       re.findall(r"<svg [^>]*><title>([^<]+)</title>", body)],
            "tables": [text(c) for c in re.findall(r"<caption>(.*?)</caption>", body, re.S)],
            "empty": [text(e) for e in re.findall(r'<p class="empty">(.*?)</p>', body, re.S)],
            "cards": [[text(label), text(value)] for label, value in re.findall(
                r'<div class="card"><div class="label">(.*?)</div>'
                r'<div class="value">(.*?)</div>', body, re.S)],
            "figures": {metric_id: [text(v), text(ci), text(of)]
                        for metric_id, v, ci, of in re.findall(
                            r'<tr><th scope="row">.*?href="#def-([^"]+)".*?</th>'
                            r'<td class="num">(.*?)</td><td class="num">(.*?)</td>'
                            r'<td class="num">(.*?)</td></tr>', body, re.S)},
        })
    return out


class PageStructure(JSONSnapshotExtension):
    """A page's structure as a JSON snapshot, keys in the page's order (the order of a
    section's figures is the order of its table rows), indented by one space."""

    def serialize(self, data, **kwargs) -> str:
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def marked_counts(page: str) -> list[int]:
    """Every count on the page, as marked up by the report (<data class="count">)."""
    return [int(v) for v in re.findall(r'<data class="count" value="(-?\d+)">', page)]


class References(HTMLParser):
    """Collects every attribute and style text that could fetch something."""

    FETCHING = ("src", "href", "srcset", "poster", "data", "action", "formaction",
                "background", "xlink:href", "ping", "manifest", "codebase", "cite")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.styles: list[str] = []
        self.tags: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in self.FETCHING and value is not None:
                self.urls.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def external_references(page: str) -> list[str]:
    """Every reference in ``page`` that would make a browser fetch from a network."""
    parser = References()
    parser.feed(page)
    found = [f"<{tag} {name}={value}>" for tag, name, value in parser.urls
             if re.match(r"\s*(https?:)?//", value, re.I)]
    for style in parser.styles:
        found += re.findall(r"@import[^;]*", style, re.I)
        found += re.findall(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)", style, re.I)
    found += [f"<{tag}>" for tag in parser.tags & {"script", "link", "iframe", "img",
                                                   "object", "embed", "base"}]
    return found
