"""What a comparison is made of: the changes found, each value as the change table shows it,
the stakeholders' net values and the two headlines; the sections and fields a change can be
in, and their words in both languages."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .. import schema
from ..engine import Headline
from ..schema import Text

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
    method_note: Text  # how the change was split, said on the sheet

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
        return self.method_note(lang)

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

