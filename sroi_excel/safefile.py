"""Read the user's workbook once and write it back without ever losing anyone's work.

``sroi-excel fill analysis.xlsx`` rewrites the workbook in place, in a folder that colleagues,
sync clients and scripts may share, so the write path promises:

* **One writer at a time.** :func:`exclusive` holds an operating-system lock on
  ``.NAME.sroi-tmp-lock`` next to the workbook, and ``fill`` holds it from reading the workbook
  to writing it: a second fill of the same file waits (up to ``LOCK_WAIT_S``) and then reads
  what the first one wrote. The lock is ``fcntl.flock`` on POSIX and ``msvcrt.locking`` on
  Windows, chosen at import; the operating system drops it when the process ends, however it
  ends, so a crash leaves no lock behind (at most the empty file, which the next fill
  removes).
* **Refuse early.** :func:`check_writable` runs before any computing and refuses when the
  workbook is open in Excel or LibreOffice (their lock file is next to it; the message says
  whose it is, how old, and how to remove one left by a crash), is locked by another program
  (``flock`` or ``lockf``/``fcntl``, see below), is marked read-only, cannot be opened for
  writing, sits in a folder we may not write in (or a sticky shared folder such as ``/tmp``
  where the file belongs to someone else), has a read-only ``NAME.bak``, or changed on disk
  since :func:`read_snapshot` read it.
* **Atomic replace, and nobody's save overwritten.** :func:`write_atomic` writes the new bytes
  to a temp file in the *same* folder (``.NAME.sroi-tmp-XXXX``) and fsyncs it. It then opens
  the workbook, takes ``flock`` and ``lockf`` on it (so programs that honour those locks wait),
  checks that it is still the version that was read, and swaps the two names in one step
  (``renameat2(RENAME_EXCHANGE)`` on Linux). What comes out of the swap is checked again: if
  another program saved in the instant between the check and the swap, its file is swapped
  back and nothing is written. A crash or ``SIGKILL`` at any moment leaves either the complete
  old file or the complete new one under the name, never a mixture and never no file.
* **Previous version kept.** The old file becomes ``NAME.bak`` (a rename; an older backup is
  replaced).
* **Errors change nothing.** Any failure (disk full, file-size limit, Ctrl-C, ...) removes the
  temp file and raises :class:`WriteRefusedError` with a plain sentence; the workbook is
  byte-identical to before.

Known limits, on purpose:

* Where the swap is not available (not Linux, or a file system without it, such as FAT or
  some network shares), the check runs immediately before ``os.replace``, which leaves a
  window of microseconds in which a program that takes no lock could still save. Excel saves
  via rename and writes its owner file (``~$NAME``), which is checked too.
* Other programs' locks: on POSIX, ``flock`` and ``lockf``/``fcntl`` record locks (also
  open-file-description locks) held on the workbook refuse the write; on Linux the message
  names the program from ``/proc/locks``. Windows has no advisory locks to ask: a program
  holding the file open without sharing makes the rename fail, which is reported. A program
  that writes into the file in place without any lock, while fill swaps it, writes into the
  version that becomes ``NAME.bak``.
* Hard links are not written through: the new file replaces this name only, and other names of
  the same file keep the previous version (:func:`hard_link_warning` says which).
* A ``SIGKILL`` or power cut in the middle of a write can leave a stray ``.NAME.sroi-tmp-*``
  file. It is harmless (never the workbook itself) and the next write to the same name removes
  such files once they are older than an hour. Younger ones may belong to a write in progress.
* Read-only is judged from the permission *bits*, not ``os.access``: root may write anything,
  yet a user who ran ``chmod a-w`` (or ticked "read-only") expects the file to stay untouched
  even under ``sudo``. For root any write bit counts; otherwise the bit of our class (owner,
  group, others). ACLs that grant more than the bits show are not consulted.
* Symbolic links are followed: the real file is replaced and the link kept. Extended
  attributes and ACLs of the old file are not copied to the new one; permission bits are, and
  owner and group are when we are allowed to set them.

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
import hashlib
import os
import secrets
import shlex
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sroi_excel.exceptions import FileMissingError, SroiError, WriteRefusedError

if os.name == "nt":
    import msvcrt

    fcntl = None
else:
    import fcntl

    msvcrt = None

__all__ = [
    "LOCK_WAIT_S",
    "FileUnreadableError",
    "Snapshot",
    "check_writable",
    "exclusive",
    "hard_link_warning",
    "ignore_file_size_signal",
    "lock_file",
    "lock_path",
    "read_snapshot",
    "write_atomic",
]

_TMP_MARK = ".sroi-tmp-"
_LOCK_MARK = _TMP_MARK + "lock"  # a temp name: a kill may leave it, and the next fill removes it
_STALE_AFTER_S = 3600
_CHUNK = 1 << 20
_MAX_READ = 512 << 20  # opc refuses packages that unpack to more than 500 MB anyway
LOCK_WAIT_S = 120.0  # how long a fill waits for another one writing the same workbook

_REASONS: dict[int, str] = {
    errno.ENOSPC: "the disk is full",
    errno.EFBIG: "the file would be larger than this system allows",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operating system did not allow it",
    errno.EIO: "the disk reported a read/write error",
    errno.EBUSY: "the file is in use by another program",
    errno.ENAMETOOLONG: "the file name is too long",
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = "the disk quota is used up"


class FileUnreadableError(SroiError, OSError):
    """The workbook is there but cannot be read: exit code 3, like any file we cannot read."""

    exit_code = 3


@dataclass(frozen=True)
class Snapshot:
    """The workbook's bytes as read, plus what identifies that version on disk."""

    path: Path
    data: bytes = field(repr=False)  # a multi-megabyte repr helps nobody in a traceback
    sha256: str
    size: int
    mtime_ns: int
    dev: int = 0
    ino: int = 0
    links: int = 1  # names the file has on disk (hard links)


