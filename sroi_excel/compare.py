"""Two versions of an analysis -> what changed, and how much of the change in the SROI ratio and
the NPV each change accounts for. Pure: two models in, a :class:`Comparison` out; no files.

Rows are matched by what they are, not where they are: inputs and outcomes by stakeholder and
description, assumptions and scenarios by name, reference prices by code (or item), index
points by series and year, each compared case- and space-insensitively. A key that two rows of
one workbook share is not guessed at: those rows count as removed and added, and a note says so.
Formulas are compared by meaning: the same tree, or the same value in every year under the
assumption values of both versions, is no change to the figures.

The effect of each change comes from computing the models in between: the old model with some
of the changes made, built from the two models and computed by ``engine.compute`` (there is no
second arithmetic here). With a few changes the split is the Shapley value, exactly, over every
subset of the changes; with more, the changes are made one at a time in a fixed order. Either
way the parts add up to the whole change; the sums are done in exact fractions so they still do
in floating point.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from typing import Any

from . import formula, prices, schema
from .core import Frame, evaluate_amount
from .engine import Headline, Results, compute
from .exceptions import SroiError, WorkbookError
from .model import (
    Amount,
    Assumption,
    InputItem,
    Model,
    Outcome,
    ReferencePrice,
    Scenario,
)
from .schema import Text

# Up to this many changes the effects are exact Shapley values (2^n computations of the model);
# beyond it the changes are made one at a time in the order of the change table.
SHAPLEY_MAX = 8

# The order of the change table before it is sorted by effect: the fixed order, settings first.
SECTIONS = {
    "settings": schema.SETTINGS, "assumptions": schema.ASSUMPTIONS,
    "scenarios": schema.SCENARIOS, "reference_prices": schema.REFERENCE_PRICES,
    "price_index": schema.PRICE_INDEX, "inputs": schema.INPUTS, "outcomes": schema.OUTCOMES,
}
# Settings that change the figures, with how their values are shown.
SETTINGS = {"years": "integer", "discount_rate": "rate", "discount_rate_inputs": "rate",
            "discount_inputs": "yesno", "beyond_horizon": "yesno", "price_year": "integer",
            "scenario": "text"}
# Settings listed when they change, though the headline figures do not depend on them.
LISTED_SETTINGS = {"first_year": "integer", "analysis_type": "text"}
INPUT_FIELDS = {"amount": "money", "hours": "number", "rate": "money", "year": "integer",
                "recurring": "yesno"}
OUTCOME_FIELDS = {"quantity": "number", "proxy": "money", "deadweight": "percent",
                  "attribution": "percent", "displacement": "percent", "dropoff": "percent",
                  "duration": "integer", "first_year": "integer", "recurring": "yesno"}
PRICE_FIELDS = {"price": "money", "base_year": "integer", "index": "text",
                "published": "money", "published_year": "integer"}

KINDS = {
    "changed": Text("gewijzigd", "changed"),
    "added": Text("toegevoegd", "added"),
    "removed": Text("verwijderd", "removed"),
    "same_value": Text("formuletekst gewijzigd, zelfde waarde",
                       "formula text changed, same value"),
    "no_effect": Text("geen effect op de cijfers", "no effect on the figures"),
}
ROW = Text("rij", "row")
PER_YEAR = Text("Waarden per jaar", "Values per year")
NONE = Text("geen", "none")
BASE_VALUES = Text("basiswaarden", "base values")
AS_OUTCOMES = Text("zoals effecten", "as for outcomes")
YES, NO = schema.YES, schema.NO

Shape = str  # how a shown value is formatted: money, number, percent, rate, integer, yesno, text


def key(text: object) -> str:
    """A name as rows are matched by: NFC, case and runs of spaces ignored."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


@dataclass(frozen=True)
class Shown:
    """A value as the change table shows it: a number, yes/no or a text (``Text`` for words in
    both languages), its format, and the formula that gave it where the cell held one."""

    value: float | bool | str | Text | None
    shape: Shape = "text"
    formula: str = ""

    def text(self, lang: str = "en", money: str = "") -> str:
        v = self.value
        if v is None:
            return ""
        if isinstance(v, Text):
            return v(lang)
        if isinstance(v, bool):
            return (YES if v else NO)(lang)
        if isinstance(v, str):
            return v
        if self.shape in ("percent", "rate"):
            found = f"{v:.2%}"
        elif self.shape == "integer":
            found = f"{v:.0f}"
        else:
            found = f"{v:,.2f}" if self.shape == "money" or abs(v) >= 100 else f"{v:,.4g}"
            found = f"{money} {found}".strip() if self.shape == "money" else found
        return f"{found} ({self.formula})" if self.formula else found

    def to_json(self):
        v = self.value
        value = v.en if isinstance(v, Text) else v
        return {"value": value, "formula": self.formula} if self.formula else value


