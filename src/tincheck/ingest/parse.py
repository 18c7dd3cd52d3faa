"""SQL that turns a raw column (text or typed) into its canonical type.

Each canonical column type has a parse expression that yields NULL where the raw
value cannot be read, and a sentence saying what was expected. Validation flags
"present but unreadable" as ``raw IS NOT NULL AND parsed IS NULL``; the canonical
table is built from the same expressions, so what is checked is what is loaded.
"""

from __future__ import annotations

from .. import codes
from ..instruments import instrument_spellings
from ..schema import Column

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
# Seconds with a fraction, as SQL Server writes a datetime (``00:00:00.000``) or a
# datetime2 (up to seven digits): the fraction is removed before the formats above.
_FRACTION = r"(:[0-9]{2})[.,][0-9]{1,9}$"
# A timestamp with a time zone (an instant) is taken as the date it was in the UK.
UK_TIME_ZONE = "Europe/London"
# A number as a person writes one: digits, an optional sign and decimal point. Not
# 1_2, 1e3, 0x1A, 1,5 or inf, which some readers (Python's float, DuckDB) accept.
# digits, sign, decimal point and a decimal exponent (R and Excel write 100000 as 1e+05
# or 1E+05); not 1_2, hex, thousands separators, inf or nan, which some readers accept
PLAIN_NUMBER = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
EARLIEST_DATE = "1900-01-01"
LATEST_DATE = "2100-12-31"
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

_TEXT_TYPES = ("VARCHAR",)
# A raw column the loader has already made text with :func:`text_sql` (and
# pseudonymised): parsing and checking it must not apply text_sql a second time,
# which would drop a second protective quote (``''-3`` would read as ``-3``).
NORMALISED_TEXT = "VARCHAR (normalised)"
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT")
_REAL_TYPES = ("FLOAT", "DOUBLE", "REAL") 


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def code_lookup(list_name: str) -> dict[str, str]:
    """Accepted lower-case spelling → canonical code, for a column's code list."""
    if list_name == "instrument":
        return instrument_spellings()
    return codes.lookup(list_name)


def _is_decimal(raw_type: str) -> bool:
    return raw_type.startswith("DECIMAL")


def text_sql(col: str, raw_type: str) -> str:
    """The raw value as trimmed text, empty strings as NULL.

    Whole-valued reals become integers first, so a Parquet id column stored as
    DOUBLE (``12.0``) reads as ``12``. A single quote before ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return is dropped: it is how tincheck (and OWASP's
    advice against CSV injection) writes such a value (:func:`tincheck.safecsv.restore`),
    so ``'-3`` reads as ``-3`` (and ``''-3`` as ``'-3``).
    """
    if raw_type == NORMALISED_TEXT:
        return col
    if raw_type in _TEXT_TYPES:
        # trim removes Unicode space separators (U+0020, U+00A0, U+3000 ...) from either
        # end; an ASCII value (as many bytes as characters) can only start or end with
        # U+0020. Most values need no trimming, and passing them through as they are
        # saves making a copy of each (a third of the cost of reading an id column)
        text = (f"CASE WHEN starts_with({col}, ' ') OR ends_with({col}, ' ') OR "
                f"strlen({col}) <> length({col}) THEN trim({col}) ELSE {col} END")
        # the quote before a trigger, or before quotes and a trigger (a value that began
        # with quotes and a trigger itself)
        guarded = f"regexp_matches({text}, '^''+[-=+@' || chr(9) || chr(13) || ']')"
        return (f"NULLIF(CASE WHEN starts_with({text}, '''') AND {guarded} "
                f"THEN substr({text}, 2) ELSE {text} END, '')")
    if raw_type in _REAL_TYPES or _is_decimal(raw_type):
        return (f"CASE WHEN {col} IS NULL OR isnan({col}) THEN NULL "
                f"WHEN {col} = floor({col}) AND abs({col}) < 1e15 "
                f"THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({col} AS VARCHAR) END")
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def null_sql(col: str, raw_type: str) -> str:
    """SQL true where the raw value is missing: the same rows as ``text_sql(...) IS NULL``.

    Cheaper on typed columns (no text is made): a date, number or boolean is missing
    only when NULL (or NaN), never as an empty string.
    """
    if raw_type in _REAL_TYPES or _is_decimal(raw_type):
        return f"({col} IS NULL OR isnan({col}))"
    if (raw_type in _INTEGER_TYPES or raw_type in ("DATE", "BOOLEAN", NORMALISED_TEXT)
            or raw_type.startswith("TIMESTAMP")):
        return f"{col} IS NULL"
    return f"{text_sql(col, raw_type)} IS NULL"