def read_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read the whole file once; parse ``data`` so the bytes checked later are the bytes used."""
    shown = os.fspath(path)
    try:
        # A FIFO or a device such as /dev/zero would block or never end; refuse it unopened.
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            raise FileUnreadableError(f"{shown} is not a regular file; give the path of an "
                                      ".xlsx workbook")
        with open(path, "rb") as f:
            # Taken before reading: if someone saves while we read, this mtime (or the hash)
            # will not match later and the write is refused, which is the safe outcome.
            st = os.fstat(f.fileno())
            # Bounded, so a video picked by mistake is refused without filling the memory.
            too_large = FileUnreadableError(
                f"{shown} is larger than {_MAX_READ >> 20} MB, more than any workbook this "
                "tool reads; check that this is the right file")
            if st.st_size > _MAX_READ:
                raise too_large
            # Exactly the size (read(n) reserves n bytes up front), then one byte more to
            # notice a file that is still growing.
            data = f.read(st.st_size)
            if f.read(1):
                raise FileUnreadableError(f"{shown} changed while it was being read (is "
                                          "another program still saving it?); run again")
    except FileUnreadableError:
        raise
    except FileNotFoundError:
        raise FileMissingError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise FileMissingError(f"{shown} is a folder, not a workbook file") from None
    except PermissionError:
        raise FileUnreadableError(f"cannot read {shown}: permission denied") from None
    except OSError as exc:
        raise FileUnreadableError(f"could not read {shown}: {_reason(exc)}") from exc
    return Snapshot(
        path=Path(os.path.abspath(path)),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mtime_ns=st.st_mtime_ns,
        dev=st.st_dev,
        ino=st.st_ino,
        links=st.st_nlink,
    )


# --- one writer at a time ------------------------------------------------------------------


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The file next to the (real) workbook that :func:`exclusive` locks."""
    real = Path(os.path.realpath(path))
    return real.with_name(f".{real.name}{_LOCK_MARK}")


_held = threading.local()


