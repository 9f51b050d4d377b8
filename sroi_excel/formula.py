"""Parse and evaluate the arithmetic subset of Excel formulas that SROI workbooks use.

Quantities and financial proxies are often formulas over assumptions
(``=Trajecten*Bereik*Financieel*Succes``, ``=ROUND(0.8*(660+18*9),0)*75``). The engine
evaluates them itself so that results never depend on the values Excel last cached.

Parse once with :func:`parse`, then :func:`evaluate` the tree as often as needed; the tree is
made of small frozen dataclasses, so it can be cached, compared and hashed.

Choices that follow Excel rather than school arithmetic or Python:

* ``^`` is left-associative (``2^3^2`` is 64) and unary minus binds tighter than ``^``
  (``-2^2`` is 4); ``%`` divides by 100 and binds tighter than ``^`` but looser than minus.
* ``;`` is accepted as an argument separator as well as ``,``: Dutch Excel shows and accepts
  ``;``, and users copy formulas from the screen, while the file itself always stores ``,``.
* ROUND, ROUNDUP and ROUNDDOWN work in decimal on the shortest text form of the float
  (``repr``), first rounded to 15 significant digits, which is the precision Excel shows and
  calculates with. So ``ROUND(0.125,2)`` is 0.13, ``ROUND(1.005,2)`` is 1.01 and
  ``ROUNDUP(0.1+0.2,1)`` is 0.3 rather than 0.4, as in Excel; ties round away from zero. Binary
  floating point arithmetic would get all three "wrong" from a spreadsheet user's view.
* An empty range gives 0 for SUM, MIN, MAX and PRODUCT and an error for AVERAGE.
* ``0^0`` and a negative number to a fractional power are errors (Excel: #NUM!).

Everything else (text, comparisons, ``&``, IF, lookups, arrays, tables, whole columns, other
workbooks) is rejected with a :class:`FormulaError` that names the construct and says what is
supported.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Context, Decimal
from typing import Any, NamedTuple, Protocol

from .exceptions import FormulaError
from .formula_messages import FUNCTION_ORDER as _FUNCTION_ORDER
from .formula_messages import SUPPORTED as _SUPPORTED
from .formula_messages import character_message as _character_message
from .formula_messages import unsupported_function as _unsupported_function

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "Binary",
    "Call",
    "MappingResolver",
    "Name",
    "Node",
    "Number",
    "Percent",
    "RangeRef",
    "Ref",
    "Resolver",
    "Unary",
    "evaluate",
    "parse",
    "references",
    "to_text",
]

# --------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric constant."""

    value: float


@dataclass(frozen=True, slots=True)
class Name:
    """A defined name such as ``Trajecten``, spelled as in the formula."""

    name: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A single cell, normalised to upper case without ``$``; ``sheet`` is None for this sheet."""

    sheet: str | None
    cell: str


@dataclass(frozen=True, slots=True)
class RangeRef:
    """A block of cells such as ``B2:B4``; only valid as an argument of SUM and friends."""

    sheet: str | None
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Unary:
    """Unary ``+`` or ``-``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """One of ``+ - * / ^`` between two operands."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Percent:
    """Postfix ``%``: the operand divided by 100."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of :data:`SUPPORTED_FUNCTIONS`; ``func`` is upper case."""

    func: str
    args: tuple[Node, ...]


Node = Number | Name | Ref | RangeRef | Unary | Binary | Percent | Call
# A value: a number, or a numpy array of numbers (one per draw or trial point).
Value = Any

# --------------------------------------------------------------------------------------------
# What is supported (the sentences that say so: formula_messages)
# --------------------------------------------------------------------------------------------

SUPPORTED_FUNCTIONS: frozenset[str] = frozenset(_FUNCTION_ORDER)
_RANGE_FUNCTIONS = frozenset({"SUM", "MIN", "MAX", "AVERAGE", "PRODUCT"})
_FIXED_ARITY = {"ROUND": 2, "ROUNDUP": 2, "ROUNDDOWN": 2, "ABS": 1}
_MAX_ARGS = 255  # Excel's own limit for SUM and friends
_ROUNDING = {"ROUND": ROUND_HALF_UP, "ROUNDUP": ROUND_UP, "ROUNDDOWN": ROUND_DOWN}

