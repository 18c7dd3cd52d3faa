"""Forest, funnel, Baujat, leave-one-out and cumulative plots, as inline accessible SVG.

Each takes plain results (:class:`~tincheck.stats.meta.MetaResult`,
:class:`~tincheck.stats.meta.SubgroupResult`, :class:`~tincheck.stats.meta.TrimFillResult`,
:class:`~tincheck.stats.influence.BaujatResult`,
:class:`~tincheck.stats.sensitivity.RepooledResult`) and returns the ``<svg>`` text from
:func:`tincheck.report.charts.to_svg`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .charts import INK, MUTED, PALETTE, new_figure, style, to_svg


def _interval(result) -> str:
    return f"{result.estimate:.2f} [{result.ci_low:.2f}, {result.ci_high:.2f}]"


def _column(est: float, low: float, high: float, weight: str = "") -> str:
    """Right-hand text of a forest row, fixed width so the columns line up."""
    return f"{est:5.2f} [{low:5.2f}, {high:5.2f}] {weight:>6}"


def _diamond(ax, result, y: float, colour: str, height: float = 0.32) -> None:
    from matplotlib.patches import Polygon  # matplotlib is imported when drawing

    ax.add_patch(Polygon([(result.ci_low, y), (result.estimate, y + height),
                          (result.ci_high, y), (result.estimate, y - height)],
                         closed=True, facecolor=colour, edgecolor=INK, linewidth=0.6))


def forest_plot(subgroups, overall, *, effect_label: str = "Effect size",
                title: str = "Forest plot") -> str:
    """Forest plot: studies grouped by a feature, subgroup and overall diamonds.

    Each study is a square (area proportional to its weight in the overall model) with
    its confidence interval; each subgroup ends with its pooled diamond; the overall
    diamond carries the prediction interval as a dashed line. ``subgroups=None`` plots
    the studies ungrouped.
    """
    level = overall.level
    z = stats.norm.ppf(1 - (1 - level) / 2)
    weight = dict(zip(overall.labels, overall.weights.tolist()))
    rows = [("columns", "Study", None, INK)]  # (kind, label, payload, colour)
    groups = subgroups.groups.items() if subgroups is not None else [(None, overall)]
    for i, (name, fit) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        if name is not None:
            rows.append(("header", f"{subgroups.feature} = {name}", None, colour))
        for label, y, v in zip(fit.labels, fit.yi.tolist(), fit.vi.tolist()):
            rows.append(("study", label, (y, y - z * np.sqrt(v), y + z * np.sqrt(v),
                                          weight.get(label, 0.0)), colour))
        if name is not None:
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
    whole = (f"All studies: {_interval(overall)}, prediction interval "
             f"{overall.pi_low:.2f} to {overall.pi_high:.2f}.")
    if subgroups is None:
        description = f"{overall.k} studies with their confidence intervals. {whole}"
    else:
        groups = "; ".join(f"{name}: {_interval(fit)} (k = {fit.k})"
                           for name, fit in subgroups.groups.items())
        description = (f"Studies grouped by {subgroups.feature}. Pooled by subgroup: "
                       f"{groups}. {whole} Q-between {subgroups.Q_between:.2f} on "
                       f"{subgroups.Q_between_df} df.")
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


def baujat_plot(result, influence=None, *, title: str = "Baujat plot") -> str:
    """Baujat plot: each study's contribution to heterogeneity (x) against its influence
    on the pooled result (y), as metafor's ``baujat()``.

    Studies flagged as influential by ``influence`` (an
    :class:`~tincheck.stats.influence.InfluenceResult`) are drawn in the warning colour;
    the studies furthest out are labelled.
    """
    x, y = np.asarray(result.heterogeneity), np.asarray(result.influence)
    flagged = (np.asarray(influence.influential, dtype=bool) if influence is not None
               else np.zeros(x.size, dtype=bool))
    fig, ax = new_figure(width=8.0, height=4.6)
    with style():
        ax.scatter(x[~flagged], y[~flagged], color=PALETTE[0], edgecolor=INK, linewidth=0.5,
                   zorder=3, label="Studies")
        if flagged.any():
            ax.scatter(x[flagged], y[flagged], color=PALETTE[1], edgecolor=INK,
                       linewidth=0.5, marker="D", zorder=3,
                       label="Influential (metafor's criteria)")
        # label the flagged studies and the few furthest out on either axis
        far = set(np.argsort(-x)[:3]) | set(np.argsort(-np.nan_to_num(y))[:3])
        for i in sorted(far | set(np.flatnonzero(flagged))):
            ax.annotate(result.labels[i], (x[i], y[i]), xytext=(4, 3),
                        textcoords="offset points", fontsize=8, color=INK)
        fixed = result.method == "FE"
        ax.set_xlabel("Contribution to overall heterogeneity" if fixed
                      else "Squared Pearson residual")
        ax.set_ylabel("Influence on the pooled result")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    top_x = int(np.nanargmax(x))
    top_y = int(np.nanargmax(y)) if np.isfinite(y).any() else top_x
    names = ", ".join(result.labels[i] for i in np.flatnonzero(flagged)) or "none"
    description = (f"{x.size} studies. Largest contribution to heterogeneity: "
                   f"{result.labels[top_x]} ({x[top_x]:.2f}); largest influence on the "
                   f"pooled result: {result.labels[top_y]} ({y[top_y]:.2f}). Influential "
                   f"studies: {names}.")
    return to_svg(fig, title, description)


def repooled_plot(result, overall, *, effect_label: str = "Effect size",
                  title: str = "Leave-one-out", groups=None) -> str:
    """Forest-style plot of a leave-one-out or cumulative meta-analysis.

    One row per re-pooled subset (its estimate and confidence interval), the full
    analysis as a diamond at the bottom, a dotted line at its estimate. ``groups``
    (one text per row, e.g. the allegiance of the study a cumulative step adds)
    colours the rows, with a legend.
    """
    level = result.level
    cumulative = result.kind == "cumulative"
    labels = [f"+ {lab}" if cumulative else f"Without {lab}" for lab in result.labels]
    n = len(labels) + 3
    fig, ax = new_figure(width=8.0, height=1.3 + 0.26 * n)
    palette = {}
    if groups is not None:
        for g in groups:
            palette.setdefault(g, PALETTE[len(palette) % len(PALETTE)])
    with style():
        positions = np.arange(n, 0, -1, dtype=float)
        right = [(positions[0], f"{'Estimate [' + format(level, '.0%') + ' CI]':<21}")]
        seen = set()
        for i, y in enumerate(positions[1:len(labels) + 1]):
            est, low, high = result.estimate[i], result.ci_low[i], result.ci_high[i]
            colour = palette[groups[i]] if groups is not None else PALETTE[0]
            legend = None
            if groups is not None and groups[i] not in seen:
                seen.add(groups[i])
                legend = groups[i]
            if np.isfinite(est):
                ax.hlines(y, low, high, color=colour, linewidth=1.0)
                ax.scatter([est], [y], marker="s", s=22, color=colour, zorder=3, label=legend)
                right.append((y, _column(est, low, high)))
            else:
                right.append((y, "not estimable"))
        bottom = positions[-1]
        _diamond(ax, overall, bottom, "#999999")
        right.append((bottom, _column(overall.estimate, overall.ci_low, overall.ci_high)))
        ax.axvline(0, color=MUTED, linewidth=0.8)
        ax.axvline(overall.estimate, color=MUTED, linewidth=0.8, linestyle=":")
        ticks = ["Study " + ("added" if cumulative else "left out")] + labels + [
            "", f"All studies (k = {overall.k})"]
        ax.set_yticks(positions)
        ax.set_yticklabels(ticks)
        for tick, text in zip(ax.get_yticklabels(), ticks):
            if text.startswith(("Study ", "All studies")):
                tick.set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(0.3, n + 0.7)
        ax.set_xlabel(f"{effect_label} with {level:.0%} CI")
        ax.spines["left"].set_visible(False)
        text = ax.secondary_yaxis("right")
        text.set_yticks([y for y, _ in right])
        text.set_yticklabels([t for _, t in right], family="DejaVu Sans Mono", fontsize=8)
        text.tick_params(length=0)
        text.spines["right"].set_visible(False)
        if groups is not None:
            ax.legend(loc="lower left", fontsize=8, frameon=False,
                      bbox_to_anchor=(0.0, 1.0), ncols=max(1, len(palette)))
    finite = np.isfinite(np.asarray(result.estimate))
    est = np.asarray(result.estimate)[finite]
    if cumulative:
        first = next(i for i in range(len(labels)) if finite[i])
        description = (f"Cumulative meta-analysis adding {len(labels)} studies in turn: "
                       f"the estimate moves from {result.estimate[first]:.2f} after "
                       f"{result.labels[first]} to {result.estimate[-1]:.2f} with every study "
                       f"({_interval(overall)} overall).")
        if groups is not None:
            description += " Rows are coloured by " + ", ".join(palette) + "."
    else:
        low, high = int(np.argmin(est)), int(np.argmax(est))
        description = (f"Leave-one-out: the pooled estimate ranges from {est[low]:.2f} "
                       f"(without {np.asarray(result.labels)[finite][low]}) to {est[high]:.2f} "
                       f"(without {np.asarray(result.labels)[finite][high]}); all studies: "
                       f"{_interval(overall)}.")
    return to_svg(fig, title, description)