@contextlib.contextmanager
def exclusive(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold sroi-excel's lock on the workbook ``path`` for the ``with`` block.

    Another process or thread asking for the same workbook's lock waits up to
    ``LOCK_WAIT_S`` seconds, then gets :class:`WriteRefusedError`. Re-entrant within a thread
    (``fill`` holds it and :func:`write_atomic` takes it again). Where no file can be made next
    to the workbook (a read-only or missing folder), nothing can be written there either: the
    block runs without the lock, and the write is refused with the reason.
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


_NOFOLLOW = (getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_BINARY", 0))
# Errors for which there is no file to lock because nothing can be made in that folder.
_CANNOT_CREATE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR,
                  errno.ENOSPC, errno.ENAMETOOLONG, getattr(errno, "EDQUOT", errno.ENOSPC)}
# A file system that offers no locks at all (some network and FUSE mounts): go on unlocked.
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
             errno.ENOSYS, errno.EINVAL}


def _acquire(lock: Path, shown: str) -> int | None:
    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.002
    fd = None
    try:
        while True:
            if fd is None:
                fd = _open_lock(lock, shown)
                if fd is None:
                    return None
            if _try_lock(fd):
                if _is_open_as(fd, lock):
                    _note_holder(fd)
                    got, fd = fd, None
                    return got
                # The holder removed the file as it finished (see _release): lock a new one.
                os.close(fd)
                fd = None
                continue
            if time.monotonic() >= deadline:
                pid = _holder_pid(lock)
                who = f" (process {pid})" if pid else ""
                raise WriteRefusedError(f"{shown} is being written by another sroi-excel{who}; "
                                        "run again when it is done")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    finally:
        if fd is not None:
            os.close(fd)


def _open_lock(lock: Path, shown: str) -> int | None:
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            # Another user's lock file in a shared folder: a lock needs no write access.
            with contextlib.suppress(OSError):
                return os.open(lock, os.O_RDONLY | _NOFOLLOW)
        if exc.errno in _CANNOT_CREATE:
            return None
        raise WriteRefusedError(f"could not lock {shown} (with {lock}): {_reason(exc)}") from exc


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
        if exc.errno not in _NO_LOCKS:
            raise
    return True


def _is_open_as(fd: int, path: Path) -> bool:
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
                if _is_open_as(fd, lock):
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


# --- Excel's and LibreOffice's lock files --------------------------------------------------


def lock_file(path: str | os.PathLike[str]) -> Path | None:
    """Return the Excel or LibreOffice lock file that says ``path`` is open, if there is one."""
    p = Path(path)
    # Excel: "~$" and the whole name, however long (see the module's notes).
    for candidate in (p.with_name(f"~${p.name}"), p.with_name(f".~lock.{p.name}#")):
        if os.path.lexists(candidate):
            return candidate
    return None


def _office_lock_message(shown: str, lock: Path) -> str:
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


# --- other programs' locks on the workbook itself ------------------------------------------


def _hold(real: Path, shown: str) -> int | None:
    """Open ``real`` and take ``flock`` and ``lockf`` on it, so that programs honouring those
    locks keep off while it is replaced (closing the file releases them). Raises
    :class:`WriteRefusedError` when another program holds one. None where there is nothing to
    hold: no such file, or not POSIX (Windows cannot rename a file we hold open)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(real, os.O_RDWR | _NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError:
        try:  # lockf takes a shared lock then, which still finds a writer's lock
            fd = os.open(real, os.O_RDONLY | _NOFOLLOW)
        except OSError:
            return None  # _probe_open_for_writing and the write itself say why
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
        if exc.errno not in _NO_LOCKS:
            raise
    writable = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY
    try:
        fcntl.lockf(fd, (fcntl.LOCK_EX if writable else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return "lockf"
        if exc.errno not in _NO_LOCKS:
            raise
    return None


def _lock_holder(real: Path) -> str | None:
    """Which program holds a lock on ``real``, from Linux's /proc/locks ("python3, process
    4242"); None where that cannot be told."""
    try:
        st = os.stat(real)
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    found = {True: [], False: []}  # exact device and inode; inode only (overlay file systems)
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or "->" in fields:  # "->": a lock still waited for
            continue
        where, pid = fields[5], fields[4]
        if pid == str(os.getpid()) or where.rsplit(":", 1)[-1] != str(st.st_ino):
            continue
        found[where == device].append(pid)
    pids = found[True] or found[False]
    if not pids:
        return None
    if not pids[0].isdigit():  # open-file-description locks belong to no process
        return None
    try:
        with open(f"/proc/{pids[0]}/comm", encoding="utf-8", errors="replace") as f:
            name = f.read().strip()
    except OSError:
        name = ""
    return f"{name}, process {pids[0]}" if name else f"process {pids[0]}"


