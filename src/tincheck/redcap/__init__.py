"""Import diagnostic interviews captured in REDCap into the interviews table.

Many evaluators run their independent diagnostic interviews in REDCap. A longitudinal
REDCap project's flat export (raw data, one row per record and event) is converted,
by a small TOML mapping file, into ``interviews.csv`` of the data model::

    >>> from tincheck.redcap import convert_redcap, example_paths
    >>> len(convert_redcap(*example_paths()))
    31

``docs/redcap.md`` describes how to set up the REDCap project and the mapping file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pandas as pd

from ..ingest.findings import ValidationReport
from ..safecsv import write_csv
from .convert import COLUMNS, convert_export, empty_interviews
from .export import read_export
from .mapping import Mapping, read_mapping

__all__ = ["Conversion", "Mapping", "RedcapError", "convert_redcap", "example_paths",
           "read_redcap", "write_interviews"]


@dataclass(frozen=True)
class Conversion:
    """The interviews table (empty when there are errors) and every finding."""

    interviews: pd.DataFrame
    report: ValidationReport

    @property
    def ok(self) -> bool:
        return self.report.ok


class RedcapError(Exception):
    """The export or the mapping broke a rule; ``report`` lists every finding."""

    def __init__(self, report: ValidationReport):
        self.report = report
        first = report.error_lines(1)[0]
        super().__init__(
            f"the REDCap import has {report.error_count} error(s). First: {first['file']} "
            f"row {first['row']}, column {first['column']}: expected {first['expected']}.")


def read_redcap(export_path: str | Path, mapping_path: str | Path,
                key_file: str | Path | None = None) -> Conversion:
    """Convert a REDCap export by a mapping, collecting every problem (never raises on
    bad input).

    ``key_file`` is the pseudonym key used when an identifier holds an NHS number (as
    at ingest; default: the ``TINCHECK_PSEUDONYM_KEY`` environment variable).
    """
    report = ValidationReport()
    mapping, findings = read_mapping(mapping_path)
    export, more = read_export(export_path)
    for finding in [*findings, *more]:
        report.add(finding)
    if mapping is None or export is None:
        return Conversion(empty_interviews(), report)
    return Conversion(convert_export(mapping, export, report, key_file), report)


def convert_redcap(export_path: str | Path, mapping_path: str | Path,
                   key_file: str | Path | None = None) -> pd.DataFrame:
    """The interviews table of a REDCap export, in the canonical layout.

    Columns as :data:`tincheck.schema.INTERVIEWS` (``date`` a datetime, the yes/no
    columns nullable booleans, numbers floats). Raises :class:`RedcapError` listing
    every problem when the export or the mapping is wrong.
    """
    conversion = read_redcap(export_path, mapping_path, key_file)
    if not conversion.ok:
        raise RedcapError(conversion.report)
    return conversion.interviews


def write_interviews(rows: pd.DataFrame, path: str | Path) -> Path:
    """Write an interviews table as ``interviews.csv`` of the data model.

    Dates as YYYY-MM-DD, yes/no columns as true/false, empty cells for missing values;
    written by :mod:`tincheck.safecsv` (a value beginning with ``=``, ``+``, ``-`` or
    ``@`` is written after a single quote, which ``tincheck audit`` drops again).
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    out = frame.reindex(columns=COLUMNS).astype(object)
    if pd.api.types.is_datetime64_any_dtype(frame.get("date")):
        out["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    for name in ("assessor_independent", "assessor_blind", "retrospective"):
        out[name] = out[name].map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
    for name in ("months_after_end", "usual_self_pct"):
        out[name] = out[name].map(lambda v: "" if pd.isna(v) else format(float(v), ".15g"))
    columns = {name: [None if _missing(v) else str(v) for v in out[name]] for name in COLUMNS}
    return write_csv(Path(path), columns, COLUMNS, eol="\n")


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def example_paths() -> tuple[Path, Path]:
    """The example REDCap export and its mapping shipped with tincheck."""
    folder = Path(str(files("tincheck.examples") / "redcap"))
    return folder / "export.csv", folder / "mapping.toml"
