"""Build the bad-input corpus: broken workbooks made in code from the valid template.

Every case starts from ``build_template()`` (the shipped worked example) and breaks one thing,
the way a user, another spreadsheet program or a damaged e-mail attachment would: a cell edited
with openpyxl, a sheet deleted, or the sheet XML edited as text where openpyxl cannot express
the damage. Cells are located by their header, not by a fixed letter, so the corpus keeps
working when columns are added to the template.

Each case says what ``check`` and ``fill`` must answer: the exit code, where the message points
(``Sheet!Cell``, or the file name) and a fragment of the message. A few cases must *work*
(exit 0): a moved column, an extra or hidden column, blank rows, non-ASCII names.

    python tests/make_bad_workbooks.py OUTDIR     # write every case as OUTDIR/NAME.xlsx
    python tests/make_bad_workbooks.py --table    # the markdown table of cases and messages
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula

from sroi_excel import schema
from sroi_excel.template import build_template

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Built:
    data: bytes
    where: str  # "Sheet!A1", "Sheet" or "" (the file name is then expected)


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    build: Callable[[], Built]
    fragment: str  # a piece of the expected message (case-insensitive)
    exit_code: int = 1  # 0: the workbook must work; 1: workbook errors; 3: unreadable
    same_ratio: bool = False  # exit 0 only: the SROI ratio must equal the template's


@functools.cache
def template(lang: str = "nl") -> bytes:
    return build_template(lang)


# --- editing helpers ---------------------------------------------------------------------------


class Book:
    """An openpyxl workbook with cells found by schema keys: book.ref("outcomes", "proxy")."""

    def __init__(self, data: bytes):
        self.wb = openpyxl.load_workbook(io.BytesIO(data))

    def title(self, sheet_key: str) -> str:
        names = {schema.normalise(n): s.key for s in schema.INPUT_SHEETS for n in s.name.all()}
        for title in self.wb.sheetnames:
            if names.get(schema.normalise(title)) == sheet_key:
                return title
        raise KeyError(sheet_key)

    def ws(self, sheet_key: str):
        return self.wb[self.title(sheet_key)]

    def column(self, sheet_key: str, col_key: str) -> int:
        ws = self.ws(sheet_key)
        lookup = schema.header_lookup(_sheet(sheet_key))
        for cell in ws[1]:
            if cell.value is not None and lookup.get(schema.normalise(cell.value)) == col_key:
                return cell.column
        raise KeyError(col_key)

    def ref(self, sheet_key: str, col_key: str, row: int = 1) -> str:
        """The cell of data row ``row`` (1 = just below the header) in column ``col_key``."""
        return f"{get_column_letter(self.column(sheet_key, col_key))}{row + 1}"

    def where(self, sheet_key: str, col_key: str, row: int = 1) -> str:
        return f"{self.title(sheet_key)}!{self.ref(sheet_key, col_key, row)}"

    def set(self, sheet_key: str, col_key: str, value, row: int = 1, as_text: bool = False) -> str:
        cell = self.ws(sheet_key)[self.ref(sheet_key, col_key, row)]
        cell.value = value
        if as_text:
            cell.data_type = "s"  # text that starts with '=' stays text, as a typed "'=..."
        return self.where(sheet_key, col_key, row)

    def setting(self, key: str, value) -> str:
        ws = self.ws("settings")
        labels = {schema.normalise(t) for t in schema.SETTINGS.column(key).header.all()}
        for row in ws.iter_rows(min_col=1, max_col=1):
            if row[0].value is not None and schema.normalise(row[0].value) in labels:
                ws.cell(row[0].row, 2).value = value
                return f"{ws.title}!B{row[0].row}"
        raise KeyError(key)

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()


def _sheet(key: str) -> schema.Sheet:
    return next(s for s in schema.INPUT_SHEETS if s.key == key)


def edited(change: Callable[[Book], str], lang: str = "nl") -> Callable[[], Built]:
    """A case builder: ``change`` edits the template and returns where the message points."""

    def build() -> Built:
        book = Book(template(lang))
        where = change(book)
        return Built(book.bytes(), where)

    return build


def cell(sheet_key: str, col_key: str, value, row: int = 1, as_text: bool = False,
         lang: str = "nl") -> Callable[[], Built]:
    return edited(lambda b: b.set(sheet_key, col_key, value, row, as_text), lang)


def sheet_part(data: bytes, title: str) -> str:
    """The zip part that holds the sheet called ``title``."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, title
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:  # attributes in the other order
        target = re.search(rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target, rid.group(1)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def patched(data: bytes, edits: dict[str, Callable[[bytes], bytes | None]]) -> bytes:
    """The package with some parts rewritten (None drops the part); other bytes unchanged."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename in edits:
                content = edits[info.filename](content)
                if content is None:
                    continue
            dst.writestr(info, content)
    return out.getvalue()


def xml_of_sheet(sheet_key: str, change: Callable[[str], str], lang: str = "nl",
                 where: str = "") -> Callable[[], Built]:
    """A case builder that edits one sheet's XML as text."""

    def build() -> Built:
        data = template(lang)
        title = Book(data).title(sheet_key)
        part = sheet_part(data, title)
        new = patched(data, {part: lambda b: change(b.decode()).encode()})
        return Built(new, where or title)

    return build


def _add_rows(xml: str, rows: str) -> str:
    return xml.replace("</sheetData>", rows + "</sheetData>", 1)


# --- the cases -------------------------------------------------------------------------------

OUT, INP, STK, ASM, SET, SCN = "outcomes", "inputs", "stakeholders", "assumptions", "settings", \
    "scenarios"


def _missing_sheet(key: str) -> Callable[[], Built]:
    def change(b: Book) -> str:
        title = b.title(key)
        del b.wb[title]
        return _sheet(key).name.nl

    return edited(change)


def _renamed_sheet(b: Book) -> str:
    b.ws(OUT).title = "Opbrengsten 2024"
    return "Opbrengsten"


def _renamed_header(sheet_key: str, col_key: str, new: str, where: str = "A1"
                    ) -> Callable[[], Built]:
    def change(b: Book) -> str:
        ws = b.ws(sheet_key)
        c = b.column(sheet_key, col_key)
        ws.cell(1, c).value = new
        return f"{ws.title}!{where}"

    return edited(change)


def _moved_column(b: Book) -> str:
    # Cut the deadweight column and paste it to the right of the table.
    ws = b.ws(OUT)
    c = b.column(OUT, "deadweight")
    last = ws.max_column + 2
    for row in range(1, ws.max_row + 1):
        ws.cell(row, last).value = ws.cell(row, c).value
    ws.delete_cols(c)
    return ""


def _moved_stakeholder_column(b: Book) -> str:
    ws = b.ws(INP)
    c = b.column(INP, "stakeholder")
    ws.insert_cols(ws.max_column + 1)
    last = ws.max_column + 1
    for row in range(1, ws.max_row + 1):
        ws.cell(row, last).value = ws.cell(row, c).value
    ws.delete_cols(c)
    return ""


def _extra_column(b: Book) -> str:
    ws = b.ws(OUT)
    c = b.column(OUT, "quantity")
    ws.insert_cols(c)
    ws.cell(1, c).value = "Opmerking"
    ws.cell(2, c).value = "niet meetellen: 999"
    ws.cell(3, c).value = 123456
    return ""


def _hidden_column(b: Book) -> str:
    ws = b.ws(OUT)
    col = get_column_letter(ws.max_column + 1)
    ws[f"{col}1"] = "Oude proxy"
    ws[f"{col}2"] = 99999
    ws.column_dimensions[col].hidden = True
    ws.column_dimensions[get_column_letter(b.column(OUT, "indicator"))].hidden = True
    return ""


def _blank_rows(b: Book) -> str:
    for key in (STK, OUT, INP):
        b.ws(key).insert_rows(3, amount=4)
    return ""


def _merged_input(b: Book) -> str:
    ws = b.ws(OUT)
    first, second = b.ref(OUT, "quantity"), b.ref(OUT, "proxy")
    ws.merge_cells(f"{first}:{second}")
    return f"{ws.title}!{first}"


def _merged_header(b: Book) -> str:
    ws = b.ws(OUT)
    first, second = b.ref(OUT, "stakeholder", 0), b.ref(OUT, "outcome", 0)
    ws.merge_cells(f"{first}:{second}")
    return f"{ws.title}!{first}"


def _circular(b: Book) -> str:
    b.set(ASM, "value", "=Succes*100", row=1)
    return b.set(ASM, "value", "=Deelnemers/100", row=2).split("!")[0]


def _self_reference(b: Book) -> str:
    return b.set(OUT, "proxy", f"=Opbrengsten!{b.ref(OUT, 'proxy')}*2")


def _duplicate_stakeholder(b: Book) -> str:
    return b.set(STK, "name", b.ws(STK)[b.ref(STK, "name", 1)].value, row=3)


def _duplicate_assumption(b: Book) -> str:
    b.set(ASM, "name", "Deelnemers", row=3)
    return b.set(ASM, "value", 10, row=3).replace(b.ref(ASM, "value", 3), b.ref(ASM, "name", 3))


def _duplicate_scenario_entry(b: Book) -> str:
    b.set(SCN, "scenario", "minimum", row=3)
    b.set(SCN, "value", 0.1, row=3)
    return b.set(SCN, "assumption", "Succes", row=3)


def _unknown_stakeholder_input(b: Book) -> str:
    return b.set(INP, "stakeholder", "Gemeentee")


def _negative_input(b: Book) -> str:
    b.set(INP, "kind", "geld")
    return b.set(INP, "amount", -5000)


def _negative_input_formula(b: Book) -> str:
    b.set(INP, "kind", "geld")
    return b.set(INP, "amount", "=-Deelnemers*100")


def _negative_outcome(b: Book) -> str:
    b.set(OUT, "proxy", -15000)
    return ""


def _empty_workbook() -> Built:
    book = openpyxl.Workbook()
    out = io.BytesIO()
    book.save(out)
    return Built(out.getvalue(), "Instellingen")


def _headers_only(b: Book) -> str:
    for key in (STK, ASM, INP, OUT, SCN):
        ws = b.ws(key)
        ws.delete_rows(2, ws.max_row)
    return f"{b.title(STK)}!A2"


def _long_text(b: Book) -> str:
    # Excel's limit for one cell is 32,767 characters; a name that long must still work.
    name = "Bewoners " * 3640
    b.set(STK, "name", name, row=3)
    b.set(OUT, "stakeholder", name, row=1)
    b.set(OUT, "outcome", "Minder uitkeringen " * 1700, row=1)
    return ""


def _long_unknown(b: Book) -> str:
    return b.set(OUT, "stakeholder", "Gemeente " * 3600)


def _non_ascii(b: Book) -> str:
    old = b.ws(STK)[b.ref(STK, "name", 2)].value
    new = "Gemeente Zuid-Oost – één 日本語 🙂"
    # Everywhere the name is used: inputs, outcomes and any setting that names a stakeholder.
    for ws in b.wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value == old:
                    c.value = new
    b.set(OUT, "outcome", "Minder uitkeringen (ß, ø, ç, ñ)")
    return ""


def _non_ascii_assumption(b: Book) -> str:
    b.set(ASM, "name", "Slagingskans_één", row=2)
    b.set(SCN, "assumption", "Slagingskans_één", row=1)
    b.set(SCN, "assumption", "Slagingskans_één", row=2)
    b.set(OUT, "quantity", "=Deelnemers*Slagingskans_één")
    return ""


def _title_rows(b: Book) -> str:
    ws = b.ws(OUT)
    ws.insert_rows(1, amount=2)
    ws["A1"] = "Opbrengsten van de buurtcoach"
    return ""


def _header_spelling(b: Book) -> str:
    ws = b.ws(OUT)
    for c in range(1, ws.max_column + 1):
        if isinstance(ws.cell(1, c).value, str):
            ws.cell(1, c).value = "  " + ws.cell(1, c).value.upper() + " "
    return ""


def _reordered_hidden_sheets(b: Book) -> str:
    ws = b.ws(OUT)
    b.wb.move_sheet(ws, offset=-(b.wb.index(ws)))
    b.ws(ASM).sheet_state = "hidden"
    return ""


def _far_row_other_sheet(b: Book) -> str:
    b.wb.create_sheet("Notities")["A1048576"] = "aantekening onderaan"
    return ""


def _far_row_input(b: Book) -> str:
    ws = b.ws(OUT)
    ws["A1048576"] = "Gemeente"
    return f"{ws.title}!A1048576"


def _far_column(b: Book) -> str:
    ws = b.ws(STK)
    ws["XFD2"] = "x"
    return f"{ws.title}!XFD2"


def _many_sparse_rows() -> Built:
    # 300,000 rows with one number each below the stakeholders: written as XML text, which is
    # what openpyxl would take minutes to do cell by cell.
    rows = "".join(f'<row r="{r}"><c r="C{r}"><v>1</v></c></row>' for r in range(10, 300_010))
    built = xml_of_sheet(STK, lambda x: _add_rows(x, rows))()
    return Built(built.data, built.where + "!C")


def _bogus_dimension() -> Built:
    built = xml_of_sheet(OUT, lambda x: re.sub(r'<dimension ref="[^"]*"/>',
                                                '<dimension ref="A1:XFD1048576"/>', x))()
    return Built(built.data, "")


def _chain(length: int, closed: bool = False) -> Callable[[Book], str]:
    """Assumptions Stap_1 .. Stap_n, each the previous plus one; closed: Stap_1 uses Stap_n."""

    def change(b: Book) -> str:
        first = 10
        for i in range(1, length + 1):
            value = f"=Stap_{i - 1}+1" if i > 1 else (f"=Stap_{length}+1" if closed else 1)
            b.set(ASM, "name", f"Stap_{i}", row=first + i)
            b.set(ASM, "value", value, row=first + i)
            b.set(ASM, "source", "keten", row=first + i)
        b.set(OUT, "quantity", f"=Stap_{length}/Stap_{length}*Deelnemers*Succes")
        if closed:
            return b.title(ASM)
        return b.where(ASM, "value", first + length) if length > 100 else ""

    return change


def _array_formula(b: Book) -> str:
    ws = b.ws(OUT)
    ref = b.ref(OUT, "proxy")
    ws[ref] = ArrayFormula(ref, "=SUM({15000})")
    return f"{ws.title}!{ref}"


def _shared_formula_text_ref(b: Book) -> str:
    return b.set(OUT, "quantity", f"=Aannames!{b.ref(ASM, 'unit', 1)}*2")


def _missing_sheet_ref(b: Book) -> str:
    return b.set(OUT, "quantity", "=Blad9!A1*2")


def _long_chain(b: Book) -> str:
    # A left-deep chain of 3,000 terms: fine for Excel (< 8,192 characters), too deep for a
    # naive recursive walk.
    b.set(OUT, "quantity", "=" + "+".join(["Deelnemers*0.001"] * 450))
    return ""


def _deep_brackets(b: Book) -> str:
    return b.set(OUT, "proxy", "=" + "(" * 300 + "15000" + ")" * 300)


def _overflow(b: Book) -> str:
    return b.set(OUT, "proxy", "=10^400")


def _damaged(change: dict[str, Callable[[bytes], bytes | None]]) -> Callable[[], Built]:
    return lambda: Built(patched(template(), change), "")


def _truncated() -> Built:
    data = template()
    return Built(data[: len(data) // 2], "")


def _sheet_not_xml() -> Built:
    data = template()
    part = sheet_part(data, Book(data).title(OUT))
    return Built(patched(data, {part: lambda b: b[: len(b) // 2]}), "")


def _sheet_part_missing() -> Built:
    data = template()
    part = sheet_part(data, Book(data).title(OUT))
    return Built(patched(data, {part: lambda b: None}), Book(data).title(OUT))


def _cases() -> list[Case]:
    e = edited
    return [
        # Sheets
        Case("missing_sheet_outcomes", "outcomes sheet deleted", _missing_sheet(OUT),
             "is missing"),
        Case("missing_sheet_settings", "settings sheet deleted", _missing_sheet(SET),
             "is missing"),
        Case("missing_sheet_stakeholders", "stakeholders sheet deleted",
             _missing_sheet(STK), "is missing"),
        Case("missing_sheet_assumptions", "assumptions sheet deleted while formulas use them",
             lambda: Built(edited(lambda b: (b.wb.remove(b.ws(ASM)), "")[1])().data,
                           "Opbrengsten!D2"), "does not exist"),
        Case("renamed_sheet", "outcomes sheet renamed to 'Opbrengsten 2024'",
             e(_renamed_sheet), "is missing"),
        Case("empty_workbook", "a new, empty workbook", _empty_workbook, "is missing"),
        Case("headers_only", "every table emptied, headers kept", e(_headers_only),
             "no stakeholders are listed"),
        # Headers and columns
        Case("renamed_required_header", "header 'Belanghebbende' renamed to 'Doelgroep'",
             _renamed_header(OUT, "stakeholder", "Doelgroep"), "Belanghebbende"),
        Case("renamed_required_header_inputs", "header 'Belanghebbende' on inputs renamed",
             _renamed_header(INP, "stakeholder", "Wie"), "Belanghebbende"),
        Case("renamed_proxy_header", "header 'Financiële proxy' renamed to 'Waarde per stuk'",
             _renamed_header(OUT, "proxy", "Waarde per stuk", where="A2"),
             "no column with that header"),
        Case("misspelt_optional_header", "header 'Deadweight' misspelt 'Deadwieght'",
             _renamed_header(OUT, "deadweight", "Deadwieght"), "did you mean 'Deadweight'",
             exit_code=0),
        Case("moved_column", "deadweight column moved to the far right", e(_moved_column), "",
             exit_code=0, same_ratio=True),
        Case("moved_stakeholder_column", "inputs' stakeholder column moved to the end",
             e(_moved_stakeholder_column), "", exit_code=0, same_ratio=True),
        Case("extra_column", "a user column 'Opmerking' inserted in the outcomes table",
             e(_extra_column), "", exit_code=0, same_ratio=True),
        Case("hidden_columns", "a hidden extra column and a hidden known column",
             e(_hidden_column), "", exit_code=0, same_ratio=True),
        Case("title_rows_above_header", "two title rows above the outcomes header",
             e(_title_rows), "", exit_code=0, same_ratio=True),
        Case("header_case_and_spaces", "headers in capitals with extra spaces",
             e(_header_spelling), "", exit_code=0, same_ratio=True),
        Case("sheets_reordered_hidden", "outcomes sheet first, assumptions sheet hidden",
             e(_reordered_hidden_sheets), "", exit_code=0, same_ratio=True),
        Case("merged_input_cells", "quantity and proxy cells merged", e(_merged_input),
             "merged"),
        Case("merged_header_cells", "two header cells merged", e(_merged_header),
             "merged"),
        # Rows
        Case("blank_rows_in_middle", "four blank rows inside three tables", e(_blank_rows), "",
             exit_code=0, same_ratio=True),
        Case("far_row_other_sheet", "a note in row 1,048,576 of a sheet the tool does not read",
             e(_far_row_other_sheet), "", exit_code=0, same_ratio=True),
        Case("million_rows", "a value in row 1,048,576 of the outcomes sheet",
             e(_far_row_input), "at most"),
        Case("many_sparse_rows", "300,000 rows of numbers below the stakeholders",
             _many_sparse_rows, "at most"),
        Case("far_column", "a value in column XFD", e(_far_column), "at most"),
        Case("bogus_dimension", "sheet claims A1:XFD1048576 but holds a small table",
             _bogus_dimension, "", exit_code=0, same_ratio=True),
        # Numbers
        Case("text_in_number", "quantity 'veel'", cell(OUT, "quantity", "veel"),
             "must be a number or a formula"),
        Case("dutch_decimal_text", "proxy typed as text '1.234,56'",
             cell(OUT, "proxy", "1.234,56"), "1234.56"),
        Case("dutch_thousands_text", "proxy typed as text '€ 15.000'",
             cell(OUT, "proxy", "€ 15.000"), "15000"),
        Case("number_as_text", "hours stored as text '800'", cell(INP, "hours", "800"),
             "stored as text"),
        Case("percent_typed_as_20", "deadweight 20 meant as 20%", cell(OUT, "deadweight", 20),
             "type 20%"),
        Case("percent_as_text", "attribution typed as text '20 %'",
             cell(OUT, "attribution", "20 %"), "stored as text"),
        Case("percent_above_100", "drop-off 150 (15000%)", cell(OUT, "dropoff", 150),
             "between 0% and 100%"),
        Case("percent_negative", "displacement -10%", cell(OUT, "displacement", -0.1),
             "between 0% and 100%"),
        Case("discount_rate_typed_as_4", "discount rate 4 meant as 4%",
             e(lambda b: b.setting("discount_rate", 4)), "type 4%"),
        Case("date_in_number", "proxy holds a date", cell(OUT, "proxy", dt.datetime(2024, 3, 1)),
             "is a date"),
        Case("date_in_duration", "duration holds a date",
             cell(OUT, "duration", dt.datetime(2024, 3, 1)), "whole number"),
        Case("boolean_in_number", "quantity holds TRUE", cell(OUT, "quantity", True),
             "must be a number"),
        Case("error_ref", "proxy holds #REF!", cell(OUT, "proxy", "#REF!"), "#REF!"),
        Case("error_div0", "amount holds #DIV/0!", cell(INP, "hours", "#DIV/0!"), "#DIV/0!"),
        Case("error_name", "assumption value holds #NAME?", cell(ASM, "value", "#NAME?"),
             "#NAME?"),
        Case("error_in_formula", "quantity formula =#REF!*Succes",
             cell(OUT, "quantity", "=#REF!*Succes"), "#REF!"),
        Case("years_zero", "horizon 0 years", e(lambda b: b.setting("years", 0)),
             "between 1 and 100"),
        Case("years_text", "horizon 'drie'", e(lambda b: b.setting("years", "drie")),
             "whole number"),
        Case("duration_fraction", "duration 2.5 years", cell(OUT, "duration", 2.5),
             "whole number"),
        Case("first_year_beyond_horizon", "outcome starts in year 9 of 3",
             cell(OUT, "first_year", 9), "between 1 and 3"),
        Case("negative_input", "input amount -5,000 (inputs cannot be negative)",
             e(_negative_input), "cannot be negative"),
        Case("negative_hours", "hours -800", cell(INP, "hours", -800), "cannot be negative"),
        Case("negative_input_formula", "input amount =-Deelnemers*100",
             e(_negative_input_formula), "cannot be negative"),
        Case("negative_outcome_allowed", "outcome proxy -15,000 (negative outcomes count)",
             e(_negative_outcome), "", exit_code=0),
        Case("low_above_high", "assumption low 60 above high 50", cell(ASM, "low", 60),
             "is above high"),
        Case("overflow", "proxy =10^400", e(_overflow), "too large"),
        # Formulas
        Case("unsupported_formula", "proxy =IF(Succes>0,15000,0)",
             cell(OUT, "proxy", "=IF(Succes>0,15000,0)"), "IF"),
        Case("vlookup_formula", "proxy =VLOOKUP(\"x\",Aannames!A:B,2,FALSE)",
             cell(OUT, "proxy", '=VLOOKUP("x",Aannames!A:B,2,FALSE)'), "VLOOKUP"),
        Case("unknown_name_in_formula", "quantity =Deelnemerz*Succes",
             cell(OUT, "quantity", "=Deelnemerz*Succes"), "did you mean 'Deelnemers'"),
        Case("formula_to_text_cell", "quantity refers to a text cell",
             e(_shared_formula_text_ref), "holds text"),
        Case("formula_to_missing_sheet", "quantity =Blad9!A1*2", e(_missing_sheet_ref),
             "does not exist"),
        Case("circular_assumptions", "Deelnemers =Succes*100, Succes =Deelnemers/100",
             e(_circular), "circular"),
        Case("self_reference", "proxy refers to its own cell", e(_self_reference),
             "circular"),
        Case("array_formula", "proxy as an array formula {=SUM({15000})}", e(_array_formula),
             "Ctrl+Shift+Enter"),
        Case("long_formula_chain", "quantity is a sum of 450 terms", e(_long_chain), "",
             exit_code=0),
        Case("assumption_chain_100", "100 assumptions, each the previous plus one",
             e(_chain(100)), "", exit_code=0, same_ratio=True),
        Case("assumption_chain_250", "250 assumptions, each the previous plus one",
             e(_chain(250)), "the tool follows at most 100"),
        Case("assumption_cycle_1200", "a circle through 1,200 assumptions", e(_chain(1200, True)),
             "too long to follow"),
        Case("deeply_nested_formula", "proxy nested in 300 brackets", e(_deep_brackets),
             "nested"),
        # Names
        Case("unknown_stakeholder", "outcome for 'Gemeent'",
             cell(OUT, "stakeholder", "Gemeent"), "did you mean 'Gemeente'"),
        Case("unknown_stakeholder_input", "input by 'Gemeentee'", e(_unknown_stakeholder_input),
             "did you mean 'Gemeente'"),
        Case("duplicate_stakeholder", "a stakeholder listed twice", e(_duplicate_stakeholder),
             "listed twice"),
        Case("duplicate_assumption", "an assumption listed twice", e(_duplicate_assumption),
             "listed twice"),
        Case("duplicate_scenario_entry", "scenario 'minimum' sets Succes twice",
             e(_duplicate_scenario_entry), "set twice"),
        Case("unknown_scenario_assumption", "scenario overrides 'Sukses'",
             cell(SCN, "assumption", "Sukses"), "did you mean 'Succes'"),
        Case("unknown_scenario_setting", "settings ask for scenario 'middel'",
             e(lambda b: b.setting("scenario", "middel")), "is not on the scenarios sheet"),
        Case("unknown_input_kind", "input type 'cash'", cell(INP, "kind", "cash"),
             "geld/money"),
        Case("unknown_yes_no", "every year 'misschien'", cell(OUT, "recurring", "misschien"),
             "ja/nee"),
        Case("unknown_analysis_type", "analysis type 'achteraf'",
             e(lambda b: b.setting("analysis_type", "achteraf")), "prognose/forecast"),
        Case("outcome_without_name", "outcome name blank", cell(OUT, "outcome", None),
             "has no name"),
        Case("very_long_text", "a 32,760-character stakeholder and outcome name",
             e(_long_text), "", exit_code=0, same_ratio=True),
        Case("very_long_unknown_name", "a 32,400-character unknown stakeholder",
             e(_long_unknown), "is not on the stakeholders sheet"),
        Case("non_ascii_names", "stakeholder 'Gemeente Zuid-Oost – één 日本語 🙂'",
             e(_non_ascii), "", exit_code=0, same_ratio=True),
        Case("non_ascii_assumption", "assumption 'Slagingskans_één' used in a formula",
             e(_non_ascii_assumption), "", exit_code=0, same_ratio=True),
        Case("english_template_error", "English workbook: deadweight 30 meant as 30%",
             cell(OUT, "deadweight", 30, lang="en"), "type 30%"),
        # Damaged packages
        Case("truncated_file", "the file cut off halfway (a broken download)", _truncated,
             "damaged", exit_code=3),
        Case("sheet_xml_cut", "the outcomes sheet's XML cut off halfway", _sheet_not_xml,
             "save it again", exit_code=3),
        Case("sheet_part_missing", "the outcomes sheet's part removed from the zip",
             _sheet_part_missing, "is missing"),
        Case("styles_garbage", "styles.xml replaced by garbage",
             _damaged({"xl/styles.xml": lambda b: b"<styleSheet><<<"}), "save it again",
             exit_code=3),
        Case("shared_strings_missing", "sharedStrings.xml removed",
             _damaged({"xl/sharedStrings.xml": lambda b: None}), "save it again",
             exit_code=3),
        Case("content_types_missing", "[Content_Types].xml removed",
             _damaged({"[Content_Types].xml": lambda b: None}), "not an .xlsx workbook",
             exit_code=3),
    ]


CASES: list[Case] = _cases()


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in CASES:
        path = folder / f"{case.name}.xlsx"
        path.write_bytes(case.build().data)
        written.append(path)
    return written


def table() -> str:
    """The markdown table of cases and what `check` says about them."""
    import tempfile

    from click.testing import CliRunner

    from sroi_excel.cli import main

    lines = ["| # | case | what is broken | exit | message (first line) |",
             "| --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(CASES, 1):
            path = Path(tmp) / f"{case.name}.xlsx"
            path.write_bytes(case.build().data)
            result = CliRunner().invoke(main, ["check", str(path)])
            output = result.output.replace(str(path), f"{case.name}.xlsx")
            first = next((line for line in output.splitlines()
                          if line.startswith(("error:", "warning:"))), output.splitlines()[-1])
            if len(first) > 220:
                first = first[:219] + "…"
            first = first.replace("|", "\\|")
            lines.append(f"| {n} | {case.name} | {case.what} | {result.exit_code} | {first} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) == 2 and sys.argv[1] == "--table":
        print(table())
    elif len(sys.argv) == 2:
        for p in write_all(Path(sys.argv[1])):
            print(p)
    else:
        sys.exit(__doc__)
