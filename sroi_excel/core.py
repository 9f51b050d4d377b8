"""The SROI arithmetic, once: the engine's tables and every uncertainty analysis are built on it.

For outcome ``o`` occurring in year ``t`` (``shared/sroi-method.md``):

    gross  = quantity x proxy
    impact = gross x (1 - deadweight) x (1 - displacement) x (1 - attribution)
    value(t + age) = impact x (1 - drop-off)^age        age = 0 .. duration - 1

A value is a number or a numpy array of numbers (one per Monte Carlo draw or per trial point of
a switching-value search): the same code computes both, so there is one arithmetic to change.
Assumptions may be *set* to a value in every year (a scenario, a sensitivity end, a draw) or,
where they have values per year, *scaled* by a factor so that a scale-up keeps its shape.

Years in which an outcome occurs with the same figures (the same assumption values) form one
:class:`Cohort`: a recurring outcome whose figures do not change is computed once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import formula, prices
from .exceptions import FormulaError, PriceIndexError, ScenarioError, WorkbookError
from .model import Amount, InputItem, Model, Outcome, ReferencePrice, Settings

Value = Any  # float, or a numpy array of floats
DEDUCTIONS = ("deadweight", "attribution", "displacement", "dropoff")
_LABELS = {"deadweight": "deadweight", "attribution": "attribution",
           "displacement": "displacement", "dropoff": "drop-off"}


def _is_array(x: Value) -> bool:
    return not isinstance(x, float | int)


# --------------------------------------------------------------------------------------------
# Assumption values
# --------------------------------------------------------------------------------------------


class Values:
    """The assumption values of one year, a formula resolver (``formula.Resolver``).

    ``fixed`` values replace an assumption in every year; ``scaled`` ones multiply its value
    of the year. ``strict``: an array element without a value is an error (as a number is);
    else it is NaN, for searches that try points which may not compute.
    """

    __slots__ = ("frame", "year", "fixed", "scaled", "strict", "_memo", "_busy")

    def __init__(self, frame: Frame, year: int, fixed: Mapping[str, Value],
                 scaled: Mapping[str, Value], strict: bool):
        self.frame = frame
        self.year = year
        self.fixed = fixed
        self.scaled = scaled
        self.strict = strict
        self._memo: dict[str, Value] = {}
        self._busy: set[str] = set()

    def name(self, name: str) -> Value:
        key = name.casefold()
        found = self._memo.get(key)
        if found is not None:
            return found
        if key in self.fixed:
            value = self.fixed[key]
        else:
            amount = self.frame.amount_of(key, self.year, name)
            if key in self._busy:
                raise FormulaError(f"the assumption '{name}' depends on itself (a circular "
                                   "formula)")
            self._busy.add(key)
            try:
                value = evaluate_amount(amount, self)
            finally:
                self._busy.discard(key)
            if key in self.scaled:
                value = value * self.scaled[key]
        self._memo[key] = value
        return value

    def price(self, amount: Amount) -> prices.Indexation:
        return self.frame.price(amount)

    def point(self, k: int) -> Values:
        """These values with every array replaced by its element ``k``: one point, strictly."""
        def pick(values: Mapping[str, Value]) -> dict[str, Value]:
            return {key: float(v[k]) if _is_array(v) else v for key, v in values.items()}

        return Values(self.frame, self.year, pick(self.fixed), pick(self.scaled), True)

    def ref(self, sheet: str | None, cell: str) -> float:
        raise FormulaError(f"the cell reference {cell} was not resolved by the reader")

    def range(self, sheet: str | None, start: str, end: str) -> list[float]:
        raise FormulaError(f"the range {start}:{end} was not resolved by the reader")


def evaluate_amount(amount: Amount, values: Values) -> Value:
    """An amount's value in one year; an error names the amount's cell."""
    node = amount.node
    if type(node) is formula.Number and amount.price is None and math.isfinite(node.value):
        return float(node.value)  # most amounts are plain numbers
    if amount.price is not None:
        return values.price(amount).value
    try:
        result = formula.evaluate(node, values)
    except FormulaError as exc:
        raise _at(amount, f"{amount.text}: {exc}") from None
    if not _is_array(result):
        return float(result)
    if values.strict:
        import numpy as np

        bad = ~np.isfinite(result)
        if bad.any():
            _explain(amount, values, bad, lambda v: evaluate_amount(amount, v))
    return result


def evaluate_percent(amount: Amount, values: Values, label: str) -> Value:
    """A deduction's value in one year: a share between 0% and 100%."""
    value = evaluate_amount(amount, values)
    if not _is_array(value):
        if not 0.0 <= value <= 1.0:
            raise _at(amount, f"{label} is {value:.0%}; it must be between 0% and 100%")
        return value
    import numpy as np

    bad = ~((value >= 0.0) & (value <= 1.0))
    if not bad.any():
        return value
    if values.strict:
        shown = value[np.isfinite(value)]
        raise _at(amount, f"{label} falls outside 0%..100% for {int(bad.sum()):,} of "
                  f"{value.size:,} values tried (from {shown.min():.1%} to {shown.max():.1%}); "
                  "narrow the low and high of the assumptions it uses")
    return np.where(bad, np.nan, value)


