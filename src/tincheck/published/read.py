"""Read NHS Talking Therapies published annual data: tidy long files and raw wide CSVs.

Two layouts are accepted and turned into one DuckDB view in the tidy long layout
(reporting_period, org_type, org_code, org_name, variable_type, variable_a,
variable_b, measure_name, measure_statistic, measure_time, value):

* **tidy**: ``measures_annual`` / ``proms_annual`` as Parquet or CSV (the files the
  nhstt R package publishes). ``measure_time`` is optional.
* **raw**: the wide CSVs NHS England publishes each year (``OrgType, OrgCode, …,
  CountReferralsReceived, PercentageRecovery, …``; from 2020-21 many names gain an
  underscore, ``Count_ReferralsReceived``). Both spellings are read; the reporting
  year comes from a ``ReportingPeriod`` column or from the file name (``…2022-23…``).

Values are text in the published files and are parsed strictly: a number, ``*``
(suppressed: a count under 5, never zero), or empty / ``NULL`` / ``NA`` (not
published); a count is never negative. Anything else stops the read with a
:class:`PublishedDataError` naming the file, row, column, value and what was expected.
Large files stay in DuckDB: only the filtered rows an analysis asks for reach pandas.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

KEYS = ("reporting_period", "org_type", "org_code", "org_name", "variable_type",
        "variable_a", "variable_b")
TIDY_COLUMNS = KEYS + ("measure_name", "measure_statistic", "value")
MISSING_TOKENS = ("", "NULL", "NA", "N/A")
SUPPRESSED = "*"
NUMBER = r"-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?"
EXPECTED_VALUE = "a number, '*' (suppressed) or empty/NULL/NA (not published)"
PERIOD = re.compile(r"(20\d\d)[-_]?(\d\d)(?!\d)")

# Raw wide CSVs: identifier columns, matched without case or underscores.
RAW_KEYS = {"orgtype": "org_type", "organisationtype": "org_type",
            "orgcode": "org_code", "organisationcode": "org_code",
            "orgname": "org_name", "organisationname": "org_name",
            "variabletype": "variable_type", "variablea": "variable_a",
            "variableb": "variable_b", "reportingperiod": "reporting_period"}
MEASURES_REQUIRED = {"finished_course_treatment", "not_at_caseness", "recovery"}
PROMS_REQUIRED = {"phq"}
RAW_STATISTICS = {"count": "count", "percentage": "percentage", "mean": "mean",
                  "median": "median", "sum": "sum"}


class PublishedDataError(ValueError):
    """A published file cannot be read as it is; the message says where and why."""

    def __init__(self, file, expected: str, row: int | str | None = None,
                 column: str | None = None, value: str | None = None):
        self.file, self.row, self.column, self.value, self.expected = (
            str(file), row, column, value, expected)
        where = str(file)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        found = f": found {value!r}" if value is not None else ""
        super().__init__(f"{where}{found}; expected {expected}")


def _snake(name: str) -> str:
    """CamelCase (with or without underscores) → snake_case: 'Count_EndedReferrals' →
    'count_ended_referrals'."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"_+", "_", name).strip("_").lower()


def raw_measure(column: str) -> tuple[str, str] | None:
    """(measure_name, statistic) for a raw wide column, or None for other columns.

    >>> raw_measure("Count_EndedBeforeTreatment"), raw_measure("PercentageRecovery")
    (('ended_before_treatment', 'count'), ('recovery', 'percentage'))
    """
    for prefix, statistic in RAW_STATISTICS.items():
        if column.lower().startswith(prefix) and len(column) > len(prefix):
            rest = column[len(prefix):]
            if not (rest[0] == "_" or rest[0].isupper()):
                continue
            return _snake(rest), statistic
    return None


def period_from_name(path: Path) -> str | None:
    """'2022-23' from a file name such as psych-ther-ann-rep-csv-2022-23-main-v2.csv."""
    match = PERIOD.search(path.name)
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return f"{start}-{end:02d}" if (start + 1) % 100 == end else None


