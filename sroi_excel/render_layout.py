"""What every result sheet shares: the texts and columns of the tables, where each table
will be (planned before any sheet is written, so a sheet can refer to one written after it),
the tables' rows as they are written, the cell formats and print setup, and small writers.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from . import __version__, charts, rowxml, schema
from .core import counted_ages
from .engine import Results, Rows
from .links import Linker, Reason, Source
from .model import Cell
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
    "categories": [T(
        "De belanghebbenden hierboven opgeteld per categorie (tabblad Belanghebbenden, kolom "
        "Categorie); een categorie in het Engels of met andere hoofdletters telt als dezelfde. "
        "Aandelen: van de totale inbreng en opbrengsten. Na het wijzigen van een categorie "
        "opnieuw fill uitvoeren.",
        "The stakeholders above summed by category (Stakeholders sheet, column Category); a "
        "category typed in Dutch or in another case counts as the same. Shares: of the total "
        "inputs and outcomes. Run fill again after changing a category.")],
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


def column_header(key: str, lang: str, first_year: int | None = None) -> tuple[str, str]:
    """A result column's header and style; the trail's year columns say the calendar year
    when the settings give one."""
    if key in COLUMNS:
        header, style = COLUMNS[key]
        return header(lang), style
    year = int(key.removeprefix(YEAR_KEY))
    header = f"{COLUMNS['year'][0](lang)} {year}"
    return (f"{header} ({first_year + year - 1})" if first_year else header), "money"


def fill_date() -> dt.date:
    """The date the result sheets carry: today's, or SOURCE_DATE_EPOCH's."""
    # SOURCE_DATE_EPOCH makes fills reproducible to the byte (tests, archives).
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


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
        return cls(book, results, lang, today, formats(book, currency),
                   analysis_title(results, lang), currency,
                   schema.currency_format(settings.currency, 0), frames, tables, sources,
                   _plan_matrix(results, tables["years"], frames["trail"]))

    def name(self, key: str) -> str:
        return RESULT_SHEETS[key](self.lang)

    def column(self, key: str) -> tuple[str, str]:
        """A result column's header in this language, and its style."""
        return column_header(key, self.lang, self.results.model.settings.first_year)

    def add_sheet(self, key: str):
        ws = self.book.add_worksheet(self.name(key))
        print_setup(ws, self.title, self.lang)
        return ws


def _header_row(key: str) -> int:
    # title, subtitle, the intro lines, a blank row, then the header
    return 2 + len(INTROS.get(key, [])) + 1


def _frames(results: Results, lang: str) -> tuple[dict[str, Rows], dict]:
    """The tables as they will be written, and where each trail figure came from."""
    tables = results.tables
    linker = Linker(results.model, results.scenario)
    years = tables["years"]
    if all(v is None for v in years.column("calendar_year")):
        years = _dropped(years, "calendar_year")
    payback = _payback_candidates(years.column("cumulative_pv_inputs"),
                                  years.column("cumulative_pv_value"))
    years = Rows((*years.columns, "payback"),
                 [(*row, p) for row, p in zip(years.rows, payback, strict=True)])
    trail, trail_sources = _trail(results, linker, lang)
    input_trail, input_sources = _input_trail(results, linker, lang)
    frames = {"stakeholders": category_labels(tables["stakeholders"], lang),
              "outcomes": _reordered(tables["outcomes"], "proxy_source"), "years": years,
              "trail": trail, "input_trail": input_trail}
    return frames, {"trail": trail_sources, "input_trail": input_sources}


def _trail(results: Results, linker: Linker, lang: str) -> tuple[Rows, list[dict[str, Source]]]:
    """One row per outcome and run of years of occurrence with the same figures, a column per
    year counted (1 .. last year) instead of the engine's tuple of values; and where each row's
    figures came from."""
    model = results.model
    cohorts = results.tables["cohorts"]
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
    return Rows(columns, rows), trail_sources


