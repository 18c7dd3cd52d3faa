"""Reliable change and clinical significance for individual patients.

:func:`reliable_change` classifies each person as reliably improved, unchanged or
deteriorated by a reliable change index (RCI); :func:`clinical_significance` adds the
Jacobson-Truax cut-off between the clinical and functional populations and gives the
combined categories recovered / improved / unchanged / deteriorated / harmed.

Methods (``method=``), each comparing an index with ``critical_value`` by strict
inequality:

- ``"JT"`` Jacobson & Truax (1991): RCI = (post − pre) / S_diff,
  S_diff = √2 · SE, SE = SD_pre · √(1 − r_xx).
- ``"GLN"`` Gulliksen-Lord-Novick (Hsu 1989), which allows for regression to the
  mean: RCI = [(post − M_pre) − r_xx(pre − M_pre)] / (SD_pre · √(1 − r_xx²)).
- ``"EN"`` Edwards-Nunnally (Speer 1992): the post score against the estimated true
  pre score, RCI = [post − (r_xx(pre − M_pre) + M_pre)] / SE.
- ``"HA"`` Hageman & Arrindell (1999), with the reliability of the difference r_dd:
  RCI = [(post − pre) r_dd + (M_post − M_pre)(1 − r_dd)] / (√r_dd · S_diff).

These reproduce the R package clinicalsignificance 2.1 (``cs_distribution``,
``cs_combined``) on its claus_2020 data set; see ``tests/stats/test_reliable_change.py``.

References
----------
Jacobson NS, Truax P (1991) Clinical significance: a statistical approach to defining
meaningful change in psychotherapy research. J Consult Clin Psychol 59:12-19.
Hsu LM (1989) Reliable changes in psychotherapy: taking into account regression toward
the mean. Behav Assess 11:459-467.
Speer DC (1992) Clinically significant change: Jacobson and Truax (1991) revisited.
J Consult Clin Psychol 60:402-408.
Hageman WJ, Arrindell WA (1999) Establishing clinically significant change: increment
of precision and the distinction between individual and group level of analysis.
Behav Res Ther 37:1169-1193.
Claus B, R package clinicalsignificance (github.com/pedscience/clinicalsignificance),
version 2.1; its claus_2020 data are from Claus et al. (2020), OSF project rc754.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arguments import paired, plain_dict

__all__ = ["CHANGE_CATEGORIES", "CLINICAL_CATEGORIES", "METHODS", "ChangeResult",
           "ChangeSummary", "Cutoff", "clinical_significance", "reliable_change"]

METHODS = {
    "JT": "Jacobson-Truax",
    "GLN": "Gulliksen-Lord-Novick",
    "EN": "Edwards-Nunnally",
    "HA": "Hageman-Arrindell",
}
CHANGE_CATEGORIES = ("improved", "unchanged", "deteriorated")
CLINICAL_CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
Z_975 = 1.959964


@dataclass(frozen=True)
class Cutoff:
    """The cut-off between the clinical and functional populations.

    ``type`` is "a", "b", "c" (Jacobson & Truax 1991) or "given" (a number the user
    passed, e.g. a published caseness threshold).
    """

    type: str
    value: float
    m_clinical: float | None = None
    sd_clinical: float | None = None
    m_functional: float | None = None
    sd_functional: float | None = None


@dataclass(frozen=True)
class ChangeSummary:
    """Counts, proportions and the intermediate values of one analysis.

    ``n`` counts the complete pairs analysed, ``n_omitted`` the pairs left out for a
    missing score. ``denominator`` is what the method divides by (S_diff for JT, the
    SE of prediction for GLN, SE for EN, √r_dd · S_diff for HA). ``r_dd`` is set for
    HA only, ``cutoff`` for clinical significance only.
    """

    method: str
    n: int
    n_omitted: int
    counts: dict[str, int]
    proportions: dict[str, float]
    reliability: float
    critical_value: float
    higher_is_better: bool
    mean_pre: float
    sd_pre: float
    mean_post: float
    sd_post: float
    se_measurement: float
    s_diff: float
    denominator: float
    r_dd: float | None = None
    cutoff: Cutoff | None = None

    def to_dict(self) -> dict:
        """Plain Python values, ready for JSON."""
        return plain_dict(self)


@dataclass(frozen=True)
class ChangeResult:
    """A per-person table and a summary.

    ``table`` has one row per input pair (the input's index when a pandas Series was
    given): ``pre``, ``post``, ``change`` (post − pre), ``rci`` and ``category``; for
    clinical significance also ``clinical_pre`` and ``functional_post``. Pairs left
    out for a missing score keep their row, with a NaN ``rci`` and no category.
    """

    table: pd.DataFrame = field(repr=False)
    summary: ChangeSummary


def _check_scalar(name: str, value, ok, expected: str) -> float:
    """``value`` as a float, or a ValueError when it is not a number satisfying ``ok``."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r}: expected {expected}") from None
    if not (np.isfinite(value) and ok(value)):
        raise ValueError(f"{name} = {value:g}: expected {expected}")
    return value


