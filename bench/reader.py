"""Benchmark: the reader of two source trees side by side (e.g. main against a branch).

Each measurement runs in a fresh interpreter with PYTHONPATH set to one tree; old and new
alternate, so a busy machine slows both alike. Prints medians: the import of sroi_excel.reader
(python -X importtime, cumulative) and reader.read() of each input workbook.

    python bench/generate.py 1000 /tmp/rb          # and 50, 10000: writes input-N.xlsx
    python bench/reader.py --old ../main --new . --inputs /tmp/rb --sizes 50 1000 10000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

READ = """
import sys, time
from sroi_excel import reader
data = open(sys.argv[1], "rb").read()
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    reading = reader.read(data, "input.xlsx")
    times.append(time.perf_counter() - start)
print(min(times), reading.fingerprint)
"""


def child(tree: Path, *args: str) -> subprocess.CompletedProcess:
    # Run in the tree itself: "python -c" puts the working folder first on sys.path.
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([sys.executable, *args], env=env, cwd=tree, capture_output=True,
                          text=True, check=True, timeout=600)


def import_seconds(tree: Path) -> float:
    """Cumulative import time of sroi_excel.reader, from python -X importtime."""
    done = child(tree, "-X", "importtime", "-c", "import sroi_excel.reader")
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s+sroi_excel\.reader$", line)
        if m:
            return int(m.group(1)) / 1e6
    raise RuntimeError(done.stderr[-2000:])


def read_seconds(tree: Path, path: Path, inner: int) -> tuple[float, str]:
    """The fastest of ``inner`` reads in one interpreter, and the fingerprint."""
    seconds, fingerprint = child(tree, "-c", READ, str(path), str(inner)).stdout.split()
    return float(seconds), fingerprint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, required=True)
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}

    imports: dict[str, list[float]] = {k: [] for k in trees}
    for _ in range(args.repeat):
        for key, tree in trees.items():
            imports[key].append(import_seconds(tree))
    print("| measurement | old | new | old / new |")
    print("| --- | --- | --- | --- |")
    old, new = statistics.median(imports["old"]), statistics.median(imports["new"])
    print(f"| import sroi_excel.reader | {old:.3f} s | {new:.3f} s | {old / new:.1f} |")
    for size in args.sizes:
        path = args.inputs / f"input-{size}.xlsx"
        found: dict[str, list[float]] = {k: [] for k in trees}
        prints: dict[str, set[str]] = {k: set() for k in trees}
        for _ in range(args.repeat):
            for key, tree in trees.items():
                seconds, fingerprint = read_seconds(tree, path, 1 if size >= 10000 else 3)
                found[key].append(seconds)
                prints[key].add(fingerprint)
        old, new = statistics.median(found["old"]), statistics.median(found["new"])
        same = "" if prints["old"] == prints["new"] else " (fingerprints differ!)"
        print(f"| read {size:,} outcomes | {old:.3f} s | {new:.3f} s | {old / new:.1f}{same} |")


if __name__ == "__main__":
    main()
