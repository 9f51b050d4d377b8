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
import functools
import io
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell

from . import __version__, charts, packager, render_uncertainty, rowxml, schema
from .engine import (
    AssumptionValues,
    Results,
    Rows,
    counted_ages,
    evaluate_amount,
    scenario_overrides,
)
from .exceptions import Problem
from .links import Linker, Reason, Source
from .model import Cell
from .packager import Rendered
from .schema import RESULT_COLUMNS, RESULT_SHEETS, STYLES, Text

T = Text  # short alias for the many labels below

HEADLINE = {
    "ratio": T("SROI-ratio", "SROI ratio"),
    "net_ratio": T("Netto SROI-ratio", "Net SROI ratio"),
    "pv_value": T("Contante waarde opbrengsten", "Present value of outcomes"),
    "pv_inputs": T("Contante waarde inbreng", "Present value of inputs"),
    "npv": T("Netto contante waarde", "Net present value (NPV)"),
    "payback": T("Terugverdientijd (jaren)", "Payback period (years)"),
    "value_nominal": T("Opbrengsten, niet verdisconteerd", "Outcomes, undiscounted"),
    "inputs_nominal": T("Inbreng, niet verdisconteerd", "Inputs, undiscounted"),
    "discount_rate": T("Discontovoet opbrengsten", "Discount rate (outcomes)"),
    "input_rate": T("Discontovoet inbreng", "Discount rate (inputs)"),
    "horizon": T("Horizon (jaren)", "Horizon (years)"),
    "price_year": T("Prijspeil", "Price year"),
    "scenario": T("Scenario", "Scenario"),
    "computed": T("Berekend", "Computed"),
}
HOW = {
    "ratio": T("= opbrengsten / inbreng: wat een SROI-rapport de ratio noemt",
               "= outcomes / inputs: what an SROI report calls the ratio"),
    "net_ratio": T("= (opbrengsten - inbreng) / inbreng: netto per euro (business case)",
                   "= (outcomes - inputs) / inputs: net per euro (business case)"),
    "pv_value": T("som van de contante waarde per jaar (Per jaar, uit het Rekenspoor)",
                  "sum of the present value per year (By year, from the Calculation trail)"),
    "pv_inputs": T("som van de contante waarde per jaar (Per jaar, uit Rekenspoor inbreng)",
                   "sum of the present value per year (By year, from the Input trail)"),
    "npv": T("= opbrengsten - inbreng", "= outcomes - inputs"),
    "payback": T("cumulatieve waarde bereikt cumulatieve inbreng; inbreng telt aan het begin "
                 "van een jaar, waarde groeit gelijkmatig (Per jaar)",
                 "cumulative value reaches cumulative inputs; inputs count at the start of "
                 "a year, value accrues evenly (By year)"),
    "value_nominal": T("som van de waarde per jaar, zonder disconteren",
                       "sum of the value per year, not discounted"),
    "inputs_nominal": T("som van de inbreng per jaar, zonder disconteren",
                        "sum of the inputs per year, not discounted"),
    "structure": T("stand bij de laatste fill; na een wijziging opnieuw fill uitvoeren",
                   "as of the last fill; run fill again after changing it"),
}
NOT_REACHED = T("niet binnen de horizon", "not reached within the horizon")
NOT_APPLICABLE = T("n.v.t. (geen inbreng)", "n/a (no inputs)")
NA_SHORT = T("n.v.t.", "n/a")  # in table cells, where the column is narrow
BASE = T("basiswaarden", "base values")
TOTAL = T("Totaal", "Total")
NO_PAYBACK = "–"  # a text, so MIN/COUNT over the column skip it
FROZEN_LEGEND = T(
    "Grijze cursieve cijfers zijn vaste waarden uit de laatste fill (een scenario- of jaarwaarde "
    "die niet in de invoercel staat; zie Toelichting). Alle andere cijfers zijn formules.",
    "Grey italic figures are fixed values as of the last fill (a scenario or per-year value "
    "that is not in the input cell; see Note). All other figures are formulas.")

# Columns the result tables have beyond the engine's (schema.RESULT_COLUMNS).
EXTRA_COLUMNS: dict[str, tuple[Text, str]] = {
    "hours": (T("Uren", "Hours"), "number"),
    "rate": (T("Uurtarief", "Hourly rate"), "money"),
    "payback": (T("Terugverdiend (jaren)", "Payback (years)"), "ratio"),
    "explanation": (T("Toelichting", "Note"), "text"),
}
COLUMNS = {**RESULT_COLUMNS, **EXTRA_COLUMNS}
YEAR_KEY = "in_year_"  # the trail's year columns: in_year_1, in_year_2, ...

INTROS: dict[str, list[Text]] = {
    "stakeholders": [T(
        "Wie brengt in en wie ontvangt: contante waarde van de inbreng (Rekenspoor inbreng) "
        "en van de opbrengsten (Rekenspoor), per belanghebbende.",
        "Who puts in and who gains: present value of inputs (Input trail) and of outcomes "
        "(Calculation trail), per stakeholder.")],
    "outcomes": [T(
        "Aantal, proxy en percentages: het eerste jaar van de opbrengst (uit het Rekenspoor). "
        "Duur, eerste jaar en jaarlijks bepalen de opbouw van het Rekenspoor: na een wijziging "
        "opnieuw fill uitvoeren.",
        "Quantity, proxy and percentages: the outcome's first year (from the Calculation "
        "trail). Duration, first year and every year shape the trail: run fill again after "
        "changing them.")],
    "years": [T(
        "Inbreng telt aan het begin van het jaar, waarde groeit gelijkmatig door het jaar; "
        "de kolom Terugverdiend toont het moment in het jaar waarin de cumulatieve waarde de "
        "inbreng bereikt.",
        "Inputs count at the start of their year, value accrues evenly through it; the "
        "Payback column shows the moment in the year at which cumulative value reaches "
        "cumulative inputs.")],
    "trail": [
        T("Per opbrengst een rij voor de opeenvolgende jaren waarin het effect optreedt met "
          "dezelfde cijfers (een jaarlijkse opbrengst met gelijke cijfers is één rij), en een "
          "kolom per jaar waarin het meetelt. Aantal, proxy en percentages verwijzen naar de "
          "cellen op het tabblad met de opbrengsten.",
          "One row per outcome for the consecutive years in which it occurs with the same "
          "figures (an outcome that recurs with unchanged figures is one row), and a column "
          "per year in which it counts. Quantity, proxy and percentages refer to the cells on "
          "the outcomes sheet."),
        T("Bruto waarde = aantal x proxy; impact claim = (1 - deadweight) x (1 - verplaatsing)"
          " x (1 - attributie); impact = bruto x impact claim, per jaar van optreden; waarde in "
          "een jaar = impact x de som van (1 - uitdoving)^k over elk jaar van optreden dat nog "
          "meetelt, k jaren later (k < duur); contante waarde = som van waarde x de "
          "disconteringsfactor boven elke jaarkolom.",
          "Gross value = quantity x proxy; impact claim = (1 - deadweight) x (1 - displacement)"
          " x (1 - attribution); impact = gross x impact claim, per year of occurrence; value "
          "in a year = impact x the sum of (1 - drop-off)^k over each year of occurrence still "
          "counting, k years later (k < duration); present value = sum of value x the discount "
          "factor above each year column."),
        FROZEN_LEGEND,
    ],
    "input_trail": [
        T("Per inbreng en per jaar. Uren, uurtarief en bedrag verwijzen naar de cellen op het "
          "tabblad met de inbreng; jaar 0 is de start en wordt niet verdisconteerd.",
          "Per input and year. Hours, hourly rate and amount refer to the cells on the inputs "
          "sheet; year 0 is the start and is not discounted."),
        FROZEN_LEGEND,
    ],
}

# The results sheet: a label column, five figure columns, a gap, then the charts.
RESULTS_WIDTHS = [40, 15, 15, 15, 15, 15, 2] + [8.43] * 9
CHART_COL = 7
LAST_COL = len(RESULTS_WIDTHS) - 1
ROW_PX = 20
A4_LANDSCAPE_PT = (842, 595)
MARGINS_IN = {"left": 0.5, "right": 0.5, "top": 0.7, "bottom": 0.7}
MAX_CHART_OUTCOMES = 15
# The results sheet lists at most this many outcomes, then one row for all the others (the
# Per outcome sheet lists every one): a summary page of 10,000 outcomes would be no summary.
MAX_LISTED_OUTCOMES = 25
MAX_LINES = 8  # a table row grows to at most this many lines of wrapped text
CHART_OFFSET = {"x_offset": 4, "y_offset": 4}
# Safety margin when counting how many characters fit a column: column widths are measured in
# the default font's digits, so the count hardly depends on the font, but words do not break.
WIDE_FONT = 1.1


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def render_results(results: Results, lang: str | None = None,
                   today: dt.date | None = None, uncertainty=None) -> bytes:
    """The result sheets as a workbook of their own (.xlsx bytes).

    ``uncertainty`` (uncertainty.analyse) fills the sensitivity and Monte Carlo sheets.
    """
    return packager.alone(render_for_merge(results, lang, today, uncertainty))


def render_for_merge(results: Results, lang: str | None = None,
                     today: dt.date | None = None, uncertainty=None) -> Rendered:
    """The result sheets for :func:`packager.merge_result_sheets`, the large tables' rows
    made only while the merged workbook is written (see rowxml)."""
    lang = lang or results.model.language
    today = today or _today()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"created": dt.datetime(today.year, today.month, today.day)})
    ctx = Context.create(book, results, lang, today)
    for write in writers():
        write(ctx)
    render_uncertainty.write_sheets(book, ctx.fmt, results, uncertainty, lang, today)
    book.close()
    names = list(dict.fromkeys(name for block in ctx.blocks.values() for name in block.styles))
    samples = None
    if names:
        currency = schema.currency_format(results.model.settings.currency)
        samples = rowxml.style_samples(lambda sample: _formats(sample, currency), names)
    return Rendered(charts.straighten(out.getvalue()),
                    {sheet: [block.late()] for sheet, block in ctx.blocks.items()}, samples)


