"""Monte Carlo: the assumptions with a range drawn from their distributions, with a fixed seed,
and the ratio and NPV of every draw, computed at once over arrays of draws."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..core import Frame, Values
from ..model import Model
from ..schema import Text
from .base import Base, Progress
from .results import MonteCarlo, Stats, Varied

DISTRIBUTIONS = ("uniform", "triangular", "pert")
MAX_DRAWS = 1_000_000
HISTOGRAM_BINS = 20


def varied_assumptions(model: Model, scenario: str | None = None) -> tuple[list[Varied],
                                                                            list[Text]]:
    """The assumptions Monte Carlo draws, with their distribution, and notes on choices made.

    An assumption is drawn when it has both low and high and its distribution is not "fixed"
    (blank: triangular around its value), unless the scenario sets it.
    """
    frame = Frame(model, scenario if scenario is not None else model.settings.scenario)
    varied, notes, _ = _varied(frame, frame.years())
    return varied, notes


# Why an assumption is not drawn, in the order the sheet lists them.
_NO_RANGE = Text("geen laag en hoog", "no low and high")
_FIXED = Text("verdeling 'vast'", "distribution 'fixed'")
_ONE_END = Text("alleen laag of alleen hoog ingevuld: vul beide in om haar te laten variëren",
                "only low or only high filled in: fill in both to vary it")
_SCENARIO = Text("het scenario geeft de waarde; laag en hoog gelden voor de basiswaarden",
                 "the scenario sets its value; low and high are for the base values")


def _varied(frame: Frame, years: list[Values]
            ) -> tuple[list[Varied], list[Text], tuple[tuple[Text, tuple[str, ...]], ...]]:
    """What is drawn, notes on choices made, and why the others are not drawn."""
    varied: list[Varied] = []
    notes: list[Text] = []
    kept: dict[Text, list[str]] = {}
    year_one = years[min(1, len(years) - 1)]
    for a in frame.model.assumptions:
        key = a.name.casefold()
        one_end = (a.low is None) != (a.high is None)
        why = (_SCENARIO if key in frame.overrides and (a.low is not None or a.high is not None)
               else _ONE_END if one_end else _NO_RANGE if a.low is None
               else _FIXED if a.distribution == "fixed" else None)
        if why is not None:
            kept.setdefault(why, []).append(a.name)
            if why is _ONE_END:
                notes.append(Text(f"'{a.name}': {why.nl}; Monte Carlo houdt haar vast",
                                  f"'{a.name}': {why.en}; Monte Carlo keeps it at its value"))
            continue
        dist = a.distribution or "triangular"
        mode = float(year_one.name(a.name))
        if dist != "uniform" and not a.low <= mode <= a.high:
            notes.append(Text(
                f"'{a.name}': de waarde ({mode:g}) ligt buiten laag - hoog ({a.low:g} - "
                f"{a.high:g}); getrokken uniform tussen laag en hoog",
                f"'{a.name}': its value ({mode:g}) lies outside low - high ({a.low:g} - "
                f"{a.high:g}); drawn uniformly between low and high"))
            dist = "uniform"
        varied.append(Varied(a.name, dist, float(a.low), mode, float(a.high),
                             percent="%" in a.unit,
                             per_year=frame.has_own_years(key) and mode != 0))
    order = (_SCENARIO, _ONE_END, _FIXED, _NO_RANGE)
    return varied, notes, tuple((why, tuple(kept[why])) for why in order if why in kept)


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


def draw_count(model: Model, draws: int | None) -> int:
    n = int(draws if draws is not None else model.settings.mc_draws)
    if not 1 <= n <= MAX_DRAWS:
        raise ValueError(f"the number of draws must be between 1 and {MAX_DRAWS:,}, not {n}")
    return n


def monte_carlo(model: Model, scenario: str | None = None, draws: int | None = None,
                seed: int | None = None, progress: Progress | None = None,
                base: Base | None = None) -> MonteCarlo:
    """Draw the varied assumptions and compute ratio and NPV for every draw at once."""
    n = draw_count(model, draws)
    base = base if base is not None else Base(model, scenario)
    seed = int(seed if seed is not None else model.settings.mc_seed)
    varied, notes, kept = _varied(base.frame, base.years)
    total = len(base.outcomes) + len(model.inputs)
    if progress is not None:  # start the clock before drawing, which takes time too
        progress(0, total)
    fixed = draw(varied, n, seed)
    pv_value, pv_inputs = base.change(fixed, strict=True, progress=progress).totals()
    pv_value = np.broadcast_to(np.asarray(pv_value, dtype=float), (n,))
    pv_inputs = np.broadcast_to(np.asarray(pv_inputs, dtype=float), (n,))
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
        notes=tuple(notes), kept=kept)


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
