"""The audit report's table of outcomes by the treatment offered (section 8): the
figures the client leaflets show (``tincheck leaflet``), for every treatment."""

from __future__ import annotations

from ...metrics.offered import ALL, ANY, NONE_BOOKED, NOT_RECORDED, OUTCOMES
from ..format import DASH, count_html, pct, pct_interval
from ..page import esc, html_table
from .document import Doc

NAMES = {ANY: "every referral", NONE_BOOKED: "no treatment booked",
         NOT_RECORDED: "type not recorded"}
RATES = (("never_started", "Never started"), ("finished", "Finished a course"),
         ("recovered", "Recovered, of all offered"), ("lost_diagnosis",
                                                      "Lost diagnosis (interviewed)"),
         ("usual_self", "Back to usual self (rated)"))


def _rate(row: dict, stem: str, withheld: set[str]) -> str:
    rate = row.get(f"{stem}_rate")
    if rate is None:
        # not computed for absent data (report.json not_computed): not a small count
        return "*" if row.get("suppressed") and f"{stem}_rate" not in withheld else DASH
    return f"{pct(rate)} ({pct_interval(row.get(f'{stem}_ci_low'), row.get(f'{stem}_ci_high'))})"


def offered_table(doc: Doc, name) -> str:
    """Outcomes by the treatment offered, every problem: one row per treatment (and
    every referral), most often offered first. ``name`` names a therapy code."""
    rows = [r for r in doc.table(OUTCOMES) if r.get("problem") == ALL]
    if not rows:
        return ""
    rows.sort(key=lambda r: (r["therapy"] != ANY, -(r.get("referred") or 0), r["therapy"]))
    withheld = {c for entry in doc.doc.get("not_computed") or ()
                for c in (entry.get("columns") or {}).get(OUTCOMES, ())}
    body = [[esc(NAMES.get(r["therapy"]) or name(r["therapy"])),
             count_html(r.get("referred")),
             *(esc(_rate(r, stem, withheld)) for stem, _ in RATES)] for r in rows]
    return html_table(body, ["Treatment offered", "Referrals", *(h for _, h in RATES)],
                      caption="Outcomes by the treatment offered (first booked; every "
                              "referral ended, started or not; % with 95% CI)",
                      numeric=set(range(1, 2 + len(RATES))))
