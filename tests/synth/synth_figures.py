"""Headline figures of a data folder by direct DuckDB SQL, for the generator's tests.

The metrics engine is being written separately; until it lands, the calibration test
computes the figures here, one query per family, following ``../shared/spec/metrics.md``
(funnel, official measures with the ADSM rule, delivery) and the diagnostic metrics.
Thresholds come from :mod:`tincheck.instruments` and codes from :mod:`tincheck.codes`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tincheck import codes
from tincheck.instruments import (
    ADSM,
    DEPRESSION_MEASURE,
    FALLBACK_ANXIETY_MEASURE,
    INSTRUMENTS,
    PROBLEM_GROUPS,
)


def _list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _case(expression: str, mapping: dict[str, str], default: str = "NULL") -> str:
    whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in mapping.items())
    return f"CASE {expression} {whens} ELSE {default} END"


def _at_caseness(instrument: str, score: str) -> str:
    rules = {i.code: f"{score} {i.caseness_op} {i.caseness_cutoff}"
             for i in INSTRUMENTS.values() if i.caseness_cutoff is not None}
    return _case(instrument, rules, "FALSE")


def _reliable(instrument: str) -> str:
    return _case(instrument, {i.code: str(i.reliable_change) for i in INSTRUMENTS.values()
                              if i.reliable_change is not None})


def _adsm(descriptor: str) -> str:
    whens = " ".join(f"WHEN {descriptor} LIKE '{prefix}%' THEN '{instrument}'"
                     for prefix, instrument in ADSM.items())
    return f"CASE {whens} ELSE '{FALLBACK_ANXIETY_MEASURE}' END"


def _group(descriptor: str) -> str:
    whens = " ".join(f"WHEN {descriptor} LIKE '{p}%' THEN '{group}'"
                     for group, prefixes in PROBLEM_GROUPS.items() for p in prefixes)
    return f"CASE WHEN {descriptor} IS NULL THEN 'not_stated' {whens} ELSE 'other' END"


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    """Views over the folder's Parquet files (``seq``: the measure's row in its file)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for name in ("referrals", "appointments", "interviews"):
        path = folder / f"{name}.parquet"
        if path.exists():
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    con.execute(f"CREATE VIEW measures AS SELECT *, file_row_number AS seq FROM "
                f"read_parquet('{folder / 'measures.parquet'}', file_row_number = true)")
    return con


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Per-referral building blocks as tables: ``ref`` (one row per ended referral)."""
    attended = _list(codes.ATTENDED)
    treatment = _list(codes.TREATMENT_KINDS)
    anx = "a"
    con.execute(f"""
    CREATE OR REPLACE TABLE att AS
      SELECT a.*, r.received_date, r.ended_date FROM appointments a
      JOIN referrals r USING (referral_id)
      WHERE r.ended_date IS NOT NULL AND a.attendance IN ({attended})
        AND a.kind <> 'follow_up' AND a.date BETWEEN r.received_date AND r.ended_date;
    CREATE OR REPLACE TABLE tx AS
      SELECT * FROM att WHERE kind IN ({treatment})
        AND coalesce(therapy_type, '') <> 'employment_support';
    CREATE OR REPLACE TABLE scored AS
      WITH s AS (
        SELECT m.referral_id, m.instrument, m.score, m.date, m.seq FROM measures m
        JOIN referrals r USING (referral_id)
        WHERE r.ended_date IS NOT NULL AND m.date BETWEEN r.received_date AND r.ended_date),
      o AS (
        SELECT *, row_number() OVER (PARTITION BY referral_id, instrument
                                     ORDER BY date, seq) AS first_rank,
                  row_number() OVER (PARTITION BY referral_id, instrument
                                     ORDER BY date DESC, seq DESC) AS last_rank,
                  count(*) OVER (PARTITION BY referral_id, instrument) AS n
        FROM s)
      SELECT referral_id, instrument, max(n) AS n,
             max(CASE WHEN first_rank = 1 THEN score END) AS first,
             max(CASE WHEN last_rank = 1 THEN score END) AS last
      FROM o GROUP BY ALL;
    CREATE OR REPLACE TABLE ref AS
      WITH base AS (
        SELECT r.referral_id, r.received_date, r.problem_descriptor,
               {_adsm('r.problem_descriptor')} AS adsm,
               (SELECT count(*) FROM att WHERE att.referral_id = r.referral_id) AS n_att,
               coalesce(t.n_tx, 0) AS n_tx, t.first_tx, t.low_only
        FROM referrals r
        LEFT JOIN (SELECT referral_id, count(*) AS n_tx, min(date) AS first_tx,
                          bool_and(intensity = 'low') AS low_only
                   FROM tx GROUP BY ALL) t USING (referral_id)
        WHERE r.ended_date IS NOT NULL),
      chosen AS (
        SELECT b.*, p.n AS phq_n, p.first AS phq_first, p.last AS phq_last,
               CASE WHEN ad.n >= 2 THEN b.adsm
                    WHEN g.n >= 2 THEN '{FALLBACK_ANXIETY_MEASURE}' END AS anx
        FROM base b
        LEFT JOIN scored p ON p.referral_id = b.referral_id
                          AND p.instrument = '{DEPRESSION_MEASURE}'
        LEFT JOIN scored ad ON ad.referral_id = b.referral_id AND ad.instrument = b.adsm
        LEFT JOIN scored g ON g.referral_id = b.referral_id
                          AND g.instrument = '{FALLBACK_ANXIETY_MEASURE}')
      SELECT c.*, {anx}.first AS anx_first, {anx}.last AS anx_last,
             coalesce(c.phq_n, 0) >= 2 AND c.anx IS NOT NULL AS paired,
             {_at_caseness(f"'{DEPRESSION_MEASURE}'", 'c.phq_first')} AS phq_case,
             {_at_caseness('c.anx', f'{anx}.first')} AS anx_case,
             NOT {_at_caseness(f"'{DEPRESSION_MEASURE}'", 'c.phq_last')} AS phq_below,
             NOT {_at_caseness('c.anx', f'{anx}.last')} AS anx_below,
             c.phq_first - c.phq_last AS phq_fall, {anx}.first - {anx}.last AS anx_fall,
             {_reliable('c.anx')} AS anx_rc,
             {_group('c.problem_descriptor')} AS problem_group
      FROM chosen c LEFT JOIN scored {anx}
        ON {anx}.referral_id = c.referral_id AND {anx}.instrument = c.anx
    """)
    phq_rc = INSTRUMENTS[DEPRESSION_MEASURE].reliable_change
    con.execute(f"""
    CREATE OR REPLACE TABLE outcome AS
      SELECT *, n_tx >= 2 AS finished,
             paired AND (phq_case OR anx_case) AS at_caseness,
             paired AND NOT (phq_case OR anx_case) AS not_at_caseness,
             paired AND (phq_case OR anx_case) AND phq_below AND anx_below AS recovered,
             paired AND (phq_fall >= {phq_rc} OR anx_fall >= anx_rc)
                    AND NOT (phq_fall <= -{phq_rc} OR anx_fall <= -anx_rc) AS improved,
             paired AND (phq_fall <= -{phq_rc} OR anx_fall <= -anx_rc)
                    AND NOT (phq_fall >= {phq_rc} OR anx_fall >= anx_rc) AS deteriorated
      FROM ref
    """)


def figures(folder: Path) -> dict[str, float]:
    """Funnel, official and delivery figures over ended referrals (all data)."""
    con = connect(Path(folder))
    build(con)
    out = dict(zip(
        ("ended", "not_seen", "seen_not_treated", "one_treatment", "finished"),
        con.execute("""
        SELECT count(*), avg((n_att = 0)::int), avg((n_att > 0 AND n_tx = 0)::int),
               avg((n_tx = 1)::int), avg((n_tx >= 2)::int) FROM outcome""").fetchone()))
    row = con.execute("""
        SELECT count(*) AS f, sum(not_at_caseness::int), sum((NOT paired)::int),
               sum(recovered::int), sum(improved::int), sum(deteriorated::int),
               avg(n_tx), avg((first_tx - received_date <= 42)::int),
               avg((first_tx - received_date <= 126)::int)
        FROM outcome WHERE finished""").fetchone()
    f, not_case, unpaired, recovered, improved, deteriorated = row[:6]
    out.update(
        finished_count=f, not_at_caseness=not_case / f, no_paired_scores=unpaired / f,
        recovery_rate=recovered / (f - not_case), reliable_improvement_rate=improved / f,
        reliable_deterioration_rate=deteriorated / f, mean_treatment_sessions=row[6],
        wait_6_weeks_rate=row[7], wait_18_weeks_rate=row[8])
    out["low_intensity_only"] = con.execute(
        "SELECT avg(low_only::int) FROM outcome WHERE n_tx >= 1").fetchone()[0]
    out["telephone_contacts"] = con.execute(
        "SELECT avg((medium = 'telephone')::int) FROM tx").fetchone()[0]
    out["recovered_per_ended"] = con.execute(
        "SELECT avg((recovered AND finished)::int) FROM outcome").fetchone()[0]
    out["descriptor_groups"] = dict(con.execute(
        "SELECT problem_group, count(*) / sum(count(*)) OVER () FROM outcome "
        "WHERE finished GROUP BY ALL").fetchall())
    out["first_last"] = con.execute("""
        SELECT avg(phq_first), stddev(phq_first), avg(phq_last), stddev(phq_last)
        FROM outcome WHERE finished AND paired""").fetchone()
    out["gad_first_last"] = con.execute(f"""
        SELECT avg(anx_first), stddev(anx_first), avg(anx_last), stddev(anx_last)
        FROM outcome WHERE finished AND paired AND anx = '{FALLBACK_ANXIETY_MEASURE}'
        """).fetchone()
    for measure, instrument in (("phq9", DEPRESSION_MEASURE), ("gad7", FALLBACK_ANXIETY_MEASURE),
                                ("wsas", "WSAS")):
        # effect.<measure>_d_pre_sd, completer set: finished with >= 2 scores on the measure
        out[f"effect_{measure}_d_pre_sd"] = con.execute(f"""
            SELECT (avg(s.first) - avg(s.last)) / stddev_samp(s.first)
            FROM scored s JOIN outcome o USING (referral_id)
            WHERE o.finished AND s.instrument = '{instrument}' AND s.n >= 2""").fetchone()[0]
    out["recovery_by_group"] = dict(con.execute("""
        SELECT problem_group, sum(recovered::int) / sum((NOT not_at_caseness)::int)
        FROM outcome WHERE finished GROUP BY ALL""").fetchall())
    if (Path(folder) / "interviews.parquet").exists():
        out.update(diagnostic(con))
    con.close()
    return out


def diagnostic(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Loss of index diagnoses among eligible (independent and blind) interviews."""
    row = con.execute("""
    WITH eligible AS (SELECT * FROM interviews WHERE assessor_independent AND assessor_blind),
    index_dx AS (SELECT DISTINCT referral_id, disorder FROM eligible
                 WHERE timepoint = 'baseline' AND status = 'present'),
    b AS (SELECT DISTINCT referral_id FROM index_dx),
    at_end AS (
      SELECT referral_id, bool_and(e.status <> 'present') AS lost
      FROM index_dx i JOIN eligible e USING (referral_id, disorder)
      WHERE e.timepoint = 'end' GROUP BY ALL),
    at_fu AS (
      SELECT referral_id, bool_and(e.status <> 'present') AS lost
      FROM index_dx i JOIN eligible e USING (referral_id, disorder)
      WHERE e.timepoint = 'follow_up' GROUP BY ALL)
    SELECT (SELECT count(*) FROM b),
           (SELECT count(*) FROM at_end), (SELECT avg(lost::int) FROM at_end),
           (SELECT count(*) FROM at_fu), (SELECT avg(lost::int) FROM at_fu),
           (SELECT avg((assessor_independent AND assessor_blind)::int)
              FROM (SELECT DISTINCT interview_id, assessor_independent, assessor_blind
                    FROM interviews))
    """).fetchone()
    agreement = con.execute("""
    WITH eligible AS (SELECT * FROM interviews WHERE assessor_independent AND assessor_blind),
    index_dx AS (SELECT DISTINCT referral_id, disorder FROM eligible
                 WHERE timepoint = 'baseline' AND status = 'present'),
    at_end AS (
      SELECT referral_id, bool_and(e.status <> 'present') AS lost
      FROM index_dx i JOIN eligible e USING (referral_id, disorder)
      WHERE e.timepoint = 'end' GROUP BY ALL)
    SELECT count(*), avg(recovered::int), avg(lost::int),
           avg((recovered AND NOT lost)::int) / avg(recovered::int)
    FROM at_end JOIN outcome USING (referral_id) WHERE finished AND at_caseness
    """).fetchone()
    return {"baseline_diagnosed": row[0], "end_interviewed": row[1],
            "lost_index_end_observed": row[2], "follow_up_interviewed": row[3],
            "lost_index_follow_up_observed": row[4], "eligible_interview_share": row[5],
            "agreement_n": agreement[0], "agreement_recovered": agreement[1],
            "agreement_lost": agreement[2],
            "recovered_but_still_diagnosed": agreement[3]}
