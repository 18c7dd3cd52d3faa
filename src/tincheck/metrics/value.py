"""value: cost per outcome (when a costs table is given).

cost ÷ (E × p), where p is the share of ended referrals with the outcome; the
interval is p's Wilson interval carried through (cost ÷ (E × p_high), cost ÷ (E ×
p_low)). Costs are the costs table's spend over the audit period, pro rata by days
where a cost period straddles the audit period's bounds.
"""

from __future__ import annotations

from .registry import Result, ratio
from .citations import TINCHECK


def _per(id: str, over: str | None = None):
    """Derive cost ÷ (E × rate) from the result ``over`` (a share of ended referrals)."""
    def derive(results: dict, context) -> Result:
        cost = context.cost_gbp
        ended = results["funnel.referrals_ended"].value
        if cost is None:
            return Result(id, "ratio", None, note="no costs table")
        if over is None:
            value = cost / ended if ended else None
            return Result(id, "ratio", value, n=ended, extra={"cost_gbp": cost})
        share = results.get(over)
        extra = {"cost_gbp": cost, "over": over}  # disclosure control recomputes from them
        if share is None or share.value in (None, 0) or not ended:
            return Result(id, "ratio", None, note=f"no {over}", extra=extra)
        value = cost / (ended * share.value)
        high = cost / (ended * share.ci_low) if share.ci_low else None
        low = cost / (ended * share.ci_high) if share.ci_high else None
        return Result(id, "ratio", value, n=share.numerator, ci_low=low, ci_high=high,
                      extra=extra)
    return derive


ratio("value.cost_per_referral", "Cost per ended referral", _per("value.cost_per_referral"),
      "Spend in the period ÷ referrals ended (E).", TINCHECK, unit="GBP")
ratio("value.cost_per_finished_course", "Cost per finished course",
      _per("value.cost_per_finished_course", "funnel.finished_course"),
      "Spend ÷ courses finished (E × finished share).", TINCHECK, unit="GBP")
ratio("value.cost_per_recovery", "Cost per official recovery",
      _per("value.cost_per_recovery", "itt.recovered_per_ended_referral"),
      "Spend ÷ officially recovered referrals.", TINCHECK, unit="GBP")
ratio("value.cost_per_reliable_recovery", "Cost per official reliable recovery",
      _per("value.cost_per_reliable_recovery", "itt.reliable_recovery_per_ended_referral"),
      "Spend ÷ officially reliably recovered referrals.", TINCHECK, unit="GBP")
ratio("value.cost_per_lost_diagnosis", "Cost per loss of diagnosis (independent interview)",
      _per("value.cost_per_lost_diagnosis", "diagnostic.lost_index_end_itt"),
      "Spend ÷ (E × diagnostic.lost_index_end_itt): the cost of one person who no longer "
      "meets criteria for the disorders they came with, at the rate the interviewed sample "
      "shows.", TINCHECK)
