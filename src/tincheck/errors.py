"""Expected problems that are not in the data: a setting that cannot be used, and an
output that cannot be written.

Problems in the data are :class:`tincheck.DataError` (with the full validation
report). These two carry what a caller needs to say which setting or which file is
at fault: the command line names the option (``--period``), the library the
parameter (``period``).
"""

from __future__ import annotations

import os
from pathlib import Path


class SettingError(ValueError):
    """A setting (a parameter of the library, an option of the command) that cannot be
    used: its name, the value given and what was expected.

    >>> str(SettingError("period", "2024-03-31:2023-04-01", "the end is before the start"))
    "period '2024-03-31:2023-04-01': the end is before the start"
    >>> SettingError("data_end", "2020-01-01", "before the data").describe("--data-end")
    "--data-end '2020-01-01': before the data"
    """

    def __init__(self, setting: str, value, expected: str):
        self.setting, self.value, self.expected = setting, value, expected
        super().__init__(self.describe(setting))

    def describe(self, name: str) -> str:
        """The problem with the setting called ``name`` (a parameter or an option)."""
        value = str(self.value) if isinstance(self.value, os.PathLike) else self.value
        return f"{name} {value!r}: {self.expected}"

    @property
    def option(self) -> str:
        """The command-line option of the setting: ``data_end`` → ``--data-end``."""
        return "--" + self.setting.replace("_", "-")


class MemoryLimitError(SettingError):
    """DuckDB needed more memory than its limit allows (``memory_limit``, the command's
    ``--memory-limit`` or the ``TINCHECK_MEMORY_LIMIT`` environment variable; DuckDB's
    default is 80% of the machine's memory). Beyond its limit DuckDB spills to disk,
    but some steps must hold their data in memory: this is not a fault in the data.

    >>> print(MemoryLimitError("50MB").describe("--memory-limit"))  # doctest: +ELLIPSIS
    --memory-limit '50MB': too small for this data: DuckDB needed more memory ...
    """

    def __init__(self, limit: str | None):
        value = limit if limit else "not set (DuckDB's default, 80% of memory)"
        super().__init__("memory_limit", value,
                         "too small for this data: DuckDB needed more memory than that "
                         "to read or audit it (beyond the limit it spills to disk, but "
                         "some steps must hold their data). Raise the limit, or leave it "
                         "unset on a machine with more free memory (the default audit of "
                         "1,000,000 referrals runs within 1GB; docs/performance.md)")


class OutputError(OSError):
    """An output that cannot be written: where, and why (an :class:`OSError`, so that
    ``except OSError`` still catches it).

    ``option`` names the command-line option the path came from, when it did.

    >>> str(OutputError("out/report.html", "it is a folder; a file is expected here"))
    'cannot write out/report.html: it is a folder; a file is expected here'
    """

    def __init__(self, path: str | os.PathLike, problem: str, option: str | None = None,
                 errno: int | None = None):
        self.path, self.problem, self.option = Path(path), problem, option
        super().__init__(errno, self.describe())
        self.filename = str(path)

    def describe(self) -> str:
        where = f"{self.option} {self.path}" if self.option else f"cannot write {self.path}"
        return f"{where}: {self.problem}"

    def __str__(self) -> str:
        return self.describe()


__all__ = ["MemoryLimitError", "OutputError", "SettingError"]
