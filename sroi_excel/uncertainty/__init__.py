"""How sure is the ratio: scenarios side by side, one-at-a-time sensitivity, switching values
and Monte Carlo. Pure computation on the core's arithmetic (``core.py``): no files, no printing.

Conventions (stated on the sensitivity sheets):

* A value set for an assumption (low, high, a switching point, a draw) replaces it in every
  year, as a scenario does.
* The analysis is done on the scenario the results report (settings or ``--scenario``).
* Deductions move by an absolute step (10% -> 0% and 20% with a step of 10 points), kept
  within 0%..100%.
* A switching value is where the SROI ratio is 1, i.e. where NPV = PV(outcomes) - PV(inputs)
  is 0 (see switching.py for the search).
"""

from __future__ import annotations

from ..engine import Results
from ..exceptions import SroiError
from ..model import Model
from ..schema import Text
from .base import Base, Progress
from .montecarlo import DISTRIBUTIONS, MAX_DRAWS, draw, monte_carlo, varied_assumptions
from .results import (
    DEDUCTION_LABELS,
    SHOWN_ROWS,
    MonteCarlo,
    ScenarioFigures,
    SensitivityItem,
    Solution,
    Stats,
    SwitchingValue,
    Uncertainty,
    Varied,
    failed,
    most_fragile,
    switching_distance,
)
from .scenarios import scenario_comparison
from .sensitivity import one_at_a_time
from .switching import solve, switching_values

__all__ = [
    "DEDUCTION_LABELS", "DISTRIBUTIONS", "MAX_DRAWS", "SHOWN_ROWS", "MonteCarlo", "Progress",
    "ScenarioFigures", "SensitivityItem", "Solution", "Stats", "SwitchingValue",
    "Uncertainty", "Varied", "analyse", "draw", "monte_carlo", "most_fragile",
    "one_at_a_time", "scenario_comparison", "solve", "switching_distance", "switching_values",
    "varied_assumptions",
]


def analyse(model: Model, scenario: str | None = None, *, draws: int | None = None,
            seed: int | None = None, progress: Progress | None = None,
            results: Results | None = None) -> Uncertainty:
    """All four analyses; a part that cannot be computed is left out with a note saying why.

    ``results``: engine.compute's for this model, if at hand, so that its scenario is not
    computed again for the comparison.
    """
    notes: list[Text] = []
    settings = model.settings
    step = float(settings.sensitivity_step)
    stakeholder = settings.switching_stakeholder or None
    try:
        base = Base(model, scenario, results)
    except SroiError as exc:
        notes.append(failed(Text("Gevoeligheid en omslagpunten",
                                 "Sensitivity and switching values"), exc))
        return Uncertainty(None, None, 0.0, step, scenario_comparison(model, results),
                           notes=tuple(notes))
    scenarios = scenario_comparison(model, results)
    sensitivity: tuple[SensitivityItem, ...] = ()
    omitted = 0
    if base.ratio is None:
        notes.append(Text("Gevoeligheid: geen inbreng, dus geen ratio om te vergelijken",
                          "Sensitivity: no inputs, so no ratio to compare"))
    else:
        sensitivity, omitted = one_at_a_time(base, step)
    switching = switching_values(base, stakeholder)
    n = int(draws if draws is not None else settings.mc_draws)
    mc = None
    if n <= 0:
        notes.append(Text("Monte Carlo: het aantal trekkingen is 0, dus niet berekend",
                          "Monte Carlo: the number of draws is 0, so it was not computed"))
    else:
        try:
            mc = monte_carlo(model, draws=n, seed=seed, progress=progress, base=base)
        except SroiError as exc:
            notes.append(failed(Text("Monte Carlo", "Monte Carlo"), exc))
    return Uncertainty(base.scenario, base.ratio, base.npv, step, scenarios, sensitivity,
                       omitted, switching, stakeholder, mc, tuple(notes))


def evaluate(model: Model, values: dict, scenario: str | None = None):
    """(PV outcomes, PV inputs) with the given assumptions set to numbers or arrays of them."""
    import numpy as np

    base = Base(model, scenario)
    unknown = [name for name in values if name.casefold() not in base.frame.assumptions]
    if unknown:
        raise ValueError(f"not an assumption: {', '.join(unknown)}")
    value, inputs = base.change({k.casefold(): v for k, v in values.items()},
                                strict=True).totals()
    size = max((np.size(v) for v in values.values()), default=1)
    return (np.broadcast_to(np.asarray(value, dtype=float), (size,)),
            np.broadcast_to(np.asarray(inputs, dtype=float), (size,)))
