"""Every command is documented in docs/cli.md, with an example, and has help text."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tincheck.cli import app
from tincheck.cli.reference import splice

from ..conftest import REPO

DOC = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_documented_with_an_example(command):
    assert f"## tincheck {command}" in DOC
    assert f"\ntincheck {command}" in DOC


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_a_summary_and_an_example(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Example: tincheck {command}" in " ".join(result.output.split())


def test_generated_reference_is_current():
    assert splice(DOC) == DOC, "docs/cli.md is stale: run python tools/make_docs.py"


@pytest.mark.parametrize("command", COMMANDS)
def test_reference_lists_every_option_of_the_command(command):
    reference = DOC.split("## Reference", 1)[1].split(f"### tincheck {command}\n", 1)[1]
    reference = reference.split("\n### ", 1)[0]
    result = CliRunner().invoke(app, [command, "--help"])
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.output))
    options.discard("--help")
    assert options and all(f"`{option}" in reference or f", {option}" in reference
                           for option in options)
