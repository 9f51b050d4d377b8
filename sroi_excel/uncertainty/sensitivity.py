"""One at a time: each assumption at its low and high value, each deduction of each outcome
moved down and up by a step (kept within 0%..100%); the ratio for each, ranked by how far it
moves (the tornado)."""

from __future__ import annotations

import math

import numpy as np

from ..core import DEDUCTIONS
from ..exceptions import SroiError
from ..schema import Text
from .base import Base
from .results import SensitivityItem, message, swing


def one_at_a_time(base: Base, step: float
                  ) -> tuple[tuple[SensitivityItem, ...], int, list[Text]]:
    """The ranked rows, how many deductions were left out because they change nothing, and
    notes on assumptions left out."""
    ranged = [a for a in base.model.assumptions if a.low is not None or a.high is not None]
    set_by_scenario = [a.name for a in ranged if a.name.casefold() in base.frame.overrides]
    items = [_assumption(base, a) for a in ranged if a.name not in set_by_scenario]
    deductions, omitted = _deductions(base, step)
    ranked = sorted(items + deductions, key=lambda i: (i.error is not None, -i.swing))
    notes = []
    if set_by_scenario:
        names = ", ".join(f"'{name}'" for name in set_by_scenario)
        notes.append(Text(f"Gevoeligheid: het scenario '{base.scenario}' geeft {names} een "
                          "eigen waarde; laag en hoog gelden voor de basiswaarden en zijn hier "
                          "niet gebruikt",
                          f"Sensitivity: the scenario '{base.scenario}' sets {names}; low and "
                          "high are for the base values and are not used here"))
    return tuple(ranked), omitted, notes


def _assumption(base: Base, a) -> SensitivityItem:
    key = a.name.casefold()
    ends: list[float | None] = [None, None]
    error = None
    points = [(k, x) for k, x in enumerate((a.low, a.high)) if x is not None]
    ratios = base.change({key: np.array([x for _, x in points], dtype=float)}).ratio()
    for (k, x), ratio in zip(points, np.atleast_1d(ratios).tolist(), strict=True):
        if np.isfinite(ratio):
            ends[k] = ratio
            continue
        try:  # the point again, strictly: the error it gives, or no ratio (no inputs)
            ratio = float(base.change({key: x}, strict=True).ratio())
            ends[k] = ratio if np.isfinite(ratio) else None
        except SroiError as exc:
            error = error or message(exc)
    return SensitivityItem("assumption", a.name, base=base.value_of(a.name), low=a.low,
                           high=a.high, ratio_low=ends[0], ratio_high=ends[1],
                           swing=swing(ends[0], ends[1], base.ratio), error=error,
                           per_year=base.per_year(key))


def _deductions(base: Base, step: float) -> tuple[list[SensitivityItem], int]:
    """Every outcome's deductions moved by -step and +step, each in all its cohorts at once;
    drop-off only of outcomes that last more than a year. Listed outcome by outcome."""
    value, inputs = base.sums(None)
    omitted = 0
    found: list[tuple[tuple[int, int], SensitivityItem]] = []
    for k, key in enumerate(DEDUCTIONS):
        rows = np.array([i for i, o in enumerate(base.outcomes)
                         if key != "dropoff" or o.duration >= 2], dtype=np.int64)
        if not rows.size:
            continue
        new = base.deductions(
            key, lambda d, _: np.clip(d[:, None] + np.array([-step, step]), 0.0, 1.0), rows)
        old = np.array(base.outcome_pv)[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = ((value - old)[:, None] + new) / inputs if inputs else new * np.nan
            # swing(): a ratio that does not compute counts as the base ratio
            ends = np.where(np.isfinite(ratios), ratios, np.nan if base.ratio is None
                            else base.ratio)
            moved = np.abs(ends[:, 1] - ends[:, 0])
        listed = np.isfinite(moved) & (moved > 1e-12)
        omitted += int(rows.size - listed.sum())
        firsts = [getattr(base.cohorts[i][0], key) if base.cohorts[i] else None
                  for i in rows[listed].tolist()]
        steps = {at: (None, None) if at is None else (
            round(min(max(at - step, 0.0), 1.0), 12), round(min(max(at + step, 0.0), 1.0), 12))
            for at in set(firsts)}
        for i, at, (r_low, r_high), swung in zip(
                rows[listed].tolist(), firsts, ratios[listed].tolist(), moved[listed].tolist(),
                strict=True):
            o = base.outcomes[i]
            found.append(((i, k), SensitivityItem(
                key, o.name, o.stakeholder, base.numbers[i], at, *steps[at],
                r_low if math.isfinite(r_low) else None,
                r_high if math.isfinite(r_high) else None, swung)))
    found.sort(key=lambda slot_item: slot_item[0])
    return _alike_once([item for _, item in found]), omitted


def _alike_once(items: list[SensitivityItem]) -> list[SensitivityItem]:
    """Deadweight, attribution and displacement of one outcome at the same value move the
    ratio alike (each is a factor 1 - x of its value): one row for them, naming the others."""
    kept: list[SensitivityItem] = []
    start = 0  # where the rows of the current outcome begin in ``kept``
    for item in items:
        if kept and kept[-1].outcome_no != item.outcome_no:
            start = len(kept)
        for k in range(start, len(kept)):
            row = kept[k]
            if (item.kind != "dropoff" and row.kind != "dropoff" and row.base == item.base
                    and _close(row.ratio_low, item.ratio_low)
                    and _close(row.ratio_high, item.ratio_high)):
                kept[k] = row._replace(also=(*row.also, item.kind))
                break
        else:
            kept.append(item)
    return kept


def _close(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12))
