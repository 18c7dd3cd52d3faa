"""Forest and funnel plots of a meta-analysis, as inline accessible SVG.

Both take plain results (:class:`~tincheck.stats.meta.MetaResult`,
:class:`~tincheck.stats.meta.SubgroupResult`, :class:`~tincheck.stats.meta.TrimFillResult`)
and return the ``<svg>`` text from :func:`tincheck.report.charts.to_svg`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Polygon
from scipy import stats

from .charts import INK, MUTED, PALETTE, new_figure, style, to_svg


def _interval(result) -> str:
    return f"{result.estimate:.2f} [{result.ci_low:.2f}, {result.ci_high:.2f}]"


def _column(est: float, low: float, high: float, weight: str = "") -> str:
    """Right-hand text of a forest row, fixed width so the columns line up."""
    return f"{est:5.2f} [{low:5.2f}, {high:5.2f}] {weight:>6}"


def _diamond(ax, result, y: float, colour: str, height: float = 0.32) -> None:
    ax.add_patch(Polygon([(result.ci_low, y), (result.estimate, y + height),
                          (result.ci_high, y), (result.estimate, y - height)],
                         closed=True, facecolor=colour, edgecolor=INK, linewidth=0.6))


def forest_plot(subgroups, overall, *, effect_label: str = "Effect size",
                title: str = "Forest plot") -> str:
    """Forest plot: studies grouped by a feature, subgroup and overall diamonds.

    Each study is a square (area proportional to its weight in the overall model) with
    its confidence interval; each subgroup ends with its pooled diamond; the overall
    diamond carries the prediction interval as a dashed line.
    """
    level = overall.level
    z = stats.norm.ppf(1 - (1 - level) / 2)
    weight = dict(zip(overall.labels, overall.weights.tolist()))
    rows = [("columns", "Study", None, INK)]  # (kind, label, payload, colour)
    for i, (name, fit) in enumerate(subgroups.groups.items()):
        colour = PALETTE[i % len(PALETTE)]
        rows.append(("header", f"{subgroups.feature} = {name}", None, colour))
        for label, y, v in zip(fit.labels, fit.yi.tolist(), fit.vi.tolist()):
            rows.append(("study", label, (y, y - z * np.sqrt(v), y + z * np.sqrt(v),
                                          weight.get(label, 0.0)), colour))
        rows.append(("pooled", f"Pooled, {name} (k = {fit.k})", fit, colour))
        rows.append(("gap", "", None, colour))
    rows.append(("overall", f"All studies (k = {overall.k})", overall, INK))

    n = len(rows)
    fig, ax = new_figure(width=8.0, height=1.3 + 0.26 * n)
    with style():
        positions = np.arange(n, 0, -1, dtype=float)
        right = []
        for (kind, label, payload, colour), y in zip(rows, positions):
            if kind == "study":
                est, low, high, w = payload
                ax.hlines(y, low, high, color=colour, linewidth=1.0)
                ax.scatter([est], [y], marker="s", s=12 + 6 * w, color=colour, zorder=3)
                right.append((y, _column(est, low, high, f"{w:.1f}%")))
            elif kind == "columns":
                right.append((y, f"{'Estimate [' + format(level, '.0%') + ' CI]':<21}Weight"))
            elif kind in ("pooled", "overall"):
                _diamond(ax, payload, y, colour if kind == "pooled" else "#999999")
                right.append((y, _column(payload.estimate, payload.ci_low, payload.ci_high)))
                if kind == "overall":
                    ax.hlines(y, payload.pi_low, payload.pi_high, color=INK,
                              linestyle="--", linewidth=1.0, zorder=1)
        ax.axvline(0, color=MUTED, linewidth=0.8)
        ax.axvline(overall.estimate, color=MUTED, linewidth=0.8, linestyle=":")
        ax.set_yticks(positions)
        ax.set_yticklabels([label for _, label, _, _ in rows])
        for tick, (kind, *_rest) in zip(ax.get_yticklabels(), rows):
            if kind in ("header", "overall", "columns"):
                tick.set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(0.3, n + 0.7)
        ax.set_xlabel(f"{effect_label} with {level:.0%} CI")
        ax.spines["left"].set_visible(False)
        text = ax.secondary_yaxis("right")
        text.set_yticks([y for y, _ in right])
        text.set_yticklabels([t for _, t in right], family="DejaVu Sans Mono", fontsize=8)
        text.tick_params(length=0)
        for tick, (y, _) in zip(text.get_yticklabels(), right):
            if y == positions[0]:
                tick.set_fontweight("bold")
        text.spines["right"].set_visible(False)
    groups = "; ".join(f"{name}: {_interval(fit)} (k = {fit.k})"
                       for name, fit in subgroups.groups.items())
    description = (f"Studies grouped by {subgroups.feature}. Pooled by subgroup: {groups}. "
                   f"All studies: {_interval(overall)}, prediction interval "
                   f"{overall.pi_low:.2f} to {overall.pi_high:.2f}. Q-between "
                   f"{subgroups.Q_between:.2f} on {subgroups.Q_between_df} df.")
    return to_svg(fig, title, description)


def funnel_plot(result, trimfill=None, *, effect_label: str = "Effect size",
                title: str = "Funnel plot") -> str:
    """Funnel plot: effect against standard error (0 at the top), pseudo-CI region.

    Observed studies are filled circles; studies imputed by trim-and-fill (if any) are
    open circles, and the adjusted estimate is a dashed line.
    """
    z = stats.norm.ppf(1 - (1 - result.level) / 2)
    se = np.sqrt(result.vi)
    top = float(se.max()) * 1.08
    fig, ax = new_figure(width=8.0, height=4.2)
    with style():
        grid = np.array([0.0, top])
        ax.fill_betweenx(grid, result.estimate - z * grid, result.estimate + z * grid,
                         color="#eef2f5", zorder=0, label=f"{result.level:.0%} pseudo-CI region")
        ax.plot(result.estimate - z * grid, grid, color=MUTED, linewidth=0.8)
        ax.plot(result.estimate + z * grid, grid, color=MUTED, linewidth=0.8)
        ax.axvline(result.estimate, color=INK, linewidth=1.0,
                   label=f"Pooled estimate {result.estimate:.2f}")
        ax.scatter(result.yi, se, color=PALETTE[0], edgecolor=INK, linewidth=0.5, zorder=3,
                   label=f"Studies (k = {result.k})")
        if trimfill is not None and trimfill.k0 > 0:
            ax.scatter(trimfill.filled_yi, np.sqrt(trimfill.filled_vi), facecolor="white",
                       edgecolor=PALETTE[1], linewidth=1.2, zorder=3,
                       label=f"Imputed by trim-and-fill (k0 = {trimfill.k0})")
            ax.axvline(trimfill.adjusted.estimate, color=PALETTE[1], linestyle="--",
                       linewidth=1.0,
                       label=f"Adjusted estimate {trimfill.adjusted.estimate:.2f}")
        ax.set_ylim(top, 0)
        ax.set_xlabel(effect_label)
        ax.set_ylabel("Standard error")
        fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    imputed = ("no studies imputed by trim-and-fill" if trimfill is None or trimfill.k0 == 0
               else f"{trimfill.k0} studies imputed on the {trimfill.side} by trim-and-fill, "
                    f"adjusted estimate {trimfill.adjusted.estimate:.2f}")
    description = (f"{result.k} studies plotted by effect size against standard error "
                   f"around the pooled estimate {result.estimate:.2f}; {imputed}.")
    return to_svg(fig, title, description)