def writers() -> list[Callable[[Context], None]]:
    """The sheet writers, in tab order; each adds one sheet to ``ctx.book``."""
    return [write_results, write_stakeholders, write_outcomes, write_years, write_trail,
            write_input_trail]


def column_header(key: str, lang: str, first_year: int | None = None) -> tuple[str, str]:
    """A result column's header and style; the trail's year columns say the calendar year
    when the settings give one."""
    if key in COLUMNS:
        header, style = COLUMNS[key]
        return header(lang), style
    year = int(key.removeprefix(YEAR_KEY))
    header = f"{COLUMNS['year'][0](lang)} {year}"
    return (f"{header} ({first_year + year - 1})" if first_year else header), "money"


def sheet_names(lang: str) -> list[str]:
    """The names of the result sheets in a workbook of this language, in order."""
    return [text(lang) for text in RESULT_SHEETS.values()]


def _today() -> dt.date:
    # SOURCE_DATE_EPOCH makes fills reproducible to the byte (tests, archives).
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


# --------------------------------------------------------------------------------------------
# Planning: where every table will be, before any sheet is written
# --------------------------------------------------------------------------------------------


@dataclass
class Table:
    """The planned position of one result table: header row, data rows, total row."""

    sheet: str
    keys: list[str]
    header_row: int  # 0-based
    n: int  # data rows
    first_col: int = 0

    def col(self, key: str) -> int:
        return self.first_col + self.keys.index(key)

    def letter(self, key: str) -> str:
        return self.letters[key]

    @functools.cached_property
    def letters(self) -> dict[str, str]:
        """Column letter of each key."""
        return {k: xl_col_to_name(self.first_col + c) for c, k in enumerate(self.keys)}

    def row(self, i: int) -> int:
        """0-based sheet row of data row i."""
        return self.header_row + 1 + i

    @property
    def total_row(self) -> int:
        return self.header_row + 1 + self.n

    @functools.cached_property
    def quoted(self) -> str:
        """The sheet name as a formula refers to it."""
        return quote_sheetname(self.sheet)

    def ref(self, key: str, i: int, external: bool = False, absolute: bool = False) -> str:
        # Called for every row of large tables: string building, not xl_rowcol_to_cell.
        letter, row = self.letters[key], self.header_row + 2 + i
        cell = f"${letter}${row}" if absolute else f"{letter}{row}"
        return f"{self.quoted}!{cell}" if external else cell

    def span(self, key: str, start: int = 0, stop: int | None = None,
             external: bool = True) -> str:
        """Absolute range of data rows [start, stop) of one column."""
        stop = self.n if stop is None else stop
        letter, top = self.letters[key], self.header_row + 2
        text = f"${letter}${top + start}:${letter}${top + stop - 1}"
        return f"{self.quoted}!{text}" if external else text

    def total(self, key: str, external: bool = True) -> str:
        cell = f"${self.letters[key]}${self.total_row + 1}"
        return f"{self.quoted}!{cell}" if external else cell

    def range(self, key: str, start: int = 0, stop: int | None = None) -> charts.Range:
        stop = self.n if stop is None else stop
        return (self.sheet, self.row(start), self.col(key), self.row(stop - 1), self.col(key))


@dataclass(frozen=True)
class Matrix:
    """The value-per-year-per-stakeholder block and the chart data beside the By year table."""

    stakeholders: list[str]
    first_col: int
    chart_col: int


def _plan_matrix(results: Results, years: Table, trail: Rows) -> Matrix:
    order = [s.name for s in results.model.stakeholders]
    present = set(trail.column("stakeholder"))
    names = [s for s in order if s in present] + sorted(present - set(order))
    first_col = years.first_col + len(years.keys) + 1
    # after the matrix, its total column and a gap
    return Matrix(names, first_col, first_col + len(names) + 2)


@dataclass
class Context:
    """What each sheet writer gets. ``cells`` holds addresses other sheets refer to."""

    book: Any
    results: Results
    lang: str
    today: dt.date
    fmt: dict
    title: str
    money: str  # number format of amounts
    money_axis: str  # the same without decimals, for chart axes
    frames: dict[str, Rows]
    tables: dict[str, Table]
    sources: dict[str, list[dict[str, Source]]]  # trail rows: key -> where the value came from
    matrix: Matrix
    cells: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, rowxml.Block] = field(default_factory=dict)  # by sheet name

    @classmethod
    def create(cls, book, results: Results, lang: str, today: dt.date) -> Context:
        settings = results.model.settings
        currency = schema.currency_format(settings.currency)
        frames, sources = _frames(results, lang)
        tables = {key: Table(RESULT_SHEETS[key](lang), list(frame.columns),
                             _header_row(key), len(frame))
                  for key, frame in frames.items()}
        title = (settings.name or T("SROI-analyse", "SROI analysis")(lang))
        return cls(book, results, lang, today, _formats(book, currency), title, currency,
                   schema.currency_format(settings.currency, 0), frames, tables, sources,
                   _plan_matrix(results, tables["years"], frames["trail"]))

    def name(self, key: str) -> str:
        return RESULT_SHEETS[key](self.lang)

    def column(self, key: str) -> tuple[str, str]:
        """A result column's header in this language, and its style."""
        return column_header(key, self.lang, self.results.model.settings.first_year)

    def add_sheet(self, key: str):
        ws = self.book.add_worksheet(self.name(key))
        _print_setup(ws, self.title, self.lang)
        return ws


def _header_row(key: str) -> int:
    # title, subtitle, the intro lines, a blank row, then the header
    return 2 + len(INTROS.get(key, [])) + 1


def _frames(results: Results, lang: str) -> tuple[dict[str, Rows], dict]:
    """The tables as they will be written, and where each trail figure came from."""
    model = results.model
    tables = results.tables
    linker = Linker(model, results.scenario)
    outcomes = _reordered(tables["outcomes"], "proxy_source")
    years = tables["years"]
    if all(v is None for v in years.column("calendar_year")):
        years = _dropped(years, "calendar_year")
    payback = _payback_candidates(years.column("cumulative_pv_inputs"),
                                  years.column("cumulative_pv_value"))
    years = Rows((*years.columns, "payback"),
                 [(*row, p) for row, p in zip(years.rows, payback, strict=True)])

    # The trail: one row per outcome and run of years of occurrence with the same figures, a
    # column per year counted (1 .. last year) instead of the engine's tuple of values.
    cohorts = tables["cohorts"]
    last_year = results.headline.last_year
    at = cohorts.columns.index("values")
    year_keys = [f"{YEAR_KEY}{t}" for t in range(1, last_year + 1)]
    columns = [c for c in cohorts.columns if c not in ("values", "price_note")]
    columns[columns.index("value"):columns.index("value")] = year_keys
    columns += [c for c in ("price_note",) if c in cohorts.columns] + ["explanation"]
    trail_sources = []
    rows = []
    keep = [cohorts.columns.index(c) for c in columns if c in cohorts.columns]
    split = columns.index(year_keys[0]) if year_keys else len(keep)
    counting: dict[tuple[int, int, int], list[int]] = {}  # the years a run's cohorts count
    for rec, row in zip(cohorts.records(), cohorts.rows, strict=True):
        o = model.outcomes[rec.outcome_no - 1]
        found = {key: linker.source(getattr(o, key), rec.occurs_from)
                 for key in ("quantity", "proxy", "deadweight", "displacement", "attribution",
                             "dropoff")}
        trail_sources.append(found)
        shape = (rec.occurs_from, rec.occurs_to, rec.duration)
        if shape not in counting:
            counting[shape] = [t for t in range(1, last_year + 1) if counted_ages(*shape, t)]
        values = row[at]
        shown: list[float | None] = [None] * last_year
        for t in counting[shape]:
            shown[t - 1] = values[t]
        kept = [row[i] for i in keep]
        rows.append((*kept[:split], *shown, *kept[split:], _reasons_text(found.values(), lang)))
    trail = Rows(columns, rows)

    overrides = scenario_overrides(model, results.scenario)[1]
    values_by_year: dict[int, AssumptionValues] = {}
    rows = []
    input_sources = []
    for rec in tables["inputs"].records():
        item = model.inputs[rec.input_no - 1]
        t = max(int(rec.year), 0)
        values = values_by_year.setdefault(t, AssumptionValues(model, overrides, t))
        hours = rate = None
        if item.kind == "hours":
            hours = evaluate_amount(item.hours, values)
            rate = evaluate_amount(item.rate, values)
        found = {"hours": linker.source(item.hours, t), "rate": linker.source(item.rate, t),
                 "amount": linker.source(item.amount, t)}
        input_sources.append(found)
        rows.append((rec.input_no, rec.stakeholder, rec.description,
                     schema.INPUT_KINDS[rec.kind](lang) if rec.kind in schema.INPUT_KINDS
                     else rec.kind, rec.year, hours, rate, rec.amount, rec.discount_factor,
                     rec.present_value, _reasons_text(found.values(), lang)))
    input_trail = Rows(["input_no", "stakeholder", "description", "kind", "year", "hours", "rate",
                        "amount", "discount_factor", "present_value", "explanation"], rows)
    frames = {"stakeholders": tables["stakeholders"], "outcomes": outcomes, "years": years,
              "trail": trail, "input_trail": input_trail}
    return frames, {"trail": trail_sources, "input_trail": input_sources}


def _reordered(table: Rows, last: str) -> Rows:
    """``table`` with one column moved to the end."""
    at = table.columns.index(last)
    return Rows((*table.columns[:at], *table.columns[at + 1:], last),
                [(*row[:at], *row[at + 1:], row[at]) for row in table.rows])


