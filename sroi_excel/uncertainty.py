"""How sure is the ratio: scenarios side by side, one-at-a-time sensitivity, switching values
and Monte Carlo. Pure computation: no files, no printing.

Everything goes through ``_Evaluator``, a copy of the engine's arithmetic (engine.py
``compute``) that takes, for any assumption, a value or a numpy array of values (one per draw
or per trial point), so that 10,000 draws or a grid of trial points cost one pass over the
outcomes instead of one ``compute`` each. Where every value is a plain number it does exactly
what the engine does, in the same order (the loop over years and ages in numpy, every sum
taken one term after the other), so it returns the engine's figures to the last bit; the
scenario comparison uses that run, and the engine itself wherever anything fails, so that an
error reads as the engine words it.

How it scales (10,000 outcomes, 10 years: about a third of a second): the base run keeps, for every
outcome whose fields are the same each year, its quantity, proxy, deductions and the discount
weights of its ages. One outcome's deduction is one factor of that outcome's PV, and the
total is the other outcomes' PV (fixed) plus that one, so the sensitivity and switching values
of every outcome's deductions are computed together, in closed form over arrays (drop-off, a
polynomial in 1 - drop-off, on the same trial points and grid as the others). An assumption is
re-evaluated only in the outcomes and fields that use it, outcomes whose formulas have the same
shape together (one plan per formula, shared by the outcomes with equal formulas). Outcomes
whose fields change by year are recomputed one by one, as before. The sensitivity and switching
tables (four rows per outcome) stay columns of numbers until they are read: ``Rows`` makes
the row objects then, and behaves as the tuple of them.

Conventions chosen here (and stated on the sensitivity sheets):

* A value set for an assumption (low, high, a switching point, a draw) replaces it in every
  year, as a scenario override does in the engine; its per-year values are not used then.
* The analysis is done on the scenario the results report (settings or ``--scenario``).
* Deductions move by an absolute step (10% -> 0% and 20% with a step of 10 points), kept
  within 0%..100%.
* A switching value is where the SROI ratio is 1, i.e. where NPV = PV(outcomes) - PV(inputs)
  is 0. NPV is affine in an assumption that enters every term it touches once, as a factor,
  which is the common case; two trial points then give the root exactly, and it is verified
  by evaluating there. Otherwise (drop-off over three or more years, an assumption squared or
  in a discount-like chain) a grid over the allowed range brackets the root and repeated
  subdivision narrows it to ~1e-12.
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from . import formula
from .engine import (
    Results,
    compute,
    discount_factors,
    index_amount,
    input_years,
    last_counted_year,
    outcome_years,
    scenario_overrides,
)
from .exceptions import FormulaError, SroiError, WorkbookError
from .model import Amount, Assumption, Model, Outcome, collector_paused
from .schema import Text

Value = float | np.ndarray
Progress = Callable[[int, int], None]

DEDUCTIONS = ("deadweight", "attribution", "displacement", "dropoff")
DEDUCTION_LABELS = {
    "deadweight": Text("deadweight", "deadweight"),
    "attribution": Text("attributie", "attribution"),
    "displacement": Text("verplaatsing", "displacement"),
    "dropoff": Text("uitdoving", "drop-off"),
}
DISTRIBUTIONS = ("uniform", "triangular", "pert")
MAX_DRAWS = 1_000_000
# The sensitivity sheet shows this many rows of each table: the first of the sensitivity rows
# (largest effect first) and the most fragile switching rows (see most_fragile).
SHOWN_ROWS = 200
HISTOGRAM_BINS = 20
_REL_TOL = 1e-9  # |NPV| below this share of the base figures counts as zero
_GRID = 129


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class Rows(Sequence):
    """A tuple of result rows, each made when it is asked for from columns the analysis keeps.

    Tens of thousands of rows (four per outcome) cost more to make as objects, and to hold,
    than the rest of the analysis; most callers read a few (the sheets show the first 200).
    It behaves as the tuple of its rows: len, indexing, slicing (a tuple), iteration, equality
    with that tuple, hash, repr and pickling. Once a caller has read them all (iteration, a
    long slice), they are kept, so that the next (the sheets, then --json) reads them again.
    """

    __slots__ = ("_size", "_make", "_made", "_columns")
    _CHUNK = 4096

    def __init__(self, size: int, make: Callable[[int, int], list],
                 columns: dict[str, Callable[[], list]] | None = None):
        self._size = size
        self._make = make  # (start, stop) -> the rows start..stop-1, made together
        self._made: tuple | None = None  # every row, once all have been made
        self._columns = columns or {}  # attribute -> its value for every row, without rows

    def column(self, name: str) -> list:
        """The attribute ``name`` of every row, without making the rows where it can."""
        if self._made is None and name in self._columns:
            return self._columns[name]()
        return [getattr(row, name) for row in self]

    def __len__(self) -> int:
        return self._size

    def _rows(self, start: int, stop: int) -> Sequence:
        if self._made is not None:
            return self._made[start:stop]
        with collector_paused():  # see there: the rows are many small objects, no cycles
            return self._make(start, stop)

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self._size)
            if step != 1 or stop - start > self._CHUNK:
                return tuple(self)[index]
            return tuple(self._rows(start, stop)) if start < stop else ()
        k = operator.index(index)
        if k < 0:
            k += self._size
        if not 0 <= k < self._size:
            raise IndexError("tuple index out of range")
        return self._rows(k, k + 1)[0]

    def __iter__(self):
        if self._made is not None:
            return iter(self._made)
        return self._iterate()

    def _iterate(self):
        made: list = []
        for start in range(0, self._size, self._CHUNK):
            rows = self._rows(start, min(self._size, start + self._CHUNK))
            made += rows
            yield from rows
        self._made = tuple(made)

    def __eq__(self, other) -> bool:
        if isinstance(other, Rows | tuple):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self):
        return (tuple, (tuple(self),))

    def picked(self, indices: list[int]) -> list:
        """``self[k]`` for each k of ``indices``: rows are made a few together far faster than
        one by one (~0.1 ms each), so where the indices lie close together, as in a table not
        much longer than the rows it shows, all rows between the first and the last are made
        at once."""
        if not indices:
            return []
        low, high = min(indices), max(indices) + 1
        if high - low > 2 * len(indices):
            return [self[k] for k in indices]
        made = self[low:high]
        return [made[k - low] for k in indices]


def most_fragile(distances: list[float | None], n: int) -> list[int]:
    """The places of the ``n`` switching rows closest to their value (rows without a switching
    value last, then in order): the ones the sheet shows when there are more."""
    return heapq.nsmallest(n, range(len(distances)),
                           key=lambda k: (_distance_key(distances[k]), k))


def _distance_key(distance: float | None) -> tuple[int, float]:
    return (1, 0.0) if distance is None else (0, distance)


@dataclass(frozen=True)
class ScenarioFigures:
    """One column of the scenario comparison; ``error`` when the scenario could not compute."""

    name: str | None  # None: base values
    ratio: float | None = None
    net_ratio: float | None = None
    pv_value: float | None = None
    pv_inputs: float | None = None
    npv: float | None = None
    stakeholders: tuple[tuple[str, float, float], ...] = ()  # (name, PV inputs, PV value)
    error: str | None = None


@dataclass(frozen=True)
class SensitivityItem:
    """The ratio with one assumption at its low and high, or one deduction moved by a step."""

    kind: str  # "assumption" or one of DEDUCTIONS
    name: str  # the assumption, or the outcome whose deduction moves
    stakeholder: str = ""
    outcome_no: int | None = None
    base: float | None = None
    low: float | None = None
    high: float | None = None
    ratio_low: float | None = None
    ratio_high: float | None = None
    swing: float = 0.0  # |ratio at high - ratio at low|; the base ratio stands in for a gap
    error: str | None = None

    @property
    def is_percent(self) -> bool:
        return self.kind in DEDUCTIONS


def _swing(ratio_low: float | None, ratio_high: float | None, base: float | None) -> float:
    low = ratio_low if ratio_low is not None else base
    high = ratio_high if ratio_high is not None else base
    if low is None or high is None:
        return 0.0
    return abs(high - low)


@dataclass(frozen=True)
class Solution:
    """A switching value: ``value`` where it exists, else ``reason`` says why there is none."""

    value: float | None
    reason: Text | None = None
    method: str = ""  # "linear" (two points, exact) or "bracketing"


@dataclass(frozen=True)
class SwitchingValue:
    """The value of one assumption or deduction at which the ratio is 1."""

    kind: str  # "assumption" or one of DEDUCTIONS
    name: str
    stakeholder: str = ""
    outcome_no: int | None = None
    base: float | None = None
    low: float | None = None
    high: float | None = None
    percent: bool = False
    ratio: Solution = field(default_factory=lambda: Solution(None))  # ratio = 1
    npv: Solution | None = None  # NPV = 0 for the chosen stakeholder

    @property
    def within_range(self) -> bool | None:
        """Whether the ratio-1 value lies within the assumption's low-high range."""
        if self.ratio.value is None or self.low is None or self.high is None:
            return None
        return self.low <= self.ratio.value <= self.high

    @property
    def distance(self) -> float | None:
        """How far the switching value (ratio 1) lies from the value: percentage points for a
        percentage, else a share of the value; None where there is no switching value. The
        sensitivity sheet lists the smallest first, as the most fragile."""
        return switching_distance(self.ratio.value, self.base, self.percent, self.low,
                                  self.high)


def switching_distance(value: float | None, base: float | None, percent: bool,
                       low: float | None, high: float | None) -> float | None:
    """:attr:`SwitchingValue.distance` from its parts."""
    if value is None or base is None:
        return None
    distance = abs(value - base)
    if percent:
        return distance
    scale = abs(base) or max(abs(low or 0.0), abs(high or 0.0)) or 1.0
    return distance / scale


@dataclass(frozen=True)
class Stats:
    """Mean and percentiles of one Monte Carlo figure over the draws (None: no figure)."""

    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class Varied:
    """An assumption drawn in the Monte Carlo analysis."""

    name: str
    distribution: str
    low: float
    mode: float
    high: float
    mean: float | None = None  # of the draws
    percent: bool = False


@dataclass(frozen=True)
class MonteCarlo:
    """The Monte Carlo analysis: what was drawn and the figures it gave."""

    draws: int
    seed: int
    varied: tuple[Varied, ...]
    ratio: Stats
    npv: Stats
    p_ratio_above_1: float | None
    undefined: int  # draws without inputs, hence without a ratio
    histogram: tuple[tuple[float, float, int], ...]  # (from, to, draws) of the ratio
    notes: tuple[Text, ...] = ()


@dataclass(frozen=True)
class Uncertainty:
    """Everything the sensitivity sheets show, as of one fill."""

    scenario: str | None  # the scenario the analysis is done on
    base_ratio: float | None
    base_npv: float
    step: float
    scenarios: tuple[ScenarioFigures, ...] = ()
    sensitivity: Sequence[SensitivityItem] = ()  # ranked by swing, largest first (Rows)
    omitted: int = 0  # deductions left out of the sensitivity table: they change nothing
    switching: Sequence[SwitchingValue] = ()  # Rows
    switching_stakeholder: str | None = None
    monte_carlo: MonteCarlo | None = None
    notes: tuple[Text, ...] = ()  # parts not computed, and why

    def to_dict(self) -> dict:
        """Plain data for --json, in English."""
        return {
            "scenario": self.scenario,
            "base_sroi_ratio": _clean(self.base_ratio),
            "scenarios": [_scenario_dict(s) for s in self.scenarios],
            "sensitivity": {
                "method": "one at a time: each assumption at its low and high value, each "
                          f"deduction {self.step:.0%} points down and up",
                "step": self.step,
                "items": [_sensitivity_dict(i) for i in self.sensitivity],
                "omitted_without_effect": self.omitted,
            },
            "switching_values": {
                "method": "value at which the SROI ratio is 1 (NPV 0), one assumption or "
                          "deduction at a time; exact where NPV is linear in it",
                "stakeholder": self.switching_stakeholder,
                "items": [_switching_dict(s, self.switching_stakeholder)
                          for s in self.switching],
            },
            "monte_carlo": _monte_carlo_dict(self.monte_carlo),
            "notes": [n.en for n in self.notes],
        }


# --------------------------------------------------------------------------------------------
# The vectorised evaluator
# --------------------------------------------------------------------------------------------


class _Values:
    """Assumption values for one year; ``fixed`` ones (set or drawn) replace the workbook's."""

    def __init__(self, ev: _Evaluator, fixed: Mapping[str, Value], year: int):
        self.ev = ev
        self.fixed = fixed
        self.year = year
        self.memo: dict[str, Value] = {}
        self.busy: set[str] = set()

    def name(self, name: str) -> Value:
        key = name.casefold()
        found = self.memo.get(key)
        if found is not None:
            return found
        if key in self.fixed:
            value = self.fixed[key]
        else:
            amount = self.ev.amount_of(key, self.year, name)
            if key in self.busy:
                raise FormulaError(f"the assumption '{name}' depends on itself (a circular "
                                   "formula)")
            self.busy.add(key)
            try:
                value = self.ev.value(amount, self)
            finally:
                self.busy.discard(key)
        self.memo[key] = value
        return value

    def ref(self, sheet: str | None, cell: str) -> float:
        raise FormulaError(f"the cell reference {cell} was not resolved by the reader")

    def range(self, sheet: str | None, start: str, end: str) -> list[float]:
        raise FormulaError(f"the range {start}:{end} was not resolved by the reader")


@dataclass
class _Run:
    """One computation's present values, over numbers or arrays of draws."""

    pv_value: Value
    pv_inputs: Value
    outcome_pv: list[Value]  # per monetised outcome, in order (runs over numbers only)
    input_pv: list[Value]  # per input row (runs over numbers only)
    # Runs over numbers only: per monetised outcome its six fields (_FIELDS) when they are the
    # same in every year it counts, else None; per input row the PV of each of its years.
    fields: list[tuple[float, ...] | None] = field(default_factory=list)
    input_terms: list[list[float]] = field(default_factory=list)
    finite: bool = True  # every gross value and input amount is a finite number


