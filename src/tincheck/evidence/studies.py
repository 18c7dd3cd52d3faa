"""A studies file: one row per outcome study, its effect size and its coded features.

Columns (header names are matched case-insensitively; spaces count as underscores):

============== ======== ===============================================================
column         required what it holds
============== ======== ===============================================================
study          yes      study name (author, programme, ...)
year           no       publication year, 1900-2100 (orders the cumulative analysis)
design         no       ``itt`` (everyone who started) or ``completer``
setting        grading  ``routine`` (practice-based) or ``trial``
outcome        grading  ``interview_blind``, ``interview_not_blind`` or ``self_report``
independent    grading  evaluators independent of the service / programme (true/false)
allegiance     grading  evaluators with allegiance to the treatment (true/false)
coi_declared   no       conflict of interest declared (true/false; empty = unknown)
yi             \\*       effect size, positive = benefit by default
vi / sei       \\*       its sampling variance or standard error (one is enough)
mean_pre,      \\*       pre-post summary statistics, converted to d = (mean_pre −
mean_post,              mean_post)/sd_pre with variance 2(1 − r)/n + d²/(2n)
sd_pre, n, r            (Becker 1988)
m1i, sd1i, ... \\*       raw study data named as metafor's ``escalc`` arguments, read
                        with ``measure`` (:mod:`tincheck.evidence.measures`)
============== ======== ===============================================================

\\* each row gives either ``yi`` with ``vi`` or ``sei``, or all five summary statistics,
or (with ``measure``) the raw data of that measure. "grading": the evidence grading
needs the column; without it the analysis runs and the grading says what it lacks. A
column present must have a value in every row (``coi_declared`` may be empty). Any
other column is kept as an extra coded feature (usable for subgroups); one that looks
like a known column misspelt is an error. Errors name the file, the row (as a
spreadsheet counts: header = row 1), the column, the value and what was expected, and
are all collected before anything is refused.

Reference: Becker BJ (1988) Synthesizing standardized mean-change measures. Br J Math
Stat Psychol 41:257-278.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..ingest.findings import Example, Finding, ValidationReport
from ..ingest.parse import FALSE_WORDS, TRUE_WORDS
from ..safecsv import read_records
from ..stats.effect_sizes import d_pre_sd_from_summary
from . import measures

CODED = {
    "design": ("itt", "completer"),
    "setting": ("routine", "trial"),
    "outcome": ("interview_blind", "interview_not_blind", "self_report"),
}
FLAGS = ("independent", "allegiance")
REQUIRED = ("study",)
GRADING = ("setting", "outcome", "independent", "allegiance")  # what the grading reads
OPTIONAL = ("year", *CODED, *FLAGS, "coi_declared")
EFFECT = ("yi", "vi", "sei")
SUMMARY = ("mean_pre", "mean_post", "sd_pre", "n", "r")
KNOWN = (*REQUIRED, *OPTIONAL, *EFFECT, *SUMMARY, *measures.RAW_COLUMNS)
FEATURES = (*CODED, *FLAGS, "coi_declared")
MISSPELT = 0.8  # difflib ratio above which an unknown column is taken for a known one
SEI_VI_AGREEMENT = 0.05  # relative: vi and sei² may differ by rounding, not more


@dataclass(frozen=True)
class Study:
    """One study: its effect size (yᵢ, vᵢ), where it came from, and its coded features."""

    study: str
    year: int | None
    design: str | None
    setting: str | None
    outcome: str | None
    independent: bool | None
    allegiance: bool | None
    coi_declared: bool | None
    yi: float
    vi: float
    n: int | None = None
    source: str = "yi/vi"  # "yi/vi", "yi/sei", "pre-post summary" or a measure's name
    row: int | None = None
    extra: tuple[tuple[str, str], ...] = ()
    raw: tuple[tuple[str, float], ...] = ()  # the raw data a measure was computed from
    continuity_corrected: bool = False  # 0.5 added to its cells (a zero cell)

    @property
    def label(self) -> str:
        return self.study if self.year is None else f"{self.study} {self.year}"

    def feature(self, name: str) -> str:
        """The study's value of a coded feature as text ("yes"/"no"/"unknown" for flags)."""
        if name in FEATURES:
            value = getattr(self, name)
            if isinstance(value, bool):
                return "yes" if value else "no"
            return "unknown" if value is None else str(value)
        extra = dict(self.extra)
        if name not in extra:
            raise KeyError(f"no feature {name!r}")
        return extra[name] or "unknown"


