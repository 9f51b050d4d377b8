"""Excel formula text as openpyxl tokenizes it: shared-formula translation and name targets.

The input fingerprint stored in filled workbooks hashes the formula text of every cell, so a
shared formula must come out character for character as openpyxl writes it, quirks included
(a run of spaces becomes one); defined names point where openpyxl's ``destinations`` says.
This is a port of openpyxl 3.1's ``Tokenizer`` and ``Translator`` for that purpose, checked
against them by tests/test_sheetxml.py (4,000 random formulas among others).

openpyxl itself would cost more time than this module costs code: importing it loads the
whole package, 0.13 s on top of what fill imports (median of 7 runs), and `fill` of the
50-outcome bench workbook took 0.14-0.17 s longer with it (medians of two series of 15
alternating runs: 0.83-0.85 s against 0.97-1.02 s). Every workbook would pay it: each has
defined names, which need the tokenizer.
"""

from __future__ import annotations

import re
from functools import cache

# Token kinds, spelled as openpyxl spells them.
OPERAND, FUNC, ARRAY, PAREN, SEP = "OPERAND", "FUNC", "ARRAY", "PAREN", "SEP"
OP_PRE, OP_IN, OP_POST = "OPERATOR-PREFIX", "OPERATOR-INFIX", "OPERATOR-POSTFIX"
WSPACE, LITERAL = "WHITE-SPACE", "LITERAL"
TEXT, NUMBER, LOGICAL, ERROR, RANGE = "TEXT", "NUMBER", "LOGICAL", "ERROR", "RANGE"
OPEN, CLOSE = "OPEN", "CLOSE"

_SCIENTIFIC = re.compile(r"^[1-9](\.[0-9]+)?[Ee]$")
_WHITESPACE = re.compile(r"[ \n]+")
_STRINGS = {'"': re.compile('"(?:[^"]*"")*[^"]*"(?!")'),
            "'": re.compile("'(?:[^']*'')*[^']*'(?!')")}
_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA")
_TOKEN_ENDERS = ",;}) +-*/^&=><%"
_MAX_COLUMN = 18278  # ZZZ: openpyxl's limit for column letters

# utils.cell.SHEETRANGE_RE: an optional sheet title, "!", then a cell or range.
_RANGE_EXPR = r"""
[$]?(?P<min_col>[A-Za-z]{1,3})?
[$]?(?P<min_row>\d+)?
(:[$]?(?P<max_col>[A-Za-z]{1,3})?
[$]?(?P<max_row>\d+)?)?
"""
_SHEET_TITLE = r"""
(('(?P<quoted>([^']|'')*)')|(?P<notquoted>[^'^ ^!]*))!"""
SHEETRANGE_RE = re.compile(f"{_SHEET_TITLE}(?P<cells>{_RANGE_EXPR})(?=,?)", re.VERBOSE)
ABSOLUTE_RE = re.compile("^" + _RANGE_EXPR + "$", re.VERBOSE)


class TokenizerError(Exception):
    """A formula openpyxl's tokenizer refuses (the name shows in the reader's message)."""


class TranslatorError(Exception):
    """A shared formula that would refer above row 1 or left of column A."""


class Token:
    """One piece of a formula: its text, kind and subkind."""

    __slots__ = ("value", "type", "subtype")

    def __init__(self, value: str, type_: str, subtype: str = ""):
        self.value = value
        self.type = type_
        self.subtype = subtype

    @classmethod
    def operand(cls, value: str) -> Token:
        if value.startswith('"'):
            subtype = TEXT
        elif value.startswith("#"):
            subtype = ERROR
        elif value in ("TRUE", "FALSE"):
            subtype = LOGICAL
        else:
            try:
                float(value)
                subtype = NUMBER
            except ValueError:
                subtype = RANGE
        return cls(value, OPERAND, subtype)

    @classmethod
    def subexpression(cls, value: str, func: bool = False) -> Token:
        if func:
            kind = FUNC
        elif value in "{}":
            kind = ARRAY
        elif value in "()":
            kind = PAREN
        else:
            kind = FUNC
        return cls(value, kind, CLOSE if value in ")}" else OPEN)

    def closer(self) -> Token:
        return Token.subexpression("}" if self.type == ARRAY else ")", func=self.type == FUNC)