@dataclass(frozen=True)
class Change:
    """One difference between the versions, with its share of the change in the figures.

    ``kind``: changed, added or removed (these move the figures and carry an effect), or
    same_value / no_effect (listed only). ``ratio`` is None where the ratio cannot be split
    (no inputs in a version in between); ``stakeholders`` holds the effect on each
    stakeholder's net value (value minus inputs), by the stakeholder's name.
    """

    section: str  # a key of SECTIONS
    subject: str  # which row: an assumption's name, "stakeholder · outcome", ...; "" for settings
    field: str  # a column key of the section's sheet, "per_year", or "row"
    kind: str
    old: Shown | None = None
    new: Shown | None = None
    stakeholder: str = ""
    note: Text | None = None
    ratio: float | None = 0.0
    npv: float | None = 0.0  # None: the difference could not be split over the changes
    stakeholders: tuple[tuple[str, float], ...] = ()
    step: int | None = None  # its place in the fixed order, when that is the method

    @property
    def counted(self) -> bool:
        """Whether the change moves the figures (and so has an effect and a place in the order)."""
        return self.kind in ("changed", "added", "removed")

    def sheet(self, lang: str) -> str:
        return SECTIONS[self.section].name(lang)

    def field_label(self, lang: str) -> str:
        if self.field == "row":
            return ROW(lang)
        if self.field == "per_year":
            return PER_YEAR(lang)
        return SECTIONS[self.section].column(self.field).header(lang)

    def label(self, lang: str) -> str:
        """Sheet, row and field in one line: ``Opbrengsten: Werkgevers · X: Financiële proxy``."""
        parts = [self.sheet(lang), self.subject, self.field_label(lang)]
        return ": ".join(p for p in parts if p)


@dataclass(frozen=True)
class StakeholderChange:
    """A stakeholder's net value (value minus inputs) in both versions, and which changes moved
    it: (index into ``Comparison.changes``, effect), largest first."""

    stakeholder: str
    old: float
    new: float
    effects: tuple[tuple[int, float], ...] = ()

    @property
    def change(self) -> float:
        return self.new - self.old


@dataclass(frozen=True)
class Comparison:
    """Two versions side by side: headlines, changes (largest effect first, the listed-only
    ones last), the stakeholders' net values, the method and notes."""

    old: Headline
    new: Headline
    changes: tuple[Change, ...]
    stakeholders: tuple[StakeholderChange, ...]
    method: str  # shapley, sequence, none (nothing moves the figures) or failed
    computations: int  # how many models in between were computed
    notes: tuple[Text, ...]
    language: str  # of the new version: the comparison sheet's language
    currency: str

    @property
    def ratio_change(self) -> float | None:
        if self.old.ratio is None or self.new.ratio is None:
            return None
        return self.new.ratio - self.old.ratio

    @property
    def npv_change(self) -> float:
        return self.new.npv - self.old.npv

    @property
    def counted(self) -> list[Change]:
        return [c for c in self.changes if c.counted]

    def method_text(self, lang: str) -> str:
        return _method_text(self, lang)

    def to_dict(self) -> dict:
        """Plain data for --json."""
        def headline(h: Headline) -> dict:
            return {"sroi_ratio": h.ratio, "net_sroi_ratio": h.net_ratio,
                    "pv_outcomes": h.pv_value, "pv_inputs": h.pv_inputs, "npv": h.npv,
                    "payback_years": h.payback_years, "scenario": h.scenario}

        return {
            "old": headline(self.old),
            "new": headline(self.new),
            "change": {"sroi_ratio": self.ratio_change, "npv": self.npv_change},
            "method": {"name": self.method, "computations": self.computations,
                       "text": self.method_text("en"),
                       "order": [c.label("en") for c in sorted(self.counted,
                                                               key=lambda c: c.step or 0)]
                       if self.method == "sequence" else None},
            "changes": [{
                "sheet": c.sheet("en"), "subject": c.subject, "field": c.field,
                "what": c.label("en"), "kind": c.kind, "stakeholder": c.stakeholder or None,
                "old": c.old.to_json() if c.old else None,
                "new": c.new.to_json() if c.new else None,
                "note": c.note.en if c.note else None,
                "effect_ratio": c.ratio, "effect_npv": c.npv, "step": c.step,
                "effect_npv_by_stakeholder": dict(c.stakeholders),
            } for c in self.changes],
            "stakeholders": [{
                "stakeholder": s.stakeholder, "old_net": s.old, "new_net": s.new,
                "change": s.change,
                "effects": [{"change": self.changes[i].label("en"), "effect_net": e}
                            for i, e in s.effects],
            } for s in self.stakeholders],
            "notes": [n.en for n in self.notes],
        }


