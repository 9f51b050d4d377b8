"""The spreadsheet computes what the tool computes: each kind of input edited in a filled
workbook, recalculated by LibreOffice without fill, gives the headline and the per-stakeholder
table that fill gives for the same edited workbook. An input that cannot flow (the horizon,
which sets the year columns) is said so next to the figure it fixes, and check reports the
workbook stale.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from sroi_excel import api
from sroi_excel.render_layout import HOW

from .conftest import edited_template
from .gnumeric import ABS_TOL, REL_TOL, recalculate
from .lo import convert_all
from .results_io import grid, headline, set_cells, sheet_table

# The template's job coach, with a money input beside the coach's hours, no Monte Carlo.
BASE_EDITS = {
    ("Inbreng", "A3"): "Gemeente", ("Inbreng", "B3"): "Startkosten", ("Inbreng", "C3"): "geld",
    ("Inbreng", "D3"): 25000, ("Inbreng", "G3"): 0, ("Inbreng", "H3"): "nee",
    ("Inbreng", "I3"): "Begroting", ("Instellingen", "B15"): 0,
}
# Each kind of input the engine reads: the cell and what is typed there.
FLOWING = {
    "quantity": ("Opbrengsten", "D2", 12),  # over the formula =Deelnemers*Succes
    "assumption": ("Aannames", "B2", 50),
    "proxy": ("Opbrengsten", "E2", 18000),
    "deadweight": ("Opbrengsten", "G2", 0.4),
    "attribution": ("Opbrengsten", "H2", 0.1),
    "displacement": ("Opbrengsten", "I2", 0.05),
    "dropoff": ("Opbrengsten", "J2", 0.3),
    "duration": ("Opbrengsten", "K2", 3),
    "first_year": ("Opbrengsten", "L2", 2),
    "every_year": ("Opbrengsten", "M2", "nee"),
    "monetised": ("Opbrengsten", "N2", "nee"),
    "input_amount": ("Inbreng", "D3", 30000),
    "hours": ("Inbreng", "E2", 1000),
    "rate": ("Inbreng", "F2", 80),
    "discount_rate": ("Instellingen", "B7", 0.04),
    "input_discount_rate": ("Instellingen", "B8", 0.03),
    "discount_inputs": ("Instellingen", "B9", "nee"),
}
STRUCTURAL = {
    "horizon": ("Instellingen", "B6", 5),
}
HEADLINE_KEYS = ("ratio", "net_ratio", "pv_value", "pv_inputs", "npv", "payback")
STAKEHOLDER_KEYS = ["stakeholder", "inputs", "value", "net"]


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The base workbook filled; each edit made in a copy of it; each copy recalculated by
    LibreOffice (and Gnumeric), and filled anew."""
    base = tmp_path_factory.mktemp("live")
    filled = base / "filled.xlsx"
    filled.write_bytes(edited_template("nl", BASE_EDITS))
    api.fill(filled, backup=False)
    copies, fresh = {}, {}
    (base / "edited").mkdir()
    (base / "fresh").mkdir()
    for name, (sheet, ref, value) in {**FLOWING, **STRUCTURAL}.items():
        copies[name] = base / "edited" / f"{name}.xlsx"
        copies[name].write_bytes(set_cells(filled.read_bytes(), sheet, {ref: value}))
        fresh[name] = base / "fresh" / f"{name}.xlsx"
        shutil.copy(copies[name], fresh[name])
        api.fill(fresh[name], backup=False)
    recalculated = convert_all(list(copies.values()), "xlsx", base / "lo", base)
    gnumeric = recalculate([copies[n] for n in FLOWING], base / "gnumeric")
    return {"filled": filled, "copies": copies, "fresh": fresh, "lo": recalculated,
            "gnumeric": gnumeric}


def same(a, b) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def figures(path: Path) -> dict:
    """The headline and the per-stakeholder table as a reader of the file sees them."""
    found = headline(path, "nl")
    table = sheet_table(path, "stakeholders", STAKEHOLDER_KEYS, "nl")
    return {**{k: found[k] for k in HEADLINE_KEYS},
            **{(row["stakeholder"], k): row[k] for row in table for k in STAKEHOLDER_KEYS[1:]}}


def differences(got: dict, want: dict) -> list[str]:
    keys = set(got) | set(want)
    # A stakeholder without figures may be listed or not: its figures are then 0.
    return [f"{k}: spreadsheet {got.get(k, 0.0)!r}, fill {want.get(k, 0.0)!r}"
            for k in sorted(keys, key=str) if not same(got.get(k, 0.0), want.get(k, 0.0))]


@pytest.mark.parametrize("name", list(FLOWING))
def test_an_edited_input_flows_into_the_results(name, edited):
    before = figures(edited["filled"])
    want = figures(edited["fresh"][name])
    assert differences(before, want), f"editing {name} should change the results"
    for program in ("lo", "gnumeric"):
        got = figures(edited[program][edited["copies"][name]])
        assert differences(got, want) == [], (name, program)


@pytest.mark.parametrize("name", list(STRUCTURAL))
def test_a_structural_input_is_said_to_need_fill(name, edited):
    copy = edited["copies"][name]
    # The figures stay those of the last fill, and the sheet says so beside the horizon ...
    assert differences(figures(edited["lo"][copy]), figures(edited["filled"])) == []
    assert differences(figures(edited["fresh"][name]), figures(edited["filled"]))
    rows = grid(edited["lo"][copy], "Resultaten")
    row = next(r for r in rows if r and r[0] == "Horizon (jaren)")
    assert HOW["structure"]("nl") in " ".join(str(v) for v in row)
    # ... and check says the result sheets are stale.
    assert api.check(copy, draws=0).stale
