"""Faults during `sroi-excel fill`, end to end: killed at any moment, disk full, file-size
limit, read-only file or folder, changed on disk, open in Excel. Afterwards the workbook is the
old file or the complete new one, both opening cleanly, and every refusal is exit 4 with a
sentence saying what to do.

tests/test_safefile.py covers write_atomic on its own; here the whole command runs.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import api, packager, safefile
from sroi_excel.cli import main
from sroi_excel.template import build_template

from .conftest import digest, run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "buurtcoach.xlsx"
EPOCH = "1735689600"  # fixed date on the result sheets, so every fill gives the same bytes
NAME = "werkmap.xlsx"


def original() -> bytes:
    return EXAMPLE.read_bytes() if EXAMPLE.exists() else build_template("nl")


def opens_cleanly(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    book = openpyxl.load_workbook(path, read_only=True)
    names = book.sheetnames
    book.close()
    assert names == CalamineWorkbook.from_path(str(path)).sheet_names
    for name in names:
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in (NAME, NAME + ".bak"))


@pytest.fixture
def wb(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    folder = tmp_path / "map"
    folder.mkdir()
    path = folder / NAME
    path.write_bytes(original())
    return path


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> bytes:
    """The complete new workbook: what an uninterrupted fill writes."""
    folder = tmp_path_factory.mktemp("reference")
    source = folder / NAME
    source.write_bytes(original())
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        api.fill(source, output=folder / "filled.xlsx")
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    opens_cleanly(folder / "filled.xlsx")
    opens_cleanly(source)
    return (folder / "filled.xlsx").read_bytes()


# --- SIGKILL at many points --------------------------------------------------------------------


def _reset(path: Path, old: bytes) -> None:
    for p in path.parent.iterdir():
        p.unlink()
    path.write_bytes(old)


def _check_after_kill(path: Path, old: bytes, new: bytes, label: str) -> str:
    content = path.read_bytes()
    assert content in (old, new), f"{label}: the workbook is neither the old nor the new file"
    backup = path.with_name(NAME + ".bak")
    if backup.exists():
        assert backup.read_bytes() == old, f"{label}: the backup is not the old file"
    for name in leftovers(path.parent):
        assert name.startswith(f".{NAME}.sroi-tmp-"), f"{label}: stray file {name}"
    return "new" if content == new else "old"


def _slow_write(fd: int, data: bytes) -> None:
    # Test instrumentation, in the child only: the same bytes in 1 KB steps, so that the
    # window between creating the temp file and renaming it is wide enough to be hit.
    for start in range(0, len(data), 1024):
        os.write(fd, data[start:start + 1024])
        time.sleep(0.002)


_HOOKED = ("open", "write", "fsync", "close", "link", "replace", "unlink", "fchmod", "fchown")


def _kill_before_call(step: int) -> None:
    # In the child only: SIGKILL itself just before its step-th file-system call, so each
    # phase of the write (temp file, data, fsync, backup link, rename, cleanup) is hit once.
    calls = [0]

    def hook(real):
        def call(*args, **kwargs):
            if calls[0] == step:
                os.kill(os.getpid(), signal.SIGKILL)
            calls[0] += 1
            return real(*args, **kwargs)

        return call

    for name in _HOOKED:
        if hasattr(os, name):
            setattr(os, name, hook(getattr(os, name)))


def _forked_fill(path: Path, slow: bool = False, kill_at: int | None = None) -> int:
    """Run `fill` in a forked copy of this process: no start-up time, so the kill delays
    spread over reading, computing, rendering, merging and writing."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            if slow:
                safefile._write_all = _slow_write
            if kill_at is not None:
                _kill_before_call(kill_at)
            main(["fill", str(path)], standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            code = 71
        finally:
            os._exit(code)
    return pid


def _timed(path: Path, slow: bool) -> float:
    start = time.perf_counter()
    _, status = os.waitpid(_forked_fill(path, slow), 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return time.perf_counter() - start


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_during_fill_leaves_old_or_new(wb: Path, filled: bytes):
    old = wb.read_bytes()
    run("check", wb)  # import everything lazy once, so the children do not have to
    # How long one uninterrupted fill takes here; the kills spread over that span.
    spans = {}
    for slow in (False, True):
        _reset(wb, old)
        spans[slow] = _timed(wb, slow)
        assert wb.read_bytes() == filled

    outcomes = {"old": 0, "new": 0}
    strays = 0
    runs = 40
    for i in range(runs):
        slow = i % 2 == 1
        # Real speed: anywhere in the run. Slowed: the second half, where the write is.
        where = i / runs if not slow else 0.5 + 0.55 * i / runs
        _reset(wb, old)
        pid = _forked_fill(wb, slow)
        time.sleep(spans[slow] * 1.1 * where)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        strays += bool(leftovers(wb.parent))
        outcomes[_check_after_kill(wb, old, filled, f"kill {i}")] += 1
    # No assertion on how the kills fell: that depends on the machine's speed. The test
    # below hits every step of the write deterministically.
    print(f"\nfork kill loop: {runs} kills over {spans[False] * 1000:.0f} ms (real speed) and "
          f"{spans[True] * 1000:.0f} ms (slowed write); {outcomes}; {strays} killed mid-write "
          "(temp file left)")
    # Whatever the kills left behind, the next fill works.
    _reset(wb, old)
    assert run("fill", wb).exit_code == 0
    assert wb.read_bytes() == filled


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_before_each_file_system_call(wb: Path, filled: bytes):
    old = wb.read_bytes()
    run("check", wb)
    outcomes: list[str] = []
    for step in range(500):
        _reset(wb, old)
        _, status = os.waitpid(_forked_fill(wb, kill_at=step), 0)
        if os.waitstatus_to_exitcode(status) == 0:
            break  # ran to the end: every call before this one was a kill point
        assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL
        outcomes.append(_check_after_kill(wb, old, filled, f"kill before call {step}"))
    else:
        pytest.fail("fill made more than 500 file-system calls")
    assert wb.read_bytes() == filled
    print(f"\nkilled before each of {len(outcomes)} file-system calls: "
          f"{outcomes.count('old')} left the old file, {outcomes.count('new')} the new one")
    # The rename is the one point where old turns into new, and it is in the sequence.
    first_new = outcomes.index("new")
    assert set(outcomes[:first_new]) == {"old"} and set(outcomes[first_new:]) == {"new"}


def test_sigkill_of_the_real_command(wb: Path):
    old = wb.read_bytes()
    command = [sys.executable, "-m", "sroi_excel.cli", "fill", str(wb)]
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    span = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    # The new file as this interpreter's run writes it (not the in-process fixture: the
    # subprocess imports the code afresh).
    filled = wb.read_bytes()
    opens_cleanly(wb)
    outcomes = {"old": 0, "new": 0}
    # Start-up (imports) takes most of the time; the write comes at the end.
    fractions = (0.3, 0.6, 0.75, 0.85, 0.9, 0.95, 1.0, 1.1)
    for fraction in fractions:
        _reset(wb, old)
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(span * fraction)
        child.kill()
        child.wait(timeout=60)
        outcomes[_check_after_kill(wb, old, filled, f"kill at {fraction:.0%}")] += 1
    print(f"\nsubprocess kill loop: {len(fractions)} kills over {span:.2f} s; {outcomes}")


# --- disk full and file-size limit ---------------------------------------------------------------


def _disk_fills_up(monkeypatch) -> None:
    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safefile, "_write_all", half_then_full)


def test_disk_full_during_fill(wb: Path, monkeypatch):
    before = digest(wb)
    _disk_fills_up(monkeypatch)
    result = run("fill", wb)
    assert result.exit_code == 4, result.output
    assert f"could not write {wb}: the disk is full; the workbook was not changed" in (
        result.output)
    assert digest(wb) == before
    assert leftovers(wb.parent) == [] and not wb.with_name(NAME + ".bak").exists()


def test_disk_full_writing_a_new_output(wb: Path, monkeypatch):
    out = wb.with_name("nieuw.xlsx")
    _disk_fills_up(monkeypatch)
    result = run("fill", wb, "-o", out)
    assert result.exit_code == 4
    assert "the disk is full; nothing was written" in result.output
    assert not out.exists() and leftovers(wb.parent) == []


def test_disk_full_while_copying_the_backup(wb: Path, monkeypatch):
    # A file system without hard links (FAT, some shares) copies the backup: that can fail too.
    before = digest(wb)

    def no_link(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safefile.os, "link", no_link)
    monkeypatch.setattr(safefile.shutil, "copyfileobj", full)
    result = run("fill", wb)
    assert result.exit_code == 4
    assert "the disk is full; the workbook was not changed" in result.output
    assert digest(wb) == before and leftovers(wb.parent) == []


_FSIZE_CHILD = """
import resource, signal, sys
# The default action kills the process; the CLI itself must switch it off before writing.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from sroi_excel.cli import main
main(["fill", sys.argv[1]])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="no file-size limit signal")
def test_file_size_limit_hit_during_fill(wb: Path, filled: bytes):
    before = digest(wb)
    limit = (wb.stat().st_size + len(filled)) // 2  # room for the old file, not the new one
    assert wb.stat().st_size < limit < len(filled)
    done = subprocess.run([sys.executable, "-c", _FSIZE_CHILD, str(wb), str(limit)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    assert done.returncode == 4, (done.returncode, done.stderr)
    assert done.stderr.strip() == (f"error: could not write {wb}: the file would be larger "
                                   "than this system allows; the workbook was not changed")
    assert "Traceback" not in done.stderr
    assert digest(wb) == before and leftovers(wb.parent) == []


# --- read-only, changed, open ------------------------------------------------------------------


def test_read_only_file(wb: Path):
    before = digest(wb)
    wb.chmod(0o444)
    try:
        assert run("check", wb).exit_code == 0  # reading is fine
        result = run("fill", wb)
        assert result.exit_code == 4
        assert result.output.strip() == (f"error: {wb} is read-only; make it writable or "
                                         "choose another output file, then run again")
        assert run("fill", wb, "-o", wb.with_name("kopie.xlsx")).exit_code == 0
    finally:
        wb.chmod(0o644)
    assert digest(wb) == before


def test_read_only_folder(wb: Path, tmp_path: Path):
    before = digest(wb)
    wb.parent.chmod(0o555)
    try:
        result = run("fill", wb)
        assert result.exit_code == 4
        assert f"the folder {wb.parent} is read-only" in result.output
        result = run("fill", wb, "-o", wb.with_name("elders.xlsx"))
        assert result.exit_code == 4 and "is read-only" in result.output
    finally:
        wb.parent.chmod(0o755)
    assert digest(wb) == before and leftovers(wb.parent) == []


def test_unreadable_file_is_exit_3(wb: Path, monkeypatch):
    real_open = open

    def deny(path, *args, **kwargs):
        if Path(path) == wb:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(safefile, "open", deny, raising=False)
    result = run("fill", wb)
    assert result.exit_code == 3
    assert result.output.strip() == f"error: cannot read {wb}: permission denied"


def test_file_still_growing_while_read_is_refused(wb: Path, monkeypatch):
    real_fstat = os.fstat

    def smaller(fd: int):
        st = real_fstat(fd)
        # What fstat says just before another program appends the rest of its save.
        return os.stat_result((*st[:6], st.st_size - 100, *st[7:]))

    monkeypatch.setattr(safefile.os, "fstat", smaller)
    result = run("fill", wb)
    assert result.exit_code == 3
    assert "changed while it was being read" in result.output


def test_changed_on_disk_between_read_and_write(wb: Path, monkeypatch):
    theirs = build_template("en")  # what another program saved meanwhile
    real_merge = packager.merge_result_sheets

    def merge_while_someone_saves(*args, **kwargs):
        merged = real_merge(*args, **kwargs)
        wb.write_bytes(theirs)
        return merged

    monkeypatch.setattr(packager, "merge_result_sheets", merge_while_someone_saves)
    result = run("fill", wb)
    assert result.exit_code == 4
    assert result.output.strip() == (f"error: {wb} changed on disk since it was read; run "
                                     "fill again")
    assert wb.read_bytes() == theirs  # their save wins
    assert leftovers(wb.parent) == [] and not wb.with_name(NAME + ".bak").exists()


def test_deleted_between_read_and_write(wb: Path, monkeypatch):
    real_merge = packager.merge_result_sheets

    def merge_while_deleted(*args, **kwargs):
        merged = real_merge(*args, **kwargs)
        wb.unlink()
        return merged

    monkeypatch.setattr(packager, "merge_result_sheets", merge_while_deleted)
    result = run("fill", wb)
    assert result.exit_code == 4
    assert "was moved or deleted since it was read; run fill again" in result.output
    assert leftovers(wb.parent) == [] and not wb.exists()


@pytest.mark.parametrize("lock,program", [
    ("~$" + NAME, "Excel"),
    (f".~lock.{NAME}#", "LibreOffice"),
])
def test_open_in_office_is_refused(wb: Path, lock: str, program: str):
    before = digest(wb)
    (wb.parent / lock).write_bytes(b"someone")
    result = run("fill", wb)
    assert result.exit_code == 4
    where = wb.parent / lock
    assert result.output.strip() == (
        f"error: {wb} is open in {program} (lock file {where}, made 0 minutes ago); close it "
        f"there and run again. If {program} is not running any more (after a crash, say), the "
        f"lock file was left behind: delete the lock file (rm '{where}') and run again")
    assert digest(wb) == before
    assert run("check", wb).exit_code == 0  # check only reads: fine while open


def test_output_locked_or_in_missing_folder(wb: Path):
    out = wb.with_name("uit.xlsx")
    out.write_bytes(b"old output")
    (wb.parent / ("~$" + out.name)).write_bytes(b"")
    result = run("fill", wb, "-o", out)
    assert result.exit_code == 4 and "is open in Excel" in result.output
    assert out.read_bytes() == b"old output"
    result = run("fill", wb, "-o", wb.parent / "nergens" / "uit.xlsx")
    assert result.exit_code == 4 and "does not exist" in result.output


def test_output_is_a_folder_is_a_usage_error(wb: Path):
    result = run("fill", wb, "-o", wb.parent)
    assert result.exit_code == 2


def test_stray_temp_files_from_a_kill_do_not_block_the_next_fill(wb: Path, filled: bytes):
    stray = wb.with_name(f".{NAME}.sroi-tmp-abcd1234")
    stray.write_bytes(b"half a workbook")
    old = time.time() - 2 * 3600
    os.utime(stray, (old, old))
    assert run("fill", wb).exit_code == 0
    assert wb.read_bytes() == filled
    assert not stray.exists()  # older than an hour: removed
