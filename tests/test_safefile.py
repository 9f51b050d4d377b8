"""The workbook is never lost: atomic writes, a kept backup, refusals that change nothing.

The tests run as root in CI. Root bypasses file permissions for real writes, which is why
safefile judges "read-only" from the mode bits; the chmod tests below rely on exactly that and
pass for ordinary users too.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sroi_excel import safefile
from sroi_excel.exceptions import FileMissingError, SroiError, WriteRefusedError
from sroi_excel.locks import lock_file
from sroi_excel.safefile import (
    Snapshot,
    check_writable,
    ignore_file_size_signal,
    read_snapshot,
    write_atomic,
)

REPO = Path(__file__).resolve().parents[1]
OLD = b"PK\x03\x04 old workbook bytes " * 100
NEW = b"PK\x03\x04 new workbook bytes, a little longer " * 100


@pytest.fixture
def wb(tmp_path: Path) -> Path:
    path = tmp_path / "analysis.xlsx"
    path.write_bytes(OLD)
    return path


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".sroi-tmp-" in p.name)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


# --- snapshot ------------------------------------------------------------------------------


def test_read_snapshot_records_what_identifies_the_version(wb: Path) -> None:
    snap = read_snapshot(wb)
    assert isinstance(snap, Snapshot)
    assert snap.data == OLD
    assert snap.size == len(OLD)
    assert snap.sha256 == hashlib.sha256(OLD).hexdigest()
    assert snap.mtime_ns == wb.stat().st_mtime_ns
    assert snap.path == wb
    assert "old workbook" not in repr(snap)


def test_read_snapshot_of_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileMissingError) as info:
        read_snapshot("analysis.xlsx")
    assert str(info.value) == "analysis.xlsx: no such file"
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, SroiError)
    assert info.value.exit_code == 3


# --- successful writes ---------------------------------------------------------------------


def test_write_replaces_content_and_keeps_backup(wb: Path) -> None:
    snap = read_snapshot(wb)
    backup = write_atomic(wb, NEW, source=snap)
    assert wb.read_bytes() == NEW
    assert backup == wb.with_name("analysis.xlsx.bak")
    assert backup.read_bytes() == OLD
    assert temps(wb.parent) == []


def test_second_write_replaces_older_backup(wb: Path) -> None:
    write_atomic(wb, NEW)
    write_atomic(wb, b"third version")
    assert wb.read_bytes() == b"third version"
    assert wb.with_name("analysis.xlsx.bak").read_bytes() == NEW


def test_backup_is_copied_when_hard_links_fail(wb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(safefile.os, "link", no_link)
    backup = write_atomic(wb, NEW)
    assert backup is not None and backup.read_bytes() == OLD
    assert wb.read_bytes() == NEW
    assert temps(wb.parent) == []


def test_backup_false_keeps_none(wb: Path) -> None:
    assert write_atomic(wb, NEW, backup=False) is None
    assert not wb.with_name("analysis.xlsx.bak").exists()


def test_permission_bits_are_kept(wb: Path) -> None:
    wb.chmod(0o640)
    write_atomic(wb, NEW)
    assert stat.S_IMODE(wb.stat().st_mode) == 0o640


def test_new_output_file_follows_umask_and_has_no_backup(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    old_mask = os.umask(0o027)
    try:
        assert write_atomic(out, NEW) is None
    finally:
        os.umask(old_mask)
    assert out.read_bytes() == NEW
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_other_output_path_ignores_changes_to_the_source(wb: Path) -> None:
    snap = read_snapshot(wb)
    wb.write_bytes(b"edited meanwhile")
    out = wb.with_name("out.xlsx")
    out.write_bytes(b"previous out")
    backup = write_atomic(out, NEW, source=snap)
    assert out.read_bytes() == NEW
    assert backup is not None and backup.read_bytes() == b"previous out"
    assert wb.read_bytes() == b"edited meanwhile"


def test_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.xlsx"
    real.write_bytes(OLD)
    link = tmp_path / "analysis.xlsx"
    link.symlink_to(real)
    backup = write_atomic(link, NEW, source=read_snapshot(link))
    assert link.is_symlink()
    assert real.read_bytes() == NEW
    assert backup == real.with_name("real.xlsx.bak")
    assert backup.read_bytes() == OLD


def test_stale_temp_files_are_removed_young_ones_kept(wb: Path) -> None:
    stale = wb.with_name(".analysis.xlsx.sroi-tmp-dead1")
    young = wb.with_name(".analysis.xlsx.sroi-tmp-busy2")
    stale.write_bytes(b"left by a killed run")
    young.write_bytes(b"maybe another run")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    write_atomic(wb, NEW)
    assert not stale.exists()
    assert young.exists()


# --- refusals before writing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lock_name", "program"),
    [
        ("~$analysis.xlsx", "Excel"),
        (".~lock.analysis.xlsx#", "LibreOffice"),
    ],
)
def test_refused_when_open_in_office(
    wb: Path, monkeypatch: pytest.MonkeyPatch, lock_name: str, program: str
) -> None:
    (wb.parent / lock_name).write_bytes(b"owner")
    monkeypatch.chdir(wb.parent)
    assert lock_file(wb) == wb.parent / lock_name
    expected = (
        f"analysis.xlsx is open in {program} (lock file {lock_name}, made 0 minutes ago); "
        f"close it there and run again. If {program} is not running any more (after a crash, "
        f"say), the lock file was left behind: delete the lock file (rm '{lock_name}') and run "
        "again"
    )
    with pytest.raises(WriteRefusedError) as info:
        check_writable(Path("analysis.xlsx"))
    assert str(info.value) == expected
    with pytest.raises(WriteRefusedError):
        write_atomic("analysis.xlsx", NEW)
    assert wb.read_bytes() == OLD
    assert temps(wb.parent) == []


def test_excel_never_shortens_the_name_of_its_owner_file(wb: Path) -> None:
    # Word writes ~$alysis.docx for analysis.docx; Excel writes ~$analysis.xlsx, whatever the
    # length (LibreOffice, svl/qa/unit/lockfiles/test_lockfiles.cxx, testExcelLockFileURL).
    (wb.parent / "~$alysis.xlsx").write_bytes(b"owner")
    assert lock_file(wb) is None
    check_writable(wb)


def test_no_lock_file(wb: Path) -> None:
    assert lock_file(wb) is None


def test_refused_when_file_is_read_only(wb: Path) -> None:
    wb.chmod(0o444)
    with pytest.raises(WriteRefusedError, match=r"analysis\.xlsx is read-only"):
        check_writable(wb)
    with pytest.raises(WriteRefusedError, match="read-only"):
        write_atomic(wb, NEW)
    assert wb.read_bytes() == OLD
    assert isinstance(WriteRefusedError("x"), PermissionError)


def test_refused_when_folder_is_read_only(wb: Path) -> None:
    folder = wb.parent
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteRefusedError, match="folder .* is read-only"):
            write_atomic(wb, NEW)
        with pytest.raises(WriteRefusedError, match="read-only"):
            write_atomic(folder / "new.xlsx", NEW)
    finally:
        folder.chmod(0o755)
    assert wb.read_bytes() == OLD
    assert not (folder / "new.xlsx").exists()


def test_refused_when_folder_is_missing(tmp_path: Path) -> None:
    with pytest.raises(WriteRefusedError, match="does not exist"):
        check_writable(tmp_path / "nowhere" / "out.xlsx")


def test_refused_when_file_cannot_be_opened(wb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What an immutable file (chattr +i) or a Windows sharing lock looks like: the mode bits
    # say writable, yet opening for writing fails even for root.
    real_open = os.open

    def guarded_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if Path(os.fspath(path)) == wb and flags & os.O_WRONLY:
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(safefile.os, "open", guarded_open)
    with pytest.raises(WriteRefusedError, match="cannot be opened for writing"):
        write_atomic(wb, NEW)
    assert wb.read_bytes() == OLD
    assert temps(wb.parent) == []


def _chattr(flag: str, path: Path) -> bool:
    try:
        run = subprocess.run(["chattr", flag, str(path)], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return run.returncode == 0


@pytest.mark.parametrize("what", ["file", "folder"])
def test_refused_when_really_immutable(wb: Path, what: str) -> None:
    # The real thing where the system allows it (root, ext4/xfs/btrfs): even root cannot write.
    locked = wb if what == "file" else wb.parent
    if not _chattr("+i", locked):
        pytest.skip("chattr +i is not available here")
    try:
        with pytest.raises(WriteRefusedError, match="cannot be opened|does not accept"):
            write_atomic(wb, NEW)
    finally:
        _chattr("-i", locked)
    assert wb.read_bytes() == OLD
    assert temps(wb.parent) == []


def test_refused_when_changed_since_read(wb: Path) -> None:
    snap = read_snapshot(wb)
    wb.write_bytes(b"saved by someone else")
    with pytest.raises(WriteRefusedError) as info:
        check_writable(wb, source=snap)
    assert str(info.value) == f"{wb} changed on disk since it was read; run fill again"
    with pytest.raises(WriteRefusedError, match="changed on disk"):
        write_atomic(wb, NEW, source=snap)
    assert wb.read_bytes() == b"saved by someone else"


def test_refused_when_only_the_content_changed(wb: Path) -> None:
    snap = read_snapshot(wb)
    same_size = OLD.replace(b"old", b"odd")
    wb.write_bytes(same_size)
    os.utime(wb, ns=(wb.stat().st_atime_ns, snap.mtime_ns))
    with pytest.raises(WriteRefusedError, match="changed on disk"):
        write_atomic(wb, NEW, source=snap)
    assert wb.read_bytes() == same_size


def test_refused_when_deleted_since_read(wb: Path) -> None:
    snap = read_snapshot(wb)
    wb.unlink()
    with pytest.raises(WriteRefusedError, match="moved or deleted"):
        write_atomic(wb, NEW, source=snap)
    assert not wb.exists()


def test_change_during_the_write_wins(wb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = read_snapshot(wb)
    real_fsync = os.fsync
    saved = b"saved by Excel while we were writing"

    def fsync_while_someone_saves(fd: int) -> None:
        real_fsync(fd)
        if wb.read_bytes() != saved:
            wb.write_bytes(saved)

    monkeypatch.setattr(safefile.os, "fsync", fsync_while_someone_saves)
    with pytest.raises(WriteRefusedError, match="changed on disk"):
        write_atomic(wb, NEW, source=snap)
    assert wb.read_bytes() == saved
    assert temps(wb.parent) == []


# --- failures while writing ----------------------------------------------------------------


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_disk_full_leaves_workbook_identical(
    wb: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    snap = read_snapshot(wb)
    monkeypatch.setattr(safefile.os, call, disk_full)
    with pytest.raises(WriteRefusedError) as info:
        write_atomic(wb, NEW, source=snap)
    assert str(info.value) == (
        f"could not write {wb}: the disk is full; the workbook was not changed"
    )
    assert isinstance(info.value.__cause__, OSError)
    assert wb.read_bytes() == OLD
    assert temps(wb.parent) == []
    assert not wb.with_name("analysis.xlsx.bak").exists()


def test_disk_full_on_new_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safefile.os, "write", disk_full)
    out = tmp_path / "out.xlsx"
    with pytest.raises(WriteRefusedError, match="the disk is full; nothing was written"):
        write_atomic(out, NEW)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_before_replace_leaves_workbook_identical(
    wb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(safefile, "_publish", interrupted)
    with pytest.raises(WriteRefusedError, match="interrupted; the workbook was not changed"):
        write_atomic(wb, NEW)
    assert wb.read_bytes() == OLD
    assert temps(wb.parent) == []


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="Ctrl-C cannot wait here")
def test_ctrl_c_during_the_rename_waits_for_the_backup(
    wb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    calls = []

    def rename_while_ctrl_c(src: Path, dst: Path) -> None:
        calls.append(dst)
        if len(calls) == 1:  # the new file takes the workbook's name; the backup's comes next
            os.kill(os.getpid(), signal.SIGINT)  # arrives now, is taken once the backup is made
        real_replace(src, dst)

    monkeypatch.setattr(safefile.os, "replace", rename_while_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(wb, NEW)
    assert calls == [wb, wb.with_name("analysis.xlsx.bak")]
    assert wb.read_bytes() == NEW
    assert wb.with_name("analysis.xlsx.bak").read_bytes() == OLD
    assert temps(wb.parent) == []


# CPython already ignores SIGXFSZ at start-up, but an embedding application or a library may
# restore the default; the child does so first, so the test proves the call itself works.
_FSIZE_CHILD = """
import resource, signal, sys
from sroi_excel.exceptions import WriteRefusedError
from sroi_excel.safefile import ignore_file_size_signal, write_atomic
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
if sys.argv[2] == "ignore":
    ignore_file_size_signal()
