"""The typed model of one analysis, as read from a workbook. Frozen: the engine never edits it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .formula import Node, Number


@dataclass(frozen=True)
class Cell:
    """Where a value was typed: sheet name as in the workbook, and an A1 reference."""

    sheet: str
    ref: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.ref}"


@dataclass(frozen=True)
class Amount:
    """A number or a formula over assumptions, with the cell it came from.

    ``node`` refers to assumptions by ``Name`` only: the reader has already turned references
    to assumption cells into names and inlined every other referenced cell.
    """

    node: Node
    text: str = ""
    at: Cell | None = None
    # The reference price the cell names (its code or item typed instead of a number). The
    # engine indexes it to the price year; ``node`` holds the same value, computed by the reader.
    price: ReferencePrice | None = None

    @property
    def is_formula(self) -> bool:
        return not isinstance(self.node, Number)

    @classmethod
    def of(cls, value: float, at: Cell | None = None) -> Amount:
        """A plain number."""
        return cls(Number(float(value)), _number_text(value), at)


def _number_text(value: float) -> str:
    return f"{value:g}" if float(value) != int(value) else str(int(value))


@dataclass(frozen=True)
class ReferencePrice:
    """A row of the reference-price sheet: a published unit cost in the prices of its base year.

    ``published`` is a value someone published for ``published_year`` (often rounded); when that
    year is the analysis price year it is used instead of the exactly indexed price.
    """

    item: str
    price: float
    code: str = ""
    unit: str = ""
    base_year: int | None = None  # None: used as it is, never indexed
    source: str = ""
    index: str = ""  # name of the price index series; "" = the first series on the index sheet
    published: float | None = None
    published_year: int | None = None
    published_source: str = ""
    at: Cell | None = None  # the price cell

    @property
    def label(self) -> str:
        return f"{self.code}: {self.item}" if self.code else self.item


@dataclass(frozen=True)
class PriceIndexPoint:
    """One value of a price index (CPI or another series) for one calendar year."""

    year: int
    value: float
    name: str = ""
    source: str = ""
    at: Cell | None = None


class Located:
    """A record that keeps where some of its fields were read: ``cells`` of (key, cell, ...)."""

    cells: tuple[tuple, ...]

    def cell(self, key: str) -> Cell | None:
        """The cell the field ``key`` was read from, if the sheet has it."""
        return next((found[1] for found in self.cells if found[0] == key), None)


@dataclass(frozen=True)
class Settings(Located):
    """The analysis' settings, from the settings sheet."""

    name: str = ""
    organisation: str = ""
    analysis_type: str = "forecast"  # forecast or evaluative
    first_year: int | None = None  # calendar year of analysis year 1
    years: int = 1
    discount_rate: float = 0.0
    discount_rate_inputs: float | None = None  # None: same as discount_rate
    discount_inputs: bool = True
    beyond_horizon: bool = False
    price_year: int | None = None
    currency: str = "EUR"
    note: str = ""  # printed on the results sheet
    scenario: str | None = None
    # Uncertainty (uncertainty.py): Monte Carlo draws (0 = none) and seed, the step by which
    # sensitivity moves each deduction, and a stakeholder whose NPV=0 switching values to find.
    mc_draws: int = 10_000
    mc_seed: int = 12345
    sensitivity_step: float = 0.10
    switching_stakeholder: str | None = None
    # Where each setting was read ((key, cell) pairs), so result formulas can refer to it.
    cells: tuple[tuple[str, Cell], ...] = field(default=(), compare=False)
    # For the quality checklist: what would happen without the intervention, and the values
    # the adjusted view gives an unevidenced 0% deduction (None: the shipped default).
    counterfactual: str = ""
    adjusted_deadweight: float | None = None
    adjusted_attribution: float | None = None
    adjusted_displacement: float | None = None
    adjusted_dropoff: float | None = None

    @property
    def input_rate(self) -> float:
        if self.discount_rate_inputs is None:
            return self.discount_rate
        return self.discount_rate_inputs


@dataclass(frozen=True)
class Stakeholder(Located):
    """A stakeholder, from the stakeholders sheet."""

    name: str
    description: str = ""
    at: Cell | None = None
    # The kind of party (schema.category_of): a key of schema.CATEGORIES, free text, or "".
    category: str = ""
    involvement: str = ""  # how the party was involved in the analysis, as typed
    cells: tuple[tuple[str, Cell], ...] = field(default=(), compare=False)  # (key, cell)


@dataclass(frozen=True)
class Assumption:
    """A named value formulas may use, with its range and Monte Carlo distribution."""

    name: str
    value: Amount
    unit: str = ""
    source: str = ""
    low: float | None = None
    high: float | None = None
    per_year: tuple[tuple[int, Amount], ...] = ()  # (analysis year, value) where given
    at: Cell | None = None
    # Monte Carlo: uniform, triangular, pert or fixed; None = triangular when low and high
    # are both given, else fixed.
    distribution: str | None = None


@dataclass(frozen=True)
class InputItem:
    """One row of the inputs sheet: money, hours at a rate, or in kind."""

    stakeholder: str
    description: str
    kind: str  # money, hours or in_kind
    amount: Amount | None = None  # money and in kind
    hours: Amount | None = None
    rate: Amount | None = None
    year: int = 0
    recurring: bool = False
    source: str = ""
    row: int = 0
    at: Cell | None = None  # the row's first cell


@dataclass(frozen=True)
class Outcome(Located):
    """One row of the outcomes sheet: a quantity, its financial proxy and deductions."""

    stakeholder: str
    name: str
    quantity: Amount | None
    proxy: Amount | None
    indicator: str = ""
    proxy_source: str = ""
    deadweight: Amount = field(default_factory=lambda: Amount.of(0))
    attribution: Amount = field(default_factory=lambda: Amount.of(0))
    displacement: Amount = field(default_factory=lambda: Amount.of(0))
    dropoff: Amount = field(default_factory=lambda: Amount.of(0))
    duration: int = 1
    first_year: int = 1
    recurring: bool = False
    monetised: bool = True  # False also for an excluded outcome: listed, not valued
    row: int = 0
    at: Cell | None = None
    evidence: str = ""  # the source or reasoning behind the deductions and the duration
    excluded: str | None = None  # a key of schema.EXCLUSIONS: not material, double counted, ...
    exclusion_reason: str = ""
    # Where the evidence, exclusion, proxy source and the columns that say in which years the
    # outcome counts were read, and what the cell held (None: empty): (key, cell, value), so
    # messages can name them and result formulas refer to them.
    cells: tuple[tuple[str, Cell, object], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Scenario:
    """A named set of assumption values that replace the base values."""

    name: str
    overrides: tuple[tuple[str, Amount], ...]  # assumption name -> value


@dataclass(frozen=True)
class Model:
    """Everything read from a workbook that the computation uses."""

    settings: Settings
    stakeholders: tuple[Stakeholder, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    inputs: tuple[InputItem, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    language: str = "nl"
    reference_prices: tuple[ReferencePrice, ...] = ()
    price_index: tuple[PriceIndexPoint, ...] = ()

    def scenario(self, name: str) -> Scenario | None:
        wanted = name.strip().casefold()
        return next((s for s in self.scenarios if s.name.casefold() == wanted), None)
