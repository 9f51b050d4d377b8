"""Formulas in input cells, rewritten so that the engine only sees numbers and assumption names.

A reference to an assumption's value cell becomes the assumption's name (so scenarios and
per-year values apply to it); any other referenced cell, and a defined name pointing at one, is
inlined: its number, or its own formula rewritten the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from . import formula, schema
from .exceptions import FormulaError
from .formulatext import column_index, column_letter, coordinate_from_string, destinations
from .model import Cell
from .reader_assumptions import suggest_name
from .reader_cells import EXCEL_ERRORS, Sheets, did_you_mean, short

MAX_RANGE_CELLS = 10_000


class Formulas:
    """Formula text -> a tree of numbers and assumption names, for the cell it is in.

    ``assumption_cells`` and ``assumption_names`` are filled as the assumptions sheet is read;
    ``price_keys`` (normalised codes and items of the reference prices) as the prices are.
    """

    def __init__(self, sheets: Sheets):
        self.sheets = sheets
        self.parsed: dict[str, formula.Node] = {}  # formula text -> its syntax tree
        # Formula text -> its resolved tree, for formulas whose tree does not depend on the
        # cell they are in (see _independent): rows copied down share them.
        self.resolved: dict[str, formula.Node] = {}
        self.defined = _defined_names(sheets.book)
        self.assumption_cells: dict[tuple[str, str], str] = {}  # (folded title, ref) -> name
        self.assumption_names: dict[str, str] = {}  # folded name -> name
        self.price_keys: Mapping[str, object] = {}

    def node(self, text: str, at: Cell) -> formula.Node:
        """The resolved tree of a formula in cell ``at``; raises FormulaError (or
        RecursionError) for a formula the engine cannot evaluate."""
        node = self.resolved.get(text)
        if node is None:
            tree = self.parse(text)
            node = self.resolve(tree, at, [(at.sheet, at.ref)])
            if self._independent(tree):
                self.resolved[text] = node
        return node

    def parse(self, text: str) -> formula.Node:
        """A formula's syntax tree, parsed once per text: rows copied down share formulas."""
        node = self.parsed.get(text)
        if node is None:
            node = self.parsed[text] = formula.parse(text)  # trees are frozen: safe to share
        return node

    def _independent(self, tree) -> bool:
        """Whether a tree resolves alike in every cell: it names assumptions only, no cells and
        no ranges, whose reading depends on the sheet and on the cells in the chain."""
        for found in formula.references(tree):
            if not isinstance(found, formula.Name):
                return False
            key = found.name.casefold()
            # Inside SUM and friends a defined name for a range wins over an assumption.
            if key not in self.assumption_names or self._range_name(key):
                return False
        return True

    def _range_name(self, key: str) -> bool:
        """Whether a (folded) defined name points at a range rather than one cell."""
        return ":" in self.defined.get(key, ("", ""))[1]

    def resolve(self, node, at: Cell, stack: list[tuple[str, str]]):
        """Rewrite a parsed formula so that it holds only numbers and assumption names."""
        if isinstance(node, formula.Name):
            return self._name(node, stack)
        if isinstance(node, formula.Ref):
            if node.sheet is None and node.cell.casefold() in self.assumption_names:
                # An assumption named like a cell (refused on its sheet): Excel reads the cell.
                name = self.assumption_names[node.cell.casefold()]
                raise FormulaError(f"{name} is the cell {node.cell} of this sheet, not the "
                                   f"assumption '{name}'; rename the assumption (e.g. to "
                                   f"'{suggest_name(name)}') and use that name")
            return self.cell_node(node.sheet or at.sheet, node.cell, stack)
        if isinstance(node, formula.Call):
            args = []
            for arg in node.args:
                if isinstance(arg, formula.RangeRef):
                    args.extend(self.range_nodes(arg.sheet or at.sheet, arg.start, arg.end,
                                                 stack))
                elif isinstance(arg, formula.Name) and self._range_name(arg.name.casefold()):
                    sheet, ref = self.defined[arg.name.casefold()]
                    start, end = ref.split(":")
                    args.extend(self.range_nodes(sheet, start, end, stack))
                else:
                    args.append(self.resolve(arg, at, stack))
            return replace(node, args=tuple(args))
        if isinstance(node, formula.Unary | formula.Percent):
            return replace(node, operand=self.resolve(node.operand, at, stack))
        if isinstance(node, formula.Binary):
            # A long chain like A1+A2+...+A300 is left-deep: walk its spine in a loop, as
            # formula.evaluate does, so its length is not limited by the recursion limit.
            spine = []
            while isinstance(node, formula.Binary):
                spine.append(node)
                node = node.left
            result = self.resolve(node, at, stack)
            for step in reversed(spine):
                result = replace(step, left=result, right=self.resolve(step.right, at, stack))
            return result
        if isinstance(node, formula.RangeRef):
            raise FormulaError(f"the range {node.start}:{node.end} can only be used inside SUM, "
                               "MIN, MAX, AVERAGE or PRODUCT")
        return node

    def _name(self, node: formula.Name, stack):
        """An assumption's name as it is spelt on its sheet, or the cell a defined name is."""
        key = node.name.casefold()
        if key in self.assumption_names:
            return formula.Name(self.assumption_names[key])
        if key in self.defined:
            sheet, ref = self.defined[key]
            if ":" in ref:
                raise FormulaError(f"the name '{node.name}' is a range; use it inside SUM, "
                                   "MIN, MAX or AVERAGE")
            return self.cell_node(sheet, ref, stack)
        if schema.normalise(node.name) in self.price_keys:
            raise FormulaError(f"'{node.name}' is a reference price, which a formula cannot "
                               f"use; type {node.name} alone in the cell (without '=') and "
                               "put any multiplier in the quantity or the hours")
        raise FormulaError(f"the name '{node.name}' is not an assumption on the assumptions "
                           "sheet" + did_you_mean(node.name, list(self.assumption_names.values())))

    def _title(self, sheet: str) -> str:
        title = self.sheets.titles.get(sheet.casefold())
        if title is None:
            raise FormulaError(f"the sheet '{sheet}' does not exist in this workbook")
        return title

    def cell_node(self, sheet: str, ref: str, stack):
        """A referenced cell: an assumption's name, its number, or its formula resolved."""
        title = self._title(sheet)
        ref = ref.replace("$", "").upper()
        name = self.assumption_cells.get((title.casefold(), ref))
        if name is not None:
            return formula.Name(name)
        if (title, ref) in stack:
            chain = " -> ".join(f"{s}!{c}" for s, c in stack + [(title, ref)])
            raise FormulaError(f"circular reference: {chain}")
        value = self.sheets.sheet_cells(title).get(ref)
        if value is None:
            return formula.Number(0.0)  # Excel reads an empty cell as 0
        if isinstance(value, bool | int | float):
            return formula.Number(float(value))
        text = str(value).strip()
        if text.startswith("="):
            inner = self.parse(text)
            return self.resolve(inner, Cell(title, ref), stack + [(title, ref)])
        if text.upper() in EXCEL_ERRORS:
            raise FormulaError(f"the cell {title}!{ref} holds the Excel error {text}")
        raise FormulaError(f"the cell {title}!{ref} holds text ('{short(text)}'), not a number")

    def range_nodes(self, sheet: str, start: str, end: str, stack) -> list:
        """The cells of a range inside SUM and friends, blanks and text left out as Excel does."""
        title = self._title(sheet)
        c1, r1 = coordinate_from_string(start.replace("$", ""))
        c2, r2 = coordinate_from_string(end.replace("$", ""))
        cols = sorted((column_index(c1), column_index(c2)))
        rows = sorted((r1, r2))
        if (cols[1] - cols[0] + 1) * (rows[1] - rows[0] + 1) > MAX_RANGE_CELLS:
            raise FormulaError(f"the range {start}:{end} is larger than {MAX_RANGE_CELLS:,} "
                               "cells")
        cells = self.sheets.sheet_cells(title)
        nodes = []
        for r in range(rows[0], rows[1] + 1):
            for c in range(cols[0], cols[1] + 1):
                ref = f"{column_letter(c)}{r}"
                value = cells.get(ref)
                # Excel's SUM/MIN/MAX/AVERAGE skip blanks and text inside ranges.
                if value is None or (isinstance(value, str) and not value.startswith("=")
                                     and value.upper() not in EXCEL_ERRORS):
                    continue
                nodes.append(self.cell_node(title, ref, stack))
        return nodes


def _defined_names(book) -> dict[str, tuple[str, str]]:
    """Workbook-level defined names that point at one cell or range: name -> (sheet, ref)."""
    names: dict[str, tuple[str, str]] = {}
    for key, text in book.defined_names.items():
        try:
            dests = destinations(text)
        except Exception:  # a name holding nothing, or a reference without a sheet
            continue
        if len(dests) == 1:
            sheet, ref = dests[0]
            names[key.casefold()] = (sheet, ref.replace("$", ""))
    return names