def _dropped(table: Rows, key: str) -> Rows:
    at = table.columns.index(key)
    return Rows((*table.columns[:at], *table.columns[at + 1:]),
                [(*row[:at], *row[at + 1:]) for row in table.rows])


def _reasons_text(sources, lang: str) -> str:
    """One sentence naming the values that are fixed, and why."""
    parts: list[str] = []
    for source in sources:
        for reason in source.reasons:
            text = _reason(reason, lang)
            if text not in parts:
                parts.append(text)
    if not parts:
        return ""
    return T("Vaste waarde: ", "Fixed value: ")(lang) + "; ".join(parts)


def _reason(reason: Reason, lang: str) -> str:
    if reason.price is not None:
        return T(f"referentieprijs {reason.price}, geïndexeerd naar het prijspeil",
                 f"reference price {reason.price}, indexed to the price year")(lang)
    if reason.text:
        return T("geen getal in de invoercel", "no number in the input cell")(lang)
    if reason.default:
        return T("niet ingevuld (0)", "not entered (0)")(lang)
    if reason.scenario is not None:
        return T(f"{reason.assumption} uit scenario '{reason.scenario}'",
                 f"{reason.assumption} from scenario '{reason.scenario}'")(lang)
    return T(f"{reason.assumption} voor jaar {reason.year}",
             f"{reason.assumption} for year {reason.year}")(lang)


def _payback_candidates(cum_inputs: list[float], cum_value: list[float]) -> list:
    """Per year: the payback moment if it falls in that year (the engine's rule), else a dash.

    Mirrors engine.payback_period row by row, so the column can be an Excel formula per row
    and the headline its sum.
    """
    out: list = []
    found = False
    for t in range(len(cum_inputs)):
        moment = None
        if not found:
            if t == 0:
                if cum_inputs[0] > 0 and cum_value[0] >= cum_inputs[0]:
                    moment = 0.0
            elif cum_value[t] >= cum_inputs[t]:
                owed = cum_inputs[t] - cum_value[t - 1]
                earned = cum_value[t] - cum_value[t - 1]
                moment = float(t - 1) if owed <= 0 else t - 1 + owed / earned
        found = found or moment is not None
        out.append(NO_PAYBACK if moment is None else moment)
    return out


# --------------------------------------------------------------------------------------------
# Formats and print setup
# --------------------------------------------------------------------------------------------

FROZEN = {"italic": True, "bg_color": "#E7E6E6", "font_color": "#404040"}


def _formats(book, currency: str) -> dict:
    base = {"font_name": schema.FONT}
    props: dict[str, dict] = {name: dict(p) for name, p in STYLES.items()}
    numbers = {"money": currency, "number": "#,##0.00", "integer": "0", "percent": "0.0%",
               "factor": "0.0000", "ratio": "0.00", "rate": "0.00%"}
    props["money"] = {"num_format": currency}
    for name, code in numbers.items():
        # Top-aligned, so figures sit beside the first line of a wrapped name.
        props[name] = {**props.get(name, {}), "num_format": code, "valign": "top"}
        props[f"frozen_{name}"] = {**FROZEN, "num_format": code}
        props[f"total_{name}"] = {**STYLES["total_number"], "num_format": code}
        props[f"big_{name}"] = {"bold": True, "font_size": 12, "num_format": code,
                                "align": "right", "valign": "vcenter"}
    props["frozen_text"] = dict(FROZEN)
    # Texts in the figure column ("not reached within the horizon") shrink rather than spill.
    props["big_text"] = {"bold": True, "font_size": 12, "align": "right", "valign": "vcenter",
                         "shrink": True}
    props["value_text"] = {"align": "right", "valign": "top"}
    props["subtitle_wrap"] = {**STYLES["subtitle"], "text_wrap": True, "valign": "top"}
    props["label_wrap"] = {"bold": True, "text_wrap": True, "valign": "bottom"}
    props["label_right"] = {"bold": True, "align": "right", "valign": "bottom"}
    props["section"] = {"bold": True, "font_size": 12, "font_color": schema.HEADER_FILL,
                        "bottom": 2, "bottom_color": schema.HEADER_FILL}
    props["how"] = {**STYLES["note"], "font_size": 9, "valign": "vcenter"}
    props["warning_wrap"] = {**STYLES["warning"], "text_wrap": True, "valign": "top"}
    props["explanation"] = {"italic": True, "font_color": "#595959", "text_wrap": True,
                            "valign": "top"}
    props["header_right"] = {**STYLES["header"], "align": "right"}
    # The headline block: labels and figures centred on rows that a long explanation makes
    # two lines high.
    for name in ("label", "money", "rate", "integer", "frozen_rate", "frozen_integer",
                 "value_text"):
        props[f"head_{name}"] = {**props[name], "valign": "vcenter"}
    props["head_value_text"]["shrink"] = True
    fmt = {name: book.add_format({**base, **p}) for name, p in props.items()}
    fmt["yesno"] = fmt["text"]
    return fmt


def _print_setup(ws, title: str, lang: str) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.set_margins(**MARGINS_IN)
    # Header/footer codes: && is a literal ampersand; Excel caps the string at 255 characters.
    safe = title.replace("&", "&&")[:120]
    ws.set_header(f"&L&\"{schema.FONT},Bold\"{safe}&R&A")
    ws.set_footer("&Lsroi-excel " + __version__
                  + "&R" + T("Pagina &P van &N", "Page &P of &N")(lang))


def _label(ws, row, col, text, style):
    ws.write_string(row, col, str(text), style)  # our labels and user text: never a formula


def _q(text: str) -> str:
    """A text as an Excel string literal."""
    return '"' + text.replace('"', '""') + '"'


def _link(cell: Cell) -> str:
    return f"={_quoted(cell.sheet)}!{cell.ref}"


@functools.lru_cache(maxsize=64)
def _quoted(sheet: str) -> str:
    return quote_sheetname(sheet)  # once per sheet, not once per linked cell


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --------------------------------------------------------------------------------------------
# The results sheet
# --------------------------------------------------------------------------------------------


def write_results(ctx: Context) -> None:
    """Headline, then per stakeholder, per outcome and per year, each with its chart."""
    results, lang, fmt = ctx.results, ctx.lang, ctx.fmt
    settings = results.model.settings
    ws = ctx.add_sheet("results")
    for col, width in enumerate(RESULTS_WIDTHS):
        ws.set_column(col, col, width)
    ws.fit_to_pages(1, 0)
    page = _Page(ws)

    _label(ws, 0, 0, ctx.title, fmt["title"])
    kind = schema.ANALYSIS_TYPES.get(settings.analysis_type, schema.ANALYSIS_TYPES["forecast"])
    _label(ws, 1, 0, " · ".join(x for x in (settings.organisation, kind(lang)) if x),
           fmt["subtitle"])
    row = 4
    if settings.note:
        page.set_row(3, 15 * _lines(settings.note, _span_chars(0, LAST_COL)))
        _merged(ws, 3, 0, LAST_COL, settings.note, fmt["note"])  # user text: never a formula
        row = 5
    row = _headline(ctx, ws, page, row)
    page.block(row)
    row = _stakeholder_section(ctx, ws, page, row + 1)
    page.block(row)
    row = _outcome_section(ctx, ws, page, row + 1)
    page.block(row)
    row = _year_section(ctx, ws, page, row + 1)
    page.block(row)
    row = _qualitative_section(ctx, ws, page, row + 1)
    row = _warning_section(ctx, ws, page, row)
    page.block(row)
    ws.print_area(0, 0, max(row, 1) - 1, LAST_COL)
    breaks = page.breaks()
    if breaks:
        ws.set_h_pagebreaks(breaks)
    ws.activate()


