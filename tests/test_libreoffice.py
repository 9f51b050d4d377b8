"""LibreOffice opens filled workbooks, recalculates every formula and agrees to the cent.

LibreOffice is the independent program here: with the forced-recalculation profile (tests/lo.py)
it computes every result formula itself from the input cells, so its figures check both the
engine and the formulas the renderer wrote. All files go through one LibreOffice start per
format, because each start costs seconds.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import api, reader, render, render_layout, schema
from sroi_excel.engine import compute
from sroi_excel.schema import RESULT_SHEETS

from .lo import convert_all
from .results_io import (
    compare_frame,
    edit_cell,
    grid,
    headline,
    sheet_table,
    table,
    trail_frame,
)
from .test_render import variant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.xlsx"))
VARIANTS = ["scenario", "per_year", "english", "no_inputs"]
NAMES = [p.stem for p in EXAMPLES] + VARIANTS
# An input cell to change in each of these, and the value typed there.
EDITS = {
    "buurtcoach": ("Aannames", "B2", 50),  # participants 40 -> 50
    "per_year": ("Opbrengsten", "E2", 18000),  # a proxy, also in years with fixed quantities
    "english": ("Settings", "B7", 0.035),  # the discount rate: every factor moves
}
TABLE_SHEETS = ["results", "stakeholders", "outcomes", "years", "trail", "input_trail"]


def numbers(path: Path, sheets: list[str]) -> dict[tuple[str, int, int], float]:
    book = CalamineWorkbook.from_path(str(path))
    found = {}
    for name in sheets:
        for r, row in enumerate(book.get_sheet_by_name(name).to_python()):
            for c, value in enumerate(row):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    found[(name, r, c)] = float(value)
    return found


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Every example and variant filled, then recalculated (xlsx) and printed (pdf) by
    LibreOffice; also the edited copies of EDITS, recalculated."""
    base = tmp_path_factory.mktemp("lo")
    filled, edited, reports = {}, {}, {}
    (base / "filled").mkdir()
    (base / "edited").mkdir()
    for name in NAMES:
        path = base / "filled" / f"{name}.xlsx"
        if name in VARIANTS:
            path.write_bytes(variant(name))
        else:
            shutil.copy(ROOT / "examples" / f"{name}.xlsx", path)
        reports[name] = api.fill(path, backup=False)
        filled[name] = path
    for name, (sheet, ref, value) in EDITS.items():
        path = base / "edited" / f"{name}-edited.xlsx"  # stems must differ: one outdir
        path.write_bytes(edit_cell(filled[name].read_bytes(), sheet, ref, value))
        edited[name] = path
    paths = list(filled.values()) + list(edited.values())
    xlsx = convert_all(paths, "xlsx", base / "xlsx", base)
    pdf = convert_all(list(filled.values()), "pdf", base / "pdf", base)
    return {"filled": filled, "edited": edited, "reports": reports, "xlsx": xlsx, "pdf": pdf,
            "base": base}


@pytest.mark.parametrize("name", NAMES)
def test_libreoffice_recalculation_matches_engine(name, converted):
    path, report = converted["filled"][name], converted["reports"][name]
    recalculated = converted["xlsx"][path]
    results, lang = report.results, report.results.model.language
    sheets = render.sheet_names(lang)
    ours = numbers(path, sheets)
    theirs = numbers(recalculated, sheets)
    assert ours, "no figures in the result sheets"
    missing = set(ours) - set(theirs)
    assert not missing, f"LibreOffice lost {sorted(missing)[:5]}"
    wrong = {k: (ours[k], theirs[k]) for k in ours
             if not math.isclose(ours[k], theirs[k], abs_tol=0.005, rel_tol=1e-9)}
    assert not wrong, f"LibreOffice computes other figures: {list(wrong.items())[:5]}"
    # Every table as LibreOffice computed it, against the engine's tables, to the cent.
    assert not engine_differences(recalculated, results, name)


