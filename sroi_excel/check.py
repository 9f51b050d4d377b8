"""Checks that need the numbers: every formula evaluated for every year and scenario.

``plausibility`` looks at the computed figures for what is probably not what the user meant:
an outcome that is 0 in every year, a ratio above 10, a one-year analysis that discounts its
outcomes but not its inputs.

Evaluated as such, that is (years + 1) x (scenarios + 1) passes over every outcome and input.
Most of those evaluations repeat one another, and are skipped: an amount's value, or its error,
depends only on its formula and on the assumptions it reaches, so

* in a later year, only amounts that reach an assumption with values per year (not replaced
  by the scenario) are evaluated again: the others give what they gave in year 1, which is a
  problem found already;
* in a scenario, year 1, an amount that reaches no assumption the scenario replaces gives what
  it gave for the base values; its problem, if any, is reported again with the scenario named.

"Reaches" follows every formula an assumption can have (its value, its values per year, the
scenarios' values), so it never misses a dependence. The problems, and their order, are those
of evaluating everything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from . import formula
from .core import Frame, Values, evaluate_amount, evaluate_percent
from .exceptions import FormulaError, Problem, WorkbookError
from .model import Amount, Cell, Model

if TYPE_CHECKING:
    from .engine import Results

# A ratio above this is rare in published SROI analyses: more often a figure in the wrong unit.
PLAUSIBLE_RATIO = 10

_PERCENT_FIELDS = (("deadweight", "deadweight"), ("attribution", "attribution"),
                   ("displacement", "displacement"), ("dropoff", "drop-off"))
_AMOUNT, _INPUT = "amount", "input"  # the kinds of check that are not a percentage
_Raw = tuple[tuple[str, str, str], ...]  # (sheet, cell, message) without the scenario


def validate(model: Model) -> list[Problem]:
    """Problems that only show when formulas are evaluated (per year, per scenario)."""
    found: dict[tuple[str, str, str], Problem] = {}
    checks = _checks(model)
    names: list[frozenset[str] | None] = [None] * len(checks)

    def uses(k: int, keys: set[str]) -> bool:
        if not keys:
            return False
        if names[k] is None:
            names[k] = formula.name_keys(checks[k][0].node)
        return not names[k].isdisjoint(keys)

    deps = _dependencies(model)
    yearly = {a.name.casefold() for a in model.assumptions if a.per_year}
    base: list[_Raw] | None = None  # year 1 of the base values, per check
    for scenario in [None, *(s.name for s in model.scenarios)]:
        frame = Frame(model, scenario or "")
        overrides = frame.overrides
        suffix = f" (scenario '{scenario}')" if scenario else ""
        varying = _reaching(deps, yearly - overrides.keys())
        replaced = _reaching(deps, set(overrides)) if scenario else set()
        again = [k for k in range(len(checks)) if uses(k, varying)] if varying else []
        for year in range(0, model.settings.years + 1):
            values = Values(frame, year, {}, {}, True)
            for a in model.assumptions:
                for problem in _try(lambda a=a, v=values: v.name(a.name), a.value.at, suffix):
                    found.setdefault((problem.sheet, problem.cell, problem.message), problem)
            if year == 0:
                continue
            if year == 1:
                raws = [base[k] if base is not None and not uses(k, replaced)
                        else _run(check, values) for k, check in enumerate(checks)]
                if scenario is None:
                    base = raws
            else:
                raws = [_run(checks[k], values) for k in again]
            for raw in raws:
                for sheet, cell, message in raw:
                    found.setdefault((sheet, cell, message + suffix),
                                     Problem(sheet, cell, message + suffix))
    return list(found.values())


_Check = tuple[Amount, str, str]  # the amount, _AMOUNT, _INPUT or "percent", and its label


def _checks(model: Model) -> list[_Check]:
    """Every amount of the outcomes and inputs evaluated per year, in the order reported."""
    found: list[_Check] = []
    for o in model.outcomes:
        if not o.monetised:
            continue
        found.append((o.quantity, _AMOUNT, ""))
        found.append((o.proxy, _AMOUNT, ""))
        for key, label in _PERCENT_FIELDS:
            found.append((getattr(o, key), "percent", label))
    for item in model.inputs:
        for amount in (item.amount, item.hours, item.rate):
            if amount is not None:
                found.append((amount, _INPUT, ""))
    return found


def _run(check: _Check, values: Values) -> _Raw:
    """The problems of one amount in one year and scenario, without the scenario's name."""
    amount, kind, label = check
    node = amount.node
    if type(node) is formula.Number and amount.price is None:
        # Most amounts: a plain number, checked here with the rules evaluate_percent and
        # _check_input apply (the long way costs ~0.07 s at 10,000 outcomes); anything else
        # goes the long way.
        value = node.value
        if math.isfinite(value) and (kind == _AMOUNT or (kind == _INPUT and value >= 0) or (
                kind == "percent" and 0.0 <= value <= 1.0)):
            return ()
    if kind == _AMOUNT:
        action = lambda: evaluate_amount(amount, values)  # noqa: E731
    elif kind == _INPUT:
        action = lambda: _check_input(amount, values)  # noqa: E731
    else:
        action = lambda: evaluate_percent(amount, values, label)  # noqa: E731
    return tuple((p.sheet, p.cell, p.message) for p in _try(action, amount.at, ""))


