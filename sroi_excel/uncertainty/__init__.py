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
from . import montecarlo
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

    ``results``: engine.compute's for this model, if at hand, so that the base run and the
    scenario it reports are not computed again.
    """
    notes: list[Text] = []
    skipped: list[Text] = []
    settings = model.settings
    step = float(settings.sensitivity_step)
    stakeholder = settings.switching_stakeholder or None
    scenarios = scenario_comparison(model, results)
    try:
        base = Base(model, scenario, results)
    except (SroiError, MemoryError) as exc:
        notes.append(failed(_SENSITIVITY, exc))
        return Uncertainty(None, None, 0.0, step, scenarios, notes=tuple(notes))
    sensitivity: tuple[SensitivityItem, ...] = ()
    omitted = 0
    if base.ratio is None:
        notes.append(Text("Gevoeligheid: geen inbreng, dus geen ratio om te vergelijken",
                          "Sensitivity: no inputs, so no ratio to compare"))
    else:
        try:
            sensitivity, omitted, more = one_at_a_time(base, step)
            notes += more
        except MemoryError as exc:
            notes.append(failed(_SENSITIVITY, exc))
    try:
        switching = switching_values(base, stakeholder)
    except MemoryError as exc:
        switching = ()
        notes.append(failed(Text("Omslagpunten", "Switching values"), exc))
    mc = None
    n = int(draws if draws is not None else settings.mc_draws)
    varied, _, _ = montecarlo._varied(base.frame, base.years)
    if n <= 0:
        notes.append(Text("Monte Carlo: het aantal trekkingen is 0, dus niet berekend",
                          "Monte Carlo: the number of draws is 0, so it was not computed"))
    elif not varied:
        skipped.append(Text("Monte Carlo: niet berekend, want geen enkele aanname heeft zowel een "
                          "laag als een hoog (en geen verdeling 'vast'); vul die in om de "
                          "onzekerheid te laten zien",
                          "Monte Carlo: not computed, as no assumption has both a low and a "
                          "high value (and a distribution other than 'fixed'); fill them in "
                          "to show the uncertainty"))
    else:
        try:
            mc = monte_carlo(model, draws=n, seed=seed, progress=progress, base=base)
        except SroiError as exc:
            notes.append(failed(Text("Monte Carlo", "Monte Carlo"), exc))
        except MemoryError as exc:
            count = f"{n:,}"
            notes.append(failed(Text("Monte Carlo", "Monte Carlo"), exc, Text(
                f"te weinig geheugen voor {count.replace(',', '.')} trekkingen; kies minder "
                "trekkingen", f"not enough memory for {count} draws; choose fewer draws")))
    return Uncertainty(base.scenario, base.ratio, base.npv, step, scenarios, sensitivity,
                       omitted, switching, stakeholder, mc, tuple(notes), tuple(skipped))


_SENSITIVITY = Text("Gevoeligheid en omslagpunten", "Sensitivity and switching values")


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
