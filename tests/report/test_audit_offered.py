"""The audit report's table of outcomes by the treatment offered (section 8) shows the
report.json rows the leaflets are made from."""

from __future__ import annotations

import re

import tincheck
from tincheck.metrics.offered import OUTCOMES
from tincheck.report.audit import render_html

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