# Deeper trees would risk Python's recursion limit in evaluate and to_text; long chains such
# as A1+A2+...+A300 do not count, because both walk the left spine of a chain in a loop.
_MAX_DEPTH = 200
_MAX_NESTING = 64  # Excel's own limit for nested functions

# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # NUM WORD SHEET OP LP RP SEP COLON END ERR
    text: str  # for SHEET the unquoted sheet name, for ERR the message
    pos: int
    end: int


_DIGITS = frozenset("0123456789")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_COLUMN = re.compile(r"\$?[A-Za-z]{1,3}")
_MAX_COLUMN = 16384  # XFD
_MAX_ROW = 1048576


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_.\\$" or unicodedata.category(ch).startswith("M")


def _is_name(word: str) -> bool:
    """Whether ``word`` follows Excel's rules for a defined name (cell look-alikes excluded)."""
    first = word[0]
    if not (first.isalpha() or first in "_\\"):
        return False
    for ch in word[1:]:
        if not (ch.isalnum() or ch in "_." or unicodedata.category(ch).startswith("M")):
            return False
    return _cell(word) is None


def _cell(word: str) -> str | None:
    """The normalised cell ``word`` refers to, or None when it is not an A1 reference."""
    m = _CELL.fullmatch(word)
    if m is None:
        return None
    letters, row = m.group(1).upper(), int(m.group(2))
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    if column > _MAX_COLUMN or not 1 <= row <= _MAX_ROW:
        return None
    return f"{letters}{row}"


def _coords(cell: str) -> tuple[int, int]:
    """(column, row) of a normalised cell such as ``B5``."""
    m = _CELL.fullmatch(cell)
    if m is None:
        raise FormulaError(f"'{cell}' is not a cell reference such as B5")
    column = 0
    for ch in m.group(1).upper():
        column = column * 26 + ord(ch) - 64
    return column, int(m.group(2))


def _tokenize(text: str) -> list[_Token]:
    """Split ``text`` into tokens; the first bad construct becomes a final ERR token."""
    # ERR is raised only when the parser reaches it, so problems are reported in order of
    # appearance: IF(A1>0,1,2) complains about IF, not about ">".
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            assert m is not None
            j = m.end()
            if j < n and _is_word_char(text[j]):
                k = j
                while k < n and _is_word_char(text[k]):
                    k += 1
                tokens.append(_Token("ERR", f"'{text[i:k]}' is not a valid number or name", i, k))
                return tokens
            if math.isinf(float(m.group())):
                tokens.append(_Token("ERR", f"the number {m.group()} is too large", i, j))
                return tokens
            tokens.append(_Token("NUM", m.group(), i, j))
            i = j
        elif ch.isalpha() or ch in "_\\$":
            j = i + 1
            while j < n and _is_word_char(text[j]):
                j += 1
            word = text[i:j]
            if j < n and text[j] == "!":
                if "$" in word or "\\" in word:
                    message = f"'{word}' is not a valid sheet name; write 'Sheet name'!B5"
                    tokens.append(_Token("ERR", message, i, j))
                    return tokens
                tokens.append(_Token("SHEET", word, i, j + 1))
                i = j + 1
            else:
                tokens.append(_Token("WORD", word, i, j))
                i = j
        elif ch == "'":
            token = _quoted_sheet(text, i)
            tokens.append(token)
            if token.kind == "ERR":
                return tokens
            i = token.end
        elif ch in "+-*/^%":
            tokens.append(_Token("OP", ch, i, i + 1))
            i += 1
        elif ch in "(),;:":
            kind = {"(": "LP", ")": "RP", ",": "SEP", ";": "SEP", ":": "COLON"}[ch]
            tokens.append(_Token(kind, ch, i, i + 1))
            i += 1
        else:
            tokens.append(_Token("ERR", _character_message(text, i), i, i + 1))
            return tokens
    tokens.append(_Token("END", "", n, n))
    return tokens


