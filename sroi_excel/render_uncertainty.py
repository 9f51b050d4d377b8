"""Uncertainty -> the sheets Gevoeligheid / Sensitivity and Monte Carlo, in the result workbook.

Called from render.render_for_merge with its xlsxwriter workbook and formats; every sheet is
written row by row, top to bottom (:class:`_Rows`). The figures are values, not formulas: they
come from many re-computations of the whole analysis, which no cell formula could show; each
table says so and when it was made.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from xlsxwriter.utility import xl_rowcol_to_cell

from . import schema
from .engine import Results
from .render_layout import analysis_title, print_setup
from .schema import RESULT_SHEETS, Text
from .uncertainty import (
    DEDUCTION_LABELS,
    SHOWN_ROWS,
    MonteCarlo,
    ScenarioFigures,
    Solution,
    Uncertainty,
    most_fragile,
)
from .uncertainty.results import _NL_DIGITS

T = Text
TORNADO_ITEMS = 15
# A table lists at most this many rows; a line under it says how many more there are and how
# large their effect is at most (`fill --json` and uncertainty.analyse keep every row).
MAX_ROWS = SHOWN_ROWS
CHART_ROWS = 18  # rows a chart takes next to its table; a section is at least this tall
RED, BLUE, GREY = "#C00000", "#1F3864", "#8EA9DB"

BASE = T("basiswaarden", "base values")
AS_OF = T("Stand bij de laatste fill ({date}): vaste waarden, geen formules. Ze worden pas "
          "bijgewerkt als je fill opnieuw uitvoert.",
          "As of the last fill ({date}): fixed values, not formulas. They change only when you "
          "run fill again.")
ON = T("Berekend op: {what}.", "Computed on: {what}.")
NONE = T("geen", "none")
NOT_APPLICABLE = T("n.v.t.", "n/a")
KINDS = {"assumption": T("aanname", "assumption"), **DEDUCTION_LABELS}
DISTRIBUTION_NAMES = {key: text for key, text in schema.DISTRIBUTIONS.items()}
EVERY_YEAR = T("waarden per jaar: elk jaar x dezelfde factor",
               "values per year: every year x the same factor")
YES, NO = schema.YES, schema.NO


def write_sheets(book, fmt: dict, results: Results, uncertainty: Uncertainty | None,
                 lang: str, today: dt.date | None = None) -> None:
    """Add the sensitivity and Monte Carlo sheets (also when there is nothing to show)."""
    today = today or dt.date.today()
    fmt = {**fmt, **_own_formats(book)}
    _sensitivity_sheet(book, fmt, results, uncertainty, lang, today)
    _monte_carlo_sheet(book, fmt, results, uncertainty, lang, today)


def _own_formats(book) -> dict:
    base = {"font_name": schema.FONT}
    return {
        "u_value": book.add_format({**base, "num_format": "#,##0.####"}),
        "u_section": book.add_format({**base, "bold": True, "font_size": 12,
                                      "font_color": schema.HEADER_FILL, "top": 1}),
        "u_bold_ratio": book.add_format({**base, "bold": True, "num_format": "0.00"}),
        "u_bold_percent": book.add_format({**base, "bold": True, "num_format": "0.0%"}),
        "u_text": book.add_format({**base, "valign": "top"}),
        "u_wrap": book.add_format({**base, "text_wrap": True, "valign": "top"}),
        "u_wrap_note": book.add_format({**base, **schema.STYLES["note"]}),
        "u_header_wrap": book.add_format({**base, **schema.STYLES["header"]}),
    }


class _Rows:
    """Write a sheet top to bottom, keeping count of the row."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 0

    def line(self, cells: list[tuple], height: float | None = None) -> int:
        """One row: (value, format) per column from A, or (value, format, columns) for a
        wrapped text across several columns; None leaves a cell empty."""
        row = self.row
        lines = 1
        col = 0
        for cell in cells:
            value, style = cell[0], cell[1]
            span = cell[2] if len(cell) > 2 else 1
            if span > 1:
                self.ws.merge_range(row, col, row, col + span - 1, "", style)
                lines = max(lines, -(-len(str(value or "")) // (15 * span - 2)))
            _cell(self.ws, row, col, value, style)
            col += span
        if height or lines > 1:
            self.ws.set_row(row, max(height or 0, 15 * lines + 2))
        self.row += 1
        return row

    def note(self, text: str, style, last_col: int, chars_per_line: int) -> int:
        """A paragraph across columns A..last_col, tall enough for its lines."""
        row = self.row
        lines = sum(max(1, -(-len(part) // chars_per_line)) for part in text.split("\n"))
        self.ws.set_row(row, 15 * lines + 3)
        self.ws.merge_range(row, 0, row, last_col, "", style)
        self.ws.write_string(row, 0, text, style)
        self.row += 1
        return row

    def skip(self, count: int = 1) -> None:
        self.row += count

    def pad_to(self, row: int) -> None:
        self.row = max(self.row, row)


@dataclass(frozen=True)
class _Formula:
    """Arithmetic over neighbouring cells (tool-made text only), with its value cached."""

    text: str
    value: float


def _at(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


def _cell(ws, row: int, col: int, value, style) -> None:
    if value is None:
        return
    if isinstance(value, _Formula):
        ws.write_formula(row, col, value.text, style, value.value)
    elif isinstance(value, int | float):
        ws.write_number(row, col, float(value), style)
    else:
        ws.write_string(row, col, str(value), style)  # user text never becomes a formula


def _setup(ws, results: Results, lang: str) -> None:
    """The print setup of the other result sheets: A4 landscape, their margins, the analysis
    name in the page header and page numbers in the footer; one page wide."""
    print_setup(ws, analysis_title(results, lang), lang)
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(2)


def _heading(rows: _Rows, fmt, results: Results, uncertainty: Uncertainty | None, lang: str,
             sheet: Text, today: dt.date) -> str:
    name = analysis_title(results, lang)
    rows.line([(f"{sheet(lang)} · {name}", fmt["title"])])
    rows.line([(AS_OF(lang).format(date=today.isoformat()), fmt["subtitle"])])
    scenario = uncertainty.scenario if uncertainty is not None else results.scenario
    what = (T("scenario '{s}'", "scenario '{s}'")(lang).format(s=scenario) if scenario
            else BASE(lang))
    rows.line([(ON(lang).format(what=what), fmt["subtitle"])])
    return name


def _section(rows: _Rows, fmt, title: str, method: str) -> None:
    rows.skip()
    rows.line([(title, fmt["u_section"])] + [("", fmt["u_section"])] * 9)
    rows.note(method, fmt["note"], 9, 165)


def _start_sheet(book, fmt, results, u, lang, today, key: str, label_width: float,
                 last_col: int) -> _Rows:
    """Add the sheet with its print setup, a wide label column and its heading."""
    sheet = RESULT_SHEETS[key]
    ws = book.add_worksheet(sheet(lang))
    _setup(ws, results, lang)
    ws.set_column(0, 0, label_width)
    ws.set_column(1, last_col, 15)
    rows = _Rows(ws)
    _heading(rows, fmt, results, u, lang, sheet, today)
    return rows


# -- Gevoeligheid / Sensitivity ------------------------------------------------------------------


def _sensitivity_sheet(book, fmt, results, u: Uncertainty | None, lang, today) -> None:
    rows = _start_sheet(book, fmt, results, u, lang, today, "sensitivity", 46, 11)
    if u is None:
        rows.line([(T("Niet berekend.", "Not computed.")(lang), fmt["warning"])])
        return
    for note in u.notes:
        rows.line([(note(lang), fmt["warning"])])
    _scenario_section(book, rows, fmt, results, u, lang)
    _tornado_section(book, rows, fmt, results, u, lang)
    _switching_section(rows, fmt, u, lang)
    rows.ws.freeze_panes(3, 1)


def _scenario_section(book, rows: _Rows, fmt, results, u: Uncertainty, lang) -> None:
    _section(rows, fmt, T("1. Scenario's naast elkaar", "1. Scenarios side by side")(lang), T(
        "Methode: de basiswaarden en elk scenario van het tabblad Scenario's, elk volledig "
        "doorgerekend met dezelfde instellingen als de resultaten (contante waarden).",
        "Method: the base values and every scenario on the Scenarios sheet, each computed in "
        "full with the same settings as the results (present values).")(lang))
    columns = list(u.scenarios)
    header = rows.line([(T("Scenario", "Scenario")(lang), fmt["header"])]
                       + [(_scenario_name(s, lang), fmt["header"]) for s in columns], height=30)
    start = header
    lines = [
        (T("SROI-ratio", "SROI ratio"), "ratio", lambda s: s.ratio),
        (T("Netto SROI-ratio", "Net SROI ratio"), "ratio", lambda s: s.net_ratio),
        (T("Contante waarde opbrengsten", "PV of outcomes"), "money", lambda s: s.pv_value),
        (T("Contante waarde inbreng", "PV of inputs"), "money", lambda s: s.pv_inputs),
        (T("Netto contante waarde", "Net present value"), "money", lambda s: s.npv),
    ]
    ratio_row = header + 1
    for number, (label, style, get) in enumerate(lines):
        rows.line([(label(lang), fmt["label"])]
                  + [_scenario_figure(s, c, number, get(s), fmt[style], ratio_row, fmt, lang)
                     for c, s in enumerate(columns, 1)])
    names: list[str] = []
    for s in columns:
        names += [n for n, _, _ in s.stakeholders if n not in names]
    for name in names:
        for label, pick in ((T("{n}: opbrengsten", "{n}: value"), 2),
                            (T("{n}: inbreng", "{n}: inputs"), 1)):
            cells = [(label(lang).format(n=name), fmt["text"])]
            for s in columns:
                found = next((rec for rec in s.stakeholders if rec[0] == name), None)
                cells.append((found[pick] if found else None, fmt["money"]))
            rows.line(cells)
    if len(columns) and any(s.ratio is not None for s in columns):
        _scenario_chart(book, rows, lang, header, ratio_row, len(columns))
    rows.pad_to(start + CHART_ROWS)


def _scenario_figure(s: ScenarioFigures, c: int, number: int, value, style, ratio_row: int,
                     fmt, lang: str) -> tuple:
    """Figure ``number`` (ratio, net ratio, PV of outcomes, of inputs, NPV) of the scenario in
    column ``c``, as a cell of _Rows.line; the figures start in row ``ratio_row``."""
    value_row, inputs_row = ratio_row + 2, ratio_row + 3
    if s.error:  # the reason once, in the first row
        return (s.error if number == 0 else None, fmt["warning"])
    if value is None:
        return (NOT_APPLICABLE(lang), style)
    if number in (0, 1, 4):  # ratio, net ratio, NPV: arithmetic on the rows below
        top = _at(ratio_row + 4, c) if number == 1 else _at(value_row, c)
        op = "-" if number == 4 else "/"
        return (_Formula(f"={top}{op}{_at(inputs_row, c)}", value), style)
    return (value, style)


def _scenario_chart(book, rows: _Rows, lang: str, header: int, ratio_row: int,
                    count: int) -> None:
    """The ratio per scenario as columns, beside the table."""
    chart = book.add_chart({"type": "column"})
    sheet = RESULT_SHEETS["sensitivity"](lang)
    chart.add_series({
        "name": T("SROI-ratio", "SROI ratio")(lang),
        "categories": [sheet, header, 1, header, count],
        "values": [sheet, ratio_row, 1, ratio_row, count],
        "fill": {"color": BLUE}, "data_labels": {"value": True, "num_format": "0.00"},
    })
    chart.set_title({"name": T("SROI-ratio per scenario", "SROI ratio per scenario")(lang),
                     "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": "0.0", "min": 0, "major_gridlines": {
        "visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_size({"width": 480, "height": 300})
    rows.ws.insert_chart(header, max(count + 2, 5), chart)


def _scenario_name(s: ScenarioFigures, lang: str) -> str:
    return s.name if s.name is not None else BASE(lang)


def _tornado_section(book, rows: _Rows, fmt, results, u: Uncertainty, lang) -> None:
    step = f"{u.step * 100:g}"
    _section(rows, fmt, T("2. Eén voor één: tornado", "2. One at a time: tornado")(lang), T(
        f"Methode: telkens één aanname op haar lage en hoge waarde (tabblad Aannames) of één "
        f"aftrekpost van één opbrengst {step} procentpunt lager en hoger (binnen 0% - 100%); al "
        "het andere blijft gelijk. Gerangschikt naar het verschil tussen beide ratio's. Een "
        "aanname met een waarde geldt dan voor alle jaren, zoals in een scenario; een aanname "
        "met waarden per jaar wordt elk jaar met dezelfde factor geschaald (laag / waarde van "
        "jaar 1). Aftrekposten van één opbrengst met dezelfde waarde werken gelijk en staan in "
        "één rij.",
        f"Method: one assumption at a time at its low and high value (Assumptions sheet), or "
        f"one deduction of one outcome {step} percentage points lower and higher (within 0% - "
        "100%); everything else stays the same. Ranked by the difference between the two "
        "ratios. A value set for an assumption applies to every year, as in a scenario; an "
        "assumption with values per year is scaled by the same factor every year (low / the "
        "value of year 1). Deductions of one outcome at the same value act alike and share a "
        "row.")(lang))
    if u.base_ratio is None:
        rows.line([(T("Geen inbreng, dus geen ratio.", "No inputs, so no ratio.")(lang),
                    fmt["text"])])
        return
    rows.line([(T("SROI-ratio in de berekening", "SROI ratio as computed")(lang), fmt["label"]),
               (u.base_ratio, fmt["u_bold_ratio"])])
    if not u.sensitivity:
        rows.line([(T("Geen aannames met laag of hoog, en geen aftrekposten die iets "
                      "veranderen.", "No assumptions with low or high, and no deductions that "
                      "change anything.")(lang), fmt["text"])])
        return
    heads = [T("Aanname of aftrekpost", "Assumption or deduction"), T("Soort", "Type"),
             T("Waarde", "Value"), T("Laag", "Low"), T("Hoog", "High"),
             T("Ratio bij laag", "Ratio at low"), T("Ratio bij hoog", "Ratio at high"),
             T("Verschil", "Swing"), T("Toelichting", "Note")]
    header = rows.line([(h(lang), fmt["header"]) for h in heads], height=30)
    first = header + 1
    for item in u.sensitivity[:MAX_ROWS]:  # ranked by swing already, largest first
        style = fmt["percent"] if item.is_percent else fmt["u_value"]
        kind = _kinds(item, lang)
        label = item.name if item.kind == "assumption" else (
            f"{kind} · {item.name} ({item.stakeholder})")
        rows.line([
            (label, fmt["text"]), (kind, fmt["text"]),
            (item.base, style), (item.low, style), (item.high, style),
            (item.ratio_low, fmt["ratio"]), (item.ratio_high, fmt["ratio"]),
            (_swing_cell(item, rows.row), fmt["ratio"]),
            (item.error, fmt["warning"]) if item.error else (
                EVERY_YEAR(lang) if item.per_year else None, fmt["text"])])
    if len(u.sensitivity) > MAX_ROWS:
        rows.note(_more_sensitivity([r.swing for r in u.sensitivity][MAX_ROWS:],
                                    [r.error for r in u.sensitivity][MAX_ROWS:], lang),
                  fmt["note"], 8, 150)
    if u.omitted:
        rows.line([(T(f"{u.omitted} aftrekpost(en) veranderen de ratio niet en staan hier niet.",
                      f"{u.omitted} deduction(s) do not change the ratio and are not listed.")(
                          lang), fmt["note"])])
    shown = [i for i in u.sensitivity[:TORNADO_ITEMS] if i.error is None]
    if shown:
        last = first + len(shown) - 1
        sheet = RESULT_SHEETS["sensitivity"](lang)
        chart = book.add_chart({"type": "bar"})
        for col, name, color in ((5, T("ratio bij laag", "ratio at low"), GREY),
                                 (6, T("ratio bij hoog", "ratio at high"), BLUE)):
            chart.add_series({"name": name(lang), "categories": [sheet, first, 0, last, 0],
                              "values": [sheet, first, col, last, col], "fill": {"color": color},
                              "overlap": 100, "gap": 40})
        chart.set_title({"name": T(f"Tornado: SROI-ratio rond {u.base_ratio:.2f}".replace(
            ".", ","), f"Tornado: SROI ratio around {u.base_ratio:.2f}")(lang),
            "name_font": {"size": 11}})
        # The value axis crosses the category axis at the base ratio, so each bar runs from
        # the ratio as computed to the ratio with one change: the tornado.
        chart.set_x_axis({"crossing": u.base_ratio, "num_format": "0.00",
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_y_axis({"reverse": True, "label_position": "low",
                          "num_font": {"size": 8}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": max(300, 24 * len(shown) + 110)})
        rows.ws.insert_chart(header, 9, chart)
        rows.pad_to(header + max(CHART_ROWS, (24 * len(shown) + 110) // 20 + 2))


def _kinds(item, lang: str) -> str:
    """The kind of a row, or the deductions it stands for: "deadweight and attribution"."""
    names = [KINDS[k](lang) for k in (item.kind, *item.also)]
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {T('en', 'and')(lang)} {names[-1]}"


def _swing_cell(item, row: int):
    if item.error is not None:
        return None
    if item.ratio_low is None or item.ratio_high is None:
        return item.swing
    return _Formula(f"=ABS({_at(row, 6)}-{_at(row, 5)})", item.swing)


def _switching_section(rows: _Rows, fmt, u: Uncertainty, lang) -> None:
    _section(rows, fmt, T("3. Omslagpunten", "3. Switching values")(lang), T(
        "Methode: de waarde van één aanname of één aftrekpost waarbij de SROI-ratio precies 1 "
        "is (netto contante waarde 0), terwijl al het andere blijft zoals berekend. Exact waar "
        "de netto contante waarde lineair afhangt van de waarde (de meeste aannames, "
        "deadweight, attributie, verplaatsing): twee punten geven het nulpunt, dat daarna is "
        "nagerekend; anders ingesloten op een rooster over het toegestane bereik, gelijkmatig "
        "en logaritmisch naar 0 (een aanname in een noemer), en verfijnd (uitdoving over meer "
        "jaren, een kwadraat). Springt de ratio over 1 heen (een afgerond getal), dan is de "
        "sprong het omslagpunt. Toegestaan: 0% - 100% voor percentages, niet negatief voor "
        "aannames die dat niet zijn, tot 100 maal de waarde. 'geen' met de reden als geen "
        "waarde in dat bereik ratio 1 geeft. Bij een aanname met waarden per jaar: de waarde "
        "van jaar 1, elk jaar met dezelfde factor geschaald.",
        "Method: the value of one assumption or one deduction at which the SROI ratio is "
        "exactly 1 (net present value 0), with everything else as computed. Exact where the "
        "net present value depends linearly on the value (most assumptions, deadweight, "
        "attribution, displacement): two points give the root, which is then checked by "
        "recomputing; otherwise bracketed on a grid over the allowed range, even and "
        "logarithmic towards 0 (an assumption in a denominator), and refined (drop-off over "
        "several years, a square). Where the ratio jumps across 1 (a rounded figure), the jump "
        "is the switching value. Allowed: 0% - 100% for percentages, not negative for "
        "assumptions that are not, up to 100 times the value. 'none' with the reason where no "
        "value in that range gives ratio 1. For an assumption with values per year: the value "
        "of year 1, every year scaled by the same factor.")(lang))
    who = u.switching_stakeholder
    heads = [(T("Aanname of aftrekpost", "Assumption or deduction"), 1), (T("Soort", "Type"), 1),
             (T("Waarde", "Value"), 1), (T("Omslagpunt (ratio 1)", "Switching value (ratio 1)"),
                                         1),
             (T("Binnen laag - hoog", "Within low - high"), 1), (T("Toelichting", "Note"), 3)]
    if who:
        heads += [(T(f"NCW 0 voor {who}", f"NPV 0 for {who}"), 1), (T("Toelichting", "Note"), 3)]
    if not u.switching:
        rows.line([(T("Geen aannames of aftrekposten.", "No assumptions or deductions.")(lang),
                    fmt["text"])])
        return
    rest: list[float | None] = []
    if len(u.switching) <= MAX_ROWS:
        shown = list(u.switching)
    else:  # the most fragile first, and the reader is told so
        # Ranked by distance alone: making tens of thousands of rows to rank them cost more
        # than the rest of the sheet.
        distances = [r.distance for r in u.switching]
        ranked = most_fragile(distances, MAX_ROWS)
        chosen = set(ranked)
        rest = [d for k, d in enumerate(distances) if k not in chosen]
        shown = [u.switching[k] for k in ranked]
        rows.note(ORDER_FRAGILE(lang).format(shown=_count(MAX_ROWS, lang),
                                             total=_count(len(u.switching), lang)),
                  fmt["note"], 9, 165)
    rows.line([(h(lang), fmt["u_header_wrap"], span) for h, span in heads], height=30)
    for s in shown:
        style = fmt["percent"] if s.percent else fmt["u_value"]
        label = s.name if s.kind == "assumption" else (
            f"{KINDS[s.kind](lang)} · {s.name} ({s.stakeholder})")
        if s.per_year:
            label = f"{label} ({EVERY_YEAR(lang)})"
        within = s.within_range
        cells = [(label, fmt["u_wrap"]), (KINDS[s.kind](lang), fmt["u_text"]), (s.base, style),
                 _solution_value(s.ratio, style, fmt, lang),
                 ((YES if within else NO)(lang) if within is not None else None, fmt["u_text"]),
                 _solution_note(s.ratio, fmt, lang)]
        if who:
            cells += [_solution_value(s.npv, style, fmt, lang), _solution_note(s.npv, fmt, lang)]
        rows.line(cells)
    if rest:
        rows.note(_more_switching(rest, lang), fmt["note"], 9, 165)


# -- the rows left out of a long table ---------------------------------------------------------

JSON_LISTS = T("`sroi-excel fill --json` geeft ze allemaal", "`sroi-excel fill --json` lists them "
               "all")
ORDER_FRAGILE = T(
    "Gesorteerd op hoe dicht het omslagpunt bij de waarde ligt, het kwetsbaarst eerst: het "
    "verschil in procentpunten bij percentages, anders als percentage van de waarde; rijen "
    "zonder omslagpunt als laatste. De eerste {shown} van {total} staan hier.",
    "Sorted by how close the switching value lies to the value, the most fragile first: the "
    "difference in percentage points for percentages, otherwise as a percentage of the value; "
    "rows without a switching value last. The first {shown} of {total} are shown.")


def _count(n: int, lang: str) -> str:
    return _local(f"{n:,}", lang)


def _local(en: str, lang: str) -> str:
    """A number written in English (1,234.5) as the workbook's language writes it."""
    return en.translate(_NL_DIGITS) if lang == "nl" else en



def _two_digits(x: float, up: bool) -> str:
    """x to two significant digits, rounded up (a bound "at most") or down ("at least"),
    without an exponent: 0.000324 -> 0.00033 (up)."""
    if not math.isfinite(x) or x <= 0:
        return "0"
    decimals = min(12, max(2, 1 - math.floor(math.log10(x))))
    scaled = x * 10 ** decimals
    bound = (math.ceil(scaled - 1e-9) if up else math.floor(scaled + 1e-9)) / 10 ** decimals
    return f"{bound:,.{decimals}f}"


def _more_sensitivity(swing: list[float], error: list[str | None], lang: str) -> str:
    """The line under the tornado table for the rows it leaves out (their swings and errors)."""
    n = _count(len(swing), lang)
    failed = sum(1 for e in error if e is not None)
    swings = [x for x, e in zip(swing, error, strict=True) if e is None]
    if not swings:
        text = T(f"Nog {n} rijen die niet te berekenen waren; {{json}}.",
                 f"{n} more rows that could not be computed; {{json}}.")
    else:
        most = _local(_two_digits(max(swings), up=True), lang)
        extra = (T(f" ({_count(failed, lang)} ervan niet te berekenen)",
                   f" ({_count(failed, lang)} of them could not be computed)") if failed
                 else T("", ""))
        text = T(f"Nog {n} rijen, elk met een verschil van hoogstens {most}{extra.nl}; {{json}}.",
                 f"{n} more rows, each with a swing of at most {most}{extra.en}; {{json}}.")
    return text(lang).format(json=JSON_LISTS(lang))


def _more_switching(distances: list[float | None], lang: str) -> str:
    """The line under the switching values for the rows they leave out (their distances)."""
    n = _count(len(distances), lang)
    known = [d for d in distances if d is not None]
    if not known:
        text = T(f"Nog {n} rijen, geen ervan met een omslagpunt binnen het toegestane bereik; "
                 "{json}.",
                 f"{n} more rows, none with a switching value within the allowed range; "
                 "{json}.")
    else:
        least = _two_digits(100 * min(known), up=False)
        at = T(f"{_local(least, 'nl')} procentpunt (of {_local(least, 'nl')}% van de waarde)",
               f"{least} percentage points (or {least}% of the value)")
        none = len(distances) - len(known)
        extra = (T(f"; {_count(none, lang)} ervan zonder omslagpunt",
                   f"; {_count(none, lang)} of them without a switching value") if none
                 else T("", ""))
        text = T(f"Nog {n} rijen; bij elk ligt het omslagpunt minstens {at.nl} van de waarde "
                 f"af{extra.nl}; {{json}}.",
                 f"{n} more rows, each with its switching value at least {at.en} away from the "
                 f"value{extra.en}; {{json}}.")
    return text(lang).format(json=JSON_LISTS(lang))


def _solution_value(solution: Solution | None, style, fmt, lang) -> tuple:
    if solution is not None and solution.value is None:
        return (NONE(lang), fmt["u_text"])
    return (solution.value if solution is not None else None, style)


def _solution_note(solution: Solution | None, fmt, lang) -> tuple:
    if solution is None:
        return (None, fmt["u_wrap"], 3)
    if solution.value is not None:
        how = T("exact (lineair), nagerekend", "exact (linear), checked") if (
            solution.method == "linear") else T("ingesloten en verfijnd", "bracketed, refined")
        return (how(lang), fmt["u_wrap_note"], 3)
    return (solution.reason(lang) if solution.reason is not None else "", fmt["u_wrap"], 3)


# -- Monte Carlo ------------------------------------------------------------------------------


def _monte_carlo_sheet(book, fmt, results, u: Uncertainty | None, lang, today) -> None:
    rows = _start_sheet(book, fmt, results, u, lang, today, "monte_carlo", 40, 6)
    mc = u.monte_carlo if u is not None else None
    if mc is None:
        reasons = [n(lang) for n in ((*u.notes, *u.skipped) if u is not None else ())
                   if "Monte Carlo" in n(lang)]
        rows.line([(reasons[0] if reasons else T("Niet berekend.", "Not computed.")(lang),
                    fmt["warning"])])
        return
    _monte_carlo_method(rows, fmt, mc, lang)
    _monte_carlo_summary(rows, fmt, mc, lang)
    _monte_carlo_varied(rows, fmt, mc, lang)
    _monte_carlo_histogram(book, rows, fmt, mc, lang)


def _monte_carlo_method(rows: _Rows, fmt, mc: MonteCarlo, lang) -> None:
    count = _count(mc.draws, lang)
    rows.skip()
    rows.note(T(
        f"Methode: {count} trekkingen met startgetal {mc.seed} (hetzelfde startgetal geeft "
        "dezelfde uitkomsten). In elke trekking krijgt elke aanname uit de tabel hieronder een "
        "waarde uit haar verdeling, voor alle jaren; al het andere blijft zoals berekend. "
        "Uniform: elke waarde tussen laag en hoog even waarschijnlijk. Driehoek: laag, meest "
        "waarschijnlijk de waarde, hoog. PERT: bètaverdeling tussen laag en hoog met de waarde "
        "als modus (alfa = 1 + 4(waarde - laag)/(hoog - laag), bèta = 1 + 4(hoog - waarde)/"
        "(hoog - laag)). Percentielen: P5 is de ratio waar 5% van de trekkingen onder blijft.",
        f"Method: {count} draws with seed {mc.seed} (the same seed gives the same results). In "
        "each draw every assumption in the table below takes a value from its distribution, "
        "for every year; everything else stays as computed. Uniform: every value between low "
        "and high equally likely. Triangular: low, most likely the value, high. PERT: a beta "
        "distribution between low and high with the value as its mode (alpha = 1 + 4(value - "
        "low)/(high - low), beta = 1 + 4(high - value)/(high - low)). Percentiles: P5 is the "
        "ratio that 5% of the draws stay below.")(lang), fmt["note"], 6, 120)
    for note in mc.notes:
        rows.line([(note(lang), fmt["warning"])])


def _monte_carlo_summary(rows: _Rows, fmt, mc: MonteCarlo, lang) -> None:
    rows.skip()
    rows.line([(T("Uitkomst", "Result")(lang), fmt["header"]),
               (T("SROI-ratio", "SROI ratio")(lang), fmt["header"]),
               (T("Netto contante waarde", "Net present value")(lang), fmt["header"])],
              height=30)
    for label, key in ((T("Gemiddelde", "Mean"), "mean"), (T("P5", "P5"), "p5"),
                       (T("P50 (mediaan)", "P50 (median)"), "p50"), (T("P95", "P95"), "p95")):
        rows.line([(label(lang), fmt["label"]), (getattr(mc.ratio, key), fmt["ratio"]),
                   (getattr(mc.npv, key), fmt["money"])])
    rows.line([(T("Kans dat de ratio boven 1 ligt", "Probability that the ratio exceeds 1")(
        lang), fmt["label"]), (mc.p_ratio_above_1, fmt["u_bold_percent"])])
    if mc.undefined:
        rows.line([(T("Trekkingen zonder inbreng (geen ratio)", "Draws without inputs (no "
                      "ratio)")(lang), fmt["label"]), (mc.undefined, fmt["integer"])])


def _monte_carlo_varied(rows: _Rows, fmt, mc: MonteCarlo, lang) -> None:
    rows.skip()
    rows.line([(T("Getrokken aannames", "Assumptions drawn")(lang), fmt["label"])])
    if not mc.varied:
        rows.line([(T("Geen: vul bij Aannames laag en hoog in (of een verdeling).",
                      "None: fill in low and high (or a distribution) on the Assumptions "
                      "sheet.")(lang), fmt["text"])])
        return
    heads = [T("Aanname", "Assumption"), T("Verdeling", "Distribution"), T("Laag", "Low"),
             T("Waarde (modus)", "Value (mode)"), T("Hoog", "High"),
             T("Gemiddelde trekkingen", "Mean of draws")]
    rows.line([(h(lang), fmt["header"]) for h in heads], height=30)
    for v in mc.varied:
        style = fmt["percent"] if v.percent else fmt["u_value"]
        name = f"{v.name} ({EVERY_YEAR(lang)})" if v.per_year else v.name
        rows.line([(name, fmt["text"]), (DISTRIBUTION_NAMES[v.distribution](lang),
                                         fmt["text"]),
                   (v.low, style), (v.mode, style), (v.high, style), (v.mean, style)])
    if mc.kept:
        rows.skip()
        rows.line([(T("Niet getrokken (vaste waarde)", "Not drawn (kept at their value)")(lang),
                    fmt["label"])])
        for why, names in mc.kept:
            shown = ", ".join(names[:40]) + (
                T(f" en nog {len(names) - 40}", f" and {len(names) - 40} more")(lang)
                if len(names) > 40 else "")
            rows.note(f"{why(lang)}: {shown}", fmt["note"], 6, 120)


def _monte_carlo_histogram(book, rows: _Rows, fmt, mc: MonteCarlo, lang) -> None:
    if not mc.histogram:
        return
    rows.skip()
    rows.line([(T("Verdeling van de SROI-ratio", "Distribution of the SROI ratio")(lang),
                fmt["label"])])
    heads = [T("Ratio", "Ratio"), T("Van", "From"), T("Tot", "To"),
             T("Trekkingen", "Draws"), T("Aandeel", "Share")]
    header = rows.line([(h(lang), fmt["header"]) for h in heads], height=30)
    total = sum(c for _, _, c in mc.histogram) or 1
    decimals = _decimals(mc.histogram)
    first, last = header + 1, header + len(mc.histogram)
    counts = f"$D${first + 1}:$D${last + 1}"  # the draws column
    for lo, hi, count in mc.histogram:
        label = f"{lo:.{decimals}f} - {hi:.{decimals}f}"
        if lang == "nl":
            label = label.replace(".", ",")
        share = _Formula(f"={_at(rows.row, 3)}/SUM({counts})", count / total)
        rows.line([(label, fmt["text"]), (lo, fmt["ratio"]), (hi, fmt["ratio"]),
                   (count, fmt["integer"]), (share, fmt["percent"])])
    sheet = RESULT_SHEETS["monte_carlo"](lang)
    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": T("Aandeel trekkingen", "Share of draws")(lang),
        "categories": [sheet, first, 0, last, 0], "values": [sheet, first, 4, last, 4],
        "gap": 10,
        "points": [{"fill": {"color": RED if hi <= 1.0 else BLUE}}
                   for _, hi, _ in mc.histogram],
    })
    chart.set_title({"name": T("SROI-ratio over de trekkingen (rood: onder 1)",
                               "SROI ratio over the draws (red: below 1)")(lang),
                     "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": "0%", "major_gridlines": {
        "visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": {"rotation": -45, "size": 8}})
    chart.set_size({"width": 640, "height": 340})
    rows.ws.insert_chart(header, 6, chart)
    rows.pad_to(header + CHART_ROWS)


def _decimals(histogram) -> int:
    width = histogram[0][1] - histogram[0][0]
    for decimals in range(0, 6):
        if abs(round(width, decimals) - width) < 1e-9:
            return max(decimals, 1)
    return 4
