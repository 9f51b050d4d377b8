"""The cell and row writers of the large result tables (rowxml), and their rows merged."""

from __future__ import annotations

import io

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from sroi_excel import api, packager, rowxml

CELLS = [
    # (written with, arguments, expected XML)
    (rowxml.number_cell, ("A1", 3, 1234.5), '<c r="A1" s="3"><v>1234.5</v></c>'),
    (rowxml.number_cell, ("B2", 0, 0.1), '<c r="B2"><v>0.1</v></c>'),
    (rowxml.number_cell, ("C3", 1, -2e-7), '<c r="C3" s="1"><v>-2E-07</v></c>'),
    (rowxml.blank_cell, ("D4", 5), '<c r="D4" s="5"/>'),
    (rowxml.string_cell, ("E5", 2, "a & b < c"),
     '<c r="E5" s="2" t="inlineStr"><is><t>a &amp; b &lt; c</t></is></c>'),
    (rowxml.string_cell, ("F6", 2, '=1+1 s="3"'),
     '<c r="F6" s="2" t="inlineStr"><is><t>=1+1 s=&quot;3&quot;</t></is></c>'),
    (rowxml.string_cell, ("G7", 0, " leading"),
     '<c r="G7" t="inlineStr"><is><t xml:space="preserve"> leading</t></is></c>'),
    (rowxml.string_cell, ("H8", 0, "bell\x07"),
     '<c r="H8" t="inlineStr"><is><t>bell_x0007_</t></is></c>'),
    (rowxml.formula_cell, ("I9", 4, "G9*H9", 12.25),
     '<c r="I9" s="4"><f>G9*H9</f><v>12.25</v></c>'),
    (rowxml.formula_cell, ("J10", 4, "'Kosten & baten'!B2", 1.0),
     '<c r="J10" s="4"><f>\'Kosten &amp; baten\'!B2</f><v>1.0</v></c>'),
    (rowxml.formula_cell, ("K11", 0, "A1", "Gemeente"),
     '<c r="K11" t="str"><f>A1</f><v>Gemeente</v></c>'),
    (rowxml.formula_cell, ("L12", 0, "1/0", "#DIV/0!"),
     '<c r="L12" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
]


@pytest.mark.parametrize(("writer", "args", "expected"), CELLS)
def test_cell_xml(writer, args, expected):
    assert writer(*args) == expected


def test_row_xml_with_and_without_height():
    assert rowxml.row_xml(4, "<c/>") == '<row r="5"><c/></row>'
    assert rowxml.row_xml(0, "", 30.0) == '<row r="1" ht="30" customHeight="1"></row>'


def _book_with_block(cells_in: int | None = None) -> bytes:
    """A sheet with a heading, data rows 2-4 written by rowxml and a total, on its own."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet("Blok")
    bold = book.add_format({"bold": True})
    ws.write_string(0, 0, "Kop", bold)
    ws.write_formula(4, 2, "=SUM(C2:C4)", bold, 18.0)
    if cells_in is not None:
        ws.write_number(cells_in, 5, 1)
    book.close()

    def rows(attr):
        for r in range(1, 4):
            yield rowxml.row_xml(r, rowxml.string_cell(f"A{r + 1}", 0, f"rij {r}")
                                 + rowxml.number_cell(f"B{r + 1}", attr.index("money"), r * 1.5)
                                 + rowxml.formula_cell(f"C{r + 1}", 0, f"B{r + 1}*2", r * 3.0))

    block = rowxml.Block(1, 3, rows, ("money",))
    samples = rowxml.style_samples(
        lambda book: {"money": book.add_format({"num_format": "#,##0.00"})}, ["money"])
    return packager.alone(packager.Rendered(out.getvalue(), {"Blok": [block.late()]}, samples))


def test_block_rows_are_read_back_by_every_reader():
    data = _book_with_block()
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Blok"]
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [
        ["Kop", None, None], ["rij 1", 1.5, "=B2*2"], ["rij 2", 3, "=B3*2"],
        ["rij 3", 4.5, "=B4*2"], [None, None, "=SUM(C2:C4)"]]
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Blok"]
    assert [cached.cell(r, 3).value for r in range(2, 6)] == [3, 6, 9, 18]
    assert cached.dimensions == "A1:C5"
    assert cached["B2"].number_format == "#,##0.00"
    assert cached["A1"].font.b and not cached["B2"].font.b
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Blok")
    assert sheet.to_python()[1:4] == [["rij 1", 1.5, 3.0], ["rij 2", 3.0, 6.0],
                                      ["rij 3", 4.5, 9.0]]


def test_cells_written_into_block_rows_are_refused():
    with pytest.raises(ValueError, match="has cells in rows 2-4"):
        _book_with_block(cells_in=2)


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
