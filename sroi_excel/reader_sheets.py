"""The settings, stakeholders, inputs, outcomes and scenarios sheets, one reader each.

The assumptions sheet has its own module (reader_assumptions), as have the reference prices and
the price index (reader_prices).
"""

from __future__ import annotations

import unicodedata

from . import schema
from .model import (
    Amount,
    Assumption,
    Cell,
    InputItem,
    Outcome,
    Scenario,
    Settings,
    Stakeholder,
)
from .reader_assumptions import PERCENT_UNIT
from .reader_cells import CellReader, Row, did_you_mean, text

_TEXT_SETTINGS = ("name", "organisation", "currency", "note", "scenario")
_YEAR_SETTINGS = (("first_year", 1900, 2200), ("price_year", 1900, 2200), ("years", 1, 100))
_DEDUCTIONS = (("deadweight", "deadweight"), ("attribution", "attribution"),
               ("displacement", "displacement"), ("dropoff", "drop-off"))


# -- settings --------------------------------------------------------------------------------

def read_settings(cells: CellReader, title: str) -> Settings:
    """The settings: one per row, its label in column A and its value in column B."""
    found = _setting_cells(cells, title)
    lang = cells.lang_of(title)

    def get(key: str) -> tuple[object, Cell]:
        return found.get(key, (None, Cell(title, "B?")))

    out: dict[str, object] = {}
    for key in _TEXT_SETTINGS:
        value, _ = get(key)
        if value is not None:
            out[key] = str(value).strip()
    kind = _analysis_type(cells, *get("analysis_type"))
    if kind is not None:
        out["analysis_type"] = kind
    for key, low, high in _YEAR_SETTINGS:
        value, at = get(key)
        label = schema.SETTINGS.column(key).header(lang)
        if value is None:
            if key == "years":
                cells.error(title, at.ref if key in found else "", f"'{label}' is missing; "
                            "fill in how many years the analysis covers")
            continue
        number = cells.bounded(value, at, label, low, high)
        if number is not None:
            out[key] = number
    for key in ("discount_rate", "discount_rate_inputs"):
        value, at = get(key)
        rate = None if value is None else cells.percent_constant(
            value, at, schema.SETTINGS.column(key).header(lang))
        if rate is not None:
            out[key] = rate
    for key, default in (("discount_inputs", True), ("beyond_horizon", False)):
        value, at = get(key)
        out[key] = cells.yesno(value, at, default, schema.SETTINGS.column(key).header("en"))
    out.update(_uncertainty_settings(cells, get, lang))
    out.update(_quality_settings(cells, get, lang))
    out["cells"] = tuple((key, at) for key, (_, at) in found.items())
    return Settings(**out)


def _setting_cells(cells: CellReader, title: str) -> dict[str, tuple[object, Cell]]:
    """Setting key -> (value, cell) for each row whose label names a setting."""
    labels = {}
    for col in schema.SETTINGS.columns:
        for label in (*col.header.all(), *col.aliases):
            labels[schema.normalise(label)] = col
    found: dict[str, tuple[object, Cell]] = {}
    for r, row in enumerate(cells.sheets.rows(title), 1):
        if not row or row[0] is None:
            continue
        col = labels.get(schema.normalise(row[0]))
        if col is not None:
            found[col.key] = (row[1] if len(row) > 1 else None, Cell(title, f"B{r}"))
    return found


def _analysis_type(cells: CellReader, value, at: Cell) -> str | None:
    if value is None:
        return None
    kind = schema.parse_choice(value, schema.ANALYSIS_TYPES)
    if kind is None:
        cells.error(at.sheet, at.ref, f"analysis type '{value}' is not known; use "
                    "prognose/forecast or evaluatief/evaluative")
    return kind


