"""compare: which changes between two versions move the figures, and by how much.

Every expected figure is worked out by hand in the comments; the property test checks on random
pairs of models that the parts add up to the whole.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sroi_excel import api, formula, locks, opc, ownsheets, packager, render_compare, safefile
from sroi_excel.compare import SHAPLEY_MAX, compare
from sroi_excel.exceptions import ValidationError, WorkbookError, WriteRefusedError
from sroi_excel.model import (
    Amount,
    Assumption,
    Outcome,
    PriceIndexPoint,
    ReferencePrice,
    Scenario,
)
from sroi_excel.opc import WORKBOOK, rels_path, resolve_target

from .builders import assume, f, model, money, outcome
from .conftest import ROOT, digest, edited_template, run
from .test_properties import PROFILE, amounts, models

BLENDED_CARE = ROOT / "examples" / "blended-care.xlsx"


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


def only(comparison, **match):
    found = [c for c in comparison.changes
             if all(getattr(c, k) == v for k, v in match.items())]
    assert len(found) == 1, [c.label("en") for c in comparison.changes]
    return found[0]


# --------------------------------------------------------------------------------------------
# Models built by hand: one year, no discounting unless said, so value = quantity x proxy
# --------------------------------------------------------------------------------------------


def simple(q=10, p=100, *more, inputs=500, **settings):
    """Stakeholder A: outcome 'o' (q x p) and an input of ``inputs`` at the start."""
    return model([outcome("A", q, p, name="o"), *more], [money("A", inputs)], **settings)


def test_one_change():
    # value 10 x 100 = 1,000 -> 10 x 120 = 1,200; inputs 500: ratio 2.0 -> 2.4, NPV 500 -> 700
    c = compare(simple(), simple(p=120))
    assert (c.old.ratio, c.new.ratio) == (2.0, 2.4)
    change = only(c)
    assert (change.section, change.subject, change.field, change.kind) == (
        "outcomes", "A · o", "proxy", "changed")
    assert (change.old.value, change.new.value) == (100.0, 120.0)
    assert change.label("en") == "Outcomes: A · o: Financial proxy"
    assert change.label("nl") == "Opbrengsten: A · o: Financiële proxy"
    assert close(change.ratio, 0.4) and close(change.npv, 200.0)
    assert change.stakeholders == (("A", 200.0),)
    assert c.method == "shapley" and c.computations == 2


def test_two_changes_that_interact_share_the_interaction_half_and_half():
    # Quantity 10 -> 12 and proxy 100 -> 150 of one outcome; inputs 500.
    #   v(none) = 10 x 100 = 1,000   v(q) = 12 x 100 = 1,200
    #   v(p)    = 10 x 150 = 1,500   v(both) = 12 x 150 = 1,800
    # Shapley, the average over the two orders:
    #   quantity: ((1,200 - 1,000) + (1,800 - 1,500)) / 2 = 250 = 2 x 100 + (2 x 50) / 2
    #   proxy:    ((1,500 - 1,000) + (1,800 - 1,200)) / 2 = 550 = 10 x 50 + (2 x 50) / 2
    # so the interaction 2 x 50 = 100 is split 50 / 50; 250 + 550 = 800 = 1,800 - 1,000.
    # On the ratio (inputs 500 throughout): 0.5 and 1.1, together 3.6 - 2.0 = 1.6.
    c = compare(simple(), simple(q=12, p=150))
    quantity, proxy = only(c, field="quantity"), only(c, field="proxy")
    assert close(quantity.npv, 250.0) and close(proxy.npv, 550.0)
    assert close(quantity.ratio, 0.5) and close(proxy.ratio, 1.1)
    assert [x.field for x in c.changes] == ["proxy", "quantity"]  # largest first
    assert c.computations == 4


def test_a_setting_and_a_proxy():
    # Two years, value 10 x p each year, inputs 1,000 at the start. Discounting at 10% weighs
    # the years A = 1/1.1 + 1/1.21 instead of 2:
    #   v(none) = 2,000 - 1,000          v(rate) = 1,000 A - 1,000
    #   v(proxy) = 3,000 - 1,000         v(both) = 1,500 A - 1,000
    # rate:  ((1,000 A - 2,000) + (1,500 A - 3,000)) / 2 = 1,250 (A - 2)
    # proxy: ((3,000 - 2,000) + (1,500 A - 1,000 A)) / 2 = 250 (2 + A)
    def version(rate, p):
        return model([outcome("A", 10, p, name="o", recurring=True)], [money("A", 1000)],
                     years=2, rate=rate)

    c = compare(version(0.0, 100), version(0.1, 150))
    a = 1 / 1.1 + 1 / 1.21
    assert close(only(c, field="discount_rate").npv, 1250 * (a - 2))
    assert close(only(c, field="proxy").npv, 250 * (2 + a))
    assert only(c, field="discount_rate").section == "settings"
    assert only(c, field="discount_rate").label("en") == "Settings: Discount rate (outcomes)"


def test_a_row_added():
    # B's outcome 'p', 5 x 40 = 200, is new: NPV +200, ratio +200 / 500 = +0.4, all for B.
    c = compare(simple(), simple(10, 100, outcome("B", 5, 40, name="p")))
    added = only(c)
    assert (added.subject, added.field, added.kind) == ("B · p", "row", "added")
    assert added.new.text("en") == "5 x 40" and added.old is None
    assert close(added.npv, 200.0) and close(added.ratio, 0.4)
    assert added.stakeholders == (("B", 200.0),)
    by = {s.stakeholder: s for s in c.stakeholders}
    assert by["B"].old == 0.0 and by["B"].new == 200.0 and by["B"].effects == ((0, 200.0),)


def test_a_row_moved_is_no_change():
    rows = [outcome("A", 10, 100, name="o"), outcome("B", 5, 40, name="p"),
            outcome("A", 2, 3, name="q")]
    old = model(rows, [money("A", 500), money("B", 50)])
    new = replace(old, outcomes=tuple(reversed(old.outcomes)),
                  inputs=tuple(reversed(old.inputs)))
    c = compare(old, new)
    assert c.changes == () and c.method == "none" and c.ratio_change == 0.0
    assert c.method_text("en") == "No change moves the figures."


def test_rows_matched_ignoring_case_spaces_and_unicode_form():
    old = model([outcome("Cliënten", 10, 100, name="Minder  schulden")],
                [money("Cliënten", 500)], stakeholders=("Cliënten",))
    decomposed = "Clie\u0308nten"  # the same name, its ë typed as e + combining diaeresis
    new = model([outcome(decomposed, 10, 120, name=" minder schulden")],
                [money(decomposed, 500)], stakeholders=(decomposed,))
    c = compare(old, new)
    assert [(x.field, x.kind) for x in c.changes] == [("proxy", "changed")]


def test_an_ambiguous_key_is_said_not_guessed():
    # The new version has A · o twice (rows 2 and 3): not matched with the old row, which
    # counts as removed (-1,000) while both new rows count as added (+1,000 and +80).
    old = simple()
    twice = (replace(outcome("A", 10, 100, name="o"), row=2),
             replace(outcome("A", 2, 40, name="o"), row=3))
    new = replace(old, outcomes=twice)
    c = compare(old, new)
    assert [n.en for n in c.notes] == [
        "Outcomes: 'A · o' is on more than one row (rows new 2, 3); those rows are not "
        "matched but compared as removed and added. Give each row its own description to "
        "match them."]
    assert sorted((x.kind, round(x.npv, 9)) for x in c.changes) == [
        ("added", 80.0), ("added", 1000.0), ("removed", -1000.0)]


def test_a_formula_rewritten_with_the_same_value_has_no_effect():
    q = assume("Q", 5)
    old = model([outcome("A", "=Q*2", 10, name="o"), outcome("A", "=Q*3", 1, name="r")],
                [money("A", 50)], assumptions=[q])
    new = model([outcome("A", "=2*Q", 10, name="o"), outcome("A", "= q * 3", 1, name="r")],
                [money("A", 50)], assumptions=[q])
    c = compare(old, new)
    # =Q*3 -> = q * 3 is the same formula (case and spaces); =Q*2 -> =2*Q another one, with
    # the same value in every year: listed, without an effect.
    change = only(c)
    assert (change.subject, change.kind, change.counted) == ("A · o", "same_value", False)
    assert change.note.en == "formula text changed, same value"
    assert (change.old.formula, change.new.formula) == ("=Q*2", "=2*Q")
    assert c.method == "none" and change.ratio == 0.0 and change.npv == 0.0


def test_a_tiny_value_typed_over_zero_is_a_change():
    # proxy 0 -> 1e-13 for a quantity of 1e6: value 0 -> 1e-7, so NPV -500 -> -500 + 1e-7.
    # Small beside 1, but not the same value: it moves the figures and is counted.
    c = compare(simple(q=1e6, p=0), simple(q=1e6, p=1e-13))
    change = only(c)
    assert (change.field, change.kind) == ("proxy", "changed")
    assert change.npv == pytest.approx(1e-7, rel=1e-6)
    assert change.npv == c.npv_change


def test_an_assumption_a_formula_uses():
    # quantity =Q*2 with Q 5 -> 6: value 10 x 10 = 100 -> 12 x 10 = 120, NPV +20. The
    # outcome's own cell did not change, so it is not listed.
    def version(value):
        return model([outcome("A", "=Q*2", 10, name="o")], [money("A", 50)],
                     assumptions=[assume("Q", value, low=4)])

    c = compare(version(5), version(6))
    change = only(c)
    assert (change.section, change.subject, change.field) == ("assumptions", "Q", "value")
    assert close(change.npv, 20.0) and close(change.ratio, 20 / 50)
    assert change.stakeholders == (("A", 20.0),)


def test_per_year_values_and_ranges():
    # Q in year 2: 5 -> 8 (three years, recurring): value in year 2 from 10 x 5 to 10 x 8,
    # NPV +30. Its range (low 4 -> 3) only feeds the uncertainty analysis: listed, no effect.
    def version(year2, low):
        return model([outcome("A", "=Q", 10, name="o", recurring=True)], [money("A", 50)],
                     assumptions=[assume("Q", 5, low=low, per_year=((2, year2),))], years=3)

    c = compare(version(5, 4), version(8, 3))
    per_year = only(c, field="per_year")
    assert close(per_year.npv, 30.0)
    assert per_year.new.text("en") == "year 2: 8"
    low = only(c, field="low")
    assert (low.kind, low.npv) == ("no_effect", 0.0)


def test_the_reported_scenario_counts_and_the_others_are_listed():
    # The settings report scenario 'laag', where Q = 3 -> 4: value 3 x 10 -> 4 x 10, NPV
    # +10. In scenario 'hoog' Q 9 -> 7: not the figures reported, so no effect.
    def version(low, high):
        return model([outcome("A", "=Q", 10, name="o")], [money("A", 50)],
                     assumptions=[assume("Q", 5)], scenario="laag",
                     scenarios=[Scenario("laag", (("Q", Amount.of(low)),)),
                                Scenario("hoog", (("Q", Amount.of(high)),))])

    c = compare(version(3, 9), version(4, 7))
    assert close(only(c, subject="laag · Q").npv, 10.0)
    hoog = only(c, subject="hoog · Q")
    assert hoog.kind == "no_effect" and hoog.note.en == "scenario not in the results"


def _priced(price: float, index_2025: float, price_year: int = 2025):
    ref = ReferencePrice("Visit", price, code="V", base_year=2020)
    proxy = Amount(formula.Number(price), "V", price=ref)
    return replace(model([Outcome("A", "o", Amount.of(10), proxy)], [money("A", 100)],
                         price_year=price_year),
                   reference_prices=(ref,),
                   price_index=(PriceIndexPoint(2020, 100.0, "CPI"),
                                PriceIndexPoint(2025, index_2025, "CPI")))


def test_a_reference_price_and_an_index_point():
    # proxy = price x CPI 2025 / CPI 2020, quantity 10:
    #   old 50 x 110/100 = 55   -> value 550
    #   new 60 x 120/100 = 72   -> value 720
    # price:  ((60 - 50) x 1.1 + (60 - 50) x 1.2) / 2 x 10 = 115
    # index:  (50 x 0.1 + 60 x 0.1) / 2 x 10 = 55;  115 + 55 = 170 = 720 - 550
    c = compare(_priced(50, 110), _priced(60, 120))
    price = only(c, section="reference_prices")
    assert (price.subject, price.field) == ("V: Visit", "price")
    assert close(price.npv, 115.0)
    index = only(c, section="price_index")
    assert (index.subject, index.field) == ("CPI 2025", "value") and close(index.npv, 55.0)
    assert len(c.changes) == 2  # the proxy cell still names V: not a change of its own


def test_a_different_price_year_is_a_change_with_a_note():
    # 2025 -> 2020: the proxy 50 x 110/100 = 55 becomes the base price 50; value -50.
    c = compare(_priced(50, 110), _priced(50, 110, price_year=2020))
    assert close(only(c, field="price_year").npv, -50.0)
    assert c.notes[0].en.startswith("The price years differ: 2025 in the old version, 2020 "
                                    "in the new one.")


def test_a_price_year_that_needs_a_new_index_point_waits_for_it():
    # 2025 -> 2026 with the CPI 2026 = 121 added. No model with the new price year but without
    # the point can be computed, so no Shapley value: the point is made first (it changes
    # nothing alone), then the price year: 10 x 50 x (121 - 110) / 100 = 55.
    old = _priced(50, 110)
    new = _priced(50, 110, price_year=2026)
    new = replace(new, price_index=(*new.price_index, PriceIndexPoint(2026, 121.0, "CPI")))
    c = compare(old, new)
    assert c.method == "sequence"
    steps = {x.section: (x.step, x.npv) for x in c.changes}
    assert steps == {"price_index": (1, 0.0), "settings": (2, pytest.approx(55.0))}
    assert "the price index 'CPI' has no value for 2026" in c.notes[-1].en
    assert c.notes[-1].en.endswith("A change that cannot be made before a later one (say a price "
                                   "year before the index point it needs) was made after it: "
                                   "see the column Step.")
    assert c.method_text("en").startswith("Attribution: in a fixed order. The changes are made")


def test_changes_that_each_need_the_other_are_not_split():
    # The new version's price year 2026 exists only in the series 'CPI2', which the reference
    # price only names in the new version: neither change can be made before the other.
    old = _priced(50, 110)
    new = _priced(50, 110, price_year=2026)
    ref = replace(new.reference_prices[0], index="CPI2")
    new = replace(new, reference_prices=(ref,),
                  outcomes=(replace(new.outcomes[0], proxy=replace(new.outcomes[0].proxy,
                                                                   price=ref)),),
                  price_index=(*new.price_index, PriceIndexPoint(2020, 100.0, "CPI2"),
                               PriceIndexPoint(2026, 130.0, "CPI2")))
    c = compare(old, new)
    assert c.method == "failed"
    assert close(c.npv_change, 10 * 50 * (1.3 - 1.1))
    assert {(x.section, x.field, x.npv, x.ratio) for x in c.counted} >= {
        ("settings", "price_year", None, None), ("reference_prices", "index", None, None)}
    assert c.notes[-1].en.startswith("The difference cannot be split over the changes")
    book = openpyxl.load_workbook(io.BytesIO(render_compare.render(c, "a.xlsx", "b.xlsx")))
    total = [r for r in book.active.iter_rows(values_only=True)
             if r[0] == "Totaal (= verschil in de kerncijfers)"]
    assert total[0][3:5] == ("–", "–")


def test_different_currencies_are_refused():
    with pytest.raises(WorkbookError, match=r"different currencies \(EUR in the old one, GBP "
                       r"in the new one\)"):
        compare(simple(), simple(currency="GBP"))


def test_more_changes_than_shapley_takes_are_made_in_a_fixed_order():
    # Nine outcomes of 1 x 10; the new version has every proxy 11 and o1's quantity 2: ten
    # changes, so they are made in the table's order (o1's quantity before its proxy):
    #   o1 quantity: (2 - 1) x 10 = 10;  o1 proxy: 2 x (11 - 10) = 2 (after the quantity);
    #   o2..o9 proxy: 1 each.  10 + 2 + 8 = 20 = (2 x 11 + 8 x 11) - 9 x 10.
    # (Shapley would give o1's quantity 10.5 and its proxy 1.5.)
    def version(p, q1):
        return model([outcome("A", q1 if k == 1 else 1, p, name=f"o{k}") for k in range(1, 10)],
                     [money("A", 100)])

    c = compare(version(10, 1), version(11, 2))
    assert len(c.counted) == SHAPLEY_MAX + 2 and c.method == "sequence"
    assert c.computations == 11
    steps = {(x.subject, x.field): (x.step, x.npv) for x in c.changes}
    assert steps[("A · o1", "quantity")] == (1, 10.0)
    assert steps[("A · o1", "proxy")] == (2, 2.0)
    assert [steps[(f"A · o{k}", "proxy")] for k in range(2, 10)] == [
        (k + 1, 1.0) for k in range(2, 10)]
    assert "in a fixed order" in c.method_text("en")
    data = c.to_dict()
    assert data["method"]["order"][:2] == ["Outcomes: A · o1: Quantity",
                                           "Outcomes: A · o1: Financial proxy"]


def test_kind_of_input_changed_is_one_change():
    # money 500 -> 20 hours x 30 = 600: one change (the fields depend on the kind), NPV -100.
    old = simple()
    hours = replace(old.inputs[0], kind="hours", amount=None, hours=Amount.of(20),
                    rate=Amount.of(30))
    c = compare(old, replace(old, inputs=(hours,)))
    change = only(c)
    assert (change.field, change.old.text("en"), change.new.text("en")) == (
        "kind", "money: 500", "hours: 20 x 30")
    assert close(change.npv, -100.0)


# --------------------------------------------------------------------------------------------
# The parts add up, on random pairs
# --------------------------------------------------------------------------------------------


@st.composite
def pairs(draw):
    """A model and a changed version: settings, assumptions, fields, rows added, removed and
    moved, each maybe."""
    old = draw(models())
    new = old
    maybe = st.booleans()
    if draw(maybe):
        new = replace(new, settings=replace(new.settings, discount_rate=draw(st.floats(0, 0.2)),
                                            discount_inputs=draw(maybe)))
    if draw(maybe):
        new = replace(new, settings=replace(new.settings, years=draw(st.integers(1, 12)),
                                            beyond_horizon=draw(maybe)))
    assumptions = []
    for a in new.assumptions:
        if draw(maybe):
            a = replace(a, value=Amount.of(draw(st.floats(0, 500))))
        assumptions.append(a)
    outcomes = []
    for o in new.outcomes:
        if draw(st.integers(0, 5)) == 0:
            continue  # removed
        if draw(maybe):
            o = replace(o, quantity=draw(amounts(False)))
        if draw(maybe):
            o = replace(o, proxy=draw(amounts(False)), deadweight=Amount.of(draw(st.floats(0, 1))))
        if draw(maybe):
            o = replace(o, duration=draw(st.integers(1, 8)), recurring=draw(maybe),
                        monetised=draw(maybe))
        outcomes.append(o)
    if draw(maybe):
        outcomes.append(replace(outcomes[0] if outcomes else old.outcomes[0], name="added"))
    inputs = [replace(i, amount=Amount.of(draw(st.floats(0, 1e5)))) if i.kind != "hours"
              and draw(maybe) else i for i in new.inputs]
    if draw(maybe):
        outcomes.reverse()
        inputs.reverse()
    return old, replace(new, assumptions=tuple(assumptions), outcomes=tuple(outcomes),
                        inputs=tuple(inputs))


@PROFILE
@given(pairs())
def test_the_parts_add_up_to_the_whole(pair):
    old, new = pair
    c = compare(old, new)
    counted = c.counted
    # Exact up to rounding at the size of the largest figure: parts of 1e12 that cancel to
    # about 0 agree with the total to 1e-9 of 1e12, not of 0.
    scale = max([abs(c.old.pv_value), abs(c.old.pv_inputs), abs(c.new.pv_value),
                 abs(c.new.pv_inputs), *(abs(x.npv) for x in counted)])
    assert close(sum(x.npv for x in counted), c.npv_change, scale)
    if c.ratio_change is not None and all(x.ratio is not None for x in counted):
        ratios = max([abs(c.old.ratio), abs(c.new.ratio), *(abs(x.ratio) for x in counted)])
        assert close(sum(x.ratio for x in counted), c.ratio_change, ratios)
    for x in c.changes:
        if not x.counted:
            assert x.npv == 0.0 and x.ratio == 0.0 and x.stakeholders == ()
        else:  # a change's effect, stakeholder by stakeholder
            assert close(sum(e for _, e in x.stakeholders), x.npv, scale)
    for s in c.stakeholders:
        assert close(sum(e for _, e in s.effects), s.change, scale)
    assert c.method == ("none" if not counted else
                        "shapley" if len(counted) <= SHAPLEY_MAX else "sequence")
    json.dumps(c.to_dict())


@PROFILE
@given(models())
def test_a_version_against_itself_or_its_rows_reordered(m):
    reordered = replace(m, outcomes=tuple(reversed(m.outcomes)),
                        inputs=tuple(reversed(m.inputs)))
    c = compare(m, reordered)
    # Only rows whose stakeholder and description two rows share are not matched (the models
    # here give every input the description 'input').
    assert all(x.section == "inputs" and x.field == "row" for x in c.changes)
    assert close(c.npv_change, 0.0, abs(c.old.pv_value) + abs(c.old.pv_inputs))


# --------------------------------------------------------------------------------------------
# Workbooks: the Blended Care example against a copy with one proxy changed
# --------------------------------------------------------------------------------------------


def changed_copy(source: Path, target: Path, edits: dict) -> Path:
    book = openpyxl.load_workbook(source)
    for (sheet, ref), value in edits.items():
        book[sheet][ref] = value
    book.save(target)
    return target


@pytest.fixture
def blended(tmp_path):
    old = tmp_path / "blended-care.xlsx"
    old.write_bytes(BLENDED_CARE.read_bytes())
    return old


# Blended Care counts years 1..5 at 2.25%: a yearly amount weighs A = sum of 1.0225^-t.
ANNUITY = (1 - 1.0225 ** -5) / 0.0225


def test_blended_care_with_the_employers_wage_cost_changed(blended, tmp_path):
    # Employers' productivity: quantity 1,300 x 1.1 x 0.5 = 715, proxy = wage cost x 4% x 5%,
    # deadweight 60% and attribution 70% (claim 0.4 x 0.3 = 0.12), every year 1..5.
    # Wage cost 55,380 -> 50,000: proxy 110.76 -> 100, so each year's value drops by
    # 715 x 10.76 x 0.12 = 923.208 and the NPV by 923.208 x A. Inputs do not change, so the
    # ratio drops by that over the PV of inputs.
    new = changed_copy(blended, tmp_path / "blended-care-v2.xlsx",
                       {("Aannames", "B27"): 50000})
    before = digest(blended), digest(new)
    report = api.compare(blended, new)
    assert (digest(blended), digest(new)) == before
    assert report.output == tmp_path / "blended-care-v2-compare.xlsx"
    c = report.comparison
    change = only(c)
    assert (change.section, change.subject, change.field) == ("assumptions", "Loonkosten",
                                                              "value")
    assert (change.old.value, change.new.value) == (55380.0, 50000.0)
    assert close(change.npv, -923.208 * ANNUITY)
    assert close(change.ratio, change.npv / c.old.pv_inputs)
    assert round(c.old.ratio, 2) == 2.20 and round(c.new.ratio, 2) == 2.16
    [(who, effect)] = change.stakeholders
    assert who == "Werkgevers" and close(effect, change.npv, 1e5)
    sheet = openpyxl.load_workbook(report.output)["Vergelijking"]
    assert sheet["A1"].value == "Vergelijking van twee versies"


def test_blended_care_with_an_outcome_proxy_typed_over(blended, tmp_path):
    # Welfare organisation's travel costs: quantity 25%, proxy =Reiskosten (3,065) typed over
    # with 3,500; deadweight 50%, attribution 50%: each year 0.25 x 435 x 0.25 = 27.1875 more.
    new = changed_copy(blended, tmp_path / "v2.xlsx", {("Opbrengsten", "E6"): 3500})
    c = api.compare(blended, new, output=tmp_path / "out.xlsx").comparison
    change = only(c)
    assert change.label("en") == ("Outcomes: Welzijnsorganisatie · Minder reiskosten: "
                                  "Financial proxy")
    assert (change.old.value, change.old.formula, change.new.value) == (3065.0, "=Reiskosten",
                                                                        3500.0)
    assert close(change.npv, 27.1875 * ANNUITY)


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def template(path: Path, lang: str = "nl", edits: dict | None = None) -> Path:
    path.write_bytes(edited_template(lang, edits))
    return path


def test_cli_writes_the_comparison_and_leaves_both_inputs(tmp_path):
    # The template: 40 participants x 25% success x 15,000, deadweight 30%, attribution 20%,
    # drop-off 50% over 2 years, every year of 3 at 2.25%. Success 25% -> 30%.
    old = template(tmp_path / "old.xlsx")
    new = template(tmp_path / "new.xlsx", edits={("Aannames", "B3"): 0.3})
    before = digest(old), digest(new)
    result = run("compare", old, new)
    assert result.exit_code == 0, result.output
    assert (digest(old), digest(new)) == before
    lines = result.output.splitlines()
    assert lines[0].startswith("old.xlsx -> new.xlsx: SROI ratio 1.86 -> 2.23 (+0.37) · NPV ")
    assert lines[2] == ("1 change(s) that move the figures, largest first (effect on the "
                        "ratio, on the NPV):")
    assert lines[3].endswith("Assumptions: Succes: Value: 0.25 -> 0.3")
    assert lines[-1] == f"wrote the comparison to {tmp_path / 'new-compare.xlsx'}"
    assert (tmp_path / "new-compare.xlsx").exists()
    assert not (tmp_path / "new.xlsx.bak").exists()


def test_cli_json(tmp_path):
    old = template(tmp_path / "old.xlsx", "en")
    new = template(tmp_path / "new.xlsx", "en", {("Assumptions", "B2"): 50,
                                                 ("Outcomes", "E2"): 16000})
    result = run("compare", old, new, "--json", "-o", tmp_path / "cmp.xlsx")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["written"] == str(tmp_path / "cmp.xlsx")
    assert (data["old_file"], data["new_file"]) == (str(old), str(new))
    assert data["old"]["sroi_ratio"] == pytest.approx(1.86, abs=0.005)
    assert data["method"]["name"] == "shapley" and data["sheet"] == "Comparison"
    assert [c["what"] for c in data["changes"]] == [
        "Assumptions: Participants: Value", "Outcomes: Council · Fewer benefit payments: "
        "Financial proxy"]
    assert close(sum(c["effect_npv"] for c in data["changes"]), data["change"]["npv"])
    assert close(sum(c["effect_ratio"] for c in data["changes"]), data["change"]["sroi_ratio"])
    assert openpyxl.load_workbook(tmp_path / "cmp.xlsx").sheetnames == ["Comparison"]


@pytest.mark.parametrize(("which", "edits", "message"), [
    ("new", {("Opbrengsten", "G2"): 1.5},
     "error: new.xlsx: Opbrengsten!G2: deadweight is 1.5, which reads as 150%"),
    ("old", {("Opbrengsten", "A2"): "Gemeent", ("Opbrengsten", "G2"): 1.5},
     "error: old.xlsx: Opbrengsten!A2: the stakeholder 'Gemeent' is not on the stakeholders "
     "sheet; did you mean 'Gemeente'? (and 1 more error(s))"),
    ("new", {("Instellingen", "B12"): "GBP"},
     "error: new.xlsx: Instellingen!B12: the two versions are in different currencies (EUR in "
     "the old one, GBP in the new one); a comparison would add up amounts in both, so convert "
     "one of them first\n"),
])
def test_cli_errors_exit_1_and_write_nothing(tmp_path, which, edits, message):
    paths = {name: template(tmp_path / f"{name}.xlsx", edits=edits if name == which else None)
             for name in ("old", "new")}
    before = {p: digest(p) for p in paths.values()}
    for into in ((), ("--into",)):
        result = run("compare", paths["old"], paths["new"], *into)
        assert result.exit_code == 1, result.output
        assert message in result.output
        assert {p: digest(p) for p in paths.values()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.xlsx", "old.xlsx"]
    data = json.loads(run("compare", paths["old"], paths["new"], "--json").output)
    assert data["ok"] is False
    assert f"error: {data['errors'][0]['message']}".startswith(message.strip())


def test_cli_exit_codes_of_files_and_options(tmp_path):
    old = template(tmp_path / "old.xlsx")
    new = template(tmp_path / "new.xlsx")
    text = tmp_path / "notes.xlsx"
    text.write_bytes(b"not a workbook at all")
    result = run("compare", old, text)
    assert result.exit_code == 3 and "is a CSV or text file, not an .xlsx workbook" in \
        result.output
    result = run("compare", tmp_path / "nope.xlsx", new)
    assert result.exit_code == 3 and "nope.xlsx: no such file" in result.output
    result = run("compare", old, new, "--into", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "-o/--output and --into exclude each other" in result.output
    result = run("compare", old, new, "-o", old)
    assert result.exit_code == 4
    assert f"error: the comparison would replace the workbook {old}" in result.output
    (tmp_path / "~$new.xlsx").write_bytes(b"")
    result = run("compare", old, new, "--into")
    assert result.exit_code == 4 and "is open in Excel" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.xlsx", "notes.xlsx", "old.xlsx",
                                                          "~$new.xlsx"]


def test_help_of_compare():
    result = run("compare", "--help")
    assert result.exit_code == 0
    assert "compare [OPTIONS] OLD NEW" in result.output
    assert "Exit codes: see sroi-excel --help." in result.output


def test_into_adds_the_sheet_and_keeps_every_other_one(tmp_path):
    old = template(tmp_path / "old.xlsx")
    new = template(tmp_path / "new.xlsx", edits={("Aannames", "B2"): 45})
    assert run("fill", new, "--draws", "0").exit_code == 0
    filled_bytes = new.read_bytes()
    filled = opc.read_package(filled_bytes)
    old_digest = digest(old)
    result = run("compare", old, new, "--into")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"wrote the sheet Vergelijking into {new} (previous version kept as new.xlsx.bak)")
    assert digest(old) == old_digest
    assert (tmp_path / "new.xlsx.bak").read_bytes() == filled_bytes
    parts = opc.read_package(new.read_bytes())
    names = packager.sheet_names(parts)
    assert names == [*packager.sheet_names(filled), "Vergelijking"]
    assert packager.owned_sheets(parts) == [*packager.owned_sheets(filled), "Vergelijking"]
    # The user's sheets are the same parts, byte for byte.
    for name in ("Instellingen", "Aannames", "Opbrengsten", "Resultaten"):
        assert sheet_xml(parts, name) == sheet_xml(filled, name), name
    # And the defined names of both, the local ones of fill's sheets among them.
    assert set(defined_names(filled)) <= set(defined_names(parts))
    # Again: the comparison is replaced, not added twice; a fill then replaces the tool's
    # sheets, the comparison among them.
    assert run("compare", old, new, "--into").exit_code == 0
    assert packager.sheet_names(opc.read_package(new.read_bytes())) == names
    assert run("fill", new, "--draws", "0").exit_code == 0
    assert packager.sheet_names(opc.read_package(new.read_bytes())) == names[:-1]


def test_into_keeps_the_record_of_fills_sheets_so_a_later_fill_still_finds_notes(tmp_path):
    # fill records a digest per sheet of the tool's, in the order the sheets are listed;
    # --into lists its sheet after fill's and records its digest there too. A fill then does
    # not refuse because of the comparison, and still names a note typed into its own sheets.
    old = template(tmp_path / "old.xlsx")
    new = template(tmp_path / "new.xlsx", edits={("Aannames", "B2"): 45})
    api.fill(new, draws=0)
    recorded = packager.read_property(opc.read_package(new.read_bytes()), ownsheets.PROPERTY)
    for _ in range(2):  # the second replaces the comparison and its digest
        api.compare(old, new, into=True)
        parts = opc.read_package(new.read_bytes())
        listed = packager.owned_sheets(parts)
        digests = packager.read_property(parts, ownsheets.PROPERTY).split("\n")
        assert listed[-1] == "Vergelijking" and len(digests) == len(listed)
        assert digests[:-1] == recorded.split("\n")
    book = openpyxl.load_workbook(new)
    book["Resultaten"]["H3"] = "notitie"
    book.save(new)
    with pytest.raises(ValidationError) as info:
        api.fill(new, draws=0)
    assert [p.where for p in info.value.problems if p.severity == "error"] == ["Resultaten!H3"]
    api.fill(new, draws=0, force=True)
    parts = opc.read_package(new.read_bytes())
    assert "Vergelijking" not in packager.sheet_names(parts)
    # The cells recorded are fill's again; the parts' bytes may differ (openpyxl renumbered
    # the workbook's styles, so the sheets' style numbers moved).
    cells = [line.split(" ")[0] for line in recorded.split("\n")]
    assert [line.split(" ")[0] for line in packager.read_property(
        parts, ownsheets.PROPERTY).split("\n")] == cells


def test_into_a_workbook_never_filled_then_fill(tmp_path):
    old = template(tmp_path / "old.xlsx")
    new = template(tmp_path / "new.xlsx", edits={("Aannames", "B2"): 45})
    api.compare(old, new, into=True)
    parts = opc.read_package(new.read_bytes())
    assert packager.owned_sheets(parts) == ["Vergelijking"]
    assert len(packager.read_property(parts, ownsheets.PROPERTY).split("\n")) == 1
    report = api.fill(new, draws=0)
    assert packager.sheet_names(opc.read_package(new.read_bytes()))[-len(report.sheets):] == \
        list(report.sheets)


def test_into_holds_the_workbooks_lock_from_reading_to_writing(tmp_path, monkeypatch):
    old = template(tmp_path / "old.xlsx")
    new = template(tmp_path / "new.xlsx", edits={("Aannames", "B2"): 45})
    lock = locks.lock_path(new)
    seen = []
    read, write = safefile.read_snapshot, safefile.write_atomic

    def reading(path, *args, **kwargs):
        seen.append(("read", Path(path).name, lock.exists()))
        return read(path, *args, **kwargs)

    def writing(path, *args, **kwargs):
        seen.append(("write", Path(path).name, lock.exists()))
        return write(path, *args, **kwargs)

    monkeypatch.setattr(safefile, "read_snapshot", reading)
    monkeypatch.setattr(safefile, "write_atomic", writing)
    api.compare(old, new, into=True)
    assert seen == [("read", "old.xlsx", True), ("read", "new.xlsx", True),
                    ("write", "new.xlsx", True)]
    assert not lock.exists()
    monkeypatch.setattr(locks, "LOCK_WAIT_S", 0.3)
    with locks.exclusive(new), ThreadPoolExecutor(1) as pool:  # as a fill of NEW would
        waiting = pool.submit(api.compare, old, new, into=True)
        with pytest.raises(WriteRefusedError, match="is being written by another sroi-excel"):
            waiting.result()


def defined_names(parts) -> list[tuple]:
    book = ElementTree.fromstring(parts[WORKBOOK])
    return [(n.get("name"), n.get("localSheetId"), n.text)
            for n in book.iter(f"{{{packager.NS_MAIN}}}definedName")]


def sheet_xml(parts, name: str) -> bytes:
    """The part of the sheet called ``name``."""
    book = ElementTree.fromstring(parts[WORKBOOK])
    rid = next(s.get(f"{{{packager.NS_R}}}id") for s in book.iter(f"{{{packager.NS_MAIN}}}sheet")
               if s.get("name") == name)
    rels = ElementTree.fromstring(parts[rels_path(WORKBOOK)])
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return parts[resolve_target(WORKBOOK, target)]


# --------------------------------------------------------------------------------------------
# The sheet
# --------------------------------------------------------------------------------------------


def test_the_sheet_shows_every_figure_in_its_format_and_wide_enough(tmp_path):
    old = template(tmp_path / "old.xlsx", "en")
    new = template(tmp_path / "new.xlsx", "en", {("Assumptions", "B2"): 4000,
                                                 ("Inputs", "E2"): 80000})
    report = api.compare(old, new, output=tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(report.output)["Comparison"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    headline = rows["SROI ratio"]
    assert ws.cell(headline, 2).number_format == "0.00"
    npv = rows["Net present value (NPV)"]
    assert ws.cell(npv, 2).number_format == '"€" #,##0.00;-"€" #,##0.00'
    assert ws.cell(npv, 4).value == f"=C{npv}-B{npv}"
    assert ws.cell(headline, 2).value == pytest.approx(report.comparison.old.ratio)
    total = rows["Total (= difference in the headline)"]
    assert ws.cell(total, 5).value.startswith("=SUM(E")
    # No ###: each column is wider than the longest figure shown in it.
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, int | float):
                width = next(d.width for d in ws.column_dimensions.values()
                             if d.min <= cell.column <= d.max)
                shown = f"€ {cell.value:,.2f}" if "€" in cell.number_format else \
                    f"{cell.value:,.2f}"
                assert width >= len(shown) + 1, (cell.coordinate, cell.value, width)
    # The waterfall: a stacked column chart whose first series has no fill.
    with zipfile.ZipFile(report.output) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert '<c:grouping val="stacked"/>' in chart
    assert chart.split("<c:ser>")[1].split("</c:spPr>")[0].count("<a:noFill/>") == 2


def test_a_note_on_different_price_years_in_the_sheet_and_output(tmp_path):
    # The hourly rate names a reference price of 2014 (HA-VISITE, 50), indexed with the CBS
    # CPI to each version's price year: 2025 in the old version, 2021 in the new one.
    old = template(tmp_path / "old.xlsx", edits={("Inbreng", "F2"): "HA-VISITE"})
    new = template(tmp_path / "new.xlsx", edits={("Inbreng", "F2"): "HA-VISITE",
                                                 ("Instellingen", "B11"): 2021})
    result = run("compare", old, new)
    assert result.exit_code == 0, result.output
    assert "note: The price years differ: 2025 in the old version, 2021 in the new one." in \
        result.output
    assert "Settings: Price year: 2025 -> 2021" in result.output
    ws = openpyxl.load_workbook(tmp_path / "new-compare.xlsx")["Vergelijking"]
    assert ws["A4"].value.startswith("Let op: Het prijspeil verschilt: 2025 in de oude versie, "
                                     "2021 in de nieuwe.")


def test_output_in_the_language_of_the_new_version(tmp_path):
    old = template(tmp_path / "old.xlsx", "nl")
    new = template(tmp_path / "new.xlsx", "en")
    book = io.BytesIO(api.compare(old, new).output.read_bytes())
    assert openpyxl.load_workbook(book).sheetnames == ["Comparison"]


def test_assumption_added_and_removed_are_listed_without_effect():
    q, r = assume("Q", 5), assume("R", 7)
    old = model([outcome("A", "=Q", 10, name="o")], [money("A", 50)], assumptions=[q])
    new = model([outcome("A", "=Q", 10, name="o")], [money("A", 50)], assumptions=[r, q])
    c = compare(old, new)
    change = only(c)
    assert (change.subject, change.kind, change.note.en) == (
        "R", "no_effect", "added; counts only where a formula uses the name")
    assert change.new.value == 7.0


def test_a_formula_naming_a_new_assumption():
    # quantity 10 -> =R with the new assumption R = 7: value 100 -> 70, NPV -30.
    old = model([outcome("A", 10, 10, name="o")], [money("A", 50)])
    new = model([outcome("A", "=R", 10, name="o")], [money("A", 50)],
                assumptions=[Assumption("R", f("7"))])
    c = compare(old, new)
    assert close(only(c, field="quantity").npv, -30.0)
