"""Work spread over forked processes (Linux).

Python runs one thread at a time in a process, and much of the audit's statistical
work (the imputation chains, the mixed models) holds that lock, so threads barely
overlap; processes do. A forked worker inherits the caller's data copy-on-write, so
nothing large is copied or pickled: only each item and each result travel between the
processes. Where fork is not available (or not safe: macOS), callers run the work in
this process instead.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

# what the workers run: set just before the pool forks, read in the workers
_JOB: tuple | None = None


def can_fork() -> bool:
    """Whether :func:`forked_map` may be used here (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def cores() -> int:
    """The processor cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _run(item):
    function, shared = _JOB
    return function(shared, item)


def forked_map(function: Callable, shared, items: Sequence, workers: int) -> list:
    """``[function(shared, item) for item in items]``, in order, computed by ``workers``
    forked processes. ``function`` and ``shared`` are inherited, never pickled;
    ``function`` must be a module-level function and its results picklable."""
    global _JOB
    if not can_fork():
        raise RuntimeError("forked_map needs fork (Linux)")
    _JOB = (function, shared)
    try:
        with ProcessPoolExecutor(max_workers=max(1, min(workers, len(items))),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_run, items))
    finally:
        _JOB = None


def mapped(function: Callable, shared, items: Sequence, *, when: bool = True,
           workers: int = 2) -> list:
    """``[function(shared, item) for item in items]``: by :func:`forked_map` on up to
    ``workers`` processes when ``when`` (the work is large enough to repay forking) and
    this machine can (fork, more than one core), else in this process."""
    if when and can_fork() and cores() > 1:
        return forked_map(function, shared, items, min(workers, cores()))
    return [function(shared, item) for item in items]
