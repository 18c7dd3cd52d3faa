"""Numbers as every output shows them: the one place values are formatted.

Plain text for pages, charts and the terminal, and the few HTML fragments that mark a
count up (so that tests, and readers' tools, can find every count on a page). A
missing value shows as an en dash; a count suppressed by disclosure control as ``*``.

The audit's figures arrive as metrics of its ``report.json`` document (dicts with
``kind``, ``value``, ``ci_low``, ``ci_high``, ``suppressed``, ...); the meta-analysis
and published-data reports format plain numbers.

>>> m = {"kind": "proportion", "value": 0.523, "ci_low": 0.48, "ci_high": 0.561}
>>> value_text(m), interval_text(m), compact_text(m)
('52%', '48% to 56%', '52% (48%-56%)')
>>> fixed(0.4567), p_value(0.0004), cell_text(1234.5)
('0.46', '< 0.001', '1,234.50')
"""

from __future__ import annotations

import html

DASH = "–"
SUPPRESSED_TITLE = "fewer than 5: suppressed by disclosure control"


def missing(value) -> bool:
    """None or NaN (of any float type)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN is the one value unequal to itself
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------ plain numbers

def pct(value, digits: int = 0) -> str:
    """A proportion as a percentage: 0.523 → '52%'; missing → '–'."""
    return DASH if missing(value) else f"{100 * value:.{digits}f}%"


def pct_interval(low, high) -> str:
    """'48% to 56%'; '–' when either end is missing."""
    if missing(low) or missing(high):
        return DASH
    return f"{pct(low)} to {pct(high)}"


def num(value, digits: int = 2) -> str:
    """A number with thousands separators: 1234.5 → '1,234.50'; missing → '–'."""
    return DASH if missing(value) else f"{value:,.{digits}f}"


def num_interval(low, high, digits: int = 2) -> str:
    if missing(low) or missing(high):
        return DASH
    return f"{num(low, digits)} to {num(high, digits)}"


def money(value) -> str:
    return DASH if missing(value) else f"£{value:,.0f}"


def fixed(x, digits: int = 2) -> str:
    """A number to fixed decimals, no separators: '0.46'; missing → '–'."""
    return DASH if missing(x) else f"{x:.{digits}f}"


def fixed_interval(low, high, digits: int = 2) -> str:
    return f"{fixed(low, digits)} to {fixed(high, digits)}"


def p_value(p) -> str:
    """'< 0.001' below 0.001, else three decimals; missing → '–'."""
    if missing(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def percent_figure(value, decimals: int = 1) -> str:
    """A figure already in percent: 52.34 → '52.3%'; missing → ''."""
    return "" if missing(value) else f"{value:.{decimals}f}%"


def rounded(value, decimals: int = 0):
    """A number rounded for a table cell (an int at 0 decimals); missing → None."""
    if missing(value):
        return None
    return round(float(value), decimals) if decimals else int(round(float(value)))


def cell_text(value) -> str:
    """Any value for a table cell: ints with separators, floats to 3 significant
    figures below 1 and 2 decimals above, None empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def csv_value(value):
    """A value for a CSV cell: None empty, booleans true/false, floats to 6 significant
    figures, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def count_text(value) -> str:
    """A count as plain text (for charts): '1,235'; '*' when suppressed."""
    return "*" if value is None else f"{int(value):,}"


# ------------------------------------------------------------------ metrics

def value_text(m: dict) -> str:
    """A metric's value as short plain text, whatever its kind."""
    if m.get("suppressed"):
        return "*"
    value, kind = m.get("value"), m.get("kind")
    if missing(value):
        return DASH
    if kind == "proportion" or m.get("scale") == "logit":
        return pct(value)
    if kind == "count":
        return f"{int(value):,}"
    if kind == "ratio":
        return money(value)
    if kind == "mean":
        return num(value, 1)
    return num(value)


def interval_text(m: dict) -> str:
    """A metric's 95% interval as plain text ('' for counts)."""
    if m.get("suppressed") or m.get("kind") == "count":
        return DASH if m.get("suppressed") else ""
    low, high = m.get("ci_low"), m.get("ci_high")
    if m.get("kind") == "proportion" or m.get("scale") == "logit":
        return pct_interval(low, high)
    if m.get("kind") == "ratio":
        return DASH if missing(low) or missing(high) else f"{money(low)} to {money(high)}"
    if m.get("kind") == "mean":
        return num_interval(low, high, 1)
    return num_interval(low, high)


def compact_text(m: dict) -> str:
    """A metric as one short line (the terminal, notebooks): '52% (48%-56%)', '123',
    '£1,234 (£1,000-£1,500)', 'n/a' when there is no value, '*' when suppressed."""
    if m.get("suppressed"):
        return "*"
    value = m.get("value")
    if value is None:
        return "n/a"
    if m["kind"] == "proportion":
        text = f"{value:.0%}"
        if m.get("ci_low") is not None:
            text += f" ({m['ci_low']:.0%}-{m['ci_high']:.0%})"
        return text
    if m["kind"] == "count":
        return f"{value:,}"
    is_money = m["kind"] == "ratio"
    text = f"£{value:,.0f}" if is_money else f"{value:,.2f}"
    if m.get("ci_low") is not None:
        low, high = m["ci_low"], m["ci_high"]
        text += f" (£{low:,.0f}-£{high:,.0f})" if is_money else f" ({low:,.2f} to {high:,.2f})"
    return text


# ------------------------------------------------------------------ HTML

def count_html(value, suppressed: bool | None = None) -> str:
    """A count for the page, marked up so every count can be found.

    ``None`` (suppressed or unknown) shows as ``*`` with an explanation on hover.
    """
    if value is None:
        if suppressed is False:
            return DASH
        return f'<span class="suppressed" title="{SUPPRESSED_TITLE}">*</span>'
    return f'<data class="count" value="{int(value)}">{int(value):,}</data>'


def value_html(m: dict) -> str:
    """A metric's value for the page (counts marked up, text escaped)."""
    text = value_text(m)
    if text == "*":
        return count_html(None)
    if m.get("kind") == "count":  # a count withheld (not computed) is not a suppressed one
        return count_html(m.get("value"), bool(m.get("suppressed")))
    return html.escape(text, quote=True)


def base_html(m: dict) -> str:
    """What a figure is taken over: '10 of 20', 'n = 20', or ''."""
    kind = m.get("kind")
    if kind == "proportion":
        num_, den = m.get("numerator"), m.get("denominator")
        if num_ is None and den is None and not m.get("suppressed"):
            return ""
        return f"{count_html(num_)} of {count_html(den)}"
    if kind in ("mean", "effect", "statistic", "ratio") and "n" in m:
        if m.get("n") is None and not m.get("suppressed"):
            return ""
        return f"n = {count_html(m.get('n'))}"
    return ""