def _input_trail(results: Results, linker: Linker, lang: str
                 ) -> tuple[Rows, list[dict[str, Source]]]:
    """One row per input and year, with hours and rate; and where its figures came from."""
    model = results.model
    rows = []
    input_sources = []
    for rec in results.tables["inputs"].records():
        item = model.inputs[rec.input_no - 1]
        t = max(int(rec.year), 0)
        hours, rate = rec.hours, rec.rate
        found = {"hours": linker.source(item.hours, t), "rate": linker.source(item.rate, t),
                 "amount": linker.source(item.amount, t)}
        input_sources.append(found)
        rows.append((rec.input_no, rec.stakeholder, rec.description,
                     schema.INPUT_KINDS[rec.kind](lang) if rec.kind in schema.INPUT_KINDS
                     else rec.kind, rec.year, hours, rate, rec.amount, rec.discount_factor,
                     rec.present_value, _reasons_text(found.values(), lang)))
    return Rows(["input_no", "stakeholder", "description", "kind", "year", "hours", "rate",
                 "amount", "discount_factor", "present_value", "explanation"], rows), input_sources


def category_labels(table: Rows, lang: str) -> Rows:
    """``table`` with its categories as the sheet shows them (schema.category_label)."""
    if "category" not in table.columns:
        return table
    at = table.columns.index("category")
    return Rows(table.columns, [(*row[:at], schema.category_label(row[at], lang), *row[at + 1:])
                                for row in table.rows])


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


FROZEN = {"italic": True, "bg_color": "#E7E6E6", "font_color": "#404040"}


def formats(book: Workbook, currency: str) -> dict[str, Format]:
    """The result sheets' cell formats by name, added to ``book``; amounts in ``currency``."""
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


def analysis_title(results: Results, lang: str) -> str:
    """The analysis name, which heads every result sheet and its printed pages."""
    return results.model.settings.name or T("SROI-analyse", "SROI analysis")(lang)


def print_setup(ws: Worksheet, title: str, lang: str) -> None:
    """A4 landscape with the sheets' margins, ``title`` and the sheet name in the page header,
    the tool's version and the page numbers in the footer."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.set_margins(**MARGINS_IN)
    # Header/footer codes: && is a literal ampersand; Excel caps the string at 255 characters.
    safe = title.replace("&", "&&")[:120]
    ws.set_header(f"&L&\"{schema.FONT},Bold\"{safe}&R&A")
    ws.set_footer("&Lsroi-excel " + __version__
                  + "&R" + T("Pagina &P van &N", "Page &P of &N")(lang))


def write_label(ws: Worksheet, row: int, col: int, text: object, style: Format) -> None:
    """Text in a cell, never read as a formula."""
    ws.write_string(row, col, str(text), style)  # our labels and user text: never a formula


def literal(text: str) -> str:
    """A text as an Excel string literal."""
    return '"' + text.replace('"', '""') + '"'


def link(cell: Cell) -> str:
    """A formula that shows an input cell."""
    return f"={_quoted(cell.sheet)}!{cell.ref}"


@functools.lru_cache(maxsize=64)
def _quoted(sheet: str) -> str:
    return quote_sheetname(sheet)  # once per sheet, not once per linked cell


def is_blank(value: object) -> bool:
    """Whether a table value is missing (None, or NaN as pandas has it)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def ratio_formula(ws: Worksheet, row: int, col: int, inputs: str, value: str,
                  cached: float | None, fmt: dict[str, Format], style: str, lang: str) -> None:
    """value / inputs, or "n/a" where there are no inputs (the engine's None)."""
    na = NA_SHORT(lang)
    text = f"=IF({inputs}=0,{literal(na)},{value}/{inputs})"
    if is_blank(cached):
        ws.write_formula(row, col, text, fmt["value_text"], na)
    else:
        ws.write_formula(row, col, text, fmt[style], float(cached))


def write_merged(ws: Worksheet, row: int, c1: int, c2: int, text: str, style: Format) -> None:
    """Text across columns ``c1``..``c2`` of a row."""
    if c2 > c1:
        ws.merge_range(row, c1, row, c2, "", style)
    write_label(ws, row, c1, text, style)


def fits(width: float, small: bool = False) -> float:
    """The length of a text that fits on one line of a column ``width`` characters wide."""
    return max(width, 1) / WIDE_FONT * (11 / 9 if small else 1)


def line_count(text: str, width: float, small: bool = False) -> int:
    """Lines a wrapped text needs in a column ``width`` characters wide.

    Counted word by word with a margin for fonts wider than Calibri (LibreOffice without
    Calibri uses DejaVu Sans), so that wrapped text is never cut off.
    """
    chars = fits(width, small)
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


def column_total(table: Rows, key: str) -> float:
    """The sum of a column, blanks counted as 0."""
    # `v == v` is is_blank for NaN, in line: totals run over every row of the largest tables.
    return float(sum(v for v in table.column(key) if v is not None and v == v))
