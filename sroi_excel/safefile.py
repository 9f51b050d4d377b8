"""Read the user's workbook once and write it back without ever losing data.

``sroi-excel fill analysis.xlsx`` rewrites the workbook in place, so the write path promises:

* **Refuse early.** :func:`check_writable` runs before any computing and refuses when the
  workbook is open in Excel or LibreOffice (their lock file is next to it), is marked read-only,
  cannot be opened for writing (immutable, locked by another program), sits in a folder we may
  not write in, or changed on disk since :func:`read_snapshot` read it.
* **Atomic replace.** :func:`write_atomic` writes the new bytes to a temp file in the *same*
  folder (``.NAME.sroi-tmp-XXXX``), fsyncs it, and only then ``os.replace``-s it over the
  target. A crash or ``SIGKILL`` at any moment therefore leaves either the complete old file or
  the complete new one, never a mixture.
* **Previous version kept.** Just before the replace the current file becomes ``NAME.bak``
  (a hard link when the file system allows one, else a full copy); an older backup is replaced.
* **Errors change nothing.** Any failure (disk full, file-size limit, Ctrl-C, ...) removes the
  temp file and raises :class:`WriteRefusedError` with a plain sentence; the workbook is
  byte-identical to before.

Known limits, on purpose:

* A ``SIGKILL`` or power cut in the middle of a write can leave a stray ``.NAME.sroi-tmp-*``
  file. It is harmless (never the workbook itself) and the next write to the same name removes
  such files once they are older than an hour. Younger ones may belong to a write in progress.
* Read-only is judged from the permission *bits*, not ``os.access``: root may write anything,
  yet a user who ran ``chmod a-w`` (or ticked "read-only") expects the file to stay untouched
  even under ``sudo``. For root any write bit counts; otherwise the bit of our class (owner,
  group, others). ACLs that grant more than the bits show are not consulted.
* There is no compare-and-swap for files: the "changed on disk" check runs immediately before
  ``os.replace``, which leaves a window of microseconds in which another program could still
  save. Excel itself saves via rename too, so its lock file is the real guard.
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
from dataclasses import dataclass, field
from pathlib import Path

from sroi_excel.exceptions import FileMissingError, SroiError, WriteRefusedError

__all__ = [
    "FileUnreadableError",
    "Snapshot",
    "check_writable",
    "ignore_file_size_signal",
    "lock_file",
    "read_snapshot",
    "write_atomic",
]

_TMP_MARK = ".sroi-tmp-"
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
    )


def lock_file(path: str | os.PathLike[str]) -> Path | None:
    """Return the Excel or LibreOffice lock file that says ``path`` is open, if there is one."""
    p = Path(path)
    name = p.name
    candidates = [p.with_name(f"~${name}")]
    # Excel drops the first two characters of longer names (~$alysis.xlsx); both spellings
    # occur in the wild, so look for both rather than guess Excel's exact length rule.
    if len(Path(name).stem) > 2:
        candidates.append(p.with_name(f"~${name[2:]}"))
    candidates.append(p.with_name(f".~lock.{name}#"))
    for candidate in candidates:
        if os.path.lexists(candidate):
            return candidate
    return None


def check_writable(target: str | os.PathLike[str], *, source: Snapshot | None = None) -> None:
    """Raise :class:`WriteRefusedError` if writing ``target`` now could lose someone's work.

    Call it before computing, so the user learns about a locked file in a second, not after a
    long run. :func:`write_atomic` calls it again itself.
    """
    shown = os.fspath(target)
    real = Path(os.path.realpath(target))

    for candidate in dict.fromkeys([Path(target), real]):
        lock = lock_file(candidate)
        if lock is not None:
            program = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
            raise WriteRefusedError(
                f"{shown} is open in {program} (lock file {lock.name}); close it and run again"
            )

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

    if not _mode_allows_write(folder_st, is_folder=True):
        raise WriteRefusedError(
            f"cannot write {shown}: the folder {folder} is read-only; "
            "make it writable or choose another output file"
        )
    _probe_folder(real, shown)

    _refuse_if_changed(real, shown, source)


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
    check_writable(target, source=source)
    _remove_stale_temps(real)

    existed = os.path.lexists(real)
    tmp: Path | None = None
    backup_path: Path | None = None
    try:
        old = _stat_or_none(real)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{real.name}{_TMP_MARK}")
        tmp = Path(tmp_name)
        try:
            _write_all(fd, data)
            _copy_owner_and_mode(fd, tmp, old)
            # Before the rename, or a crash could publish a name that points at missing blocks.
            os.fsync(fd)
        finally:
            os.close(fd)

        # Anything that happened while we wrote must win over our copy.
        _refuse_if_changed(real, shown, source)

        if backup and _stat_or_none(real) is not None:
            backup_path = _keep_backup(real)
        os.replace(tmp, real)
        tmp = None
    except BaseException as exc:
        if tmp is not None:
            _unlink_quietly(tmp)
        if isinstance(exc, WriteRefusedError):
            raise
        if isinstance(exc, Exception | KeyboardInterrupt):
            outcome = "the workbook was not changed" if existed else "nothing was written"
            raise WriteRefusedError(f"could not write {shown}: {_reason(exc)}; {outcome}") from exc
        raise
    # The rename is only durable once the folder's entry is on disk.
    _fsync_folder(folder)
    return backup_path


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


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
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


def _keep_backup(real: Path) -> Path:
    backup = real.with_name(real.name + ".bak")
    staged = _link_or_copy(real)
    try:
        # Via a staged name so an older backup is replaced in one step, never half-written.
        os.replace(staged, backup)
    except BaseException:
        _unlink_quietly(staged)
        raise
    _fsync_folder(real.parent)
    return backup


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
        # startswith, not glob: workbook names may contain [ ] * ?
        if not entry.name.startswith(prefix):
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