def _quoted_sheet(text: str, start: int) -> _Token:
    """Read ``'Sheet name'!`` starting at the opening quote."""
    parts: list[str] = []
    i, n = start + 1, len(text)
    while True:
        close = text.find("'", i)
        if close < 0:
            message = "a quote ' is not closed; sheet names are quoted like 'My sheet'!B5"
            return _Token("ERR", message, start, n)
        parts.append(text[i:close])
        if close + 1 < n and text[close + 1] == "'":  # '' stands for one quote
            parts.append("'")
            i = close + 2
            continue
        break
    sheet = "".join(parts)
    if close + 1 >= n or text[close + 1] != "!":
        message = f"'{sheet}' must be followed by ! and a cell, as in '{sheet}'!B5"
        return _Token("ERR", message, start, close + 1)
    if "[" in sheet or "]" in sheet:
        message = (
            "links to other workbooks are not supported; copy the value into this workbook; "
            + _SUPPORTED
        )
        return _Token("ERR", message, start, close + 2)
    if ":" in sheet:
        message = (
            "references across several sheets such as 'Jan:Dec'!B5 are not supported; " + _SUPPORTED
        )
        return _Token("ERR", message, start, close + 2)
    if not sheet:
        return _Token("ERR", "a sheet name is missing before '!'", start, close + 2)
    return _Token("SHEET", sheet, start, close + 2)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------

_BINARY_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}
_PERCENT_PREC = 4
_UNARY_PREC = 5
_ATOM_PREC = 6


