"""The assumptions sheet: named numbers (or formulas over each other), with their range, their
Monte Carlo distribution and any value per year; chains and circles among them refused."""

from __future__ import annotations

import re

from . import formula, schema
from .formulatext import column_index
from .model import Amount, Assumption
from .reader_cells import YEAR_HEADER, CellReader, Row, text

MAX_CHAIN = 100  # assumptions computed from assumptions, each from the next, ...
# Excel's rules for a defined name: a letter, _ or \ first, then letters, digits, _ and . (the
# formula reader reads no other characters in a name either), at most 255 characters, and no
# reference in the A1 style (up to XFD1048576) or the R1C1 style (R, C, RC, R2, C3, R2C3, ...).
# Excel refuses more of R1C1 than it reads ("R1D" too), so any R or C followed by a digit is
# refused, as is RC with a digit or alone.
_NAME_CHARS = re.compile(r"^[^\W\d][\w.]*$|^\\[\w.]+$")
_A1 = re.compile(r"^([A-Za-z]{1,3})([0-9]{1,7})$")
_R1C1 = re.compile(r"^(?:[RrCc]|[Rr][Cc])(?:\d|$)")
_R1C1_CELL = re.compile(r"^[Rr](\d+)[Cc](\d+)$")
_MAX_COLUMN, _MAX_ROW = 16384, 1048576  # XFD, 1,048,576
# A unit that makes an assumption a percentage, as the switching values read it too.
PERCENT_UNIT = re.compile(r"%|procent|percent", re.IGNORECASE)


def read_assumptions(cells: CellReader, title: str | None) -> list[Assumption]:
    """Every assumption; formulas anywhere may name one once this has run."""
    if title is None:
        return []
    table = cells.table(title, schema.ASSUMPTIONS)
    if not table.columns:
        return []
    # rows() adds the table to the fingerprint again, as the stored fingerprints expect.
    header_row = cells.sheets.rows(title)[table.header - 1]
    year_cols: dict[int, int] = {}
    for c, value in enumerate(header_row):
        m = YEAR_HEADER.match(schema.normalise(value)) if value is not None else None
        if m:
            year_cols[int(m.group(1))] = c
    # First the names and value cells, so that a formula can refer to any assumption.
    named = _named_rows(cells, table)
    cells.formulas.assumption_names = {n.casefold(): n for n, _ in named}
    result = [a for a in (_assumption(cells, name, row, year_cols) for name, row in named)
              if a is not None]
    _check_cycles(cells, result)
    return result


def _named_rows(cells: CellReader, table) -> list[tuple[str, Row]]:
    """The rows with a name, each name once; their value cells become known by that name."""
    named = []
    seen: dict[str, str] = {}
    for row in table:
        name, at = row["name"]
        if name is None:
            if any(row.values.values()):
                cells.error(row.title, at.ref, "this row has values but no assumption name")
            continue
        name = str(name).strip()
        if name.casefold() in seen:
            cells.error(row.title, at.ref, f"the assumption '{name}' is listed twice (also at "
                        f"{seen[name.casefold()]}); each name must be unique")
            continue
        seen[name.casefold()] = at.ref
        why = name_refused(name)
        if why:
            cells.error(row.title, at.ref, f"the name '{name}' {why}; rename it, e.g. to "
                        f"'{suggest_name(name)}', and use that name in formulas")
        cells.formulas.assumption_cells[(row.title.casefold(), row.at("value").ref)] = name
        named.append((name, row))
    return named


