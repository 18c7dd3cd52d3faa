"""Second ratings and broken blinding: second ratings never count towards an outcome and
give inter-rater kappa per disorder; unblinded interviews count in the headline figures
and are left out of the ``_blinded`` variants.

Cohorts are hand-built; expected counts are counted by hand from docs/metrics.md.
"""

from __future__ import annotations

import pytest

from .cohort import fraction

P, S, A = "present", "subthreshold", "absent"


def test_a_second_rating_never_counts_towards_an_outcome(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": P})
     .interview("end", 119, {"depression": P})
     # a second rater of the end interview rated it absent, and later: still excluded
     .interview("end", 125, {"depression": A}, assessor="AS2", second_rating=True,
                interview_id="R01-end-r2"))
    a = cohort.audit()
    assert fraction(a, "diagnostic.lost_index_end_itt") == (0, 1)
    assert a.value("diagnostic.baseline_interviewed") == 1
    assert fraction(a, "diagnostic.eligible_interview_share") == (2, 2)


def test_unblinded_interviews_are_left_out_of_the_blinded_figures(cohort):
    # R01: lost at end, but the end assessor learnt the therapy: lost only in the headline
    (cohort.referral().interview("baseline", 1, {"depression": P}, unblinded=False)
     .interview("end", 119, {"depression": A}, unblinded=True))
    # R02: lost at end, blinding held throughout
    (cohort.referral().interview("baseline", 1, {"depression": P}, unblinded=False)
     .interview("end", 119, {"depression": S}, unblinded=False))
    # R03: unblinded at baseline: not in B without unblinded interviews
    (cohort.referral().interview("baseline", 1, {"depression": P}, unblinded=True)
     .interview("end", 119, {"depression": P}, unblinded=False))
    a = cohort.audit()
    assert fraction(a, "diagnostic.lost_index_end_itt") == (2, 3)
    assert fraction(a, "diagnostic.lost_index_end_itt_blinded") == (1, 2)
    assert fraction(a, "diagnostic.lost_index_end_observed_blinded") == (1, 1)
    assert fraction(a, "diagnostic.unblinded_share") == (2, 6)


def test_unblinded_share_counts_only_interviews_that_record_it(cohort):
    (cohort.referral().interview("baseline", 1, {"depression": P})
     .interview("end", 119, {"depression": A}, unblinded=True))
    a = cohort.audit()
    assert fraction(a, "diagnostic.unblinded_share") == (1, 1)
    # nothing recorded: the blinded figures equal the headline ones
    assert fraction(a, "diagnostic.lost_index_end_itt_blinded") == (0, 1)


def test_without_the_columns_the_blinding_and_agreement_figures_are_withheld(cohort):
    # an absent (all blank) optional column narrows the audit: "blinded" figures equal to
    # the headline would claim a check nobody made
    (cohort.referral().interview("baseline", 1, {"depression": P})
     .interview("end", 119, {"depression": A}))
    a = cohort.audit()
    assert fraction(a, "diagnostic.lost_index_end_itt") == (1, 1)
    assert fraction(a, "diagnostic.lost_index_end_itt_blinded") == (None, None)
    assert fraction(a, "diagnostic.unblinded_share") == (None, None)
    assert {"interviews.unblinded", "interviews.second_rating"} <= set(a.data["optional_absent"])
    assert "agreement.inter_rater" not in a.tables or a.tables["agreement.inter_rater"] == []


# first rating x second rating of depression over 10 referrals at baseline (rows: first;
# columns: second; present, subthreshold, absent)
TABLE = [[4, 1, 0], [0, 2, 0], [1, 0, 2]]


def test_inter_rater_kappa_per_disorder_matches_statsmodels(cohort):
    statuses = (P, S, A)
    for i, row in enumerate(TABLE):
        for j, n in enumerate(row):
            for _ in range(n):
                r = cohort.referral()
                r.interview("baseline", 1, {"depression": statuses[i], "gad": A})
                r.interview("baseline", 3, {"depression": statuses[j], "gad": A},
                            assessor="AS2", second_rating=True,
                            interview_id=f"{r.id}-baseline-r2")
    rows = {row["disorder"]: row for row in cohort.audit().tables["agreement.inter_rater"]}
    depression = rows["depression"]
    # statsmodels 0.14: statsmodels.stats.inter_rater.cohens_kappa(TABLE) gives
    # kappa 0.6825397, std_kappa 0.2007795, kappa_low 0.2890190 (kappa_upp 1.0760603,
    # which the table clips to 1, the largest kappa can be)
    assert depression["n"] == 10
    assert depression["agreement_rate"] == pytest.approx(0.8)
    assert depression["kappa"] == pytest.approx(0.6825397, abs=1e-7)
    assert depression["kappa_ci_low"] == pytest.approx(0.2890190, abs=1e-7)
    assert depression["kappa_ci_high"] == 1.0
    # every pair rated gad absent: agreement 100%, kappa undefined (one category)
    assert rows["gad"]["agreement_rate"] == 1.0 and rows["gad"]["kappa"] is None


def test_inter_rater_kappa_is_suppressed_with_its_small_counts(cohort):
    r = cohort.referral()
    r.interview("baseline", 1, {"depression": P})
    r.interview("baseline", 3, {"depression": A}, assessor="AS2", second_rating=True,
                interview_id="r2")
    doc = cohort.audit(disclosure_control=True).to_json()
    row = doc["tables"]["agreement.inter_rater"][0]
    assert row["kappa"] is None and row["n"] is None and row["suppressed"]
