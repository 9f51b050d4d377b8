"""The table sheets: Per belanghebbende / By stakeholder, Per opbrengst / By outcome, Per jaar /
By year (with the value per year per stakeholder and the cumulative chart's data), Rekenspoor /
Calculation trail and Rekenspoor inbreng / Input trail. Every figure that is arithmetic on
workbook cells is a formula with the engine's value cached. The data rows of all but By year
are written by rowxml, made only when the merged workbook is written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, NamedTuple

from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell

from . import charts, rowxml, schema
from .core import counted_ages
from .engine import Rows
from .links import Source
from .render_layout import (
    BASE,
    HEADLINE,
    INTROS,
    MAX_LINES,
    NA_SHORT,
    NO_PAYBACK,
    TOTAL,
    WIDE_FONT,
    YEAR_KEY,
    Context,
    T,
    Table,
    category_labels,
    column_total,
    fits,
    is_blank,
    line_count,
    link,
    literal,
    ratio_formula,
    write_label,
    write_merged,
)


class Out(NamedTuple):
    """One cell to write: the engine's value, and the formula that computes it (if any)."""

    value: object
    formula: str | None = None
    frozen: bool = False


def _table_sheet(ctx: Context, key: str, make_row, totals: dict[str, str],
                 block: bool = True) -> Any:
    """Write a planned table; ``make_row(i, rec)`` gives {column key: Out} for row i."""
    table, frame = ctx.tables[key], ctx.frames[key]
    keys = table.keys
    columns = {k: ctx.column(k) for k in keys}
    widths = {k: _width(frame, k, columns[k][0], columns[k][1], wide=k == keys[-1])
              for k in keys}
    ws = ctx.add_sheet(key)
    _heading(ctx, ws, key, columns, widths)
    # Per column: key, style, letter, where the value is in a row, and whether a number in it
    # is written as it is (see _spec).
    plan = [(k, columns[k][1], xl_col_to_name(c), frame.columns.index(k),
             columns[k][1] not in ("yesno", "text")) for c, k in enumerate(keys)]
    height = _row_height(frame, [(k, widths[k]) for k in keys if columns[k][1] == "text"])
    if block and table.n:
        # A sheet with more cells beside the table (the per-year matrix) is written cell by
        # cell: a block owns its rows whole.
        ctx.blocks[table.sheet] = _block(ctx, key, plan, make_row, height)
    else:
        for i, rec in enumerate(frame.records()):
            made = make_row(i, rec)
            r = table.row(i)
            if (h := height(rec)) is not None:
                ws.set_row(r, h)
            for c, (k, style, _, at, _) in enumerate(plan):
                _write_spec(ws, r, c, _spec(style, k, rec[at], made.get(k), ctx.lang), ctx.fmt)
    row = _total_row(ctx, ws, key, columns, totals)
    ws.autofilter(table.header_row, 0, max(table.header_row + table.n, table.header_row),
                  len(keys) - 1)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, max(row, table.header_row + 1), len(keys) - 1)
    return ws


def _heading(ctx: Context, ws, key: str, columns: dict[str, tuple[str, str]],
             widths: dict[str, float]) -> None:
    """Title, scenario, the table's introduction and its header row, frozen and repeated on
    every printed page."""
    lang, fmt = ctx.lang, ctx.fmt
    keys = list(columns)
    write_label(ws, 0, 0, ctx.name(key), fmt["title"])  # the analysis name is in the page header
    scenario = ctx.results.scenario or BASE(lang)
    write_label(ws, 1, 0, f"{HEADLINE['scenario'](lang)}: {scenario}", fmt["subtitle"])
    span = sum(widths.values())
    for i, line in enumerate(INTROS.get(key, [])):
        # Across the table's width and wrapped, so the print area does not cut it off.
        text = line(lang)
        lines = line_count(text, span)
        if lines > 1:
            ws.set_row(2 + i, 15 * lines)
        write_merged(ws, 2 + i, 0, len(keys) - 1, text, fmt["subtitle_wrap"])
    row = ctx.tables[key].header_row
    lines = 1
    for c, k in enumerate(keys):
        header, style = columns[k]
        write_label(ws, row, c, header, fmt["header"])
        lines = max(lines, line_count(header, widths[k] - 1))
        ws.set_column(c, c, widths[k], fmt["wrap"] if style == "text" else None)
    ws.set_row(row, 15 * lines)
    ws.freeze_panes(row + 1, 0)
    ws.repeat_rows(row)


