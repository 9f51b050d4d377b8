"""Checks that need the numbers: every formula evaluated for every year and scenario."""

from __future__ import annotations

from .engine import AssumptionValues, evaluate_amount, evaluate_percent, scenario_overrides
from .exceptions import FormulaError, Problem, WorkbookError
from .model import Model

_PERCENT_FIELDS = (("deadweight", "deadweight"), ("attribution", "attribution"),
                   ("displacement", "displacement"), ("dropoff", "drop-off"))


def validate(model: Model) -> list[Problem]:
    """Problems that only show when formulas are evaluated (per year, per scenario)."""
    found: dict[tuple[str, str, str], Problem] = {}
    scenarios = [None, *(s.name for s in model.scenarios)]
    for scenario in scenarios:
        _, overrides = scenario_overrides(model, scenario)
        for year in range(0, model.settings.years + 1):
            values = AssumptionValues(model, overrides, year)
            for problem in _year_problems(model, values, year, scenario):
                found.setdefault((problem.sheet, problem.cell, problem.message), problem)
    return list(found.values())


def _year_problems(model: Model, values: AssumptionValues, year: int, scenario: str | None):
    suffix = f" (scenario '{scenario}')" if scenario else ""
    for a in model.assumptions:
        yield from _try(lambda a=a: values.name(a.name), a.value.at, suffix)
    if year == 0:
        return
    for o in model.outcomes:
        if not o.monetised:
            continue
        yield from _try(lambda o=o: evaluate_amount(o.quantity, values), o.quantity.at, suffix)
        yield from _try(lambda o=o: evaluate_amount(o.proxy, values), o.proxy.at, suffix)
        for key, label in _PERCENT_FIELDS:
            amount = getattr(o, key)
            yield from _try(lambda a=amount, lb=label: evaluate_percent(a, values, lb), amount.at,
                            suffix)
    for item in model.inputs:
        for amount in (item.amount, item.hours, item.rate):
            if amount is not None:
                yield from _try(lambda a=amount: _check_input(a, values), amount.at, suffix)


def _check_input(amount, values) -> None:
    value = evaluate_amount(amount, values)
    if value < 0:
        raise WorkbookError(f"{amount.text} gives {value:,.2f}; an input cannot be negative",
                            amount.at.sheet if amount.at else "",
                            amount.at.ref if amount.at else "")


def _try(action, at, suffix: str):
    try:
        action()
    except WorkbookError as exc:
        p = exc.problem
        yield Problem(p.sheet, p.cell, p.message + suffix)
    except FormulaError as exc:
        yield Problem(at.sheet if at else "", at.ref if at else "", str(exc) + suffix)
