"""The NICE dose and first-step tables: every row cited, the loader's rules, the docs."""

from __future__ import annotations

import csv
import io
from importlib import resources

import duckdb
import pytest

from tincheck import nice
from tincheck.nice import (DOSE_COLUMNS, STEP_COLUMNS, NiceTableError, load_nice_tables,
                           problem_of)

from .conftest import REPO

FILES = {"nice_dose.csv": DOSE_COLUMNS, "nice_steps.csv": STEP_COLUMNS}


def shipped(name: str) -> list[dict]:
    text = resources.files("tincheck").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("name", FILES)
def test_every_row_of_the_shipped_tables_carries_its_citation(name):
    rows = shipped(name)
    assert rows
    for row in rows:
        for column in ("guideline", "recommendation", "quote", "url", "source_kind"):
            assert row[column].strip(), (name, row["id"], column)
        assert row["url"].startswith(("http://", "https://")), row["id"]
        assert row["verified"] in ("yes", "via_reproduction", "no"), row["id"]


@pytest.mark.parametrize("name", FILES)
def test_a_figure_not_seen_in_nices_text_is_never_applied_by_default(name):
    for row in shipped(name):
        if row["verified"] == "no" or row["source_kind"] == "secondary":
            assert row["use"] == "no", row["id"]


def test_the_default_tables_apply_the_verified_figures_only():
    tables = load_nice_tables()
    applied = {(p, i, c): (r.min_sessions, r.max_sessions)
               for p, i, c, r in tables.applied_dose()}
    assert applied == {
        ("depression_less_severe", "low", "gsh_book"): (6, 8),
        ("depression_less_severe", "low", "gsh_computer"): (6, 8),
        ("depression_more_severe", "high", "counselling"): (12, 16),
        ("gad", "low", "gsh_book"): (5, 7), ("gad", "low", "gsh_computer"): (5, 7)}
    rules = {p: rule for p, (rule, _) in tables.applied_rules().items()}
    assert rules == {"depression_less_severe": "yes", "depression_more_severe": "conditional",
                     "gad": "conditional", "panic": "conditional", "ocd": "conditional",
                     "ptsd": "no"}


@pytest.mark.parametrize("descriptor, problem", [
    ("F32.0", "depression_less_severe"), ("F33.2", "depression_more_severe"),
    ("F32.9", "depression"), ("F33", "depression"), ("F42.2", "ocd"), ("F43.1", "ptsd"),
    ("F40.1", "social_anxiety"), ("F41.2", None), ("F45.2", None), ("", None)])
def test_problem_descriptors_map_to_nice_problems_by_the_longest_prefix(descriptor, problem):
    assert problem_of(descriptor) == problem


def test_the_lookup_tables_are_portable_sql_even_when_empty():
    tables = load_nice_tables()
    assert duckdb.sql(tables.dose_sql()).fetchall()[0] == (
        "depression_less_severe", "low", "gsh_book", 6.0, 8.0, "ng222-less-severe-gsh", "yes")
    assert ("ptsd", "no", "yes") in duckdb.sql(tables.steps_sql()).fetchall()
    empty = nice.NiceTables((), ())
    for sql in (empty.dose_sql(), empty.steps_sql()):
        assert duckdb.sql(sql).fetchall() == []


def _write(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_services_dose_table_is_checked_cell_by_cell(tmp_path):
    rows = shipped("nice_dose.csv")
    rows[1].update(intensity="medium")                          # row 3
    rows[2].update(therapy_codes="counselling|gsh_book")        # row 4: a low type
    rows[6].update(min_sessions="8", max_sessions="7")          # row 8
    rows[0].update(quote="")                                    # row 2: no citation
    with pytest.raises(NiceTableError) as caught:
        load_nice_tables(dose=_write(tmp_path / "dose.csv", DOSE_COLUMNS, rows))
    found = {(p["row"], p["column"]) for p in caught.value.problems}
    assert found == {(3, "intensity"), (4, "therapy_codes"), (8, "min_sessions"),
                     (2, "quote")}
    assert "dose.csv row 3, column intensity: value 'medium', expected one of low, high" in \
        str(caught.value)


def test_two_applied_dose_rows_may_not_claim_the_same_course(tmp_path):
    rows = shipped("nice_dose.csv")
    clash = dict(rows[0], id="local-gsh", min_sessions="4", max_sessions="6")
    with pytest.raises(NiceTableError, match="also applied by row ng222-less-severe-gsh"):
        load_nice_tables(dose=_write(tmp_path / "dose.csv", DOSE_COLUMNS, rows + [clash]))


def test_the_rules_used_for_one_problem_must_agree(tmp_path):
    rows = shipped("nice_steps.csv")
    rows[1].update(low_intensity_first="no")                    # row 3 against row 2
    with pytest.raises(NiceTableError, match=r"row 3, column low_intensity_first"):
        load_nice_tables(steps=_write(tmp_path / "steps.csv", STEP_COLUMNS, rows))


def test_a_table_without_the_columns_or_the_file_says_so(tmp_path):
    bad = tmp_path / "steps.csv"
    bad.write_text("problem,rule\nptsd,no\n", encoding="utf-8")
    with pytest.raises(NiceTableError, match="expected a header with the columns id, problem"):
        load_nice_tables(steps=bad)
    with pytest.raises(NiceTableError, match="file not found"):
        load_nice_tables(dose=tmp_path / "missing.csv")


def test_docs_nice_md_lists_every_row_with_its_citation_and_is_current():
    page = (REPO / "docs" / "nice.md").read_text(encoding="utf-8")
    assert nice.splice(page) == page, "docs/nice.md is stale: run python tools/make_docs.py"
    for name in FILES:
        for row in shipped(name):
            assert f"`{row['id']}`" in page and row["quote"].replace("|", "\\|") in page
    assert "## Which figures are verified" in page
