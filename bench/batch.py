"""Benchmark: `sroi-excel fill` on many workbooks at once, one after another (--jobs 1) against
the process pool (default --jobs: one process per CPU).

Generates FILES small workbooks (bench/generate.py, OUTCOMES outcomes over 10 years each) once,
then for every repetition fills fresh copies of them both ways in one run, alternating which
goes first. Prints each run's wall time, the medians and the speed-up. No assertions: machines
here are noisy.

    python bench/batch.py                       # 200 workbooks of 50 outcomes, 3 repetitions
    python bench/batch.py --files 40 --repeat 1 # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
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

from generate import write_input  # noqa: E402


def fill(folder: Path, names: list[str], jobs: int | None) -> tuple[float, str]:
    """Wall seconds of one `sroi-excel fill` over every workbook in folder, and its summary."""
    command = [sys.executable, "-m", "sroi_excel.cli", "fill", *names, "--no-backup"]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not summary.startswith(f"filled {len(names)} of {len(names)} "):
        fails = [line for line in done.stdout.splitlines() if line.startswith("fail")][:3]
        raise SystemExit(f"failed ({done.returncode}): {summary[:300]}\n" + "\n".join(fails)
                         + f"\n{done.stderr[-2000:]}")
    return wall, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--outcomes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes for the pooled run (default: fill's default, the CPUs)")
    parser.add_argument("--keep", type=Path, help="keep the generated workbooks here")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="sroi-batch-"))
    source = work / "source"
    source.mkdir(parents=True, exist_ok=True)
    names = [f"analyse-{i:03d}.xlsx" for i in range(1, args.files + 1)]
    start = time.perf_counter()
    for name in names:
        write_input(source / name, args.outcomes)
    print(f"generated {args.files} workbooks of {args.outcomes} outcomes in "
          f"{time.perf_counter() - start:.1f} s ({work})", flush=True)
    modes = {"sequential (--jobs 1)": 1,
             f"pooled (--jobs {args.jobs or 'default'})": args.jobs}
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for i in range(args.repeat):
        order = list(modes) if i % 2 == 0 else list(reversed(modes))
        for mode in order:
            folder = work / f"run-{i}-{modes[mode] or 'default'}"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(source, folder)
            wall, summary = fill(folder, names, modes[mode])
            times[mode].append(wall)
            # Other work on the machine skews a run; the load average says how busy it was.
            load = os.getloadavg()[0]
            print(f"run {i + 1} {mode}: {wall:.1f} s   load {load:.1f}   [{summary}]",
                  flush=True)
            shutil.rmtree(folder)
    sequential, pooled = (statistics.median(t) for t in times.values())
    print(f"\n{args.files} workbooks x {args.outcomes} outcomes, medians of {args.repeat} runs, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")
    for mode, t in times.items():
        median = statistics.median(t)
        print(f"  {mode:<24} {median:7.1f} s  ({median / args.files:.2f} s per workbook)")
    print(f"  speed-up {sequential / pooled:.2f}x")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
