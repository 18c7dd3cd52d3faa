"""Charts of the services and therapists compared: funnel plots and a caterpillar plot.

Both take rows of the disclosure-controlled document: a service whose rate is
suppressed is not drawn (the table marks it), and therapists appear only under their
labels. Inline accessible SVG in the house style.
"""

from __future__ import annotations

import numpy as np

from ..charts import INK, MUTED, PALETTE, new_figure, style, to_svg
from ..format import pct

LIMIT_STYLES = (("exact_95", (4, 2), PALETTE[0], "95% (exact binomial)"),
                ("exact_998", (1, 0), PALETTE[0], "99.8% (exact binomial)"),
                ("re_95", (4, 2), PALETTE[1], "95% widened for overdispersion"),
                ("re_998", (1, 0), PALETTE[1], "99.8% widened for overdispersion"))


def funnel_chart(label: str, target: float | None, services: list[dict],
                 curve: list[dict]) -> str:
    """Services' rates on one measure against their denominators, with the limits."""
    with style():
        fig, ax = new_figure(7.0, 4.0)
        if curve:
            x = [c["denominator"] for c in curve]
            for tag, dash, colour, name in LIMIT_STYLES:
                low = [np.nan if c.get(f"{tag}_low") is None else 100 * c[f"{tag}_low"]
                       for c in curve]
                high = [np.nan if c.get(f"{tag}_high") is None else 100 * c[f"{tag}_high"]
                        for c in curve]
                ax.plot(x, low, color=colour, dashes=dash, linewidth=1, label=name)
                ax.plot(x, high, color=colour, dashes=dash, linewidth=1)
        if target is not None:
            ax.axhline(100 * target, color=INK, linewidth=1,
                       label=f"All services {pct(target)}")
        shown = [s for s in services if s.get("rate") is not None and s.get("n")]
        outside = [s for s in shown if s.get("outside_re_998")]
        inside = [s for s in shown if not s.get("outside_re_998")]
        for group, colour, marker, name in ((inside, MUTED, "o", "Service"),
                                            (outside, PALETTE[1], "D",
                                             "Outside the widened 99.8% limits")):
            if group:
                ax.scatter([s["n"] for s in group], [100 * s["rate"] for s in group],
                           s=26, color=colour, marker=marker, zorder=3, label=name)
        for s in shown:
            ax.annotate(str(s["service_id"]), (s["n"], 100 * s["rate"]),
                        textcoords="offset points", xytext=(4, 3), fontsize=7, color=INK)
        ax.set_xlabel("Denominator (referrals, rounded to 5)")
        ax.set_ylabel("Rate (%)")
        values = [100 * s["rate"] for s in shown] + [
            100 * c[k] for c in curve for k in ("re_998_low", "re_998_high", "exact_998_low",
                                                "exact_998_high") if c.get(k) is not None]
        if values:
            ax.set_ylim(max(0, min(values) - 8), min(100, max(values) + 12))
        ax.legend(fontsize=7, frameon=False, loc="upper right", ncol=2)
    hidden = len(services) - len(shown)
    desc = (f"Funnel plot of {label.lower()}: {len(shown)} services against the "
            f"all-service rate of {pct(target)}; {len(outside)} outside the 99.8% limits "
            "widened for overdispersion"
            + (f"; {hidden} not drawn (suppressed)" if hidden else "") + ".")
    return to_svg(fig, f"Funnel plot: {label}", desc)


def caterpillar_chart(rows: list[dict], key: str, typical: float | None, *, percent: bool,
                      title: str, ylabel: str) -> str:
    """Therapists' shrunken estimates (``key``, ``key_low``, ``key_high``) in order,
    with the value for an average case as a line."""
    rows = [r for r in rows if r.get(key) is not None]
    rows.sort(key=lambda r: r[key])
    scale = 100.0 if percent else 1.0
    with style():
        fig, ax = new_figure(7.0, 3.4)
        x = np.arange(1, len(rows) + 1)
        y = np.array([r[key] for r in rows], dtype=float) * scale
        low = np.array([r[f"{key}_low"] for r in rows], dtype=float) * scale
        high = np.array([r[f"{key}_high"] for r in rows], dtype=float) * scale
        ax.vlines(x, low, high, color=PALETTE[0], linewidth=1, alpha=0.6)
        ax.scatter(x, y, s=8, color=PALETTE[0], zorder=3)
        if typical is not None:
            ax.axhline(typical * scale, color=INK, linewidth=1, linestyle=(0, (4, 3)),
                       label="average case, average therapist")
            ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.set_xlabel("Therapists, ordered by their estimate (pseudonymous)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, len(rows) + 1)
    unit = "%" if percent else ""
    desc = (f"Caterpillar plot of {len(rows)} therapists' shrunken estimates with 95% "
            f"intervals, from {y.min():.1f}{unit} to {y.max():.1f}{unit}." if len(rows)
            else "No therapist to show.")
    return to_svg(fig, title, desc)
