"""The SROI arithmetic of core.py piece by piece, against figures worked out by hand: years,
discounting, cohorts, shares of lasting outcomes, assumption values per year, scenario and
draws (arrays), and the message for each value that cannot be computed.

Fast on purpose: mutation testing (``make mutate``) runs these for every change it makes.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sroi_excel import core
from sroi_excel.core import (
    Cohort,
    Frame,
    counted_ages,
    discount_factor,
    evaluate_amount,
    evaluate_percent,
    input_rate,
    input_years,
    last_counted_year,
    outcome_years,
    scenario_overrides,
)
from sroi_excel.exceptions import FormulaError, ScenarioError, WorkbookError
from sroi_excel.formula import Number
from sroi_excel.model import (
    Amount,
    Cell,
    InputItem,
    PriceIndexPoint,
    ReferencePrice,
    Scenario,
    Settings,
)

from .builders import assume, f, model, money, n, outcome

AT = Cell("Opbrengsten", "D2")


def problem(error: WorkbookError) -> tuple[str, str, str]:
    p = error.problem
    return p.sheet, p.cell, p.message


# -- years and discounting --------------------------------------------------------------------

def test_discount_factor():
    assert discount_factor(0.1, 0) == 1.0
    assert discount_factor(0.1, -1) == 1.0
    assert discount_factor(0.1, 1) == pytest.approx(1 / 1.1)
    assert discount_factor(0.1, 2) == pytest.approx(1 / 1.21)
    assert discount_factor(0.0, 5) == 1.0


def test_input_rate():
    assert input_rate(Settings(discount_rate=0.03)) == 0.03
    assert input_rate(Settings(discount_rate=0.03, discount_rate_inputs=0.04)) == 0.04
    assert input_rate(Settings(discount_rate=0.03, discount_rate_inputs=0.0)) == 0.0
    assert input_rate(Settings(discount_rate=0.03, discount_inputs=False)) == 0.0


@pytest.mark.parametrize("first,recurring,years", [
    (1, False, [1]), (3, False, [3]), (2, True, [2, 3, 4]), (4, True, [4]), (5, True, []),
    (5, False, []), (1, True, [1, 2, 3, 4]),
])
def test_outcome_years(first, recurring, years):
    assert outcome_years(outcome("A", 1, 1, first=first, recurring=recurring), 4) == years


@pytest.mark.parametrize("year,recurring,years", [
    (0, False, [0]), (0, True, [0, 1, 2, 3]), (1, True, [1, 2, 3]), (2, True, [2, 3]),
    (3, False, [3]), (4, False, []), (4, True, []),
])
def test_input_years(year, recurring, years):
    assert input_years(money("A", 1, year=year, recurring=recurring), 3) == years


@pytest.mark.parametrize("year,ages", [
    # cohorts occurring in years 2..4 that last 3 years
    (1, []), (2, [0]), (3, [0, 1]), (4, [0, 1, 2]), (5, [1, 2]), (6, [2]), (7, []),
])
def test_counted_ages(year, ages):
    assert list(counted_ages(2, 4, 3, year)) == ages


def test_the_last_year_counted():
    lasting = outcome("A", 1, 1, first=2, duration=5)
    recurring = outcome("A", 1, 1, duration=2, recurring=True)
    qualitative = outcome("A", None, None, duration=9, monetised=False)
    assert last_counted_year(model([lasting, recurring, qualitative], years=3)) == 3
    on = {"beyond_horizon": True}
    assert last_counted_year(model([lasting, recurring, qualitative], years=3, **on)) == 6
    assert last_counted_year(model([recurring, qualitative], years=3, **on)) == 4
    assert last_counted_year(model([outcome("A", 1, 1, first=1)], years=3, **on)) == 3


def test_a_cohort():
    c = Cohort(1, 1, 10.0, 100.0, 0.5, 0.2, 0.1, 0.0)
    assert c.gross == 1000.0
    assert c.claim == pytest.approx(0.5 * 0.9 * 0.8)
    assert c.impact == pytest.approx(360.0)


# -- assumption values --------------------------------------------------------------------------

def frame(assumptions=(), outcomes=(), inputs=(), years=3, scenario=None, **settings) -> Frame:
    m = model(list(outcomes) or [outcome("A", 1, 1)], list(inputs), list(assumptions),
              years=years, **settings)
    return Frame(m, scenario)


PER_YEAR = [assume("Deelnemers", 2, per_year=[(2, 5)]), assume("Totaal", "=Deelnemers*3")]


def test_assumption_values_per_year():
    years = frame(PER_YEAR).years()
    assert [v.name("Totaal") for v in years] == [6, 6, 15, 6]
    assert years[0] is years[1] is years[3]  # the same amounts: computed once
    assert years[2] is not years[1]
    assert years[1].name("deelnemers") == 2  # names in any case


def test_assumption_values_fixed_and_scaled():
    fr = frame(PER_YEAR)
    assert [v.name("Totaal") for v in fr.years(fixed={"deelnemers": 10})] == [30] * 4
    fixed = fr.years(fixed={"deelnemers": 10})
    assert fixed[1] is fixed[2]  # fixed in every year: the years are alike again
    scaled = fr.years(scaled={"deelnemers": 2})
    assert [v.name("Deelnemers") for v in scaled] == [4, 4, 10, 4]
    assert [v.name("Totaal") for v in scaled] == [12, 12, 30, 12]
    assert [v.name("Totaal") for v in fr.years(fixed={"totaal": 1.5})] == [1.5] * 4


def test_a_scenario_overrides_the_values_of_every_year():
    m = model([outcome("A", "=Deelnemers", 1)], assumptions=PER_YEAR,
              scenarios=[Scenario("Laag", (("deelnemers", n(1)),))], years=3)
    fr = Frame(m, "laag")
    assert fr.scenario == "Laag"
    assert [v.name("Totaal") for v in fr.years()] == [3, 3, 3, 3]
    assert not fr.has_own_years("deelnemers")
    base = Frame(m, None)
    assert base.scenario is None and base.has_own_years("deelnemers")
    assert not base.has_own_years("totaal") and not base.has_own_years("onbekend")


def test_scenario_names():
    m = model([outcome("A", 1, 1)], scenarios=[Scenario("minimum", (("X", n(1)),)),
                                                Scenario("maximum", ())])
    assert scenario_overrides(m, None) == (None, {})
    assert scenario_overrides(m, "") == (None, {})
    name, overrides = scenario_overrides(m, "MINIMUM")
    assert name == "minimum" and list(overrides) == ["x"]
    with pytest.raises(ScenarioError) as info:
        scenario_overrides(m, "midden")
    assert str(info.value) == ("there is no scenario named 'midden' (scenarios: minimum, "
                               "maximum)")
    with pytest.raises(ScenarioError) as info:
        scenario_overrides(model([outcome("A", 1, 1)]), "midden")
    assert str(info.value) == "there is no scenario named 'midden' (scenarios: none)"


def test_assumptions_that_cannot_be_computed():
    fr = frame([assume("A", "=B"), assume("B", "=A+1")])
    with pytest.raises(WorkbookError) as info:
        fr.years()[1].name("A")
    assert problem(info.value) == ("Opbrengsten", "D2", "=A+1: the assumption 'A' depends on "
                                   "itself (a circular formula)")
    with pytest.raises(FormulaError) as info:
        frame().years()[1].name("Onbekend")
    assert str(info.value) == "the name 'Onbekend' is not an assumption on the assumptions sheet"


def test_references_the_reader_left_are_errors():
    values = frame().years()[1]
    for text, said in (("=B5", "the cell reference B5 was not resolved by the reader"),
                       ("=SUM(B2:B4)", "the range B2:B4 was not resolved by the reader")):
        with pytest.raises(WorkbookError) as info:
            evaluate_amount(f(text), values)
        assert problem(info.value) == ("Opbrengsten", "D2", f"{text}: {said}")


def test_a_point_of_arrays():
    values = frame(PER_YEAR).years(fixed={"deelnemers": np.array([1.0, 2.0])},
                                   scaled={"totaal": np.array([10.0, 100.0])})[2]
    point = values.point(1)
    assert point.strict and point.year == values.year
    assert point.fixed == {"deelnemers": 2.0} and point.scaled == {"totaal": 100.0}
    assert point.name("Totaal") == 600.0
    mixed = frame(PER_YEAR).years(fixed={"deelnemers": np.array([1.0, 2.0]), "totaal": 3.0},
                                  strict=False)[1].point(0)
    assert mixed.fixed == {"deelnemers": 1.0, "totaal": 3.0}


def test_an_assumption_that_fails_fails_the_same_way_again():
    values = frame([assume("A", "=1/0")]).years()[1]
    for _ in range(2):
        with pytest.raises(WorkbookError) as info:
            values.name("A")
        assert problem(info.value)[2] == "=1/0: division by zero (Excel shows #DIV/0!)"


# -- amounts and percentages --------------------------------------------------------------------

def test_amounts():
    values = frame(PER_YEAR).years()[2]
    assert evaluate_amount(n(2.5), values) == 2.5
    assert evaluate_amount(f("=Totaal/2"), values) == 7.5
    assert type(evaluate_amount(f("=1+1"), values)) is float
    with pytest.raises(WorkbookError) as info:
        evaluate_amount(f("=1/0"), values)
    assert problem(info.value) == ("Opbrengsten", "D2", "=1/0: division by zero (Excel shows "
                                   "#DIV/0!)")
    with pytest.raises(WorkbookError) as info:
        evaluate_amount(Amount(f("=1/0").node, "=1/0"), values)  # no cell known
    assert problem(info.value) == ("", "", "=1/0: division by zero (Excel shows #DIV/0!)")


def test_a_number_too_large_is_an_error():
    values = frame().years()[1]
    with pytest.raises(WorkbookError) as info:
        evaluate_amount(Amount(Number(math.inf), "inf", AT), values)
    assert problem(info.value) == ("Opbrengsten", "D2", "inf: the result is too large to "
                                   "calculate (it overflows); check the numbers and units in "
                                   "the formula")


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_amounts_over_draws():
    fr = frame([assume("A", 1)])
    draws = np.array([1.0, 0.0, 4.0])
    found = evaluate_amount(f("=2/A"), fr.years(fixed={"a": draws}, strict=False)[1])
    assert np.array_equal(found, [2.0, np.nan, 0.5], equal_nan=True)
    with pytest.raises(WorkbookError) as info:
        evaluate_amount(f("=2/A"), fr.years(fixed={"a": draws})[1])
    assert problem(info.value) == ("Opbrengsten", "D2", "=2/A: division by zero (Excel shows "
                                   "#DIV/0!) (for 1 of 3 values tried)")
    with pytest.raises(WorkbookError) as info:
        evaluate_amount(f("=A*1e308"), fr.years(fixed={"a": np.array([1.0, 10.0, 20.0])})[1])
    assert problem(info.value) == (
        "Opbrengsten", "D2", "=A*1e308: the result is too large to calculate (it overflows); "
        "check the numbers and units in the formula (for 2 of 3 values tried)")


@pytest.mark.parametrize("value", [0.0, 0.25, 1.0])
def test_a_percentage_in_range(value):
    assert evaluate_percent(n(value), frame().years()[1], "deadweight") == value


@pytest.mark.parametrize("value,shown", [(1.2, "120%"), (-0.05, "-5%")])
def test_a_percentage_out_of_range(value, shown):
    with pytest.raises(WorkbookError) as info:
        evaluate_percent(Amount.of(value, AT), frame().years()[1], "drop-off")
    assert problem(info.value) == ("Opbrengsten", "D2", f"drop-off is {shown}; it must be "
                                   "between 0% and 100%")


def test_percentages_over_draws():
    fr = frame([assume("A", 1)])
    draws = np.array([0.5, 1.5, -0.5, 1.0, 0.0])
    found = evaluate_percent(f("=A"), fr.years(fixed={"a": draws}, strict=False)[1], "x")
    assert np.array_equal(found, [0.5, np.nan, np.nan, 1.0, 0.0], equal_nan=True)
    inside = np.array([0.0, 0.5, 1.0])
    assert evaluate_percent(f("=A"), fr.years(fixed={"a": inside})[1], "x") is not None
    with pytest.raises(WorkbookError) as info:
        evaluate_percent(f("=A"), fr.years(fixed={"a": draws})[1], "deadweight")
    assert problem(info.value) == (
        "Opbrengsten", "D2", "deadweight falls outside 0%..100% for 2 of 5 values tried (from "
        "-50.0% to 150.0%); narrow the low and high of the assumptions it uses")
    with pytest.raises(WorkbookError) as info:
        evaluate_percent(f("=1/A"), fr.years(fixed={"a": np.array([0.0, 2.0, 4.0])})[1], "x")
    assert problem(info.value)[2] == ("=1/A: division by zero (Excel shows #DIV/0!) (for 1 of 3 "
                                      "values tried)")


# -- reference prices -------------------------------------------------------------------------

CONSULT = ReferencePrice("GP consultation", 100.0, code="HA", base_year=2014, at=AT)
INDEX = (PriceIndexPoint(2014, 99.4), PriceIndexPoint(2021, 109.0))


def test_a_reference_price_indexed_once():
    m = replace(model([outcome("A", 1, 1)], years=1), price_index=INDEX,
                settings=Settings(years=1, price_year=2021))
    fr = Frame(m, None)
    amount = Amount(n(0).node, "HA", AT, CONSULT)
    value = evaluate_amount(amount, fr.years()[1])
    assert value == pytest.approx(100 * 109 / 99.4)
    assert fr.price(amount) is fr.price(amount)


def test_a_reference_price_that_cannot_be_indexed_names_the_cell():
    m = replace(model([outcome("A", 1, 1)], years=1), price_index=INDEX,
                settings=Settings(years=1))
    with pytest.raises(WorkbookError) as info:
        evaluate_amount(Amount(n(0).node, "HA", AT, CONSULT), Frame(m, None).years()[1])
    sheet, cell, message = problem(info.value)
    assert (sheet, cell) == ("Opbrengsten", "D2")
    assert message.startswith("the reference price 'HA' is in 2014 prices, but the price year")


# -- outcomes: cohorts, shares and present values ----------------------------------------------

def test_cohorts_follow_the_years_whose_values_differ():
    # Deelnemers is 2, or 5 in year 2: a recurring outcome of 1..3 is three runs, not one
    o = outcome("A", "=Deelnemers", 100, dw=0.5, recurring=True)
    fr = frame(PER_YEAR, [o])
    cohorts = fr.cohorts(o, fr.years())
    assert [(c.first, c.last, c.quantity, c.proxy, c.deadweight) for c in cohorts] == [
        (1, 1, 2, 100, 0.5), (2, 2, 5, 100, 0.5), (3, 3, 2, 100, 0.5)]
    plain = outcome("A", 3, 100, dw=0.2, attr=0.1, disp=0.05, drop=0.5, recurring=True)
    fr = frame(outcomes=[plain])
    (c,) = fr.cohorts(plain, fr.years())
    assert (c.first, c.last, c.quantity, c.proxy) == (1, 3, 3, 100)
    assert (c.deadweight, c.attribution, c.displacement, c.dropoff) == (0.2, 0.1, 0.05, 0.5)


def test_an_outcome_too_large_to_compute():
    o = outcome("A", "1e300", "1e300", name="Baat")
    fr = frame(outcomes=[o], years=2)
    with pytest.raises(WorkbookError) as info:
        fr.cohorts(o, fr.years())
    assert problem(info.value) == ("Opbrengsten", "D2", "the outcome 'Baat' in year 1: quantity "
                                   "1e+300 x proxy 1e+300 is too large to compute; check the "
                                   "quantity and proxy for a typing error")


def test_shares_of_a_lasting_outcome():
    # occurring in years 1..3, each lasting 2 years with drop-off 50%: year 1 counts its own
    # cohort (1), years 2 and 3 their own and half of the year before's (1.5)
    o = outcome("A", 1, 1, drop=0.5, duration=2, recurring=True)
    fr = frame(outcomes=[o])
    (c,) = fr.cohorts(o, fr.years())
    assert fr.shares(c, 2) == [(1, 1.0), (2, 1.5), (3, 1.5)]
    assert fr.shares(c, 2) is fr.shares(c, 2)  # computed once for alike outcomes
    beyond = frame(outcomes=[o], beyond_horizon=True)
    (c,) = beyond.cohorts(o, beyond.years())
    assert beyond.shares(c, 2) == [(1, 1.0), (2, 1.5), (3, 1.5), (4, 0.5)]
    assert fr.shares(Cohort(2, 2, 1, 1, 0, 0, 0, 0.25), 3) == [(2, 1.0), (3, 0.75)]
    assert fr.shares(Cohort(1, 1, 1, 1, 0, 0, 0, 0.25), 1) == [(1, 1.0)]


def test_present_value_of_a_cohort():
    # 10 x 100 x (1 - 20%) = 800 in year 1, half of it in year 2; at 10%:
    # 800 / 1.1 + 400 / 1.21 = 727.2727... + 330.5785... = 1,057.8512...
    o = outcome("A", 10, 100, dw=0.2, drop=0.5, duration=2)
    fr = frame(outcomes=[o], years=2, rate=0.1)
    years = fr.years()
    (c,) = fr.cohorts(o, years)
    assert fr.present_value(c, 2) == pytest.approx(800 / 1.1 + 400 / 1.21)
    assert fr.present_value(c, 2) == pytest.approx(800 / 1.1 + 400 / 1.21)  # remembered
    assert fr.outcome_pv(o, years) == pytest.approx(800 / 1.1 + 400 / 1.21)
    assert fr.outcome_pv(outcome("A", 1, 1, first=3), years) == 0.0


def test_present_value_over_draws():
    # drop-off drawn as 0.5 and 1.0: year 2 counts 400 or nothing
    o = outcome("A", 10, 100, dw=0.2, drop="=D", duration=2)
    fr = frame([assume("D", 0.5)], [o], years=2, rate=0.1)
    years = fr.years(fixed={"d": np.array([0.5, 1.0])})
    found = fr.outcome_pv(o, years)
    assert found == pytest.approx([800 / 1.1 + 400 / 1.21, 800 / 1.1])
    (c,) = fr.cohorts(o, years)
    shares = fr.shares(c, 2)
    assert [year for year, _ in shares] == [1, 2]
    assert np.array_equal(shares[0][1], [1.0, 1.0]) and np.array_equal(shares[1][1], [0.5, 0.0])


# -- inputs ---------------------------------------------------------------------------------------

def hours(who, h, rate, year=1, recurring=False):
    return InputItem(who, "coach", "hours", hours=n(h) if not isinstance(h, str) else f(h),
                     rate=n(rate), year=year, recurring=recurring)


def test_input_amounts_and_present_value():
    # 800 h x 75 = 60,000 in years 1 and 2; 1,000 at the start; at 10% on inputs:
    # 1,000 + 60,000 / 1.1 + 60,000 / 1.21
    items = [hours("A", 800, 75, recurring=True), money("B", 1000, year=0)]
    fr = frame(inputs=items, years=2, rate=0.1)
    years = fr.years()
    assert fr.input_amounts(items[0], years) == [(1, 60_000), (2, 60_000)]
    assert fr.input_amounts(items[1], years) == [(0, 1000)]
    assert fr.input_pv(items[0], years) == pytest.approx(60_000 / 1.1 + 60_000 / 1.21)
    assert fr.input_pv(items[1], years) == 1000
    undiscounted = frame(inputs=items, years=2, rate=0.1, discount_inputs=False)
    assert undiscounted.input_pv(items[0], undiscounted.years()) == 120_000


def test_input_hours_per_year():
    item = hours("A", "=Deelnemers*10", 50, year=0, recurring=True)
    fr = frame(PER_YEAR, inputs=[item], years=3)
    assert fr.input_amounts(item, fr.years()) == [(0, 1000), (1, 1000), (2, 2500), (3, 1000)]
    # year 0 (the start) takes the assumption's own value, not that of year 1
    first = [assume("Deelnemers", 2, per_year=[(1, 7)])]
    money_item = money("A", "=Deelnemers*100", year=0, recurring=True)
    fr = frame(first, inputs=[item, money_item], years=1)
    assert fr.input_amounts(item, fr.years()) == [(0, 1000), (1, 3500)]
    assert fr.input_amounts(money_item, fr.years()) == [(0, 200), (1, 700)]


def test_an_input_too_large_to_compute():
    item = hours("A", "1e200", 1e200)
    fr = frame(inputs=[item], years=1)
    with pytest.raises(WorkbookError) as info:
        fr.input_amounts(item, fr.years())
    assert problem(info.value) == ("Opbrengsten", "D2", "the input 'coach' in year 1: inf is too "
                                   "large to compute; check the hours and hourly rate for a "
                                   "typing error")


def test_the_module_names_its_deductions():
    assert core.DEDUCTIONS == ("deadweight", "attribution", "displacement", "dropoff")


def test_an_input_amount_too_large_to_compute():
    # a price of 1e308 indexed from 10 to 100 in the price year is 1e309: more than a float holds
    big = ReferencePrice("Licence", 1e308, code="LIC", base_year=2014)
    paid = Amount(n(0).node, "LIC", Cell("Inbreng", "D4"), big)
    item = InputItem("A", "licence", "money", amount=paid, year=1)
    m = replace(model([], [item]), price_index=(PriceIndexPoint(2014, 10.0),
                                                PriceIndexPoint(2021, 100.0)),
                settings=Settings(years=1, price_year=2021))
    fr = Frame(m, None)
    with pytest.raises(WorkbookError) as info:
        fr.input_amounts(item, fr.years())
    assert problem(info.value) == ("Inbreng", "D4", "the input 'licence' in year 1: inf is too "
                                   "large to compute; check the amount for a typing error")


def test_an_element_without_value_that_computes_alone_is_still_an_error():
    # the last resort when the point alone gives no error: the amount's cell and the count
    values = frame(years=1).years()[1]
    bad = np.array([False, True, True])
    with pytest.raises(WorkbookError) as info:
        core._explain(f("=A/B"), values, bad, lambda point: 1.0)
    assert problem(info.value) == ("Opbrengsten", "D2", "=A/B: the result is too large to "
                                   "calculate (for 2 of 3 values tried)")
