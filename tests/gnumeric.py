"""Gnumeric for tests: a second spreadsheet program, independent of LibreOffice, that opens a
workbook, recalculates every formula itself (``ssconvert --recalc``) and saves the values it
computed; and the comparison of the values cached in a workbook with those a program computed.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

# Relative tolerance between the value the engine cached and the value a spreadsheet program
# computes from the formula. The two add and multiply in another order (the engine sums
# (1 - drop-off)^k where the sheet may use the geometric series, and sums the discounted
# values of a cohort before multiplying by the impact): a few units in the last place per
# step, some 1e-15 relative over the tens of steps from an input cell to the ratio. 1e-9
# leaves that a million times over, and is still a cent on ten million, less than any figure
# shows. A value that is zero up to rounding (an NPV of equal sums) is compared absolutely, to
# a millionth of a currency unit.
REL_TOL = 1e-9
ABS_TOL = 1e-6


def ssconvert() -> str:
    """The ssconvert binary; skip (locally) or fail (CI) when Gnumeric is missing."""
    found = shutil.which("ssconvert")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Gnumeric (ssconvert) is required in CI; .ci/run installs it")
    pytest.skip("Gnumeric (ssconvert) is not installed; this test runs in CI")


def recalculate(paths: list[Path], outdir: Path) -> dict[Path, Path]:
    """Each workbook opened by Gnumeric, every formula computed again, saved as .xlsx."""
    binary = ssconvert()
    outdir.mkdir(parents=True, exist_ok=True)
    done = {}
    for path in paths:
        target = outdir / path.name
        result = subprocess.run([binary, "--recalc", str(path), str(target)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0 and target.exists(), (path, result.stderr)
        done[path] = target
    return done


Values = dict[tuple[str, int, int], object]


def cached(path: Path, sheets: list[str] | None = None) -> Values:
    """Every number and text of ``sheets`` (all by default): (sheet, row, column) -> value."""
    book = CalamineWorkbook.from_path(str(path))
    found: Values = {}
    for name in sheets if sheets is not None else book.sheet_names:
        for r, row in enumerate(book.get_sheet_by_name(name).to_python()):
            for c, value in enumerate(row):
                if value not in ("", None):
                    found[(name, r, c)] = value
    return found


def disagreements(ours: Values, theirs: Values, only: set | None = None) -> list[str]:
    """The cells whose value ``theirs`` computed differs from the one ``ours`` cached
    (``only``: just these cells)."""
    wrong = []
    for key, want in ours.items():
        if only is not None and key not in only:
            continue
        got = theirs.get(key)
        if isinstance(want, bool) or isinstance(got, bool):
            same = want == got
        elif isinstance(want, int | float) and isinstance(got, int | float):
            same = math.isclose(want, got, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        else:
            same = str(want) == str(got)
        if not same:
            sheet, r, c = key
            wrong.append(f"{sheet}!{_column(c)}{r + 1}: cached {want!r}, computed {got!r}")
    return wrong


def _column(c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rest = divmod(c - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