def _uncertainty_settings(cells: CellReader, get, lang: str) -> dict[str, object]:
    """Monte Carlo draws and seed, sensitivity step, switching-value stakeholder."""
    out: dict[str, object] = {}
    for key, low, high in (("mc_draws", 0, 1_000_000), ("mc_seed", 0, 2**63 - 1)):
        value, at = get(key)
        if value is None:
            continue
        label = schema.SETTINGS.column(key).header(lang)
        number = cells.bounded(value, at, label, low, high, f"{high:,}")
        if number is not None:
            out[key] = number
    value, at = get("sensitivity_step")
    if value is not None:
        label = schema.SETTINGS.column("sensitivity_step").header(lang)
        step = cells.percent_constant(value, at, label)
        if step is not None and step <= 0:
            cells.error(at.sheet, at.ref, f"{label} is {step:.0%}; it must be above 0%, "
                        "e.g. 10%")
        elif step is not None:
            out["sensitivity_step"] = step
    value, _ = get("switching_stakeholder")
    if value is not None and str(value).strip():
        out["switching_stakeholder"] = str(value).strip()  # checked once stakeholders are read
    return out


def _quality_settings(cells: CellReader, get, lang: str) -> dict[str, object]:
    """The counterfactual, and the values the adjusted view gives unevidenced 0% deductions."""
    out: dict[str, object] = {}
    value, _ = get("counterfactual")
    if value is not None:
        out["counterfactual"] = str(value).strip()
    for key in ("deadweight", "attribution", "displacement", "dropoff"):
        value, at = get(f"adjusted_{key}")
        if value is None:
            continue
        label = schema.SETTINGS.column(f"adjusted_{key}").header(lang)
        rate = cells.percent_constant(value, at, label)
        if rate is not None:
            out[f"adjusted_{key}"] = rate
    return out


# -- stakeholders ----------------------------------------------------------------------------

def read_stakeholders(cells: CellReader, title: str) -> list[Stakeholder]:
    """The stakeholders, each name once: the other sheets pick from this list."""
    table = cells.table(title, schema.STAKEHOLDERS)
    result: list[Stakeholder] = []
    seen: dict[str, Cell] = {}
    for row in table:
        name, at = row["name"]
        if name is None:
            continue
        name = unicodedata.normalize("NFC", str(name).strip())
        key = schema.name_key(name)
        if key in seen:
            cells.error(title, at.ref, f"the stakeholder '{name}' is listed twice (also at "
                        f"{seen[key].ref}); each name must be unique")
            continue
        seen[key] = at
        result.append(Stakeholder(name, text(row.value("description")), at,
                                  category=_category(cells, row),
                                  involvement=text(row.value("involvement")),
                                  cells=_cells(row, ("involvement",))))
    if not result:
        cells.error(title, f"A{table.header + 1}", "no stakeholders are listed; add at least one")
    return result


def _category(cells: CellReader, row: Row) -> str:
    """The stakeholder's category; free text much like a kind of the list is a warning, since
    a typing error makes a category of its own."""
    value, at = row.get("category", (None, row.first))
    category = schema.category_of(value)
    if category and category not in schema.CATEGORIES:
        import difflib  # here: only a category not on the list needs it

        lang = cells.lang_of(at.sheet)
        labels = {schema.normalise(word): kind(lang)
                  for kind in schema.CATEGORIES.values() for word in kind.all()}
        close = difflib.get_close_matches(schema.normalise(category), list(labels), n=1,
                                          cutoff=0.8)
        if close:
            cells.warn(at.sheet, at.ref, (
                f"the category '{category}' is not one of the list, so it counts as a "
                f"category of its own; did you mean '{labels[close[0]]}'?"))
    return category


# -- inputs ----------------------------------------------------------------------------------

def read_inputs(cells: CellReader, title: str | None, known: dict[str, str],
                settings: Settings) -> list[InputItem]:
    """What each stakeholder puts in: money, hours times a rate, or in kind."""
    if title is None:
        return []
    found = (_input(cells, row, known, settings)
             for row in cells.table(title, schema.INPUTS).filled())
    return [item for item in found if item is not None]


