"""The large result tables' data rows, written as SpreadsheetML text by this project.

xlsxwriter writes every other cell of the result sheets, through its public API. A calculation
trail of 10,000 outcomes is some 300,000 cells, and one xlsxwriter call per cell would be most
of the fill time; so the data rows of the trails and the By stakeholder and By outcome tables are
written here, as ``<row>`` text, and only while the merged workbook is zipped
(:class:`packager.LateRows`): they are never all in memory at once.

Their cells have xlsxwriter formats like every other cell: :func:`style_samples` renders one
blank cell per format in a workbook of its own, and the merge gives each format the number it
has in the merged workbook (:class:`Styles` turns a format's name into that number).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import xlsxwriter
from xlsxwriter.format import Format

from .packager_sheets import LateRows, StyleSamples


@dataclass(frozen=True)
class Block:
    """The data rows of one table: rows ``first``..``last`` of its sheet (counting from 0, as
    xlsxwriter does), made on request by ``rows(styles)`` with each cell's style attribute
    taken from ``styles`` (:class:`Styles`) by name; ``styles`` names every style they use."""

    first: int
    last: int
    rows: Callable[[Styles], Iterable[str]]
    styles: Sequence[str]

    def late(self) -> LateRows:
        """The rows for the merge, which knows the final style numbers."""
        declared = set(self.styles)

        def index(style: Callable[[str], int]) -> Callable[[str], int]:
            def checked(name: str) -> int:
                if name not in declared:
                    # Its format would not be among the samples the merge numbers.
                    raise ValueError(f"a block of rows uses the style {name!r}, which it did "
                                     "not declare")
                return style(name)
            return checked

        return LateRows(self.first + 1, self.last + 1,
                        lambda style: self.rows(Styles(index(style))))


def style_samples(formats: Callable[[xlsxwriter.Workbook], Mapping[str, Format]],
                  names: Sequence[str]) -> StyleSamples:
    """A workbook of one blank cell per style in ``names`` (cell A1 the first), each with its
    format from ``formats(book)``: so xlsxwriter writes those formats into a styles part, and
    the merge reads which number each got."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    made = formats(book)
    sheet = book.add_worksheet()
    for row, name in enumerate(names):
        sheet.write_blank(row, 0, None, made[name])
    book.close()
    return StyleSamples(out.getvalue(), tuple(names))


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
    if "&" in text or "<" in text or ">" in text or '"' in text:
        text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;"))
    return text


def _style(xf: int) -> str:
    return f' s="{xf}"' if xf else ""


def number_cell(ref: str, xf: int, value: float) -> str:
    """A number cell, written as xlsxwriter writes one."""
    return f'<c r="{ref}"{_style(xf)}><v>{value:.16G}</v></c>'


def blank_cell(ref: str, xf: int) -> str:
    """A cell with a style and no value."""
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
