"""Every workbook the tool writes is one Excel opens without a repair: valid against the Office
Open XML schema (openxml-audit) and free of what Excel checks beyond the schema
(tests/excelcheck.py). Checked on both templates, every example filled, a workbook filled
twice and one that LibreOffice saved between two fills.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from openxml_audit import OpenXmlValidator

from sroi_excel import api, schema
from sroi_excel.template import build_template

from .excelcheck import findings
from .lo import convert_all

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.xlsx"))


def schema_errors(path: Path) -> list[str]:
    result = OpenXmlValidator().validate(path)
    return [f"{e.part_uri} {e.path}: {e.description}" for e in result.errors]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """Every kind of workbook the tool writes, by a name saying what it is."""
    base = tmp_path_factory.mktemp("written")
    found = {}
    for lang in ("nl", "en"):
        path = base / f"template-{lang}.xlsx"
        path.write_bytes(build_template(lang))
        found[path.name] = path
    for example in EXAMPLES:
        path = base / f"filled-{example.name}"
        shutil.copy(example, path)
        api.fill(path, backup=False, draws=200)
        found[path.name] = path
    for name in ("buurtcoach", "youth-mentoring"):
        path = base / f"twice-{name}.xlsx"
        shutil.copy(found[f"filled-{name}.xlsx"], path)
        api.fill(path, backup=False, draws=200)
        found[path.name] = path
    return found


@pytest.fixture(scope="module")
def saved_by_libreoffice(written, tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Filled workbooks saved by LibreOffice, and each of those filled again."""
    base = tmp_path_factory.mktemp("lo-saved")
    names = ["buurtcoach", "youth-mentoring"]
    saved = convert_all([written[f"filled-{n}.xlsx"] for n in names], "xlsx", base / "saved",
                        base)
    pairs = {}
    for name in names:
        before = saved[written[f"filled-{name}.xlsx"]]
        after = base / f"refilled-{name}.xlsx"
        shutil.copy(before, after)
        api.fill(after, backup=False, draws=200)
        pairs[name] = (before, after)
    return pairs


def test_every_written_workbook_is_valid(written):
    problems = {name: schema_errors(path) for name, path in written.items()}
    assert not any(problems.values()), problems


def test_every_written_workbook_has_nothing_excel_repairs(written):
    problems = {name: findings(path.read_bytes()) for name, path in written.items()}
    assert not any(problems.values()), problems


def test_a_fill_after_libreoffice_saved_adds_no_schema_error(saved_by_libreoffice):
    """LibreOffice's own parts break the schema in places (no theme part, VML shape ids
    repeated); fill leaves the user's parts as they are and adds no error of its own."""
    for before, after in saved_by_libreoffice.values():
        old, new = schema_errors(before), schema_errors(after)
        assert sorted(new) == sorted(old)


def test_a_fill_after_libreoffice_saved_has_nothing_excel_repairs(saved_by_libreoffice):
    # LibreOffice turned the inline texts of the result sheets into shared strings; the
    # second fill removes those sheets and must say so in the shared strings' count.
    for _, after in saved_by_libreoffice.values():
        assert findings(after.read_bytes()) == []


# -- the quoting rule -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "quoted"), [
    ("Opbrengsten", "Opbrengsten"),
    ("Per jaar", "'Per jaar'"),
    ("Scenario's", "'Scenario''s'"),
    ("'s Avonds", "'''s Avonds'"),
    ("2024", "'2024'"),
    ("AB12", "'AB12'"),  # reads as a cell
    ("R1C1", "'R1C1'"),
    ("Résumé", "Résumé"),  # letters of any alphabet need no quotes
    ("Kosten (€)", "'Kosten (€)'"),
])
def test_sheet_names_are_quoted_as_excel_reads_them(name, quoted):
    assert schema.quote_sheet(name) == quoted
    assert schema.sheet_ref(name, "$A$1") == f"{quoted}!$A$1"


# -- the checker finds what it is there for ---------------------------------------------------

