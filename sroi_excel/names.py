"""The workbook-level defined names fill keeps, so that the spreadsheet computes what the tool
computes and a user can build on the results.

* One name per assumption, pointing at its value cell: a formula such as
  ``=Trajecten*Bereik`` then computes in Excel and LibreOffice too, not only in the engine.
* Stable names for the key figures and every result table (:data:`FIGURES`, :data:`TABLES`;
  render.result_names makes them), language-independent, so a user's formula or chart on
  them follows each fill however many rows the tables get.

fill records the names it made in the custom document property ``sroi-excel-names`` and on
the next fill removes those and makes them anew: so it creates, moves and removes its own and
never touches a name the user made. A user's name with an assumption's name that points at
its value cell is left as it is; one that points elsewhere is an error naming both cells,
because Excel would compute with the other cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import formula, schema
from .exceptions import FormulaError, Problem
from .formulatext import destinations
from .model import Amount, Cell, Model
from .opc import WORKBOOK, parse_xml
from .packager_parts import RESULT_NAMES_PROPERTY, read_list_property

# The key figures of the results sheet: name -> the headline key (render_layout.HEADLINE).
FIGURES = {
    "SROI_Ratio": "ratio",
    "SROI_NetRatio": "net_ratio",
    "SROI_PVOutcomes": "pv_value",
    "SROI_PVInputs": "pv_inputs",
    "SROI_NPV": "npv",
    "SROI_Payback": "payback",
    "SROI_OutcomesUndiscounted": "value_nominal",
    "SROI_InputsUndiscounted": "inputs_nominal",
    "SROI_DiscountRate": "discount_rate",
    "SROI_DiscountRateInputs": "input_rate",
}
# The result tables: table key -> the names' stem; a name per column for the first three.
TABLES = {"stakeholders": "SROI_ByStakeholder", "outcomes": "SROI_ByOutcome",
          "years": "SROI_ByYear", "trail": "SROI_Trail", "input_trail": "SROI_InputTrail"}
COLUMN_NAMES = ("stakeholders", "outcomes", "years")
RESERVED = "SROI_"  # the results' names start so; an assumption may not


@dataclass(frozen=True)
class WorkbookName:
    """A workbook-level defined name of the user's workbook, and the one cell or range it
    points at, if it points at one."""

    name: str
    text: str
    target: tuple[str, str] | None  # (sheet, reference without $), or None
    owned: bool  # made by fill (recorded in the custom property)

    def points_at(self, cell: Cell) -> bool:
        return (self.target is not None and self.target[0].casefold() == cell.sheet.casefold()
                and self.target[1].upper() == cell.ref.replace("$", "").upper())


def workbook_names(parts: Mapping[str, bytes]) -> dict[str, WorkbookName]:
    """The workbook-level defined names by folded name (print titles and the like left out)."""
    owned = {n.casefold() for n in read_list_property(parts, RESULT_NAMES_PROPERTY)}
    found: dict[str, WorkbookName] = {}
    for node in parse_xml(parts[WORKBOOK], WORKBOOK).iter():
        if not node.tag.endswith("}definedName") or node.get("localSheetId") is not None:
            continue
        name, text = node.get("name") or "", node.text or ""
        if name.startswith("_xlnm.") or not name:
            continue
        found[name.casefold()] = WorkbookName(name, text, _target(text),
                                              name.casefold() in owned)
    return found


def _target(text: str) -> tuple[str, str] | None:
    try:
        places = destinations(text)
    except Exception:  # noqa: BLE001 - a name holding a constant or a formula: no cell
        return None
    if len(places) != 1 or not places[0][0]:
        return None
    sheet, ref = places[0]
    return sheet, ref.replace("$", "")


def definable(name: str) -> bool:
    """Whether Excel accepts ``name`` as a defined name (letters first, no cell look-alike,
    not R or C or an R1C1 reference, at most 255 characters)."""
    return (formula._is_name(name) and len(name) <= 255
            and not re.fullmatch(r"[RrCc]|[Rr][0-9]*[Cc][0-9]*|[Rr][0-9]+|[Cc][0-9]+", name)
            and name.upper() not in ("TRUE", "FALSE"))


def assumption_names(model: Model, parts: Mapping[str, bytes]
                     ) -> tuple[list[tuple[str, str]], list[Problem]]:
    """The assumption names fill defines, as (name, formula), and the errors: a user's name of
    an assumption's name pointing elsewhere, an assumption named like a result."""
    existing = workbook_names(parts)
    defined: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for a in model.assumptions:
        cell = a.value.at
        if cell is None or not definable(a.name):
            continue
        where = a.at or cell
        if a.name.upper().startswith(RESERVED):
            problems.append(Problem(where.sheet, where.ref, (
                f"the assumption '{a.name}' starts with {RESERVED}, which the names of the "
                "results use; rename it")))
            continue
        user = existing.get(a.name.casefold())
        if user is not None and not user.owned:
            if not user.points_at(cell):
                problems.append(Problem(where.sheet, where.ref, (
                    f"the workbook has its own name '{user.name}' (Formulas > Name Manager), "
                    f"pointing at {_shown(user)}, not at the assumption's value cell {cell}: "
                    f"Excel would compute with {_shown(user)}; delete that name or point it at "
                    f"{cell}")))
            continue  # the user's own name does it
        defined.append((a.name, "=" + schema.sheet_ref(cell.sheet, _absolute(cell.ref))))
    return defined, problems


