"""The floor for fill: read the input sheets, write result sheets of the same size, merge.

No formula evaluation, no engine, no checks: what any tool has to pay to read this workbook
and write results of this size into it. Used by bench/run.py.

    python bench/floor.py input.xlsx out.xlsx
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import xlsxwriter
from openpyxl import load_workbook

from sroi_excel import packager

YEARS = 10
TRAIL_COLUMNS = 19


def main(source: Path, target: Path) -> None:
    data = source.read_bytes()
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    cells = 0
    outcomes = 0
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += sum(v is not None for v in row)
            outcomes += ws.title == "Opbrengsten"
    book.close()
    out = io.BytesIO()
    results = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    ws = results.add_worksheet("Rekenspoor")
    for r in range(outcomes * YEARS):  # one row per outcome-year, as a trail needs at least
        for c in range(TRAIL_COLUMNS):
            ws.write_number(r, c, r + c)
    results.close()
    target.write_bytes(packager.merge_result_sheets(data, out.getvalue()))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
