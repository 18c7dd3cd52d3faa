"""Questionnaire instruments: ranges, caseness cut-offs, reliable-change thresholds.

One table of data (``INSTRUMENTS``) holds every threshold the product applies, with
its source and whether it is an official NHS threshold; the report's definitions
appendix prints it so that a reader can see exactly what was used.

Conventions (``docs/instruments.md``): caseness is a first score **≥ cutoff** (MI:
**> 2.3**); below caseness is the complement (**< cutoff**; MI **≤ 2.3**); a reliable
change is an absolute change **≥ threshold**.

Reference: NHS Digital (2021) *A guide to IAPT data and publications, updated for the
v2.0 dataset*, §7.2-7.4 and Appendices A-B.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GUIDE = "NHS Digital (2021) A guide to IAPT data and publications (v2.0), §7.2-7.4, App. B"


@dataclass(frozen=True)
class Instrument:
    """One questionnaire and the thresholds applied to its total score.

    ``caseness_op`` is ``">="`` or ``">"``: how the first score is compared with
    ``caseness_cutoff`` to decide caseness. ``whole`` is true when the total is a sum
    of whole-number item scores, so a fraction cannot be a valid total (the Mobility
    Inventory's score is a mean of items, so it can).
    """

    code: str
    name: str
    snomed: tuple[str, ...]
    minimum: float
    maximum: float
    caseness_cutoff: float | None
    caseness_op: str
    reliable_change: float | None
    official: bool
    source: str
    note: str = ""
    whole: bool = True

    def at_caseness(self, score: float) -> bool:
        """Whether ``score`` is at caseness (``False`` when there is no cut-off).

        >>> INSTRUMENTS["PHQ9"].at_caseness(10)
        True
        """
        if self.caseness_cutoff is None:
            return False
        if self.caseness_op == ">":
            return score > self.caseness_cutoff
        return score >= self.caseness_cutoff


INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        Instrument("PHQ9", "Patient Health Questionnaire (depression)", ("720433000",),
                   0, 27, 10, ">=", 6, True, GUIDE),
        Instrument("GAD7", "Generalised Anxiety Disorder scale", ("445455005",),
                   0, 21, 8, ">=", 4, True, GUIDE),
        Instrument("MI", "Mobility Inventory (alone), agoraphobia", ("473355002",),
                   1.0, 5.0, 2.3, ">", 0.73, True, GUIDE,
                   whole=False),
        Instrument("SPIN", "Social Phobia Inventory", ("445552006",),
                   0, 68, 19, ">=", 10, True, GUIDE),
        Instrument("PDSS", "Panic Disorder Severity Scale", ("450326007",),
                   0, 28, 8, ">=", 5, True, GUIDE),
        Instrument("PCL5", "PTSD Checklist for DSM-5", ("491581000000104",),
                   0, 80, 32, ">=", 10, True, GUIDE,
                   "ADSM for PTSD from the v2.0 dataset (September 2020)"),
        Instrument("IESR", "Impact of Event Scale - Revised", (),
                   0, 88, 33, ">=", 9, False,
                   "Creamer M, Bell R, Failla S (2003) Behav Res Ther 41:1489-1496 "
                   "(cut-off 33); IAPT Manual (2011) reliable change 9",
                   "not an official NHS threshold; PTSD measure before September 2020"),
        Instrument("OCI", "Obsessive Compulsive Inventory", ("450324005",),
                   0, 168, 40, ">=", 32, True, GUIDE),
        Instrument("HAI", "Health Anxiety Inventory (short week)", ("446793008",),
                   0, 54, 18, ">=", 4, True, GUIDE),
        Instrument("WSAS", "Work and Social Adjustment Scale", (),
                   0, 40, None, ">=", 8, False,
                   "Mundt JC et al. (2002) Br J Psychiatry 180:461-464; reliable change 8 "
                   "as commonly used in IAPT evaluations",
                   "functioning, all clients; no caseness cut-off. SNOMED codes are per "
                   "item (work item 932621000000100): supply the total score"),
        Instrument("PSWQ", "Penn State Worry Questionnaire", ("446517006",),
                   16, 80, None, ">=", None, True, GUIDE, "no cut-off and no reliable change"),
        Instrument("OCIR", "Obsessive Compulsive Inventory - Revised", (),
                   0, 72, 21, ">=", None, False,
                   "Foa EB et al. (2002) Psychol Assess 14:485-496 (cut-off 21)",
                   "not an official NHS threshold"),
    )
}

# SNOMED CT codes of single questionnaire items, which must not be read as totals.
ITEM_CODES: dict[str, str] = {
    "932621000000100": "WSAS work item: supply the WSAS total score, not its items",
}

# ICD-10 problem descriptor groups (guide App. A), in the order the report lists them.
PROBLEM_GROUPS: dict[str, tuple[str, ...]] = {
    "depression": ("F32", "F33"),
    "agoraphobia": ("F40.0",),
    "social_phobia": ("F40.1",),
    "specific_phobia": ("F40.2",),
    "panic": ("F41.0",),
    "gad": ("F41.1",),
    "mixed_anxiety_depression": ("F41.2",),
    "ocd": ("F42",),
    "ptsd": ("F43.1",),
    "other_anxiety": ("F40.8", "F40.9", "F41.3", "F41.8", "F41.9", "F43.0", "F43.2",
                      "F43.8", "F43.9"),
    "health_anxiety": ("F45.2",),
}

# Anxiety-disorder-specific measure of each problem descriptor (ICD-10 prefix). A
# descriptor that matches none of these uses GAD-7 (guide §7.7).
ADSM: dict[str, str] = {
    "F40.0": "MI",
    "F40.1": "SPIN",
    "F41.0": "PDSS",
    "F43.1": "PCL5",
    "F42": "OCI",
    "F45.2": "HAI",
}

DEPRESSION_MEASURE = "PHQ9"
FALLBACK_ANXIETY_MEASURE = "GAD7"

_ICD10 = re.compile(r"^([A-Z])(\d{2})(?:\.?([0-9A-Z]{1,2}))?$")


def normalise_icd10(code: str) -> str | None:
    """Canonical form of an ICD-10 code (``F321`` → ``F32.1``), or None if not one.

    >>> normalise_icd10("f411")
    'F41.1'
    """
    match = _ICD10.match(code.strip().upper())
    if match is None:
        return None
    letter, digits, tail = match.groups()
    return f"{letter}{digits}.{tail}" if tail else f"{letter}{digits}"


def adsm_for(problem_descriptor: str | None) -> str:
    """The anxiety measure the ADSM rule starts from for a problem descriptor.

    >>> adsm_for("F40.1"), adsm_for("F32.1"), adsm_for(None)
    ('SPIN', 'GAD7', 'GAD7')
    """
    if problem_descriptor:
        for prefix, instrument in ADSM.items():
            if problem_descriptor.startswith(prefix):
                return instrument
    return FALLBACK_ANXIETY_MEASURE


def problem_group(problem_descriptor: str | None) -> str | None:
    """The ICD-10 group (guide App. A) of a problem descriptor, or None."""
    if problem_descriptor:
        for group, prefixes in PROBLEM_GROUPS.items():
            if any(problem_descriptor.startswith(p) for p in prefixes):
                return group
    return None


def instrument_spellings() -> dict[str, str]:
    """Every accepted spelling (lower case) of an instrument → its canonical code."""
    table: dict[str, str] = {}
    for instrument in INSTRUMENTS.values():
        table[instrument.code.lower()] = instrument.code
        for snomed in instrument.snomed:
            table[snomed] = instrument.code
    # Common hyphenated spellings seen in extracts.
    for alias, code in {"phq-9": "PHQ9", "gad-7": "GAD7", "pcl-5": "PCL5",
                        "ies-r": "IESR", "oci-r": "OCIR"}.items():
        table[alias] = code
    return table