def _headline(ctx: Context, ws, page: _Page, row: int) -> int:
    results, lang, fmt = ctx.results, ctx.lang, ctx.fmt
    settings, head = results.model.settings, results.headline
    years = ctx.tables["years"]
    name = ctx.name("results")
    keys = ["ratio", "net_ratio", "pv_value", "pv_inputs", "npv", "payback", "value_nominal",
            "inputs_nominal", "discount_rate", "input_rate", "horizon", "price_year",
            "scenario", "computed"]
    start = row
    _section(ws, fmt, row, T("Kerncijfers", "Headline figures")(lang))
    row += 1
    at = {key: row + i for i, key in enumerate(keys)}
    b = {key: f"B{r + 1}" for key, r in at.items()}
    ctx.cells["rate_value"] = f"{quote_sheetname(name)}!$B${at['discount_rate'] + 1}"
    ctx.cells["rate_inputs"] = f"{quote_sheetname(name)}!$B${at['input_rate'] + 1}"
    ctx.cells["payback"] = f"{quote_sheetname(name)}!$B${at['payback'] + 1}"
    na, not_reached = _q(NOT_APPLICABLE(lang)), _q(NOT_REACHED(lang))
    ratio_cached = head.ratio if head.ratio is not None else NOT_APPLICABLE(lang)
    net_cached = head.net_ratio if head.net_ratio is not None else NOT_APPLICABLE(lang)
    if head.payback_years is not None:
        payback_cached: object = head.payback_years
    else:
        payback_cached = (NOT_REACHED if head.pv_inputs else NOT_APPLICABLE)(lang)
    cum_in_last = years.ref("cumulative_pv_inputs", years.n - 1, external=True)
    payback_span = years.span("payback")
    formulas: dict[str, tuple[str, object, str]] = {
        "ratio": (f"=IF({b['pv_inputs']}=0,{na},{b['pv_value']}/{b['pv_inputs']})",
                  ratio_cached, "big_ratio"),
        "net_ratio": (f"=IF({b['pv_inputs']}=0,{na},{b['npv']}/{b['pv_inputs']})",
                      net_cached, "big_ratio"),
        "pv_value": (f"={years.total('pv_value')}", head.pv_value, "big_money"),
        "pv_inputs": (f"={years.total('pv_inputs')}", head.pv_inputs, "big_money"),
        "npv": (f"={b['pv_value']}-{b['pv_inputs']}", head.npv, "big_money"),
        "payback": (f"=IF({cum_in_last}<=0,{na},IF(COUNT({payback_span})=0,{not_reached},"
                    f"SUM({payback_span})))", payback_cached, "big_ratio"),
        "value_nominal": (f"={years.total('value')}", head.value_nominal, "head_money"),
        "inputs_nominal": (f"={years.total('inputs')}", head.inputs_nominal, "head_money"),
    }
    how_width = _span_chars(2, 5)
    for key in keys:
        r = at[key]
        _label(ws, r, 0, HEADLINE[key](lang), fmt["head_label"])
        how = HOW.get(key)
        explanation = how(lang) if how else ""
        if key in formulas:
            text, cached, style = formulas[key]
            if isinstance(cached, str):
                style = "big_text" if style.startswith("big") else "head_value_text"
            ws.write_formula(r, 1, text, fmt[style], cached)
        elif key in ("discount_rate", "input_rate"):
            text, cached, explanation, frozen = _rate_cell(ctx, key)
            if text:
                ws.write_formula(r, 1, text, fmt["head_rate"], cached)
            else:
                ws.write_number(r, 1, cached, fmt["head_frozen_rate" if frozen else "head_rate"])
        elif key == "horizon":
            ws.write_number(r, 1, head.years, fmt["head_frozen_integer"])
            explanation = HOW["structure"](lang)
            if head.last_year > head.years:
                explanation = T(
                    f"effecten tellen door tot jaar {head.last_year}; ",
                    f"outcomes count until year {head.last_year}; ")(lang) + explanation
        elif key == "price_year":
            if settings.price_year is None:
                ws.write_blank(r, 1, None, fmt["head_value_text"])
            else:
                ws.write_number(r, 1, settings.price_year, fmt["head_integer"])
        elif key == "scenario":
            _label(ws, r, 1, head.scenario or BASE(lang), fmt["head_value_text"])
            if head.scenario:
                explanation = T("de waarden uit het scenario staan als vaste waarden in de "
                                "rekensporen", "the scenario's values are fixed values in "
                                "the trails")(lang)
        elif key == "computed":
            _label(ws, r, 1, ctx.today.isoformat(), fmt["head_value_text"])
            explanation = f"sroi-excel {__version__}"
        if explanation:
            lines = _lines(explanation, how_width, small=True)
            if lines > 1:
                page.set_row(r, 12 * lines + 3)
            _merged(ws, r, 2, 5, explanation, fmt["how"])
    row = at["computed"] + 1
    note_rate = T(
        "Inbreng in latere jaren is verdisconteerd." if head.discount_inputs else
        "Inbreng telt tegen nominale waarde (niet verdisconteerd).",
        "Inputs in later years are discounted." if head.discount_inputs else
        "Inputs count at face value (not discounted).")(lang)
    _label(ws, row, 0, note_rate, fmt["note"])
    row += 1
    # The sentence at the top follows the ratio cell, so it stays true after an edit.
    ws.write_formula(2, 0, _sentence_formula(results, lang, b["ratio"]), fmt["label"],
                     _sentence(results, lang))
    ws.insert_chart(start + 1, CHART_COL, _cumulative_chart(ctx), CHART_OFFSET)
    return max(row, start + 1 + _chart_rows(charts.HEIGHT))


def _stakeholder_section(ctx: Context, ws, page: _Page, row: int) -> int:
    lang, fmt = ctx.lang, ctx.fmt
    name = ctx.name("results")
    stake = ctx.tables["stakeholders"]
    frame = ctx.frames["stakeholders"]
    start = row
    _section(ws, fmt, row, T("Per belanghebbende: wie brengt in, wie ontvangt (contante "
                             "waarde)", "By stakeholder: who puts in, who gains (present "
                             "value)")(lang))
    row += 1
    header = row
    _headers(ws, fmt, page, row, [COLUMNS["stakeholder"][0](lang), COLUMNS["inputs"][0](lang),
                                  COLUMNS["value"][0](lang), COLUMNS["net"][0](lang),
                                  COLUMNS["ratio"][0](lang)])
    row += 1
    first = row
    for i, rec in enumerate(frame.records()):
        r = row + 1
        _wrapped(ws, page, row, rec.stakeholder, fmt["wrap"])
        ws.write_formula(row, 1, f"={stake.ref('inputs', i, external=True)}", fmt["money"],
                         rec.inputs)
        ws.write_formula(row, 2, f"={stake.ref('value', i, external=True)}", fmt["money"],
                         rec.value)
        ws.write_formula(row, 3, f"=C{r}-B{r}", fmt["money"], rec.net)
        _ratio_formula(ws, row, 4, f"B{r}", f"C{r}", rec.ratio, fmt, "ratio", lang)
        row += 1
    _label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    total_in, total_val = _total(frame, "inputs"), _total(frame, "value")
    _sum(ws, row, 1, first, row - 1, fmt["total_money"], total_in)
    _sum(ws, row, 2, first, row - 1, fmt["total_money"], total_val)
    r = row + 1
    ws.write_formula(row, 3, f"=C{r}-B{r}", fmt["total_money"], _total(frame, "net"))
    _ratio_formula(ws, row, 4, f"B{r}", f"C{r}", total_val / total_in if total_in else None,
                   fmt, "total_ratio", lang)
    row += 1
    height = charts.bar_height(stake.n, 2)
    if stake.n:
        last = first + stake.n - 1
        chart = charts.stakeholders(
            ctx.book, lang, ctx.money_axis, (name, first, 0, last, 0), (name, first, 1, last, 1),
            (name, first, 2, last, 2), (name, header, 1), (name, header, 2), height)
        ws.insert_chart(start + 1, CHART_COL, chart, CHART_OFFSET)
    return max(row, start + 1 + _chart_rows(height))


def _outcome_section(ctx: Context, ws, page: _Page, row: int) -> int:
    lang, fmt = ctx.lang, ctx.fmt
    name = ctx.name("results")
    outcomes = ctx.frames["outcomes"]
    otable = ctx.tables["outcomes"]
    pvs = outcomes.column("present_value")
    order = sorted(range(len(outcomes)), key=lambda i: (-pvs[i], i))
    shown = min(len(order), MAX_CHART_OUTCOMES)
    chart_height = charts.bar_height(shown)
    start = row
    _section(ws, fmt, row, T("Per opbrengst, grootste eerst (contante waarde)",
                             "By outcome, largest first (present value)")(lang))
    row += 1
    _headers(ws, fmt, page, row, [COLUMNS["outcome"][0](lang),
                                  COLUMNS["present_value"][0](lang), COLUMNS["share"][0](lang)])
    _merged(ws, row, 3, 5, COLUMNS["stakeholder"][0](lang), fmt["header"])
    row += 1
    first = row
    names = Counter(outcomes.column("outcome"))
    listed = order if len(order) <= MAX_LISTED_OUTCOMES + 1 else order[:MAX_LISTED_OUTCOMES]
    rest = order[len(listed):]
    total = f"$B${first + len(listed) + bool(rest) + 1}"
    for i in listed:
        rec = outcomes.record(i)
        label = rec.outcome
        if names[label] > 1:
            label = f"{label} ({rec.stakeholder})"
        _wrapped(ws, page, row, label, fmt["wrap"])
        ws.write_formula(row, 1, f"={otable.ref('present_value', i, external=True)}",
                         fmt["money"], float(rec.present_value))
        ws.write_formula(row, 2, f"=IF({total}=0,0,B{row + 1}/{total})", fmt["percent"],
                         float(rec.share))
        _merged(ws, row, 3, 5, rec.stakeholder, fmt["wrap"])  # user text
        row += 1
    if rest:
        # Everything not listed: the Per outcome sheet's total less the rows above.
        pv_rest = sum(pvs[i] for i in rest)
        shares = outcomes.column("share")
        _label(ws, row, 0, T(f"Overige {len(rest):,} opbrengsten (zie Per opbrengst)".replace(
            ",", "."), f"Other {len(rest):,} outcomes (see By outcome)")(lang), fmt["wrap"])
        ws.write_formula(row, 1, f"={otable.total('present_value')}-SUM(B{first + 1}:"
                                 f"B{row})", fmt["money"], pv_rest)
        ws.write_formula(row, 2, f"=IF({total}=0,0,B{row + 1}/{total})", fmt["percent"],
                         sum(shares[i] for i in rest))
        row += 1
    _label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    _sum(ws, row, 1, first, row - 1, fmt["total_money"], _total(outcomes, "present_value"))
    _sum(ws, row, 2, first, row - 1, fmt["total_percent"], _total(outcomes, "share"))
    for col in (3, 4, 5):
        ws.write_blank(row, col, None, fmt["total_label"])
    row += 1
    if shown:
        chart = charts.outcomes(ctx.book, lang, ctx.money_axis,
                                (name, first, 0, first + shown - 1, 0),
                                (name, first, 1, first + shown - 1, 1), chart_height)
        if shown < len(order):
            chart.set_title({"name": T(f"Waarde per opbrengst (de grootste {shown})",
                                       f"Value by outcome (the largest {shown})")(lang),
                             "name_font": charts.title_font()})
        ws.insert_chart(start + 1, CHART_COL, chart, CHART_OFFSET)
    return max(row, start + 1 + (_chart_rows(chart_height) if shown else 0))