def _row_height(frame: Rows, texts: list[tuple[str, float]]):
    """``height(rec)``: the height a row needs for its wrapped texts, None for one line;
    ``texts`` are the wrapped columns with their widths."""
    # Per wrapped column: where, its width, and the length of a text that surely fits on a line.
    wrapped = [(frame.columns.index(k), width, fits(width))
               for k, width in ((k, width * WIDE_FONT - 1) for k, width in texts)]

    def height(rec) -> float | None:
        # Spreadsheet programs do not grow a row for its wrapped texts on opening.
        lines = 1
        for at, width, short in wrapped:
            text = rec[at]
            if text and len(text := str(text)) > short:
                lines = max(lines, line_count(text, width))
        return 14.5 * min(lines, MAX_LINES) + 1 if lines > 1 else None

    return height


def _block(ctx: Context, key: str, plan: list, make_row, height) -> rowxml.Block:
    """The table's data rows, written by rowxml only when the workbook is written."""
    lang, table, frame = ctx.lang, ctx.tables[key], ctx.frames[key]

    def rows(attr: rowxml.Styles) -> Iterator[str]:
        # Numbers and formulas with a number cached are written in line (this loop runs for
        # every cell of the largest tables; a call per cell cost ~60% more), texts by their
        # writer with the column's style looked up once, every other cell as _spec says.
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
                        cells.append(f'{start}{number}"{styled}><v>{float(value):.16G}</v></c>')
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
                cells.append(_cell_xml(letter + number, style, k, rec[at], out, lang, attr))
            yield rowxml.row_xml(table.row(i), "".join(cells), height(rec))

    styles = {*(style for _, style, _, _, _ in plan), "value_text", "wrap", "explanation"}
    styles |= {f"frozen_{style}" for style in styles if f"frozen_{style}" in ctx.fmt}
    return rowxml.Block(table.row(0), table.row(table.n - 1), rows, tuple(sorted(styles)))


def _total_row(ctx: Context, ws, key: str, columns: dict[str, tuple[str, str]],
               totals: dict[str, str]) -> int:
    """The totals under the table (formulas in ``totals`` by column); the row after it."""
    table, frame, fmt = ctx.tables[key], ctx.frames[key], ctx.fmt
    row = table.total_row
    if not totals or not table.n:
        return row
    write_label(ws, row, 0, TOTAL(ctx.lang), fmt["total_label"])
    for c, k in enumerate(table.keys[1:], 1):
        if k in totals:
            style = columns[k][1]
            cached = column_total(frame, k) if totals[k].startswith("=SUM(") else None
            text = totals[k].format(span=table.span(k, external=False), row=row + 1)
            ws.write_formula(row, c, text, fmt[f"total_{style}"], cached)
        else:
            ws.write_blank(row, c, None, fmt["total_label"])
    return row + 1


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
    if out is not None and out.formula and not is_blank(out.value):
        cached = out.value if isinstance(out.value, str) else float(out.value)
        style = style_name if isinstance(cached, float) else "value_text"
        return "formula", style, cached, out.formula.removeprefix("=")
    if is_blank(value):
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
    if is_blank(value):
        return Out(value)
    if source.cell is not None:
        return Out(value, link(source.cell))
    return Out(value, None, frozen=True)