try:
    write_atomic(sys.argv[1], b"x" * 1_000_000)
except WriteRefusedError as exc:
    print(exc)
    sys.exit(exc.exit_code)
print("written")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="no file-size limit signal")
def test_file_size_limit_is_reported_not_fatal(wb: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _FSIZE_CHILD, str(wb), "ignore"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert run.returncode == WriteRefusedError.exit_code, run.stderr
    assert run.stdout.strip() == (
        f"could not write {wb}: the file would be larger than this system allows; "
        "the workbook was not changed"
    )
    assert wb.read_bytes() == OLD
    assert temps(wb.parent) == []


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="no file-size limit signal")
def test_file_size_limit_kills_without_ignoring_the_signal(wb: Path) -> None:
    # Why ignore_file_size_signal() matters: with the default action no cleanup code runs.
    run = subprocess.run(
        [sys.executable, "-c", _FSIZE_CHILD, str(wb), "default"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    )
    assert run.returncode == -signal.SIGXFSZ
    assert wb.read_bytes() == OLD


def test_ignore_file_size_signal_sets_ignore() -> None:
    if not hasattr(signal, "SIGXFSZ"):
        ignore_file_size_signal()  # must simply do nothing
        return
    before = signal.getsignal(signal.SIGXFSZ)
    try:
        ignore_file_size_signal()
        assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGXFSZ, before)


