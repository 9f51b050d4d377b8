"""Fill several workbooks at once, in a pool of processes: ``fill_many``.

Each workbook is filled by :func:`sroi_excel.api.fill` exactly as on its own; what comes back
is plain, picklable data (:class:`FileResult`): whether it worked, the exit code the
single-file ``sroi-excel fill`` would have given, its headline or its error messages (the same
sentences the single-file command prints) and the seconds it took. One workbook that cannot be
filled never stops the others; neither does a bug (it becomes an "internal error" for that
file).

The workers are started with the ``spawn`` method: a fresh interpreter that inherits the
working folder and the environment at the moment the batch starts, and is safe to use from a
program that runs threads. As with any ``multiprocessing`` code, a script that calls
``fill_many`` with more than one job should do so under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import api
from .exceptions import SroiError, ValidationError

START_METHOD = "spawn"


@dataclass(frozen=True)
class FileResult:
    """The outcome of filling one workbook of a batch."""

    path: str  # as given
    ok: bool
    exit_code: int  # what `sroi-excel fill PATH` would have exited with: 0, 1, 3 or 4
    headline: str | None = None  # ok: "a.xlsx: SROI ratio 2.12 (net 1.12) · ..."
    errors: tuple[str, ...] = ()  # failed: each error as the single-file command prints it
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    summary: dict = field(default_factory=dict, compare=False)  # as `fill --json` prints

    @property
    def message(self) -> str:
        """The headline, or the first error and how many more there are."""
        if self.ok:
            return self.headline or ""
        first = self.errors[0] if self.errors else "the workbook could not be filled"
        more = len(self.errors) - 1
        return first + (f" (and {more} more error(s))" if more > 0 else "")

    @property
    def line(self) -> str:
        """One line for a log: ``ok    a.xlsx: SROI ratio ...`` or ``fail  b.xlsx: ...``."""
        if self.ok:
            extra = f" · {len(self.warnings)} warning(s)" if self.warnings else ""
            return f"ok    {self.message}{extra}"
        message = self.message
        if message.startswith(f"{self.path}: "):  # "b.xlsx: no such file" names it already
            message = message[len(self.path) + 2:]
        return f"fail  {self.path}: {message}"

    def to_dict(self) -> dict:
        """The per-file summary of ``fill --json``, with the exit code and seconds added."""
        return {**self.summary, "exit_code": self.exit_code, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class BatchReport:
    """The outcome of :func:`fill_many`: one result per workbook, in the order given."""

    results: tuple[FileResult, ...]
    seconds: float  # wall time of the whole batch
    processes: int  # 1: one after another in the calling process
    duplicates: tuple[str, ...] = ()  # paths given again (same file), filled only once

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def filled(self) -> list[FileResult]:
        return [r for r in self.results if r.ok]

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every workbook was filled, otherwise 5."""
        return 0 if self.ok else 5

    def summary_line(self) -> str:
        """``filled 198 of 200 workbooks in 12.3 s with 2 processes; 2 failed: b.xlsx, ...``"""
        unit = "process" if self.processes == 1 else "processes"
        line = (f"filled {len(self.filled)} of {len(self.results)} workbooks in "
                f"{self.seconds:.1f} s with {self.processes} {unit}")
        if self.failed:
            line += f"; {len(self.failed)} failed: " + ", ".join(r.path for r in self.failed)
        return line

    def summary(self) -> dict:
        """Plain data for --json: one summary per workbook and the totals."""
        return {
            "ok": self.ok,
            "files": [r.to_dict() for r in self.results],
            "totals": {
                "workbooks": len(self.results),
                "filled": len(self.filled),
                "failed": len(self.failed),
                "failed_files": [r.path for r in self.failed],
                "duplicates": list(self.duplicates),
                "seconds": round(self.seconds, 3),
                "processes": self.processes,
            },
        }


