"""Building blocks shared by the metrics: contacts, scores, the anxiety measure, caseness.

Each block is a function of canonical tables (backend-free Ibis tables) that returns
an Ibis expression; metrics compose them, so a definition is written once. The rules
are those of ``docs/metrics.md`` ("Period and building blocks") and the NHS guide.

References: NHS Digital (2021) *A guide to IAPT data and publications, updated for the
v2.0 dataset*, §6.1-6.8 and §7.7.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from .. import codes
from ..errors import SettingError
from ..instruments import (ADSM, DEPRESSION_MEASURE, FALLBACK_ANXIETY_MEASURE, INSTRUMENTS,
                           PROBLEM_GROUPS)
from ..schema import SOURCE_ROW, ibis_tables


@dataclass(frozen=True)
class Period:
    """Inclusive dates; None means unbounded on that side."""

    start: _dt.date | None = None
    end: _dt.date | None = None

    def __post_init__(self):
        if self.start is not None and self.end is not None and self.end < self.start:
            raise SettingError("period", f"{self.start.isoformat()}:{self.end.isoformat()}",
                               "the end is before the start (START:END, both inclusive)")

    @classmethod
    def parse(cls, text: str | None) -> Period:
        """``"2023-04-01:2024-03-31"`` (either side may be empty) → Period.

        Raises :class:`~tincheck.errors.SettingError` for text that is not START:END
        with ISO dates, and for an end before the start.
        """
        if not text:
            return cls()
        start, sep, end = text.partition(":")
        if not sep:
            raise SettingError("period", text, "expected START:END, e.g. "
                               "2023-04-01:2024-03-31")
        try:
            start_date = _dt.date.fromisoformat(start.strip()) if start.strip() else None
            end_date = _dt.date.fromisoformat(end.strip()) if end.strip() else None
        except ValueError:
            raise SettingError("period", text, "dates must be YYYY-MM-DD") from None
        return cls(start_date, end_date)

    def as_dict(self) -> dict:
        return {"start": self.start and self.start.isoformat(),
                "end": self.end and self.end.isoformat()}


PARAMETERS = ibis.schema({"period_start": "date", "period_end": "date", "data_end": "date",
                          "any_assessor": "boolean", "usual_self_threshold": "float64"})
USUAL_SELF_THRESHOLD = 90.0


def parameters_table() -> ir.Table:
    """The one-row table of audit parameters (period bounds, data end).

    Parameters enter expressions as data, not literals, so the expressions are
    constant and their SQL is compiled once (see :func:`tincheck.engine.compiled_sql`).
    """
    return ibis.table(PARAMETERS, name="tincheck_parameters")


def parameters_sql(period: Period, data_end: _dt.date, *, any_assessor: bool = False,
                   usual_self_threshold: float = USUAL_SELF_THRESHOLD) -> str:
    """Portable SQL selecting the one parameters row.

    ``any_assessor`` widens interview eligibility from independent-and-blind assessors
    to all; ``usual_self_threshold`` is the percentage counted as back to usual self.
    """
    def date(value):
        return f"DATE '{value.isoformat()}'" if value else "CAST(NULL AS DATE)"
    return (f"SELECT {date(period.start)} AS period_start, {date(period.end)} AS period_end, "
            f"{date(data_end)} AS data_end, {'TRUE' if any_assessor else 'FALSE'} AS "
            f"any_assessor, CAST({float(usual_self_threshold)!r} AS DOUBLE) AS "
            f"usual_self_threshold")


def in_period(date: ir.DateValue, start: ir.DateValue, end: ir.DateValue) -> ir.BooleanValue:
    """Whether ``date`` is present and within [start, end] (a missing bound is open)."""
    return date.notnull() & (start.isnull() | (date >= start)) & (end.isnull() | (date <= end))


@dataclass(frozen=True)
class Tables:
    """The canonical tables metrics are built on (unbound Ibis tables by default)."""

    referrals: ir.Table = field(default_factory=lambda: ibis_tables()["referrals"])
    appointments: ir.Table = field(default_factory=lambda: ibis_tables()["appointments"])
    measures: ir.Table = field(default_factory=lambda: ibis_tables()["measures"])
    interviews: ir.Table = field(default_factory=lambda: ibis_tables()["interviews"])
    therapists: ir.Table = field(default_factory=lambda: ibis_tables()["therapists"])
    costs: ir.Table = field(default_factory=lambda: ibis_tables()["costs"])


# ---------------------------------------------------------------- instruments

def _by_instrument(instrument: ir.StringValue, value_of, default=None):
    """A CASE over instruments: ``value_of(Instrument)`` for each, ``default`` otherwise."""
    branches = [(instrument == i.code, value_of(i)) for i in INSTRUMENTS.values()
                if value_of(i) is not None]
    return ibis.cases(*branches, else_=default)


def at_caseness(instrument: ir.StringValue, score: ir.NumericValue) -> ir.BooleanValue:
    """Whether ``score`` on ``instrument`` is at caseness (≥ cut-off; MI > 2.3).

    False when the instrument has no cut-off or the score is missing.
    """
    branches = []
    for i in INSTRUMENTS.values():
        if i.caseness_cutoff is None:
            continue
        test = score > i.caseness_cutoff if i.caseness_op == ">" else score >= i.caseness_cutoff
        branches.append((instrument == i.code, test))
    return ibis.cases(*branches, else_=False).fill_null(False)


def below_caseness(instrument: ir.StringValue, score: ir.NumericValue) -> ir.BooleanValue:
    """Whether ``score`` is below caseness (the complement of at caseness; False if missing)."""
    return score.notnull() & instrument.notnull() & ~at_caseness(instrument, score)


def caseness_cutoff(instrument: ir.StringValue) -> ir.FloatingValue:
    """The caseness cut-off of ``instrument`` as a float (null for one without a cut-off):
    scores are divided by it to put PHQ-9 and every anxiety measure on one scale."""
    branches = [(instrument == i.code, i.caseness_cutoff) for i in INSTRUMENTS.values()
                if i.caseness_cutoff is not None]
    return ibis.cases(*branches, else_=ibis.null("float64")).cast("float64")


def problem_group(descriptor: ir.StringValue) -> ir.StringValue:
    """The problem group of a problem descriptor (instruments.PROBLEM_GROUPS, by code
    prefix): "other" for a descriptor in no group, "none" when there is none."""
    branches = [(ibis.or_(*[descriptor.startswith(p) for p in prefixes]), group)
                for group, prefixes in PROBLEM_GROUPS.items()]
    return ibis.cases(*branches, else_="other").fill_null("none")


def reliable_change_threshold(instrument: ir.StringValue) -> ir.FloatingValue:
    """The instrument's reliable-change threshold (NULL if it has none)."""
    return _by_instrument(instrument, lambda i: i.reliable_change).cast("float64")


