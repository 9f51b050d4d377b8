"""Workbook -> typed model, collecting every problem with its sheet and cell.

The reader never stops at the first problem: ``check`` wants them all. It finds sheets and
columns by their names in either language, so columns may be moved and sheets reordered.
Formulas are parsed here and rewritten so that the engine only sees numbers and assumption
names: references to assumption cells become names, any other referenced cell is inlined.

Each input sheet has its own reader (reader_sheets: settings, stakeholders, inputs, outcomes,
scenarios; reader_assumptions; reader_prices: reference prices and price index), all on one
layer of cell access (reader_cells, with reader_formulas for formulas). This module opens the
workbook and runs them in order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from . import opc, schema, sheetxml
from .exceptions import FileFormatError, Problem, ValidationError
from .model import Model
from .reader_assumptions import read_assumptions
from .reader_cells import CellReader, Sheets, did_you_mean
from .reader_formulas import Formulas
from .reader_prices import read_prices
from .reader_sheets import (
    read_inputs,
    read_outcomes,
    read_scenarios,
    read_settings,
    read_stakeholders,
)


@dataclass(frozen=True)
class Reading:
    """What the reader found: the model (None when the sheets could not be read) and problems."""

    model: Model | None
    problems: tuple[Problem, ...]
    fingerprint: str  # sha256 over the input sheets' cells, to tell stale results
    # The package's parts as opc.read_package unpacked them, so that fill's merge does not
    # unpack (and check) the same workbook again.
    parts: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def read_workbook(source: str | os.PathLike | bytes) -> Model:
    """Read a workbook into a model; raise ValidationError listing every error found."""
    reading = read(source)
    if reading.errors or reading.model is None:
        raise ValidationError(list(reading.problems))
    return reading.model


def read(source: str | os.PathLike | bytes, name: str | None = None) -> Reading:
    """Read a workbook (path or bytes); content problems are returned, not raised."""
    if isinstance(source, bytes):
        data, name = source, name or "workbook"
    else:
        name = name or os.path.basename(os.fspath(source))
        try:
            with open(source, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise FileFormatError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise FileFormatError(f"{name} is a folder, not a workbook") from None
    # Refuses non-workbooks, zip bombs, path escapes and XML with a DTD before any parsing.
    parts = opc.read_package(data, name)
    try:
        book = sheetxml.Workbook(parts)
    except Exception as exc:  # a damaged part raises what openpyxl raised, of many kinds
        raise FileFormatError(
            f"{name} could not be opened as an Excel workbook ({exc.__class__.__name__}: "
            f"{exc}); open it in Excel or LibreOffice and save it again as .xlsx") from None
    try:
        return replace(read_sheets(Sheets(book)), parts=parts)
    except FileFormatError as exc:  # a sheet found damaged while reading it
        raise FileFormatError(f"{name}: {exc}") from None


def read_sheets(sheets: Sheets) -> Reading:
    """Read the input sheets, each by its own reader, in the order the fingerprint expects."""
    found = _find_sheets(sheets.book.sheetnames)
    missing = [s for s in (schema.SETTINGS, schema.STAKEHOLDERS, schema.OUTCOMES)
               if s.key not in found]
    if missing:
        for s in missing:
            sheets.error(s.name.nl, "", (
                f"the sheet '{s.name.nl}' (English: '{s.name.en}') is missing; sheets "
                f"found: {', '.join(sheets.book.sheetnames) or 'none'}"))
        return Reading(None, tuple(sheets.problems), sheets.hasher.hexdigest())
    cells = CellReader(sheets, Formulas(sheets))
    settings = read_settings(cells, found["settings"])
    price_list = read_prices(cells, found.get("reference_prices"), found.get("price_index"),
                             settings)
    stakeholders = read_stakeholders(cells, found["stakeholders"])
    assumptions = read_assumptions(cells, found.get("assumptions"))
    known = {schema.name_key(s.name): s.name for s in stakeholders}
    inputs = read_inputs(cells, found.get("inputs"), known, settings)
    outcomes = read_outcomes(cells, found["outcomes"], known, settings)
    scenarios = read_scenarios(cells, found.get("scenarios"), assumptions)
    model = Model(settings, tuple(stakeholders), tuple(assumptions), tuple(inputs),
                  tuple(outcomes), tuple(scenarios), _language(found),
                  reference_prices=tuple(price_list.prices),
                  price_index=tuple(price_list.index_points))
    model = _checked_choices(sheets, model, known)
    return Reading(model, tuple(sheets.problems), sheets.hasher.hexdigest())


def _find_sheets(titles: list[str]) -> dict[str, str]:
    """Input sheet key -> its title in the workbook (the first of two with one name)."""
    lookup = schema.sheet_lookup()
    found: dict[str, str] = {}
    for title in titles:
        sheet = lookup.get(schema.normalise(title))
        if sheet is not None and sheet.key not in found:
            found[sheet.key] = title
    return found


def _language(found: dict[str, str]) -> str:
    """The language most input sheets are named in (Dutch on a tie)."""
    english = sum(found[s.key] == s.name.en for s in schema.INPUT_SHEETS if s.key in found)
    dutch = sum(found[s.key] == s.name.nl for s in schema.INPUT_SHEETS if s.key in found)
    return "en" if english > dutch else "nl"


def _checked_choices(sheets: Sheets, model: Model, known: dict[str, str]) -> Model:
    """The settings' scenario and switching-value stakeholder checked against their sheets;
    the stakeholder spelt as on the stakeholders sheet.

    The stakeholder is optional, and the template's example names one: one not on the sheet
    (the example's, after the user renamed the stakeholders) is a warning and is ignored, so
    that it never blocks a fill.
    """
    settings = model.settings
    if settings.scenario and model.scenario(settings.scenario) is None:
        at = settings.cell("scenario")
        sheets.error(at.sheet, at.ref,
                     f"the scenario '{settings.scenario}' is not on the scenarios sheet"
                     + did_you_mean(settings.scenario, [s.name for s in model.scenarios]))
    chosen = settings.switching_stakeholder
    if not chosen:
        return model
    found = known.get(schema.name_key(chosen))
    if found is None:
        at = settings.cell("switching_stakeholder")
        sheets.warn(at.sheet, at.ref, (
            f"the stakeholder '{chosen}' (for switching values) is not on the stakeholders "
            "sheet, so it is ignored and switching values are computed for the analysis as a "
            "whole only; type a stakeholder from that sheet or leave the cell empty"
            + did_you_mean(chosen, list(known.values()))))
    return replace(model, settings=replace(settings, switching_stakeholder=found))