def tokenize(formula: str) -> list[Token]:
    """The tokens of a formula, exactly as openpyxl's Tokenizer makes them."""
    if not formula:
        return []
    if formula[0] != "=":
        return [Token(formula, LITERAL)]
    items: list[Token] = []
    stack: list[Token] = []
    token: list[str] = []
    offset = 1

    def save() -> None:
        if token:
            items.append(Token.operand("".join(token)))
            del token[:]

    def assert_empty(can_follow: str = "") -> None:
        if token and token[-1] not in can_follow:
            raise TokenizerError(f"Unexpected character at position {offset} in '{formula}'")

    while offset < len(formula):
        char = formula[offset]
        if char in "+-" and token and _SCIENTIFIC.match("".join(token)):
            token.append(char)  # the sign of an exponent: 1E+3
            offset += 1
            continue
        if char in _TOKEN_ENDERS:
            save()
        if char in "\"'":
            assert_empty(":")
            match = _STRINGS[char].match(formula[offset:])
            if match is None:
                kind = "string" if char == '"' else "link"
                raise TokenizerError(
                    f"Reached end of formula while parsing {kind} in {formula}")
            text = match.group(0)
            if char == '"':
                items.append(Token.operand(text))
            else:
                token.append(text)
            offset += len(text)
        elif char == "[":
            offset += _brackets(formula, offset, token)
        elif char == "#":
            assert_empty("!")
            rest = formula[offset:]
            for code in _ERROR_CODES:
                if rest.startswith(code):
                    items.append(Token.operand("".join(token) + code))
                    del token[:]
                    offset += len(code)
                    break
            else:
                raise TokenizerError(
                    f"Invalid error code at position {offset} in '{formula}'")
        elif char in " \n":
            items.append(Token(char, WSPACE))  # one character stands for the whole run
            offset += _WHITESPACE.match(formula, offset).end() - offset
        elif char in "+-*/^&=><%":
            offset += _operator(formula, offset, items)
        elif char in "{(":
            if char == "{":
                assert_empty()
                opener = Token.subexpression("{")
            elif token:
                opener = Token.subexpression("".join(token) + "(")
                del token[:]
            else:
                opener = Token.subexpression("(")
            items.append(opener)
            stack.append(opener)
            offset += 1
        elif char in ")}":
            closer = stack.pop().closer()  # IndexError on an unmatched one, as openpyxl
            if closer.value != char:
                raise TokenizerError(f"Mismatched ( and {{ pair in '{formula}'")
            items.append(closer)
            offset += 1
        elif char in ";,":
            if char == ";":
                items.append(Token(";", SEP, "ROW"))
            elif not stack or stack[-1].type == PAREN:
                items.append(Token(",", OP_IN))  # the union operator
            else:
                items.append(Token(",", SEP, "ARG"))
            offset += 1
        else:
            token.append(char)
            offset += 1
    save()
    return items


def _brackets(formula: str, offset: int, token: list[str]) -> int:
    rest = formula[offset:]
    marks = sorted([(m.start(), 1) for m in re.finditer(r"\[", rest)]
                   + [(m.start(), -1) for m in re.finditer(r"\]", rest)])
    depth = 0
    for index, step in marks:
        depth += step
        if depth == 0:
            token.append(rest[:index + 1])
            return index + 1
    raise TokenizerError(f"Encountered unmatched '[' in {formula}")


def _operator(formula: str, offset: int, items: list[Token]) -> int:
    pair = formula[offset:offset + 2]
    if pair in (">=", "<=", "<>"):
        items.append(Token(pair, OP_IN))
        return 2
    char = formula[offset]
    if char == "%":
        items.append(Token("%", OP_POST))
    elif char in "*/^&=><":
        items.append(Token(char, OP_IN))
    else:  # + or -: infix after an operand, a closing bracket or a postfix operator
        previous = next((i for i in reversed(items) if i.type != WSPACE), None)
        infix = previous is not None and (previous.subtype == CLOSE or previous.type == OP_POST
                                          or previous.type == OPERAND)
        items.append(Token(char, OP_IN if infix else OP_PRE))
    return 1


# -- cell coordinates, as openpyxl.utils.cell ---------------------------------------------------


@cache
def column_letter(index: int) -> str:
    """1 -> 'A', 27 -> 'AA' (openpyxl's get_column_letter)."""
    if not 1 <= index <= _MAX_COLUMN:
        raise ValueError(f"Invalid column index {index}")
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_LETTER_VALUES = {chr(65 + i): i + 1 for i in range(26)}


@cache
def column_index(letters: str) -> int:
    """'A' -> 1, 'aa' -> 27 (openpyxl's column_index_from_string, same errors)."""
    message = f"'{letters}' is not a valid column name. Column names are from A to ZZZ"
    if len(letters) > 3:
        raise ValueError(message)
    index = 0
    # As openpyxl: the last three letters of the upper-cased text, right to left.
    for letter, power in zip(reversed(letters.upper()), (1, 26, 676), strict=False):
        try:
            index += _LETTER_VALUES[letter] * power
        except KeyError:
            raise ValueError(message) from None
    if not 0 < index <= _MAX_COLUMN:
        raise ValueError(message)
    return index


_DIGITS = frozenset("0123456789")