def _finite(value) -> bool:
    return True


def _positive(value) -> bool:
    return value > 0


def _rci(pre, post, method, reliability, mean_pre, sd_pre):
    """Per-person index and the method's intermediate values, for complete pairs."""
    se = sd_pre * np.sqrt(1 - reliability)
    s_diff = np.sqrt(2) * se
    values = {"se_measurement": se, "s_diff": s_diff, "r_dd": None}
    if method == "JT":
        return (post - pre) / s_diff, {**values, "denominator": s_diff}
    if method == "GLN":
        se_prediction = sd_pre * np.sqrt(1 - reliability**2)
        adjusted = (post - mean_pre) - reliability * (pre - mean_pre)
        return adjusted / se_prediction, {**values, "denominator": se_prediction}
    if method == "EN":
        true_pre = reliability * (pre - mean_pre) + mean_pre
        return (post - true_pre) / se, {**values, "denominator": se}
    # HA: reliabilities of pre and post from the common SE, then of the difference
    mean_post, sd_post = post.mean(), post.std(ddof=1)
    r12 = np.corrcoef(pre, post)[0, 1]
    r_pre = (sd_pre**2 - se**2) / sd_pre**2
    r_post = (sd_post**2 - se**2) / sd_post**2
    cross = 2 * sd_pre * sd_post * r12
    r_dd = (sd_pre**2 * r_pre + sd_post**2 * r_post - cross) / (sd_pre**2 + sd_post**2 - cross)
    if not r_dd > 0:
        raise ValueError(
            f"the reliability of the difference scores r_dd = {r_dd:.3f} is not positive, "
            "so the Hageman-Arrindell index is undefined; use method='JT'")
    denominator = np.sqrt(r_dd) * s_diff
    rci = ((post - pre) * r_dd + (mean_post - mean_pre) * (1 - r_dd)) / denominator
    return rci, {**values, "denominator": denominator, "r_dd": float(r_dd)}


def _analyse(pre, post, reliability, method, higher_is_better, sd_pre, mean_pre,
             critical_value, nan_policy):
    """Shared core: complete pairs, summaries, RCI, reliable improvement/deterioration."""
    if method not in METHODS:
        raise ValueError(f"method = {method!r}: expected one of {sorted(METHODS)} "
                         f"({', '.join(f'{k} = {v}' for k, v in METHODS.items())})")
    reliability = _check_scalar("reliability", reliability, lambda r: 0 <= r < 1,
                                "a reliability coefficient with 0 ≤ r_xx < 1")
    critical_value = _check_scalar("critical_value", critical_value, _positive,
                                   "a positive number such as 1.959964")
    index = pre.index if isinstance(pre, pd.Series) else None
    pre_c, post_c, complete = paired(pre, post, nan_policy)
    n = int(complete.sum())
    if n == 0:
        raise ValueError(f"no complete pairs: all {len(complete)} have a missing score")
    if mean_pre is None:
        mean_pre = pre_c.mean()
    if sd_pre is None:
        if n < 2:
            raise ValueError(f"{n} complete pair(s): at least 2 are needed to estimate the "
                             "SD of the pre scores (or pass sd_pre from a reference sample)")
        sd_pre = pre_c.std(ddof=1)
    mean_pre = _check_scalar("mean_pre", mean_pre, _finite, "a finite mean")
    sd_pre = _check_scalar("sd_pre", sd_pre, lambda sd: sd >= 0, "a standard deviation > 0")
    if sd_pre == 0:
        raise ValueError("sd_pre = 0: every pre score is the same, so no change can be "
                         "judged reliable; pass sd_pre from a reference sample")
    if method == "HA" and n < 3:
        raise ValueError(f"method='HA' needs the pre-post correlation: {n} complete pair(s)")
    rci_c, values = _rci(pre_c, post_c, method, reliability, mean_pre, sd_pre)
    direction = 1.0 if higher_is_better else -1.0
    improved = direction * rci_c > critical_value
    deteriorated = direction * rci_c < -critical_value
    pre_all = np.asarray(pre, dtype=float)
    post_all = np.asarray(post, dtype=float)
    rci_all = np.full(len(pre_all), np.nan)
    rci_all[complete] = rci_c
    table = pd.DataFrame({"pre": pre_all, "post": post_all, "change": post_all - pre_all,
                          "rci": rci_all}, index=index)
    context = dict(
        method=method, n=n, n_omitted=int((~complete).sum()), reliability=reliability,
        critical_value=critical_value, higher_is_better=bool(higher_is_better),
        mean_pre=float(mean_pre), sd_pre=float(sd_pre),
        mean_post=float(post_c.mean()),
        sd_post=float(post_c.std(ddof=1)) if n >= 2 else np.nan,
        se_measurement=float(values["se_measurement"]), s_diff=float(values["s_diff"]),
        denominator=float(values["denominator"]), r_dd=values["r_dd"])
    return table, complete, improved, deteriorated, pre_c, post_c, direction, context