def _year_section(ctx: Context, ws, page: _Page, row: int) -> int:
    lang, fmt = ctx.lang, ctx.fmt
    years = ctx.tables["years"]
    frame = ctx.frames["years"]
    start = row
    _section(ws, fmt, row, T("Per jaar (contante waarde)", "By year (present value)")(lang))
    row += 1
    _headers(ws, fmt, page, row, [COLUMNS["year"][0](lang), COLUMNS["inputs"][0](lang),
                                  COLUMNS["value"][0](lang),
                                  COLUMNS["cumulative_pv_inputs"][0](lang),
                                  COLUMNS["cumulative_pv_value"][0](lang),
                                  COLUMNS["cumulative_net"][0](lang)])
    row += 1
    first = row
    for i, rec in enumerate(frame.records()):
        _label(ws, row, 0, _year_label(rec, lang), fmt["text"])
        for col, key in enumerate(("pv_inputs", "pv_value", "cumulative_pv_inputs",
                                   "cumulative_pv_value", "cumulative_net"), 1):
            ws.write_formula(row, col, f"={years.ref(key, i, external=True)}", fmt["money"],
                             float(getattr(rec, key)))
        row += 1
    _label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    _sum(ws, row, 1, first, row - 1, fmt["total_money"], _total(frame, "pv_inputs"))
    _sum(ws, row, 2, first, row - 1, fmt["total_money"], _total(frame, "pv_value"))
    for col in (3, 4, 5):
        ws.write_blank(row, col, None, fmt["total_label"])
    row += 1
    chart = _stacked_chart(ctx)
    if chart is None:
        return row
    ws.insert_chart(start + 1, CHART_COL, chart, CHART_OFFSET)
    return max(row, start + 1 + _chart_rows(charts.HEIGHT))


def _qualitative_section(ctx: Context, ws, page: _Page, row: int) -> int:
    lang, fmt = ctx.lang, ctx.fmt
    qualitative = ctx.results.tables["qualitative"]
    if not len(qualitative):
        return row
    page.block(row)
    _section(ws, fmt, row, T("Opbrengsten die niet in geld zijn uitgedrukt",
                             "Outcomes not valued in money")(lang))
    row += 1
    spans = [(0, 0), (1, 3), (4, 6), (7, LAST_COL)]
    labels = [COLUMNS["stakeholder"][0](lang), COLUMNS["outcome"][0](lang),
              COLUMNS["indicator"][0](lang), COLUMNS["note"][0](lang)]
    for (c1, c2), text in zip(spans, labels, strict=True):
        _merged(ws, row, c1, c2, text, fmt["header"])
    row += 1
    for rec in qualitative.records():
        values = [str(v or "") for v in (rec.stakeholder, rec.outcome, rec.indicator, rec.note)]
        lines = max(_lines(v, _span_chars(c1, c2))
                    for (c1, c2), v in zip(spans, values, strict=True))
        if lines > 1:
            page.set_row(row, 15 * lines)
        for (c1, c2), value in zip(spans, values, strict=True):
            _merged(ws, row, c1, c2, value, fmt["wrap"])  # user text: never a formula
        row += 1
    return row + 1


def _warning_section(ctx: Context, ws, page: _Page, row: int) -> int:
    lang, fmt = ctx.lang, ctx.fmt
    warnings: list[Problem] = list(ctx.results.warnings)
    if not warnings:
        return row
    page.block(row)
    _section(ws, fmt, row, T("Waarschuwingen van check", "Warnings from check")(lang))
    row += 1
    for problem in warnings:
        text = str(problem)
        lines = _lines(text, _span_chars(0, LAST_COL))
        if lines > 1:
            page.set_row(row, 15 * lines)
        _merged(ws, row, 0, LAST_COL, text, fmt["warning_wrap"])
        row += 1
    return row


def _rate_cell(ctx: Context, key: str) -> tuple[str | None, float, str, bool]:
    """Formula (or None), cached value, explanation and frozen flag of a rate cell."""
    head, settings, lang = ctx.results.headline, ctx.results.model.settings, ctx.lang
    value_cell = settings.cell("discount_rate")
    if key == "discount_rate":
        if value_cell is None or settings.discount_rate is None:
            return None, head.discount_rate, HOW["structure"](lang), True
        return _link(value_cell), head.discount_rate, str(value_cell), False
    if not head.discount_inputs:
        return None, 0.0, T("inbreng wordt niet verdisconteerd (instelling)",
                            "inputs are not discounted (setting)")(lang), True
    inputs_cell = settings.cell("discount_rate_inputs")
    if value_cell is None:
        return None, head.input_rate, HOW["structure"](lang), True
    if inputs_cell is None:
        return _link(value_cell), head.input_rate, T(
            f"gelijk aan opbrengsten ({value_cell})", f"same as outcomes ({value_cell})")(
                lang), False
    a = f"{quote_sheetname(inputs_cell.sheet)}!{inputs_cell.ref}"
    v = f"{quote_sheetname(value_cell.sheet)}!{value_cell.ref}"
    return (f"=IF(ISBLANK({a}),{v},{a})", head.input_rate,
            T(f"{inputs_cell}; leeg = {value_cell}", f"{inputs_cell}; blank = {value_cell}")(
                lang), False)


def _sentence(results: Results, lang: str) -> str:
    ratio = results.headline.ratio
    if ratio is None:
        return _no_ratio(lang)
    symbol = _symbol(results)
    if lang == "nl":
        amount = f"{ratio:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        return f"Elke {symbol} 1 inbreng levert {symbol} {amount} maatschappelijke waarde op."
    return f"Every {symbol} 1 invested returns {symbol} {ratio:,.2f} in social value."


def _sentence_formula(results: Results, lang: str, ratio_cell: str) -> str:
    symbol = _symbol(results)
    before, after = T((f"Elke {symbol} 1 inbreng levert {symbol} ",
                       " maatschappelijke waarde op."),
                      (f"Every {symbol} 1 invested returns {symbol} ", " in social value."))(
        lang)
    return (f"=IF(ISNUMBER({ratio_cell}),{_q(before)}&FIXED({ratio_cell},2)&{_q(after)},"
            f"{_q(_no_ratio(lang))})")


def _no_ratio(lang: str) -> str:
    return T("Er is geen inbreng ingevuld, dus geen ratio.",
             "No inputs are entered, so there is no ratio.")(lang)


def _symbol(results: Results) -> str:
    return schema.currency_format(results.model.settings.currency).split('"')[1]


def _year_label(rec, lang: str) -> str:
    year = int(rec.year)
    if year == 0:
        return T("0 (start)", "0 (start)")(lang)
    calendar = getattr(rec, "calendar_year", None)
    if calendar is not None and not _is_blank(calendar):
        return f"{year} ({int(calendar)})"
    return str(year)


def _ratio_formula(ws, row, col, inputs: str, value: str, cached, fmt, style: str,
                   lang: str) -> None:
    """value / inputs, or "n/a" where there are no inputs (the engine's None)."""
    na = NA_SHORT(lang)
    text = f"=IF({inputs}=0,{_q(na)},{value}/{inputs})"
    if _is_blank(cached):
        ws.write_formula(row, col, text, fmt["value_text"], na)
    else:
        ws.write_formula(row, col, text, fmt[style], float(cached))


def _sum(ws, row, col, first, last, style, cached) -> None:
    if last < first:
        ws.write_number(row, col, 0.0, style)
        return
    letter = xl_col_to_name(col)
    ws.write_formula(row, col, f"=SUM({letter}{first + 1}:{letter}{last + 1})", style, cached)


def _section(ws, fmt, row, text) -> None:
    _label(ws, row, 0, text, fmt["section"])
    for col in range(1, 6):
        ws.write_blank(row, col, None, fmt["section"])


def _headers(ws, fmt, page: _Page, row, labels) -> None:
    lines = max(_lines(text, RESULTS_WIDTHS[col]) for col, text in enumerate(labels))
    page.set_row(row, 15 * lines)
    for col, text in enumerate(labels):
        _label(ws, row, col, text, fmt["header"] if col == 0 else fmt["header_right"])


def _merged(ws, row, c1, c2, text, style) -> None:
    if c2 > c1:
        ws.merge_range(row, c1, row, c2, "", style)
    _label(ws, row, c1, text, style)


def _wrapped(ws, page: _Page, row: int, text: str, style) -> None:
    """A name in the first column of the results sheet, on as many lines as it needs."""
    lines = _lines(text, RESULTS_WIDTHS[0] - 1)
    if lines > 1:
        page.set_row(row, 15 * min(lines, MAX_LINES))
    _label(ws, row, 0, text, style)


def _span_chars(c1: int, c2: int) -> float:
    return sum(RESULTS_WIDTHS[c1:c2 + 1])


def _fits(width: float, small: bool = False) -> float:
    """The length of a text that fits on one line of a column ``width`` characters wide."""
    return max(width, 1) / WIDE_FONT * (11 / 9 if small else 1)


def _lines(text: str, width: float, small: bool = False) -> int:
    """Lines a wrapped text needs in a column ``width`` characters wide.

    Counted word by word with a margin for fonts wider than Calibri (LibreOffice without
    Calibri uses DejaVu Sans), so that wrapped text is never cut off.
    """
    chars = _fits(width, small)
    if len(text) <= chars:
        return 1  # fits as a whole (most table cells): no need to count word by word
    lines, used = 1, 0.0
    for word in text.split():
        if used and used + 1 + len(word) > chars:
            lines += 1
            used = len(word)
        else:
            used += (1 if used else 0) + len(word)
        while used > chars:  # a word longer than the line
            lines += 1
            used -= chars
    return lines


def _chart_rows(height_px: int) -> int:
    return math.ceil(height_px / ROW_PX) + 1


def _page_points() -> float:
    """Points of sheet that fit on a page height once the sheet is scaled to the page width.

    The scale is worked out for Calibri's column widths; a wider substitute font (LibreOffice
    without Calibri) makes the columns wider and the scale smaller, so more rows fit: the page
    breaks placed with this estimate then come early, never late.
    """
    pixels = sum(int(w * 7 + 5) for w in RESULTS_WIDTHS)
    width_pt = A4_LANDSCAPE_PT[0] - 72 * (MARGINS_IN["left"] + MARGINS_IN["right"])
    height_pt = A4_LANDSCAPE_PT[1] - 72 * (MARGINS_IN["top"] + MARGINS_IN["bottom"])
    scale = min(1.0, width_pt / (pixels * 0.75))
    return height_pt / scale - 15  # a row's worth of slack for rounding


