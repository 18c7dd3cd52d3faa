"""tincheck.parallel: the same results, in order, forked or not."""

import os

import pytest

from tincheck import parallel


def _square_and_pid(offset, item):
    return item * item + offset, os.getpid()


def test_mapped_runs_in_forked_processes_only_when_asked_and_able(monkeypatch):
    here = os.getpid()
    items = [3, 1, 4, 1, 5]
    values, pids = zip(*parallel.mapped(_square_and_pid, 10, items, when=False))
    assert values == (19, 11, 26, 11, 35) and set(pids) == {here}
    if not parallel.can_fork():
        pytest.skip("forked processes on Linux only")
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    values, pids = zip(*parallel.mapped(_square_and_pid, 10, items))
    assert values == (19, 11, 26, 11, 35) and here not in pids
    monkeypatch.setattr(parallel, "cores", lambda: 1)  # one core: no point forking
    assert {pid for _, pid in parallel.mapped(_square_and_pid, 10, items)} == {here}
