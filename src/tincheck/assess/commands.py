"""What the ``tincheck assess`` commands do, as functions (the CLI is a thin shell)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import AssessError, require_extra
from .study import DATABASE_URL, Study, create, open_study


def _open(folder: Path, **options) -> Study:
    require_extra()
    from . import runtime

    study = open_study(Path(folder))
    runtime.configure(study, **options)
    runtime.check_database()
    from . import services

    recorded = services.study_uuid()
    if recorded != study.study_uuid:
        raise AssessError(f"the database does not belong to the study in {folder} (its "
                          f"study id is {recorded or 'missing'}, the folder's is "
                          f"{study.study_uuid}): check {DATABASE_URL}")
    return study


def init(folder: Path, second_rating_share: float, text_pack: Path | None) -> Study:
    """A new study folder and database: settings, secret key, tables, first event."""
    require_extra()
    from . import runtime

    study = create(Path(folder), second_rating_share, text_pack)
    runtime.configure(study)
    from django.db import DatabaseError

    from . import services

    try:
        runtime.migrate()
        if services.study_uuid() is not None:
            raise AssessError("the database already holds a study: give this study a "
                              "database of its own")
        services.create_study(services.command_line(), study.study_uuid, {
            "database": study.database, "second_rating_share": second_rating_share,
            "text_pack": str(text_pack) if text_pack else None})
    except DatabaseError as exc:
        raise AssessError(f"cannot set up the study database ({str(exc).strip()})") from None
    return study


def add_user(folder: Path, username: str, role: str, password: str, *,
             independent: bool = True, blind: bool = True):
    _open(folder)
    from . import services

    try:
        return services.add_user(services.command_line(), username, role, password,
                                 independent=independent, blind=blind)
    except services.ServiceError as exc:
        raise AssessError(str(exc)) from None


def set_active(folder: Path, username: str, active: bool) -> None:
    _open(folder)
    from . import services

    try:
        services.set_user_active(services.command_line(), username, active)
    except services.ServiceError as exc:
        raise AssessError(str(exc)) from None


def load_sample(folder: Path, sample: Path, schedule: Path) -> dict:
    study = _open(folder)
    from . import services
    from .sampling import SampleError, read_sample

    try:
        rows, visits = read_sample(Path(sample), Path(schedule))
    except SampleError as exc:
        raise AssessError(str(exc)) from None
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (Path(sample), Path(schedule))}
    try:
        return services.load_sample(services.command_line(), rows, visits,
                                    share=study.second_rating_share, seed=study.draw_seed,
                                    files=files)
    except services.ServiceError as exc:
        raise AssessError(str(exc)) from None


def export(folder: Path, out: Path):
    _open(folder)
    from . import services
    from .exporting import write_export

    if out.exists() and out.is_dir():
        raise AssessError(f"--out {out} is a folder: give a file name such as "
                          "interviews.csv")
    return write_export(services.command_line(), Path(out))


def backup(folder: Path, out: Path):
    """A consistent copy of the study's database while the app runs (backup.py); the
    backup is recorded in the audit trail."""
    from .backup import check_out

    check_out(out)  # before opening the study: a bad --out is named at once
    study = _open(folder)
    from django.conf import settings

    from . import services
    from .backup import postgres_backup, sqlite_backup

    if study.database == "sqlite":
        result = sqlite_backup(study.sqlite_path, Path(out))
    else:
        result = postgres_backup(settings.DATABASES["default"], Path(out))
    services.record_backup(services.command_line(), {
        "file_name": result.path.name, "sha256": result.sha256, "bytes": result.size,
        "database": result.database, "head_seq": result.head_seq,
        "head_hash": result.head_hash})
    return result


def verify(folder: Path, manifest: Path | None = None):
    _open(folder)
    from .exporting import verify as run

    return run(manifest)


def serve(folder: Path, host: str, port: int, threads: int, https: bool,
          allowed_hosts: tuple[str, ...], workers: int = 1) -> None:
    _open(folder, https=https, allowed_hosts=(host, *allowed_hosts))
    from .server import serve as run

    run(host, port, threads, https, workers)
