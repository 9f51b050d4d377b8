"""What the uncertainty analyses find, as plain records, and how they read in words."""

from __future__ import annotations

import functools
import heapq
import math
from dataclasses import dataclass
from typing import NamedTuple

from ..core import DEDUCTIONS
from ..schema import Text

DEDUCTION_LABELS = {
    "deadweight": Text("deadweight", "deadweight"),
    "attribution": Text("attributie", "attribution"),
    "displacement": Text("verplaatsing", "displacement"),
    "dropoff": Text("uitdoving", "drop-off"),
}
# The sensitivity sheet shows this many rows of each table: the first of the sensitivity rows
# (largest effect first) and the most fragile switching rows (see most_fragile).
SHOWN_ROWS = 200
_NL_DIGITS = str.maketrans({",": ".", ".": ","})  # 1,234.5 -> 1.234,5


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


class SensitivityItem(NamedTuple):
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
    per_year: bool = False  # an assumption with values per year: low and high scale each year
    also: tuple[str, ...] = ()  # other deductions of the outcome that move the ratio the same

    @property
    def is_percent(self) -> bool:
        return self.kind in DEDUCTIONS


def swing(ratio_low: float | None, ratio_high: float | None, base: float | None) -> float:
    """How far the ratio moves between the two ends; a missing end counts as the base."""
    low = ratio_low if ratio_low is not None else base
    high = ratio_high if ratio_high is not None else base
    if low is None or high is None:
        return 0.0
    return abs(high - low)


class Solution(NamedTuple):
    """A switching value: ``value`` where it exists, else ``reason`` says why there is none."""

    value: float | None
    reason: Text | Reason | None = None
    method: str = ""  # "linear" (two points, exact) or "bracketing"


class SwitchingValue(NamedTuple):
    """The value of one assumption or deduction at which the ratio is 1."""

    kind: str  # "assumption" or one of DEDUCTIONS
    name: str
    stakeholder: str = ""
    outcome_no: int | None = None
    base: float | None = None
    low: float | None = None
    high: float | None = None
    percent: bool = False
    ratio: Solution = Solution(None)  # ratio = 1
    npv: Solution | None = None  # NPV = 0 for the chosen stakeholder
    per_year: bool = False  # values per year: the value of year 1, every year scaled alike

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


def most_fragile(distances: list[float | None], n: int) -> list[int]:
    """The places of the ``n`` switching rows closest to their value (rows without a switching
    value last, then in order): the ones the sheet shows when there are more."""
    return heapq.nsmallest(n, range(len(distances)),
                           key=lambda k: (1, 0.0) if distances[k] is None
                           else (0, distances[k]))


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
    per_year: bool = False  # values per year: each draw scales every year alike


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
    kept: tuple[tuple[Text, tuple[str, ...]], ...] = ()  # why, and the assumptions not drawn


@dataclass(frozen=True)
class Uncertainty:
    """Everything the sensitivity sheets show, as of one fill."""

    scenario: str | None  # the scenario the analysis is done on
    base_ratio: float | None
    base_npv: float
    step: float
    scenarios: tuple[ScenarioFigures, ...] = ()
    sensitivity: tuple[SensitivityItem, ...] = ()  # ranked by swing, largest first
    omitted: int = 0  # deductions left out of the sensitivity table: they change nothing
    switching: tuple[SwitchingValue, ...] = ()
    switching_stakeholder: str | None = None
    monte_carlo: MonteCarlo | None = None
    notes: tuple[Text, ...] = ()  # parts not computed, and why: warnings
    skipped: tuple[Text, ...] = ()  # parts with nothing to compute, and why: not a problem

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
            "not_run": [n.en for n in self.skipped],
        }


# -- reasons, in both languages ------------------------------------------------------------

INDEPENDENT = Text("de ratio hangt hier niet van af", "the ratio does not depend on it")
INDEPENDENT_NPV = Text("de NCW van deze belanghebbende hangt hier niet van af",
                       "this stakeholder's NPV does not depend on it")
OTHER_STAKEHOLDER = Text("opbrengst van een andere belanghebbende",
                         "an outcome of another stakeholder")
NOTHING_OF_STAKEHOLDER = Text("deze belanghebbende heeft geen inbreng of opbrengsten, dus de NCW "
                              "is altijd 0",
                              "this stakeholder has no inputs or outcomes, so its NPV is always 0")
NO_INPUTS = Text("geen inbreng, dus geen ratio", "no inputs, so no ratio")