def _assumption(cells: CellReader, name: str, row: Row, year_cols: dict[int, int]
                ) -> Assumption | None:
    value, at = row["value"]
    amount = cells.amount(value, at, "value")
    if amount is None:
        if value is None:
            cells.error(row.title, at.ref, f"the assumption '{name}' has no value")
        return None
    unit = text(row.value("unit"))
    percent = PERCENT_UNIT.search(unit) is not None
    if percent:
        cells.percent_unit(amount, at, f"the assumption '{name}'", unit)
    per_year = []
    for year, c in sorted(year_cols.items()):
        cell_value = row.raw[c] if c < len(row.raw) else None
        if cell_value is None:
            continue
        year_amount = cells.amount(cell_value, row.cell(c), f"value for year {year}")
        if year_amount is not None:
            per_year.append((year, year_amount))
            if percent:
                cells.percent_unit(year_amount, row.cell(c),
                                   f"the value for year {year} of '{name}'", unit)
    low = cells.number_constant(*row.get("low", (None, at)), "low")
    high = cells.number_constant(*row.get("high", (None, at)), "high")
    if percent:
        for key, bound in (("low", low), ("high", high)):
            cells.percent_unit(bound, row.at(key), f"the {key} of '{name}'", unit)
    if low is not None and high is not None and low > high:
        cells.error(row.title, row.at("low").ref,
                    f"low ({low:g}) is above high ({high:g}) for '{name}'")
    distribution = _distribution(cells, row, name, amount, low, high)
    source = text(row.value("source"))
    if not source:
        cells.warn(row.title, row.at("source", at).ref, f"the assumption '{name}' has no source")
    return Assumption(name, amount, unit, source, low, high,
                      tuple(per_year), row.at("name"), distribution=distribution)


def _distribution(cells: CellReader, row: Row, name: str, amount: Amount, low, high
                  ) -> str | None:
    """The Monte Carlo distribution of an assumption (None: the default, see the model)."""
    value, at = row.get("distribution", (None, None))
    chosen = None
    if value is not None:
        chosen = schema.parse_choice(value, schema.DISTRIBUTIONS)
        if chosen is None:
            cells.error(at.sheet, at.ref, f"the distribution '{value}' is not known; use "
                        "uniform, driehoek/triangular, PERT or vast/fixed")
            return None
        if chosen != "fixed" and (low is None or high is None):
            cells.error(at.sheet, at.ref, f"the distribution of '{name}' needs both low and "
                        "high; fill them in, or choose vast/fixed")
            return None
    drawn_around_value = chosen in ("triangular", "pert") or (
        chosen is None and low is not None and high is not None)
    if (drawn_around_value and low is not None and high is not None
            and not amount.is_formula and not low <= amount.node.value <= high):
        where = amount.at or row.at("value")
        cells.warn(where.sheet, where.ref, (
            f"the value of '{name}' ({amount.node.value:g}) lies outside its low and high "
            f"({low:g} - {high:g}); Monte Carlo draws it uniformly between low and high"))
    return chosen


def name_refused(name: str) -> str | None:
    """Why Excel's Name Manager refuses ``name`` (as words that follow "the name 'X'"), or
    None where it accepts it."""
    if len(name) > 255:
        return "is longer than the 255 characters Excel allows in a name"
    if not _NAME_CHARS.match(name):
        return ("cannot be a name in Excel (letters, digits, _ and . only, starting with a "
                "letter or _)")
    cell = _A1.match(name)
    if (cell and column_index(cell.group(1)) <= _MAX_COLUMN
            and 1 <= int(cell.group(2)) <= _MAX_ROW):
        return (f"is also a cell reference (column {cell.group(1).upper()}, row "
                f"{int(cell.group(2))}): a formula ={name} reads that cell, not this "
                "assumption, and Excel cannot define such a name either")
    if _R1C1.match(name):
        r1c1, start = _R1C1_CELL.match(name), re.match(r"([RrCc])(\d+)", name)
        what = (f"row {int(r1c1.group(1))}, column {int(r1c1.group(2))}" if r1c1
                else f"{start.group(0)} is {'row' if start.group(1) in 'Rr' else 'column'} "
                f"{int(start.group(2))}" if start
                else "R and C alone are the current row and column" if len(name) == 1
                else "the cell itself")
        return f"is a reference in Excel's R1C1 style ({what}), so Excel cannot define such a name"
    return None


