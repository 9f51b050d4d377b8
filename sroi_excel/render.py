"""Results -> result sheets, as a separate .xlsx made with xlsxwriter.

The packager merges these sheets into the user's workbook. Arithmetic that a controller should
be able to follow (gross = quantity x proxy, present value = value x discount factor, totals)
is written as Excel formulas over the neighbouring cells, each with the engine's value cached,
so every reader sees the figure and Excel shows how it was made.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from . import __version__, schema
from .engine import Results
from .exceptions import Problem
from .schema import RESULT_COLUMNS, RESULT_SHEETS, STYLES, Text

T = Text  # short alias for the many labels below

HEADLINE = {
    "ratio": T("SROI-ratio (contante waarde opbrengsten / contante waarde inbreng)",
               "SROI ratio (PV of outcomes / PV of inputs)"),
    "net_ratio": T("Netto SROI-ratio ((opbrengsten - inbreng) / inbreng)",
                   "Net SROI ratio ((outcomes - inputs) / inputs)"),
    "pv_value": T("Contante waarde opbrengsten", "Present value of outcomes"),
    "pv_inputs": T("Contante waarde inbreng", "Present value of inputs"),
    "npv": T("Netto contante waarde (opbrengsten - inbreng)", "Net present value (NPV)"),
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
NOT_REACHED = T("niet binnen de horizon", "not reached within the horizon")
NOT_APPLICABLE = T("n.v.t. (geen inbreng)", "n/a (no inputs)")
BASE = T("basiswaarden", "base values")
TOTAL = T("Totaal", "Total")


def render_results(results: Results, lang: str | None = None,
                   today: dt.date | None = None) -> bytes:
    """The result sheets as .xlsx bytes (only the tool's own sheets)."""
    lang = lang or results.model.language
    today = today or _today()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True,
                                     "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    book.set_properties({"created": dt.datetime(today.year, today.month, today.day)})
    currency = schema.currency_format(results.model.settings.currency)
    fmt = _formats(book, currency)
    _results_sheet(book, fmt, results, lang, today)
    stakeholders = results.stakeholders
    _table_sheet(book, fmt, results, lang, "stakeholders", stakeholders,
                 _stakeholder_formulas, totals=("inputs", "value", "net"))
    _table_sheet(book, fmt, results, lang, "outcomes", results.outcomes.drop(
        columns=["proxy_source"]), _outcome_formulas,
        totals=("gross", "value", "present_value", "share"))
    _table_sheet(book, fmt, results, lang, "years", _years_frame(results), _year_formulas,
                 totals=("inputs", "value", "pv_inputs", "pv_value"))
    _table_sheet(book, fmt, results, lang, "trail", results.trail, _trail_formulas,
                 totals=("value", "present_value"), intro=_trail_intro(lang))
    book.close()
    return out.getvalue()


def sheet_names(lang: str) -> list[str]:
    """The names of the result sheets in a workbook of this language, in order."""
    return [text(lang) for text in RESULT_SHEETS.values()]


def _today() -> dt.date:
    # SOURCE_DATE_EPOCH makes fills reproducible to the byte (tests, archives).
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def _formats(book, currency: str) -> dict:
    base = {"font_name": schema.FONT}
    fmt = {name: book.add_format({**base, **props}) for name, props in STYLES.items()}
    fmt["money"] = book.add_format({**base, "num_format": currency})
    fmt["total_money"] = book.add_format({**base, **STYLES["total_number"],
                                          "num_format": currency})
    fmt["total_percent"] = book.add_format({**base, **STYLES["total_number"],
                                            "num_format": "0.0%"})
    fmt["big_money"] = book.add_format({**base, "bold": True, "num_format": currency})
    fmt["big_ratio"] = book.add_format({**base, **STYLES["big_ratio"]})
    fmt["yesno"] = fmt["text"]
    return fmt


def _setup(ws, title: str, lang: str, landscape: bool = True) -> None:
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    safe = title.replace("&", "&&")
    ws.set_header(f"&L&\"Calibri,Bold\"{safe}&R&A")
    ws.set_footer("&L" + T("sroi-excel ", "sroi-excel ")(lang) + __version__
                  + "&R" + T("Pagina &P van &N", "Page &P of &N")(lang))


def _label(ws, row, col, text, style):
    ws.write_string(row, col, str(text), style)


def _results_sheet(book, fmt, results: Results, lang: str, today: dt.date) -> None:
    settings = results.model.settings
    head = results.headline
    ws = book.add_worksheet(RESULT_SHEETS["results"](lang))
    title = settings.name or T("SROI-analyse", "SROI analysis")(lang)
    _setup(ws, title, lang, landscape=False)
    ws.set_column(0, 0, 66)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 34)
    _label(ws, 0, 0, title, fmt["title"])
    kind = schema.ANALYSIS_TYPES.get(settings.analysis_type, schema.ANALYSIS_TYPES["forecast"])
    sub = " · ".join(x for x in (settings.organisation, kind(lang)) if x)
    _label(ws, 1, 0, sub, fmt["subtitle"])
    sentence = _sentence(results, lang)
    _label(ws, 2, 0, sentence, fmt["label"])
    row = 4
    if settings.note:
        ws.set_row(3, 15 * (1 + len(settings.note) // 110))
        ws.merge_range(3, 0, 3, 2, "", fmt["note"])
        ws.write_string(3, 0, settings.note, fmt["note"])  # user text: never a formula
        row = 5
    rows = [
        ("ratio", head.ratio, "big_ratio"),
        ("net_ratio", head.net_ratio, "big_ratio"),
        ("pv_value", head.pv_value, "big_money"),
        ("pv_inputs", head.pv_inputs, "big_money"),
        ("npv", head.npv, "big_money"),
        ("payback", head.payback_years, "ratio"),
        ("value_nominal", head.value_nominal, "money"),
        ("inputs_nominal", head.inputs_nominal, "money"),
        ("discount_rate", head.discount_rate, "rate"),
        ("input_rate", head.input_rate, "rate"),
        ("horizon", head.years, "integer"),
        ("price_year", settings.price_year, "integer"),
        ("scenario", head.scenario or BASE(lang), "text"),
        ("computed", f"{today.isoformat()} · sroi-excel {__version__}", "text"),
    ]
    cells = {}
    for key, value, style in rows:
        _label(ws, row, 0, HEADLINE[key](lang), fmt["label"])
        cells[key] = xl_rowcol_to_cell(row, 1)
        if key in ("ratio", "net_ratio") and value is None:
            _label(ws, row, 1, NOT_APPLICABLE(lang), fmt["text"])
        elif key == "payback" and value is None:
            reason = NOT_REACHED(lang) if head.pv_inputs else NOT_APPLICABLE(lang)
            _label(ws, row, 1, reason, fmt["text"])
        elif value is None:
            ws.write_blank(row, 1, None, fmt["text"])
        elif isinstance(value, str):
            _label(ws, row, 1, value, fmt[style])
        else:
            ws.write_number(row, 1, value, fmt[style])
        row += 1
    note_rate = T(
        "Inbreng in latere jaren is verdisconteerd." if head.discount_inputs else
        "Inbreng telt tegen nominale waarde (niet verdisconteerd).",
        "Inputs in later years are discounted." if head.discount_inputs else
        "Inputs count at face value (not discounted).")(lang)
    _label(ws, row, 0, note_rate, fmt["note"])
    row += 2
    qualitative = results.qualitative
    if len(qualitative):
        _label(ws, row, 0, T("Opbrengsten die niet in geld zijn uitgedrukt",
                             "Outcomes not valued in money")(lang), fmt["label"])
        row += 1
        for col, key in enumerate(("stakeholder", "outcome", "indicator")):
            _label(ws, row, col, RESULT_COLUMNS[key][0](lang), fmt["header"])
        row += 1
        for rec in qualitative.itertuples(index=False):
            for col, value in enumerate((rec.stakeholder, rec.outcome, rec.indicator)):
                _label(ws, row, col, value, fmt["wrap"])
            row += 1
        row += 1
    warnings: list[Problem] = list(results.warnings)
    if warnings:
        _label(ws, row, 0, T("Waarschuwingen", "Warnings")(lang), fmt["label"])
        row += 1
        for problem in warnings:
            _label(ws, row, 0, str(problem), fmt["warning"])
            row += 1
    ws.print_area(0, 0, max(row, 20), 2)


def _sentence(results: Results, lang: str) -> str:
    ratio = results.headline.ratio
    if ratio is None:
        return T("Er is geen inbreng ingevuld, dus geen ratio.",
                 "No inputs are entered, so there is no ratio.")(lang)
    symbol = schema.currency_format(results.model.settings.currency).split('"')[1]
    if lang == "nl":
        amount = f"{ratio:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        return f"Elke {symbol} 1 inbreng levert {symbol} {amount} maatschappelijke waarde op."
    return f"Every {symbol}1 invested returns {symbol}{ratio:,.2f} in social value."


def _years_frame(results: Results):
    frame = results.years.copy()
    if frame["calendar_year"].isna().all():
        frame = frame.drop(columns=["calendar_year"])
    return frame


def _trail_intro(lang: str) -> list[str]:
    return [
        T("Rekenspoor: per opbrengst, per jaar waarin het effect optreedt en per jaar waarin "
          "het meetelt.",
          "Calculation trail: per outcome, per year in which it occurs and per year in which "
          "it counts.")(lang),
        T("Bruto waarde = aantal x proxy; impact claim = (1 - deadweight) x (1 - verplaatsing)"
          " x (1 - attributie); waarde = bruto x impact claim x (1 - uitdoving)^jaren na "
          "optreden; contante waarde = waarde x disconteringsfactor = waarde / (1 + r)^jaar.",
          "Gross value = quantity x proxy; impact claim = (1 - deadweight) x (1 - displacement)"
          " x (1 - attribution); value = gross x impact claim x (1 - drop-off)^years since; "
          "present value = value x discount factor = value / (1 + r)^year.")(lang),
    ]


# Formula makers: given the column letters of a row, the formula text for a key (or None).
def _trail_formulas(col, r):
    return {
        "gross": f"={col['quantity']}{r}*{col['proxy']}{r}",
        "claim": f"=(1-{col['deadweight']}{r})*(1-{col['displacement']}{r})"
                 f"*(1-{col['attribution']}{r})",
        "impact": f"={col['gross']}{r}*{col['claim']}{r}",
        "persistence": f"=(1-{col['dropoff']}{r})^{col['age']}{r}",
        "value": f"={col['impact']}{r}*{col['persistence']}{r}",
        "present_value": f"={col['value']}{r}*{col['discount_factor']}{r}",
    }


def _year_formulas(col, r):
    formulas = {
        "pv_inputs": f"={col['inputs']}{r}*{col['discount_factor_inputs']}{r}",
        "pv_value": f"={col['value']}{r}*{col['discount_factor_value']}{r}",
        "cumulative_net": f"={col['cumulative_pv_value']}{r}-{col['cumulative_pv_inputs']}{r}",
    }
    return formulas


def _stakeholder_formulas(col, r):
    return {"net": f"={col['value']}{r}-{col['inputs']}{r}"}


def _outcome_formulas(col, r):
    return {}


def _table_sheet(book, fmt, results: Results, lang: str, key: str, frame, formulas,
                 totals=(), intro: list[str] | None = None) -> None:
    settings = results.model.settings
    ws = book.add_worksheet(RESULT_SHEETS[key](lang))
    title = settings.name or T("SROI-analyse", "SROI analysis")(lang)
    _setup(ws, title, lang)
    keys = list(frame.columns)
    col = {k: xl_col_to_name(i) for i, k in enumerate(keys)}
    row = 0
    _label(ws, row, 0, f"{RESULT_SHEETS[key](lang)} · {title}", fmt["title"])
    row += 1
    scenario = results.scenario or BASE(lang)
    _label(ws, row, 0, f"{HEADLINE['scenario'](lang)}: {scenario}", fmt["subtitle"])
    row += 1
    for line in intro or ():
        _label(ws, row, 0, line, fmt["subtitle"])  # not wrapped: it runs across the columns
        row += 1
    row += 1
    header_row = row
    for c, k in enumerate(keys):
        _label(ws, row, c, RESULT_COLUMNS[k][0](lang), fmt["header"])
        text_width = max((len(str(v)) for v in frame[k].head(200)), default=8) + 2
        header_width = max(len(word) for word in RESULT_COLUMNS[k][0](lang).split()) + 2
        width = {"text": min(max(text_width, header_width, 12), 45), "money": 16, "percent": 12,
                 "factor": 12, "ratio": 10, "integer": 9, "number": 13, "yesno": 10}[
                     RESULT_COLUMNS[k][1]]
        ws.set_column(c, c, max(width, min(header_width, 20)))
    ws.set_row(row, 32)
    ws.freeze_panes(row + 1, 0)
    ws.repeat_rows(row)
    row += 1
    first_data = row
    running_cum: dict[str, str] = {}
    for values in frame.itertuples(index=False):
        excel_row = row + 1
        made = formulas(col, excel_row)
        for c, k in enumerate(keys):
            value = getattr(values, k)
            style_name = RESULT_COLUMNS[k][1]
            style = fmt[style_name]
            if k.startswith("cumulative_pv"):
                source = "pv_inputs" if k.endswith("inputs") else "pv_value"
                prev = running_cum.get(k)
                made[k] = (f"={prev}+{col[source]}{excel_row}" if prev
                           else f"={col[source]}{excel_row}")
                running_cum[k] = f"{col[k]}{excel_row}"
            _write(ws, row, c, value, style, style_name, made.get(k), lang)
        row += 1
    last_data = row - 1
    if totals and last_data >= first_data:
        _label(ws, row, 0, TOTAL(lang), fmt["total_label"])
        for c, k in enumerate(keys[1:], 1):
            if k in totals:
                total = float(frame[k].fillna(0).sum())
                style = fmt["total_percent"] if RESULT_COLUMNS[k][1] == "percent" else fmt[
                    "total_money"]
                span = f"{col[k]}{first_data + 1}:{col[k]}{last_data + 1}"
                ws.write_formula(row, c, f"=SUM({span})", style, total)
            elif k == "ratio":
                inputs = float(frame["inputs"].sum())
                value = float(frame["value"].sum())
                if inputs:
                    ratio = f"={col['value']}{row + 1}/{col['inputs']}{row + 1}"
                    ws.write_formula(row, c, ratio, fmt["total_ratio"], value / inputs)
                else:
                    ws.write_blank(row, c, None, fmt["total_label"])
            else:
                ws.write_blank(row, c, None, fmt["total_label"])
        row += 1
    ws.autofilter(header_row, 0, max(row - 2, header_row), len(keys) - 1)
    ws.print_area(0, 0, row, len(keys) - 1)


def _write(ws, row, col, value, style, style_name, formula_text, lang) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if style_name == "ratio":
            ws.write_string(row, col, NOT_APPLICABLE(lang), style)
        else:
            ws.write_blank(row, col, None, style)
        return
    if style_name == "yesno":
        ws.write_string(row, col, (schema.YES if value else schema.NO)(lang), style)
    elif style_name == "text":
        ws.write_string(row, col, str(value), style)  # user text is never a formula
    elif formula_text:
        ws.write_formula(row, col, formula_text, style, float(value))
    else:
        ws.write_number(row, col, float(value), style)

