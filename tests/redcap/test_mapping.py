"""The mapping file itself is checked: every problem with its line and key."""

from __future__ import annotations

import pytest

from tincheck.redcap.mapping import key_line, read_mapping

from .project import MAPPING


def _errors(tmp_path, text: str) -> list[tuple]:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    mapping, findings = read_mapping(path)
    assert mapping is None and findings
    return [(f.rule, f.examples[0].row if f.examples else None, f.column, f.expected)
            for f in findings]


def test_the_test_mapping_is_valid(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(MAPPING, encoding="utf-8")
    mapping, findings = read_mapping(path)
    assert findings == []
    assert mapping.events == {"base_arm_1": "baseline", "end_arm_1": "end",
                              "fu_arm_1": "follow_up"}
    assert mapping.disorders[0].statuses == {"1": "present", "2": "subthreshold",
                                             "0": "absent", "": "not_assessed"}
    assert mapping.fields["instrument"].value == "MINI"


def test_toml_syntax_error_gives_its_line(tmp_path):
    ((rule, row, column, expected),) = _errors(tmp_path, MAPPING.replace(
        'date = "d"', 'date = d'))
    assert (rule, row, column) == ("toml_syntax", 9, None)
    assert expected.startswith("valid TOML (Invalid value")


def test_unknown_key_suggests_the_known_one(tmp_path):
    found = _errors(tmp_path, MAPPING.replace("assessor_blind =", "assesor_blind ="))
    assert [f[:3] for f in found] == [("unknown_key", 13, "fields.assesor_blind"),
                                      ("missing_key", 8, "fields.assessor_blind")]
    assert "did you mean 'assessor_blind'?" in found[0][3]


@pytest.mark.parametrize("old, new, rule, row, column, expected", [
    ("gad = \"gad\"", "anxiety = \"gad\"", "unknown_code", 22, "disorders.anxiety",
     "a disorder of the data model"),
    ('absent = ["0"]', 'absent = ["0", "1"]', "duplicate_code", 18, "status.absent",
     "'1' also means present"),
    ('instrument = { value = "MINI" }', 'instrument = { value = "SCID-6" }', "bad_mapping",
     11, "fields.instrument.value", "one of SCID-5, SCID-IV, MINI"),
    ('date = "d"', 'date = { value = "2023-01-01" }', "bad_mapping", 9,
     "fields.date.value", "only instrument, assessor_independent"),
    ('end = "end_arm_1"', 'end = ["end_arm_1", "base_arm_1"]', "duplicate_event", 5,
     "events.end", "base_arm_1 is also a baseline event"),
    ('follow_up = "fu_arm_1"', 'follow_up = "fu_arm_1"\nignore = ["fu_arm_1"]',
     "duplicate_event", 7, "events.ignore", "fu_arm_1 is a follow_up event"),
    ('referral_id = "ref"\n', '', "missing_key", None, "referral_id", "field"),
    ('assessor_independent = "ind"',
     'assessor_independent = { field = "ind", codes = { 1 = "maybe" } }',
     "bad_mapping", 12, "fields.assessor_independent.codes.1", "true or false"),
])
def test_mapping_problems(tmp_path, old, new, rule, row, column, expected):
    text = MAPPING.replace(old, new)
    found = [f for f in _errors(tmp_path, text) if f[0] == rule]
    assert len(found) == 1, _errors(tmp_path, text)
    assert found[0][1:3] == (row, column)
    assert expected in found[0][3]


def test_follow_up_months_only_for_follow_up_events(tmp_path):
    found = _errors(tmp_path, MAPPING + "\n[follow_up_months]\nend_arm_1 = 6\nfu_arm_1 = -1\n")
    assert [(f[0], f[1], f[2]) for f in found] == [
        ("unknown_event", 25, "follow_up_months.end_arm_1"),
        ("bad_mapping", 26, "follow_up_months.fu_arm_1")]
    assert "fu_arm_1" in found[0][3] and "from 0 to 240" in found[1][3]


def test_a_disorder_needs_present_and_absent_codes(tmp_path):
    text = MAPPING.replace('gad = "gad"', 'gad = { field = "gad", present = ["y"] }')
    found = _errors(tmp_path, text)
    assert [(f[0], f[2]) for f in found] == [("missing_key", "disorders.gad.absent")]


def test_key_line_follows_tables_and_inline_tables():
    text = ['a = 1', '[fields]', 'date = "d"', '[fields.instrument]', 'field = "x"',
            '[disorders]', 'gad = { field = "g" }']
    assert key_line(text, ("a",)) == 1
    assert key_line(text, ("fields", "date")) == 3
    assert key_line(text, ("fields", "instrument", "field")) == 5
    assert key_line(text, ("fields", "instrument", "codes")) == 4
    assert key_line(text, ("disorders", "gad", "field")) == 7
    assert key_line(text, ("events",)) is None