class _Page:
    """Row heights as written, and page breaks so that no section is split over two pages."""

    def __init__(self, ws):
        self.ws = ws
        self.heights: dict[int, float] = {}
        self.ends: list[int] = []

    def set_row(self, row: int, points: float) -> None:
        self.ws.set_row(row, points)
        self.heights[row] = points

    def block(self, end: int) -> None:
        """Rows from the previous block's end up to ``end`` belong together."""
        self.ends.append(end)

    def breaks(self) -> list[int]:
        page = _page_points()
        out: list[int] = []
        used, start = 0.0, 0
        for end in self.ends:
            height = sum(self.heights.get(r, 15.0) for r in range(start, end))
            if used and used + height > page:
                out.append(start)
                used = 0.0
            used += height
            start = end
        return out


# --------------------------------------------------------------------------------------------
# Charts that need more than a table range
# --------------------------------------------------------------------------------------------


def _stacked_chart(ctx: Context):
    matrix = ctx.matrix
    if not matrix.stakeholders:
        return None
    years = ctx.tables["years"]
    year_key = "calendar_year" if "calendar_year" in years.keys else "year"
    # Year 0 never has outcomes; the chart starts at year 1.
    start = 1 if years.n > 1 else 0
    categories = years.range(year_key, start)
    series = []
    for j, _ in enumerate(matrix.stakeholders):
        col = matrix.first_col + j
        series.append(((years.sheet, years.header_row, col),
                       (years.sheet, years.row(start), col, years.row(years.n - 1), col)))
    return charts.years(ctx.book, ctx.lang, ctx.money_axis, categories, series)


def _cumulative_chart(ctx: Context):
    years = ctx.tables["years"]
    c = ctx.matrix.chart_col
    top = years.header_row + 1
    last = top + max(2 * (years.n - 1), 2) - 1
    sheet = years.sheet
    payback = None
    if ctx.results.headline.payback_years is not None:
        # As long as the other series (see _write_chart_data).
        payback = ((sheet, years.header_row, c + 4), (sheet, top, c + 3, last, c + 3),
                   (sheet, top, c + 4, last, c + 4), (sheet, top, c + 5, last, c + 5))
    x = (sheet, top, c, last, c)
    return charts.cumulative(
        ctx.book, ctx.lang, ctx.money_axis, x, (sheet, top, c + 1, last, c + 1), x,
        (sheet, top, c + 2, last, c + 2), int(ctx.results.headline.last_year), payback)


# --------------------------------------------------------------------------------------------
# The table sheets
# --------------------------------------------------------------------------------------------


class Out(NamedTuple):
    """One cell to write: the engine's value, and the formula that computes it (if any)."""

    value: object
    formula: str | None = None
    frozen: bool = False


def _table_sheet(ctx: Context, key: str, make_row, totals: dict[str, str],
                 block: bool = True) -> Any:
    """Write a planned table; ``make_row(i, rec)`` gives {column key: Out} for row i."""
    lang, fmt = ctx.lang, ctx.fmt
    table = ctx.tables[key]
    frame = ctx.frames[key]
    ws = ctx.add_sheet(key)
    _label(ws, 0, 0, ctx.name(key), fmt["title"])  # the analysis name is in the page header
    scenario = ctx.results.scenario or BASE(lang)
    _label(ws, 1, 0, f"{HEADLINE['scenario'](lang)}: {scenario}", fmt["subtitle"])
    keys = table.keys
    columns = {k: ctx.column(k) for k in keys}
    widths = {k: _width(frame, k, columns[k][0], columns[k][1], wide=k == keys[-1])
              for k in keys}
    span = sum(widths.values())
    for i, line in enumerate(INTROS.get(key, [])):
        # Across the table's width and wrapped, so the print area does not cut it off.
        text = line(lang)
        lines = _lines(text, span)
        if lines > 1:
            ws.set_row(2 + i, 15 * lines)
        _merged(ws, 2 + i, 0, len(keys) - 1, text, fmt["subtitle_wrap"])
    row = table.header_row
    lines = 1
    for c, k in enumerate(keys):
        header, style = columns[k]
        _label(ws, row, c, header, fmt["header"])
        lines = max(lines, _lines(header, widths[k] - 1))
        ws.set_column(c, c, widths[k], fmt["wrap"] if style == "text" else None)
    ws.set_row(row, 15 * lines)
    texts = [k for k in keys if columns[k][1] == "text"]
    ws.freeze_panes(row + 1, 0)
    ws.repeat_rows(row)
    # Per column: key, style, letter, where the value is in a row, and whether a number in it
    # is written as it is (see _spec).
    plan = [(k, columns[k][1], xl_col_to_name(c), frame.columns.index(k),
             columns[k][1] not in ("yesno", "text")) for c, k in enumerate(keys)]
    # Per wrapped column: where, its width, and the length of a text that surely fits on a line.
    wrapped = [(frame.columns.index(k), width, _fits(width))
               for k, width in ((k, widths[k] * WIDE_FONT - 1) for k in texts)]

    def height(rec) -> float | None:
        # Wrapped texts need a taller row; spreadsheet programs do not grow it on opening.
        lines = 1
        for at, width, fits in wrapped:
            text = rec[at]
            if text and len(text := str(text)) > fits:
                lines = max(lines, _lines(text, width))
        return 14.5 * min(lines, MAX_LINES) + 1 if lines > 1 else None

    if block and table.n:
        # The data rows are written by rowxml, made only when the workbook is written. A sheet
        # with more cells beside the table (the per-year matrix) is written cell by cell: a
        # block owns its rows whole.
        def rows(attr: rowxml.Styles) -> Iterator[str]:
            # Numbers and formulas with a number cached are written in line (this loop runs
            # for every cell of the largest tables; a call per cell cost ~60% more), texts by
            # their writer with the column's style looked up once, every other cell as _spec
            # says.
            columns = [(k, style, letter, f'<c r="{letter}', attr[style], at, plain,
                        attr.index(_text_style(k)) if style == "text" else 0)
                       for k, style, letter, at, plain in plan]
            for i, rec in enumerate(frame.records()):
                made = make_row(i, rec)
                number = str(table.row(i) + 1)
                cells = []
                for k, style, letter, start, styled, at, plain, text_xf in columns:
                    out = made.get(k)
                    if out is None:
                        value = rec[at]
                        kind = type(value)
                        if plain and (kind is float and value == value or kind is int):
                            cells.append(f'{start}{number}"{styled}><v>{float(value):.16G}</v>'
                                         "</c>")
                            continue
                        if kind is str and style == "text":
                            cells.append(rowxml.string_cell(letter + number, text_xf, value))
                            continue
                    else:
                        value, text, _ = out
                        if text and type(value) is float and value == value:
                            text = text[1:]
                            if '"' in text or "&" in text or "<" in text or ">" in text:
                                text = rowxml.escape(text)
                            cells.append(f'{start}{number}"{styled}><f>{text}</f>'
                                         f"<v>{value!r}</v></c>")
                            continue
                    cells.append(_cell_xml(letter + number, style, k, rec[at], out, lang,
                                           attr))
                yield rowxml.row_xml(table.row(i), "".join(cells), height(rec))

        styles = {*(style for _, style, _, _, _ in plan), "value_text", "wrap", "explanation"}
        styles |= {f"frozen_{style}" for style in styles if f"frozen_{style}" in fmt}
        ctx.blocks[table.sheet] = rowxml.Block(table.row(0), table.row(table.n - 1), rows,
                                               tuple(sorted(styles)))
    else:
        for i, rec in enumerate(frame.records()):
            made = make_row(i, rec)
            r = table.row(i)
            if (h := height(rec)) is not None:
                ws.set_row(r, h)
            for c, (k, style, _, at, _) in enumerate(plan):
                _write_spec(ws, r, c, _spec(style, k, rec[at], made.get(k), lang), fmt)
    row = table.total_row
    if totals and table.n:
        _label(ws, row, 0, TOTAL(lang), fmt["total_label"])
        for c, k in enumerate(keys[1:], 1):
            if k in totals:
                style = columns[k][1]
                cached = _total(frame, k) if totals[k].startswith("=SUM(") else None
                text = totals[k].format(span=table.span(k, external=False), row=row + 1)
                ws.write_formula(row, c, text, fmt[f"total_{style}"], cached)
            else:
                ws.write_blank(row, c, None, fmt["total_label"])
        row += 1
    ws.autofilter(table.header_row, 0, max(table.header_row + table.n, table.header_row),
                  len(keys) - 1)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, max(row, table.header_row + 1), len(keys) - 1)
    return ws


def _total(table: Rows, key: str) -> float:
    """The sum of a column, blanks counted as 0."""
    # `v == v` is _is_blank for NaN, in line: totals run over every row of the largest tables.
    return float(sum(v for v in table.column(key) if v is not None and v == v))


def _width(table: Rows, key: str, header: str, style: str, wide: bool = False) -> float:
    longest_word = max((len(w) for w in header.split()), default=8) + 2
    if style == "text":
        # Long texts wrap (the column's style) rather than widen the printed page.
        at = table.columns.index(key)
        text = math.ceil(max((len(str(row[at])) for row in table.rows[:300]), default=8)
                         * WIDE_FONT)
        return min(max(text + 2, longest_word, 10), 40 if wide else 24)
    base = {"money": 14, "percent": 10, "factor": 10, "ratio": 10, "integer": 8,
            "number": 12, "yesno": 9}[style]
    return max(base, min(longest_word, 18))


def _text_style(key: str) -> str:
    return "explanation" if key == "explanation" else "wrap"