# --- checks before writing -----------------------------------------------------------------


def check_writable(target: str | os.PathLike[str], *, source: Snapshot | None = None,
                   backup: bool = True) -> None:
    """Raise :class:`WriteRefusedError` if writing ``target`` now could lose someone's work.

    Call it before computing, so the user learns about a locked file in a second, not after a
    long run. :func:`write_atomic` calls it again itself. ``backup``: the previous version is
    to be kept as ``NAME.bak``, so that file must be replaceable too.
    """
    shown = os.fspath(target)
    real = Path(os.path.realpath(target))

    for candidate in dict.fromkeys([Path(target), real]):
        lock = lock_file(candidate)
        if lock is not None:
            raise WriteRefusedError(_office_lock_message(shown, lock))

    folder = real.parent
    try:
        folder_st = os.stat(folder)
    except FileNotFoundError:
        raise WriteRefusedError(
            f"cannot write {shown}: the folder {folder} does not exist; "
            "create it or choose another output file"
        ) from None
    if not stat.S_ISDIR(folder_st.st_mode):
        raise WriteRefusedError(f"cannot write {shown}: {folder} is not a folder")

    st = _stat_or_none(real)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise WriteRefusedError(
                f"cannot write {shown}: it is a folder; choose a file name ending in .xlsx"
            )
        if not stat.S_ISREG(st.st_mode):
            raise WriteRefusedError(f"cannot write {shown}: it is not a regular file")
        if not _mode_allows_write(st, is_folder=False):
            raise WriteRefusedError(
                f"{shown} is read-only; make it writable or choose another output file, "
                "then run again"
            )
        _probe_open_for_writing(real, shown)
        held = _hold(real, shown)
        if held is not None:
            os.close(held)
        _refuse_if_sticky(real, st, folder_st, shown)
    if backup:
        _check_backup(real, folder_st, shown)

    if not _mode_allows_write(folder_st, is_folder=True):
        raise WriteRefusedError(
            f"cannot write {shown}: the folder {folder} is read-only; "
            "make it writable or choose another output file"
        )
    _probe_folder(real, shown)

    _refuse_if_changed(real, shown, source)


def _refuse_if_sticky(path: Path, st: os.stat_result, folder_st: os.stat_result,
                      shown: str) -> None:
    # In a folder with the sticky bit (/tmp, many shared folders) only a file's owner, the
    # folder's owner and root may rename or replace it; the bits of the file do not matter.
    if not folder_st.st_mode & stat.S_ISVTX or not hasattr(os, "geteuid"):
        return
    me = os.geteuid()
    if me == 0 or me in (st.st_uid, folder_st.st_uid):
        return
    owner = _user_name(st.st_uid)
    raise WriteRefusedError(
        f"cannot write {shown}: the folder {path.parent} is shared with the sticky bit (as "
        f"/tmp is), where only the owner of a file may replace it, and {path.name} belongs to "
        f"{owner}; copy the workbook to a folder of your own and fill it there, or ask {owner} "
        "to run fill")


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"user {uid}"


