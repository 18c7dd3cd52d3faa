"""Every registered metric is documented, and docs/metrics.md matches the registry."""

from __future__ import annotations

import re

import pytest

import tincheck
from tincheck.metrics import REGISTRY
from tincheck.metrics.docs import splice

from .conftest import REPO, SHARED

DOC = REPO / "docs" / "metrics.md"
ISSUE_4_FAMILIES = ("funnel", "official", "itt", "delivery", "rereferral", "value")
ISSUE_4_SENSITIVITY = ("sensitivity.completers", "sensitivity.missing_as_not_recovered",
                       "sensitivity.locf")


def test_generated_registry_section_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert splice(text) == text, "docs/metrics.md is stale: run python tools/make_docs.py"


@pytest.mark.parametrize("metric_id", sorted(REGISTRY))
def test_every_registered_metric_is_documented(metric_id):
    metric = REGISTRY[metric_id]
    assert f"`{metric_id}`" in DOC.read_text(encoding="utf-8")
    assert metric.label and metric.definition and metric.source


def contract_ids() -> list[str]:
    path = SHARED / "spec" / "metrics.md"
    if not path.is_file():
        pytest.skip("shared spec not found")
    ids = re.findall(r"`([a-z]+\.[a-z0-9_]+)`", path.read_text(encoding="utf-8"))
    return sorted({i for i in ids if i.split(".")[0] in ISSUE_4_FAMILIES
                   or i in ISSUE_4_SENSITIVITY})


def test_every_contract_id_of_these_families_is_in_report_json_of_the_example():
    doc = tincheck.audit(tincheck.example_path()).to_json()
    present = set(doc["metrics"]) | set(doc["tables"])
    missing = [i for i in contract_ids() if i not in present]
    assert not missing
