"""Benchmark: sroi-excel fill against LibreOffice recalculating the same model as formulas.

Measured side by side in one run, several repetitions, medians; wall time and peak memory of
each child process tree. Prints a table and the ratios. No assertions: machines here are noisy.

    python bench/run.py                 # sizes 50, 1000, 10000; 3 repetitions
    python bench/run.py --sizes 50 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import write_formulas, write_input  # noqa: E402

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of a command and the children it waited for."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def lo_profile(base: Path) -> str:
    user = base / "lo-profile" / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_XCU)
    return (base / "lo-profile").as_uri()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated workbooks here")
    args = parser.parse_args()
    soffice = shutil.which("soffice")
    work = Path(args.keep or tempfile.mkdtemp(prefix="sroi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    profile = lo_profile(work)
    python = sys.executable
    # Measure the package as pip installs it, with its bytecode compiled: an editable install
    # in an environment with PYTHONDONTWRITEBYTECODE set would compile every module on every run.
    compileall.compile_dir(str(HERE.parent / "sroi_excel"), quiet=1)
    rows = []
    help_times = [measure([python, "-m", "sroi_excel.cli", "--help"])[0]
                  for _ in range(args.repeat)]
    for n in args.sizes:
        source, formulas = work / f"input-{n}.xlsx", work / f"formulas-{n}.xlsx"
        write_input(source, n)
        write_formulas(formulas, n)
        fill, floor, office = [], [], []
        for i in range(args.repeat):
            out = work / f"filled-{n}-{i}.xlsx"
            fill.append(measure([python, "-m", "sroi_excel.cli", "fill", str(source), "-o",
                                 str(out), "--no-backup"]))
            floor.append(measure([python, str(HERE / "floor.py"), str(source),
                                  str(work / f"floor-{n}.xlsx")]))
            if soffice:
                office.append(measure([soffice, f"-env:UserInstallation={profile}",
                                       "--headless", "--norestore", "--convert-to", "xlsx",
                                       "--outdir", str(work / "lo"), str(formulas)]))
        rows.append((n, fill, floor, office))

    def med(samples, k):
        return statistics.median(s[k] for s in samples) if samples else float("nan")

    print(f"sroi-excel --help: median {statistics.median(help_times):.3f} s "
          f"({args.repeat} runs)")
    print(f"{'outcomes':>9} | {'fill s':>8} {'MB':>6} | {'floor s':>8} {'MB':>6} | "
          f"{'LibreOffice s':>13} {'MB':>6} | {'fill/LO':>7} {'fill/floor':>10}")
    for n, fill, floor, office in rows:
        print(f"{n:>9} | {med(fill, 0):8.2f} {med(fill, 1):6.0f} | {med(floor, 0):8.2f} "
              f"{med(floor, 1):6.0f} | {med(office, 0):13.2f} {med(office, 1):6.0f} | "
              f"{med(fill, 0) / med(office, 0):7.2f} {med(fill, 0) / med(floor, 0):10.2f}")
    # This machine's speed changes from run to run: the range shows how much.
    for n, fill, _, office in rows:
        print(f"{n:>9}   fill {min(s[0] for s in fill):.2f}-{max(s[0] for s in fill):.2f} s"
              + (f", LibreOffice {min(s[0] for s in office):.2f}-"
                 f"{max(s[0] for s in office):.2f} s" if office else ""))
    print(f"medians (and ranges) of {args.repeat} runs; workbooks in {work}")


if __name__ == "__main__":
    main()
