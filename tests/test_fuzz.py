"""A mutation fuzzer over the example workbooks: every run ends in results or a clear message.

Each case takes one shipped example (or a template), applies one to three seeded mutations to
the XML of its sheets (a cell edited to a random value or formula, a row deleted or emptied, a
cell's type swapped, a row duplicated, two cells swapped) and runs `check` through the CLI;
when that passes, some also run `fill`. Never a traceback: only exit codes 0, 1 and 3, and an
error line for every non-zero exit. The case number is the seed: `-k "fuzz[17]"` replays one.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sroi_excel.cli import main
from sroi_excel.template import build_template

ROOT = Path(__file__).resolve().parent.parent
COUNT = 200
SEED = 6_2024

NUMBERS = ["0", "-1", "1", "0.5", "20", "150", "-5000", "1E+308", "1E-300", "123456789012",
           "2.5", "NaN", "INF", "abc", ""]
TEXTS = ["", " ", "veel", "1.234,56", "20%", "€ 15.000", "#REF!", "=1+1", "+31", "@x", "ja",
         "nee", "x" * 5000, "日本語 🙂", "Gemeente", "Deelnemers", "Succes", "minimum", "geld",
         "uren", "\t", "2025", "1e3", "-", "'", "TRUE", "#N/A"]
FORMULAS = ["SUM(A1:A3)", "IF(1,2,3)", "Deelnemers*Succes", "1/0", "A1", "Aannames!B2",
            "Aannames!ZZ99999", "B2:B4", "10^400", "(((1)))", "SUM(Aannames!B:B)", "-",
            "", "INDIRECT(\"A1\")", "Succes%", "ROUND(Deelnemers;0)", "B2*2", "#REF!*2",
            "Blad1!A1", "SUM(B1:XFD1048576)", "-Deelnemers", "Z1", "\"tekst\"", "1+" * 100 + "1",
            "Opbrengsten!E2", "MAX()", "ABS(-3)", "AVERAGE(E1:E1)"]
ERRORS = ["#DIV/0!", "#REF!", "#NAME?", "#VALUE!", "#N/A"]

_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)


@cache
def bases() -> tuple[tuple[str, bytes], ...]:
    found = [(p.name, p.read_bytes()) for p in sorted((ROOT / "examples").glob("*.xlsx"))]
    return (*found, ("template-nl", build_template("nl")), ("template-en", build_template("en")))


def sheet_parts(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = re.findall(r'Target="/?(?:xl/)?(worksheets/[^"]+)"', rels)
    return ["xl/" + t for t in targets]


def rewrite(data: bytes, part: str, text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, text.encode() if info.filename == part else src.read(info))
    return out.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attrs(cell: str) -> tuple[str, str]:
    ref = re.search(r'\br="([A-Z]+\d+)"', cell)
    style = re.search(r'\bs="(\d+)"', cell)
    return (ref.group(1) if ref else "A1"), (f' s="{style.group(1)}"' if style else "")


def random_cell(rng: random.Random, ref: str, style: str) -> str:
    kind = rng.choice(["number", "text", "formula", "bool", "error", "empty", "bad-shared"])
    if kind == "number":
        return f'<c r="{ref}"{style}><v>{rng.choice(NUMBERS)}</v></c>'
    if kind == "text":
        return (f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">'
                f"{_esc(rng.choice(TEXTS))}</t></is></c>")
    if kind == "formula":
        return f'<c r="{ref}"{style}><f>{_esc(rng.choice(FORMULAS))}</f><v>0</v></c>'
    if kind == "bool":
        return f'<c r="{ref}"{style} t="b"><v>{rng.choice("01")}</v></c>'
    if kind == "error":
        return f'<c r="{ref}"{style} t="e"><v>{_esc(rng.choice(ERRORS))}</v></c>'
    if kind == "bad-shared":  # a shared-string index past the end of the table
        return f'<c r="{ref}"{style} t="s"><v>{rng.choice(["99999", "-1", "x"])}</v></c>'
    return f'<c r="{ref}"{style}/>'


def _shift_row(block: str, delta: int) -> str:
    def row(m: re.Match) -> str:
        return f'r="{int(m.group(1)) + delta}"'

    def cell(m: re.Match) -> str:
        return f'r="{m.group(1)}{int(m.group(2)) + delta}"'

    block = re.sub(r'(?<=<row )r="(\d+)"', row, block, count=1)
    block = re.sub(r'\br="([A-Z]+)(\d+)"', cell, block)
    return block


def mutate(rng: random.Random, xml: str) -> tuple[str, str]:
    """One random change to a sheet's XML; returns the new XML and what was done."""
    cells = list(_CELL.finditer(xml))
    rows = list(_ROW.finditer(xml))
    op = rng.choice(["edit", "edit", "edit", "swap-type", "delete-row", "blank-row",
                     "duplicate-row", "delete-cell", "swap-cells"])
    if op in ("edit", "swap-type", "delete-cell", "swap-cells") and cells:
        m = rng.choice(cells)
        cell = m.group(0)
        ref, style = _attrs(cell)
        if op == "edit":
            new = random_cell(rng, ref, style)
        elif op == "delete-cell":
            new = ""
        elif op == "swap-cells":
            other = rng.choice(cells)
            a, b = sorted([m, other], key=lambda x: x.start())
            if a.start() == b.start():
                return xml, "swap-cells (same cell)"
            ref_a, ref_b = _attrs(a.group(0))[0], _attrs(b.group(0))[0]
            new_a = re.sub(r'\br="[A-Z]+\d+"', f'r="{ref_a}"', b.group(0), count=1)
            new_b = re.sub(r'\br="[A-Z]+\d+"', f'r="{ref_b}"', a.group(0), count=1)
            return (xml[:a.start()] + new_a + xml[a.end():b.start()] + new_b + xml[b.end():],
                    f"swap {ref_a} and {ref_b}")
        else:  # swap-type: a number becomes text, text (a shared string) becomes a number
            value = re.search(r"<v>(.*?)</v>", cell)
            if 't="s"' in cell or value is None:
                new = re.sub(r'\st="s"', "", cell)
            else:
                new = (f'<c r="{ref}"{style} t="inlineStr"><is><t>{value.group(1)}</t></is>'
                       "</c>")
        return xml[:m.start()] + new + xml[m.end():], f"{op} {ref}"
    if rows:
        m = rng.choice(rows)
        number = re.search(r'r="(\d+)"', m.group(0))
        if op == "delete-row" and number:
            # Delete and shift the rows below up, as Excel's "Delete row" does.
            after = _ROW.sub(lambda r: _shift_row(r.group(0), -1), xml[m.end():])
            return xml[:m.start()] + after, f"delete row {number.group(1)}"
        if op == "duplicate-row" and number:
            last = max(int(re.search(r'r="(\d+)"', r.group(0)).group(1)) for r in rows
                       if re.search(r'r="(\d+)"', r.group(0)))
            copy = _shift_row(m.group(0), last + 1 - int(number.group(1)))
            end = rows[-1].end()
            return xml[:end] + copy + xml[end:], f"duplicate row {number.group(1)}"
        return xml[:m.start()] + xml[m.end():], "blank-row"
    return xml, "nothing to change"