def _check_backup(real: Path, folder_st: os.stat_result, shown: str) -> None:
    backup = _backup_of(real)
    try:
        st = os.lstat(backup)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise WriteRefusedError(
            f"{backup} is a folder, so the previous version of {shown} cannot be kept there; "
            "move it, or run fill with --no-backup")
    if stat.S_ISREG(st.st_mode) and not _mode_allows_write(st, is_folder=False):
        raise WriteRefusedError(
            f"{backup} is read-only (a copy kept on purpose?), and fill would replace it with "
            f"the previous version of {shown}; make it writable or move it elsewhere, or run "
            "fill with --no-backup")
    _refuse_if_sticky(backup, st, folder_st, shown)


def hard_link_warning(snapshot: Snapshot, shown: str) -> str | None:
    """What to say when the workbook that was read has other names (hard links): the new
    file takes this name only, so the others keep the old content."""
    if snapshot.links < 2:
        return None
    names = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(snapshot.path.parent):
            if entry.name != snapshot.path.name and entry.inode() == snapshot.ino:
                st = entry.stat(follow_symlinks=False)
                if st.st_dev == snapshot.dev and stat.S_ISREG(st.st_mode):
                    names.append(os.path.join(os.path.dirname(shown), entry.name))
    others = snapshot.links - 1
    text = (f"{shown} has {snapshot.links} names (hard links) on this disk; fill wrote a new "
            f"file under this name only, so the other name{'s keep' if others > 1 else ' keeps'}"
            " the previous version")
    if names:
        text += ": " + ", ".join(sorted(names))
    if others > len(names):
        text += f"{' and' if names else ':'} {others - len(names)} in other folders"
    return text


# --- the write -----------------------------------------------------------------------------


@dataclass
class _Swap:
    new: Path | None  # our temp file, until the workbook's name is on it
    done: bool = False  # the workbook is the new file


def write_atomic(
    target: str | os.PathLike[str],
    data: bytes,
    *,
    source: Snapshot | None = None,
    backup: bool = True,
) -> Path | None:
    """Replace ``target`` with ``data`` atomically; return the backup's path, or None.

    ``source`` is the snapshot the new bytes were computed from: if ``target`` is that file and
    it changed on disk since, nothing is written. Any failure raises :class:`WriteRefusedError`
    and leaves ``target`` byte-identical to before.
    """
    shown = os.fspath(target)
    real = Path(os.path.realpath(target))
    folder = real.parent
    read = source if source is not None and _same_file(source.path, real) else None
    with exclusive(target):
        # The version is checked where it is replaced, once the new file is ready.
        check_writable(target, backup=backup)
        _remove_stale_temps(real)
        existed = os.path.lexists(real)
        swap = _Swap(None)
        try:
            swap.new = _write_temp(real, data)
            kept = _replace(swap, real, shown, read, backup)
        except BaseException as exc:
            if swap.new is not None:
                _unlink_quietly(swap.new)
            if isinstance(exc, WriteRefusedError) or swap.done:
                raise
            if isinstance(exc, Exception | KeyboardInterrupt):
                outcome = "the workbook was not changed" if existed else "nothing was written"
                raise WriteRefusedError(
                    f"could not write {shown}: {_reason(exc)}; {outcome}") from exc
            raise
        # The rename is only durable once the folder's entry is on disk.
        _fsync_folder(folder)
    return kept


def _write_temp(real: Path, data: bytes) -> Path:
    old = _stat_or_none(real)
    fd, name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}{_TMP_MARK}")
    tmp = Path(name)
    try:
        try:
            _write_all(fd, data)
            _copy_owner_and_mode(fd, tmp, old)
            # Before the rename, or a crash could publish a name that points at missing blocks.
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _replace(swap: _Swap, real: Path, shown: str, read: Snapshot | None,
             backup: bool) -> Path | None:
    """Give ``swap.new`` the workbook's name; the backup's path, or None."""
    held = _hold(real, shown)
    try:
        expected = _check_version(real, held, shown, read) if read is not None else None
        if held is None and not os.path.lexists(real):
            if read is not None:
                raise WriteRefusedError(f"{shown} was moved or deleted since it was read; "
                                        "run fill again")
            _publish_new(swap, real, shown)
            return None
        with _ctrl_c_waits():
            return _keep(_publish(swap, real, shown, expected, held, backup), real, shown,
                         backup)
    finally:
        if held is not None:
            os.close(held)


