"""The changes between two models: rows matched by what they are, not where they are, and every
difference that moves the figures listed field by field, with the slot of the model it sets.

Inputs and outcomes are matched by stakeholder and description, assumptions and scenarios by
name, reference prices by code (or item), index points by series and year, each compared case-
and space-insensitively (:func:`key`). A key that two rows of one workbook share is not guessed
at: those rows count as removed and added, and a note says so. Formulas are compared by
meaning: the same tree, or the same value in every year under the assumption values of both
versions, is no change to the figures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from .. import formula, prices, schema
from ..core import Frame, evaluate_amount
from ..exceptions import SroiError
from ..model import Amount, Assumption, InputItem, Model, Outcome, ReferencePrice
from ..schema import Text
from . import texts
from .changes import (
    AS_OUTCOMES,
    BASE_VALUES,
    INPUT_FIELDS,
    KINDS,
    LISTED_SETTINGS,
    NONE,
    OUTCOME_FIELDS,
    PRICE_FIELDS,
    SECTIONS,
    SETTINGS,
    Change,
    Shape,
    Shown,
    key,
)


@dataclass
class Found:
    """A change found, and the slot of the model it sets (None: listed only)."""

    change: Change
    slot: tuple | None = None


class Diff:
    """The changes between two models (``found``, in the order of the change table, and
    ``notes``), and the rows, assumptions, scenarios, prices and index points of both matched
    by key: (key, old or None, new or None), from which the models in between are made."""

    def __init__(self, old: Model, new: Model):
        self.old, self.new = old, new
        self.found: list[Found] = []
        self.notes: list[Text] = []
        self.old_years = _frame_years(old)
        self.new_years = _frame_years(new)
        self._settings()
        self.used_prices = _price_keys(old) | _price_keys(new)
        self._assumptions()
        self._scenarios()
        self._prices()
        self._index()
        self.inputs = self._rows("inputs", old.inputs, new.inputs, _input_key)
        self.outcomes = self._rows("outcomes", old.outcomes, new.outcomes, _outcome_key)
        self.stakeholders = _union(old.stakeholders, new.stakeholders, lambda s: key(s.name))

    def add(self, change: Change, slot: tuple | None = None) -> None:
        self.found.append(Found(change, slot if change.counted else None))

    # ---- settings ------------------------------------------------------------------------

    def _settings(self) -> None:
        a, b = self.old.settings, self.new.settings
        if a.price_year != b.price_year:
            self.notes.append(texts.price_years(a.price_year, b.price_year))
        for name, shape in {**SETTINGS, **LISTED_SETTINGS}.items():
            x, y = getattr(a, name), getattr(b, name)
            same = key(x) == key(y) if name == "scenario" else x == y
            if same:
                continue
            kind = "changed" if name in SETTINGS else "no_effect"
            self.add(Change("settings", "", name, kind, _setting(name, x, shape),
                            _setting(name, y, shape)), ("settings", name))

    # ---- assumptions and scenarios -------------------------------------------------------

    def _assumptions(self) -> None:
        self.assumptions = _union(self.old.assumptions, self.new.assumptions,
                                  lambda a: a.name.casefold())
        for _, a, b in self.assumptions:
            if a is None or b is None:
                self.add(Change(
                    "assumptions", (b or a).name, "row", "no_effect",
                    None if a is None else self._value(a.value, "number", self.old, 1),
                    None if b is None else self._value(b.value, "number", self.new, 1),
                    note=texts.ASSUMPTION_ADDED if a is None else texts.ASSUMPTION_REMOVED))
                continue
            slot = ("assumption", a.name.casefold())
            self._amount("assumptions", a.name, "value", a.value, b.value, "number", 1,
                         (*slot, "value"))
            self._per_year(a, b, (*slot, "per_year"))
            for name in ("low", "high", "distribution"):
                x, y = getattr(a, name), getattr(b, name)
                if x != y:
                    shape = "text" if name == "distribution" else "number"
                    self.add(Change("assumptions", b.name, name, "no_effect",
                                    Shown(x, shape), Shown(y, shape), note=texts.RANGE_ONLY))

    def _per_year(self, a: Assumption, b: Assumption, slot: tuple) -> None:
        x, y = dict(a.per_year), dict(b.per_year)
        if not x and not y:
            return
        verdicts = ["changed" if t not in x or t not in y else
                    self._verdict(x[t], y[t]) for t in sorted(set(x) | set(y))]
        if all(v == "same" for v in verdicts):
            return
        kind = "changed" if "changed" in verdicts else "same_value"
        self.add(Change("assumptions", b.name, "per_year", kind,
                        _per_year_text(a.per_year), _per_year_text(b.per_year),
                        note=KINDS[kind] if kind == "same_value" else None), slot)

    def _scenarios(self) -> None:
        reported = {key(self.old.settings.scenario), key(self.new.settings.scenario)} - {""}
        self.scenarios = []
        for skey, a, b in _union(self.old.scenarios, self.new.scenarios, lambda s: key(s.name)):
            name = (b or a).name
            items = _union(a.overrides if a else (), b.overrides if b else (),
                           lambda pair: pair[0].casefold())
            self.scenarios.append((skey, name, items))
            for akey, x, y in items:
                subject = f"{name} · {(y or x)[0]}"
                amount_x, amount_y = x[1] if x else None, y[1] if y else None
                if skey in reported:
                    self._amount("scenarios", subject, "value", amount_x, amount_y, "number", 1,
                                 ("override", skey, akey))
                elif self._verdict(amount_x, amount_y) != "same":
                    self.add(Change("scenarios", subject, "value", "no_effect",
                                    self._value(amount_x, "number", self.old, 1),
                                    self._value(amount_y, "number", self.new, 1),
                                    note=texts.OTHER_SCENARIO))

    # ---- reference prices and the price index ---------------------------------------------

    def _prices(self) -> None:
        found = _union(_prices_of(self.old), _prices_of(self.new), price_key)
        self.prices = {k: (a, b) for k, a, b in found}
        unused = 0
        for pkey, a, b in found:
            if a is None or b is None:
                continue  # named by an amount, whose change says so
            for name, shape in PRICE_FIELDS.items():
                x, y = getattr(a, name), getattr(b, name)
                if x == y or (name == "index" and key(x) == key(y)):
                    continue
                if pkey not in self.used_prices:
                    unused += 1
                    continue
                self.add(Change("reference_prices", b.label, name, "changed", Shown(x, shape),
                                Shown(y, shape)), ("price", pkey, name))
        if unused:
            self.notes.append(texts.unused_prices(unused))

    def _index(self) -> None:
        self.index = _union(self.old.price_index, self.new.price_index,
                            lambda p: (key(p.name), p.year))
        needed = self._index_years()
        unused = 0
        for ikey, a, b in self.index:
            if a is not None and b is not None and a.value == b.value:
                continue
            point = b or a
            if ikey not in needed:
                unused += 1
                continue
            kind = "changed" if a and b else "added" if b else "removed"
            self.add(Change("price_index", f"{point.name or 'index'} {point.year}",
                            "value" if kind == "changed" else "row", kind,
                            Shown(a.value, "number") if a else None,
                            Shown(b.value, "number") if b else None), ("index", ikey))
        if unused:
            self.notes.append(texts.unused_index_points(unused))

    def _index_years(self) -> set[tuple[str, int]]:
        """(series, year) of every index point a reference price in use may need, in either
        version: its base year and both price years, in the series it names in either."""
        years = {self.old.settings.price_year, self.new.settings.price_year}
        found = set()
        for a, b in self.prices.values():
            if price_key(a or b) not in self.used_prices:
                continue
            for ref in (a, b):
                if ref is None:
                    continue
                for points in (self.old.price_index, self.new.price_index):
                    try:
                        name = prices.index_series(points, ref.index)[0]
                    except SroiError:
                        continue
                    found |= {(key(name), y) for y in {*years, a and a.base_year,
                                                       b and b.base_year} if y is not None}
        return found

    # ---- inputs and outcomes --------------------------------------------------------------

    def _rows(self, section: str, old_rows, new_rows, row_key) -> list[tuple]:
        """Match rows by key; a key two rows of one version share is not matched."""
        counts = (Counter(map(row_key, old_rows)), Counter(map(row_key, new_rows)))
        ambiguous = {k for c in counts for k, n in c.items() if n > 1}
        for k in sorted(ambiguous, key=str):
            self.notes.append(_ambiguous_note(section, old_rows, new_rows, row_key, k))

        def keys(rows, side: str) -> list:
            return [(row_key(r), side, i) if row_key(r) in ambiguous else row_key(r)
                    for i, r in enumerate(rows)]

        matched = _union(old_rows, new_rows, None,
                         keys=(keys(old_rows, "old"), keys(new_rows, "new")))
        # The table lists rows in the new version's order, then the removed ones.
        listed = sorted(matched, key=lambda m: (m[2] is None, _position(new_rows, m[2]),
                                                _position(old_rows, m[1])))
        for rkey, a, b in listed:
            self._row(section, rkey, a, b)
        return matched

    def _row(self, section: str, rkey, a, b) -> None:
        """The changes of one input or outcome row: added, removed, or field by field."""
        inputs = section == "inputs"
        row = b or a
        subject = f"{row.stakeholder} · {row.description if inputs else row.name}"
        slot = (section, rkey)
        if a is None or b is None:
            self._row_added_or_removed(section, subject, a, b, (*slot, "row"))
            return
        # The other fields depend on this one: a change of it replaces the whole row.
        whole = "kind" if inputs else "monetised"
        if getattr(a, whole) != getattr(b, whole):
            self.add(Change(section, subject, whole, "changed", Shown(self._summary(a, self.old)),
                            Shown(self._summary(b, self.new)), b.stakeholder), (*slot, "row"))
            return
        if not inputs and not b.monetised:
            return  # not valued in either: nothing in it counts
        year = max(b.year, 0) if inputs else b.first_year
        for name, shape in (INPUT_FIELDS if inputs else OUTCOME_FIELDS).items():
            x, y = getattr(a, name), getattr(b, name)
            if isinstance(x, Amount) or isinstance(y, Amount):
                self._amount(section, subject, name, x, y, shape, year, (*slot, name),
                             b.stakeholder)
            elif x != y:
                self.add(Change(section, subject, name, "changed", Shown(x, shape),
                                Shown(y, shape), b.stakeholder), (*slot, name))

    def _row_added_or_removed(self, section: str, subject: str, a, b, slot: tuple) -> None:
        row = b or a
        shown = Shown(self._summary(row, self.new if a is None else self.old))
        kind, note = "added" if a is None else "removed", None
        if isinstance(row, Outcome) and not row.monetised:
            kind, note = "no_effect", texts.not_valued(KINDS[kind])
        self.add(Change(section, subject, "row", kind, None if a is None else shown,
                        shown if a is None else None, row.stakeholder, note), slot)

    # ---- amounts ----------------------------------------------------------------------------

    def _amount(self, section: str, subject: str, name: str, x: Amount | None,
                y: Amount | None, shape: Shape, year: int, slot: tuple,
                stakeholder: str = "") -> None:
        verdict = self._verdict(x, y)
        if verdict == "same":
            return
        kind = ("added" if x is None else "removed" if y is None else "changed"
                ) if verdict == "changed" else "same_value"
        self.add(Change(section, subject, name, kind, self._value(x, shape, self.old, year),
                        self._value(y, shape, self.new, year), stakeholder,
                        KINDS["same_value"] if kind == "same_value" else None), slot)

    def _verdict(self, x: Amount | None, y: Amount | None) -> str:
        """same (no change at all), text (the formula's text changed, its value in every year
        did not) or changed."""
        if x is None or y is None:
            return "same" if x is y else "changed"
        if x.price is not None or y.price is not None:
            same = (x.price is not None and y.price is not None
                    and price_key(x.price) == price_key(y.price))
            return "same" if same else "changed"
        if _canonical(x.node) == _canonical(y.node):
            typed = _typed(x.text) != _typed(y.text) and (x.is_formula or y.is_formula)
            return "text" if typed else "same"
        same_values = all(_same_values(x, y, years)
                          for years in (self.old_years, self.new_years))
        return "text" if same_values else "changed"

    def _value(self, amount: Amount | None, shape: Shape, model: Model, year: int
               ) -> Shown | None:
        """An amount as shown: its value in ``year`` of its own version, and its formula."""
        if amount is None:
            return None
        years = self.old_years if model is self.old else self.new_years
        value = _evaluate(amount, years, year)
        text = amount.price.label if amount.price is not None else (
            amount.text if amount.is_formula else "")
        return Shown(value, shape, text) if value is not None else Shown(amount.text, "text")

    def _summary(self, row: InputItem | Outcome, model: Model) -> Text:
        """A row in a few words: its kind and amount (hours x rate), or quantity x proxy."""
        years = self.old_years if model is self.old else self.new_years
        if isinstance(row, Outcome):
            if not row.monetised:
                return texts.NOT_VALUED
            t = row.first_year
            return texts.product(None, _evaluate(row.quantity, years, t),
                                 _evaluate(row.proxy, years, t))
        kind = schema.INPUT_KINDS.get(row.kind, Text(row.kind, row.kind))
        t = max(row.year, 0)
        if row.kind == "hours":
            return texts.product(kind, _evaluate(row.hours, years, t),
                                 _evaluate(row.rate, years, t))
        return texts.product(kind, _evaluate(row.amount, years, t))

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _union(old: Iterable, new: Iterable, row_key, keys: tuple[list, list] | None = None
           ) -> list[tuple[Any, Any, Any]]:
    """(key, old item or None, new item or None): the old items in their order, then the
    new-only ones in theirs."""
    old, new = list(old), list(new)
    old_keys, new_keys = keys if keys is not None else (list(map(row_key, old)),
                                                        list(map(row_key, new)))
    by_new = dict(zip(new_keys, new, strict=True))
    found = [(k, a, by_new.get(k)) for k, a in zip(old_keys, old, strict=True)]
    seen = set(old_keys)
    found += [(k, None, b) for k, b in zip(new_keys, new, strict=True) if k not in seen]
    return found


def _position(rows, row) -> int:
    return next((i for i, r in enumerate(rows) if r is row), len(rows))


def _input_key(item: InputItem) -> tuple[str, str]:
    return key(item.stakeholder), key(item.description)


def _outcome_key(o: Outcome) -> tuple[str, str]:
    return key(o.stakeholder), key(o.name)


def _ambiguous_note(section: str, old_rows, new_rows, row_key, k) -> Text:
    sample = next(r for r in (*new_rows, *old_rows) if row_key(r) == k)
    name = f"{sample.stakeholder} · {getattr(sample, 'name', None) or sample.description}"
    old, new = ([r.row for r in rows if row_key(r) == k] for rows in (old_rows, new_rows))
    return texts.ambiguous(SECTIONS[section].name, name, old if len(old) > 1 else [],
                           new if len(new) > 1 else [])


def _frame_years(model: Model) -> list | None:
    """The assumption values of each year 0..last of a model, or None when they cannot be had."""
    try:
        return Frame(model, None).years()
    except (SroiError, ValueError, ArithmeticError):
        return None


def _evaluate(amount: Amount | None, years: list | None, year: int) -> float | None:
    if amount is None or years is None:
        return None
    try:
        return float(evaluate_amount(amount, years[min(max(year, 0), len(years) - 1)]))
    except (SroiError, ValueError, ArithmeticError, TypeError):
        return None


def _same_values(x: Amount, y: Amount, years: list | None) -> bool:
    """Whether two amounts have the same value in every year under one version's values."""
    if years is None:
        return False
    for values in {id(v): v for v in years}.values():
        try:
            a, b = float(evaluate_amount(x, values)), float(evaluate_amount(y, values))
        except (SroiError, ValueError, ArithmeticError, TypeError):
            return False
        # Relative only: two spellings of one value differ in the last bits (=0.1*3, =0.3),
        # while a value near zero times a large quantity is no rounding (0 -> 1e-13).
        if not math.isclose(a, b, rel_tol=1e-12):
            return False
    return True