def engine_differences(path: Path, results, name: str) -> list[str]:
    lang = results.model.language
    problems = []
    inputs = results.inputs.copy()
    inputs["kind"] = None  # shown as a word, compared as text elsewhere
    first_year = results.model.settings.first_year
    for key, frame in (("stakeholders", results.stakeholders), ("outcomes", results.outcomes),
                       ("years", results.years), ("trail", trail_frame(results)),
                       ("input_trail", inputs)):
        keys = [k for k in frame.columns
                if (k in render_layout.COLUMNS or k.startswith(render_layout.YEAR_KEY))
                and k not in ("kind",) and not (len(frame) and frame[k].isna().all())]
        problems += compare_frame(sheet_table(path, key, keys, lang, first_year), frame, keys,
                                  f"{name} {key}")
    if len(results.categories):
        # The table by category, below the stakeholders (its header names the count column).
        keys = list(results.categories.columns[1:])
        problems += compare_frame(table(grid(path, RESULT_SHEETS["stakeholders"](lang)), keys,
                                        lang), results.categories, keys, f"{name} categories")
    found = headline(path, lang)
    head = results.headline
    for key in ("pv_value", "pv_inputs", "npv", "value_nominal", "inputs_nominal"):
        if not math.isclose(found[key], getattr(head, key), abs_tol=0.005):
            problems.append(f"{name} {key}: file {found[key]}, engine {getattr(head, key)}")
    for key, want in (("ratio", head.ratio), ("net_ratio", head.net_ratio),
                      ("payback", head.payback_years), ("discount_rate", head.discount_rate),
                      ("input_rate", head.input_rate)):
        if want is None:
            if not isinstance(found[key], str):
                problems.append(f"{name} {key}: file {found[key]}, engine None")
        elif not (isinstance(found[key], float) and math.isclose(found[key], want,
                                                                 abs_tol=1e-9)):
            problems.append(f"{name} {key}: file {found[key]!r}, engine {want}")
    return problems


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edited_input_moves_the_results_as_the_engine_says(name, converted):
    """Change an input cell in the filled file, let LibreOffice recalculate (no fill), and
    compare with the engine's results for the edited workbook."""
    sheet, ref, value = EDITS[name]
    edited = converted["edited"][name]
    recalculated = converted["xlsx"][edited]
    before = converted["reports"][name].results
    reading = reader.read(edited.read_bytes(), edited.name)
    after = compute(reading.model, before.scenario)
    assert not math.isclose(after.headline.pv_value, before.headline.pv_value), (
        "the edit should change the results")
    assert not engine_differences(recalculated, after, f"{name} after {sheet}!{ref}={value}")
    # ... and cell by cell as a fresh fill of the edited workbook writes them.
    fresh = converted["base"] / "fresh" / edited.name
    fresh.parent.mkdir(exist_ok=True)
    shutil.copy(edited, fresh)
    api.fill(fresh, backup=False)
    sheets = [RESULT_SHEETS[k](after.model.language) for k in TABLE_SHEETS]
    want, got = numbers(fresh, sheets), numbers(recalculated, sheets)
    wrong = {k: (want[k], got.get(k)) for k in want
             if k not in got or not math.isclose(want[k], got[k], abs_tol=0.005,
                                                 rel_tol=1e-9)}
    assert not wrong, list(wrong.items())[:5]


def pdf_pages(pdf: Path) -> list[str]:
    count = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True).stdout for i in range(1, count + 1)]


def page_breaks(path: Path, sheet: str) -> int:
    """Manual page breaks of a sheet in the filled package."""
    from .results_io import sheet_parts

    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_parts(data)[sheet]).decode()
    found = re.search(r'<rowBreaks count="(\d+)"', xml)
    return int(found.group(1)) if found else 0


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
@pytest.mark.parametrize("name", NAMES)
def test_result_sheets_print_whole(name, converted):
    path, report = converted["filled"][name], converted["reports"][name]
    results, lang = report.results, report.results.model.language
    pages = pdf_pages(converted["pdf"][path])
    total = len(pages)
    footer = "Pagina {} van {}" if lang == "nl" else "Page {} of {}"

    def sheet_of(text: str) -> str | None:
        first = text.strip().splitlines()[0] if text.strip() else ""
        return next((s for s in render.sheet_names(lang) if first.rstrip().endswith(s)), None)

    by_sheet: dict[str, list[str]] = {}
    for number, text in enumerate(pages, 1):
        sheet = sheet_of(text)
        if sheet:
            by_sheet.setdefault(sheet, []).append(text)
        if sheet in [RESULT_SHEETS[k](lang) for k in TABLE_SHEETS]:
            # the analysis name in the header, page numbers in the footer
            assert results.model.settings.name[:30] in text.splitlines()[0]
            assert footer.format(number, total) in text
    names = [RESULT_SHEETS[k](lang) for k in TABLE_SHEETS]
    assert [s for s in by_sheet if s in names] == names, by_sheet.keys()
    # The results sheet: one page per block between the planned breaks, so no table and
    # no chart is split; every chart title is on it.
    results_sheet = names[0]
    assert len(by_sheet[results_sheet]) == page_breaks(path, results_sheet) + 1
    printed = "\n".join(by_sheet[results_sheet])
    titles = ["Cumulatieve waarde en inbreng: terugverdienen"] if lang == "nl" else [
        "Cumulative value against inputs: payback"]
    if len(results.trail):
        titles += (["Inbreng en waarde per belanghebbende", "Waarde per jaar, per "
                    "belanghebbende"] if lang == "nl" else
                   ["Inputs and value by stakeholder", "Value per year, by stakeholder"])
    for title in titles:
        assert title in printed.replace("\n", " ") or title in printed, title
    symbol = results.model.settings.currency
    assert money(results.headline.pv_value, symbol) in printed
    assert render_layout.HEADLINE["ratio"](lang) in printed
    # Table sheets: the last column's header and the grand total are printed (not cut off).
    for key, total_key in (("trail", "present_value"), ("input_trail", "present_value"),
                           ("outcomes", "present_value")):
        frame = {"trail": trail_frame(results), "input_trail": results.inputs,
                 "outcomes": results.outcomes}[key]
        text = "\n".join(by_sheet[RESULT_SHEETS[key](lang)])
        if len(frame):
            assert money(float(frame[total_key].sum()), symbol) in text, key
    trail_text = "\n".join(by_sheet[RESULT_SHEETS["trail"](lang)])
    assert ("Toelichting" if lang == "nl" else "Note") in trail_text


def money(value: float, currency: str = "EUR") -> str:
    """An amount as LibreOffice prints it in the test machine's (English) locale."""
    symbol = schema.currency_format(currency).split('"')[1]
    return ("-" if value < 0 else "") + f"{symbol} {abs(value):,.2f}"
