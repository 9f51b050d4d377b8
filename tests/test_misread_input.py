"""Input that a user types or pastes and that would otherwise be read as another figure than
meant, silently: each case as a user meets it in the template, with the message that names the
cell, says what was read and what to type, in check and on the results sheet."""

from __future__ import annotations

import io
import unicodedata

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import formula, portfolio, reader
from sroi_excel.engine import compute
from sroi_excel.model import Amount, InputItem, Model, Outcome, Settings, Stakeholder
from sroi_excel.template import build_template

from .conftest import edited_template, run

# The template's example by hand: 40 participants x 25% success = 10 a year, each worth 15,000,
# less 30% deadweight and 20% attribution: impact 84,000 a year; drop-off 50% over 2 years, a
# new group every year of 3, so the value is 84,000, 126,000 and 126,000. The coach costs
# 800 h x 75 = 60,000 in each year 1-3. Everything is discounted at 2.25%.
D = [1 / 1.0225 ** t for t in range(4)]
PV_VALUE = 84_000 * D[1] + 126_000 * (D[2] + D[3])
PV_INPUTS = 60_000 * (D[1] + D[2] + D[3])


def edited(lang: str = "nl", edits: dict | None = None, formats: dict | None = None) -> bytes:
    """The template with cells changed and, as a paste or another workbook leaves them, some
    number formats too: {("Opbrengsten", "J2"): "General"}."""
    book = openpyxl.load_workbook(io.BytesIO(edited_template(lang, edits)))
    for (sheet, ref), number_format in (formats or {}).items():
        book[sheet][ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems(data: bytes, severity: str) -> list[str]:
    """What check reports: the reader's problems and, without errors, the computation's."""
    reading = reader.read(data, "analyse.xlsx")
    found = list(reading.problems)
    if not reading.errors:
        found += compute(reading.model).warnings
    return [str(p) for p in found if p.severity == severity]


def checked(tmp_path, data: bytes):
    """`sroi-excel check` on the workbook: its exit code and output."""
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(data)
    result = run("check", path, "--draws", "0")
    return result.exit_code, result.output


def results_sheet_warnings(tmp_path, data: bytes, lang: str = "nl") -> list[str]:
    """`sroi-excel fill`, then the warnings as the results sheet shows them."""
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(data)
    result = run("fill", path, "--draws", "0", "--no-backup")
    assert result.exit_code == 0, result.output
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        "Resultaten" if lang == "nl" else "Results").to_python()
    heading = "Waarschuwingen van check" if lang == "nl" else "Warnings from check"
    start = next(r for r, row in enumerate(rows) if row and row[0] == heading)
    return [row[0] for row in rows[start + 1:] if row and row[0]]


# -- an assumption named like a cell ----------------------------------------------------------

WMO = ("Aannames!A2: the name 'Wmo2024' is also a cell reference (column WMO, row 2024): a "
       "formula =Wmo2024 reads that cell, not this assumption, and Excel cannot define such a "
       "name either; rename it, e.g. to 'Wmo_2024', and use that name in formulas")


def test_an_assumption_named_like_a_cell_is_refused_where_it_is_named_and_where_it_is_used(
        tmp_path):
    data = edited_template("nl", {("Aannames", "A2"): "Wmo2024",
                                  ("Opbrengsten", "D2"): "=Wmo2024*Succes"})
    errors = problems(data, "error")
    assert WMO in errors
    assert ("Opbrengsten!D2: =Wmo2024*Succes: Wmo2024 is the cell WMO2024 of this sheet, not "
            "the assumption 'Wmo2024'; rename the assumption (e.g. to 'Wmo_2024') and use that "
            "name") in errors
    code, output = checked(tmp_path, data)
    assert code == 1 and f"error: {WMO}" in output


def test_the_suggested_name_works():
    data = edited_template("nl", {("Aannames", "A2"): "Wmo_2024",
                                  ("Opbrengsten", "D2"): "=Wmo_2024*Succes"})
    model = reader.read_workbook(data)
    assert compute(model).trail["quantity"].iloc[0] == pytest.approx(10)  # 40 x 25%


