"""Absent optional data narrows the audit, never stops it.

Property: remove any subset of the optional tables and optional columns of the data
model from the example service (a column is dropped from its file, or left with every
cell empty); the default audit (m = 20 imputations) finishes, and report.json and
report.html say what was not computed and why. Plus the case that used to stop the
audit: the example without its ``age`` column.
"""

from __future__ import annotations

import html
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tincheck
from tincheck.cli import app
from tincheck.metrics import REGISTRY
from tincheck.metrics.needs import NEEDS, optional_data, sentence
from tincheck.report.audit import write_report
from tincheck.schema import TABLES

from .ingest.folders import copy_example, drop_column, read_rows, write_rows

OPTIONAL = optional_data()
# optional columns whose absence changes nothing the audit reports
UNUSED = {"referrals.ethnicity", "referrals.imd_decile", "appointments.duration_minutes",
          "measures.appointment_id", "interviews.months_after_end", "therapists.role"}


def without(target: Path, removed: dict[str, str]) -> Path:
    """The example service with the ``removed`` optional tables taken out, and the
    removed optional columns dropped (``"drop"``) or emptied (``"blank"``)."""
    tables = [t for t in TABLES if t not in removed]
    folder = copy_example(target, tables=tables)
    for item, how in sorted(removed.items()):
        table, _, column = item.partition(".")
        if not column or table in removed:
            continue
        if how == "drop":
            drop_column(folder, table, column)
        else:
            header, rows = read_rows(folder / f"{table}.csv")
            for row in rows:
                row[header.index(column)] = ""
            write_rows(folder / f"{table}.csv", header, rows)
    return folder


def expected_absent(removed: dict[str, str]) -> dict[str, str]:
    """What the audit should find absent, and how: removed tables, and removed columns
    of the tables still there (the example holds a value in every optional column);
    an empty ended_date is data (every referral still open), not absent data."""
    out = {}
    for item, how in removed.items():
        table, _, column = item.partition(".")
        if not column:
            out[item] = "no file"
        elif table not in removed and not (how == "blank" and item == "referrals.ended_date"):
            out[item] = "no column" if how == "drop" else "empty"
    return out


def test_the_example_has_a_value_in_every_optional_column():
    # the premise of the property: whatever is absent was removed by the test
    doc = tincheck.audit(tincheck.example_path(), imputations=0).to_json()
    assert doc["data"]["optional_absent"] == {} and doc["not_computed"] == []


def test_every_optional_item_is_either_needed_or_declared_unused():
    needed = {item for need in NEEDS for item in need.absent}
    assert needed | UNUSED == set(OPTIONAL) and not needed & UNUSED


# no shrinking: each example is a whole audit (about 3 s of CPU); a failure is reported
# as found, which already names the tables and columns removed
@settings(max_examples=24, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(removed=st.dictionaries(st.sampled_from(OPTIONAL), st.sampled_from(["drop", "blank"]),
                               min_size=1))
def test_default_audit_finishes_whatever_optional_data_is_absent(removed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = without(Path(tmp) / "data", removed)
        audit = tincheck.audit(folder)  # the defaults: m = 20, disclosure control on
        paths = write_report(audit, Path(tmp) / "out")
        doc = json.loads(paths["json"].read_text(encoding="utf-8"))
        page = paths["html"].read_text(encoding="utf-8")

    absent = expected_absent(removed)
    assert doc["data"]["optional_absent"] == absent
    entries = doc["not_computed"]
    # every entry names absent data only, with its reason; each metric it names is
    # withheld with a note saying why
    for entry in entries:
        assert set(entry["data"]) <= set(absent)
        for item in entry["data"]:
            table, _, column = item.partition(".")
            assert (f"no {table} file was supplied" if not column else
                    f"has no {column} column" if absent[item] == "no column" else
                    f"the {column} column of {table}.csv is empty") in entry["why"]
        for metric_id in entry["metrics"]:
            if REGISTRY[metric_id].kind == "table":
                assert doc["tables"].get(metric_id, []) == []
            else:
                metric = doc["metrics"][metric_id]
                assert metric["value"] is None and metric["note"].startswith("not computed")
    # and nothing else is marked not computed
    withheld = {m for e in entries for m in e["metrics"]}
    marked = {m for m, v in doc["metrics"].items()
              if (v.get("note") or "").startswith("not computed")}
    assert marked <= withheld
    # a need with all its data absent (and its table there) is listed
    for need in NEEDS:
        tables_gone = {i.split(".")[0] for i in need.absent if "." in i} & set(removed)
        if set(need.absent) <= set(absent) and not set(need.present) & set(absent) \
                and not tables_gone:
            assert list(need.absent) in [e["data"] for e in entries], need.absent
    # absent data no one uses changes nothing
    if set(absent) <= UNUSED:
        assert entries == []
    # the report says the same, in its data quality section and its headline
    assert f"Not computed ({len(entries)})" in page or not absent
    for entry in entries:
        assert html.escape(sentence(entry)) in page
    if entries:
        assert 'href="#not-computed"' in page


@pytest.fixture(scope="module")
def no_age(tmp_path_factory) -> Path:
    return without(tmp_path_factory.mktemp("no_age"), {"referrals.age": "drop"})


def test_example_without_age_is_audited_with_age_left_out_of_the_imputation(no_age):
    audit = tincheck.audit(no_age)  # used to stop: "column 'age' has 0 observed value(s)"
    mi = audit.metrics["sensitivity.multiple_imputation"]
    assert mi.value is not None and mi.extra["m"] == 20
    assert mi.extra["dropped_covariates"] == {"age": "no observed values"}
    assert mi.note == "imputed without age (no observed values)"
    assert "age" not in mi.extra["imputed_columns"]
    doc = audit.to_json()
    assert doc["data"]["optional_absent"] == {"referrals.age": "no column"}
    assert [(e["data"], e["why"], e["metrics"]) for e in doc["not_computed"]] == [
        (["referrals.age"], "referrals.csv has no age column", [])]
    # the other figures are those of the full example (age is only an MI covariate)
    full = tincheck.audit(tincheck.example_path())
    for metric_id in ("official.recovery_rate", "itt.recovery_among_cases",
                      "diagnostic.lost_index_end_itt"):
        assert audit.value(metric_id) == full.value(metric_id)


def test_audit_command_without_age_finishes_and_says_what_was_left_out(no_age, tmp_path):
    result = CliRunner().invoke(app, ["audit", str(no_age), "--out", str(tmp_path / "out")],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert ("note Not computed: age as a covariate of multiple imputation, and the age row "
            "of the representativeness table, because referrals.csv has no age column.") in flat
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "left out of the model: age (no observed values)" in page
