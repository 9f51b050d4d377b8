"""The comparison sheet (Vergelijking / Comparison), written with xlsxwriter: both headlines
side by side, the changes largest effect first, the stakeholders' net values, the method, and a
waterfall chart from the old ratio to the new one.

The same sheet is a workbook of its own (``compare -o``) or is merged into the new version
(``compare --into``) by the packager, as fill's sheets are.
"""

from __future__ import annotations

import datetime as dt
import io
import math

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from . import __version__, charts, schema
from .compare import KINDS, Change, Comparison, Shown
from .render_layout import fill_date
from .schema import Text

SHEET = Text("Vergelijking", "Comparison")
TITLE = Text("Vergelijking van twee versies", "Comparison of two versions")
OLD = Text("Oud", "Old")
NEW = Text("Nieuw", "New")
HEADLINE_ROWS = (
    ("ratio", Text("SROI-ratio", "SROI ratio"), "ratio"),
    ("net_ratio", Text("Netto SROI-ratio", "Net SROI ratio"), "ratio"),
    ("pv_value", Text("Contante waarde opbrengsten", "PV of outcomes"), "money"),
    ("pv_inputs", Text("Contante waarde inbreng", "PV of inputs"), "money"),
    ("npv", Text("Netto contante waarde (NPV)", "Net present value (NPV)"), "money"),
    ("payback_years", Text("Terugverdientijd (jaren)", "Payback period (years)"), "years"),
)
LABELS = {
    "headline": Text("Kerncijfers", "Headline figures"),
    "difference": Text("Verschil", "Difference"),
    "changes": Text("Wijzigingen, grootste effect eerst", "Changes, largest effect first"),
    "what": Text("Wat is gewijzigd", "What changed"),
    "effect_ratio": Text("Effect op ratio", "Effect on ratio"),
    "effect_npv": Text("Effect op NPV", "Effect on NPV"),
    "note": Text("Soort / toelichting", "Kind / note"),
    "step": Text("Stap", "Step"),
    "total": Text("Totaal (= verschil in de kerncijfers)",
                  "Total (= difference in the headline)"),
    "none": Text("Geen wijzigingen die de cijfers raken.", "No changes that affect the figures."),
    "stakeholders": Text("Per belanghebbende: netto waarde (waarde min inbreng)",
                         "By stakeholder: net value (value minus inputs)"),
    "stakeholder": Text("Belanghebbende", "Stakeholder"),
    "by_change": Text("Per belanghebbende en wijziging", "By stakeholder and change"),
    "effect_net": Text("Effect op netto waarde", "Effect on net value"),
    "method": Text("Methode", "Method"),
    "notes": Text("Let op", "Note"),
    "chart_data": Text("Gegevens van de grafiek", "Chart data"),
    "base": Text("basis (onzichtbaar)", "base (invisible)"),
    "up": Text("hoger", "up"),
    "down": Text("lager", "down"),
    "level": Text("stand", "level"),
    "other": Text("overige wijzigingen ({n})", "other changes ({n})"),
    "together": Text("alle wijzigingen samen", "all changes together"),
    "no_ratio": Text("n.v.t. (geen inbreng)", "n/a (no inputs)"),
    "not_reached": Text("niet binnen de horizon", "not reached within the horizon"),
    "chart_ratio": Text("Van oude naar nieuwe SROI-ratio", "From the old to the new SROI ratio"),
    "chart_npv": Text("Van oude naar nieuwe NPV", "From the old to the new NPV"),
}
WHAT_WIDTH = 52
NOTE_WIDTH = 40
CHART_BARS = 12  # changes drawn one by one; the rest are one bar
CHART_HEIGHT = 320
ROW_POINTS = 15
UP_COLOUR, DOWN_COLOUR = "#548235", "#C55A11"  # also apart in lightness, for grey print


def sheet_name(lang: str) -> str:
    return SHEET(lang)