def _input(cells: CellReader, row: Row, known: dict[str, str], settings: Settings
           ) -> InputItem | None:
    first = row.first
    who = cells.stakeholder(*row["stakeholder"], known)
    kind_value, kind_at = row.get("kind", (None, first))
    if kind_value is None:
        kind = "hours" if row.value("hours") is not None else "money"
    else:
        kind = schema.parse_choice(kind_value, schema.INPUT_KINDS)
        if kind is None:
            cells.error(kind_at.sheet, kind_at.ref, f"the type '{kind_value}' is not known; "
                        "use geld/money, uren/hours or in natura/in kind")
            return None
    amount = hours = rate = None
    if kind == "hours":
        hours = cells.required_amount(row, "hours", "hours", minimum=0)
        rate = cells.required_amount(row, "rate", "hourly rate", minimum=0, priced=True)
        if hours is None or rate is None:
            return None
    else:
        amount = cells.required_amount(row, "amount", "amount", minimum=0, priced=True)
        if amount is None:
            return None
    recurring = cells.yesno(*row.get("recurring", (None, first)), False, "every year")
    year = cells.year(*row.get("year", (None, first)), settings, 1 if recurring else 0,
                      "the year", 0)
    if who is None:
        return None
    return InputItem(who, text(row.value("description")), kind, amount, hours, rate, year,
                     recurring, text(row.value("source")), row.r, first)


# -- outcomes --------------------------------------------------------------------------------

def read_outcomes(cells: CellReader, title: str, known: dict[str, str], settings: Settings
                  ) -> list[Outcome]:
    """The outcomes: what changes for whom, how much of it, and what it is worth."""
    table = cells.table(title, schema.OUTCOMES)
    found = (_outcome(cells, row, known, settings) for row in table.filled())
    result = [outcome for outcome in found if outcome is not None]
    if not result:
        cells.warn(title, f"A{table.header + 1}", "no outcomes are listed yet")
    return result


def _outcome(cells: CellReader, row: Row, known: dict[str, str], settings: Settings
             ) -> Outcome | None:
    first = row.first
    who = cells.stakeholder(*row["stakeholder"], known)
    name_value = row.value("outcome")
    if name_value is None:
        cells.error(row.title, row.at("outcome").ref, "the outcome has no name; describe the "
                    "change")
        return None
    name = str(name_value).strip()
    monetised = cells.yesno(*row.get("monetised", (None, first)), True, "monetised")
    excluded = _excluded(cells, row)
    if excluded is not None:  # listed, not valued, like a qualitative outcome
        monetised = False
    recurring = cells.yesno(*row.get("recurring", (None, first)), False, "every year")
    fields = _valued(cells, row, name) if monetised else {"quantity": None, "proxy": None}
    if fields is None:
        return None
    duration = _duration(cells, row)
    if duration is None:
        return None
    first_year = cells.year(*row.get("first_year", (None, first)), settings, 1,
                            "the first year", 1)
    if who is None:
        return None
    return Outcome(
        stakeholder=who, name=name, indicator=text(row.value("indicator")),
        proxy_source=text(row.value("proxy_source")) or _price_source(fields.get("proxy")),
        duration=duration, first_year=first_year, recurring=recurring, monetised=monetised,
        row=row.r, at=first, evidence=text(row.value("evidence")), excluded=excluded or None,
        exclusion_reason=text(row.value("exclusion_reason")),
        cells=_cells(row, ("evidence", "excluded", "exclusion_reason", "proxy_source")),
        **fields)


def _excluded(cells: CellReader, row: Row) -> str | None:
    """Why an outcome is left out (a key of schema.EXCLUSIONS), or None when it counts; ""
    for a word that is not known, which is an error (the row is then not checked further)."""
    value, at = row.get("excluded", (None, row.first))
    if value is None or schema.parse_yesno(value) is False:
        return None
    kind = schema.parse_choice(value, schema.EXCLUSIONS)
    if kind is None:
        cells.error(at.sheet, at.ref, f"excluded is '{value}'; use niet materieel/not "
                    "material, dubbeltelling/double counted or buiten scope/out of scope, or "
                    "leave it blank")
        return ""
    return kind


def _cells(row: Row, keys: tuple[str, ...]) -> tuple[tuple[str, Cell], ...]:
    """(key, cell) of those columns the table has, for a model's ``cells``."""
    return tuple((key, row.at(key)) for key in keys if key in row)


