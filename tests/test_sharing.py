"""Nothing lost when people and programs share a workbook: fills at once, a spreadsheet
program saving meanwhile, notes in the tool's sheets, other programs' locks and lock files,
read-only backups, hard links, sticky shared folders, renamed sheets."""

from __future__ import annotations

import gc
import hashlib
import io
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sroi_excel import api, locks, opc, ownsheets, packager, safefile
from sroi_excel.exceptions import (
    SroiError,
    ValidationError,
    WorkbookError,
    WriteRefusedError,
)
from sroi_excel.sheetxml import Workbook

from .conftest import digest, run
from .lo import convert

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "buurtcoach.xlsx"  # has the scenarios minimum and maximum
EPOCH = "1767225600"  # 2026-01-01: fills give the same bytes every time
RESULT_SHEETS_NL = ["Resultaten", "Per belanghebbende", "Per opbrengst", "Per jaar",
                    "Rekenspoor", "Rekenspoor inbreng", "Gevoeligheid", "Monte Carlo",
                    "Kwaliteit"]


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def example(folder: Path, name: str = "analyse.xlsx") -> Path:
    path = folder / name
    shutil.copy(EXAMPLE, path)
    return path


def filled(folder: Path, name: str = "analyse.xlsx") -> Path:
    path = example(folder, name)
    api.fill(path, draws=0)
    return path


def leftovers(folder: Path, name: str = "analyse.xlsx") -> list[str]:
    """Files next to the workbook other than the workbook and its backup."""
    return sorted(p.name for p in folder.iterdir() if p.name not in (name, name + ".bak"))


