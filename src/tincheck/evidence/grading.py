"""Is a treatment or service supported by independent real-world evidence?

After Tolin et al. (2015): a treatment counts as evidence-supported only when at least
two real-world studies by researchers without allegiance to it show a benefit. The rule
is operationalised here on the coded features of each study. A study *qualifies* when
it is

- in routine practice (``setting = routine``), not a trial;
- by independent evaluators (``independent = true``);
- by evaluators without allegiance to the treatment (``allegiance = false``);
- measured by a diagnostic interview by an assessor blind to the treatment
  (``outcome = interview_blind``), the minimum test of being back to one's usual self.

It *shows a significant benefit* when its own confidence interval (yᵢ ∓ z·√vᵢ) lies
wholly on the side of benefit. The criterion is met when at least two qualifying
studies show a significant benefit. This is a screening rule on the coded features,
not a full GRADE assessment of each study's risk of bias.

Reference: Tolin DF, McKay D, Forman EM, Klonsky ED, Thombs BD (2015) Empirically
supported treatment: recommendations for a new model. Clin Psychol Sci Pract 22:317-338.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from ..stats.inputs import jsonable
from .studies import Study

REQUIRED_STUDIES = 2
CRITERION = ("at least 2 studies in routine practice, by independent evaluators without "
             "allegiance to the treatment, with outcomes from blind diagnostic interviews, "
             "each showing a significant benefit (after Tolin et al. 2015)")


@dataclass(frozen=True)
class StudyAssessment:
    """One study against the criterion: does it qualify, and does it show a benefit?"""

    label: str
    row: int | None
    qualifies: bool
    fails: tuple[str, ...]  # the criteria it fails (empty when it qualifies)
    estimate: float
    ci_low: float
    ci_high: float
    significant_benefit: bool


@dataclass(frozen=True)
class EvidenceGrade:
    """The verdict, its reasons, and every study's assessment."""

    criterion: str
    met: bool
    k: int
    qualifying: int
    qualifying_with_benefit: int
    statement: str
    reasons: tuple[str, ...]
    studies: tuple[StudyAssessment, ...]
    level: float
    benefit: str

    def to_dict(self) -> dict:
        return jsonable(asdict(self))


def _fails(study: Study) -> tuple[str, ...]:
    """The criteria a study fails, as short tags."""
    reasons = []
    if study.setting != "routine":
        reasons.append(f"{study.setting} setting")
    if not study.independent:
        reasons.append("not independent")
    if study.allegiance:
        reasons.append("allegiance")
    if study.outcome != "interview_blind":
        reasons.append(study.outcome.replace("_", " "))
    return tuple(reasons)


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def grade_evidence(studies, *, level: float = 0.95, benefit: str = "positive",
                   labels=None) -> EvidenceGrade:
    """Grade a set of studies against the independence criterion of Tolin et al. (2015).

    Parameters
    ----------
    studies : sequence of :class:`~tincheck.evidence.studies.Study` (or ``Studies``)
    level : float
        Confidence level of each study's interval (default 0.95).
    benefit : {"positive", "negative"}
        Which sign of yᵢ is a benefit (positive for pre-post d = (pre − post)/SD on a
        symptom measure).
    labels : sequence of str, optional
        Display labels (default: "study year").

    Returns
    -------
    EvidenceGrade

    >>> from tincheck.evidence.studies import Study
    >>> one = dict(year=2020, design="itt", setting="routine", outcome="interview_blind",
    ...            independent=True, allegiance=False, coi_declared=True, vi=0.01)
    >>> grade_evidence([Study("A", yi=0.4, **one), Study("B", yi=0.3, **one)]).met
    True
    """
    if benefit not in ("positive", "negative"):
        raise ValueError(f"benefit must be 'positive' or 'negative', not {benefit!r}")
    items = tuple(getattr(studies, "studies", studies))
    labels = list(labels) if labels is not None else (
        studies.labels if hasattr(studies, "labels") else [s.label for s in items])
    y = np.array([s.yi for s in items], dtype=float)
    se = np.sqrt(np.array([s.vi for s in items], dtype=float))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    low, high = y - z * se, y + z * se
    helps = low > 0 if benefit == "positive" else high < 0
    assessed = tuple(
        StudyAssessment(label=lab, row=s.row, qualifies=not _fails(s), fails=_fails(s),
                        estimate=float(yi), ci_low=float(lo), ci_high=float(hi),
                        significant_benefit=bool(h))
        for s, lab, yi, lo, hi, h in zip(items, labels, y, low, high, helps))
    qualifying = [a for a in assessed if a.qualifies]
    with_benefit = [a for a in qualifying if a.significant_benefit]
    met = len(with_benefit) >= REQUIRED_STUDIES
    k = len(assessed)

    if met:
        statement = (f"Meets the criterion: {_count(len(with_benefit), 'qualifying study', 'qualifying studies')} "
                     f"({', '.join(a.label for a in with_benefit)}) "
                     f"{'shows' if len(with_benefit) == 1 else 'show'} a significant benefit.")
    elif not qualifying:
        statement = ("Does not meet the criterion: none of the "
                     f"{_count(k, 'study', 'studies')} is an independent routine-practice "
                     "evaluation without allegiance using blind diagnostic interviews, so "
                     "any pooled estimate rests on studies that fail the criterion.")
    else:
        statement = (f"Does not meet the criterion: {_count(len(qualifying), 'study', 'studies')} "
                     f"{'qualifies' if len(qualifying) == 1 else 'qualify'}, of which "
                     f"{len(with_benefit)} {'shows' if len(with_benefit) == 1 else 'show'} "
                     f"a significant benefit; at least {REQUIRED_STUDIES} are required.")

    reasons = []
    for text, n in (
        ("in a trial, not routine practice", sum(s.setting != "routine" for s in items)),
        ("by evaluators who are not independent", sum(not s.independent for s in items)),
        ("by evaluators with allegiance to the treatment", sum(s.allegiance for s in items)),
        ("with self-reported outcomes only", sum(s.outcome == "self_report" for s in items)),
        ("with diagnostic interviews by assessors who were not blind",
         sum(s.outcome == "interview_not_blind" for s in items)),
    ):
        if n:
            reasons.append(f"{n} of the {k} studies {'is' if n == 1 else 'are'} {text}.")
    undeclared = [lab for s, lab in zip(items, labels) if s.allegiance and s.coi_declared is False]
    if undeclared:
        reasons.append(f"{_count(len(undeclared), 'study', 'studies')} with allegiance "
                       f"declared no conflict of interest: {', '.join(undeclared)}.")
    for a in qualifying:
        if not a.significant_benefit:
            reasons.append(f"{a.label} qualifies but its {level:.0%} interval "
                           f"({a.ci_low:.2f} to {a.ci_high:.2f}) does not exclude no benefit.")
    return EvidenceGrade(criterion=CRITERION, met=met, k=k, qualifying=len(qualifying),
                         qualifying_with_benefit=len(with_benefit), statement=statement,
                         reasons=tuple(reasons), studies=assessed, level=level, benefit=benefit)