def _categorise(table, complete, labels, categories, context, cutoff=None) -> ChangeResult:
    column = np.full(len(table), None, dtype=object)
    column[complete] = labels
    table["category"] = pd.Categorical(column, categories=categories)
    counts = {c: int((labels == c).sum()) for c in categories}
    proportions = {c: counts[c] / context["n"] for c in categories}
    summary = ChangeSummary(counts=counts, proportions=proportions, cutoff=cutoff, **context)
    return ChangeResult(table=table, summary=summary)


def reliable_change(pre, post, reliability, *, method: str = "JT",
                    higher_is_better: bool = False, sd_pre=None, mean_pre=None,
                    critical_value: float = Z_975, nan_policy: str = "raise") -> ChangeResult:
    """Classify each person's change as reliably improved, unchanged or deteriorated.

    Jacobson-Truax (default): RCI = (post − pre) / S_diff, with
    S_diff = √2 · SD_pre · √(1 − r_xx). A person improved when the RCI is beyond
    ``critical_value`` in the beneficial direction (``−RCI > 1.959964`` when lower is
    better), deteriorated when beyond it the other way; both strict inequalities. The
    other methods (GLN, EN, HA) are given in the module docstring.

    Parameters
    ----------
    pre, post : array-like of float
        Scores of each person before and after (pandas Series keep their index).
    reliability : float
        The instrument's reliability r_xx (0 ≤ r_xx < 1), e.g. Cronbach's α or a
        test-retest coefficient from a normative study.
    method : {"JT", "GLN", "EN", "HA"}, default "JT"
    higher_is_better : bool, default False
        False for symptom scales (PHQ-9, GAD-7, HAM-D), True for well-being scales.
    sd_pre, mean_pre : float, optional
        Reference SD and mean of pre scores (e.g. from a normative clinical sample);
        by default those of the complete pairs analysed.
    critical_value : float, default 1.959964
        The two-sided 95% normal quantile. (clinicalsignificance uses the one-sided
        1.644854 for HA, following Hageman & Arrindell 1999.)
    nan_policy : {"raise", "omit"}, default "raise"
        "raise": a missing score is an error naming its position; "omit": analyse
        complete pairs only (their rows stay in the table, uncategorised, and
        ``summary.n_omitted`` counts them).

    Returns
    -------
    ChangeResult
        ``table`` (pre, post, change, rci, category) and ``summary``
        (:class:`ChangeSummary`: counts, proportions, S_diff, SE, ...).

    References: Jacobson & Truax (1991); Hsu (1989); Speer (1992); Hageman &
    Arrindell (1999).

    >>> result = reliable_change([25, 18, 30, 22], [12, 17, 31, 24], 0.8, sd_pre=5.0)
    >>> result.summary.counts, round(result.summary.s_diff, 4)
    ({'improved': 1, 'unchanged': 3, 'deteriorated': 0}, 3.1623)
    """
    table, complete, improved, deteriorated, *_, context = _analyse(
        pre, post, reliability, method, higher_is_better, sd_pre, mean_pre, critical_value,
        nan_policy)
    labels = np.where(improved, "improved", np.where(deteriorated, "deteriorated",
                                                     "unchanged"))
    return _categorise(table, complete, labels, CHANGE_CATEGORIES, context)


def _cutoff(cutoff, direction, m_clinical, sd_clinical, m_functional, sd_functional) -> Cutoff:
    if cutoff not in ("a", "b", "c"):
        value = _check_scalar("cutoff", cutoff, _finite,
                              "'a', 'b', 'c' or a number (a published cut-off)")
        return Cutoff("given", value)
    if cutoff in ("b", "c") and (m_functional is None or sd_functional is None):
        raise ValueError(f"cut-off {cutoff!r} needs m_functional and sd_functional, the mean "
                         "and SD of a functional (non-clinical) population")
    if m_functional is not None:
        m_functional = _check_scalar("m_functional", m_functional, _finite, "a finite mean")
        sd_functional = _check_scalar("sd_functional", sd_functional, _positive,
                                      "a standard deviation > 0")
    if cutoff == "a":
        value = m_clinical + direction * 2 * sd_clinical
    elif cutoff == "b":
        value = m_functional - direction * 2 * sd_functional
    else:
        value = (sd_clinical * m_functional + sd_functional * m_clinical) / (
            sd_clinical + sd_functional)
    return Cutoff(cutoff, float(value), float(m_clinical), float(sd_clinical), m_functional,
                  sd_functional)


