"""The reader's own .xlsx parsing (sheetxml, formulatext) gives what openpyxl gave.

Filled workbooks store a fingerprint of the input cells, computed from the values the reader
sees, so those values must stay exactly what openpyxl's read-only mode returned: type for type
(int or float, datetime, bool), formula text for formula text (shared formulas included). The
reader no longer imports openpyxl; these tests still do, to compare.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formula.tokenizer import Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS as OPENPYXL_FORMATS
from openpyxl.styles.numbers import is_date_format as openpyxl_is_date
from openpyxl.utils.cell import coordinate_from_string as openpyxl_coordinate
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import from_excel as openpyxl_from_excel
from openpyxl.worksheet.formula import ArrayFormula as OpenpyxlArray
from openpyxl.worksheet.formula import DataTableFormula as OpenpyxlDataTable

from sroi_excel import formulatext, opc, reader, sheetxml
from sroi_excel.exceptions import FileFormatError
from sroi_excel.reader_cells import MAX_ROWS, Sheets

from .make_bad_workbooks import CASES, Book, patched, sheet_part, template

# openpyxl warns about what it drops from the workbooks (extensions, default styles).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted([*(ROOT / "examples").glob("*.xlsx"), *(ROOT / "templates").glob("*.xlsx"),
                  *(ROOT / "tests" / "data").glob("*.xlsx")])
WORKING = ["moved_column", "extra_column", "hidden_columns", "blank_rows_in_middle",
           "title_rows_above_header", "sheets_reordered_hidden", "very_long_text",
           "non_ascii_names", "bogus_dimension", "far_row_other_sheet", "header_case_and_spaces"]


# -- small helpers, table-driven ----------------------------------------------------------------

@pytest.mark.parametrize("index,letters", [
    (1, "A"), (2, "B"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"), (702, "ZZ"),
    (703, "AAA"), (16384, "XFD"), (18278, "ZZZ")])
def test_column_letters_and_index(index, letters):
    assert formulatext.column_letter(index) == letters
    assert formulatext.column_index(letters) == index
    assert formulatext.column_index(letters.lower()) == index


@pytest.mark.parametrize("bad", ["", "AAAA", "A1", "$A", "Ä", "1"])
def test_column_index_refuses_what_openpyxl_refuses(bad):
    with pytest.raises(ValueError):
        formulatext.column_index(bad)


@pytest.mark.parametrize("bad", [0, -1, 18279])
def test_column_letter_out_of_range(bad):
    with pytest.raises(ValueError):
        formulatext.column_letter(bad)


def test_every_column_matches_openpyxl():
    for index in range(1, 18279):
        letters = get_column_letter(index)
        assert formulatext.column_letter(index) == letters
        assert formulatext.column_index(letters) == index


@pytest.mark.parametrize("coordinate,expected", [
    ("B5", (5, 2)), ("aa10", (10, 27)), ("XFD1048576", (1048576, 16384)), ("A0", (0, 1))])
def test_coordinate_to_tuple(coordinate, expected):
    assert formulatext.coordinate_to_tuple(coordinate) == expected


@pytest.mark.parametrize("coordinate", ["1A", "A", "AAAA1", "A1B", ""])
def test_bad_coordinates_raise(coordinate):
    with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl raised: the name is shown
        formulatext.coordinate_to_tuple(coordinate)


@pytest.mark.parametrize("coordinate", ["B12", "$B$12", "b12", "A0", "ABCD1", "B", "12"])
def test_coordinate_from_string_as_openpyxl(coordinate):
    assert _outcome(formulatext.coordinate_from_string, coordinate) == _outcome(
        openpyxl_coordinate, coordinate)


@pytest.mark.parametrize("formula,origin,dest,expected", [
    ("=A1+B1", "C1", "C2", "=A2+B2"),
    ("=A1+B1", "C1", "D1", "=B1+C1"),
    ("=$A$1+A$1+$A1", "B2", "C4", "=$A$1+B$1+$A3"),
    ("=SUM(A1:B2)*2", "C1", "C3", "=SUM(A3:B4)*2"),
    ("=Aannames!B2*Succes", "D2", "D5", "=Aannames!B5*Succes"),
    ("='Lees mij'!C1", "A1", "B2", "='Lees mij'!D2"),
    ("=1:1+A:A", "B1", "C2", "=2:2+B:B"),
    ("=A1  +   B1", "C1", "C1", "=A1 + B1"),  # openpyxl writes a run of spaces as one
    ('="A1"&A1', "B1", "B2", '="A1"&A2'),
    ("=Bereik_1*24", "D2", "D3", "=Bereik_1*24"),
    ("=1E+3*A1", "B1", "B2", "=1E+3*A2"),
])
def test_shared_formula_translation(formula, origin, dest, expected):
    assert formulatext.SharedFormula(formula, origin).at(dest) == expected
    assert Translator(formula, origin).translate_formula(dest) == expected


@pytest.mark.parametrize("formula,origin,dest", [("=A1", "B2", "B1"), ("=A1", "B2", "A2")])
def test_shared_formula_out_of_range(formula, origin, dest):
    with pytest.raises(formulatext.TranslatorError):
        formulatext.SharedFormula(formula, origin).at(dest)


def test_tokenizer_and_translation_match_openpyxl_on_random_formulas():
    import random

    chars = "AB1$:!'\" ()+-*/,;{}#[]%E.=&<>\nxS2"
    rng = random.Random(20240301)
    formulas = ["=" + "".join(rng.choice(chars) for _ in range(rng.randint(1, 14)))
                for _ in range(4000)]
    for text in formulas:
        assert _outcome(lambda t: [(k.value, k.type, k.subtype)
                                   for k in formulatext.tokenize(t)], text) == _outcome(
            lambda t: [(k.value, k.type, k.subtype) for k in Tokenizer(t).items], text)
        assert _outcome(lambda t: formulatext.SharedFormula(t, "B2").at("C4"), text) == _outcome(
            lambda t: Translator(t, "B2").translate_formula("C4"), text)


@pytest.mark.parametrize("text,expected", [
    ("'Aannames'!$B$2", [("Aannames", "$B$2")]),
    ("Aannames!$B$2:$C$5", [("Aannames", "$B$2:$C$5")]),
    ("'Scenario''s'!$A$1", [("Scenario''s", "$A$1")]),  # openpyxl leaves '' doubled
    ("Blad1!A1,Blad1!B1", [("Blad1", "A1"), ("Blad1", "B1")]),
    ("Aannames!$B$2*2", [("Aannames", "$B$2")]),
    ("0.5", []),
    ("SUM(Blad1!A1)", []),
    ("#REF!", []),
])
def test_defined_name_destinations(text, expected):
    assert formulatext.destinations(text) == expected


@pytest.mark.parametrize("text", [None, "Naam", "-Blad1!A1+"])
def test_defined_name_without_destination_raises_or_is_empty(text):
    from openpyxl.workbook.defined_name import DefinedName

    assert _outcome(formulatext.destinations, text) == _outcome(
        lambda t: list(DefinedName("x", attr_text=t).destinations), text)


DATE_FORMATS = [
    ("General", False), ("0", False), ("0.00%", False), ("#,##0.00", False), ("@", False),
    ("yyyy-mm-dd", True), ("d-mmm", True), ("h:mm", True), ("[h]:mm:ss", True),
    ("mm:ss", True), ('"dag" 0', False), ('0 "days"', False), ("[$-413]d mmmm yyyy", True),
    ("[Red]0.0", False), ("[$€-413] #,##0.00", False), ("0_-;\\-0", False),
    ("dd/mm/yyyy hh:mm", True), ("0.00;[Red]dd", False), ("\\d0", False), ("_d0", False),
]


@pytest.mark.parametrize("fmt,expected", DATE_FORMATS)
def test_date_formats(fmt, expected):
    assert sheetxml.is_date_format(fmt) is expected
    assert openpyxl_is_date(fmt) is expected


def test_builtin_formats_are_openpyxls():
    assert sheetxml.BUILTIN_FORMATS == OPENPYXL_FORMATS
    for fmt in OPENPYXL_FORMATS.values():
        assert sheetxml.is_date_format(fmt) == openpyxl_is_date(fmt), fmt


@pytest.mark.parametrize("value", [0, 0.25, 0.5, 1, 1.5, 59, 60, 61, 45000.25, 45000.999999,
                                   -1, 2958465.9999])
@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_serial_dates_as_openpyxl(value, epoch):
    ours = {"1900": dt.datetime(1899, 12, 30), "1904": dt.datetime(1904, 1, 1)}[epoch]
    assert _outcome(sheetxml.from_excel, value, ours) == _outcome(openpyxl_from_excel, value,
                                                                  ours)
    assert sheetxml.from_excel(value, ours, timedelta=True) == openpyxl_from_excel(
        value, ours, timedelta=True)


@pytest.mark.parametrize("text,expected", [
    ("2024-03-01", dt.date(2024, 3, 1)),
    ("2024-03-01T10:30:00Z", dt.datetime(2024, 3, 1, 10, 30)),
    ("10:30:15.5", dt.time(10, 30, 15, 500000)),
    ("PT1H30M", dt.timedelta(hours=1, minutes=30)),
])
def test_iso_dates(text, expected):
    assert sheetxml.from_iso8601(text) == expected


# -- cells of every type --------------------------------------------------------------------------

CELLS = [
    # (XML of the cell in row 5, the value openpyxl gives)
    ('<c r="A5"><v>42</v></c>', 42),
    ('<c r="A5"><v>4.0</v></c>', 4.0),
    ('<c r="A5"><v>1E3</v></c>', 1000.0),
    ('<c r="A5"><v> 7 </v></c>', 7),
    ('<c r="A5" t="n"><v>-0.5</v></c>', -0.5),
    ('<c r="A5" t="s"><v>1</v></c>', "tweede"),
    ('<c r="A5" t="str"><v>tekst</v></c>', "tekst"),
    ('<c r="A5" t="str"><v>a&amp;b&#233;</v></c>', "a&bé"),
    ('<c r="A5" t="inlineStr"><is><t>inline</t></is></c>', "inline"),
    ('<c r="A5" t="inlineStr"><is><t xml:space="preserve"> ruimte </t></is></c>', " ruimte "),
    ('<c r="A5" t="inlineStr"><is><r><t>rijk</t></r><r><rPr><b/></rPr><t> vet</t></r></is></c>',
     "rijk vet"),
    ('<c r="A5" t="inlineStr"><is/></c>', ""),
    ('<c r="A5" t="inlineStr"><v>9</v></c>', None),
    ('<c r="A5" t="b"><v>1</v></c>', True),
    ('<c r="A5" t="b"><v>0</v></c>', False),
    ('<c r="A5" t="e"><v>#REF!</v></c>', "#REF!"),
    ('<c r="A5" t="d"><v>2024-03-01T10:00:00Z</v></c>', dt.datetime(2024, 3, 1, 10)),
    ('<c r="A5" s="1"><v>45000.5</v></c>', dt.datetime(2023, 3, 15, 12)),
    ('<c r="A5" s="2"><v>1.25</v></c>', dt.timedelta(days=1, hours=6)),
    ('<c r="A5"><f>Aannames!B2*2</f><v>80</v></c>', "=Aannames!B2*2"),
    ('<c r="A5" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>', '="a"&"b"'),
    ('<c r="A5"><f></f><v>1</v></c>', "="),
    ('<c r="A5"/>', None),
    ('<c r="A5"><v></v></c>', None),
    ('<c r="A5" t="zz"><v>raar</v></c>', "raar"),
    ('<c r="A5" cm="1" t="str" s="0"><v>volgorde</v></c>', "volgorde"),
    ('<c r="A5"><v>1</v><f>2+2</f></c>', "=2+2"),
    ('<c r="A5" t="str"><v>regel\r\ntwee</v></c>', "regel\ntwee"),
    ('<c r="A5">\n  <v>3</v>\n</c>', 3),
]
STYLES = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
          '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="46"/>'
          "</cellXfs></styleSheet>")
STRINGS = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           "<si><t>eerste</t></si><si><t>tweede</t></si></sst>")


def one_sheet(rows: str, styles: str = STYLES, strings: str = STRINGS) -> bytes:
    """A minimal workbook of one sheet 'Blad1' whose <sheetData> is ``rows``."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{main}">'
            f'<dimension ref="A1"/><sheetData>{rows}</sheetData></worksheet>'),
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": strings,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize("xml,expected", CELLS, ids=[c[0] for c in CELLS])
def test_cell_types(xml, expected):
    data = one_sheet(f'<row r="5">{xml}</row>')
    found = list(rows_of(data))
    assert found == [(5, [expected])] or (expected is None and found == [])
    if found:
        assert type(found[0][1][0]) is type(expected)
    assert openpyxl_values(data)["Blad1"] == [(r, [_typed(v) for v in row]) for r, row in found]


