"""Workbook -> typed model, collecting every problem with its sheet and cell.

The reader never stops at the first problem: ``check`` wants them all. It finds sheets and
columns by their names in either language, so columns may be moved and sheets reordered.
Formulas are parsed here and rewritten so that the engine only sees numbers and assumption
names: references to assumption cells become names, any other referenced cell is inlined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from . import formula, opc, prices, schema, sheetxml
from .exceptions import FileFormatError, FormulaError, PriceIndexError, Problem, ValidationError
from .formulatext import column_index as column_index_from_string
from .formulatext import column_letter as get_column_letter
from .formulatext import coordinate_from_string, destinations
from .model import (
    Amount,
    Assumption,
    Cell,
    InputItem,
    Model,
    Outcome,
    PriceIndexPoint,
    ReferencePrice,
    Scenario,
    Settings,
    Stakeholder,
    collector_paused,
)
from .sheetxml import ArrayFormula, DataTableFormula

EXCEL_ERRORS = ("#REF!", "#DIV/0!", "#NAME?", "#N/A", "#VALUE!", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA")
MAX_RANGE_CELLS = 10_000
# Far beyond any SROI table, yet small enough that a sheet reaching row 1,048,576 or column
# XFD is refused in about a second instead of taking minutes and gigabytes.
MAX_ROWS = 20_000  # 10,000 outcomes (the benchmark's largest) with room to spare
MAX_COLUMNS = 500
MAX_CHAIN = 100  # assumptions computed from assumptions, each from the next, ...
_YEAR_HEADER = re.compile(r"^(?:jaar|year)\s*(\d{1,3})$")
_NAME_OK = re.compile(r"^[^\W\d][\w.]*$")


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


class _RowCells:
    """The cells of one table row by column key: ``cells[key]`` is (value, cell), blank text
    reading as None; ``blank``: all empty.

    A cell's Cell is made when asked for: making one for every column was most of the time
    spent on a row, and most are only ever needed to name the cell in a message.
    """

    __slots__ = ("title", "r", "values", "columns", "blank")

    def __init__(self, title: str, r: int, values: dict[str, object], columns: dict[str, int],
                 blank: bool):
        self.title, self.r, self.values, self.columns, self.blank = (title, r, values, columns,
                                                                     blank)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def __getitem__(self, key: str) -> tuple[object, Cell]:
        pair = self.get(key)
        if pair is None:
            raise KeyError(key)
        return pair

    def get(self, key: str, default: tuple | None = None) -> tuple | None:
        """(value, cell) of a column; ``default`` where the table has no such column."""
        c = self.columns.get(key)
        if c is None:
            return default
        return self.values[key], Cell(self.title, f"{get_column_letter(c + 1)}{self.r}")

    def value(self, key: str) -> object:
        """The value in a column; None where it is empty or the table has no such column."""
        return self.values.get(key)

    def at(self, key: str, default: Cell | None = None) -> Cell | None:
        """The cell of a column in this row; ``default`` where the table has no such column."""
        pair = self.get(key)
        return default if pair is None else pair[1]


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
        with collector_paused():
            return replace(_Reader(book).run(), parts=parts)
    except FileFormatError as exc:  # a sheet found damaged while reading it
        raise FileFormatError(f"{name}: {exc}") from None


class _Reader:
    def __init__(self, book):
        self.book = book
        self.problems: list[Problem] = []
        self.read_rows: dict[str, list[tuple[int, list]]] = {}  # title -> rows with cells
        self.tables: dict[str, tuple[list, bytes]] = {}  # title -> (rows(), their hash input)
        self.cells: dict[str, dict[str, object]] = {}  # sheet title -> {"B5": value}
        self.parsed: dict[str, formula.Node] = {}  # formula text -> its syntax tree
        # Formula text -> its resolved tree, for formulas whose tree does not depend on the
        # cell they are in (see _independent): rows copied down share them.
        self.resolved: dict[str, formula.Node] = {}
        self.numbers: dict[float, tuple[formula.Number, str]] = {}  # cell value -> node, text
        self.yesno_words: dict[str, bool | None] = {}
        self.titles = {t.casefold(): t for t in book.sheetnames}
        self.assumption_cells: dict[tuple[str, str], str] = {}
        self.defined = self._defined_names()
        self.hasher = hashlib.sha256()
        self.price_title: str | None = None  # the reference-price sheet, once read
        self.reference_prices: list[ReferencePrice] = []
        self.price_lookup: dict[str, ReferencePrice] = {}  # normalised code or item -> price
        self.index_points: list[PriceIndexPoint] = []

    # -- problems -------------------------------------------------------------------------
    def error(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(sheet, cell, message, "error"))

    def warn(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(sheet, cell, message, "warning"))

    # -- raw cells ------------------------------------------------------------------------
    def sheet_rows(self, title: str) -> list[tuple[int, list]]:
        """The rows of a sheet that hold cells, read once: (row number, values)."""
        if title not in self.read_rows:
            kept: list[tuple[int, list]] = []
            try:
                # Only rows that hold cells; the stored dimension (which may claim
                # A1:XFD1048576 for a small table) plays no part.
                for r, row in self.book.rows(title):
                    if (r > MAX_ROWS or len(row) > MAX_COLUMNS) and self._too_far(title, r, row):
                        break
                    kept.append((r, row))
            except Exception as exc:  # the sheet is parsed lazily, here
                raise FileFormatError(
                    f"the sheet '{title}' is damaged and cannot be read ({type(exc).__name__}); "
                    "open the file in Excel or LibreOffice and save it again as .xlsx"
                ) from None
            self.read_rows[title] = kept
        return self.read_rows[title]

    def sheet_cells(self, title: str) -> dict[str, object]:
        """Every non-empty cell of a sheet by reference ("B5"), for formulas that refer to one."""
        if title not in self.cells:
            found: dict[str, object] = {}
            for r, row in self.sheet_rows(title):
                for c, value in enumerate(row, 1):
                    if value is not None and value != "":
                        found[f"{get_column_letter(c)}{r}"] = value
            self.cells[title] = found
        return self.cells[title]

    def _too_far(self, title: str, r: int, row: list) -> bool:
        """Stop reading, with an error, at data beyond MAX_ROWS rows or MAX_COLUMNS columns."""
        filled = [c for c, v in enumerate(row, 1) if v is not None and v != ""]
        beyond = [c for c in filled if c > MAX_COLUMNS]
        if beyond:
            column = get_column_letter(beyond[0])
            self.error(title, f"{column}{r}", (
                f"there is data in column {column}; an input sheet may use at most "
                f"{MAX_COLUMNS} columns (up to {get_column_letter(MAX_COLUMNS)}): delete the "
                "columns to the right of the table"))
            return True
        if r > MAX_ROWS and filled:
            self.error(title, f"{get_column_letter(filled[0])}{r}", (
                f"there is data in row {r:,}; an input sheet may have at most {MAX_ROWS:,} "
                "rows: delete the rows below the table (Ctrl+End shows where Excel thinks the "
                "sheet ends)"))
            return True
        return False

    def rows(self, title: str) -> list[list[object]]:
        """The sheet as a list of rows (lists of values), rectangular; empty text is None.

        Every call adds the table to the fingerprint, as it always has: the fingerprints that
        filled workbooks store depend on it.
        """
        if title not in self.tables:
            kept = []
            nrows = ncols = 0
            for r, row in self.sheet_rows(title):
                last = len(row)
                while last and (row[last - 1] is None or row[last - 1] == ""):
                    last -= 1
                if last:
                    kept.append((r, row))
                    nrows, ncols = r, max(ncols, last)
            table = [[None] * ncols for _ in range(nrows)]
            for r, row in kept:
                if "" in row:
                    row = [None if value == "" else value for value in row]
                width = len(row)
                table[r - 1] = (row if width == ncols else row[:ncols] if width > ncols
                                else row + [None] * (ncols - width))
            hashed = b"".join(repr((title, r, row)).encode() for r, row in enumerate(table, 1))
            self.tables[title] = (table, hashed)
        table, hashed = self.tables[title]
        self.hasher.update(hashed)
        return table

    def _defined_names(self) -> dict[str, tuple[str, str]]:
        """Workbook-level defined names that point at one cell or range: name -> (sheet, ref)."""
        names: dict[str, tuple[str, str]] = {}
        for key, text in self.book.defined_names.items():
            try:
                dests = destinations(text)
            except Exception:  # a name holding nothing, or a reference without a sheet
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
        self.read_prices(found.get("reference_prices"), found.get("price_index"), settings)
        stakeholders = self.read_stakeholders(found["stakeholders"])
        assumptions = self.read_assumptions(found.get("assumptions"), settings)
        known = {s.name.casefold(): s.name for s in stakeholders}
        inputs = self.read_inputs(found.get("inputs"), known, settings)
        outcomes = self.read_outcomes(found["outcomes"], known, settings)
        scenarios = self.read_scenarios(found.get("scenarios"), assumptions)
        model = Model(settings, tuple(stakeholders), tuple(assumptions), tuple(inputs),
                      tuple(outcomes), tuple(scenarios), language,
                      reference_prices=tuple(self.reference_prices),
                      price_index=tuple(self.index_points))
        if settings.scenario and model.scenario(settings.scenario) is None:
            self.error(found["settings"], self.settings_cells.get("scenario", ""),
                       f"the scenario '{settings.scenario}' is not on the scenarios sheet"
                       + _did_you_mean(settings.scenario, [s.name for s in scenarios]))
        chosen = settings.switching_stakeholder
        if chosen and chosen.casefold() in known:
            model = replace(model, settings=replace(
                settings, switching_stakeholder=known[chosen.casefold()]))
        elif chosen:
            self.error(found["settings"], self.settings_cells.get("switching_stakeholder", ""),
                       f"the stakeholder '{chosen}' (for switching values) is not on the "
                       "stakeholders sheet" + _did_you_mean(chosen, list(known.values())))
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
        out.update(self.uncertainty_settings(get, self.lang_of(title)))
        out["cells"] = tuple((key, at) for key, (_, at) in values.items())
        return Settings(**out)

    def uncertainty_settings(self, get, lang: str) -> dict[str, object]:
        """Monte Carlo draws and seed, sensitivity step, switching-value stakeholder."""
        out: dict[str, object] = {}
        for key, low, high in (("mc_draws", 0, 1_000_000), ("mc_seed", 0, 2**63 - 1)):
            value, at = get(key)
            if value is None:
                continue
            label = schema.SETTINGS.column(key).header(lang)
            number = self.integer(value, at, label)
            if number is not None and not low <= number <= high:
                self.error(at.sheet, at.ref, f"{label} is {number}; it must be between {low} "
                           f"and {high:,}")
            elif number is not None:
                out[key] = number
        value, at = get("sensitivity_step")
        if value is not None:
            label = schema.SETTINGS.column("sensitivity_step").header(lang)
            step = self.percent_constant(value, at, label, maximum=1.0)
            if step is not None and step <= 0:
                self.error(at.sheet, at.ref, f"{label} is {step:.0%}; it must be above 0%, "
                           "e.g. 10%")
            elif step is not None:
                out["sensitivity_step"] = step
        value, _ = get("switching_stakeholder")
        if value is not None and str(value).strip():
            out["switching_stakeholder"] = str(value).strip()  # checked once stakeholders are read
        return out

    def lang_of(self, title: str) -> str:
        return "en" if title in {s.name.en for s in schema.INPUT_SHEETS} else "nl"

    # -- tables ---------------------------------------------------------------------------
    def table(self, title: str, sheet: schema.Sheet) -> tuple[dict[str, int], list, int]:
        """Locate the header row; return column key -> index, the data rows, header row no."""
        rows = self.rows(title)
        lookup = schema.header_lookup(sheet)
        required = {c.key for c in sheet.columns if c.required}
        best: tuple[int, dict[str, int]] = (1, {})
        for r, row in enumerate(rows[:15], 1):
            columns: dict[str, int] = {}
            for c, value in enumerate(row):
                if value is None:
                    continue
                key = lookup.get(schema.normalise(value))
                if key and key not in columns:
                    columns[key] = c
            if required <= columns.keys():
                self.check_merged(title, r)
                self.unknown_headers(title, sheet, row, r, columns)
                return columns, rows[r:], r
            if len(columns) > len(best[1]):
                best = (r, columns)
        lang = self.lang_of(title)
        other = "en" if lang == "nl" else "nl"
        r, columns = best
        missing = [c for c in sheet.columns if c.required and c.key not in columns]
        names = " or ".join(f"'{c.header(lang)}'" + (
            f" (or '{c.header(other)}')" if c.header(other) != c.header(lang) else "")
            for c in missing)
        self.check_merged(title, 1)
        if columns:
            self.error(title, f"A{r}", f"the header row (row {r}) has no column {names}; give "
                       "the column that holds it this header again")
        else:
            self.error(title, "A1", f"no header row was found in the first 15 rows; the sheet "
                       f"needs the columns {names}")
        return {}, [], 0

    def check_merged(self, title: str, from_row: int) -> None:
        """Merged cells in a table hide values: only the top-left cell keeps one."""
        xml = self.book.sheet_xml(title)
        if b"mergeCell" not in xml:  # far quicker than the pattern on a sheet without any
            return
        found = re.findall(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+:[A-Za-z]+\d+)"',
                           xml)
        for ref in [m.decode() for m in found][:20]:
            first, last = ref.upper().split(":")
            if coordinate_from_string(last)[1] < from_row:
                continue  # a merged title above the table is fine
            self.error(title, first, f"the cells {ref.upper()} are merged, so only {first} holds "
                       "a value; unmerge them (Excel: Home > Merge & Center) and fill in each "
                       "cell")

    def unknown_headers(self, title: str, sheet: schema.Sheet, row: list, r: int,
                        columns: dict[str, int]) -> None:
        """Warn about a header that looks like a misspelt known one: its column is ignored."""
        lang = self.lang_of(title)
        labels = {schema.normalise(label): col for col in sheet.columns
                  for label in (*col.header.all(), *col.aliases)}
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            norm = schema.normalise(value)
            if not norm or norm in labels or len(norm) > 60 or _YEAR_HEADER.match(norm):
                continue
            import difflib  # here: only a header the tool does not read needs it

            close = difflib.get_close_matches(norm, list(labels), n=1, cutoff=0.8)
            if close and labels[close[0]].key not in columns:
                self.warn(title, f"{get_column_letter(c + 1)}{r}", (
                    f"the column '{_short(value)}' is not one the tool reads, so it is "
                    f"ignored; did you mean '{labels[close[0]].header(lang)}'?"))

    def cells_of(self, title, columns, row, r) -> _RowCells:
        """The cells of one table row by column key; blank text reads as None."""
        values = {}
        width = len(row)
        blank = True
        for key, c in columns.items():
            value = row[c] if c < width else None
            if isinstance(value, str) and not value.strip():
                value = None
            elif value is not None:
                blank = False
            values[key] = value
        return _RowCells(title, r, values, columns, blank)

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
            desc = cells.value("description")
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
                if any(cells.values.values()):
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
            self.assumption_cells[(title.casefold(), cells.at("value").ref)] = name
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
                self.error(title, cells.at("low").ref,
                           f"low ({low:g}) is above high ({high:g}) for '{name}'")
            distribution = self.distribution(cells, name, amount, low, high)
            source = _text(cells.value("source"))
            if not source:
                self.warn(title, cells.at("source", at).ref,
                          f"the assumption '{name}' has no source")
            result.append(Assumption(name, amount, _text(cells.value("unit")),
                                     source, low, high, tuple(per_year), cells.at("name"),
                                     distribution=distribution))
        self.check_cycles(result)
        return result

    def distribution(self, cells, name: str, amount: Amount, low, high) -> str | None:
        """The Monte Carlo distribution of an assumption (None: the default, see the model)."""
        value, at = cells.get("distribution", (None, None))
        chosen = None
        if value is not None:
            chosen = schema.parse_choice(value, schema.DISTRIBUTIONS)
            if chosen is None:
                self.error(at.sheet, at.ref, f"the distribution '{value}' is not known; use "
                           "uniform, driehoek/triangular, PERT or vast/fixed")
                return None
            if chosen != "fixed" and (low is None or high is None):
                self.error(at.sheet, at.ref, f"the distribution of '{name}' needs both low and "
                           "high; fill them in, or choose vast/fixed")
                return None
        drawn_around_value = chosen in ("triangular", "pert") or (
            chosen is None and low is not None and high is not None)
        if (drawn_around_value and low is not None and high is not None
                and not amount.is_formula and not low <= amount.node.value <= high):
            where = amount.at or cells.at("value")
            self.warn(where.sheet, where.ref, (
                f"the value of '{name}' ({amount.node.value:g}) lies outside its low and high "
                f"({low:g} - {high:g}); Monte Carlo draws it uniformly between low and high"))
        return chosen

    def _visit(self, key: str, path: list[str], deps: dict[str, set[str]],
               by_key: dict[str, Assumption], state: dict[str, int]) -> None:
        """Depth-first from ``key`` (a method, not a nested function: a recursive closure is a
        reference cycle that kept the reader's rows alive until the cycle collector ran)."""
        state[key] = 1
        for dep in deps.get(key, ()):
            if state.get(dep) == 1:
                cycle = path[path.index(dep):] + [dep] if dep in path else [key, dep]
                a = by_key[key]
                self.error(a.value.at.sheet, a.value.at.ref, (
                    "circular assumptions: " + " -> ".join(by_key[k].name for k in cycle)
                    + "; one of them must be a number"))
            elif dep in deps and state.get(dep) is None:
                self._visit(dep, path + [dep], deps, by_key, state)
        state[key] = 2

    def check_cycles(self, assumptions: list[Assumption]) -> None:
        deps = {a.name.casefold(): {n.name.casefold() for n in _names(a.value.node)}
                for a in assumptions}
        by_key = {a.name.casefold(): a for a in assumptions}
        if self.chain_too_long(deps, by_key):
            return
        state: dict[str, int] = {}
        try:
            for key in deps:
                if key not in state:
                    self._visit(key, [key], deps, by_key, state)
        except RecursionError:  # a cycle through hundreds of assumptions
            a = by_key[key]
            self.error(a.value.at.sheet, a.value.at.ref, (
                f"the assumption '{a.name}' is part of a chain of formulas too long to follow; "
                "give some assumptions in it a number instead of a formula"))

    def chain_too_long(self, deps: dict[str, set[str]], by_key: dict[str, Assumption]) -> bool:
        """Refuse assumption chains longer than MAX_CHAIN, found without recursion.

        The engine evaluates a formula's names recursively, so a chain of hundreds of
        assumptions (each one the previous plus something) would exhaust Python's stack.
        """
        users: dict[str, list[str]] = {k: [] for k in deps}
        waiting = dict.fromkeys(deps, 0)
        for key, needs in deps.items():
            for dep in needs & deps.keys():
                users[dep].append(key)
                waiting[key] += 1
        depth = dict.fromkeys(deps, 1)
        previous: dict[str, str] = {}
        ready = [k for k, n in waiting.items() if n == 0]
        while ready:
            key = ready.pop()
            for user in users[key]:
                if depth[key] + 1 > depth[user]:
                    depth[user], previous[user] = depth[key] + 1, key
                waiting[user] -= 1
                if waiting[user] == 0:
                    ready.append(user)
        deepest = max(depth, key=depth.__getitem__, default=None)
        if deepest is None or depth[deepest] <= MAX_CHAIN:
            return False
        first = deepest
        while first in previous:
            first = previous[first]
        a = by_key[deepest]
        self.error(a.value.at.sheet, a.value.at.ref, (
            f"the assumption '{a.name}' depends on a chain of {depth[deepest]} assumptions "
            f"('{by_key[first].name}' -> ... -> '{a.name}'); the tool follows at most "
            f"{MAX_CHAIN}: give some of them a number instead of a formula"))
        return True

    def stakeholder(self, value, at: Cell, known: dict[str, str]) -> str | None:
        if value is None:
            self.error(at.sheet, at.ref, "the stakeholder is missing; pick one from the list")
            return None
        name = str(value).strip()
        if name.casefold() in known:
            return known[name.casefold()]
        self.error(at.sheet, at.ref, f"the stakeholder '{_short(name)}' is not on the "
                   "stakeholders sheet" + _did_you_mean(name, list(known.values())))
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
            if cells.blank:
                continue
            first = Cell(title, f"A{r}")
            who = self.stakeholder(*cells["stakeholder"], known)
            kind_value, kind_at = cells.get("kind", (None, first))
            if kind_value is None:
                kind = "hours" if cells.value("hours") is not None else "money"
            else:
                kind = schema.parse_choice(kind_value, schema.INPUT_KINDS)
                if kind is None:
                    self.error(kind_at.sheet, kind_at.ref, f"the type '{kind_value}' is not "
                               "known; use geld/money, uren/hours or in natura/in kind")
                    continue
            amount = hours = rate = None
            if kind == "hours":
                hours = self.required_amount(cells, "hours", "hours", first, minimum=0)
                rate = self.required_amount(cells, "rate", "hourly rate", first, minimum=0,
                                            priced=True)
                if hours is None or rate is None:
                    continue
            else:
                amount = self.required_amount(cells, "amount", "amount", first, minimum=0,
                                              priced=True)
                if amount is None:
                    continue
            recurring = self.yesno(*cells.get("recurring", (None, first)), False, "every year")
            year = self.year(*cells.get("year", (None, first)), settings,
                             1 if recurring else 0, "the year", 0)
            if who is None:
                continue
            result.append(InputItem(who, _text(cells.value("description")), kind,
                                    amount, hours, rate, year, recurring,
                                    _text(cells.value("source")), r, first))
        return result

    def read_outcomes(self, title, known, settings) -> list[Outcome]:
        columns, rows, header = self.table(title, schema.OUTCOMES)
        result = []
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            if cells.blank:
                continue
            first = Cell(title, f"A{r}")
            who = self.stakeholder(*cells["stakeholder"], known)
            name_value = cells.value("outcome")
            if name_value is None:
                self.error(title, cells.at("outcome").ref, "the outcome has no name; describe "
                           "the change")
                continue
            name = str(name_value).strip()
            monetised = self.yesno(*cells.get("monetised", (None, first)), True, "monetised")
            recurring = self.yesno(*cells.get("recurring", (None, first)), False, "every year")
            fields = {}
            if monetised:
                fields["quantity"] = self.required_amount(cells, "quantity", "quantity", first)
                fields["proxy"] = self.required_amount(cells, "proxy", "financial proxy", first,
                                                       priced=True)
                if fields["quantity"] is None or fields["proxy"] is None:
                    continue
                for key, label in (("deadweight", "deadweight"), ("attribution", "attribution"),
                                   ("displacement", "displacement"), ("dropoff", "drop-off")):
                    value, at = cells.get(key, (None, first))
                    amount = self.percent(value, at, label) if value is not None else None
                    if amount is not None:
                        fields[key] = amount
                    elif value is None and key in cells:
                        # An empty cell counts as 0%; keeping where it is lets the results
                        # refer to it, so typing a value there later recalculates in Excel.
                        fields[key] = Amount.of(0, at)
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
                stakeholder=who, name=name, indicator=_text(cells.value("indicator")),
                proxy_source=_text(cells.value("proxy_source"))
                or _price_source(fields.get("proxy")), duration=duration,
                first_year=first_year, recurring=recurring, monetised=monetised, row=r,
                at=first, **fields))
        if not result:
            self.warn(title, f"A{header + 1}", "no outcomes are listed yet")
        return result

    def outcome_warnings(self, cells, fields, name) -> None:
        if cells.value("proxy_source") is None and fields["proxy"].price is None:
            # A reference price has its own source.
            at = cells.at("proxy_source", cells.at("proxy"))
            self.warn(at.sheet, at.ref, f"the financial proxy of '{name}' has no source")
        dw, attr = fields.get("deadweight"), fields.get("attribution")
        if dw is not None and attr is not None and not dw.is_formula and not attr.is_formula:
            total = dw.node.value + attr.node.value
            if total > 0.9:
                at = cells.at("deadweight")
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
            if cells.blank:
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

    # -- reference prices -----------------------------------------------------------------
    def read_prices(self, price_title: str | None, index_title: str | None,
                    settings: Settings) -> None:
        """Read the price index and the reference prices, so that later cells can name one."""
        self.price_year = settings.price_year
        self.index_title = index_title
        if index_title is not None:
            self.index_points = self.read_price_index(index_title)
        if price_title is not None:
            self.price_title = price_title
            self.reference_prices = self.read_reference_prices(price_title)

    def read_price_index(self, title: str) -> list[PriceIndexPoint]:
        columns, rows, header = self.table(title, schema.PRICE_INDEX)
        result: list[PriceIndexPoint] = []
        seen: dict[tuple[str, int], str] = {}
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            if cells.blank:
                continue
            (year_value, year_at), (value, value_at) = cells["year"], cells["value"]
            if year_value is None:
                self.error(title, year_at.ref, "the year of this index value is missing")
                continue
            year = self.integer(year_value, year_at, "the year")
            if year is None:
                continue
            if not 1900 <= year <= 2200:
                self.error(title, year_at.ref, f"the year is {year}; it must be a calendar year "
                           "between 1900 and 2200")
                continue
            if value is None:
                self.error(title, value_at.ref, f"the index value for {year} is missing")
                continue
            number = self.number_constant((value, value_at), f"index value for {year}")
            if number is None:
                continue
            if number <= 0:
                self.error(title, value_at.ref, f"the index value for {year} is {number:g}; an "
                           "index must be above 0")
                continue
            name = _text(cells.value("name"))
            key = (schema.normalise(name), year)
            if key in seen:
                self.error(title, year_at.ref, f"{year} is listed twice"
                           + (f" for the index '{name}'" if name else "")
                           + f" (also at {seen[key]}); give each year one value")
                continue
            seen[key] = year_at.ref
            result.append(PriceIndexPoint(year, number, name,
                                          _text(cells.value("source")), value_at))
        return result

    def read_reference_prices(self, title: str) -> list[ReferencePrice]:
        columns, rows, header = self.table(title, schema.REFERENCE_PRICES)
        index_names = {schema.normalise(p.name): p.name for p in self.index_points}
        index_sheet = self.index_title or schema.PRICE_INDEX.name(self.lang_of(title))
        result: list[ReferencePrice] = []
        seen: dict[str, str] = {}  # normalised code or item -> its cell
        for r, row in enumerate(rows, header + 1):
            cells = self.cells_of(title, columns, row, r)
            if cells.blank:
                continue
            item_value, item_at = cells["item"]
            if item_value is None:
                self.error(title, item_at.ref, "this row has values but no item; say what the "
                           "price values")
                continue
            item = str(item_value).strip()
            price_value, price_at = cells["price"]
            if price_value is None:
                self.error(title, price_at.ref, f"the price of '{item}' is missing")
                continue
            price = self.number_constant((price_value, price_at), "price")
            bad = price is None
            years: dict[str, int | None] = {}
            for key in ("base_year", "published_year"):
                value, at = cells.get(key, (None, item_at))
                years[key] = None
                if value is None:
                    continue
                label = schema.REFERENCE_PRICES.column(key).header("en").lower()
                year = self.integer(value, at, f"the {label}")
                if year is not None and not 1900 <= year <= 2200:
                    self.error(title, at.ref, f"the {label} is {year}; it must be a calendar "
                               "year between 1900 and 2200")
                    year = None
                bad = bad or year is None
                years[key] = year
            published = None
            pub_value, pub_at = cells.get("published", (None, item_at))
            if pub_value is not None:
                published = self.number_constant((pub_value, pub_at), "published value")
                if published is None:
                    bad = True
                elif cells.value("published_year") is None:
                    at = cells.at("published_year", pub_at)
                    self.error(title, at.ref, f"the published value of '{item}' has no year; "
                               "type the price year it is in (e.g. 2021)")
                    bad = True
            index = _text(cells.value("index"))
            if index and schema.normalise(index) not in index_names:
                self.error(title, cells.at("index").ref, (
                    f"the price index '{index}' is not on the sheet '{index_sheet}'"
                    + _did_you_mean(index, list(index_names.values()))))
                bad = True
            code_value, code_at = cells.get("code", (None, item_at))
            code = _text(code_value)
            keys = {schema.normalise(text): (text, at)
                    for text, at in ((code, code_at), (item, item_at)) if text}
            for folded, (text, at) in keys.items():
                if folded in seen:
                    self.error(title, at.ref, (
                        f"'{text}' is listed twice (also at {seen[folded]}); each code and item "
                        "must be unique, so that a cell naming one finds one price"))
                    bad = True
            if bad:
                continue
            ref = ReferencePrice(
                item, price, code, _text(cells.value("unit")), years["base_year"],
                _text(cells.value("source")), index, published,
                years["published_year"], _text(cells.value("published_source")),
                price_at)
            for folded, (_, at) in keys.items():
                seen[folded] = at.ref
                self.price_lookup[folded] = ref
            result.append(ref)
        return result

    def priced_amount(self, text: str, at: Cell, label: str) -> Amount | None:
        """The reference price a cell names, indexed to the price year (or None, with errors)."""
        ref = self.price_lookup.get(schema.normalise(text))
        if ref is None:
            message = _text_number_message(text, label)
            if not _numberish(text):
                names = [n for p in self.reference_prices for n in (p.code, p.item) if n]
                message += (f", or the code of a reference price on the sheet "
                            f"'{self.price_title}'" + _did_you_mean(text, names))
            self.error(at.sheet, at.ref, message)
            return None
        index_sheet = (f"the sheet '{self.index_title}'" if self.index_title else
                       f"a sheet '{schema.PRICE_INDEX.name(self.lang_of(self.price_title))}'")
        try:
            done = prices.index_reference(ref, self.index_points, self.price_year, index_sheet)
        except PriceIndexError as exc:
            self.error(at.sheet, at.ref, str(exc))
            return None
        name = ref.code or ref.item
        if ref.base_year is None:
            self.warn(at.sheet, at.ref, f"the reference price '{name}' has no base year, so it "
                      "is used as it is, without indexation")
        if done.published_ignored:
            self.warn(at.sheet, at.ref, (
                f"the published value {ref.published:g} of '{name}' is for "
                f"{ref.published_year}, not the price year {done.price_year}, so the price is "
                f"indexed from {ref.base_year} instead"))
        if not ref.source:
            self.warn(at.sheet, at.ref, f"the reference price '{name}' has no source on the "
                      f"sheet '{self.price_title}'")
        return Amount(formula.Number(done.value), text, at, price=ref)

    # -- single values --------------------------------------------------------------------
    def required_amount(self, cells, key, label, first: Cell, minimum=None,
                        priced: bool = False) -> Amount | None:
        value, at = cells.get(key, (None, first))
        if value is None:
            missing = "" if key in cells else (
                " because the sheet has no column with that header; add the column or give it "
                "its header back")
            self.error(at.sheet, at.ref, f"the {label} is missing{missing}")
            return None
        amount = self.amount(value, at, label, priced=priced)
        if (amount is not None and minimum is not None and not amount.is_formula
                and amount.node.value < minimum):
            self.error(at.sheet, at.ref, f"the {label} is {amount.node.value:g}; it cannot be "
                       "negative (enter savings as outcomes)")
            return None
        return amount

    def amount(self, value, at: Cell, label: str, priced: bool = False) -> Amount | None:
        """A number or a supported formula; None (with an error) for anything else.

        ``priced``: the cell may instead hold the code or item of a reference price.
        """
        if value is None:
            return None
        if isinstance(value, bool):
            self.error(at.sheet, at.ref, f"the {label} is {value}; it must be a number")
            return None
        if isinstance(value, int | float):
            if not value:  # 0 and -0.0 read differently (Number(-0.0)), so never shared
                return Amount.of(value, at)
            known = self.numbers.get(value)
            if known is None:
                plain = Amount.of(value)
                known = self.numbers[value] = (plain.node, plain.text)
            return Amount(known[0], known[1], at)
        if isinstance(value, dt.datetime | dt.date | dt.time):
            self.error(at.sheet, at.ref, f"the {label} is a date ({value}); it must be a "
                       "number: format the cell as a number")
            return None
        if isinstance(value, ArrayFormula | DataTableFormula):
            shown = _short(str(getattr(value, "text", "") or ""))
            self.error(at.sheet, at.ref, f"the {label} is an array or data-table formula "
                       f"({shown}); enter it as an ordinary formula (Enter, not "
                       "Ctrl+Shift+Enter)")
            return None
        text = str(value).strip()
        if text.upper() in EXCEL_ERRORS:
            self.error(at.sheet, at.ref, f"the {label} is the Excel error {text.upper()}; "
                       "fix the formula or value in that cell")
            return None
        if text.startswith("="):
            node = self.resolved.get(text)
            if node is not None:
                return Amount(node, text, at)
            try:
                tree = self.parse(text)
                node = self.resolve(tree, at, [(at.sheet, at.ref)])
            except FormulaError as exc:
                self.error(at.sheet, at.ref, f"{_short(text, 80)}: {exc}")
                return None
            except RecursionError:
                self.error(at.sheet, at.ref, f"{_short(text, 80)}: the formula refers to "
                           "cells that refer to other cells in a chain too long to follow; "
                           "put the intermediate values in assumptions")
                return None
            if self._independent(tree):
                self.resolved[text] = node
            return Amount(node, text, at)
        if priced and self.price_title is not None:
            return self.priced_amount(text, at, label)
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
        if type(value) is str:  # the same few words in every row
            if value not in self.yesno_words:
                self.yesno_words[value] = schema.parse_yesno(value)
            parsed = self.yesno_words[value]
        else:
            parsed = schema.parse_yesno(value)
        if parsed is None:
            self.error(at.sheet, at.ref, f"{label} is '{value}'; use ja/nee or yes/no")
            return default
        return parsed

    # -- formulas -------------------------------------------------------------------------
    def parse(self, text: str) -> formula.Node:
        """A formula's syntax tree, parsed once per text: rows copied down share formulas."""
        node = self.parsed.get(text)
        if node is None:
            node = self.parsed[text] = formula.parse(text)  # trees are frozen: safe to share
        return node

    def _independent(self, tree) -> bool:
        """Whether a tree resolves alike in every cell: it names assumptions only, no cells and
        no ranges, whose reading depends on the sheet and on the cells in the chain."""
        names = getattr(self, "assumption_names", {})
        for found in formula.references(tree):
            if not isinstance(found, formula.Name):
                return False
            key = found.name.casefold()
            # Inside SUM and friends a defined name for a range wins over an assumption.
            if key not in names or ":" in self.defined.get(key, ("", ""))[1]:
                return False
        return True

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
            if schema.normalise(node.name) in self.price_lookup:
                raise FormulaError(f"'{node.name}' is a reference price, which a formula cannot "
                                   f"use; type {node.name} alone in the cell (without '=') and "
                                   "put any multiplier in the quantity or the hours")
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
            # A long chain like A1+A2+...+A300 is left-deep: walk its spine in a loop, as
            # formula.evaluate does, so its length is not limited by the recursion limit.
            spine = []
            while isinstance(node, formula.Binary):
                spine.append(node)
                node = node.left
            result = self.resolve(node, at, stack)
            for step in reversed(spine):
                result = replace(step, left=result, right=self.resolve(step.right, at, stack))
            return result
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
            inner = self.parse(text)
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


