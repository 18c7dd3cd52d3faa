"""The whole audit, its report and the command: raw files (fast) and real data."""

import json
import re

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.published import audit_published, render_html, to_json, write_report

SECTIONS = ["1. The national series", "2. Provider comparison",
            "3. Consistency of published figures", "4. Effect sizes by therapy type",
            "5. Practice-based evidence across providers", "6. What is delivered",
            "Closing note"]


def headings(html: str) -> list[str]:
    return re.findall(r"<h2 [^>]*>([^<]+)</h2>", html)


def test_report_from_raw_files_has_every_section_and_the_funnel(raw_two_years, tmp_path):
    audit = audit_published(raw_two_years, year="2022-23")
    html_path, json_path = write_report(audit, tmp_path / "out")
    html = html_path.read_text()
    assert headings(html) == SECTIONS
    assert "What happened to referrals that ended (raw NHS files)" in html
    assert "rounds every count below England level to the nearest 5" in html
    assert "<script" not in html and "http" not in html.split("</style>")[1].split(
        "Open Government")[0]
    data = json.loads(json_path.read_text())
    assert data["year"] == "2022-23"
    assert data["headline"]["england_rates_agree"] == 10
    assert data["national"][1]["ended_after_one_treatment"] == 420000
    assert data["effect_sizes"] is None
    assert "No proms file given" in data["notes"][0]


def test_unknown_year_is_a_clear_error_from_the_command(raw_two_years, tmp_path):
    result = CliRunner().invoke(app, ["published", str(raw_two_years), "--year", "2030-31",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "column reporting_period: found '2030-31'; expected a year present in the " \
        "data: 2017-18, 2022-23" in output
    assert "Traceback" not in result.output


def test_command_help_has_a_summary_and_an_example():
    result = CliRunner().invoke(app, ["published", "--help"])
    assert result.exit_code == 0
    assert "Example: tincheck published measures_annual.parquet" in result.output


@pytest.mark.slow
def test_command_on_the_published_data_2022_23(nhstt_dir, tmp_path):
    result = CliRunner().invoke(app, [
        "published", str(nhstt_dir / "measures_annual.parquet"), "--proms",
        str(nhstt_dir / "proms_annual.parquet"), "--year", "2022-23", "--out",
        str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text()
    assert headings(html) == SECTIONS
    assert html.count("<svg") == 1 + 1 + 1 + 6 + 1  # national, funnel, summary, 6 forests, mix
    data = json.loads((tmp_path / "report.json").read_text())
    head = data["headline"]
    assert head["providers_compared"] == 158
    assert head["outside_limits"]["re_998"]["total"] == 18
    assert head["inconsistent_providers"] == 0
    assert head["england_rates_agree"] == head["england_rates_checked"] == 3935
    assert head["effect_sizes_inside"] == 2142
    cbt_phq = next(p for p in head["pooled"] if p["therapy"].startswith("Cognitive")
                   and p["measure"] == "phq")
    # Measured: REML + Hartung-Knapp over 139 providers, r = 0.5
    assert cbt_phq["k"] == 139
    assert cbt_phq["d"] == pytest.approx(0.805, abs=0.001)
    assert cbt_phq["I2"] == pytest.approx(96.7, abs=0.1)
    assert "Wakefield et al. 2021: 0.87 depression, 0.88 anxiety" in data["closing_note"]
    assert data["closing_note"] in result.output


def test_provider_rows_without_england_compare_with_the_pooled_rate(raw_two_years, tmp_path):
    source = raw_two_years / "psych-ther-ann-rep-csv-2022-23-main-v2.csv"
    lines = source.read_text().splitlines()
    only = tmp_path / "providers-2022-23.csv"
    only.write_text("\n".join([lines[0]] + [x for x in lines[1:]
                                            if not x.startswith("England")]) + "\n")
    audit = audit_published(only)
    # pooled over P1 and P2: (400 + 160) / ((850 - 45) + (420 - 15))
    assert audit.funnel.target == pytest.approx(560 / 1210)
    assert "pooled rate" in audit.funnel.target_source
    html = render_html(audit)
    assert "No England rows with published rates in the data." in html
    assert to_json(audit)["headline"]["england_rates_checked"] == 0


def test_a_proms_file_given_as_measures_is_refused(tmp_path):
    from tincheck.published import PublishedDataError
    from tincheck.published.read import read_measures

    from .published_files import write_csv
    path = write_csv(tmp_path / "proms.csv", [
        "reporting_period", "org_type", "org_code", "org_name", "variable_type",
        "variable_a", "variable_b", "measure_name", "measure_statistic", "value"],
        [["2022-23", "England", "All", "All", "PROMs", "Total", "CBT", "phq", "mean",
          "14.2"]])
    with pytest.raises(PublishedDataError, match="expected a measures file"):
        read_measures(path)