ROWS = [
    # rows and cells without numbers count on from the one before; a row numbered below the
    # one before is skipped; the last cell of a row sets its width.
    '<row r="2"><c><v>1</v></c><c><v>2</v></c><c r="E2"><v>5</v></c><c><v>6</v></c></row>'
    '<row><c r="A9"><v>7</v></c></row><row r="1"><c r="A1"><v>8</v></c></row>'
    '<row r="6"><c r="C6"><v>3</v></c><c r="A6"><v>1</v></c></row>'
    '<row r="7.0"><c r="B7"><v>9</v></c><c r="b7"><v>10</v></c></row><row r="8"/>',
    # shared formulas, moved to each cell of the group
    '<row r="3"><c r="A3"><f t="shared" ref="A3:C4" si="0">A1+$B$1*Blad1!C1+SUM(A1:B2)</f>'
    '<v>1</v></c><c r="B3"><f t="shared" si="0"/><v>2</v></c></row>'
    '<row r="4"><c r="A4"><f t="shared" si="0"/></c><c r="C4"><f t="shared" si="0"/></c>'
    '<c r="D4"><f t="shared" ref="D4:D5" si="1">1:1+A:A  +   A1</f></c></row>'
    '<row r="5"><c r="D5"><f t="shared" si="1"/></c></row>',
    # array formulas and data tables stay recognisable
    '<row r="5"><c r="A5"><f t="array" ref="A5:A6">SUM(B1:B2*C1:C2)</f><v>3</v></c>'
    '<c r="B5"><f t="dataTable" ref="B5:C6" dt2D="1" dtr="1" r1="A1" r2="B1"/><v>3</v></c></row>',
]