def render(comparison: Comparison, old_name: str, new_name: str,
           today: dt.date | None = None) -> bytes:
    """The comparison as an .xlsx workbook of one sheet."""
    lang = comparison.language
    today = today or fill_date()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": TITLE(lang), "creator": f"sroi-excel {__version__}",
                         "created": dt.datetime(today.year, today.month, today.day)})
    _Sheet(book, comparison, lang, old_name, new_name, today).write()
    book.close()
    return out.getvalue()


class _Sheet:
    """One comparison sheet being written; keeps the widest value per column."""

    def __init__(self, book, c: Comparison, lang: str, old_name: str, new_name: str,
                 today: dt.date):
        self.book, self.c, self.lang = book, c, lang
        self.old_name, self.new_name, self.today = old_name, new_name, today
        self.ws = book.add_worksheet(SHEET(lang))
        self.money = schema.currency_format(c.currency)
        self.symbol = self.money.split('"')[1]
        self.fmt = _formats(book, self.money)
        self.widths: dict[int, float] = {}
        self.sequence = c.method == "sequence"

    def t(self, label: str) -> str:
        return LABELS[label](self.lang)

    # ---- cells -----------------------------------------------------------------------------

    def text(self, row: int, col: int, value: str, style: str = "text") -> None:
        self.ws.write_string(row, col, value, self.fmt[style])  # user text: never a formula
        if style not in ("wrap", "note", "title", "subtitle", "section", "warning", "header"):
            self._fit(col, len(value))

    def number(self, row: int, col: int, value: float | None, style: str,
               formula: str | None = None) -> None:
        if value is None or not math.isfinite(value):
            self.text(row, col, "–", "value_text")
            return
        if formula:
            self.ws.write_formula(row, col, formula, self.fmt[style], value)
        else:
            self.ws.write_number(row, col, value, self.fmt[style])
        self._fit(col, len(self._shown_number(value, style)))

    def _shown_number(self, value: float, style: str) -> str:
        plain = style.removeprefix("total_").removeprefix("big_")
        if plain in ("money", "effect_money"):
            return f"{self.symbol} {value:,.2f}" + (" " if value >= 0 else "")
        if plain in ("percent", "rate"):
            return f"{value:.2%}"
        if plain == "integer":
            return f"{value:.0f}"
        if plain in ("ratio", "effect_ratio", "years"):
            return f"+{value:.2f}" if plain == "effect_ratio" else f"{value:.2f}"
        return f"{value:,.2f}"

    def _fit(self, col: int, chars: int) -> None:
        self.widths[col] = max(self.widths.get(col, 0), chars + 2)

    def wrapped(self, row: int, col: int, value: str, width: float, style: str = "wrap",
                last_col: int | None = None) -> None:
        if last_col is not None and last_col > col:
            self.ws.merge_range(row, col, row, last_col, value, self.fmt[style])
        else:
            self.ws.write_string(row, col, value, self.fmt[style])
        lines = sum(max(1, math.ceil(len(part) / width)) for part in value.split("\n"))
        if lines > 1:
            self.ws.set_row(row, ROW_POINTS * lines)

    def shown(self, row: int, col: int, s: Shown | None) -> None:
        """An old or new value: a number in its format, or a text."""
        if s is None:
            return
        style = {"money": "money", "number": "number", "percent": "percent", "rate": "rate",
                 "integer": "integer"}.get(s.shape)
        if style and isinstance(s.value, int | float) and not isinstance(s.value, bool):
            self.number(row, col, float(s.value), style)
        else:
            self.text(row, col, s.text(self.lang), "value_text")

    # ---- the sheet ---------------------------------------------------------------------------

    def write(self) -> None:
        ws, c = self.ws, self.c
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.hide_gridlines(2)
        self.text(0, 0, TITLE(self.lang), "title")
        self.text(1, 0, Text(
            f"{self.old_name} → {self.new_name} · berekend {self.today.isoformat()} · "
            f"sroi-excel {__version__}",
            f"{self.old_name} → {self.new_name} · computed {self.today.isoformat()} · "
            f"sroi-excel {__version__}")(self.lang), "subtitle")
        row = 3
        for note in c.notes:
            self.wrapped(row, 0, f"{self.t('notes')}: {note(self.lang)}", 150, "warning", 5)
            row += 1
        row = self.headline(row + (1 if c.notes else 0))
        chart_at = row + 1
        row = self.changes(chart_at + math.ceil((CHART_HEIGHT + 8) / 20) + 1)
        row = self.stakeholders(row + 1)
        self.text(row + 1, 0, self.t("method"), "section")
        self.wrapped(row + 2, 0, c.method_text(self.lang), 150, "wrap", 5)
        self.chart(chart_at, row + 4)
        self.widths[0] = WHAT_WIDTH
        self.widths[5] = NOTE_WIDTH
        for col, width in self.widths.items():
            ws.set_column(col, col, min(max(width, 10), 60))
        ws.set_column(0, 0, WHAT_WIDTH)

    def headline(self, row: int) -> int:
        c = self.c
        self.text(row, 0, self.t("headline"), "section")
        row += 1
        for col, label in enumerate(("", f"{OLD(self.lang)}\n{self.old_name}",
                                     f"{NEW(self.lang)}\n{self.new_name}",
                                     self.t("difference"))):
            self.ws.write_string(row, col, label, self.fmt["header"])
            self._fit(col, min(len(label.split("\n")[-1]), 40))
        self.ws.set_row(row, 2 * ROW_POINTS + 2)
        for key, label, style in HEADLINE_ROWS:
            row += 1
            self.text(row, 0, label(self.lang), "label")
            old, new = getattr(c.old, key), getattr(c.new, key)
            for col, value in ((1, old), (2, new)):
                if value is None:
                    missing = "not_reached" if key == "payback_years" else "no_ratio"
                    self.text(row, col, self.t(missing), "value_text")
                else:
                    self.number(row, col, value, style)
            if old is not None and new is not None:
                style = {"money": "effect_money"}.get(style, "effect_ratio")
                self.number(row, 3, new - old, style,
                            f"={_cell(row, 2)}-{_cell(row, 1)}")
        return row + 1

    def changes(self, row: int) -> int:
        c = self.c
        self.text(row, 0, self.t("changes"), "section")
        row += 1
        headers = [self.t("what"), f"{OLD(self.lang)}", f"{NEW(self.lang)}",
                   self.t("effect_ratio"), self.t("effect_npv"), self.t("note")]
        if self.sequence:
            headers.append(self.t("step"))
        for col, label in enumerate(headers):
            self.ws.write_string(row, col, label, self.fmt["header"])
        self.ws.set_row(row, 2 * ROW_POINTS + 2)
        first = row + 1
        if not c.changes:
            self.text(first, 0, self.t("none"), "note")
            return first + 1
        for change in c.changes:
            row += 1
            self.change_row(row, change)
        counted = [i for i, ch in enumerate(c.changes) if ch.counted]
        if counted:
            last = first + counted[-1]
            row += 1
            self.text(row, 0, self.t("total"), "total_label")
            for col in (1, 2, 5):
                self.ws.write_blank(row, col, None, self.fmt["total_label"])
            ratio = sum(ch.ratio for ch in c.counted) if all(
                ch.ratio is not None for ch in c.counted) else None
            if ratio is not None:
                self.number(row, 3, ratio, "total_effect_ratio",
                            f"=SUM({_cell(first, 3)}:{_cell(last, 3)})")
            else:
                self.text(row, 3, "–", "total_label")
            if all(ch.npv is not None for ch in c.counted):
                self.number(row, 4, sum(ch.npv for ch in c.counted), "total_effect_money",
                            f"=SUM({_cell(first, 4)}:{_cell(last, 4)})")
            else:
                self.text(row, 4, "–", "total_label")
        return row + 1

    def change_row(self, row: int, change: Change) -> None:
        label = change.label(self.lang)
        self.wrapped(row, 0, label, WHAT_WIDTH)
        self.shown(row, 1, change.old)
        self.shown(row, 2, change.new)
        if change.counted:
            if change.ratio is not None:
                self.number(row, 3, change.ratio, "effect_ratio")
            else:
                self.text(row, 3, "–", "value_text")
            self.number(row, 4, change.npv, "effect_money")
        note = [KINDS[change.kind](self.lang)]
        if change.note is not None and change.note(self.lang) != note[0]:
            note.append(change.note(self.lang))
        formulas = " → ".join(s.formula for s in (change.old, change.new)
                              if s is not None and s.formula)
        if formulas:
            note.append(formulas)
        text = "; ".join(note)
        self.wrapped(row, 5, text, NOTE_WIDTH, "note")
        lines = max(math.ceil(len(label) / WHAT_WIDTH),
                    math.ceil(len(text) * 1.1 / NOTE_WIDTH), 1)
        if lines > 1:
            self.ws.set_row(row, ROW_POINTS * lines)
        if self.sequence and change.step is not None:
            self.number(row, 6, change.step, "integer")

    def stakeholders(self, row: int) -> int:
        c = self.c
        self.text(row, 0, self.t("stakeholders"), "section")
        row += 1
        for col, label in enumerate((self.t("stakeholder"), OLD(self.lang), NEW(self.lang),
                                     self.t("difference"))):
            self.ws.write_string(row, col, label, self.fmt["header"])
        first = row + 1
        for s in c.stakeholders:
            row += 1
            self.text(row, 0, s.stakeholder, "text")
            self.number(row, 1, s.old, "money")
            self.number(row, 2, s.new, "money")
            self.number(row, 3, s.change, "effect_money", f"={_cell(row, 2)}-{_cell(row, 1)}")
        if c.stakeholders:
            row += 1
            self.text(row, 0, schema.Text("Totaal", "Total")(self.lang), "total_label")
            for col, total in ((1, sum(s.old for s in c.stakeholders)),
                               (2, sum(s.new for s in c.stakeholders)),
                               (3, sum(s.change for s in c.stakeholders))):
                style = "total_effect_money" if col == 3 else "total_money"
                self.number(row, col, total, style,
                            f"=SUM({_cell(first, col)}:{_cell(row - 1, col)})")
        moved = [s for s in c.stakeholders if s.effects]
        if not moved:
            return row + 1
        row += 2
        self.text(row, 0, self.t("by_change"), "section")
        row += 1
        for col, label in enumerate((self.t("what"), self.t("effect_net"))):
            self.ws.write_string(row, col, label, self.fmt["header"])
        for s in moved:
            row += 1
            self.text(row, 0, s.stakeholder, "label")
            for index, effect in s.effects:
                row += 1
                self.wrapped(row, 0, "   " + c.changes[index].label(self.lang), WHAT_WIDTH,
                             "indent")
                self.number(row, 1, effect, "effect_money")
        return row + 1

    # ---- the waterfall -----------------------------------------------------------------------

    def chart(self, at: int, row: int) -> None:
        """A waterfall at row ``at``, its data from row ``row`` down: the old level, each change
        up or down from where the last one left off, the new level. Stacked columns on an
        invisible base; a bar that crosses zero has its part below zero in a second series of
        the same colour."""
        bars, by_ratio = _waterfall(self.c, self.lang)
        names, values = _stacked(bars)
        header, last = self._chart_data(row, bars, names, values, "ratio" if by_ratio else "money")
        number = "0.00" if by_ratio else self.money
        sheet = SHEET(self.lang)
        chart = self.book.add_chart({"type": "column", "subtype": "stacked"})
        colours = {"level": charts.INK, "up": UP_COLOUR, "down": DOWN_COLOUR}
        for k, name in enumerate(names, 1):
            kind = name.removesuffix("_below")
            series = {"name": [sheet, header, k],
                      "categories": [sheet, header + 1, 0, last, 0],
                      "values": [sheet, header + 1, k, last, k]}
            if name == "base":
                series.update({"fill": {"none": True}, "border": {"none": True},
                               "gap": 60, "overlap": 100})
            else:
                series.update({"fill": {"color": colours[kind]}, "border": charts.OUTLINE,
                               "data_labels": self._labels(bars, values[name], kind, number,
                                                           values[kind] if name != kind
                                                           else None)})
            chart.add_series(series)
        delete = [i for i, name in enumerate(names)
                  if name == "base" or name.endswith("_below") or not any(values[name])]
        _style_chart(chart, self.t("chart_ratio" if by_ratio else "chart_npv"), number, bars,
                     delete)
        self.ws.insert_chart(at, 0, chart, {"x_offset": 4, "y_offset": 4,
                                            "object_position": 3})

    def _chart_data(self, row: int, bars, names: list[str], values: dict[str, list[float]],
                    style: str) -> tuple[int, int]:
        """The chart's data at the foot of the sheet: label, base, then each colour; the rows
        of its header and its last bar."""
        self.text(row, 0, self.t("chart_data"), "section")
        header = row + 1
        self.ws.write_string(header, 0, "", self.fmt["header"])
        for k, name in enumerate(names, 1):
            label = self.t(name.removesuffix("_below")) + (
                " < 0" if name.endswith("_below") else "")
            self.ws.write_string(header, k, label, self.fmt["header"])
        self.ws.set_row(header, 2 * ROW_POINTS + 2)
        for i, (label, *_) in enumerate(bars):
            self.text(header + 1 + i, 0, label, "text")
            for k, name in enumerate(names, 1):
                self.number(header + 1 + i, k, values[name][i], style)
        return header, header + len(bars)

    def _labels(self, bars, values: list[float], kind: str, number: str,
                above: list[float] | None) -> dict:
        """Each bar's label (its signed effect, or the level) on the series that draws it:
        the part above zero, or (``above`` given) the part below where there is none above."""
        custom = []
        for i, ((_, a, b, bar_kind), value) in enumerate(zip(bars, values, strict=True)):
            if bar_kind != kind or not value or (above is not None and above[i]):
                custom.append({"delete": True})
                continue
            figure, sign = (b, "") if kind == "level" else (b - a, "+")
            text = f"{figure:{sign}.2f}" if number == "0.00" else f"{figure:{sign},.0f}"
            custom.append({"value": text})
        return {"value": True, "custom": custom, "position": "inside_end",
                "font": {"name": schema.FONT, "size": 8, "bold": True, "color": "#FFFFFF"}}


