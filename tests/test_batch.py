"""fill with several workbooks: a process pool, one line per file, a summary, exit 5 on failure.

Driven through the command line (CliRunner) and through ``batch.fill_many``. The workbooks are
the small template (fill takes a fraction of a second) with --draws 0, so no Monte Carlo.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sroi_excel
from sroi_excel import api, batch
from sroi_excel.cli import _BatchProgress, main

from .conftest import digest, edited_template

TAIL = ("SROI ratio 1.86 (net 0.86) · PV outcomes 320,531.21 · PV inputs 172,193.81 · NPV "
        "148,337.40 · payback 0.7 years · 1 warning(s)")  # the warning: 0 draws, no Monte Carlo
OK_A = f"ok    a.xlsx: {TAIL}"
OK_B = f"ok    b.xlsx: {TAIL}"
FAIL_C = ("fail  c.xlsx: 'c.xlsx' is a CSV or text file, not an .xlsx workbook; open it in "
          "Excel and save it as 'Excel Workbook (.xlsx)'")
FAIL_D = ("fail  d.xlsx: Opbrengsten!A2: the stakeholder 'Gemeent' is not on the stakeholders "
          "sheet; did you mean 'Gemeente'? (and 1 more error(s))")
SUMMARY = re.compile(r"filled (\d+) of (\d+) workbooks in \d+\.\d s with (\d+) process(es)?"
                     r"(; .*)?")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])



def make_folder(folder: Path) -> None:
    """a.xlsx (Dutch) and b.xlsx (English) are good; c.xlsx is text; d.xlsx has 2 errors."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.xlsx").write_bytes(edited_template("nl"))
    (folder / "b.xlsx").write_bytes(edited_template("en"))
    (folder / "c.xlsx").write_bytes(b"not a workbook at all")
    (folder / "d.xlsx").write_bytes(edited_template(
        "nl", {("Opbrengsten", "G2"): 1.5, ("Opbrengsten", "A2"): "Gemeent"}))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The four workbooks in the working folder, so the lines show plain names."""
    make_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def result_sheets(path) -> list[str]:
    return openpyxl.load_workbook(path, read_only=True).sheetnames


@pytest.mark.parametrize("jobs", [1, 2])
def test_mix_of_good_and_broken(folder, jobs):
    before = {name: digest(folder / name) for name in ("a.xlsx", "c.xlsx", "d.xlsx")}
    result = run("fill", "a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx", "--draws", 0, "--jobs", jobs)
    assert result.exit_code == 5, result.output
    *lines, summary = result.stdout.splitlines()
    expected = [OK_A, OK_B, FAIL_C, FAIL_D]
    # One at a time they finish in the order given; in a pool in any order.
    assert (lines if jobs == 1 else sorted(lines)) == (expected if jobs == 1
                                                       else sorted(expected))
    processes = "1 process" if jobs == 1 else "2 processes"
    assert SUMMARY.fullmatch(summary)
    assert summary.endswith(f"s with {processes}; 2 failed: c.xlsx, d.xlsx")
    assert summary.startswith("filled 2 of 4 workbooks in ")
    assert result.stderr == ""  # not a terminal: no progress bar, no Monte Carlo bars
    assert "Traceback" not in result.output
    # The good ones are filled (a backup kept), the bad ones untouched, byte for byte.
    assert "Resultaten" in result_sheets(folder / "a.xlsx")
    assert "Results" in result_sheets(folder / "b.xlsx")
    assert digest(folder / "a.xlsx.bak") == before["a.xlsx"]
    for name in ("c.xlsx", "d.xlsx"):
        assert digest(folder / name) == before[name]
        assert not (folder / f"{name}.bak").exists()


def test_all_good_exit_0_default_jobs_and_duplicates_filled_once(folder):
    original = digest(folder / "a.xlsx")
    result = run("fill", "a.xlsx", "b.xlsx", "./a.xlsx", folder / "a.xlsx", "--draws", 0)
    assert result.exit_code == 0, result.output
    *lines, summary = result.stdout.splitlines()
    assert sorted(lines) == [OK_A, OK_B]
    assert SUMMARY.fullmatch(summary) and summary.startswith("filled 2 of 2 workbooks in ")
    assert "failed" not in summary
    assert result.stderr == (f"note: ./a.xlsx was listed more than once; it was filled once\n"
                             f"note: {folder / 'a.xlsx'} was listed more than once; it was "
                             "filled once\n")
    # Filled once: the backup is the original, not a first filled version.
    assert digest(folder / "a.xlsx.bak") == original
    assert "Resultaten" in result_sheets(folder / "a.xlsx")


def test_output_refused_with_several_paths(folder):
    before = {name: digest(folder / name) for name in ("a.xlsx", "b.xlsx")}
    result = run("fill", "a.xlsx", "b.xlsx", "-o", "out.xlsx")
    assert result.exit_code == 2
    assert "-o/--output names one file, so it takes one PATH" in result.output
    assert not (folder / "out.xlsx").exists()
    assert {name: digest(folder / name) for name in before} == before


def test_one_path_with_jobs_is_the_single_file_fill(folder):
    result = run("fill", "a.xlsx", "--draws", 0, "--jobs", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "warning: Monte Carlo: the number of draws is 0, so it was not computed",
        f"a.xlsx: {TAIL.removesuffix(' · 1 warning(s)')}",
        "quality checklist (documentation and plausibility, not truth): 8 met, 1 not met, 2 n/a; "
        "Adjusted view (what-if, not the results): ratio 1.86, unchanged; not adjusted: "
        "displacement (1x, no value).",
        "wrote Resultaten, Per belanghebbende, Per opbrengst, Per jaar, Rekenspoor, Rekenspoor "
        "inbreng, Gevoeligheid, Monte Carlo, Kwaliteit to a.xlsx (previous version kept as "
        "a.xlsx.bak)"]


def test_json(folder):
    result = run("fill", "a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx", "--draws", 0, "--json",
                 "--scenario", "minimum")
    assert result.exit_code == 5, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [f["file"] for f in data["files"]] == ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"]
    assert [f["ok"] for f in data["files"]] == [True, True, False, False]
    assert [f["exit_code"] for f in data["files"]] == [0, 0, 3, 1]
    a, b, c, d = data["files"]
    # A good file's entry is what `fill --json` prints for it alone, plus exit code and time.
    alone = json.loads(run("fill", "a.xlsx", "--draws", 0, "--json", "--scenario",
                           "minimum").stdout)
    assert set(a) == set(alone) | {"exit_code", "seconds"}
    assert a["results"] == alone["results"] and a["results"]["scenario"] == "minimum"
    assert b["sheets"][:2] == ["Results", "By stakeholder"]
    assert c["errors"] == [{"sheet": "", "cell": "", "message": FAIL_C.split(": ", 1)[1]}]
    assert [(e["sheet"], e["cell"]) for e in d["errors"]] == [("Opbrengsten", "A2"),
                                                             ("Opbrengsten", "G2")]
    totals = data["totals"]
    assert {k: v for k, v in totals.items() if k not in ("seconds", "processes")} == {
        "workbooks": 4, "filled": 2, "failed": 2, "failed_files": ["c.xlsx", "d.xlsx"],
        "duplicates": []}
    assert totals["processes"] >= 1 and totals["seconds"] >= 0


def outcomes(report) -> list[tuple]:
    return [(r.path, r.ok, r.exit_code, r.message, r.warnings, r.line,
             (r.summary.get("results") or {}).get("sroi_ratio")) for r in report.results]


def test_fill_many_jobs_1_and_2_agree(tmp_path, monkeypatch):
    reports, seen = {}, {}
    for jobs in (1, 2):
        make_folder(tmp_path / str(jobs))
        monkeypatch.chdir(tmp_path / str(jobs))
        seen[jobs] = []
        reports[jobs] = batch.fill_many(["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"], jobs=jobs,
                                      draws=0, on_done=seen[jobs].append)
    one, two = reports[1], reports[2]
    assert outcomes(one) == outcomes(two)
    assert [line for *_, line, _ in outcomes(one)] == [OK_A, OK_B, FAIL_C, FAIL_D]
    assert (one.processes, two.processes) == (1, 2)
    assert one.exit_code == two.exit_code == 5
    assert [r.path for r in one.failed] == ["c.xlsx", "d.xlsx"]
    assert sorted(r.path for r in seen[2]) == ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"]
    assert seen[1] == list(one.results)  # one at a time: finished in the order given
    assert one.results[3].errors == (
        "Opbrengsten!A2: the stakeholder 'Gemeent' is not on the stakeholders sheet; did you "
        "mean 'Gemeente'?", "Opbrengsten!G2: deadweight is 1.5, which reads as 150%; type 1.5% "
        "(with the percent sign) or a fraction like 0.015")
    for jobs in (1, 2):
        for name in ("a.xlsx", "b.xlsx"):
            assert len(result_sheets(tmp_path / str(jobs) / name)) > 8


def test_each_failure_keeps_the_single_file_exit_code(folder):
    shutil.copy(folder / "a.xlsx", folder / "open.xlsx")
    (folder / "~$open.xlsx").write_bytes(b"")  # Excel's lock file
    report = batch.fill_many(["open.xlsx", "missing.xlsx", "c.xlsx", "d.xlsx"], jobs=1,
                           draws=0, backup=False)
    assert [r.exit_code for r in report.results] == [4, 3, 3, 1]
    assert report.results[0].line.startswith("fail  open.xlsx: open.xlsx is open in Excel")
    assert report.results[1].line == "fail  missing.xlsx: no such file"
    assert report.results[1].errors == ("missing.xlsx: no such file",)


def test_an_unexpected_exception_fails_only_that_file(folder, monkeypatch):
    real = api.fill

    def fill(path, **kwargs):
        if str(path) == "b.xlsx":
            raise RuntimeError("boom")
        return real(path, **kwargs)

    monkeypatch.setattr(api, "fill", fill)
    report = batch.fill_many(["a.xlsx", "b.xlsx"], jobs=1, draws=0)
    assert [r.line for r in report.results] == [OK_A, "fail  b.xlsx: internal error: "
                                                      "RuntimeError: boom"]
    assert report.results[1].exit_code == 1 and report.exit_code == 5
    assert report.summary_line().endswith("; 1 failed: b.xlsx")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_keeps_the_lines_readable(capsys):
    results = [batch.FileResult("a.xlsx", True, 0, headline="a.xlsx: fine"),
               batch.FileResult("b.xlsx", False, 3, errors=("bad",))]
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        with _BatchProgress(2, stream=stream) as progress:
            for r in results:
                progress(r)
        assert capsys.readouterr().out == "ok    a.xlsx: fine\nfail  b.xlsx: bad\n"
    bar = terminal.getvalue()
    # The bar line is erased before each file's line, then drawn again below it.
    assert bar.count(_BatchProgress.CLEAR) == 2
    assert "fill" in bar and "50%" in bar and "100%" in bar and bar.endswith("\n")
    assert pipe.getvalue() == ""  # not a terminal: no bar


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(),
                    reason="Ctrl-C to a process group; children found in /proc (Linux)")
def test_ctrl_c_stops_the_batch_without_tracebacks_or_damage(tmp_path):
    paths = []
    for i in range(4):
        path = tmp_path / f"w{i}.xlsx"
        path.write_bytes(edited_template("nl"))
        paths.append(path)
    before = {p: digest(p) for p in paths}
    # Its own process group, as a terminal would make it: Ctrl-C goes to every process in it.
    proc = subprocess.Popen([sys.executable, "-m", "sroi_excel", "fill", *map(str, paths),
                             "--jobs", "2", "--draws", "0", "--no-backup"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    # Ctrl-C while the workers start up (importing), where it used to print their tracebacks;
    # a moment after they exist, when this process no longer ignores it while starting them.
    while proc.poll() is None and len(children.read_text().split()) < 2:
        time.sleep(0.005)
    time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Aborted!" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    for path in paths:
        # Filled or untouched, never half-written.
        assert digest(path) == before[path] or "Rekenspoor" in result_sheets(path)


def test_one_workbook_does_not_import_the_batch():
    example = Path(__file__).parent.parent / "examples" / "youth-mentoring.xlsx"
    code = ("import sys; from sroi_excel import api, cli; "
            f"report = api.check({str(example)!r}, draws=0); "
            "print(api.headline('a.xlsx', report.results)); "
            "print('sroi_excel.batch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.splitlines()[0].startswith("a.xlsx: SROI ratio ")
    assert done.stdout.splitlines()[1] == "False"
    assert sroi_excel.fill_many is batch.fill_many