@pytest.mark.parametrize("name,why,suggestion", [
    ("FTE2025", "is also a cell reference (column FTE, row 2025): a formula =FTE2025 reads that "
     "cell, not this assumption, and Excel cannot define such a name either", "FTE_2025"),
    ("AB12", "is also a cell reference (column AB, row 12): a formula =AB12 reads that cell, not "
     "this assumption, and Excel cannot define such a name either", "AB_12"),
    ("R", "is a reference in Excel's R1C1 style (R and C alone are the current row and column), "
     "so Excel cannot define such a name", "R_"),
    ("c", "is a reference in Excel's R1C1 style (R and C alone are the current row and column), "
     "so Excel cannot define such a name", "c_"),
    ("R2C3", "is a reference in Excel's R1C1 style (row 2, column 3), so Excel cannot define "
     "such a name", "R_2C3"),
    ("RC", "is a reference in Excel's R1C1 style (the cell itself), so Excel cannot define such "
     "a name", "RC_"),
    ("R1", "is also a cell reference (column R, row 1): a formula =R1 reads that cell, not this "
     "assumption, and Excel cannot define such a name either", "R_1"),
    ("Aantal deelnemers", "cannot be a name in Excel (letters, digits, _ and . only, starting "
     "with a letter or _)", "Aantal_deelnemers"),
    ("2e_jaar", "cannot be a name in Excel (letters, digits, _ and . only, starting with a "
     "letter or _)", "_2e_jaar"),
])
def test_names_excel_refuses_are_errors_with_a_name_to_use(name, why, suggestion):
    data = edited_template("nl", {("Aannames", "A2"): name, ("Opbrengsten", "D2"): 10})
    assert problems(data, "error") == [
        f"Aannames!A2: the name '{name}' {why}; rename it, e.g. to '{suggestion}', and use that "
        "name in formulas"]
    renamed = edited_template("nl", {("Aannames", "A2"): suggestion, ("Opbrengsten", "D2"): 10})
    assert problems(renamed, "error") == []


@pytest.mark.parametrize("name", ["XFE1", "Wmo2024b", "Jaar_2024", "Rente", "Cost",
                                  "Kosten.2024", "\u00e9quipe", "_Wmo2024"])
def test_names_excel_accepts_are_not_refused(name):
    data = edited_template("nl", {("Aannames", "A2"): name, ("Opbrengsten", "D2"): 10})
    assert problems(data, "error") == []


# -- a rate or percentage typed as 1 -----------------------------------------------------------

@pytest.mark.parametrize("sheet,ref,label", [
    ("Instellingen", "B7", "Discontovoet effecten"),
    ("Instellingen", "B8", "Discontovoet inbreng"),
    ("Opbrengsten", "G2", "deadweight"),
    ("Opbrengsten", "H2", "attribution"),
    ("Opbrengsten", "I2", "displacement"),
    ("Opbrengsten", "J2", "drop-off"),
])
def test_a_rate_typed_as_1_is_said_to_read_as_100_percent(sheet, ref, label):
    # As pasted from elsewhere: the cell shows "1", not "100%".
    data = edited("nl", {(sheet, ref): 1}, {(sheet, ref): "General"})
    assert (f"{sheet}!{ref}: {label} is 1, which reads as 100%; type 1% if you mean one "
            "percent") in problems(data, "warning")


def test_a_rate_shown_as_100_percent_is_taken_as_meant():
    # Typed as 100% (or as 1 into the template's percentage cells): the cell shows 100%.
    data = edited("nl", {("Opbrengsten", "G2"): 1, ("Opbrengsten", "J2"): 1})
    assert not any("reads as 100%" in m for m in problems(data, "warning"))
    # A formula says what it means, too.
    data = edited("nl", {("Opbrengsten", "J2"): "=100%"}, {("Opbrengsten", "J2"): "General"})
    assert not any("reads as 100%" in m for m in problems(data, "warning"))


def test_a_rate_typed_as_1_in_check_and_on_the_results_sheet(tmp_path):
    data = edited("en", {("Settings", "B7"): 1}, {("Settings", "B7"): "General"})
    message = ("Settings!B7: Discount rate (outcomes) is 1, which reads as 100%; type 1% if you "
               "mean one percent")
    code, output = checked(tmp_path, data)
    assert code == 0 and f"warning: {message}" in output
    assert message in results_sheet_warnings(tmp_path, data, "en")


# -- an assumption in %, a ratio above 10, a proxy without a source --------------------------

