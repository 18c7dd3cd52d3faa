"""Charts of the published-data audit, as inline accessible SVG (house style)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..published.evidence import PooledEffect
from ..published.providers import FunnelResult
from .charts import INK, MUTED, PALETTE, new_figure, style, to_svg


def national_chart(series: pd.DataFrame) -> str:
    """Published recovery rate and recovered per 100 referrals received, by year."""
    with style():
        fig, ax = new_figure(7.0, 3.4)
        years = series["reporting_period"].tolist()
        x = np.arange(len(years))
        ax.plot(x, series["recovery_published"], marker="o", color=PALETTE[0],
                label="Published recovery rate (% of finishers at caseness)")
        ax.plot(x, series["recovered_per_100_received"], marker="s", color=PALETTE[1],
                label="Recovered per 100 referrals received (same year)")
        if "recovered_per_100_ended" in series and series[
                "recovered_per_100_ended"].notna().any():
            ax.plot(x, series["recovered_per_100_ended"], marker="^", color=PALETTE[2],
                    label="Recovered per 100 referrals ended")
        ax.set_xticks(x, years)
        ax.set_ylim(0, 60)
        ax.set_ylabel("per cent")
        ax.legend(loc="center left", fontsize=8, frameon=False)
    last = series.iloc[-1]
    desc = (f"Line chart, {years[0]} to {years[-1]}. The published recovery rate stays "
            f"near 50% (last year {last['recovery_published']:.1f}%), while recovered "
            f"referrals per 100 received stay near "
            f"{last['recovered_per_100_received']:.0f}.")
    return to_svg(fig, "England: published recovery rate against recovered per 100 "
                  "referrals", desc)


def funnel_chart(result: FunnelResult) -> str:
    """Provider recovery rates against the recovery denominator with funnel limits."""
    frame, curve = result.providers, result.curve
    with style():
        fig, ax = new_figure(7.0, 4.6)
        n = curve["n"]
        ax.axhline(100 * result.target, color=INK, linewidth=1,
                   label=f"England {100 * result.target:.1f}%")
        for tag, dash, name in (("exact_95", (4, 2), "95% (exact binomial)"),
                                ("exact_998", (1, 0), "99.8% (exact binomial)")):
            ax.plot(n, 100 * curve[f"{tag}_low"], color=PALETTE[0], dashes=dash,
                    linewidth=1, label=name)
            ax.plot(n, 100 * curve[f"{tag}_high"], color=PALETTE[0], dashes=dash,
                    linewidth=1)
        for tag, dash, name in (("re_95", (4, 2), "95% adjusted for overdispersion"),
                                ("re_998", (1, 0), "99.8% adjusted for overdispersion")):
            ax.plot(n, 100 * curve[f"{tag}_low"], color=PALETTE[1], dashes=dash,
                    linewidth=1.2, label=name)
            ax.plot(n, 100 * curve[f"{tag}_high"], color=PALETTE[1], dashes=dash,
                    linewidth=1.2)
        outside = frame["outside_re_998"]
        ax.scatter(frame.loc[~outside, "denominator"],
                   100 * frame.loc[~outside, "rate"].clip(upper=1), s=14,
                   color=MUTED, alpha=0.8, label="Provider")
        ax.scatter(frame.loc[outside, "denominator"],
                   100 * frame.loc[outside, "rate"].clip(upper=1), s=22,
                   color=PALETTE[1], marker="D",
                   label="Outside adjusted 99.8% limits")
        ax.set_xscale("log")
        ax.set_xlabel("Finished a course, less not at caseness (recovery denominator, "
                      "log scale)")
        ax.set_ylabel("Recovery rate (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7, frameon=False, loc="lower right", ncol=2)
    desc = (f"Funnel plot of {result.compared} {result.org_type.lower()} recovery rates in "
            f"{result.year} around England's {100 * result.target:.1f}%. "
            f"{int(frame['outside_exact_998'].sum())} lie outside the exact 99.8% limits "
            f"and {int(outside.sum())} outside the 99.8% limits adjusted for "
            "overdispersion.")
    return to_svg(fig, f"Funnel plot: {result.org_type} recovery rates, {result.year}", desc)


def forest_chart(pooled: PooledEffect, largest: int = 30) -> str:
    """The ``largest`` providers by n, their d with 95% CI, and the pooled summary."""
    studies = pooled.studies.sort_values("n", ascending=False).head(largest)
    studies = studies.sort_values("d")
    rows = len(studies)
    with style():
        fig, ax = new_figure(7.0, 0.22 * (rows + 4) + 0.8)
        y = np.arange(rows) + 3
        half = 1.959964 * np.sqrt(studies["variance"].to_numpy(float))
        d = studies["d"].to_numpy(float)
        ax.errorbar(d, y, xerr=half, fmt="s", color=PALETTE[0], markersize=3,
                    elinewidth=0.8, capsize=0)
        labels = [f"{name[:38]} (n={n:,.0f})" for name, n in
                  zip(studies["org_name"], studies["n"])]
        ax.fill([pooled.ci_low, pooled.estimate, pooled.ci_high, pooled.estimate],
                [1, 1.35, 1, 0.65], color=PALETTE[1])
        ax.plot([pooled.pi_low, pooled.pi_high], [1, 1], color=PALETTE[1], linewidth=1)
        ax.axvline(pooled.benchmark, color=PALETTE[2], dashes=(4, 2), linewidth=1,
                   label=f"Wakefield et al. 2021: {pooled.benchmark:.2f}")
        ax.axvline(pooled.estimate, color=PALETTE[1], linewidth=0.6, alpha=0.6)
        ax.set_yticks(list(y) + [1], labels + [f"Pooled, {pooled.k} providers (95% CI; "
                                                "line: prediction interval)"],
                      fontsize=7)
        ax.set_ylim(0, rows + 3.5)
        ax.set_xlabel(f"Pre-post d, {pooled.label}")
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    desc = (f"Forest plot: {pooled.therapy}, {pooled.label}. Pooled d {pooled.estimate:.2f} "
            f"(95% CI {pooled.ci_low:.2f} to {pooled.ci_high:.2f}; prediction interval "
            f"{pooled.pi_low:.2f} to {pooled.pi_high:.2f}) against Wakefield et al. "
            f"{pooled.benchmark:.2f}.")
    return to_svg(fig, f"Forest plot: {pooled.therapy}, {pooled.label}", desc)


def summary_chart(pooled: list[PooledEffect]) -> str:
    """Every pooled d with its CI and prediction interval beside the benchmarks."""
    with style():
        fig, ax = new_figure(7.0, 0.45 * len(pooled) + 1.2)
        for i, item in enumerate(pooled):
            colour = PALETTE[0] if item.measure == "phq" else PALETTE[4]
            ax.plot([item.pi_low, item.pi_high], [i, i], color=colour, linewidth=1)
            ax.plot([item.ci_low, item.ci_high], [i, i], color=colour, linewidth=4)
            ax.plot([item.benchmark], [i], marker="|", markersize=14, color=PALETTE[2])
        ax.set_yticks(range(len(pooled)),
                      [f"{p.therapy} – {p.label}" for p in pooled], fontsize=8)
        ax.set_xlabel("Pre-post d (thick: 95% CI; thin: prediction interval; green "
                      "tick: Wakefield et al. 2021)")
        ax.invert_yaxis()
    desc = "; ".join(f"{p.therapy} {p.label}: {p.estimate:.2f} ({p.ci_low:.2f} to "
                     f"{p.ci_high:.2f})" for p in pooled)
    return to_svg(fig, "Pooled pre-post effect sizes across providers", desc)


def delivery_chart(summary: pd.DataFrame) -> str:
    """Shares of therapy courses that were guided self-help / low intensity, by year."""
    with style():
        fig, ax = new_figure(7.0, 3.2)
        years = summary["reporting_period"].tolist()
        x = np.arange(len(years))
        for column, label, colour in (
                ("low_intensity_share", "Low intensity (all)", PALETTE[0]),
                ("self_help_any_share", "Self-help, guided or not", PALETTE[4]),
                ("guided_self_help_share", "Guided self-help", PALETTE[1])):
            ax.plot(x, 100 * summary[column], marker="o", color=colour, label=label)
        ax.set_xticks(x, years)
        ax.set_ylim(0, 100)
        ax.set_ylabel("% of therapy courses (England)")
        ax.legend(fontsize=8, frameon=False)
    last = summary.iloc[-1]
    desc = (f"Line chart by year; in {last['reporting_period']} "
            f"{100 * last['low_intensity_share']:.0f}% of therapy courses were low "
            f"intensity and {100 * last['guided_self_help_share']:.0f}% guided self-help.")
    return to_svg(fig, "What is delivered: low-intensity and self-help share", desc)
