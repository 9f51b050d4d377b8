"""The ready-XML cell writers behind large result tables, and the block rows they fill."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter.worksheet import Worksheet

from sroi_excel import api, xlsx

CELLS = [
    # (written with, arguments, expected XML)
    (xlsx.number_cell, ("A1", 3, 1234.5), '<c r="A1" s="3"><v>1234.5</v></c>'),
    (xlsx.number_cell, ("B2", 0, 0.1), '<c r="B2"><v>0.1</v></c>'),
    (xlsx.number_cell, ("C3", 1, -2e-7), '<c r="C3" s="1"><v>-2E-07</v></c>'),
    (xlsx.blank_cell, ("D4", 5), '<c r="D4" s="5"/>'),
    (xlsx.string_cell, ("E5", 2, "a & b < c"),
     '<c r="E5" s="2" t="inlineStr"><is><t>a &amp; b &lt; c</t></is></c>'),
    (xlsx.string_cell, ("F6", 2, '=1+1 s="3"'),
     '<c r="F6" s="2" t="inlineStr"><is><t>=1+1 s=&quot;3&quot;</t></is></c>'),
    (xlsx.string_cell, ("G7", 0, " leading"),
     '<c r="G7" t="inlineStr"><is><t xml:space="preserve"> leading</t></is></c>'),
    (xlsx.string_cell, ("H8", 0, "bell\x07"),
     '<c r="H8" t="inlineStr"><is><t>bell_x0007_</t></is></c>'),
    (xlsx.formula_cell, ("I9", 4, "G9*H9", 12.25), '<c r="I9" s="4"><f>G9*H9</f><v>12.25</v></c>'),
    (xlsx.formula_cell, ("J10", 4, "'Kosten & baten'!B2", 1.0),
     '<c r="J10" s="4"><f>\'Kosten &amp; baten\'!B2</f><v>1.0</v></c>'),
    (xlsx.formula_cell, ("K11", 0, "A1", "Gemeente"),
     '<c r="K11" t="str"><f>A1</f><v>Gemeente</v></c>'),
    (xlsx.formula_cell, ("L12", 0, "1/0", "#DIV/0!"),
     '<c r="L12" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
]


@pytest.mark.parametrize(("writer", "args", "expected"), CELLS)
def test_cell_xml(writer, args, expected):
    assert writer(*args) == expected


def test_row_xml_with_and_without_height():
    assert xlsx.row_xml(4, "<c/>") == '<row r="5"><c/></row>'
    assert xlsx.row_xml(0, "", 30.0) == '<row r="1" ht="30" customHeight="1"></row>'


def _book_with_block() -> bytes:
    out = io.BytesIO()
    book = xlsx.ResultBook(out, {"in_memory": True})
    ws = book.add_worksheet("Blok")
    bold = book.add_format({"bold": True})
    ws.write_string(0, 0, "Kop", bold)
    money = book.add_format({"num_format": "#,##0.00"})
    rows = [xlsx.row_xml(r, xlsx.string_cell(f"A{r + 1}", 0, f"rij {r}")
                         + xlsx.number_cell(f"B{r + 1}", money._get_xf_index(), r * 1.5)
                         + xlsx.formula_cell(f"C{r + 1}", 0, f"B{r + 1}*2", r * 3.0))
            for r in range(1, 4)]
    ws.write_block(1, 3, 2, "".join(rows))
    ws.write_formula(4, 2, "=SUM(C2:C4)", bold, 18.0)
    book.close()
    return out.getvalue()


def test_block_rows_are_read_back_by_every_reader():
    data = _book_with_block()
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").compress_type \
        == zipfile.ZIP_STORED  # the packager compresses the merged workbook once
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Blok"]
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [
        ["Kop", None, None], ["rij 1", 1.5, "=B2*2"], ["rij 2", 3, "=B3*2"],
        ["rij 3", 4.5, "=B4*2"], [None, None, "=SUM(C2:C4)"]]
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Blok"]
    assert [cached.cell(r, 3).value for r in range(2, 6)] == [3, 6, 9, 18]
    assert cached.dimensions == "A1:C5"
    assert cached["B2"].number_format == "#,##0.00"
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Blok")
    assert sheet.to_python()[1:4] == [["rij 1", 1.5, 3.0], ["rij 2", 3.0, 6.0],
                                      ["rij 3", 4.5, 9.0]]


def test_cells_written_into_block_rows_are_refused():
    book = xlsx.ResultBook(io.BytesIO(), {"in_memory": True})
    ws = book.add_worksheet("Blok")
    ws.write_block(1, 2, 0, xlsx.row_xml(1, "") + xlsx.row_xml(2, ""))
    ws.write_number(2, 5, 1)
    with pytest.raises(ValueError, match="rows 2-3 that a block of rows owns"):
        book.close()


def test_user_text_that_looks_like_markup_survives_a_fill(workbook):
    name = 'Zorg "thuis" s="1" <b>&amp;'
    path = workbook(edits={("Opbrengsten", "B2"): name})
    api.fill(path, draws=0)
    book = openpyxl.load_workbook(path, read_only=True)
    for sheet in ("Rekenspoor", "Per opbrengst"):
        texts = {v for row in book[sheet].iter_rows(values_only=True) for v in row}
        assert name in texts, sheet
    calamine = CalamineWorkbook.from_path(str(path))
    texts = {v for row in calamine.get_sheet_by_name("Rekenspoor").to_python() for v in row}
    assert name in texts


def test_a_block_made_on_request_declares_its_styles():
    out = io.BytesIO()
    book = xlsx.ResultBook(out, {"in_memory": True})
    ws = book.add_worksheet("Blok")
    money = book.add_format({"num_format": "#,##0.00"})

    def rows(attr):
        yield xlsx.row_xml(1, f'<c r="A2"{attr["money"]}><v>2.5</v></c>')

    ws.write_block(1, 1, 0, xlsx.Block(rows, {"money": money}))
    book.close()
    cell = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Blok"]["A2"]
    assert (cell.value, cell.number_format) == (2.5, "#,##0.00")

    book = xlsx.ResultBook(io.BytesIO(), {"in_memory": True})
    ws = book.add_worksheet("Blok")
    ws.write_block(1, 1, 0, xlsx.Block(rows, {}))
    with pytest.raises(ValueError, match="uses the style 'money', which it did not declare"):
        book.close()


def _sheet_xml(cell_writer) -> str:
    """A sheet of every kind of cell a result sheet holds, and a few it does not, written with
    ``cell_writer`` as ResultSheet's cell writer."""
    saved = xlsx.ResultSheet._write_cell
    xlsx.ResultSheet._write_cell = cell_writer
    try:
        out = io.BytesIO()
        book = xlsx.ResultBook(out, {"in_memory": True})
        ws = book.add_worksheet("Cellen")
        plain, bold = book.add_format(), book.add_format({"bold": True})
        for r, style in ((0, plain), (10, bold), (20, None)):  # each with its own rows
            ws.set_row(r + 5, None, bold)
            ws.write_number(r, 0, 1234.5, style)
            ws.write_number(r, 1, -2e-7, style)
            ws.write_string(r + 1, 0, 'a & b < c "d"', style)
            ws.write_string(r + 1, 1, " leading\x07", style)
            ws.write_blank(r + 2, 0, None, style or plain)
            ws.write_formula(r + 3, 0, "=A1*2", style, 2469.0)
            ws.write_formula(r + 3, 1, "=A2", style, "a & b")
            ws.write_formula(r + 3, 2, "=1/0", style, "#DIV/0!")
            ws.write_formula(r + 3, 3, "=A1>0", style, True)
            ws.write_formula(r + 3, 4, "=A1", style, "")
            ws.write_formula(r + 3, 5, "=A1", style)
            ws.write_boolean(r + 4, 0, False, style)
            ws.write_datetime(r + 4, 1, dt.datetime(2024, 1, 31), style or plain)
            ws.write_rich_string(r + 4, 2, "a", bold, "b", *([style] if style else []))
            ws.write_number(r + 5, 0, 1.0, style)  # in a row with a format
            ws.write_string(r + 6, 6, "x", style)  # in a column with a format
        ws.set_column(6, 6, None, bold)
        book.close()
        with zipfile.ZipFile(out) as archive:
            return archive.read("xl/worksheets/sheet1.xml").decode()
    finally:
        xlsx.ResultSheet._write_cell = saved


def test_result_sheet_cells_are_written_as_xlsxwriter_writes_them():
    assert _sheet_xml(xlsx.ResultSheet._write_cell) == _sheet_xml(Worksheet._write_cell)


@pytest.mark.parametrize("formula", [
    '=IF(ISNUMBER(B6),"Elke € 1 "&FIXED(B6,2)&" op.","geen")',
    '=IF(COUNT($K$6:$K$16)=0,NA(),SUM($K$6:$K$16))',
    "=SUMPRODUCT(ISNUMBER($K$6:$K$16)*$H$6:$H$16)",
    "=IF(ISBLANK(Instellingen!B8),Instellingen!B7,Instellingen!B8)",
    '=IF(A1>0,"FILTER(x)",XLOOKUP(1,A:A,B:B))',  # a newer function: xlsxwriter prefixes it
])
def test_formulas_are_prepared_as_xlsxwriter_prepares_them(formula):
    sheet = xlsx.ResultSheet()
    assert sheet._prepare_formula(formula) == Worksheet._prepare_formula(sheet, formula)
