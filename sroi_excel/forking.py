"""Second processes: when fill may fork one, and how it starts, waits for and ends one.

Fill forks two kinds (both optional, both with the same result without them): the helper that
makes a large result sheet while the workbook is zipped (opc._Helper) and the uncertainty
analysis while the workbook is checked and computed (aside.Aside).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

# Whether fill may fork a second process at all. The batch command's workers turn it off:
# their pool already keeps every core busy.
parallel = True


def can_fork() -> bool:
    """Whether a second process may be forked here, and is worth it."""
    # Linux only: on macOS a forked child of a process that loaded system frameworks (numpy's
    # Accelerate) may crash, and Windows has no fork. One thread only, counted by the OS (a
    # library's native threads too, such as OpenBLAS's): a lock another thread holds would
    # stay locked forever in the child.
    if not parallel or not sys.platform.startswith("linux") or len(
            os.sched_getaffinity(0)) < 2:
        return False
    try:
        with open("/proc/self/status", "rb") as status:
            return any(line.split() == [b"Threads:", b"1"] for line in status)
    except OSError:
        return False


def fork(work: Callable[[], object]) -> int:
    """Fork a child that runs ``work`` and ends, with status 0 when it returned and 1 when it
    raised; the child's pid here. The child ends with ``os._exit``, so nothing of this
    process's (buffered output, exit handlers) runs twice; its failure is its status only."""
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            work()
            status = 0
        except BaseException:  # noqa: BLE001, S110 - reported by its exit status
            pass
        finally:
            os._exit(status)
    return pid


def ended_well(pid: int) -> bool:
    """Wait for a child process; whether it ended with status 0. False too when the program
    this runs in had it waited for already (SIGCHLD ignored, a handler of its own): its
    status is then unknown, and its work is redone here."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0


def end(pid: int) -> None:
    """End a child process that may still run, and wait for it."""
    try:
        os.kill(pid, signal.SIGKILL)  # also fine once it has ended: not waited for yet
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):  # already waited for elsewhere
        pass