def _spec(style_name: str, key: str, value, out: Out | None,
          lang: str) -> tuple[str, str, Any, str]:
    """What one table cell holds: (kind, style name, value, formula without '=')."""
    if out is not None and out.formula and not _is_blank(out.value):
        cached = out.value if isinstance(out.value, str) else float(out.value)
        style = style_name if isinstance(cached, float) else "value_text"
        return "formula", style, cached, out.formula.removeprefix("=")
    if _is_blank(value):
        if style_name == "ratio":
            return "string", "value_text", NA_SHORT(lang), ""
        return "blank", style_name, None, ""
    if style_name == "yesno":
        return "string", "wrap", (schema.YES if value else schema.NO)(lang), ""
    if style_name == "text" or isinstance(value, str):
        # User text is never a formula.
        return "string", _text_style(key), str(value), ""
    frozen = out is not None and out.frozen
    return "number", f"frozen_{style_name}" if frozen else style_name, float(value), ""


def _cell_xml(ref: str, style_name: str, key: str, value, out: Out | None, lang: str,
              attr: rowxml.Styles) -> str:
    """One table cell as XML: :func:`_spec` written out."""
    kind, style, value, formula = _spec(style_name, key, value, out, lang)
    xf = attr.index(style)
    if kind == "formula":
        return rowxml.formula_cell(ref, xf, formula, value)
    if kind == "number":
        return rowxml.number_cell(ref, xf, value)
    if kind == "string":
        return rowxml.string_cell(ref, xf, value)
    return rowxml.blank_cell(ref, xf)


def _write_spec(ws, row: int, col: int, spec: tuple[str, str, Any, str], fmt: dict) -> None:
    kind, style, value, formula = spec
    if kind == "formula":
        ws.write_formula(row, col, "=" + formula, fmt[style], value)
    elif kind == "number":
        ws.write_number(row, col, value, fmt[style])
    elif kind == "string":
        ws.write_string(row, col, value, fmt[style])
    else:
        ws.write_blank(row, col, None, fmt[style])


def _linked(source: Source, value) -> Out:
    """A reference to the input cell, or the value marked as fixed."""
    if _is_blank(value):
        return Out(value)
    if source.cell is not None:
        return Out(value, _link(source.cell))
    return Out(value, None, frozen=True)


def write_stakeholders(ctx: Context) -> None:
    trail, inputs = ctx.tables["trail"], ctx.tables["input_trail"]
    table = ctx.tables["stakeholders"]

    def make(i, rec):
        r = table.row(i) + 1
        col = table.letters
        me = f"${col['stakeholder']}{r}"
        out = {"net": Out(rec.net, f"={col['value']}{r}-{col['inputs']}{r}")}
        if inputs.n:
            out["inputs"] = Out(rec.inputs, f"=SUMPRODUCT(({inputs.span('stakeholder')}={me})"
                                            f"*{inputs.span('present_value')})")
        if trail.n:
            out["value"] = Out(rec.value, f"=SUMIF({trail.span('stakeholder')},{me},"
                                          f"{trail.span('present_value')})")
        na = NA_SHORT(ctx.lang)
        out["ratio"] = Out(na if _is_blank(rec.ratio) else rec.ratio,
                           f"=IF({col['inputs']}{r}=0,{_q(na)},{col['value']}{r}/"
                           f"{col['inputs']}{r})")
        if "net_ratio" in col:
            out["net_ratio"] = Out(na if _is_blank(rec.net_ratio) else rec.net_ratio,
                                   f"=IF({col['inputs']}{r}=0,{_q(na)},{col['net']}{r}/"
                                   f"{col['inputs']}{r})")
        return out

    ws = _table_sheet(ctx, "stakeholders", make,
                      {"inputs": "=SUM({span})", "value": "=SUM({span})",
                       "net": "=SUM({span})"})
    # The total ratio divides the totals.
    frame = ctx.frames["stakeholders"]
    r = table.total_row
    if table.n:
        inp, val = _total(frame, "inputs"), _total(frame, "value")
        _ratio_formula(ws, r, table.col("ratio"), table.total("inputs", external=False),
                       table.total("value", external=False), val / inp if inp else None,
                       ctx.fmt, "total_ratio", ctx.lang)
        if "net_ratio" in table.keys:
            net = _total(frame, "net")
            _ratio_formula(ws, r, table.col("net_ratio"), table.total("inputs", external=False),
                           table.total("net", external=False), net / inp if inp else None,
                           ctx.fmt, "total_ratio", ctx.lang)


def write_outcomes(ctx: Context) -> None:
    table, trail = ctx.tables["outcomes"], ctx.tables["trail"]
    rows_of: dict[int, list[int]] = {}
    for j, number in enumerate(ctx.frames["trail"].column("outcome_no")):
        rows_of.setdefault(int(number), []).append(j)
    total_pv = table.total("present_value", external=False)
    col = table.letters
    figures = ("quantity", "proxy", "deadweight", "attribution", "displacement", "dropoff")
    # Formulas with "#" for the row number (no cell reference holds one).
    claim = (f"=(1-{col['deadweight']}#)*(1-{col['displacement']}#)*(1-{col['attribution']}#)")
    share = f"=IF({total_pv}=0,0,{col['present_value']}#/{total_pv})"

    def make(i, rec):
        r = str(table.row(i) + 1)
        out: dict[str, Out] = {}
        mine = rows_of.get(int(rec.outcome_no), [])
        if mine:
            a, z = mine[0], mine[-1] + 1
            for key in figures:
                out[key] = Out(getattr(rec, key), f"={trail.ref(key, a, external=True)}")
            out["claim"] = Out(rec.claim, claim.replace("#", r))
            # Gross value of every year of occurrence: a trail row covers occurs_to -
            # occurs_from + 1 of them.
            out["gross"] = Out(rec.gross, f"=SUMPRODUCT({trail.span('gross', a, z)},"
                                          f"{trail.span('occurs_to', a, z)}-"
                                          f"{trail.span('occurs_from', a, z)}+1)")
            out["value"] = Out(rec.value, f"=SUM({trail.span('value', a, z)})")
            out["present_value"] = Out(rec.present_value,
                                       f"=SUM({trail.span('present_value', a, z)})")
        out["share"] = Out(rec.share, share.replace("#", r))
        return out

    _table_sheet(ctx, "outcomes", make,
                 {"gross": "=SUM({span})", "value": "=SUM({span})",
                  "present_value": "=SUM({span})", "share": "=SUM({span})"})


def write_years(ctx: Context) -> None:
    table, trail, inputs = ctx.tables["years"], ctx.tables["trail"], ctx.tables["input_trail"]
    rate_value, rate_inputs = ctx.cells["rate_value"], ctx.cells["rate_inputs"]
    col = table.letters
    payback_col = col["payback"]
    first = table.row(0) + 1

    def make(i, rec):
        r = table.row(i) + 1
        year = f"{col['year']}{r}"
        out = {
            "discount_factor_inputs": Out(rec.discount_factor_inputs,
                                          f"=1/(1+{rate_inputs})^{year}"),
            "discount_factor_value": Out(rec.discount_factor_value,
                                         f"=1/(1+{rate_value})^{year}"),
            "pv_inputs": Out(rec.pv_inputs, f"={col['inputs']}{r}*"
                                            f"{col['discount_factor_inputs']}{r}"),
            "pv_value": Out(rec.pv_value, f"={col['value']}{r}*{col['discount_factor_value']}{r}"),
            "cumulative_net": Out(rec.cumulative_net, f"={col['cumulative_pv_value']}{r}-"
                                                      f"{col['cumulative_pv_inputs']}{r}"),
        }
        if inputs.n:
            out["inputs"] = Out(rec.inputs, f"=SUMIF({inputs.span('year')},{year},"
                                            f"{inputs.span('amount')})")
        key = f"{YEAR_KEY}{rec.year}"
        if trail.n and key in trail.keys:
            out["value"] = Out(rec.value, f"=SUM({trail.span(key)})")
        for key, source in (("cumulative_pv_inputs", "pv_inputs"),
                            ("cumulative_pv_value", "pv_value")):
            text = (f"={col[source]}{r}" if i == 0 else
                    f"={col[key]}{r - 1}+{col[source]}{r}")
            out[key] = Out(getattr(rec, key), text)
        cum_in, cum_val = col["cumulative_pv_inputs"], col["cumulative_pv_value"]
        dash = _q(NO_PAYBACK)
        if i == 0:
            text = f"=IF(AND({cum_in}{r}>0,{cum_val}{r}>={cum_in}{r}),0,{dash})"
        else:
            owed = f"({cum_in}{r}-{cum_val}{r - 1})"
            earned = f"({cum_val}{r}-{cum_val}{r - 1})"
            text = (f"=IF(AND({cum_val}{r}>={cum_in}{r},COUNT({payback_col}${first}:"
                    f"{payback_col}{r - 1})=0),IF({owed}<=0,{year}-1,{year}-1+{owed}/{earned}),"
                    f"{dash})")
        out["payback"] = Out(rec.payback, text)
        return out

    ws = _table_sheet(ctx, "years", make,
                      {"inputs": "=SUM({span})", "value": "=SUM({span})",
                       "pv_inputs": "=SUM({span})", "pv_value": "=SUM({span})"}, block=False)
    _write_matrix(ctx, ws)
    _write_chart_data(ctx, ws)


