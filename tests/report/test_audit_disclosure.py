"""Disclosure control of every output: no count under 5 anywhere in HTML, JSON or CSV,
and every count (all are below national level) a multiple of 5.

The service is crafted to have small cells everywhere: 23 referrals, of which 13
finish a course (9 recover, 3 deteriorate), 4 are never seen, 3 have one session;
7 are interviewed (3 lose their diagnoses); one has no appointment at all (a
validation warning about 1 row); costs are given.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tincheck.report.audit import metrics_csv, render_html

from ..metrics.cohort import Cohort
from .audit_pages import marked_counts, sections, text

# Keys of report.json that hold settings or statistics, not counts of people.
NOT_COUNTS = {"m", "seed", "imputations", "imputation_seed", "usual_self_threshold"}
COUNT_KEYS = {"numerator", "denominator", "n", "cases", "missing_last_scores", "courses",
              "eligible", "recovered", "reliably_improved", "lost_end", "lost_follow_up",
              "end_interviewed", "follow_up_interviewed", "interviewed_n", "all_n",
              "recovered_lost", "recovered_diagnosed", "not_recovered_lost",
              "not_recovered_diagnosed"}


def build(folder):
    cohort = Cohort(folder)
    for i in range(9):                                  # finished, recovered
        r = cohort.referral(problem="F32.1", age=30 + i, sex="female" if i % 3 else "male")
        r.assessment(0).treatments(3, therapy="cbt", intensity="high").phq9(16, 12, 5)
        r.gad7(12, 9, 4)
        if i < 7:                                       # 7 interviewed at baseline and end
            r.interview("baseline", 2, {"depression": "present"}, usual_self=40)
            r.interview("end", 40, {"depression": "absent" if i < 3 else "present"},
                        usual_self=95 if i < 2 else 60)
    for i in range(3):                                  # finished, deteriorated
        cohort.referral(age=40 + i).treatments(2, therapy="gsh_book", intensity="low",
                                               medium="telephone").phq9(11, 19).gad7(9, 16)
    cohort.referral(age=50).treatments(2, therapy="gsh_book", intensity="low").phq9(8, 7)
    for i in range(4):                                  # never seen
        cohort.referral(end_reason="not_assessed").assessment(0, attendance="dna")
    for i in range(3):                                  # one treatment session
        cohort.referral(end_reason="dropped_out_treatment").treatments(1).phq9(18)
    cohort.referral(end_reason="not_assessed")         # no appointment at all: a warning
    cohort.referral(received=30).assessment(0).phq9(14)
    cohort.referral(received=60).assessment(0).gad7(15)
    cohort.cost("S1", "2023-01-01", "2023-12-31", 250_000)
    return cohort


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    cohort = build(tmp_path_factory.mktemp("small") / "service")
    audit = cohort.audit(disclosure_control=True, imputations=5)
    doc = audit.to_json()
    return audit, doc, render_html(doc), metrics_csv(doc)


def test_the_crafted_service_really_has_small_cells(audited):
    audit = audited[0]
    exact = audit.to_json(disclosure_control=False)["metrics"]
    assert exact["funnel.referrals_ended"]["value"] == 23
    assert exact["official.finished_course"]["value"] == 13
    assert exact["funnel.ended_not_seen"]["numerator"] == 5          # 4 DNA + 1 no contact
    assert exact["official.reliable_deterioration_rate"]["numerator"] == 3
    assert exact["diagnostic.baseline_diagnosed"]["value"] == 7
    assert exact["diagnostic.lost_index_end_itt"]["numerator"] == 3
    assert exact["agreement.kappa"]["cells"]["recovered_lost"] == 3
    assert any("1 row" in w for w in audit.warnings)


def _counts(node, key=None):
    """Every (key, value) under ``node`` that is a count of people."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "cells" and isinstance(v, dict):
                yield from ((c, n) for c, n in v.items())
            else:
                yield from _counts(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _counts(v, key)
    elif key in COUNT_KEYS and not isinstance(node, bool):
        yield key, node


def _ok(value) -> bool:
    return value is None or (float(value).is_integer() and value >= 5 and value % 5 == 0)


def test_json_counts_are_suppressed_under_5_and_rounded_to_5(audited):
    _, doc, _, _ = audited
    found = list(_counts({"metrics": doc["metrics"], "tables": doc["tables"]}))
    assert len(found) > 150
    bad = [(k, v) for k, v in found if not _ok(v)]
    assert not bad
    counts = [m["value"] for m in doc["metrics"].values() if m["kind"] == "count"]
    assert all(_ok(v) for v in counts)
    assert doc["metrics"]["funnel.referrals_ended"]["value"] == 25       # 23 rounded
    assert doc["metrics"]["official.reliable_deterioration_rate"]["suppressed"] is True


def test_json_holds_no_other_whole_number_that_is_not_a_multiple_of_5(audited):
    """A stricter net: any whole number in metrics and tables (outside settings such as
    the seed) must be None, under 5 never, and a multiple of 5."""
    _, doc, _, _ = audited

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, key)
        elif isinstance(node, int) and not isinstance(node, bool) and key not in NOT_COUNTS:
            yield key, node

    # services.compared counts services (organisations), not people
    metrics = {k: v for k, v in doc["metrics"].items() if k != "services.compared"}
    bad = [(k, v) for k, v in walk({"m": metrics, "t": doc["tables"]}) if not _ok(v)]
    assert not bad