def coordinate_to_tuple(coordinate: str) -> tuple[int, int]:
    """'B5' -> (5, 2), with openpyxl's errors for anything else."""
    if coordinate == "":
        raise UnboundLocalError("cannot access local variable 'idx'")  # what openpyxl raises
    index = 0
    for index, char in enumerate(coordinate):  # noqa: B007 - the index is used below
        if char in _DIGITS:
            break
    return int(coordinate[index:]), column_index(coordinate[:index])


def range_boundaries(text: str) -> tuple:
    """(min_col, min_row, max_col, max_row) of 'A1:C5', raising ValueError as openpyxl does."""
    message = f"{text} is not a valid coordinate or range"
    m = ABSOLUTE_RE.match(text)
    if not m:
        raise ValueError(message)
    min_col, min_row, sep, max_col, max_row = m.groups()
    if sep:
        cols, rows = (min_col, max_col), (min_row, max_row)
        if not (all(cols + rows) or all(cols) and not any(rows)
                or all(rows) and not any(cols)):
            raise ValueError(message)
    min_col = column_index(min_col) if min_col is not None else None
    min_row = int(min_row) if min_row is not None else None
    max_col = column_index(max_col) if max_col is not None else min_col
    max_row = int(max_row) if max_row is not None else min_row
    return min_col, min_row, max_col, max_row


# -- shared formulas and defined names -----------------------------------------------------------

_ROW_RANGE = re.compile(r"(\$?[1-9][0-9]{0,6}):(\$?[1-9][0-9]{0,6})$")
_COL_RANGE = re.compile(r"(\$?[A-Za-z]{1,3}):(\$?[A-Za-z]{1,3})$")
_CELL_REF = re.compile(r"(\$?[A-Za-z]{1,3})(\$?[1-9][0-9]{0,6})$")


class SharedFormula:
    """The formula of a shared-formula group, moved to each cell of the group."""

    def __init__(self, formula: str, origin: str):
        self.row, self.col = coordinate_to_tuple(origin)
        self.tokens = tokenize(formula)

    def at(self, dest: str | None) -> str:
        """The formula as it reads in cell ``dest`` (openpyxl's translate_formula)."""
        tokens = self.tokens
        if not tokens:
            return ""
        if tokens[0].type == LITERAL:
            return tokens[0].value
        rows = cols = 0
        if dest:
            row, col = coordinate_to_tuple(dest)
            rows, cols = row - self.row, col - self.col
        out = ["="]
        for token in tokens:
            if token.type == OPERAND and token.subtype == RANGE:
                out.append(_move_range(token.value, rows, cols))
            else:
                out.append(token.value)
        return "".join(out)


def _move_row(text: str, rows: int) -> str:
    if text.startswith("$"):
        return text
    row = int(text) + rows
    if row <= 0:
        raise TranslatorError("Formula out of range")
    return str(row)


def _move_col(text: str, cols: int) -> str:
    if text.startswith("$"):
        return text
    try:
        return column_letter(column_index(text) + cols)
    except ValueError:
        raise TranslatorError("Formula out of range") from None


def _move_range(text: str, rows: int, cols: int) -> str:
    sheet = ""
    if "!" in text:
        sheet, text = text.rsplit("!", 1)
        sheet += "!"
    m = _ROW_RANGE.match(text)
    if m is not None:
        return sheet + _move_row(m.group(1), rows) + ":" + _move_row(m.group(2), rows)
    m = _COL_RANGE.match(text)
    if m is not None:
        return sheet + _move_col(m.group(1), cols) + ":" + _move_col(m.group(2), cols)
    if ":" in text:
        return sheet + ":".join(_move_range(piece, rows, cols) for piece in text.split(":"))
    m = _CELL_REF.match(text)
    if m is None:  # a name
        return text
    return sheet + _move_col(m.group(1), cols) + _move_row(m.group(2), rows)


def destinations(text: str | None) -> list[tuple[str, str]]:
    """(sheet, cells) of each range a defined name's formula refers to (openpyxl's rules).

    Only a formula that starts with a range has destinations; raises (as openpyxl did) for a
    name without text or with a reference it cannot split into sheet and cells.
    """
    tokens = tokenize("=" + text)
    first = tokens[0]
    kind = first.subtype if first.type == OPERAND else first.type
    if kind != RANGE:
        return []
    found = []
    for token in tokens:
        if token.subtype == RANGE:
            m = SHEETRANGE_RE.match(token.value)
            found.append((m.group("notquoted") or m.group("quoted"), m.group("cells")))
    return found


class CellCoordinatesException(Exception):
    """A cell reference that is not one (openpyxl's name for it)."""


_COORD = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")


def coordinate_from_string(coordinate: str) -> tuple[str, int]:
    """'B12' -> ('B', 12), with openpyxl's errors."""
    m = _COORD.match(coordinate)
    if not m:
        raise CellCoordinatesException(f"Invalid cell coordinates ({coordinate})")
    column, row = m.groups()
    if not int(row):
        raise CellCoordinatesException(f"There is no row 0 ({coordinate})")
    return column, int(row)