def compare(old: Model, new: Model) -> Comparison:
    """What changed from ``old`` to ``new`` and how much of the change each change accounts for.

    Raises WorkbookError (at the new version's currency cell) when the currencies differ.
    """
    if key(old.settings.currency) != key(new.settings.currency):
        at = new.settings.cell("currency")
        raise WorkbookError(
            f"the two versions are in different currencies ({old.settings.currency} in the old "
            f"one, {new.settings.currency} in the new one); a comparison would add up amounts "
            "in both, so convert one of them first",
            at.sheet if at else "", at.ref if at else "")
    before, after = compute(old), compute(new)
    diff = _Diff(old, new)
    return _assemble(diff, _split(diff), before, after)


# --------------------------------------------------------------------------------------------
# Finding the changes
# --------------------------------------------------------------------------------------------


@dataclass
class _Found:
    """A change found, and the slot of the model it sets (None: listed only)."""

    change: Change
    slot: tuple | None = None


class _Diff:
    """The changes between two models, and the models in between: the old model with the
    changes of a set of slots made."""

    def __init__(self, old: Model, new: Model):
        self.old, self.new = old, new
        self.found: list[_Found] = []
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
        self.found.append(_Found(change, slot if change.counted else None))

    # ---- settings ------------------------------------------------------------------------

    def _settings(self) -> None:
        a, b = self.old.settings, self.new.settings
        if a.price_year != b.price_year:
            self.notes.append(Text(
                f"Het prijspeil verschilt: {_year(a.price_year, 'nl')} in de oude versie, "
                f"{_year(b.price_year, 'nl')} in de nieuwe. Referentieprijzen zijn naar het "
                "eigen prijspeil geïndexeerd (dat deel van het verschil staat bij het prijspeil);"
                " bedragen die als getal zijn ingetypt niet.",
                f"The price years differ: {_year(a.price_year, 'en')} in the old version, "
                f"{_year(b.price_year, 'en')} in the new one. Reference prices are indexed to "
                "each version's price year (that part of the difference is shown at the price "
                "year); amounts typed as numbers are not."))
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
                    note=Text("toegevoegd; telt alleen waar een formule de naam gebruikt",
                              "added; counts only where a formula uses the name")
                    if a is None else Text("verwijderd; geen formule gebruikt de naam nog",
                                           "removed; no formula uses the name any more")))
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
                                    Shown(x, shape), Shown(y, shape), note=Text(
                                        "bereik en verdeling tellen alleen in gevoeligheid en "
                                        "Monte Carlo",
                                        "range and distribution count only in the sensitivity "
                                        "and Monte Carlo")))

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
                                    note=Text("scenario niet in de resultaten",
                                              "scenario not in the results")))

    # ---- reference prices and the price index ---------------------------------------------

    def _prices(self) -> None:
        found = _union(_prices_of(self.old), _prices_of(self.new), _price_key)
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
            self.notes.append(Text(
                f"{unused} wijziging(en) van referentieprijzen die geen cel gebruikt, niet "
                "vermeld: zij tellen niet mee.",
                f"{unused} change(s) of reference prices that no cell uses are not listed: "
                "they do not count."))

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
            self.notes.append(Text(
                f"{unused} wijziging(en) van indexcijfers die geen gebruikte referentieprijs "
                "nodig heeft, niet vermeld: zij tellen niet mee.",
                f"{unused} change(s) of price index points that no reference price in use needs "
                "are not listed: they do not count."))

    def _index_years(self) -> set[tuple[str, int]]:
        """(series, year) of every index point a reference price in use may need, in either
        version: its base year and both price years, in the series it names in either."""
        years = {self.old.settings.price_year, self.new.settings.price_year}
        found = set()
        for a, b in self.prices.values():
            if _price_key(a or b) not in self.used_prices:
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
        summary = self._input_text if inputs else self._outcome_text
        slot = (section, rkey)
        if a is None or b is None:
            shown = Shown(summary(row, self.new if a is None else self.old))
            kind, note = "added" if a is None else "removed", None
            if not inputs and not row.monetised:
                kind, note = "no_effect", Text(f"{KINDS[kind].nl}; niet gewaardeerd",
                                               f"{KINDS[kind].en}; not valued")
            self.add(Change(section, subject, "row", kind, None if a is None else shown,
                            shown if a is None else None, row.stakeholder, note),
                     (*slot, "row"))
            return
        # The other fields depend on this one: a change of it replaces the whole row.
        whole = "kind" if inputs else "monetised"
        if getattr(a, whole) != getattr(b, whole):
            self.add(Change(section, subject, whole, "changed", Shown(summary(a, self.old)),
                            Shown(summary(b, self.new)), b.stakeholder), (*slot, "row"))
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
                    and _price_key(x.price) == _price_key(y.price))
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

    def _input_text(self, item: InputItem, model: Model) -> Text:
        kind = schema.INPUT_KINDS.get(item.kind, Text(item.kind, item.kind))
        years = self.old_years if model is self.old else self.new_years
        t = max(item.year, 0)
        if item.kind == "hours":
            hours, rate = _evaluate(item.hours, years, t), _evaluate(item.rate, years, t)
            return Text(f"{kind.nl}: {_number(hours, 'nl')} x {_number(rate, 'nl')}",
                        f"{kind.en}: {_number(hours, 'en')} x {_number(rate, 'en')}")
        amount = _evaluate(item.amount, years, t)
        return Text(f"{kind.nl}: {_number(amount, 'nl')}", f"{kind.en}: {_number(amount, 'en')}")

    def _outcome_text(self, o: Outcome, model: Model) -> Text:
        if not o.monetised:
            return Text("niet gewaardeerd", "not valued")
        years = self.old_years if model is self.old else self.new_years
        q, p = _evaluate(o.quantity, years, o.first_year), _evaluate(o.proxy, years, o.first_year)
        return Text(f"{_number(q, 'nl')} x {_number(p, 'nl')}",
                    f"{_number(q, 'en')} x {_number(p, 'en')}")

    # ---- the models in between ------------------------------------------------------------

    def build(self, on: Callable[[tuple], bool]) -> Model:
        """The old model with the changes of the slots ``on`` says yes to made."""
        old, new = self.old, self.new
        settings = replace(old.settings, **{
            name: getattr(new.settings, name) for name in SETTINGS if on(("settings", name))})
        chosen = {pkey: self._price(pkey, a, b, on) for pkey, (a, b) in self.prices.items()}

        def rebased(amount):
            if amount is None or amount.price is None:
                return amount
            found = chosen.get(_price_key(amount.price), amount.price)
            return amount if found is amount.price else replace(amount, price=found)

        assumptions = []
        for akey, a, b in self.assumptions:
            base = a or b
            slot = ("assumption", akey)
            value = b.value if on((*slot, "value")) else base.value
            per_year = b.per_year if on((*slot, "per_year")) else base.per_year
            assumptions.append(replace(base, value=rebased(value), per_year=tuple(
                (t, rebased(x)) for t, x in per_year)))
        scenarios = []
        for skey, name, items in self.scenarios:
            overrides = []
            for akey, x, y in items:
                pair = y if on(("override", skey, akey)) else x
                if pair is not None:
                    overrides.append((pair[0], rebased(pair[1])))
            scenarios.append(Scenario(name, tuple(overrides)))
        index = [p for ikey, a, b in self.index if (p := b if on(("index", ikey)) else a)]
        inputs = [_rebased_row(r, rebased) for rkey, a, b in self.inputs
                  if (r := _row(("inputs", rkey), a, b, on, INPUT_FIELDS))]
        outcomes = [_rebased_row(r, rebased) for rkey, a, b in self.outcomes
                    if (r := _row(("outcomes", rkey), a, b, on, OUTCOME_FIELDS))]
        return replace(old, settings=settings,
                       stakeholders=tuple(a or b for _, a, b in self.stakeholders),
                       assumptions=tuple(assumptions), scenarios=tuple(scenarios),
                       price_index=tuple(index), inputs=tuple(inputs),
                       outcomes=tuple(outcomes),
                       reference_prices=tuple(chosen.values()))

    @staticmethod
    def _price(pkey: str, a: ReferencePrice | None, b: ReferencePrice | None, on
               ) -> ReferencePrice:
        if a is None or b is None:
            return a or b
        made = {name: getattr(b, name) for name in PRICE_FIELDS if on(("price", pkey, name))}
        return replace(a, **made) if made else a


