"""The analysis' base run on the core, and the figures with some assumptions changed.

A change to one assumption touches only the outcomes and inputs whose formulas reach it: those
are computed again (with numbers or arrays of values), the others keep their base present
value. Deductions are one factor of an outcome's cohorts, so a change to them is computed over
all cohorts at once (``deductions``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .. import formula
from ..core import DEDUCTIONS, Cohort, Frame, Value
from ..engine import Results
from ..model import Amount, Model

Progress = Callable[[int, int], None]
_REL_TOL = 1e-9  # |NPV| below this share of the base figures counts as zero


@dataclass
class Change:
    """New present values of the outcomes and inputs a change touched (by position)."""

    base: Base
    outcomes: dict[int, Value]
    inputs: dict[int, Value]
    shape: tuple[int, ...] = ()  # of the values set: () for numbers

    def totals(self, stakeholder: str | None = None) -> tuple[Value, Value]:
        """(PV outcomes, PV inputs), overall or for one stakeholder."""
        b = self.base
        out = {i: pv for i, pv in self.outcomes.items()
               if stakeholder is None or b.outcomes[i].stakeholder == stakeholder}
        ins = {j: pv for j, pv in self.inputs.items()
               if stakeholder is None or b.model.inputs[j].stakeholder == stakeholder}
        value, inputs = b.sums(stakeholder)
        # Exactly rounded base sums, minus the terms that change, plus their new values.
        value = value - math.fsum(b.outcome_pv[i] for i in out)
        inputs = inputs - math.fsum(b.input_pv[j] for j in ins)
        for pv in out.values():
            value = value + pv
        for pv in ins.values():
            inputs = inputs + pv
        if self.shape:
            return np.broadcast_to(value, self.shape), np.broadcast_to(inputs, self.shape)
        return value, inputs

    def ratio(self) -> Value:
        value, inputs = self.totals()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.asarray(inputs) != 0, value / np.where(
                np.asarray(inputs) != 0, inputs, 1.0), np.nan)


class Base:
    """The base figures of one model under one scenario."""

    def __init__(self, model: Model, scenario: str | None, results: Results | None = None):
        self.model = model
        self.frame = frame = Frame(model, scenario if scenario is not None
                                   else model.settings.scenario)
        self.years = frame.years()
        self.outcomes = [o for o in model.outcomes if o.monetised]
        self.numbers = [n for n, o in enumerate(model.outcomes, 1) if o.monetised]
        if results is not None and results.model is model and results.scenario == frame.scenario:
            self._take(results)
        else:
            self.cohorts = [frame.cohorts(o, self.years) for o in self.outcomes]
            self.outcome_pv = [float(sum(frame.present_value(c, o.duration) for c in cohorts))
                               for o, cohorts in zip(self.outcomes, self.cohorts, strict=True)]
            self.input_pv = [float(frame.input_pv(item, self.years)) for item in model.inputs]
        self._sums: dict[str | None, tuple[float, float]] = {}
        self.pv_value, self.pv_inputs = self.sums(None)
        self.ratio = self.pv_value / self.pv_inputs if self.pv_inputs else None
        self.npv = self.pv_value - self.pv_inputs
        self.tol = _REL_TOL * max(abs(self.pv_value), abs(self.pv_inputs), 1.0)
        self._users: dict[str, tuple[list[int], list[int]]] | None = None
        self._stacks: list | None = None

    def _take(self, results: Results) -> None:
        """The cohorts and present values from the engine's results of this model and
        scenario: the core computed them there already."""
        place = {number: k for k, number in enumerate(self.numbers)}
        self.cohorts = [[] for _ in self.outcomes]
        for row in results.tables["cohorts"].records():
            self.cohorts[place[row.outcome_no]].append(Cohort(
                row.occurs_from, row.occurs_to, row.quantity, row.proxy, row.deadweight,
                row.attribution, row.displacement, row.dropoff))
        self.outcome_pv = [float(x) for x in results.tables["outcomes"].column("present_value")]
        self.input_pv = [0.0] * len(self.model.inputs)
        for row in results.tables["inputs"].records():
            self.input_pv[row.input_no - 1] += row.present_value

    @property
    def scenario(self) -> str | None:
        return self.frame.scenario

    def sums(self, stakeholder: str | None) -> tuple[float, float]:
        """(PV outcomes, PV inputs) of the base run, overall or for one stakeholder."""
        if stakeholder not in self._sums:
            self._sums[stakeholder] = (
                math.fsum(pv for o, pv in zip(self.outcomes, self.outcome_pv, strict=True)
                          if stakeholder is None or o.stakeholder == stakeholder),
                math.fsum(pv for item, pv in zip(self.model.inputs, self.input_pv, strict=True)
                          if stakeholder is None or item.stakeholder == stakeholder))
        return self._sums[stakeholder]

    def value_of(self, name: str) -> float:
        """An assumption's value under the scenario: for one with values per year, its value
        in year 1, which a value set for it scales (see per_year)."""
        return float(self.years[min(1, len(self.years) - 1)].name(name))

    def per_year(self, key: str) -> bool:
        """Whether the assumption has values of its own per year (not replaced by the
        scenario): a value set for it then scales every year's value by value / year 1's, so
        that a scale-up keeps its shape."""
        return self.frame.has_own_years(key) and self.value_of(key) != 0

    # -- which outcomes and inputs an assumption reaches ---------------------------------------
    def affected(self, keys) -> tuple[list[int], list[int]]:
        """The outcomes and inputs (by position) whose value may depend on any of ``keys``."""
        if self._users is None:
            self._users = self._find_users()
        outcomes: set[int] = set()
        inputs: set[int] = set()
        for key in keys:
            found = self._users.get(key, ([], []))
            outcomes.update(found[0])
            inputs.update(found[1])
        return sorted(outcomes), sorted(inputs)

    def _find_users(self) -> dict[str, tuple[list[int], list[int]]]:
        frame = self.frame
        deps = {}
        for key, a in frame.assumptions.items():
            amounts = [frame.overrides[key]] if key in frame.overrides else (
                [a.value, *(amount for _, amount in a.per_year)])
            deps[key] = set().union(*(formula.name_keys(x.node) for x in amounts))
        closed: dict[frozenset[str], set[str]] = {}

        def reach(amounts: list[Amount | None]) -> set[str]:
            start = frozenset().union(*(formula.name_keys(x.node) for x in amounts
                                        if x is not None and type(x.node) is not formula.Number))
            if start not in closed:
                seen: set[str] = set()
                todo = list(start)
                while todo:
                    key = todo.pop()
                    if key not in seen:
                        seen.add(key)
                        todo.extend(deps.get(key, ()))
                closed[start] = seen
            return closed[start]

        users: dict[str, tuple[list[int], list[int]]] = {k: ([], []) for k in deps}
        for i, o in enumerate(self.outcomes):
            for key in reach([o.quantity, o.proxy, *(getattr(o, k) for k in DEDUCTIONS)]):
                if key in users:
                    users[key][0].append(i)
        for j, item in enumerate(self.model.inputs):
            for key in reach([item.amount, item.hours, item.rate]):
                if key in users:
                    users[key][1].append(j)
        return users

    # -- changes -------------------------------------------------------------------------------
    def change(self, values: Mapping[str, Value], strict: bool = False,
               progress: Progress | None = None) -> Change:
        """The outcomes and inputs with some assumptions set to numbers or arrays of them (in
        every year, or scaling the years of one with values per year): ``strict`` raises where
        a value does not compute, else it is NaN."""
        fixed, scaled = {}, {}
        for key, value in values.items():
            if self.per_year(key):
                scaled[key] = value / self.value_of(key)
            else:
                fixed[key] = value
        outcomes, inputs = self.affected({*fixed, *scaled})
        years = self.frame.years(fixed, scaled, strict)
        total = len(self.outcomes) + len(self.model.inputs)
        new_out = {}
        for done, i in enumerate(outcomes):
            new_out[i] = self.frame.outcome_pv(self.outcomes[i], years)
            if progress is not None and done % 256 == 0:
                progress(done, total)
        new_in = {j: self.frame.input_pv(self.model.inputs[j], years) for j in inputs}
        if progress is not None:
            progress(total, total)
        shape = np.broadcast_shapes(*(np.shape(v) for v in (*fixed.values(),
                                                              *scaled.values())))
        return Change(self, new_out, new_in, shape)

    def deductions(self, key: str, value: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   rows: np.ndarray) -> np.ndarray:
        """New PVs (a row per outcome of ``rows``, a column per point) with the deduction
        ``key`` of every cohort of those outcomes replaced: ``value(base values, owners)``
        gives, per cohort, its points; ``owners`` are the cohorts' places in ``rows``."""
        if self._stacks is None:
            self._stacks = self._make_stacks()
        place = np.full(len(self.outcomes), -1, dtype=np.int64)
        place[rows] = np.arange(rows.size)
        found = np.zeros((rows.size, 1))
        for (first, last, duration), owner, fields in self._stacks:
            mine = place[owner] >= 0
            if not mine.any():
                continue
            chosen = {name: column[mine][:, None] for name, column in fields.items()}
            owners = place[owner[mine]]
            chosen[key] = value(chosen[key][:, 0], owners)
            pv = self.frame.present_value(Cohort(first, last, **chosen), duration)
            pv = np.broadcast_to(pv, (owners.size, np.shape(chosen[key])[1]))
            if found.shape[1] != pv.shape[1]:
                found = np.zeros((rows.size, pv.shape[1]))
            np.add.at(found, owners, pv)
        return found

    def _make_stacks(self) -> list[tuple[tuple[int, int, int], np.ndarray, dict]]:
        """The cohorts by shape (first and last year, duration), their fields as columns: the
        core computes a whole stack at once."""
        shapes: dict[tuple[int, int, int], list[tuple[int, Cohort]]] = {}
        for i, (o, cohorts) in enumerate(zip(self.outcomes, self.cohorts, strict=True)):
            for c in cohorts:
                shapes.setdefault((c.first, c.last, o.duration), []).append((i, c))
        return [(shape, np.array([i for i, _ in stack], dtype=np.int64),
                 {name: np.array([getattr(c, name) for _, c in stack], dtype=float)
                  for name in ("quantity", "proxy", *DEDUCTIONS)})
                for shape, stack in shapes.items()]