def parse(text: str) -> Node:
    """Parse a formula, with or without its leading ``=``, into a syntax tree."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}", str(text))
    body = text.strip()
    if body.startswith("="):
        body = body[1:]
    tokens = _tokenize(body)
    if tokens[0].kind == "END":
        raise FormulaError("the formula is empty; " + _SUPPORTED, text)
    parser = _Parser(text, tokens)
    node = parser.expr(0)
    parser.expect_end()
    _check_tree(node, text)
    return node


class _Parser:
    """Precedence-climbing parser over a token list."""

    __slots__ = ("text", "tokens", "i", "nesting")

    def __init__(self, text: str, tokens: list[_Token]):
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.nesting = 0

    def fail(self, message: str) -> FormulaError:
        return FormulaError(message, self.text)

    def peek(self, ahead: int = 0) -> _Token:
        tok = self.tokens[min(self.i + ahead, len(self.tokens) - 1)]
        if tok.kind == "ERR":
            raise self.fail(tok.text)
        return tok

    def take(self) -> _Token:
        tok = self.peek()
        self.i += 1
        return tok

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise self.fail(
                f"brackets and functions are nested more than {_MAX_NESTING} levels deep; "
                "split the formula over several cells"
            )

    def expr(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            prec = _BINARY_PREC.get(tok.text) if tok.kind == "OP" else None
            if prec is None or prec < min_prec:
                return left
            self.i += 1
            # prec + 1 makes every binary operator left-associative, ^ included, as in Excel
            left = Binary(tok.text, left, self.expr(prec + 1))

    def unary(self) -> Node:
        signs: list[str] = []
        while (tok := self.peek()).kind == "OP" and tok.text in ("+", "-"):
            signs.append(tok.text)
            self.i += 1
        node = self.primary()
        for sign in reversed(signs):
            node = Unary(sign, node)
        while (tok := self.peek()).kind == "OP" and tok.text == "%":
            self.i += 1
            node = Percent(node)
        return node

    def primary(self) -> Node:
        tok = self.peek()
        kind = tok.kind
        if kind == "NUM":
            self.i += 1
            if self.peek().kind == "COLON":
                raise self.fail(
                    f"whole-row references such as {tok.text}:{tok.text} are not supported; "
                    f"use a cell range such as A1:F1; {_SUPPORTED}"
                )
            return Number(float(tok.text))
        if kind == "WORD":
            return self.word()
        if kind == "SHEET":
            self.i += 1
            return self.sheet_ref(tok.text)
        if kind == "LP":
            self.i += 1
            self.enter()
            node = self.expr(0)
            self.nesting -= 1
            if self.peek().kind != "RP":
                self.unexpected(self.peek(), in_brackets=True)
            self.i += 1
            return node
        if kind == "END":
            if self.i == 0:
                raise self.fail("the formula is empty; " + _SUPPORTED)
            before = self.tokens[self.i - 1].text
            raise self.fail(
                f"the formula ends after '{before}'; a number, name or cell reference is missing"
            )
        if kind == "COLON":
            raise self.fail("':' must stand between two cell references, as in B2:B4")
        raise self.fail(f"a number, name or cell reference is missing before '{tok.text}'")

    def word(self) -> Node:
        tok = self.take()
        word = tok.text
        nxt = self.peek()
        # "Name (1+2)" is a missing operator, "SUM (1,2)" is still a call
        if nxt.kind == "LP" and (nxt.pos == tok.end or word.upper() in SUPPORTED_FUNCTIONS):
            return self.call(tok)
        cell = _cell(word)
        if cell is not None:
            return self.ref_tail(None, cell)
        if nxt.kind == "COLON":
            self.bad_range(word)
        if word.upper() in ("TRUE", "FALSE"):
            raise self.fail(
                f"the logical value {word.upper()} is not supported; use 1 or 0 instead"
            )
        if not _is_name(word):
            raise self.fail(
                f"'{word}' is neither a cell reference such as B5 nor a valid name; names start "
                "with a letter, _ or \\ and contain only letters, digits, _ and ."
            )
        return Name(word)

    def bad_range(self, word: str) -> None:
        if self.peek(1).kind == "SHEET":
            raise self.fail(
                "references across several sheets such as Jan:Dec!B5 are not supported; "
                + _SUPPORTED
            )
        if _COLUMN.fullmatch(word):
            raise self.fail(
                f"whole-column references such as {word}:{word} are not supported; "
                f"use a cell range such as A2:A100; {_SUPPORTED}"
            )
        raise self.fail(
            f"'{word}' cannot start a range; write ranges with two cell references, as in B2:B4"
        )

    def sheet_ref(self, sheet: str) -> Node:
        prefix = _sheet_prefix(sheet)
        nxt = self.peek()
        if nxt.kind == "WORD":
            cell = _cell(nxt.text)
            if cell is not None:
                self.i += 1
                return self.ref_tail(sheet, cell)
            if self.peek(1).kind == "COLON" and _COLUMN.fullmatch(nxt.text):
                raise self.fail(
                    f"whole-column references such as {prefix}{nxt.text}:{nxt.text} are not "
                    f"supported; use a cell range such as {prefix}A2:A100; {_SUPPORTED}"
                )
            if _is_name(nxt.text):
                raise self.fail(
                    f"sheet-level names such as {prefix}{nxt.text} are not supported; refer to "
                    f"a cell such as {prefix}B5 or use a workbook-level name"
                )
        if nxt.kind == "NUM" and self.peek(1).kind == "COLON":
            raise self.fail(
                f"whole-row references such as {prefix}{nxt.text}:{nxt.text} are not "
                f"supported; use a cell range such as {prefix}A1:F1; {_SUPPORTED}"
            )
        raise self.fail(f"after {prefix} a cell reference is expected, as in {prefix}B5")

    def ref_tail(self, sheet: str | None, cell: str) -> Node:
        if self.peek().kind != "COLON":
            return Ref(sheet, cell)
        self.i += 1
        nxt = self.peek()
        end_sheet = None
        if nxt.kind == "SHEET":
            end_sheet = nxt.text
            self.i += 1
            nxt = self.peek()
        end = _cell(nxt.text) if nxt.kind == "WORD" else None
        if end is None:
            shown = nxt.text if nxt.kind in ("WORD", "NUM") else ""
            raise self.fail(
                f"the range {_sheet_prefix(sheet)}{cell}:{shown} is incomplete; write both "
                "corners as cell references, as in B2:B4"
            )
        self.i += 1
        if end_sheet is not None and (sheet is None or end_sheet.casefold() != sheet.casefold()):
            raise self.fail("a range must stay on one sheet, as in Aannames!B2:B4")
        return RangeRef(sheet, cell, end)

    def call(self, tok: _Token) -> Node:
        func = tok.text.upper()
        if func not in SUPPORTED_FUNCTIONS:
            raise self.fail(_unsupported_function(func))
        self.i += 1  # the "("
        self.enter()
        args: list[Node] = []
        if self.peek().kind == "RP":
            self.i += 1
        else:
            while True:
                nxt = self.peek()
                if nxt.kind in ("SEP", "RP"):
                    raise self.fail(
                        f"{func} has an empty argument before '{nxt.text}'; fill it in or "
                        "remove the extra separator"
                    )
                args.append(self.expr(0))
                nxt = self.peek()
                if nxt.kind == "SEP":
                    self.i += 1
                elif nxt.kind == "RP":
                    self.i += 1
                    break
                else:
                    self.unexpected(nxt, in_brackets=True, func=func)
        self.nesting -= 1
        _check_arity(func, len(args), self.text)
        return Call(func, tuple(args))

    def expect_end(self) -> None:
        tok = self.peek()
        if tok.kind != "END":
            self.unexpected(tok, in_brackets=False)

    def unexpected(self, tok: _Token, *, in_brackets: bool, func: str = "") -> None:
        kind = tok.kind
        if kind == "END":
            raise self.fail("a closing bracket ')' is missing")
        if kind == "RP":
            raise self.fail("there is a closing bracket ')' without a matching opening bracket")
        if kind == "SEP":
            raise self.fail(
                f"'{tok.text}' can only separate the arguments of a function, as in "
                f"SUM(A1{tok.text}A2); write decimals with a point, as in 1.5"
            )
        if kind == "COLON":
            raise self.fail("':' must stand between two cell references, as in B2:B4")
        shown = _sheet_prefix(tok.text) if kind == "SHEET" else tok.text
        where = f" inside {func}(...)" if func else ""
        raise self.fail(f"an operator such as + or * is missing before '{shown}'{where}")


def _check_arity(func: str, count: int, text: str) -> None:
    fixed = _FIXED_ARITY.get(func)
    if fixed is not None:
        if count != fixed:
            usage = "ABS(B5)" if func == "ABS" else f"{func}(B5,2)"
            raise FormulaError(
                f"{func} needs exactly {fixed} argument{'s' if fixed > 1 else ''}, as in "
                f"{usage}, but got {count}",
                text,
            )
    elif count == 0:
        raise FormulaError(f"{func} needs at least one argument, as in {func}(B2:B4)", text)
    elif count > _MAX_ARGS:
        raise FormulaError(f"{func} takes at most {_MAX_ARGS} arguments, got {count}", text)


def _check_tree(root: Node, text: str) -> None:
    """Reject ranges outside SUM and friends, and trees too deep to evaluate safely."""
    stack: list[tuple[Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, range_ok = stack.pop()
        if depth > _MAX_DEPTH:
            raise FormulaError(
                f"the formula is nested more than {_MAX_DEPTH} levels deep; "
                "split it over several cells",
                text,
            )
        kind = type(node)
        if kind is Binary:
            stack.append((node.right, depth + 1, False))
            stack.append((node.left, depth, False))  # left spines are walked in a loop
        elif kind is Unary or kind is Percent:
            stack.append((node.operand, depth + 1, False))
        elif kind is Call:
            ok = node.func in _RANGE_FUNCTIONS
            stack.extend((arg, depth + 1, ok) for arg in reversed(node.args))
        elif kind is RangeRef and not range_ok:
            shown = to_text(node)
            raise FormulaError(
                f"the range {shown} can only be used inside SUM, MIN, MAX, AVERAGE or "
                f"PRODUCT, as in SUM({shown}); refer to a single cell such as B5 otherwise",
                text,
            )


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


class Resolver(Protocol):
    """Supplies the values of names, cells and ranges a formula refers to."""

    def name(self, name: str) -> float:
        """Value of the defined name ``name``; raise FormulaError when it is unknown."""
        ...

    def ref(self, sheet: str | None, cell: str) -> float:
        """Value of ``cell`` (like ``B5``) on ``sheet``, None meaning the formula's own sheet."""
        ...

    def range(self, sheet: str | None, start: str, end: str) -> list[float]:
        """Numbers in the block ``start:end``; empty and text cells are left out, as in Excel."""
        ...


