"""The ``tincheck`` command: a thin shell over the library.

Each command lives in a module of its own and registers itself on :data:`app`. A
command raises what goes wrong; :mod:`tincheck.cli.failure` is the one place that
turns every expected problem into a message and exit status 2.
"""

from __future__ import annotations

import typer

from .failure import Group

app = typer.Typer(
    cls=Group,
    name="tincheck",
    help="Independent outcome audit for psychological therapy services: does a service "
    "do what it says on the tin?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from . import (assess, audit, demo, import_redcap, meta, published, study,  # noqa: E402,F401
               synth, validate)  # (modules register their commands)


def main() -> None:
    app()