def adsm(problem_descriptor: ir.StringValue) -> ir.StringValue:
    """The anxiety-disorder-specific measure of a problem descriptor (GAD-7 if none)."""
    branches = [(problem_descriptor.startswith(prefix), ibis.literal(code))
                for prefix, code in ADSM.items()]
    return ibis.cases(*branches, else_=ibis.literal(FALLBACK_ANXIETY_MEASURE))


# ---------------------------------------------------------------- order

ORDER_ORIGIN = _dt.date(1900, 1, 1)
ROWS_PER_DAY = 10_000_000_000  # source_row < 10^10: the key is unique and ordered


def order_key(date: ir.DateValue, source_row: ir.IntegerValue) -> ir.IntegerValue:
    """One integer ordering records by (date, source_row): days × 10¹⁰ + source_row.

    "First" and "last" rules become ``argmin``/``argmax`` over this key (DuckDB
    ``arg_min_null``, see :func:`tincheck.engine.to_sql`; Spark ``min_by``): an
    aggregate instead of a sorted window.
    """
    days = date.delta(ibis.literal(ORDER_ORIGIN), unit="day").cast("int64")
    return days * ROWS_PER_DAY + source_row


# ---------------------------------------------------------------- contacts

def contacts_in_referral(t: Tables) -> ir.Table:
    """Appointments dated from received_date to ended_date (inclusive) of their referral.

    Adds ``attended`` (attended or late_seen, any kind except follow_up) and
    ``treatment`` (attended, of a treatment kind, not employment support), the
    contact's effective ``step`` (its intensity, else its therapy type's group), and
    ``key``: its order by (date, source_row) (:func:`order_key`).
    """
    a, r = t.appointments, t.referrals.select("referral_id", "received_date", "ended_date")
    j = a.join(r, "referral_id")
    j = j.filter(j.date >= j.received_date, j.ended_date.isnull() | (j.date <= j.ended_date))
    attended = j.attendance.isin(codes.ATTENDED) & (j.kind != "follow_up")
    treatment = attended & j.kind.isin(codes.TREATMENT_KINDS) & (
        j.therapy_type.isnull() | (j.therapy_type != "employment_support"))
    group = ibis.cases(*[(j.therapy_type.isin(codes.in_group("therapy_type", g)), g)
                         for g in ("low", "high")], else_=ibis.null("string"))
    return j.mutate(attended=attended, treatment=treatment,
                    step=j.intensity.fill_null(group),
                    self_help=j.therapy_type.isin(codes.SELF_HELP_THERAPIES).fill_null(False),
                    key=order_key(j.date, j[SOURCE_ROW]))


