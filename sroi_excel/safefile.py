"""Read the user's workbook once and write it back without ever losing anyone's work.

``sroi-excel fill analysis.xlsx`` rewrites the workbook in place, in a folder that colleagues,
sync clients and scripts may share. Together with :mod:`sroi_excel.locks` (fill's own lock,
other programs' locks, Excel's and LibreOffice's owner files) the write path promises:

* **Refuse early.** :func:`check_writable` runs before any computing and refuses when the
  workbook is open in Excel or LibreOffice, is locked by another program, is marked
  read-only, cannot be opened for writing, sits in a folder we may not write in (or a sticky
  shared folder such as ``/tmp`` where the file belongs to someone else), has a read-only
  ``NAME.bak``, or changed on disk since :func:`read_snapshot` read it.
* **Atomic replace, and nobody's save overwritten.** :func:`write_atomic` writes the new bytes
  to a temp file in the *same* folder (``.NAME.sroi-tmp-XXXX``) and fsyncs it. It then opens
  the workbook and takes ``flock`` and ``lockf`` on it (programs that honour those locks wait),
  checks that it is still the version that was read (size, time and content), makes the
  backup, checks again (the backup may take a while), and renames the new file over the
  workbook (``os.replace``, atomic on every platform). A crash or ``SIGKILL`` at any moment
  leaves either the complete old file or the complete new one under the name, never a
  mixture and never no file.
* **Previous version kept.** The old file becomes ``NAME.bak`` (a hard link made before the
  rename, or a copy where links are not possible; an older backup is replaced).
* **Errors change nothing.** Any failure (disk full, file-size limit, Ctrl-C, ...) removes the
  temp file and raises :class:`WriteRefusedError` with a plain sentence; the workbook is
  byte-identical to before.

This is one path on every platform, tested as it is. Known limits, on purpose:

* The one window left: a program that takes no lock and saves in the microseconds between the
  last check and the rename. A save by rename (as Excel's) is then replaced by ours and lost;
  a save written into the file in place ends up in ``NAME.bak``. Excel itself is caught
  earlier: while it has the workbook open, its owner file (``~$NAME``) makes fill refuse. In
  the stress test (tests/test_sharing.py: 100 pairs of fills while a program saves as Excel
  does, at random moments) no save is lost. Linux's ``renameat2(RENAME_EXCHANGE)`` could close
  the window (swap the two names in one step, check what came out, swap it back); that would
  be a path for one platform only, and the stress test loses nothing without it.
* Hard links are not written through: the new file replaces this name only, and other names of
  the same file keep the previous version (:func:`hard_link_warning` says which).
* A ``SIGKILL`` or power cut in the middle of a write can leave a stray ``.NAME.sroi-tmp-*``
  file. It is harmless (never the workbook itself) and the next write to the same name removes
  such files once they are older than an hour. Younger ones may belong to a write in progress.
  Where the system can hold Ctrl-C back (POSIX), it waits until the backup has its name too.
* Read-only is judged from the permission *bits*, not ``os.access``: root may write anything,
  yet a user who ran ``chmod a-w`` (or ticked "read-only") expects the file to stay untouched
  even under ``sudo``. For root any write bit counts; otherwise the bit of our class (owner,
  group, others). ACLs that grant more than the bits show are not consulted.
* Symbolic links are followed: the real file is replaced and the link kept. Extended
  attributes and ACLs of the old file are not copied to the new one; permission bits are, and
  owner and group are when we are allowed to set them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sroi_excel import locks
from sroi_excel.exceptions import FileMissingError, SroiError, WriteRefusedError

__all__ = [
    "FileUnreadableError",
    "Snapshot",
    "check_writable",
    "hard_link_warning",
    "ignore_file_size_signal",
    "read_snapshot",
    "write_atomic",
]

TMP_MARK = ".sroi-tmp-"
_STALE_AFTER_S = 3600
_CHUNK = 1 << 20
_MAX_READ = 512 << 20  # opc refuses packages that unpack to more than 500 MB anyway

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
        lock = locks.lock_file(candidate)
        if lock is not None:
            raise WriteRefusedError(locks.office_lock_message(shown, lock))

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
        held = locks.hold(real, shown)
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
    read = source if source is not None and _same_file(source.path, real) else None
    with locks.exclusive(target):
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
        _fsync_folder(real.parent)
    return kept


def _write_temp(real: Path, data: bytes) -> Path:
    old = _stat_or_none(real)
    # A new workbook gets the mode any new file gets (the system takes the umask off 0666); a
    # replacement starts private and takes the old file's mode once written.
    fd, tmp = _create_temp(real, 0o666 if old is None else 0o600)
    try:
        try:
            _write_all(fd, data)
            if old is not None:
                _copy_owner_and_mode(fd, tmp, old)
            # Before the rename, or a crash could publish a name that points at missing blocks.
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _create_temp(real: Path, mode: int) -> tuple[int, Path]:
    for _ in range(100):
        tmp = real.with_name(f".{real.name}{TMP_MARK}{secrets.token_hex(4)}")
        try:
            return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | locks.NOFOLLOW, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", os.fspath(real.parent))


def _replace(swap: _Swap, real: Path, shown: str, read: Snapshot | None,
             backup: bool) -> Path | None:
    """Give ``swap.new`` the workbook's name; the backup's path, or None."""
    held = locks.hold(real, shown)
    try:
        expected = _check_version(real, held, shown, read) if read is not None else None
        if held is None and not os.path.lexists(real):
            if read is not None:
                raise WriteRefusedError(f"{shown} was moved or deleted since it was read; "
                                        "run fill again")
            _publish_new(swap, real, shown)
            return None
        with _ctrl_c_waits():
            return _keep(_publish(swap, real, expected, held, shown, backup), real, shown,
                         backup)
    finally:
        if held is not None:
            os.close(held)


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


def _publish(swap: _Swap, real: Path, expected: os.stat_result | None, held: int | None,
             shown: str, backup: bool) -> Path | None:
    """Rename the new file over the workbook right after a last check that the workbook is
    the version checked. Returns where the replaced version now is (None: no backup)."""
    changed = WriteRefusedError(f"{shown} changed on disk since it was read; run fill again")
    if expected is not None and not _is_version(real, expected, held):
        raise changed
    # A hard link to the old file, before the rename, becomes the backup after it.
    staged = _link_or_copy(real) if backup else None
    try:
        # Copying the backup takes a while: the last check comes after it.
        if expected is not None and not _is_version(real, expected, held):
            raise changed
        os.replace(swap.new, real)
    except BaseException:
        if staged is not None:
            _unlink_quietly(staged)
        raise
    swap.new, swap.done = None, True
    return staged


def _publish_new(swap: _Swap, real: Path, shown: str) -> None:
    """Give the new file a name nobody else has taken meanwhile."""
    new = swap.new
    taken = WriteRefusedError(f"{shown} was made by another program while fill wrote it; run "
                              "fill again")
    try:
        os.link(new, real)  # fails rather than replaces when the name exists
    except FileExistsError:
        raise taken from None
    except OSError:  # no hard links here (FAT, some shares)
        if os.path.lexists(real):
            raise taken from None
        os.replace(new, real)
        swap.new, swap.done = None, True
        return
    swap.done = True
    _unlink_quietly(new)
    swap.new = None


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


@contextlib.contextmanager
def _ctrl_c_waits() -> Iterator[None]:
    """Ctrl-C is taken once the block is done: a rename and its backup belong together.
    Where signals cannot be held back (Windows), a Ctrl-C in between leaves the previous
    version under a temporary name, removed as stale an hour later."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


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
        fd, name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}{TMP_MARK}probe-")
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


def _copy_owner_and_mode(fd: int, path: Path, old: os.stat_result) -> None:
    # The new workbook should look like the one it replaces.
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
    prefix = f".{real.name}{TMP_MARK}bak-"
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
    prefix = f".{real.name}{TMP_MARK}"
    lock = locks.lock_path(real).name
    cutoff = time.time() - _STALE_AFTER_S
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return
    for entry in entries:
        # startswith, not glob: workbook names may contain [ ] * ?; the lock file may be held
        if not entry.name.startswith(prefix) or entry.name == lock:
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
