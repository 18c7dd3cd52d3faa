"""The shipped benchmark table, user benchmark files, and comparisons."""

import re

import numpy as np
import pytest

from tincheck.reference_figures import (
    COLUMNS,
    Benchmark,
    BenchmarkFileError,
    compare,
    get_benchmark,
    load_benchmarks,
)
from tincheck.stats.effect_sizes import d_pre_sd_from_summary

HEADER = ",".join(COLUMNS)


def _spec_figures(spec_text: str) -> dict[str, tuple]:
    """id -> (value, ci_low, ci_high) from the table in benchmarks.md."""
    figures = {}
    for line in spec_text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not re.match(r"^[a-z]", cells[0]) or cells[0] == "id":
            continue
        ids, figure = cells[0], cells[3]
        if " / " in ids:  # "delgadillo_phq9_high / _average / _poor" with "0.91 / 0.73 / 0.46"
            first, *suffixes = ids.split(" / ")
            stem = first.rsplit("_", 1)[0]
            ids_list = [first] + [stem + s for s in suffixes]
            values = [float(v) for v in figure.split(" / ")]
            figures.update({i: (v, None, None) for i, v in zip(ids_list, values, strict=True)})
            continue
        match = re.match(r"^([\d.]+)(?: \(([\d.]+)-([\d.]+)\))?$", figure)
        assert match, f"unreadable figure {figure!r} for {ids}"
        value, low, high = match.groups()
        figures[ids] = (float(value), low and float(low), high and float(high))
    return figures


def test_shipped_table_holds_exactly_the_figures_of_benchmarks_md(shared_dir):
    spec = _spec_figures((shared_dir / "spec" / "benchmarks.md").read_text(encoding="utf-8"))
    table = load_benchmarks().set_index("id")
    assert len(spec) == 16
    assert set(table.index) == set(spec)
    for bench_id, (value, low, high) in spec.items():
        row = table.loc[bench_id]
        assert row["value"] == value, bench_id
        if low is None:
            assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"]), bench_id
        else:
            assert (row["ci_low"], row["ci_high"]) == (low, high), bench_id


def test_shipped_table_has_the_contract_columns_and_every_row_cites_a_source():
    table = load_benchmarks()
    assert list(table.columns) == list(COLUMNS) + ["source"]
    assert table["citation"].str.len().min() > 5
    assert table["id"].is_unique
    assert set(table["source"]) == {"tincheck"}


def test_get_benchmark_returns_a_typed_record():
    bench = get_benchmark("stiles2008_core")
    assert bench == Benchmark("stiles2008_core", "CORE-OM", "pre-post d", 1.39, None, None,
                              "pre-IAPT NHS primary and secondary care, CBT / person-centred "
                              "/ psychodynamic, n = 5,613",
                              "Stiles et al. 2008, Psychol Med 38:677-688")
    with pytest.raises(KeyError, match="no benchmark with id 'nope'"):
        get_benchmark("nope")


# --- comparisons ------------------------------------------------------------------------

def test_compare_below_a_benchmark():
    c = compare({"estimate": 0.62, "ci_low": 0.55, "ci_high": 0.69}, "wakefield2021_depression")
    assert c.difference == pytest.approx(-0.25)
    assert c.excludes is True and c.direction == "below"
    assert c.benchmark_id == "wakefield2021_depression"
    assert c.citation.startswith("Wakefield et al. 2021")
    assert (c.benchmark_ci_low, c.benchmark_ci_high) == (0.78, 0.96)


def test_a_ci_touching_the_benchmark_does_not_exclude_it():
    c = compare({"value": 0.7, "ci_low": 0.505, "ci_high": 0.9}, "rutherford2012_waitlist")
    assert c.excludes is False and c.direction == "includes"


def test_compare_is_vectorised_over_providers():
    # three providers, n = 500, SD_pre 5, r 0.4: d = 1.4, 0.8, 0.4
    es = d_pre_sd_from_summary(np.array([18.0, 18.0, 18.0]), np.array([11.0, 14.0, 16.0]),
                               5.0, 500, 0.4)
    c = compare(es, "rutherford2012_waitlist")
    assert c.difference.tolist() == pytest.approx([0.895, 0.295, -0.105])
    assert c.direction.tolist() == ["above", "above", "below"]
    assert c.to_dict()["excludes"] == [True, True, True]


def test_compare_with_a_missing_ci_excludes_nothing():
    c = compare({"estimate": 0.3, "ci_low": np.nan, "ci_high": np.nan}, "nhs_recovery_target")
    assert c.excludes is False and c.direction == "includes"


def test_compare_needs_an_estimate_and_a_ci():
    with pytest.raises(ValueError, match="must have an estimate"):
        compare({"estimate": 0.5}, "nhs_recovery_target")


# --- a user's own benchmarks --------------------------------------------------------------

def test_user_benchmarks_are_added_and_usable(tmp_path):
    path = tmp_path / "regional.csv"
    path.write_text(f"{HEADER},notes\n"
                    "region_2023,PHQ-9,pre-post d,0.81,0.75,0.87,our region's services,"
                    "Regional audit 2023,checked\n"
                    "region_target,recovery,recovery rate,0.55,,,regional target,ICB plan\n",
                    encoding="utf-8")
    table = load_benchmarks(path)
    assert len(table) == 18
    added = table.set_index("id").loc["region_2023"]
    assert (added["value"], added["ci_low"], added["source"]) == (0.81, 0.75, "regional.csv")
    c = compare({"estimate": 0.9, "ci_low": 0.88, "ci_high": 0.92}, "region_2023", table=table)
    assert c.direction == "above"


def test_user_file_problems_are_all_listed_with_row_column_value(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(f"{HEADER}\n"
                    "a,PHQ-9,pre-post d,0.8,0.7,0.9,x,Me 2024\n"
                    "a,PHQ-9,pre-post d,abc,,,x,Me 2024\n"
                    "wakefield2021_anxiety,GAD-7,pre-post d,0.7,0.6,,x,\n"
                    "b,PHQ-9,pre-post d,1.2,0.7,0.9,x,Me 2024\n", encoding="utf-8")
    with pytest.raises(BenchmarkFileError) as error:
        load_benchmarks(path)
    found = {(p["row"], p["column"]) for p in error.value.problems}
    assert found == {(3, "id"), (3, "value"), (4, "id"), (4, "citation"), (4, "ci_high"),
                     (5, "value")}
    message = str(error.value)
    assert "mine.csv row 3, column value: value 'abc', expected a number" in message
    assert "row 5, column value: value '1.2', expected a value between ci_low 0.7" in message
    assert "an id not already used by a shipped benchmark" in message


def test_user_file_without_the_columns_is_explained(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("name,d\nx,0.5\n", encoding="utf-8")
    with pytest.raises(BenchmarkFileError, match=r"wrong.csv row 1, column id, measure.*"
                                                 r"expected a header with the columns"):
        load_benchmarks(path)


def test_missing_user_file_is_explained(tmp_path):
    with pytest.raises(BenchmarkFileError, match="file not found"):
        load_benchmarks(tmp_path / "absent.csv")
