"""Results -> result sheets, as a separate .xlsx made with xlsxwriter.

The packager merges these sheets into the user's workbook. Every figure that is arithmetic on
workbook cells is an Excel formula with the engine's value cached: the trails refer to the
input cells (``=Opbrengsten!D2``), the tables add up the trails, the headline divides the
tables. A controller can click any figure and follow it back to the inputs, and a change to an
input recalculates in Excel without running the tool again. Where an input cell does not hold
the value the engine used (a scenario value, an assumption's value for one year) the figure is
written as a value, in a grey italic style, with the reason beside it.

Sheets are written by the functions in :func:`writers`, in tab order; each gets a
:class:`Context` holding the workbook, the results and the planned position of every table, so
a sheet can refer to cells of a sheet written after it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import xlsxwriter

from . import charts, packager, quality, render_quality, render_uncertainty, rowxml, schema
from .engine import Results
from .packager import Rendered
from .render_layout import Context, fill_date, formats
from .render_summary import write_results
from .render_tables import (
    write_input_trail,
    write_outcomes,
    write_stakeholders,
    write_trail,
    write_years,
)
from .schema import RESULT_SHEETS
from .uncertainty import Uncertainty


def render_results(results: Results, lang: str | None = None,
                   today: dt.date | None = None, uncertainty: Uncertainty | None = None,
                   checklist: quality.Quality | None = None) -> bytes:
    """The result sheets as a workbook of their own (.xlsx bytes).

    ``uncertainty`` (uncertainty.analyse) fills the sensitivity and Monte Carlo sheets;
    ``checklist`` (quality.assess, made here when not given) the quality sheet.
    """
    return packager.alone(render_for_merge(results, lang, today, uncertainty, checklist))


def render_for_merge(results: Results, lang: str | None = None,
                     today: dt.date | None = None, uncertainty: Uncertainty | None = None,
                     checklist: quality.Quality | None = None) -> Rendered:
    """The result sheets for :func:`packager.merge_result_sheets`, the large tables' rows
    made only while the merged workbook is written (see rowxml)."""
    lang = lang or results.model.language
    today = today or fill_date()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"created": dt.datetime(today.year, today.month, today.day)})
    ctx = Context.create(book, results, lang, today)
    for write in writers():
        write(ctx)
    render_uncertainty.write_sheets(book, ctx.fmt, results, uncertainty, lang, today)
    if checklist is None:
        checklist = quality.assess(results, uncertainty)
    render_quality.write_sheet(book, ctx.fmt, results, checklist, lang, uncertainty, today)
    book.close()
    names = list(dict.fromkeys(name for block in ctx.blocks.values() for name in block.styles))
    samples = None
    if names:
        currency = schema.currency_format(results.model.settings.currency)
        samples = rowxml.style_samples(lambda sample: formats(sample, currency), names)
    return Rendered(charts.straighten(out.getvalue()),
                    {sheet: [block.late()] for sheet, block in ctx.blocks.items()}, samples)


def writers() -> list[Callable[[Context], None]]:
    """The sheet writers, in tab order; each adds one sheet to ``ctx.book``."""
    return [write_results, write_stakeholders, write_outcomes, write_years, write_trail,
            write_input_trail]


def sheet_names(lang: str) -> list[str]:
    """The names of the result sheets in a workbook of this language, in order."""
    return [text(lang) for text in RESULT_SHEETS.values()]