def small_workbook() -> bytes:
    """Two sheets, a shared string, a chart and a defined name: clean."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    data = book.add_worksheet("Data's")
    data.write_column(0, 0, [1, 2, 3], book.add_format({"bold": True}))
    data.write_string(0, 1, "text")
    other = book.add_worksheet("Other")
    book.add_worksheet("2024")
    other.write_formula(0, 0, "='Data''s'!A1*2", None, 2)
    other.write_formula(1, 0, "=Total", None, 6)
    book.define_name("Total", "=SUM('Data''s'!$A$1:$A$3)")
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "='Data''s'!$A$1:$A$3"})
    other.insert_chart("C3", chart)
    book.close()
    return out.getvalue()


def patched(data: bytes, part: str, old: str, new: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    text = parts[part].decode()
    assert old in text, (part, old)
    parts[part] = text.replace(old, new, 1).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, payload in parts.items():
            z.writestr(name, payload)
    return out.getvalue()


def test_the_checker_passes_a_clean_workbook():
    assert findings(small_workbook()) == []


@pytest.mark.parametrize(("part", "old", "new", "said"), [
    ("xl/worksheets/sheet2.xml", "'Data''s'!A1", "'Data's'!A1", "must be doubled"),
    ("xl/worksheets/sheet2.xml", "'Data''s'!A1", "Data!A1", "'Data' does not exist"),
    ("xl/worksheets/sheet2.xml", "<f>Total</f>", "<f>Totals</f>", "'Totals' is not defined"),
    ("xl/workbook.xml", "SUM('Data''s'!", "SUM('Gone'!", "'Gone' does not exist"),
    ("xl/workbook.xml", "SUM('Data''s'!", "SUM(Data's!", "is not closed"),
    ("xl/worksheets/sheet2.xml", "'Data''s'!A1", "2024!A1", "must be quoted"),
    ("xl/charts/chart1.xml", "<c:f>'Data''s'!", "<c:f>'Nope'!", "'Nope' does not exist"),
    ("xl/worksheets/sheet1.xml", ' s="1"', ' s="9"', "missing cell format 9"),
    ("xl/worksheets/sheet1.xml", '<row r="2"', '<row r="5"', "comes after row 5"),
    ("xl/worksheets/sheet1.xml", '<c r="B1"', '<c r="B2"', "the cell B2 is in row 1"),
    ("xl/sharedStrings.xml", 'count="1"', 'count="3"', 'count="3" but 1 cells'),
    ("xl/worksheets/sheet1.xml", "<v>0</v>", "<v>4</v>", "shared string that does not"),
    ("xl/styles.xml", '<cellXfs count="2">', '<cellXfs count="3">', "holds 2"),
    ("xl/workbook.xml", '<definedName name="Total">', '<definedName name="Total" '
     'localSheetId="7">', "sheet number 7"),
])
def test_the_checker_finds_what_excel_repairs(part, old, new, said):
    found = findings(patched(small_workbook(), part, old, new))
    assert any(said in line for line in found), found


# -- every place that writes a sheet name into a formula, with names that need care ----------

# Input and result sheets renamed: a quote, spaces, letters beyond ASCII (quoted or not).
HOSTILE = {
    schema.SETTINGS.name: "Instellingen d'été",
    schema.STAKEHOLDERS.name: "Belanghébbenden's",
    schema.ASSUMPTIONS.name: "Aannames (ß)",
    schema.INPUTS.name: "Inbreng 'x' 2",
    schema.OUTCOMES.name: "Opbréngsten",
    schema.RESULT_SHEETS["results"]: "Resultaten d'été",
    schema.RESULT_SHEETS["stakeholders"]: "Per belanghébbende",
    schema.RESULT_SHEETS["years"]: "Per jaar 'x' 2",
    schema.RESULT_SHEETS["trail"]: "Rekenspoor é",
    schema.RESULT_SHEETS["input_trail"]: "Rekenspoor inbreng's",
}


@pytest.fixture
def hostile_names():
    """The Dutch sheet names of HOSTILE, for the duration of a test."""
    kept = {text: text.nl for text in HOSTILE}
    for text, name in HOSTILE.items():
        object.__setattr__(text, "nl", name)  # frozen: the one vocabulary, renamed in place
    yield
    for text, name in kept.items():
        object.__setattr__(text, "nl", name)


def test_sheet_names_with_quotes_spaces_and_accents_are_quoted_everywhere(hostile_names,
                                                                         tmp_path):
    """The template (dropdowns, names), fill's formulas, charts, defined names and print
    titles: Excel finds nothing to repair, the schema holds, and LibreOffice computes every
    cached value. (Gnumeric does not read a doubled quote in a sheet name: not used here.)"""
    from .gnumeric import cached, disagreements

    template = build_template("nl")
    assert findings(template) == []
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(template)
    report = api.fill(path, backup=False, draws=0)
    assert report.sheets[0] == "Resultaten d'été"
    data = path.read_bytes()
    assert findings(data) == [] and schema_errors(path) == []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                       if n.endswith(".xml"))
    for written in ("'Belanghébbenden''s'!$A$2:$A$201",  # a dropdown of the template
                    "<definedName name=\"Succes\">'Aannames (ß)'!$B$3<",  # fill's names
                    "'Inbreng ''x'' 2'!E2",  # the input trail's link to the hours
                    "Opbréngsten!D2",  # letters need no quotes
                    "'Instellingen d''été'!B7",  # the discount rate
                    "'Per jaar ''x'' 2'!$",  # a chart series and the names of the tables
                    "'Rekenspoor inbreng''s'!$6:$6"):  # print titles
        assert written in text, written
    recalculated = convert_all([path], "xlsx", tmp_path / "lo", tmp_path)[path]
    sheets = report.sheets[:6]
    assert disagreements(cached(path, list(sheets)), cached(recalculated, list(sheets))) == []
