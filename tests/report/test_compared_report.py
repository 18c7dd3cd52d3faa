"""Sections 11 and 12 of the audit report: services and therapists compared, rendered
from the controlled document of a two-service, twelve-therapist cohort."""

from __future__ import annotations

import pytest

from tincheck.report.audit import render_html
from tincheck.report.audit.compared import statements

from .audit_pages import sections, text
from .test_audit_disclosure import build_compared


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    cohort = build_compared(tmp_path_factory.mktemp("compared-report") / "services")
    audit = cohort.audit(disclosure_control=True, imputations=0)
    return audit, {i: b for i, _, b in sections(render_html(audit.to_json()))}


def test_services_section_draws_a_funnel_per_measure_and_ranks_the_gap(page):
    body = page[1]["services"]
    assert "Funnel plot: Official recovery rate" in body
    assert "Funnel plot: Recovery among everyone referred as a case" in body
    assert "With fewer than three services, overdispersion is not estimated." in text(body)
    # no interviews: the measure is named, and why it is not compared
    assert ("Lost index diagnoses at end (of those diagnosed at baseline) Not compared: "
            "fewer than two services have anyone to count for this measure (nobody "
            "diagnosed at baseline by an independent interview that counts).") in text(body)
    assert "Official recovery minus recovery among everyone referred as a case" in body


def test_therapist_section_sets_the_icc_beside_the_routine_care_reference(page):
    body = text(page[1]["therapists"])
    assert "of the variance in recovery lies between therapists" in body
    assert "typical of routine care" in body and "Johns RG" in body
    assert "Caterpillar plot" in page[1]["therapists"]
    assert "those with fewer are pooled and not shown" in body
    assert "Range restriction" in body and "Power:" in body
    assert "cannot show that raising competence would change outcomes" in body


def test_one_service_and_no_therapist_say_what_was_not_computed(tmp_path):
    from ..metrics.cohort import Cohort

    cohort = Cohort(tmp_path / "one")
    cohort.referral().treatments(2).phq9(15, 5).gad7(10, 4)
    doc = cohort.audit(imputations=0, disclosure_control=True).to_json()
    found = {i: text(b) for i, _, b in sections(render_html(doc))}
    assert "The data hold one service" in found["services"]
    assert ("Therapist effects are not computed: the therapist_id column of "
            "appointments.csv is empty.") in found["therapists"]
    assert ("Competence ratings against outcomes are not computed: no therapists file was "
            "supplied.") in found["therapists"]


def test_the_plain_statement_follows_the_interaction_interval():
    row = {"outcome": "recovery", "model": "all three with interactions",
           "term": "diagnosis_specific x stage_specific", "estimate": 0.3, "ci_low": 0.1,
           "ci_high": 0.5, "detectable": 0.28, "therapists": 200}
    found = statements([row], [])
    assert "act together" in found[0] and "do not show" not in found[0]
    absent = statements([{**row, "estimate": 0.05, "ci_low": -0.15, "ci_high": 0.25}], [])
    assert "do not show" in absent[0] and "not evidence that they do not" in absent[0]
    # standard errors that could not be estimated (NaN in the model, null in report.json)
    unknown = statements([{**row, "ci_low": None, "ci_high": None}], [])
    assert "could not be estimated" in unknown[0] and "the data show" not in unknown[0]