class MappingResolver(Resolver):
    """A resolver over plain dictionaries, for tests and simple callers."""

    def __init__(
        self,
        names: Mapping[str, float] | None = None,
        cells: Mapping[tuple[str | None, str], float] | None = None,
    ):
        # Excel compares names and sheet names without regard to case
        self._names = {key.casefold(): float(value) for key, value in (names or {}).items()}
        self._cells: dict[tuple[str | None, str], float] = {}
        self._coords: dict[tuple[str | None, str], tuple[int, int]] = {}
        for (sheet, cell), value in (cells or {}).items():
            key = (_sheet_key(sheet), cell.replace("$", "").upper())
            self._cells[key] = float(value)
            self._coords[key] = _coords(key[1])

    def name(self, name: str) -> float:
        """Value of ``name``, compared without regard to case."""
        try:
            return self._names[name.casefold()]
        except KeyError:
            raise FormulaError(
                f"the name '{name}' is not defined; define it in Excel under "
                "Formulas > Name Manager, or refer to a cell instead"
            ) from None

    def ref(self, sheet: str | None, cell: str) -> float:
        """Value of one cell; a cell without a value is an error rather than a silent 0."""
        try:
            return self._cells[(_sheet_key(sheet), cell)]
        except KeyError:
            raise FormulaError(f"the cell {_sheet_prefix(sheet)}{cell} has no value") from None

    def range(self, sheet: str | None, start: str, end: str) -> list[float]:
        """Values in the block, row by row; cells without a value are skipped, as in Excel."""
        (c1, r1), (c2, r2) = _coords(start), _coords(end)
        left, right, top, bottom = min(c1, c2), max(c1, c2), min(r1, r2), max(r1, r2)
        wanted = _sheet_key(sheet)
        found = [
            (row, column, self._cells[key])
            for key, (column, row) in self._coords.items()
            if key[0] == wanted and left <= column <= right and top <= row <= bottom
        ]
        return [value for _, _, value in sorted(found)]


