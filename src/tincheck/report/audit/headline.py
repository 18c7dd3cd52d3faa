"""The headline figures: which metrics lead the audit, and what each is called where.

One declaration, read by the report's first section (its cards and its chart) and by
the terminal summary that ``tincheck audit`` prints. A label left empty is the
metric's own label in the registry; a figure with nothing in ``over`` is not on the
page (the terminal shows every one).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...metrics import REGISTRY


@dataclass(frozen=True)
class Headline:
    """One headline figure and its labels."""

    metric_id: str
    terminal: str = ""   # its line in the terminal summary ("" = the registry's label)
    card: str = ""       # its card on the page ("" = the registry's label)
    chart: str = ""      # its row in the headline chart
    over: str = ""       # what the card's figure is taken over ("" = not on the page)

    @property
    def official(self) -> bool:
        """What it says on the tin (the official figure), or what is in the tin."""
        return self.metric_id.startswith("official.")

    @property
    def needs_interviews(self) -> bool:
        """Whether the figure rests on independent diagnostic interviews."""
        return self.metric_id.startswith("diagnostic.")

    @property
    def on_page(self) -> bool:
        return bool(self.over)

    @property
    def terminal_label(self) -> str:
        return self.terminal or REGISTRY[self.metric_id].label

    @property
    def card_label(self) -> str:
        return self.card or REGISTRY[self.metric_id].label


INTERVIEW = "independent blind interview; everyone diagnosed at baseline"

HEADLINE = (
    Headline("official.recovery_rate", terminal="What it says on the tin: official recovery",
             card="Official recovery rate", chart="Official recovery (finished, at caseness)",
             over="finished a course (2+ treatment sessions) and at caseness"),
    Headline("itt.recovery_among_cases", chart="Recovery, everyone referred as a case",
             over="whatever happened to them; unknown outcomes count as not recovered"),
    Headline("itt.recovered_per_ended_referral", card="Recovered, per referral that ended",
             chart="Recovered, per ended referral",
             over="every referral that ended, case or not"),
    Headline("funnel.finished_course", terminal="Ended referrals that finished a course"),
    Headline("diagnostic.lost_index_end_itt",
             terminal="Lost their diagnoses at end (independent interview)",
             card="Lost their diagnoses at the end", chart="Lost diagnoses at end (interview)",
             over=INTERVIEW),
    Headline("diagnostic.lost_index_follow_up_itt", terminal="Lost their diagnoses at follow-up",
             card="Lost their diagnoses at follow-up",
             chart="Lost diagnoses at follow-up (interview)", over=INTERVIEW),
)
