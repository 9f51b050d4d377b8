"""The xlsxwriter workbook the result sheets are rendered with, tuned for large tables."""

from __future__ import annotations

import re
import zipfile

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet

# Functions our own formulas use. xlsxwriter runs ~30 regular expressions over every formula
# to add "_xlfn." prefixes to newer functions; for formulas made only of these (and of cell
# references) that work is wasted, and on a large trail it was half of the fill time.
_PLAIN_FUNCTIONS = frozenset({
    "SUM", "SUMPRODUCT", "SUMIF", "SUMIFS", "MIN", "MAX", "ROUND", "IF", "AND", "OR", "NOT",
    "AVERAGE", "PRODUCT", "ABS", "INDEX", "MATCH", "COUNT", "COUNTIF", "IFERROR", "POWER",
})
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


class ResultSheet(Worksheet):
    """A worksheet that takes blocks of ready row XML and skips needless formula rewriting."""

    def __init__(self) -> None:
        super().__init__()
        self._blocks: dict[int, str] = {}
        self._block_rows: list[range] = []

    def write_block(self, first_row: int, last_row: int, last_col: int, xml: str) -> None:
        """Rows ``first_row``..``last_row`` as ready ``<row>`` XML (see :func:`row_xml`).

        Cell styles in it are xlsxwriter xf indices (``Format._get_xf_index()``). Nothing else
        may be written to those rows.
        """
        if last_row < first_row:
            return
        self._check_dimensions(first_row, 0)
        self._check_dimensions(last_row, last_col)
        self.set_row(first_row, None)  # makes xlsxwriter visit the row, see _write_empty_row
        self._blocks[first_row] = xml
        self._block_rows.append(range(first_row, last_row + 1))

    def _write_rows(self) -> None:
        for rows in self._block_rows:
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
        block = self._blocks.get(row)
        if block is None:
            super()._write_empty_row(row, spans, row_info)
        else:
            self.fh.write(block)

    def _prepare_formula(self, formula, expand_future_functions=False):
        text = formula[1:] if formula.startswith("=") else formula
        if "{" not in formula and all(name.upper() in _PLAIN_FUNCTIONS
                                      for name in _CALL.findall(text)):
            return text
        return super()._prepare_formula(formula, expand_future_functions)


class ResultBook(xlsxwriter.Workbook):
    """An xlsxwriter workbook whose sheets are :class:`ResultSheet`, zipped without
    compression: the packager unzips it at once and compresses the merged workbook."""

    worksheet_class = ResultSheet

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


class StyleAttributes(dict):
    """Style name -> the cell's ` s="N"` attribute ("" for the default style), from a
    mapping of style names to xf indices that assigns them on first use."""

    def __init__(self, xf) -> None:
        super().__init__()
        self.xf = xf

    def __missing__(self, name: str) -> str:
        self[name] = attribute = _style(self.xf[name])
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
