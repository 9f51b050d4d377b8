"""The reader and check: every problem a user can cause, with sheet, cell and a plain sentence."""

from __future__ import annotations

import pytest

from sroi_excel import api, formula, reader
from sroi_excel.exceptions import ValidationError

from .conftest import edited_template


def messages(data: bytes, severity: str = "error") -> list[str]:
    reading = reader.read(data, "analyse.xlsx")
    return [str(p) for p in reading.problems if p.severity == severity]


def test_template_reads_without_errors_in_both_languages():
    for lang in ("nl", "en"):
        reading = reader.read(edited_template(lang), "t.xlsx")
        assert reading.errors == []
        model = reading.model
        assert model.language == lang
        assert len(model.stakeholders) == 2 and len(model.outcomes) == 2
        assert model.outcomes[0].quantity.text.startswith("=")
        assert [s.name for s in model.scenarios] == ["minimum", "maximum"]


@pytest.mark.parametrize("edits,expected", [
    ({("Opbrengsten", "G2"): 1.5},
     "Opbrengsten!G2: deadweight is 1.5, which reads as 150%; type 1.5% (with the percent "
     "sign) or a fraction like 0.015"),
    ({("Opbrengsten", "G2"): 20},
     "Opbrengsten!G2: deadweight is 20, which reads as 2000%; type 20% (with the percent sign) "
     "or a fraction like 0.2"),
    ({("Opbrengsten", "G2"): 150},
     "Opbrengsten!G2: deadweight is 15000%; it must be between 0% and 100%"),
    ({("Opbrengsten", "A2"): "Gemeent"},
     "Opbrengsten!A2: the stakeholder 'Gemeent' is not on the stakeholders sheet; did you mean "
     "'Gemeente'?"),
    ({("Opbrengsten", "E2"): "veel"},
     "Opbrengsten!E2: the financial proxy is text ('veel'); it must be a number or a formula"),
    ({("Opbrengsten", "E2"): "1.234,56"},
     "Opbrengsten!E2: the financial proxy '1.234,56' is stored as text, with thousands "
     "separators and a decimal comma; type 1234.56 instead"),
    ({("Opbrengsten", "E2"): None},
     "Opbrengsten!E2: the financial proxy is missing"),
    ({("Opbrengsten", "K2"): 0},
     "Opbrengsten!K2: duration is 0; an outcome lasts at least 1 year"),
    ({("Opbrengsten", "D2"): "=VLOOKUP(1,A1:B2,2)"},
     "Opbrengsten!D2: =VLOOKUP(1,A1:B2,2): "),
    ({("Opbrengsten", "D2"): "=Deelnemrs*Succes"},
     "Opbrengsten!D2: =Deelnemrs*Succes: the name 'Deelnemrs' is not an assumption on the "
     "assumptions sheet; did you mean 'Deelnemers'?"),
    ({("Opbrengsten", "D2"): "#REF!"},
     "Opbrengsten!D2: the quantity is the Excel error #REF!; fix the formula or value in that "
     "cell"),
    ({("Aannames", "B2"): "=Succes*2", ("Aannames", "B3"): "=Deelnemers/100"},
     "circular assumptions: "),
    ({("Inbreng", "E2"): -5},
     "Inbreng!E2: the hours is -5; it cannot be negative (enter savings as outcomes)"),
    ({("Instellingen", "B7"): 2.25},
     "Instellingen!B7: Discontovoet effecten is 2.25, which reads as 225%"),
    ({("Instellingen", "B6"): None},
     "Instellingen!B6: 'Aantal jaren (horizon)' is missing; fill in how many years the "
     "analysis covers"),
    ({("Instellingen", "B6"): 2.5},
     "Instellingen!B6: Aantal jaren (horizon) is '2.5'; it must be a whole number"),
    ({("Opbrengsten", "L2"): 9},
     "Opbrengsten!L2: the first year is 9; it must be between 1 and 3 (the horizon), or a "
     "calendar year from 2025"),
    ({("Scenario's", "B2"): "Sukses"},
     "Scenario's!B2: the assumption 'Sukses' is not on the assumptions sheet; did you mean "
     "'Succes'?"),
    ({("Belanghebbenden", "A3"): "Deelnemers"},
     "Belanghebbenden!A3: the stakeholder 'Deelnemers' is listed twice (also at A2); each name "
     "must be unique"),
])
def test_reader_errors_name_sheet_cell_and_fix(edits, expected):
    found = messages(edited_template("nl", edits))
    assert any(m.startswith(expected) or expected in m for m in found), found


def test_formula_outside_subset_is_named():
    found = messages(edited_template("nl", {("Opbrengsten", "D2"): "=IF(A1>1,2,3)"}))
    assert len(found) == 1 and found[0].startswith("Opbrengsten!D2: =IF(A1>1,2,3): ")


