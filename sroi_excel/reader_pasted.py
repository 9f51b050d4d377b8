"""Numbers that arrive as text, as pasted from a report, a PDF or a web page ("EUR 14.668",
"15 000" with a non-breaking space, "(420)", "30 %"): what makes each one text, and the number
to type instead. The reader takes none of them as a number: a guess would be silent where it
is wrong. It says which number it would be, and both where the text can be read two ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# Non-breaking, narrow non-breaking (French and PDF thousands), thin and figure spaces.
_PASTED_SPACES = "\u00a0\u202f\u2009\u2007"
_CURRENCY = r"(€|euro|EUR|£|GBP|\$|USD)"
_LEADING = re.compile(rf"(?:([-+])|{_CURRENCY})\s*", re.IGNORECASE)
_TRAILING = re.compile(rf"\s*{_CURRENCY}$", re.IGNORECASE)
_BODY = re.compile(r"\d(?:[\d.,' ]*\d)?")
_NBSP = "a non-breaking space as pasted from a PDF or web page"


@dataclass(frozen=True)
class Pasted:
    """What a text would be as a number: ``number`` to type, ``because``: what makes it text;
    ``other``: the other reading where the one separator may be either (``separator``)."""

    number: str
    because: tuple[str, ...]
    other: str | None = None
    separator: str = ""


def read_pasted(text: str) -> Pasted | None:
    """The number a pasted text stands for, or None where it is no number."""
    s, because = text.strip(), {}
    pasted_space = re.search(rf"\d[{_PASTED_SPACES}]+[\d%]", s) is not None
    for ch in _PASTED_SPACES:
        s = s.replace(ch, " ")
    if "\u2212" in s:  # the typographic minus of reports, which Excel reads as text
        s = s.replace("\u2212", "-")
        because["minus"] = "a minus sign that Excel does not read as one"
    negative = False
    if s.startswith("(") and s.endswith(")"):
        s, negative = s[1:-1].strip(), True
        because["brackets"] = "brackets for a negative amount"
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
        if s.endswith(" "):
            because["percent"] = "a space before the percent sign"
            s = s.rstrip()
    if re.search(r",-{1,2}$", s):
        s = s[:s.rindex(",")].rstrip()
        because["dash"] = "',-' after the amount"
    currency = None
    while m := _LEADING.match(s):
        if m.group(1):
            negative = not negative if m.group(1) == "-" else negative
        else:
            currency = m.group(2)
        s = s[m.end():]
    if m := _TRAILING.search(s):
        currency, s = m.group(1), s[:m.start()]
    if not _BODY.fullmatch(s):
        return None
    if currency:
        because["currency"] = f"the currency {currency}"
    if pasted_space:
        because["spaces"] = _NBSP
        because.pop("percent", None)
    elif re.search(r"\d[ ']+\d", s):
        because["spaces"] = "spaces between the digits"
    return _number(s, negative, percent, currency is not None, because)


def _number(body: str, negative: bool, percent: bool, money: bool,
            because: dict[str, str]) -> Pasted | None:
    """The digits with their separators read as one number (or two, where either fits)."""
    grouping = {" ", "'"} & set(body)
    dots, commas = body.count("."), body.count(",")
    decimal = thousands = None
    ambiguous = False
    if dots and commas:
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        thousands = "," if decimal == "." else "."
    elif dots or commas:
        sep = "." if dots else ","
        integer, _, fraction = body.partition(sep)
        if dots + commas > 1:
            thousands = sep
        elif (grouping or len(fraction) != 3 or not 1 <= len(integer) <= 3
              or integer.startswith("0")):
            decimal = sep
        elif money:  # an amount of money does not have three decimals
            thousands = sep
        else:
            thousands, ambiguous = sep, True
    separators = grouping | ({thousands} if thousands else set())
    integer, _, fraction = body.partition(decimal) if decimal else (body, "", "")
    if decimal and (decimal in fraction or not fraction.isdigit()):
        return None
    if not _grouped(integer, separators):
        return None
    digits = re.sub(r"\D", "", integer)
    if thousands in (".", ",") and not ambiguous:
        because["thousands"] = "thousands separators"
    if decimal == ",":
        because["decimal"] = "a decimal comma"
    order = ("currency", "spaces", "thousands", "decimal", "brackets", "dash", "minus",
             "percent")
    reasons = tuple(because[k] for k in order if k in because)
    number = _shown(digits, fraction, negative, percent)
    if ambiguous:
        return Pasted(number, reasons, _shown(*body.split(thousands), negative, percent),
                      "point" if thousands == "." else "comma")
    return Pasted(number, reasons)


def _grouped(integer: str, separators: set[str]) -> bool:
    """Whether the whole part is digits, in groups of three after the first where separated."""
    if not separators:
        return integer.isdigit()
    groups = re.split("[" + re.escape("".join(separators)) + "]", integer)
    return (1 <= len(groups[0]) <= 3 and groups[0].isdigit() and not groups[0].startswith("0")
            and all(len(g) == 3 and g.isdigit() for g in groups[1:]))


def _shown(digits: str, fraction: str, negative: bool, percent: bool) -> str:
    """A number as it is to be typed: no separators, a decimal point, no trailing zeros."""
    value = Decimal(f"{digits}.{fraction}" if fraction else digits)
    text = format(-value if negative else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + ("%" if percent else "")


def _listed(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def pasted_message(text: str, shown: str, label: str) -> str | None:
    """Why a text cell is not a number and the number to type, or None where it is none."""
    pasted = read_pasted(text)
    if pasted is None:
        return None
    if pasted.other is not None:
        with_ = f", with {_listed(pasted.because)}" if pasted.because else ""
        return (f"the {label} '{shown}' is stored as text{with_}; type {pasted.number} if the "
                f"{pasted.separator} separates thousands, or {pasted.other} if it is a decimal "
                f"{pasted.separator}")
    if not pasted.because:
        return (f"the {label} '{shown}' is a number stored as text; type {pasted.number} "
                "instead (Excel: Convert to Number)")
    return (f"the {label} '{shown}' is stored as text, with {_listed(pasted.because)}; type "
            f"{pasted.number} instead")
