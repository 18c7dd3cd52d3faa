"""The study folder: ``study.toml`` (settings), ``secret.key`` and, by default, the
SQLite database ``assess.sqlite3``.

``TINCHECK_ASSESS_DATABASE_URL`` (``postgresql://user:password@host:port/name``, or
``postgresql:///name?host=/socket/dir``) switches to PostgreSQL; the study folder
records which kind of database it was created with, and refuses to open the other
(so a missing variable never opens an empty SQLite database by mistake).
"""

from __future__ import annotations

import os
import secrets
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import AssessError

DATABASE_URL = "TINCHECK_ASSESS_DATABASE_URL"
SETTINGS_FILE = "study.toml"
SECRET_FILE = "secret.key"
SQLITE_FILE = "assess.sqlite3"
DEFAULT_SECOND_SHARE = 0.15


@dataclass(frozen=True)
class Study:
    """A study folder's settings."""

    folder: Path
    study_uuid: str
    database: str            # "sqlite" or "postgresql"
    second_rating_share: float
    draw_seed: str           # seed of the draw of interviews for a second rating
    text_pack: Path | None   # a service's own licensed interview text (never shipped)

    @property
    def sqlite_path(self) -> Path:
        return self.folder / SQLITE_FILE

    def secret_key(self) -> str:
        path = self.folder / SECRET_FILE
        try:
            return path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise AssessError(f"cannot read the study's secret key {path} ({exc.strerror}); "
                              "it is created by `tincheck assess init`") from None


def database_url() -> str | None:
    value = os.environ.get(DATABASE_URL, "").strip()
    return value or None


def database_kind(url: str | None) -> str:
    if url is None:
        return "sqlite"
    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql"):
        return "postgresql"
    raise AssessError(f"{DATABASE_URL} = {scheme}://…: expected a postgresql:// URL "
                      "(unset it to use the study folder's SQLite database)")


def postgres_settings(url: str) -> dict:
    """Django DATABASES entry of a postgresql:// URL (``?host=`` may name a socket dir)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    name = unquote(parts.path.lstrip("/")) or query.pop("dbname", "")
    if not name:
        raise AssessError(f"{DATABASE_URL} names no database: expected "
                          "postgresql://user:password@host:port/name")
    host = unquote(parts.hostname or "") or query.pop("host", "")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": name,
            "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
            "HOST": host, "PORT": str(parts.port or query.pop("port", "") or ""),
            "CONN_MAX_AGE": 0, "OPTIONS": {k: v for k, v in query.items()
                                           if k in ("sslmode", "connect_timeout")}}


def create(folder: Path, second_rating_share: float = DEFAULT_SECOND_SHARE,
           text_pack: Path | None = None) -> Study:
    """Write a new study folder's settings and secret key (the database comes next)."""
    if not 0 <= second_rating_share <= 1:
        raise AssessError(f"--second-rating-share {second_rating_share}: expected a share "
                          "from 0 to 1 (default 0.15)")
    if folder.exists() and not folder.is_dir():
        raise AssessError(f"{folder} is a file: expected a new or empty folder")
    if (folder / SETTINGS_FILE).exists():
        raise AssessError(f"{folder} already holds a study ({SETTINGS_FILE}); use another "
                          "folder, or keep using this one")
    if text_pack is not None:
        text_pack = text_pack.resolve()
        if not text_pack.is_file():
            raise AssessError(f"--text-pack {text_pack}: no such file")
    folder.mkdir(parents=True, exist_ok=True)
    kind = database_kind(database_url())
    study = Study(folder.resolve(), str(uuid.uuid4()), kind, second_rating_share,
                  secrets.token_hex(16), text_pack)
    key = folder / SECRET_FILE
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")
    lines = [
        "# tincheck assess: settings of this study (docs/assess.md)",
        f'study_uuid = "{study.study_uuid}"',
        f'database = "{kind}"',
        f"second_rating_share = {second_rating_share!r}",
        f'draw_seed = "{study.draw_seed}"',
    ]
    if text_pack is not None:
        lines.append(f"text_pack = {_toml_string(str(text_pack))}")
    (folder / SETTINGS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return study


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def open_study(folder: Path) -> Study:
    """Read a study folder's settings; checks the database kind against the environment."""
    path = folder / SETTINGS_FILE
    if not path.is_file():
        raise AssessError(f"{folder} is not a study folder (no {SETTINGS_FILE}): create one "
                          f"with `tincheck assess init {folder}`")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        share = float(doc.get("second_rating_share", DEFAULT_SECOND_SHARE))
        study = Study(folder.resolve(), str(doc["study_uuid"]), str(doc["database"]), share,
                      str(doc["draw_seed"]),
                      Path(doc["text_pack"]) if doc.get("text_pack") else None)
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise AssessError(f"{path} is damaged ({exc}); it is written by "
                          "`tincheck assess init`") from None
    kind = database_kind(database_url())
    if kind != study.database:
        hint = (f"set {DATABASE_URL} to its postgresql:// URL" if study.database ==
                "postgresql" else f"unset {DATABASE_URL}")
        raise AssessError(f"this study's database is {study.database} but {DATABASE_URL} "
                          f"{'is' if kind == 'postgresql' else 'is not'} set: {hint}")
    return study
