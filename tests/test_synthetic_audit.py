"""The audit of the default synthetic service (100,000 referrals, seed 1).

Checks that cross issues: the engine agrees with an independent SQL computation of
the same definitions (tests/synth/synth_figures.py); every contract metric id is in
report.json; interviews show less loss of diagnosis than questionnaire recovery, as
the generator's latent model implies; and multiple imputation lands between the
completer and missing-as-not-recovered figures.
"""

from __future__ import annotations

import re
import sys

import pytest

from .conftest import REPO, SHARED

sys.path.insert(0, str(REPO / "tests" / "synth"))
from synth_figures import figures  # noqa: E402


@pytest.fixture(scope="module")
def sql(synthetic_100k):
    return figures(synthetic_100k)


@pytest.mark.parametrize("name, metric", [
    ("not_seen", "funnel.ended_not_seen"), ("seen_not_treated", "funnel.ended_seen_not_treated"),
    ("one_treatment", "funnel.ended_one_treatment"), ("finished", "funnel.finished_course"),
    ("recovery_rate", "official.recovery_rate"),
    ("reliable_improvement_rate", "official.reliable_improvement_rate"),
    ("reliable_deterioration_rate", "official.reliable_deterioration_rate"),
    ("wait_6_weeks_rate", "official.wait_6_weeks_rate"),
    ("mean_treatment_sessions", "official.mean_treatment_sessions"),
    ("recovered_per_ended", "itt.recovered_per_ended_referral"),
    ("effect_phq9_d_pre_sd", "effect.phq9_d_pre_sd")])
def test_engine_agrees_with_an_independent_sql_computation(sql, synthetic_audit, name, metric):
    assert synthetic_audit.value(metric) == pytest.approx(sql[name], rel=1e-9)


def test_every_contract_id_is_in_report_json(synthetic_audit):
    path = SHARED / "spec" / "metrics.md"
    if not path.is_file():
        pytest.skip("shared spec not found")
    ids = set(re.findall(r"`([a-z]+\.[a-z0-9_<>]+)`", path.read_text(encoding="utf-8")))
    ids = {i for i in ids if "<" not in i and i.split(".")[0] in (
        "funnel", "official", "itt", "sensitivity", "delivery", "rereferral", "value",
        "diagnostic", "agreement")}
    doc = synthetic_audit.to_json()
    assert not ids - set(doc["metrics"]) - set(doc["tables"])
    effect = {f"effect.{m}_{s}{t}" for m in ("phq9", "gad7", "wsas")
              for s in ("d_pre_sd", "d_pooled_sd", "d_z") for t in ("", "_itt")}
    assert effect <= set(doc["metrics"])


def test_loss_of_diagnosis_has_intervals_and_falls_short_of_recovery(synthetic_audit):
    a = synthetic_audit
    lost = a.metrics["diagnostic.lost_index_end_itt"]
    assert lost.denominator > 1000 and lost.ci_low < lost.value < lost.ci_high
    # The generator's questionnaires read demoralisation as well as the disorder
    # (docs/synth.md), so interviews find far less change than questionnaires do.
    assert a.value("diagnostic.lost_index_end_observed") < a.value(
        "official.recovery_rate") - 0.15
    assert a.value("agreement.recovered_but_still_diagnosed") > 0.3
    kappa = a.metrics["agreement.kappa"]
    assert 0 < kappa.value < 0.6 and kappa.ci_low < kappa.value < kappa.ci_high
    assert a.value("diagnostic.durable_loss_itt") <= a.value("diagnostic.lost_index_end_itt")
    flagged = [r["variable"] for r in a.tables["diagnostic.representativeness"] if r["flag"]]
    assert "first_phq9" not in flagged  # a random sample of those seen


def test_multiple_imputation_lies_between_completers_and_missing_as_not_recovered(
        synthetic_audit):
    a = synthetic_audit
    mi = a.metrics["sensitivity.multiple_imputation"]
    assert a.value("sensitivity.missing_as_not_recovered") < mi.value < a.value(
        "sensitivity.completers")
    assert mi.extra["m"] == 20 and mi.extra["seed"] == 20260101
    assert mi.ci_low < mi.value < mi.ci_high


# Multiple imputation before its speed-up (benchmarks/imputation_before.py, impute_pmm
# at commit 85b627b, BLAS on one thread): (estimate, CI low, CI high). The donor is now
# drawn among the same d nearest observed values, listed in sorted order instead of
# NumPy's argpartition order, so the same random numbers pick other, equally near
# donors: another draw from the same distribution. Today's figures are pinned exactly
# below, and must stay within a tenth of the interval's half-width of these (Monte Carlo
# error; `python benchmarks/imputation.py` tests the m proportions of both, z within ±3).
BEFORE_SPEED_UP = {"synthetic": (0.2707645101567051, 0.26737401026808294, 0.2741819137646178),
                   "example": (0.41539398584353, 0.1993629300902837, 0.6697068313017369)}


def _close_to_before(mi, which):
    value, low, high = BEFORE_SPEED_UP[which]
    assert abs(mi.value - value) < 0.1 * (high - low) / 2
    assert abs(mi.ci_low - low) < 0.1 * (high - low) / 2
    assert abs(mi.ci_high - high) < 0.1 * (high - low) / 2


def test_multiple_imputation_is_pinned_and_agrees_with_the_code_before_its_speed_up(
        synthetic_audit):
    # This service (seed 1, 100,000 referrals; 80,722 cases, 45,970 last scores to
    # impute), m = 20, the audit's seed: exact, so any change of the algorithm shows.
    mi = synthetic_audit.metrics["sensitivity.multiple_imputation"]
    assert (mi.value, mi.ci_low, mi.ci_high) == (
        0.2705409710113464, 0.2671895199868437, 0.27391874682475825)
    assert mi.n == 80_722
    _close_to_before(mi, "synthetic")


def test_multiple_imputation_of_the_example_service_is_pinned():
    # As above, on the example service (25 cases, 13 missing last scores), default m = 20
    # and seed.
    import tincheck
    from tincheck.examples import example_path

    with tincheck.read_dataset(example_path()) as dataset:
        mi = tincheck.audit(dataset).metrics["sensitivity.multiple_imputation"]
    assert (mi.value, mi.ci_low, mi.ci_high) == (
        0.4173777734854414, 0.19938495190370437, 0.6732779315422993)
    assert (mi.n, mi.extra["missing_last_scores"]) == (25, 13)
    _close_to_before(mi, "example")


def test_a_statistic_that_could_not_be_estimated_is_null_in_report_json(tmp_path):
    # A small service (400 referrals): the competence models' standard errors are NaN
    # (too few therapists); report.json holds null there, never a bare NaN, and is
    # written with allow_nan=False.
    import json
    import math

    import tincheck
    from tincheck.synth import generate

    folder = generate(tmp_path / "service", referrals=400, seed=3, interview_fraction=0)
    audit = tincheck.audit(folder, imputations=2, disclosure_control=False)
    assert any(isinstance(v, float) and math.isnan(v)
               for r in audit.tables["therapists.competence"] for v in r.values())
    doc = json.loads(audit.write_json(tmp_path / "report.json").read_text(encoding="utf-8"))
    row = doc["tables"]["therapists.competence"][0]
    assert row["ci_low"] is None and row["ci_high"] is None