def _dependencies(model: Model) -> dict[str, set[str]]:
    """For each assumption, the names in any formula it can have: its value, its values per
    year and the scenarios' values."""
    deps: dict[str, set[str]] = {}
    for a in model.assumptions:
        keys = deps.setdefault(a.name.casefold(), set())
        keys |= formula.name_keys(a.value.node)
        for _, amount in a.per_year:
            keys |= formula.name_keys(amount.node)
    for s in model.scenarios:
        for name, amount in s.overrides:
            deps.setdefault(name.casefold(), set()).update(formula.name_keys(amount.node))
    return deps


def _reaching(deps: dict[str, set[str]], targets: Iterable[str]) -> set[str]:
    """The targets and every assumption whose formulas lead to one of them."""
    found = set(targets)
    if not found:
        return found
    users: dict[str, list[str]] = {}
    for key, names in deps.items():
        for name in names:
            users.setdefault(name, []).append(key)
    todo = list(found)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in found:
                found.add(user)
                todo.append(user)
    return found


def _check_input(amount, values) -> None:
    value = evaluate_amount(amount, values)
    if value < 0:
        raise WorkbookError(f"{amount.text} gives {value:,.2f}; an input cannot be negative",
                            amount.at.sheet if amount.at else "",
                            amount.at.ref if amount.at else "")


def _try(action, at, suffix: str) -> Iterator[Problem]:
    try:
        action()
    except WorkbookError as exc:
        p = exc.problem
        yield Problem(p.sheet, p.cell, p.message + suffix)
    except FormulaError as exc:
        yield Problem(at.sheet if at else "", at.ref if at else "", str(exc) + suffix)


# -- figures that are probably not what was meant ---------------------------------------------

def plausibility(results: Results) -> list[Problem]:
    """Warnings about computed figures that are probably not what the user meant."""
    model = results.model
    found: list[Problem] = []
    cohorts = results.tables["cohorts"]
    valued: dict[int, list[bool]] = {}  # outcome number -> [quantity, proxy] ever not 0
    for number, quantity, proxy in zip(cohorts.column("outcome_no"), cohorts.column("quantity"),
                                       cohorts.column("proxy"), strict=True):
        seen = valued.setdefault(number, [False, False])
        seen[0] = seen[0] or quantity != 0
        seen[1] = seen[1] or proxy != 0
    frames: dict[str, Frame] = {}
    for number, (quantity, proxy) in valued.items():
        if quantity and proxy:
            continue
        o = model.outcomes[number - 1]
        amount, label = (o.proxy, "financial proxy") if quantity else (o.quantity, "quantity")
        if _zero_everywhere(model, amount, frames):
            found.append(_warning(amount.at or o.at, _nothing(amount, label, o.name)))
    head = results.headline
    if head.ratio is not None and head.ratio > PLAUSIBLE_RATIO:
        found.append(_large_ratio(results))
    inputs_at_start = results.tables["years"].record(0).inputs
    if (head.years == head.last_year == 1 and head.discount_rate > 0 and inputs_at_start
            and head.ratio is not None):
        rate = f"{head.discount_rate * 100:g}%"
        found.append(_warning(model.settings.cell("discount_rate"), (
            f"the analysis covers one year at a discount rate of {rate}: the outcomes of year 1 "
            f"are discounted and the inputs of year 0 are not, so the SROI ratio is "
            f"{head.ratio:.2f} where without discounting it is "
            f"{head.value_nominal / head.inputs_nominal:.2f}; for the undiscounted convention "
            "of most one-year SROIs set the discount rate to 0%, or put the inputs in year 1 to "
            "discount both alike")))
    return found


def _zero_everywhere(model: Model, amount: Amount, frames: dict[str, Frame]) -> bool:
    """Whether an amount is 0 in every year for the base values and in every scenario: a 0
    that a scenario changes (no prevented cases at the minimum) is meant."""
    for scenario in ["", *(s.name for s in model.scenarios)]:
        frame = frames.get(scenario)
        if frame is None:
            frame = frames[scenario] = Frame(model, scenario)
        for year in range(1, model.settings.years + 1):
            try:
                if evaluate_amount(amount, Values(frame, year, {}, {}, True)):
                    return False
            except (WorkbookError, FormulaError):  # check reports it where it belongs
                return False
    return True


def _nothing(amount: Amount, label: str, name: str) -> str:
    if amount.text.startswith("="):  # a formula, even one the reader found to be a number
        return (f"the {label} of '{name}' is 0 in every year ({amount.text} gives 0; an empty "
                "cell counts as 0), so the outcome adds nothing; check the cells and assumptions "
                "the formula uses, or mark the outcome as not monetised")
    return (f"the {label} of '{name}' is 0, so the outcome adds nothing; type the {label}, or "
            "mark the outcome as not monetised")


def _large_ratio(results: Results) -> Problem:
    """A ratio above PLAUSIBLE_RATIO, said at the outcome that gives the most value."""
    largest = max(results.tables["outcomes"].records(), key=lambda r: r.present_value)
    o = results.model.outcomes[largest.outcome_no - 1]
    proxy = f" ({o.proxy.at})" if o.proxy.at else ""
    return _warning(o.quantity.at or o.at, (
        f"the SROI ratio is {results.headline.ratio:.2f}, above {PLAUSIBLE_RATIO}, which "
        f"published analyses rarely reach; check the largest outcome, '{o.name}' "
        f"({largest.share:.0%} of the value): its quantity, its financial proxy{proxy} and the "
        "assumptions they use, for a figure typed in the wrong unit"))


def _warning(at: Cell | None, message: str) -> Problem:
    return Problem(at.sheet if at else "", at.ref if at else "", message, "warning")