def clinical_significance(pre, post, reliability, *, cutoff, m_functional=None,
                          sd_functional=None, m_clinical=None, sd_clinical=None,
                          method: str = "JT", higher_is_better: bool = False, sd_pre=None,
                          mean_pre=None, critical_value: float = Z_975,
                          nan_policy: str = "raise") -> ChangeResult:
    """Jacobson-Truax combined categories: recovered, improved, unchanged, deteriorated, harmed.

    Reliable change as in :func:`reliable_change`, plus a cut-off between the clinical
    (dysfunctional) and functional populations (Jacobson & Truax 1991), for a
    lower-is-better scale (signs flip when ``higher_is_better``):

    - a = M_clin − 2·SD_clin: two SDs beyond the clinical mean, towards health;
    - b = M_func + 2·SD_func: within two SDs of the functional mean (the functional
      population's SD, as in Jacobson & Truax 1991);
    - c = (SD_clin·M_func + SD_func·M_clin) / (SD_clin + SD_func): where the two
      distributions meet.

    A person is in the clinical range before when pre > cut-off and in the functional
    range after when post < cut-off (strict). Categories:
    recovered = clinical before, functional after and reliably improved; improved =
    reliably improved otherwise; harmed = not clinical before, not functional after
    and reliably deteriorated; deteriorated = reliably deteriorated otherwise;
    unchanged = neither.

    Parameters
    ----------
    pre, post, reliability, method, higher_is_better, sd_pre, mean_pre,
    critical_value, nan_policy
        As for :func:`reliable_change` (method HA is not supported here: its combined
        analysis uses true-score cut-offs).
    cutoff : {"a", "b", "c"} or float
        The cut-off type, or a published cut-off score. A number is compared
        strictly: for a caseness rule "score ≥ 10" on integer scores pass 9.5.
    m_functional, sd_functional : float, optional
        Mean and SD of a functional population; required by cut-offs b and c.
    m_clinical, sd_clinical : float, optional
        Mean and SD of the clinical population; by default those of the pre scores
        of the complete pairs.

    Returns
    -------
    ChangeResult
        ``table`` with ``clinical_pre``, ``functional_post`` and the five-level
        ``category``; ``summary.cutoff`` holds the cut-off and its inputs.

    References: Jacobson & Truax (1991); R package clinicalsignificance
    (``cs_combined``).

    >>> result = clinical_significance([25, 18, 30, 22], [12, 17, 31, 24], 0.8,
    ...     cutoff="c", m_functional=8, sd_functional=8, sd_pre=5.0, mean_pre=24.0)
    >>> result.summary.counts["recovered"], round(result.summary.cutoff.value, 4)
    (1, 17.8462)
    """
    if method == "HA":
        raise ValueError("method='HA' is not supported for combined categories "
                         "(Hageman-Arrindell use true-score cut-offs); use reliable_change "
                         "for the HA index, or method='JT'")
    table, complete, improved, deteriorated, pre_c, post_c, direction, context = _analyse(
        pre, post, reliability, method, higher_is_better, sd_pre, mean_pre, critical_value,
        nan_policy)
    m_clinical = context["mean_pre"] if m_clinical is None else m_clinical
    sd_clinical = context["sd_pre"] if sd_clinical is None else sd_clinical
    m_clinical = _check_scalar("m_clinical", m_clinical, _finite, "a finite mean")
    sd_clinical = _check_scalar("sd_clinical", sd_clinical, _positive,
                                "a standard deviation > 0")
    cut = _cutoff(cutoff, direction, m_clinical, sd_clinical, m_functional, sd_functional)
    clinical_pre = direction * pre_c < direction * cut.value
    functional_post = direction * post_c > direction * cut.value
    recovered = clinical_pre & functional_post & improved
    harmed = ~clinical_pre & ~functional_post & deteriorated
    labels = np.select([recovered, improved, harmed, deteriorated],
                       ["recovered", "improved", "harmed", "deteriorated"], "unchanged")
    for name, flags in (("clinical_pre", clinical_pre), ("functional_post", functional_post)):
        column = pd.array([pd.NA] * len(table), dtype="boolean")
        column[complete] = flags
        table[name] = column
    return _categorise(table, complete, labels, CLINICAL_CATEGORIES, context, cutoff=cut)
