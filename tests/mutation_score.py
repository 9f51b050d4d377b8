"""The mutation score per module after `make mutate`, and the mutants no test noticed.

Reads what mutmut recorded in mutants/ (run from the repository root). A mutant counts as
killed when a test failed or it ran out of time (an endless loop is noticed too); one that
survived or that no fast test reaches counts against the score, unless it is listed in
`tests/mutation_equivalent.py` as one that cannot change what the code does. The score is
killed / (mutants - equivalent).

    python tests/mutation_score.py          # the scores
    python tests/mutation_score.py --list   # and the surviving mutants, for `mutmut show`
"""

from __future__ import annotations

import fnmatch
import json
import sys
from pathlib import Path

from mutation_equivalent import equivalent

# module -> the mutant names that count (reader_cells: the parsing of one cell, not the
# finding of tables); the Makefile's `mutate` target runs the same names.
MODULES = {
    "formula": ["sroi_excel.formula.*", "sroi_excel.formula_messages.*"],
    "core": ["sroi_excel.core.*"],
    "engine": ["sroi_excel.engine.*"],
    "reader_cells": ["sroi_excel.reader_cells.x_*", "sroi_excel.reader_cells.x*CellReader*"],
}
KILLED = {1, 3, 24, -24, 36, 152, 255}  # a failing test, or a timeout (mutmut's exit codes)
SURVIVED = {0}
NO_TESTS = {5, 33}


def main(listing: bool) -> int:
    same = equivalent()
    print(f"{'module':14} {'mutants':>8} {'killed':>7} {'equivalent':>11} {'survived':>9} "
          f"{'score':>7}")
    for module, patterns in MODULES.items():
        meta = Path("mutants") / "sroi_excel" / f"{module}.py.meta"
        if not meta.exists():
            print(f"{module:14} not run")
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        chosen = {name: code for name, code in codes.items()
                  if any(fnmatch.fnmatch(name, p) for p in patterns)}
        tried = {name: code for name, code in chosen.items() if code is not None}
        killed = sum(code in KILLED for code in tried.values())
        alike = sorted(n for n, code in tried.items() if code not in KILLED and n in same)
        left = sorted(n for n, code in tried.items() if code not in KILLED and n not in same)
        counted = len(tried) - len(alike)
        score = f"{killed / counted:.1%}" if counted else "-"
        missing = f" ({len(chosen) - len(tried)} not run)" if len(tried) < len(chosen) else ""
        print(f"{module:14} {len(tried):8} {killed:7} {len(alike):11} {len(left):9} "
              f"{score:>7}{missing}")
        if listing:
            for name in left:
                print(f"    {name}: {'no test' if codes[name] in NO_TESTS else 'survived'}")
        # a listed name that is killed or no longer made: the list needs checking again
        stale = sorted(n for n in same if n.startswith(f"sroi_excel.{module}.")
                       and (n not in tried or tried[n] in KILLED))
        for name in stale:
            print(f"    {name}: listed as equivalent, but "
                  f"{'killed' if name in tried else 'not made'}; check the list")
    return 0


if __name__ == "__main__":
    sys.exit(main("--list" in sys.argv[1:]))
