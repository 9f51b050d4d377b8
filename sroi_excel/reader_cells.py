"""The cells of a workbook as the sheet readers see them, and the problems found in them.

``Sheets`` reads each sheet's rows once, finds a table by its header row (so columns may be
moved) and adds every table read to the input fingerprint. ``CellReader`` reads one cell as a
number, percentage, whole number, year, yes/no or amount (a number, a supported formula or the
code of a reference price). Neither stops at a problem: each is collected with its sheet and
cell, because ``check`` wants them all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import schema
from .exceptions import FileFormatError, FormulaError, Problem
from .formulatext import column_letter, coordinate_from_string
from .model import Amount, Cell, Settings
from .reader_pasted import pasted_message, read_pasted
from .sheetxml import ArrayFormula, DataTableFormula

if TYPE_CHECKING:
    from .reader_formulas import Formulas
    from .reader_prices import PriceList

EXCEL_ERRORS = ("#REF!", "#DIV/0!", "#NAME?", "#N/A", "#VALUE!", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA")
# Far beyond any SROI table, yet small enough that a sheet reaching row 1,048,576 or column
# XFD is refused in about a second instead of taking minutes and gigabytes.
MAX_ROWS = 20_000  # 10,000 outcomes (the benchmark's largest) with room to spare
MAX_COLUMNS = 500
YEAR_HEADER = re.compile(r"^(?:jaar|year)\s*(\d{1,3})$")
_HEADER_ROWS = 15  # the header row is looked for in the first rows only


class Sheets:
    """The workbook's sheets, each read once, and the problems found in them."""

    def __init__(self, book):
        self.book = book
        self.problems: list[Problem] = []
        self.titles = {t.casefold(): t for t in book.sheetnames}
        self.hasher = hashlib.sha256()  # over every table read: the input fingerprint
        self.read_rows: dict[str, list[tuple[int, list]]] = {}  # title -> rows with cells
        self.tables: dict[str, tuple[list, bytes]] = {}  # title -> (rows(), their hash input)
        self.cells: dict[str, dict[str, object]] = {}  # sheet title -> {"B5": value}

    def error(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(sheet, cell, message, "error"))

    def warn(self, sheet: str, cell: str, message: str) -> None:
        self.problems.append(Problem(sheet, cell, message, "warning"))

    def lang_of(self, title: str) -> str:
        return "en" if title in {s.name.en for s in schema.INPUT_SHEETS} else "nl"

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
                        found[f"{column_letter(c)}{r}"] = value
            self.cells[title] = found
        return self.cells[title]

    def _too_far(self, title: str, r: int, row: list) -> bool:
        """Stop reading, with an error, at data beyond MAX_ROWS rows or MAX_COLUMNS columns."""
        filled = [c for c, v in enumerate(row, 1) if v is not None and v != ""]
        beyond = [c for c in filled if c > MAX_COLUMNS]
        if beyond:
            column = column_letter(beyond[0])
            self.error(title, f"{column}{r}", (
                f"there is data in column {column}; an input sheet may use at most "
                f"{MAX_COLUMNS} columns (up to {column_letter(MAX_COLUMNS)}): delete the "
                "columns to the right of the table"))
            return True
        if r > MAX_ROWS and filled:
            self.error(title, f"{column_letter(filled[0])}{r}", (
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

    # -- tables ---------------------------------------------------------------------------
    def table(self, title: str, sheet: schema.Sheet) -> Table:
        """The table below the header row that names every required column of ``sheet``."""
        rows = self.rows(title)
        lookup = schema.header_lookup(sheet)
        required = {c.key for c in sheet.columns if c.required}
        best: tuple[int, dict[str, int]] = (1, {})
        for r, row in enumerate(rows[:_HEADER_ROWS], 1):
            columns: dict[str, int] = {}
            for c, value in enumerate(row):
                key = None if value is None else lookup.get(schema.normalise(value))
                if key and key not in columns:
                    columns[key] = c
            if required <= columns.keys():
                self._check_merged(title, r)
                self._unknown_headers(title, sheet, row, r, columns)
                return Table(title, columns, rows[r:], r)
            if len(columns) > len(best[1]):
                best = (r, columns)
        self._no_header(title, sheet, *best)
        return Table(title, {}, [], 0)

    def _no_header(self, title: str, sheet: schema.Sheet, r: int, columns: dict[str, int]
                   ) -> None:
        """The error for a table whose header row lacks a required column, or is not there."""
        lang = self.lang_of(title)
        other = "en" if lang == "nl" else "nl"
        missing = [c for c in sheet.columns if c.required and c.key not in columns]
        names = " or ".join(f"'{c.header(lang)}'" + (
            f" (or '{c.header(other)}')" if c.header(other) != c.header(lang) else "")
            for c in missing)
        self._check_merged(title, 1)
        if columns:
            self.error(title, f"A{r}", f"the header row (row {r}) has no column {names}; give "
                       "the column that holds it this header again")
        else:
            self.error(title, "A1", f"no header row was found in the first {_HEADER_ROWS} rows; "
                       f"the sheet needs the columns {names}")

    def _check_merged(self, title: str, from_row: int) -> None:
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

    def _unknown_headers(self, title: str, sheet: schema.Sheet, row: list, r: int,
                         columns: dict[str, int]) -> None:
        """Warn about a header that looks like a misspelt known one: its column is ignored."""
        lang = self.lang_of(title)
        labels = {schema.normalise(label): col for col in sheet.columns
                  for label in (*col.header.all(), *col.aliases)}
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            norm = schema.normalise(value)
            if not norm or norm in labels or len(norm) > 60 or YEAR_HEADER.match(norm):
                continue
            import difflib  # here: only a header the tool does not read needs it

            close = difflib.get_close_matches(norm, list(labels), n=1, cutoff=0.8)
            if close and labels[close[0]].key not in columns:
                self.warn(title, f"{column_letter(c + 1)}{r}", (
                    f"the column '{short(value)}' is not one the tool reads, so it is "
                    f"ignored; did you mean '{labels[close[0]].header(lang)}'?"))


class Table:
    """The rows below a header row, each as a Row; ``header`` is the header's row number (0
    and no columns where none was found)."""

    __slots__ = ("title", "columns", "rows", "header")

    def __init__(self, title: str, columns: dict[str, int], rows: list[list], header: int):
        self.title, self.columns, self.rows, self.header = title, columns, rows, header

    def __iter__(self) -> Iterator[Row]:
        title, columns = self.title, self.columns
        for r, raw in enumerate(self.rows, self.header + 1):
            values = {}
            width = len(raw)
            blank = True
            for key, c in columns.items():
                value = raw[c] if c < width else None
                if isinstance(value, str) and not value.strip():
                    value = None
                elif value is not None:
                    blank = False
                values[key] = value
            yield Row(title, r, raw, values, columns, blank)

    def filled(self) -> Iterator[Row]:
        """The rows with a value in a known column."""
        return (row for row in self if not row.blank)


class Row:
    """The cells of one table row by column key: ``row[key]`` is (value, cell), blank text
    reading as None; ``blank``: all empty; ``raw``: the row's values by column.

    A cell's Cell is made when asked for: making one for every column was most of the time
    spent on a row, and most are only ever needed to name the cell in a message.
    """

    __slots__ = ("title", "r", "raw", "values", "columns", "blank", "_first")

    def __init__(self, title: str, r: int, raw: list, values: dict[str, object],
                 columns: dict[str, int], blank: bool):
        self.title, self.r, self.raw, self.values = title, r, raw, values
        self.columns, self.blank = columns, blank
        self._first: Cell | None = None

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
        return self.values[key], Cell(self.title, f"{column_letter(c + 1)}{self.r}")

    def cell(self, c: int) -> Cell:
        """The cell in column ``c`` (0 for A) of this row."""
        return Cell(self.title, f"{column_letter(c + 1)}{self.r}")

    def value(self, key: str) -> object:
        """The value in a column; None where it is empty or the table has no such column."""
        return self.values.get(key)

    def at(self, key: str, default: Cell | None = None) -> Cell | None:
        """The cell of a column in this row; ``default`` where the table has no such column."""
        pair = self.get(key)
        return default if pair is None else pair[1]

    @property
    def first(self) -> Cell:
        """The row's cell in column A, where a row-wide problem is reported."""
        if self._first is None:
            self._first = Cell(self.title, f"A{self.r}")
        return self._first


class CellReader:
    """One cell read as a value of a kind, or None (or a default) with the problem collected.

    ``prices`` is set once the reference prices are read: from then on a cell may name one.
    """

    def __init__(self, sheets: Sheets, formulas: Formulas):
        self.sheets = sheets
        self.error, self.warn, self.lang_of = sheets.error, sheets.warn, sheets.lang_of
        self.formulas = formulas
        self.prices: PriceList | None = None
        self.numbers: dict[float, tuple] = {}  # cell value -> its node and text, shared
        self.yesno_words: dict[str, bool | None] = {}

    def table(self, title: str, sheet: schema.Sheet) -> Table:
        return self.sheets.table(title, sheet)

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
            shown = short(str(getattr(value, "text", "") or ""))
            self.error(at.sheet, at.ref, f"the {label} is an array or data-table formula "
                       f"({shown}); enter it as an ordinary formula (Enter, not "
                       "Ctrl+Shift+Enter)")
            return None
        return self._text_amount(str(value).strip(), at, label, priced)

    def _text_amount(self, text: str, at: Cell, label: str, priced: bool) -> Amount | None:
        """A cell holding text: a formula, an Excel error, a reference price or a mistake."""
        if text.upper() in EXCEL_ERRORS:
            self.error(at.sheet, at.ref, f"the {label} is the Excel error {text.upper()}; "
                       "fix the formula or value in that cell")
            return None
        if text.startswith("="):
            try:
                return Amount(self.formulas.node(text, at), text, at)
            except FormulaError as exc:
                self.error(at.sheet, at.ref, f"{short(text, 80)}: {exc}")
            except RecursionError:
                self.error(at.sheet, at.ref, f"{short(text, 80)}: the formula refers to "
                           "cells that refer to other cells in a chain too long to follow; "
                           "put the intermediate values in assumptions")
            return None
        if priced and self.prices is not None:
            return self.prices.amount(text, at, label, self.sheets)
        self.error(at.sheet, at.ref, text_number_message(text, label))
        return None

    def required_amount(self, row: Row, key: str, label: str, minimum=None,
                        priced: bool = False) -> Amount | None:
        """The amount in a column that must be filled in, not below ``minimum``."""
        value, at = row.get(key, (None, row.first))
        if value is None:
            missing = "" if key in row else (
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

    def percent(self, value, at: Cell, label: str) -> Amount | None:
        """An amount that is a fraction (a formula is taken as it is)."""
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
        self.one_as_hundred(number, at, label)
        return amount

    def one_as_hundred(self, number: float, at: Cell, label: str, unit: str = "") -> None:
        """Warn where a percentage is exactly 1 and its cell shows "1": probably one percent
        meant, read as 100%. A cell that shows "100%" says the user meant it."""
        if number == 1 and not self.sheets.book.shows_percent(at.sheet, at.ref):
            self.warn(at.sheet, at.ref, f"{label} is 1{_in_unit(unit)}, which reads as 100%; "
                      "type 1% if you mean one percent")

    def percent_unit(self, amount: Amount | float | None, at: Cell | None, label: str,
                     unit: str) -> None:
        """A number typed for something measured in %: an error above 1 (55 reads as 5,500%),
        a warning at exactly 1. Formulas are taken as they are."""
        if isinstance(amount, Amount):
            if amount.is_formula or amount.price is not None:
                return
            at, amount = amount.at or at, amount.node.value
        if amount is None or at is None:
            return
        if amount > 1:
            self.error(at.sheet, at.ref, (
                f"{label} is {amount:g}{_in_unit(unit)}, which reads as {amount:,.0%}; type "
                f"{amount:g}% (with the percent sign) or the fraction {amount / 100:g}"))
        else:
            self.one_as_hundred(amount, at, label, unit)

    def percent_constant(self, value, at: Cell, label: str) -> float | None:
        """A fraction typed as a number, not a formula."""
        return self._constant(self.percent(value, at, label), at, label)

    def number_constant(self, value, at: Cell, label: str) -> float | None:
        """A number typed as a number, not a formula."""
        return self._constant(self.amount(value, at, label), at, label)

    def _constant(self, amount: Amount | None, at: Cell, label: str) -> float | None:
        if amount is None:
            return None
        if amount.is_formula:
            self.error(at.sheet, at.ref, f"{label} must be a number, not a formula")
            return None
        return amount.node.value

    def integer(self, value, at: Cell, label: str) -> int | None:
        """A whole number (also typed as text)."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        self.error(at.sheet, at.ref, f"{label} is '{value}'; it must be a whole number")
        return None

    def bounded(self, value, at: Cell, label: str, low: int, high: int,
                high_text: str | None = None) -> int | None:
        """A whole number from ``low`` to ``high`` (shown as ``high_text``)."""
        number = self.integer(value, at, label)
        if number is not None and not low <= number <= high:
            self.error(at.sheet, at.ref, f"{label} is {number}; it must be between {low} and "
                       f"{high if high_text is None else high_text}")
            return None
        return number

    def year(self, value, at: Cell, settings: Settings, default: int, label: str,
             lowest: int) -> int:
        """A year of the analysis (1 = the first), also typed as a calendar year."""
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

    def yesno(self, value, at: Cell, default: bool, label: str) -> bool:
        """Yes or no in either language; ``default`` for an empty cell (or a mistake)."""
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

    def stakeholder(self, value, at: Cell, known: dict[str, str]) -> str | None:
        """A stakeholder named on the stakeholders sheet (``known``: schema.name_key -> name)."""
        if value is None:
            self.error(at.sheet, at.ref, "the stakeholder is missing; pick one from the list")
            return None
        name = str(value).strip()
        key = schema.name_key(name)
        if key in known:
            return known[key]
        self.error(at.sheet, at.ref, f"the stakeholder '{short(name)}' is not on the "
                   "stakeholders sheet" + did_you_mean(name, list(known.values())))
        return None


# -- text in messages ------------------------------------------------------------------------

def _in_unit(unit: str) -> str:
    return f" with the unit '{unit}'" if unit else ""


def text(value) -> str:
    """A cell as text: empty for an empty cell."""
    return "" if value is None else str(value).strip()


def short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def did_you_mean(name: str, options: list[str]) -> str:
    """"; did you mean 'X'?" for the option closest to a mistyped name, or nothing."""
    if len(name) > 200:  # difflib is quadratic; nobody mistypes a name that long
        return ""
    import difflib  # here: only a mistyped name needs it

    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.casefold(): o for o in options}
        close = [lowered[m] for m in difflib.get_close_matches(name.casefold(), list(lowered),
                                                               n=1, cutoff=0.6)]
    return f"; did you mean '{close[0]}'?" if close else ""


def numberish(text: str) -> bool:
    """Whether text looks like a number (which then cannot be the code of a price)."""
    return read_pasted(text) is not None or re.fullmatch(
        r"[-+]?[\d.,\s]*\d[\d.,\s]*%?", text.replace("€", "").strip()) is not None


def text_number_message(text: str, label: str) -> str:
    """Explain why a text cell is not a number, with the number it would be where it is one."""
    shown = short(text)
    return (pasted_message(text, shown, label)
            or f"the {label} is text ('{shown}'); it must be a number or a formula")