def test_warnings_give_rounded_row_counts_and_no_rows(audited):
    _, doc, page, _ = audited
    warning = next(w for w in doc["warnings"] if "no appointments" in w)
    assert "fewer than 5 rows" in warning and "(rows" not in warning
    assert "1 row" not in page


def test_every_count_on_the_page_is_rounded_to_5(audited):
    counts = marked_counts(audited[2])
    assert counts and all(_ok(c) for c in counts)
    assert 'title="fewer than 5: suppressed by disclosure control">*</span>' in audited[2]


def _visible_numbers(page: str) -> str:
    """The page's visible text (charts' text and descriptions included) without the
    style sheet, the header (hashes, dates) and the definitions appendix."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r'<dl class="meta" id="header">.*?</dl>', "", page, flags=re.S)
    body = "".join(b for i, _, b in sections(page) if i != "definitions")
    # labels and definitions are fixed text ("within 12 months"), not data
    body = re.sub(r'<span class="(def|label)">.*?</span>', "", body, flags=re.S)
    body = re.sub(r'<a class="mid"[^>]*>.*?</a>', "", body)
    body = re.sub(r"<svg [^>]*>", "", body)
    return text(body)


def test_no_exact_count_that_rounding_hides_appears_anywhere_on_the_page(audited):
    audit, _, page, _ = audited
    exact = audit.to_json(disclosure_control=False)
    hidden = {v for _, v in _counts({"m": exact["metrics"], "t": exact["tables"]})
              if v is not None and v % 5 != 0 and v >= 10}
    assert {13, 23} <= hidden
    visible = _visible_numbers(page)
    for value in hidden:
        assert not re.search(rf"(?<![\d.,:/-]){value}(?![\d.,%:/-])", visible), value


def test_chart_descriptions_show_counts_only_as_rounded(audited):
    page = audited[2]
    for desc in re.findall(r"<desc>(.*?)</desc>", page, re.S):
        for number in re.findall(r"(?<![\d.,])(\d[\d,]*) \(", desc):
            assert _ok(int(number.replace(",", ""))), (number, desc[:80])


def test_csv_counts_are_suppressed_under_5_and_rounded_to_5(audited):
    rows = list(csv.DictReader(io.StringIO(audited[3])))
    for row in rows:
        for key in ("numerator", "denominator", "n"):
            assert row[key] == "" or _ok(int(row[key])), (row["id"], key, row[key])
        if row["kind"] == "count":
            assert row["value"] == "" or _ok(int(row["value"])), row["id"]
    suppressed = {r["id"] for r in rows if r["suppressed"] == "true"}
    assert "official.reliable_deterioration_rate" in suppressed


def test_the_exact_report_is_only_written_when_asked(audited):
    """--no-disclosure-control shows exact counts, and the page says so."""
    audit = audited[0]
    exact = audit.to_json(disclosure_control=False)
    page = render_html(exact)
    assert "Disclosure control is OFF" in page
    assert 23 in marked_counts(page)
    assert exact["metrics"]["official.reliable_deterioration_rate"]["numerator"] == 3
    assert '"suppressed": true' not in json.dumps(exact)


# ------------------------------------------------------------------ services and therapists

COMPARED_TABLES = ("services.comparison", "services.gap", "services.overdispersion",
                   "therapists.estimates", "therapists.competence",
                   "therapists.competence_ratings")
COMPARED_COUNTS = {"events", "n", "official_events", "official_n", "itt_events", "itt_n",
                   "cases", "therapists"}


def build_compared(folder):
    """Two services, 12 therapists (TH01-TH12, rated): 11 with 10 finished cases each at
    caseness (4 to 7 recovered), TH12 with 3 (pooled); S2 has 3 people who left (a
    small ITT cell)."""
    cohort = Cohort(folder)
    for t in range(1, 13):
        cohort.therapist(f"TH{t:02d}", ratings=(3.0 + (t % 4) * 0.5, 3.5 + (t % 3) * 0.5,
                                                 4.0 + (t % 2) * 0.5))
        service = "S1" if t <= 6 else "S2"
        for i in range(10 if t < 12 else 3):
            recovered = i < 4 + t % 4
            r = cohort.referral(service=service, age=25 + i)
            r.assessment(0, therapist=f"TH{t:02d}").treatments(3, therapist=f"TH{t:02d}")
            r.phq9(14 + i % 5, 5 if recovered else 13).gad7(11, 4 if recovered else 10)
    for _ in range(3):
        cohort.referral(service="S2", end_reason="dropped_out_treatment").assessment(0).phq9(16)
    return cohort


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    cohort = build_compared(tmp_path_factory.mktemp("compared") / "services")
    audit = cohort.audit(disclosure_control=True, imputations=0)
    doc = audit.to_json()
    return audit, doc, render_html(doc)


def test_the_compared_cohort_has_models_and_small_cells(compared):
    audit = compared[0]
    assert audit.value("services.compared") == 2
    assert audit.value("therapists.icc_recovery") is not None
    exact = {r["therapist"]: r for r in audit.tables["therapists.estimates"]}
    assert any(r.get("pooled") and r["cases"] == 3 for r in exact.values())
    gap = {r["service_id"]: r for r in audit.tables["services.gap"]}
    assert gap["S2"]["itt_n"] == 56 and gap["S1"]["official_n"] == 60


def test_service_and_therapist_tables_show_no_count_under_5_and_round_to_5(compared):
    doc = compared[1]
    found = [(tid, k, v) for tid in COMPARED_TABLES for row in doc["tables"][tid]
             for k, v in row.items() if k in COMPARED_COUNTS]
    assert len(found) > 40
    assert not [f for f in found if not _ok(f[2])]
    pooled = next(r for r in doc["tables"]["therapists.estimates"] if r.get("pooled"))
    assert pooled["cases"] is None and pooled["suppressed"] is True
    gap = {r["service_id"]: r for r in doc["tables"]["services.gap"]}
    assert gap["S2"]["itt_n"] == 55                       # 56 rounded
    assert doc["metrics"]["therapists.icc_recovery"]["n"] % 5 == 0
    assert doc["metrics"]["therapists.icc_recovery"]["therapists"] % 5 == 0


def test_therapists_are_pseudonymous_in_every_output(compared):
    _, doc, page = compared
    text_json = json.dumps(doc)
    assert "TH0" not in text_json and "TH1" not in text_json
    assert "TH0" not in page and "TH1" not in page
    labels = [r["therapist"] for r in doc["tables"]["therapists.estimates"]]
    assert labels[0] == "T01"


def test_a_suppressed_service_rate_gives_nothing_away(compared):
    _, doc, page = compared
    exact = compared[0].to_json(disclosure_control=False)["tables"]["services.comparison"]
    small = [(r["service_id"], r["measure"]) for r in exact
             if r["events"] < 5 or r["n"] < 5]
    published = {(r["service_id"], r["measure"]): r
                 for r in doc["tables"]["services.comparison"]}
    for key in small:
        row = published[key]
        assert row["rate"] is None and row["z"] is None and row["suppressed"] is True
        assert all(row[k] is None for k in row if k.startswith(("outside_", "exact_", "re_")))
    counts = marked_counts(page)
    assert counts and all(_ok(c) for c in counts)
