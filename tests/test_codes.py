"""Code lists: NHS codes map to canonical codes, leading zeros optional."""

from tincheck import codes
from tincheck.instruments import (INSTRUMENTS, adsm_for, instrument_spellings,
                                  normalise_icd10, problem_group)


def test_nhs_codes_map_to_their_canonical_code():
    # data-model.md: completed = EndCode 46, deceased = 17 and 49, unknown = 95 and 96
    end = codes.lookup("end_reason")
    assert end["46"] == "completed"
    assert end["17"] == end["49"] == "deceased"
    assert end["95"] == end["96"] == "unknown"
    assert end["10"] == end["11"] == "not_suitable"


def test_leading_zeros_are_optional_for_numeric_codes():
    kind = codes.lookup("appointment_kind")
    assert kind["01"] == kind["1"] == "assessment"
    assert kind["05"] == kind["5"] == "review_treatment"
    medium = codes.lookup("medium")
    assert medium["02"] == medium["2"] == "telephone"


def test_no_spelling_maps_to_two_codes():
    for name, code_list in codes.CODE_LISTS.items():
        seen = {}
        for code in code_list:
            for spelling in codes.spellings(code):
                assert seen.setdefault(spelling, code.value) == code.value, (name, spelling)


def test_therapy_groups():
    assert codes.lookup("therapy_type")["304891004"] == "cbt"
    assert "gsh_book" in codes.in_group("therapy_type", "low")
    assert "cbt" in codes.in_group("therapy_type", "high")
    assert codes.in_group("therapy_type", "employment") == ("employment_support",)


def test_instrument_snomed_codes():
    spell = instrument_spellings()
    assert spell["720433000"] == "PHQ9"
    assert spell["445455005"] == "GAD7"
    assert spell["gad-7"] == "GAD7"
    assert not INSTRUMENTS["IESR"].official and not INSTRUMENTS["OCIR"].official


def test_caseness_comparisons():
    # instruments.md: caseness is first score >= cutoff, MI > 2.3
    assert INSTRUMENTS["PHQ9"].at_caseness(10) and not INSTRUMENTS["PHQ9"].at_caseness(9)
    assert INSTRUMENTS["GAD7"].at_caseness(8) and not INSTRUMENTS["GAD7"].at_caseness(7)
    assert not INSTRUMENTS["MI"].at_caseness(2.3) and INSTRUMENTS["MI"].at_caseness(2.31)
    assert not INSTRUMENTS["WSAS"].at_caseness(40)


def test_adsm_rule_and_problem_groups():
    assert adsm_for("F40.0") == "MI"
    assert adsm_for("F42.1") == "OCI"
    assert adsm_for("F43.1") == "PCL5"
    assert adsm_for("F41.1") == "GAD7"
    assert adsm_for("F41.2") == "GAD7"
    assert problem_group("F33.2") == "depression"
    assert problem_group("F41.9") == "other_anxiety"
    assert problem_group("F20.0") is None


def test_icd10_normalisation():
    assert normalise_icd10("F321") == "F32.1"
    assert normalise_icd10(" f41.1 ") == "F41.1"
    assert normalise_icd10("F32") == "F32"
    assert normalise_icd10("depression") is None