@pytest.mark.parametrize("rows", ROWS)
def test_rows_as_openpyxl(rows):
    data = one_sheet(rows)
    expected = openpyxl_values(data)["Blad1"]
    assert [(r, [_typed(v) for v in row]) for r, row in rows_of(data)] == expected


@pytest.mark.parametrize("cells", [
    '<c r="B1"><v>1</v></c><c r="B"><v>2</v></c>',
    '<c r="B1"><v>1</v></c><c r="1"><v>2</v></c>',
    '<c r="B1"><v>1</v></c><c r="B1x"><v>2</v></c>',
    '<c r="B1 "><v>1</v></c><c r="B1 1"><v>2</v></c>',
    '<c r="B1"><v>1</v></c><c r="B1 "><v>2</v></c><c r="B1 "><v>3</v></c>',
    '<c r="b1"><v>1</v></c><c r="C1"><v>2</v></c><c r="b1"><v>3</v></c>',
    '<c r="AA1"><v>1</v></c><c r="A1"><v>2</v></c><c r="AA1"><v>3</v></c>',
    '<c r="A1"><v>1</v></c><c r="A0"><v>2</v></c><c r="A001"><v>3</v></c>',
])
def test_cell_references_as_openpyxl(cells):
    """Columns remembered by their letters give what the reference itself gives."""
    data = one_sheet(f'<row r="1">{cells}</row>')
    assert _outcome(lambda: [(r, [_typed(v) for v in row]) for r, row in rows_of(data)]) == (
        _outcome(lambda: openpyxl_values(data)["Blad1"]))


