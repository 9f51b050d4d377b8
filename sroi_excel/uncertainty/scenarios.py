"""Scenarios side by side: the base values and every scenario of the workbook, each computed
in full by the engine."""

from __future__ import annotations

from ..engine import Results, compute
from ..exceptions import SroiError
from ..model import Model
from .results import ScenarioFigures


def scenario_comparison(model: Model, known: Results | None = None
                        ) -> tuple[ScenarioFigures, ...]:
    """Base values, then each scenario; ``known``: the engine's results of one of them."""
    found = []
    for name in (None, *(s.name for s in model.scenarios)):
        try:
            if known is not None and known.model is model and known.scenario == name:
                results = known
            else:
                results = compute(model, name or "")  # "" = base values, not the settings'
        except SroiError as exc:
            found.append(ScenarioFigures(name, error=str(exc)))
            continue
        h = results.headline
        rows = tuple((rec.stakeholder, float(rec.inputs), float(rec.value))
                     for rec in results.tables["stakeholders"].records())
        found.append(ScenarioFigures(name, h.ratio, h.net_ratio, h.pv_value, h.pv_inputs, h.npv,
                                     rows))
    return tuple(found)