def _explain(amount: Amount, values: Values, bad, again) -> None:
    """Raise the error of the first array element without a value, as that one point gives
    it, saying for how many of the points tried it happens."""
    k = int(bad.argmax())
    count = f" (for {int(bad.sum()):,} of {bad.size:,} values tried)"
    try:
        again(values.point(k))
    except WorkbookError as exc:
        p = exc.problem
        raise WorkbookError(p.message + count, p.sheet, p.cell) from None
    raise _at(amount, f"{amount.text}: the result is too large to calculate{count}")


def _at(amount: Amount | None, message: str) -> WorkbookError:
    at = amount.at if amount is not None else None
    return WorkbookError(message, at.sheet if at else "", at.ref if at else "")


def scenario_overrides(model: Model, name: str | None) -> tuple[str | None, dict[str, Amount]]:
    """The scenario's proper name and its assumption values by folded name; base: (None, {})."""
    if not name:
        return None, {}
    found = model.scenario(name)
    if found is None:
        names = ", ".join(s.name for s in model.scenarios) or "none"
        raise ScenarioError(f"there is no scenario named '{name}' (scenarios: {names})")
    return found.name, {key.casefold(): amount for key, amount in found.overrides}


def index_amount(amount: Amount, model: Model) -> prices.Indexation:
    """Index the reference price an amount names; a missing year is an error at its cell."""
    try:
        return prices.index_reference(amount.price, model.price_index,
                                      model.settings.price_year)
    except PriceIndexError as exc:
        raise _at(amount, str(exc)) from None


# --------------------------------------------------------------------------------------------
# Years and discounting
# --------------------------------------------------------------------------------------------


def discount_factor(rate: float, year: int) -> float:
    """1 / (1 + rate)^year; year 0 and earlier are not discounted."""
    return 1.0 if year <= 0 else (1.0 + rate) ** -year


def input_rate(settings: Settings) -> float:
    """The rate inputs are discounted at: none when the settings say they are not."""
    return settings.input_rate if settings.discount_inputs else 0.0


def outcome_years(o: Outcome, horizon: int) -> list[int]:
    """The years within the horizon in which an outcome occurs (each year, or once)."""
    occurs = range(o.first_year, horizon + 1) if o.recurring else (o.first_year,)
    return [t for t in occurs if 1 <= t <= horizon]


def input_years(item: InputItem, horizon: int) -> list[int]:
    """The years (0 = the start) in which an input is put in."""
    span = range(max(item.year, 0), horizon + 1) if item.recurring else (item.year,)
    return [t for t in span if t <= horizon]


def counted_ages(first: int, last: int, duration: int, year: int) -> range:
    """The ages of the cohorts occurring first..last still counting in ``year``, youngest
    first; empty when none does."""
    return range(max(0, year - last), min(year - first, duration - 1) + 1)


def last_counted_year(model: Model) -> int:
    """The horizon, or the last year an outcome lasts into when those years count."""
    settings = model.settings
    last = settings.years
    if settings.beyond_horizon:
        for o in model.outcomes:
            if o.monetised:
                start_last = settings.years if o.recurring else o.first_year
                last = max(last, start_last + o.duration - 1)
    return last


# --------------------------------------------------------------------------------------------
# One computation: a model under a scenario
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """An outcome occurring in years first..last with the same figures in each."""

    first: int
    last: int
    quantity: Value
    proxy: Value
    deadweight: Value
    attribution: Value
    displacement: Value
    dropoff: Value

    @property
    def gross(self) -> Value:
        return self.quantity * self.proxy

    @property
    def claim(self) -> Value:
        return (1 - self.deadweight) * (1 - self.displacement) * (1 - self.attribution)

    @property
    def impact(self) -> Value:
        return self.gross * self.claim