def mutated(case: int) -> tuple[str, bytes, list[str]]:
    rng = random.Random(SEED + case)
    name, data = rng.choice(bases())
    done = []
    for _ in range(rng.randint(1, 3)):
        part = rng.choice(sheet_parts(data))
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read(part).decode()
        xml, what = mutate(rng, xml)
        done.append(f"{part}: {what}")
        data = rewrite(data, part, xml)
    return name, data, done


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("case", range(COUNT), ids=lambda n: f"fuzz[{n}]")
def test_mutated_workbook_ends_in_results_or_a_clear_message(case: int, tmp_path: Path):
    name, data, done = mutated(case)
    path = tmp_path / "gemuteerd.xlsx"
    path.write_bytes(data)
    context = f"{name}, {done}"
    result = run("check", path)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{context}: uncaught {result.exception!r}")
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 3), f"{context}: exit {result.exit_code}\n{result.output}"
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    if result.exit_code:
        assert errors, f"{context}: exit {result.exit_code} without an error line"
        assert all(len(line) > len("error: ") + 10 for line in errors)
    if result.exit_code == 3:
        assert "gemuteerd.xlsx" in result.output, context
    assert path.read_bytes() == data
    if result.exit_code == 0 and case % 4 == 0:
        out = tmp_path / "gevuld.xlsx"
        filled = run("fill", path, "-o", out)
        assert filled.exception is None or isinstance(filled.exception, SystemExit), (
            f"{context}: fill raised {filled.exception!r}")
        assert filled.exit_code == 0, f"{context}\n{filled.output}"
        book = openpyxl.load_workbook(out, read_only=True)
        book.close()