def _summarised_contacts(t: Tables) -> ir.Table:
    """The columns of :func:`contacts_in_referral` the per-referral summaries read: one
    expression for :func:`contact_summary` and :func:`modal_therapy`, so the engine
    builds it once, and narrow (the appointments' other columns are not carried)."""
    return contacts_in_referral(t).select("referral_id", "date", "kind", "medium",
                                          "therapy_type", "attended", "treatment", "step",
                                          "self_help", "key")


def contact_summary(t: Tables) -> ir.Table:
    """One row per referral with contacts: counts, first/second treatment dates, mix.

    ``first_low_key``/``last_high_key`` order its first low-intensity and last
    high-intensity treatment contacts (stepped up when the first comes before the
    last); ``first_low_date``/``first_high_date`` are the dates of its first low- and
    first high-intensity treatment contacts; ``first_offered_medium`` is the medium
    of the first appointment offered (any attendance, any kind but follow-up, by
    (date, row); ``not_recorded`` when that appointment has none).
    """
    c = _summarised_contacts(t)
    tr = c.treatment
    low, high = tr & (c.step == "low"), tr & (c.step == "high")
    summary = c.group_by("referral_id").aggregate(
        attended_contacts=c.attended.cast("int64").sum(),
        treatment_contacts=tr.cast("int64").sum(),
        first_treatment_date=c.date.min(where=tr),
        first_treatment_key=c.key.min(where=tr),
        low_treatment_contacts=low.cast("int64").sum(),
        high_treatment_contacts=high.cast("int64").sum(),
        self_help_contacts=(tr & c.self_help).cast("int64").sum(),
        telephone_contacts=(tr & (c.medium == "telephone")).cast("int64").sum(),
        first_low_key=c.key.min(where=low),
        first_high_key=c.key.min(where=high),
        last_high_key=c.key.max(where=high),
        # the key orders by date first: the date of the first such contact
        first_low_date=c.date.min(where=low),
        first_high_date=c.date.min(where=high),
        # the medium filled first: an aggregate's arg at the first key must not skip
        # NULLs differently on each engine
        first_offered_medium=c.medium.fill_null("not_recorded").argmin(
            c.key, where=c.kind != "follow_up"),
    )
    # the second treatment contact: the earliest after the first, by key
    firsts = summary.select("referral_id", "first_treatment_key")
    later = c.filter(tr).join(firsts, "referral_id")
    later = later.filter(later.key > later.first_treatment_key)
    second = later.group_by("referral_id").aggregate(second_treatment_date=later.date.min())
    return summary.left_join(second, "referral_id").drop("referral_id_right")


def first_step(summary: ir.Table) -> ir.StringValue:
    """The step (``low``/``high``) of a referral's first treatment contact.

    ``summary`` has :func:`contact_summary`'s columns; NULL when the referral has no
    treatment contact, or its first one has no recorded step.
    """
    s = summary
    return ibis.cases((s.first_low_key == s.first_treatment_key, "low"),
                      (s.first_high_key == s.first_treatment_key, "high"),
                      else_=ibis.null("string"))


def modal_therapy(t: Tables) -> ir.Table:
    """Each referral's most frequent therapy type over its treatment contacts
    (``therapy``), and over its low- and its high-intensity ones (``li_therapy``,
    ``hi_therapy``; NULL without such contacts).

    Ties go to the type delivered last (by date, source_row); contacts without a
    therapy type count as ``not_recorded``. One grouping by referral, step and
    therapy serves all three (its counts add up to those of referral and therapy).
    """
    c = _summarised_contacts(t)
    c = c.filter(c.treatment).mutate(therapy=c.therapy_type.fill_null("not_recorded"))
    per_step = c.group_by(["referral_id", "step", "therapy"]).aggregate(
        contacts=c.key.count(), last_key=c.key.max())

    def most(per, name):
        # the most contacts, then the last delivered: among the therapies with the most
        # contacts, the one with the last contact (unique: no two therapies share a
        # last contact). In two plain groupings, not one arg_max over a (contacts,
        # last_key) struct: DuckDB cannot spill struct-ordered arg_max states to disk,
        # so that one fails under --memory-limit 1GB at 1,000,000 referrals
        top = per.group_by("referral_id").aggregate(top=per.contacts.max())
        best = per.join(top, [per.referral_id == top.referral_id,
                              per.contacts == top.top]).select(per.columns)
        return best.group_by("referral_id").aggregate(
            **{name: best.therapy.argmax(best.last_key)})

    per = per_step.group_by(["referral_id", "therapy"]).aggregate(
        contacts=per_step.contacts.sum(), last_key=per_step.last_key.max())
    overall = most(per, "therapy")
    low = most(per_step.filter(per_step.step == "low"), "li_therapy")
    high = most(per_step.filter(per_step.step == "high"), "hi_therapy")
    j = overall.left_join(low, "referral_id").drop("referral_id_right")
    return j.left_join(high, "referral_id").drop("referral_id_right")


