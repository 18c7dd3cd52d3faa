"""Where tincheck writes: output paths checked before any work, files written whole.

:func:`check_folder` and :func:`check_file` run before a command starts its work, so
that an output path that cannot be used (an existing file where a folder is
expected, a path inside a file, a folder that is not writable, a folder where a file
is expected) is reported at once, naming the option, not after minutes of work.

:func:`write_bytes` and :func:`write_text` write a file under a temporary name beside
it and rename it into place, so a write that fails (a full disk) leaves the earlier
file, or none, never a truncated one. Every failure is an
:class:`~tincheck.errors.OutputError` naming the file and the reason. An existing
file that is not a regular file (``/dev/stdout``, a named pipe) is written directly.
"""

from __future__ import annotations

import errno as _errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError

IS_FOLDER = "it is a folder; a file is expected here"
IS_FILE = "it is a file; a folder is expected here"
REASONS = {
    _errno.ENOSPC: "no space left on the disk",
    _errno.EDQUOT: "the disk quota is used up",
    _errno.EACCES: "permission denied",
    _errno.EPERM: "permission denied",
    _errno.EROFS: "the file system is read-only",
    _errno.ENOTDIR: "a part of the path is a file, not a folder",
    _errno.EEXIST: "a part of the path is a file, not a folder",
    _errno.EISDIR: IS_FOLDER,
    _errno.ENAMETOOLONG: "the name is too long",
}


def reason(exc: OSError) -> str:
    """A short reason for an :class:`OSError`, in words: 'no space left on the disk'."""
    return REASONS.get(exc.errno) or (exc.strerror or str(exc) or type(exc).__name__).lower()


def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


def _writable_folder(folder: Path, target: Path, option: str | None) -> None:
    if not folder.is_dir():
        raise OutputError(target, f"{folder} is a file, so nothing can be created inside it",
                          option, _errno.ENOTDIR)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(target, f"cannot write in {folder} (permission denied)", option,
                          _errno.EACCES)


def check_folder(path: str | os.PathLike, files=(), option: str | None = None) -> Path:
    """Check that ``path`` can be (or already is) a folder that ``files`` can be
    written into; raise :class:`~tincheck.errors.OutputError` if not. Writes nothing.

    >>> check_folder("/dev/null", option="--out")
    Traceback (most recent call last):
    tincheck.errors.OutputError: --out /dev/null: it is a file; a folder is expected here
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(path, IS_FILE, option, _errno.ENOTDIR)
    _writable_folder(_existing(path), path, option)
    for name in files:
        check_file(path / name, option)
    return path


def check_file(path: str | os.PathLike, option: str | None = None) -> Path:
    """Check that the file ``path`` can be written (created, or overwritten); raise
    :class:`~tincheck.errors.OutputError` if not. Writes nothing."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(path, IS_FOLDER, option, _errno.EISDIR)
    if path.exists():
        if not os.access(path, os.W_OK):
            raise OutputError(path, "it cannot be overwritten (permission denied)", option,
                              _errno.EACCES)
        return path
    _writable_folder(_existing(path.parent), path, option)
    return path


def _temporary(path: Path) -> tuple[Path, BinaryIO]:
    """A new temporary file beside ``path`` (mode as a new file gets), opened to write."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    return temporary, os.fdopen(descriptor, "wb")


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole (folders created as needed); returns the path.

    Raises :class:`~tincheck.errors.OutputError` naming the file and the reason.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise OutputError(path, IS_FOLDER, errno=_errno.EISDIR)
        if path.exists() and not path.is_file():  # a device or a pipe: no rename
            with open(path, "wb") as handle:
                handle.write(data)
            return path
        temporary, handle = _temporary(path)
        try:
            with handle:
                handle.write(data)
            if path.exists():
                os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(path, reason(exc), errno=exc.errno) from None
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` whole; see :func:`write_bytes`."""
    return write_bytes(path, text.encode("utf-8"))


__all__ = ["check_file", "check_folder", "reason", "write_bytes", "write_text"]
