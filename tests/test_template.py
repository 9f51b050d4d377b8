"""The template: committed copies equal what `new` makes, and it helps the person filling it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sroi_excel import schema
from sroi_excel.template import EXAMPLE, build_template

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_committed_template_equals_new(lang):
    committed = (ROOT / "templates" / f"sroi-template-{lang}.xlsx").read_bytes()
    made = build_template(lang)
    with zipfile.ZipFile(io.BytesIO(committed)) as a, zipfile.ZipFile(io.BytesIO(made)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), f"{name} differs: run `make templates`"


def test_new_is_deterministic():
    assert build_template("nl") == build_template("nl")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_template_helps_the_user(lang):
    book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
    for sheet in schema.INPUT_SHEETS:
        ws = book[sheet.name(lang)]
        assert ws.freeze_panes == "A2", sheet.key
    outcomes = book[schema.OUTCOMES.name(lang)]
    headers = [c.value for c in outcomes[1]]
    assert headers == [c.header(lang) for c in schema.OUTCOMES.columns]
    for cell in outcomes[1]:
        assert cell.comment is not None and cell.comment.text.strip(), cell.coordinate
    deadweight = schema.OUTCOMES.columns.index(schema.OUTCOMES.column("deadweight")) + 1
    assert "%" in outcomes.cell(2, deadweight).number_format
    assert outcomes.cell(2, 1).fill.fgColor.rgb.endswith("FFF2CC")  # input cells coloured
    validations = outcomes.data_validations.dataValidation
    kinds = {dv.type for dv in validations}
    assert {"list", "decimal"} <= kinds
    sources = " ".join(str(dv.formula1) for dv in validations)
    assert schema.STAKEHOLDERS.name(lang) in sources  # stakeholder dropdown
    assert schema.YES(lang) in sources
    assert set(book.defined_names) == {a[0](lang) for a in EXAMPLE["assumptions"]}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_template_formulas_cache_their_values(lang):
    """=Deelnemers*Succes caches 40 x 25% = 10, so a reader of cached values sees it."""
    book = openpyxl.load_workbook(io.BytesIO(build_template(lang)), data_only=True)
    assert book[schema.OUTCOMES.name(lang)]["D2"].value == 10


def test_dropdown_of_scenarios_quotes_the_sheet_name():
    with zipfile.ZipFile(io.BytesIO(build_template("nl"))) as z:
        settings = z.read("xl/worksheets/sheet2.xml").decode()
    assert "<formula1>'Scenario''s'!$A$2:$A$201</formula1>" in settings