@pytest.mark.parametrize("rows", [
    '<c r="A1"><v>1</v></c><row r="2"/>',
    '<row r="2"><c r="C2"><v>1</v></c></row><c r="A2"><v>1</v></c>',
    '<row r="2"><c r="C2"><v>1</v></c></row><c r="A2"/>',
    '<row r="2"><c r="C2"><v>1</v></c></row><c r="A2" t="inlineStr"><is/></c>',
    '<row r="2"></row></row>',
    '<row r="2"><row r="3"></row></row>',
])
def test_cells_outside_a_row_as_openpyxl(rows):
    data = one_sheet(rows)
    assert _outcome(lambda: [(r, [_typed(v) for v in row]) for r, row in rows_of(data)]) == (
        _outcome(lambda: openpyxl_values(data)["Blad1"]))


# -- whole workbooks against openpyxl ------------------------------------------------------------

def shared_formula_workbook() -> bytes:
    """The template with a shared-formula group in the outcomes sheet, as Excel writes one."""
    data = template()

    def share(xml: bytes) -> bytes:
        text = xml.decode()
        style = re.search(r'<c r="D2" s="(\d+)"><f>Deelnemers\*Succes</f>', text).group(1)
        text = text.replace(f'<c r="D2" s="{style}"><f>Deelnemers*Succes</f>',
                            f'<c r="D2" s="{style}"><f t="shared" ref="D2:D3" si="0">'
                            "Deelnemers*Succes+0*E2</f>", 1)
        text = text.replace('<c r="L3"', f'<c r="D3" s="{style}"><f t="shared" si="0"/>'
                            '<v>0</v></c><c r="L3"', 1)
        assert text.count('t="shared"') == 2
        return text.encode()

    return patched(data, {sheet_part(data, "Opbrengsten"): share})


