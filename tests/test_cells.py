"""One cell read as a number, percentage, whole number, year, yes/no or stakeholder
(reader_cells.CellReader), with the message for each mistake: fast tests, no workbook
written, so that mutation testing can run them for every change it makes.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from sroi_excel import formula, opc, schema, sheetxml
from sroi_excel.model import Amount, Cell, ReferencePrice, Settings
from sroi_excel.reader_cells import (
    CellReader,
    Row,
    Sheets,
    did_you_mean,
    numberish,
    short,
    text,
    text_number_message,
)
from sroi_excel.reader_formulas import Formulas
from sroi_excel.sheetxml import ArrayFormula, DataTableFormula
from sroi_excel.template import build_template

AT = Cell("Opbrengsten", "G2")
BOOK = sheetxml.Workbook(opc.read_package(build_template("nl")))


@pytest.fixture
def cells() -> CellReader:
    sheets = Sheets(BOOK)
    return CellReader(sheets, Formulas(sheets))


def said(cells: CellReader) -> list[tuple[str, str, str, str]]:
    """The problems collected: (severity, sheet, cell, message)."""
    return [(p.severity, p.sheet, p.cell, p.message) for p in cells.sheets.problems]


def error(message: str, at: Cell = AT) -> list[tuple[str, str, str, str]]:
    return [("error", at.sheet, at.ref, message)]


# -- amounts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value,number,shown", [
    (5, 5.0, "5"), (2.5, 2.5, "2.5"), (-3, -3.0, "-3"), (1e6, 1e6, "1000000"),
])
def test_a_number_is_an_amount_at_its_cell(cells, value, number, shown):
    amount = cells.amount(value, AT, "quantity")
    assert amount.node == formula.Number(number)
    assert amount.text == shown and amount.at == AT and amount.price is None
    assert not amount.is_formula
    assert said(cells) == []


def test_the_same_number_in_two_cells_keeps_each_cell(cells):
    other = Cell("Opbrengsten", "G3")
    first, second = cells.amount(7, AT, "quantity"), cells.amount(7, other, "quantity")
    assert (first.at, second.at) == (AT, other)
    assert first.node == second.node == formula.Number(7.0)


@pytest.mark.parametrize("value,shown", [(0, "0"), (0.0, "0"), (-0.0, "0")])
def test_zero_is_an_amount(cells, value, shown):
    amount = cells.amount(value, AT, "amount")
    assert amount is not None and amount.node.value == 0 and amount.at == AT
    assert amount.text == shown
    assert said(cells) == []


def test_an_empty_cell_is_no_amount_and_no_problem(cells):
    assert cells.amount(None, AT, "quantity") is None
    assert said(cells) == []


@pytest.mark.parametrize("value,message", [
    (True, "the quantity is True; it must be a number"),
    (False, "the quantity is False; it must be a number"),
    (dt.datetime(2025, 3, 1), "the quantity is a date (2025-03-01 00:00:00); it must be a "
     "number: format the cell as a number"),
    (dt.date(2025, 3, 1), "the quantity is a date (2025-03-01); it must be a number: format "
     "the cell as a number"),
    (dt.time(12, 30), "the quantity is a date (12:30:00); it must be a number: format the "
     "cell as a number"),
    (ArrayFormula("G2", "=SUM(A1:A2*B1:B2)"), "the quantity is an array or data-table formula "
     "(=SUM(A1:A2*B1:B2)); enter it as an ordinary formula (Enter, not Ctrl+Shift+Enter)"),
    (DataTableFormula("G2"), "the quantity is an array or data-table formula (); enter it as "
     "an ordinary formula (Enter, not Ctrl+Shift+Enter)"),
    ("#REF!", "the quantity is the Excel error #REF!; fix the formula or value in that cell"),
    (" #div/0! ", "the quantity is the Excel error #DIV/0!; fix the formula or value in that "
     "cell"),
    ("veel", "the quantity is text ('veel'); it must be a number or a formula"),
])
def test_what_is_not_an_amount_is_said_at_its_cell(cells, value, message):
    assert cells.amount(value, AT, "quantity") is None
    assert said(cells) == error(message)


def test_a_formula_is_an_amount_that_keeps_its_text(cells):
    amount = cells.amount(" =2*3+1 ", AT, "quantity")
    assert amount.is_formula and amount.text == "=2*3+1" and amount.at == AT
    assert formula.evaluate(amount.node, formula.MappingResolver({})) == 7
    assert said(cells) == []


def test_a_formula_that_cannot_be_read_is_said_with_its_text(cells):
    assert cells.amount("=2*", AT, "quantity") is None
    ((severity, sheet, ref, message),) = said(cells)
    assert (severity, sheet, ref) == ("error", "Opbrengsten", "G2")
    assert message.startswith("=2*: ")


def test_a_long_formula_is_shown_up_to_80_characters(cells):
    text = "=" + "+".join(["Deelnemers"] * 7) + "+"  # 79 characters
    assert cells.amount(text, AT, "quantity") is None
    longer = "=" + "+".join(["Deelnemers"] * 7) + "+12"  # 81 characters
    assert cells.amount(longer + "+", AT, "quantity") is None
    assert [p[3] for p in said(cells)] == [
        f"{text}: the formula ends after '+'; a number, name or cell reference is missing",
        f"{longer[:79]}…: the formula ends after '+'; a number, name or cell reference is "
        "missing"]


def test_a_formula_too_deep_to_follow_is_said(cells, monkeypatch):
    def too_deep(text, at):
        raise RecursionError

    monkeypatch.setattr(cells.formulas, "node", too_deep)
    assert cells.amount("=A1", AT, "quantity") is None
    assert cells.amount("=" + "A1+" * 20 + "A1", AT, "quantity") is None  # 62 characters
    said_ = ("the formula refers to cells that refer to other cells in a chain too long to "
             "follow; put the intermediate values in assumptions")
    longer = "=" + "A1+" * 26 + "A1"  # 81 characters: shown to 80
    assert cells.amount(longer, AT, "quantity") is None
    assert said(cells) == error(f"=A1: {said_}") + error("=" + "A1+" * 20 + f"A1: {said_}") \
        + error(f"{longer[:79]}…: {said_}")


class Prices:
    """Reference prices that know one code."""

    def amount(self, text, at, label, sheets):
        assert isinstance(sheets, Sheets)
        return Amount(formula.Number(123.0), f"{label}: {text}", at)


def test_text_is_a_price_only_where_a_price_may_stand(cells):
    cells.prices = Prices()
    assert cells.amount(" HA-CONSULT ", AT, "proxy", priced=True) == Amount(
        formula.Number(123.0), "proxy: HA-CONSULT", AT)
    assert cells.amount("HA-CONSULT", AT, "quantity") is None
    assert said(cells) == error("the quantity is text ('HA-CONSULT'); it must be a number or "
                                "a formula")


def test_a_required_amount_may_name_a_price_where_asked(cells):
    cells.prices = Prices()
    at = Cell("Inbreng", "D2")
    assert cells.required_amount(row({"rate": "HA"}), "rate", "hourly rate", minimum=0,
                                 priced=True) == Amount(formula.Number(123.0),
                                                        "hourly rate: HA", at)
    assert cells.required_amount(row({"hours": "HA"}), "hours", "hours", minimum=0) is None
    assert said(cells) == error("the hours is text ('HA'); it must be a number or a formula", at)


# -- required amounts --------------------------------------------------------------------------

def row(values: dict, columns: dict | None = None) -> Row:
    """Row 2 of the inputs sheet with these values; each key in its own column from D."""
    columns = columns if columns is not None else {k: 3 + i for i, k in enumerate(values)}
    return Row("Inbreng", 2, [], values, columns, False)


def test_a_required_amount_is_read(cells):
    amount = cells.required_amount(row({"amount": 250}), "amount", "amount", minimum=0)
    assert amount.node.value == 250 and amount.at == Cell("Inbreng", "D2")
    assert said(cells) == []


@pytest.mark.parametrize("value", [0, 0.0, 1e-9])
def test_a_required_amount_at_its_minimum_is_read(cells, value):
    amount = cells.required_amount(row({"amount": value}), "amount", "amount", minimum=0)
    assert amount is not None and amount.node.value == value
    assert said(cells) == []


def test_a_required_amount_below_its_minimum_is_refused(cells):
    assert cells.required_amount(row({"hours": -0.5}), "hours", "hours", minimum=0) is None
    assert said(cells) == error("the hours is -0.5; it cannot be negative (enter savings as "
                                "outcomes)", Cell("Inbreng", "D2"))


def test_a_negative_amount_without_a_minimum_is_read(cells):
    amount = cells.required_amount(row({"quantity": -4}), "quantity", "quantity")
    assert amount.node.value == -4 and said(cells) == []


def test_a_formula_is_not_held_to_the_minimum(cells):
    amount = cells.required_amount(row({"amount": "=1-3"}), "amount", "amount", minimum=0)
    assert amount is not None and amount.is_formula and said(cells) == []


def test_a_missing_required_amount_is_said(cells):
    assert cells.required_amount(row({"amount": None}), "amount", "amount") is None
    assert said(cells) == error("the amount is missing", Cell("Inbreng", "D2"))


def test_a_required_amount_without_its_column_is_said_at_the_row(cells):
    assert cells.required_amount(row({"hours": 3}), "amount", "amount") is None
    assert said(cells) == error("the amount is missing because the sheet has no column with "
                                "that header; add the column or give it its header back",
                                Cell("Inbreng", "A2"))


# -- percentages -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 0.0, 1, 1.0, 0.5, 1e-12, 0.999999])
def test_a_percentage_from_0_to_100_percent_is_read(cells, value):
    amount = cells.percent(value, AT, "deadweight")
    assert amount.node.value == value and amount.at == AT
    assert said(cells) == []


@pytest.mark.parametrize("value,message", [
    (1.000001, "deadweight is 1, which reads as 100%; type 1% (with the percent sign) or a "
               "fraction like 0.01"),
    (1.5, "deadweight is 1.5, which reads as 150%; type 1.5% (with the percent sign) or a "
          "fraction like 0.015"),
    (30, "deadweight is 30, which reads as 3000%; type 30% (with the percent sign) or a "
         "fraction like 0.3"),
    (100, "deadweight is 100, which reads as 10000%; type 100% (with the percent sign) or a "
          "fraction like 1"),
    (100.5, "deadweight is 10050%; it must be between 0% and 100%"),
    (-0.25, "deadweight is -25%; it must be between 0% and 100%"),
    (-1e-9, "deadweight is -0%; it must be between 0% and 100%"),
])
def test_a_percentage_outside_the_range_is_refused(cells, value, message):
    assert cells.percent(value, AT, "deadweight") is None
    assert said(cells) == error(message)


def test_a_percentage_may_be_a_formula_checked_when_computed(cells):
    amount = cells.percent("=2*0.75", AT, "deadweight")
    assert amount.is_formula and said(cells) == []


def test_an_empty_or_wrong_percentage_cell(cells):
    assert cells.percent(None, AT, "deadweight") is None
    assert said(cells) == []
    assert cells.percent("veel", AT, "deadweight") is None
    assert said(cells) == error("the deadweight is text ('veel'); it must be a number or a "
                                "formula")


def test_a_percentage_constant(cells):
    assert cells.percent_constant(0.0225, AT, "rate") == 0.0225
    assert cells.percent_constant(1, AT, "rate") == 1
    assert cells.percent_constant(None, AT, "rate") is None
    assert said(cells) == []
    assert cells.percent_constant("=1/2", AT, "rate") is None
    assert cells.percent_constant("veel", AT, "rate") is None
    assert said(cells) == error("rate must be a number, not a formula") + error(
        "the rate is text ('veel'); it must be a number or a formula")


def test_a_number_constant(cells):
    assert cells.number_constant(-12.5, AT, "low") == -12.5
    assert cells.number_constant(0, AT, "low") == 0
    assert said(cells) == []
    assert cells.number_constant("=1+1", AT, "low") is None
    assert cells.number_constant("laag", AT, "low") is None
    assert said(cells) == error("low must be a number, not a formula") + error(
        "the low is text ('laag'); it must be a number or a formula")


def test_a_table_by_its_header(cells):
    table = cells.table("Opbrengsten", schema.OUTCOMES)
    assert (table.title, table.header) == ("Opbrengsten", 1)
    assert (table.columns["stakeholder"], table.columns["quantity"]) == (0, 3)


# -- whole numbers and years -------------------------------------------------------------------

@pytest.mark.parametrize("value,number", [
    (3, 3), (3.0, 3), (-2, -2), (0, 0), (" 7 ", 7), ("-12", -12), ("2026", 2026),
])
def test_a_whole_number(cells, value, number):
    found = cells.integer(value, AT, "duration")
    assert found == number and type(found) is int
    assert said(cells) == []


@pytest.mark.parametrize("value,shown", [
    (2.5, "2.5"), (True, "True"), ("3.0", "3.0"), ("drie", "drie"), ("1 2", "1 2"),
    (None, "None"), ("+3", "+3"),
])
def test_not_a_whole_number(cells, value, shown):
    assert cells.integer(value, AT, "duration") is None
    assert said(cells) == error(f"duration is '{shown}'; it must be a whole number")


@pytest.mark.parametrize("value", [1, 5, 10])
def test_a_bounded_number_at_and_within_its_bounds(cells, value):
    assert cells.bounded(value, AT, "horizon", 1, 10) == value
    assert said(cells) == []


@pytest.mark.parametrize("value,message", [
    (0, "horizon is 0; it must be between 1 and 10"),
    (11, "horizon is 11; it must be between 1 and 10"),
])
def test_a_bounded_number_outside_its_bounds(cells, value, message):
    assert cells.bounded(value, AT, "horizon", 1, 10) is None
    assert said(cells) == error(message)


def test_a_bounded_number_says_its_bound_as_given(cells):
    assert cells.bounded(2_000_000, AT, "draws", 0, 1_000_000, "1,000,000") is None
    assert said(cells) == error("draws is 2000000; it must be between 0 and 1,000,000")
    assert cells.bounded("x", AT, "draws", 0, 10) is None
    assert said(cells)[-1][3] == "draws is 'x'; it must be a whole number"


CALENDAR = Settings(years=3, first_year=2025)
NO_CALENDAR = Settings(years=3)


@pytest.mark.parametrize("value,lowest,year", [
    (2025, 1, 1), (2026, 1, 2), (2027, 1, 3), ("2026", 1, 2), (2026.0, 1, 2),
    (2024, 0, 0), (2025, 0, 1),
    (1, 1, 1), (3, 1, 3), (0, 0, 0), (2, 0, 2),
])
def test_a_year_of_the_analysis_or_a_calendar_year(cells, value, lowest, year):
    assert cells.year(value, AT, CALENDAR, 9, "the first year", lowest) == year
    assert said(cells) == []


@pytest.mark.parametrize("value,lowest,message", [
    (2028, 1, "the first year is 2028; it must be between 1 and 3 (the horizon), or a calendar "
              "year from 2025"),
    (2024, 1, "the first year is 2024; it must be between 1 and 3 (the horizon), or a calendar "
              "year from 2025"),
    (2023, 0, "the first year is 2023; it must be between 0 and 3 (the horizon), or a calendar "
              "year from 2025"),
    (0, 1, "the first year is 0; it must be between 1 and 3 (the horizon), or a calendar year "
           "from 2025"),
    (4, 1, "the first year is 4; it must be between 1 and 3 (the horizon), or a calendar year "
           "from 2025"),
    (999, 1, "the first year is 999; it must be between 1 and 3 (the horizon), or a calendar "
             "year from 2025"),
    (1000, 1, "the first year is 1000; it must be between 1 and 3 (the horizon), or a calendar "
              "year from 2025"),
])
def test_a_year_outside_the_analysis(cells, value, lowest, message):
    assert cells.year(value, AT, CALENDAR, 9, "the first year", lowest) == 9
    assert said(cells) == error(message)


def test_a_calendar_year_without_a_first_year_is_refused(cells):
    assert cells.year(2026, AT, NO_CALENDAR, 1, "the year", 0) == 1
    assert said(cells) == error("the year is 2026; it must be between 0 and 3 (the horizon)")


def test_a_year_left_empty_or_not_a_number_is_the_default(cells):
    assert cells.year(None, AT, CALENDAR, 4, "the year", 0) == 4
    assert said(cells) == []
    assert cells.year("volgend jaar", AT, CALENDAR, 4, "the year", 0) == 4
    assert said(cells) == error("the year is 'volgend jaar'; it must be a whole number")


def test_a_horizon_of_one_year(cells):
    one = Settings(years=1, first_year=2025)
    assert cells.year(2025, AT, one, 0, "the year", 1) == 1
    assert cells.year(1, AT, one, 0, "the year", 1) == 1
    assert said(cells) == []


# -- yes and no, stakeholders ----------------------------------------------------------------

@pytest.mark.parametrize("value,answer", [
    ("ja", True), ("nee", False), ("Yes", True), (" NO ", False), ("ja", True),
    (True, True), (False, False), (1, True), (0, False),
])
def test_yes_or_no(cells, value, answer):
    assert cells.yesno(value, AT, not answer, "every year") is answer
    assert cells.yesno(value, AT, not answer, "every year") is answer  # once more, remembered
    assert said(cells) == []


@pytest.mark.parametrize("default", [True, False])
def test_yes_or_no_left_empty_or_not_understood(cells, default):
    assert cells.yesno(None, AT, default, "every year") is default
    assert said(cells) == []
    assert cells.yesno("misschien", AT, default, "every year") is default
    assert cells.yesno(2, AT, default, "every year") is default
    assert said(cells) == error("every year is 'misschien'; use ja/nee or yes/no") + error(
        "every year is '2'; use ja/nee or yes/no")


KNOWN = {"gemeente": "Gemeente", "deelnemers": "Deelnemers"}


def test_a_stakeholder_by_its_name_in_any_case(cells):
    assert cells.stakeholder(" GEMEENTE ", AT, KNOWN) == "Gemeente"
    assert cells.stakeholder("deelnemers", AT, KNOWN) == "Deelnemers"
    assert said(cells) == []


def test_a_stakeholder_missing_or_unknown(cells):
    assert cells.stakeholder(None, AT, KNOWN) is None
    assert cells.stakeholder("Gemeent", AT, KNOWN) is None
    assert cells.stakeholder("Zorgverzekeraar", AT, KNOWN) is None
    assert said(cells) == (
        error("the stakeholder is missing; pick one from the list")
        + error("the stakeholder 'Gemeent' is not on the stakeholders sheet; did you mean "
                "'Gemeente'?")
        + error("the stakeholder 'Zorgverzekeraar' is not on the stakeholders sheet"))


# -- text in messages ---------------------------------------------------------------------------

def test_text_of_a_cell():
    assert text(None) == ""
    assert text("  a b ") == "a b"
    assert text(12) == "12"


def test_short_text():
    assert short("a" * 40) == "a" * 40
    assert short("a" * 41) == "a" * 39 + "…"
    assert short("abcdef", 4) == "abc…"


def test_did_you_mean():
    options = ["Gemeente", "Zorgverzekeraar"]
    assert did_you_mean("Gemeent", options) == "; did you mean 'Gemeente'?"
    assert did_you_mean("GEMEENTE X", options) == "; did you mean 'Gemeente'?"
    assert did_you_mean("iets anders", options) == ""
    long = "a" * 200
    assert did_you_mean("a" * 199 + "b", [long]) == f"; did you mean '{long}'?"
    assert did_you_mean("a" * 200 + "b", [long]) == ""  # over 200 characters: not tried


@pytest.mark.parametrize("value,expected", [
    ("12", True), ("1.234,56", True), ("€ 1 200", True), ("-5%", True), ("+3", True),
    ("12a", False), ("HA-CONSULT", False), ("", False), (".", False), ("1-2", False),
])
def test_numberish(value, expected):
    assert numberish(value) is expected


# The number a pasted text stands for is reader_pasted's (tests/test_misread_input.py); here:
# that its sentence is used, and the plain one where the text is no number at all.
@pytest.mark.parametrize("value,message", [
    ("12,5", "the proxy '12,5' is stored as text, with a decimal comma; type 12.5 instead"),
    ("1500", "the proxy '1500' is a number stored as text; type 1500 instead (Excel: Convert "
             "to Number)"),
    ("veel", "the proxy is text ('veel'); it must be a number or a formula"),
    ("1.2.3,4,5", "the proxy is text ('1.2.3,4,5'); it must be a number or a formula"),
    ("x" * 41, "the proxy is text ('" + "x" * 39 + "…'); it must be a number or a formula"),
])
def test_why_text_is_not_a_number(value, message):
    assert text_number_message(value, "proxy") == message


# -- mistakes that mutation testing showed no test would notice ---------------------------------

PLAIN = Cell("Opbrengsten", "D2")  # a quantity: not formatted as a percentage


def test_zero_and_minus_zero_keep_their_sign_in_either_order(cells):
    # -0.0 is read as Number(-0.0): a 0 read before it must not make it +0.0, nor the reverse
    signs = [math.copysign(1, cells.amount(v, AT, "amount").node.value)
             for v in (0, -0.0, 0.0, -0.0)]
    assert signs == [1, -1, 1, -1]


def test_text_before_the_prices_are_read_is_text(cells):
    assert cells.prices is None
    assert cells.amount("HA", AT, "proxy", priced=True) is None
    assert said(cells) == error("the proxy is text ('HA'); it must be a number or a formula")


def test_a_percentage_of_1_in_a_cell_not_shown_as_a_percentage_is_a_warning(cells):
    assert cells.percent(1, PLAIN, "the deadweight").node.value == 1
    assert cells.percent(0.5, PLAIN, "the deadweight").node.value == 0.5
    assert cells.percent(1, AT, "the deadweight").node.value == 1  # shown as 100%: meant
    assert said(cells) == [("warning", "Opbrengsten", "D2", "the deadweight is 1, which reads as "
                            "100%; type 1% if you mean one percent")]


@pytest.mark.parametrize("typed,unit,problems", [
    (0.5, "%", []),
    (1, "%", [("warning", "the value is 1 with the unit '%', which reads as 100%; type 1% if "
                          "you mean one percent")]),
    (1, "", [("warning", "the value is 1, which reads as 100%; type 1% if you mean one "
                         "percent")]),
    (1.5, "%", [("error", "the value is 1.5 with the unit '%', which reads as 150%; type 1.5% "
                          "(with the percent sign) or the fraction 0.015")]),
    (55, "procent", [("error", "the value is 55 with the unit 'procent', which reads as "
                               "5,500%; type 55% (with the percent sign) or the fraction 0.55")]),
])
def test_a_number_for_something_measured_in_percent(cells, typed, unit, problems):
    cells.percent_unit(cells.amount(typed, PLAIN, "value"), None, "the value", unit)
    cells.percent_unit(float(typed), PLAIN, "the value", unit)  # a number and its cell
    assert said(cells) == [(severity, "Opbrengsten", "D2", message)
                           for severity, message in problems] * 2


def test_a_formula_price_or_nothing_measured_in_percent_is_not_checked(cells):
    priced = Amount(formula.Number(55.0), "HA", PLAIN, ReferencePrice("GP", 55.0, code="HA"))
    for amount, at in [(cells.amount("=40*55", PLAIN, "value"), None), (priced, None),
                       (None, PLAIN), (55.0, None)]:
        cells.percent_unit(amount, at, "the value", "%")
    assert said(cells) == []


def test_a_suggestion_prefers_the_name_in_the_same_case():
    # "ABd" is as close to "ABc" as "abx" is to "abc"; the same case decides
    assert did_you_mean("ABc", ["ABd", "abx"]) == "; did you mean 'ABd'?"
    # only in another case: alike, and difflib takes the later in the alphabet
    assert did_you_mean("abc", ["ABD", "ABX"]) == "; did you mean 'ABX'?"


@pytest.mark.parametrize("value", ["1.2.3", "1.2.3 €"])
def test_numberish_without_a_pasted_reading(value):
    # not a number pasted from a report, but digits and separators all the same
    assert numberish(value) is True