def _valued(cells: CellReader, row: Row, name: str) -> dict[str, Amount] | None:
    """Quantity, proxy and deductions of a monetised outcome (None: the row is left out)."""
    fields = {"quantity": cells.required_amount(row, "quantity", "quantity"),
              "proxy": cells.required_amount(row, "proxy", "financial proxy", priced=True)}
    if fields["quantity"] is None or fields["proxy"] is None:
        return None
    for key, label in _DEDUCTIONS:
        value, at = row.get(key, (None, row.first))
        amount = cells.percent(value, at, label) if value is not None else None
        if amount is not None:
            fields[key] = amount
        elif value is None and key in row:
            # An empty cell counts as 0%; keeping where it is lets the results refer to it,
            # so typing a value there later recalculates in Excel.
            fields[key] = Amount.of(0, at)
    _outcome_warnings(cells, row, fields, name)
    return fields


def _duration(cells: CellReader, row: Row) -> int | None:
    """How many years an outcome lasts: 1 where the cell is empty, None where it is wrong."""
    value, at = row.get("duration", (None, row.first))
    if value is None:
        return 1
    duration = cells.integer(value, at, "duration")
    if duration is not None and duration < 1:
        cells.error(row.title, at.ref, f"duration is {value}; an outcome lasts at least 1 year")
        return None
    return duration


def _outcome_warnings(cells: CellReader, row: Row, fields: dict[str, Amount], name: str
                      ) -> None:
    if row.value("proxy_source") is None and fields["proxy"].price is None:
        # A reference price has its own source.
        at = row.at("proxy_source", row.at("proxy"))
        cells.warn(at.sheet, at.ref, f"the financial proxy of '{name}' has no source")
    dw, attr = fields.get("deadweight"), fields.get("attribution")
    if dw is not None and attr is not None and not dw.is_formula and not attr.is_formula:
        total = dw.node.value + attr.node.value
        if total > 0.9:
            at = row.at("deadweight")
            cells.warn(at.sheet, at.ref, (
                f"deadweight plus attribution is {total:.0%} for '{name}'; little of this "
                "outcome is claimed, check that both are right"))


def _price_source(amount: Amount | None) -> str:
    """A proxy that names a reference price takes that price's source unless one is typed."""
    if amount is None or amount.price is None:
        return ""
    ref = amount.price
    return f"{ref.label} ({ref.source})" if ref.source else ref.label


# -- scenarios -------------------------------------------------------------------------------

def read_scenarios(cells: CellReader, title: str | None, assumptions: list[Assumption]
                   ) -> list[Scenario]:
    """Named sets of assumption values (minimum, maximum, ...) that replace the base values."""
    if title is None:
        return []
    known = {a.name.casefold(): a.name for a in assumptions}
    units = {a.name: a.unit for a in assumptions if PERCENT_UNIT.search(a.unit)}
    grouped: dict[str, list] = {}
    names: dict[str, str] = {}
    seen: dict[tuple[str, str], str] = {}
    for row in cells.table(title, schema.SCENARIOS).filled():
        scen, scen_at = row["scenario"]
        which, which_at = row["assumption"]
        value, value_at = row["value"]
        if scen is None:
            cells.error(title, scen_at.ref, "the scenario name is missing")
            continue
        if which is None or str(which).strip().casefold() not in known:
            cells.error(title, which_at.ref, (
                f"the assumption '{which or ''}' is not on the assumptions sheet"
                + did_you_mean(str(which or ""), list(known.values()))))
            continue
        assumption = known[str(which).strip().casefold()]
        key = (str(scen).strip().casefold(), assumption.casefold())
        if key in seen:
            cells.error(title, which_at.ref, f"'{assumption}' is set twice in scenario "
                        f"'{scen}' (also at {seen[key]})")
            continue
        seen[key] = which_at.ref
        amount = cells.amount(value, value_at, "value")
        if amount is None:
            if value is None:
                cells.error(title, value_at.ref, "the scenario value is missing")
            continue
        if assumption in units:
            cells.percent_unit(amount, value_at, f"the value of '{assumption}' in scenario "
                               f"'{str(scen).strip()}'", units[assumption])
        names.setdefault(key[0], str(scen).strip())
        grouped.setdefault(key[0], []).append((assumption, amount))
    return [Scenario(names[k], tuple(v)) for k, v in grouped.items()]
