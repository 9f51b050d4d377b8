"""Who else has the workbook: fill's own lock, other programs' locks, and the owner files
Excel and LibreOffice keep next to a workbook they have open.

* **One fill at a time.** :func:`exclusive` holds an operating-system lock on
  ``.NAME.sroi-tmp-lock`` next to the workbook: ``fcntl.flock`` on POSIX, ``msvcrt.locking``
  on Windows (the standard library offers no lock for both). A second fill of the same
  workbook waits up to ``LOCK_WAIT_S`` and then reads what the first one wrote. The operating
  system drops the lock when the process ends, however it ends, so a crash leaves no lock
  behind, at most the empty file, which the next write removes (its name is one of
  safefile's temporary names).
* **Other programs' locks.** :func:`hold` takes ``flock`` and ``lockf`` (POSIX record locks,
  also open-file-description ones) on the workbook itself while it is replaced, so programs
  that honour either wait, and refuses when another program holds one. Every POSIX system
  says so in the same words ("... holds a flock lock on it"); on Linux the message also names
  the program, read from ``/proc/locks`` where that is mounted. Windows has no advisory locks
  to ask: a program holding the file open without sharing makes the rename fail, which the
  write reports.
* **Owner files.** :func:`lock_file` finds Excel's ``~$NAME`` and LibreOffice's
  ``.~lock.NAME#``; :func:`office_lock_message` says whose it is, how old, and how to delete
  one a crash left behind.

Excel's owner file is ``~$`` followed by the workbook's whole name (``~$2024-analyse.xlsx``):
Word shortens long names (``~$cument.docx``), Excel and PowerPoint never do, as LibreOffice's
implementation of these files records (svl/source/misc/msodocumentlockfile.cxx,
``GenerateMSOLockFileURL``, with the cases in svl/qa/unit/lockfiles/test_lockfiles.cxx). Excel
writes the user name into it: one byte with the name's length, the name in the ANSI code page,
spaces up to byte 55, the length again and the name in UTF-16 (165 bytes). LibreOffice's own
``.~lock.NAME#`` holds ``user,system user,host,date,profile;``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sroi_excel.exceptions import WriteRefusedError

if os.name == "nt":
    import msvcrt

    fcntl = None
else:
    import fcntl

    msvcrt = None

__all__ = ["LOCK_WAIT_S", "exclusive", "hold", "lock_file", "lock_path", "office_lock_message"]

LOCK_WAIT_S = 120.0  # how long a fill waits for another one writing the same workbook
LOCK_SUFFIX = ".sroi-tmp-lock"  # a temporary name of safefile's: stale ones are removed
PROC_LOCKS = "/proc/locks"

NOFOLLOW = (getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            | getattr(os, "O_BINARY", 0))
# A file system that offers no locks at all (some network and FUSE mounts): go on unlocked.
NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
            errno.ENOSYS, errno.EINVAL}
# Errors for which there is no file to lock because nothing can be made in that folder.
_CANNOT_CREATE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR,
                  errno.ENOSPC, errno.ENAMETOOLONG, getattr(errno, "EDQUOT", errno.ENOSPC)}


# --- one fill at a time --------------------------------------------------------------------


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The file next to the (real) workbook that :func:`exclusive` locks."""
    real = Path(os.path.realpath(path))
    return real.with_name(f".{real.name}{LOCK_SUFFIX}")


_held = threading.local()


