"""Helpers for the tests of second processes (the zip helper, the analysis aside)."""

from __future__ import annotations

import os
import sys

import pytest

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux")
                                or len(os.sched_getaffinity(0)) < 2,
                                reason="a second process is used on Linux with two cores")


def started_pids(monkeypatch, owner, name: str) -> list[int]:
    """The pids of the processes ``owner.name(...)`` (a class that forks) starts from now on."""
    pids: list[int] = []
    make = getattr(owner, name)

    def started(*args):
        made = make(*args)
        pids.append(made.pid)
        return made

    monkeypatch.setattr(owner, name, started)
    return pids


def reaped(pid: int) -> bool:
    """Whether the process has ended and been waited for (no process left behind)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False