@dataclass
class PublishedTable:
    """Published annual data in the tidy long layout, as a DuckDB view.

    Build with :func:`read_measures` or :func:`read_proms`; ask for the rows you need
    with :meth:`wide`.
    """

    con: duckdb.DuckDBPyConnection
    view: str
    files: list[str]
    layout: str  # "tidy" or "raw"
    has_time: bool = False
    notes: list[str] = field(default_factory=list)

    def periods(self) -> list[str]:
        rows = self.con.sql(f"SELECT DISTINCT reporting_period FROM {self.view} "
                            "ORDER BY 1").fetchall()
        return [r[0] for r in rows if r[0] is not None]

    def org_types(self, year: str | None = None) -> list[str]:
        sql = f"SELECT DISTINCT org_type FROM {self.view}"
        params = []
        if year is not None:
            sql += " WHERE reporting_period = ?"
            params.append(year)
        return sorted(r[0] for r in self.con.execute(sql, params).fetchall() if r[0])

    def measures(self) -> set[str]:
        rows = self.con.sql(f"SELECT DISTINCT measure_name FROM {self.view}").fetchall()
        return {r[0] for r in rows}

    def long(self, where: dict | None = None, measures=None) -> pd.DataFrame:
        """Filtered rows of the long view (filters pushed down to the files)."""
        clauses, params = [], []
        for column, wanted in (where or {}).items():
            if isinstance(wanted, (list, tuple, set)):
                clauses.append(f"{column} IN ({', '.join('?' * len(wanted))})")
                params.extend(wanted)
            else:
                clauses.append(f"{column} = ?")
                params.append(wanted)
        if measures:
            clauses.append(f"measure_name IN ({', '.join('?' * len(measures))})")
            params.extend(measures)
        sql = f"SELECT * FROM {self.view}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return self.con.execute(sql, params).df()

    def wide(self, where: dict | None = None, measures=None) -> pd.DataFrame:
        """One row per organisation × breakdown, one numeric column per measure.

        Columns are named ``<measure>_<statistic>`` (``recovery_count``,
        ``recovery_percentage``, ``phq_mean_start``, ``phq_effect_size``). Suppressed
        cells are NaN, and ``<column>__suppressed`` is True for them; cells not
        published are NaN with ``__suppressed`` False.
        """
        long = self.long(where, measures)
        return pivot_wide(long, self.has_time)