@pytest.mark.parametrize("sheet,ref,what,value", [
    ("Aannames", "B3", "the assumption 'Succes'", 55),
    ("Aannames", "E3", "the low of 'Succes'", 15),
    ("Aannames", "F3", "the high of 'Succes'", 35),
    ("Aannames", "I3", "the value for year 2 of 'Succes'", 30),
    ("Scenario's", "C2", "the value of 'Succes' in scenario 'minimum'", 15),
])
def test_a_percentage_assumption_above_1_is_an_error(sheet, ref, what, value):
    data = edited_template("nl", {(sheet, ref): value})
    assert (f"{sheet}!{ref}: {what} is {value} with the unit '%', which reads as "
            f"{value * 100:,}%; type {value}% (with the percent sign) or the fraction "
            f"{value / 100:g}") in problems(data, "error")


@pytest.mark.parametrize("unit", ["procent", "Percent", "% per jaar", "percentage"])
def test_every_way_to_write_the_percent_unit_counts(unit):
    data = edited_template("nl", {("Aannames", "B3"): 55, ("Aannames", "C3"): unit})
    assert len(problems(data, "error")) == 1


def test_a_percentage_assumption_of_1_is_a_warning_unless_shown_as_100_percent():
    data = edited("nl", {("Aannames", "B3"): 1}, {("Aannames", "B3"): "General"})
    assert ("Aannames!B3: the assumption 'Succes' is 1 with the unit '%', which reads as 100%; "
            "type 1% if you mean one percent") in problems(data, "warning")
    shown = edited("nl", {("Aannames", "B3"): 1})  # the template's cell shows 100%
    assert not any("reads as 100%" in m for m in problems(shown, "warning"))


def test_other_units_may_be_above_1():
    data = edited_template("nl", {("Aannames", "B3"): 55, ("Aannames", "C3"): "uren"})
    assert problems(data, "error") == []


RATIO = 10 * PV_VALUE / PV_INPUTS  # the proxy typed ten times too large: 18.61


def test_a_ratio_above_10_is_a_warning_in_check_and_on_the_results_sheet(tmp_path):
    data = edited_template("nl", {("Opbrengsten", "E2"): 150_000})
    assert f"{RATIO:.2f}" == "18.61"
    message = (f"Opbrengsten!D2: the SROI ratio is {RATIO:.2f}, above 10, which published "
               "analyses rarely reach; check the largest outcome, 'Minder uitkeringen' (100% of "
               "the value): its quantity, its financial proxy (Opbrengsten!E2) and the "
               "assumptions they use, for a figure typed in the wrong unit")
    assert message in problems(data, "warning")
    code, output = checked(tmp_path, data)
    assert code == 0 and f"warning: {message}" in output
    assert message in results_sheet_warnings(tmp_path, data)


def test_a_ratio_of_10_or_less_is_no_warning():
    data = edited_template("nl", {("Opbrengsten", "E2"): 15_000 * 10 / RATIO * 9.99})
    assert not any("SROI ratio" in m for m in problems(data, "warning"))


def test_a_proxy_without_a_source_in_check_and_on_the_results_sheet(tmp_path):
    data = edited_template("nl", {("Opbrengsten", "F2"): None})
    message = "Opbrengsten!F2: the financial proxy of 'Minder uitkeringen' has no source"
    code, output = checked(tmp_path, data)
    assert code == 0 and f"warning: {message}" in output
    assert message in results_sheet_warnings(tmp_path, data)


def test_the_issue_case_percent_typed_as_a_whole_number(tmp_path):
    # Succes (unit %) typed as 55: 40 x 55 = 2,200 people a year. Refused before any ratio.
    data = edited_template("nl", {("Aannames", "B3"): 55})
    code, output = checked(tmp_path, data)
    assert code == 1 and "reads as 5,500%" in output


# -- a monetised outcome that is 0 in every year ----------------------------------------------

def test_a_quantity_reading_an_empty_cell_is_a_warning(tmp_path):
    # No assumption Wmo2024: the formula reads the empty cell WMO2024 of the outcomes sheet.
    data = edited_template("nl", {("Opbrengsten", "D2"): "=Wmo2024*Succes"})
    message = ("Opbrengsten!D2: the quantity of 'Minder uitkeringen' is 0 in every year "
               "(=Wmo2024*Succes gives 0; an empty cell counts as 0), so the outcome adds "
               "nothing; check the cells and assumptions the formula uses, or mark the outcome "
               "as not monetised")
    assert message in problems(data, "warning")
    assert message in results_sheet_warnings(tmp_path, data)


