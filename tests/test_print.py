"""What a controller sees and prints: every figure in full (no ###), a readable scale with the
headers repeated, charts whose labels do not pile up, one vertical alignment per row, and the
workbook's own language and currency in every word.

The large analysis (tests/large_analysis.py) runs to tens of millions over five years; the
same analysis times 40 runs to billions.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from sroi_excel import api, measure, render, schema
from sroi_excel.schema import RESULT_SHEETS
from sroi_excel.template import build_template

from .builders import model as make_model
from .builders import money, outcome
from .conftest import run
from .large_analysis import large_analysis
from .lo import convert_all
from .test_render import variant
from .test_uncertainty import many_outcomes_model

ROOT = Path(__file__).resolve().parent.parent
TABLES = ["stakeholders", "outcomes", "years", "trail", "input_trail"]
DASH = "–"


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> dict[str, tuple[Path, api.Report]]:
    """The large analysis in Dutch (euro), in English (pounds), and times 40, filled; and
    the example with the most stakeholders."""
    folder = tmp_path_factory.mktemp("print")
    out = {}
    for name, data in (("large-nl", large_analysis("nl")),
                       ("large-en", large_analysis("en", "GBP")),
                       ("billions-nl", large_analysis("nl", scale=40)),
                       ("blended-care", (ROOT / "examples" / "blended-care.xlsx").read_bytes())):
        path = folder / f"{name}.xlsx"
        path.write_bytes(data)
        out[name] = (path, api.fill(path, backup=False, draws=200))
    return out


@pytest.fixture(scope="module")
def printed(filled, tmp_path_factory) -> dict[str, list[str]]:
    """Each filled workbook printed to PDF by LibreOffice: the text of every page."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    base = tmp_path_factory.mktemp("print-pdf")
    paths = [path for path, _ in filled.values()]
    pdfs = convert_all(paths, "pdf", base / "pdf", base)
    return {path.stem: subprocess.run(["pdftotext", "-layout", str(pdfs[path]), "-"],
                                      capture_output=True, text=True, check=True
                                      ).stdout.split("\f") for path in paths}


def column_width(ws, col: int) -> float:
    """A column's width as the sheet stores it (8.43, Excel's default, where it does not)."""
    letter = get_column_letter(col)
    for dims in ws.column_dimensions.values():
        if dims.min and dims.max and dims.min <= col <= dims.max and dims.width:
            return dims.width
    dims = ws.column_dimensions.get(letter)
    return dims.width if dims is not None and dims.width else 8.43


def shown(value: float, number_format: str) -> str | None:
    """A number as a thousands-separated number format shows it (None for other formats)."""
    code = number_format.split(";")[0]
    if "#,##0" not in code:
        return None
    symbol = re.match(r'"([^"]*)"', code)
    decimals = len(code.rsplit(".", 1)[1].rstrip("%")) if "." in code else 0
    text = f"{abs(value):,.{decimals}f}"
    if symbol:
        text = f"{symbol.group(1)} {text}"
    return ("-" if value < 0 else "") + text


def needed(text: str, size: float, bold: bool) -> float:
    """The least column width a text needs: a digit (or currency sign) is one unit of column
    width, separators and the space half a unit; a bold face is a tenth wider, the cell's
    margins take one unit."""
    units = sum(1.0 if ch.isdigit() or ch in "€£$" else 0.5 for ch in text)
    return units * size / 11 * (1.1 if bold else 1.0) + 1


@pytest.mark.parametrize("name", ["large-nl", "billions-nl"])
def test_every_figure_fits_its_column(filled, name):
    path, report = filled[name]
    lang = report.results.model.language
    book = openpyxl.load_workbook(path, data_only=True)
    checked = 0
    biggest = 0.0
    for sheet in render.sheet_names(lang):
        ws = book[sheet]
        merged = {cell for area in ws.merged_cells.ranges for row in ws[area.coord]
                  for cell in row}
        for row in ws.iter_rows():
            for cell in row:
                if (not isinstance(cell.value, int | float) or isinstance(cell.value, bool)
                        or cell in merged):
                    continue
                text = shown(float(cell.value), cell.number_format)
                if text is None:
                    continue
                font = cell.font
                width = column_width(ws, cell.column)
                assert width >= needed(text, font.sz or 11, bool(font.b)), (
                    sheet, cell.coordinate, text, width)
                checked += 1
                biggest = max(biggest, abs(float(cell.value)))
    assert checked > 300
    # tens of millions, and billions times 40
    assert biggest > (3e9 if name == "billions-nl" else 5e7)


