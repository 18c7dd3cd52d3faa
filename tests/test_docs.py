"""docs/data-model.md and the code agree: tables, columns, aliases, codes."""

from __future__ import annotations

import re

import pytest

from tincheck import codes
from tincheck.instruments import INSTRUMENTS
from tincheck.schema import TABLES

from .conftest import REPO

DOC = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")


def _section(table: str) -> str:
    match = re.search(rf"^## {table} \(.*?$(.*?)(?=^## |\Z)", DOC, re.M | re.S)
    assert match, f"docs/data-model.md has no section for {table}"
    return match.group(1)


def _doc_columns(table: str) -> dict[str, str]:
    """Column name → its markdown table row, for the table's section."""
    rows = {}
    for line in _section(table).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"[a-z_0-9]+(, [a-z_0-9]+)?", cells[0]) \
                and cells[0] != "column":
            for name in cells[0].split(", "):
                rows[name] = line
    return rows


@pytest.mark.parametrize("table", list(TABLES))
def test_every_documented_column_is_in_the_schema_and_back(table):
    documented = set(_doc_columns(table))
    assert documented == set(TABLES[table].column_names)


@pytest.mark.parametrize("table", list(TABLES))
def test_every_alias_is_documented_in_its_table_section(table):
    section = _section(table)
    for column in TABLES[table].columns:
        for alias in column.aliases:
            assert alias in section, f"{table}.{column.name} alias {alias} not documented"


@pytest.mark.parametrize("list_name", list(codes.CODE_LISTS))
def test_every_code_and_nhs_code_is_documented(list_name):
    for code in codes.CODE_LISTS[list_name]:
        assert f"`{code.value}`" in DOC, f"{list_name} code {code.value} not documented"
        for nhs in code.nhs:
            assert nhs in DOC, f"{list_name} NHS code {nhs} ({code.value}) not documented"


def test_every_instrument_is_documented():
    for code in INSTRUMENTS:
        assert f"`{code}`" in DOC
