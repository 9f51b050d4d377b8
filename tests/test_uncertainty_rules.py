"""The rules an uncertainty figure follows where it could mislead: roots in denominators,
ranges on values per year, ranges under a scenario, what Monte Carlo leaves out and why.

Expected figures are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sroi_excel import uncertainty
from sroi_excel.model import Scenario

from .builders import assume, model, money, n, outcome


def switching(u, kind: str, name: str):
    return next(s for s in u.switching if s.kind == kind and s.name == name)


def sensitivity(u, name: str):
    return next(s for s in u.sensitivity if s.name == name)


# -- switching values where the assumption stands in a denominator ----------------------------


def coach_model():
    # Caregivers supported: value 3,636 a year. Coaching costs 1,000 plus 200 / (caregivers
    # per coach): at 20 per coach 1,010, ratio 3.6. Ratio 1 where 1,000 + 200 / x = 3,636:
    # x = 200 / 2,636 = 0.075872..., far below the first point of an even grid over 0 - 2,000.
    return model([outcome("A", 3636, 1, name="support")],
                 [money("B", 1000), money("B", "=200/PerCoach")],
                 [assume("PerCoach", 20)], mc_draws=0)


def test_a_root_near_zero_in_a_denominator_is_found():
    u = uncertainty.analyse(coach_model())
    s = switching(u, "assumption", "PerCoach")
    assert u.base_ratio == pytest.approx(3636 / 1010, rel=1e-12)
    assert s.ratio.value == pytest.approx(200 / 2636, rel=1e-9)
    assert s.ratio.method == "bracketing"


def test_a_pole_is_not_a_root():
    # Value 1,000 / (x - 5) - 10 for x in 0 - 2,000 with inputs 100: NPV = 1,000/(x-5) - 110.
    # It changes sign across the pole at x = 5 (from -inf to +inf) and at the root
    # 1,000 / (x - 5) = 110, x = 5 + 1,000/110 = 14.0909...; the base 20 lies above both.
    m = model([outcome("A", "=1000/(X-5)", 1, name="o"), outcome("A", -10, 1, name="minus")],
              [money("B", 100)], [assume("X", 20)], mc_draws=0)
    s = switching(uncertainty.analyse(m), "assumption", "X")
    assert s.ratio.value == pytest.approx(5 + 1000 / 110, rel=1e-9)
    # With the root removed (value 1,000 / (x - 5) + 500 > 100 for x > 5, and < 100 for
    # x < 5 only across the pole) there is no switching value, only the pole.
    m = model([outcome("A", "=1000/(X-5)", 1, name="o"), outcome("A", 500, 1, name="plus")],
              [money("B", 100)], [assume("X", 20)], mc_draws=0)
    s = switching(uncertainty.analyse(m), "assumption", "X")
    assert s.ratio.value != pytest.approx(5.0, abs=1e-3)


# Random models with the assumption in a numerator, a denominator or a power, against a
# brute-force scan of the ratio over the allowed range (every crossing of 1 it sees).
_SHAPES = ("=A*X", "=A/X", "=A/(X+B)", "=A*X^2", "=A/X^2", "=A*(X+B)", "=A/(B*X+1)")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.sampled_from(_SHAPES), a=st.floats(1, 1000), b=st.floats(0.01, 50),
       x0=st.floats(0.5, 50), inputs=st.floats(10, 5000), fixed=st.floats(-500, 500))
def test_switching_values_match_a_brute_force_scan(shape, a, b, x0, inputs, fixed):
    text = shape.replace("A", repr(a)).replace("B", repr(b))
    m = model([outcome("A", text, 1, name="o"), outcome("A", fixed, 1, name="fixed")],
              [money("B", inputs)], [assume("X", x0)], mc_draws=0)
    u = uncertainty.analyse(m)
    if u.base_ratio is None:
        return
    found = switching(u, "assumption", "X").ratio.value

    def npv(x):
        value = eval(text[1:].replace("^", "**"), {"X": x})  # noqa: S307 (our own text)
        return value + fixed - inputs

    hi = 100 * x0
    xs = np.unique(np.concatenate([np.linspace(0, hi, 20_001),
                                   np.geomspace(hi * 1e-9, hi, 2_001)]))
    with np.errstate(all="ignore"):
        f = npv(xs)
    ok = np.isfinite(f)
    # NPV 0 to the tolerance of the search: 1e-9 of the larger of the base figures
    tol = 1e-9 * max(abs(npv(x0) + inputs), inputs, 1.0)
    # Roots the scan sees: a point where the NPV is 0, or a sign change that narrows to 0
    # (not a pole); each as the interval it lies in.
    zero = np.flatnonzero(ok & (np.abs(f) <= tol)).tolist()
    roots = [(xs[max(k - 1, 0)], xs[min(k + 1, len(xs) - 1)]) for k in zero]
    roots += [(xs[k], xs[k + 1]) for k in np.flatnonzero(ok[:-1] & ok[1:]
                                                        & (f[:-1] * f[1:] < 0)).tolist()
              if _root_between(npv, xs[k], xs[k + 1], max(1.0, inputs))]
    if not roots:
        assert found is None
        return
    assert found is not None
    assert abs(npv(found)) <= tol
    # The reported root lies in a stretch of roots the scan sees, and none lies nearer the
    # value than that stretch (a root where the NPV only touches 0 is a stretch of points
    # within the tolerance).
    stretches: list[list[float]] = []
    for a, b in sorted(roots):
        if stretches and a <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], b)
        else:
            stretches.append([a, b])
    slack = 1e-9 * hi

    def away(a: float, b: float) -> float:
        return max(0.0, a - x0, x0 - b)

    mine = [away(a, b) for a, b in stretches if a - slack <= found <= b + slack]
    assert mine and min(mine) <= min(away(a, b) for a, b in stretches) + slack


def _root_between(npv, a: float, b: float, scale: float) -> bool:
    """Whether the sign change between a and b is a root (the NPV goes to 0 there), not a
    pole: bisect it and look."""
    fa = npv(a)
    for _ in range(80):
        mid = (a + b) / 2
        fm = npv(mid)
        if fm == 0:
            return True
        if fa * fm < 0:
            b = mid
        else:
            a, fa = mid, fm
    return min(abs(npv(a)), abs(npv(b))) <= 1e-6 * scale


# -- ranges on values per year ---------------------------------------------------------------


def scale_up_model(**settings):
    # A scale-up: 400, 1,000, 5,000, 10,000 and 17,000 participants, each worth 10, inputs
    # 100,000 at the start, no discounting: value 334,000, ratio 3.34. Low and high 320 and
    # 480 are 0.8 and 1.2 times year 1's 400: every year scales alike.
    return model([outcome("A", "=Participants", 10, recurring=True, name="scale")],
                 [money("B", 100_000)],
                 [assume("Participants", 400, 320, 480,
                         per_year=((2, 1000), (3, 5000), (4, 10_000), (5, 17_000)))],
                 years=5, **settings)


def test_a_range_on_values_per_year_scales_every_year():
    u = uncertainty.analyse(scale_up_model(), draws=2000, seed=7)
    item = sensitivity(u, "Participants")
    assert u.base_ratio == pytest.approx(3.34)
    assert (item.ratio_low, item.ratio_high) == pytest.approx((0.8 * 3.34, 1.2 * 3.34))
    assert item.per_year and item.base == 400
    # Monte Carlo draws a factor between 0.8 and 1.2 (triangular around 1): the median ratio
    # lies at the base, not at the single value replacing every year (ratio 0.1 or so).
    mc = u.monte_carlo
    assert mc.ratio.p50 == pytest.approx(3.34, rel=0.02)
    assert mc.ratio.p5 >= 0.8 * 3.34 and mc.ratio.p95 <= 1.2 * 3.34
    assert mc.varied[0].per_year
    # Switching value: every year times f with 334,000 f = 100,000: f = 0.2994, year 1 at
    # 400 f = 119.76.
    s = switching(u, "assumption", "Participants")
    assert s.ratio.value == pytest.approx(400 * 100_000 / 334_000, rel=1e-9) and s.per_year


# -- what Monte Carlo leaves out ------------------------------------------------------------


def test_an_assumption_with_only_a_low_is_named_and_not_drawn():
    m = model([outcome("A", "=Q", "=P", name="o")], [money("B", 100)],
              [assume("Q", 10, 5, 15), assume("P", 20, 10), assume("R", 1)], mc_draws=500)
    u = uncertainty.analyse(m)
    mc = u.monte_carlo
    assert [v.name for v in mc.varied] == ["Q"]
    assert ("'P': only low or only high filled in: fill in both to vary it; Monte Carlo keeps "
            "it at its value") in [note.en for note in mc.notes]
    assert [(why.en, names) for why, names in mc.kept] == [
        ("only low or only high filled in: fill in both to vary it", ("P",)),
        ("no low and high", ("R",))]
    assert u.to_dict()["monte_carlo"]["not_varied"][0]["assumptions"] == ["P"]


def test_under_a_scenario_that_sets_an_assumption_its_range_is_not_used():
    # Base 1,000 participants (700 - 1,100); the scenario "min" sets 700. Under it, the
    # analysis keeps 700: Monte Carlo does not draw it and the tornado leaves it out, so the
    # headline (ratio 7) is not below the scenario's own P5.
    m = model([outcome("A", "=Participants", 10, name="o"), outcome("A", "=Other", 1)],
              [money("B", 1000)],
              [assume("Participants", 1000, 700, 1100), assume("Other", 0, -100, 100)],
              scenarios=(Scenario("min", (("Participants", n(700)),)),), mc_draws=500)
    u = uncertainty.analyse(m, "min")
    assert u.base_ratio == pytest.approx(7.0)
    assert [v.name for v in u.monte_carlo.varied] == ["Other"]
    assert u.monte_carlo.kept[0][1] == ("Participants",)
    assert u.monte_carlo.kept[0][0].en == (
        "the scenario sets its value; low and high are for the base values")
    assert [i.name for i in u.sensitivity if i.kind == "assumption"] == ["Other"]
    assert any("the scenario 'min' sets 'Participants'" in note.en for note in u.notes)
    assert u.monte_carlo.ratio.p5 <= 7.0 <= u.monte_carlo.ratio.p95


def test_not_enough_memory_for_monte_carlo_leaves_the_rest(monkeypatch):
    from sroi_excel.uncertainty import montecarlo

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(montecarlo, "draw", no_memory)
    m = model([outcome("A", "=Q", 10, name="o")], [money("B", 100)], [assume("Q", 20, 10, 30)])
    u = uncertainty.analyse(m, draws=1_000_000)
    assert u.monte_carlo is None
    assert "Monte Carlo not computed: not enough memory for 1,000,000 draws; choose fewer " \
           "draws" in [note.en for note in u.notes]
    assert u.sensitivity and u.switching  # the rest is there


def test_a_switching_stakeholder_without_inputs_or_outcomes_says_so():
    m = model([outcome("A", "=Q", 10, name="o")], [money("B", 100)], [assume("Q", 20)],
              stakeholders=("A", "B", "C"), switching_stakeholder="C", mc_draws=0)
    s = switching(uncertainty.analyse(m), "assumption", "Q")
    assert s.npv.value is None
    assert s.npv.reason.en == "this stakeholder has no inputs or outcomes, so its NPV is always 0"


def test_the_deductions_of_an_outcome_at_one_value_share_a_tornado_row():
    # 100 x 10 with every deduction 0%: a step of 10 points lowers the value by 10% whichever
    # moves, so deadweight, attribution and displacement are one row; inputs 500.
    m = model([outcome("A", 100, 10, name="o")], [money("B", 500)], mc_draws=0)
    u = uncertainty.analyse(m)
    assert len(u.sensitivity) == 1
    row = u.sensitivity[0]
    assert (row.kind, row.also) == ("deadweight", ("attribution", "displacement"))
    assert (row.ratio_low, row.ratio_high) == pytest.approx((2.0, 1.8))
    assert math.isclose(row.swing, 0.2)


def test_fill_says_monte_carlo_was_not_run_and_why(tmp_path):
    import shutil
    from pathlib import Path

    from click.testing import CliRunner

    from sroi_excel.cli import main

    book = tmp_path / "blended-care.xlsx"
    shutil.copy(Path(__file__).parent.parent / "examples" / "blended-care.xlsx", book)
    done = CliRunner().invoke(main, ["fill", str(book)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert ("Monte Carlo: not computed, as no assumption has both a low and a high value (and "
            "a distribution other than 'fixed'); fill them in to show the uncertainty") in lines
    assert not any(line.startswith("Monte Carlo (") for line in lines)
    assert not any(line.startswith("warning") for line in lines)


def test_the_monte_carlo_sheet_says_which_assumptions_are_not_drawn(tmp_path):
    import io

    import openpyxl

    from sroi_excel import render
    from sroi_excel.engine import compute

    m = model([outcome("A", "=Q", "=P", name="o")], [money("B", 100)],
              [assume("Q", 10, 5, 15), assume("P", 20, 10), assume("R", 1)], mc_draws=500)
    results = compute(m)
    data = render.render_results(results, uncertainty=uncertainty.analyse(m, results=results))
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Monte Carlo"]
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "Niet getrokken (vaste waarde)" in texts
    assert "alleen laag of alleen hoog ingevuld: vul beide in om haar te laten variëren: P" \
        in texts
    assert "geen laag en hoog: R" in texts
