"""check.validate: formulas evaluated for every year and scenario, problems in their order.

Expected problems are written out by hand. validate skips evaluations that can only repeat
one another (see check.py); these models are built so that a skip in the wrong place would
lose or reorder a problem.
"""

from __future__ import annotations

from sroi_excel import formula
from sroi_excel.check import validate
from sroi_excel.exceptions import Problem
from sroi_excel.model import Amount, Cell, Scenario

from .builders import assume, model, money, outcome

PERCENT = "must be between 0% and 100%"


def at(text: str, ref: str, sheet: str = "Opbrengsten") -> Amount:
    return Amount(formula.parse(text), text, Cell(sheet, ref))


def test_problems_by_year_and_scenario_in_order():
    # Share is 20%, but 150% in year 3; Cost is 10, but -5 in year 2. Outcome A's deadweight
    # is =Share (G2); outcome B's attribution is 120% in every year (H3); the input is =Cost.
    # Scenario "hoog" replaces Unused (nothing uses it); "breek" sets Share to 200% in every
    # year.
    m = model([outcome("A", 10, 5, dw=at("=Share", "G2"), name="a"),
               outcome("A", 10, 5, attr=at("1.2", "H3"), name="b")],
              [money("B", at("=Cost", "D2", "Inbreng"))],
              [assume("Share", 0.2, per_year=[(3, 1.5)]), assume("Cost", 10, per_year=[(2, -5)]),
               assume("Unused", 1)],
              years=4,
              scenarios=[Scenario("hoog", (("Unused", Amount.of(2)),)),
                         Scenario("breek", (("share", Amount.of(2)),))])
    b = Problem("Opbrengsten", "H3", f"attribution is 120%; it {PERCENT}")
    cost = Problem("Inbreng", "D2", "=Cost gives -5.00; an input cannot be negative")
    a150 = Problem("Opbrengsten", "G2", f"deadweight is 150%; it {PERCENT}")
    a200 = Problem("Opbrengsten", "G2", f"deadweight is 200%; it {PERCENT}")

    def named(p: Problem, scenario: str) -> Problem:
        return Problem(p.sheet, p.cell, f"{p.message} (scenario '{scenario}')")

    assert validate(m) == [
        b, cost, a150,  # base values: year 1, 2, 3
        named(b, "hoog"), named(cost, "hoog"), named(a150, "hoog"),
        named(a200, "breek"), named(b, "breek"), named(cost, "breek"),  # year 1, year 2
    ]


def test_an_assumption_through_another_one_is_followed():
    # Rate = Base x 2, with Base 0.3 but 0.6 in year 2 (Rate 120%): only year 2 fails. In
    # scenario "laag", Base is 0.1 in every year (Rate 20%): nothing fails.
    m = model([outcome("A", 10, 5, drop=at("=Rate", "J2"), duration=2)], [money("B", 100)],
              [assume("Rate", "=Base*2"), assume("Base", 0.3, per_year=[(2, 0.6)])], years=3,
              scenarios=[Scenario("laag", (("Base", Amount.of(0.1)),))])
    assert validate(m) == [Problem("Opbrengsten", "J2", f"drop-off is 120%; it {PERCENT}")]


def test_every_outcome_is_checked_in_a_large_model():
    # 3,000 outcomes; every 1,000th has a deadweight of 101%.
    outcomes = [outcome("A", 1, 1, dw=at("1.01" if k % 1000 == 999 else "0.1", f"G{k + 2}"))
                for k in range(3000)]
    m = model(outcomes, [money("B", 100)], years=5,
              scenarios=[Scenario("s", (("X", Amount.of(1)),))], assumptions=[assume("X", 0)])
    cells = [f"G{k + 2}" for k in (999, 1999, 2999)]
    message = f"deadweight is 101%; it {PERCENT}"
    assert validate(m) == ([Problem("Opbrengsten", c, message) for c in cells]
                           + [Problem("Opbrengsten", c, message + " (scenario 's')")
                              for c in cells])
