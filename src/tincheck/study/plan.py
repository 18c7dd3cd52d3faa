"""The sample-size calculation of a study: a design, its inputs, the formula and n.

:func:`plan` picks the design's function in :mod:`tincheck.stats.power`, computes n,
inflates it for clients lost before their interview and for clustering within
therapists, and keeps everything a protocol must show: the inputs, the formula with
the numbers put in, and the reference.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from scipy import stats

from ..stats import power as pw

DESIGNS = ("precision", "mcnemar", "benchmark", "two-proportions")
QUESTIONS = {
    "precision": "What share of the service's clients lose their diagnoses, judged by an "
                 "independent, blind diagnostic interview, and how precisely can it be "
                 "estimated?",
    "mcnemar": "In the same clients, does the service's questionnaire 'recovery' agree "
               "with loss of diagnosis at an independent, blind interview, or do the "
               "two disagree more often in one direction than the other?",
    "benchmark": "Does the share of the service's clients who lose their diagnoses differ "
                 "from a benchmark?",
    "two-proportions": "Do two services (or two periods) differ in the share of clients "
                       "who lose their diagnoses?",
}
REFERENCES = {
    "precision": "Wilson EB (1927) J Am Stat Assoc 22:209-212; Newcombe RG (1998) Stat Med "
                 "17:857-872",
    "mcnemar": "Connor RJ (1987) Biometrics 43:207-211",
    "benchmark": "Chernick MR, Liu CY (2002) Am Stat 56:149-155",
    "two-proportions": "Cohen J (1988) Statistical power analysis for the behavioral "
                       "sciences, 2nd ed., ch. 6",
}
INFLATION_REFERENCE = "Kish L (1965) Survey sampling, §5.4; Donner A, Klar N (2000) ch. 5"
REQUIRED = {"precision": ("p", "half_width"), "mcnemar": ("p10", "p01"),
            "benchmark": ("p0", "p1"), "two-proportions": ("p1", "p2")}
OPTIONS = {"p": "--p", "half_width": "--half-width", "p10": "--p10", "p01": "--p01",
           "p0": "--p0", "p1": "--p1", "p2": "--p2"}


@dataclass(frozen=True)
class Plan:
    """A sample-size calculation, ready to print or to put on the protocol page.

    ``n`` is what the design needs (per group for two proportions); ``n_recruit`` is
    n inflated for completion and clustering: how many to sample (per group).
    """

    design: str
    question: str
    inputs: dict
    n: int
    n_unrounded: float | None
    formula: str
    reference: str
    completion: float = 1.0
    cluster_size: float = 1.0
    icc: float = 0.0
    design_effect: float = 1.0
    n_recruit: int = 0
    inflation: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def groups(self) -> int:
        return 2 if self.design == "two-proportions" else 1

    def to_dict(self) -> dict:
        return asdict(self)


def _f(value: float) -> str:
    return f"{value:g}"


def _z_text(alpha: float, alternative: str) -> tuple[float, str]:
    two = alternative == "two-sided"
    z = float(stats.norm.ppf(1 - alpha / 2 if two else 1 - alpha))
    return z, f"z_α = Φ⁻¹(1 − {_f(alpha)}{'/2' if two else ''}) = {z:.3f}"


def plan(design: str, *, p: float | None = None, half_width: float | None = None,
         p10: float | None = None, p01: float | None = None, p0: float | None = None,
         p1: float | None = None, p2: float | None = None, ratio: float = 1.0,
         alpha: float = 0.05, power: float = 0.8, confidence: float = 0.95,
         alternative: str = "two-sided", completion: float = 1.0,
         cluster_size: float = 1.0, icc: float = 0.0) -> Plan:
    """The sample size of a study ``design`` (one of :data:`DESIGNS`).

    - ``precision``: n for a Wilson 95% interval of half-width ``half_width`` around an
      anticipated share ``p`` (:func:`~tincheck.stats.power.wilson_sample_size`);
    - ``mcnemar``: questionnaire recovery against interview loss of diagnosis in the
      same clients, discordant proportions ``p10`` (recovered but still diagnosed) and
      ``p01`` (lost the diagnosis but not recovered), after Connor (1987);
    - ``benchmark``: the service's share ``p1`` against a benchmark ``p0``, exact
      binomial test (the n from which power stays at the target);
    - ``two-proportions``: shares ``p1`` and ``p2`` in two services or periods (Cohen's
      h, n per group; ``ratio`` = n2/n1).

    The result is inflated to ⌈n · (1 + (m − 1)·ICC) / completion⌉. Raises ValueError
    naming the option when an input is missing or out of range.

    >>> plan("mcnemar", p10=0.15, p01=0.05, completion=0.7).n_recruit
    222
    """
    if design not in DESIGNS:
        raise ValueError(f"design {design!r}: expected one of {', '.join(DESIGNS)}")
    given = {"p": p, "half_width": half_width, "p10": p10, "p01": p01, "p0": p0, "p1": p1,
             "p2": p2}
    missing = [OPTIONS[k] for k in REQUIRED[design] if given[k] is None]
    if missing:
        raise ValueError(f"design {design} needs {' and '.join(missing)}")
    extra = [OPTIONS[k] for k, v in given.items() if v is not None
             and k not in REQUIRED[design]]
    if extra:
        raise ValueError(f"design {design} does not use {', '.join(extra)} (it needs "
                         f"{' and '.join(OPTIONS[k] for k in REQUIRED[design])})")
    inputs = {k: given[k] for k in REQUIRED[design]}
    notes: list[str] = []
    z_b = float(stats.norm.ppf(power)) if 0 < power < 1 else float("nan")
    if design == "precision":
        n = pw.wilson_sample_size(p, half_width, confidence)
        z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
        inputs["confidence"] = confidence
        unrounded = None
        formula = (f"smallest n with z·√(p(1 − p)/n + z²/4n²) / (1 + z²/n) ≤ d, the Wilson "
                   f"interval's half-width at p̂ = p: p = {_f(p)}, d = {_f(half_width)}, "
                   f"z = {z:.3f}: n = {n} (half-width "
                   f"{pw.wilson_half_width(p, n, confidence):.4f})")
    elif design == "mcnemar":
        unrounded = pw.mcnemar_sample_size_exact(p10, p01, power, alpha, alternative)
        n = pw.mcnemar_sample_size(p10, p01, power, alpha, alternative)
        inputs.update(alpha=alpha, power=power, alternative=alternative)
        z_a, z_a_text = _z_text(alpha, alternative)
        psi, delta = p10 + p01, p10 - p01
        formula = (f"n = (z_α·√ψ + z_β·√(ψ − δ²))² / δ², ψ = p10 + p01 = {_f(psi)}, "
                   f"δ = p10 − p01 = {_f(delta)}, {z_a_text}, z_β = Φ⁻¹({_f(power)}) = "
                   f"{z_b:.3f}: n = {unrounded:.2f} → {n} clients")
        notes.append(f"Expected discordant pairs: {psi * n:.0f} of {n}; the analysis is "
                     "McNemar's test on the 2 × 2 table questionnaire recovery × loss of "
                     "diagnosis.")
    elif design == "benchmark":
        first = pw.binomial_sample_size(p0, p1, power, alpha, alternative)
        n = pw.binomial_sample_size(p0, p1, power, alpha, alternative, stable=True)
        unrounded = None
        inputs.update(alpha=alpha, power=power, alternative=alternative)
        formula = (f"smallest n with Σ_(k rejected) C(n, k)·p1ᵏ(1 − p1)ⁿ⁻ᵏ ≥ {_f(power)} "
                   f"for every larger n, the exact binomial test of p0 = {_f(p0)} at "
                   f"α = {_f(alpha)} ({alternative}) when the service's share is "
                   f"p1 = {_f(p1)}: n = {n} (power "
                   f"{pw.binomial_power(n, p0, p1, alpha, alternative):.3f})")
        if first != n:
            notes.append(f"Exact power rises in a saw-tooth: it first reaches {_f(power)} at "
                         f"n = {first} but falls below it again before n = {n}.")
    else:
        n = pw.two_proportions_sample_size(p1, p2, power, alpha, ratio, alternative)
        unrounded = None
        inputs.update(alpha=alpha, power=power, alternative=alternative, ratio=ratio)
        z_a, z_a_text = _z_text(alpha, alternative)
        h = pw.cohens_h(p1, p2)
        closed = (1 + 1 / ratio) * ((z_a + z_b) / h) ** 2
        n2 = math.ceil(ratio * n - 1e-9)
        formula = (f"n1 = (1 + 1/r)·((z_α + z_β)/h)², h = 2·asin√p1 − 2·asin√p2 = {h:.4f}, "
                   f"r = n2/n1 = {_f(ratio)}, {z_a_text}, z_β = {z_b:.3f}: n1 ≈ "
                   f"{closed:.2f} → {n} per group (n2 = {n2}), solved with both tails as "
                   "statsmodels' NormalIndPower does")
    deff = pw.design_effect(cluster_size, icc)
    recruit = pw.inflated_sample_size(n, completion, cluster_size, icc)
    inflation = (f"n_recruit = ⌈n · deff / c⌉, deff = 1 + (m − 1)·ICC = 1 + ({_f(cluster_size)}"
                 f" − 1)·{_f(icc)} = {deff:.3f}, c = {_f(completion)} (expected share "
                 f"completing the interview): ⌈{n} · {deff:.3f} / {_f(completion)}⌉ = {recruit}")
    return Plan(design, QUESTIONS[design], inputs, n, unrounded, formula, REFERENCES[design],
                completion, cluster_size, icc, deff, recruit, inflation, notes)