def corpus() -> list[tuple[str, bytes]]:
    found = [(p.name, p.read_bytes()) for p in SHIPPED]
    found += [(c.name, c.build().data) for c in CASES if c.name in WORKING]
    found.append(("shared_formulas", shared_formula_workbook()))
    return found


@pytest.fixture(scope="module")
def libreoffice_saved(tmp_path_factory) -> bytes:
    from .lo import convert

    base = tmp_path_factory.mktemp("lo-saved")
    source = base / "analyse.xlsx"
    source.write_bytes(shared_formula_workbook())
    return convert(source, "xlsx", base / "out", base).read_bytes()


@pytest.mark.parametrize("name,data", corpus(), ids=[n for n, _ in corpus()])
def test_values_and_fingerprint_as_openpyxl(name, data):
    compare_with_openpyxl(data)


def test_libreoffice_saved_workbook_as_openpyxl(libreoffice_saved):
    compare_with_openpyxl(libreoffice_saved)


def compare_with_openpyxl(data: bytes) -> None:
    ours = {title: [(r, [_typed(v) for v in row]) for r, row in rows]
            for title, rows in our_values(data).items()}
    assert ours == openpyxl_values(data)
    new = reader.read(data, "analyse.xlsx")
    old = openpyxl_reading(data)
    assert new.fingerprint == old.fingerprint
    assert new.problems == old.problems
    assert repr(new.model) == repr(old.model)


# -- damaged workbooks: the same messages ---------------------------------------------------------