def test_a_proxy_of_0_is_a_warning():
    data = edited_template("nl", {("Opbrengsten", "E2"): 0})
    assert ("Opbrengsten!E2: the financial proxy of 'Minder uitkeringen' is 0, so the outcome "
            "adds nothing; type the financial proxy, or mark the outcome as not monetised"
            ) in problems(data, "warning")


def test_a_quantity_from_a_cell_holding_0_is_a_warning():
    # A value pasted over a formula elsewhere: the cell still holds the 0 it was saved with.
    data = edited_template("nl", {("Lees mij", "C1"): 0, ("Opbrengsten", "D2"): "='Lees mij'!C1"})
    assert any(m.startswith("Opbrengsten!D2: the quantity of 'Minder uitkeringen' is 0 in every "
                            "year (='Lees mij'!C1 gives 0") for m in problems(data, "warning"))


def test_a_0_that_a_scenario_changes_is_meant():
    # No participants at the base values, 40 in the maximum: a deliberate 0.
    data = edited_template("nl", {("Aannames", "B2"): 0, ("Scenario's", "A4"): "maximum",
                                  ("Scenario's", "B4"): "Deelnemers", ("Scenario's", "C4"): 40})
    assert not any("is 0" in m for m in problems(data, "warning"))
    alone = edited_template("nl", {("Aannames", "B2"): 0})
    assert any(m.startswith("Opbrengsten!D2: the quantity of 'Minder uitkeringen' is 0 in every "
                            "year (=Deelnemers*Succes gives 0") for m in problems(alone, "warning"))


def test_a_quantity_that_is_0_in_some_years_only_is_no_warning():
    data = edited_template("nl", {("Aannames", "H2"): 0, ("Aannames", "I2"): 40})
    assert not any("is 0" in m for m in problems(data, "warning"))


# -- stakeholder names in one Unicode form -----------------------------------------------------

COMPOSED, DECOMPOSED = "Cli\u00ebnt", "Clie\u0308nt"


