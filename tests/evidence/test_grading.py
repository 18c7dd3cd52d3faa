"""The independence criterion after Tolin et al. (2015), on hand-made study sets."""

from __future__ import annotations

import pytest

from tincheck.evidence.grading import grade_evidence
from tincheck.evidence.studies import Study

QUALIFYING = dict(design="itt", setting="routine", outcome="interview_blind",
                  independent=True, allegiance=False, coi_declared=True)


def study(name, yi, vi=0.01, **changes):
    """A study that qualifies unless ``changes`` say otherwise."""
    return Study(study=name, year=2020, yi=yi, vi=vi, **{**QUALIFYING, **changes})


# With vi = 0.01 the 95% interval is yi ± 0.196: yi = 0.3 is a significant benefit,
# yi = 0.1 is not.

def test_no_qualifying_study():
    grade = grade_evidence([study("A", 0.9, setting="trial"),
                            study("B", 0.8, independent=False, allegiance=True,
                                  coi_declared=False),
                            study("C", 0.7, outcome="self_report")])
    assert (grade.met, grade.qualifying, grade.qualifying_with_benefit) == (False, 0, 0)
    assert grade.statement.startswith("Does not meet the criterion: none of the 3 studies")
    assert [a.fails for a in grade.studies] == [
        ("trial setting",), ("not independent", "allegiance"), ("self report",)]
    assert "1 of the 3 studies is in a trial, not routine practice." in grade.reasons
    assert "1 study with allegiance declared no conflict of interest: B 2020." in grade.reasons


def test_one_qualifying_study_with_benefit_is_not_enough():
    grade = grade_evidence([study("A", 0.3), study("B", 0.9, allegiance=True)])
    assert (grade.met, grade.qualifying, grade.qualifying_with_benefit) == (False, 1, 1)
    assert "1 study qualifies, of which 1 shows a significant benefit; at least 2" in \
        grade.statement


def test_two_qualifying_studies_both_significant_meet_the_criterion():
    grade = grade_evidence([study("A", 0.3), study("B", 0.4), study("C", 1.0, setting="trial")])
    assert (grade.met, grade.qualifying, grade.qualifying_with_benefit) == (True, 2, 2)
    assert grade.statement == ("Meets the criterion: 2 qualifying studies (A 2020, B 2020) "
                               "show a significant benefit.")


def test_two_qualifying_studies_one_not_significant():
    grade = grade_evidence([study("A", 0.3), study("B", 0.1)])
    assert (grade.met, grade.qualifying, grade.qualifying_with_benefit) == (False, 2, 1)
    assert grade.studies[1].ci_low == pytest.approx(0.1 - 1.959963984540054 * 0.1)
    assert any(r.startswith("B 2020 qualifies but its 95% interval (-0.10 to 0.30)")
               for r in grade.reasons)


def test_significant_harm_is_not_a_benefit():
    grade = grade_evidence([study("A", -0.5), study("B", -0.4)])
    assert grade.qualifying == 2 and not grade.met


def test_benefit_direction_can_be_negative():
    grade = grade_evidence([study("A", -0.5), study("B", -0.4)], benefit="negative")
    assert grade.met
    with pytest.raises(ValueError, match="benefit must be"):
        grade_evidence([study("A", 0.3)], benefit="up")


def test_interval_level_changes_significance():
    # yi = 0.3, SE 0.1: z = 3 is significant at 99% (2.576), yi = 0.22 is not (2.2)
    assert grade_evidence([study("A", 0.3), study("B", 0.3)], level=0.99).met
    assert not grade_evidence([study("A", 0.3), study("B", 0.22)], level=0.99).met
    assert grade_evidence([study("A", 0.3), study("B", 0.22)], level=0.95).met
