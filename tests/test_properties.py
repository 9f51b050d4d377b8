"""Property tests of the engine on models built directly from the model dataclasses.

No workbook is involved: hypothesis draws settings, stakeholders, assumptions, inputs and
outcomes (numbers and formulas over assumptions) and the engine must compute them without
error and keep the invariants of the method.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import ROUND_HALF_UP, Context, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sroi_excel import render
from sroi_excel.check import validate
from sroi_excel.engine import compute
from sroi_excel.formula import Binary, Call, Name, Number
from sroi_excel.model import (
    Amount,
    Assumption,
    InputItem,
    Model,
    Outcome,
    Scenario,
    Settings,
    Stakeholder,
)

from .results_io import headline, sheet_table

PROFILE = settings(max_examples=150, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Names as users type them, including accents, emoji, leading '=' and control characters that
# a hostile file can smuggle in as _x0001_.
NAMES = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24).map(
    str.strip).filter(bool)
ASSUMPTIONS = ("Deelnemers", "Succes", "Uren")
PERCENT = st.floats(0, 1)


def money(positive: bool):
    low = 0 if positive else -1e6
    return st.floats(low, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def amounts(draw, positive: bool, formulas: bool = True) -> Amount:
    """A number, or a formula over the assumptions (which are all non-negative)."""
    value = draw(money(positive))
    if not formulas or not draw(st.booleans()):
        return Amount.of(value)
    name = Name(draw(st.sampled_from(ASSUMPTIONS)))
    shape = draw(st.sampled_from(("times", "sum", "round")))
    if shape == "times":
        node = Binary("*", name, Number(value))
    elif shape == "sum":
        node = Call("SUM", (name, Number(abs(value)) if positive else Number(value)))
    else:
        node = Call("ROUND", (Binary("*", name, Number(value)), Number(2)))
    return Amount(node, "=formula")


@st.composite
def models(draw, positive: bool = False) -> Model:
    years = draw(st.integers(1, 12))
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=str.casefold))
    assumptions = []
    for name in ASSUMPTIONS:
        per_year = tuple((t, Amount.of(draw(st.floats(0, 500))))
                         for t in draw(st.sets(st.integers(1, years), max_size=3)))
        assumptions.append(Assumption(name, Amount.of(draw(st.floats(0, 500))),
                                      per_year=per_year))
    inputs = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("money", "hours", "in_kind")))
        fields = ({"hours": draw(amounts(True)), "rate": draw(amounts(True))} if kind == "hours"
                  else {"amount": draw(amounts(True))})
        inputs.append(InputItem(draw(st.sampled_from(names)), "input", kind,
                                year=draw(st.integers(0, years)),
                                recurring=draw(st.booleans()), **fields))
    outcomes = []
    for n in range(draw(st.integers(1, 5))):
        outcomes.append(Outcome(
            stakeholder=draw(st.sampled_from(names)), name=f"outcome {n}",
            quantity=draw(amounts(positive)), proxy=draw(amounts(positive)),
            deadweight=Amount.of(draw(PERCENT)), attribution=Amount.of(draw(PERCENT)),
            displacement=Amount.of(draw(PERCENT)), dropoff=Amount.of(draw(PERCENT)),
            duration=draw(st.integers(1, 8)), first_year=draw(st.integers(1, years)),
            recurring=draw(st.booleans()), monetised=draw(st.integers(0, 5)) > 0))
    scenarios = (Scenario("laag", (("Succes", Amount.of(draw(st.floats(0, 500)))),)),)
    rate = draw(st.floats(0, 0.2))
    setting = Settings(
        years=years, discount_rate=rate,
        discount_rate_inputs=draw(st.none() | st.floats(0, 0.2)),
        discount_inputs=draw(st.booleans()), beyond_horizon=draw(st.booleans()),
        first_year=draw(st.none() | st.just(2025)), mc_draws=0)
    return Model(setting, tuple(Stakeholder(n) for n in names), tuple(assumptions),
                 tuple(inputs), tuple(outcomes), scenarios, draw(st.sampled_from(("nl", "en"))))


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


def scaled(amount: Amount | None, factor: float) -> Amount | None:
    if amount is None:
        return None
    return Amount(Binary("*", amount.node, Number(factor)), amount.text, amount.at)


def all_money_scaled(model: Model, factor: float) -> Model:
    """Every amount of money times ``factor``: proxies, amounts, hourly rates."""
    outcomes = tuple(replace(o, proxy=scaled(o.proxy, factor)) for o in model.outcomes)
    inputs = tuple(replace(i, amount=scaled(i.amount, factor), rate=scaled(i.rate, factor))
                   for i in model.inputs)
    return replace(model, outcomes=outcomes, inputs=inputs)


@PROFILE
@given(models())
def test_any_valid_model_computes(model: Model):
    assert [p for p in validate(model) if p.severity == "error"] == []
    for scenario in (None, "laag"):
        results = compute(model, scenario)
        h = results.headline
        assert math.isfinite(h.pv_value) and math.isfinite(h.pv_inputs)
        assert (h.ratio is None) == (h.pv_inputs == 0)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(models())
def test_any_valid_model_renders(tmp_path_factory, model: Model):
    """The result sheets hold the figures the model's numbers give, worked out here."""
    path = tmp_path_factory.mktemp("render") / "results.xlsx"
    path.write_bytes(render.render_results(compute(model)))
    want, scale = expected_figures(model)
    lang = model.language

    def same(found, expected) -> bool:
        return math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-9 * scale)

    shown = headline(path, lang)
    for key in ("pv_value", "pv_inputs", "npv", "value_nominal", "inputs_nominal"):
        assert same(shown[key], want[key]), (key, shown[key], want[key])
    rows = sheet_table(path, "outcomes", ["outcome_no", "value", "present_value"], lang)
    assert [int(r["outcome_no"]) for r in rows] == list(want["outcomes"])
    for r in rows:
        value, pv = want["outcomes"][int(r["outcome_no"])]
        assert same(r["value"], value) and same(r["present_value"], pv), (r, value, pv)
    rows = sheet_table(path, "stakeholders", ["stakeholder", "inputs", "value"], lang)
    assert len(rows) == len(model.stakeholders)
    for r, s in zip(rows, model.stakeholders, strict=True):
        inputs, value = want["stakeholders"][s.name]
        assert same(r["inputs"], inputs) and same(r["value"], value), (r, inputs, value)
    rows = sheet_table(path, "years", ["year", "inputs", "value"], lang,
                       model.settings.first_year)
    assert [int(r["year"]) for r in rows] == list(range(len(want["years"])))
    for r, (inputs, value) in zip(rows, want["years"], strict=True):
        assert same(r["inputs"], inputs) and same(r["value"], value), (r, inputs, value)


