"""The assumptions sheet: named numbers (or formulas over each other), with their range, their
Monte Carlo distribution and any value per year; chains and circles among them refused."""

from __future__ import annotations

import re

from . import formula, schema
from .model import Amount, Assumption
from .reader_cells import YEAR_HEADER, CellReader, Row, text

MAX_CHAIN = 100  # assumptions computed from assumptions, each from the next, ...
_NAME_OK = re.compile(r"^[^\W\d][\w.]*$")


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
        if not _NAME_OK.match(name):
            cells.warn(row.title, at.ref, f"the name '{name}' cannot be used in a formula (no "
                       f"spaces, start with a letter); e.g. '{_suggest_name(name)}'")
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
    per_year = []
    for year, c in sorted(year_cols.items()):
        cell_value = row.raw[c] if c < len(row.raw) else None
        if cell_value is None:
            continue
        year_amount = cells.amount(cell_value, row.cell(c), f"value for year {year}")
        if year_amount is not None:
            per_year.append((year, year_amount))
    low = cells.number_constant(*row.get("low", (None, at)), "low")
    high = cells.number_constant(*row.get("high", (None, at)), "high")
    if low is not None and high is not None and low > high:
        cells.error(row.title, row.at("low").ref,
                    f"low ({low:g}) is above high ({high:g}) for '{name}'")
    distribution = _distribution(cells, row, name, amount, low, high)
    source = text(row.value("source"))
    if not source:
        cells.warn(row.title, row.at("source", at).ref, f"the assumption '{name}' has no source")
    return Assumption(name, amount, text(row.value("unit")), source, low, high,
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


def _suggest_name(name: str) -> str:
    cleaned = re.sub(r"\W+", "_", name.strip()).strip("_") or "Naam"
    return cleaned if not cleaned[0].isdigit() else "_" + cleaned


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