def parse_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text values → (float array with NaN, suppressed mask). Already validated."""
    text = values.astype("string").str.strip()
    suppressed = (text == SUPPRESSED).fillna(False).to_numpy(bool)
    missing = text.isna() | text.isin(MISSING_TOKENS) | (text == SUPPRESSED)
    numbers = pd.to_numeric(text.where(~missing), errors="raise")
    return numbers.to_numpy(float), suppressed


def pivot_wide(long: pd.DataFrame, has_time: bool = False) -> pd.DataFrame:
    """Pivot long published rows to wide; duplicate cells are an error."""
    if long.empty:
        return pd.DataFrame(columns=list(KEYS))
    numbers, suppressed = parse_values(long["value"])
    name = long["measure_name"] + "_" + long["measure_statistic"]
    if has_time and "measure_time" in long:
        time = long["measure_time"].fillna("").str.strip()
        time = time.where(~time.isin(MISSING_TOKENS), "")
        name = name.where(time == "", name + "_" + time)
    keys = long[list(KEYS)].fillna("")
    frame = keys.assign(_col=name.to_numpy(), _v=numbers, _s=suppressed)
    dupes = frame.duplicated(list(KEYS) + ["_col"], keep=False)
    if dupes.any():
        first = frame[dupes].iloc[0]
        raise PublishedDataError(
            long.get("_file", pd.Series(["input"])).iloc[0],
            "one value per organisation, breakdown and measure (is a year given twice?)",
            column=first["_col"], value=f"{first['org_code']} {first['reporting_period']}")
    values = frame.pivot(index=list(KEYS), columns="_col", values="_v")
    flags = frame.pivot(index=list(KEYS), columns="_col", values="_s")
    flags = flags.fillna(False).astype(bool).add_suffix("__suppressed")
    wide = pd.concat([values, flags], axis=1).reset_index()
    wide.columns.name = None
    return wide


# --------------------------------------------------------------------------- reading


def _files(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.iterdir()
                            if p.suffix.lower() in (".csv", ".parquet") or
                            p.name.lower().endswith(".csv.gz"))
        elif path.is_file():
            found.append(path)
        else:
            raise PublishedDataError(path, "an existing file or folder")
    if not found:
        raise PublishedDataError(", ".join(map(str, paths)),
                                 "at least one .csv or .parquet file")
    return found


def _quote(path: Path) -> str:
    """``path`` as a SQL literal DuckDB's readers take literally: ``*``, ``?`` and ``[``
    would otherwise be a pattern matching other files (``[*]`` matches only ``*``)."""
    text = "".join(f"[{ch}]" if ch in "*?[" else ch for ch in str(path))
    return "'" + text.replace("'", "''") + "'"


def _columns(con, source: str) -> list[str]:
    return [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()]


def _csv_source(con, path: Path) -> str:
    """read_csv with explicit options: every column as text, header from the file."""
    try:
        with _open_text(path) as handle:
            header = next(csv.reader(handle))
    except StopIteration:
        raise PublishedDataError(path, "a header row", row=1) from None
    except UnicodeDecodeError as error:
        raise PublishedDataError(path, "UTF-8 text (a CSV file)", row=1) from error
    header = [h.lstrip("\ufeff").strip() for h in header]
    if len(set(header)) != len(header):
        dupe = next(h for h in header if header.count(h) > 1)
        raise PublishedDataError(path, "each column name once", row=1, column=dupe)
    columns = "{" + ", ".join(f"'{h.replace(chr(39), chr(39) * 2)}': 'VARCHAR'"
                              for h in header) + "}"
    return (f"read_csv({_quote(path)}, header=true, delim=',', quote='\"', "
            f"escape='\"', auto_detect=false, columns={columns}, null_padding=false, "
            "strict_mode=true)")


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        import gzip
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _is_tidy(columns: list[str]) -> bool:
    return {"measure_name", "value"} <= {c.lower() for c in columns}


def _tidy_select(path: Path, source: str, columns: list[str], has_time: bool) -> str:
    lower = {c.lower(): c for c in columns}
    missing = [c for c in TIDY_COLUMNS if c not in lower]
    if missing:
        raise PublishedDataError(path, "the tidy columns " + ", ".join(TIDY_COLUMNS),
                                 row=1, column=missing[0])
    parts = [f'CAST("{lower[c]}" AS VARCHAR) AS {c}' for c in TIDY_COLUMNS]
    time = (f'CAST("{lower["measure_time"]}" AS VARCHAR)' if "measure_time" in lower
            else "CAST(NULL AS VARCHAR)")
    parts.insert(-1, f"{time} AS measure_time" if has_time else
                 "CAST(NULL AS VARCHAR) AS measure_time")
    return f"SELECT {', '.join(parts)}, {_quote(path)} AS _file FROM {source}"


def _raw_select(path: Path, source: str, columns: list[str], period: str | None) -> str:
    keys, measures = {}, {}
    for column in columns:
        flat = column.replace("_", "").lower()
        if flat in RAW_KEYS:
            keys[RAW_KEYS[flat]] = column
        else:
            parsed = raw_measure(column)
            if parsed:
                measures[column] = parsed
    needed = [k for k in ("org_type", "org_code", "variable_type", "variable_a")
              if k not in keys]
    if needed:
        raise PublishedDataError(
            path, "the raw NHS columns OrgType, OrgCode, OrgName, VariableType, "
            "VariableA, VariableB (or a tidy file with measure_name and value)",
            row=1, column=needed[0])
    if not measures:
        raise PublishedDataError(path, "at least one Count/Percentage/Mean column "
                                 "(e.g. CountReferralsReceived)", row=1)
    if "reporting_period" in keys:
        period_sql = f'CAST("{keys["reporting_period"]}" AS VARCHAR)'
    else:
        period = period or period_from_name(path)
        if period is None:
            raise PublishedDataError(
                path, "the reporting year in the file name (e.g. "
                "psych-ther-ann-rep-csv-2022-23-main.csv) or a ReportingPeriod column")
        period_sql = f"'{period}'"
    key_sql = [f"{period_sql} AS reporting_period"] + [
        (f'CAST("{keys[k]}" AS VARCHAR) AS {k}' if k in keys else f"NULL AS {k}")
        for k in KEYS[1:]]
    unions = [
        f"SELECT {', '.join(key_sql)}, '{name}' AS measure_name, '{stat}' AS "
        f"measure_statistic, CAST(NULL AS VARCHAR) AS measure_time, "
        f'CAST("{column}" AS VARCHAR) AS value, {_quote(path)} AS _file FROM {source}'
        for column, (name, stat) in measures.items()]
    return " UNION ALL ".join(unions)


def _read(paths, kind: str, period: str | None = None) -> PublishedTable:
    files = _files(paths)
    con = duckdb.connect()
    selects, layouts, has_time = [], set(), False
    for path in files:
        source = (f"read_parquet({_quote(path)})" if path.suffix.lower() == ".parquet"
                  else _csv_source(con, path))
        try:
            columns = _columns(con, source)
        except duckdb.Error as error:
            raise PublishedDataError(path, f"a readable {kind} file ({error})") from error
        if _is_tidy(columns):
            layouts.add("tidy")
            time = "measure_time" in {c.lower() for c in columns}
            has_time = has_time or time
            selects.append((path, source, columns, time))
        else:
            layouts.add("raw")
            selects.append((path, source, columns, None))
    sql = []
    for path, source, columns, time in selects:
        if time is None:
            sql.append(_raw_select(path, source, columns, period))
        else:
            sql.append(_tidy_select(path, source, columns, time or has_time))
    view = f"published_{kind}"
    con.sql(f"CREATE VIEW {view} AS " + " UNION ALL ".join(f"({s})" for s in sql))
    table = PublishedTable(con, view, [str(f) for f in files],
                           "raw" if layouts == {"raw"} else
                           "tidy" if layouts == {"tidy"} else "mixed", has_time)
    _check_values(table, files)
    return table


def _check_values(table: PublishedTable, files: list[Path]) -> None:
    """Stop at the first value that is not a number, '*' or a not-published token, and
    at the first negative count."""
    tokens = ", ".join(f"'{t}'" for t in MISSING_TOKENS + (SUPPRESSED,))
    try:
        bad = table.con.sql(
            f"SELECT _file, measure_name, measure_statistic, measure_time, value, "
            f"reporting_period FROM {table.view} WHERE value IS NOT NULL AND "
            f"trim(value) NOT IN ({tokens}) AND NOT regexp_full_match(trim(value), "
            f"'{NUMBER}') LIMIT 1").fetchone()
        negative = table.con.sql(
            f"SELECT _file, measure_name, measure_statistic, measure_time, value "
            f"FROM {table.view} WHERE lower(measure_statistic) = 'count' AND "
            f"regexp_full_match(trim(value), '{NUMBER}') AND "
            f"CAST(trim(value) AS DOUBLE) < 0 LIMIT 1").fetchone()
        period = table.con.sql(
            f"SELECT _file, reporting_period FROM {table.view} WHERE reporting_period "
            "IS NULL OR NOT regexp_full_match(reporting_period, '20[0-9][0-9]-[0-9][0-9]')"
            " LIMIT 1").fetchone()
    except duckdb.Error as error:
        raise PublishedDataError(", ".join(map(str, files)),
                                 f"well-formed CSV or Parquet ({error})") from error
    if bad is not None:
        file, name, stat, time, value, _ = bad
        raise _locate(Path(file), value, table.layout, name, stat)
    if negative is not None:
        file, name, stat, time, value = negative
        raise _locate(Path(file), value, table.layout, name, stat,
                      expected="a count of 0 or more (a count cannot be negative)")
    if period is not None:
        raise _locate(Path(period[0]), period[1], table.layout, column="reporting_period",
                      expected="a reporting year such as 2022-23")


def _locate(path: Path, value, layout: str, measure: str | None = None,
            statistic: str | None = None, column: str | None = None,
            expected: str = EXPECTED_VALUE) -> PublishedDataError:
    """The error for a bad value, with the row where it first occurs in its file."""
    if path.suffix.lower() == ".parquet":
        con = duckdb.connect()
        col = column or "value"
        where = (f"{col} IS NULL" if value is None else
                 f"CAST({col} AS VARCHAR) = ?")
        params = [] if value is None else [value]
        if column is None:
            where += " AND measure_name = ? AND measure_statistic = ?"
            params += [measure, statistic]
        hit = con.execute(f"SELECT file_row_number FROM read_parquet({_quote(path)}, "
                          f"file_row_number=true) WHERE {where} LIMIT 1", params).fetchone()
        row = f"record {hit[0] + 1}" if hit else None
        return PublishedDataError(path, expected, row=row, column=col, value=value)
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            if column is not None:
                if (record.get(column) or None) == value:
                    return PublishedDataError(path, expected, row=reader.line_num,
                                              column=column, value=value)
            elif "measure_name" in record:
                if (record.get("value") == value and record.get("measure_name") == measure
                        and record.get("measure_statistic") == statistic):
                    return PublishedDataError(path, expected, row=reader.line_num,
                                              column="value", value=value)
            else:
                for name, cell in record.items():
                    if cell == value and raw_measure(name or "") == (measure, statistic):
                        return PublishedDataError(path, expected, row=reader.line_num,
                                                  column=name, value=value)
    return PublishedDataError(path, expected, column=column or "value", value=value)


def read_measures(paths, period: str | None = None) -> PublishedTable:
    """Read ``measures_annual`` (tidy Parquet/CSV) or raw NHS main CSVs.

    ``paths`` is a file, a folder or a list of them. ``period`` names the reporting
    year of raw files whose name does not say it.

    Raises :class:`PublishedDataError` for a file that cannot be read as it is.
    """
    table = _read(paths, "measures", period)
    _require(table, MEASURES_REQUIRED, "a measures file (measures_annual or the raw main "
             "CSVs)")
    return table


def _require(table: PublishedTable, required: set[str], what: str) -> None:
    missing = sorted(required - table.measures())
    if missing:
        raise PublishedDataError(", ".join(table.files), f"{what} with the measures "
                                 + ", ".join(sorted(required)), column="measure_name",
                                 value=f"no {missing[0]}")


def read_proms(paths, period: str | None = None) -> PublishedTable:
    """Read ``proms_annual`` (tidy Parquet/CSV): therapy-based outcomes."""
    table = _read(paths, "proms", period)
    _require(table, PROMS_REQUIRED, "a therapy-based outcomes file (proms_annual)")
    return table