def expected_figures(model: Model) -> tuple[dict, float]:
    """The method worked through for the models drawn here (numbers, and formulas of the
    three shapes over assumptions), apart from the engine; and the size of the figures
    summed, which bounds their rounding error."""
    s = model.settings
    horizon = s.years
    monetised = [(n, o) for n, o in enumerate(model.outcomes, 1) if o.monetised]
    last = horizon
    if s.beyond_horizon:
        for _, o in monetised:
            last = max(last, (horizon if o.recurring else o.first_year) + o.duration - 1)

    def amount(a: Amount, t: int) -> float:
        node = a.node
        if isinstance(node, Number):
            return node.value
        inner = node if isinstance(node, Binary) else node.args[0]
        name = (inner.left if isinstance(inner, Binary) else inner).name
        assumption = next(x for x in model.assumptions if x.name == name)
        v = dict(assumption.per_year).get(t, assumption.value).node.value
        if isinstance(node, Binary):
            return v * node.right.value
        if node.func == "SUM":
            return v + node.args[1].value
        # Excel's ROUND: the 15 significant digits Excel shows, ties away from zero
        exact = Context(prec=15, rounding=ROUND_HALF_UP).plus(Decimal(repr(v * inner.right.value)))
        return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    values, inputs = [0.0] * (last + 1), [0.0] * (last + 1)
    outcomes, by_stakeholder = {}, {st.name: [0.0, 0.0] for st in model.stakeholders}
    scale = 1.0
    for n, o in monetised:
        value = pv = 0.0
        occurs = range(o.first_year, horizon + 1) if o.recurring else [o.first_year]
        for t in occurs:
            claim = ((1 - o.deadweight.node.value) * (1 - o.displacement.node.value)
                     * (1 - o.attribution.node.value))
            impact = amount(o.quantity, t) * amount(o.proxy, t) * claim
            for age in range(min(o.duration, last - t + 1)):
                counted = impact * (1 - o.dropoff.node.value) ** age
                values[t + age] += counted
                value += counted
                pv += counted / (1 + s.discount_rate) ** (t + age)
                scale += abs(counted)
        outcomes[n] = (value, pv)
        by_stakeholder[o.stakeholder][1] += pv
    rate = (s.input_rate if s.discount_inputs else 0.0)
    for item in model.inputs:
        for t in range(max(item.year, 0), horizon + 1) if item.recurring else [item.year]:
            put_in = (amount(item.hours, t) * amount(item.rate, t) if item.kind == "hours"
                      else amount(item.amount, t))
            inputs[t] += put_in
            by_stakeholder[item.stakeholder][0] += put_in / (1 + rate) ** t
            scale += abs(put_in)
    pv_value = sum(v / (1 + s.discount_rate) ** t for t, v in enumerate(values))
    pv_inputs = sum(v / (1 + rate) ** t for t, v in enumerate(inputs))
    return {"pv_value": pv_value, "pv_inputs": pv_inputs, "npv": pv_value - pv_inputs,
            "value_nominal": sum(values), "inputs_nominal": sum(inputs), "outcomes": outcomes,
            "stakeholders": by_stakeholder,
            "years": list(zip(inputs, values, strict=True))}, scale


