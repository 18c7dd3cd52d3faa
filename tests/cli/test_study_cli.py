"""``tincheck study power`` and ``tincheck study sample``: thin, documented, and every bad
input a one-line error with exit status 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.examples import example_path

from ..conftest import REPO

EXAMPLE = str(example_path())
COMMANDS = ("power", "sample")


def run(*args):
    return CliRunner().invoke(app, ["study", *args])


def test_power_prints_n_with_the_formula():
    result = run("power", "--design", "mcnemar", "--p10", "0.15", "--p01", "0.05")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "n = 154.60 → 155 clients" in out and "Connor RJ (1987)" in out


def test_power_json_for_programs():
    result = run("power", "--design", "precision", "--p", "0.2", "--half-width", "0.05",
                 "--completion", "0.8", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["design"], doc["n"], doc["n_recruit"]) == ("precision", 245, 307)


@pytest.mark.parametrize("args, message", [
    (["power", "--design", "mcnemar", "--p10", "0.15"], "design mcnemar needs --p01"),
    (["power", "--design", "mcnemar", "--p10", "0.15", "--p01", "0.15"], "no difference"),
    (["power", "--design", "benchmark", "--p0", "0.5", "--p1", "0.3", "--power", "1.5"],
     "power = 1.5"),
    (["power", "--design", "precision", "--p", "0.2", "--half-width", "0.05", "--p10", "0.1"],
     "does not use --p10"),
    (["power", "--design", "two-proportions", "--p1", "0.5", "--p2", "0.4", "--icc", "2"],
     "icc = 2.0"),
    (["sample", EXAMPLE, "--n", "12", "--strata", "diagnosis"], "unknown stratum column"),
    (["sample", EXAMPLE, "--n", "40"], "larger than the frame"),
    (["sample", EXAMPLE, "--n", "5", "--received", "2030-01-01:2030-03-31"],
     "no referrals were received in 2030-01-01:2030-03-31"),
    (["sample", EXAMPLE, "--n", "5", "--received", "January"], "--received"),
    (["sample", EXAMPLE, "--n", "5", "--follow-up-months", "six"], "--follow-up-months"),
    (["sample", EXAMPLE, "--n", "5", "--allocation", "no-such.csv"], "no such file"),
    (["sample", EXAMPLE], "give --n"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path):
    result = run(*args, *(["--out", str(tmp_path)] if args[0] == "sample" else []))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_stratum_smaller_than_its_allocation(tmp_path):
    allocation = tmp_path / "allocation.csv"
    allocation.write_text("problem_group,n\nptsd,3\n", encoding="utf-8")
    result = run("sample", EXAMPLE, "--strata", "problem_group", "--allocation",
                 str(allocation), "--out", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert result.output.strip() == ("error: stratum problem_group=ptsd has 2 referrals in "
                                     "the frame, fewer than the 3 allocated to it")


def test_sample_writes_the_four_files(tmp_path):
    result = run("sample", EXAMPLE, "--n", "12", "--strata", "problem_group,step", "--seed",
                 "7", "--out", str(tmp_path), "--design", "mcnemar", "--p10", "0.15",
                 "--p01", "0.05")
    assert result.exit_code == 0, result.output
    for name in ("sample.csv", "schedule.csv", "frame.csv", "protocol.html"):
        assert (tmp_path / name).is_file()
    assert "Disclosure control" in result.output


def test_sample_n_defaults_to_the_design(tmp_path):
    result = run("sample", EXAMPLE, "--design", "precision", "--p", "0.5", "--half-width",
                 "0.2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    # Wilson: p = 0.5, d = 0.2: n = z²(1 − 4d²)/(4d²) = 3.8415·0.84/0.16 = 20.17 → 21
    assert (tmp_path / "sample.csv").read_text().count(",sample,") == 21


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_a_summary_and_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"Example: tincheck study {command}" in " ".join(result.output.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_in_cli_md_and_readme(command):
    for doc in ("docs/cli.md", "README.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        assert f"tincheck study {command}" in text, doc
    assert f"## tincheck study {command}" in (REPO / "docs/cli.md").read_text(encoding="utf-8")
