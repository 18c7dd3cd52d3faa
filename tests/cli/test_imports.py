"""Starting a command does not load what only drawing charts needs.

matplotlib takes about 40 MiB of every process that imports it and 0.3 s of every
command's start. An audit draws its charts last, when its memory is low, so loading
it there keeps it out of the audit's peak (docs/performance.md).
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["tincheck", "tincheck.cli", "tincheck.cli.audit"])
def test_matplotlib_is_not_imported_with_the_commands(module):
    code = f"import sys, {module}; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_the_first_chart_loads_it_and_draws_in_the_house_style():
    code = ("import sys; from tincheck.report import charts; "
            "fig, ax = charts.new_figure(); ax.plot([0, 1], [0, 1]); "
            "line = ax.get_lines()[0].get_color(); "
            "svg = charts.to_svg(fig, 'a title', 'a description'); "
            "print('matplotlib' in sys.modules, line, svg.startswith('<svg role=\"img\"'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    # the palette's first colour (Okabe & Ito): the style applied on first use
    assert out == ["True", "#0072B2", "True"]