@PROFILE
@given(models(), st.sampled_from((0.001, 0.37, 3.0, 1000.0)))
def test_ratio_unchanged_when_all_money_is_scaled(model: Model, factor: float):
    base = compute(model).headline
    other = compute(all_money_scaled(model, factor)).headline
    if base.ratio is None or abs(base.pv_inputs) < 1e-6:
        return
    assert math.isclose(base.ratio, other.ratio, rel_tol=1e-7, abs_tol=1e-9), (base, other)
    assert close(other.pv_value, base.pv_value * factor, abs(base.pv_value) * factor)


@PROFILE
@given(models(positive=True), st.floats(0, 0.2), st.floats(0.0001, 0.3))
def test_present_value_falls_as_the_discount_rate_rises(model: Model, rate: float, step: float):
    low = replace(model, settings=replace(model.settings, discount_rate=rate,
                                          discount_rate_inputs=None))
    high = replace(model, settings=replace(model.settings, discount_rate=rate + step,
                                           discount_rate_inputs=None))
    a, b = compute(low).headline, compute(high).headline
    assert b.pv_value <= a.pv_value * (1 + 1e-12) + 1e-9
    assert b.pv_inputs <= a.pv_inputs * (1 + 1e-12) + 1e-9
    assert b.value_nominal == pytest.approx(a.value_nominal, rel=1e-12, abs=1e-9)


@PROFILE
@given(models(positive=True))
def test_value_after_deductions_never_above_gross(model: Model):
    trail = compute(model).trail
    for row in trail.itertuples(index=False):
        assert row.impact <= row.gross * (1 + 1e-12) + 1e-9
        assert row.value <= row.gross * (1 + 1e-12) + 1e-9
        assert 0 <= row.claim <= 1 and 0 <= row.persistence <= 1


@PROFILE
@given(models())
def test_parts_add_up_to_the_totals(model: Model):
    results = compute(model)
    h = results.headline
    scale = (results.trail["present_value"].abs().sum()
             + results.inputs["present_value"].abs().sum() + 1)
    by = results.stakeholders
    assert close(by["value"].sum(), h.pv_value, scale)
    assert close(by["inputs"].sum(), h.pv_inputs, scale)
    for row in by.itertuples(index=False):
        assert close(row.net, row.value - row.inputs, scale)
    assert close(results.outcomes["present_value"].sum(), h.pv_value, scale)
    assert close(results.trail["present_value"].sum(), h.pv_value, scale)
    assert close(results.inputs["present_value"].sum(), h.pv_inputs, scale)
    assert close(results.years["pv_value"].sum(), h.pv_value, scale)
    assert close(results.years["pv_inputs"].sum(), h.pv_inputs, scale)
    assert close(h.npv, h.pv_value - h.pv_inputs, scale)
    assert set(by["stakeholder"]) == {s.name for s in model.stakeholders}