def unknown_to_excel(model: Model, parts: Mapping[str, bytes]) -> list[Problem]:
    """Warnings for the assumption names formulas use that Excel does not know as they are
    now (no name, or one that points elsewhere): those formulas show #NAME? or another cell's
    value in Excel until fill defines or moves the name."""
    existing = workbook_names(parts)
    used = _names_used(model)
    found = []
    for a in model.assumptions:
        key = a.name.casefold()
        cell = a.value.at
        if key not in used or cell is None or not definable(a.name):
            continue
        name = existing.get(key)
        if name is not None and name.points_at(cell):
            continue
        where = a.at or cell
        first = used[key]
        if name is None:
            said = (f"Excel does not know the name '{a.name}' until fill defines it: {first} "
                    "uses it and shows #NAME? in Excel and LibreOffice until then")
        else:
            said = (f"the name '{a.name}' points at {_shown(name)}, not at {cell}, until fill "
                    f"moves it: {first} computes with the other cell in Excel until then")
        found.append(Problem(where.sheet, where.ref, said, "warning"))
    return found


def _names_used(model: Model) -> dict[str, Cell]:
    """Folded name -> the first input cell whose formula text uses it."""
    found: dict[str, Cell] = {}
    for amount in _amounts(model):
        if amount.at is None or not amount.text.startswith("="):
            continue
        try:
            tree = formula.parse(amount.text)
        except (FormulaError, RecursionError):
            continue
        for ref in formula.references(tree):
            if isinstance(ref, formula.Name):
                found.setdefault(ref.name.casefold(), amount.at)
    return found


def _amounts(model: Model) -> Iterable[Amount]:
    for a in model.assumptions:
        yield a.value
        yield from (amount for _, amount in a.per_year)
    for o in model.outcomes:
        yield from (x for x in (o.quantity, o.proxy, o.deadweight, o.attribution,
                                o.displacement, o.dropoff) if x is not None)
    for item in model.inputs:
        yield from (x for x in (item.amount, item.hours, item.rate) if x is not None)
    for s in model.scenarios:
        yield from (amount for _, amount in s.overrides)


def _shown(name: WorkbookName) -> str:
    if name.target is None:
        return name.text.lstrip("=")
    return f"{name.target[0]}!{name.target[1]}"


def _absolute(ref: str) -> str:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]+)", ref)
    return f"${m.group(1).upper()}${m.group(2)}" if m else ref