def damaged() -> list[tuple[str, bytes]]:
    data = template()
    outcomes = sheet_part(data, Book(data).title("outcomes"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    cases = []
    for part in (outcomes, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                 "[Content_Types].xml", "docProps/core.xml"):
        size = len(parts[part])
        for fraction in (0.05, 0.5, 0.97):
            cut = int(size * fraction)
            cases.append((f"{part} cut at {fraction:.0%}",
                          patched(data, {part: lambda b, cut=cut: b[:cut]})))
        cases.append((f"{part} with a stray <",
                      patched(data, {part: lambda b: b[:len(b) * 2 // 3] + b"<"
                                     + b[len(b) * 2 // 3:]})))
    for part in ("xl/_rels/workbook.xml.rels", "xl/styles.xml", "docProps/core.xml"):
        cases.append((f"{part} missing", patched(data, {part: lambda b: None})))
    sheet = parts[outcomes].decode()
    for name, change in (
            ("dimension beyond XFD", lambda s: re.sub(r'<dimension ref="[^"]*"',
                                                      '<dimension ref="A1:ZZZZ5"', s)),
            ("dimension without ref", lambda s: re.sub(r'<dimension ref="[^"]*"',
                                                       "<dimension", s)),
            ("no dimension, cut", lambda s: re.sub(r"<dimension[^>]*>", "", s)[:len(s) // 2]),
            ("text in a number", lambda s: s.replace("<v>15000</v>", "<v>veel</v>")),
            ("string index too far", lambda s: s.replace('t="s"><v>54</v>', 't="s"><v>999</v>')),
            ("bad row number", lambda s: s.replace('<row r="2"', '<row r="twee"')),
            ("shared formula above row 1", lambda s: s.replace(
                "<f>Deelnemers*Succes</f>", '<f t="shared" ref="D2:D3" si="0">D1</f>').replace(
                '<c r="L3"', '<c r="C1"><f t="shared" si="0"/></c><c r="L3"')),
            ("many rows then damage", lambda s: s.replace(
                "</sheetData>", "".join(f'<row r="{r}"><c r="P{r}"><v>{r}</v></c></row>'
                                        for r in range(10, 12000)) + '<row r="12000"><c')),
    ):
        cases.append((name, patched(data, {outcomes: lambda b, c=change: c(sheet).encode()})))
    return cases


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name,data", damaged(), ids=[n for n, _ in damaged()])
def test_damaged_parts_give_openpyxls_message(name, data):
    expected = openpyxl_outcome(data)
    try:
        reading = reader.read(data, "werkmap.xlsx")
    except FileFormatError as exc:
        assert str(exc) == expected
    else:
        assert expected == "read", expected
        assert reading.fingerprint == openpyxl_reading(data).fingerprint


def test_a_sheet_past_the_row_limit_is_not_parsed_to_its_end(monkeypatch):
    """300,000 rows: parsing stops soon after row 20,000, where the reader stops."""
    case = next(c for c in CASES if c.name == "many_sparse_rows")
    data = case.build().data
    scanned = []

    class Spy(sheetxml.XMLPullParser):
        def feed(self, data):
            scanned.append(len(data))
            super().feed(data)

    monkeypatch.setattr(sheetxml, "XMLPullParser", Spy)
    reading = reader.read(data, "werkmap.xlsx")
    assert any("at most 20,000 rows" in str(p) for p in reading.errors)
    sheet = max(len(v) for v in opc.read_package(data).values())
    assert 0 < sum(scanned) < sheet / 4


# -- no openpyxl on the reading path --------------------------------------------------------------

@pytest.mark.parametrize("module", ["sroi_excel.reader", "sroi_excel.api"])
def test_reading_imports_no_openpyxl(module):
    heavy = ["openpyxl"] + (["numpy", "pandas"] if module == "sroi_excel.reader" else [])
    code = (f"import sys, {module}\n"
            f"loaded = [m for m in {heavy!r} if m in sys.modules]\n"
            "assert not loaded, loaded\n")
    if module == "sroi_excel.api":
        code += (f"sroi_excel.api.check({str(ROOT / 'templates' / 'sroi-template-nl.xlsx')!r})\n"
                 "assert 'openpyxl' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


# -- helpers -------------------------------------------------------------------------------------

def _outcome(function, *args):
    """What a call returns, or the name of what it raises."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return type(exc).__name__


def _typed(value):
    """A value with its type, array and data-table formulas by their content."""
    if isinstance(value, sheetxml.ArrayFormula | OpenpyxlArray):
        return ("array", value.ref, value.text)
    if isinstance(value, sheetxml.DataTableFormula | OpenpyxlDataTable):
        return ("data table", value.ref)
    return (type(value).__name__, value)


def rows_of(data: bytes):
    """(row, values) of the only sheet, as the reader reads it."""
    book = sheetxml.Workbook(opc.read_package(data))
    yield from book.rows(book.sheetnames[0])


def our_values(data: bytes) -> dict[str, list]:
    """(row, values) of every row holding cells, up to where the reader stops."""
    book = sheetxml.Workbook(opc.read_package(data))
    return {title: [(r, row) for r, row in book.rows(title) if r <= MAX_ROWS + 1]
            for title in book.sheetnames}


def openpyxl_values(data: bytes) -> dict[str, list]:
    """(row, typed values) of every row holding cells, read as the reader read before."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                  keep_links=False)
    found = {}
    for title in book.sheetnames:
        ws = book[title]
        ws.reset_dimensions()
        found[title] = [(r, [_typed(v) for v in row])
                        for r, row in _openpyxl_rows(ws)]
    book.close()
    return found


def _openpyxl_rows(ws):
    for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), 1):
        if r > MAX_ROWS + 1:
            break
        if row:
            yield r, list(row)


class OpenpyxlBook:
    """The workbook as openpyxl read it, for the reader: the reader as it was."""

    def __init__(self, data: bytes):
        self.book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                           keep_links=False)
        self.sheetnames = self.book.sheetnames
        self.defined_names = {k: v.value for k, v in self.book.defined_names.items()}
        self.parts = opc.read_package(data)  # the custom properties, as the reader's book has them

    def rows(self, title):
        ws = self.book[title]
        ws.reset_dimensions()
        for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), 1):
            if row:
                yield r, list(row)

    def sheet_xml(self, title):
        ws = self.book[title]
        return self.book._archive.read(ws._worksheet_path)


class OldSheets(Sheets):
    """The sheets with the table and fingerprint code the reader had with openpyxl."""

    def sheet_cells(self, title):
        if title not in self.cells:
            found = {}
            for r, row in self.book.rows(title):
                if self._too_far(title, r, row):
                    break
                for c, value in enumerate(row, 1):
                    if value is not None and value != "":
                        found[f"{get_column_letter(c)}{r}"] = value
            self.cells[title] = found
        return self.cells[title]

    def rows(self, title):
        cells = self.sheet_cells(title)
        if not cells:
            return []
        grid = {}
        for ref, value in cells.items():
            col, row = openpyxl_coordinate(ref)
            grid[(row, formulatext.column_index(col))] = value
        nrows = max(r for r, _ in grid)
        ncols = max(c for _, c in grid)
        table = [[None] * ncols for _ in range(nrows)]
        for (r, c), value in grid.items():
            table[r - 1][c - 1] = value
        for r, row in enumerate(table, 1):
            self.hasher.update(repr((title, r, row)).encode())
        return table


def openpyxl_reading(data: bytes) -> reader.Reading:
    book = OpenpyxlBook(data)
    try:
        return reader.read_sheets(OldSheets(book))
    finally:
        book.book.close()


def openpyxl_outcome(data: bytes) -> str:
    """The message the openpyxl-based reader gave for a workbook, or 'read'."""
    try:
        opc.read_package(data, "werkmap.xlsx")
    except FileFormatError as exc:
        return str(exc)
    try:
        book = OpenpyxlBook(data)
    except Exception as exc:  # noqa: BLE001 - the message names it
        return (f"werkmap.xlsx could not be opened as an Excel workbook "
                f"({exc.__class__.__name__}: {exc}); open it in Excel or LibreOffice and save "
                "it again as .xlsx")
    for title in book.sheetnames:
        ws = book.book[title]
        ws.reset_dimensions()
        try:
            for _ in _openpyxl_rows(ws):
                pass
        except Exception as exc:  # noqa: BLE001
            return (f"werkmap.xlsx: the sheet '{title}' is damaged and cannot be read "
                    f"({type(exc).__name__}); open the file in Excel or LibreOffice and save "
                    "it again as .xlsx")
    return "read"


def test_the_fingerprint_is_the_sha256_of_the_tables():
    """Spelled out once, so a change to how it is computed cannot go unnoticed."""
    data = template()
    reading = reader.read(data, "t.xlsx")
    sheets = OldSheets(OpenpyxlBook(data))
    reader.read_sheets(sheets)
    assert reading.fingerprint == sheets.hasher.hexdigest()
    assert reading.fingerprint == hashlib.sha256(r_bytes(data)).hexdigest()


def r_bytes(data: bytes) -> bytes:
    """The bytes hashed: repr((title, row number, row)) of every table row the reader reads."""
    hashed = []

    class Recorder(OldSheets):
        def rows(self, title):
            table = super().rows(title)
            hashed.extend(repr((title, r, row)).encode() for r, row in enumerate(table, 1))
            return table

    reader.read_sheets(Recorder(OpenpyxlBook(data)))
    return b"".join(hashed)