@pytest.mark.parametrize("listed,typed", [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_a_stakeholder_typed_in_either_unicode_form_is_one_stakeholder(listed, typed):
    assert listed != typed
    assert unicodedata.normalize("NFC", listed) == unicodedata.normalize("NFC", typed)
    data = edited_template("nl", {
        ("Belanghebbenden", "A3"): listed, ("Inbreng", "A2"): typed,
        ("Opbrengsten", "A2"): typed, ("Instellingen", "B18"): typed.upper()})
    reading = reader.read(data)
    assert reading.errors == []
    model = reading.model
    assert {o.stakeholder for o in model.outcomes} == {"Deelnemers", COMPOSED}
    assert model.inputs[0].stakeholder == COMPOSED
    assert model.settings.switching_stakeholder == COMPOSED
    rows = {r.stakeholder: r for r in compute(model).tables["stakeholders"].records()}
    assert list(rows) == ["Deelnemers", COMPOSED]
    assert rows[COMPOSED].value == pytest.approx(PV_VALUE)
    assert rows[COMPOSED].inputs == pytest.approx(PV_INPUTS)


def test_a_stakeholder_listed_twice_in_two_unicode_forms_is_listed_twice():
    data = edited_template("nl", {("Belanghebbenden", "A2"): COMPOSED,
                                  ("Belanghebbenden", "A3"): DECOMPOSED})
    assert (f"Belanghebbenden!A3: the stakeholder '{COMPOSED}' is listed twice (also at A2); "
            "each name must be unique") in problems(data, "error")


def _one_year(stakeholder: str, paid: float, gained: float) -> Model:
    return Model(Settings(name=f"{stakeholder} {paid}", years=1),
                 (Stakeholder(stakeholder),), (),
                 (InputItem(stakeholder, "cost", "money", amount=Amount.of(paid), year=1),),
                 (Outcome(stakeholder, "gain", Amount.of(1), Amount.of(gained)),), ())


@pytest.mark.parametrize("first,second", [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)])
def test_the_portfolio_sums_a_stakeholder_typed_in_either_unicode_form(first, second):
    p = portfolio.build([("a.xlsx", _one_year(first, 100, 250)),
                         ("b.xlsx", _one_year(second, 200, 150))], lang="en")
    for name in (COMPOSED, DECOMPOSED):
        row = p.stakeholder(name, None)  # in 100 + 200, out 250 + 150
        assert (row["analyses"], row["inputs"], row["value"]) == (2, 300, 400)
    assert portfolio.shared_stakeholders(p) == [unicodedata.normalize("NFC", first)]


# -- a one-year analysis with a discount rate ---------------------------------------------------

ONE_YEAR = {("Instellingen", "B6"): 1, ("Inbreng", "G2"): 0, ("Inbreng", "H2"): "nee"}


def test_one_year_discounted_outcomes_against_inputs_at_the_start_is_a_warning(tmp_path):
    # Year 1 only: value 84,000 discounted one year; the coach's 60,000 paid in year 0 is not.
    data = edited_template("nl", ONE_YEAR)
    discounted, plain = 84_000 * D[1] / 60_000, 84_000 / 60_000
    assert (f"{discounted:.2f}", f"{plain:.2f}") == ("1.37", "1.40")
    message = ("Instellingen!B7: the analysis covers one year at a discount rate of 2.25%: the "
               "outcomes of year 1 are discounted and the inputs of year 0 are not, so the SROI "
               "ratio is 1.37 where without discounting it is 1.40; for the undiscounted "
               "convention of most one-year SROIs set the discount rate to 0%, or put the inputs "
               "in year 1 to discount both alike")
    assert message in problems(data, "warning")
    code, output = checked(tmp_path, data)
    assert code == 0 and f"warning: {message}" in output
    assert message in results_sheet_warnings(tmp_path, data)
    # Either way out gives the undiscounted ratio, and no warning.
    for other in ({("Instellingen", "B7"): 0}, {("Inbreng", "G2"): 1}):
        data = edited_template("nl", {**ONE_YEAR, **other})
        assert compute(reader.read_workbook(data)).headline.ratio == pytest.approx(plain)
        assert not any("one year" in m for m in problems(data, "warning"))


def test_several_years_with_inputs_at_the_start_is_no_warning():
    data = edited_template("nl", {("Inbreng", "G2"): 0, ("Inbreng", "H2"): "nee"})
    assert not any("one year" in m for m in problems(data, "warning"))


# -- the example's switching-value stakeholder --------------------------------------------------

RENAMED = {("Belanghebbenden", "A3"): "Gemeente De Bilt", ("Inbreng", "A2"): "Gemeente De Bilt",
           ("Opbrengsten", "A2"): "Gemeente De Bilt"}


def test_renamed_example_stakeholders_do_not_block_the_first_fill(tmp_path):
    data = edited_template("nl", RENAMED)
    message = ("Instellingen!B18: the stakeholder 'Gemeente' (for switching values) is not on "
               "the stakeholders sheet, so it is ignored and switching values are computed for "
               "the analysis as a whole only; type a stakeholder from that sheet or leave the "
               "cell empty; did you mean 'Gemeente De Bilt'?")
    reading = reader.read(data)
    assert reading.errors == [] and reading.model.settings.switching_stakeholder is None
    assert message in problems(data, "warning")
    assert message in results_sheet_warnings(tmp_path, data)


def test_a_mistyped_switching_stakeholder_is_a_warning_with_the_name_meant():
    data = edited_template("nl", {("Instellingen", "B18"): "Gemeent"})
    reading = reader.read(data)
    assert reading.errors == [] and reading.model.settings.switching_stakeholder is None
    assert [str(p) for p in reading.warnings if p.cell == "B18"] == [
        "Instellingen!B18: the stakeholder 'Gemeent' (for switching values) is not on the "
        "stakeholders sheet, so it is ignored and switching values are computed for the "
        "analysis as a whole only; type a stakeholder from that sheet or leave the cell "
        "empty; did you mean 'Gemeente'?"]


def test_the_template_says_an_unknown_switching_stakeholder_is_ignored():
    book = openpyxl.load_workbook(io.BytesIO(build_template("en")))
    assert "not on the Stakeholders sheet is ignored" in book["Settings"]["C18"].value


# -- pasted amounts ---------------------------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize("typed,because,number", [
    ("EUR 14.668", "the currency EUR and thousands separators", "14668"),
    ("€ 420", "the currency €", "420"),
    ("EUR 420", "the currency EUR", "420"),
    (f"€{NBSP}14.668,50", "the currency €, thousands separators and a decimal comma",
     "14668.5"),
    (f"1{NNBSP}234,5", "a non-breaking space as pasted from a PDF or web page and a decimal "
     "comma", "1234.5"),
    (f"15{NBSP}000", "a non-breaking space as pasted from a PDF or web page", "15000"),
    (f"15{NNBSP}000", "a non-breaking space as pasted from a PDF or web page", "15000"),
    ("15 000", "spaces between the digits", "15000"),
    ("1.234,56", "thousands separators and a decimal comma", "1234.56"),
    ("0,5", "a decimal comma", "0.5"),
    ("(420)", "brackets for a negative amount", "-420"),
    ("-€ 420", "the currency €", "-420"),
    ("€ -420", "the currency €", "-420"),
    ("€ 420,-", "the currency € and ',-' after the amount", "420"),
    ("\u2212420", "a minus sign that Excel does not read as one", "-420"),
    ("1,234,567.5", "thousands separators", "1234567.5"),
])
def test_a_pasted_amount_gets_the_number_to_type(typed, because, number):
    data = edited_template("nl", {("Opbrengsten", "E2"): typed})
    assert problems(data, "error") == [
        f"Opbrengsten!E2: the financial proxy '{typed}' is stored as text, with {because}; type "
        f"{number} instead"]