def _keep(old: Path | None, real: Path, shown: str, backup: bool) -> Path | None:
    """The replaced version (at ``old``) becomes the backup, or goes."""
    if old is None:
        return None
    if not backup:
        _unlink_quietly(old)
        return None
    target = _backup_of(real)
    try:
        os.replace(old, target)
    except OSError as exc:
        raise WriteRefusedError(
            f"wrote {shown}, but could not keep the previous version as {target} "
            f"({_reason(exc)}); it is in {old}") from exc
    return target


def _check_version(real: Path, held: int | None, shown: str, read: Snapshot) -> os.stat_result:
    """The workbook's state if it is still the version that was read; else refuse."""
    st = os.fstat(held) if held is not None else _stat_or_none(real)
    if st is None:
        raise WriteRefusedError(f"{shown} was moved or deleted since it was read; run fill again")
    # Size and mtime are cheap but can lie (coarse timestamps, tools that restore mtime),
    # so the content hash is compared as well; through the held file, so it is that version.
    if (st.st_size, st.st_mtime_ns) != (read.size, read.mtime_ns) or _sha256_of(
            real, held) != read.sha256:
        raise WriteRefusedError(f"{shown} changed on disk since it was read; run fill again")
    return st


def _is_version(path: Path, expected: os.stat_result, held: int | None) -> bool:
    """Whether ``path`` is the file checked as ``expected``, untouched since."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    now = os.fstat(held) if held is not None else st
    return ((st.st_dev, st.st_ino) == (expected.st_dev, expected.st_ino)
            and (now.st_size, now.st_mtime_ns) == (expected.st_size, expected.st_mtime_ns))


def _publish(swap: _Swap, real: Path, shown: str, expected: os.stat_result | None,
             held: int | None, backup: bool) -> Path | None:
    """Put the new file under the workbook's name: swapped in one step where the system can
    (what comes out must be the version checked, else it goes back), else renamed right after
    a last check. Returns where the replaced version now is (None: gone, no backup wanted)."""
    changed = WriteRefusedError(f"{shown} changed on disk since it was read; run fill again")
    new = swap.new
    if _exchange is not None:
        ours = os.stat(new)
        try:
            _exchange(new, real)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                if expected is not None:
                    raise changed from None  # deleted just now: a program is saving it
                _publish_new(swap, real, shown)
                return None
            if exc.errno not in _NO_EXCHANGE:
                raise
        else:
            if expected is not None and not _is_version(new, expected, held):
                swap.new = None  # it holds their save now: never ours to remove
                _swap_back(new, real, ours)
                raise changed
            swap.new, swap.done = None, True
            return new
    if expected is not None and not _is_version(real, expected, held):
        raise changed
    staged = _link_or_copy(real) if backup else None
    try:
        # Copying the backup takes a while: the last check comes after it.
        if expected is not None and not _is_version(real, expected, held):
            raise changed
        os.replace(new, real)
    except BaseException:
        if staged is not None:
            _unlink_quietly(staged)
        raise
    swap.new, swap.done = None, True
    return staged


def _swap_back(new: Path, real: Path, ours: os.stat_result) -> None:
    """A save landed between the last check and the swap: give it its name back."""
    _exchange(new, real)
    st = os.stat(new, follow_symlinks=False)
    if (st.st_dev, st.st_ino) != (ours.st_dev, ours.st_ino):
        # Yet another save replaced ours meanwhile; it is the newer one: it keeps the name,
        # and the save it replaced goes, as it would have without us.
        _exchange(new, real)
    _unlink_quietly(new)


def _publish_new(swap: _Swap, real: Path, shown: str) -> None:
    """Give the new file a name nobody else has taken meanwhile."""
    new = swap.new
    try:
        os.link(new, real)  # fails rather than replaces when the name exists
    except FileExistsError:
        raise WriteRefusedError(f"{shown} was made by another program while fill wrote it; "
                                "run fill again") from None
    except OSError:  # no hard links here (FAT, some shares)
        if os.path.lexists(real):
            raise WriteRefusedError(f"{shown} was made by another program while fill wrote "
                                    "it; run fill again") from None
        os.replace(new, real)
        swap.new, swap.done = None, True
        return
    swap.done = True
    _unlink_quietly(new)
    swap.new = None


@contextlib.contextmanager
def _ctrl_c_waits() -> Iterator[None]:
    """Ctrl-C is taken once the block is done: a swap and its bookkeeping belong together."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _linux_exchange():
    """``renameat2(RENAME_EXCHANGE)``: swap two names in one step (Linux 3.15, glibc 2.28)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                     ctypes.c_uint]
    at_cwd, rename_exchange = -100, 2

    def exchange(a: Path, b: Path) -> None:
        if call(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), rename_exchange) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), os.fspath(a))

    return exchange


_exchange = _linux_exchange() if os.name == "posix" and os.uname().sysname == "Linux" else None
# The file system cannot swap names (FAT, some network shares): rename after a last check.
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV,
                getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


def ignore_file_size_signal() -> None:
    """Turn an exceeded file-size limit (``ulimit -f``) into an OSError instead of death.

    With the default action the kernel kills the process with SIGXFSZ, skipping every
    ``except`` and ``finally`` and so leaving a stray temp file; ignored, ``write`` fails with
    EFBIG and :func:`write_atomic` cleans up and reports it. CPython already ignores SIGXFSZ at
    start-up, but an embedding program or a library may have restored the default, so the CLI
    says so explicitly. Must be called from the main thread.
    """
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


# --- helpers ---------------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, OSError):
        if exc.errno in _REASONS:
            return _REASONS[exc.errno]
        return (exc.strerror or str(exc) or type(exc).__name__).lower()
    return f"unexpected error ({type(exc).__name__}: {exc})"


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _mode_allows_write(st: os.stat_result, *, is_folder: bool) -> bool:
    mode = st.st_mode
    if not hasattr(os, "geteuid"):  # Windows maps only the read-only attribute onto the bits
        return bool(mode & stat.S_IWRITE)
    euid = os.geteuid()
    if euid == 0:
        # Root passes every permission check, so honour any write bit as "not read-only".
        return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if st.st_uid == euid:
        w, x = stat.S_IWUSR, stat.S_IXUSR
    elif st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        w, x = stat.S_IWGRP, stat.S_IXGRP
    else:
        w, x = stat.S_IWOTH, stat.S_IXOTH
    # Creating and renaming entries in a folder needs its search (x) bit as well.
    return bool(mode & w) and (not is_folder or bool(mode & x))


def _probe_open_for_writing(real: Path, shown: str) -> None:
    # The bits can say "writable" while the file is immutable or append-only (chattr), or
    # locked by a program on Windows; only an actual open finds out. No O_APPEND, so an
    # append-only file is caught too; no O_TRUNC and no write, so the content is untouched.
    try:
        fd = os.open(real, os.O_WRONLY)
    except OSError as exc:
        raise WriteRefusedError(
            f"{shown} cannot be opened for writing ({_reason(exc)}); make sure no other "
            "program holds it and it is not locked or read-only, then run again"
        ) from exc
    os.close(fd)


def _probe_folder(real: Path, shown: str) -> None:
    # Catches what the bits do not show: a read-only mount, an immutable folder, no free inodes.
    try:
        fd, name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}{_TMP_MARK}probe-")
    except OSError as exc:
        raise WriteRefusedError(
            f"cannot write {shown}: the folder {real.parent} does not accept new files "
            f"({_reason(exc)}); choose another output file"
        ) from exc
    os.close(fd)
    _unlink_quietly(Path(name))


def _same_file(a: Path, b: Path) -> bool:
    if os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b)):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _refuse_if_changed(real: Path, shown: str, source: Snapshot | None) -> None:
    if source is None or not _same_file(source.path, real):
        return
    st = _stat_or_none(real)
    if st is None:
        raise WriteRefusedError(f"{shown} was moved or deleted since it was read; run fill again")
    # Size and mtime are cheap but can lie (coarse timestamps, tools that restore mtime),
    # so the content hash is compared as well.
    if (
        st.st_size != source.size
        or st.st_mtime_ns != source.mtime_ns
        or _sha256_of(real) != source.sha256
    ):
        raise WriteRefusedError(f"{shown} changed on disk since it was read; run fill again")


def _sha256_of(path: Path, fd: int | None = None) -> str:
    digest = hashlib.sha256()
    try:
        # Through ``fd`` when given (not closed here: that would drop our locks on the file).
        with (open(fd, "rb", closefd=False) if fd is not None else open(path, "rb")) as f:
            f.seek(0)
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return ""
    return digest.hexdigest()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:  # never for regular files, but an endless loop would be worse than an error
            raise OSError(errno.EIO, "write made no progress")
        view = view[n:]


def _current_umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    # Fallback is racy with other threads for an instant, hence only when /proc has no answer.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _copy_owner_and_mode(fd: int, path: Path, old: os.stat_result | None) -> None:
    # mkstemp creates 0600; the new workbook should look like the one it replaces, or like
    # any freshly created file when there was none.
    if old is None:
        _chmod(fd, path, 0o666 & ~_current_umask())
        return
    if hasattr(os, "fchown"):
        mine = os.fstat(fd)
        if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
            # Otherwise `sudo sroi-excel fill` would hand the user's workbook to root.
            # Not permitted for ordinary users; the content matters more than the group.
            with contextlib.suppress(OSError):
                os.fchown(fd, old.st_uid, old.st_gid)
    # After chown, which may clear set-id bits.
    _chmod(fd, path, stat.S_IMODE(old.st_mode))


def _chmod(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13; there only the read-only attribute exists anyway
        os.chmod(path, mode)


def _backup_of(real: Path) -> Path:
    return real.with_name(real.name + ".bak")


def _link_or_copy(real: Path) -> Path:
    prefix = f".{real.name}{_TMP_MARK}bak-"
    for _ in range(16):
        staged = real.with_name(prefix + secrets.token_hex(4))
        try:
            # A hard link costs no space and no time, and after the replace it is exactly
            # the old inode: content, mode, owner and mtime.
            os.link(real, staged)
        except FileExistsError:
            continue
        except (OSError, NotImplementedError):
            break  # FAT, some network shares, or forbidden: copy instead
        else:
            return staged

    fd, name = tempfile.mkstemp(dir=real.parent, prefix=prefix)
    staged = Path(name)
    try:
        with os.fdopen(fd, "wb") as dst, open(real, "rb") as src:
            shutil.copyfileobj(src, dst, _CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
        shutil.copystat(real, staged)
    except BaseException:
        _unlink_quietly(staged)
        raise
    return staged


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # folders cannot be opened there; NTFS journals the rename itself
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # Some file systems refuse fsync on folders (EINVAL). The rename has happened either
        # way; failing now would report "not changed" about a file that did change.
        pass
    finally:
        os.close(fd)


def _remove_stale_temps(real: Path) -> None:
    prefix = f".{real.name}{_TMP_MARK}"
    cutoff = time.time() - _STALE_AFTER_S
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return
    for entry in entries:
        # startswith, not glob: workbook names may contain [ ] * ?; the lock file may be held
        if not entry.name.startswith(prefix) or entry.name == f".{real.name}{_LOCK_MARK}":
            continue
        try:
            if (
                entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < cutoff
            ):
                os.unlink(entry.path)
        except OSError:
            pass


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