class Frame:
    """What every computation of a model under one scenario shares: the horizon, the years
    counted, the discount factors, the assumptions' amounts, indexed reference prices."""

    def __init__(self, model: Model, scenario: str | None):
        settings = model.settings
        self.model = model
        self.scenario, self.overrides = scenario_overrides(model, scenario)
        self.horizon = settings.years
        self.last_year = last_counted_year(model)
        years = range(self.last_year + 1)
        self.df_value = [discount_factor(settings.discount_rate, t) for t in years]
        self.df_inputs = [discount_factor(input_rate(settings), t) for t in years]
        self.assumptions = {a.name.casefold(): a for a in model.assumptions}
        self._per_year = {key: dict(a.per_year) for key, a in self.assumptions.items()}
        self._prices: dict[ReferencePrice, prices.Indexation] = {}
        # Outcomes alike in years, duration and drop-off count alike: computed once for them.
        self._known_shares: dict[tuple, list[tuple[int, Value]]] = {}
        self._weights: dict[tuple, float] = {}
        # Which amount each assumption has in each year: years alike share their values.
        self._amounts_by_year = [tuple(id(self.amount_of(key, t, key)) for key in self.assumptions)
                                 for t in years]

    def amount_of(self, key: str, year: int, name: str) -> Amount:
        """The amount an assumption has in a year: the scenario's, that year's, or its value."""
        a = self.assumptions.get(key)
        if a is None:
            raise FormulaError(f"the name '{name}' is not an assumption on the assumptions sheet")
        return self.overrides.get(key) or self._per_year[key].get(year) or a.value

    def has_own_years(self, key: str) -> bool:
        """Whether an assumption has values of its own per year that the scenario keeps."""
        return bool(self._per_year.get(key)) and key not in self.overrides

    def price(self, amount: Amount) -> prices.Indexation:
        found = self._prices.get(amount.price)
        if found is None:
            found = self._prices[amount.price] = index_amount(amount, self.model)
        return found

    def years(self, fixed: Mapping[str, Value] | None = None,
              scaled: Mapping[str, Value] | None = None, strict: bool = True) -> list[Values]:
        """The assumption values of years 0..last year. Years in which every assumption has
        the same amount share one object, so that an outcome is evaluated once for them."""
        fixed, scaled = fixed or {}, scaled or {}
        shared: dict[tuple[int, ...], Values] = {}
        found = []
        for t, amounts in enumerate(self._amounts_by_year):
            chosen = tuple(amounts[k] for k, key in enumerate(self.assumptions)
                           if key not in fixed) if fixed else amounts
            if chosen not in shared:
                shared[chosen] = Values(self, t, fixed, scaled, strict)
            found.append(shared[chosen])
        return found

    def cohorts(self, o: Outcome, years: list[Values]) -> list[Cohort]:
        """The outcome's figures per run of consecutive years with the same values."""
        runs: list[list] = []  # [first, last, values, fields]
        for t in outcome_years(o, self.horizon):
            if runs and years[t] is runs[-1][2] and runs[-1][1] == t - 1:
                runs[-1][1] = t
                continue
            values = years[t]
            quantity = evaluate_amount(o.quantity, values)
            proxy = evaluate_amount(o.proxy, values)
            fields = (quantity, proxy, *(evaluate_percent(getattr(o, key), values, _LABELS[key])
                                         for key in DEDUCTIONS))
            gross = quantity * proxy
            if not _is_array(gross) and not math.isfinite(gross):
                raise _at(o.quantity, f"the outcome '{o.name}' in year {t}: quantity "
                          f"{quantity:,.6g} x proxy {proxy:,.6g} is too large to compute; "
                          "check the quantity and proxy for a typing error")
            runs.append([t, t, values, fields])
        return [Cohort(first, last, *fields) for first, last, _, fields in runs]

    def shares(self, c: Cohort, duration: int) -> list[tuple[int, Value]]:
        """(year, what counts of one unit of impact in it): the sum over the cohort's years of
        occurrence still counting of (1 - drop-off)^age."""
        if _is_array(c.dropoff):
            return self._shares(c.first, c.last, duration, c.dropoff)
        key = (c.first, c.last, duration, c.dropoff)
        found = self._known_shares.get(key)
        if found is None:
            found = self._known_shares[key] = self._shares(*key)
        return found

    def _shares(self, first: int, last: int, duration: int, dropoff: Value
                ) -> list[tuple[int, Value]]:
        left = [(1 - dropoff) ** age for age in range(max(duration, 1))]
        found = []
        for year in range(first, min(last + duration - 1, self.last_year) + 1):
            ages = counted_ages(first, last, duration, year)
            found.append((year, sum(left[ages.start:ages.stop])))
        return found

    def present_value(self, c: Cohort, duration: int) -> Value:
        """The cohort's value discounted to year 0: impact x sum of share x discount factor."""
        key = (c.first, c.last, duration, c.dropoff)
        weight = None if _is_array(c.dropoff) else self._weights.get(key)
        if weight is None:
            weight = 0.0
            for year, share in self.shares(c, duration):
                weight = weight + share * self.df_value[year]
            if not _is_array(weight):
                self._weights[key] = weight
        return c.impact * weight

    def outcome_pv(self, o: Outcome, years: list[Values]) -> Value:
        total: Value = 0.0
        for c in self.cohorts(o, years):
            total = total + self.present_value(c, o.duration)
        return total

    def input_amounts(self, item: InputItem, years: list[Values]) -> list[tuple[int, Value]]:
        """(year, amount) for each year an input is put in: hours x rate, or the amount."""
        found = []
        for t in input_years(item, self.horizon):
            values = years[max(t, 0)]
            if item.kind == "hours":
                amount = (evaluate_amount(item.hours, values)
                          * evaluate_amount(item.rate, values))
            else:
                amount = evaluate_amount(item.amount, values)
            if not _is_array(amount) and not math.isfinite(amount):
                hours = item.kind == "hours"
                raise _at(item.hours if hours else item.amount,
                          f"the input '{item.description}' in year {t}: {amount:,.6g} is too "
                          "large to compute; check the "
                          f"{'hours and hourly rate' if hours else 'amount'} for a typing error")
            found.append((t, amount))
        return found

    def input_pv(self, item: InputItem, years: list[Values]) -> Value:
        total: Value = 0.0
        for t, amount in self.input_amounts(item, years):
            total = total + amount * self.df_inputs[t]
        return total