def parse_sql(column: Column, col: str, raw_type: str) -> str:
    """SQL giving the canonical value of ``col`` (a quoted raw column), or NULL."""
    t = column.type
    text = text_sql(col, raw_type)
    if t == "str":
        return text
    if t == "date":
        if raw_type == "DATE":
            value = col
        elif raw_type == "TIMESTAMP WITH TIME ZONE":
            # an instant: the calendar date in the UK at that instant (23:30 UTC on
            # 30 June is 1 July in BST), whatever the time zone it was written in
            value = f"CAST(timezone({quote_literal(UK_TIME_ZONE)}, {col}) AS DATE)"
        elif raw_type.startswith("TIMESTAMP"):
            value = f"CAST({col} AS DATE)"
        else:
            fmts = "[" + ", ".join(quote_literal(f) for f in DATE_FORMATS) + "]"
            whole = f"regexp_replace({text}, {quote_literal(_FRACTION)}, '\\1')"
            value = f"CAST(try_strptime({whole}, {fmts}) AS DATE)"
        return (f"CASE WHEN {value} BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}' "
                f"THEN {value} END")
    if t in ("number", "int"):
        if raw_type in _INTEGER_TYPES or raw_type in _REAL_TYPES or _is_decimal(raw_type):
            value = f"CAST({col} AS DOUBLE)"
        else:
            value = (f"CASE WHEN regexp_full_match({text}, {quote_literal(PLAIN_NUMBER)}) "
                     f"THEN try_cast({text} AS DOUBLE) END")
        finite = f"CASE WHEN isfinite({value}) THEN {value} END"
        if t == "number":
            return finite
        return f"CASE WHEN {finite} = floor({finite}) THEN CAST({finite} AS BIGINT) END"
    if t == "bool":
        if raw_type == "BOOLEAN":
            return col
        low = f"lower({text})"
        trues = ", ".join(quote_literal(w) for w in TRUE_WORDS)
        falses = ", ".join(quote_literal(w) for w in FALSE_WORDS)
        return (f"CASE WHEN {low} IN ({trues}) THEN TRUE "
                f"WHEN {low} IN ({falses}) THEN FALSE END")
    if t == "code":
        return code_sql(code_lookup(column.codes), f"lower({text})")
    if t == "icd10":
        up = f"upper(replace({text}, ' ', ''))"
        return (f"CASE WHEN regexp_full_match({up}, '[A-Z][0-9]{{2}}(\\.?[0-9A-Z]{{1,2}})?') "
                f"THEN regexp_replace({up}, '^([A-Z][0-9]{{2}})\\.?([0-9A-Z]{{1,2}})$', "
                f"'\\1.\\2') END")
    raise ValueError(f"unknown column type {t!r}")


def code_sql(lookup: dict[str, str], key_sql: str) -> str:
    """SQL mapping accepted spellings to canonical codes (NULL for any other value).

    A MAP literal looked up by key: about twice as fast as a CASE testing each code's
    spellings in turn, which DuckDB runs as a join per long list of spellings.
    """
    pairs = ", ".join(f"{quote_literal(spelling)}: {quote_literal(canonical)}"
                      for spelling, canonical in lookup.items())
    return f"MAP {{{pairs}}}[{key_sql}]"


def expectation(column: Column) -> str:
    """What a valid value of ``column`` looks like, as a sentence fragment."""
    t = column.type
    if t == "date":
        return f"a date as YYYY-MM-DD or DD/MM/YYYY, between {EARLIEST_DATE[:4]} and " \
               f"{LATEST_DATE[:4]}"
    if t == "int":
        return "a whole number" + _bounds(column)
    if t == "number":
        return "a number written plainly (such as 12 or 2.5)" + _bounds(column)
    if t == "bool":
        return "true or false (also yes/no, y/n, 1/0)"
    if t == "icd10":
        return "an ICD-10 code such as F41.1 (the dot is optional: F411)"
    if t == "code":
        if column.codes == "instrument":
            names = sorted({v for v in instrument_spellings().values()})
            return "one of " + ", ".join(names) + " (or its SNOMED CT code)"
        words = codes.values(column.codes)
        nhs = [n for c in codes.CODE_LISTS[column.codes] for n in c.nhs]
        text = "one of " + ", ".join(words)
        if nhs and column.aliases:
            text += " (or the NHS code: " + ", ".join(nhs) + ")"
        return text
    return "a value"


def _bounds(column: Column) -> str:
    if column.minimum is not None and column.maximum is not None:
        return f" from {column.minimum:g} to {column.maximum:g}"
    if column.minimum is not None:
        return f" of at least {column.minimum:g}"
    return ""
