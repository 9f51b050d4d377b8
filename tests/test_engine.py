"""Engine tests against figures computed by hand or published in the seed reports.

Every expected number here is worked out in the comment beside it, never taken from the engine.
"""

from __future__ import annotations

import pytest

from sroi_excel import formula
from sroi_excel.core import discount_factor
from sroi_excel.engine import compute, payback_period
from sroi_excel.exceptions import ScenarioError, WorkbookError
from sroi_excel.model import (
    Amount,
    Assumption,
    Cell,
    InputItem,
    Model,
    Outcome,
    Scenario,
    Settings,
    Stakeholder,
)

from .builders import assume, f, model, money, n, outcome

CENT = 0.005


def test_two_year_drop_off_and_discounting_by_hand():
    # gross = 100 x 50 = 5,000; claim = (1-20%) x (1-10%) = 0.72; impact = 3,600
    # year 1: 3,600; year 2: 3,600 x (1-25%) = 2,700
    # PV = 3,600 / 1.05 + 2,700 / 1.05^2 = 3,428.5714 + 2,448.9796 = 5,877.5510
    m = model([outcome("A", 100, 50, dw=0.2, attr=0.1, drop=0.25, duration=2)],
              [money("B", 4000)], years=2, rate=0.05)
    r = compute(m)
    h = r.headline
    assert r.trail["value"].tolist() == pytest.approx([3600.0, 2700.0])
    assert h.pv_value == pytest.approx(5877.5510204, abs=1e-6)
    assert h.pv_inputs == 4000  # year 0: never discounted
    assert h.npv == pytest.approx(1877.5510204, abs=1e-6)
    assert h.ratio == pytest.approx(1.4693877551, abs=1e-9)
    assert h.net_ratio == pytest.approx(0.4693877551, abs=1e-9)
    # still owed after year 1: 4,000 - 3,428.57 = 571.43; earned in year 2: 2,448.98
    # payback = 1 + 571.4286 / 2,448.9796 = 1.2333
    assert h.payback_years == pytest.approx(1 + 571.4285714 / 2448.9795918, abs=1e-7)
    assert h.value_nominal == pytest.approx(6300.0)


def test_drop_off_applies_from_second_year_and_stops_at_horizon():
    # impact 1,000 a year lasting 4 years with 50% drop-off, horizon 3:
    # 1,000, 500, 250 (the 4th year, 125, falls beyond the horizon)
    r = compute(model([outcome("A", 10, 100, drop=0.5, duration=4)], years=3))
    assert r.trail["value"].tolist() == [1000.0, 500.0, 250.0]
    assert r.headline.pv_value == 1750.0


def test_beyond_horizon_setting_counts_the_tail():
    r = compute(model([outcome("A", 10, 100, drop=0.5, duration=4)], years=3,
                      beyond_horizon=True))
    assert r.headline.pv_value == 1875.0  # 1,000 + 500 + 250 + 125
    assert r.headline.last_year == 4


def test_recurring_outcome_overlapping_cohorts():
    # 1,000 a year from year 1, each lasting 2 years with 10% drop-off, horizon 3:
    # year 1: 1,000; year 2: 1,000 + 900; year 3: 1,000 + 900 = 4,800 undiscounted
    r = compute(model([outcome("A", 1, 1000, drop=0.1, duration=2, recurring=True)], years=3))
    by_year = r.years.set_index("year")["value"]
    assert by_year[1] == pytest.approx(1000)
    assert by_year[2] == pytest.approx(1900)
    assert by_year[3] == pytest.approx(1900)
    assert r.headline.value_nominal == pytest.approx(4800)


def test_separate_rates_and_inputs_not_discounted():
    # outcome 1,000 in years 1 and 2 at 1.5%; inputs 500 in years 1 and 2.
    m = model([outcome("A", 1, 1000, recurring=True)], [money("B", 500, 1, True)], years=2,
              rate=0.015, discount_rate_inputs=0.03)
    h = compute(m).headline
    assert h.pv_value == pytest.approx(1000 / 1.015 + 1000 / 1.015**2, abs=1e-9)
    assert h.pv_inputs == pytest.approx(500 / 1.03 + 500 / 1.03**2, abs=1e-9)
    # with discount_inputs off, inputs count at face value: 1,000
    flat = compute(model([outcome("A", 1, 1000, recurring=True)], [money("B", 500, 1, True)],
                         years=2, rate=0.015, discount_rate_inputs=0.03, discount_inputs=False))
    assert flat.headline.pv_inputs == 1000
    assert flat.headline.ratio == pytest.approx((1000 / 1.015 + 1000 / 1.015**2) / 1000)