def _sheet_key(sheet: str | None) -> str | None:
    return None if sheet is None else sheet.casefold()


def evaluate(node: Node, resolve: Resolver) -> Value:
    """Compute the value of a parsed formula, asking ``resolve`` for names and cells.

    A resolver may give numpy arrays for names (one value per Monte Carlo draw or trial point):
    the result is then an array, computed element by element with the same operations, and an
    element that has no value in Excel (division by zero, 0^0, ...) is NaN instead of an error.
    """
    try:
        result = _eval(node, resolve)
    except FormulaError as exc:
        if exc.formula:
            raise
        raise FormulaError(str(exc), to_text(node)) from exc
    if _is_array(result):
        return result
    if not math.isfinite(result):
        raise FormulaError(
            "the result is too large to calculate (it overflows); check the numbers and units "
            "in the formula",
            to_text(node),
        )
    return result


def _is_array(x) -> bool:
    return not isinstance(x, float | int)


def _eval(node: Node, resolve: Resolver) -> Value:
    kind = type(node)
    if kind is Binary:
        left = node.left
        if type(left) is not Binary:
            return _apply(node.op, _eval(left, resolve), _eval(node.right, resolve))
        # A long chain like A1+A2+...+A300 is a left-deep tree: walk it in a loop, not by
        # recursion, so its length is not limited by Python's recursion limit.
        spine = [node]
        while type(left) is Binary:
            spine.append(left)
            left = left.left
        value = _eval(left, resolve)
        for step in reversed(spine):
            value = _apply(step.op, value, _eval(step.right, resolve))
        return value
    if kind is Number:
        return node.value
    if kind is Name:
        return resolve.name(node.name)
    if kind is Ref:
        return resolve.ref(node.sheet, node.cell)
    if kind is Percent:
        return _eval(node.operand, resolve) / 100  # /100 is exact where *0.01 is not
    if kind is Unary:
        value = _eval(node.operand, resolve)
        return -value if node.op == "-" else value
    if kind is Call:
        return _call(node, resolve)
    if kind is RangeRef:
        raise FormulaError(
            f"the range {to_text(node)} can only be used inside SUM, MIN, MAX, AVERAGE or PRODUCT"
        )
    raise FormulaError(f"cannot evaluate {node!r}; it is not part of a parsed formula")