def _waterfall(c: Comparison, lang: str) -> tuple[list[tuple[str, float, float, str]], bool]:
    """The bars (label, from, to, level/up/down), in the ratio where every change has its
    share of it, else in the NPV; and whether in the ratio."""
    by_ratio = c.old.ratio is not None and c.new.ratio is not None and all(
        ch.ratio is not None for ch in c.counted)
    start = c.old.ratio if by_ratio else c.old.npv
    end = c.new.ratio if by_ratio else c.new.npv
    steps = [(ch.label(lang), ch.ratio if by_ratio else ch.npv) for ch in c.counted]
    if any(effect is None for _, effect in steps):  # not split: one bar for them all
        steps = [(LABELS["together"](lang), end - start)]
    if len(steps) > CHART_BARS:
        rest = steps[CHART_BARS - 1:]
        steps = steps[:CHART_BARS - 1] + [
            (LABELS["other"](lang).format(n=len(rest)), sum(e for _, e in rest))]
    bars = [(f"{OLD(lang)}", 0.0, start, "level")]
    level = start
    for label, effect in steps:
        bars.append((_short(label), level, level + effect, "up" if effect >= 0 else "down"))
        level += effect
    bars.append((f"{NEW(lang)}", 0.0, end, "level"))
    return bars, by_ratio