def fill_many(paths: Iterable[str | os.PathLike], *, jobs: int | None = None,
              scenario: str | None = None, backup: bool = True, draws: int | None = None,
              seed: int | None = None,
              on_done: Callable[[FileResult], None] | None = None) -> BatchReport:
    """Fill every workbook in ``paths`` in place, ``jobs`` at a time (default: one per CPU).

    ``jobs=1`` fills them one after another in this process, without a pool. A path given
    twice (or two names of the same file) is filled once. ``on_done(result)`` is called in
    this process as each workbook finishes (in the order they finish); the report lists them
    in the order given. ``scenario``, ``backup``, ``draws`` and ``seed`` apply to every
    workbook, as for :func:`sroi_excel.api.fill`. Never raises for a workbook that cannot be
    filled: that is a failed :class:`FileResult`.
    """
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs is {jobs}; use 1 or more")
    unique, duplicates, seen = [], [], set()
    for path in paths:
        shown = os.fspath(path)
        key = os.path.realpath(shown)
        if key in seen:
            duplicates.append(shown)
            continue
        seen.add(key)
        unique.append(shown)
    options = {"scenario": scenario, "backup": backup, "draws": draws, "seed": seed}
    processes = max(1, min(jobs, len(unique)))
    start = time.perf_counter()
    found: dict[int, FileResult] = {}

    def done(index: int, result: FileResult) -> None:
        found[index] = result
        if on_done is not None:
            on_done(result)

    if processes == 1:
        for index, path in enumerate(unique):
            done(index, fill_one(path, **options))
    else:
        _run_pool(unique, options, processes, done)
    results = tuple(found[i] for i in range(len(unique)))
    return BatchReport(results, time.perf_counter() - start, processes, tuple(duplicates))


def _run_pool(paths: list[str], options: dict, processes: int,
              done: Callable[[int, FileResult], None]) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context(START_METHOD)
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=context)
    try:
        with _workers_ignore_ctrl_c():  # the first submit starts them
            pending = {pool.submit(fill_one, path, **options): (index, path)
                       for index, path in enumerate(paths)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index, path = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # the worker died (killed, out of memory) or a bug
                    result = _internal_error(path, exc, 0.0)
                done(index, result)
    finally:
        # On Ctrl-C or an error in on_done: do not start the workbooks still waiting.
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Processes started inside never see Ctrl-C. It reaches every process of the terminal's
    group: a worker starting up or waiting for work printed a traceback, and one filling a
    workbook gave it up. Now only this process stops; a worker finishes its workbook (the
    write is atomic). Blocking, not ignoring, where the system can: a child keeps the blocked
    mask, and a Ctrl-C pressed while the workers start waits and stops this process after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; such a caller handles Ctrl-C itself
        return
    if hasattr(signal, "pthread_sigmask"):
        before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # an ignored signal stays so
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def fill_one(path: str, *, scenario: str | None = None, backup: bool = True,
             draws: int | None = None, seed: int | None = None) -> FileResult:
    """Fill one workbook in place and describe the outcome as plain data (the pool's worker).

    Never raises for the workbook: a library error becomes a failed result with the message
    the single-file command prints, anything else an "internal error".
    """
    start = time.perf_counter()
    try:
        report = api.fill(path, scenario=scenario, backup=backup, draws=draws, seed=seed)
    except ValidationError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        warnings = [p for p in exc.problems if p.severity == "warning"]
        return FileResult(
            path, False, exc.exit_code, errors=tuple(str(p) for p in errors) or (str(exc),),
            warnings=tuple(str(p) for p in warnings), seconds=time.perf_counter() - start,
            summary={"file": path, "ok": False,
                     "errors": [_problem(p) for p in errors] or [_message(str(exc))],
                     "warnings": [_problem(p) for p in warnings]})
    except (SroiError, ValueError) as exc:  # what the single-file command reports as "error:"
        return FileResult(
            path, False, getattr(exc, "exit_code", 1), errors=(str(exc),),
            seconds=time.perf_counter() - start,
            summary={"file": path, "ok": False, "errors": [_message(str(exc))],
                     "warnings": []})
    except Exception as exc:  # a bug: this file fails, the batch goes on
        return _internal_error(path, exc, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    return FileResult(path, True, 0, headline=api.headline(path, report.results),
                      warnings=tuple(str(p) for p in report.warnings), seconds=seconds,
                      summary=report.summary())


def _internal_error(path: str, exc: BaseException, seconds: float) -> FileResult:
    message = f"internal error: {type(exc).__name__}: {exc}"
    return FileResult(path, False, 1, errors=(message,), seconds=seconds,
                      summary={"file": path, "ok": False, "errors": [_message(message)],
                               "warnings": []})


def _problem(p) -> dict:
    return {"sheet": p.sheet, "cell": p.cell, "message": p.message}


def _message(text: str) -> dict:
    return {"sheet": "", "cell": "", "message": text}
