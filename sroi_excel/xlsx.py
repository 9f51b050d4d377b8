"""The xlsxwriter workbook the result sheets are rendered with, tuned for large tables."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

from .packager import LateRows, late_marker

# Functions our own formulas use. xlsxwriter runs ~30 regular expressions over every formula
# to add "_xlfn." prefixes to newer functions; for formulas made only of these (and of cell
# references) that work is wasted, and on a large trail it was half of the fill time.
_PLAIN_FUNCTIONS = frozenset({
    "SUM", "SUMPRODUCT", "SUMIF", "SUMIFS", "MIN", "MAX", "ROUND", "IF", "AND", "OR", "NOT",
    "AVERAGE", "PRODUCT", "ABS", "INDEX", "MATCH", "COUNT", "COUNTIF", "IFERROR", "POWER",
    "ISNUMBER", "ISBLANK", "FIXED", "NA",
})
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")
_FAST_CELLS = frozenset({"Number", "String", "Formula", "Blank"})  # see ResultSheet._write_cell


@dataclass(frozen=True)
class Block:
    """Rows of ready ``<row>`` XML made on request: ``rows(styles)`` yields them, each cell's
    style attribute taken from ``styles`` (a :class:`Styles`) by name. ``formats`` holds every
    style the rows may use, by name."""

    rows: Callable[[Styles], Iterable[str]]
    formats: Mapping[str, Format]

    def xml(self, xf_map: Sequence[int] | None = None) -> Iterable[str]:
        """The rows, styled with xlsxwriter's xf indices or, given ``xf_map``, with the index
        each of those has in the merged workbook."""
        def index(name: str) -> int:
            if name not in self.formats:
                # Its format may not be in the styles part: xlsxwriter writes only those used
                # before the workbook closed.
                raise ValueError(f"a block of rows uses the style {name!r}, which it did not "
                                 "declare")
            xf = self.formats[name]._get_xf_index()
            return xf if xf_map is None else xf_map[xf]
        return self.rows(Styles(index))


class ResultSheet(Worksheet):
    """A worksheet that takes blocks of ready row XML and skips needless formula rewriting."""

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[int, str | Block] = {}
        self._block_rows: dict[int, range] = {}  # first row -> the rows a block owns
        # Set by ResultBook: where to leave blocks whose rows are made only when the merged
        # workbook is zipped (None: write them into this sheet).
        self.late: dict[str, LateRows] | None = None

    def write_block(self, first_row: int, last_row: int, last_col: int,
                    rows: str | Block) -> None:
        """Rows ``first_row``..``last_row`` as ready ``<row>`` XML (see :func:`row_xml`).

        Cell styles in a string are xlsxwriter xf indices (``Format._get_xf_index()``). Nothing
        else may be written to those rows.
        """
        if last_row < first_row:
            return
        self._check_dimensions(first_row, 0)
        self._check_dimensions(last_row, last_col)
        self.set_row(first_row, None)  # makes xlsxwriter visit the row, see _write_empty_row
        if isinstance(rows, Block):
            for style in rows.formats.values():
                # xlsxwriter writes the styles part from the formats used before it closes.
                style._get_xf_index()
        self._blocks[first_row] = rows
        self._block_rows[first_row] = range(first_row, last_row + 1)

    def _write_rows(self) -> None:
        for rows in self._block_rows.values():
            if any(self.table.get(row) for row in rows):
                raise ValueError(f"sheet {self.name}: cells were written into rows "
                                 f"{rows.start + 1}-{rows.stop} that a block of rows owns")
        super()._write_rows()

    def _escape_data(self, data):
        # Quotes too, so that no text or formula in the sheet data can look like a style
        # attribute (` s="3"`) to the packager, which restyles by plain text replacement.
        data = super()._escape_data(data)
        return data.replace('"', "&quot;") if isinstance(data, str) else data

    def _write_empty_row(self, row, spans, row_info=None):
        block = self._blocks.pop(row, None)  # taken out once written: see ResultBook.close
        if block is None:
            super()._write_empty_row(row, spans, row_info)
        elif isinstance(block, str):
            self.fh.write(block)
        elif self.late is not None:
            # The packager makes these rows with the merged workbook's style numbers while it
            # zips it; see packager.Rendered.
            key = str(len(self.late))
            self.late[key] = LateRows(block.xml)
            self.fh.write(late_marker(key))
        else:
            for xml in block.xml():
                self.fh.write(xml)

    def _write_cell(self, row, col, cell):
        # xlsxwriter's cell writer, for the cells result sheets hold (a number, a shared
        # string, a formula with a number or text value, a blank, each with its format), with
        # the same bytes at a third of the cost: no general attribute escaping (a cell
        # reference and a style number need none). At 50 outcomes it writes ~4,000 cells.
        kind = type(cell).__name__
        if cell.format is None or kind not in _FAST_CELLS or self.constant_memory or (
                kind == "Formula" and not isinstance(cell.value, int | float | str)):
            super()._write_cell(row, col, cell)
            return
        head = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{cell.format._get_xf_index()}"'
        if kind == "Number":
            self.fh.write(f"{head}><v>{cell.number:.16G}</v></c>")
        elif kind == "String":
            self.fh.write(f'{head} t="s"><v>{cell.string}</v></c>')
        elif kind == "Blank":
            self.fh.write(f"{head}/>")
        else:
            value = cell.value
            if isinstance(value, bool):
                head, value = head + ' t="b"', int(value)
            elif isinstance(value, str) and value:
                head += ' t="e"' if value in ERROR_VALUES else ' t="str"'
            self.fh.write(f"{head}><f>{self._escape_data(cell.formula)}</f>"
                          f"<v>{self._escape_data(value)}</v></c>")

    def _prepare_formula(self, formula, expand_future_functions=False):
        text = formula[1:] if formula.startswith("=") else formula
        if "{" not in formula and all(name.upper() in _PLAIN_FUNCTIONS
                                      for name in _CALL.findall(text)):
            return text
        return super()._prepare_formula(formula, expand_future_functions)


class ResultBook(xlsxwriter.Workbook):
    """An xlsxwriter workbook whose sheets are :class:`ResultSheet`, zipped without
    compression: the packager unzips it at once and compresses the merged workbook.

    Given ``late_rows`` its sheets leave their blocks of rows as markers and the rows' makers
    in that mapping, for the packager to call when it writes the merged workbook.
    """

    worksheet_class = ResultSheet

    def __init__(self, filename, options: dict | None = None,
                 late_rows: dict[str, LateRows] | None = None
                 ) -> None:
        super().__init__(filename, options)
        self.late_rows = late_rows

    def add_worksheet(self, name: str | None = None, worksheet_class=None) -> ResultSheet:
        ws = super().add_worksheet(name, worksheet_class)
        ws.late = self.late_rows
        return ws

    def close(self) -> None:
        super().close()
        # The makers refer back (through what made the rows) to this workbook: a reference
        # cycle that kept all of it for the cycle collector. They are the caller's now.
        self.late_rows = None
        for ws in self.worksheets():
            ws.late = None

    def _store_workbook(self) -> None:
        # xlsxwriter has no option for this; its module constant is swapped for the call.
        saved = xlsxwriter.workbook.ZIP_DEFLATED
        xlsxwriter.workbook.ZIP_DEFLATED = zipfile.ZIP_STORED
        try:
            super()._store_workbook()
        finally:
            xlsxwriter.workbook.ZIP_DEFLATED = saved


# --------------------------------------------------------------------------------------------
# Rows written as ready XML: a large table's cells without one Python object per cell.
# --------------------------------------------------------------------------------------------

ERROR_VALUES = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


class Styles(dict):
    """Style name -> the cell's ` s="N"` attribute ("" for the default style);
    ``index(name)`` gives N."""

    def __init__(self, index: Callable[[str], int]) -> None:
        super().__init__()
        self.index = index

    def __missing__(self, name: str) -> str:
        self[name] = attribute = _style(self.index(name))
        return attribute


def escape(text: str) -> str:
    """Text as XML character data or attribute value."""
    # Quotes too: see ResultSheet._escape_data.
    if "&" in text or "<" in text or ">" in text or '"' in text:
        text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;"))
    return text


def _style(xf: int) -> str:
    return f' s="{xf}"' if xf else ""


def number_cell(ref: str, xf: int, value: float) -> str:
    """A number cell, written as xlsxwriter writes it."""
    return f'<c r="{ref}"{_style(xf)}><v>{value:.16G}</v></c>'


def blank_cell(ref: str, xf: int) -> str:
    return f'<c r="{ref}"{_style(xf)}/>'


def string_cell(ref: str, xf: int, text: str) -> str:
    """An inline text cell: user text stays text, never a formula."""
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{_style(xf)} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def formula_cell(ref: str, xf: int, formula: str, cached: float | str) -> str:
    """A formula (without its '=') with its computed value cached, as Excel saves one."""
    if isinstance(cached, str):
        kind = ' t="e"' if cached in ERROR_VALUES else ' t="str"'
        value = escape(cached)
    else:
        kind, value = "", repr(float(cached))
    return f'<c r="{ref}"{_style(xf)}{kind}><f>{escape(formula)}</f><v>{value}</v></c>'


def row_xml(row: int, cells: str, height: float | None = None) -> str:
    """One <row> (``row`` counts from 0, as xlsxwriter's do)."""
    ht = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{row + 1}"{ht}>{cells}</row>'