def _stacked(bars) -> tuple[list[str], dict[str, list[float]]]:
    """The series of the stacked columns (base, then level, up and down, each with its part
    below zero where a bar reaches below it) and their values, bar by bar."""
    names = ["base"] + [f"{kind}{side}" for kind in ("level", "up", "down")
                        for side in ("", "_below")]
    values: dict[str, list[float]] = {name: [] for name in names}
    for _, a, b, kind in bars:
        base, above, below = _stack(min(a, b), max(a, b))
        for name in names:
            values[name].append({"base": base, kind: above, f"{kind}_below": below}.get(name, 0.0))
    return [n for n in names if not n.endswith("_below") or any(values[n])], values


def _style_chart(chart, title: str, number: str, bars, delete: list[int]) -> None:
    """Title, axes, legend (without the series in ``delete``) and size of the waterfall."""
    chart.set_title({"name": title, "name_font": charts.title_font()})
    chart.set_x_axis({"num_font": {"name": schema.FONT, "size": 8},
                      "line": {"color": "#808080"}})
    chart.set_y_axis({"num_font": {"name": schema.FONT, "size": 8}, "num_format": number,
                      "line": {"color": "#808080"},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      **_axis_floor(bars)})
    chart.set_legend({"position": "bottom", "font": {"name": schema.FONT, "size": 9},
                      "delete_series": delete})
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})
    chart.set_size({"width": max(charts.WIDTH, 70 * len(bars)), "height": CHART_HEIGHT})


