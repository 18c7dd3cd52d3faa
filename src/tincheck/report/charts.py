"""Charts as inline, accessible SVG (matplotlib, rendered without any network).

Every chart gets an SVG ``<title>`` and ``<desc>`` for screen readers and a
colour-blind-safe palette (Okabe & Ito 2008). Output is deterministic: no dates or
random ids in the SVG, so reports can be snapshot-tested.
"""

from __future__ import annotations

import functools
import html
import io
import re

# Okabe M, Ito K (2008) Color universal design: a colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000")
INK = "#1b1b1b"
MUTED = "#767676"

_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "svg.hashsalt": "tincheck",
    "svg.fonttype": "none",  # text stays text: searchable, readable by screen readers
}


@functools.cache
def _pyplot():
    """matplotlib's pyplot, on the Agg backend (no display: render to files only).

    Imported when the first chart is drawn, not with tincheck: it adds about 40 MiB
    to every process and 0.3 s to every command's start, while only the commands
    that draw charts need it (an audit draws them last, when its memory is low)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _STYLE["axes.prop_cycle"] = matplotlib.cycler(color=PALETTE)
    return plt


def new_figure(width: float = 7.0, height: float = 3.6):
    """A figure and axes in the house style."""
    plt = _pyplot()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def style():
    """Context manager applying the house style to charts built inside it."""
    return _pyplot().rc_context(_STYLE)


def to_svg(fig, title: str, description: str) -> str:
    """Render ``fig`` to an inline ``<svg>`` with ``<title>``/``<desc>``; closes it."""
    buffer = io.StringIO()
    plt = _pyplot()
    with plt.rc_context(_STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE (with its URL)
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    label = html.escape(title, quote=True)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    head = svg.index(">") + 1
    return (svg[:head] + f"<title>{html.escape(title)}</title>"
            f"<desc>{html.escape(description)}</desc>" + svg[head:])
