"""The Resultaten / Results sheet: the headline figures with how each is computed, then per
stakeholder, per outcome (largest first) and per year, each beside its chart, the outcomes not
valued and the warnings; its page breaks keep each section on one page."""

from __future__ import annotations

import math
from collections import Counter

from xlsxwriter.utility import quote_sheetname, xl_col_to_name

from . import __version__, charts, schema
from .engine import Results
from .exceptions import Problem
from .render_layout import (
    A4_LANDSCAPE_PT,
    BASE,
    CHART_COL,
    CHART_OFFSET,
    COLUMNS,
    HEADLINE,
    HOW,
    LAST_COL,
    MARGINS_IN,
    MAX_CHART_OUTCOMES,
    MAX_LINES,
    MAX_LISTED_OUTCOMES,
    NOT_APPLICABLE,
    NOT_REACHED,
    RESULTS_WIDTHS,
    ROW_PX,
    TOTAL,
    Context,
    T,
    column_total,
    is_blank,
    line_count,
    link,
    literal,
    ratio_formula,
    write_label,
    write_merged,
)


def write_results(ctx: Context) -> None:
    """Headline, then per stakeholder, per outcome and per year, each with its chart."""
    results, lang, fmt = ctx.results, ctx.lang, ctx.fmt
    settings = results.model.settings
    ws = ctx.add_sheet("results")
    for col, width in enumerate(RESULTS_WIDTHS):
        ws.set_column(col, col, width)
    ws.fit_to_pages(1, 0)
    page = _Page(ws)

    write_label(ws, 0, 0, ctx.title, fmt["title"])
    kind = schema.ANALYSIS_TYPES.get(settings.analysis_type, schema.ANALYSIS_TYPES["forecast"])
    write_label(ws, 1, 0, " · ".join(x for x in (settings.organisation, kind(lang)) if x),
           fmt["subtitle"])
    row = 4
    if settings.note:
        page.set_row(3, 15 * line_count(settings.note, _span_chars(0, LAST_COL)))
        write_merged(ws, 3, 0, LAST_COL, settings.note, fmt["note"])  # user text: never a formula
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
    head = results.headline
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
    formulas = _headline_formulas(ctx, b)
    how_width = _span_chars(2, 5)
    for key in keys:
        r = at[key]
        write_label(ws, r, 0, HEADLINE[key](lang), fmt["head_label"])
        explanation = _headline_figure(ctx, ws, r, key, formulas.get(key))
        if explanation:
            lines = line_count(explanation, how_width, small=True)
            if lines > 1:
                page.set_row(r, 12 * lines + 3)
            write_merged(ws, r, 2, 5, explanation, fmt["how"])
    row = at["computed"] + 1
    note_rate = T(
        "Inbreng in latere jaren is verdisconteerd." if head.discount_inputs else
        "Inbreng telt tegen nominale waarde (niet verdisconteerd).",
        "Inputs in later years are discounted." if head.discount_inputs else
        "Inputs count at face value (not discounted).")(lang)
    write_label(ws, row, 0, note_rate, fmt["note"])
    row += 1
    # The sentence at the top follows the ratio cell, so it stays true after an edit.
    ws.write_formula(2, 0, _sentence_formula(results, lang, b["ratio"]), fmt["label"],
                     _sentence(results, lang))
    ws.insert_chart(start + 1, CHART_COL, _cumulative_chart(ctx), CHART_OFFSET)
    return max(row, start + 1 + _chart_rows(charts.HEIGHT))