def with_title(data: bytes, title: str) -> bytes:
    """The workbook with another document title (File > Info), as a spreadsheet program
    saves it; fill keeps that part byte for byte."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w",
                                                                    zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            part = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                part = re.sub(rb"<dc:title>[^<]*</dc:title>",
                              f"<dc:title>{title}</dc:title>".encode(), part)
            dst.writestr(item, part)
    return out.getvalue()


def title_of(path: Path) -> str | None:
    with zipfile.ZipFile(path) as z:
        found = re.search(rb"<dc:title>([^<]*)</dc:title>", z.read("docProps/core.xml"))
    return found.group(1).decode() if found else None


def save_like_a_spreadsheet(path: Path, data: bytes, rng: random.Random | None = None) -> None:
    """Save as Excel does (a randomly named file in the same folder, the original deleted, the
    new one renamed; KB 814068) or as most programs do (a rename over the original)."""
    temp = path.with_name(f"{random.getrandbits(32):08X}")
    temp.write_bytes(data)
    if rng is not None and rng.random() < 0.5:
        path.unlink(missing_ok=True)
        os.rename(temp, path)
    else:
        os.replace(temp, path)


# --- two fills at once, and a save between fill's last check and its rename ------------------


def test_a_save_while_fill_keeps_its_backup_is_not_overwritten(tmp_path, monkeypatch):
    path = example(tmp_path)
    saved = with_title(path.read_bytes(), "saved by a colleague")
    real_replace = os.replace

    def replace(src, dst):
        # The moment the old version becomes NAME.bak, a colleague's program saves.
        if os.fspath(dst).endswith(".bak") and title_of(path) != "saved by a colleague":
            save_like_a_spreadsheet(path, saved)
        return real_replace(src, dst)

    monkeypatch.setattr(safefile.os, "replace", replace)
    try:
        api.fill(path, draws=0)
    except WriteRefusedError as exc:
        assert "changed on disk" in str(exc)
    assert path.read_bytes() == saved  # the colleague's save is the workbook, not only .bak
    assert leftovers(tmp_path) == []


def test_a_save_just_before_fill_renames_is_kept(tmp_path, monkeypatch):
    # After the checks of fill and of the write, right before the new workbook is renamed.
    path = example(tmp_path)
    saved = with_title(path.read_bytes(), "saved at the last instant")
    publish = safefile._publish

    def save_first(*args):
        if title_of(path) != "saved at the last instant":
            save_like_a_spreadsheet(path, saved)
        return publish(*args)

    monkeypatch.setattr(safefile, "_publish", save_first)
    with pytest.raises(WriteRefusedError, match="changed on disk"):
        api.fill(path, draws=0)
    assert path.read_bytes() == saved
    assert leftovers(tmp_path) == []


_HOLD_OURS = """
import sys, time
from sroi_excel import locks
with locks.exclusive(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_fill_waits_for_the_first(tmp_path, monkeypatch):
    path = example(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_OURS, str(path)],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"locked\n"
        monkeypatch.setattr(locks, "LOCK_WAIT_S", 0.3)
        with pytest.raises(WriteRefusedError) as info:
            api.fill(path, draws=0)
        assert str(info.value) == (
            f"{path} is being written by another sroi-excel (process {holder.pid}); "
            "run again when it is done")
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # The lock went with the killed process; the next fill removes the file it left.
    assert leftovers(tmp_path) == [".analyse.xlsx.sroi-tmp-lock"]
    api.fill(path, draws=0)
    assert leftovers(tmp_path) == []


def test_the_lock_is_held_for_the_whole_fill(tmp_path, monkeypatch):
    path = example(tmp_path)
    lock = locks.lock_path(path)
    seen = []
    read = safefile.read_snapshot

    def reading(*args, **kwargs):
        seen.append(("read", lock.exists()))
        return read(*args, **kwargs)

    write = safefile.write_atomic

    def writing(*args, **kwargs):
        seen.append(("write", lock.exists()))
        return write(*args, **kwargs)

    monkeypatch.setattr(safefile, "read_snapshot", reading)
    monkeypatch.setattr(safefile, "write_atomic", writing)
    api.fill(path, draws=0)
    assert seen == [("read", True), ("write", True)]
    assert not lock.exists()


# The stress test: pairs of fills at once (minimum and maximum) on five workbooks, the
# template with its example outcomes; on two of them a spreadsheet program saves at random
# moments meanwhile, each save with a new document title ("save 7"), which fill keeps. No save
# may ever be overwritten by a fill that read the version before it: the title on disk is
# always the last one saved. About 200 fills of 0.1 s of processor time each: 20-50 s.

ROUNDS = 20
FILES = 5  # a pair on each per round: 100 pairs
EDITED = 2  # of the FILES


def _fill_rounds(path: str, scenario: str, start, out) -> None:
    """One of the fills of a pair, once per round; each round starts when all are ready."""
    for _ in range(ROUNDS):
        start.wait()
        try:
            api.fill(path, scenario=scenario, draws=0)
            out.put((path, scenario, "ok", ""))
        except SroiError as exc:
            out.put((path, scenario, type(exc).__name__, str(exc)))
        except BaseException as exc:  # noqa: BLE001 - a bug must show in the parent
            out.put((path, scenario, "bug", repr(exc)))


def _edit(path: str, seed: int, stop, out) -> None:
    """Save the workbook at random moments until stopped, each time with the title of the next
    save; before each save, check that the last one is still there."""
    rng = random.Random(seed)
    base = EXAMPLE.read_bytes()
    saved = 0
    lost = []
    while not stop.wait(rng.uniform(0.05, 2.0)):
        seen = title_of(Path(path))
        if seen != f"save {saved}":
            lost.append((saved, seen))
        saved += 1
        save_like_a_spreadsheet(Path(path), with_title(base, f"save {saved}"), rng)
    out.put((path, saved, lost))


def _refused_for_a_save(kind: str, message: str) -> bool:
    """What fill may say when a spreadsheet program saved during it (or is saving now)."""
    return (kind == "FileMissingError" or kind == "WriteRefusedError" and (
        "changed on disk since it was read" in message
        or "was moved or deleted since it was read" in message))


def test_stress_fills_and_a_spreadsheet_program_lose_nothing(tmp_path):
    started = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    base = EXAMPLE.read_bytes()
    expected = set()
    for scenario in ("minimum", "maximum"):
        folder = tmp_path / f"probe-{scenario}"
        folder.mkdir()
        probe = example(folder)
        api.fill(probe, scenario=scenario, draws=0)
        expected.add(probe.read_bytes())
    files = []
    for i in range(FILES):
        folder = tmp_path / f"share{i}"
        folder.mkdir()
        files.append(folder / "analyse.xlsx")
    for path in files[:EDITED]:
        path.write_bytes(with_title(base, "save 0"))

    start, outcomes = ctx.Barrier(2 * FILES + 1), ctx.Queue()
    workers = [ctx.Process(target=_fill_rounds, args=(str(path), scenario, start, outcomes))
               for path in files for scenario in ("minimum", "maximum")]
    stop, edits = ctx.Event(), ctx.Queue()
    editors = [ctx.Process(target=_edit, args=(str(path), i, stop, edits))
               for i, path in enumerate(files[:EDITED])]
    # The children need not scan the objects of this process for garbage, each time.
    gc.freeze()
    for process in workers + editors:
        process.start()
    gc.unfreeze()
    problems, pairs, serial, ok, ok_edited = [], 0, 0, 0, 0
    try:
        for _ in range(ROUNDS):
            for path in files[EDITED:]:  # a fresh workbook for each pair
                path.with_name(path.name + ".bak").unlink(missing_ok=True)
                path.write_bytes(base)
            start.wait(timeout=120)
            results = [outcomes.get(timeout=120) for _ in workers]
            pairs += FILES
            for _, scenario, kind, message in results:
                path = Path(_)
                if kind == "ok":
                    ok += 1
                    ok_edited += path in files[:EDITED]
                elif path not in files[:EDITED] or not _refused_for_a_save(kind, message):
                    problems.append(f"{path.parent.name} {scenario}: {kind}: {message}")
            for path in files[EDITED:]:
                final = path.read_bytes()
                backup = path.with_name(path.name + ".bak").read_bytes()
                # One after the other: the second backed up what the first wrote.
                if final in expected and backup in expected and final != backup:
                    serial += 1
                else:
                    problems.append(f"{path.parent.name}: the pair was not one after the other")
    finally:
        stop.set()
        saves = {}
        for _ in editors:
            path, saved, lost = edits.get(timeout=60)
            saves[path] = saved
            problems += [f"{Path(path).parent.name}: save {k} lost (found {seen!r})"
                         for k, seen in lost]
        for process in workers + editors:
            process.join(timeout=60)
    for path in files[:EDITED]:
        if title_of(path) != f"save {saves[str(path)]}":
            problems.append(f"{path.parent.name}: the last save was lost")
    stray = [f"{path.parent.name}/{name}" for path in files
             for name in leftovers(path.parent)]
    seconds = time.perf_counter() - started
    print(f"\nstress: {pairs} pairs ({ok} fills written, {ok_edited} of them between saves), "
          f"{sum(saves.values())} saves by a spreadsheet program, {serial} pairs checked one "
          "after the other, "
          f"{len(problems)} problems (lost updates included), {len(stray)} stray files, "
          f"{seconds:.1f} s")
    assert problems == []
    assert stray == []
    assert pairs >= 100 and serial == ROUNDS * (FILES - EDITED)
    assert ok_edited > 0  # fills did write between the saves, not only refuse


# --- edits in the tool's sheets -----------------------------------------------------------


def test_notes_in_the_tool_sheets_are_not_lost_silently(tmp_path):
    path = filled(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Resultaten"]["H3"] = "let op: cijfers van 2024"
    book["Per belanghebbende"]["A10"] = "bron: jaarverslag"
    book["Per belanghebbende"]["C6"] = 1234  # a figure typed over
    book.save(path)
    before = digest(path)

    with pytest.raises(ValidationError) as info:
        api.fill(path, draws=0)
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert sorted(p.where for p in errors) == ["Per belanghebbende!A10",
                                               "Per belanghebbende!C6", "Resultaten!H3"]
    by_cell = {p.where: p.message for p in errors}
    assert "'let op: cijfers van 2024'" in by_cell["Resultaten!H3"]
    assert "1234" in by_cell["Per belanghebbende!C6"]
    for message in by_cell.values():
        assert "sheet of your own" in message and "--force" in message
    assert digest(path) == before

    report = api.fill(path, draws=0, force=True)
    assert report.backup is not None
    shutil.copy(report.backup, tmp_path / "kept.xlsx")
    kept = openpyxl.load_workbook(tmp_path / "kept.xlsx")
    assert kept["Resultaten"]["H3"].value == "let op: cijfers van 2024"
    assert openpyxl.load_workbook(path)["Resultaten"]["H3"].value is None
    api.fill(path, draws=0)  # what --force wrote is the tool's again


def test_the_command_names_the_cells_and_takes_force(tmp_path):
    path = filled(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Resultaten"]["H3"] = "notitie"
    book.save(path)
    result = run("fill", path, "--draws", 0)
    assert result.exit_code == 1
    assert "error: Resultaten!H3: " in result.output
    assert "nothing was written" in result.output
    result = run("fill", path, "--draws", 0, "--force")
    assert result.exit_code == 0, result.output


def test_a_workbook_saved_again_without_edits_fills_as_before(tmp_path):
    path = filled(tmp_path)
    openpyxl.load_workbook(path).save(path)  # every part written anew, nothing changed
    api.fill(path, draws=0)


def test_a_workbook_saved_by_libreoffice_without_edits_fills_as_before(tmp_path):
    path = example(tmp_path)
    api.fill(path)  # with Monte Carlo: many figures, which LibreOffice keeps to 15 digits
    saved = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo", tmp_path)
    api.fill(saved)


def recorded(path: Path) -> list[tuple[str, str]]:
    """(cell digest, part digest) of each result sheet, as the last fill recorded them."""
    parts = opc.read_package(path.read_bytes())
    return [tuple(line.split(" ")) for line in
            packager.read_property(parts, ownsheets.PROPERTY).split("\n")]


def sheet_parts(path: Path) -> dict[str, bytes]:
    """Each result sheet's part as it is in the file."""
    book = Workbook(opc.read_package(path.read_bytes()))
    return {name: book.sheet_xml(name) for name in RESULT_SHEETS_NL}


def test_the_record_holds_each_sheet_part_as_written(tmp_path):
    path = filled(tmp_path)
    written = [hashlib.sha256(xml).hexdigest()[:16] for xml in sheet_parts(path).values()]
    assert [part for _, part in recorded(path)] == written
    assert all(len(cells) == 16 for cells, _ in recorded(path))


def test_an_untouched_sheet_is_not_read(tmp_path, monkeypatch):
    path = filled(tmp_path)
    first = recorded(path)
    read = []
    monkeypatch.setattr(ownsheets, "_cells", lambda book, name: read.append(name) or {})
    api.fill(path, draws=0)
    assert read == []  # neither the workbook's sheets nor the new ones: the same bytes again
    assert recorded(path) == first


def with_part(path: Path, name: str, edit) -> None:
    """Rewrite one result sheet's part in place, every other part byte for byte."""
    book = Workbook(opc.read_package(path.read_bytes()))
    part = next(p for p, data in book.parts.items() if data is book.sheet_xml(name))
    parts = dict(book.parts)
    parts[part] = edit(parts[part])
    path.write_bytes(opc.write_package(parts))


def test_a_sheet_edited_in_place_is_read(tmp_path):
    # A program that edits the XML itself (no spreadsheet program saving every part anew).
    path = filled(tmp_path)
    with_part(path, "Per jaar", lambda xml: xml.replace(
        b"</sheetData>", b'<row r="90"><c r="A90" t="inlineStr"><is><t>eigen notitie</t></is>'
                         b"</c></row></sheetData>"))
    with pytest.raises(ValidationError) as info:
        api.fill(path, draws=0)
    assert [p.where for p in info.value.problems if p.severity == "error"] == ["Per jaar!A90"]


def test_a_sheet_whose_bytes_changed_but_not_its_cells_fills(tmp_path):
    path = filled(tmp_path)
    with_part(path, "Per jaar", lambda xml: xml.replace(b"<sheetData>", b"<sheetData>\n"))
    api.fill(path, draws=0)


def test_a_long_table_is_compared_for_notes_only(tmp_path, monkeypatch):
    # Reading the cells of a long table on every fill would cost more than the fill itself,
    # so such a sheet records its bytes only: changed, it is compared with the new results
    # for notes, as after a change of the inputs.
    monkeypatch.setattr(ownsheets, "ROWS_RECORDED", 0)  # as if every table were long
    path = filled(tmp_path)
    cells = dict(zip(RESULT_SHEETS_NL, (c for c, _ in recorded(path)), strict=True))
    assert [name for name, digest in cells.items() if digest == "-"] == [
        "Per belanghebbende", "Per opbrengst", "Rekenspoor", "Rekenspoor inbreng"]
    book = openpyxl.load_workbook(path)
    book["Per opbrengst"]["B30"] = "bron: eigen telling"
    book["Per opbrengst"]["F6"] = 99  # a figure typed over: not told from a new figure
    book["Resultaten"]["B7"] = 1  # on a sheet recorded cell by cell it is
    book.save(path)
    with pytest.raises(ValidationError) as info:
        api.fill(path, draws=0)
    assert sorted(p.where for p in info.value.problems if p.severity == "error") == [
        "Per opbrengst!B30", "Resultaten!B7"]


def test_notes_are_found_when_the_inputs_changed_too(tmp_path):
    path = filled(tmp_path)
    book = openpyxl.load_workbook(path)
    book["Resultaten"]["H3"] = "notitie"
    book["Instellingen"]["B2"] = "Buurtcoach, herzien"  # an input changed as well
    book.save(path)
    with pytest.raises(ValidationError) as info:
        api.fill(path, draws=0)
    assert [p.where for p in info.value.problems if p.severity == "error"] == ["Resultaten!H3"]


# --- backups, links, folders -------------------------------------------------------------


def test_a_read_only_backup_is_not_replaced(tmp_path):
    path = filled(tmp_path)
    backup = path.with_name("analyse.xlsx.bak")
    backup.chmod(0o444)
    before, kept = digest(path), digest(backup)
    with pytest.raises(WriteRefusedError) as info:
        api.fill(path, draws=0)
    assert str(info.value).startswith(f"{backup} is read-only")
    assert "--no-backup" in str(info.value)
    assert (digest(path), digest(backup)) == (before, kept)
    api.fill(path, draws=0, backup=False)  # the way out it names
    assert digest(backup) == kept


def test_a_hard_link_is_named_in_a_warning(tmp_path):
    path = example(tmp_path, "a.xlsx")
    other = tmp_path / "b.xlsx"
    os.link(path, other)
    before = digest(other)
    report = api.fill(path, draws=0)
    warnings = [str(p) for p in report.warnings if "hard link" in str(p)]
    assert warnings == [
        f"{path} has 2 names (hard links) on this disk; fill wrote a new file under this name "
        f"only, so the other name keeps the previous version: {other}"]
    assert digest(other) == before
    result = run("fill", path, "--draws", 0)
    assert "hard links" not in result.output  # a.xlsx is now a file of its own


def _as_other_user(folder: Path, path: Path) -> str:
    """Fill ``path`` as the user nobody in a forked process; what it printed."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            try:
                api.fill(path, draws=0)
                text = "ok"
            except SroiError as exc:
                text = f"{type(exc).__name__}: {exc}"
        except BaseException as exc:  # noqa: BLE001
            text = f"bug: {exc!r}"
        os.write(write, text.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(pid, 0)
    return text


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to act as two users")
def test_a_sticky_shared_folder_is_named_and_nothing_is_left(tmp_path):
    api.fill(example(tmp_path), output=tmp_path / "warm.xlsx", draws=0)  # imports done
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        folder.chmod(0o1777)
        path = example(folder)
        os.chown(path, 1000, 1000)
        path.chmod(0o666)
        before = digest(path)
        said = _as_other_user(folder, path)
        assert said.startswith("WriteRefusedError: "), said
        assert f"the folder {folder} is shared with the sticky bit" in said
        assert "only the owner of a file may replace it" in said
        assert digest(path) == before
        assert sorted(p.name for p in folder.iterdir()) == ["analyse.xlsx"]
    finally:
        shutil.rmtree(folder)


# --- other programs' locks and lock files -------------------------------------------------


_HOLD = """
import fcntl, sys, time
f = open(sys.argv[1], "r+b")
if sys.argv[2] == "flock":
    fcntl.flock(f, fcntl.LOCK_EX)
else:
    fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(os.name != "posix", reason="flock and lockf are POSIX")
@pytest.mark.parametrize("proc", [True, False], ids=["/proc/locks", "without /proc/locks"])
@pytest.mark.parametrize("kind", ["flock", "lockf"])
def test_a_lock_held_by_another_program_is_honoured(tmp_path, monkeypatch, kind, proc):
    # Every POSIX system refuses alike; where Linux's /proc/locks is there, it names who.
    if not proc:
        monkeypatch.setattr(locks, "PROC_LOCKS", str(tmp_path / "no such file"))
    path = example(tmp_path)
    before = digest(path)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(path), kind],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"locked\n"
        with pytest.raises(WriteRefusedError) as info:
            api.fill(path, draws=0)
        named = ""
        if proc and os.path.exists("/proc/locks"):
            program = Path(f"/proc/{holder.pid}/comm").read_text().strip()
            named = f" ({program}, process {holder.pid})"
        assert str(info.value) == (
            f"{path} is locked by another program{named}, which holds a {kind} lock on it; "
            "wait until that program is done or close it, then run again")
        assert digest(path) == before
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    api.fill(path, draws=0)
    assert leftovers(tmp_path) == []


def excel_owner_file(user: str) -> bytes:
    """An Excel owner file (~$NAME) as Excel 2016 writes it, after LibreOffice's reading of the
    format (svl/source/misc/msodocumentlockfile.cxx): the name in the ANSI code page, padded
    with spaces to byte 55, then its length again and the name in UTF-16, 165 bytes."""
    data = bytes([len(user)]) + user.encode("cp1252")
    data += b" " * (55 - len(data))
    data += bytes([len(user), 0]) + user.encode("utf-16-le")
    while len(data) < 165:
        data += b" \x00"
    return data[:165]


def test_a_left_over_excel_lock_file_is_described(tmp_path):
    path = example(tmp_path)
    lock = tmp_path / "~$analyse.xlsx"
    lock.write_bytes(excel_owner_file("Jan Jänsen"))
    three_hours_ago = time.time() - 3 * 3600 - 300
    os.utime(lock, (three_hours_ago, three_hours_ago))
    with pytest.raises(WriteRefusedError) as info:
        api.fill(path, draws=0)
    message = str(info.value)
    assert message.startswith(f"{path} is open in Excel by Jan Jänsen (lock file {lock}, "
                              "made 3 hours ago)")
    assert "If Excel is not running" in message and "delete the lock file" in message


def test_a_libreoffice_lock_file_names_its_user(tmp_path):
    path = example(tmp_path)
    lock = tmp_path / ".~lock.analyse.xlsx#"
    lock.write_text("Jan Jansen,jan,laptop-jan,07.12.2025 10:15,"
                    "file:///home/jan/.config/libreoffice/4;")
    with pytest.raises(WriteRefusedError) as info:
        api.fill(path, draws=0)
    assert str(info.value).startswith(
        f"{path} is open in LibreOffice by Jan Jansen on laptop-jan (lock file {lock}, "
        "made 0 minutes ago)")


@pytest.mark.parametrize(("lock_name", "blocks"), [
    ("~$2024-analyse.xlsx", True),
    ("~$24-analyse.xlsx", False),  # the owner file of 24-analyse.xlsx
    ("~$-analyse.xlsx", False),    # Word would shorten so; Excel never does
])
def test_excel_owner_files_match_by_the_whole_name(tmp_path, lock_name, blocks):
    path = example(tmp_path, "2024-analyse.xlsx")
    (tmp_path / lock_name).write_bytes(excel_owner_file("Jan"))
    assert (locks.lock_file(path) is not None) == blocks
    if blocks:
        with pytest.raises(WriteRefusedError, match="is open in Excel"):
            api.fill(path, draws=0)
    else:
        api.fill(path, draws=0)


# --- workbooks saved by other programs; renamed sheets -------------------------------------


def test_result_sheets_without_marks_are_listed_at_once(tmp_path):
    path = filled(tmp_path)
    sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:  # a new file: no marks
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    before = digest(path)
    with pytest.raises(WorkbookError) as info:
        api.fill(path, draws=0)
    message = str(info.value)
    assert message.startswith("the workbook already has sheets named " + ", ".join(
        f"'{name}'" for name in RESULT_SHEETS_NL) + " that sroi-excel did not make")
    assert "delete these sheets" in message
    assert digest(path) == before
    result = run("fill", path, "--draws", 0)
    assert result.exit_code == 1
    assert result.output.count("error: ") == 1


def test_result_sheets_keep_their_names_when_the_inputs_are_renamed(tmp_path):
    path = filled(tmp_path)
    book = openpyxl.load_workbook(path)
    english = {"Instellingen": "Settings", "Belanghebbenden": "Stakeholders",
               "Aannames": "Assumptions", "Inbreng": "Inputs", "Opbrengsten": "Outcomes",
               "Scenario's": "Scenarios", "Referentieprijzen": "Reference prices",
               "Prijsindex": "Price index"}
    for dutch, name in english.items():
        book[dutch].title = name
    book["Lees mij"]["A40"] = "=Resultaten!B7"  # the user's own reference to a result
    book.save(path)
    report = api.fill(path, draws=0)
    names = openpyxl.load_workbook(path).sheetnames
    assert all(name in names for name in RESULT_SHEETS_NL)
    assert "Results" not in names
    assert list(report.sheets) == RESULT_SHEETS_NL
    said = [str(p) for p in report.warnings if "input sheets" in str(p)]
    assert said == [
        "the input sheets are now in English, but the result sheets keep the Dutch names "
        "of the first fill (Resultaten, ...), so that references to them keep working; "
        "for English result sheets, delete the Dutch ones and run fill again"]