def _row(slot: tuple, a, b, on, names: Iterable[str]):
    """A row of a model in between: the old one, the new one, none, or the old one with some
    fields of the new one."""
    if a is None or b is None:
        return (b if on((*slot, "row")) else None) if a is None else (
            None if on((*slot, "row")) else a)
    if on((*slot, "row")):
        return b
    made = {name: getattr(b, name) for name in names if on((*slot, name))}
    return replace(a, **made) if made else a


def _rebased_row(row, rebased):
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


def _split(diff: _Diff) -> _Split:
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
    try:
        order, values = _sequence(diff, players)
    except _CANNOT as exc:
        return _Split("failed", 0, None, [None] * n, [{} for _ in players], names, Text(
            f"Het verschil is niet over de wijzigingen te verdelen: een tussenstand is niet te "
            f"berekenen ({exc}). Alleen het totale verschil staat hier.",
            f"The difference cannot be split over the changes: a model in between cannot be "
            f"computed ({exc}). Only the total difference is shown."))
    split = _shares(values, order, "sequence", names)
    said = []
    if failure is not None:
        said.append(Text(
            f"Niet elke combinatie van de wijzigingen is te berekenen ({failure}); daarom zijn "
            "ze in een vaste volgorde doorgevoerd.",
            f"Not every combination of the changes can be computed ({failure}); so they were "
            "made one at a time in a fixed order instead."))
    if order != sorted(order):
        said.append(Text(
            "Een wijziging die niet vóór een latere door te voeren is (bijvoorbeeld een prijspeil"
            " vóór het indexcijfer dat het nodig heeft), is erna doorgevoerd: zie de kolom Stap.",
            "A change that cannot be made before a later one (say a price year before the index "
            "point it needs) was made after it: see the column Step."))
    if said:
        split = replace(split, note=Text(" ".join(t.nl for t in said),
                                         " ".join(t.en for t in said)))
    return split


