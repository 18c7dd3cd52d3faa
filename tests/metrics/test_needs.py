"""What absent optional data leaves out: the needs table, the withheld figures, and the
multiple-imputation covariates left out (hand-built cases)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from tincheck.metrics import REGISTRY, Result, imputation, needs
from tincheck.stats.imputation import impute_pmm, pooled_proportion

from ..conftest import REPO


def test_unmet_needs_of_absent_columns_and_tables():
    absent = {"referrals.end_reason": "no column", "appointments.medium": "empty",
              "interviews": "no file", "interviews.usual_self_pct": "no column"}
    files = {"referrals": "referrals.csv", "appointments": "appts.xlsx"}
    entries = needs.unmet(absent, files)
    assert [(e["data"], e["why"]) for e in entries] == [
        (["interviews"], "no interviews file was supplied"),
        (["referrals.end_reason"], "referrals.csv has no end_reason column"),
        (["appointments.medium"], "the medium column of appts.xlsx is empty"),
    ]  # the usual_self_pct need is the interviews table's: no entry of its own
    assert entries[1]["metrics"] == ["funnel.completed_as_planned", "funnel.dropped_out"]
    assert "diagnostic.lost_index_end_itt" in entries[0]["metrics"]
    assert "value.cost_per_lost_diagnosis" in entries[0]["metrics"]


def test_intensity_alone_narrows_and_with_therapy_type_withholds():
    alone = needs.unmet(["appointments.intensity"])
    assert [(e["data"], e["metrics"]) for e in alone] == [(["appointments.intensity"], [])]
    both = needs.unmet(["appointments.intensity", "appointments.therapy_type"])
    assert [(e["data"], e["metrics"]) for e in both] == [
        (["appointments.intensity", "appointments.therapy_type"],
         ["delivery.low_intensity_only", "delivery.stepped_up"]),
        (["appointments.therapy_type"], ["delivery.guided_self_help",
                                         "delivery.by_therapy_type"])]


def test_ended_date_absent_withholds_all_but_two_figures():
    [entry] = needs.unmet(["referrals.ended_date"])
    kept = set(REGISTRY) - set(entry["metrics"])
    assert kept == {"funnel.referrals_received", "rereferral.clients_with_3plus_referrals"}


def test_narrow_withholds_values_and_keeps_settings():
    results = {"funnel.dropped_out": Result("funnel.dropped_out", "proportion", 0.0, 0, 12,
                                            ci_low=0.0, ci_high=0.24),
               "funnel.referrals_ended": Result("funnel.referrals_ended", "count", 12)}
    tables = {"delivery.by_therapy_type": [{"therapy": "cbt", "courses": 3}]}
    entries = needs.unmet(["referrals.end_reason", "appointments.therapy_type"],
                          {"referrals": "r.csv"})
    out, out_tables = needs.narrow(results, tables, entries)
    dropped = out["funnel.dropped_out"]
    assert (dropped.value, dropped.numerator, dropped.denominator, dropped.ci_low) == \
        (None, None, None, None)
    assert dropped.note == "not computed: r.csv has no end_reason column"
    assert out["funnel.referrals_ended"] is results["funnel.referrals_ended"]
    assert out_tables["delivery.by_therapy_type"] == []
    assert results["funnel.dropped_out"].value == 0.0  # the input is not changed


def test_docs_cli_md_note_is_the_one_the_audit_prints():
    [entry] = needs.unmet(["referrals.end_reason"], {"referrals": "referrals.csv"})
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"\nnote {needs.sentence(entry)}\n" in text


def test_docs_report_md_shows_the_needs_table():
    text = (REPO / "docs" / "report.md").read_text(encoding="utf-8")
    assert needs.needs_markdown() in text, "docs/report.md: paste needs.needs_markdown()"


@pytest.mark.parametrize("module", [needs, imputation])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ imputation

def cases(age) -> pd.DataFrame:
    """Twelve cases: first and last scores (some last missing), contacts, sex, service."""
    rng = np.random.default_rng(3)
    n = 12
    phq_first = rng.integers(10, 27, n).astype(float)
    anx_first = rng.uniform(1.0, 2.5, n)
    phq_last = phq_first - rng.integers(0, 12, n)
    anx_last = anx_first - rng.uniform(0, 1.2, n)
    phq_last[[2, 5, 9]] = np.nan
    anx_last[[2, 5, 9]] = np.nan
    return pd.DataFrame({
        "phq_first": phq_first, "phq_last": phq_last, "anx_first": anx_first,
        "anx_last": anx_last, "anx_inclusive": False, "age": age,
        "treatment_contacts": rng.integers(1, 10, n).astype(float),
        "sex": ["female", "male"] * 6, "problem": ["depression"] * 6 + ["gad"] * 6,
        "service": ["S1"] * n})


@pytest.mark.parametrize("age, why", [
    ([np.nan] * 12, "no observed values"),
    ([41.0] + [np.nan] * 11, "one observed value only"),
    ([30.0] * 12, "one value only"),
])
def test_a_covariate_without_information_is_left_out_and_said(age, why):
    frame = cases(age)
    result = imputation.impute_recovery(frame, m=5, seed=11)
    assert result.extra["dropped_covariates"] == {"age": why, "service": "one value only"}
    assert result.note == f"imputed without age ({why})"
    # the same as imputing with age never in the model (peer: impute_pmm called directly
    # on the columns left; service is constant, so it is no predictor either)
    frames = impute_pmm(frame, ["phq_last", "anx_last"],
                        ["treatment_contacts", "sex", "problem", "phq_first", "anx_first"],
                        m=5, seed=11)
    expected = pooled_proportion(frames, imputation.recovered)
    assert result.value == pytest.approx(float(expected.estimate), abs=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (float(expected.ci_low), float(expected.ci_high)), abs=1e-12)


def test_a_covariate_with_information_stays_in_the_model():
    age = [25.0, 31, np.nan, 47, 52, 38, 29, np.nan, 60, 44, 33, 36]
    result = imputation.impute_recovery(cases(age), m=5, seed=11)
    assert "age" not in result.extra["dropped_covariates"]
    assert result.extra["imputed_columns"] == ["phq_last", "anx_last", "age"]
    assert result.note is None
