"""The audit report's table of outcomes by the treatment offered (section 8) shows the
report.json rows the leaflets are made from."""

from __future__ import annotations

import re

import tincheck
from tincheck.metrics.offered import OUTCOMES
from tincheck.report.audit import render_html
from tincheck.report.format import DASH

from .audit_pages import sections, text


def test_the_table_shows_every_treatment_offered_from_report_json():
    doc = tincheck.audit(tincheck.example_path(), imputations=0).to_json()
    delivery = dict((i, body) for i, _, body in sections(render_html(doc)))["delivery"]
    table = re.search(r"<caption>Outcomes by the treatment offered.*?</table>", delivery,
                      re.S)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    first = [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", rows[0], re.S)]
    # of the example's 29 ended referrals (published as 30), 21 had a treatment
    # contact (counted by hand in test_adding_a_metric.py): 8 never started, 8/29 = 28%,
    # Wilson 95% interval 15% to 46%
    assert first[:3] == ["every referral", "30", "28% (15% to 46%)"]
    assert len(rows) == len([r for r in doc["tables"][OUTCOMES] if r["problem"] == "all"])
    # a treatment offered to fewer than 5 shows * for its count and its rates
    assert "cognitive behavioural therapy" in text(table) and "*" in text(table)


def test_figures_not_computed_for_absent_interviews_show_a_dash_not_a_star(tmp_path):
    from ..ingest.folders import copy_example

    folder = copy_example(tmp_path / "data", tables=["referrals", "appointments",
                                                     "measures", "therapists", "costs"])
    doc = tincheck.audit(folder, imputations=0).to_json()
    delivery = dict((i, body) for i, _, body in sections(render_html(doc)))["delivery"]
    table = re.search(r"<caption>Outcomes by the treatment offered.*?</table>", delivery,
                      re.S)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        cells = [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        assert cells[-2:] == [DASH, DASH], cells  # lost diagnosis, usual self: not computed
