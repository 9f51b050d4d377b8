"""Workbook -> typed model, collecting every problem with its sheet and cell.

The reader never stops at the first problem: ``check`` wants them all. It finds sheets and
columns by their names in either language, so columns may be moved and sheets reordered.
Formulas are parsed here and rewritten so that the engine only sees numbers and assumption
names: references to assumption cells become names, any other referenced cell is inlined.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from openpyxl import load_workbook
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
)

from . import formula, opc, schema
from .exceptions import FileFormatError, FormulaError, Problem, ValidationError
from .model import (
    Amount,
    Assumption,
    Cell,
    InputItem,
    Model,
    Outcome,
    Scenario,
    Settings,
    Stakeholder,
)

EXCEL_ERRORS = ("#REF!", "#DIV/0!", "#NAME?", "#N/A", "#VALUE!", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA")
MAX_RANGE_CELLS = 10_000
_YEAR_HEADER = re.compile(r"^(?:jaar|year)\s*(\d{1,3})$")
_NAME_OK = re.compile(r"^[^\W\d][\w.]*$")


@dataclass(frozen=True)
class Reading:
    """What the reader found: the model (None when the sheets could not be read) and problems."""

    model: Model | None
    problems: tuple[Problem, ...]
    fingerprint: str  # sha256 over the input sheets' cells, to tell stale results

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
    opc.read_package(data, name)  # refuses non-workbooks, zip bombs and path escapes
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                             keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise FileFormatError(
            f"{name} could not be opened as an Excel workbook ({exc.__class__.__name__}: "
            f"{exc}); open it in Excel or LibreOffice and save it again as .xlsx") from None
    try:
        return _Reader(book).run()
    finally:
        book.close()


class _Reader:
    def __init__(self, book):
        self.book = book
        self.problems: list[Problem] = []
        self.cells: dict[str, dict[str, object]] = {}  # sheet title -> {"B5": value}
        self.titles = {t.casefold(): t for t in book.sheetnames}
        self.assumption_cells: dict[tuple[str, str], str] = {}
        self.defined = self._defined_names()
        self.hasher = hashlib.sha256()

    # -- problems -------------------------------------------------------------------------
    def error(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(sheet, cell, message, "error"))

    def warn(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(sheet, cell, message, "warning"))

    # -- raw cells ------------------------------------------------------------------------
    def sheet_cells(self, title: str) -> dict[str, object]:
        """Every non-empty cell of a sheet, read once."""
        if title not in self.cells:
            ws = self.book[title]
            found: dict[str, object] = {}
            for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), 1):
                for c, value in enumerate(row, 1):
                    if value is not None and value != "":
                        found[f"{get_column_letter(c)}{r}"] = value
            self.cells[title] = found
        return self.cells[title]

    def rows(self, title: str) -> list[list[object]]:
        """The sheet as a list of rows (lists of values), rectangular."""
        cells = self.sheet_cells(title)
        if not cells:
            return []
        grid: dict[tuple[int, int], object] = {}
        for ref, value in cells.items():
            col, row = coordinate_from_string(ref)
            grid[(row, column_index_from_string(col))] = value
        nrows = max(r for r, _ in grid)
        ncols = max(c for _, c in grid)
        table = [[None] * ncols for _ in range(nrows)]
        for (r, c), value in grid.items():
            table[r - 1][c - 1] = value
        for r, row in enumerate(table, 1):
            self.hasher.update(repr((title, r, row)).encode())
        return table

    def _defined_names(self) -> dict[str, tuple[str, str]]:
        """Workbook-level defined names that point at one cell or range: name -> (sheet, ref)."""
        names: dict[str, tuple[str, str]] = {}
        for key, dn in self.book.defined_names.items():
            try:
                dests = list(dn.destinations)
            except Exception:  # a name holding a constant or a formula, not a range
                continue
            if len(dests) == 1:
                sheet, ref = dests[0]
                names[key.casefold()] = (sheet, ref.replace("$", ""))
        return names

    # -- the run --------------------------------------------------------------------------
    def run(self) -> Reading:
        found = self.find_sheets()
        missing = [s for s in (schema.SETTINGS, schema.STAKEHOLDERS, schema.OUTCOMES)
                   if s.key not in found]
        if missing:
            for s in missing:
                self.error(s.name.nl, "", (
                    f"the sheet '{s.name.nl}' (English: '{s.name.en}') is missing; sheets "
                    f"found: {', '.join(self.book.sheetnames) or 'none'}"))
            return Reading(None, tuple(self.problems), self.hasher.hexdigest())
        language = self.language(found)
        settings = self.read_settings(found["settings"])
        stakeholders = self.read_stakeholders(found["stakeholders"])
        assumptions = self.read_assumptions(found.get("assumptions"), settings)
        known = {s.name.casefold(): s.name for s in stakeholders}
        inputs = self.read_inputs(found.get("inputs"), known, settings)
        outcomes = self.read_outcomes(found["outcomes"], known, settings)
        scenarios = self.read_scenarios(found.get("scenarios"), assumptions)
        model = Model(settings, tuple(stakeholders), tuple(assumptions), tuple(inputs),
                      tuple(outcomes), tuple(scenarios), language)
        if settings.scenario and model.scenario(settings.scenario) is None:
            self.error(found["settings"], self.settings_cells.get("scenario", ""),
                       f"the scenario '{settings.scenario}' is not on the scenarios sheet"
                       + _did_you_mean(settings.scenario, [s.name for s in scenarios]))
        return Reading(model, tuple(self.problems), self.hasher.hexdigest())

    def find_sheets(self) -> dict[str, str]:
        lookup = schema.sheet_lookup()
        found: dict[str, str] = {}
        for title in self.book.sheetnames:
            sheet = lookup.get(schema.normalise(title))
            if sheet is not None and sheet.key not in found:
                found[sheet.key] = title
        return found

    def language(self, found: dict[str, str]) -> str:
        english = sum(found[s.key] == s.name.en for s in schema.INPUT_SHEETS if s.key in found)
        dutch = sum(found[s.key] == s.name.nl for s in schema.INPUT_SHEETS if s.key in found)
        return "en" if english > dutch else "nl"

    # -- settings -------------------------------------------------------------------------
    def read_settings(self, title: str) -> Settings:
        labels = {}
        for col in schema.SETTINGS.columns:
            for label in (*col.header.all(), *col.aliases):
                labels[schema.normalise(label)] = col
        values: dict[str, tuple[object, Cell]] = {}
        self.settings_cells: dict[str, str] = {}
        for r, row in enumerate(self.rows(title), 1):
            if not row or row[0] is None:
                continue
            col = labels.get(schema.normalise(row[0]))
            if col is None:
                continue
            value = row[1] if len(row) > 1 else None
            values[col.key] = (value, Cell(title, f"B{r}"))
            self.settings_cells[col.key] = f"B{r}"

        def get(key):
            return values.get(key, (None, Cell(title, "B?")))

        out: dict[str, object] = {}
        for key in ("name", "organisation", "currency", "note", "scenario"):
            value, _ = get(key)
            if value is not None:
                out[key] = str(value).strip()
        value, at = get("analysis_type")
        if value is not None:
            kind = schema.parse_choice(value, schema.ANALYSIS_TYPES)
            if kind is None:
                self.error(title, at.ref, f"analysis type '{value}' is not known; use "
                           "prognose/forecast or evaluatief/evaluative")
            else:
                out["analysis_type"] = kind
        for key, low, high in (("first_year", 1900, 2200), ("price_year", 1900, 2200),
                               ("years", 1, 100)):
            value, at = get(key)
            label = schema.SETTINGS.column(key).header(self.lang_of(title))
            if value is None:
                if key == "years":
                    self.error(title, at.ref if key in values else "",
                               f"'{label}' is missing; fill in how many years the analysis "
                               "covers")
                continue
            number = self.integer(value, at, label)
            if number is not None and not low <= number <= high:
                self.error(at.sheet, at.ref, f"{label} is {number}; it must be between {low} "
                           f"and {high}")
            elif number is not None:
                out[key] = number
        for key in ("discount_rate", "discount_rate_inputs"):
            value, at = get(key)
            if value is None:
                continue
            label = schema.SETTINGS.column(key).header(self.lang_of(title))
            rate = self.percent_constant(value, at, label, maximum=1.0)
            if rate is not None:
                out[key] = rate
        for key, default in (("discount_inputs", True), ("beyond_horizon", False)):
            value, at = get(key)
            out[key] = self.yesno(value, at, default, schema.SETTINGS.column(key).header("en"))
        return Settings(**out)

    def lang_of(self, title: str) -> str:
        return "en" if title in {s.name.en for s in schema.INPUT_SHEETS} else "nl"

    # -- tables ---------------------------------------------------------------------------
    def table(self, title: str, sheet: schema.Sheet) -> tuple[dict[str, int], list, int]:
        """Locate the header row; return column key -> index, the data rows, header row no."""
        rows = self.rows(title)
        lookup = schema.header_lookup(sheet)
        required = {c.key for c in sheet.columns if c.required}
        for r, row in enumerate(rows[:15], 1):
            columns: dict[str, int] = {}
            for c, value in enumerate(row):
                if value is None:
                    continue
                key = lookup.get(schema.normalise(value))
                if key and key not in columns:
                    columns[key] = c
            if required <= columns.keys():
                return columns, rows[r:], r
        lang = self.lang_of(title)
        wanted = ", ".join(f"'{sheet.column(k).header(lang)}'" for k in sorted(required))
        self.error(title, "1", f"the header row was not found: it needs the columns {wanted} "
                   "(in Dutch or English)")
        return {}, [], 0

    def cells_of(self, title, columns, row, r) -> dict[str, tuple[object, Cell]]:
        out = {}
        for key, c in columns.items():
            value = row[c] if c < len(row) else None
            if isinstance(value, str) and not value.strip():
                value = None
            out[key] = (value, Cell(title, f"{get_column_letter(c + 1)}{r}"))
        return out

    def read_stakeholders(self, title: str) -> list[Stakeholder]:
        columns, rows, header = self.table(title, schema.STAKEHOLDERS)
        result: list[Stakeholder] = []
        seen: dict[str, Cell] = {}
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            name, at = cells["name"]
            if name is None:
                continue
            name = str(name).strip()
            if name.casefold() in seen:
                self.error(title, at.ref, f"the stakeholder '{name}' is listed twice (also at "
                           f"{seen[name.casefold()].ref}); each name must be unique")
                continue
            seen[name.casefold()] = at
            desc = cells.get("description", (None, at))[0]
            result.append(Stakeholder(name, _text(desc), at))
        if not result:
            self.error(title, f"A{header + 1}", "no stakeholders are listed; add at least one")
        return result

    def read_assumptions(self, title: str | None, settings: Settings) -> list[Assumption]:
        if title is None:
            return []
        columns, rows, header = self.table(title, schema.ASSUMPTIONS)
        if not columns:
            return []
        year_cols: dict[int, int] = {}
        header_row = self.rows(title)[header - 1]
        for c, value in enumerate(header_row):
            m = _YEAR_HEADER.match(schema.normalise(value)) if value is not None else None
            if m:
                year_cols[int(m.group(1))] = c
        # First pass: names and value cells, so formulas can refer to any assumption.
        raw = []
        seen: dict[str, str] = {}
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            name, at = cells["name"]
            if name is None:
                if any(v for v, _ in cells.values()):
                    self.error(title, at.ref, "this row has values but no assumption name")
                continue
            name = str(name).strip()
            if name.casefold() in seen:
                self.error(title, at.ref, f"the assumption '{name}' is listed twice (also at "
                           f"{seen[name.casefold()]}); each name must be unique")
                continue
            seen[name.casefold()] = at.ref
            if not _NAME_OK.match(name):
                self.warn(title, at.ref, f"the name '{name}' cannot be used in a formula (no "
                          f"spaces, start with a letter); e.g. '{_suggest_name(name)}'")
            self.assumption_cells[(title.casefold(), cells["value"][1].ref)] = name
            raw.append((name, cells, r, row))
        self.assumption_names = {n.casefold(): n for n, *_ in raw}
        result = []
        for name, cells, r, row in raw:
            value, at = cells["value"]
            amount = self.amount(value, at, "value")
            if amount is None:
                if value is None:
                    self.error(title, at.ref, f"the assumption '{name}' has no value")
                continue
            per_year = []
            for year, c in sorted(year_cols.items()):
                cell_value = row[c] if c < len(row) else None
                if cell_value is None:
                    continue
                cell_at = Cell(title, f"{get_column_letter(c + 1)}{r}")
                year_amount = self.amount(cell_value, cell_at, f"value for year {year}")
                if year_amount is not None:
                    per_year.append((year, year_amount))
            low = self.number_constant(cells.get("low", (None, at)), "low")
            high = self.number_constant(cells.get("high", (None, at)), "high")
            if low is not None and high is not None and low > high:
                self.error(title, cells["low"][1].ref,
                           f"low ({low:g}) is above high ({high:g}) for '{name}'")
            source = _text(cells.get("source", (None, at))[0])
            if not source:
                self.warn(title, cells["source"][1].ref if "source" in cells else at.ref,
                          f"the assumption '{name}' has no source")
            result.append(Assumption(name, amount, _text(cells.get("unit", (None, at))[0]),
                                     source, low, high, tuple(per_year), cells["name"][1]))
        self.check_cycles(result)
        return result

    def check_cycles(self, assumptions: list[Assumption]) -> None:
        deps = {a.name.casefold(): {n.name.casefold() for n in _names(a.value.node)}
                for a in assumptions}
        by_key = {a.name.casefold(): a for a in assumptions}
        state: dict[str, int] = {}

        def visit(key: str, path: list[str]) -> None:
            state[key] = 1
            for dep in deps.get(key, ()):
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep] if dep in path else [key, dep]
                    a = by_key[key]
                    self.error(a.value.at.sheet, a.value.at.ref, (
                        "circular assumptions: " + " -> ".join(by_key[k].name for k in cycle)
                        + "; one of them must be a number"))
                elif dep in deps and state.get(dep) is None:
                    visit(dep, path + [dep])
            state[key] = 2

        for key in deps:
            if key not in state:
                visit(key, [key])

    def stakeholder(self, value, at: Cell, known: dict[str, str]) -> str | None:
        if value is None:
            self.error(at.sheet, at.ref, "the stakeholder is missing; pick one from the list")
            return None
        name = str(value).strip()
        if name.casefold() in known:
            return known[name.casefold()]
        self.error(at.sheet, at.ref, f"the stakeholder '{name}' is not on the stakeholders "
                   "sheet" + _did_you_mean(name, list(known.values())))
        return None

    def year(self, value, at: Cell, settings: Settings, default: int, label: str,
             lowest: int) -> int:
        if value is None:
            return default
        number = self.integer(value, at, label)
        if number is None:
            return default
        if settings.first_year and number >= 1000:
            number = number - settings.first_year + 1
        if not lowest <= number <= settings.years:
            self.error(at.sheet, at.ref, (
                f"{label} is {value}; it must be between {lowest} and {settings.years} (the "
                "horizon)" + (f", or a calendar year from {settings.first_year}"
                              if settings.first_year else "")))
            return default
        return number

    def read_inputs(self, title, known, settings) -> list[InputItem]:
        if title is None:
            return []
        columns, rows, header = self.table(title, schema.INPUTS)
        result = []
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            if all(v is None for v, _ in cells.values()):
                continue
            first = Cell(title, f"A{r}")
            who = self.stakeholder(*cells["stakeholder"], known)
            kind_value, kind_at = cells.get("kind", (None, first))
            if kind_value is None:
                kind = "hours" if cells.get("hours", (None,))[0] is not None else "money"
            else:
                kind = schema.parse_choice(kind_value, schema.INPUT_KINDS)
                if kind is None:
                    self.error(kind_at.sheet, kind_at.ref, f"the type '{kind_value}' is not "
                               "known; use geld/money, uren/hours or in natura/in kind")
                    continue
            amount = hours = rate = None
            if kind == "hours":
                hours = self.required_amount(cells, "hours", "hours", first, minimum=0)
                rate = self.required_amount(cells, "rate", "hourly rate", first, minimum=0)
                if hours is None or rate is None:
                    continue
            else:
                amount = self.required_amount(cells, "amount", "amount", first, minimum=0)
                if amount is None:
                    continue
            recurring = self.yesno(*cells.get("recurring", (None, first)), False, "every year")
            year = self.year(*cells.get("year", (None, first)), settings,
                             1 if recurring else 0, "the year", 0)
            if who is None:
                continue
            result.append(InputItem(who, _text(cells.get("description", (None,))[0]), kind,
                                    amount, hours, rate, year, recurring,
                                    _text(cells.get("source", (None,))[0]), r, first))
        return result

    def read_outcomes(self, title, known, settings) -> list[Outcome]:
        columns, rows, header = self.table(title, schema.OUTCOMES)
        result = []
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            if all(v is None for v, _ in cells.values()):
                continue
            first = Cell(title, f"A{r}")
            who = self.stakeholder(*cells["stakeholder"], known)
            name_value, name_at = cells["outcome"]
            if name_value is None:
                self.error(title, name_at.ref, "the outcome has no name; describe the change")
                continue
            name = str(name_value).strip()
            monetised = self.yesno(*cells.get("monetised", (None, first)), True, "monetised")
            recurring = self.yesno(*cells.get("recurring", (None, first)), False, "every year")
            fields = {}
            if monetised:
                fields["quantity"] = self.required_amount(cells, "quantity", "quantity", first)
                fields["proxy"] = self.required_amount(cells, "proxy", "financial proxy", first)
                if fields["quantity"] is None or fields["proxy"] is None:
                    continue
                for key, label in (("deadweight", "deadweight"), ("attribution", "attribution"),
                                   ("displacement", "displacement"), ("dropoff", "drop-off")):
                    value, at = cells.get(key, (None, first))
                    amount = self.percent(value, at, label) if value is not None else None
                    if amount is not None:
                        fields[key] = amount
                self.outcome_warnings(cells, fields, name)
            else:
                fields["quantity"] = fields["proxy"] = None
            dur_value, dur_at = cells.get("duration", (None, first))
            duration = 1
            if dur_value is not None:
                duration = self.integer(dur_value, dur_at, "duration")
                if duration is not None and duration < 1:
                    self.error(title, dur_at.ref, f"duration is {dur_value}; an outcome lasts "
                               "at least 1 year")
                    duration = None
                if duration is None:
                    continue
            first_year = self.year(*cells.get("first_year", (None, first)), settings, 1,
                                   "the first year", 1)
            if who is None:
                continue
            result.append(Outcome(
                stakeholder=who, name=name, indicator=_text(cells.get("indicator", (None,))[0]),
                proxy_source=_text(cells.get("proxy_source", (None,))[0]), duration=duration,
                first_year=first_year, recurring=recurring, monetised=monetised, row=r,
                at=first, **fields))
        if not result:
            self.warn(title, f"A{header + 1}", "no outcomes are listed yet")
        return result

    def outcome_warnings(self, cells, fields, name) -> None:
        source, at = cells.get("proxy_source", (None, cells["proxy"][1]))
        if source is None:
            self.warn(at.sheet, at.ref, f"the financial proxy of '{name}' has no source")
        dw, at = fields.get("deadweight"), cells.get("deadweight", (None, None))[1]
        attr = fields.get("attribution")
        if dw is not None and attr is not None and not dw.is_formula and not attr.is_formula:
            total = dw.node.value + attr.node.value
            if total > 0.9:
                self.warn(at.sheet, at.ref, (
                    f"deadweight plus attribution is {total:.0%} for '{name}'; little of this "
                    "outcome is claimed, check that both are right"))

    def read_scenarios(self, title, assumptions) -> list[Scenario]:
        if title is None:
            return []
        columns, rows, header = self.table(title, schema.SCENARIOS)
        known = {a.name.casefold(): a.name for a in assumptions}
        grouped: dict[str, list] = {}
        names: dict[str, str] = {}
        seen: dict[tuple[str, str], str] = {}
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            if all(v is None for v, _ in cells.values()):
                continue
            scen, scen_at = cells["scenario"]
            which, which_at = cells["assumption"]
            value, value_at = cells["value"]
            if scen is None:
                self.error(title, scen_at.ref, "the scenario name is missing")
                continue
            if which is None or str(which).strip().casefold() not in known:
                self.error(title, which_at.ref, (
                    f"the assumption '{which or ''}' is not on the assumptions sheet"
                    + _did_you_mean(str(which or ""), list(known.values()))))
                continue
            assumption = known[str(which).strip().casefold()]
            key = (str(scen).strip().casefold(), assumption.casefold())
            if key in seen:
                self.error(title, which_at.ref, f"'{assumption}' is set twice in scenario "
                           f"'{scen}' (also at {seen[key]})")
                continue
            seen[key] = which_at.ref
            amount = self.amount(value, value_at, "value")
            if amount is None:
                if value is None:
                    self.error(title, value_at.ref, "the scenario value is missing")
                continue
            names.setdefault(key[0], str(scen).strip())
            grouped.setdefault(key[0], []).append((assumption, amount))
        return [Scenario(names[k], tuple(v)) for k, v in grouped.items()]

    # -- single values --------------------------------------------------------------------
    def required_amount(self, cells, key, label, first: Cell, minimum=None) -> Amount | None:
        value, at = cells.get(key, (None, first))
        if value is None:
            self.error(at.sheet, at.ref, f"the {label} is missing")
            return None
        amount = self.amount(value, at, label)
        if (amount is not None and minimum is not None and not amount.is_formula
                and amount.node.value < minimum):
            self.error(at.sheet, at.ref, f"the {label} is {amount.node.value:g}; it cannot be "
                       "negative (enter savings as outcomes)")
            return None
        return amount

    def amount(self, value, at: Cell, label: str) -> Amount | None:
        """A number or a supported formula; None (with an error) for anything else."""
        if value is None:
            return None
        if isinstance(value, bool):
            self.error(at.sheet, at.ref, f"the {label} is {value}; it must be a number")
            return None
        if isinstance(value, int | float):
            return Amount.of(value, at)
        if isinstance(value, dt.datetime | dt.date | dt.time):
            self.error(at.sheet, at.ref, f"the {label} is a date ({value}); it must be a "
                       "number: format the cell as a number")
            return None
        text = str(value).strip()
        if text.upper() in EXCEL_ERRORS:
            self.error(at.sheet, at.ref, f"the {label} is the Excel error {text.upper()}; "
                       "fix the formula or value in that cell")
            return None
        if text.startswith("="):
            try:
                node = self.resolve(formula.parse(text), at, [(at.sheet, at.ref)])
            except FormulaError as exc:
                self.error(at.sheet, at.ref, f"{text}: {exc}")
                return None
            return Amount(node, text, at)
        self.error(at.sheet, at.ref, _text_number_message(text, label))
        return None

    def percent(self, value, at: Cell, label: str) -> Amount | None:
        amount = self.amount(value, at, label)
        if amount is None or amount.is_formula:
            return amount
        number = amount.node.value
        if 1 < number <= 100:
            self.error(at.sheet, at.ref, (
                f"{label} is {number:g}, which reads as {number:.0%}; type {number:g}% (with "
                "the percent sign) or a fraction like " + f"{number / 100:g}"))
            return None
        if not 0 <= number <= 1:
            self.error(at.sheet, at.ref, f"{label} is {number:.0%}; it must be between 0% and "
                       "100%")
            return None
        return amount

    def percent_constant(self, value, at, label, maximum) -> float | None:
        amount = self.percent(value, at, label)
        if amount is None:
            return None
        if amount.is_formula:
            self.error(at.sheet, at.ref, f"{label} must be a number, not a formula")
            return None
        return amount.node.value

    def number_constant(self, pair, label) -> float | None:
        value, at = pair
        amount = self.amount(value, at, label)
        if amount is None:
            return None
        if amount.is_formula:
            self.error(at.sheet, at.ref, f"{label} must be a number, not a formula")
            return None
        return amount.node.value

    def integer(self, value, at: Cell, label: str) -> int | None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        self.error(at.sheet, at.ref, f"{label} is '{value}'; it must be a whole number")
        return None

    def yesno(self, value, at: Cell, default: bool, label: str) -> bool:
        if value is None:
            return default
        parsed = schema.parse_yesno(value)
        if parsed is None:
            self.error(at.sheet, at.ref, f"{label} is '{value}'; use ja/nee or yes/no")
            return default
        return parsed

    # -- formulas -------------------------------------------------------------------------
    def resolve(self, node, at: Cell, stack: list[tuple[str, str]]):
        """Rewrite a parsed formula so that it holds only numbers and assumption names."""
        if isinstance(node, formula.Name):
            key = node.name.casefold()
            if key in getattr(self, "assumption_names", {}):
                return formula.Name(self.assumption_names[key])
            if key in self.defined:
                sheet, ref = self.defined[key]
                if ":" in ref:
                    raise FormulaError(f"the name '{node.name}' is a range; use it inside SUM, "
                                       "MIN, MAX or AVERAGE")
                return self.cell_node(sheet, ref, stack)
            names = list(getattr(self, "assumption_names", {}).values())
            raise FormulaError(f"the name '{node.name}' is not an assumption on the assumptions "
                               "sheet" + _did_you_mean(node.name, names))
        if isinstance(node, formula.Ref):
            return self.cell_node(node.sheet or at.sheet, node.cell, stack)
        if isinstance(node, formula.Call):
            args = []
            for arg in node.args:
                if isinstance(arg, formula.RangeRef):
                    args.extend(self.range_nodes(arg.sheet or at.sheet, arg.start, arg.end,
                                                 stack))
                elif isinstance(arg, formula.Name) and ":" in self.defined.get(
                        arg.name.casefold(), ("", ""))[1]:
                    sheet, ref = self.defined[arg.name.casefold()]
                    start, end = ref.split(":")
                    args.extend(self.range_nodes(sheet, start, end, stack))
                else:
                    args.append(self.resolve(arg, at, stack))
            return replace(node, args=tuple(args))
        if isinstance(node, formula.Unary | formula.Percent):
            return replace(node, operand=self.resolve(node.operand, at, stack))
        if isinstance(node, formula.Binary):
            return replace(node, left=self.resolve(node.left, at, stack),
                           right=self.resolve(node.right, at, stack))
        if isinstance(node, formula.RangeRef):
            raise FormulaError(f"the range {node.start}:{node.end} can only be used inside SUM, "
                               "MIN, MAX, AVERAGE or PRODUCT")
        return node

    def cell_node(self, sheet: str, ref: str, stack):
        title = self.titles.get(sheet.casefold())
        if title is None:
            raise FormulaError(f"the sheet '{sheet}' does not exist in this workbook")
        ref = ref.replace("$", "").upper()
        name = self.assumption_cells.get((title.casefold(), ref))
        if name is not None:
            return formula.Name(name)
        if (title, ref) in stack:
            chain = " -> ".join(f"{s}!{c}" for s, c in stack + [(title, ref)])
            raise FormulaError(f"circular reference: {chain}")
        value = self.sheet_cells(title).get(ref)
        if value is None:
            return formula.Number(0.0)  # Excel reads an empty cell as 0
        if isinstance(value, bool):
            return formula.Number(float(value))
        if isinstance(value, int | float):
            return formula.Number(float(value))
        text = str(value).strip()
        if text.startswith("="):
            inner = formula.parse(text)
            return self.resolve(inner, Cell(title, ref), stack + [(title, ref)])
        if text.upper() in EXCEL_ERRORS:
            raise FormulaError(f"the cell {title}!{ref} holds the Excel error {text}")
        raise FormulaError(f"the cell {title}!{ref} holds text ('{_short(text)}'), not a number")

    def range_nodes(self, sheet: str, start: str, end: str, stack) -> list:
        title = self.titles.get(sheet.casefold())
        if title is None:
            raise FormulaError(f"the sheet '{sheet}' does not exist in this workbook")
        c1, r1 = coordinate_from_string(start.replace("$", ""))
        c2, r2 = coordinate_from_string(end.replace("$", ""))
        cols = sorted((column_index_from_string(c1), column_index_from_string(c2)))
        rows = sorted((r1, r2))
        if (cols[1] - cols[0] + 1) * (rows[1] - rows[0] + 1) > MAX_RANGE_CELLS:
            raise FormulaError(f"the range {start}:{end} is larger than {MAX_RANGE_CELLS:,} "
                               "cells")
        cells = self.sheet_cells(title)
        nodes = []
        for r in range(rows[0], rows[1] + 1):
            for c in range(cols[0], cols[1] + 1):
                ref = f"{get_column_letter(c)}{r}"
                value = cells.get(ref)
                # Excel's SUM/MIN/MAX/AVERAGE skip blanks and text inside ranges.
                if value is None or (isinstance(value, str) and not value.startswith("=")
                                     and value.upper() not in EXCEL_ERRORS):
                    continue
                nodes.append(self.cell_node(title, ref, stack))
        return nodes


def _names(node) -> Iterable[formula.Name]:
    return [n for n in formula.references(node) if isinstance(n, formula.Name)]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.casefold(): o for o in options}
        close = [lowered[m] for m in difflib.get_close_matches(name.casefold(), list(lowered),
                                                               n=1, cutoff=0.6)]
    return f"; did you mean '{close[0]}'?" if close else ""


def _suggest_name(name: str) -> str:
    cleaned = re.sub(r"\W+", "_", name.strip()).strip("_") or "Naam"
    return cleaned if not cleaned[0].isdigit() else "_" + cleaned


def _text_number_message(text: str, label: str) -> str:
    """Explain why a text cell is not a number, suggesting the number it probably is."""
    short = _short(text)
    cleaned = text.replace("€", "").replace(" ", "").strip()
    dutch = re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+,\d+", cleaned)
    if dutch:
        number = float(cleaned.replace(".", "").replace(",", "."))
        return (f"the {label} '{short}' is text, not a number (a decimal comma stored as "
                f"text); type it as the number {number:g} or format the cell as a number")
    plain = re.fullmatch(r"-?[\d,]*\.?\d+%?", cleaned)
    if plain:
        return (f"the {label} '{short}' is stored as text; re-type it as a number (Excel: "
                "Convert to Number)")
    return f"the {label} is text ('{short}'); it must be a number or a formula"