def _axis_floor(bars) -> dict:
    """Where the value axis starts: at zero, unless every bar lies well above it and the steps
    are small beside the levels (2.20 -> 2.16), which at zero would be too thin to see."""
    lows = [min(a, b) for _, a, b, kind in bars if kind != "level"] + [
        b for *_, b, kind in bars if kind == "level"]
    highs = [max(a, b) for _, a, b, _ in bars]
    low, high = min(lows), max(highs)
    if low <= 0 or high - low >= 0.5 * low:
        return {}
    step = 10 ** math.floor(math.log10(high - low))
    return {"min": math.floor((low - (high - low)) / step) * step}


def _stack(lo: float, hi: float) -> tuple[float, float, float]:
    """(invisible base, visible part above zero, visible part below zero) of a bar lo..hi,
    stacked: Excel stacks positive values up from zero and negative ones down from it."""
    if lo >= 0:
        return lo, hi - lo, 0.0
    if hi <= 0:
        return hi, 0.0, lo - hi
    return 0.0, hi, lo


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"


def _cell(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


def _formats(book, money: str) -> dict:
    base = {"font_name": schema.FONT}
    props = {name: dict(p) for name, p in schema.STYLES.items()}
    numbers = {"money": money, "number": "#,##0.00##", "integer": "0", "percent": "0.0#%",
               "rate": "0.00%", "ratio": "0.00", "years": "0.00",
               "effect_ratio": "+0.00;-0.00;0.00", "effect_money": money}
    for name, code in numbers.items():
        props[name] = {"num_format": code, "valign": "top"}
        props[f"total_{name}"] = {**schema.STYLES["total_number"], "num_format": code}
    props["section"] = {"bold": True, "font_size": 12, "font_color": schema.HEADER_FILL,
                        "bottom": 2, "bottom_color": schema.HEADER_FILL}
    props["value_text"] = {"align": "right", "valign": "top", "text_wrap": True}
    props["label"] = {"bold": True, "valign": "top"}
    props["indent"] = {"text_wrap": True, "valign": "top", "indent": 1}
    props["warning"] = {**schema.STYLES["warning"], "text_wrap": True, "valign": "top"}
    props["total_label"] = dict(schema.STYLES["total_label"])
    return {name: book.add_format({**base, **p}) for name, p in props.items()}