@pytest.mark.parametrize("typed,because,percent", [
    (f"30{NBSP}%", "a non-breaking space as pasted from a PDF or web page", "30%"),
    (f"30{NNBSP}%", "a non-breaking space as pasted from a PDF or web page", "30%"),
    ("30 %", "a space before the percent sign", "30%"),
    ("12,5 %", "a decimal comma and a space before the percent sign", "12.5%"),
])
def test_a_pasted_percentage_gets_the_percentage_to_type(typed, because, percent):
    data = edited_template("nl", {("Opbrengsten", "G2"): typed})
    assert problems(data, "error") == [
        f"Opbrengsten!G2: the deadweight '{typed}' is stored as text, with {because}; type "
        f"{percent} instead"]


def test_a_number_stored_as_text_gets_the_number_to_type():
    data = edited_template("nl", {("Inbreng", "E2"): "800"})
    assert problems(data, "error") == [
        "Inbreng!E2: the hours '800' is a number stored as text; type 800 instead (Excel: "
        "Convert to Number)"]


@pytest.mark.parametrize("typed,thousands,decimal,separator", [
    ("14.668", "14668", "14.668", "point"),
    ("1,234", "1234", "1.234", "comma"),
])
def test_an_ambiguous_pasted_number_gets_both_readings(typed, thousands, decimal, separator):
    data = edited_template("nl", {("Opbrengsten", "E2"): typed})
    what = "a decimal point" if separator == "point" else "a decimal comma"
    assert problems(data, "error") == [
        f"Opbrengsten!E2: the financial proxy '{typed}' is stored as text; type {thousands} if "
        f"the {separator} separates thousands, or {decimal} if it is {what}"]


def test_text_that_is_no_number_is_still_said_to_be_text():
    data = edited_template("nl", {("Opbrengsten", "E2"): "veel"})
    assert problems(data, "error")[0].startswith(
        "Opbrengsten!E2: the financial proxy is text ('veel'); it must be a number or a formula")


def test_a_pasted_amount_through_the_cli_leaves_the_workbook_as_it_was(tmp_path):
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(edited_template("nl", {("Opbrengsten", "E2"): "EUR 14.668"}))
    before = path.read_bytes()
    result = run("fill", path)
    assert result.exit_code == 1
    assert ("error: Opbrengsten!E2: the financial proxy 'EUR 14.668' is stored as text, with "
            "the currency EUR and thousands separators; type 14668 instead") in result.output
    assert path.read_bytes() == before


def test_a_formula_still_reads_as_before():
    # Nothing above touches what the engine computes from a correct workbook.
    model = reader.read_workbook(edited_template("nl"))
    head = compute(model).headline
    assert head.pv_value == pytest.approx(PV_VALUE) and head.pv_inputs == pytest.approx(PV_INPUTS)
    assert isinstance(model.outcomes[0].quantity.node, formula.Binary)