# ---------------------------------------------------------------- scores

def scores_in_referral(t: Tables) -> ir.Table:
    """Measures dated from received_date to ended_date (inclusive) of their referral.

    Scores at unattended appointments count (v2.0 rule); scores after the referral
    ended are ignored.
    """
    m, r = t.measures, t.referrals.select("referral_id", "received_date", "ended_date")
    j = m.join(r, "referral_id")
    j = j.filter(j.date >= j.received_date, j.ended_date.isnull() | (j.date <= j.ended_date))
    return j.select("referral_id", "instrument", "date", "score", SOURCE_ROW)


def first_and_last(t: Tables) -> ir.Table:
    """Per referral × instrument: number of scores, first and last by (date, source_row)."""
    s = scores_in_referral(t)
    key = order_key(s.date, s[SOURCE_ROW])
    return s.group_by(["referral_id", "instrument"]).aggregate(
        n=s.score.count(), first=s.score.argmin(key), last=s.score.argmax(key))


def _measure_columns(fl: ir.Table, instrument: str, prefix: str) -> ir.Table:
    one = fl.filter(fl.instrument == instrument)
    return one.select("referral_id", **{f"{prefix}_n": one.n, f"{prefix}_first": one.first,
                                        f"{prefix}_last": one.last})


def score_summary(t: Tables) -> ir.Table:
    """One row per referral: PHQ-9, GAD-7, WSAS and ADSM score counts, first and last.

    Also the anxiety measure chosen by the ADSM rule (instruments.md, guide §7.7):
    ``anx`` = the descriptor's ADSM if it has ≥ 2 scores, else GAD-7 if ≥ 2 scores,
    else none; and for intention-to-treat caseness ``itt_anx`` = the ADSM if it has
    any score, else GAD-7.
    """
    fl = first_and_last(t)
    r = t.referrals
    base = r.select("referral_id", adsm=adsm(r.problem_descriptor))
    phq = _measure_columns(fl, DEPRESSION_MEASURE, "phq")
    gad = _measure_columns(fl, FALLBACK_ANXIETY_MEASURE, "gad")
    wsas = _measure_columns(fl, "WSAS", "wsas")
    # only the instruments a descriptor's ADSM can be: a smaller side to join
    x = fl.filter(fl.instrument.isin(sorted({*ADSM.values(), FALLBACK_ANXIETY_MEASURE})))
    x = x.select("referral_id", "instrument", adsm_n="n", adsm_first="first",
                 adsm_last="last")
    j = base.left_join(phq, "referral_id").drop("referral_id_right")
    j = j.left_join(gad, "referral_id").drop("referral_id_right")
    j = j.left_join(wsas, "referral_id").drop("referral_id_right")
    j = j.left_join(x, [j.referral_id == x.referral_id, j.adsm == x.instrument]).drop(
        "referral_id_right", "instrument")
    zero = ibis.literal(0)
    j = j.mutate(phq_n=j.phq_n.fill_null(zero), gad_n=j.gad_n.fill_null(zero),
                 wsas_n=j.wsas_n.fill_null(zero), adsm_n=j.adsm_n.fill_null(zero))
    use_adsm = (j.adsm != FALLBACK_ANXIETY_MEASURE) & (j.adsm_n >= 2)
    use_gad = ~use_adsm & (j.gad_n >= 2)
    j = j.mutate(
        anx=ibis.cases((use_adsm, j.adsm), (use_gad, ibis.literal(FALLBACK_ANXIETY_MEASURE)),
                       else_=ibis.null("string")),
        anx_n=ibis.cases((use_adsm, j.adsm_n), (use_gad, j.gad_n), else_=zero),
        anx_first=ibis.cases((use_adsm, j.adsm_first), (use_gad, j.gad_first),
                             else_=ibis.null("float64")),
        anx_last=ibis.cases((use_adsm, j.adsm_last), (use_gad, j.gad_last),
                            else_=ibis.null("float64")),
    )
    itt_adsm = (j.adsm != FALLBACK_ANXIETY_MEASURE) & (j.adsm_n >= 1)
    return j.mutate(
        itt_anx=ibis.cases((itt_adsm, j.adsm), else_=ibis.literal(FALLBACK_ANXIETY_MEASURE)),
        itt_anx_n=ibis.cases((itt_adsm, j.adsm_n), else_=j.gad_n),
        itt_anx_first=ibis.cases((itt_adsm, j.adsm_first), else_=j.gad_first),
        itt_anx_last=ibis.cases((itt_adsm, j.adsm_last), else_=j.gad_last),
    )
