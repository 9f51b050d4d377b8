"""Uncertainty: scenarios, one-at-a-time sensitivity, switching values, Monte Carlo.

Expected figures are worked out by hand in the comments, never taken from the engine; where
the engine appears, it is to show that the vectorised evaluator follows its conventions.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from sroi_excel import formula, uncertainty
from sroi_excel.engine import compute
from sroi_excel.model import (
    Amount,
    Cell,
    InputItem,
    Model,
    Scenario,
)
from sroi_excel.uncertainty import Varied

from .builders import assume, f, model, money, n, outcome


def switching(u, kind: str, name: str):
    return next(s for s in u.switching if s.kind == kind and s.name == name)


def sensitivity(u, kind: str, name: str):
    """The row of one deduction or assumption, also where it shares a row with others."""
    return next(s for s in u.sensitivity if kind in (s.kind, *s.also) and s.name == name)


# -- switching values ------------------------------------------------------------------------


def one_outcome_model(**settings) -> Model:
    # One outcome Q x P with deadweight 20%, inputs 2,000 at the start:
    # ratio = 100 x 50 x (1 - 20%) / 2,000 = 4,000 / 2,000 = 2
    return model([outcome("A", "=Q", "=P", dw=0.2, name="jobs")], [money("B", "=I")],
                 [assume("Q", 100, 80, 120), assume("P", 50, 40, 60), assume("I", 2000),
                  assume("Unused", 7, 1, 9)], **settings)


def test_switching_values_of_a_linear_model_solved_by_hand():
    u = uncertainty.analyse(one_outcome_model(), draws=0)
    assert u.base_ratio == pytest.approx(2.0, abs=1e-12)
    # deadweight: 100 x 50 x (1 - d) = 2,000  ->  d = 1 - 2,000 / 5,000 = 0.6
    dw = switching(u, "deadweight", "jobs")
    assert dw.ratio.value == pytest.approx(0.6, abs=1e-12)
    assert dw.ratio.method == "linear"
    # proxy: 100 x P x 0.8 = 2,000  ->  P = 25; quantity: Q x 50 x 0.8 = 2,000 -> Q = 50
    assert switching(u, "assumption", "P").ratio.value == pytest.approx(25.0, rel=1e-12)
    assert switching(u, "assumption", "Q").ratio.value == pytest.approx(50.0, rel=1e-12)
    # inputs: 4,000 / I = 1  ->  I = 4,000
    assert switching(u, "assumption", "I").ratio.value == pytest.approx(4000.0, rel=1e-12)
    # attribution and displacement: 0.8 x (1 - a) = 0.4  ->  a = 0.5
    assert switching(u, "attribution", "jobs").ratio.value == pytest.approx(0.5, abs=1e-12)
    assert switching(u, "displacement", "jobs").ratio.value == pytest.approx(0.5, abs=1e-12)
    # P = 25 lies outside its low-high 40..60; Q = 50 outside 80..120
    assert switching(u, "assumption", "P").within_range is False


def test_no_switching_value_with_the_reason():
    # inputs 7,500: ratio = 100 x 50 x 0.8 / 7,500 = 0.533; even without deadweight the ratio
    # is 5,000 / 7,500 = 0.667, so ratio 1 would need d = 1 - 7,500 / 5,000 = -50%
    m = model([outcome("A", 100, 50, dw=0.2, name="jobs")], [money("B", 7500)],
              [assume("Unused", 7, 1, 9)])
    u = uncertainty.analyse(m, draws=0)
    dw = switching(u, "deadweight", "jobs")
    assert dw.ratio.value is None
    assert "-50%" in dw.ratio.reason.en and "outside 0% - 100%" in dw.ratio.reason.en
    assert "-50%" in dw.ratio.reason.nl
    unused = switching(u, "assumption", "Unused")
    assert unused.ratio.value is None
    assert unused.ratio.reason.en == "the ratio does not depend on it"


def test_switching_value_of_drop_off_is_not_linear():
    # Impact 1,000 in year 1 lasting 3 years, no discounting, inputs 2,000:
    # PV = 1,000 x (1 + u + u^2) with u = 1 - drop-off; base drop-off 10%: 2,710, ratio 1.355.
    # Ratio 1: u^2 + u - 1 = 0  ->  u = (sqrt(5) - 1) / 2 = 0.6180339887
    # drop-off = 1 - u = (3 - sqrt(5)) / 2 = 0.3819660113
    m = model([outcome("A", 10, 100, drop=0.1, duration=3, name="lasting")],
              [money("B", 2000)], years=3)
    u = uncertainty.analyse(m, draws=0)
    assert u.base_ratio == pytest.approx(1.355, abs=1e-12)
    do = switching(u, "dropoff", "lasting")
    assert do.ratio.value == pytest.approx((3 - math.sqrt(5)) / 2, abs=1e-10)
    assert do.ratio.method == "bracketing"


def test_switching_value_of_a_squared_assumption_and_with_discounting():
    # proxy = X^2, quantity 10, discount 5%, the outcome in year 1, inputs 1,000 at the start:
    # PV = 10 X^2 / 1.05 = 1,000  ->  X = sqrt(105) = 10.2469507660
    m = model([outcome("A", 10, "=X^2", name="squared")], [money("B", 1000)],
              [assume("X", 12, 9, 15)], rate=0.05)
    u = uncertainty.analyse(m, draws=0)
    x = switching(u, "assumption", "X")
    assert x.ratio.value == pytest.approx(math.sqrt(105), rel=1e-10)
    assert x.within_range is True


def test_switching_value_where_npv_is_zero_but_the_ratio_never_moves():
    # Rate R in both value (30 x R) and inputs (10 x R): the ratio is 3 whatever R is, though
    # NPV = 20 R is 0 at R = 0 (where there are no inputs, so no ratio at all).
    m = model([outcome("A", 30, "=R")], [InputItem("B", "time", "hours", hours=n(10),
                                                   rate=f("=R"))],
              [assume("R", 75, 50, 100)])
    u = uncertainty.analyse(m, draws=0)
    r = switching(u, "assumption", "R")
    assert r.ratio.value is None
    assert r.ratio.reason.en == "the ratio does not depend on it"


def test_npv_zero_for_one_stakeholder():
    # A pays 1,000 and gains 100 x P (P = 15: 1,500); B pays 500 and gains 200 x 5 = 1,000.
    # Whole analysis: ratio 1 when 100 P + 1,000 = 1,500  ->  P = 5.
    # For A alone: NPV 0 when 100 P = 1,000  ->  P = 10.
    m = model([outcome("A", 100, "=P", name="a gains"), outcome("B", 200, 5, name="b gains")],
              [money("A", 1000), money("B", 500)], [assume("P", 15, 10, 20)],
              switching_stakeholder="A")
    u = uncertainty.analyse(m, draws=0)
    p = switching(u, "assumption", "P")
    assert p.ratio.value == pytest.approx(5.0, rel=1e-12)
    assert p.npv.value == pytest.approx(10.0, rel=1e-12)
    # A's deadweight for A's NPV: 1,500 (1 - d) = 1,000  ->  d = 1/3
    assert switching(u, "deadweight", "a gains").npv.value == pytest.approx(1 / 3, abs=1e-12)
    assert switching(u, "deadweight", "b gains").npv.reason.en == (
        "an outcome of another stakeholder")
    assert u.to_dict()["switching_values"]["stakeholder"] == "A"


def test_switching_values_are_verified_against_the_engine():
    # Whatever the solver returns, the engine itself must give ratio 1 there.
    m = model([outcome("A", "=Q", 40, dw="=DW", drop=0.3, duration=4, recurring=True),
               outcome("B", 20, "=P*2", attr=0.25, duration=2, drop=0.5)],
              [money("B", 3000), money("A", "=I", year=1, recurring=True)],
              [assume("Q", 30, 10, 50), assume("P", 60, 30, 90), assume("I", 800, 500, 1500),
               assume("DW", 0.3, 0.1, 0.5, unit="%")], years=5, rate=0.03,
              discount_rate_inputs=0.015)
    u = uncertainty.analyse(m, draws=0)
    for s in u.switching:
        if s.kind != "assumption" or s.ratio.value is None:
            continue
        scen = Scenario("x", ((s.name, Amount.of(s.ratio.value)),))
        r = compute(replace(m, scenarios=(scen,)), "x")
        assert r.headline.ratio == pytest.approx(1.0, abs=1e-9), s.name
    assert switching(u, "assumption", "DW").ratio.value is not None


# -- one-at-a-time sensitivity ---------------------------------------------------------------


def test_one_at_a_time_ratios_by_hand_and_ranked_by_swing():
    u = uncertainty.analyse(one_outcome_model(sensitivity_step=0.1), draws=0)
    # Q 80 / 120: 80 x 50 x 0.8 / 2,000 = 1.6 and 2.4 (swing 0.8)
    q = sensitivity(u, "assumption", "Q")
    assert (q.ratio_low, q.ratio_high) == pytest.approx((1.6, 2.4))
    assert q.swing == pytest.approx(0.8)
    # deadweight 20% -> 10% / 30%: 5,000 x 0.9 / 2,000 = 2.25 and 5,000 x 0.7 / 2,000 = 1.75
    dw = sensitivity(u, "deadweight", "jobs")
    assert (dw.low, dw.high) == pytest.approx((0.1, 0.3))
    assert (dw.ratio_low, dw.ratio_high) == pytest.approx((2.25, 1.75))
    # attribution 0% -> 0% (kept at 0) / 10%: 2.0 and 5,000 x 0.8 x 0.9 / 2,000 = 1.8
    at = sensitivity(u, "attribution", "jobs")
    assert (at.ratio_low, at.ratio_high) == pytest.approx((2.0, 1.8))
    assert at.swing == pytest.approx(0.2)
    # swings: Q 0.8, P 40..60 -> 1.6..2.4 0.8, deadweight 0.5, attribution and displacement
    # 0.2, Unused 0; drop-off of a one-year outcome is left out: it cannot matter
    swings = [i.swing for i in u.sensitivity]
    assert swings == sorted(swings, reverse=True)
    assert [i.kind for i in u.sensitivity][-1] == "assumption"
    assert not any(i.kind == "dropoff" for i in u.sensitivity)


def test_scenarios_side_by_side_by_hand():
    # base: 100 x 50 x 0.8 / 2,000 = 2.0; minimum Q = 60: 60 x 40 / 2,000 = 1.2;
    # maximum Q = 150, P = 60: 150 x 60 x 0.8 / 2,000 = 3.6
    m = replace(one_outcome_model(), scenarios=(
        Scenario("minimum", (("Q", n(60)),)), Scenario("maximum", (("Q", n(150)),
                                                                   ("P", n(60))))))
    rows = uncertainty.scenario_comparison(m)
    assert [r.name for r in rows] == [None, "minimum", "maximum"]
    assert [r.ratio for r in rows] == pytest.approx([2.0, 1.2, 3.6])
    assert [r.npv for r in rows] == pytest.approx([2000, 400, 5200])
    assert rows[2].stakeholders == (("A", 0.0, pytest.approx(7200.0)),
                                    ("B", 2000.0, 0.0))


# -- Monte Carlo ------------------------------------------------------------------------------


def rich_model(**settings) -> Model:
    """Every convention the engine has: per-year values, lasting and recurring outcomes,
    beyond-horizon years, hours x rate, recurring inputs, separate input rate."""
    return model(
        [outcome("A", "=Scale*Reach", "=ROUND(Price*1.1;2)", dw=0.25, attr="=Attr", drop=0.2,
                 duration=3, recurring=True, name="scale-up"),
         outcome("B", 12, "=Price", disp=0.1, duration=4, drop=0.5, first=2, name="late"),
         outcome("A", -3, 100, name="negative")],
        [money("B", 5000), money("A", "=Budget", year=1, recurring=True),
         InputItem("B", "time", "hours", hours=n(120), rate=f("=Rate"), year=2)],
        [assume("Scale", 400, per_year=((2, 1000), (3, 5000))), assume("Reach", 0.1),
         assume("Price", 250), assume("Attr", 0.3), assume("Budget", 2000),
         assume("Rate", 75)],
        years=3, rate=0.0225, discount_rate_inputs=0.03, beyond_horizon=True, **settings)


def test_monte_carlo_without_random_assumptions_equals_compute_exactly():
    m = rich_model()
    r = compute(m)
    mc = uncertainty.monte_carlo(m, draws=50, seed=1)
    assert mc.varied == ()
    # the same arithmetic, summed outcome by outcome instead of year by year
    assert mc.ratio.mean == pytest.approx(r.headline.ratio, rel=1e-14)
    assert mc.ratio.p5 == mc.ratio.p95 == mc.ratio.mean
    assert mc.npv.mean == pytest.approx(r.headline.npv, rel=1e-14)
    pv_value, pv_inputs = uncertainty.evaluate(m, {})
    assert pv_value[0] == pytest.approx(r.headline.pv_value, rel=1e-14)
    assert pv_inputs[0] == pytest.approx(r.headline.pv_inputs, rel=1e-14)
    # and for inputs of another kind: inputs at face value
    m2 = replace(m, settings=replace(m.settings, discount_inputs=False, beyond_horizon=False))
    assert uncertainty.monte_carlo(m2, draws=5, seed=1).npv.mean == pytest.approx(
        compute(m2).headline.npv, rel=1e-14)


def test_the_engine_results_given_to_analyse_change_nothing():
    # rich_model with a scenario: the comparison takes the engine's results of the scenario
    # the analysis is done on instead of computing it again; the figures are the same.
    m = replace(rich_model(), scenarios=(Scenario("low", (("Price", n(200)),)),))
    for scenario in (None, "low"):
        results = compute(m, scenario)
        with_results = uncertainty.analyse(m, scenario, draws=100, seed=3, results=results)
        alone = uncertainty.analyse(m, scenario, draws=100, seed=3)
        assert json.dumps(with_results.to_dict()) == json.dumps(alone.to_dict())


def test_each_draw_matches_the_engine_with_those_values():
    m = rich_model()
    values = {"Price": np.array([200.0, 250.0, 300.0]), "Attr": np.array([0.0, 0.3, 0.6]),
              "Scale": np.array([300.0, 400.0, 500.0]), "Rate": np.array([60.0, 75.0, 90.0])}
    pv_value, pv_inputs = uncertainty.evaluate(m, values)
    for k in range(3):
        # Scale has values per year (400, 1,000, 5,000): a value set for it scales each year
        # by value / 400, so the scale-up keeps its shape; the others are set in every year.
        factor = values["Scale"][k] / 400
        scaled = tuple(assume("Scale", 400 * factor, per_year=((2, 1000 * factor),
                                                                (3, 5000 * factor)))
                       if a.name == "Scale" else a for a in m.assumptions)
        scen = Scenario("draw", tuple((name, Amount.of(v[k])) for name, v in values.items()
                                      if name != "Scale"))
        h = compute(replace(m, assumptions=scaled, scenarios=(scen,)), "draw").headline
        assert pv_value[k] == pytest.approx(h.pv_value, rel=1e-13)
        assert pv_inputs[k] == pytest.approx(h.pv_inputs, rel=1e-13)


def test_same_seed_same_numbers_other_seed_other_numbers():
    m = replace(rich_model(), assumptions=(
        assume("Scale", 400, 300, 500, distribution="pert"), assume("Reach", 0.1, 0.05, 0.2),
        assume("Price", 250, 200, 300, distribution="uniform"), assume("Attr", 0.3),
        assume("Budget", 2000, 1500, 3000), assume("Rate", 75)))
    a = uncertainty.monte_carlo(m, draws=500, seed=42)
    b = uncertainty.monte_carlo(m, draws=500, seed=42)
    c = uncertainty.monte_carlo(m, draws=500, seed=43)
    assert a == b
    assert a.ratio.mean != c.ratio.mean
    assert [v.distribution for v in a.varied] == ["pert", "triangular", "uniform",
                                                  "triangular"]


def test_monte_carlo_mean_of_a_model_linear_in_one_uniform_assumption():
    # PV = 10 X with X ~ uniform(50, 250); inputs 1,000. ratio = X / 100, so
    # mean ratio = (50 + 250) / 2 / 100 = 1.5; P5 = (50 + 5% x 200) / 100 = 0.6;
    # P50 = 1.5; P95 = (50 + 95% x 200) / 100 = 2.4; P(ratio > 1) = P(X > 100) = 150/200 = 0.75
    # mean NPV = 10 x 150 - 1,000 = 500.
    # Standard error of the mean ratio with 200,000 draws: (200 / sqrt(12) / 100) / sqrt(2e5)
    # = 0.00129; we allow 4 of them.
    m = model([outcome("A", "=X", 10)], [money("B", 1000)],
              [assume("X", 150, 50, 250, distribution="uniform")])
    mc = uncertainty.monte_carlo(m, draws=200_000, seed=7)
    assert mc.ratio.mean == pytest.approx(1.5, abs=4 * 0.00129)
    assert mc.npv.mean == pytest.approx(500, abs=4 * 0.129 * 1000)
    assert mc.ratio.p5 == pytest.approx(0.6, abs=0.01)
    assert mc.ratio.p50 == pytest.approx(1.5, abs=0.01)
    assert mc.ratio.p95 == pytest.approx(2.4, abs=0.01)
    assert mc.p_ratio_above_1 == pytest.approx(0.75, abs=0.005)
    assert sum(c for _, _, c in mc.histogram) == 200_000
    assert any(lo == 1.0 for lo, _, _ in mc.histogram)  # 1 is a bin edge


def test_distributions_have_the_textbook_means():
    # triangular(10, 20, 60): mean (10 + 20 + 60) / 3 = 30
    # PERT(10, 20, 60): alpha = 1 + 4 x 10/50 = 1.8, beta = 1 + 4 x 40/50 = 4.2,
    #   mean = (10 + 4 x 20 + 60) / 6 = 25
    # uniform(10, 60): mean 35. Standard deviations are at most 50/sqrt(12) = 14.4; with
    # 100,000 draws the standard error is 0.046, and 0.2 is over 4 of them.
    varied = [Varied("t", "triangular", 10, 20, 60), Varied("p", "pert", 10, 20, 60),
              Varied("u", "uniform", 10, 20, 60)]
    d = uncertainty.draw(varied, 100_000, seed=3)
    assert d["t"].mean() == pytest.approx(30, abs=0.2)
    assert d["p"].mean() == pytest.approx(25, abs=0.2)
    assert d["u"].mean() == pytest.approx(35, abs=0.2)
    for values in d.values():
        assert values.min() >= 10 and values.max() <= 60


def test_default_distribution_and_fixed():
    # low and high without a distribution: triangular around the value; "fixed": not drawn;
    # a value outside low-high falls back to uniform, with a note.
    m = model([outcome("A", "=A1*A2*A3", 1)], [money("B", 1)],
              [assume("A1", 5, 4, 6), assume("A2", 5, 4, 6, distribution="fixed"),
               assume("A3", 9, 4, 6), assume("A4", 5, 4)])
    varied, notes = uncertainty.varied_assumptions(m)
    assert [(v.name, v.distribution) for v in varied] == [("A1", "triangular"),
                                                          ("A3", "uniform")]
    assert "outside low - high" in notes[0].en


def test_monte_carlo_refuses_draws_that_break_a_percentage():
    # attribution = 1 - S with S drawn from 0 to 2 gives attribution below 0% in some draws
    m = model([outcome("A", 10, 10, attr="=1-S")], [money("B", 50)],
              [assume("S", 0.5, 0, 2, distribution="uniform")])
    u = uncertainty.analyse(m, draws=200)
    assert u.monte_carlo is None
    assert "Monte Carlo not computed" in u.notes[-1].en
    assert "attribution falls outside 0%..100%" in u.notes[-1].en
    assert "Opbrengsten!D2" in u.notes[-1].en


def test_progress_is_reported_up_to_the_total():
    seen = []
    m = model([outcome("A", "=X", 10, name=f"o{i}") for i in range(250)], [money("B", 1000)],
              [assume("X", 150, 50, 250)])
    uncertainty.monte_carlo(m, draws=10, seed=1, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 251) and seen[-1] == (251, 251)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_json_summary_is_plain_data():
    import json

    m = replace(one_outcome_model(), scenarios=(Scenario("minimum", (("Q", n(60)),)),))
    data = uncertainty.analyse(m, draws=100).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["scenarios"][1]["sroi_ratio"] == pytest.approx(1.2)
    mc = data["monte_carlo"]
    assert mc["draws"] == 100 and mc["seed"] == 12345
    assert set(mc["sroi_ratio"]) == {"mean", "p5", "p50", "p95"}


# -- reading the workbook ----------------------------------------------------------------------


def test_settings_and_distribution_are_read(workbook):
    from sroi_excel import reader

    path = workbook(edits={("Instellingen", "B15"): 500, ("Instellingen", "B16"): 7,
                           ("Instellingen", "B17"): 0.05, ("Instellingen", "B18"): "gemeente",
                           ("Aannames", "G2"): "PERT", ("Aannames", "G3"): "vast"})
    m = reader.read_workbook(path)
    s = m.settings
    assert (s.mc_draws, s.mc_seed, s.sensitivity_step) == (500, 7, 0.05)
    assert s.switching_stakeholder == "Gemeente"  # spelled as on the stakeholders sheet
    assert [a.distribution for a in m.assumptions] == ["pert", "fixed"]


@pytest.mark.parametrize(("edits", "cell", "words"), [
    ({("Aannames", "G3"): "normaal"}, "Aannames!G3", "distribution 'normaal' is not known"),
    ({("Aannames", "G2"): "uniform", ("Aannames", "E2"): None}, "Aannames!G2",
     "needs both low and high"),
    ({("Instellingen", "B15"): -5}, "Instellingen!B15", "between 0 and 1,000,000"),
    ({("Instellingen", "B16"): "abc"}, "Instellingen!B16", "must be a whole number"),
    ({("Instellingen", "B17"): 0}, "Instellingen!B17", "must be above 0%"),
    ({("Instellingen", "B17"): 10}, "Instellingen!B17", "reads as 1000%"),
])
def test_uncertainty_settings_errors_name_sheet_and_cell(workbook, edits, cell, words):
    from sroi_excel import reader

    reading = reader.read(workbook(edits=edits))
    messages = [str(p) for p in reading.errors]
    assert any(m.startswith(cell) and words in m for m in messages), messages


def test_value_outside_low_high_is_a_warning(workbook):
    from sroi_excel import reader

    reading = reader.read(workbook(edits={("Aannames", "B2"): 60}))  # low 30, high 50
    assert not reading.errors
    assert any(str(p).startswith("Aannames!B2") and "outside its low and high" in str(p)
               for p in reading.warnings)


# -- fill, the sheets and --json ---------------------------------------------------------------


def test_fill_writes_the_sheets_and_json_with_figures_by_hand(workbook, tmp_path):
    import json

    import openpyxl
    from click.testing import CliRunner

    from sroi_excel.cli import main

    path = workbook()
    result = CliRunner().invoke(main, ["fill", str(path), "--json", "--draws", "300",
                                       "--seed", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sheets"][-3:] == ["Gevoeligheid", "Monte Carlo", "Kwaliteit"]
    u = data["uncertainty"]
    # The example: 40 x 25% = 10 people a year x 15,000 x (1 - 30%) x (1 - 20%) = 84,000 a
    # year, lasting 2 years with 50% drop-off, every year, horizon 3: value by year 84,000,
    # 126,000, 126,000. Inputs 800 h x 75 = 60,000 in years 1-3. Discount 2.25%.
    d = [1.0225 ** -t for t in (1, 2, 3)]
    pv_value = 84_000 * d[0] + 126_000 * (d[1] + d[2])
    pv_inputs = 60_000 * sum(d)
    ratio = pv_value / pv_inputs  # 1.8615
    items = {(i["kind"], i["name"]): i for i in u["switching_values"]["items"]}
    # value is proportional to Succes and to Deelnemers: ratio 1 at base / ratio
    assert items[("assumption", "Succes")]["ratio_1"]["value"] == pytest.approx(0.25 / ratio)
    assert items[("assumption", "Deelnemers")]["ratio_1"]["value"] == pytest.approx(40 / ratio)
    # the council pays everything and gets everything: its NPV 0 is the same point
    assert items[("assumption", "Succes")]["stakeholder_npv_0"]["value"] == pytest.approx(
        0.25 / ratio)
    # deadweight: (1 - d) / 0.7 = 1 / ratio
    assert items[("deadweight", "Minder uitkeringen")]["ratio_1"]["value"] == pytest.approx(
        1 - 0.7 / ratio)
    assert u["monte_carlo"]["draws"] == 300 and u["monte_carlo"]["seed"] == 5
    assert [s["scenario"] for s in u["scenarios"]] == [None, "minimum", "maximum"]
    # minimum: Succes 15% -> the value scales by 0.15 / 0.25
    assert u["scenarios"][1]["sroi_ratio"] == pytest.approx(ratio * 0.15 / 0.25)

    book = openpyxl.load_workbook(path)
    sens, mc = book["Gevoeligheid"], book["Monte Carlo"]
    text = [c for row in sens.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(t.startswith("Stand bij de laatste fill") for t in text)
    assert any(t.startswith("Methode:") for t in text)
    assert len(sens._charts) == 2 and len(mc._charts) == 1  # scenarios, tornado; histogram


def test_fill_twice_gives_the_same_figures(workbook):
    from sroi_excel import api

    path = workbook()
    first = api.fill(path, draws=200, backup=False).summary()["uncertainty"]
    second = api.fill(path, draws=200, backup=False).summary()["uncertainty"]
    assert first == second


def test_progress_bar_appears_only_after_a_moment():
    import io

    from sroi_excel.cli import _Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    now = [0.0]
    out = Terminal()
    with _Progress(stream=out, clock=lambda: now[0]) as progress:
        progress(0, 10)
        now[0] = 0.2
        progress(5, 10)
        assert out.getvalue() == ""  # quick runs show nothing
        now[0] = 1.0
        progress(8, 10)  # the bar appears at 80%, counting what was done before it
        assert "80%" in out.getvalue()
        progress(10, 10)
    assert "Monte Carlo" in out.getvalue() and "100%" in out.getvalue()
    quiet = io.StringIO()  # not a terminal: never
    with _Progress(stream=quiet, clock=lambda: now[0]) as progress:
        progress(1, 10)
        now[0] = 9.0
        progress(10, 10)
    assert quiet.getvalue() == ""


def test_reference_prices_are_indexed_as_the_engine_does():
    # A proxy naming a 2014 price of 200 with CPI 99.4 -> 109 (price year 2021):
    # 200 x 109 / 99.4 = 219.3159; quantity 10, inputs 1,000: ratio 2.193159.
    from sroi_excel.model import PriceIndexPoint, ReferencePrice

    ref = ReferencePrice("consult", 200.0, "C1", base_year=2014)
    proxy = Amount(formula.Number(200.0), "C1", Cell("Opbrengsten", "E2"), price=ref)
    m = replace(model([outcome("A", 10, proxy)], [money("B", 1000)], price_year=2021),
                price_index=(PriceIndexPoint(2014, 99.4), PriceIndexPoint(2021, 109.0)))
    mc = uncertainty.monte_carlo(m, draws=3, seed=1)
    assert mc.ratio.mean == pytest.approx(2 * 109 / 99.4, rel=1e-12)
    assert mc.ratio.mean == compute(m).headline.ratio


# -- many outcomes at once: closed-form deductions, grouped assumptions -------------------------


def several_outcomes_model(**settings) -> Model:
    # No discounting, one year, inputs 3,000 at the start. Values:
    #   a: 100 x 20 x (1 - 20% deadweight)  = 1,600
    #   b:  50 x 40 x (1 - 50% attribution) = 1,000
    #   c:  10 x 100                         = 1,000   (stakeholder B)
    #   d:   0 x 100                         =     0   (nothing to switch)
    #   e:   1 x 10                          =    10
    # Total 3,610, ratio 1.2033; ratio 1 needs the total 610 lower.
    return model([outcome("A", 100, 20, dw=0.2, name="a"),
                  outcome("A", 50, 40, attr=0.5, name="b"),
                  outcome("B", 10, 100, name="c"),
                  outcome("A", 0, 100, dw=0.3, name="d"),
                  outcome("A", 1, 10, name="e")],
                 [money("B", 3000)], **settings)


def test_switching_values_of_many_outcomes_at_once_by_hand():
    u = uncertainty.analyse(several_outcomes_model(), draws=0)
    assert u.base_ratio == pytest.approx(3610 / 3000, rel=1e-12)
    # a deadweight: 2,000 (1 - d) = 1,600 - 610 = 990 -> d = 0.505
    assert switching(u, "deadweight", "a").ratio.value == pytest.approx(0.505, abs=1e-12)
    # a attribution (and displacement) from 0: 1,600 (1 - x) = 990 -> x = 0.38125
    assert switching(u, "attribution", "a").ratio.value == pytest.approx(0.38125, abs=1e-12)
    assert switching(u, "displacement", "a").ratio.value == pytest.approx(0.38125, abs=1e-12)
    # b attribution: 2,000 (1 - x) = 1,000 - 610 = 390 -> x = 0.805; b deadweight from 0:
    # 1,000 (1 - x) = 390 -> x = 0.61; c displacement: 1,000 (1 - x) = 390 -> x = 0.61
    assert switching(u, "attribution", "b").ratio.value == pytest.approx(0.805, abs=1e-12)
    assert switching(u, "deadweight", "b").ratio.value == pytest.approx(0.61, abs=1e-12)
    assert switching(u, "displacement", "c").ratio.value == pytest.approx(0.61, abs=1e-12)
    assert switching(u, "deadweight", "a").ratio.method == "linear"
    # d adds nothing whatever its deadweight
    assert switching(u, "deadweight", "d").ratio.reason.en == "the ratio does not depend on it"
    # e: 10 (1 - x) = 10 - 610 -> x = 61, i.e. 6,100%
    e = switching(u, "deadweight", "e").ratio
    assert e.value is None
    assert e.reason.en == "ratio 1 only at 6,100%, outside 0% - 100%"
    assert e.reason.nl == "ratio 1 pas bij 6.100%, buiten 0% - 100%"


def test_deduction_sensitivity_of_many_outcomes_at_once_by_hand():
    u = uncertainty.analyse(several_outcomes_model(sensitivity_step=0.1), draws=0)
    # a deadweight 20% -> 10% / 30%: a 1,800 / 1,400, total 3,810 / 3,410
    a = sensitivity(u, "deadweight", "a")
    assert (a.low, a.high) == pytest.approx((0.1, 0.3))
    assert (a.ratio_low, a.ratio_high) == pytest.approx((3810 / 3000, 3410 / 3000), rel=1e-12)
    # b attribution 50% -> 40% / 60%: b 1,200 / 800: the same totals
    b = sensitivity(u, "attribution", "b")
    assert (b.ratio_low, b.ratio_high) == pytest.approx((3810 / 3000, 3410 / 3000), rel=1e-12)
    # c displacement 0% -> 0% / 10%: c 1,000 / 900, total 3,610 / 3,510
    c = sensitivity(u, "displacement", "c")
    assert (c.low, c.high) == pytest.approx((0.0, 0.1))
    assert (c.ratio_low, c.ratio_high) == pytest.approx((3610 / 3000, 3510 / 3000), rel=1e-12)
    # d is 0 x 100 whatever its deductions: its three are left out. The other four outcomes'
    # three deductions each move the ratio; one-year outcomes have no drop-off row. Deductions
    # of one outcome at the same value move it alike and share a row: a's attribution and
    # displacement (0%), b's deadweight and displacement, all three of c and of e (6 rows).
    assert u.omitted == 3
    assert len(u.sensitivity) == 6
    assert (c.kind, c.also) == ("deadweight", ("attribution", "displacement"))
    assert sensitivity(u, "displacement", "b") is sensitivity(u, "deadweight", "b")
    assert sensitivity(u, "displacement", "b").also == ("displacement",)
    assert [i.swing for i in u.sensitivity] == sorted((i.swing for i in u.sensitivity),
                                                      reverse=True)


def test_drop_off_of_several_outcomes_by_hand():
    # Two outcomes of impact 1,000 in year 1 lasting 3 years, no discounting, inputs 3,000:
    # f with drop-off 10%: 1,000 (1 + 0.9 + 0.81) = 2,710; g with 50%: 1,750. Ratio 1.4867.
    # f: 1,000 (1 + u + u^2) = 3,000 - 1,750 = 1,250 -> u = (sqrt(2) - 1) / 2, so drop-off
    #   1 - u = (3 - sqrt(2)) / 2 = 0.7929.
    # g: 1,000 (1 + u + u^2) = 290 has no root with u in 0..1 (g is at least 1,000): the ratio
    #   runs from (2,710 + 1,000) / 3,000 = 1.24 (drop-off 100%) to 5,710 / 3,000 = 1.90.
    m = model([outcome("A", 10, 100, drop=0.1, duration=3, name="f"),
               outcome("A", 10, 100, drop=0.5, duration=3, name="g")],
              [money("B", 3000)], years=3)
    u = uncertainty.analyse(m, draws=0)
    f_ = switching(u, "dropoff", "f").ratio
    assert f_.value == pytest.approx((3 - math.sqrt(2)) / 2, abs=1e-10)
    assert f_.method == "bracketing"
    g = switching(u, "dropoff", "g").ratio
    assert g.value is None
    assert g.reason.en == "no value between 0% and 100% gives ratio 1 (ratio 1.24 to 1.90)"
    # sensitivity of f's drop-off, 10% -> 0% / 20%: f 3,000 / 2,440, totals 4,750 / 4,190
    s = sensitivity(u, "dropoff", "f")
    assert (s.ratio_low, s.ratio_high) == pytest.approx((4750 / 3000, 4190 / 3000), rel=1e-12)


def test_an_outcome_that_changes_by_year_beside_ones_that_do_not():
    # h: quantity Q = 10 in year 1 and 20 in year 2 (per-year values), proxy 10, deadweight
    # 20%, every year: 80 + 160 = 240. k: 100 x 1 every year: 200. Inputs 300, no
    # discounting: ratio 440 / 300.
    # h deadweight: 300 (1 - d) = 300 - 200 -> d = 2/3; k: 200 (1 - d) = 300 - 240 -> 0.7.
    # Sensitivity of h's deadweight +/- 10 points: 270 / 210 -> 470 / 300 and 410 / 300.
    m = model([outcome("A", "=Q", 10, dw=0.2, recurring=True, name="h"),
               outcome("A", 100, 1, recurring=True, name="k")],
              [money("B", 300)], [assume("Q", 10, per_year=((2, 20),))], years=2)
    u = uncertainty.analyse(m, draws=0)
    assert u.base_ratio == pytest.approx(440 / 300, rel=1e-12)
    assert switching(u, "deadweight", "h").ratio.value == pytest.approx(2 / 3, abs=1e-12)
    assert switching(u, "deadweight", "k").ratio.value == pytest.approx(0.7, abs=1e-12)
    h = sensitivity(u, "deadweight", "h")
    assert (h.ratio_low, h.ratio_high) == pytest.approx((470 / 300, 410 / 300), rel=1e-12)


def test_an_assumption_shared_by_many_outcomes_by_hand():
    # Proxies 10; quantities 2X, 3X and 5X + 10: value 20X + 30X + 50X + 100 = 100X + 100.
    # X = 10: 1,100 over inputs 1,000. Low 5: 600 -> 0.6; high 20: 2,100 -> 2.1.
    # Ratio 1: 100X + 100 = 1,000 -> X = 9 (exact: value is linear in X).
    m = model([outcome("A", "=2*X", 10, name="two"), outcome("A", "=X*3", 10, name="three"),
               outcome("B", "=5*X+10", 10, name="five")],
              [money("B", 1000)], [assume("X", 10, 5, 20)])
    u = uncertainty.analyse(m, draws=0)
    x = sensitivity(u, "assumption", "X")
    assert (x.ratio_low, x.ratio_high) == pytest.approx((0.6, 2.1), rel=1e-12)
    s = switching(u, "assumption", "X")
    assert s.ratio.value == pytest.approx(9.0, rel=1e-12)
    assert s.ratio.method == "linear"


def test_an_assumption_that_breaks_one_outcome_at_one_end():
    # As above plus an outcome 1 x 100 / (X - 5): at the low end X = 5 it divides by zero,
    # which is reported; the high end still counts: 100 x 20 + 100 + 100 / 15 = 2,106.67.
    m = model([outcome("A", "=2*X", 10, name="two"), outcome("A", "=X*3", 10, name="three"),
               outcome("B", "=5*X+10", 10, name="five"),
               outcome("B", 1, "=100/(X-5)", name="fragile")],
              [money("B", 1000)], [assume("X", 10, 5, 20)])
    u = uncertainty.analyse(m, draws=0)
    x = sensitivity(u, "assumption", "X")
    assert x.ratio_low is None
    assert x.ratio_high == pytest.approx((2000 + 100 + 100 / 15) / 1000, rel=1e-12)
    assert "division by zero" in x.error and "=100/(X-5)" in x.error


# -- scenarios from the evaluator, errors in the engine's words ---------------------------------


def test_scenario_errors_read_as_the_engine_words_them():
    base = one_outcome_model()
    m = replace(base, outcomes=(outcome("A", "=Q", "=P", dw="=D", name="jobs"),),
                assumptions=(*base.assumptions, assume("D", 0.2)),
                scenarios=(Scenario("bad", (("D", n(1.5)),)),
                           Scenario("huge", (("Q", n(1e200)), ("P", n(1e200)))),
                           Scenario("good", (("P", n(75)),))))
    rows = {r.name: r for r in uncertainty.scenario_comparison(m)}
    # base 2.0 as before; good: 100 x 75 x 0.8 / 2,000 = 3.0
    assert rows[None].ratio == pytest.approx(2.0, rel=1e-12)
    assert rows["good"].ratio == pytest.approx(3.0, rel=1e-12)
    assert rows["good"].stakeholders == (("A", 0.0, pytest.approx(6000.0)),
                                         ("B", 2000.0, 0.0))
    assert rows["bad"].error == ("Opbrengsten!D2: deadweight is 150%; it must be between 0% "
                                 "and 100%")
    assert rows["huge"].ratio is None
    assert "is too large to compute" in rows["huge"].error


def test_scenario_figures_are_the_engines_to_the_last_bit():
    # Not a figure by hand: the evaluator must follow the engine's conventions exactly (same
    # arithmetic, same order of summation), also per stakeholder.
    m = replace(rich_model(), scenarios=(Scenario("more", (("Price", n(300)),
                                                            ("Scale", n(450)))),))
    for row in uncertainty.scenario_comparison(m):
        r = compute(m, row.name or "")
        h = r.headline
        assert (row.ratio, row.net_ratio, row.pv_value, row.pv_inputs, row.npv) == (
            h.ratio, h.net_ratio, h.pv_value, h.pv_inputs, h.npv)
        assert row.stakeholders == tuple((rec.stakeholder, rec.inputs, rec.value)
                                         for rec in r.stakeholders.itertuples(index=False))


def test_analyse_without_a_varied_assumption_does_not_run_monte_carlo_and_says_why():
    u = uncertainty.analyse(rich_model(), draws=20)
    assert u.monte_carlo is None
    assert ("Monte Carlo: not computed, as no assumption has both a low and a high value (and "
            "a distribution other than 'fixed'); fill them in to show the uncertainty"
            in [n.en for n in u.skipped]) and not u.notes
    # with one that varies, it runs and reports its progress up to all outcomes and inputs
    m = replace(rich_model(), assumptions=(*rich_model().assumptions[:5],
                                           assume("Rate", 75, 60, 90)))
    seen = []
    u = uncertainty.analyse(m, draws=20, progress=lambda d, t: seen.append((d, t)))
    assert u.monte_carlo is not None and u.monte_carlo.draws == 20
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)  # 3 outcomes and 3 inputs


# -- the sheets' print setup ---------------------------------------------------------------------


def test_sensitivity_sheets_have_the_page_header_and_footer(workbook):
    import re
    import zipfile

    from sroi_excel import api

    from .results_io import sheet_parts

    path = workbook(edits={("Instellingen", "B2"): "Maatjes & meer"})
    api.fill(path, draws=50, backup=False)
    data = path.read_bytes()
    parts = sheet_parts(data)
    with zipfile.ZipFile(path) as z:
        for name in ("Gevoeligheid", "Monte Carlo"):
            xml = z.read(parts[name]).decode()
            found = re.search(r"<headerFooter>(.*?)</headerFooter>", xml, re.S)
            assert found, name
            # the name in bold at the left (& doubled, as header codes need), the sheet at the
            # right; the footer: the tool's version left, page numbers right
            assert ('<oddHeader>&amp;L&amp;"Calibri,Bold"Maatjes &amp;&amp; meer'
                    "&amp;R&amp;A</oddHeader>") in found.group(1), name
            assert "&amp;RPagina &amp;P van &amp;N</oddFooter>" in found.group(1), name
            assert '<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>' in xml
            assert '<pageMargins left="0.5" right="0.5" top="0.7" bottom="0.7"' in xml


# -- long tables on the sensitivity sheet ------------------------------------------------------


def sheet_rows(m: Model, lang: str = "en") -> list[list]:
    import io

    from python_calamine import CalamineWorkbook

    from sroi_excel import render
    from sroi_excel.schema import RESULT_SHEETS

    data = render.render_results(compute(m), lang=lang, uncertainty=uncertainty.analyse(m))
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(RESULT_SHEETS["sensitivity"](lang)).to_python()


def many_outcomes_model() -> Model:
    # 250 outcomes q x 1 with deadweight 50%, q = 1..250, lasting one year: value
    # V = 0.5 x (1 + ... + 250) = 15,687.5; inputs I = V - 10 = 15,677.5.
    # Deadweight 40% / 60%: swing 0.2 q / I. Attribution and displacement 0% -> 10% (0% - 10%
    # is cut at 0%): swing 0.5 q x 0.1 / I = 0.05 q / I. 750 rows in all.
    # Ratio 1 needs 10 less value: deadweight at 50% + 10/q, attribution or displacement at
    # 20/q, so the distance from the value is 10/q resp. 20/q (within 0%..100% for q >= 20).
    q = range(1, 251)
    return model([outcome("A", x, 1, dw=0.5, name=f"o{x}") for x in q],
                 [money("B", 0.5 * sum(q) - 10)], mc_draws=0)


def test_a_long_sensitivity_table_shows_the_200_largest_and_says_what_is_left():
    rows = sheet_rows(many_outcomes_model())
    inputs = 0.5 * sum(range(1, 251)) - 10
    # attribution and displacement (both 0%) share a row: 500 rows
    swings = sorted([0.2 * x / inputs for x in range(1, 251)]
                    + [0.05 * x / inputs for x in range(1, 251)], reverse=True)
    header = next(k for k, r in enumerate(rows) if r[:2] == ["Assumption or deduction", "Type"])
    table = []
    for r in rows[header + 1:]:
        if not (isinstance(r[7], float) and r[1] in ("deadweight",
                                                      "attribution and displacement")):
            break
        table.append(r)
    assert len(table) == 200
    shown = [r[7] for r in table]
    assert shown == sorted(shown, reverse=True)  # largest first
    assert shown == pytest.approx(swings[:200], rel=1e-9)
    line = next(r[0] for r in rows[header + 201:] if r[0])
    words = line.split()
    assert line.startswith("300 more rows, each with a swing of at most ")
    assert line.endswith("; `sroi-excel fill --json` lists them all.")
    most = float(words[words.index("most") + 1].rstrip(";"))
    # the largest left out, rounded up to two significant digits: 0.000765... -> 0.00077
    assert swings[200] == pytest.approx(0.05 * 240 / inputs)  # = 0.2 x 60 / inputs
    assert most == 0.00077 and most >= swings[200]
    nl = sheet_rows(many_outcomes_model(), "nl")
    assert any(str(r[0]).startswith("Nog 300 rijen, elk met een verschil van hoogstens "
                                    "0,00077; `sroi-excel fill --json` geeft ze allemaal")
               for r in nl)


def test_a_long_switching_table_shows_the_200_most_fragile_and_says_what_is_left():
    rows = sheet_rows(many_outcomes_model())
    distances = sorted([10 / x for x in range(20, 251)] + [20 / x for x in range(20, 251)] * 2)
    order = next(k for k, r in enumerate(rows) if str(r[0]).startswith("Sorted by how close"))
    assert "the most fragile first" in rows[order][0]
    assert rows[order][0].endswith("The first 200 of 750 are shown.")
    header = order + 1
    assert rows[header][3] == "Switching value (ratio 1)"
    table = rows[header + 1:header + 201]
    shown = [abs(r[3] - r[2]) for r in table]  # switching value - value, both fractions
    assert shown == sorted(shown)  # the most fragile first
    assert shown == pytest.approx(distances[:200], rel=1e-9)
    line = rows[header + 201][0]
    # 750 - 200 = 550 left out; 19 outcomes (q < 20) x 3 deductions have none; the closest
    # left out is 10/110 or 20/220 = 9.0909 points, written rounded down: 9.09
    assert distances[200] == pytest.approx(10 / 110)
    assert line == ("550 more rows, each with its switching value at least 9.09 percentage "
                    "points (or 9.09% of the value) away from the value; 57 of them without a "
                    "switching value; `sroi-excel fill --json` lists them all.")
    nl = sheet_rows(many_outcomes_model(), "nl")
    assert any(str(r[0]).startswith("Nog 550 rijen; bij elk ligt het omslagpunt minstens 9,09 "
                                    "procentpunt") for r in nl)
    assert any(str(r[0]).startswith("Gesorteerd op hoe dicht het omslagpunt") for r in nl)


def test_the_full_lists_stay_in_the_result_and_the_json():
    u = uncertainty.analyse(many_outcomes_model())
    assert len(u.sensitivity) == 500 and len(u.switching) == 750
    data = u.to_dict()
    assert len(data["sensitivity"]["items"]) == 500
    assert len(data["switching_values"]["items"]) == 750


@pytest.mark.parametrize("name", ["blended-care.xlsx", "debilt-maatjesproject.xlsx",
                                  "youth-mentoring.xlsx"])
def test_short_tables_keep_every_row_in_their_order(name):
    from pathlib import Path

    from sroi_excel.reader import read

    path = Path(__file__).resolve().parent.parent / "examples" / name
    m = read(path.read_bytes(), path.name).model
    m = replace(m, settings=replace(m.settings, mc_draws=0))
    u = uncertainty.analyse(m)
    assert 0 < len(u.sensitivity) <= 200 and 0 < len(u.switching) <= 200
    rows = sheet_rows(m, m.language)
    labels = [str(r[0]) for r in rows]
    # every switching value, in the result's order (assumptions, then outcome by outcome)
    names = [s.name for s in u.switching if s.kind == "assumption"]
    at = [labels.index(n, labels.index(names[0])) for n in names]
    assert at == sorted(at)
    text = " ".join(str(c) for r in rows for c in r)
    for word in ("more rows", "Nog ", "Sorted by how close", "Gesorteerd op hoe dicht"):
        assert word not in text


def test_every_row_of_many_outcomes_by_hand():
    # many_outcomes_model, every row: ratio = (V - change in one outcome's value) / I.
    u = uncertainty.analyse(many_outcomes_model())
    inputs = 0.5 * sum(range(1, 251)) - 10
    ratio = (inputs + 10) / inputs
    assert u.base_ratio == pytest.approx(ratio, rel=1e-12)
    assert u.omitted == 0
    for item in u.sensitivity:
        q = int(item.name[1:])
        if item.kind == "deadweight":  # 40% / 60%: the value moves by 0.1 q either way
            lo, hi = 0.4, 0.6
            r_lo, r_hi = ratio + 0.1 * q / inputs, ratio - 0.1 * q / inputs
        else:  # 0% (as it is) / 10%: 0.5 q x 0.1 less value
            lo, hi = 0.0, 0.1
            r_lo, r_hi = ratio, ratio - 0.05 * q / inputs
        assert (item.low, item.high) == (lo, hi)
        assert item.ratio_low == pytest.approx(r_lo, rel=1e-12)
        assert item.ratio_high == pytest.approx(r_hi, rel=1e-12)
        assert item.swing == pytest.approx(abs(r_hi - r_lo), rel=1e-9)
    assert [i.swing for i in u.sensitivity] == sorted((i.swing for i in u.sensitivity),
                                                      reverse=True)
    for s in u.switching:
        q = int(s.name[1:])
        root = 0.5 + 10 / q if s.kind == "deadweight" else 20 / q
        if root <= 1:
            assert s.ratio.value == pytest.approx(root, abs=1e-12)
            assert s.ratio.method == "linear" and s.within_range is None
        else:
            assert s.ratio.value is None
            shown = f"{root * 100:,.1f}%".replace(".0%", "%")  # 1,050% or 466.7%
            assert s.ratio.reason.en == f"ratio 1 only at {shown}, outside 0% - 100%"
    dw5 = switching(u, "deadweight", "o5")
    assert dw5.ratio.reason.text() == uncertainty.Text("ratio 1 pas bij 250%, buiten 0% - 100%",
                                                "ratio 1 only at 250%, outside 0% - 100%")


def test_switching_distance_by_hand():
    # A percentage: percentage points. Else a share of the value; of the range when the value
    # is 0; none without a switching value.
    def sv(value, base, percent, low=None, high=None):
        return uncertainty.SwitchingValue("assumption", "X", base=base, low=low, high=high,
                                          percent=percent, ratio=uncertainty.Solution(value))

    assert sv(0.35, 0.2, True).distance == pytest.approx(0.15)
    assert sv(40.0, 50.0, False).distance == pytest.approx(0.2)
    assert sv(3.0, 0.0, False, -2.0, 6.0).distance == pytest.approx(0.5)
    assert sv(None, 0.2, True).distance is None
