"""Models built in Python for the engine and uncertainty tests: numbers, or formulas as text."""

from __future__ import annotations

from sroi_excel import formula
from sroi_excel.model import (
    Amount,
    Assumption,
    Cell,
    InputItem,
    Model,
    Outcome,
    Settings,
    Stakeholder,
)


def f(text: str) -> Amount:
    """An amount typed as a formula (or a number) in a cell."""
    return Amount(formula.parse(text), text, Cell("Opbrengsten", "D2"))


def n(value: float) -> Amount:
    return Amount.of(value)


def amount(v) -> Amount | None:
    """None, an Amount, a formula ("=Q*2") or a number, as an Amount."""
    if v is None or isinstance(v, Amount):
        return v
    if isinstance(v, str):
        return f(v)
    return n(v)


def money(who: str, value, year: int = 0, recurring: bool = False) -> InputItem:
    return InputItem(who, "input", "money", amount=amount(value), year=year, recurring=recurring)


def outcome(who: str, quantity, proxy, dw=0.0, attr=0.0, disp=0.0, drop=0.0, duration=1,
            first=1, recurring=False, name="outcome", monetised=True) -> Outcome:
    return Outcome(who, name, amount(quantity), amount(proxy), deadweight=amount(dw),
                   attribution=amount(attr), displacement=amount(disp), dropoff=amount(drop),
                   duration=duration, first_year=first, recurring=recurring,
                   monetised=monetised)


def assume(name: str, value, low=None, high=None, unit="", distribution=None, per_year=()):
    return Assumption(name, amount(value), unit, "source", low, high,
                      tuple((y, amount(v)) for y, v in per_year),
                      Cell("Aannames", "B2"), distribution)


def model(outcomes, inputs=(), assumptions=(), years=1, rate=0.0, stakeholders=("A", "B"),
          scenarios=(), **settings) -> Model:
    return Model(Settings(years=years, discount_rate=rate, **settings),
                 tuple(Stakeholder(s) for s in stakeholders), tuple(assumptions),
                 tuple(inputs), tuple(outcomes), tuple(scenarios))
