"""Native Excel charts of the results, made with xlsxwriter.

Every series refers to cells of the result sheets (never to copied numbers), so a chart follows
its table when an input changes in Excel. Colours differ in lightness as well as hue, and bars
have dark outlines, so the charts stay readable when printed in grey.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from . import schema
from .schema import Text

# (sheet, first row, first col, last row, last col), 0-based, as xlsxwriter takes ranges.
Range = tuple[str, int, int, int, int]
CellRef = tuple[str, int, int]

FONT = schema.FONT
INK = schema.HEADER_FILL  # dark navy: about 20% grey when printed without colour
# Alternating dark and light, so neighbouring segments of a stacked bar differ in grey.
PALETTE = ("#1F3864", "#F4B183", "#5B9BD5", "#E2F0D9", "#7F6000", "#BDD7EE", "#C55A11",
           "#A5A5A5")
# Past the palette, patterns keep further series apart (in grey print too).
PATTERNS = ("wide_upward_diagonal", "small_grid", "dashed_horizontal", "percent_50")
OUTLINE = {"color": "#404040", "width": 0.75}

WIDTH = 560  # pixels; the results sheet reserves columns and rows for this size
HEIGHT = 270


@dataclass(frozen=True)
class Labels:
    """A chart's title and axis titles."""

    title: Text
    x: Text
    y: Text


STAKEHOLDERS = Labels(Text("Inbreng en waarde per belanghebbende",
                           "Inputs and value by stakeholder"),
                      Text("Belanghebbende", "Stakeholder"),
                      Text("Contante waarde", "Present value"))
OUTCOMES = Labels(Text("Waarde per opbrengst (grootste eerst)",
                       "Value by outcome (largest first)"),
                  Text("Opbrengst", "Outcome"), Text("Contante waarde", "Present value"))
YEARS = Labels(Text("Waarde per jaar, per belanghebbende", "Value per year, by stakeholder"),
               Text("Jaar", "Year"), Text("Contante waarde", "Present value"))
CUMULATIVE = Labels(Text("Cumulatieve waarde en inbreng: terugverdienen",
                         "Cumulative value against inputs: payback"),
                    Text("Jaren na de start", "Years from the start"),
                    Text("Cumulatief, contante waarde", "Cumulative present value"))
INPUTS = Text("Inbreng", "Inputs")
VALUE = Text("Waarde", "Value")
CUM_INPUTS = Text("Cumulatieve inbreng", "Cumulative inputs")
CUM_VALUE = Text("Cumulatieve waarde", "Cumulative value")


def _font(size: float = 9, **extra) -> dict:
    return {"name": FONT, "size": size, **extra}


def title_font() -> dict:
    return _font(11, bold=True, color=INK)


def _decorate(chart, labels: Labels, lang: str, money: str, legend: bool = True) -> None:
    chart.set_title({"name": labels.title(lang), "name_font": title_font()})
    x_axis = {"name": labels.x(lang), "name_font": _font(9, bold=False),
              "num_font": _font(8), "line": {"color": "#808080"}}
    y_axis = {"name": labels.y(lang), "name_font": _font(9, bold=False),
              "num_font": _font(8), "line": {"color": "#808080"},
              "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
              "num_format": money}
    chart.set_x_axis(x_axis)
    chart.set_y_axis(y_axis)
    if legend:
        chart.set_legend({"position": "bottom", "font": _font(9)})
    else:
        chart.set_legend({"none": True})
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})
    chart.set_size({"width": WIDTH, "height": HEIGHT})


def _fill(index: int) -> dict:
    """Fill and border of the index-th series: palette first, then patterns."""
    if index < len(PALETTE):
        return {"fill": {"color": PALETTE[index]}, "border": OUTLINE}
    pattern = PATTERNS[(index - len(PALETTE)) % len(PATTERNS)]
    fg = PALETTE[(index - len(PALETTE)) % len(PALETTE)]
    return {"pattern": {"pattern": pattern, "fg_color": fg, "bg_color": "#FFFFFF"},
            "border": OUTLINE}


def stakeholders(book, lang: str, money: str, categories: Range, inputs: Range,
                 value: Range, inputs_name: CellRef, value_name: CellRef, height: int = HEIGHT):
    """Clustered bars: per stakeholder, inputs beside value (who pays, who gains).

    Horizontal, so that long stakeholder names stay readable, in the table's order from the
    top down.
    """
    chart = book.add_chart({"type": "bar"})
    chart.add_series({"name": list(inputs_name), "categories": list(categories),
                      "values": list(inputs), **_fill(0), "gap": 60})
    chart.add_series({"name": list(value_name), "categories": list(categories),
                      "values": list(value), **_fill(1)})
    _decorate(chart, STAKEHOLDERS, lang, money)
    _horizontal(chart, STAKEHOLDERS, lang, money)
    chart.set_size({"width": WIDTH, "height": height})
    return chart