def write_stakeholders(ctx: Context) -> None:
    """Per belanghebbende / By stakeholder: inputs and value summed from the trails."""
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
        out["ratio"] = Out(na if is_blank(rec.ratio) else rec.ratio,
                           f"=IF({col['inputs']}{r}=0,{literal(na)},{col['value']}{r}/"
                           f"{col['inputs']}{r})")
        if "net_ratio" in col:
            out["net_ratio"] = Out(na if is_blank(rec.net_ratio) else rec.net_ratio,
                                   f"=IF({col['inputs']}{r}=0,{literal(na)},{col['net']}{r}/"
                                   f"{col['inputs']}{r})")
        return out

    ws = _table_sheet(ctx, "stakeholders", make,
                      {"inputs": "=SUM({span})", "value": "=SUM({span})",
                       "net": "=SUM({span})"})
    # The total ratio divides the totals.
    frame = ctx.frames["stakeholders"]
    r = table.total_row
    if table.n:
        inp, val = column_total(frame, "inputs"), column_total(frame, "value")
        ratio_formula(ws, r, table.col("ratio"), table.total("inputs", external=False),
                       table.total("value", external=False), val / inp if inp else None,
                       ctx.fmt, "total_ratio", ctx.lang)
        if "net_ratio" in table.keys:
            net = column_total(frame, "net")
            ratio_formula(ws, r, table.col("net_ratio"), table.total("inputs", external=False),
                           table.total("net", external=False), net / inp if inp else None,
                           ctx.fmt, "total_ratio", ctx.lang)
    if ctx.results.tables["categories"].rows:
        _write_categories(ctx, ws)


CATEGORY_TITLE = T("Per categorie: wie betaalt, wie wint", "By category: who pays, who gains")


def _write_categories(ctx: Context, ws) -> None:
    """Below the stakeholders: their inputs and value summed by category, each figure a
    formula over the stakeholder rows (matched by the category column, as text)."""
    lang, fmt = ctx.lang, ctx.fmt
    stake = ctx.tables["stakeholders"]
    frame = category_labels(ctx.results.tables["categories"], lang)
    top = stake.total_row + 2
    table = Table(stake.sheet, list(frame.columns), top + 3, len(frame))
    columns = {k: ctx.column(k) for k in table.keys}
    stake_frame = ctx.frames["stakeholders"]
    widths = [_width(stake_frame, k, *ctx.column(k), wide=k == stake.keys[-1])
              for k in stake.keys]
    for c, k in enumerate(table.keys[len(widths):], len(widths)):
        widths.append(_width(frame, k, *columns[k]))
        ws.set_column(c, c, widths[-1])
    write_label(ws, top, 0, CATEGORY_TITLE(lang), fmt["section"])
    intro = INTROS["categories"][0](lang)
    span = sum(widths)
    if (lines := line_count(intro, span)) > 1:
        ws.set_row(top + 1, 15 * lines)
    write_merged(ws, top + 1, 0, len(table.keys) - 1, intro, fmt["subtitle_wrap"])
    lines = 1
    for c, k in enumerate(table.keys):
        write_label(ws, table.header_row, c, columns[k][0], fmt["header"])
        lines = max(lines, line_count(columns[k][0], widths[c] - 1))
    ws.set_row(table.header_row, 15 * lines)

    col = table.letters
    names = stake.span("category", external=False)
    total_in = stake.total("inputs", external=False)
    total_value = stake.total("value", external=False)
    height = _row_height(frame, [("category", widths[0])])
    for i, rec in enumerate(frame.records()):
        row = table.row(i)
        r = row + 1
        if (h := height(rec)) is not None:
            ws.set_row(row, h)
        me = f"({names}=$A{r})"
        write_label(ws, row, 0, rec.category, fmt["wrap"])
        for key, text in (
                ("stakeholders", f"=SUMPRODUCT({me}*1)"),
                ("inputs", f"=SUMPRODUCT({me}*{stake.span('inputs', external=False)})"),
                ("value", f"=SUMPRODUCT({me}*{stake.span('value', external=False)})"),
                ("net", f"={col['value']}{r}-{col['inputs']}{r}"),
                ("share_inputs", f"=IF({total_in}=0,0,{col['inputs']}{r}/{total_in})"),
                ("share_value", f"=IF({total_value}=0,0,{col['value']}{r}/{total_value})")):
            ws.write_formula(row, table.col(key), text, fmt[columns[key][1]],
                             float(getattr(rec, key)))
        for key, over in (("ratio", "value"), ("net_ratio", "net")):
            ratio_formula(ws, row, table.col(key), f"{col['inputs']}{r}", f"{col[over]}{r}",
                          getattr(rec, key), fmt, "ratio", lang)
    row = table.total_row
    write_label(ws, row, 0, TOTAL(lang), fmt["total_label"])
    for key in ("stakeholders", "inputs", "value", "net", "share_inputs", "share_value"):
        ws.write_formula(row, table.col(key), f"=SUM({table.span(key, external=False)})",
                         fmt[f"total_{columns[key][1]}"], column_total(frame, key))
    inp, val = column_total(frame, "inputs"), column_total(frame, "value")
    for key, over, cached in (("ratio", "value", val), ("net_ratio", "net", val - inp)):
        ratio_formula(ws, row, table.col(key), table.total("inputs", external=False),
                      table.total(over, external=False), cached / inp if inp else None, fmt,
                      "total_ratio", lang)
    ws.print_area(0, 0, row, max(len(table.keys), len(stake.keys)) - 1)


