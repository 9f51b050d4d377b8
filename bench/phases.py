"""Where fill spends its time: each phase of api.fill timed on its own, medians of a few runs.

    python bench/phases.py input.xlsx [--repeat 5]

Import time is measured in a fresh interpreter (`python -X importtime` gives the detail).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path


def import_seconds() -> float:
    code = ("import time; t = time.perf_counter(); import sroi_excel.api; "
            "print(time.perf_counter() - t)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from sroi_excel import api, packager, reader, render, uncertainty
    from sroi_excel.check import validate
    from sroi_excel.engine import compute
    read = reader.read

    data = args.workbook.read_bytes()
    timings: dict[str, list[float]] = {}

    def timed(label, fn, *a, **k):
        start = time.perf_counter()
        result = fn(*a, **k)
        timings.setdefault(label, []).append(time.perf_counter() - start)
        return result

    gc.disable()  # as the sroi-excel process runs (cli._Program)
    for _ in range(args.repeat):
        reading = timed("read", read, data, args.workbook.name)
        timed("check", validate, reading.model)
        results = timed("engine", compute, reading.model)
        unsure = timed("uncertainty", uncertainty.analyse, reading.model)
        rendered = timed("render", render.render_for_merge, results, uncertainty=unsure)
        # merge makes the large tables' rows (render leaves them) and zips the workbook
        timed("merge", packager.merge_result_sheets, data, rendered,
              properties={api.FINGERPRINT_PROPERTY: reading.fingerprint})
    print(f"{'imports':12} {import_seconds():7.3f} s")
    for label, runs in timings.items():
        print(f"{label:12} {statistics.median(runs):7.3f} s")


if __name__ == "__main__":
    main()