def _headline_formulas(ctx: Context, b: dict[str, str]) -> dict[str, tuple[str, object, str]]:
    """The headline figures that are formulas: (formula, the engine's value, style), by key;
    ``b`` holds the cell of each key."""
    lang, head = ctx.lang, ctx.results.headline
    years = ctx.tables["years"]
    na, not_reached = literal(NOT_APPLICABLE(lang)), literal(NOT_REACHED(lang))
    ratio_cached = head.ratio if head.ratio is not None else NOT_APPLICABLE(lang)
    net_cached = head.net_ratio if head.net_ratio is not None else NOT_APPLICABLE(lang)
    if head.payback_years is not None:
        payback_cached: object = head.payback_years
    else:
        payback_cached = (NOT_REACHED if head.pv_inputs else NOT_APPLICABLE)(lang)
    cum_in_last = years.ref("cumulative_pv_inputs", years.n - 1, external=True)
    payback_span = years.span("payback")
    return {
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


def _headline_figure(ctx: Context, ws, r: int, key: str,
                     formula: tuple[str, object, str] | None) -> str:
    """Write one headline figure in row ``r``; what to say beside it about how it is
    computed."""
    lang, fmt = ctx.lang, ctx.fmt
    settings, head = ctx.results.model.settings, ctx.results.headline
    how = HOW.get(key)
    explanation = how(lang) if how else ""
    if formula is not None:
        text, cached, style = formula
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
        write_label(ws, r, 1, head.scenario or BASE(lang), fmt["head_value_text"])
        if head.scenario:
            explanation = T("de waarden uit het scenario staan als vaste waarden in de "
                            "rekensporen", "the scenario's values are fixed values in "
                            "the trails")(lang)
    elif key == "computed":
        write_label(ws, r, 1, ctx.today.isoformat(), fmt["head_value_text"])
        explanation = f"sroi-excel {__version__}"
    return explanation


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
        ratio_formula(ws, row, 4, f"B{r}", f"C{r}", rec.ratio, fmt, "ratio", lang)
        row += 1
    write_label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    total_in, total_val = column_total(frame, "inputs"), column_total(frame, "value")
    _sum(ws, row, 1, first, row - 1, fmt["total_money"], total_in)
    _sum(ws, row, 2, first, row - 1, fmt["total_money"], total_val)
    r = row + 1
    ws.write_formula(row, 3, f"=C{r}-B{r}", fmt["total_money"], column_total(frame, "net"))
    ratio_formula(ws, row, 4, f"B{r}", f"C{r}", total_val / total_in if total_in else None,
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
    write_merged(ws, row, 3, 5, COLUMNS["stakeholder"][0](lang), fmt["header"])
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
        write_merged(ws, row, 3, 5, rec.stakeholder, fmt["wrap"])  # user text
        row += 1
    if rest:
        # Everything not listed: the Per outcome sheet's total less the rows above.
        pv_rest = sum(pvs[i] for i in rest)
        shares = outcomes.column("share")
        write_label(ws, row, 0, T(f"Overige {len(rest):,} opbrengsten (zie Per opbrengst)".replace(
            ",", "."), f"Other {len(rest):,} outcomes (see By outcome)")(lang), fmt["wrap"])
        ws.write_formula(row, 1, f"={otable.total('present_value')}-SUM(B{first + 1}:"
                                 f"B{row})", fmt["money"], pv_rest)
        ws.write_formula(row, 2, f"=IF({total}=0,0,B{row + 1}/{total})", fmt["percent"],
                         sum(shares[i] for i in rest))
        row += 1
    write_label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    _sum(ws, row, 1, first, row - 1, fmt["total_money"], column_total(outcomes, "present_value"))
    _sum(ws, row, 2, first, row - 1, fmt["total_percent"], column_total(outcomes, "share"))
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
        write_label(ws, row, 0, _year_label(rec, lang), fmt["text"])
        for col, key in enumerate(("pv_inputs", "pv_value", "cumulative_pv_inputs",
                                   "cumulative_pv_value", "cumulative_net"), 1):
            ws.write_formula(row, col, f"={years.ref(key, i, external=True)}", fmt["money"],
                             float(getattr(rec, key)))
        row += 1
    write_label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    _sum(ws, row, 1, first, row - 1, fmt["total_money"], column_total(frame, "pv_inputs"))
    _sum(ws, row, 2, first, row - 1, fmt["total_money"], column_total(frame, "pv_value"))
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
        write_merged(ws, row, c1, c2, text, fmt["header"])
    row += 1
    for rec in qualitative.records():
        values = [str(v or "") for v in (rec.stakeholder, rec.outcome, rec.indicator, rec.note)]
        lines = max(line_count(v, _span_chars(c1, c2))
                    for (c1, c2), v in zip(spans, values, strict=True))
        if lines > 1:
            page.set_row(row, 15 * lines)
        for (c1, c2), value in zip(spans, values, strict=True):
            write_merged(ws, row, c1, c2, value, fmt["wrap"])  # user text: never a formula
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
        lines = line_count(text, _span_chars(0, LAST_COL))
        if lines > 1:
            page.set_row(row, 15 * lines)
        write_merged(ws, row, 0, LAST_COL, text, fmt["warning_wrap"])
        row += 1
    return row


def _rate_cell(ctx: Context, key: str) -> tuple[str | None, float, str, bool]:
    """Formula (or None), cached value, explanation and frozen flag of a rate cell."""
    head, settings, lang = ctx.results.headline, ctx.results.model.settings, ctx.lang
    value_cell = settings.cell("discount_rate")
    if key == "discount_rate":
        if value_cell is None or settings.discount_rate is None:
            return None, head.discount_rate, HOW["structure"](lang), True
        return link(value_cell), head.discount_rate, str(value_cell), False
    if not head.discount_inputs:
        return None, 0.0, T("inbreng wordt niet verdisconteerd (instelling)",
                            "inputs are not discounted (setting)")(lang), True
    inputs_cell = settings.cell("discount_rate_inputs")
    if value_cell is None:
        return None, head.input_rate, HOW["structure"](lang), True
    if inputs_cell is None:
        return link(value_cell), head.input_rate, T(
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
    return (f"=IF(ISNUMBER({ratio_cell}),{literal(before)}&FIXED({ratio_cell},2)&{literal(after)},"
            f"{literal(_no_ratio(lang))})")


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
    if calendar is not None and not is_blank(calendar):
        return f"{year} ({int(calendar)})"
    return str(year)


def _sum(ws, row, col, first, last, style, cached) -> None:
    if last < first:
        ws.write_number(row, col, 0.0, style)
        return
    letter = xl_col_to_name(col)
    ws.write_formula(row, col, f"=SUM({letter}{first + 1}:{letter}{last + 1})", style, cached)


def _section(ws, fmt, row, text) -> None:
    write_label(ws, row, 0, text, fmt["section"])
    for col in range(1, 6):
        ws.write_blank(row, col, None, fmt["section"])


def _headers(ws, fmt, page: _Page, row, labels) -> None:
    lines = max(line_count(text, RESULTS_WIDTHS[col]) for col, text in enumerate(labels))
    page.set_row(row, 15 * lines)
    for col, text in enumerate(labels):
        write_label(ws, row, col, text, fmt["header"] if col == 0 else fmt["header_right"])


def _wrapped(ws, page: _Page, row: int, text: str, style) -> None:
    """A name in the first column of the results sheet, on as many lines as it needs."""
    lines = line_count(text, RESULTS_WIDTHS[0] - 1)
    if lines > 1:
        page.set_row(row, 15 * min(lines, MAX_LINES))
    write_label(ws, row, 0, text, style)


def _span_chars(c1: int, c2: int) -> float:
    return sum(RESULTS_WIDTHS[c1:c2 + 1])


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
