"""The characteristics on which a sample is compared with the people it should represent.

Declared once and used by both representativeness tables: the study's sample against
its sampling frame (``tincheck study sample``) and the audit's interviewed clients
against all ended referrals (``diagnostic.representativeness``). Each characteristic
is an Ibis expression over a per-referral table with the referral's own columns
(``age``, ``sex``, ``ethnicity``, ``imd_decile``, ``problem_descriptor``) and
``first_step``, ``phq_first`` and ``gad_first`` (see
:func:`~tincheck.metrics.blocks.first_step` and
:func:`~tincheck.metrics.blocks.score_summary`). A categorical characteristic becomes
one 0/1 share per level, NULL where the value is missing, so each share is taken over
the referrals whose value is known. The statistic is
:func:`tincheck.stats.balance.standardised_mean_difference`.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from ..codes import ETHNIC_GROUPS
from ..instruments import PROBLEM_GROUPS


@dataclass(frozen=True)
class Characteristic:
    """One row of a representativeness table.

    ``share``: a 0/1 indicator, whose mean is a share and mean × n a count of people
    (disclosure control treats it so).
    """

    name: str
    label: str
    share: bool


def problem_group(descriptor: ir.StringValue) -> ir.StringValue:
    """The ICD-10 group of a problem descriptor (instruments.PROBLEM_GROUPS), ``other``
    for a code in none of them, NULL when missing."""
    branches = [(ibis.or_(*[descriptor.startswith(p) for p in prefixes]), group)
                for group, prefixes in PROBLEM_GROUPS.items()]
    return ibis.cases((descriptor.isnull(), ibis.null("string")), *branches, else_="other")


def ethnic_group(ethnicity: ir.StringValue) -> ir.StringValue:
    """The broad group of an NHS ethnic category code (codes.ETHNIC_GROUPS); NULL for
    not stated, not known, missing or any other code."""
    code = ethnicity.strip().upper()
    branches = [(code.isin(letters), group) for group, letters in ETHNIC_GROUPS.items()]
    return ibis.cases(*branches, else_=ibis.null("string"))


PROBLEM_LEVELS = (*PROBLEM_GROUPS, "other")
LABELS_OF_PROBLEMS = {"depression": "depression", "agoraphobia": "agoraphobia",
                      "social_phobia": "social phobia", "specific_phobia": "specific phobia",
                      "panic": "panic disorder", "gad": "generalised anxiety",
                      "mixed_anxiety_depression": "mixed anxiety and depression",
                      "ocd": "obsessive-compulsive disorder", "ptsd": "PTSD",
                      "other_anxiety": "other anxiety or stress",
                      "health_anxiety": "health anxiety", "other": "other code"}

CHARACTERISTICS: tuple[Characteristic, ...] = (
    Characteristic("age", "age", False),
    Characteristic("female", "female (share)", True),
    *(Characteristic(f"ethnicity_{g}", f"ethnic group {g} (share)", True)
      for g in ETHNIC_GROUPS),
    Characteristic("imd_decile", "deprivation decile (1 = most deprived)", False),
    *(Characteristic(f"problem_{p}", f"problem: {LABELS_OF_PROBLEMS.get(p, p)} (share)",
                     True) for p in PROBLEM_LEVELS),
    Characteristic("step_high", "first treatment at high intensity (share)", True),
    Characteristic("first_phq9", "first PHQ-9", False),
    Characteristic("first_gad7", "first GAD-7", False),
)
LABELS = {c.name: c.label for c in CHARACTERISTICS}
SHARES = tuple(c.name for c in CHARACTERISTICS if c.share)


def _share(value: ir.Value, level) -> ir.FloatingValue:
    """1.0 where ``value`` is ``level``, 0.0 where it is another value, NULL if missing."""
    return ibis.ifelse(value.isnull(), ibis.null("float64"), (value == level).cast("float64"))


def characteristics(t: ir.Table) -> dict[str, ir.FloatingValue]:
    """Characteristic name → its per-referral value (float, NULL when unknown)."""
    problem, ethnic = problem_group(t.problem_descriptor), ethnic_group(t.ethnicity)
    values = {"age": t.age.cast("float64"), "female": _share(t.sex, "female")}
    values.update({f"ethnicity_{g}": _share(ethnic, g) for g in ETHNIC_GROUPS})
    values["imd_decile"] = t.imd_decile.cast("float64")
    values.update({f"problem_{p}": _share(problem, p) for p in PROBLEM_LEVELS})
    values["step_high"] = _share(t.first_step, "high")
    values["first_phq9"] = t.phq_first.cast("float64")
    values["first_gad7"] = t.gad_first.cast("float64")
    assert list(values) == [c.name for c in CHARACTERISTICS]
    return values
