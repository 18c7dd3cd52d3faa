"""Adding a metric to an existing family is one declaration in the family's module.

The metric below is declared exactly as ``src/tincheck/metrics/delivery.py`` declares
its own; nothing else is changed, and it reaches every output: report.json,
metrics.csv, the family's table in the report, the definitions appendix and the
generated docs (the third file a newcomer touches, by running tools/make_docs.py).
"""

from __future__ import annotations

import csv
import io

import pytest

import tincheck
from tincheck.metrics.docs import registry_markdown
from tincheck.metrics.registry import REGISTRY, proportion
from tincheck.report.audit import metrics_csv, render_html

from .report.audit_pages import sections, structure

pytestmark = pytest.mark.xdist_group("adding_a_metric")  # the second test checks the first

NEW = "delivery.four_or_more_treatment_sessions"


@pytest.fixture
def new_metric(monkeypatch):
    """The registry with one more delivery metric, restored after the test."""
    monkeypatch.setattr(REGISTRY, "_declared", dict(REGISTRY._declared))
    monkeypatch.setattr(REGISTRY, "_ordered", {})
    proportion(NEW, "Four or more treatment sessions",
               lambda o: o.ended & (o.treatment_contacts >= 4),
               lambda o: o.ended & (o.treatment_contacts >= 1),
               "Referrals ended with at least four treatment contacts ÷ T.", "tincheck")
    return NEW


def test_a_new_metric_reaches_json_csv_its_section_definitions_and_docs(new_metric):
    assert REGISTRY.family("delivery")[-1].id == new_metric  # after the family's own
    audit = tincheck.audit(tincheck.example_path(), imputations=0)
    exact = audit.to_json(disclosure_control=False)["metrics"][new_metric]
    # counted by hand (pandas) from the example's CSVs: of the 29 referrals that ended, 21
    # had a treatment contact (kind treatment, review_treatment or assessment_treatment,
    # attended or late_seen) and 14 had four or more
    assert (exact["numerator"], exact["denominator"]) == (14, 21)
    doc = audit.to_json()
    metric = doc["metrics"][new_metric]  # rounded to 5 on the way out
    assert (metric["numerator"], metric["denominator"]) == (15, 20)

    rows = list(csv.DictReader(io.StringIO(metrics_csv(doc))))
    assert [r["value"] for r in rows if r["id"] == new_metric] == ["0.67"]

    page = render_html(doc)
    delivery = next(s for s in structure(page)["sections"] if s["id"] == "delivery")
    # 14/21 = 0.667 with its Wilson interval (0.454, 0.828)
    assert delivery["figures"][new_metric] == ["67%", "45% to 83%", "15 of 20"]
    assert list(delivery["figures"])[-1] == new_metric  # last row of "What was delivered"
    definitions = dict((i, body) for i, _, body in sections(page))["definitions"]
    assert f'id="def-{new_metric}"' in definitions

    assert f"| `{new_metric}` | Four or more treatment sessions |" in registry_markdown()


def test_the_registry_is_whole_after_the_test_that_added_a_metric():
    assert NEW not in REGISTRY