def test_the_headline_column_holds_billions_in_large_bold_type(filled):
    path, report = filled["billions-nl"]
    head = report.results.headline
    assert 3e9 < head.pv_value < 4e9  # € 3,518,314,363.68: 12 digits, the sign, 5 separators
    ws = openpyxl.load_workbook(path)[RESULT_SHEETS["results"]("nl")]
    # (12 + 1 + 5 x 0.5) units x 12/11 (12 points) x 1.1 (bold) + 1 = 19.6
    assert column_width(ws, 2) >= 19.6


def test_no_figure_prints_as_hashes(filled, printed):
    for name, pages in printed.items():
        text = "\n".join(pages)
        assert "###" not in text, name
        head = filled[name][1].results.headline
        currency = filled[name][1].results.model.settings.currency
        symbol = schema.currency_format(currency).split('"')[1]
        assert f"{symbol} {head.pv_value:,.2f}" in text, name  # printed in full
        assert f"{symbol} {head.npv:,.2f}" in text, name


def page_scale(ws, columns: int) -> float:
    """The scale at which Excel fits the first ``columns`` columns to the page width: A4
    landscape less half an inch each side is 770 points; Calibri 11 makes a column 7 pixels
    a unit plus 5, and a pixel is 3/4 of a point."""
    pixels = sum(int(column_width(ws, c) * 7 + 5) for c in range(1, columns + 1))
    return min(1.0, 770 / (pixels * 0.75))


def test_tables_print_at_a_readable_scale_with_their_headers_repeated(filled):
    path, report = filled["large-nl"]
    book = openpyxl.load_workbook(path)
    scaled = []
    for key in TABLES:
        ws = book[RESULT_SHEETS[key]("nl")]
        area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
        last = openpyxl.utils.cell.range_boundaries(area.split("!")[1])[2]
        assert ws.print_title_rows, key  # the header row on every page
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            # one page wide only where that leaves 75% or more: 8-point type
            assert ws.page_setup.fitToHeight == 0
            assert page_scale(ws, last) >= 0.75, key
        else:
            assert ws.page_setup.scale == 75, key
            scaled.append(key)
    assert "trail" in scaled and "outcomes" in scaled
    trail = book[RESULT_SHEETS["trail"]("nl")]
    # No., stakeholder and outcome on every page across; the header row on every page down
    assert trail.print_title_cols == "$A:$C"
    header = next(r for r in range(1, 20) if trail.cell(r, 1).value == "Nr.")
    assert trail.print_title_rows == f"${header}:${header}"
    assert page_scale(trail, trail.max_column) < 0.75  # fitting it would shrink the type


def page_starts(ws) -> list[int]:
    """The rows (from 1) that start a printed page after a manual break."""
    return [brk.id + 1 for brk in ws.row_breaks.brk]


def test_the_sensitivity_tables_repeat_their_header_on_every_page():
    data = render.render_results(*_results(many_outcomes_model()))
    ws = openpyxl.load_workbook(io.BytesIO(data))[RESULT_SHEETS["sensitivity"]("en")]
    rows = [[c.value for c in row] for row in ws.iter_rows(max_col=10)]
    starts = page_starts(ws)
    for first_cells in (["Assumption or deduction", "Type", "Value", "Low"],
                        ["Assumption or deduction", "Type", "Value", "Switching value (ratio 1)"]):
        header = next(r for r, row in enumerate(rows, 1) if row[:4] == first_cells)
        end = next(r for r in range(header + 1, len(rows) + 1)
                   if rows[r - 1][0] is None or str(rows[r - 1][0]).endswith("lists them all."))
        inside = [s for s in starts if header < s < end]
        assert len(inside) >= 2, first_cells  # 200 rows: three pages and more
        for start in inside:
            assert rows[start - 1] == rows[header - 1], (first_cells, start)
        repeated = [r for r in range(header + 1, end) if rows[r - 1] == rows[header - 1]]
        assert repeated == inside  # the header again only where a page starts