def _price_source(amount: Amount | None) -> str:
    """A proxy that names a reference price takes that price's source unless one is typed."""
    if amount is None or amount.price is None:
        return ""
    ref = amount.price
    return f"{ref.label} ({ref.source})" if ref.source else ref.label


def _numberish(text: str) -> bool:
    return re.fullmatch(r"[-+]?[\d.,\s]*\d[\d.,\s]*%?", text.replace("€", "").strip()) is not None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _did_you_mean(name: str, options: list[str]) -> str:
    if len(name) > 200:  # difflib is quadratic; nobody mistypes a name that long
        return ""
    import difflib  # here: only a mistyped name needs it

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
    if dutch and ("," in cleaned or "." in cleaned):  # plain digits: see below
        number = float(cleaned.replace(".", "").replace(",", "."))
        kind = "a decimal comma" if "," in cleaned else "thousands separators"
        return (f"the {label} '{short}' is text, not a number ({kind} stored as "
                f"text); type it as the number {number:g} or format the cell as a number")
    plain = re.fullmatch(r"-?[\d,]*\.?\d+%?", cleaned)
    if plain:
        return (f"the {label} '{short}' is stored as text; re-type it as a number (Excel: "
                "Convert to Number)")
    return f"the {label} is text ('{short}'); it must be a number or a formula"
