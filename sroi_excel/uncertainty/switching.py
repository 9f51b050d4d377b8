"""Switching values: for each assumption and each outcome's deductions, the value at which the
SROI ratio is exactly 1 (NPV 0), and optionally where one stakeholder's NPV is 0.

Every search is the same (``solve``), over many problems at once: the target (NPV) on a grid over
the allowed range, a linear grid and a logarithmic one towards 0 (where an assumption in a
denominator turns), with the value itself. Where the target is affine in the value, the root
follows from two points exactly and is checked by computing it there ("linear"). Otherwise the
sign change nearest the value is narrowed by repeated subdivision ("bracketing"); a sign change
across a pole, where the target does not go to 0, is not a root and the next one is tried.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .. import formula
from ..core import DEDUCTIONS
from ..exceptions import SroiError
from ..schema import Text
from .base import Base
from .results import (
    INDEPENDENT,
    INDEPENDENT_NPV,
    NO_INPUTS,
    NOTHING_OF_STAKEHOLDER,
    OTHER_STAKEHOLDER,
    Solution,
    SwitchingValue,
    message,
    not_reached,
    outside,
)

# target(rows, points) -> (NPV, PV inputs), each one row per problem and a column per point;
# NaN where a point does not compute.
Target = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
_GRID = 129
_ENDS = np.array([0.0, 1.0])
_DROPOFF_GRID = np.linspace(0.0, 1.0, 33)
_LOG_GRID = 64
_SUBDIVISIONS = 16


def switching_values(base: Base, stakeholder: str | None) -> tuple[SwitchingValue, ...]:
    """Assumptions in sheet order, then every outcome's deductions (drop-off only where the
    outcome lasts), outcome by outcome."""
    whole = _whole_deductions(base)
    found = [_assumption(base, a, stakeholder, whole) for a in base.model.assumptions]
    return tuple(found + _deductions(base, stakeholder))


# -- assumptions -----------------------------------------------------------------------------


def _assumption(base: Base, a, stakeholder: str | None, whole: set[str]) -> SwitchingValue:
    key = a.name.casefold()
    value = base.value_of(a.name)
    unit = a.unit.strip().casefold()
    percent = key in whole or any(word in unit for word in ("%", "procent", "percent"))
    lo, hi = _allowed_range(value, a, percent)

    def target(who: str | None) -> Target:
        def npv(rows: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            change = base.change({key: xs[0]})
            v, inputs = change.totals(who)
            overall = change.totals()[1] if who is not None else inputs
            shape = xs.shape
            return (np.broadcast_to(np.asarray(v - inputs, dtype=float), shape[1:])[None],
                    np.broadcast_to(np.asarray(overall, dtype=float), shape[1:])[None])
        return npv

    x0 = np.array([value])
    try:
        ratio = (solve(target(None), x0, lo, hi, base.tol, percent, True)[0]
                 if base.pv_inputs else Solution(None, NO_INPUTS))
        npv = (None if stakeholder is None else Solution(None, NOTHING_OF_STAKEHOLDER)
               if not _takes_part(base, stakeholder)
               else solve(target(stakeholder), x0, lo, hi, base.tol, percent, False)[0])
    except SroiError as exc:
        ratio = npv = Solution(None, Text(message(exc), message(exc)))
    return SwitchingValue("assumption", a.name, base=value, low=a.low, high=a.high,
                          percent=percent, ratio=ratio, npv=npv, per_year=base.per_year(key))


def _takes_part(base: Base, stakeholder: str) -> bool:
    """Whether the stakeholder has an outcome or an input."""
    return any(o.stakeholder == stakeholder for o in base.outcomes) or any(
        item.stakeholder == stakeholder for item in base.model.inputs)


def _whole_deductions(base: Base) -> set[str]:
    """Assumptions some outcome uses as a whole deduction (=DW): shares, whatever their unit."""
    return {getattr(o, k).node.name.casefold() for o in base.outcomes for k in DEDUCTIONS
            if isinstance(getattr(o, k).node, formula.Name)}


def _allowed_range(value: float, a, percent: bool) -> tuple[float, float]:
    if percent:
        return min(0.0, value), max(1.0, value)
    scale = max(abs(value), abs(a.low or 0.0), abs(a.high or 0.0)) or 1.0
    wide = 100.0 * scale
    negative = value < 0 or (a.low is not None and a.low < 0)
    return (-wide if negative else 0.0), wide


# -- deductions ------------------------------------------------------------------------------


def _deductions(base: Base, stakeholder: str | None) -> list[SwitchingValue]:
    """Every outcome's deductions within the horizon, outcome by outcome: drop-off only where
    the outcome lasts."""
    solved = {key: _deduction(base, key, stakeholder) for key in DEDUCTIONS}
    found = []
    for i, o in enumerate(base.outcomes):
        for key in DEDUCTIONS:
            row = solved[key].get(i)
            if row is not None:
                x0, ratio, npv = row
                found.append(SwitchingValue(key, o.name, o.stakeholder, base.numbers[i], x0,
                                            None, None, True, ratio, npv))
    return found


def _deduction(base: Base, key: str, stakeholder: str | None
               ) -> dict[int, tuple[float, Solution, Solution | None]]:
    """One deduction of every outcome, solved together: outcome -> (its value, ratio 1,
    the stakeholder's NPV 0)."""
    rows = np.array([i for i, (o, cohorts) in enumerate(zip(base.outcomes, base.cohorts,
                                                              strict=True))
                     if cohorts and (key != "dropoff" or o.duration >= 2)], dtype=np.int64)
    x0 = np.array([getattr(base.cohorts[i][0], key) for i in rows.tolist()], dtype=float)
    # (1 - deduction) is a factor of the outcome's value: affine, two points give the root.
    # Drop-off: a polynomial in (1 - drop-off) of the outcome's duration, without poles.
    affine = key != "dropoff"
    grid = _ENDS if affine else _DROPOFF_GRID
    ratio = (solve(_deduction_target(base, key, rows, None), x0, 0.0, 1.0, base.tol, True, True,
                   grid, affine) if base.pv_inputs else [Solution(None, NO_INPUTS)] * rows.size)
    npv: list[Solution | None] = [None] * rows.size
    if stakeholder is not None:
        npv = [Solution(None, OTHER_STAKEHOLDER)] * rows.size
        own = np.array([k for k, i in enumerate(rows.tolist())
                        if base.outcomes[i].stakeholder == stakeholder], dtype=np.int64)
        if own.size:
            mine = solve(_deduction_target(base, key, rows[own], stakeholder), x0[own], 0.0,
                         1.0, base.tol, True, False, grid, affine)
            for k, found in zip(own.tolist(), mine, strict=True):
                npv[k] = found
    return {i: (x, r, n) for i, x, r, n in zip(rows.tolist(), x0.tolist(), ratio, npv,
                                                strict=True)}


def _deduction_target(base: Base, key: str, rows: np.ndarray, who: str | None) -> Target:
    """The NPV with the deduction ``key`` of outcome rows[r] set to each point, in every
    cohort of the outcome: the other outcomes keep their base value."""
    value, inputs = base.sums(who)
    overall = base.sums(None)[1]
    old = np.array([base.outcome_pv[i] for i in rows.tolist()])

    def npv(sub: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        new = base.deductions(key, lambda _, owners: xs[owners], rows[sub])
        result = (value - old[sub])[:, None] + new - inputs
        return result, np.broadcast_to(overall, result.shape)

    return npv


# -- the search ------------------------------------------------------------------------------


def solve(target: Target, x0: np.ndarray, lo: float, hi: float, tol: float, percent: bool,
          ratio_target: bool, grid: np.ndarray | None = None, affine: bool = False
          ) -> list[Solution]:
    """Where target's NPV is 0 in [lo, hi], for each problem (row) at once, searching ``grid``
    (by default linear and logarithmic towards 0, see _grid). ``affine``: the target is known
    to be affine in x, so any two points give the root."""
    m = x0.size
    if not m:
        return []
    grid = _grid(lo, hi) if grid is None else grid
    xs = np.sort(np.concatenate([np.broadcast_to(grid, (m, grid.size)), x0[:, None]], axis=1),
                 axis=1)
    f, inputs = _evaluate(target, np.arange(m), xs)
    ok = np.isfinite(f) & ((inputs > 0) if ratio_target else True)
    with np.errstate(all="ignore"):
        shown = np.where(ok, 1 + f / inputs if ratio_target else f, np.nan)
    rows = np.arange(m)
    some = ok.any(axis=1)
    first = ok.argmax(axis=1)
    last = xs.shape[1] - 1 - ok[:, ::-1].argmax(axis=1)
    ref = shown[rows, first]
    limit = 1e-9 * np.maximum(1.0, np.abs(ref)) if ratio_target else np.full(m, tol)
    flat = some & np.all((np.abs(shown - ref[:, None]) <= limit[:, None]) | ~ok, axis=1)
    with np.errstate(all="ignore"):
        x_a, x_b, f_a, f_b = xs[rows, first], xs[rows, last], f[rows, first], f[rows, last]
        slope = (f_b - f_a) / (x_b - x_a)
        on_line = np.abs(f - (f_a[:, None] + slope[:, None] * (xs - x_a[:, None]))) <= tol
        line = some & ~flat & (f_b != f_a) & np.all(on_line | ~ok, axis=1)
        if not affine:
            line &= ok.sum(axis=1) >= 3
        root = x_a - f_a / slope
        # a root at an end of the range, off by rounding, is that end
        edge = 1e-9 * (hi - lo)
        root = np.where((root < lo) & (root >= lo - edge), lo,
                        np.where((root > hi) & (root <= hi + edge), hi, root))
    # Grid brackets: points where the NPV is 0 and neighbours between which it changes sign.
    zero = ok & (np.abs(f) <= tol)
    change = ok[:, :-1] & ok[:, 1:] & (f[:, :-1] * f[:, 1:] < 0)
    has = zero.any(axis=1) | change.any(axis=1)
    with np.errstate(all="ignore"):
        inside = (lo <= root) & (root <= hi)
        low = np.where(some, np.nanmin(np.where(ok, shown, np.inf), axis=1), np.nan).tolist()
        high = np.where(some, np.nanmax(np.where(ok, shown, -np.inf), axis=1), np.nan).tolist()
    found: list[Solution | None] = [None] * m
    independent = INDEPENDENT if ratio_target else INDEPENDENT_NPV
    for r in np.flatnonzero(~some).tolist():
        found[r] = Solution(None, NO_INPUTS)
    for r in np.flatnonzero(flat).tolist():
        found[r] = Solution(None, independent)
    away = line & ~inside
    for r, x in zip(np.flatnonzero(away).tolist(), root[away].tolist(), strict=True):
        found[r] = Solution(None, outside(x, lo, hi, percent, ratio_target))
    todo: list[tuple[int, list[tuple[float, float, str]]]] = []
    for r in np.flatnonzero(some & ~flat & ~away).tolist():
        brackets = [(float(root[r]), float(root[r]), "linear")] if line[r] else []
        if has[r]:
            brackets += _brackets(xs[r], zero[r], change[r], float(x0[r]))
        todo.append((r, brackets or [(np.nan, np.nan, "")]))
    for r, root_r, method in _refine(target, todo, tol, ratio_target):
        found[r] = (Solution(root_r, None, method) if root_r is not None else Solution(
            None, not_reached(lo, hi, low[r], high[r], percent, ratio_target)))
    return found  # type: ignore[return-value]


@functools.lru_cache(maxsize=64)
def _grid(lo: float, hi: float) -> np.ndarray:
    """Points over [lo, hi]: evenly spaced, and logarithmically towards 0 where 0 is an end or
    inside (1e-9 of the range up to the range), where an assumption in a denominator turns."""
    points = [np.linspace(lo, hi, _GRID)]
    span = max(abs(lo), abs(hi))
    if hi > 0 >= lo and span > 0:
        points.append(np.geomspace(span * 1e-9, hi, _LOG_GRID))
    if lo < 0 <= hi and span > 0:
        points.append(-np.geomspace(span * 1e-9, -lo, _LOG_GRID))
    return np.unique(np.concatenate(points))


def _evaluate(target: Target, rows: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        f, inputs = target(rows, xs)
    return np.asarray(f, dtype=float), np.asarray(inputs, dtype=float)


def _brackets(x: np.ndarray, zero: np.ndarray, change: np.ndarray, x0: float
              ) -> list[tuple[float, float, str]]:
    """The grid's zeros and sign changes of one problem, nearest the value first."""
    found = [(x[k], x[k], "bracketing") for k in np.flatnonzero(zero).tolist()]
    found += [(x[k], x[k + 1], "bracketing") for k in np.flatnonzero(change).tolist()]
    found.sort(key=lambda ab: min(abs(ab[0] - x0), abs(ab[1] - x0)))
    return found


def _refine(target: Target, todo: list[tuple[int, list[tuple[float, float, str]]]],
            tol: float, ratio_target: bool):
    """Narrow each problem's first bracket by subdivision, all problems at once, and check the
    root. A target that jumps across 0 (a rounded number of hours) has its crossing as the
    root; where it grows without bound instead (a pole), that is no root and the next bracket
    is tried. Yields (row, root or None, method)."""
    while todo:
        rows = np.array([r for r, _ in todo], dtype=np.int64)
        a = np.array([brackets[0][0] for _, brackets in todo])
        b = np.array([brackets[0][1] for _, brackets in todo])
        ends = np.full(rows.size, np.inf)  # the largest |NPV| at the bracket's first ends
        for step in range(14):
            wide = b - a > 1e-13 * np.maximum(1.0, np.abs(a))
            if not wide.any():
                break
            pts = a[:, None] + (b - a)[:, None] * np.linspace(0, 1, _SUBDIVISIONS + 1)
            f = _evaluate(target, rows, pts)[0]
            if step == 0:
                ends = np.where(wide, np.maximum(np.abs(f[:, 0]), np.abs(f[:, -1])), np.inf)
            sign = (f[:, :-1] * f[:, 1:] <= 0) & np.isfinite(f[:, :-1]) & np.isfinite(f[:, 1:])
            first = np.where(sign.any(axis=1), sign.argmax(axis=1), -1)
            move = wide & (first >= 0)
            pick = np.arange(rows.size)[move]
            a[move], b[move] = pts[pick, first[move]], pts[pick, first[move] + 1]
        fab = (_evaluate(target, rows, np.stack([a, b], axis=1))[0] if (a != b).any()
               else np.zeros((rows.size, 2)))
        with np.errstate(all="ignore"):
            root = np.where((fab[:, 1] != fab[:, 0]) & (a != b),
                            a - fab[:, 0] * (b - a) / (fab[:, 1] - fab[:, 0]), (a + b) / 2)
        check, inputs = _evaluate(target, rows, root[:, None])
        good = np.isfinite(check[:, 0]) & (
            (np.abs(check[:, 0]) <= tol) | (np.abs(fab).max(axis=1) <= ends))
        if ratio_target:
            good &= inputs[:, 0] > 0
        later = []
        for n, (r, brackets) in enumerate(todo):
            if good[n]:
                yield r, float(root[n]), brackets[0][2]
            elif len(brackets) > 1:
                later.append((r, brackets[1:]))
            else:
                yield r, None, ""
        todo = later