def _results(m):
    from sroi_excel import uncertainty
    from sroi_excel.engine import compute

    return compute(m), "en", None, uncertainty.analyse(m)


def chart_xml(data: bytes, title: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/charts/") and name.endswith(".xml"):
                text = z.read(name).decode()
                if title in text:
                    return text
    raise AssertionError(f"no chart titled {title!r}")


def test_chart_labels_show_the_value_only_and_a_negative_bar_keeps_clear_of_the_names(filled):
    path, report = filled["large-en"]
    xml = chart_xml(path.read_bytes(), "Value by outcome")
    labels = re.search(r"<c:dLbls>.*?</c:dLbls>", xml, re.S).group(0)
    for flag, val in (("showVal", 1), ("showCatName", 0), ("showSerName", 0),
                      ("showLegendKey", 0), ("showPercent", 0)):
        assert f'<c:{flag} val="{val}"/>' in labels, flag
    # the names stand left of the plot, not at the zero line a negative bar crosses
    assert '<c:tickLblPos val="low"/>' in xml
    # the one negative outcome (extra running costs, the smallest: last of 8) is labelled
    # inside its bar, by the zero line
    pvs = sorted(report.results.outcomes["present_value"], reverse=True)
    assert pvs[-1] < 0 < pvs[-2]
    custom = re.findall(r"<c:dLbl>.*?</c:dLbl>", labels, re.S)
    assert len(custom) == 1 and '<c:idx val="7"/>' in custom[0]
    assert '<c:dLblPos val="inBase"/>' in custom[0]
    stakeholders = chart_xml(path.read_bytes(), "Inputs and value by stakeholder")
    assert '<c:tickLblPos val="low"/>' in stakeholders


def test_many_bars_have_no_value_labels():
    many = make_model([outcome("A", 1, 100 * (i + 1), name=f"o{i}") for i in range(12)],
                      [money("B", 500)])
    data = render.render_results(*_results(many)[:2])
    xml = chart_xml(data, "Value by outcome")
    assert "<c:dLbls>" not in xml  # twelve bars: the axis says enough
    few = make_model([outcome("A", 1, 100 * (i + 1), name=f"o{i}") for i in range(3)],
                     [money("B", 500)])
    assert "<c:dLbls>" in chart_xml(render.render_results(*_results(few)[:2]),
                                    "Value by outcome")


def test_shares_only_while_no_outcome_is_negative(filled, tmp_path):
    path, report = filled["large-en"]
    book = openpyxl.load_workbook(path, data_only=True)
    ws = book[RESULT_SHEETS["outcomes"]("en")]
    header = next(r for r in ws.iter_rows() if r[0].value == "No.")
    col = next(c.column for c in header if c.value == "Share of total")
    first = header[0].row + 1
    count = len(report.results.outcomes)
    assert [ws.cell(r, col).value for r in range(first, first + count + 1)] == [DASH] * (
        count + 1)  # the total too
    # all positive: the shares, which add up to 100%
    youth = tmp_path / "youth.xlsx"
    shutil.copy(ROOT / "examples" / "youth-mentoring.xlsx", youth)
    api.fill(youth, backup=False, draws=0)
    ws = openpyxl.load_workbook(youth, data_only=True)[RESULT_SHEETS["outcomes"]("en")]
    header = next(r for r in ws.iter_rows() if r[0].value == "No.")
    col = next(c.column for c in header if c.value == "Share of total")
    first = header[0].row + 1
    # 62,193.24, 30,257.68 and 8,404.91 of 100,855.83 (tests/test_examples.py)
    shares = [ws.cell(r, col).value for r in range(first, first + 3)]
    assert shares == pytest.approx([62193.24 / 100855.83, 30257.68 / 100855.83,
                                    8404.91 / 100855.83], abs=1e-6)
    assert ws.cell(first + 3, col).value == pytest.approx(1.0)


def test_a_row_has_one_vertical_alignment(tmp_path):
    path = tmp_path / "scenario.xlsx"
    path.write_bytes(variant("scenario"))  # scenario values: grey italic, fixed
    api.fill(path, backup=False)
    ws = openpyxl.load_workbook(path)[RESULT_SHEETS["trail"]("nl")]
    header = next(r for r in ws.iter_rows() if r[0].value == "Nr.")[0].row
    frozen = 0
    for row in ws.iter_rows(min_row=header + 1, max_row=ws.max_row - 1):
        aligned = {cell.alignment.vertical for cell in row if cell.value is not None}
        assert aligned == {"top"}, (row[0].row, aligned)
        frozen += sum(1 for cell in row if cell.font.i and cell.value is not None
                      and not isinstance(cell.value, str))
    assert frozen  # the scenario's values are there, in grey italics, at the top too


def test_sensitivity_and_monte_carlo_figures_are_formatted(tmp_path):
    path = tmp_path / "youth.xlsx"
    shutil.copy(ROOT / "examples" / "youth-mentoring.xlsx", path)
    api.fill(path, backup=False, draws=500)
    book = openpyxl.load_workbook(path)
    formats = set()
    for key in ("sensitivity", "monte_carlo"):
        for row in book[RESULT_SHEETS[key]("en")].iter_rows():
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    formats.add(cell.number_format)
    assert "#,##0.####" not in formats and "General" not in formats
    ws = book[RESULT_SHEETS["sensitivity"]("en")]
    cells = {str(row[0].value): row for row in ws.iter_rows() if row[0].value}
    # units on the Assumptions sheet: "GBP a year" is money, "%" a percentage
    assert "£" in cells["Earnings_gain"][2].number_format  # its switching value
    assert cells["Into_work"][2].number_format.endswith("%")
    assert cells["Mentees"][2].number_format == "#,##0"  # 40 young people
    tornado = next(row for row in ws.iter_rows() if row[0].value == "Into_work")
    assert [c.number_format for c in tornado[2:8]] == ["0.0%", "0.0%", "0.0%", "0.00", "0.00",
                                                       "0.00"]
    mc = book[RESULT_SHEETS["monte_carlo"]("en")]
    mentees = next(row for row in mc.iter_rows() if row[0].value == "Mentees")
    assert mentees[5].number_format == "#,##0.00"  # a mean of whole numbers has decimals
    # labels beside a figure wrap, in rows tall enough for them: none is cut off by the
    # next column
    width = column_width(ws, 1)
    wrapped = 0
    for row in ws.iter_rows():
        label = row[0].value
        if not (isinstance(label, str) and row[1].value):
            continue
        # letters are at most 1.1 units wide (short of m and w), at least 0.8
        if len(label) * 1.1 + 1 > width:
            assert row[0].alignment.wrap_text, label
        if len(label) * 0.8 > width:
            assert (ws.row_dimensions[row[0].row].height or 15) >= 30, label
            wrapped += 1
    assert wrapped  # "attribution and displacement · Fewer school exclusions (Council)"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_templates_read_me_and_settings_leave_room_for_their_text(lang):
    book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
    readme = book[schema.README_SHEET(lang)]
    width = column_width(readme, 1)
    # LibreOffice does not scale a sheet of one column down to the page: the column fits a
    # portrait A4 page (595 points less 2 x 0.6 inch) as LibreOffice sizes it, 7 points a unit
    assert readme.page_setup.orientation == "portrait"
    assert width * 7 + 5 <= 595 - 2 * 0.6 * 72
    for row in readme.iter_rows():
        text = row[0].value
        if isinstance(text, str) and len(text) > width:
            # lowercase letters take at least 0.8 of a unit each
            lines = math.ceil(len(text) * 0.8 / width)
            assert row[0].alignment.wrap_text, text
            assert (readme.row_dimensions[row[0].row].height or 15) >= 15 * lines, text
    settings = book[schema.SETTINGS.name(lang)]
    note_width = column_width(settings, 3)
    tall = 0
    for row in settings.iter_rows(min_row=2):
        note = row[2].value or ""
        lines = math.ceil(len(note) * 0.8 / note_width)
        assert row[2].alignment.wrap_text
        assert (settings.row_dimensions[row[0].row].height or 15) >= 15 * lines, note
        tall += lines > 1
        # the label, the value and the note start on the row's first line
        assert {c.alignment.vertical for c in row[:3]} == {"top"}, row[0].value
    assert tall >= 3


def test_the_templates_print_every_word_of_read_me_and_settings(tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "template-en.xlsx"
    path.write_bytes(build_template("en"))
    pdf = convert_all([path], "pdf", tmp_path / "pdf", tmp_path)[path]
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    book = openpyxl.load_workbook(path)
    for sheet, page in ((schema.README_SHEET("en"), pages[0]),
                        (schema.SETTINGS.name("en"), pages[1])):
        printed = set(page.split())
        for row in book[sheet].iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    missing = [w for w in cell.value.split() if w not in printed]
                    assert not missing, (sheet, cell.coordinate, missing)


def test_an_english_analysis_in_pounds_speaks_english_and_pounds(filled):
    path, report = filled["large-en"]
    book = openpyxl.load_workbook(path, data_only=True)
    dutch = ({s.name.nl for s in schema.INPUT_SHEETS}
             | {t.nl for t in RESULT_SHEETS.values()}) - {"Monte Carlo"}  # the same in both
    texts = []
    for sheet in render.sheet_names("en"):
        for row in book[sheet].iter_rows():
            texts += [c.value for c in row if isinstance(c.value, str)]
    words = " ".join(texts)
    assert "net per pound" in words
    assert "euro" not in words.lower() and "€" not in words
    found = sorted(name for name in dutch if re.search(rf"\b{re.escape(name)}\b", words))
    assert not found
    # A message about a formula cites the English sheet in its example.
    bad = path.parent / "bad-en.xlsx"
    source = openpyxl.load_workbook(io.BytesIO(build_template("en")))
    source["Outcomes"]["E2"] = "=IF(1,2,3)"
    source.save(bad)
    result = run("check", bad)
    assert "Outcomes!E2:" in result.output and "such as B5 or Assumptions!B5" in result.output
    assert "Aannames" not in result.output


def test_a_name_that_fits_keeps_a_single_row(filled):
    path, report = filled["large-en"]
    ws = openpyxl.load_workbook(path)[RESULT_SHEETS["results"]("en")]
    assert 40 <= column_width(ws, 1) < 41  # as xlsxwriter stores 40
    heights = {row[0].value: ws.row_dimensions[row[0].row].height
               for row in ws.iter_rows(max_col=1) if isinstance(row[0].value, str)}
    # 38 to 40 letters of which a fifth are narrow (i, l, t, f, r, space): about 35 units,
    # one line in a column of 40, as printed
    for name in ("Central government (benefits and taxes)", "Participants",
                 "Fewer benefit payments through paid work",
                 "Fewer GP visits and mental health care"):
        assert heights[name] is None, name


def test_the_results_printout_opens_with_the_headline_and_its_charts(printed):
    # Blended Care has nine stakeholders; its first page used to hold the headline alone.
    for name, lang in (("large-en", "en"), ("large-nl", "nl"), ("blended-care", "nl")):
        pages = printed[name]
        sheet = RESULT_SHEETS["results"](lang)
        first = next(p for p in pages if p.strip() and p.strip().splitlines()[0].rstrip()
                     .endswith(sheet))
        flat = " ".join(first.split())
        for title in (["Headline figures", "Cumulative value against inputs: payback",
                       "Inputs and value by stakeholder", "By stakeholder: who puts in"]
                      if lang == "en" else
                      ["Kerncijfers", "Cumulatieve waarde en inbreng: terugverdienen",
                       "Inbreng en waarde per belanghebbende", "Per belanghebbende: wie"]):
            assert title in flat, (name, title)


@pytest.mark.parametrize("code", ['"€" #,##0.00;-"€" #,##0.00', '"£" #,##0', "0.00", "0.0%",
                                  "#,##0"])
def test_a_column_is_as_wide_as_its_widest_figure_measured_one_by_one(code):
    # figure_width measures only the largest and the most negative value; measured one by one,
    # no other is wider (rounding up to a new digit included: 9.995 -> 10.00).
    values = [0.004, 9.995, -999.996, 123_456.5, -7.25, 99.9949, 0, 3]
    one_by_one = max(measure.text_width(measure.figure_text(v, code)) for v in values)
    assert measure.figure_width(values, code) == math.ceil(
        (one_by_one + measure.PADDING + 0.5) * 4) / 4
    assert measure.figure_width([], code) == 0.0