class Reason(NamedTuple):
    """Why there is no switching value, from its figures, in words in either language when it
    is read (as a Text is): ``outside`` (ratio 1 only at ``a``, outside lo - hi) or
    ``not_reached`` (the target only ranges from ``a`` to ``b`` in lo - hi)."""

    kind: str
    lo: float
    hi: float
    a: float
    b: float
    percent: bool
    ratio_target: bool

    def __call__(self, lang: str) -> str:
        return self.text()(lang)

    @property
    def nl(self) -> str:
        return self.text().nl

    @property
    def en(self) -> str:
        return self.text().en

    def text(self) -> Text:
        if self.kind == "outside":
            return _outside(self.a, self.lo, self.hi, self.percent, self.ratio_target)
        return _not_reached(self.lo, self.hi, self.a, self.b, self.percent, self.ratio_target)


def outside(root: float, lo: float, hi: float, percent: bool, ratio_target: bool) -> Reason:
    """Ratio 1 (or NPV 0) only at ``root``, outside lo - hi."""
    return Reason("outside", lo, hi, root, root, percent, ratio_target)


def not_reached(lo: float, hi: float, g_lo: float, g_hi: float, percent: bool,
                ratio_target: bool) -> Reason:
    """No value in lo - hi gets there; the target ranges from g_lo to g_hi."""
    return Reason("not_reached", lo, hi, g_lo, g_hi, percent, ratio_target)


def _outside(root: float, lo: float, hi: float, percent: bool, ratio_target: bool) -> Text:
    low, high = _show_cached(lo, percent), _show_cached(hi, percent)
    what = ("ratio 1", "ratio 1") if ratio_target else ("NCW 0", "NPV 0")
    en = _show_en(root, percent)
    return Text(f"{what[0]} pas bij {en.translate(_NL_DIGITS)}, buiten {low.nl} - {high.nl}",
                f"{what[1]} only at {en}, outside {low.en} - {high.en}")


def _not_reached(lo: float, hi: float, g_lo: float, g_hi: float, percent: bool,
                 ratio_target: bool) -> Text:
    low, high = _show_cached(lo, percent), _show_cached(hi, percent)
    if ratio_target:
        a, b = show(g_lo, False, 2), show(g_hi, False, 2)
        return Text(f"geen waarde tussen {low.nl} en {high.nl} geeft ratio 1 (ratio {a.nl} "
                    f"tot {b.nl})",
                    f"no value between {low.en} and {high.en} gives ratio 1 (ratio {a.en} to "
                    f"{b.en})")
    a, b = show(g_lo, False, 0), show(g_hi, False, 0)
    return Text(f"geen waarde tussen {low.nl} en {high.nl} geeft NCW 0 (NCW {a.nl} tot {b.nl})",
                f"no value between {low.en} and {high.en} gives NPV 0 (NPV {a.en} to {b.en})")


@functools.lru_cache(maxsize=256)
def _show_cached(x: float, percent: bool) -> Text:
    """show() of the ends of a range, which repeat (0% - 100% for every deduction)."""
    return show(x, percent)


def show(x: float, percent: bool, decimals: int | None = None) -> Text:
    """A number as users read it, in both languages."""
    en = _show_en(x, percent, decimals)
    return Text(en.translate(_NL_DIGITS), en)


def _show_en(x: float, percent: bool, decimals: int | None = None) -> str:
    if percent:
        return f"{x * 100:,.1f}%".replace(".0%", "%")
    if decimals is not None:
        return f"{x:,.{decimals}f}"
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def failed(what: Text, exc: Exception, why: Text | None = None) -> Text:
    """``what`` not computed, with the error that stopped it (or ``why``)."""
    if why is None:
        why = Text(message(exc), message(exc)) if not isinstance(exc, MemoryError) else Text(
            "te weinig geheugen", "not enough memory")
    return Text(f"{what.nl} niet berekend: {why.nl}", f"{what.en} not computed: {why.en}")


def message(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem is not None else str(exc)


# -- plain data for --json -------------------------------------------------------------------


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
    if i.also:
        data["moving_alike"] = list(i.also)
    if i.per_year:
        data["per_year"] = "every year scaled by the same factor"
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
    if s.per_year:
        data["per_year"] = "the value of year 1; every year scaled by the same factor"
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
                    "mode": v.mode, "high": v.high, "mean_of_draws": v.mean,
                    "per_year": v.per_year}
                   for v in mc.varied],
        "not_varied": [{"reason": why.en, "assumptions": list(names)} for why, names in mc.kept],
        "sroi_ratio": _stats_dict(mc.ratio), "npv": _stats_dict(mc.npv),
        "probability_ratio_above_1": mc.p_ratio_above_1,
        "draws_without_ratio": mc.undefined,
        "histogram": [{"from": a, "to": b, "draws": c} for a, b, c in mc.histogram],
        "notes": [n.en for n in mc.notes],
    }