class _Evaluator:
    """The engine's arithmetic over numbers or arrays of numbers; see the module docstring."""

    def __init__(self, model: Model, scenario: str | None):
        settings = model.settings
        self.model = model
        self.scenario, self.overrides = scenario_overrides(
            model, scenario if scenario is not None else settings.scenario)
        self.horizon = settings.years
        self.monetised = [o for o in model.outcomes if o.monetised]
        self.last_year = last_counted_year(model)
        self.df_value, self.df_inputs = discount_factors(settings, self.last_year)
        self.assumptions = {a.name.casefold(): a for a in model.assumptions}
        self.per_year = {k: dict(a.per_year) for k, a in self.assumptions.items()}
        self._direct: dict[int, frozenset[str]] = {}
        self._weights: dict[tuple, list[float]] = {}
        self._prices: dict[object, float] = {}
        self.number = {id(o): n for n, o in enumerate(model.outcomes, 1)}
        # The years depend on the first year and whether it recurs only: one list (never
        # changed) for all outcomes alike.
        years_of: dict[tuple[int, bool], list[int]] = {}
        self._valid = {}
        for o in self.monetised:
            found = years_of.get((o.first_year, o.recurring))
            if found is None:
                found = years_of[(o.first_year, o.recurring)] = outcome_years(o, self.horizon)
            self._valid[id(o)] = found
        self.deps = {k: self._assumption_deps(k) for k in self.assumptions}
        self._closed: dict[frozenset[str], set[str]] = {}
        self.outcome_keys = [self._close(self._amount_keys(_field_amounts(o)))
                             for o in self.monetised]
        self.input_keys = [self._close(self._amount_keys(_input_amounts(i)))
                           for i in model.inputs]

    # -- what refers to what ----------------------------------------------------------------
    def names(self, node) -> frozenset[str]:
        if type(node) is formula.Number:
            return formula.NO_NAMES
        found = self._direct.get(id(node))
        if found is None:
            found = self._direct[id(node)] = formula.name_keys(node)
        return found

    def _assumption_deps(self, key: str) -> set[str]:
        if key in self.overrides:
            return set(self.names(self.overrides[key].node))
        a = self.assumptions[key]
        keys = set(self.names(a.value.node))
        for _, amount in a.per_year:
            keys |= self.names(amount.node)
        return keys

    def _close(self, keys: set[str] | frozenset[str]) -> set[str]:
        """The assumptions ``keys`` lead to, themselves included (do not change the set)."""
        frozen = frozenset(keys)  # no copy of a frozenset
        found = self._closed.get(frozen)
        if found is None:
            found = self._closed[frozen] = self._find_closure(keys)
        return found

    def _find_closure(self, keys: set[str] | frozenset[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(keys)
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            todo.extend(self.deps.get(key, ()))
        return seen

    def _amount_keys(self, amounts: Sequence[Amount | None]) -> frozenset[str]:
        keys = formula.NO_NAMES
        for amount in amounts:
            if amount is not None and type(amount.node) is not formula.Number:
                names = self.names(amount.node)
                keys = keys | names if keys else names  # most have one formula: no copy
        return keys

    def yearly_keys(self, fixed: Mapping[str, Value]) -> set[str]:
        """Assumptions whose value may differ between years, given what is fixed."""
        varying: set[str] = set()
        changed = True
        for key in self.assumptions:
            if key not in fixed and key not in self.overrides and self.per_year[key]:
                varying.add(key)
        while changed:
            changed = False
            for key, deps in self.deps.items():
                if key not in varying and key not in fixed and deps & varying:
                    varying.add(key)
                    changed = True
        return varying

    # -- values -----------------------------------------------------------------------------
    def amount_of(self, key: str, year: int, name: str) -> Amount:
        a = self.assumptions.get(key)
        if a is None:
            raise FormulaError(f"the name '{name}' is not an assumption on the assumptions sheet")
        return self.overrides.get(key) or self.per_year[key].get(year) or a.value

    def value(self, amount: Amount, values: _Values) -> Value:
        """An amount's value: the engine's own evaluation where nothing is an array."""
        if amount.price is not None:  # a reference price, indexed as the engine does
            if amount.price not in self._prices:
                self._prices[amount.price] = index_amount(amount, self.model).value
            return self._prices[amount.price]
        node = amount.node
        if type(node) is formula.Number and math.isfinite(node.value):
            return float(node.value)  # what formula.evaluate gives, without its machinery
        try:
            if not any(isinstance(values.name(k), np.ndarray) for k in self.names(amount.node)):
                return float(formula.evaluate(amount.node, values))
            result = _array_eval(amount.node, values)
            if not isinstance(result, np.ndarray):
                return float(result)
            if not np.all(np.isfinite(result)):
                raise FormulaError("the result is too large to calculate (it overflows) for "
                                   "some values; check the numbers and units in the formula")
            return result
        except FormulaError as exc:
            if amount.at is None:
                raise
            raise WorkbookError(f"{amount.text}: {exc}", amount.at.sheet, amount.at.ref) from None

    def percent(self, amount: Amount, values: _Values, label: str,
                adjust: tuple[str, Value] | None) -> Value:
        if adjust is not None and adjust[0] == "set":
            return adjust[1]
        value = self.value(amount, values)
        if adjust is not None:
            shifted = np.clip(value + adjust[1], 0.0, 1.0)
            value = shifted if isinstance(shifted, np.ndarray) and shifted.ndim else float(shifted)
        where = (amount.at.sheet, amount.at.ref) if amount.at else ("", "")
        if isinstance(value, np.ndarray):
            bad = (value < 0.0) | (value > 1.0)
            if bad.any():
                raise WorkbookError(
                    f"{label} falls outside 0%..100% for {int(bad.sum()):,} of {value.size:,} "
                    f"values tried (from {value.min():.1%} to {value.max():.1%}); narrow the "
                    "low and high of the assumptions it uses", *where)
        elif not 0.0 <= value <= 1.0:
            raise WorkbookError(f"{label} is {value:.0%}; it must be between 0% and 100%",
                                *where)
        return value

    # -- outcomes and inputs, as engine.compute does them ------------------------------------
    def outcome_pv(self, o: Outcome, years: list[_Values], yearly: set[str],
                   adjust: Mapping[str, tuple[str, Value]] | None = None) -> Value:
        """One outcome's PV; ``adjust`` sets ("set", x) or moves ("shift", dx) a deduction."""
        adjust = adjust or {}
        cache: dict[str, Value] = {}
        persistence_by_age: list[Value] | None = None
        pv_total: Value = 0.0

        def get(key: str, values: _Values, label: str | None) -> Value:
            amount = getattr(o, key)
            if key in cache:
                return cache[key]
            if label is None:
                value = self.value(amount, values)
            else:
                value = self.percent(amount, values, label, adjust.get(key))
            if not (self.names(amount.node) & yearly) or (
                    key in adjust and adjust[key][0] == "set"):
                cache[key] = value
            return value

        valid = self.valid_years(o)
        if not valid:
            return pv_total
        # Quick path when nothing changes by year: PV = impact x sum over ages of
        # (1 - drop-off)^age x (sum of discount factors of the years at that age).
        values = years[valid[0]]
        fields = [get(key, values, label) for key, label in _FIELDS]
        if len(cache) == len(_FIELDS):
            quantity, proxy, dw, at, dp, do = fields
            impact = quantity * proxy * ((1 - dw) * (1 - dp) * (1 - at))
            weights: Value = 0.0
            for age, weight in enumerate(self.age_weights(o, valid)):
                if weight:
                    weights = weights + (1 - do) ** age * weight
            return impact * weights
        for t in valid:
            values = years[t]
            quantity = get("quantity", values, None)
            proxy = get("proxy", values, None)
            dw = get("deadweight", values, "deadweight")
            at = get("attribution", values, "attribution")
            dp = get("displacement", values, "displacement")
            do = get("dropoff", values, "drop-off")
            claim = (1 - dw) * (1 - dp) * (1 - at)
            gross = quantity * proxy
            impact = gross * claim
            if "dropoff" in cache and persistence_by_age is None:
                persistence_by_age = [(1 - do) ** age for age in range(o.duration)]
            for age in range(o.duration):
                year = t + age
                if year > self.last_year:
                    break
                persistence = (persistence_by_age[age] if persistence_by_age is not None
                               else (1 - do) ** age)
                value = impact * persistence
                pv = value * self.df_value[year]
                pv_total = _plus(pv_total, pv)
        return pv_total

    def age_weights(self, o: Outcome, valid: list[int]) -> list[float]:
        """For each age of the outcome, the sum of discount factors of the years it counts."""
        key = (o.duration, tuple(valid))
        found = self._weights.get(key)
        if found is None:
            found = [math.fsum(self.df_value[t + age] for t in valid
                               if t + age <= self.last_year) for age in range(o.duration)]
            self._weights[key] = found
        return found

    def input_amount(self, item, values: _Values) -> Value:
        """What an input puts in, in one year: hours x rate, or the amount."""
        if item.kind == "hours":
            return self.value(item.hours, values) * self.value(item.rate, values)
        return self.value(item.amount, values)

    def input_pv(self, item, years: list[_Values]) -> Value:
        total: Value = 0.0
        for t in input_years(item, self.horizon):
            values = years[max(t, 0)]
            amount = self.input_amount(item, values)
            pv = amount * self.df_inputs[t]
            total = _plus(total, pv)
        return total

    def years(self, fixed: Mapping[str, Value]) -> list[_Values]:
        return [_Values(self, fixed, t) for t in range(self.last_year + 1)]

    def valid_years(self, o: Outcome) -> list[int]:
        found = self._valid.get(id(o))
        return found if found is not None else outcome_years(o, self.horizon)

    def fields(self, o: Outcome, years: list[_Values], yearly: set[str],
               valid: list[int]) -> tuple[list[tuple], bool]:
        """The six fields (_FIELDS) in each year of ``valid``, evaluated in the engine's order;
        (one tuple, True) when none of them can differ between years."""
        # Most outcomes: the fields of the first year, none of which uses an assumption that
        # changes by year. Else the general loop below, from the start (evaluating in the same
        # order, it meets any error this meets first).
        values = years[valid[0]]
        row = []
        for amount, label in zip(_field_amounts(o), _LABELS, strict=True):
            node = amount.node
            if type(node) is formula.Number and amount.price is None and (
                    math.isfinite(node.value)) and (label is None or 0.0 <= node.value <= 1.0):
                row.append(float(node.value))  # what value() and percent() give for it
                continue
            if yearly and self.names(node) & yearly:
                break
            row.append(self.value(amount, values) if label is None
                       else self.percent(amount, values, label, None))
        else:
            return [tuple(row)], True
        cache: dict[str, Value] = {}
        rows: list[tuple] = []
        for t in valid:
            values = years[t]
            row = []
            for key, label in _FIELDS:
                if key in cache:
                    row.append(cache[key])
                    continue
                amount = getattr(o, key)
                node = amount.node
                if type(node) is formula.Number and amount.price is None and (
                        math.isfinite(node.value)) and (label is None or 0.0 <= node.value <= 1.0):
                    value = float(node.value)  # what value() and percent() give for it
                    cache[key] = value
                    row.append(value)
                    continue
                value = (self.value(amount, values) if label is None
                         else self.percent(amount, values, label, None))
                if not yearly or not (self.names(node) & yearly):
                    cache[key] = value
                row.append(value)
            rows.append(tuple(row))
            if len(cache) == len(_FIELDS):
                return rows, True
        return rows, False

    def base_from(self, results: Results) -> _Run | None:
        """The base run (nothing fixed) as the engine's results give it, when they are of this
        model and scenario and no assumption has values of its own by year; else None.

        run({}) computes the same figures to the bit, in the same order (see _run_numbers):
        taking them saves evaluating every outcome again (a quarter of the analysis at
        10,000 outcomes). Without values by year every outcome's six fields are the same in
        every year it counts, and the engine's first ones are those fields.
        """
        if results.model is not self.model or results.scenario != (self.scenario or None) or (
                self.yearly_keys({})):
            return None
        outcomes = results.tables["outcomes"]
        at = [outcomes.columns.index(key) for key, _ in _FIELDS]
        pv_at = outcomes.columns.index("present_value")
        fields: list[tuple[float, ...] | None] = []
        outcome_pv: list[Value] = []
        for o, row in zip(self.monetised, outcomes.rows, strict=True):
            fields.append(tuple(row[k] for k in at) if self.valid_years(o) else None)
            outcome_pv.append(row[pv_at])
        inputs = results.tables["inputs"]
        number, pv = inputs.columns.index("input_no"), inputs.columns.index("present_value")
        input_terms: list[list[float]] = [[] for _ in self.model.inputs]
        for row in inputs.rows:
            input_terms[row[number] - 1].append(row[pv])
        input_pv: list[Value] = []
        for terms in input_terms:
            total = 0.0
            for term in terms:  # one after the other from 0.0, as _run_numbers sums them
                total += term
            input_pv.append(total)
        # The engine refuses a gross value or input amount that is not finite.
        return _Run(results.headline.pv_value, results.headline.pv_inputs, outcome_pv,
                    input_pv, fields, input_terms, True)

    def run(self, fixed: Mapping[str, Value], progress: Progress | None = None) -> _Run:
        """Every outcome and input: over numbers exactly as the engine sums them (by year, in
        its order), over arrays one present value per outcome, summed."""
        if any(isinstance(v, np.ndarray) for v in fixed.values()):
            return self._run_arrays(fixed, progress)
        return self._run_numbers(fixed, progress)

    def _run_arrays(self, fixed: Mapping[str, Value], progress: Progress | None) -> _Run:
        years = self.years(fixed)
        yearly = self.yearly_keys(fixed)
        total = len(self.monetised) + len(self.model.inputs)
        every = max(1, total // 100)
        pv_value: Value = 0.0
        for i, o in enumerate(self.monetised):
            pv_value = _plus(pv_value, self.outcome_pv(o, years, yearly))
            if progress is not None and (i + 1) % every == 0:
                progress(i + 1, total)
        pv_inputs: Value = 0.0
        for item in self.model.inputs:
            pv_inputs = _plus(pv_inputs, self.input_pv(item, years))
        if progress is not None:
            progress(total, total)
        return _Run(pv_value, pv_inputs, [], [])

    def _run_numbers(self, fixed: Mapping[str, Value], progress: Progress | None) -> _Run:
        """engine.compute's arithmetic and order of summation, with the loop over years and
        ages done by numpy: every product is the same IEEE operation, and every sum is taken
        sequentially (cumsum) in the engine's order, so the figures are equal to the bit."""
        years = self.years(fixed)
        yearly = self.yearly_keys(fixed)
        n = len(self.monetised)
        total = n + len(self.model.inputs)
        every = max(1, total // 100)
        # One row of fields per outcome where they are the same every year it occurs (for all
        # those years at once), else one per year; the arithmetic over all rows at once, in
        # numpy, is the same IEEE operations in the same order as one row at a time.
        row_fields: list[tuple[float, ...]] = []
        occurs: list[int] = []  # per row, the years it stands for
        counts: list[int] = []
        row_owner: list[int] = []
        constant_fields: list[tuple[float, ...] | None] = []
        for i, o in enumerate(self.monetised):
            valid = self.valid_years(o)
            const = None
            if valid:
                rows, constant = self.fields(o, years, yearly, valid)
                if constant:
                    const = rows[0]
                    row_fields.append(const)
                    occurs += valid
                    counts.append(len(valid))
                    row_owner.append(i)
                else:
                    row_fields += rows
                    occurs += valid
                    counts += [1] * len(rows)
                    row_owner += [i] * len(rows)
            constant_fields.append(const)
            if progress is not None and (i + 1) % every == 0:
                progress(i + 1, total)
        table = np.array(row_fields, dtype=float).reshape(len(row_fields), 6)
        quantity, proxy, dw, at, dp, do = table.T
        with np.errstate(all="ignore"):
            gross = quantity * proxy
            impact = gross * ((1 - dw) * (1 - dp) * (1 - at))
        finite = bool(np.isfinite(gross).all())
        durations = [self.monetised[i].duration for i in row_owner]
        tables: list[list[float]] = []
        table_of: dict[tuple[float, int], int] = {}  # (drop-off, duration) -> its table
        kinds: list[int] = []  # row -> its persistence table
        for key in zip(do.tolist(), durations, strict=True):
            kind = table_of.get(key)
            if kind is None:
                kind = table_of[key] = len(tables)
                tables.append([(1 - key[0]) ** age for age in range(key[1])])
            kinds.append(kind)
        value_by_year, outcome_pv = self._sum_terms(
            occurs, np.repeat(impact, counts), np.repeat(np.array(kinds, dtype=np.int64), counts),
            np.repeat(np.array(row_owner, dtype=np.int64), counts), tables, n)
        inputs_by_year = [0.0] * (self.last_year + 1)
        input_pv: list[float] = []
        input_terms: list[list[float]] = []
        for item in self.model.inputs:
            item_total = 0.0
            terms = []
            for t in input_years(item, self.horizon):
                values = years[max(t, 0)]
                amount = self.input_amount(item, values)
                finite = finite and math.isfinite(amount)
                pv = amount * self.df_inputs[t]
                inputs_by_year[t] += amount
                item_total += pv
                terms.append(pv)
            input_pv.append(item_total)
            input_terms.append(terms)
        if progress is not None:
            progress(total, total)
        pv_value = sum(v * f for v, f in zip(value_by_year, self.df_value, strict=True))
        pv_inputs = sum(v * f for v, f in zip(inputs_by_year, self.df_inputs, strict=True))
        return _Run(pv_value, pv_inputs, outcome_pv, input_pv, constant_fields, input_terms,
                    finite)

    def _sum_terms(self, starts, impacts, kinds, owners, tables, n: int
                   ) -> tuple[list[float], list[float]]:
        """Value by year and PV by outcome from one row per (outcome, year it occurs):
        value(t + age) = impact x persistence(age), summed as the engine does."""
        last = self.last_year
        if not starts:
            return [0.0] * (last + 1), [0.0] * n
        width = max(1, max(len(r) for r in tables))
        persistence = np.zeros((len(tables), width))
        for k, r in enumerate(tables):
            persistence[k, :len(r)] = r
        durations = np.array([len(r) for r in tables], dtype=np.int64)
        kind = np.asarray(kinds, dtype=np.int64)
        start = np.array(starts, dtype=np.int64)
        owner = np.asarray(owners, dtype=np.int64)
        ages = np.arange(width)
        year = start[:, None] + ages
        counts = (ages < durations[kind][:, None]) & (year <= last)
        df = np.asarray(self.df_value, dtype=float)
        with np.errstate(invalid="ignore", over="ignore"):
            value = np.where(counts, np.asarray(impacts, dtype=float)[:, None] * persistence[kind],
                             0.0)
            pv = np.where(counts, value * df[np.minimum(year, last)], 0.0)
        # By year: for each year, the values of the rows in order (outcome, then year it
        # occurs), summed one after the other from 0.0 down the rows.
        value_by_year = np.zeros(last + 1)
        rows = len(start)
        block = max(1, _BLOCK // (last + 1))
        for r0 in range(0, rows, block):
            r1 = min(rows, r0 + block)
            grid = np.zeros((r1 - r0 + 1, last + 1))
            grid[0] = value_by_year
            r, a = np.nonzero(counts[r0:r1])
            grid[r + 1, year[r0:r1][r, a]] = value[r0:r1][r, a]
            value_by_year = np.cumsum(grid, axis=0)[-1]
        # By outcome: its rows' PVs (year it occurs, then age), summed one after the other.
        first = np.searchsorted(owner, np.arange(n + 1))
        slot = np.arange(rows) - first[owner]
        depth = int(np.max(slot)) + 1
        outcome_pv = np.zeros(n)
        chunk = max(1, _BLOCK // (depth * width + 1))
        for c0 in range(0, n, chunk):
            c1 = min(n, c0 + chunk)
            r0, r1 = first[c0], first[c1]
            body = np.zeros((c1 - c0, depth, width))
            body[owner[r0:r1] - c0, slot[r0:r1]] = pv[r0:r1]
            terms = np.concatenate([np.zeros((c1 - c0, 1)), body.reshape(c1 - c0, -1)], axis=1)
            outcome_pv[c0:c1] = np.cumsum(terms, axis=1)[:, -1]
        return value_by_year.tolist(), outcome_pv.tolist()


# Numbers in one working block of _sum_terms and _switch_rows: each block goes on from the
# sums of the one before, or has rows of its own, so its size changes no figure, only the
# memory in use (a few MB at this size).
_BLOCK = 1 << 18
_field_amounts = operator.attrgetter("quantity", "proxy", "deadweight", "attribution",
                                     "displacement", "dropoff")  # _FIELDS of an outcome
_FIELDS = (("quantity", None), ("proxy", None), ("deadweight", "deadweight"),
           ("attribution", "attribution"), ("displacement", "displacement"),
           ("dropoff", "drop-off"))
_LABELS = tuple(label for _, label in _FIELDS)


def _input_amounts(item) -> list[Amount | None]:
    return [item.amount, item.hours, item.rate]


def _plus(total: Value, value: Value) -> Value:
    if isinstance(total, np.ndarray) and isinstance(value, np.ndarray) and (
            total.shape == value.shape):
        total += value
        return total
    return total + value


def _array_eval(node, values: _Values) -> Value:
    kind = type(node)
    if kind is formula.Binary:
        spine = [node]
        left = node.left
        while type(left) is formula.Binary:  # long chains in a loop, as formula._eval does
            spine.append(left)
            left = left.left
        value = _array_eval(left, values)
        for step in reversed(spine):
            value = _array_apply(step.op, value, _array_eval(step.right, values))
        return value
    if kind is formula.Number:
        return node.value
    if kind is formula.Name:
        return values.name(node.name)
    if kind is formula.Percent:
        return _array_eval(node.operand, values) / 100
    if kind is formula.Unary:
        value = _array_eval(node.operand, values)
        return -value if node.op == "-" else value
    if kind is formula.Call:
        return _array_call(node, values)
    raise FormulaError(f"cannot evaluate {formula.to_text(node)} here")


def _array_apply(op: str, a: Value, b: Value) -> Value:
    if op == "*":
        return a * b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "/":
        if np.any(np.asarray(b) == 0):
            raise FormulaError("division by zero (Excel shows #DIV/0!) for some values")
        return a / b
    if op == "^":
        base, exponent = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if np.any((base == 0) & (exponent <= 0)):
            raise FormulaError("0 raised to the power 0 or below has no value (#NUM!) for "
                               "some values")
        if np.any((base < 0) & (exponent != np.round(exponent))):
            raise FormulaError("a negative number raised to a fractional power (#NUM!) for "
                               "some values")
        with np.errstate(over="ignore", invalid="ignore"):
            return np.power(base, exponent)
    raise FormulaError(f"the operator '{op}' is not supported")


def _array_call(node, values: _Values) -> Value:
    return _array_function(node.func, [_array_eval(arg, values) for arg in node.args])


def _array_function(func: str, args: list[Value]) -> Value:
    if func == "SUM":
        total: Value = 0.0
        for arg in args:
            total = total + arg
        return total
    if func in ("MIN", "MAX"):
        if not args:
            return 0.0
        pick = np.minimum if func == "MIN" else np.maximum
        result = args[0]
        for arg in args[1:]:
            result = pick(result, arg)
        return result
    if func == "AVERAGE":
        if not args:
            raise FormulaError("division by zero: AVERAGE found no numbers to average")
        total = 0.0
        for arg in args:
            total = total + arg
        return total / len(args)
    if func == "PRODUCT":
        result = 1.0
        for arg in args:
            result = result * arg
        return result
    if func == "ABS":
        return np.abs(args[0])
    if func in ("ROUND", "ROUNDUP", "ROUNDDOWN"):
        # Excel's decimal rounding, one value at a time: rare enough not to matter for speed.
        def one(x: float, digits: float) -> float:
            return formula.evaluate(formula.Call(func, (formula.Number(float(x)),
                                                         formula.Number(float(digits)))),
                                    formula.MappingResolver())

        return np.vectorize(one, otypes=[float])(args[0], args[1])
    raise FormulaError(f"the function {func} is not supported")


# --------------------------------------------------------------------------------------------
# Scenarios side by side
# --------------------------------------------------------------------------------------------


def scenario_comparison(model: Model, known: Mapping[str | None, tuple[_Evaluator, _Run]]
                        | None = None) -> tuple[ScenarioFigures, ...]:
    """Base values and every scenario of the workbook, each computed in full.

    The figures come from the evaluator's run over numbers, which is engine.compute's
    arithmetic in its order (equal to the bit; ``known`` maps a scenario's proper name, None
    for the base values, to a run already made). Wherever that run fails, or a figure does not
    compute, the engine itself computes the scenario, so that an error reads as the engine
    words it.
    """
    found = []
    known = known or {}
    for name in (None, *(s.name for s in model.scenarios)):
        chosen = name if name is not None else ""  # "" = base values, not the settings' one
        try:
            figures = _scenario_figures(model, name, chosen, known)
            if figures is None:
                figures = _engine_figures(model, name, chosen)
        except SroiError as exc:
            figures = ScenarioFigures(name, error=str(exc))
        found.append(figures)
    return tuple(found)


def _engine_figures(model: Model, name: str | None, chosen: str) -> ScenarioFigures:
    r = compute(model, chosen)
    h = r.headline
    rows = tuple((rec.stakeholder, float(rec.inputs), float(rec.value))
                 for rec in r.tables["stakeholders"].records())
    return ScenarioFigures(name, h.ratio, h.net_ratio, h.pv_value, h.pv_inputs, h.npv, rows)


def _scenario_figures(model: Model, name: str | None, chosen: str,
                      known: Mapping[str | None, tuple[_Evaluator, _Run]]
                      ) -> ScenarioFigures | None:
    """The figures engine.compute gives, from the evaluator; None where the engine is needed
    (anything fails, or is too large, or a reference price the engine indexes for its tables
    cannot be indexed)."""
    try:
        proper, _ = scenario_overrides(model, chosen)
        if proper in known:
            ev, run = known[proper]
        else:
            ev = _Evaluator(model, chosen)
            run = ev.run({})
        for amount in (*(o.proxy for o in ev.monetised),
                       *(i.rate if i.kind == "hours" else i.amount for i in model.inputs)):
            if amount is not None and amount.price is not None:
                ev.value(amount, _Values(ev, {}, 0))
    except SroiError:
        return None
    pv_value, pv_inputs = float(run.pv_value), float(run.pv_inputs)
    if not (run.finite and math.isfinite(pv_value) and math.isfinite(pv_inputs)):
        return None
    # Stakeholders as engine.compute sums them: each outcome's PV, each input's PV of a year.
    value_by: dict[str, float] = {}
    for o, pv in zip(ev.monetised, run.outcome_pv, strict=True):
        value_by[o.stakeholder] = value_by.get(o.stakeholder, 0.0) + pv
    inputs_by: dict[str, float] = {}
    for item, terms in zip(model.inputs, run.input_terms, strict=True):
        for pv in terms:
            inputs_by[item.stakeholder] = inputs_by.get(item.stakeholder, 0.0) + pv
    names = [s.name for s in model.stakeholders]
    for extra in (*value_by, *inputs_by):
        if extra not in names:
            names.append(extra)
    rows = tuple((who, float(inputs_by.get(who, 0.0)), float(value_by.get(who, 0.0)))
                 for who in names)
    npv = pv_value - pv_inputs
    return ScenarioFigures(name, pv_value / pv_inputs if pv_inputs else None,
                           npv / pv_inputs if pv_inputs else None, pv_value, pv_inputs, npv,
                           rows)


# --------------------------------------------------------------------------------------------
# Sensitivity and switching values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Outcomes whose fields that use one assumption have formulas of the same shape."""

    rows: np.ndarray  # the outcomes (indices of monetised outcomes)
    changed: tuple[int, ...]  # the fields (into _FIELDS) that use the assumption
    shapes: tuple[tuple, ...]  # per changed field, its formula with the leaves taken out
    leaves: np.ndarray  # per outcome, the numbers taken out, in the order they are met
    plain: bool  # only + - * /, unary minus and percent: numpy gives Python's results


_LEAF = ("leaf",)
_UNKNOWN = object()


def _plain(shapes) -> bool:
    todo = list(shapes)
    while todo:
        shape = todo.pop()
        tag = shape[0]
        if tag == "op":
            if shape[1] not in "+-*/":
                return False
            todo += [shape[2], shape[3]]
        elif tag == "unary":
            todo.append(shape[2])
        elif tag == "%":
            todo.append(shape[1])
        elif tag == "call":
            return False
    return True


def _shape_eval(shape: tuple, leaves: np.ndarray, position: list[int], values: _Values):
    """_array_eval of a shape for a group: leaves are columns (one value per outcome), the
    assumption and what depends on it a row (one value per point)."""
    tag = shape[0]
    if tag == "leaf":
        k = position[0]
        position[0] = k + 1
        return leaves[:, k:k + 1]
    if tag == "name":
        value = values.name(shape[1])
        return value[None, :] if isinstance(value, np.ndarray) else value
    if tag == "op":
        left = _shape_eval(shape[2], leaves, position, values)
        return _array_apply(shape[1], left, _shape_eval(shape[3], leaves, position, values))
    if tag == "%":
        return _shape_eval(shape[1], leaves, position, values) / 100
    if tag == "unary":
        value = _shape_eval(shape[2], leaves, position, values)
        return -value if shape[1] == "-" else value
    return _array_function(shape[1], [_shape_eval(arg, leaves, position, values)
                                      for arg in shape[2]])


class _Analysis:
    """Base figures of one scenario and quick re-evaluation of what one change touches.

    Most outcomes have the same six fields in every year they count; for those the base run
    leaves the fields, and their present value is quantity x proxy x claim x weights, where
    weights sums (1 - drop-off)^age x the discount factors of the years at that age. One
    deduction or one assumption then changes one factor, so the new present value of every such
    outcome is a few array operations over all outcomes at once (``deduction_pv``), in the same
    arithmetic as ``_Evaluator.outcome_pv``; the other outcomes go through that function.
    """

    def __init__(self, model: Model, scenario: str | None, ev: _Evaluator | None = None,
                 results: Results | None = None):
        self.ev = ev if ev is not None else _Evaluator(model, scenario)
        base = self.ev.base_from(results) if results is not None else None
        self.base = base if base is not None else self.ev.run({})
        self.base_years = self.ev.years({})
        self.base_yearly = self.ev.yearly_keys({})
        self.stakeholder_of = [o.stakeholder for o in self.ev.monetised]
        self.input_owner = [i.stakeholder for i in model.inputs]
        self.sums = self._sums(None)
        self.stakeholder_sums: dict[str, tuple[float, float]] = {}
        pv_in = float(self.base.pv_inputs)
        pv_val = float(self.base.pv_value)
        self.ratio = pv_val / pv_in if pv_in else None
        self.npv = pv_val - pv_in
        self.tol = _REL_TOL * max(abs(pv_val), abs(pv_in), 1.0)
        self.outcome_no = [self.ev.number.get(id(o), i + 1)
                           for i, o in enumerate(self.ev.monetised)]
        self._tables()
        self._uses: dict[int, dict[str, list[int]]] = {}
        self._affected: dict[str, tuple[list[int], list[int]]] | None = None
        self._plans: dict[str, list[_Group]] = {}
        self.first_values: dict[str, list[float | None]] | None = None

    def _tables(self) -> None:
        """Per outcome (NaN where its fields differ between years): the fields, gross, claim,
        impact, the weights by age and their sum at the base drop-off, and the base PV."""
        ev = self.ev
        n = len(ev.monetised)
        nan = float("nan")
        fields = self.base.fields
        self.quick = [f is not None for f in fields]
        self.quick_mask = np.array(self.quick, dtype=bool).reshape(n)
        self.lasting = np.array([o.duration >= 2 for o in ev.monetised], dtype=bool).reshape(n)
        self.inside = np.array([1 <= o.first_year <= ev.horizon for o in ev.monetised],
                               dtype=bool).reshape(n)  # the first year within the horizon
        rows = [f if f is not None else (nan,) * 6 for f in fields]
        table = np.array(rows, dtype=float).reshape(n, 6)
        self.field = {key: np.ascontiguousarray(table[:, k])
                      for k, (key, _) in enumerate(_FIELDS)}
        quantity, proxy, dw, at, dp, do = table.T
        with np.errstate(all="ignore"):  # NaN rows stay NaN
            self.gross = quantity * proxy
            self.claim_array = (1 - dw) * (1 - dp) * (1 - at)
            self.impact = self.gross * self.claim_array
        self.claim = self.claim_array.tolist()
        ages: list[list[float]] = []  # the distinct lists of weights by age
        place: dict[int, int] = {}  # id of such a list (age_weights caches them) -> its place
        kinds: list[int] = []  # per outcome, its place in ages (-1: not quick)
        total: list[float] = []
        known: dict[tuple[float, int], float] = {}  # (drop-off, place) -> weights
        for o, quick, drop in zip(ev.monetised, self.quick, do.tolist(), strict=True):
            if not quick:
                kinds.append(-1)
                total.append(nan)
                continue
            weights_by_age = ev.age_weights(o, ev.valid_years(o))
            kind = place.get(id(weights_by_age))
            if kind is None:
                kind = place[id(weights_by_age)] = len(ages)
                ages.append(weights_by_age)
            kinds.append(kind)
            weights = known.get((drop, kind))
            if weights is None:
                weights = 0.0
                for age, weight in enumerate(weights_by_age):
                    if weight:
                        weights = weights + (1 - drop) ** age * weight
                known[(drop, kind)] = weights
            total.append(weights)
        self.weights = total
        self.weight_sum = np.array(total, dtype=float)
        width = max((len(w) for w in ages), default=0)
        table_by_age = np.zeros((len(ages) + 1, max(width, 1)))  # the last row for kind -1
        for kind, weights_by_age in enumerate(ages):
            table_by_age[kind, :len(weights_by_age)] = weights_by_age
        self.by_age = table_by_age[np.array(kinds, dtype=np.int64)]
        self.base_pv = np.array([float(v) for v in self.base.outcome_pv], dtype=float)

    def _sums(self, stakeholder: str | None) -> tuple[float, float]:
        return (
            math.fsum(float(pv) for i, pv in enumerate(self.base.outcome_pv)
                      if stakeholder is None or self.stakeholder_of[i] == stakeholder),
            math.fsum(float(pv) for j, pv in enumerate(self.base.input_pv)
                      if stakeholder is None or self.input_owner[j] == stakeholder))

    def stakeholder_totals(self, stakeholder: str | None) -> tuple[float, float]:
        if stakeholder is None:
            return self.sums
        if stakeholder not in self.stakeholder_sums:
            self.stakeholder_sums[stakeholder] = self._sums(stakeholder)
        return self.stakeholder_sums[stakeholder]

    def totals(self, new_out: Mapping[int, Value], new_in: Mapping[int, Value],
               stakeholder: str | None = None) -> tuple[Value, Value]:
        """(PV outcomes, PV inputs), overall or for one stakeholder, with some terms new."""
        value, inputs = self.stakeholder_totals(stakeholder)
        # Exactly rounded base sums, minus the terms that change, plus their new values.
        out = {i: pv for i, pv in new_out.items()
               if stakeholder is None or self.stakeholder_of[i] == stakeholder}
        ins = {j: pv for j, pv in new_in.items()
               if stakeholder is None or self.input_owner[j] == stakeholder}
        value = value - math.fsum(float(self.base.outcome_pv[i]) for i in out)
        inputs = inputs - math.fsum(float(self.base.input_pv[j]) for j in ins)
        for pv in out.values():
            value = value + pv
        for pv in ins.values():
            inputs = inputs + pv
        return value, inputs

    # -- one assumption ---------------------------------------------------------------------
    def affected(self, key: str) -> tuple[list[int], list[int]]:
        """The outcomes and inputs whose value may depend on the assumption."""
        if self._affected is None:
            found: dict[str, tuple[list[int], list[int]]] = {k: ([], [])
                                                             for k in self.ev.assumptions}
            for i, keys in enumerate(self.ev.outcome_keys):
                for k in keys:
                    if k in found:
                        found[k][0].append(i)
            for j, keys in enumerate(self.ev.input_keys):
                for k in keys:
                    if k in found:
                        found[k][1].append(j)
            self._affected = found
        return self._affected.get(key, ([], []))

    def uses(self, i: int) -> dict[str, list[int]]:
        """For outcome i: each assumption its fields use, directly or not -> those fields."""
        found = self._uses.get(i)
        if found is None:
            found = {}
            o = self.ev.monetised[i]
            for n, (name, _) in enumerate(_FIELDS):
                names = self.ev.names(getattr(o, name).node)
                if not names:
                    continue
                for key in self.ev._close(names):
                    found.setdefault(key, []).append(n)
            self._uses[i] = found
        return found

    def _quick_pv(self, i: int, key: str, years: list[_Values]) -> Value:
        """_Evaluator.outcome_pv's quick path, re-evaluating only the fields using ``key``."""
        ev = self.ev
        o = ev.monetised[i]
        fields = list(self.base.fields[i])
        changed = self.uses(i).get(key, ())
        if changed:
            values = years[ev.valid_years(o)[0]]
            for n in changed:
                name, label = _FIELDS[n]
                amount = getattr(o, name)
                fields[n] = (ev.value(amount, values) if label is None
                             else ev.percent(amount, values, label, None))
        quantity, proxy, dw, at, dp, do = fields
        claim = (self.claim[i] if not (2 in changed or 3 in changed or 4 in changed)
                 else (1 - dw) * (1 - dp) * (1 - at))
        impact = quantity * proxy * claim
        if 5 not in changed:
            return impact * self.weights[i]
        weights: Value = 0.0
        for age, weight in enumerate(ev.age_weights(o, ev.valid_years(o))):
            if weight:
                weights = weights + (1 - do) ** age * weight
        return impact * weights

    def with_assumption(self, key: str, xs: Value) -> tuple[dict[int, Value], dict[int, Value]]:
        fixed = {key: xs}
        years = self.ev.years(fixed)
        yearly = self.ev.yearly_keys(fixed)
        outcomes, inputs = self.affected(key)
        new_out = self._grouped_pv(key, xs, years)
        if new_out is None:
            new_out = {}
        for i in outcomes:
            if i not in new_out:
                new_out[i] = (self._quick_pv(i, key, years) if self.quick[i]
                              else self.ev.outcome_pv(self.ev.monetised[i], years, yearly))
        new_out = {i: new_out[i] for i in outcomes}  # in order, as the totals add them
        new_in = {j: self.ev.input_pv(self.ev.model.inputs[j], years) for j in inputs}
        return new_out, new_in

    # -- many outcomes whose formulas have the same shape, at once ---------------------------
    def _groups(self, key: str) -> list[_Group]:
        """The outcomes using ``key`` whose fields are the same every year, grouped by the
        fields that use it and the shape of their formulas (numbers, and names that do not
        depend on ``key``, taken out as per-outcome leaves)."""
        found = self._plans.get(key)
        if found is not None:
            return found
        by_shape: dict[tuple, tuple[list[int], list[list[float]]]] = {}
        # Outcomes whose formulas are equal (trees compare by value) have the same plan: many
        # rows share a formula. The names their leaves come from do not change by year in
        # these outcomes, so neither do the leaves; only a zero, whose sign equality does not
        # see, keeps a plan to its own outcome.
        plans: dict[tuple, tuple | None] = {}  # formulas -> (their group, leaves) or None
        number = formula.Number
        for i in self.affected(key)[0]:
            if not self.quick[i]:
                continue
            o = self.ev.monetised[i]
            formulas: tuple | None = tuple([
                (n, amount.node, amount.price is None)
                for n, amount in enumerate(_field_amounts(o)) if type(amount.node) is not number])
            try:
                plan = plans.get(formulas, _UNKNOWN)
            except RecursionError:  # a tree too deep to compare: planned for itself
                formulas, plan = None, _UNKNOWN
            if plan is _UNKNOWN:
                made = self._plan(o, i, key)
                plan = None if made is None else (
                    by_shape.setdefault((made[0], made[1], len(made[2])), ([], [])), made[2])
                if formulas is not None and (plan is None or all(plan[1])):
                    plans[formulas] = plan
            if plan is not None:
                (rows, table), leaves = plan
                rows.append(i)
                table.append(leaves)
        found = [_Group(np.array(rows, dtype=np.int64), changed, shapes,
                        np.array(table, dtype=float).reshape(len(rows), count),
                        _plain(shapes))
                 for (changed, shapes, count), (rows, table) in by_shape.items()]
        self._plans[key] = found
        return found

    def _plan(self, o: Outcome, i: int, key: str
              ) -> tuple[tuple[int, ...], tuple[tuple, ...], list[float]] | None:
        """Outcome i's fields that use ``key``, their shapes and leaves (_shape); None where
        the outcome is not done in a group."""
        values = self.base_years[self.ev.valid_years(o)[0]]
        changed = tuple(self.uses(i).get(key, ()))
        leaves: list[float] = []
        shapes = []
        for n in changed:
            amount = getattr(o, _FIELDS[n][0])
            shape = (None if amount.price is not None
                     else self._shape(amount.node, key, values, leaves, 0))
            if shape is None:
                return None
            shapes.append(shape)
        return changed, tuple(shapes), leaves

    def _shape(self, node, key: str, values: _Values, leaves: list[float],
               depth: int) -> tuple | None:
        """The formula with its numbers (and names not depending on ``key``) taken out into
        ``leaves``, in the order _array_eval meets them; None where that is not done."""
        if depth > 60:
            return None
        kind = type(node)
        if kind is formula.Number:
            leaves.append(float(node.value))
            return _LEAF
        if kind is formula.Name:
            if key in self.ev._close(frozenset((node.name.casefold(),))):
                return ("name", node.name)
            value = values.name(node.name)
            if isinstance(value, np.ndarray):
                return None
            leaves.append(float(value))
            return _LEAF
        if kind is formula.Binary:
            left = self._shape(node.left, key, values, leaves, depth + 1)
            right = None if left is None else self._shape(node.right, key, values, leaves,
                                                          depth + 1)
            return None if right is None else ("op", node.op, left, right)
        if kind is formula.Unary or kind is formula.Percent:
            inner = self._shape(node.operand, key, values, leaves, depth + 1)
            if inner is None:
                return None
            return ("%", inner) if kind is formula.Percent else ("unary", node.op, inner)
        if kind is formula.Call:
            args = []
            for arg in node.args:
                shape = self._shape(arg, key, values, leaves, depth + 1)
                if shape is None:
                    return None
                args.append(shape)
            return ("call", node.func, tuple(args))
        return None

    def _grouped_pv(self, key: str, xs: Value, years: list[_Values]) -> dict[int, Value] | None:
        """New PVs of the grouped outcomes, each group in one pass of array arithmetic, the same
        arithmetic outcome_pv does outcome by outcome. None (so: outcome by outcome) where
        anything would raise or fall outside its range, so that errors read as before. With a
        single number for ``key`` only groups of + - * / (and not the drop-off, a power) are
        done this way, where numpy's and Python's arithmetic are the same IEEE operations."""
        groups = self._groups(key)
        if not groups:
            return {}
        scalar = not isinstance(xs, np.ndarray)
        width = 1 if scalar else int(np.size(xs))
        values = years[0]
        found: dict[int, Value] = {}
        with np.errstate(all="ignore"):
            for g in groups:
                if scalar and not (g.plain and 5 not in g.changed):
                    continue  # outcome by outcome: Python's ** is not numpy's
                m = g.rows.size
                fields: dict[int, np.ndarray] = {}
                try:
                    position = [0]
                    for n, shape in zip(g.changed, g.shapes, strict=True):
                        value = _shape_eval(shape, g.leaves, position, values)
                        value = np.broadcast_to(np.asarray(value, dtype=float), (m, width))
                        if not np.isfinite(value).all():
                            return None
                        if _FIELDS[n][1] is not None and not ((value >= 0.0) & (value <= 1.0)
                                                              ).all():
                            return None
                        fields[n] = value
                except SroiError:
                    return None
                pv = self._group_pv(g.rows, fields)
                if scalar:
                    found.update(zip(g.rows.tolist(), pv[:, 0].tolist(), strict=True))
                else:
                    found.update(zip(g.rows.tolist(), pv, strict=True))
        return found

    def _group_pv(self, rows: np.ndarray, fields: Mapping[int, np.ndarray]) -> np.ndarray:
        """outcome_pv's quick path for ``rows``, with some fields new (outcome x point)."""
        def get(n: int) -> np.ndarray:
            return fields[n] if n in fields else self.field[_FIELDS[n][0]][rows, None]

        if 2 in fields or 3 in fields or 4 in fields:
            claim = (1 - get(2)) * (1 - get(4)) * (1 - get(3))
        else:
            claim = self.claim_array[rows, None]
        impact = get(0) * get(1) * claim
        if 5 not in fields:
            return impact * self.weight_sum[rows, None]
        by_age = self.by_age[rows]
        persist = 1 - fields[5]
        weights = np.zeros(persist.shape)
        for age in range(by_age.shape[1]):
            weight = by_age[:, age:age + 1]
            if weight.any():
                weights = weights + np.where(weight != 0, persist ** age * weight, 0.0)
        return impact * weights

    # -- one deduction of one outcome --------------------------------------------------------
    def with_deduction(self, i: int, key: str, mode: str, xs: Value) -> dict[int, Value]:
        o = self.ev.monetised[i]
        return {i: self.ev.outcome_pv(o, self.base_years, self.base_yearly, {key: (mode, xs)})}

    def deduction_pv(self, key: str, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
        """New PV of the outcomes ``rows`` (each with its fields the same in every year) with
        the deduction ``key`` at x (one row of values per outcome), as outcome_pv does it."""
        if key == "dropoff":
            by_age = self.by_age[rows]
            persist = 1 - x
            weights = np.zeros(x.shape)
            for age in range(by_age.shape[1]):
                weight = by_age[:, age:age + 1]
                if not weight.any():
                    continue
                term = persist ** age * weight
                # adding 0.0 where an age does not count (as the loop skips it) changes nothing
                weights += term if weight.all() else np.where(weight != 0, term, 0.0)
            return self.impact[rows, None] * weights
        dw, at, dp = (x if name == key else self.field[name][rows, None]
                      for name in ("deadweight", "attribution", "displacement"))
        claim = (1 - dw) * (1 - dp) * (1 - at)
        return self.gross[rows, None] * claim * self.weight_sum[rows, None]

    def ratio_of(self, new_out, new_in, size: int) -> np.ndarray:
        value, inputs = self.totals(new_out, new_in)
        value = np.broadcast_to(np.asarray(value, dtype=float), (size,))
        inputs = np.broadcast_to(np.asarray(inputs, dtype=float), (size,))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(inputs != 0, value / np.where(inputs != 0, inputs, 1.0), np.nan)


def _quick_rows(an: _Analysis, key: str) -> np.ndarray:
    """The outcomes whose fields are the same every year and whose ``key`` deduction is
    analysed: drop-off only when it lasts."""
    return np.flatnonzero(an.quick_mask & an.lasting if key == "dropoff" else an.quick_mask)


def _first_values(an: _Analysis) -> dict[str, list[float | None]]:
    """Each deduction's value in the first year each outcome occurs (None outside the
    horizon), from the base run where the fields are the same every year."""
    if an.first_values is None:
        an.first_values = _find_first_values(an)
    return an.first_values


def _find_first_values(an: _Analysis) -> dict[str, list[float | None]]:
    outside = np.flatnonzero(~an.inside).tolist()
    changing = np.flatnonzero(an.inside & ~an.quick_mask).tolist()
    found: dict[str, list[float | None]] = {}
    for key in DEDUCTIONS:
        # the fields where they are the same every year; the others one by one
        column: list[float | None] = an.field[key].tolist()
        for i in outside:
            column[i] = None
        for i in changing:
            column[i] = _first_value(an, an.ev.monetised[i], key)
        found[key] = column
    return found


def one_at_a_time(an: _Analysis, step: float) -> tuple[Rows, int]:
    """Each assumption at low and high, each deduction +/- step; ranked by swing."""
    items: list[SensitivityItem] = []
    for key, a in an.ev.assumptions.items():
        if a.low is None and a.high is None:
            continue
        base = _base_value(an, key)
        ends: list[float | None] = []
        error = None
        for point in (a.low, a.high):  # separately, so that one bad end keeps the other
            try:
                ends.append(None if point is None else _num(
                    an.ratio_of(*an.with_assumption(key, point), 1)[0]))
            except SroiError as exc:
                ends.append(None)
                error = error or _message(exc)
        r_low, r_high = ends
        items.append(SensitivityItem("assumption", a.name, base=base, low=a.low, high=a.high,
                                     ratio_low=r_low, ratio_high=r_high,
                                     swing=_swing(r_low, r_high, an.ratio), error=error))
    # Deductions: every outcome with the same fields each year at once, in closed form; the
    # value of the total is (base total - this outcome's base PV) + its new PV, as in totals.
    # One slot per outcome and deduction (outcome i, DEDUCTIONS[k] at 4 i + k), in the order
    # the table lists them before it is ranked.
    shift = np.array([-step, step])
    value, inputs = an.sums
    monetised = an.ev.monetised
    slots = 4 * len(monetised)
    ratio_low, ratio_high = np.full(slots, np.nan), np.full(slots, np.nan)
    applies = np.ones(slots, dtype=bool)
    applies[3::4] = an.lasting  # drop-off
    errors: dict[int, str] = {}
    for k, key in enumerate(DEDUCTIONS):
        rows = _quick_rows(an, key)
        if rows.size:
            x = np.clip(an.field[key][rows, None] + shift, 0.0, 1.0)
            new = (value - an.base_pv[rows])[:, None] + an.deduction_pv(key, rows, x)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(inputs != 0, new / (inputs if inputs != 0 else 1.0), np.nan)
            ratio_low[4 * rows + k], ratio_high[4 * rows + k] = r[:, 0], r[:, 1]
    for i in range(len(monetised)):
        if an.quick[i]:
            continue
        for k, key in enumerate(DEDUCTIONS):
            if not applies[4 * i + k]:
                continue
            try:
                r = an.ratio_of(an.with_deduction(i, key, "shift", shift), {}, 2)
            except SroiError as exc:
                errors[4 * i + k] = _message(exc)
                continue
            ratio_low[4 * i + k], ratio_high[4 * i + k] = float(r[0]), float(r[1])
    # _swing over arrays: a ratio that does not compute counts as the base ratio
    swing = np.abs(np.where(np.isfinite(ratio_high), ratio_high, an.ratio)
                   - np.where(np.isfinite(ratio_low), ratio_low, an.ratio))
    failed = np.zeros(slots, dtype=bool)
    failed[list(errors)] = True
    swing[failed] = 0.0
    shown = applies & (failed | (swing > 1e-12))
    omitted = int(np.count_nonzero(applies & ~shown))
    listed = np.flatnonzero(shown)
    # Ranked as items.sort(key=(error, -swing)) ranks them: a stable sort, errors last.
    order = np.lexsort((-np.concatenate([[i.swing for i in items], swing[listed]]),
                        np.concatenate([[i.error is not None for i in items],
                                        failed[listed]]).astype(bool)))
    # The ranked rows are made when asked for: per place in the ranking, its slot (-1: one
    # of the assumptions' items).
    deduction = order >= len(items)
    slot_by_rank = np.full(order.size, -1, dtype=np.int64)
    slot_by_rank[deduction] = listed[order[deduction] - len(items)]
    # Slot -1 (an assumption's item, which has its own figures) reads this last element.
    ratio_low, ratio_high, swing = (np.append(column, np.nan)
                                    for column in (ratio_low, ratio_high, swing))

    # The two columns the sheet sums up the rows after its first 200 with, without the rows.
    def swings() -> list[float]:
        values = swing[slot_by_rank].tolist()
        return [items[n].swing if slot < 0 else x for n, slot, x in
                zip(order.tolist(), slot_by_rank.tolist(), values, strict=True)]

    def row_errors() -> list[str | None]:
        return [items[n].error if slot < 0 else errors.get(slot) for n, slot in
                zip(order.tolist(), slot_by_rank.tolist(), strict=True)]

    make = _ranked_deductions(an, step, items, order, slot_by_rank, errors, ratio_low,
                              ratio_high, swing)
    return Rows(len(order), make, {"swing": swings, "error": row_errors}), omitted


def _ranked_deductions(an: _Analysis, step: float, items: list[SensitivityItem],
                       order: np.ndarray, slot_by_rank: np.ndarray, errors: dict[int, str],
                       ratio_low: np.ndarray, ratio_high: np.ndarray, swing: np.ndarray
                       ) -> Callable[[int, int], list[SensitivityItem]]:
    """The maker of the sensitivity rows ranked start..stop-1, for Rows. The columns end with
    the element slot -1 reads."""
    first = _first_values(an)
    steps: dict[float, tuple[float, float]] = {}  # base -> (low, high), as the table shows them
    monetised = an.ev.monetised
    numbers = an.outcome_no
    names = [o.name for o in monetised]
    owners = [o.stakeholder for o in monetised]
    bases = [first[key] for key in DEDUCTIONS]
    isfinite = math.isfinite

    def make(start: int, stop: int) -> list[SensitivityItem]:
        ranked: list[SensitivityItem] = []
        slots = slot_by_rank[start:stop]
        for n, slot, r_low, r_high, swung in zip(
                order[start:stop].tolist(), slots.tolist(), ratio_low[slots].tolist(),
                ratio_high[slots].tolist(), swing[slots].tolist(), strict=True):
            if slot < 0:
                ranked.append(items[n])
                continue
            i, k = slot >> 2, slot & 3  # outcome, deduction
            base = bases[k][i]
            if errors and slot in errors:
                ranked.append(SensitivityItem(DEDUCTIONS[k], names[i], owners[i], numbers[i],
                                              base, error=errors[slot]))
                continue
            low = high = None
            if base is not None:
                bounds = steps.get(base)
                if bounds is None:
                    bounds = steps[base] = (round(min(max(base - step, 0.0), 1.0), 12),
                                            round(min(max(base + step, 0.0), 1.0), 12))
                low, high = bounds
            ranked.append(_sensitivity_item(
                DEDUCTIONS[k], names[i], owners[i], numbers[i], base, low, high,
                r_low if isfinite(r_low) else None, r_high if isfinite(r_high) else None,
                swung))
        return ranked

    return make


# Many items at once (one per deduction of every outcome, when Rows are read): made as their
# __init__ makes them, without its object.__setattr__ for every field of a frozen dataclass,
# which took a third of the time of making them. The fields are those of the classes, in order;
# tests/test_uncertainty.py checks that these equal the instances __init__ makes.
_new, _set = object.__new__, object.__setattr__


def _sensitivity_item(kind, name, stakeholder, outcome_no, base, low, high, ratio_low,
                      ratio_high, swing) -> SensitivityItem:
    obj = _new(SensitivityItem)
    _set(obj, "__dict__", {"kind": kind, "name": name, "stakeholder": stakeholder,
                           "outcome_no": outcome_no, "base": base, "low": low, "high": high,
                           "ratio_low": ratio_low, "ratio_high": ratio_high, "swing": swing,
                           "error": None})
    return obj


def _switching_value(kind, name, stakeholder, outcome_no, base, low, high, percent, ratio,
                     npv) -> SwitchingValue:
    obj = _new(SwitchingValue)
    _set(obj, "__dict__", {"kind": kind, "name": name, "stakeholder": stakeholder,
                           "outcome_no": outcome_no, "base": base, "low": low, "high": high,
                           "percent": percent, "ratio": ratio, "npv": npv})
    return obj


def _solution(value, reason, method) -> Solution:
    obj = _new(Solution)
    _set(obj, "__dict__", {"value": value, "reason": reason, "method": method})
    return obj


def _text(nl: str, en: str) -> Text:
    obj = _new(Text)
    _set(obj, "__dict__", {"nl": nl, "en": en})
    return obj


def switching_values(an: _Analysis, stakeholder: str | None) -> Rows:
    """For each assumption and each outcome's deductions: ratio 1 (and stakeholder NPV 0)."""
    found: list[SwitchingValue] = []
    has_inputs = bool(float(an.base.pv_inputs))
    whole = _whole_deduction_names(an)
    for key, a in an.ev.assumptions.items():
        base = _base_value(an, key)
        percent = _is_percent_assumption(an, key, a, whole)
        lo, hi = _allowed_range(base, a, percent)

        def evaluate(xs, key=key, who=None):
            new_out, new_in = an.with_assumption(key, xs)
            return _target(an, new_out, new_in, who, xs)

        ratio = (_switch(evaluate, base, lo, hi, an.tol, percent, True) if has_inputs
                 else Solution(None, _NO_INPUTS))
        npv = None
        if stakeholder is not None:
            npv = _switch(lambda xs, ev=evaluate: ev(xs, who=stakeholder), base, lo, hi, an.tol,
                          percent, False)
        found.append(SwitchingValue("assumption", a.name, base=base, low=a.low, high=a.high,
                                    percent=percent, ratio=ratio, npv=npv))
    # Then outcome by outcome its deductions: drop-off only when it lasts, and only those of
    # outcomes within the horizon (with a value in their first year).
    monetised = an.ev.monetised
    listed = np.ones(4 * len(monetised), dtype=bool)
    listed[3::4] = an.lasting
    listed &= np.repeat(an.inside, 4)
    slots = np.flatnonzero(listed)
    make, distances = _deduction_switching_values(an, stakeholder, has_inputs, found, slots)
    return Rows(len(found) + len(slots), make, {"distance": distances})


def _deduction_switching_values(
        an: _Analysis, stakeholder: str | None, has_inputs: bool, head: list[SwitchingValue],
        slots: np.ndarray
) -> tuple[Callable[[int, int], list[SwitchingValue]], Callable[[], list[float | None]]]:
    """Solve every outcome's deductions (``slots``, outcome i and DEDUCTIONS[k] at 4 i + k)
    and return, for Rows, the maker of the switching rows start..stop-1 (``head`` first) and
    that of every row's distance (the sheet ranks them all and shows 200)."""
    first = _first_values(an)
    solved = _deduction_switching(an, stakeholder, has_inputs)
    # Outcomes whose fields change by year, one by one, now: only making the rows waits.
    unsolved = np.stack([place for place, _, _ in solved])[slots & 3, slots >> 2] < 0
    alone = {slot: _deduction_switch(an, slot >> 2, DEDUCTIONS[slot & 3],
                                     first[DEDUCTIONS[slot & 3]][slot >> 2], stakeholder,
                                     has_inputs)
             for slot in slots[unsolved].tolist()}
    monetised = an.ev.monetised
    numbers = an.outcome_no
    count = len(head)

    def make(start: int, stop: int) -> list[SwitchingValue]:
        chunk = slots[max(start, count) - count:max(stop, count) - count]
        ratio: list[Solution | None] = [None] * chunk.size
        npv: list[Solution | None] = [None] * chunk.size
        for mine, at, ratios, npvs in _solved_together(solved, chunk):
            for n, solution in zip(mine, ratios.many(at), strict=True):
                ratio[n] = solution
            if npvs is not None:
                for n, solution in zip(mine, npvs.many(at), strict=True):
                    npv[n] = solution
        rows = head[start:stop]
        for n, slot in enumerate(chunk.tolist()):
            i, key = slot >> 2, DEDUCTIONS[slot & 3]
            if slot in alone:
                ratio[n], npv[n] = alone[slot]
            o = monetised[i]
            rows.append(_switching_value(key, o.name, o.stakeholder, numbers[i], first[key][i],
                                         None, None, True, ratio[n], npv[n]))
        return rows

    def distances() -> list[float | None]:
        # As make's rows would give them: a deduction is a percentage without low and high.
        value: list[float | None] = [None] * slots.size
        for mine, at, ratios, _ in _solved_together(solved, slots):
            for n, x in zip(mine, ratios.values(at), strict=True):
                value[n] = x
        found = [s.distance for s in head]
        for n, slot in enumerate(slots.tolist()):
            x = alone[slot][0].value if slot in alone else value[n]
            found.append(switching_distance(x, first[DEDUCTIONS[slot & 3]][slot >> 2], True,
                                            None, None))
        return found

    return make, distances


def _solved_together(solved: list[tuple[np.ndarray, _Solutions, _Solutions | None]],
                     slots: np.ndarray) -> Iterator[tuple[list[int], np.ndarray, _Solutions,
                                                          _Solutions | None]]:
    """Per deduction of ``solved``: the positions in ``slots`` it solved, their rows in its
    solutions, and those solutions (ratio 1, stakeholder NPV 0)."""
    outcomes, kinds = slots >> 2, slots & 3
    for k, (place, ratios, npvs) in enumerate(solved):
        at = place[outcomes]
        mine = np.flatnonzero((kinds == k) & (at >= 0))
        yield mine.tolist(), at[mine], ratios, npvs


def _deduction_switch(an: _Analysis, i: int, key: str, base: float, stakeholder: str | None,
                      has_inputs: bool) -> tuple[Solution, Solution | None]:
    """One outcome's deduction, recomputing that outcome (fields that change by year)."""
    o = an.ev.monetised[i]

    def evaluate(xs, who=None):
        return _target(an, an.with_deduction(i, key, "set", xs), {}, who, xs)

    ratio = (_switch(evaluate, base, 0.0, 1.0, an.tol, True, True) if has_inputs
             else Solution(None, _NO_INPUTS))
    npv = None
    if stakeholder is not None:
        npv = (_switch(lambda xs: evaluate(xs, who=stakeholder), base, 0.0, 1.0, an.tol, True,
                       False)
               if o.stakeholder == stakeholder else Solution(None, _OTHER_STAKEHOLDER))
    return ratio, npv


def _deduction_switching(an: _Analysis, stakeholder: str | None, has_inputs: bool
                         ) -> list[tuple[np.ndarray, _Solutions, _Solutions | None]]:
    """The deductions of every outcome whose fields are the same each year, solved together:
    ``_switch_rows`` over the closed-form NPV of each outcome's deduction. By deduction (in
    DEDUCTIONS' order): (outcome -> its place in the solutions, -1 for none; ratio-1
    solutions; stakeholder NPV-0 solutions)."""
    solved: list[tuple[np.ndarray, _Solutions, _Solutions | None]] = []
    value, inputs = an.sums
    for key in DEDUCTIONS:
        rows = _quick_rows(an, key)
        rows = rows[an.inside[rows]]
        place = np.full(len(an.ev.monetised), -1, dtype=np.int64)
        place[rows] = np.arange(rows.size)
        x0 = an.field[key][rows]  # the first year's, as the fields are the same every year

        def target(sub, x, rows=rows, key=key, who=None):
            idx = rows[sub]
            v, inp = (value, inputs) if who is None else an.stakeholder_totals(who)
            npv = ((v - an.base_pv[idx])[:, None] + an.deduction_pv(key, idx, x)) - inp
            return npv, np.broadcast_to(inputs, npv.shape)

        if has_inputs:
            ratios = _switch_rows(target, x0, 0.0, 1.0, an.tol, True, True)
        else:
            ratios = _Solutions(rows.size, 0.0, 1.0, True, True, _NO_INPUTS_CODE)
        npvs = None
        if stakeholder is not None:
            own = np.array([k for k, i in enumerate(rows.tolist())
                            if an.ev.monetised[i].stakeholder == stakeholder], dtype=np.int64)
            npvs = _Solutions(rows.size, 0.0, 1.0, True, False, _OTHER_STAKEHOLDER_CODE)
            if own.size:
                def own_target(sub, x, own=own, target=target):
                    return target(own[sub], x, who=stakeholder)

                npvs.put(own, _switch_rows(own_target, x0[own], 0.0, 1.0, an.tol, True, False))
        solved.append((place, ratios, npvs))
    return solved


def _target(an: _Analysis, new_out, new_in, who: str | None, xs) -> np.ndarray:
    """Rows: the NPV to bring to 0 (overall or one stakeholder's) and the overall PV inputs."""
    value, inputs = an.totals(new_out, new_in, stakeholder=who)
    npv = np.asarray(value - inputs, dtype=float)
    if who is not None:
        inputs = an.totals(new_out, new_in)[1]
    shape = np.shape(xs)
    return np.stack([np.broadcast_to(npv, shape), np.broadcast_to(np.asarray(
        inputs, dtype=float), shape)])


_INDEPENDENT = Text("de ratio hangt hier niet van af", "the ratio does not depend on it")
_INDEPENDENT_NPV = Text("de NCW van deze belanghebbende hangt hier niet van af",
                        "this stakeholder's NPV does not depend on it")
_OTHER_STAKEHOLDER = Text("opbrengst van een andere belanghebbende",
                          "an outcome of another stakeholder")
_NO_INPUTS = Text("geen inbreng, dus geen ratio", "no inputs, so no ratio")


def _switch(g: Callable[[np.ndarray], np.ndarray], x0: float, lo: float, hi: float,
            tol: float, percent: bool, ratio_target: bool) -> Solution:
    """Where the NPV g(x)[0] is 0 in [lo, hi]: exact for affine g, bracketed otherwise.

    For the ratio, NPV = 0 means ratio = 1 only where PV inputs (g(x)[1]) stay above 0.
    """
    independent = _INDEPENDENT if ratio_target else _INDEPENDENT_NPV
    try:
        xs = _trial_points(x0, lo, hi)
        f, inputs = _safe(g, xs)
        if np.all(np.isfinite(f)):
            if _flat(f, inputs, tol, ratio_target):
                grid = np.linspace(lo, hi, _GRID)
                fg, ig = _safe(g, grid)
                if _flat(fg, ig, tol, ratio_target):
                    return Solution(None, independent)
            elif f[1] != f[0]:
                slope = (f[1] - f[0]) / (xs[1] - xs[0])
                linear = abs(f[2] - (f[0] + slope * (xs[2] - xs[0]))) <= tol
                root = float(xs[0] - f[0] / slope)
                if lo <= root <= hi:
                    check, check_inputs = _safe(g, np.array([root]))[:, 0]
                    if (math.isfinite(check) and abs(check) <= tol
                            and (not ratio_target or check_inputs > 0)):
                        return Solution(root, None, "linear" if linear else "bracketing")
                elif linear and math.isfinite(root):
                    return Solution(None, _outside(root, lo, hi, percent, ratio_target))
        return _bracket(g, x0, lo, hi, tol, percent, ratio_target, independent)
    except SroiError as exc:
        return Solution(None, Text(_message(exc), _message(exc)))


def _flat(f: np.ndarray, inputs: np.ndarray, tol: float, ratio_target: bool) -> bool:
    """Whether the target does not move: the ratio for the ratio, else the NPV."""
    ok = np.isfinite(f)
    if not ok.any():
        return False
    if ratio_target:
        ok &= inputs > 0
        if not ok.any():
            return False
        ratio = 1 + f[ok] / inputs[ok]
        return bool(np.all(np.abs(ratio - ratio[0]) <= _REL_TOL * max(1.0, abs(ratio[0]))))
    return bool(np.all(np.abs(f[ok] - f[ok][0]) <= tol))


def _trial_points(x0: float, lo: float, hi: float) -> np.ndarray:
    d = 0.1 * (hi - lo) if hi > lo else max(abs(x0), 1.0) * 0.1
    candidates = [x0 + d, x0 - d, x0 + 2 * d, x0 - 2 * d, x0 + d / 2, x0 - d / 2]
    inside = [c for c in candidates if lo <= c <= hi and c != x0]
    while len(inside) < 2:
        inside.append(x0 + d * (len(inside) + 1))
    return np.array([x0, inside[0], inside[1]], dtype=float)


def _safe(g, xs: np.ndarray) -> np.ndarray:
    """g over many points at once, shape (2, n); where it fails, NaN (one point at a time)."""
    try:
        return np.asarray(g(xs), dtype=float).reshape(2, xs.size).copy()
    except SroiError:
        if xs.size == 1:
            return np.full((2, 1), np.nan)
        out = np.full((2, xs.size), np.nan)
        errors = []
        for k, x in enumerate(xs):
            try:
                out[:, k] = np.asarray(g(np.array([x])), dtype=float).reshape(2)
            except SroiError as exc:
                errors.append(exc)
        if len(errors) == xs.size:
            raise errors[0] from None
        return out


def _bracket(g, x0, lo, hi, tol, percent, ratio_target, independent) -> Solution:
    """Grid over [lo, hi], the sign change nearest x0, then 32-way subdivision."""
    grid = np.unique(np.append(np.linspace(lo, hi, _GRID), x0))
    f, inputs = _safe(g, grid)
    ok = np.isfinite(f) & (inputs > 0 if ratio_target else True)
    if _flat(f, inputs, tol, ratio_target):
        return Solution(None, independent)
    brackets = []
    for k in range(len(grid)):
        if ok[k] and abs(f[k]) <= tol:
            brackets.append((grid[k], grid[k]))
        elif k + 1 < len(grid) and ok[k] and ok[k + 1] and f[k] * f[k + 1] < 0:
            brackets.append((grid[k], grid[k + 1]))
    if not brackets:
        if not ok.any():
            return Solution(None, _NO_INPUTS)
        if ratio_target:
            ratios = 1 + f[ok] / inputs[ok]
            low_g, high_g = float(ratios.min()), float(ratios.max())
        else:
            low_g, high_g = float(f[ok].min()), float(f[ok].max())
        return Solution(None, _not_reached(lo, hi, low_g, high_g, percent, ratio_target))
    a, b = min(brackets, key=lambda ab: min(abs(ab[0] - x0), abs(ab[1] - x0)))
    for _ in range(16):
        if b - a <= 1e-13 * max(1.0, abs(a)):
            break
        pts = np.linspace(a, b, 33)
        fp = _safe(g, pts)[0]
        for k in range(32):
            if np.isfinite(fp[k]) and abs(fp[k]) <= tol * 1e-3:
                a = b = pts[k]
                break
            if np.isfinite(fp[k]) and np.isfinite(fp[k + 1]) and fp[k] * fp[k + 1] <= 0:
                a, b = pts[k], pts[k + 1]
                break
        else:
            break
    if a == b:
        return Solution(float(a), None, "bracketing")
    fa, fb = _safe(g, np.array([a, b]))[0]
    root = a - fa * (b - a) / (fb - fa) if fb != fa else (a + b) / 2
    return Solution(float(root), None, "bracketing")


# What a row of _Solutions holds: its Solution, made from these and its columns a and b.
(_NONE_CODE, _LINEAR_CODE, _BRACKETING_CODE, _INDEPENDENT_CODE, _NO_INPUTS_CODE,
 _OTHER_STAKEHOLDER_CODE, _OUTSIDE_CODE, _NOT_REACHED_CODE, _GIVEN_CODE) = range(9)


class _Solutions:
    """The solutions of many problems over one range and for one target, as columns: made into
    Solution objects (and their reasons into texts) only when a row is asked for."""

    def __init__(self, size: int, lo: float, hi: float, percent: bool, ratio_target: bool,
                 code: int = _NONE_CODE):
        self.code = np.full(size, code, dtype=np.int8)
        self.a = np.zeros(size)  # the value found, the root outside, or the lowest target
        self.b = np.zeros(size)  # the highest target (not reached)
        self.given: dict[int, Solution] = {}  # rows solved one at a time, by _switch
        self.range = (lo, hi, percent, ratio_target)

    def put(self, rows: np.ndarray, other: _Solutions) -> None:
        """Take the rows of ``other`` (of the same range) as these ``rows``."""
        self.code[rows], self.a[rows], self.b[rows] = other.code, other.a, other.b
        self.given.update((int(rows[k]), found) for k, found in other.given.items())

    def values(self, rows: np.ndarray) -> list[float | None]:
        """The ``value`` of each of ``rows``' Solution, as :meth:`many` makes them."""
        codes, a = self.code[rows].tolist(), self.a[rows].tolist()
        return [x if code in (_LINEAR_CODE, _BRACKETING_CODE)
                else self.given[k].value if code == _GIVEN_CODE else None
                for k, code, x in zip(rows.tolist(), codes, a, strict=True)]

    def many(self, rows: np.ndarray) -> list[Solution]:
        """The Solution of each of ``rows``."""
        lo, hi, percent, ratio_target = self.range
        codes = self.code[rows].tolist()
        a, b = self.a[rows].tolist(), self.b[rows].tolist()
        outside = iter(_outside_many([x for code, x in zip(codes, a, strict=True)
                                      if code == _OUTSIDE_CODE], lo, hi, percent, ratio_target))
        independent = _INDEPENDENT if ratio_target else _INDEPENDENT_NPV
        found: list[Solution] = []
        for k, code, x, y in zip(rows.tolist(), codes, a, b, strict=True):
            if code == _LINEAR_CODE:
                found.append(_solution(x, None, "linear"))
            elif code == _BRACKETING_CODE:
                found.append(_solution(x, None, "bracketing"))
            elif code == _OUTSIDE_CODE:
                found.append(_solution(None, next(outside), ""))
            elif code == _NOT_REACHED_CODE:
                found.append(_solution(None, _not_reached(lo, hi, x, y, percent, ratio_target),
                                       ""))
            elif code == _GIVEN_CODE:
                found.append(self.given[k])
            else:
                found.append(_solution(None, independent if code == _INDEPENDENT_CODE
                                       else _REASONS[code], ""))
        return found


_REASONS = {_NONE_CODE: None, _NO_INPUTS_CODE: _NO_INPUTS,
            _OTHER_STAKEHOLDER_CODE: _OTHER_STAKEHOLDER}


def _switch_rows(target: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
                 x0: np.ndarray, lo: float, hi: float, tol: float, percent: bool,
                 ratio_target: bool) -> _Solutions:
    """``_switch`` for many problems at once, each row its own function of x.

    ``target(rows, x)`` gives the NPV and the overall PV inputs of the problems ``rows`` (an
    index array) at the points ``x`` (one row of points per problem). The steps are _switch's,
    row by row: the same trial points, the flatness test, the linear root and its check, and
    _bracket's grid where no bracket turns up (flat: independent; else the range of the
    target). A row that needs anything else (a bracket to refine, a point that does not
    compute) goes to _switch itself, with ``target`` restricted to that row.
    """
    m = int(x0.size)
    out = _Solutions(m, lo, hi, percent, ratio_target)
    if not m:
        return out
    x0 = np.asarray(x0, dtype=float)
    rows = np.arange(m)
    left: list[int] = []  # for _switch itself
    bracket: list[int] = []  # for the grid of _bracket
    finite = np.zeros(m, dtype=bool)
    if hi > lo:
        d = 0.1 * (hi - lo)
        candidates = np.stack([x0 + d, x0 - d, x0 + 2 * d, x0 - 2 * d, x0 + d / 2, x0 - d / 2],
                              axis=1)
        inside = (candidates >= lo) & (candidates <= hi) & (candidates != x0[:, None])
        enough = inside.sum(axis=1) >= 2
        one = inside.argmax(axis=1)
        rest = inside.copy()
        rest[rows, one] = False
        two = rest.argmax(axis=1)
        xs = np.stack([x0, candidates[rows, one], candidates[rows, two]], axis=1)
        with np.errstate(all="ignore"):
            f, inputs = target(rows, xs)
        finite = np.isfinite(f).all(axis=1) & enough
        left += rows[~enough].tolist()
        bracket += rows[enough & ~finite].tolist()
    else:
        left += rows.tolist()
    live = rows[finite]
    if live.size:
        flat = _flat_rows(f[live], inputs[live], tol, ratio_target)
        flat_rows = live[flat]
        if flat_rows.size:
            grid = np.broadcast_to(np.linspace(lo, hi, _GRID), (flat_rows.size, _GRID))
            with np.errstate(all="ignore"):
                fg, ig = target(flat_rows, grid)
            still = _flat_rows(fg, ig, tol, ratio_target)
            out.code[flat_rows[still]] = _INDEPENDENT_CODE
            bracket += flat_rows[~still].tolist()
        moving = live[~flat]
        f0, f1, f2 = f[moving, 0], f[moving, 1], f[moving, 2]
        same = f1 == f0
        bracket += moving[same].tolist()
        moving, f0, f1, f2 = moving[~same], f0[~same], f1[~same], f2[~same]
        x_0, x_1, x_2 = xs[moving, 0], xs[moving, 1], xs[moving, 2]
        with np.errstate(all="ignore"):
            slope = (f1 - f0) / (x_1 - x_0)
            linear = np.abs(f2 - (f0 + slope * (x_2 - x_0))) <= tol
            root = x_0 - f0 / slope
        within = (lo <= root) & (root <= hi)
        if within.any():
            check_rows = moving[within]
            with np.errstate(all="ignore"):
                check, check_inputs = target(check_rows, root[within][:, None])
            check, check_inputs = check[:, 0], check_inputs[:, 0]
            good = np.isfinite(check) & (np.abs(check) <= tol)
            if ratio_target:
                good &= check_inputs > 0
            found = check_rows[good]
            out.code[found] = np.where(linear[within][good], _LINEAR_CODE, _BRACKETING_CODE)
            out.a[found] = root[within][good]
            bracket += check_rows[~good].tolist()
        outside = ~within & linear & np.isfinite(root)
        out.code[moving[outside]] = _OUTSIDE_CODE
        out.a[moving[outside]] = root[outside]
        bracket += moving[~within & ~outside].tolist()
    bracket_rows = np.array(sorted(bracket), dtype=np.int64)
    step = max(1, _BLOCK // (_GRID + 1))  # rows at a time: each row's grid is its own
    for r0 in range(0, bracket_rows.size, step):
        left += _bracket_rows(target, bracket_rows[r0:r0 + step], x0, lo, hi, tol,
                              ratio_target, out)
    for k in sorted(left):
        def g(xs, k=k):
            f_k, i_k = target(np.array([k]), np.asarray(xs, dtype=float).reshape(1, -1))
            return np.stack([f_k[0], i_k[0]])

        out.code[k] = _GIVEN_CODE
        out.given[k] = _switch(g, float(x0[k]), lo, hi, tol, percent, ratio_target)
    return out


def _bracket_rows(target, rows: np.ndarray, x0: np.ndarray, lo: float, hi: float, tol: float,
                  ratio_target: bool, out: _Solutions) -> list[int]:
    """_bracket's grid for many rows: fills ``out`` where the grid settles it (flat, or no
    bracket) and returns the rows with a bracket to refine."""
    lin = np.linspace(lo, hi, _GRID)
    start = x0[rows]
    at = np.searchsorted(lin, start)
    # The grid with x0 in its place (where x0 is on the grid already, it appears twice, which
    # changes neither flatness, nor the range, nor whether there is a bracket).
    cols = np.arange(_GRID + 1)
    grid = np.where(cols < at[:, None], lin[np.minimum(cols, _GRID - 1)],
                    np.where(cols == at[:, None], start[:, None], lin[np.maximum(cols - 1, 0)]))
    with np.errstate(all="ignore"):
        f, inputs = target(rows, grid)
        ok = np.isfinite(f)
        if ratio_target:
            ok &= inputs > 0
        flat = _flat_rows(f, inputs, tol, ratio_target)
        zero = (ok & (np.abs(f) <= tol)).any(axis=1)
        change = (ok[:, :-1] & ok[:, 1:] & (f[:, :-1] * f[:, 1:] < 0)).any(axis=1)
        shown = 1 + f / inputs if ratio_target else f
        lowest = np.where(ok, shown, np.inf).min(axis=1)
        highest = np.where(ok, shown, -np.inf).max(axis=1)
    some = ok.any(axis=1)
    settled = ~(zero | change)
    out.code[rows[flat]] = _INDEPENDENT_CODE
    short = ~flat & settled
    out.code[rows[short & ~some]] = _NO_INPUTS_CODE
    reached = rows[short & some]
    out.code[reached] = _NOT_REACHED_CODE
    out.a[reached], out.b[reached] = lowest[short & some], highest[short & some]
    return rows[~flat & ~settled].tolist()


def _flat_rows(f: np.ndarray, inputs: np.ndarray, tol: float, ratio_target: bool) -> np.ndarray:
    """_flat for each row."""
    ok = np.isfinite(f)
    if ratio_target:
        ok &= inputs > 0
    first = ok.argmax(axis=1)
    pick = np.arange(f.shape[0])
    with np.errstate(all="ignore"):
        shown = 1 + f / inputs if ratio_target else f
        ref = shown[pick, first]
        if ratio_target:
            limit = _REL_TOL * np.maximum(1.0, np.abs(ref))
            near = np.abs(shown - ref[:, None]) <= limit[:, None]
        else:
            near = np.abs(shown - ref[:, None]) <= tol
    return ok.any(axis=1) & np.all(near | ~ok, axis=1)


def _outside(root, lo, hi, percent, ratio_target) -> Text:
    return _outside_many([root], lo, hi, percent, ratio_target)[0]


def _outside_many(roots: list[float], lo, hi, percent, ratio_target) -> list[Text]:
    """For each root: ratio 1 (or NPV 0) only there, outside lo - hi."""
    low, high = _show_cached(lo, percent), _show_cached(hi, percent)
    what = ("ratio 1", "ratio 1") if ratio_target else ("NCW 0", "NPV 0")
    nl_head, nl_tail = f"{what[0]} pas bij ", f", buiten {low.nl} - {high.nl}"
    en_head, en_tail = f"{what[1]} only at ", f", outside {low.en} - {high.en}"
    found = []
    for root in roots:
        en = _show_en(root, percent)
        found.append(_text(nl_head + en.translate(_NL_DIGITS) + nl_tail, en_head + en + en_tail))
    return found


def _not_reached(lo, hi, g_lo, g_hi, percent, ratio_target) -> Text:
    low, high = _show_cached(lo, percent), _show_cached(hi, percent)
    if ratio_target:
        a, b = _show(g_lo, False, 2), _show(g_hi, False, 2)
        return Text(f"geen waarde tussen {low.nl} en {high.nl} geeft ratio 1 (ratio {a.nl} "
                    f"tot {b.nl})",
                    f"no value between {low.en} and {high.en} gives ratio 1 (ratio {a.en} to "
                    f"{b.en})")
    a, b = _show(g_lo, False, 0), _show(g_hi, False, 0)
    return Text(f"geen waarde tussen {low.nl} en {high.nl} geeft NCW 0 (NCW {a.nl} tot {b.nl})",
                f"no value between {low.en} and {high.en} gives NPV 0 (NPV {a.en} to {b.en})")


@functools.lru_cache(maxsize=256)
def _show_cached(x: float, percent: bool) -> Text:
    """_show of the ends of a range, which repeat (0% - 100% for every deduction)."""
    return _show(x, percent)


def _show(x: float, percent: bool, decimals: int | None = None) -> Text:
    """A number as users read it, in both languages."""
    en = _show_en(x, percent, decimals)
    return Text(en.translate(_NL_DIGITS), en)


def _show_en(x: float, percent: bool, decimals: int | None = None) -> str:
    if percent:
        return f"{x * 100:,.1f}%".replace(".0%", "%")
    if decimals is not None:
        return f"{x:,.{decimals}f}"
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


_NL_DIGITS = str.maketrans({",": ".", ".": ","})  # 1,234.5 -> 1.234,5


def _whole_deduction_names(an: _Analysis) -> set[str]:
    """Assumptions used as a whole deduction somewhere, e.g. deadweight =DW."""
    found: set[str] = set()
    for o in an.ev.monetised:
        for amount in _field_amounts(o)[2:]:  # the deductions
            if isinstance(amount.node, formula.Name):
                found.add(amount.node.name.casefold())
    return found


def _is_percent_assumption(an: _Analysis, key: str, a: Assumption,
                           whole: set[str] | None = None) -> bool:
    unit = a.unit.strip().casefold()
    if "%" in unit or "procent" in unit or "percent" in unit:
        return True
    return key in (whole if whole is not None else _whole_deduction_names(an))


def _allowed_range(base: float, a: Assumption, percent: bool) -> tuple[float, float]:
    if percent:
        return min(0.0, base), max(1.0, base)
    scale = max(abs(base), abs(a.low or 0.0), abs(a.high or 0.0)) or 1.0
    wide = 100.0 * scale
    negative = base < 0 or (a.low is not None and a.low < 0)
    return (-wide if negative else 0.0), wide


def _base_value(an: _Analysis, key: str) -> float:
    """The assumption's value under the scenario (its Value column, not a per-year one)."""
    value = _Values(an.ev, {}, 0).name(an.ev.assumptions[key].name)
    return float(value)


def _first_value(an: _Analysis, o: Outcome, key: str) -> float | None:
    """A deduction's value in the first year the outcome occurs (None outside the horizon)."""
    year = o.first_year
    if not 1 <= year <= an.ev.horizon:
        return None
    return float(an.ev.value(getattr(o, key), an.base_years[year]))


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


def varied_assumptions(model: Model, scenario: str | None = None) -> tuple[list[Varied],
                                                                            list[Text]]:
    """The assumptions Monte Carlo draws, with their distribution, and notes on choices made.

    An assumption is drawn when it has a distribution, or has low and high and no
    distribution (then triangular around its value). "fixed" keeps it at its value.
    """
    return _varied(_Evaluator(model, scenario))


def _varied(ev: _Evaluator) -> tuple[list[Varied], list[Text]]:
    varied: list[Varied] = []
    notes: list[Text] = []
    base_values = _Values(ev, {}, 0)
    for a in ev.model.assumptions:
        dist = a.distribution
        if dist == "fixed" or a.low is None or a.high is None:
            continue
        dist = dist or "triangular"
        mode = float(base_values.name(a.name))
        if dist != "uniform" and not a.low <= mode <= a.high:
            notes.append(Text(
                f"'{a.name}': de waarde ({mode:g}) ligt buiten laag - hoog ({a.low:g} - "
                f"{a.high:g}); getrokken uniform tussen laag en hoog",
                f"'{a.name}': its value ({mode:g}) lies outside low - high ({a.low:g} - "
                f"{a.high:g}); drawn uniformly between low and high"))
            dist = "uniform"
        percent = "%" in a.unit
        varied.append(Varied(a.name, dist, float(a.low), mode, float(a.high), percent=percent))
    return varied, notes


def draw(varied: Sequence[Varied], n: int, seed: int) -> dict[str, np.ndarray]:
    """n draws for each varied assumption, in sheet order, from one seeded generator."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for v in varied:
        a, m, b = v.low, v.mode, v.high
        if b <= a:
            values = np.full(n, a, dtype=float)
        elif v.distribution == "uniform":
            values = rng.uniform(a, b, n)
        elif v.distribution == "triangular":
            values = rng.triangular(a, m, b, n)
        elif v.distribution == "pert":
            alpha = 1 + 4 * (m - a) / (b - a)
            beta = 1 + 4 * (b - m) / (b - a)
            values = a + (b - a) * rng.beta(alpha, beta, n)
        else:
            raise ValueError(f"unknown distribution {v.distribution!r}")
        out[v.name.casefold()] = values
    return out


def evaluate(model: Model, values: Mapping[str, Value], scenario: str | None = None,
             progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(PV outcomes, PV inputs) with the given assumptions set to numbers or arrays of them.

    Without arrays this is exactly engine.compute's figures; with arrays, one figure per
    element, each equal (to rounding) to compute with those values as a scenario.
    """
    ev = _Evaluator(model, scenario)
    unknown = [name for name in values if name.casefold() not in ev.assumptions]
    if unknown:
        raise ValueError(f"not an assumption: {', '.join(unknown)}")
    run = ev.run({name.casefold(): value for name, value in values.items()}, progress)
    size = max((np.size(v) for v in values.values()), default=1)
    return (np.broadcast_to(np.asarray(run.pv_value, dtype=float), (size,)),
            np.broadcast_to(np.asarray(run.pv_inputs, dtype=float), (size,)))


def monte_carlo(model: Model, scenario: str | None = None, draws: int | None = None,
                seed: int | None = None, progress: Progress | None = None) -> MonteCarlo:
    """Draw the varied assumptions and compute ratio and NPV for every draw at once."""
    _draw_count(model, draws)
    return _monte_carlo(model, _Evaluator(model, scenario), draws, seed, progress)


def _draw_count(model: Model, draws: int | None) -> int:
    n = int(draws if draws is not None else model.settings.mc_draws)
    if not 1 <= n <= MAX_DRAWS:
        raise ValueError(f"the number of draws must be between 1 and {MAX_DRAWS:,}, not {n}")
    return n


def _monte_carlo(model: Model, ev: _Evaluator, draws: int | None, seed: int | None,
                 progress: Progress | None, base: _Run | None = None) -> MonteCarlo:
    """monte_carlo with the evaluator of its scenario; ``base``, that evaluator's run without
    set values, stands in for the run when nothing is drawn (it is the same computation)."""
    n = _draw_count(model, draws)
    seed = int(seed if seed is not None else model.settings.mc_seed)
    varied, notes = _varied(ev)
    total = len(ev.monetised) + len(model.inputs)
    if progress is not None:  # start the clock before drawing, which takes time too
        progress(0, total)
    fixed = draw(varied, n, seed)
    if fixed or base is None:
        run = ev.run(fixed, progress)
    else:
        run = base
        if progress is not None:
            progress(total, total)
    pv_value = np.broadcast_to(np.asarray(run.pv_value, dtype=float), (n,))
    pv_inputs = np.broadcast_to(np.asarray(run.pv_inputs, dtype=float), (n,))
    npv = pv_value - pv_inputs
    has_inputs = pv_inputs != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(has_inputs, pv_value / np.where(has_inputs, pv_inputs, 1.0), np.nan)
    defined = ratio[has_inputs]
    if not varied:
        notes.append(Text("geen enkele aanname varieert (vul laag en hoog in, of een "
                          "verdeling), dus elke trekking geeft de basisuitkomst",
                          "no assumption varies (fill in low and high, or a distribution), so "
                          "every draw gives the base result"))
    return MonteCarlo(
        draws=n, seed=seed,
        varied=tuple(replace(v, mean=float(np.mean(fixed[v.name.casefold()])))
                     for v in varied),
        ratio=_stats(defined), npv=_stats(npv),
        p_ratio_above_1=float(np.mean(defined > 1.0)) if defined.size else None,
        undefined=int(n - defined.size), histogram=_histogram(defined),
        notes=tuple(notes))


def _stats(x: np.ndarray) -> Stats:
    if not x.size:
        return Stats(None, None, None, None)
    if x.min() == x.max():  # every draw the same: report it as is, without summation noise
        v = float(x[0])
        return Stats(v, v, v, v)
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return Stats(float(np.mean(x)), float(p5), float(p50), float(p95))


def _histogram(x: np.ndarray, bins: int = HISTOGRAM_BINS) -> tuple[tuple[float, float, int], ...]:
    """Counts over bins of a round width whose edges fall on multiples of it (1 is an edge)."""
    if not x.size:
        return ()
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        return ((lo, hi, int(x.size)),)
    raw = (hi - lo) / bins
    power = 10 ** math.floor(math.log10(raw))
    width = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(lo / width) * width
    count = max(1, math.ceil((hi - start) / width - 1e-9))
    if start + count * width <= hi:
        count += 1
    edges = start + width * np.arange(count + 1)
    counts, _ = np.histogram(x, bins=edges)
    return tuple((float(edges[k]), float(edges[k + 1]), int(counts[k])) for k in range(count))


# --------------------------------------------------------------------------------------------
# Everything together
# --------------------------------------------------------------------------------------------


def analyse(model: Model, scenario: str | None = None, *, draws: int | None = None,
            seed: int | None = None, progress: Progress | None = None,
            results: Results | None = None) -> Uncertainty:
    """All four analyses; a part that cannot be computed is left out with a note saying why.

    ``results``: engine.compute's for this model and scenario, if at hand; the base figures
    are taken from them instead of computed again (they are the same).
    """
    with collector_paused():
        return _analyse(model, scenario, draws, seed, progress, results)


def _analyse(model: Model, scenario: str | None, draws: int | None, seed: int | None,
             progress: Progress | None, results: Results | None = None) -> Uncertainty:
    notes: list[Text] = []
    settings = model.settings
    step = float(settings.sensitivity_step)
    stakeholder = settings.switching_stakeholder or None
    try:
        an = _Analysis(model, scenario, results=results)
    except SroiError as exc:
        notes.append(_failed(Text("Gevoeligheid en omslagpunten", "Sensitivity and switching "
                                  "values"), exc))
        return Uncertainty(None, None, 0.0, step, scenario_comparison(model),
                           notes=tuple(notes))
    scenarios = scenario_comparison(model, {an.ev.scenario: (an.ev, an.base)})
    sensitivity: Sequence[SensitivityItem] = ()
    omitted = 0
    if an.ratio is None:
        notes.append(Text("Gevoeligheid: geen inbreng, dus geen ratio om te vergelijken",
                          "Sensitivity: no inputs, so no ratio to compare"))
    else:
        sensitivity, omitted = one_at_a_time(an, step)
    switching = switching_values(an, stakeholder)
    n = int(draws if draws is not None else settings.mc_draws)
    mc = None
    if n <= 0:
        notes.append(Text("Monte Carlo: het aantal trekkingen is 0, dus niet berekend",
                          "Monte Carlo: the number of draws is 0, so it was not computed"))
    else:
        try:
            mc = _monte_carlo(model, an.ev, n, seed, progress, an.base)
        except SroiError as exc:
            notes.append(_failed(Text("Monte Carlo", "Monte Carlo"), exc))
    return Uncertainty(an.ev.scenario or None, an.ratio, an.npv, step, scenarios,
                       sensitivity, omitted, switching, stakeholder, mc,
                       tuple(notes))


# --------------------------------------------------------------------------------------------
# The analysis sent from a second process (aside.py)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sent:
    """Rows as the child sends them: how many, those the sheet shows by place, and the
    columns it ranks them by."""

    size: int
    known: dict[int, object]
    columns: dict[str, list]


def sent(u: Uncertainty) -> Uncertainty:
    """``u`` with only the rows of each table that the sensitivity sheet shows (the first
    sensitivity rows, the most fragile switching rows), to send from another process (see
    aside.py); ``received`` makes it whole again there."""
    first = list(range(min(len(u.sensitivity), SHOWN_ROWS)))
    fragile = (most_fragile(u.switching.column("distance"), SHOWN_ROWS)
               if isinstance(u.switching, Rows) and len(u.switching) > SHOWN_ROWS
               else list(range(len(u.switching))))
    return replace(u, sensitivity=_send(u.sensitivity, first),
                   switching=_send(u.switching, fragile))


def _send(rows: Sequence, shown: list[int]) -> Sequence | _Sent:
    if not isinstance(rows, Rows):
        return rows  # a plain tuple (nothing computed): sent whole
    return _Sent(len(rows), dict(zip(shown, rows.picked(shown), strict=True)),
                 {name: rows.column(name) for name in rows._columns})


def received(u: Uncertainty, again: Callable[[], Uncertainty]) -> Uncertainty:
    """``u`` as ``sent`` made it, with rows that make the rest when they are read: all of
    ``again()``'s (the same analysis, run here)."""
    once = functools.cache(again)
    return replace(u, sensitivity=_received(u.sensitivity, lambda: once().sensitivity),
                   switching=_received(u.switching, lambda: once().switching))


def _received(rows: Sequence | _Sent, again: Callable[[], Sequence]) -> Sequence:
    return _Shown(rows, again) if isinstance(rows, _Sent) else rows


class _Shown(Rows):
    """Rows of which the rows the sheet shows, and the columns it ranks by, came from the
    process that made them; any other row makes them all again here (``again()``)."""

    __slots__ = ("_known", "_again")

    def __init__(self, sent: _Sent, again: Callable[[], Sequence]) -> None:
        super().__init__(sent.size, self._known_rows,
                         {name: (lambda values=values: values)
                          for name, values in sent.columns.items()})
        self._known = sent.known
        self._again = again

    def _known_rows(self, start: int, stop: int) -> Sequence:
        if all(k in self._known for k in range(start, stop)):
            return [self._known[k] for k in range(start, stop)]
        return self._again()[start:stop]

    def picked(self, indices: list[int]) -> list:
        if all(k in self._known for k in indices):
            return [self._known[k] for k in indices]
        return super().picked(indices)


def _failed(what: Text, exc: Exception) -> Text:
    message = _message(exc)
    return Text(f"{what.nl} niet berekend: {message}", f"{what.en} not computed: {message}")


def _message(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem is not None else str(exc)


def _num(x) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


def _clean(x) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _scenario_dict(s: ScenarioFigures) -> dict:
    if s.error:
        return {"scenario": s.name, "error": s.error}
    return {
        "scenario": s.name, "sroi_ratio": _clean(s.ratio), "net_sroi_ratio": _clean(s.net_ratio),
        "pv_outcomes": s.pv_value, "pv_inputs": s.pv_inputs, "npv": s.npv,
        "stakeholders": [{"stakeholder": n, "inputs": i, "value": v}
                         for n, i, v in s.stakeholders],
    }


def _sensitivity_dict(i: SensitivityItem) -> dict:
    data = {"kind": i.kind, "name": i.name, "base": i.base, "low": i.low, "high": i.high,
            "ratio_low": i.ratio_low, "ratio_high": i.ratio_high, "swing": i.swing}
    if i.kind != "assumption":
        data.update(stakeholder=i.stakeholder, outcome_no=i.outcome_no)
    if i.error:
        data["error"] = i.error
    return data


def _solution_dict(s: Solution | None) -> dict | None:
    if s is None:
        return None
    return {"value": s.value, "method": s.method or None,
            "reason": s.reason.en if s.reason is not None else None}


def _switching_dict(s: SwitchingValue, stakeholder: str | None) -> dict:
    data = {"kind": s.kind, "name": s.name, "base": s.base, "low": s.low, "high": s.high,
            "ratio_1": _solution_dict(s.ratio), "within_low_high": s.within_range}
    if s.kind != "assumption":
        data.update(stakeholder=s.stakeholder, outcome_no=s.outcome_no)
    if stakeholder is not None:
        data["stakeholder_npv_0"] = _solution_dict(s.npv)
    return data


def _stats_dict(s: Stats) -> dict:
    return {"mean": s.mean, "p5": s.p5, "p50": s.p50, "p95": s.p95}


def _monte_carlo_dict(mc: MonteCarlo | None) -> dict | None:
    if mc is None:
        return None
    return {
        "draws": mc.draws, "seed": mc.seed,
        "varied": [{"name": v.name, "distribution": v.distribution, "low": v.low,
                    "mode": v.mode, "high": v.high, "mean_of_draws": v.mean}
                   for v in mc.varied],
        "sroi_ratio": _stats_dict(mc.ratio), "npv": _stats_dict(mc.npv),
        "probability_ratio_above_1": mc.p_ratio_above_1,
        "draws_without_ratio": mc.undefined,
        "histogram": [{"from": a, "to": b, "draws": c} for a, b, c in mc.histogram],
        "notes": [n.en for n in mc.notes],
    }
