"""Match a file's column headers to the canonical columns of its table.

Headers match case-insensitively, ignoring spaces, hyphens, dots and underscores, by
canonical name or by NHS Talking Therapies dataset alias (``docs/data-model.md``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..schema import NHS_NUMBER_NAMES, SOURCE_ROW, Table, normalise_name
from .findings import Example, Finding


@dataclass
class HeaderMap:
    """How the headers of one file map to canonical columns.

    ``canonical`` maps a canonical column name to the index of the file column that
    holds it; ``extras`` lists indexes of other columns (kept, not used);
    ``nhs_number`` lists indexes of columns named as NHS numbers.
    """

    headers: list[str]
    canonical: dict[str, int] = field(default_factory=dict)
    extras: list[int] = field(default_factory=list)
    nhs_number: list[int] = field(default_factory=list)
    source_row: int | None = None
    findings: list[Finding] = field(default_factory=list)

    def header_of(self, canonical: str) -> str:
        return self.headers[self.canonical[canonical]]


def _known_names(table: Table) -> dict[str, str]:
    names: dict[str, str] = {}
    for column in table.columns:
        names[normalise_name(column.name)] = column.name
        for alias in column.aliases:
            names.setdefault(normalise_name(alias), column.name)
    return names


def map_headers(table: Table, headers: list[str], file: str) -> HeaderMap:
    """Map ``headers`` of ``file`` onto ``table``; problems become findings."""
    result = HeaderMap(headers=list(headers))
    known = _known_names(table)
    nhs_names = {normalise_name(n) for n in NHS_NUMBER_NAMES}
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = normalise_name(header)
        if key in seen:
            result.findings.append(Finding(
                "error", "duplicate_header", file, header,
                f"each column once; the same name is also column {seen[key] + 1}",
                examples=(Example(1, header),)))
            continue
        seen[key] = index
        if key in nhs_names:
            result.nhs_number.append(index)
        elif key == normalise_name(SOURCE_ROW):
            result.source_row = index
        elif key in known:
            name = known[key]
            if name in result.canonical:
                other = headers[result.canonical[name]]
                result.findings.append(Finding(
                    "error", "ambiguous_column", file, header,
                    f"one column for {name}, but both '{other}' and '{header}' mean "
                    f"{name}; remove or rename one of them",
                    examples=(Example(1, header),)))
            else:
                result.canonical[name] = index
        elif key:
            result.extras.append(index)
    for column in table.columns:
        if column.required and column.name not in result.canonical:
            result.findings.append(Finding(
                "error", "missing_column", file, column.name,
                _missing_message(column.name, column.aliases, headers),
                examples=(Example(1),)))
    return result


def _missing_message(name: str, aliases: tuple[str, ...], headers: list[str]) -> str:
    accepted = [name, *aliases]
    text = f"a column {name} (accepted names: {', '.join(accepted)})"
    by_key = {normalise_name(h): h for h in headers}
    close = difflib.get_close_matches(
        normalise_name(name), list(by_key), n=1, cutoff=0.75
    ) or [m for a in aliases for m in difflib.get_close_matches(
        normalise_name(a), list(by_key), n=1, cutoff=0.8)]
    if close:
        text += f"; did you mean '{by_key[close[0]]}'?"
    return text
