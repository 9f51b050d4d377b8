"""What the formula language supports, and the sentences that say so when a formula goes
beyond it (used by :mod:`formula`)."""

from __future__ import annotations

import re

FUNCTION_ORDER = (
    "SUM", "MIN", "MAX", "ROUND", "ROUNDUP", "ROUNDDOWN", "AVERAGE", "ABS", "PRODUCT",
)  # fmt: skip

SUPPORTED = (
    "use + - * / ^ and %, brackets, numbers, names, cell references such as B5 or Aannames!B5 "
    "and the functions " + ", ".join(FUNCTION_ORDER[:-1]) + " and " + FUNCTION_ORDER[-1]
)

FUNCTION_HINTS = {
    "IF": "conditions cannot be evaluated",
    "IFS": "conditions cannot be evaluated",
    "IFERROR": "conditions cannot be evaluated",
    "AND": "conditions cannot be evaluated",
    "OR": "conditions cannot be evaluated",
    "NOT": "conditions cannot be evaluated",
    "VLOOKUP": "put the looked-up value in a cell or a name and refer to that",
    "HLOOKUP": "put the looked-up value in a cell or a name and refer to that",
    "XLOOKUP": "put the looked-up value in a cell or a name and refer to that",
    "LOOKUP": "put the looked-up value in a cell or a name and refer to that",
    "INDEX": "put the looked-up value in a cell or a name and refer to that",
    "MATCH": "put the looked-up value in a cell or a name and refer to that",
}

ERROR_MEANINGS = {
    "#REF!": "usually means a cell or sheet the formula referred to has been deleted",
    "#DIV/0!": "means something was divided by zero or by an empty cell",
    "#NAME?": "usually means a misspelt name or function",
    "#N/A": "usually means a lookup did not find its value",
    "#VALUE!": "usually means text was used where a number was expected",
    "#NUM!": "usually means a number is too large or a calculation has no result",
    "#NULL!": "usually means a space stands between two ranges that do not overlap",
}
ERROR_LITERAL = re.compile(
    r"#(?:REF!|DIV/0!|NAME\?|N/A|VALUE!|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|BLOCKED!"
    r"|FIELD!|UNKNOWN!|CONNECT!|BUSY!)",
    re.IGNORECASE,
)

CHARACTER_MESSAGES = {
    '"': "text in quotes is not supported; the engine only calculates with numbers",
    "<": "comparisons such as =, <, >, <=, >= and <> are not supported",
    ">": "comparisons such as =, <, >, <=, >= and <> are not supported",
    "=": "comparisons such as =, <, >, <=, >= and <> are not supported",
    "&": "joining text with & is not supported",
    "{": "array constants in braces such as {1,2,3} are not supported",
    "}": "array constants in braces such as {1,2,3} are not supported",
    "[": "square brackets are not supported: structured table references such as "
    "Table1[Column] and links to other workbooks cannot be evaluated",
    "]": "square brackets are not supported: structured table references such as "
    "Table1[Column] and links to other workbooks cannot be evaluated",
    "@": "the @ operator (implicit intersection) is not supported",
    "#": "'#' is not supported here (spilled ranges such as A1# cannot be evaluated)",
    "!": "'!' must come right after a sheet name, as in Aannames!B5",
}

def character_message(text: str, i: int) -> str:
    """Why the character at ``i`` cannot be in a formula, and what can."""
    ch = text[i]
    if ch == "#":
        m = ERROR_LITERAL.match(text, i)
        if m is not None:
            value = m.group().upper()
            meaning = ERROR_MEANINGS.get(value, "means Excel could not calculate the formula")
            return (
                f"the formula contains the Excel error value {value}, which {meaning}; "
                "correct the formula in Excel and save the workbook again"
            )
    base = CHARACTER_MESSAGES.get(ch, f"the character '{ch}' is not allowed in a formula")
    return f"{base}; {SUPPORTED}"


def unsupported_function(func: str) -> str:
    """Why a function cannot be used, with a hint where one helps, and what can."""
    shown = func.removeprefix("_XLFN.").removeprefix("_XLWS.")
    hint = FUNCTION_HINTS.get(shown)
    middle = f" ({hint})" if hint else ""
    return f"the function {shown} is not supported{middle}; {SUPPORTED}"