def _apply(op: str, a: Value, b: Value) -> Value:
    if op == "*":
        return a * b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if _is_array(a) or _is_array(b):
        return _array_apply(op, a, b)
    if op == "/":
        if b == 0:
            raise FormulaError("division by zero (Excel shows #DIV/0!)")
        return a / b
    if op == "^":
        return _power(a, b)
    raise FormulaError(f"the operator '{op}' is not supported; {_SUPPORTED}")


def _array_apply(op: str, a: Value, b: Value) -> Value:
    """``/`` and ``^`` element by element: NaN where Excel has no value (#DIV/0!, #NUM!)."""
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        if op == "/":
            return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
        if op == "^":
            bad = ((a == 0) & (b <= 0)) | ((a < 0) & (b != np.round(b)))
            return np.where(bad, np.nan, np.power(a, b))
    raise FormulaError(f"the operator '{op}' is not supported; {_SUPPORTED}")


def _power(base: float, exponent: float) -> float:
    if base == 0:
        if exponent == 0:
            raise FormulaError("0^0 has no value (Excel shows #NUM!)")
        if exponent < 0:
            raise FormulaError("division by zero: 0 is raised to a negative power")
    elif base < 0 and not float(exponent).is_integer():
        # Python would return a complex number here
        raise FormulaError(
            f"a negative number ({_number_text(base)}) cannot be raised to the fractional "
            f"power {_number_text(exponent)} (Excel shows #NUM!)"
        )
    try:
        return float(base**exponent)
    except OverflowError:
        raise FormulaError(
            "the result is too large to calculate (it overflows); check the numbers and units "
            "in the formula"
        ) from None


def _call(node: Call, resolve: Resolver) -> Value:
    func = node.func
    args = node.args
    if func in _RANGE_FUNCTIONS:
        values: list[Value] = []
        for arg in args:
            if type(arg) is RangeRef:
                values.extend(resolve.range(arg.sheet, arg.start, arg.end))
            else:
                values.append(_eval(arg, resolve))
        if func == "SUM":
            return float(sum(values)) if not any(map(_is_array, values)) else sum(values)
        if not values:
            if func == "AVERAGE":
                raise FormulaError("division by zero: AVERAGE found no numbers to average")
            return 0.0  # Excel's MIN, MAX and PRODUCT of nothing
        if any(map(_is_array, values)):
            return _array_aggregate(func, values)
        if func == "MIN":
            return float(min(values))
        if func == "MAX":
            return float(max(values))
        if func == "PRODUCT":
            return float(math.prod(values))
        return float(sum(values)) / len(values)
    if func in _FIXED_ARITY and len(args) != _FIXED_ARITY[func]:
        _check_arity(func, len(args), "")
    if func == "ABS":
        return abs(_eval(args[0], resolve))
    rounding = _ROUNDING.get(func)
    if rounding is not None:
        value, digits = _eval(args[0], resolve), _eval(args[1], resolve)
        if _is_array(value) or _is_array(digits):
            import numpy as np

            def one(x: float, d: float) -> float:
                return _round(x, d, rounding) if math.isfinite(x) and math.isfinite(d) else x

            return np.vectorize(one, otypes=[float])(value, digits)
        return _round(value, digits, rounding)
    raise FormulaError(_unsupported_function(func))


def _array_aggregate(func: str, values: list[Value]) -> Value:
    """MIN, MAX, PRODUCT and AVERAGE of arguments some of which are arrays."""
    import numpy as np

    if func == "MIN":
        return np.minimum.reduce(np.broadcast_arrays(*map(np.asarray, values)))
    if func == "MAX":
        return np.maximum.reduce(np.broadcast_arrays(*map(np.asarray, values)))
    if func == "PRODUCT":
        return math.prod(values)
    return sum(values) / len(values)


_SIGNIFICANT = Context(prec=15, rounding=ROUND_HALF_UP)
_WIDE = Context(prec=1000)