def write_outcomes(ctx: Context) -> None:
    """Per opbrengst / By outcome: each outcome's first-year figures and its trail rows' sums."""
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
    """Per jaar / By year: inputs, value, discounting and payback per year, then the value per
    stakeholder and the cumulative chart's points beside it."""
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
        dash = literal(NO_PAYBACK)
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
    write_merged(ws, table.header_row - 1, c0, total_col, T(
        "Contante waarde per belanghebbende", "Present value by stakeholder")(lang),
        fmt["label_wrap"])
    for j, who in enumerate(names):
        c = c0 + j
        write_label(ws, table.header_row, c, who, fmt["header"])
        ws.set_column(c, c, max(14, min(len(who) + 2, 24)))
    write_label(ws, table.header_row, total_col, TOTAL(lang), fmt["header"])
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
    write_label(ws, table.header_row - 1, c, T("Gegevens voor de grafiek met cumulatieve waarden "
                                          "(niet afgedrukt)",
                                          "Data of the cumulative chart (not printed)")(lang),
           fmt["subtitle"])
    payback = ctx.results.headline.payback_years
    # One x column for both lines (LibreOffice draws scatter series with different x ranges
    # wrongly): inputs step at the start of each year, value runs straight between year ends.
    headers = [T("x (jaren)", "x (years)"), charts.CUM_INPUTS, charts.CUM_VALUE,
               T("x terugverdiend", "x payback")]
    for j, text in enumerate(headers):
        write_label(ws, table.header_row, c + j, text(lang), fmt["header"])
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
    ws.write_formula(table.header_row, c + 4,
                     f"={literal(name[0])}&FIXED({x_cell},1)&{literal(name[1])}",
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
    """Rekenspoor / Calculation trail: each outcome's figures from its input cells to its
    present value, the discount factors above the year columns."""
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
    write_merged(ws, factor_row, 0, first_year - 1, T(
        "Disconteringsfactor per jaar = 1 / (1 + r)^jaar", "Discount factor per year = "
        "1 / (1 + r)^year")(ctx.lang), fmt["label_right"])
    rate = ctx.cells["rate_value"]
    head = ctx.results.tables["years"].column("discount_factor_value")
    for key in years:
        year = int(key.removeprefix(YEAR_KEY))
        ws.write_formula(factor_row, table.col(key), f"=1/(1+{rate})^{year}", fmt["factor"],
                         head[year])


def write_input_trail(ctx: Context) -> None:
    """Rekenspoor inbreng / Input trail: hours, rate, amount and present value per input."""
    table = ctx.tables["input_trail"]
    sources = ctx.sources["input_trail"]
    rate = ctx.cells["rate_inputs"]

    def make(i, rec):
        r = table.row(i) + 1
        col = table.letters
        found = sources[i]
        out = {"hours": _linked(found["hours"], rec.hours),
               "rate": _linked(found["rate"], rec.rate)}
        if is_blank(rec.hours):
            out["amount"] = _linked(found["amount"], rec.amount)
        else:
            out["amount"] = Out(rec.amount, f"={col['hours']}{r}*{col['rate']}{r}")
        out["discount_factor"] = Out(rec.discount_factor, f"=1/(1+{rate})^{col['year']}{r}")
        out["present_value"] = Out(rec.present_value,
                                   f"={col['amount']}{r}*{col['discount_factor']}{r}")
        return out

    _table_sheet(ctx, "input_trail", make,
                 {"amount": "=SUM({span})", "present_value": "=SUM({span})"})
