"""The production server: waitress (a multi-threaded WSGI server, not Django's
development server), with WhiteNoise serving the app's own static files.

With ``workers`` above 1 the listening socket is opened once and that many worker
processes, forked from this one, serve it (the kernel hands each new connection to one
of them). Python runs one thread at a time in a process, so one process uses one core
however many threads it has; several processes use them all. Everything the workers
share is in the database (sessions, sign-in throttling, the audit trail's lock), so
nothing changes for users. A worker that stops is started again; a worker never
outlives the process that started it (Linux: ``PR_SET_PDEATHSIG``), so killing the
server kills its workers too.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

from . import AssessError
from .runtime import STATIC_DIR

PHONE_CACHE_S = 3600
BACKLOG = 1024
# a worker that stops sooner than this after starting is not started again: it would
# only fail again (a port, database or configuration problem); the server stops instead
MIN_WORKER_LIFE_S = 5.0


def _static_headers(headers, path, url):
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"


def application():
    """The WSGI application of the configured study, static files included."""
    from django.core.wsgi import get_wsgi_application
    from whitenoise import WhiteNoise

    return WhiteNoise(get_wsgi_application(), root=str(STATIC_DIR), prefix="static/",
                      max_age=PHONE_CACHE_S, add_headers_function=_static_headers)


def default_workers() -> int:
    """One worker process per core, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4)) if hasattr(os, "fork") else 1


def serve(host: str, port: int, threads: int = 8, https: bool = False,
          workers: int = 1) -> None:
    """Serve until interrupted. ``https``: a TLS-terminating proxy in front sets
    X-Forwarded-Proto, trusted only from the local machine. ``workers``: processes."""
    import waitress

    options = dict(threads=threads, ident="tincheck-assess",
                   clear_untrusted_proxy_headers=True, channel_timeout=60)
    if https:
        options.update(trusted_proxy="127.0.0.1", trusted_proxy_headers={"x-forwarded-proto",
                                                                          "x-forwarded-for"})
    if workers < 1:
        raise AssessError(f"--workers must be 1 or more (got {workers})")
    if workers == 1:
        waitress.serve(application(), host=host, port=port, **options)
        return
    if not hasattr(os, "fork"):
        raise AssessError("several worker processes need a system with fork (Linux, "
                          "macOS): use --workers 1")
    app = application()
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    # no database connection may cross the fork: each worker opens its own
    from django.db import connections

    connections.close_all()
    _supervise(workers, lambda: waitress.serve(app, sockets=[listener], **options))


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux), and stop now if
    the parent is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _supervise(workers: int, run) -> None:
    """Fork ``workers`` processes running ``run()``; start again any that stops; on
    SIGTERM or SIGINT stop them all and return."""
    parent = os.getpid()
    started: dict[int, float] = {}
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _die_with_parent(parent)
                run()
                status = 0
            finally:
                os._exit(status)
        started[pid] = time.monotonic()

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(started):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        start()
    failure = None
    while started:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        began = started.pop(pid, None)
        if began is None or stopping:
            continue
        if time.monotonic() - began < MIN_WORKER_LIFE_S:
            failure = (f"a worker process stopped {time.monotonic() - began:.1f} s after "
                       f"starting (status {os.waitstatus_to_exitcode(status)}): see the "
                       "messages above")
            stop(signal.SIGTERM, None)
            continue
        print(f"tincheck-assess: worker {pid} stopped (status "
              f"{os.waitstatus_to_exitcode(status)}); starting another", file=sys.stderr,
              flush=True)
        start()
    if failure:
        raise AssessError(failure)
