"""Which input cell holds the value the engine used, so a result cell can refer to it.

A result formula such as ``=Opbrengsten!D2`` is only right when that cell, as Excel computes
it, holds the value the engine used. It does not when the value depends (directly or through
other assumptions) on an assumption that the chosen scenario overrides, or that has its own
value for the year in question (the ``Jaar n`` columns): the cell then shows the base value.
Such figures are written as values and say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from . import formula
from .core import DEDUCTIONS, scenario_overrides
from .model import Amount, Cell, Model, Outcome
from .schema import plain_yesno


@dataclass(frozen=True)
class Reason:
    """Why a cell cannot be referred to: an assumption overridden by a scenario or a year."""

    assumption: str
    scenario: str | None = None  # set: the scenario overrides it
    year: int | None = None  # set: the assumption has its own value for this year
    default: bool = False  # the workbook has no cell for this value (a default)
    price: str | None = None  # the cell names a reference price (text), indexed by the reader
    text: bool = False  # the cell holds something other than a number or a formula
    calendar: bool = False  # a first year typed as a calendar year
    runs: bool = False  # the outcome's figures differ per year: its years are as of the fill


class Source(NamedTuple):
    """The cell to refer to, or (cell None) the reasons a value must be written instead."""

    # A named tuple, not a frozen dataclass: fill makes one per figure of every outcome
    # (60,000 at 10,000 outcomes), and a tuple is made in about half the time.

    cell: Cell | None
    reasons: tuple[Reason, ...] = ()


class Linker:
    """Answers "may this amount, in this year, be a reference to its own cell?"."""

    def __init__(self, model: Model, scenario: str | None):
        self.model = model
        self.scenario, overrides = scenario_overrides(model, scenario)
        self.overridden = set(overrides)
        self.assumptions = {a.name.casefold(): a for a in model.assumptions}
        self._closure: dict[str, frozenset[str]] = {}
        self._reasons: dict[tuple[int, int], tuple[formula.Node, tuple[Reason, ...]]] = {}

    def names(self, node: formula.Node) -> frozenset[str]:
        """Assumption names (folded) the formula depends on, through the assumptions' cells."""
        found: set[str] = set()
        for key in formula.name_keys(node):
            found |= self._name_closure(key, frozenset())
        return frozenset(found)

    def _name_closure(self, key: str, busy: frozenset[str]) -> frozenset[str]:
        if key in self._closure:
            return self._closure[key]
        found = {key}
        assumption = self.assumptions.get(key)
        # The value cell is what Excel computes when a formula refers to the assumption.
        if assumption is not None and key not in busy:
            for name in formula.name_keys(assumption.value.node):
                found |= self._name_closure(name, busy | {key})
        result = frozenset(found)
        self._closure[key] = result
        return result

    def source(self, amount: Amount | None, year: int) -> Source:
        """Where the value of ``amount`` used in ``year`` can be read in the workbook."""
        if amount is None:
            return _NOWHERE
        at = amount.at
        if at is None:
            return _DEFAULT
        price = getattr(amount, "price", None)
        if price is not None:
            return Source(None, (Reason("", price=price.code or price.item),))
        if not _number_or_formula(amount.text):
            return _TEXT
        node = amount.node
        if type(node) is formula.Number:  # most amounts: a number, no assumption
            return Source(at)
        # Rows copied down share one formula tree (see reader_formulas.Formulas.resolved): its
        # reasons are found once per year. Kept with the tree, so that a tree's id is never
        # taken for that of another made after it.
        key = (id(node), year)
        found = self._reasons.get(key)
        if found is None or found[0] is not node:
            found = self._reasons[key] = (node, self._reasons_for(node, year))
        reasons = found[1]
        return Source(None, reasons) if reasons else Source(at)

    def _reasons_for(self, node: formula.Node, year: int) -> tuple[Reason, ...]:
        reasons = []
        for key in sorted(self.names(node)):
            assumption = self.assumptions.get(key)
            label = assumption.name if assumption is not None else key
            if key in self.overridden:
                reasons.append(Reason(label, scenario=self.scenario))
            elif assumption is not None and any(y == year for y, _ in assumption.per_year):
                reasons.append(Reason(label, year=year))
        return tuple(reasons)

    def shape(self, outcome: Outcome, rows: int) -> dict[str, Source]:
        """Where the trail's formulas can read an outcome's duration, first year, every year
        and monetised (by those keys; only the columns the sheet has).

        First year and every year decide which years the outcome occurs in; a formula can
        follow them only where those years all have the same figures, one trail row
        (``rows``) reaching no assumption with values per year."""
        runs = rows != 1 or self._reaches_years(outcome)
        found = {}
        for key, at, value in outcome.cells:
            if key not in ("duration", "first_year", "recurring", "monetised"):
                continue  # a column that documents the outcome
            if key in ("first_year", "recurring") and runs:
                found[key] = _RUNS
            elif key in ("recurring", "monetised"):
                found[key] = Source(at) if plain_yesno(value) else _TEXT
            elif value is None or _number(value) and (key == "duration"
                                                      or value == outcome.first_year):
                found[key] = Source(at)
            else:
                found[key] = _CALENDAR if _number(value) else _TEXT
        return found

    def _reaches_years(self, outcome: Outcome) -> bool:
        """Whether an outcome's figures reach an assumption with values per year (that the
        scenario does not replace)."""
        for key in ("quantity", "proxy", *DEDUCTIONS):
            amount = getattr(outcome, key)
            if amount is None or type(amount.node) is formula.Number:
                continue
            for name in self.names(amount.node):
                found = self.assumptions.get(name)
                if found is not None and found.per_year and name not in self.overridden:
                    return True
        return False


_NOWHERE = Source(None)
_RUNS = Source(None, (Reason("", runs=True),))
_CALENDAR = Source(None, (Reason("", calendar=True),))
_DEFAULT = Source(None, (Reason("", default=True),))
_TEXT = Source(None, (Reason("", text=True),))


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_or_formula(text: str) -> bool:
    """Whether the cell holds what Excel computes as this amount (not a text the reader read)."""
    if not text or text.startswith("="):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True