@contextlib.contextmanager
def exclusive(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold sroi-excel's lock on the workbook ``path`` for the ``with`` block.

    Another process or thread asking for the same workbook's lock waits up to
    ``LOCK_WAIT_S`` seconds, then gets :class:`WriteRefusedError`. Re-entrant within a thread
    (``fill`` holds it and ``safefile.write_atomic`` takes it again). Where no file can be made
    next to the workbook (a read-only or missing folder), nothing can be written there either:
    the block runs without the lock, and the write is refused with the reason.
    """
    lock = lock_path(path)
    held: set[Path] = _held.__dict__.setdefault("locks", set())
    if lock in held:
        yield
        return
    fd = _acquire(lock, os.fspath(path))
    held.add(lock)
    try:
        yield
    finally:
        held.discard(lock)
        if fd is not None:
            _release(lock, fd)


def _acquire(lock: Path, shown: str) -> int | None:
    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.002
    while True:
        fd = _open_lock(lock, shown)
        if fd is None:
            return None
        try:
            # Not open as the lock file any more: its holder removed it as it finished (see
            # _release), and the next round locks a new one.
            got = _try_lock(fd) and is_open_as(fd, lock)
        except BaseException:
            os.close(fd)
            raise
        if got:
            _note_holder(fd)
            return fd
        os.close(fd)
        if time.monotonic() >= deadline:
            pid = _holder_pid(lock)
            who = f" (process {pid})" if pid else ""
            raise WriteRefusedError(f"{shown} is being written by another sroi-excel{who}; "
                                    "run again when it is done")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _open_lock(lock: Path, shown: str) -> int | None:
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            # Another user's lock file in a shared folder: a lock needs no write access.
            with contextlib.suppress(OSError):
                return os.open(lock, os.O_RDONLY | NOFOLLOW)
        if exc.errno in _CANNOT_CREATE:
            return None
        raise WriteRefusedError(f"could not lock {shown} (with {lock}): "
                                f"{(exc.strerror or str(exc)).lower()}") from exc


def _try_lock(fd: int) -> bool:
    if msvcrt is not None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno not in NO_LOCKS:
            raise
    return True


def is_open_as(fd: int, path: Path) -> bool:
    """Whether the file open as ``fd`` is the one named ``path`` now."""
    try:
        there = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)


def _note_holder(fd: int) -> None:
    # For the message of whoever waits; only into a plain file of our own (no symlink games).
    with contextlib.suppress(OSError):
        st = os.fstat(fd)
        if (stat.S_ISREG(st.st_mode) and st.st_nlink == 1
                and (not hasattr(os, "geteuid") or st.st_uid == os.geteuid())):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())


def _holder_pid(lock: Path) -> int | None:
    try:
        with open(lock, "rb") as f:
            text = f.read(32)
        return int(text.decode("ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _release(lock: Path, fd: int) -> None:
    try:
        if msvcrt is None:
            # Removed while still held: a process waiting on this file finds it gone once it
            # gets the lock, and makes a new one (see _acquire).
            with contextlib.suppress(OSError):
                if is_open_as(fd, lock):
                    os.unlink(lock)
        else:
            with contextlib.suppress(OSError):
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    finally:
        os.close(fd)
    if msvcrt is not None:
        # Windows removes no file another process holds open, which is what keeps this safe.
        with contextlib.suppress(OSError):
            os.unlink(lock)


# --- other programs' locks on the workbook itself ------------------------------------------


def hold(real: Path, shown: str) -> int | None:
    """Open ``real`` and take ``flock`` and ``lockf`` on it, so that programs honouring those
    locks keep off while it is replaced (closing the file releases them). Raises
    :class:`WriteRefusedError` when another program holds one. None where there is nothing to
    hold: no such file, or not POSIX (Windows cannot rename a file we hold open)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(real, os.O_RDWR | NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError:
        try:  # lockf takes a shared lock then, which still finds a writer's lock
            fd = os.open(real, os.O_RDONLY | NOFOLLOW)
        except OSError:
            return None  # the checks before writing and the write itself say why
    try:
        kind = _lock_out(fd)
    except BaseException:
        os.close(fd)
        raise
    if kind is not None:
        os.close(fd)
        holder = _lock_holder(real)
        who = f" ({holder})" if holder else ""
        raise WriteRefusedError(
            f"{shown} is locked by another program{who}, which holds a {kind} lock on it; "
            "wait until that program is done or close it, then run again")
    return fd


def _lock_out(fd: int) -> str | None:
    """Take flock and lockf on ``fd`` without waiting; the kind another program holds, or
    None. The two are separate locks on Linux, and programs use either."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "flock"
    except OSError as exc:
        if exc.errno not in NO_LOCKS:
            raise
    writable = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY
    try:
        fcntl.lockf(fd, (fcntl.LOCK_EX if writable else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return "lockf"
        if exc.errno not in NO_LOCKS:
            raise
    return None


def _lock_holder(real: Path) -> str | None:
    """Which program holds a lock on ``real`` ("python3, process 4242"), where Linux's
    /proc/locks tells; None elsewhere, and the message says only the kind of lock."""
    try:
        st = os.stat(real)
        with open(PROC_LOCKS, encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    pid = _locking_pid(lines, st)
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            name = f.read().strip()
    except OSError:
        name = ""
    return f"{name}, process {pid}" if name else f"process {pid}"


def _locking_pid(lines: list[str], st: os.stat_result) -> str | None:
    """The process holding a lock on the file ``st`` among /proc/locks' ``lines``."""
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    found: dict[bool, list[str]] = {True: [], False: []}  # exact device; inode only (overlays)
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or "->" in fields:  # "->": a lock still waited for
            continue
        where, pid = fields[5], fields[4]
        if pid == str(os.getpid()) or where.rsplit(":", 1)[-1] != str(st.st_ino):
            continue
        found[where == device].append(pid)
    pids = found[True] or found[False]
    # Open-file-description locks belong to no process ("-1").
    return pids[0] if pids and pids[0].isdigit() else None


# --- Excel's and LibreOffice's owner files -------------------------------------------------


def lock_file(path: str | os.PathLike[str]) -> Path | None:
    """Return the Excel or LibreOffice lock file that says ``path`` is open, if there is one."""
    p = Path(path)
    # Excel: "~$" and the whole name, however long (see the module's notes).
    for candidate in (p.with_name(f"~${p.name}"), p.with_name(f".~lock.{p.name}#")):
        if os.path.lexists(candidate):
            return candidate
    return None


def office_lock_message(shown: str, lock: Path) -> str:
    """Why ``shown`` is not written while the owner file ``lock`` is there, and what to do."""
    program = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
    owner = _lock_owner(lock, program)
    by = f" by {owner}" if owner else ""
    try:
        age = f", made {_age(time.time() - os.lstat(lock).st_mtime)} ago"
    except OSError:
        age = ""
    return (f"{shown} is open in {program}{by} (lock file {lock}{age}); close it there and run "
            f"again. If {program} is not running any more (after a crash, say), the lock file "
            f"was left behind: delete the lock file ({_delete_hint(lock)}) and run again")


def _lock_owner(lock: Path, program: str) -> str | None:
    try:
        with open(lock, "rb") as f:
            data = f.read(512)
    except OSError:
        return None
    owner = _libreoffice_owner(data) if program == "LibreOffice" else _excel_owner(data)
    if owner is None:
        return None
    # What another program wrote goes into our message: printable characters only.
    owner = "".join(c for c in owner if c.isprintable()).strip()[:80]
    return owner or None


def _excel_owner(data: bytes) -> str | None:
    # The layout LibreOffice reads (MSODocumentLockFile::GetLockData): Word puts the UTF-16
    # length at byte 54, Excel and PowerPoint at 55, after spaces.
    if len(data) < 162 or not 0 < data[0] <= 52:
        return None
    at = 54
    if data[at] == 0x20 and (data[53] != 0 or data[52] != 0):
        at = 55
    length = data[at]
    if 0 < length <= 52:
        return data[at + 2:at + 2 + 2 * length].decode("utf-16-le", "replace")
    return data[1:1 + data[0]].decode("cp1252", "replace")


def _libreoffice_owner(data: bytes) -> str | None:
    fields = data.decode("utf-8", "replace").split(",")
    if len(fields) < 3:
        return None
    user = fields[0] or fields[1]
    return f"{user} on {fields[2]}" if user and fields[2] else user or None


def _age(seconds: float) -> str:
    minutes = int(max(seconds, 0) // 60)
    if minutes < 120:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def _delete_hint(lock: Path) -> str:
    if os.name == "nt":
        return f'del /a:h "{lock}"'  # Excel's owner file is hidden
    return f"rm {shlex.quote(os.fspath(lock))}"