def _write_matrix(ctx: Context, ws) -> None:
    """Present value per year and stakeholder, summed from the trail (the stacked chart)."""
    table, trail = ctx.tables["years"], ctx.tables["trail"]
    fmt, lang = ctx.fmt, ctx.lang
    names = ctx.matrix.stakeholders
    if not names:
        return
    c0 = ctx.matrix.first_col
    factors = ctx.results.tables["years"].column("discount_factor_value")
    by: dict[tuple[str, int], float] = {}
    for rec in ctx.results.tables["cohorts"].records():
        for year, value in enumerate(rec.values):
            if value:
                key = (rec.stakeholder, year)
                by[key] = by.get(key, 0.0) + value * factors[year]
    total_col = c0 + len(names)
    _merged(ws, table.header_row - 1, c0, total_col, T(
        "Contante waarde per belanghebbende", "Present value by stakeholder")(lang),
        fmt["label_wrap"])
    for j, who in enumerate(names):
        c = c0 + j
        _label(ws, table.header_row, c, who, fmt["header"])
        ws.set_column(c, c, max(14, min(len(who) + 2, 24)))
    _label(ws, table.header_row, total_col, TOTAL(lang), fmt["header"])
    ws.set_column(total_col, total_col, 14)
    frame = ctx.frames["years"]
    for i, year in enumerate(frame.column("year")):
        r = table.row(i)
        key = f"{YEAR_KEY}{year}"
        for j, who in enumerate(names):
            c = c0 + j
            head = xl_rowcol_to_cell(table.header_row, c, True, False)
            cached = float(by.get((who, int(year)), 0.0))
            if key not in trail.keys:  # year 0: outcomes count from year 1
                ws.write_number(r, c, cached, fmt["money"])
                continue
            factor = xl_rowcol_to_cell(trail.header_row - 1, trail.col(key), True, True)
            text = (f"=SUMIF({trail.span('stakeholder')},{head},{trail.span(key)})*"
                    f"{quote_sheetname(trail.sheet)}!{factor}")
            ws.write_formula(r, c, text, fmt["money"], cached)
        span = f"{xl_col_to_name(c0)}{r + 1}:{xl_col_to_name(total_col - 1)}{r + 1}"
        ws.write_formula(r, total_col, f"=SUM({span})", fmt["money"],
                         float(sum(by.get((who, int(year)), 0.0) for who in names)))
    r = table.total_row
    for c in range(c0, total_col + 1):
        letter = xl_col_to_name(c)
        cached = (sum(v for (who, _), v in by.items() if who == names[c - c0])
                  if c < total_col else sum(by.values()))
        span = f"{letter}{table.row(0) + 1}:{letter}{table.row(table.n - 1) + 1}"
        ws.write_formula(r, c, f"=SUM({span})", fmt["total_money"], cached)
    ws.print_area(0, 0, table.total_row, total_col)


def _write_chart_data(ctx: Context, ws) -> None:
    """Points of the cumulative chart: inputs as steps, value as a line, the payback point."""
    table = ctx.tables["years"]
    fmt, lang = ctx.fmt, ctx.lang
    frame = ctx.frames["years"]
    c = ctx.matrix.chart_col
    top = table.header_row + 1
    col = table.letters
    _label(ws, table.header_row - 1, c, T("Gegevens voor de grafiek met cumulatieve waarden "
                                          "(niet afgedrukt)",
                                          "Data of the cumulative chart (not printed)")(lang),
           fmt["subtitle"])
    payback = ctx.results.headline.payback_years
    # One x column for both lines (LibreOffice draws scatter series with different x ranges
    # wrongly): inputs step at the start of each year, value runs straight between year ends.
    headers = [T("x (jaren)", "x (years)"), charts.CUM_INPUTS, charts.CUM_VALUE,
               T("x terugverdiend", "x payback")]
    for j, text in enumerate(headers):
        _label(ws, table.header_row, c + j, text(lang), fmt["header"])
    ws.set_column(c, c + 4, 14)
    cum_in = frame.column("cumulative_pv_inputs")
    cum_val = frame.column("cumulative_pv_value")
    row = top
    for t in range(1, table.n):
        for x in (t - 1, t):
            ws.write_number(row, c, x, fmt["integer"])
            ws.write_formula(row, c + 1, f"={col['cumulative_pv_inputs']}{table.row(t) + 1}",
                             fmt["money"], cum_in[t])
            ws.write_formula(row, c + 2, f"={col['cumulative_pv_value']}{table.row(x) + 1}",
                             fmt["money"], cum_val[x])
            row += 1
    if payback is None:
        return
    # A vertical line from the axis up to where value meets the inputs step, named (in the
    # legend) by the payback moment.
    span = table.span("payback", external=False)
    x_cell = xl_rowcol_to_cell(top, c + 3)
    crossing = next(i for i, v in enumerate(frame.column("payback")) if not isinstance(v, str))
    name = T(("Terugverdiend na ", " jaar"), ("Payback after ", " years"))(lang)
    shown = f"{payback:.1f}".replace(".", ",") if lang == "nl" else f"{payback:.1f}"
    ws.write_formula(table.header_row, c + 4, f"={_q(name[0])}&FIXED({x_cell},1)&{_q(name[1])}",
                     fmt["header"], f"{name[0]}{shown}{name[1]}")
    ws.write_formula(top, c + 3, f"=IF(COUNT({span})=0,NA(),SUM({span}))", fmt["ratio"],
                     payback)
    levels = table.span("cumulative_pv_inputs", external=False)
    level_cell = xl_rowcol_to_cell(top + 1, c + 4)
    ws.write_number(top, c + 4, 0, fmt["money"])
    ws.write_formula(top + 1, c + 4, f"=SUMPRODUCT(ISNUMBER({span})*{levels})", fmt["money"],
                     cum_in[crossing])
    # Every series of a scatter chart as long as the others and without blanks: LibreOffice
    # pads shorter series with zeros in some workbooks. The repeated points coincide.
    for r in range(top, top + max(2 * (table.n - 1), 2)):
        if r > top:
            ws.write_formula(r, c + 3, f"={x_cell}", fmt["ratio"], payback)
        if r > top + 1:
            ws.write_formula(r, c + 4, f"={level_cell}", fmt["money"], cum_in[crossing])
        ws.write_formula(r, c + 5, f"={level_cell}", fmt["money"], cum_in[crossing])


def write_trail(ctx: Context) -> None:
    table = ctx.tables["trail"]
    sources = ctx.sources["trail"]
    years = [k for k in table.keys if k.startswith(YEAR_KEY)]
    factor_row = table.header_row - 1
    factors = {k: xl_rowcol_to_cell(factor_row, table.col(k), True, False) for k in years}

    col = table.letters
    # Every formula of a row, with "#" for its row number (no cell reference holds one): the
    # year columns' formulas depend only on the row's run of years and duration.
    row_formulas = [
        ("gross", f"={col['quantity']}#*{col['proxy']}#"),
        ("claim", f"=(1-{col['deadweight']}#)*(1-{col['displacement']}#)"
                  f"*(1-{col['attribution']}#)"),
        ("impact", f"={col['gross']}#*{col['claim']}#"),
    ]
    if years:
        span = f"{col[years[0]]}#:{col[years[-1]]}#"
        row_formulas += [("value", f"=SUM({span})"), ("present_value", f"=SUMPRODUCT("
                         f"{span},{factors[years[0]]}:{factors[years[-1]]})")]
    shapes: dict[tuple[int, int, int], list[tuple[str, str]]] = {}

    def year_formulas(first: int, last: int, duration: int) -> list[tuple[str, str]]:
        impact, dropoff = f"{col['impact']}#", f"{col['dropoff']}#"
        found = []
        for key in years:
            ages = counted_ages(first, last, duration, int(key.removeprefix(YEAR_KEY)))
            if ages:
                # The cohorts of this row still counting in this year, youngest first.
                terms = "+".join("1" if a == 0 else f"(1-{dropoff})" if a == 1
                                 else f"(1-{dropoff})^{a}" for a in ages)
                found.append((key, f"={impact}" if terms == "1" else f"={impact}*({terms})"))
        return found + row_formulas

    def make(i, rec):
        r = str(table.row(i) + 1)
        found = sources[i]
        out = {key: _linked(found[key], getattr(rec, key)) for key in found}
        shape = (rec.occurs_from, rec.occurs_to, rec.duration)
        if shape not in shapes:
            shapes[shape] = year_formulas(*shape)
        for key, text in shapes[shape]:
            out[key] = Out(getattr(rec, key), text.replace("#", r))
        return out

    totals = {k: "=SUM({span})" for k in (*years, "value", "present_value")}
    ws = _table_sheet(ctx, "trail", make, totals)
    if not years:
        return
    # The discount factor of each year, above its column: the present values use these.
    fmt = ctx.fmt
    first_year = table.col(years[0])
    _merged(ws, factor_row, 0, first_year - 1, T(
        "Disconteringsfactor per jaar = 1 / (1 + r)^jaar", "Discount factor per year = "
        "1 / (1 + r)^year")(ctx.lang), fmt["label_right"])
    rate = ctx.cells["rate_value"]
    head = ctx.results.tables["years"].column("discount_factor_value")
    for key in years:
        year = int(key.removeprefix(YEAR_KEY))
        ws.write_formula(factor_row, table.col(key), f"=1/(1+{rate})^{year}", fmt["factor"],
                         head[year])


def write_input_trail(ctx: Context) -> None:
    table = ctx.tables["input_trail"]
    sources = ctx.sources["input_trail"]
    rate = ctx.cells["rate_inputs"]

    def make(i, rec):
        r = table.row(i) + 1
        col = table.letters
        found = sources[i]
        out = {"hours": _linked(found["hours"], rec.hours),
               "rate": _linked(found["rate"], rec.rate)}
        if _is_blank(rec.hours):
            out["amount"] = _linked(found["amount"], rec.amount)
        else:
            out["amount"] = Out(rec.amount, f"={col['hours']}{r}*{col['rate']}{r}")
        out["discount_factor"] = Out(rec.discount_factor, f"=1/(1+{rate})^{col['year']}{r}")
        out["present_value"] = Out(rec.present_value,
                                   f"={col['amount']}{r}*{col['discount_factor']}{r}")
        return out

    _table_sheet(ctx, "input_trail", make,
                 {"amount": "=SUM({span})", "present_value": "=SUM({span})"})
