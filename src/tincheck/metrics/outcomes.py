"""One row per referral with every flag the metrics count: the audit's working table.

:func:`referral_outcomes` joins the building blocks (contacts, scores, the anxiety
measure) to the referrals and derives the official outcome flags (finished a course,
paired, caseness, recovery, reliable change), the intention-to-treat flags and the
re-referral flags. Metrics are sums and means over this table, so each definition
reads as one line, and the table is computed once per audit.

References: NHS Digital (2021) *A guide to IAPT data and publications, updated for the
v2.0 dataset*, §6.1-6.8 (finished a course, caseness, recovery, reliable improvement
and deterioration); docs/metrics.md for the intention-to-treat and re-referral rules.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..instruments import DEPRESSION_MEASURE
from .blocks import (Tables, at_caseness, below_caseness, contact_summary, first_step,
                     in_period, modal_therapy, order_key, parameters_table,
                     reliable_change_threshold, score_summary)

PHQ = ibis.literal(DEPRESSION_MEASURE)
REREFERRAL_DAYS = 365
WAIT_6_WEEKS_DAYS = 42
WAIT_18_WEEKS_DAYS = 126


def _changes(first, last, instrument):
    """(reliably improved, reliably deteriorated) on one measure; False when unpaired."""
    threshold = reliable_change_threshold(instrument)
    paired = first.notnull() & last.notnull() & threshold.notnull()
    improved = paired & ((first - last) >= threshold)
    deteriorated = paired & ((last - first) >= threshold)
    return improved.fill_null(False), deteriorated.fill_null(False)


def referral_blocks(t: Tables) -> dict[str, ir.Table]:
    """The building blocks the working table joins, by name: the referrals with their
    client history, and the contacts, scores and modal therapy of each referral.

    Each is one grouping of one table. The audit materialises them one at a time
    before joining them (``tincheck.metrics.evaluate``): one statement computing all
    of them at once holds every grouping's hash table together, which at 1,000,000
    referrals took 0.9 GB more memory.
    """
    return {"history": with_client_history(t.referrals), "contacts": contact_summary(t),
            "scores": score_summary(t), "therapy": modal_therapy(t)}


def referral_outcomes(t: Tables, parameters: ir.Table | None = None,
                      blocks: dict[str, ir.Table] | None = None) -> ir.Table:
    """The per-referral working table (see the module docstring for its columns).

    ``parameters`` is the one-row table of period bounds and data end
    (:func:`~tincheck.metrics.blocks.parameters_table`); ``blocks`` the tables of
    :func:`referral_blocks` (default: computed from ``t`` in the same expression).
    """
    parameters = parameters if parameters is not None else parameters_table()
    blocks = blocks if blocks is not None else referral_blocks(t)
    r = blocks["history"].cross_join(parameters)
    contacts, scores, therapy = blocks["contacts"], blocks["scores"], blocks["therapy"]
    j = r.left_join(contacts, "referral_id").drop("referral_id_right")
    j = j.left_join(scores, "referral_id").drop("referral_id_right")
    j = j.left_join(therapy, "referral_id").drop("referral_id_right")
    zero = ibis.literal(0)
    j = j.mutate(
        attended_contacts=j.attended_contacts.fill_null(zero),
        treatment_contacts=j.treatment_contacts.fill_null(zero),
        low_treatment_contacts=j.low_treatment_contacts.fill_null(zero),
        high_treatment_contacts=j.high_treatment_contacts.fill_null(zero),
        self_help_contacts=j.self_help_contacts.fill_null(zero),
        telephone_contacts=j.telephone_contacts.fill_null(zero),
        ended=in_period(j.ended_date, j.period_start, j.period_end),
        received=in_period(j.received_date, j.period_start, j.period_end),
    )
    # Official outcomes (guide §6): finished = ended with >= 2 treatment contacts;
    # paired = >= 2 PHQ-9 and >= 2 scores on the anxiety measure.
    j = j.mutate(finished=j.ended & (j.treatment_contacts >= 2),
                 paired=(j.phq_n >= 2) & j.anx.notnull())
    phq_case = at_caseness(PHQ, j.phq_first)
    anx_case = at_caseness(j.anx, j.anx_first)
    phq_up, phq_down = _changes(j.phq_first, j.phq_last, PHQ)
    anx_up, anx_down = _changes(j.anx_first, j.anx_last, j.anx)
    improved = (phq_up | anx_up) & ~(phq_down | anx_down)
    deteriorated = (phq_down | anx_down) & ~(phq_up | anx_up)
    j = j.mutate(
        at_caseness=j.paired & (phq_case | anx_case),
        reliable_improvement=j.paired & improved,
        reliable_deterioration=j.paired & deteriorated,
    )
    j = j.mutate(
        not_at_caseness=j.paired & ~j.at_caseness,
        no_reliable_change=j.paired & ~j.reliable_improvement & ~j.reliable_deterioration,
        recovered=j.at_caseness & below_caseness(PHQ, j.phq_last)
        & below_caseness(j.anx, j.anx_last),
    )
    j = j.mutate(reliable_recovery=j.recovered & j.reliable_improvement)
    # Intention to treat (docs/metrics.md "itt"): a case when referred, whatever next.
    # Deterioration counts on any measure with >= 2 scores, finished or not.
    j = j.mutate(
        case=j.ended & (at_caseness(PHQ, j.phq_first) | at_caseness(j.itt_anx,
                                                                    j.itt_anx_first)),
        deteriorated_any=deteriorated,
        # LOCF: the last available score stands (a single score stays where it was)
        locf_recovered=below_caseness(PHQ, j.phq_last) & below_caseness(j.itt_anx,
                                                                          j.itt_anx_last),
        wait_days=j.first_treatment_date.delta(j.received_date, unit="day"),
        second_wait_days=j.second_treatment_date.delta(j.first_treatment_date, unit="day"),
        stepped_up=(j.first_low_key < j.last_high_key).fill_null(False),
        first_step=first_step(j),
    )
    return j.mutate(
        official_recovered=j.finished & j.recovered,
        official_reliable_recovery=j.finished & j.reliable_recovery,
        rereferral_eligible=j.ended & (
            j.data_end.delta(j.ended_date, unit="day") >= REREFERRAL_DAYS),
    )


def with_client_history(referrals: ir.Table) -> ir.Table:
    """The referrals with ``rereferred`` (the client had another referral received
    within 365 days on or after this one ended, docs/metrics.md "rereferral"),
    ``client_referrals`` (the client's referrals) and ``client_rank`` (0 for the
    client's first referral by received date and row, else 1).

    Added to the referrals before anything else is joined to them, while the rows are
    narrow.
    """
    r = referrals.mutate(key=order_key(referrals.received_date, referrals.source_row))
    other = referrals.select(o_client="client_id", o_referral="referral_id",
                             o_received="received_date")
    pairs = r.join(other, [r.client_id == other.o_client, r.referral_id != other.o_referral])
    gap = pairs.o_received.delta(pairs.ended_date, unit="day")
    hits = pairs.filter(gap >= 0, gap <= REREFERRAL_DAYS).select("referral_id").distinct()
    hits = hits.mutate(rereferred=ibis.literal(True))
    # per client: how many referrals, and which is the first (by received date, row)
    clients = r.group_by("client_id").aggregate(client_referrals=r.referral_id.count(),
                                                first_key=r.key.min())
    j = r.left_join(hits, "referral_id").drop("referral_id_right")
    j = j.left_join(clients, "client_id").drop("client_id_right")
    return j.mutate(rereferred=j.rereferred.fill_null(False),
                    client_rank=ibis.cases((j.key == j.first_key, 0), else_=1)).drop(
        "key", "first_key")