def _horizontal(chart, labels: Labels, lang: str, money: str) -> None:
    # In xlsxwriter's bar charts x is the horizontal (value) axis and y the category axis.
    chart.set_x_axis({"name": labels.y(lang), "name_font": _font(9, bold=False),
                      "num_font": _font(8), "num_format": money,
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      "line": {"color": "#808080"}})
    # Reversed so the first row of the table is on top; crossing at the maximum keeps the
    # value axis at the bottom.
    chart.set_y_axis({"name": labels.x(lang), "name_font": _font(9, bold=False),
                      "num_font": _font(8), "reverse": True, "crossing": "max",
                      "line": {"color": "#808080"}})


def bar_height(categories: int, series: int = 1) -> int:
    """Pixels a horizontal bar chart needs for this many bars to stay readable."""
    return max(HEIGHT, 100 + 14 * categories * (series + 1))


def outcomes(book, lang: str, money: str, categories: Range, values: Range, height: int):
    """Horizontal bars, largest on top (the table is sorted; the axis is reversed)."""
    chart = book.add_chart({"type": "bar"})
    chart.add_series({"name": VALUE(lang), "categories": list(categories),
                      "values": list(values), **_fill(0), "gap": 60,
                      "data_labels": {"value": True, "num_format": money,
                                      "font": _font(8)}})
    _decorate(chart, OUTCOMES, lang, money, legend=False)
    _horizontal(chart, OUTCOMES, lang, money)
    chart.set_size({"width": WIDTH, "height": height})
    return chart


def years(book, lang: str, money: str, categories: Range,
          series: list[tuple[CellRef, Range]]):
    """Stacked columns: each year's present value, split by stakeholder."""
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    for i, (name, values) in enumerate(series):
        chart.add_series({"name": list(name), "categories": list(categories),
                          "values": list(values), **_fill(i), "gap": 50, "overlap": 100})
    _decorate(chart, YEARS, lang, money)
    return chart


def cumulative(book, lang: str, money: str, inputs_x: Range, inputs_y: Range,
               value_x: Range, value_y: Range, last_year: int,
               payback: tuple[CellRef, Range, Range, Range] | None):
    """Cumulative value against cumulative inputs, with the payback point marked.

    Inputs count at the start of their year, so they are drawn as steps; value accrues
    evenly through the year, so it is a straight line between year ends. The payback point
    is where the line meets the step, as the engine computes it.
    """
    chart = book.add_chart({"type": "scatter", "subtype": "straight"})
    chart.add_series({"name": CUM_INPUTS(lang), "categories": list(inputs_x),
                      "values": list(inputs_y),
                      "line": {"color": INK, "width": 2.5}, "marker": {"type": "none"}})
    chart.add_series({"name": CUM_VALUE(lang), "categories": list(value_x),
                      "values": list(value_y),
                      "line": {"color": "#C55A11", "width": 2.25, "dash_type": "dash"},
                      "marker": {"type": "circle", "size": 5,
                                 "fill": {"color": "#C55A11"},
                                 "border": {"color": "#C55A11"}}})
    if payback is not None:
        name, x, y, marker = payback
        # (p, 0) to (p, level): a dotted drop line, then a marker on the crossing alone.
        chart.add_series({"name": list(name), "categories": list(x), "values": list(y),
                          "line": {"color": "#000000", "width": 1.25, "dash_type": "round_dot"},
                          "marker": {"type": "none"}})
        chart.add_series({"name": list(name), "categories": list(x), "values": list(marker),
                          "line": {"none": True},
                          "marker": {"type": "diamond", "size": 9,
                                     "fill": {"color": "#000000"},
                                     "border": {"color": "#000000"}}})
    _decorate(chart, CUMULATIVE, lang, money)
    if payback is not None:
        chart.set_legend({"position": "bottom", "font": _font(9), "delete_series": [3]})
    chart.set_x_axis({"name": CUMULATIVE.x(lang), "name_font": _font(9, bold=False),
                      "num_font": _font(8), "min": 0, "max": max(last_year, 1),
                      "major_unit": 1, "num_format": "0", "line": {"color": "#808080"}})
    return chart


def straighten(package: bytes) -> bytes:
    """Say ``<c:smooth val="0"/>`` in every scatter series of the package's charts.

    xlsxwriter leaves the element out for straight lines, which Excel reads as straight but
    LibreOffice as smoothed: the inputs step and the payback line then curve.
    """
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    # Stored, not compressed: the packager unzips this at once.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            data = source.read(info)
            info.compress_type = zipfile.ZIP_STORED
            if info.filename.startswith("xl/charts/chart") and b"<c:scatterChart>" in data:
                text = data.decode("utf-8")
                text = re.sub(r"(?<!<c:smooth val=\"1\"/>)</c:ser>",
                              '<c:smooth val="0"/></c:ser>', text)
                data = text.encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()