def test_missing_sheet():
    data = edited_template("nl")
    import io

    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(data))
    del book["Opbrengsten"]
    out = io.BytesIO()
    book.save(out)
    found = messages(out.getvalue())
    assert found == ["Opbrengsten: the sheet 'Opbrengsten' (English: 'Outcomes') is missing; "
                     "sheets found: Lees mij, Instellingen, Belanghebbenden, Aannames, Inbreng, "
                     "Scenario's, Referentieprijzen, Prijsindex"]


def test_warnings_do_not_fail():
    data = edited_template("nl", {("Opbrengsten", "F2"): None, ("Opbrengsten", "G2"): 0.8,
                                  ("Opbrengsten", "H2"): 0.2})
    assert messages(data) == []
    warnings = messages(data, "warning")
    assert "Opbrengsten!F2: the financial proxy of 'Minder uitkeringen' has no source" in warnings
    assert ("Opbrengsten!G2: deadweight plus attribution is 100% for 'Minder uitkeringen'; little "
            "of this outcome is claimed, check that both are right") in warnings


def test_cell_references_to_assumptions_follow_scenarios():
    # =Aannames!B2*Aannames!B3 refers to the assumption cells, so a scenario changes it too
    data = edited_template("nl", {("Opbrengsten", "D2"): "=Aannames!$B$2*Aannames!B3"})
    model = reader.read(data).model
    assert model.outcomes[0].quantity.node.__class__.__name__ == "Binary"
    from sroi_excel.engine import compute
    base = compute(model).trail["quantity"].iloc[0]
    low = compute(model, "minimum").trail["quantity"].iloc[0]
    assert (base, low) == (pytest.approx(10), pytest.approx(6))  # 40 x 25%, 40 x 15%


def test_reference_to_other_cell_is_inlined():
    data = edited_template("nl", {("Lees mij", "C1"): 12, ("Lees mij", "C2"): "=C1*2",
                                  ("Opbrengsten", "D2"): "='Lees mij'!C2+SUM('Lees mij'!C1:C2)"})
    model = reader.read(data).model
    from sroi_excel.engine import compute
    assert compute(model).trail["quantity"].iloc[0] == pytest.approx(24 + 36)


def test_read_workbook_raises_with_all_problems():
    data = edited_template("nl", {("Opbrengsten", "G2"): 2, ("Opbrengsten", "A2"): "X"})
    with pytest.raises(ValidationError) as caught:
        reader.read_workbook(data)
    assert len(caught.value.problems) >= 2
    assert isinstance(caught.value, ValueError)


def test_check_reports_formula_errors_per_scenario(workbook):
    # Succes 5 in minimum (as a factor, not a percentage) -> the quantity is fine
    path = workbook(edits={("Scenario's", "C2"): 5, ("Aannames", "C3"): "factor"})
    path2 = workbook(edits={("Opbrengsten", "G2"): "=Succes*4"}, name="b.xlsx")
    report = api.check(path2)
    assert any("deadweight is 100%" not in str(p) and "scenario 'maximum'" in str(p)
               for p in report.errors), report.errors
    assert api.check(path).errors == []


# -- formulas read once per text -----------------------------------------------------------------

def test_rows_sharing_a_formula_each_keep_their_own_cell():
    data = edited_template("nl", {("Opbrengsten", "D3"): "=Deelnemers*Succes",
                                  ("Opbrengsten", "E3"): 100, ("Opbrengsten", "N3"): "ja"})
    outcomes = reader.read(data, "t.xlsx").model.outcomes
    expected = formula.Binary("*", formula.Name("Deelnemers"), formula.Name("Succes"))
    assert [(o.quantity.node, o.quantity.text, str(o.quantity.at)) for o in outcomes] == [
        (expected, "=Deelnemers*Succes", "Opbrengsten!D2"),
        (expected, "=Deelnemers*Succes", "Opbrengsten!D3")]


def test_one_formula_text_reads_the_cells_of_its_own_sheet():
    data = edited_template("nl", {("Inbreng", "E2"): "=G2*1000",
                                  ("Opbrengsten", "D2"): "=G2*1000"})
    model = reader.read(data, "t.xlsx").model
    assert model.inputs[0].hours.node == formula.Binary(
        "*", formula.Number(1.0), formula.Number(1000.0))  # Inbreng!G2: the year, 1
    assert model.outcomes[0].quantity.node == formula.Binary(
        "*", formula.Number(0.3), formula.Number(1000.0))  # Opbrengsten!G2: deadweight 30%


def test_formulas_read_in_one_workbook_are_not_used_for_the_next():
    first = reader.read(edited_template("nl"), "a.xlsx").model
    second = reader.read(edited_template("nl", {("Aannames", "A3"): "SUCCES"}), "b.xlsx").model
    assert first.outcomes[0].quantity.node.right == formula.Name("Succes")
    assert second.outcomes[0].quantity.node.right == formula.Name("SUCCES")