_CANNOT = (SroiError, ValueError, ArithmeticError)


def _sequence(diff: _Diff, players: list[_Found]) -> tuple[list[int], dict[int, _Figures]]:
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


def _figures(diff: _Diff, players: list[_Found], mask: int) -> _Figures:
    slots = {p.slot for i, p in enumerate(players) if mask >> i & 1}
    results = compute(diff.build(slots.__contains__))
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
    note = None if ratio is not None else Text(
        "Het verschil in de ratio is niet per wijziging te verdelen: een tussenstand heeft geen "
        "(of vrijwel geen) inbreng en dus geen ratio. Het verschil in de NPV wel.",
        "The change in the ratio cannot be split over the changes: a model in between has no "
        "inputs (or next to none) and so no ratio. The change in the NPV can.")
    names = {k: names.get(k, k) for k in stakeholders}
    steps = {i: step for step, i in enumerate(order, 1)} if method == "sequence" else {}
    return _Split(method, len(values), ratio, npv, nets, names, note, steps)


def _assemble(diff: _Diff, split: _Split, old: Results, new: Results) -> Comparison:
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
                      diff.new.language, diff.new.settings.currency)


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


def _method_text(c: Comparison, lang: str) -> str:
    n = len(c.counted)
    nl = lang == "nl"
    if c.method == "none":
        return ("Geen wijziging verandert de cijfers." if nl
                else "No change moves the figures.")
    if c.method == "failed":
        return ("De wijzigingen zijn niet over elkaar te verdelen; zie de opmerking." if nl else
                "The change could not be split over the changes; see the note.")
    common = (
        " Elke tussenstand (de oude versie met een deel van de wijzigingen) is met dezelfde "
        "rekenkern berekend als de resultaten. De effecten tellen precies op tot het totale "
        "verschil, ook per belanghebbende (verschil in netto waarde: waarde min inbreng)."
        if nl else
        " Every model in between (the old version with some of the changes made) is computed "
        "by the same engine as the results. The effects add up exactly to the total "
        "difference, also per stakeholder (the change in net value: value minus inputs).")
    if c.method == "shapley":
        return (f"Toerekening: de Shapley-waarde. Het effect van een wijziging is het "
                f"gemiddelde van wat zij toevoegt over alle volgordes waarin de {n} "
                f"wijziging(en) één voor één kunnen worden doorgevoerd, exact berekend over alle"
                f" {c.computations} combinaties. Wat wijzigingen samen doen (bijvoorbeeld aantal"
                " én proxy van één opbrengst) wordt gelijk over hen verdeeld." if nl else
                f"Attribution: the Shapley value. A change's effect is the average of what it "
                f"adds over every order in which the {n} change(s) can be made one at a time, "
                f"computed exactly over all {c.computations} combinations. What changes do "
                "together (say the quantity and the proxy of one outcome) is split equally "
                "between them.") + common
    why = ((f" Bij {n} wijzigingen (meer dan {SHAPLEY_MAX}) zijn alle volgordes te veel."
            if nl else f" With {n} changes (more than {SHAPLEY_MAX}) every order is too many.")
           if n > SHAPLEY_MAX else "")
    return (f"Toerekening: in een vaste volgorde.{why} De wijzigingen zijn één voor één "
            "doorgevoerd in de volgorde van de kolom Stap (instellingen eerst, dan aannames, "
            "scenario's, referentieprijzen, prijsindex, inbreng en opbrengsten, elk in de "
            "volgorde van de werkmap) en het effect van een wijziging is wat zij bij haar stap "
            "toevoegt. Een andere volgorde verdeelt wat wijzigingen samen doen anders." if nl
            else f"Attribution: in a fixed order.{why} The changes are made one at a time in the "
            "order of the column Step (settings first, then assumptions, scenarios, reference "
            "prices, price index, inputs and outcomes, each in the workbook's order), and a "
            "change's effect is what it adds at its step. Another order would split what "
            "changes do together differently.") + common


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
    sheet = SECTIONS[section].name
    where = []
    for label, rows in ((Text("oude", "old"), old_rows), (Text("nieuwe", "new"), new_rows)):
        numbers = [r.row for r in rows if row_key(r) == k]
        if len(numbers) > 1:
            where.append((label, numbers))
    sample = next(r for r in (*new_rows, *old_rows) if row_key(r) == k)
    name = f"{sample.stakeholder} · {getattr(sample, 'name', None) or sample.description}"

    def rows_text(lang: str) -> str:
        joined = "; ".join(f"{label(lang)} {', '.join(map(str, numbers))}"
                           for label, numbers in where)
        return joined

    return Text(
        f"{sheet.nl}: '{name}' staat op meer dan één rij (rijen {rows_text('nl')}); die rijen "
        "zijn niet aan elkaar gekoppeld maar als verwijderd en toegevoegd vergeleken. Geef "
        "elke rij een eigen omschrijving om ze te koppelen.",
        f"{sheet.en}: '{name}' is on more than one row (rows {rows_text('en')}); those rows "
        "are not matched but compared as removed and added. Give each row its own description "
        "to match them.")


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
        if not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12):
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


def _price_key(ref: ReferencePrice) -> str:
    return key(ref.code or ref.item)


def _prices_of(model: Model) -> list[ReferencePrice]:
    """The reference prices of a model: those on its sheet, and any an amount names."""
    found = {_price_key(r): r for r in model.reference_prices}
    for amount in _amounts(model):
        if amount.price is not None:
            found.setdefault(_price_key(amount.price), amount.price)
    return list(found.values())


def _price_keys(model: Model) -> set[str]:
    return {_price_key(a.price) for a in _amounts(model) if a.price is not None}


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


def _number(value: float | None, lang: str) -> str:
    """A number in a sentence: thousands separated, two decimals unless it is whole."""
    if value is None:
        return "?"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if lang == "nl" else text