def test_negative_outcome_is_subtracted_and_per_stakeholder_sums():
    # A gains 2,000; B bears extra costs of 500 (negative proxy); inputs: B pays 1,000.
    m = model([outcome("A", 2, 1000, name="saving"), outcome("B", 1, -500, name="extra cost")],
              [money("B", 1000)])
    r = compute(m)
    assert r.headline.pv_value == 1500
    rows = r.stakeholders.set_index("stakeholder")
    assert rows.loc["A", "value"] == 2000 and rows.loc["A", "inputs"] == 0
    assert rows.loc["B", "value"] == -500 and rows.loc["B", "net"] == -1500
    assert rows.loc["B", "ratio"] == -0.5
    assert rows.loc["A", "ratio"] is None or rows["ratio"].isna()["A"]
    assert rows["value"].sum() == r.headline.pv_value
    assert rows["inputs"].sum() == r.headline.pv_inputs


def test_net_ratio_per_stakeholder_is_own_net_per_euro():
    # Municipality pays 27,126 and saves 80 x 13 x 55 + 40 x 13 x 78.60 = 57,200 + 40,872
    # = 98,072; the insurer saves 40 x 4 x 80 = 12,800 and pays nothing.
    # Municipality: net 98,072 - 27,126 = 70,946; net per euro 70,946 / 27,126 = 2.6154
    # (De Bilt's "2,62"); the whole analysis: (110,872 - 27,126) / 27,126 = 3.0873.
    m = model([outcome("Gemeente", 80 * 13, 55), outcome("Gemeente", 40 * 13, 78.60),
               outcome("Verzekeraar", 40 * 4, 80)], [money("Gemeente", 27126)],
              stakeholders=("Gemeente", "Verzekeraar"))
    r = compute(m)
    rows = r.stakeholders.set_index("stakeholder")
    assert rows.loc["Gemeente", "net"] == pytest.approx(70946)
    assert rows.loc["Gemeente", "net_ratio"] == pytest.approx(70946 / 27126)
    assert round(rows.loc["Gemeente", "net_ratio"], 2) == 2.62
    assert rows.loc["Gemeente", "ratio"] == pytest.approx(98072 / 27126)
    assert rows["net_ratio"].isna()["Verzekeraar"]  # no inputs: no ratio of its own
    assert r.headline.net_ratio == pytest.approx(83746 / 27126)


def test_qualitative_outcomes_are_listed_not_valued():
    m = model([outcome("A", 1, 100), outcome("B", None, None, name="confidence",
                                             monetised=False)])
    r = compute(m)
    assert r.headline.pv_value == 100
    assert r.qualitative["outcome"].tolist() == ["confidence"]


def test_no_inputs_gives_no_ratio():
    h = compute(model([outcome("A", 1, 100)])).headline
    assert h.ratio is None and h.net_ratio is None and h.payback_years is None


def test_payback_not_reached():
    h = compute(model([outcome("A", 1, 100)], [money("B", 1000)], years=1)).headline
    assert h.ratio == 0.1 and h.payback_years is None


@pytest.mark.parametrize("inputs,values,expected", [
    ([100, 100, 100], [0, 50, 150], 1.5),  # gap 100 -> 50 -> -50: 1 + 50/100
    ([100, 100], [0, 100], 1.0),            # reached exactly at the end of year 1
    ([100, 100], [0, 99], None),
    ([0, 0], [0, 10], None),                # no inputs at all
    ([0, 50, 50], [0, 80, 90], 0.625),      # inputs at the start of year 1: 50 / 80 of it
    ([50, 100, 100], [0, 60, 120], 1 + 40 / 60),  # 40 owed at the start of year 2, 60 earned
])
def test_payback_period_table(inputs, values, expected):
    result = payback_period(inputs, values)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_discount_factor_table():
    assert discount_factor(0.05, 0) == 1
    assert discount_factor(0.05, 2) == pytest.approx(1 / 1.1025)
    assert discount_factor(0.0225, 1) == pytest.approx(1 / 1.0225)


