"""What ``generate`` writes: valid, deterministic, complete tables and a manifest."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

import tincheck
from tincheck.synth import NOTICE, SynthConfigError, generate, load_parameters
from tincheck.synth.chunk import build_context, simulate_chunk
from tincheck.synth.tables import chunk_tables
from tincheck.synth.writer import sha256

N = 3_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth") / "seed7", referrals=N, seed=7)


def rows(path, sql: str):
    """Run ``sql`` with the folder's Parquet tables as views."""
    con = duckdb.connect()
    for table in ("referrals", "appointments", "measures", "interviews", "therapists",
                  "costs"):
        if (path / f"{table}.parquet").exists():
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM "
                        f"read_parquet('{path / f'{table}.parquet'}')")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_table_is_written_and_passes_the_validator(folder):
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["appointments.parquet", "costs.parquet", "interviews.parquet",
                     "manifest.json", "measures.parquet", "referrals.parquet",
                     "therapists.parquet"]
    report = tincheck.validate(folder)
    assert report.ok, report.error_lines(5)
    assert report.synthetic
    # Warnings are the realistic ones only: referrals never offered an appointment.
    assert {w.rule for w in report.warnings} <= {"no_appointments"}


def test_row_counts_and_manifest(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["notice"] == NOTICE
    assert (manifest["seed"], manifest["referrals"], manifest["format"]) == (7, N, "parquet")
    assert manifest["parameters"]["targets"]["finished_course"] == 0.395
    for entry in manifest["tables"].values():
        path = folder / entry["file"]
        assert pq.ParquetFile(path).metadata.num_rows == entry["rows"]
        assert sha256(path) == entry["sha256"]
    assert manifest["tables"]["referrals"]["rows"] == N
    assert manifest["tables"]["appointments"]["rows"] > 3 * N
    assert manifest["tables"]["measures"]["rows"] > 5 * N
    # no wall-clock time anywhere: the manifest is part of the byte-identical output
    assert not {"created", "generated_at", "timestamp", "time"} & set(manifest)


def test_same_seed_gives_byte_identical_files(folder, tmp_path):
    again = generate(tmp_path / "again", referrals=N, seed=7)
    for path in folder.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_different_seeds_give_different_data(folder, tmp_path):
    other = generate(tmp_path / "other", referrals=N, seed=8, interview_fraction=0)
    assert (other / "referrals.parquet").read_bytes() != \
        (folder / "referrals.parquet").read_bytes()
    mine = rows(folder, "SELECT received_date FROM referrals ORDER BY referral_id")
    theirs = rows(other, "SELECT received_date FROM referrals ORDER BY referral_id")
    assert sum(a != b for a, b in zip(mine, theirs)) > 0.9 * N


def test_chunks_do_not_depend_on_the_order_they_are_made():
    params = load_parameters()
    streams = np.random.SeedSequence(5).spawn(4)
    ctx = build_context(params, 3_000, 3, 0.1, streams[0], chunk_referrals=1_000)

    def made(order):
        out = {}
        for c, n in (ctx.chunks(3_000)[i] for i in order):
            out[c] = chunk_tables(ctx, simulate_chunk(ctx, c, n, streams[1 + c]))
        return out

    forward, backward = made([0, 1, 2]), made([2, 1, 0])
    for c in range(3):
        for name, table in forward[c].items():
            assert table.equals(backward[c][name]), (c, name)
    ids = forward[1]["referrals"].column("referral_id")
    assert (ids[0].as_py(), ids[-1].as_py()) == ("R00001000", "R00001999")


def test_interviews_exercise_the_exclusion_and_missing_data_rules(folder):
    (interviews, rows_per, not_independent, not_blind, usual_constant) = rows(folder, """
        SELECT count(DISTINCT interview_id),
               min(n), sum((NOT independent)::int), sum((NOT blind)::int),
               bool_and(usual_n = 1)
        FROM (SELECT interview_id, count(*) AS n,
                     bool_and(assessor_independent) AS independent,
                     bool_and(assessor_blind) AS blind,
                     count(DISTINCT usual_self_pct) AS usual_n
              FROM interviews GROUP BY ALL)""")[0]
    assert interviews > 0.1 * N * 0.8
    assert rows_per >= 9  # one row per disorder of the panel
    assert not_independent > 0 and not_blind > not_independent
    assert usual_constant
    baseline, end, follow_up = rows(folder, """
        SELECT count(*) FILTER (timepoint = 'baseline'), count(*) FILTER (timepoint = 'end'),
               count(*) FILTER (timepoint = 'follow_up')
        FROM (SELECT DISTINCT interview_id, timepoint FROM interviews)""")[0]
    assert baseline > end > follow_up > 0


def test_services_clients_rereferrals_and_open_referrals(folder):
    services, clients, referred_again, still_open = rows(folder, """
        SELECT count(DISTINCT service_id), count(DISTINCT client_id),
               (SELECT count(*) FROM (SELECT client_id FROM referrals GROUP BY ALL
                                      HAVING count(*) > 1)),
               count(*) FILTER (ended_date IS NULL)
        FROM referrals""")[0]
    assert services == 8
    assert 0.05 * N < referred_again < clients < N
    assert 0 < still_open < 0.1 * N
    therapists = rows(folder, "SELECT count(*) FROM therapists")[0][0]
    used = rows(folder, "SELECT count(DISTINCT therapist_id) FROM appointments")[0][0]
    assert used <= therapists


def test_csv_and_nhs_style_read_to_the_same_canonical_tables(folder, tmp_path):
    csv = generate(tmp_path / "csv", referrals=N, seed=7, format="csv")
    nhs = generate(tmp_path / "nhs", referrals=N, seed=7, nhs_style=True)
    header = (nhs / "referrals.parquet")
    assert "ServiceRequestId" in pq.ParquetFile(header).schema_arrow.names
    first = pq.read_table(header).column("ReferralRequestReceivedDate")[0].as_py()
    assert first[2] == "/" and first[5] == "/"
    tables = {}
    for name, path in (("parquet", folder), ("csv", csv), ("nhs", nhs)):
        with tincheck.read_dataset(path) as data:
            tables[name] = {
                t: data.connection.execute(
                    f"SELECT * EXCLUDE (source_row) FROM {t} ORDER BY ALL").fetchall()
                for t in ("referrals", "appointments", "measures", "interviews", "costs")}
    assert tables["csv"] == tables["parquet"]
    assert tables["nhs"] == tables["parquet"]


def test_folder_with_tables_is_not_overwritten_without_asking(folder):
    with pytest.raises(SynthConfigError, match="already holds .*--overwrite"):
        generate(folder, referrals=10)


def test_overwrite_replaces_every_table_file(tmp_path):
    target = generate(tmp_path / "x", referrals=200, seed=1, format="csv")
    generate(target, referrals=200, seed=1, overwrite=True)
    assert sorted(p.suffix for p in target.iterdir()) == [".json"] + [".parquet"] * 6


@pytest.mark.parametrize("kwargs, message", [
    ({"referrals": 0}, "referrals = 0; expected a whole number from 1"),
    ({"referrals": 2.5}, "referrals = 2.5"),
    ({"seed": -1}, "seed = -1"),
    ({"services": 0}, "services = 0"),
    ({"format": "xlsx"}, "format = 'xlsx'; expected one of parquet, csv"),
    ({"interview_fraction": 1.5}, "interview_fraction = 1.5; expected a share"),
])
def test_bad_arguments_are_explained(tmp_path, kwargs, message):
    with pytest.raises(SynthConfigError, match=message.replace(".", r"\.")):
        generate(tmp_path / "bad", **kwargs)
    assert not (tmp_path / "bad").exists()


def test_no_interviews_when_the_fraction_is_zero(tmp_path):
    target = generate(tmp_path / "none", referrals=300, interview_fraction=0)
    assert not (target / "interviews.parquet").exists()
    assert tincheck.validate(target).ok
