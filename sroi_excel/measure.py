"""How much room texts and figures take on a printed sheet: widths, wrapped lines, the scale.

Widths are counted in the unit of column widths: the width of a digit of the default font
(Calibri 11 in Excel; LibreOffice without Calibri prints in DejaVu Sans and makes a column
unit one DejaVu digit wide). The letters' proportions are DejaVu Sans's, with a margin for
Calibri's, whose capitals and wide letters are a little wider next to its narrow digits.
"""

from __future__ import annotations

import math

# Advance width of each character relative to a digit (DejaVu Sans); 1.0 where not listed.
_WIDTHS: dict[str, float] = {
    " ": 0.5, "!": 0.63, '"': 0.72, "#": 1.32, "%": 1.49, "&": 1.23, "'": 0.43, "(": 0.61,
    ")": 0.61, "*": 0.79, "+": 1.32, ",": 0.5, "-": 0.57, ".": 0.5, "/": 0.53, ":": 0.53,
    ";": 0.53, "<": 1.32, "=": 1.32, ">": 1.32, "?": 0.83, "@": 1.57, "A": 1.08, "B": 1.08,
    "C": 1.1, "D": 1.21, "G": 1.22, "H": 1.18, "I": 0.46, "J": 0.46, "K": 1.03, "M": 1.36,
    "N": 1.18, "O": 1.24, "Q": 1.24, "R": 1.09, "U": 1.15, "V": 1.08, "W": 1.55, "X": 1.08,
    "Z": 1.08, "[": 0.61, "]": 0.61, "^": 1.32, "_": 0.79, "c": 0.86, "f": 0.55, "i": 0.44,
    "j": 0.44, "k": 0.91, "l": 0.44, "m": 1.53, "r": 0.65, "s": 0.82, "t": 0.62, "w": 1.29,
    "z": 0.83, "|": 0.53, "~": 1.32, "·": 0.5, "–": 0.79, "’": 0.5, "ï": 0.44, "í": 0.44,
}
MARGIN = 1.06  # Calibri's letters beside its digits, and kerning
BOLD = 1.1  # bold letters are up to a tenth wider
PADDING = 0.8  # the cell's own margins, in column units
ROW_POINTS = 15.0  # a line of 11-point text
# The result sheets' page: A4 landscape, in points, and its margins in inches.
A4_LANDSCAPE_PT = (842, 595)
MARGINS_IN = {"left": 0.5, "right": 0.5, "top": 0.7, "bottom": 0.7}
PAGE_WIDTH_PT = A4_LANDSCAPE_PT[0] - 72 * (MARGINS_IN["left"] + MARGINS_IN["right"])
PAGE_HEIGHT_PT = A4_LANDSCAPE_PT[1] - 72 * (MARGINS_IN["top"] + MARGINS_IN["bottom"])
# Below this scale a sheet is not fitted to the page width but printed at it, across pages,
# with its first columns repeated: 8-point type, where fitting a wide trail gave 3 or 4.
READABLE_SCALE = 0.75


def text_width(text: str, size: float = 11, bold: bool = False) -> float:
    """The width of a line of text, in column units."""
    units = sum(_WIDTHS.get(ch, 1.0) for ch in text)
    return units * MARGIN * size / 11 * (BOLD if bold else 1.0)


def line_count(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """Lines a wrapped text needs in a column (or merged columns) ``width`` units wide; line
    breaks in the text count."""
    room = max(width - PADDING, 1.0)
    scale = size / 11 * (BOLD if bold else 1.0) * MARGIN
    space = _WIDTHS[" "] * scale
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            w = sum(_WIDTHS.get(ch, 1.0) for ch in word) * scale
            if used and used + space + w > room:
                lines += 1
                used = 0.0
            used += (space if used else 0.0) + w
            while used > room:  # a word longer than the line breaks where it must
                lines += 1
                used -= room
    return lines


def surely_fits(width: float) -> int:
    """The length of a text that fits on a line of a column ``width`` units wide whatever its
    letters (short of a row of Ws): longer ones are measured."""
    return int((width - PADDING) / (1.36 * MARGIN))


def fits(text: str, width: float, size: float = 11, bold: bool = False) -> bool:
    """Whether a text fits on one line of a column ``width`` units wide."""
    return text_width(text, size, bold) + PADDING <= width


def figure_text(value: float, code: str) -> str:
    """A number as a number format of the result sheets shows it (English separators; the
    Dutch ones are as wide). ``code`` is one of the formats in render_layout.formats, or a
    currency format '"€" #,##0.00;...'."""
    if code.startswith('"'):
        symbol = code.split('"')[1]
        decimals = len(code.split(";")[0].rpartition(".")[2]) if "." in code.split(";")[0] else 0
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol} {abs(value):,.{decimals}f}"
    if code.endswith("%"):
        decimals = len(code[:-1].rpartition(".")[2]) if "." in code else 0
        return f"{value * 100:,.{decimals}f}%"
    decimals = len(code.rpartition(".")[2]) if "." in code else 0
    return f"{value:,.{decimals}f}" if "," in code else f"{value:.{decimals}f}"


def figure_width(values, code: str, size: float = 11, bold: bool = False) -> float:
    """The column width the widest of ``values`` needs in number format ``code``, so that no
    figure prints as ###."""
    # Not bools (an int by isinstance); this runs over every row of the largest tables.
    figures = [v for v in values if isinstance(v, float) or type(v) is int]
    figures = [float(v) for v in figures if -math.inf < v < math.inf]  # NaN fails both
    # Digits are all as wide (tabular figures), so the widest text is that of the largest
    # value or of the most negative one: measuring those two, not every row of a large table.
    ends = {max(figures), min(figures)} if figures else set()
    widest = max((text_width(figure_text(v, code), size, bold) for v in ends), default=0.0)
    return math.ceil((widest + PADDING + 0.5) * 4) / 4 if widest else 0.0


def pixels(width: float) -> int:
    """A column's width in Excel's pixels (Calibri 11: 7 per unit and 5 of margin)."""
    return int(width * 7 + 5) if width > 0 else 0


def fit_scale(width_px: float) -> float:
    """The scale at which Excel fits a sheet ``width_px`` pixels wide to the page width."""
    return min(1.0, PAGE_WIDTH_PT / max(width_px * 0.75, 1.0))


def page_points(scale: float) -> float:
    """Points of sheet (row heights) that fit on one page printed at ``scale``."""
    return PAGE_HEIGHT_PT / scale
