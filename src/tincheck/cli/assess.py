"""``tincheck assess``: the interview app for blind assessors (docs/assess.md)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer
from rich.markup import escape

from ..assess import AssessError
from . import app
from .output import console

assess_app = typer.Typer(
    name="assess", no_args_is_help=True, add_completion=False,
    help="The interview app: blind assessors record diagnostic interviews in a web app "
    "that exports the interviews table. Example: tincheck assess init study-app/")
app.add_typer(assess_app, name="assess")

Folder = typer.Argument(..., help="The study folder (made by tincheck assess init).")


@assess_app.command("init")
def init(
    folder: Path = typer.Argument(..., help="A new folder for the study."),
    second_rating_share: float = typer.Option(
        0.15, "--second-rating-share", help="Share of interviews drawn for a second, "
        "independent rating (inter-rater reliability)."),
    text_pack: Path = typer.Option(None, "--text-pack", help="TOML file of the service's "
                                   "own licensed interview text, shown beside each module."),
) -> None:
    """Create a study folder: settings, a secret key and the database (SQLite in WAL
    mode with synchronous=FULL, or PostgreSQL when TINCHECK_ASSESS_DATABASE_URL is set).

    Example: tincheck assess init study-app/
    """
    from ..assess import commands

    study = commands.init(folder, second_rating_share, text_pack)
    where = "PostgreSQL" if study.database == "postgresql" else str(study.sqlite_path)
    console.print(f"Created the study in {escape(str(study.folder))} (database: "
                  f"{escape(where)}). Next: tincheck assess add-user {escape(str(folder))} "
                  "NAME --role coordinator", highlight=False)


def _password(name: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Again: ") != first:
            raise AssessError("the two passwords differ; nothing was changed")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@assess_app.command("add-user")
def add_user(
    folder: Path = Folder,
    name: str = typer.Argument(..., help="User name (lower-case letters, digits, . _ -)."),
    role: str = typer.Option(..., "--role", help="coordinator, assessor or analyst."),
    not_independent: bool = typer.Option(
        False, "--not-independent", help="An assessor employed by, paid by or otherwise tied "
        "to the service (their interviews are marked so)."),
    not_blind: bool = typer.Option(False, "--not-blind", help="An assessor who knows the "
                                   "treatment or the scores (interviews marked so)."),
) -> None:
    """Add a user with one role. The password is asked twice (or read from standard input
    when that is not a terminal) and stored as an Argon2 hash.

    Example: tincheck assess add-user study-app/ alice --role assessor
    """
    from ..assess import commands

    user = commands.add_user(folder, name, role, _password(name),
                             independent=not not_independent, blind=not not_blind)
    console.print(f"Added {escape(user.username)} ({user.role}, code {user.code}).",
                  highlight=False)


@assess_app.command("disable-user")
def disable_user(folder: Path = Folder,
                 name: str = typer.Argument(..., help="User name."),
                 enable: bool = typer.Option(False, "--enable", help="Let them sign in "
                                             "again instead.")) -> None:
    """Stop a user signing in (or, with --enable, let them again); their records stay.

    Example: tincheck assess disable-user study-app/ alice
    """
    from ..assess import commands

    commands.set_active(folder, name, enable)
    console.print(f"{escape(name)} can {'now' if enable else 'no longer'} sign in.",
                  highlight=False)


@assess_app.command("load-sample")
def load_sample(
    folder: Path = Folder,
    sample: Path = typer.Argument(..., help="study/sample.csv of tincheck study sample."),
    schedule: Path = typer.Argument(..., help="study/schedule.csv of tincheck study sample."),
) -> None:
    """Load the study sample and its interview schedule. Refuses any column beyond the
    contract's (nothing that could unblind an assessor enters the app). Loading updated
    files later adds new rows and fills in windows.

    Example: tincheck assess load-sample study-app/ study/sample.csv study/schedule.csv
    """
    from ..assess import commands

    summary = commands.load_sample(folder, sample, schedule)
    console.print(
        f"Loaded: {summary['participants_added']} participants in the sample, "
        f"{summary['reserves_added']} reserves, {summary['visits_added']} scheduled "
        f"interviews ({summary['second_ratings_drawn']} drawn for a second rating), "
        f"{summary['windows_updated']} windows updated.", highlight=False)


@assess_app.command("serve")
def serve(
    folder: Path = Folder,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    threads: int = typer.Option(8, "--threads", help="Threads in each worker process."),
    workers: int = typer.Option(None, "--workers", help="Worker processes (default: one "
                                "per core, at most 4; Python runs one thread at a time "
                                "in a process)."),
    https: bool = typer.Option(False, "--https", help="Users reach the app over HTTPS "
                               "through a proxy on this machine: secure cookies, HSTS."),
    allowed_host: list[str] = typer.Option([], "--allowed-host", help="A host name users "
                                           "type to reach the app (repeatable)."),
) -> None:
    """Serve the app with a production WSGI server (waitress; static files included).
    Listens on 127.0.0.1 unless told otherwise.

    Example: tincheck assess serve study-app/ --port 8000
    """
    from ..assess import commands
    from ..assess.server import default_workers

    workers = default_workers() if workers is None else workers
    console.print(f"Serving {escape(str(folder))} on http://{host}:{port}/ with {workers} "
                  f"worker process{'es' if workers != 1 else ''} (Ctrl+C stops).",
                  highlight=False)
    try:
        commands.serve(folder, host, port, threads, https, tuple(allowed_host), workers)
    except OSError as exc:  # the address, not a file: say which
        raise AssessError(f"cannot listen on {host}:{port} ({exc.strerror})") from None


@assess_app.command("export")
def export(
    folder: Path = Folder,
    out: Path = typer.Option(Path("interviews.csv"), "--out", help="CSV file to write; "
                             "the manifest is written beside it."),
) -> None:
    """Export the interviews table for tincheck audit, with a manifest holding the audit
    trail's head hash.

    Example: tincheck assess export study-app/ --out my-service/interviews.csv
    """
    from ..assess import commands

    result = commands.export(folder, out)
    m = result.manifest
    console.print(f"Wrote {m['rows']} rows ({m['interviews']} interviews) to "
                  f"{escape(str(out))}; audit trail head {m['audit_trail']['head_seq']} "
                  f"{m['audit_trail']['head_hash']}.", highlight=False)


@assess_app.command("backup")
def backup(
    folder: Path = Folder,
    out: Path = typer.Option(..., "--out", help="A new file for the backup (never "
                             "overwritten)."),
) -> None:
    """Back up the study's database while the app runs: SQLite's online backup (the copy's
    audit trail is verified before it is kept) or pg_dump on PostgreSQL. The backup is
    recorded in the audit trail.

    Example: tincheck assess backup study-app/ --out backups/study-2026-01-31.sqlite3
    """
    from ..assess import commands

    result = commands.backup(folder, out)
    held = (f"; it holds {result.events} events, head {result.head_seq} {result.head_hash}"
            if result.head_seq is not None else "")
    console.print(f"Wrote {escape(str(result.path))} ({result.size:,} bytes, "
                  f"{result.seconds:.1f} s, sha256 {result.sha256}){held}.", highlight=False)


@assess_app.command("verify")
def verify(
    folder: Path = Folder,
    manifest: Path = typer.Option(None, "--manifest", help="An export's manifest: check "
                                  "that the trail holds that export and the CSV is as "
                                  "exported."),
) -> None:
    """Recompute the audit trail's hash chain and name the first broken event; check
    every stored interview against the event that recorded it. Exit status 1 if broken.

    Example: tincheck assess verify study-app/
    """
    from ..assess import commands

    report = commands.verify(folder, manifest)
    chain = report.chain
    if chain.broken:
        console.print(f"[red]BROKEN[/red] first broken event: "
                      f"{escape(chain.broken.sentence())}", highlight=False)
    for line in report.records + report.manifest:
        console.print(f"[red]BROKEN[/red] {escape(line)}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print(f"[green]OK[/green] {chain.events} events verify; head {chain.head_seq} "
                  f"{chain.head_hash}.", highlight=False)