def _canonical(node):
    """A formula tree with names folded as the engine looks them up."""
    if isinstance(node, formula.Name):
        return formula.Name(node.name.casefold())
    if isinstance(node, formula.Unary | formula.Percent):
        return replace(node, operand=_canonical(node.operand))
    if isinstance(node, formula.Binary):
        return replace(node, left=_canonical(node.left), right=_canonical(node.right))
    if isinstance(node, formula.Call):
        return replace(node, args=tuple(map(_canonical, node.args)))
    return node


def _typed(text: str) -> str:
    return "".join(text.split()).casefold()


def price_key(ref: ReferencePrice) -> str:
    return key(ref.code or ref.item)


def _prices_of(model: Model) -> list[ReferencePrice]:
    """The reference prices of a model: those on its sheet, and any an amount names."""
    found = {price_key(r): r for r in model.reference_prices}
    for amount in _amounts(model):
        if amount.price is not None:
            found.setdefault(price_key(amount.price), amount.price)
    return list(found.values())


def _price_keys(model: Model) -> set[str]:
    return {price_key(a.price) for a in _amounts(model) if a.price is not None}


def _amounts(model: Model) -> Iterable[Amount]:
    for a in model.assumptions:
        yield a.value
        yield from (x for _, x in a.per_year)
    for s in model.scenarios:
        yield from (x for _, x in s.overrides)
    for row in (*model.inputs, *model.outcomes):
        yield from (v for f in fields(row) if isinstance(v := getattr(row, f.name), Amount))


def _setting(name: str, value, shape: Shape) -> Shown:
    if value is None:
        return Shown({"discount_rate_inputs": AS_OUTCOMES, "scenario": BASE_VALUES}.get(
            name, NONE))
    if name == "analysis_type":
        return Shown(schema.ANALYSIS_TYPES.get(value, value))
    return Shown(value, shape)


def _per_year_text(per_year) -> Shown:
    if not per_year:
        return Shown(NONE)
    nl = "; ".join(f"jaar {t}: {a.text}" for t, a in per_year)
    en = "; ".join(f"year {t}: {a.text}" for t, a in per_year)
    return Shown(Text(nl, en))


def _year(year: int | None, lang: str) -> str:
    return str(year) if year is not None else NONE(lang)