def blended_care() -> Model:
    """The Blended Care SROI (seed 000) per-year figures, as chains over assumptions."""
    names = {"Trajecten": 1300, "Bereik": 0.10, "Financieel": 0.60, "Regeling": 0.20,
             "Werk": 0.048, "Uitkering": 15797.60, "Fte": 60, "Consulten": 8900}
    assumptions = tuple(Assumption(k, n(v)) for k, v in names.items())
    out = [
        # (stakeholder, quantity formula, proxy, deadweight, attribution)
        ("client", "=Trajecten*Bereik*Financieel*Regeling", 200, 0.5, 0.6),
        ("client", "=Trajecten*Bereik*Financieel*Werk", "=Uitkering", 0.5, 0.6),
        ("welzijn", "=25%", 3065, 0.5, 0.5),
        ("welzijn", "=25%*2000", 75, 0.5, 0.5),
        ("welzijn", "=570*0.5", 75, 0.5, 0.5),
        ("ggz", "=Trajecten*4%", 100, 0.6, 0.8),
        ("verzekeraar", "=2%*Fte*Consulten*60%", 13.06, 0.6, 0.7),
        ("verzekeraar", "2", 3000, 0.6, 0.7),
        ("werkgevers", "=1430/2*55380*4%", 0.05, 0.6, 0.7),
    ]
    outcomes = tuple(
        outcome(who, f(str(q)), f(str(p)) if isinstance(p, str) else n(p), dw=dw, attr=at,
                recurring=True, name=f"{who}-{i}")
        for i, (who, q, p, dw, at) in enumerate(out))
    inputs = (
        InputItem("welzijn", "implementation", "hours", hours=n(658), rate=n(75), year=0),
        InputItem("welzijn", "ICT", "money", amount=n(9600), year=1, recurring=True),
        InputItem("gemeente", "training", "hours", hours=f("=26*4"), rate=n(75), year=0),
    )
    stakeholders = tuple(Stakeholder(s) for s in
                         ("client", "welzijn", "ggz", "verzekeraar", "werkgevers", "gemeente"))
    return Model(Settings(years=5, discount_rate=0.0), stakeholders, assumptions, inputs,
                 outcomes)


def test_blended_care_line_items():
    r = compute(blended_care())
    first_year = r.trail[r.trail["year"] == 1]
    gross = first_year["gross"].tolist()
    published = [3120.00, 59146.21, 766.25, 37500.00, 21375.00, 5200.00, 83688.48, 6000.00,
                 79193.40]
    assert gross == pytest.approx(published, abs=CENT)
    # impact claims per stakeholder: (1 - DW) x (1 - A)
    claims = dict(zip(first_year["stakeholder"], first_year["claim"], strict=False))
    assert claims == pytest.approx({"client": 0.20, "welzijn": 0.25, "ggz": 0.08,
                                    "verzekeraar": 0.12, "werkgevers": 0.12})
    # claimed value per year: 48,045.38 (sroi-method.md)
    assert first_year["value"].sum() == pytest.approx(48045.38, abs=CENT)
    inputs = r.inputs.groupby("description")["amount"].sum()
    assert inputs["implementation"] == 49350
    assert inputs["ICT"] == 9600 * 5
    assert inputs["training"] == 7800
    # undiscounted: 5 x 48,045.381 / 105,150 = 2.2846 -> the report's "2,2" as 2.28
    assert round(r.headline.ratio, 2) == 2.28


def test_blended_care_discounted_at_guideline_rate():
    base = blended_care()
    discounted = Model(Settings(years=5, discount_rate=0.0225, discount_inputs=True),
                       base.stakeholders, base.assumptions, base.inputs, base.outcomes)
    h = compute(discounted).headline
    annuity = sum(1.0225 ** -t for t in range(1, 6))  # 4.7704...
    assert h.pv_value == pytest.approx(48045.38098 * annuity, abs=0.01)
    assert h.pv_inputs == pytest.approx(49350 + 7800 + 9600 * annuity, abs=0.01)
    assert round(h.ratio, 2) == 2.20


