"""The audit report's charts, as inline accessible SVG in the house style.

Each function takes plain rows built from the disclosure-controlled document (never
exact results) and returns ``<svg>`` text from :func:`tincheck.report.charts.to_svg`,
with a title and a description that states the numbers shown, for screen readers.
Suppressed figures are drawn as a ``*`` with no mark, so a chart never shows more
than the tables do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..charts import INK, MUTED, PALETTE, new_figure, style, to_svg

BLUE, VERMILLION, GREEN, PINK, ORANGE, SKY = PALETTE[:6]
# one colour per kind of figure, the same on every chart of the report
OFFICIAL, HONEST, BENCHMARK = BLUE, VERMILLION, MUTED
FONT = 9


@dataclass(frozen=True)
class Row:
    """One row of an interval chart: a point with its interval, or a group header.

    ``text`` is what is written at the right (the value and interval, or why there is
    none); ``series`` picks the colour and marker.
    """

    label: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    text: str = ""
    series: str = "official"
    header: bool = False
    same_line: bool = False  # drawn on the line of the row before it, just below


SERIES = {  # series -> (colour, marker, filled)
    "official": (OFFICIAL, "o", True),
    "honest": (HONEST, "o", True),
    "completers": (OFFICIAL, "s", True),
    "itt": (HONEST, "s", True),
    "benchmark": (BENCHMARK, "D", False),
    "end": (HONEST, "o", True),
    "follow_up": (PINK, "^", True),
    "assumption": (GREEN, "o", True),
}


def _text_x(ax):
    """A transform in axes units across and data units up: text at a fixed place
    beside each row (matplotlib is imported when drawing, see ``charts._pyplot``)."""
    from matplotlib.transforms import blended_transform_factory

    return blended_transform_factory(ax.transAxes, ax.transData)


def _has(value) -> bool:
    return value is not None and value == value


def interval_chart(rows: list[Row], title: str, description: str, *, xlabel: str,
                   percent: bool = True, xlim: tuple[float, float] | None = None,
                   references: tuple[tuple[float, str], ...] = (),
                   width: float = 7.6) -> str:
    """Points with 95% intervals, one row each, values written at the right.

    ``references`` are vertical lines with a label (a target, a published figure).
    With ``percent`` the axis runs 0-100% unless ``xlim`` says otherwise.
    """
    scale = 100.0 if percent else 1.0
    lines: list[list[Row]] = []
    for row in rows:
        if row.same_line and lines:
            lines[-1].append(row)
        else:
            lines.append([row])
    n = len(lines)
    fig, ax = new_figure(width, 0.9 + 0.34 * n * (1.25 if len(lines) < len(rows) else 1)
                         + (0.25 if references else 0))
    with style():
        y = np.arange(n, 0, -1, dtype=float)
        text_x = _text_x(ax)
        for line, yy in zip(lines, y):
            if line[0].header:
                continue
            offsets = np.linspace(0.14, -0.14, len(line)) if len(line) > 1 else [0.0]
            for row, dy in zip(line, offsets):
                colour, marker, filled = SERIES.get(row.series, SERIES["official"])
                if _has(row.low) and _has(row.high):
                    ax.hlines(yy + dy, row.low * scale, row.high * scale, color=colour,
                              linewidth=2.2, alpha=0.85)
                if _has(row.value):
                    ax.scatter([row.value * scale], [yy + dy], s=46, marker=marker, zorder=3,
                               color=colour if filled else "white", edgecolor=colour,
                               linewidth=1.4)
            shown = any(_has(r.value) for r in line)
            ax.text(1.02, yy, "; ".join(r.text for r in line if r.text), transform=text_x,
                    va="center", ha="left", fontsize=FONT, color=INK if shown else MUTED)
        for value, label in references:
            ax.axvline(value * scale, color=MUTED, linewidth=1, linestyle=(0, (4, 3)),
                       zorder=1)
            ax.text(value * scale, n + 0.75, label, ha="center", va="bottom",
                    fontsize=FONT - 1, color=MUTED)
        ax.set_yticks(y)
        ax.set_yticklabels([line[0].label for line in lines], fontsize=FONT)
        for tick, line in zip(ax.get_yticklabels(), lines):
            if line[0].header:
                tick.set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_ylim(0.4, n + (1.5 if references else 0.6))
        if percent:
            low, high = xlim or (0.0, 1.0)
            ax.set_xlim(low * scale, high * scale)
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
        elif xlim:
            ax.set_xlim(*xlim)
        ax.set_xlabel(xlabel, fontsize=FONT)
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
    return to_svg(fig, title, description)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # a count from the controlled document (None: suppressed)
    text: str
    colour: str = BLUE


def bar_chart(bars: list[Bar], title: str, description: str, *, xlabel: str,
              legend: tuple[tuple[str, str], ...] = (), width: float = 7.6) -> str:
    """Horizontal bars with their counts (and shares) written at the end of each."""
    n = len(bars)
    fig, ax = new_figure(width, 0.8 + 0.38 * n)
    with style():
        y = np.arange(n, 0, -1, dtype=float)
        top = max([b.value for b in bars if b.value] or [1])
        for bar, yy in zip(bars, y):
            if bar.value:
                ax.barh(yy, bar.value, height=0.62, color=bar.colour)
            ax.text((bar.value or 0) + top * 0.01, yy, bar.text, va="center", ha="left",
                    fontsize=FONT, color=INK if bar.value is not None else MUTED)
        ax.set_yticks(y)
        ax.set_yticklabels([b.label for b in bars], fontsize=FONT)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, top * 1.32)
        ax.set_ylim(0.4, n + 0.6)
        from matplotlib.ticker import MaxNLocator

        # ticks at multiples of 5, like the counts (rounded to 5) they measure
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[5, 10], integer=True))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.set_xlabel(xlabel, fontsize=FONT)
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
        if legend:
            from matplotlib.patches import Patch
            ax.legend(handles=[Patch(color=c, label=l) for l, c in legend], fontsize=FONT - 1,
                      frameon=False, loc="lower right")
    return to_svg(fig, title, description)


def agreement_heatmap(cells: dict, title: str, description: str) -> str:
    """The 2 × 2 table official recovery × loss of index diagnoses, shaded by count.

    ``cells`` maps recovered_lost, recovered_diagnosed, not_recovered_lost,
    not_recovered_diagnosed to counts (None: suppressed, drawn hatched with a ``*``).
    The agreeing diagonal is outlined.
    """
    keys = [["recovered_lost", "recovered_diagnosed"],
            ["not_recovered_lost", "not_recovered_diagnosed"]]
    counts = np.array([[cells.get(k) if cells.get(k) is not None else np.nan for k in row]
                       for row in keys], dtype=float)
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("tin", ["#eef5fb", BLUE])
    fig, ax = new_figure(5.2, 3.0)
    with style():
        top = np.nanmax(counts) if np.isfinite(counts).any() else 1.0
        for i in range(2):
            for j in range(2):
                c = counts[i, j]
                shown = np.isfinite(c)
                share = c / top if shown and top else 0.0
                ax.add_patch(_cell(j, 1 - i, cmap(share) if shown else "#f2f2f2",
                                   hatch=None if shown else "///"))
                text = f"{int(c):,}" if shown else "*"
                ax.text(j + 0.5, 1 - i + 0.5, text, ha="center", va="center", fontsize=13,
                        fontweight="bold", color="white" if shown and share > 0.55 else INK)
        for i, j in ((0, 0), (1, 1)):  # agreement: recovered & lost, not & still diagnosed
            ax.add_patch(_cell(j, 1 - i, "none", edge=INK, linewidth=2.0))
        ax.set_xlim(0, 2)
        ax.set_ylim(0, 2)
        ax.set_xticks([0.5, 1.5], ["Lost index diagnoses", "Still diagnosed"], fontsize=FONT)
        ax.set_yticks([1.5, 0.5], ["Officially recovered", "Not officially\nrecovered"],
                      fontsize=FONT)
        ax.xaxis.tick_top()
        ax.set_xlabel("Independent blind interview at the end of treatment", fontsize=FONT)
        ax.xaxis.set_label_position("top")
        ax.set_ylabel("Questionnaires (official definition)", fontsize=FONT)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_aspect("equal")
    return to_svg(fig, title, description)


def _cell(x, y, colour, *, edge="white", linewidth=1.0, hatch=None):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor=edge, linewidth=linewidth,
                     hatch=hatch)


def smd_chart(rows: list[tuple[str, float | None, bool | None]], title: str,
              description: str, flag: float = 0.1,
              compared: str = "interviewed − all ended referrals") -> str:
    """Standardised mean differences (e.g. interviewed − everyone), |SMD| > ``flag``
    marked; ``compared`` names the two groups on the axis."""
    n = len(rows)
    fig, ax = new_figure(7.0, 0.9 + 0.34 * n)
    with style():
        y = np.arange(n, 0, -1, dtype=float)
        values = [v for _, v, _ in rows if _has(v)]
        reach = max([abs(v) for v in values] + [flag * 3]) * 1.15
        ax.axvspan(-flag, flag, color="#dcebf7", zorder=0)
        ax.axvline(0, color=MUTED, linewidth=0.8)
        text_x = _text_x(ax)
        for (label, value, flagged), yy in zip(rows, y):
            if _has(value):
                ax.scatter([value], [yy], s=46, zorder=3,
                           color=VERMILLION if flagged else BLUE,
                           marker="D" if flagged else "o")
            text = "*" if not _has(value) else f"{value:+.2f}" + (" flagged" if flagged else "")
            ax.text(1.02, yy, text, transform=text_x, va="center", fontsize=FONT,
                    color=INK if _has(value) else MUTED)
        ax.set_yticks(y)
        ax.set_yticklabels([r[0] for r in rows], fontsize=FONT)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlim(-reach, reach)
        ax.set_ylim(0.4, n + 0.6)
        ax.set_xlabel(f"Standardised mean difference, {compared} "
                      f"(shaded: |SMD| ≤ {flag})", fontsize=FONT)
    return to_svg(fig, title, description)


# ------------------------------------------------------------------ the pathway

@dataclass(frozen=True)
class Link:
    """One band of a flow chart: referrals going from a node of one stage to a node of
    the next (``value`` None: suppressed, not drawn)."""

    stage: int          # the stage of the target (1 ... number of stages - 1)
    source: str
    target: str
    value: int | None


def flow_chart(links: list[Link], stages: tuple[str, ...], labels: dict[str, str],
               order: tuple[str, ...], colours: dict[str, str], title: str,
               description: str, width: float = 9.6, height: float = 4.8) -> str:
    """A flow (Sankey-like) chart: a column of nodes per stage, bands between them as
    wide as the referrals they carry, each node labelled with its count.

    A node's height is the larger of what flows in and what flows out, so a node where
    some referrals stop (never seen, one session only) shows them ending there.
    ``order`` fixes the nodes' order top to bottom in every column.
    """
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path

    n_stages = len(stages)
    inflow: dict[tuple[int, str], int] = {}
    outflow: dict[tuple[int, str], int] = {}
    for link in links:
        value = link.value or 0
        inflow[(link.stage, link.target)] = inflow.get((link.stage, link.target), 0) + value
        key = (link.stage - 1, link.source)
        outflow[key] = outflow.get(key, 0) + value
    size = {k: max(inflow.get(k, 0), outflow.get(k, 0)) for k in {*inflow, *outflow}}
    rank = {name: i for i, name in enumerate(order)}
    columns = [sorted((name for s, name in size if s == stage),
                      key=lambda name: rank.get(name, len(rank))) for stage in range(n_stages)]
    gap = 0.035
    total = max([sum(size[(s, n)] for n in col) for s, col in enumerate(columns)] + [1])
    scale = (1 - gap * (max(len(c) for c in columns) - 1)) / total
    top: dict[tuple[int, str], float] = {}
    for stage, col in enumerate(columns):
        y = 1.0
        for name in col:
            top[(stage, name)] = y
            y -= size[(stage, name)] * scale + gap
    bar = 0.06
    fig, ax = new_figure(width, height)
    with style():
        out_used = {k: 0.0 for k in top}
        in_used = {k: 0.0 for k in top}
        ordered = sorted(links, key=lambda l: (l.stage, rank.get(l.source, 99),
                                               rank.get(l.target, 99)))
        for link in ordered:
            if not link.value:
                continue
            s, t = (link.stage - 1, link.source), (link.stage, link.target)
            h = link.value * scale
            y0 = top[s] - out_used[s]
            y1 = top[t] - in_used[t]
            out_used[s] += h
            in_used[t] += h
            x0, x1 = s[0] + bar / 2, t[0] - bar / 2
            mid = (x0 + x1) / 2
            verts = [(x0, y0), (mid, y0), (mid, y1), (x1, y1), (x1, y1 - h),
                     (mid, y1 - h), (mid, y0 - h), (x0, y0 - h), (x0, y0)]
            codes_ = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO,
                      Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.CLOSEPOLY]
            ax.add_patch(PathPatch(Path(verts, codes_), facecolor=colours.get(
                link.target, MUTED), edgecolor="none", alpha=0.32))
        label_y = {}
        for stage, col in enumerate(columns):  # labels at least a line and a half apart
            floor = None
            for name in col:
                y = top[(stage, name)] - size[(stage, name)] * scale / 2
                y = y if floor is None else min(y, floor - 0.075)
                label_y[(stage, name)] = floor = y
        for (stage, name), y in top.items():
            h = size[(stage, name)] * scale
            ax.add_patch(Rectangle((stage - bar / 2, y - h), bar, h,
                                   facecolor=colours.get(name, MUTED), edgecolor="none"))
            ax.text(stage + bar / 2 + 0.03, label_y[(stage, name)],
                    f"{labels.get(name, name)}\n{size[(stage, name)]:,}", va="center",
                    ha="left", fontsize=FONT - 1.5, color=INK, linespacing=1.1,
                    bbox=dict(boxstyle="square,pad=0.1", facecolor="white", alpha=0.7,
                              edgecolor="none"))
        for stage, name in enumerate(stages):
            ax.text(stage, 1.06, name, ha="center", va="bottom", fontsize=FONT,
                    fontweight="bold", color=INK)
        ax.set_xlim(-0.1, n_stages - 0.25)
        ax.set_ylim(min([y - size[k] * scale for k, y in top.items()]
                        + list(label_y.values()) + [0]) - 0.05, 1.12)
        ax.axis("off")
    return to_svg(fig, title, description)


@dataclass(frozen=True)
class Split:
    """One stacked bar: shares below, within and above a range (None: suppressed)."""

    label: str
    shares: tuple[float | None, float | None, float | None]
    text: str


BAND_COLOURS = (VERMILLION, GREEN, ORANGE)
BAND_NAMES = ("below NICE's range", "within", "above")


def split_chart(bars: list[Split], title: str, description: str,
                width: float = 7.6) -> str:
    """Horizontal bars split below / within / above a range, shares written at the end."""
    n = len(bars)
    fig, ax = new_figure(width, 1.1 + 0.42 * n)
    with style():
        y = np.arange(n, 0, -1, dtype=float)
        text_x = _text_x(ax)
        for bar, yy in zip(bars, y):
            left = 0.0
            for share, colour in zip(bar.shares, BAND_COLOURS):
                if _has(share) and share > 0:
                    ax.barh(yy, share * 100, left=left, height=0.62, color=colour)
                    left += share * 100
            ax.text(1.02, yy, bar.text, transform=text_x, va="center", fontsize=FONT,
                    color=INK if any(_has(s) for s in bar.shares) else MUTED)
        ax.set_yticks(y)
        ax.set_yticklabels([b.label for b in bars], fontsize=FONT)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 100)
        ax.set_ylim(0.4, n + 0.6)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
        ax.set_xlabel("share of finished courses", fontsize=FONT)
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=c, label=l) for l, c in zip(BAND_NAMES, BAND_COLOURS)],
                  fontsize=FONT - 1, frameon=False, loc="upper center", ncol=3,
                  bbox_to_anchor=(0.5, 1.02 + 0.5 / max(n, 1)))
    return to_svg(fig, title, description)
