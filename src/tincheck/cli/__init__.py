"""The ``tincheck`` command: a thin shell over the library.

Each command lives in a module of its own and registers itself on :data:`app`.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="tincheck",
    help="Independent outcome audit for psychological therapy services: does a service "
    "do what it says on the tin?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from . import (assess, audit, demo, import_redcap, meta, published,  # noqa: E402,F401
               synth, validate)  # (modules register their commands)


def main() -> None:
    app()
