"""Every table the engine makes, cell by cell, for one small analysis worked out by hand.

The analysis: two years from 2025, outcomes discounted at 10% and inputs at 5%.
- "Werk" (A): 10 x 100, deadweight 20%, attribution 25%: claim 0.6, 600 in year 1; it lasts
  2 years with drop-off 50%, so 300 in year 2. PV 600/1.1 + 300/1.21.
- "Zorg" (B): 2 x 50 every year from year 2: 100 in year 2. PV 100/1.21.
- "Later" (A) starts in year 3, beyond the horizon: a warning and nothing counted.
- "Zelfvertrouwen" (B) is not monetised: listed only.
Inputs: A puts in 1,000 at the start; B 10 h x 20 = 200 in years 1 and 2; C, who is not on
the stakeholders sheet, 50 in year 2.

Fast on purpose: mutation testing (``make mutate``) runs these for every change it makes.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from sroi_excel.engine import (
    COHORT_COLUMNS,
    INPUT_COLUMNS,
    OUTCOME_COLUMNS,
    STAKEHOLDER_COLUMNS,
    TRAIL_COLUMNS,
    YEAR_COLUMNS,
    Rows,
    _table_frame,
    compute,
    payback_period,
)
from sroi_excel.exceptions import WorkbookError
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

R, RI = 1.1, 1.05
WERK_PV = 600 / R + 300 / R**2
ZORG_PV = 100 / R**2
PV_VALUE = WERK_PV + ZORG_PV
B_INPUTS = 200 / RI + 200 / RI**2
C_INPUTS = 50 / RI**2
PV_INPUTS = 1000 + B_INPUTS + C_INPUTS


def analysis(**settings):
    outcomes = [
        outcome("A", 10, 100, dw=0.2, attr=0.25, drop=0.5, duration=2, name="Werk"),
        outcome("B", 2, 50, first=2, recurring=True, name="Zorg"),
        replace(outcome("A", 1, 1, first=3, name="Later"), at=Cell("Opbrengsten", "A4")),
        replace(outcome("B", None, None, name="Zelfvertrouwen", monetised=False),
                indicator="enquête", proxy_source="niet in geld"),
    ]
    coach = InputItem("B", "coach", "hours", hours=n(10), rate=n(20), year=1, recurring=True)
    inputs = [money("A", 1000), coach, money("C", 50, year=2)]
    return model(outcomes, inputs, years=2, rate=0.1, discount_rate_inputs=0.05,
                 first_year=2025, **settings)


@pytest.fixture
def results():
    # computed for each test: mutation testing runs only the tests that call the engine
    return compute(analysis())


def approx_rows(rows):
    return [pytest.approx(r, nan_ok=True) for r in rows]


def test_headline(results):
    h = results.headline
    assert h.pv_value == pytest.approx(PV_VALUE)
    assert h.pv_inputs == pytest.approx(PV_INPUTS)
    assert h.npv == pytest.approx(PV_VALUE - PV_INPUTS)
    assert h.ratio == pytest.approx(PV_VALUE / PV_INPUTS)
    assert h.net_ratio == pytest.approx((PV_VALUE - PV_INPUTS) / PV_INPUTS)
    assert h.payback_years is None
    assert h.value_nominal == pytest.approx(1000)
    assert h.inputs_nominal == pytest.approx(1450)
    assert (h.discount_rate, h.input_rate, h.discount_inputs) == (0.1, 0.05, True)
    assert (h.years, h.last_year, h.scenario) == (2, 2, None)


def test_years_table(results):
    table = results.tables["years"]
    assert table.columns == YEAR_COLUMNS
    cum_in1, cum_val1 = 1000 + 200 / RI, 600 / R
    assert table.rows == approx_rows([
        (0, None, 1000, 0, 1, 1, 1000, 0, 1000, 0, -1000),
        (1, 2025, 200, 600, 1 / RI, 1 / R, 200 / RI, 600 / R, cum_in1, cum_val1,
         cum_val1 - cum_in1),
        (2, 2026, 250, 400, 1 / RI**2, 1 / R**2, 250 / RI**2, 400 / R**2, PV_INPUTS, PV_VALUE,
         PV_VALUE - PV_INPUTS),
    ])
    plain = compute(replace(analysis(), settings=replace(analysis().settings, first_year=None)))
    assert plain.tables["years"].column("calendar_year") == [None, None, None]


def test_outcomes_table(results):
    table = results.tables["outcomes"]
    assert table.columns == OUTCOME_COLUMNS
    nan = math.nan
    assert table.rows == approx_rows([
        (1, "A", "Werk", "", 10, 100, "", 0.2, 0.25, 0, 0.5, 0.6, 2, 1, False, 1000, 900,
         WERK_PV, WERK_PV / PV_VALUE),
        (2, "B", "Zorg", "", 2, 50, "", 0, 0, 0, 0, 1, 1, 2, True, 100, 100, ZORG_PV,
         ZORG_PV / PV_VALUE),
        (3, "A", "Later", "", nan, nan, "", nan, nan, nan, nan, nan, 1, 3, False, 0, 0, 0, 0),
    ])
    assert results.outcomes["present_value"].tolist() == pytest.approx([WERK_PV, ZORG_PV, 0])


def test_an_outcome_of_several_cohorts_adds_them_up():
    # Deelnemers is 2, and 3 in year 2: 200 and 300 a year (occurring in years 1 and 2)
    m = model([outcome("B", "Q", 0, name="Leeg", monetised=False),
               outcome("A", "=Deelnemers", 100, recurring=True, name="Werk")],
              [InputItem("A", "coach", "hours", hours=f("=Deelnemers"), rate=n(10), year=0,
                         recurring=True)],
              [assume("Deelnemers", 2, per_year=[(1, 2), (2, 3)])], years=2, rate=0.1)
    results = compute(m)
    (row,) = results.tables["outcomes"].records()  # the qualitative one first is skipped
    assert (row.outcome_no, row.gross, row.value) == (2, 500, 500)
    assert row.present_value == pytest.approx(200 / R + 300 / R**2)
    assert [(r.year, r.hours, r.rate, r.amount) for r in results.tables["inputs"].records()] == [
        (0, 2, 10, 20), (1, 2, 10, 20), (2, 3, 10, 30)]


def test_a_scenario_is_named_in_the_headline():
    m = model([outcome("A", "=Deelnemers", 100)], [money("A", 10)],
              [assume("Deelnemers", 2)], scenarios=[Scenario("Laag", (("deelnemers", n(1)),))],
              scenario="laag")
    chosen = compute(m)  # the settings' scenario
    assert chosen.headline.scenario == "Laag" and chosen.scenario == "Laag"
    assert chosen.headline.pv_value == 100
    assert compute(m, "").headline.pv_value == 200  # the base values asked for
    assert chosen.model is m


def test_the_share_is_0_where_nothing_has_value():
    empty = compute(model([outcome("A", 0, 100, name="Niets")], [money("A", 10)], years=1))
    assert empty.tables["outcomes"].column("share") == [0.0]


def test_an_outcome_beyond_the_horizon_is_a_warning(results):
    (warning,) = results.warnings
    assert (warning.sheet, warning.cell, warning.severity) == ("Opbrengsten", "A4", "warning")
    assert warning.message == ("the outcome 'Later' starts in year 3, outside the horizon of 2 "
                               "years, so it adds nothing")
    bare = compute(model([outcome("A", 1, 1, first=4, name="X")], years=1))
    assert (bare.warnings[0].sheet, bare.warnings[0].cell) == ("", "")


def test_cohorts_table(results):
    table = results.tables["cohorts"]
    assert table.columns == COHORT_COLUMNS
    values = COHORT_COLUMNS.index("values")
    assert [r[:values] + r[values] + r[values + 1:] for r in table.rows] == approx_rows([
        (1, "A", "Werk", 1, 1, 10, 100, 1000, 0.2, 0, 0.25, 0.6, 600, 0.5, 2, 0, 600, 300, 900,
         WERK_PV),
        (2, "B", "Zorg", 2, 2, 2, 50, 100, 0, 0, 0, 1, 100, 0, 1, 0, 0, 100, 100, ZORG_PV),
    ])


def test_trail(results):
    trail = results.trail
    assert tuple(trail.columns) == TRAIL_COLUMNS
    assert [tuple(r) for r in trail.itertuples(index=False)] == approx_rows([
        (1, "A", "Werk", 1, 1, 0, 10, 100, 1000, 0.2, 0, 0.25, 0.6, 600, 0.5, 1, 600, 1 / R,
         600 / R),
        (1, "A", "Werk", 1, 2, 1, 10, 100, 1000, 0.2, 0, 0.25, 0.6, 600, 0.5, 0.5, 300,
         1 / R**2, 300 / R**2),
        (2, "B", "Zorg", 2, 2, 0, 2, 50, 100, 0, 0, 0, 1, 100, 0, 1, 100, 1 / R**2,
         100 / R**2),
    ])


def test_inputs_table(results):
    table = results.tables["inputs"]
    assert table.columns == INPUT_COLUMNS
    assert table.rows == approx_rows([
        (1, "A", "input", "money", 0, 1000, 1, 1000, None, None),
        (2, "B", "coach", "hours", 1, 200, 1 / RI, 200 / RI, 10, 20),
        (2, "B", "coach", "hours", 2, 200, 1 / RI**2, 200 / RI**2, 10, 20),
        (3, "C", "input", "money", 2, 50, 1 / RI**2, 50 / RI**2, None, None),
    ])


def test_stakeholders_table(results):
    table = results.tables["stakeholders"]
    assert table.columns == STAKEHOLDER_COLUMNS
    assert table.rows == approx_rows([
        ("A", 1000, WERK_PV, WERK_PV - 1000, WERK_PV / 1000, (WERK_PV - 1000) / 1000),
        ("B", B_INPUTS, ZORG_PV, ZORG_PV - B_INPUTS, ZORG_PV / B_INPUTS,
         (ZORG_PV - B_INPUTS) / B_INPUTS),
        ("C", C_INPUTS, 0, -C_INPUTS, 0, -1),  # not on the sheet: after those that are
    ])
    value_only = compute(model([outcome("D", 1, 10)], [money("A", 5)], years=1))
    assert [r[0] for r in value_only.tables["stakeholders"].rows] == ["A", "B", "D"]
    assert value_only.tables["stakeholders"].rows[2][4:] == (None, None)


def test_qualitative_table(results):
    assert results.tables["qualitative"].rows == [
        ("B", "Zelfvertrouwen", "enquête", "niet in geld")]
    assert results.qualitative["outcome"].tolist() == ["Zelfvertrouwen"]
    assert results.stakeholders["stakeholder"].tolist() == ["A", "B", "C"]
    assert results.inputs["year"].tolist() == [0, 1, 2, 2]
    assert results.years["year"].tolist() == [0, 1, 2]


def test_inputs_not_discounted():
    h = compute(analysis(discount_inputs=False)).headline
    assert h.pv_inputs == pytest.approx(1450) and h.input_rate == 0.0


def test_no_inputs_no_ratio():
    h = compute(model([outcome("A", 1, 100)], years=1)).headline
    assert (h.ratio, h.net_ratio, h.payback_years, h.pv_inputs) == (None, None, None, 0)


def test_figures_too_large_for_a_spreadsheet():
    big = [outcome("A", 1e300, 1e8, name=f"o{i}") for i in range(3)]
    with pytest.raises(WorkbookError) as info:
        compute(model(big, [money("A", 1)], years=1))
    assert str(info.value) == (
        "the figures add up to more than a spreadsheet can hold (outcomes inf, inputs 1); "
        "check the quantities and proxies for a typing error")


@pytest.mark.parametrize("inputs,values,expected", [
    ([], [], None),
    ([100], [200], 0.0),          # the value is there at the start
    ([0, 0], [5, 10], None),       # nothing put in
    ([100, 100], [0, 100], 1.0),
    ([100, 150], [100, 160], 0.0),  # reached at the start, whatever comes later
    ([0, 100, 100], [0, 0, 100], 2.0),
    ([100, 100, 100], [90, 99, 150], 1 + 1 / 51),  # 1 owed at the start of year 2, 51 earned
    ([10, 20], [15, 25], 0.0),
    ([0.5], [1.0], 0.0),           # less than 1 put in still counts
    ([0.5, 0.5], [0.25, 0.5], 1.0),
    ([0, 50], [50, 50], 0.0),       # reached as year 1 starts: nothing owed then
])
def test_payback_period_edges(inputs, values, expected):
    found = payback_period(inputs, values)
    assert found == (pytest.approx(expected) if expected is not None else None)


def test_rows():
    rows = Rows(["a", "b"], [(1, 2), (3, 4)])
    assert len(rows) == 2 and repr(rows) == "Rows(2 x ('a', 'b'))"
    assert rows.column("b") == [2, 4]
    assert [r.a for r in rows.records()] == [1, 3]
    assert rows.record(1).b == 4
    assert rows.frame().to_dict("list") == {"a": [1, 3], "b": [2, 4]}
    assert type(Rows(("a", "b"), [])._record) is type(rows._record)


# -- reference prices in the tables -----------------------------------------------------------

CONSULT = ReferencePrice("GP consultation", 100.0, code="HA", base_year=2014)
INDEX = (PriceIndexPoint(2014, 99.4), PriceIndexPoint(2021, 109.0))
PRICE = ("HA: GP consultation", 100.0, 2014, 99.4, 109.0)


def priced(language="en"):
    proxy = Amount(n(0).node, "HA", Cell("Opbrengsten", "E2"), CONSULT)
    rate = Amount(n(0).node, "HA", Cell("Inbreng", "F2"), CONSULT)
    paid = Amount(n(0).node, "HA", Cell("Inbreng", "D4"), CONSULT)
    m = model([outcome("A", 2, proxy), outcome("A", 1, 10)],
              [InputItem("A", "coach", "hours", hours=n(3), rate=rate, year=1),
               money("A", 7), InputItem("A", "consult", "money", amount=paid, year=1)])
    return replace(m, price_index=INDEX, settings=Settings(years=1, price_year=2021),
                   language=language)


def test_a_reference_price_in_the_cohorts_and_the_trail():
    results = compute(priced())
    value = 100 * 109 / 99.4
    cohorts = results.tables["cohorts"]
    at = COHORT_COLUMNS.index("proxy")
    assert cohorts.columns == (*COHORT_COLUMNS[:at], "price_item", "base_price", "base_year",
                               "index_base", "index_price_year", *COHORT_COLUMNS[at:],
                               "price_note")
    first, second = cohorts.records()
    assert (first.price_item, first.base_price, first.base_year, first.index_base,
            first.index_price_year) == PRICE
    assert first.proxy == pytest.approx(value)
    assert first.price_note == "indexed from 2014 to 2021 with price index (x 1.0966)"
    assert (second.price_item, second.price_note, second.proxy) == (None, None, 10)
    trail = results.trail
    assert list(trail.columns) == [*TRAIL_COLUMNS[:7], "price_item", "base_price", "base_year",
                                   "index_base", "index_price_year", *TRAIL_COLUMNS[7:],
                                   "price_note"]
    assert tuple(trail.iloc[0][["price_item", "base_price", "base_year", "index_base",
                                "index_price_year"]]) == PRICE
    assert trail.iloc[0]["proxy"] == pytest.approx(value)
    assert trail.iloc[0]["price_note"] == first.price_note
    assert pd.isna(trail.iloc[1]["price_item"]) and pd.isna(trail.iloc[1]["price_note"])


def test_a_reference_price_in_the_inputs_table():
    inputs = compute(priced()).tables["inputs"]
    at = INPUT_COLUMNS.index("amount")
    assert inputs.columns[at:at + 6] == ("price_item", "base_price", "base_year", "index_base",
                                         "index_price_year", "amount")
    coach, other, consult = inputs.records()
    assert (coach.price_item, coach.base_price, coach.base_year, coach.index_base,
            coach.index_price_year) == PRICE
    assert coach.amount == pytest.approx(3 * 100 * 109 / 99.4)
    assert coach.price_note == "indexed from 2014 to 2021 with price index (x 1.0966)"
    assert (other.price_item, other.price_note, other.amount) == (None, None, 7)
    assert consult.price_item == PRICE[0] and consult.amount == pytest.approx(100 * 109 / 99.4)


def test_price_notes_in_the_language_of_the_workbook():
    results = compute(priced("nl"))
    note = "geïndexeerd van 2014 naar 2021 met prijsindex (x 1,0966)"
    assert results.tables["cohorts"].record(0).price_note == note
    assert results.tables["inputs"].record(0).price_note == note


def test_the_hours_of_an_input_at_the_start_are_those_of_year_0():
    # Deelnemers is 2 at the start and 7 from year 1: 2 x 10 h and 7 x 10 h at 50 an hour
    m = model([outcome("A", 1, 1)],
              [InputItem("A", "coach", "hours", hours=f("=Deelnemers*10"), rate=n(50), year=0,
                         recurring=True)],
              [assume("Deelnemers", 2, per_year=[(1, 7)])], years=1)
    rows = compute(m).tables["inputs"].records()
    assert [(r.year, r.hours, r.rate, r.amount) for r in rows] == [(0, 20, 50, 1000),
                                                                  (1, 70, 50, 3500)]


@pytest.mark.parametrize("language,reason,note", [
    ("nl", "", "Uitgesloten (dubbeltelling)"),
    ("nl", "al in Werk", "Uitgesloten (dubbeltelling): al in Werk"),
    ("en", "", "Excluded (double counted)"),
    ("en", "already in Work", "Excluded (double counted): already in Work"),
])
def test_an_excluded_outcome_is_listed_with_why(language, reason, note):
    left_out = replace(outcome("B", None, None, name="Zorg", monetised=False),
                       excluded="double_counted", exclusion_reason=reason,
                       proxy_source="not used")
    m = replace(model([outcome("A", 1, 1), left_out]), language=language)
    assert compute(m).tables["qualitative"].rows == [("B", "Zorg", "", note)]


def test_the_plausibility_warnings_come_with_the_results():
    # a quantity of 0 adds nothing: the check's warning is among the results' warnings
    m = model([replace(outcome("A", 0, 100, name="Werk"), at=Cell("Opbrengsten", "A2"))],
              [money("A", 10)])
    (warning,) = compute(m).warnings
    assert (warning.sheet, warning.cell, warning.severity) == ("Opbrengsten", "A2", "warning")
    assert warning.message == ("the quantity of 'Werk' is 0, so the outcome adds nothing; type "
                               "the quantity, or mark the outcome as not monetised")


def test_a_table_as_a_data_frame():
    results = compute(analysis())
    years = _table_frame("years").func(results)
    assert list(years.columns) == list(YEAR_COLUMNS)
    assert years["inputs"].tolist() == pytest.approx([1000, 200, 250])