@dataclass(frozen=True)
class Studies:
    """The studies of one file, in file order, with what reading them noticed."""

    path: str
    studies: tuple[Study, ...]
    warnings: tuple[str, ...] = ()
    extra_features: tuple[str, ...] = field(default=())
    columns: tuple[str, ...] = field(default=KNOWN)  # the columns the file has
    measure: str | None = None  # the measure raw data were read as

    def __len__(self) -> int:
        return len(self.studies)

    @property
    def yi(self) -> np.ndarray:
        return np.array([s.yi for s in self.studies])

    @property
    def vi(self) -> np.ndarray:
        return np.array([s.vi for s in self.studies])

    @property
    def labels(self) -> list[str]:
        """Study labels, made unique with the row number where two coincide."""
        plain = [s.label for s in self.studies]
        return [f"{lab} (row {s.row})" if plain.count(lab) > 1 else lab
                for lab, s in zip(plain, self.studies)]

    @property
    def features(self) -> tuple[str, ...]:
        """The coded features the file has, standard ones first."""
        return tuple(f for f in FEATURES if f in self.columns) + self.extra_features

    @property
    def grading_missing(self) -> tuple[str, ...]:
        """The columns the evidence grading needs that the file lacks."""
        return tuple(c for c in GRADING if c not in self.columns)

    @property
    def has_years(self) -> bool:
        return "year" in self.columns

    def groups(self, feature: str) -> list[str]:
        if feature not in self.features:
            raise KeyError(f"no feature {feature!r}; features: {', '.join(self.features)}")
        return [s.feature(feature) for s in self.studies]

    def mask(self, **criteria) -> np.ndarray:
        """Boolean mask of studies whose attributes equal every criterion."""
        return np.array([all(getattr(s, k) == v for k, v in criteria.items())
                         for s in self.studies], dtype=bool)


class StudyFileError(ValueError):
    """The studies file broke its rules; ``report`` lists every finding."""

    def __init__(self, report: ValidationReport):
        self.report = report
        lines = report.error_lines(5)
        shown = "; ".join(
            f"{ln['file']}" + (f" row {ln['row']}" if ln["row"] else "")
            + (f", column {ln['column']}" if ln["column"] else "")
            + (f": value {ln['value']!r}" if ln["value"] is not None else "")
            + f": expected {ln['expected']}" for ln in lines)
        more = report.error_count - len(lines)
        super().__init__(f"{report.error_count} error(s) in the studies file. {shown}"
                         + (f"; ... and {more} more" if more > 0 else ""))


def d_pre_sd(mean_pre, mean_post, sd_pre, n, r):
    """Pre-post standardised mean change and its variance (Becker 1988).

    d = (mean_pre − mean_post) / sd_pre, Var(d) = 2(1 − r)/n + d²/(2n): positive d is
    a fall in scores (improvement on symptom measures). Vectorised; the statistic is
    :func:`tincheck.stats.effect_sizes.d_pre_sd_from_summary`.

    >>> [round(float(x), 4) for x in d_pre_sd(16.0, 10.0, 5.0, 100, 0.5)]
    [1.2, 0.0172]
    """
    size = d_pre_sd_from_summary(mean_pre, mean_post, sd_pre, n, r)
    return np.asarray(size.estimate, dtype=float), np.asarray(size.variance, dtype=float)