def _round(value: float, digits: float, rounding: str) -> float:
    """Excel's ROUND family; see the module docstring for why this goes through Decimal."""
    if not (math.isfinite(value) and math.isfinite(digits)):
        raise FormulaError(
            "the result is too large to calculate (it overflows); check the numbers and units "
            "in the formula"
        )
    places = max(int(digits), -400)  # Excel truncates the digit count: 1.9 means 1
    exact = _SIGNIFICANT.plus(Decimal(repr(value)))
    exponent = exact.as_tuple().exponent
    assert isinstance(exponent, int)
    if places >= -exponent:
        return float(exact) + 0.0
    rounded = exact.quantize(Decimal(1).scaleb(-places, _WIDE), rounding=rounding, context=_WIDE)
    return float(rounded) + 0.0  # + 0.0 turns -0.0 into 0.0


# --------------------------------------------------------------------------------------------
# Walking and printing
# --------------------------------------------------------------------------------------------


def references(node: Node) -> tuple[Name | Ref | RangeRef, ...]:
    """Every name, cell and range in the formula, in order of appearance, repeats included."""
    found: list[Name | Ref | RangeRef] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is Binary:
            stack.append(current.right)
            stack.append(current.left)
        elif kind is Unary or kind is Percent:
            stack.append(current.operand)
        elif kind is Call:
            stack.extend(reversed(current.args))
        elif kind is Name or kind is Ref or kind is RangeRef:
            found.append(current)
    return tuple(found)


NO_NAMES: frozenset[str] = frozenset()


def name_keys(node: Node) -> frozenset[str]:
    """The names (assumptions) the formula refers to, case-folded."""
    if type(node) is Number:
        return NO_NAMES
    return frozenset(n.name.casefold() for n in references(node) if isinstance(n, Name))


def to_text(node: Node) -> str:
    """Canonical formula text without ``=``; ``parse(to_text(n)) == n`` for parsed trees."""
    return _text(node)[0]


def _text(node: Node) -> tuple[str, int]:
    """Text of ``node`` and the precedence of its outermost operator."""
    kind = type(node)
    if kind is Binary:
        # Walk the left spine in a loop for the same reason as _eval.
        chain = [node]
        current = node
        while type(current.left) is Binary and (
            _BINARY_PREC[current.left.op] >= _BINARY_PREC[current.op]
        ):
            current = current.left
            chain.append(current)
        parts = [_wrap(current.left, _BINARY_PREC[current.op])]
        for step in reversed(chain):
            parts.append(step.op)
            parts.append(_wrap(step.right, _BINARY_PREC[step.op] + 1))
        return "".join(parts), _BINARY_PREC[node.op]
    if kind is Number:
        text = _number_text(node.value)
        return text, _UNARY_PREC if text.startswith("-") else _ATOM_PREC
    if kind is Name:
        return node.name, _ATOM_PREC
    if kind is Ref:
        return _sheet_prefix(node.sheet) + node.cell, _ATOM_PREC
    if kind is RangeRef:
        return f"{_sheet_prefix(node.sheet)}{node.start}:{node.end}", _ATOM_PREC
    if kind is Unary:
        return node.op + _wrap(node.operand, _UNARY_PREC), _UNARY_PREC
    if kind is Percent:
        return _wrap(node.operand, _PERCENT_PREC) + "%", _PERCENT_PREC
    if kind is Call:
        return f"{node.func}({','.join(to_text(arg) for arg in node.args)})", _ATOM_PREC
    raise FormulaError(f"cannot write {node!r} as a formula; it is not part of a parsed formula")


def _wrap(node: Node, needed: int) -> str:
    text, prec = _text(node)
    return text if prec >= needed else f"({text})"


def _number_text(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _sheet_prefix(sheet: str | None) -> str:
    """``Sheet!`` or ``'Quoted sheet'!`` as Excel would write it; empty for the own sheet."""
    if sheet is None:
        return ""
    plain = (
        (sheet[0].isalpha() or sheet[0] == "_")
        and all(ch.isalnum() or ch in "_." for ch in sheet)
        and _cell(sheet) is None
    )
    if plain:
        return f"{sheet}!"
    return "'" + sheet.replace("'", "''") + "'!"