# --- SIGKILL at any moment -----------------------------------------------------------------

_KILL_CHILD = """
import sys
from pathlib import Path
from sroi_excel.safefile import write_atomic
target = sys.argv[1]
payloads = [Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()]
print("ready", flush=True)
i = 0
while True:
    write_atomic(target, payloads[i % 2])
    i += 1
"""


def test_sigkill_leaves_old_or_new_never_a_mix(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    target = folder / "analysis.xlsx"
    old = os.urandom(5 * 1024 * 1024)
    new = os.urandom(5 * 1024 * 1024)
    (tmp_path / "old.bin").write_bytes(old)
    (tmp_path / "new.bin").write_bytes(new)
    target.write_bytes(old)
    allowed = {"analysis.xlsx", "analysis.xlsx.bak"}

    for run in range(20):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _KILL_CHILD,
                str(target),
                str(tmp_path / "new.bin"),
                str(tmp_path / "old.bin"),
            ],
            stdout=subprocess.PIPE,
            env=child_env(),
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == b"ready\n"
            time.sleep(run * 0.010)  # 0 .. 190 ms: lands in different phases of the write
        finally:
            child.kill()
            child.wait(timeout=30)
            if child.stdout is not None:
                child.stdout.close()

        content = target.read_bytes()
        assert content in (old, new), f"run {run}: target is a mixture"
        backup = target.with_name("analysis.xlsx.bak")
        if backup.exists():
            assert backup.read_bytes() in (old, new), f"run {run}: backup is a mixture"
        leftovers = {p.name for p in folder.iterdir()} - allowed
        assert all(name.startswith(".analysis.xlsx.sroi-tmp-") for name in leftovers)

    # Whatever the kills left behind, the next ordinary write works.
    write_atomic(target, b"after the storm")
    assert target.read_bytes() == b"after the storm"
    for name in temps(folder):  # up to 100 MB of 5 MB strays; do not keep them around
        (folder / name).unlink()