class _Reader:
    """Collects findings for one file while its cells are parsed."""

    def __init__(self, name: str, decimal_comma: bool):
        self.name = name
        self.decimal_comma = decimal_comma
        self.report = ValidationReport()

    def error(self, row, column, value, expected, rule="value"):
        self.report.add(Finding("error", rule, self.name, column, expected, 1,
                                (Example(row, value),)))

    def number(self, cell, row, column, expected, low=None, high=None, low_open=True,
               integer=False, high_open=True):
        text = cell.replace(",", ".") if self.decimal_comma else cell
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        ok = np.isfinite(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if ok and integer:
            ok = value == int(value)
        if not ok:
            self.error(row, column, cell, expected)
            return None
        return int(value) if integer else value

    def flag(self, cell, row, column):
        word = cell.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.error(row, column, cell, "true or false (also yes/no, y/n, 1/0)")
        return None


def _header(cells, reader, measure):
    names = [c.strip().lower().replace(" ", "_").replace("-", "_") for c in cells]
    for i, name in enumerate(names):
        if not name:
            reader.error(1, f"column {i + 1}", None, "a column name", rule="header")
    seen = set()
    for name in names:
        if name and name in seen:
            reader.error(1, name, name, "each column once", rule="header")
        seen.add(name)
    unknown = [n for n in names if n and n not in KNOWN]
    for name in REQUIRED:
        if name not in names:
            close = difflib.get_close_matches(name, unknown, 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            reader.error(1, name, None, f"a column named {name!r} (found: "
                         f"{', '.join(n for n in names if n)}){hint}", rule="header")
    for name in unknown:  # a known column misspelt would silently become a feature
        close = difflib.get_close_matches(name, [k for k in KNOWN if k not in names], 1,
                                          cutoff=MISSPELT)
        if close:
            reader.error(1, name, name, f"a known column: did you mean {close[0]!r}? (rename "
                         "it, or give the extra feature a name of its own)", rule="header")
    if measure is not None:
        if not (measures.columns_found(measure, names) or "yi" in names):
            reader.error(1, measures.COLUMNS[measure][0][0], None,
                         f"the columns of {measures.describe(measure)}: "
                         f"{measures.needed(measure)}", rule="header")
        if set(SUMMARY) & set(names) - {"n"}:
            reader.error(1, "mean_pre", None, f"no pre-post summary columns with --measure "
                         f"{measure}: they are converted without --measure; with it, give "
                         f"{measures.needed(measure)}", rule="header")
    elif not ({"yi"} & set(names) or set(SUMMARY) <= set(names)):
        guesses = measures.guess_measures(names)
        hint = (f"; the file has the raw data of {', '.join(guesses)}: give the measure "
                f"(--measure {guesses[0]})" if guesses else "")
        reader.error(1, "yi", None, "a yi column (with vi or sei), or the columns mean_pre, "
                     f"mean_post, sd_pre, n and r{hint}", rule="header")
    return names


def read_studies(path, measure: str | None = None) -> Studies:
    """Read and check a studies file (CSV; comma, semicolon or tab separated).

    ``measure`` (SMD, SMCR, SMCRH, SMCC, RR, OR, RD, ZCOR, PLO or PR) reads raw study
    data from the columns named as metafor's ``escalc`` arguments and computes each
    study's effect size and variance as escalc does
    (:func:`tincheck.stats.effect_sizes.escalc`); rows may give yi with vi or sei
    instead, on the measure's scale.

    Raises :class:`StudyFileError` listing every problem (file, row, column, value,
    expectation); never drops a row silently (blank lines are skipped and reported).

    >>> from tincheck.examples import example_path
    >>> len(read_studies(example_path("meta_studies.csv")))
    12
    """
    measure = measures.check_measure(measure)
    path = Path(path)
    name = path.name
    if not path.is_file():
        report = ValidationReport()
        report.add(Finding("error", "file", str(path), None, "an existing studies file (CSV)"))
        raise StudyFileError(report)
    raw = path.read_bytes()
    warnings = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        warnings.append(f"{name} is not UTF-8; read as Windows-1252")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(",;\t", key=first.count)
    reader = _Reader(name, decimal_comma=delimiter != ",")
    try:
        rows = read_records(text, delimiter)
    except csv.Error as exc:
        reader.error(exc.line, None, None, f"a well-formed CSV file ({exc})", rule="csv")
        raise StudyFileError(reader.report) from None
    if not rows or not any(c.strip() for c in rows[0]):
        reader.error(1, None, None, "a header row naming the columns", rule="header")
        raise StudyFileError(reader.report)
    names = _header(rows[0], reader, measure)
    if reader.report.errors:
        raise StudyFileError(reader.report)
    extra = tuple(n for n in names if n not in KNOWN)

    parsed, summary_rows, raw_rows = [], [], []
    for index, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            warnings.append(f"{name} row {index} is blank and was skipped")
            continue
        if len(cells) > len(names):
            reader.error(index, None, delimiter.join(cells[len(names):]),
                         f"at most {len(names)} cells, as in the header", rule="row")
            continue
        cell = dict(zip(names, (c.strip() for c in cells + [""] * (len(names) - len(cells)))))
        study = _study(cell, index, reader, extra, names, measure)
        if study is not None:
            parsed.append(study)
            if study["source"] == "pre-post summary":
                summary_rows.append(len(parsed) - 1)
            elif study["source"] == measure:
                raw_rows.append(len(parsed) - 1)
    if not parsed and not reader.report.errors:
        reader.error(None, None, None, "at least one study row", rule="rows")
    if reader.report.errors:
        raise StudyFileError(reader.report)

    if summary_rows:  # one vectorised conversion for every pre-post row
        stats = np.array([[parsed[i][k] for k in ("mean_pre", "mean_post", "sd_pre", "n", "r")]
                          for i in summary_rows]).T
        d, v = d_pre_sd(*stats)
        for i, di, vi in zip(summary_rows, d, v):
            parsed[i]["yi"], parsed[i]["vi"] = float(di), float(vi)
    if raw_rows:  # one escalc call per column set for every row of raw data
        values = measures.convert(measure, [dict(parsed[i]["raw"]) for i in raw_rows])
        for i, (yi, vi, n, corrected) in zip(raw_rows, values):
            if not (np.isfinite(yi) and np.isfinite(vi) and vi > 0):
                reader.error(parsed[i]["row"], ", ".join(c for c, _ in parsed[i]["raw"]),
                             None, f"data from which {measure} is defined (yi = {yi:g}, "
                             f"vi = {vi:g})")
            parsed[i].update(yi=yi, vi=vi, n=n, continuity_corrected=corrected)
        if reader.report.errors:
            raise StudyFileError(reader.report)
        corrected = [parsed[i]["row"] for i in raw_rows if parsed[i]["continuity_corrected"]]
        if corrected:
            warnings.append(f"{len(corrected)} 2×2 table(s) or count(s) with a zero cell "
                            f"(rows {', '.join(map(str, corrected))}): 0.5 added to each of "
                            "their cells, as metafor's escalc does")
    studies = tuple(Study(**{k: p[k] for k in Study.__dataclass_fields__ if k in p})
                    for p in parsed)
    for s in studies:
        if s.allegiance and s.coi_declared is False:
            warnings.append(f"{name} row {s.row} ({s.label}): allegiance to the treatment "
                            "but no conflict of interest declared")
    unknown = [s.label for s in studies if s.coi_declared is None]
    if unknown:
        warnings.append(f"conflict-of-interest declaration unknown for {len(unknown)} "
                        f"stud{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}")
    missing = [c for c in GRADING if c not in names]
    if missing:
        warnings.append(f"no {', '.join(missing)} column(s): the evidence grading is not "
                        "computed")
    return Studies(str(path), studies, tuple(warnings), extra, columns=tuple(names),
                   measure=measure)


def _study(cell: dict, row: int, reader: _Reader, extra: tuple[str, ...], names,
           measure: str | None) -> dict | None:
    """One row's values as Study fields, or None (with errors recorded) when invalid."""
    before = reader.report.error_count
    out: dict = {"row": row, "extra": tuple((k, cell.get(k, "")) for k in extra)}
    if not cell["study"]:
        reader.error(row, "study", None, "a study name")
    out["study"] = cell["study"]
    out["year"] = (reader.number(cell["year"], row, "year", "a whole year between 1900 and "
                                 "2100", low=1900, high=2101, low_open=False, integer=True)
                   if "year" in names else None)
    for column, allowed in CODED.items():
        out[column] = None
        if column in names:
            value = cell[column].lower().replace(" ", "_").replace("-", "_")
            if value not in allowed:
                reader.error(row, column, cell[column] or None, f"one of {', '.join(allowed)}")
            out[column] = value
    for column in FLAGS:
        out[column] = reader.flag(cell[column], row, column) if column in names else None
    coi = cell.get("coi_declared", "")
    out["coi_declared"] = reader.flag(coi, row, "coi_declared") if coi else None

    raw_given = measure is not None and any(
        cell.get(c, "") for s in measures.COLUMNS[measure] for c in s)
    if raw_given:
        if cell.get("yi", ""):
            reader.error(row, "yi", cell["yi"], f"either yi with vi or sei, or the raw data "
                         f"of {measure}, not both")
            return None
        values = measures.parse_row(cell, row, reader, measure, names)
        if values is None:
            return None
        out.update(source=measure, raw=tuple(values.items()), yi=float("nan"),
                   vi=float("nan"), n=None)
        return out if reader.report.error_count == before else None

    given = {k for k in (*EFFECT, *SUMMARY) if cell.get(k, "")}
    summary = given & {"mean_pre", "mean_post", "sd_pre", "r"}
    n_text = cell.get("n", "")
    out["n"] = (reader.number(n_text, row, "n", "a whole number of at least 2", low=2,
                              low_open=False, integer=True) if n_text else None)
    if summary and "yi" in given:
        reader.error(row, "yi", cell["yi"], "either yi with vi or sei, or the pre-post "
                     f"summary statistics, not both (found {', '.join(sorted(summary))})")
    elif summary:
        out["source"] = "pre-post summary"
        for column in ("mean_pre", "mean_post", "sd_pre", "n", "r"):
            if not cell.get(column, ""):
                reader.error(row, column, None, "a value: pre-post rows need mean_pre, "
                             "mean_post, sd_pre, n and r")
        if {"mean_pre", "mean_post", "sd_pre", "r"} <= given:
            out["mean_pre"] = reader.number(cell["mean_pre"], row, "mean_pre", "a number")
            out["mean_post"] = reader.number(cell["mean_post"], row, "mean_post", "a number")
            out["sd_pre"] = reader.number(cell["sd_pre"], row, "sd_pre",
                                          "a number greater than 0", low=0)
            out["r"] = reader.number(cell["r"], row, "r", "a pre-post correlation between "
                                     "-1 and 1 (exclusive)", low=-1, high=1)
        out["yi"] = out["vi"] = float("nan")
    elif "yi" in given:
        out["yi"] = reader.number(cell["yi"], row, "yi", "a number")
        vi = (reader.number(cell["vi"], row, "vi", "a variance greater than 0", low=0)
              if "vi" in given else None)
        sei = (reader.number(cell["sei"], row, "sei", "a standard error greater than 0", low=0)
               if "sei" in given else None)
        if "vi" not in given and "sei" not in given:
            reader.error(row, "vi", None, "vi or sei for the effect size yi")
        elif vi is not None and sei is not None and abs(sei**2 - vi) > SEI_VI_AGREEMENT * vi:
            reader.error(row, "sei", cell["sei"], f"a standard error agreeing with vi "
                         f"(sei² = {sei**2:.4g}, vi = {vi:.4g})")
        out["vi"] = vi if vi is not None else (sei**2 if sei is not None else None)
        out["source"] = "yi/vi" if "vi" in given else "yi/sei"
    else:
        reader.error(row, "yi", None, "an effect size: yi with vi or sei, or " + (
            f"the raw data of {measure} ({measures.needed(measure)})" if measure else
            "mean_pre, mean_post, sd_pre, n and r"))
    return out if reader.report.error_count == before else None