def suggest_name(name: str) -> str:
    """A name like ``name`` that Excel accepts: Wmo2024 -> Wmo_2024, R -> R_."""
    cleaned = re.sub(r"\W+", "_", name.strip()).strip("_")[:255] or "Naam"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    for candidate in (cleaned, re.sub(r"(?<=[^\W\d_])(?=\d)", "_", cleaned, count=1),
                      cleaned + "_"):
        if name_refused(candidate) is None:
            return candidate
    return "_" + cleaned


# -- chains and circles ----------------------------------------------------------------------

def _check_cycles(cells: CellReader, assumptions: list[Assumption]) -> None:
    """An error for every circle of assumptions computed from each other, or for a chain
    longer than MAX_CHAIN."""
    deps = {a.name.casefold(): {n.name.casefold() for n in formula.references(a.value.node)
                                if isinstance(n, formula.Name)}
            for a in assumptions}
    by_key = {a.name.casefold(): a for a in assumptions}
    if _chain_too_long(cells, deps, by_key):
        return
    state: dict[str, int] = {}
    try:
        for key in deps:
            if key not in state:
                _visit(cells, key, [key], deps, by_key, state)
    except RecursionError:  # a cycle through hundreds of assumptions
        a = by_key[key]
        cells.error(a.value.at.sheet, a.value.at.ref, (
            f"the assumption '{a.name}' is part of a chain of formulas too long to follow; "
            "give some assumptions in it a number instead of a formula"))


def _visit(cells: CellReader, key: str, path: list[str], deps: dict[str, set[str]],
           by_key: dict[str, Assumption], state: dict[str, int]) -> None:
    """Depth-first from ``key`` (a function, not a nested one: a recursive closure is a
    reference cycle that kept the rows alive until the cycle collector ran)."""
    state[key] = 1
    for dep in deps.get(key, ()):
        if state.get(dep) == 1:
            cycle = path[path.index(dep):] + [dep] if dep in path else [key, dep]
            a = by_key[key]
            cells.error(a.value.at.sheet, a.value.at.ref, (
                "circular assumptions: " + " -> ".join(by_key[k].name for k in cycle)
                + "; one of them must be a number"))
        elif dep in deps and state.get(dep) is None:
            _visit(cells, dep, path + [dep], deps, by_key, state)
    state[key] = 2


def _chain_too_long(cells: CellReader, deps: dict[str, set[str]],
                    by_key: dict[str, Assumption]) -> bool:
    """Refuse assumption chains longer than MAX_CHAIN, found without recursion.

    The engine evaluates a formula's names recursively, so a chain of hundreds of
    assumptions (each one the previous plus something) would exhaust Python's stack.
    """
    users: dict[str, list[str]] = {k: [] for k in deps}
    waiting = dict.fromkeys(deps, 0)
    for key, needs in deps.items():
        for dep in needs & deps.keys():
            users[dep].append(key)
            waiting[key] += 1
    depth = dict.fromkeys(deps, 1)
    previous: dict[str, str] = {}
    ready = [k for k, n in waiting.items() if n == 0]
    while ready:
        key = ready.pop()
        for user in users[key]:
            if depth[key] + 1 > depth[user]:
                depth[user], previous[user] = depth[key] + 1, key
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    deepest = max(depth, key=depth.__getitem__, default=None)
    if deepest is None or depth[deepest] <= MAX_CHAIN:
        return False
    first = deepest
    while first in previous:
        first = previous[first]
    a = by_key[deepest]
    cells.error(a.value.at.sheet, a.value.at.ref, (
        f"the assumption '{a.name}' depends on a chain of {depth[deepest]} assumptions "
        f"('{by_key[first].name}' -> ... -> '{a.name}'); the tool follows at most "
        f"{MAX_CHAIN}: give some of them a number instead of a formula"))
    return True
