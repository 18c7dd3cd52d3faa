"""Every analysis of ``tincheck meta`` on one studies file, as plain data.

:func:`synthesise` pools all studies, repeats the pooling within every coded feature
(subgroups with the Q-between test), pools independent-only and allegiant-only studies
side by side, runs the small-study tests, the influence diagnostics, the leave-one-out
and cumulative analyses, and grades the evidence. A file with only ``study, yi, vi``
gets everything that needs no coded feature; the grading then says which columns it
lacks. Rendering (HTML, JSON, terminal) is done elsewhere from the returned
:class:`EvidenceSynthesis`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stats.inputs import jsonable
from ..stats.meta import (
    BeggResult,
    EggerResult,
    MetaResult,
    SubgroupResult,
    TrimFillResult,
    begg_test,
    egger_test,
    meta_analysis,
    subgroup_analysis,
    trim_and_fill,
)
from ..stats.influence import BaujatResult, InfluenceResult, baujat, influence
from ..stats.sensitivity import RepooledResult, cumulative, leave_one_out
from .grading import EvidenceGrade, grade_evidence
from .studies import FEATURES, Studies

SMALL_STUDY_MINIMUM = 10  # Sterne et al. (2011): below this the tests have little power
INFLUENCE_MINIMUM = 3  # leaving one of two studies out leaves nothing to compare


@dataclass(frozen=True)
class Pooled:
    """A named subset of the studies and its pooled result (None when it is empty)."""

    name: str
    description: str
    k: int
    result: MetaResult | None

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "k": self.k,
                "result": None if self.result is None else self.result.to_dict()}


@dataclass(frozen=True)
class EvidenceSynthesis:
    """The whole analysis of one studies file."""

    studies: Studies
    method: str
    test: str
    level: float
    benefit: str
    overall: MetaResult
    subgroups: dict[str, SubgroupResult]
    forest_feature: str | None
    side_by_side: tuple[Pooled, ...]
    egger: EggerResult | None
    begg: BeggResult | None
    trimfill: TrimFillResult | None
    grade: EvidenceGrade | None  # None when the file lacks a column the grading needs
    notes: tuple[str, ...]
    grading_missing: tuple[str, ...] = ()
    influence: InfluenceResult | None = None
    baujat: BaujatResult | None = None
    leave_one_out: RepooledResult | None = None
    cumulative: RepooledResult | None = None
    cumulative_order: str = "year"  # the column studies were added by, or "file order"

    def pooled(self, name: str) -> Pooled | None:
        """The named subset ("all", "independent", "allegiant", "qualifying"), or None
        when the file lacks the column that defines it."""
        return next((p for p in self.side_by_side if p.name == name), None)

    def to_dict(self) -> dict:
        """Every number of the analysis, JSON-ready (NaN → null)."""
        return jsonable({
            "source": self.studies.path,
            "settings": {"method": self.method, "test": self.test, "level": self.level,
                         "benefit": self.benefit, "forest_feature": self.forest_feature,
                         "measure": self.studies.measure},
            "studies": [
                {"label": label, "row": s.row, "study": s.study, "year": s.year,
                 "design": s.design, "setting": s.setting, "outcome": s.outcome,
                 "independent": s.independent, "allegiance": s.allegiance,
                 "coi_declared": s.coi_declared, "yi": s.yi, "vi": s.vi, "n": s.n,
                 "effect_source": s.source, "weight_percent": w,
                 **({"raw": dict(s.raw), "continuity_corrected": s.continuity_corrected}
                    if s.raw else {}), **dict(s.extra)}
                for s, label, w in zip(self.studies.studies, self.studies.labels,
                                       self.overall.weights.tolist())],
            "overall": self.overall.to_dict(),
            "subgroups": {k: v.to_dict() for k, v in self.subgroups.items()},
            "side_by_side": [p.to_dict() for p in self.side_by_side],
            "small_study": {
                "egger": None if self.egger is None else self.egger.to_dict(),
                "begg": None if self.begg is None else self.begg.to_dict(),
                "trim_and_fill": None if self.trimfill is None else self.trimfill.to_dict(),
            },
            "influence": None if self.influence is None else self.influence.to_dict(),
            "baujat": None if self.baujat is None else self.baujat.to_dict(),
            "leave_one_out": (None if self.leave_one_out is None
                              else self.leave_one_out.to_dict()),
            "cumulative": (None if self.cumulative is None
                           else {"order": self.cumulative_order,
                                 **self.cumulative.to_dict()}),
            "grading": (self.grade.to_dict() if self.grade is not None else
                        {"computed": False, "missing_columns": list(self.grading_missing)}),
            "notes": list(self.notes),
        })


def _cumulative_keys(studies: Studies, column: str) -> list:
    """One sortable value per study for the cumulative order: numbers where every value
    of the column is a number, text otherwise."""
    if column in ("year", "yi", "vi", "n"):
        values = [getattr(s, column) for s in studies.studies]
        if any(v is None for v in values):
            raise ValueError(f"cannot order the cumulative analysis by {column!r}: some "
                             "studies have no value")
        return values
    values = studies.groups(column)
    try:
        return [float(v) for v in values]
    except ValueError:
        return values


def synthesise(studies: Studies, *, method: str = "REML", test: str = "z",
               level: float = 0.95, benefit: str = "positive",
               by: str | None = None, cumulative_by: str | None = None) -> EvidenceSynthesis:
    """Run every analysis of ``tincheck meta`` on ``studies``.

    Parameters
    ----------
    studies : Studies
        From :func:`tincheck.evidence.read_studies`.
    method, test, level
        As for :func:`tincheck.stats.meta.meta_analysis`.
    benefit : {"positive", "negative"}
        Which sign of the effect size is a benefit (for the grading).
    by : str, optional
        The feature the forest plot is grouped by (any coded feature or extra column);
        default ``independent`` when the file has it, otherwise no grouping. Subgroup
        analyses are run for every standard coded feature the file has and for ``by``.
    cumulative_by : str, optional
        The column the cumulative analysis adds studies by: ``year`` (the default when
        the file has it; otherwise the file's order), ``yi``, ``vi``, ``n`` or any coded
        feature or extra column (numbers sorted as numbers, other values as text; ties
        keep the file's order).

    Returns
    -------
    EvidenceSynthesis

    >>> from tincheck.examples import example_path
    >>> from tincheck.evidence import read_studies
    >>> syn = synthesise(read_studies(example_path("meta_studies.csv")))
    >>> syn.overall.k, syn.grade.met
    (12, False)
    """
    if by is None:
        by = "independent" if "independent" in studies.features else None
    elif by not in studies.features:
        raise ValueError(f"cannot group by {by!r}: the studies file has the features "
                         f"{', '.join(studies.features) or '(none)'}")
    y, v, labels = studies.yi, studies.vi, studies.labels
    notes = list(studies.warnings)
    overall = meta_analysis(y, v, method=method, test=test, level=level, labels=labels)
    notes += list(overall.notes)

    subgroups: dict[str, SubgroupResult] = {}
    present = [f for f in FEATURES if f in studies.features]
    for feature in dict.fromkeys(present + ([by] if by else [])):
        groups = studies.groups(feature)
        if len(set(groups)) < 2 and feature != by:
            notes.append(f"no subgroup analysis by {feature}: every study has "
                         f"{feature} = {groups[0]}")
            continue
        subgroups[feature] = subgroup_analysis(y, v, groups, method=method, test=test,
                                               level=level, labels=labels, feature=feature)

    def pool(name: str, description: str, mask: np.ndarray) -> Pooled:
        k = int(mask.sum())
        if k == 0:
            notes.append(f"no {description.lower()} to pool")
            return Pooled(name, description, 0, None)
        sub_test = test if k > 1 else "z"
        result = meta_analysis(y[mask], v[mask], method=method, test=sub_test, level=level,
                               labels=[lab for lab, m in zip(labels, mask) if m])
        return Pooled(name, description, k, result)

    missing = studies.grading_missing
    grade = None if missing else grade_evidence(studies, level=level, benefit=benefit,
                                                labels=labels)
    side_by_side = [Pooled("all", "All studies", overall.k, overall)]
    if "independent" in studies.features:
        side_by_side.append(pool("independent", "Independent evaluators only",
                                 studies.mask(independent=True)))
    if "allegiance" in studies.features:
        side_by_side.append(pool("allegiant", "Evaluators with allegiance only",
                                 studies.mask(allegiance=True)))
    if grade is not None:
        qualifying = np.array([a.qualifies for a in grade.studies], dtype=bool)
        side_by_side.append(pool("qualifying", "Studies meeting every criterion of the "
                                 "grading", qualifying))

    egger = begg = trimfill = None
    if overall.k < 3:
        notes.append("small-study tests need at least 3 studies")
    elif np.ptp(v) == 0:
        notes.append("small-study tests not run: every study has the same standard error")
    else:
        egger = egger_test(y, v)
        begg = begg_test(y, v)
        trimfill = trim_and_fill(y, v, method=method, test=test, level=level, labels=labels)
        if overall.k < SMALL_STUDY_MINIMUM:
            notes.append(f"only {overall.k} studies: tests for small-study effects have "
                         f"little power below {SMALL_STUDY_MINIMUM} (Sterne et al. 2011)")

    infl = bau = loo = cum = None
    if cumulative_by is None:
        order = "year" if studies.has_years else "file order"
    elif cumulative_by in ("year", "yi", "vi", "n") or cumulative_by in studies.features:
        if cumulative_by == "year" and not studies.has_years:
            raise ValueError("cannot order the cumulative analysis by year: the studies "
                             "file has no year column")
        order = cumulative_by
    else:
        raise ValueError(f"cannot order the cumulative analysis by {cumulative_by!r}: "
                         f"expected year, yi, vi, n or one of the file's features "
                         f"({', '.join(studies.features) or 'none'})")
    keys = None if order == "file order" else _cumulative_keys(studies, order)
    if overall.k < INFLUENCE_MINIMUM:
        notes.append(f"influence, leave-one-out and cumulative analyses need at least "
                     f"{INFLUENCE_MINIMUM} studies")
    else:
        infl = influence(y, v, method=method, test=test, labels=labels)
        bau = baujat(y, v, method=method, test=test, labels=labels)
        loo = leave_one_out(y, v, method=method, test=test, level=level, labels=labels)
        cum = cumulative(y, v, order=keys, method=method, test=test, level=level,
                         labels=labels)
        notes += list(loo.notes) + list(cum.notes)
        if order == "file order":
            notes.append("no year column: the cumulative analysis adds studies in file order")
        if infl.flagged:
            notes.append(f"influential stud{'y' if len(infl.flagged) == 1 else 'ies'} by "
                         f"metafor's criteria: {', '.join(infl.flagged)}")
    if missing:
        notes.append(f"evidence grading not computed: it needs the column(s) "
                     f"{', '.join(missing)}")

    return EvidenceSynthesis(
        studies=studies, method=method, test=test, level=level, benefit=benefit,
        overall=overall, subgroups=subgroups, forest_feature=by,
        side_by_side=tuple(side_by_side), egger=egger, begg=begg, trimfill=trimfill,
        grade=grade, notes=tuple(dict.fromkeys(notes)), grading_missing=missing,
        influence=infl, baujat=bau, leave_one_out=loo, cumulative=cum,
        cumulative_order=order)