def test_per_year_assumption_values_scale_up():
    # participants 400, 1,000, 5,000, 10,000, 17,000 over five years, 10 euro each
    per_year = tuple((t, n(v)) for t, v in enumerate([400, 1000, 5000, 10000, 17000], 1))
    m = Model(Settings(years=5), (Stakeholder("A"),),
              (Assumption("Deelnemers", n(400), per_year=per_year),),
              (), (outcome("A", f("=Deelnemers"), 10, recurring=True),))
    r = compute(m)
    assert r.years["value"].tolist() == [0, 4000, 10000, 50000, 100000, 170000]


def test_scenario_overrides_assumption():
    m = Model(Settings(years=1), (Stakeholder("A"), Stakeholder("B")),
              (Assumption("Succes", n(0.25)),), (money("B", 100),),
              (outcome("A", f("=40*Succes"), 10),),
              (Scenario("minimum", (("Succes", n(0.15)),)),))
    assert compute(m).headline.pv_value == 100  # 40 x 25% x 10
    low = compute(m, "Minimum")  # scenario names match regardless of case
    assert low.headline.pv_value == pytest.approx(60)  # 40 x 15% x 10
    assert low.scenario == "minimum"
    with pytest.raises(ScenarioError, match="no scenario named 'maximum'"):
        compute(m, "maximum")


def test_percentage_formula_out_of_range_names_cell():
    bad = Outcome("A", "x", n(1), n(1), deadweight=Amount(formula.parse("=2*80%"), "=2*80%",
                                                          Cell("Opbrengsten", "G7")))
    with pytest.raises(WorkbookError, match=r"Opbrengsten!G7: deadweight is 160%"):
        compute(model([bad]))


def test_assumption_chain_and_cycle():
    m = Model(Settings(years=1), (Stakeholder("A"),),
              (Assumption("X", f("=Y*2")), Assumption("Y", f("=X+1"))), (),
              (outcome("A", f("=X"), 1),))
    with pytest.raises(WorkbookError, match="depends on itself"):
        compute(m)


def test_compact_trail_one_row_for_a_recurring_outcome_by_hand():
    # 10 x 100 = 1,000 impact every year 1-4, each cohort lasting 3 years at 50% drop-off:
    # year 1: 1,000; year 2: 1,000 + 500; years 3 and 4: 1,000 + 500 + 250 = 1,750
    # PV at 10%: 1,000/1.1 + 1,500/1.21 + 1,750/1.331 + 1,750/1.4641 = 4,667.9871
    r = compute(model([outcome("A", 10, 100, drop=0.5, duration=3, recurring=True)],
                      years=4, rate=0.1))
    (row,) = list(r.tables["cohorts"].records())
    assert (row.occurs_from, row.occurs_to, row.impact) == (1, 4, 1000.0)
    assert row.values == pytest.approx((0, 1000, 1500, 1750, 1750))
    assert row.value == pytest.approx(6000)
    expected_pv = 1000 / 1.1 + 1500 / 1.21 + 1750 / 1.331 + 1750 / 1.4641
    assert row.present_value == pytest.approx(expected_pv, abs=1e-9)
    assert r.headline.pv_value == pytest.approx(expected_pv, abs=1e-9)
    # the detailed trail still has one row per year of occurrence and year counted:
    # cohorts 1 and 2 count 3 years, cohort 3 two (3, 4), cohort 4 one
    assert len(r.trail) == 3 + 3 + 2 + 1


def test_compact_trail_splits_where_a_year_has_its_own_value():
    # Deelnemers is 10, but 20 in year 2: years 1, 2 and 3-4 are three rows
    # impact per cohort 10 x 100 = 1,000, 2,000 in year 2; one year each
    m = model([outcome("A", "=Deelnemers", 100, recurring=True)], years=4,
              assumptions=[assume("Deelnemers", 10, per_year=[(2, 20)])])
    rows = list(compute(m).tables["cohorts"].records())
    assert [(x.occurs_from, x.occurs_to, x.quantity) for x in rows] == [
        (1, 1, 10), (2, 2, 20), (3, 4, 10)]
    assert [x.values for x in rows] == [(0, 1000, 0, 0, 0), (0, 0, 2000, 0, 0),
                                        (0, 0, 0, 1000, 1000)]
    assert compute(m).outcomes["gross"].tolist() == [1000 + 2000 + 1000 + 1000]
