"""How much of the change in the SROI ratio and the NPV each change accounts for.

The effects come from computing the models in between: the old model with some of the changes
made, built from the two matched models (:func:`between`) and computed by ``engine.compute``
(there is no second arithmetic here). With up to :data:`SHAPLEY_MAX` changes the split is the
Shapley value, exactly, over every subset of the changes; with more, the changes are made one
at a time in a fixed order. Either way the parts add up to the whole change; the sums are done
in exact fractions so they still do in floating point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction

from ..engine import Results, compute
from ..exceptions import SroiError
from ..model import Amount, Model, ReferencePrice, Scenario
from ..schema import Text
from . import texts
from .changes import (
    INPUT_FIELDS,
    OUTCOME_FIELDS,
    PRICE_FIELDS,
    SETTINGS,
    Change,
    Comparison,
    StakeholderChange,
    key,
)
from .matching import Diff, Found, price_key

# Up to this many changes the effects are exact Shapley values (2^n computations of the model);
# beyond it the changes are made one at a time in the order of the change table.
SHAPLEY_MAX = 8

# --------------------------------------------------------------------------------------------
# The models in between
# --------------------------------------------------------------------------------------------

On = Callable[[tuple], bool]  # whether the change of a slot is made


def between(diff: Diff, on: On) -> Model:
    """The old model with the changes of the slots ``on`` says yes to made."""
    old, new = diff.old, diff.new
    settings = replace(old.settings, **{
        name: getattr(new.settings, name) for name in SETTINGS if on(("settings", name))})
    chosen = {pkey: _price(pkey, a, b, on) for pkey, (a, b) in diff.prices.items()}

    def rebased(amount: Amount | None) -> Amount | None:
        """The amount naming the chosen version of its reference price."""
        if amount is None or amount.price is None:
            return amount
        found = chosen.get(price_key(amount.price), amount.price)
        return amount if found is amount.price else replace(amount, price=found)

    index = [p for ikey, a, b in diff.index if (p := b if on(("index", ikey)) else a)]
    inputs = [_rebased_row(r, rebased) for rkey, a, b in diff.inputs
              if (r := _row(("inputs", rkey), a, b, on, INPUT_FIELDS))]
    outcomes = [_rebased_row(r, rebased) for rkey, a, b in diff.outcomes
                if (r := _row(("outcomes", rkey), a, b, on, OUTCOME_FIELDS))]
    return replace(old, settings=settings,
                   stakeholders=tuple(a or b for _, a, b in diff.stakeholders),
                   assumptions=_assumptions(diff, on, rebased),
                   scenarios=_scenarios(diff, on, rebased), price_index=tuple(index),
                   inputs=tuple(inputs), outcomes=tuple(outcomes),
                   reference_prices=tuple(chosen.values()))


def _assumptions(diff: Diff, on: On, rebased: Callable) -> tuple:
    made = []
    for akey, a, b in diff.assumptions:
        base = a or b
        slot = ("assumption", akey)
        value = b.value if on((*slot, "value")) else base.value
        per_year = b.per_year if on((*slot, "per_year")) else base.per_year
        made.append(replace(base, value=rebased(value), per_year=tuple(
            (t, rebased(x)) for t, x in per_year)))
    return tuple(made)


def _scenarios(diff: Diff, on: On, rebased: Callable) -> tuple[Scenario, ...]:
    made = []
    for skey, name, items in diff.scenarios:
        overrides = []
        for akey, x, y in items:
            pair = y if on(("override", skey, akey)) else x
            if pair is not None:
                overrides.append((pair[0], rebased(pair[1])))
        made.append(Scenario(name, tuple(overrides)))
    return tuple(made)


def _price(pkey: str, a: ReferencePrice | None, b: ReferencePrice | None, on: On
           ) -> ReferencePrice:
    if a is None or b is None:
        return a or b
    made = {name: getattr(b, name) for name in PRICE_FIELDS if on(("price", pkey, name))}
    return replace(a, **made) if made else a


def _row(slot: tuple, a, b, on: On, names: Iterable[str]):
    """A row of a model in between: the old one, the new one, none, or the old one with some
    fields of the new one."""
    if a is None or b is None:
        return (b if on((*slot, "row")) else None) if a is None else (
            None if on((*slot, "row")) else a)
    if on((*slot, "row")):
        return b
    made = {name: getattr(b, name) for name in names if on((*slot, name))}
    return replace(a, **made) if made else a


def _rebased_row(row, rebased: Callable):
    """A row whose reference prices are the chosen versions of the prices they name."""
    made = {}
    for f in fields(row):
        value = getattr(row, f.name)
        if isinstance(value, Amount) and value.price is not None:
            made[f.name] = rebased(value)
    return replace(row, **made) if made else row


# --------------------------------------------------------------------------------------------
# Splitting the change: Shapley values or a fixed order, over models computed by the engine
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    ratio: float | None
    npv: float
    nets: dict[str, float]  # stakeholder key -> net


@dataclass(frozen=True)
class _Split:
    method: str
    computations: int
    ratio: list[float] | None  # per counted change, in table order
    npv: list[float | None]
    nets: list[dict[str, float]]
    names: dict[str, str]  # stakeholder key -> the name shown
    note: Text | None = None
    steps: dict[int, int] = field(default_factory=dict)  # player -> its step, in a sequence


def attributed(diff: Diff, old: Results, new: Results) -> Comparison:
    """The comparison of the two models ``diff`` matched (``old`` and ``new``: their
    results), each change with its share of the change in the figures."""
    return _assemble(diff, _split(diff), old, new)


def _split(diff: Diff) -> _Split:
    players = [f for f in diff.found if f.slot is not None]
    names = {key(s): s for m in (diff.old, diff.new)
             for s in (*(x.name for x in m.stakeholders),
                       *(r.stakeholder for r in (*m.inputs, *m.outcomes)))}
    n = len(players)
    if not players:
        return _Split("none", 0, [], [], [], names)
    failure = None
    if n <= SHAPLEY_MAX:
        try:
            values = {mask: _figures(diff, players, mask) for mask in range(1 << n)}
            return _shares(values, list(range(n)), "shapley", names)
        except _CANNOT as exc:
            failure = exc
    return _in_sequence(diff, players, names, failure)


def _in_sequence(diff: Diff, players: list[Found], names: dict[str, str],
                 failure: BaseException | None) -> _Split:
    """The split in a fixed order; ``failure``: why not every subset could be computed."""
    try:
        order, values = _sequence(diff, players)
    except _CANNOT as exc:
        return _Split("failed", 0, None, [None] * len(players), [{} for _ in players], names,
                      texts.not_split(exc))
    split = _shares(values, order, "sequence", names)
    said = [texts.not_every_combination(failure)] if failure is not None else []
    if order != sorted(order):
        said.append(texts.REORDERED)
    return replace(split, note=texts.joined(said)) if said else split


_CANNOT = (SroiError, ValueError, ArithmeticError)


def _sequence(diff: Diff, players: list[Found]) -> tuple[list[int], dict[int, _Figures]]:
    """The changes made one at a time in the table's order, except that one which cannot be
    computed yet waits until a later one has been made; (the order, figures by subset)."""
    done = 0
    values = {done: _figures(diff, players, done)}
    order: list[int] = []
    waiting = list(range(len(players)))
    while waiting:
        for i in waiting:
            try:
                values[done | 1 << i] = _figures(diff, players, done | 1 << i)
                break
            except _CANNOT as exc:
                failure = exc
        else:
            raise failure
        order.append(i)
        waiting.remove(i)
        done |= 1 << i
    return order, values


def _figures(diff: Diff, players: list[Found], mask: int) -> _Figures:
    slots = {p.slot for i, p in enumerate(players) if mask >> i & 1}
    results = compute(between(diff, slots.__contains__))
    h = results.headline
    return _Figures(h.ratio, h.npv, _nets(results))


def _nets(results: Results) -> dict[str, float]:
    """Each stakeholder's net value (value minus inputs), by the stakeholder's key."""
    nets: dict[str, float] = {}
    for rec in results.tables["stakeholders"].records():
        k = key(rec.stakeholder)
        nets[k] = nets.get(k, 0.0) + rec.net
    return nets


def _shares(values: dict[int, _Figures], order: list[int], method: str,
            names: dict[str, str]) -> _Split:
    """Each player's share of v(all) - v(none), in exact fractions: the Shapley value
    (``values`` holds all 2^n subsets), or what it adds at its step of ``order`` (``values``
    holds the subsets made so far at each step)."""
    n = len(order)

    def split(v: Callable[[int], float]) -> list[float]:
        found = [Fraction(0)] * n
        if method == "sequence":
            done = 0
            for i in order:
                found[i] = Fraction(v(done | 1 << i)) - Fraction(v(done))
                done |= 1 << i
            return [float(x) for x in found]
        for i in range(n):
            bit = 1 << i
            for mask in range(1 << n):
                if not mask & bit:
                    size = bin(mask).count("1")
                    weight = Fraction(math.factorial(size) * math.factorial(n - size - 1),
                                      math.factorial(n))
                    found[i] += weight * (Fraction(v(mask | bit)) - Fraction(v(mask)))
        return [float(x) for x in found]

    ratio = None
    if all(f.ratio is not None and math.isfinite(f.ratio) for f in values.values()):
        ratio = split(lambda m: values[m].ratio)
    npv = split(lambda m: values[m].npv)
    stakeholders = sorted({k for f in values.values() for k in f.nets})
    by = {k: split(lambda m, k=k: values[m].nets.get(k, 0.0)) for k in stakeholders}
    nets = [{k: by[k][i] for k in stakeholders} for i in range(n)]
    note = None if ratio is not None else texts.NO_RATIO
    names = {k: names.get(k, k) for k in stakeholders}
    steps = {i: step for step, i in enumerate(order, 1)} if method == "sequence" else {}
    return _Split(method, len(values), ratio, npv, nets, names, note, steps)


def _assemble(diff: Diff, split: _Split, old: Results, new: Results) -> Comparison:
    changes: list[Change] = []
    player = 0
    for found in diff.found:
        c = found.change
        if found.slot is None:
            changes.append(replace(c, ratio=0.0, npv=0.0))
            continue
        effects = tuple((split.names[k], e) for k, e in split.nets[player].items() if e)
        changes.append(replace(
            c, ratio=split.ratio[player] if split.ratio is not None else None,
            npv=split.npv[player], stakeholders=effects,
            step=split.steps.get(player)))
        player += 1
    order = sorted(range(len(changes)), key=lambda i: (
        not changes[i].counted, -abs(changes[i].ratio or 0.0), -abs(changes[i].npv or 0.0), i))
    changes = [changes[i] for i in order]
    return Comparison(old.headline, new.headline, tuple(changes),
                      _stakeholders(_nets(old), _nets(new), split.names, changes),
                      split.method, split.computations,
                      tuple(diff.notes) + ((split.note,) if split.note else ()),
                      diff.new.language, diff.new.settings.currency,
                      texts.method(split.method, len(split.npv), split.computations,
                                   SHAPLEY_MAX))


def _stakeholders(before: dict[str, float], after: dict[str, float], names: dict[str, str],
                  changes: list[Change]) -> tuple[StakeholderChange, ...]:
    rows = []
    for skey in dict.fromkeys((*before, *after)):
        name = names.get(skey, skey)
        effects = [(i, e) for i, c in enumerate(changes) for who, e in c.stakeholders
                   if key(who) == skey]
        effects.sort(key=lambda pair: -abs(pair[1]))
        rows.append(StakeholderChange(name, before.get(skey, 0.0), after.get(skey, 0.0),
                                      tuple(effects)))
    rows.sort(key=lambda s: -abs(s.change))
    return tuple(rows)


