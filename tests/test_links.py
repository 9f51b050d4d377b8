"""links.Linker: which input cell a result may refer to, per amount and year."""

from __future__ import annotations

from sroi_excel import formula
from sroi_excel.links import Linker, Reason, Source
from sroi_excel.model import Amount, Cell, Scenario

from .builders import assume, model, outcome


def shared(text: str, *cells: str) -> list[Amount]:
    """Amounts in several cells that share one formula tree, as rows copied down do."""
    tree = formula.parse(text)
    return [Amount(tree, text, Cell("Opbrengsten", cell)) for cell in cells]


def test_rows_sharing_a_formula_each_refer_to_their_own_cell():
    linker = Linker(model([outcome("A", 1, 1)], assumptions=[assume("Bereik", 10)], years=3),
                    None)
    first, second = shared("=Bereik*2", "D2", "D3")
    assert linker.source(first, 1) == Source(Cell("Opbrengsten", "D2"))
    assert linker.source(second, 1) == Source(Cell("Opbrengsten", "D3"))


def test_a_value_of_its_own_for_a_year_is_a_reason_in_that_year_only():
    per_year = assume("Bereik", 10, per_year=[(2, 60)])
    linker = Linker(model([outcome("A", 1, 1)], assumptions=[per_year], years=3), None)
    first, second = shared("=Bereik*2", "D2", "D3")
    assert linker.source(first, 1).cell == Cell("Opbrengsten", "D2")
    assert linker.source(first, 2) == Source(None, (Reason("Bereik", year=2),))
    # the same tree in another row: year 2 still fixed, year 3 a reference again
    assert linker.source(second, 2) == Source(None, (Reason("Bereik", year=2),))
    assert linker.source(second, 3).cell == Cell("Opbrengsten", "D3")


def test_an_assumption_a_scenario_overrides_is_a_reason_every_year():
    scenario = Scenario("laag", (("Bereik", Amount.of(5)),))
    linker = Linker(model([outcome("A", 1, 1)], assumptions=[assume("Bereik", 10)], years=2,
                          scenarios=[scenario]), "laag")
    (amount,) = shared("=Bereik*2", "D2")
    for year in (1, 2):
        assert linker.source(amount, year) == Source(None, (Reason("Bereik", scenario="laag"),))


def test_numbers_defaults_texts_and_prices():
    linker = Linker(model([outcome("A", 1, 1)]), None)
    assert linker.source(None, 1) == Source(None)
    assert linker.source(Amount.of(3), 1) == Source(None, (Reason("", default=True),))
    at = Cell("Opbrengsten", "G2")
    assert linker.source(Amount(formula.Number(0.1), "0.1", at), 1) == Source(at)
    assert linker.source(Amount(formula.Number(0.1), "10 procent", at), 1) == Source(
        None, (Reason("", text=True),))
