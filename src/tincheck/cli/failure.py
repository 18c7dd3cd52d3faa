"""How the command line fails: in one place, every expected problem becomes a message
and exit status 2, never a traceback.

:class:`Group` is the ``tincheck`` command group; its ``main`` runs every command
through :func:`run`, which catches what a user can cause: an option Click refuses
(the message names the option), a setting the library refuses
(:class:`~tincheck.errors.SettingError`, named by its option: ``--period``), data
that breaks the data model (:class:`~tincheck.DataError`: the table of errors), an
output that cannot be written (:class:`~tincheck.errors.OutputError`, a full disk),
any other :class:`OSError`, and each command's own file errors. Each is printed as
one line (a data error adds its table of findings), with Rich markup in it escaped
(``tincheck[spark]`` prints with its brackets) and control characters made visible by
the console (:class:`~tincheck.cli.output.SafeConsole`).

A problem nobody expects (a defect) still shows its traceback, so it can be reported.
"""

from __future__ import annotations

import sys
from typing import Callable

from rich.markup import escape
from typer import _click as click
from typer.core import TyperGroup
from typer.exceptions import Abort

from ..assess import AssessError
from ..engine import EngineUnavailable
from ..errors import OutputError, SettingError
from ..evidence import StudyFileError
from ..ingest import DataError
from ..outputs import reason
from ..pseudonymise import PseudonymKeyError
from ..published import PublishedDataError
from ..redcap import RedcapError
from ..stats.tau2 import ConvergenceError
from ..synth import SynthConfigError
from .output import errors, print_report

EXIT_ERROR = 2


def say(message: str) -> None:
    """One line on standard error: 'error: ' and the message (markup escaped)."""
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def message(exc: BaseException) -> str:
    """What went wrong, in one line, for an expected exception."""
    if isinstance(exc, SettingError):
        return exc.describe(exc.option)
    if isinstance(exc, OutputError):
        return exc.describe()
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else None
        return f"{where}: {reason(exc)}" if where else reason(exc)
    return " ".join(str(exc).split()) or type(exc).__name__


# Problems a user can cause, and how each is shown (first match wins)
def _data_error(exc: DataError) -> None:
    say(f"the data has errors: {exc.report.error_count}. Fix them and run again:")
    print_report(exc.report)


def _report_error(exc) -> None:
    print_report(exc.report)


HANDLERS: tuple[tuple[type[BaseException], Callable], ...] = (
    (DataError, _data_error),
    (StudyFileError, _report_error),
    (RedcapError, _report_error),
    (SettingError, lambda exc: say(message(exc))),
    (OSError, lambda exc: say(message(exc))),  # OutputError, unreadable input, full disk
    (PseudonymKeyError, lambda exc: say(message(exc))),
    (EngineUnavailable, lambda exc: say(message(exc))),
    (PublishedDataError, lambda exc: say(message(exc))),
    (SynthConfigError, lambda exc: say(message(exc))),
    (AssessError, lambda exc: say(message(exc))),  # the interview app's study folder
    (ConvergenceError, lambda exc: say(message(exc))),  # tau^2 of these studies (meta)
    (ValueError, lambda exc: say(message(exc))),  # a value the library refuses
)
EXPECTED = tuple(kind for kind, _ in HANDLERS)


def handle(exc: BaseException) -> int:
    """Show an expected exception; the exit status."""
    for kind, show in HANDLERS:
        if isinstance(exc, kind):
            show(exc)
            return EXIT_ERROR
    raise exc


def _usage(exc: click.ClickException) -> int:
    """A refused option or argument, in one line naming it, with where to find help."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already shown
        return exc.exit_code
    ctx = getattr(exc, "ctx", None)
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    say(exc.format_message() + hint)
    return exc.exit_code


def run(main: Callable, standalone_mode: bool, **kwargs):
    """Run a Click ``main`` with every expected problem shown in one place."""
    try:
        code = main(standalone_mode=False, **kwargs)
    except click.exceptions.ClickException as exc:
        code = _usage(exc)
    except Abort:
        say("aborted")
        code = 1
    except EXPECTED as exc:
        code = handle(exc)
    if not standalone_mode:
        return code
    sys.exit(code if isinstance(code, int) else 0)


class Group(TyperGroup):
    """The ``tincheck`` command group: its commands fail through :func:`run`."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        return run(super().main, standalone_mode, args=args, prog_name=prog_name,
                   complete_var=complete_var, **extra)


__all__ = ["EXIT_ERROR", "Group", "handle", "message", "run", "say"]
