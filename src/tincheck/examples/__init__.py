"""Example data shipped with the package.

``service`` is a small hand-written service (30 referrals covering every code of the
data model) in canonical form; ``service_nhs`` is the same service as an NHS-style
extract (NHS column names and codes, DD/MM/YYYY dates), which reads to the same
canonical tables. ``meta_studies.csv`` is a studies file for ``tincheck meta``: twelve
IAPT-style practice-based studies with made-up, illustrative values (not real studies).
"""

from importlib.resources import files
from pathlib import Path

EXAMPLES = ("service", "service_nhs", "meta_studies.csv")


def example_path(name: str = "service") -> Path:
    """Path of an example shipped with tincheck (a data folder, or the studies file).

    >>> example_path().name
    'service'
    """
    if name not in EXAMPLES:
        raise ValueError(f"no example {name!r}; examples: {', '.join(EXAMPLES)}")
    return Path(str(files("tincheck.examples") / name))
