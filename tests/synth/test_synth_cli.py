"""``tincheck synth`` and the synthetic-data notice wherever data is shown."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.notices import SYNTHETIC_NOTICE
from tincheck.report.page import Page

runner = CliRunner()


def test_synth_writes_a_folder_and_says_it_is_synthetic(tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["synth", "--referrals", "400", "--seed", "3", "--out",
                                 str(out), "--services", "2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "Wrote 400 synthetic referrals (seed 3)" in result.output
    assert "Synthetic data" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["referrals"], manifest["services"], manifest["format"]) == (400, 2, "csv")
    assert (out / "referrals.csv").read_text().count("\n") == 401


def test_validate_shows_the_synthetic_notice(tmp_path):
    out = tmp_path / "demo"
    runner.invoke(app, ["synth", "-n", "300", "--out", str(out), "--quiet"])
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "Synthetic data" in result.output
    as_json = runner.invoke(app, ["validate", str(out), "--json"])
    assert json.loads(as_json.output)["synthetic"] is True


def test_config_file_overrides_a_parameter(tmp_path):
    config = tmp_path / "fast-service.toml"
    config.write_text("[targets]\nwait_6_weeks_rate = 0.99\nwait_18_weeks_rate = 0.999\n")
    out = tmp_path / "fast"
    result = runner.invoke(app, ["synth", "-n", "300", "--out", str(out), "--config",
                                 str(config), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"] == "fast-service.toml"
    assert manifest["parameters"]["targets"]["wait_6_weeks_rate"] == 0.99


def test_bad_input_is_a_clear_error_and_exit_status_2(tmp_path):
    result = runner.invoke(app, ["synth", "-n", "10", "--out", str(tmp_path / "x"),
                                 "--format", "xlsx"])
    assert result.exit_code == 2
    assert "format = 'xlsx'; expected one of parquet, csv" in result.output
    assert "Traceback" not in result.output
    config = tmp_path / "bad.toml"
    config.write_text("[pathway]\nmissed = 2\n")
    result = runner.invoke(app, ["synth", "-n", "10", "--out", str(tmp_path / "y"),
                                 "--config", str(config)])
    assert result.exit_code == 2
    assert "bad.toml: pathway.missed = 2; expected a share from 0 to 1" in result.output


def test_help_has_a_summary_and_an_example():
    result = runner.invoke(app, ["synth", "--help"])
    assert result.exit_code == 0
    assert "Example: tincheck synth --referrals 100000 --seed 1 --out synthetic/" in \
        " ".join(result.output.split())


def test_a_page_made_from_synthetic_data_carries_the_banner():
    html = Page("Audit", synthetic=True).render()
    assert 'class="banner alert" role="note">Synthetic data: made by tincheck synth' in html
    assert html.index("Synthetic data") < html.index("</header>")
    assert SYNTHETIC_NOTICE.split(":")[0] not in Page("Audit").render()
