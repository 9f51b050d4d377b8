"""Bugs a developer could make that the rest of the suite did not catch, each pinned by a test
with figures worked out by hand: percentages at the edges of their range, calendar years in
the year columns, an input of 0, the outcomes table's deductions, and the backup's
permissions and modification time where it has to be copied.
"""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from sroi_excel import api, reader
from sroi_excel.engine import compute
from sroi_excel.template import build_template

from .builders import model, money, outcome
from .results_io import sheet_table

REPO = Path(__file__).resolve().parents[1]
DEDUCTION_CELLS = {"deadweight": "G2", "attribution": "H2", "displacement": "I2",
                   "dropoff": "J2"}


def template(edits: dict, formats: dict | None = None) -> bytes:
    """The Dutch template with cells set, and number formats given to some of them."""
    book = openpyxl.load_workbook(io.BytesIO(build_template("nl")))
    for (sheet, ref), value in edits.items():
        book[sheet][ref] = value
    for (sheet, ref), fmt in (formats or {}).items():
        book[sheet][ref].number_format = fmt
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(edits: dict, formats: dict | None = None):
    return reader.read(template(edits, formats), "analyse.xlsx")


def errors(reading) -> list[str]:
    return [str(p) for p in reading.errors]


# -- percentages at the edges of the range --------------------------------------------------

# 0 and 1 as typed (an int), as a float, and as 0% and 100% (a number shown as a percentage:
# what Excel stores when one types "100%").
EDGES = [(0, None, 0.0), (1, None, 1.0), (0.0, "0%", 0.0), (1.0, "0%", 1.0),
         (1, "0.00%", 1.0)]


@pytest.mark.parametrize("key", DEDUCTION_CELLS)
@pytest.mark.parametrize("typed,fmt,expected", EDGES)
def test_a_deduction_at_the_edge_of_its_range_is_accepted(key, typed, fmt, expected):
    ref = DEDUCTION_CELLS[key]
    reading = read({("Opbrengsten", ref): typed},
                   {("Opbrengsten", ref): fmt} if fmt else None)
    assert errors(reading) == []
    assert getattr(reading.model.outcomes[0], key).node.value == expected


def test_a_deadweight_of_100_percent_claims_nothing_and_0_percent_everything():
    # The template's outcome: 40 participants x 25% = 10 people x 15,000 a year, attribution
    # 20%, displacement 0, every year from 1 to 3 with a duration of 2 and drop-off 50%.
    everything = compute(read({("Opbrengsten", "G2"): 0}).model)
    nothing = compute(read({("Opbrengsten", "G2"): 1}).model)
    # year 1: 150,000 x 0.8 = 120,000; years 2 and 3: 120,000 + half of it, 180,000
    assert everything.tables["years"].column("value") == pytest.approx(
        [0, 120_000, 180_000, 180_000])
    assert nothing.tables["years"].column("value") == [0, 0, 0, 0]
    assert nothing.headline.pv_value == 0


@pytest.mark.parametrize("ref", ["B7", "B8"])
@pytest.mark.parametrize("typed,fmt,expected", EDGES)
def test_a_discount_rate_at_the_edge_of_its_range_is_accepted(ref, typed, fmt, expected):
    reading = read({("Instellingen", ref): typed},
                   {("Instellingen", ref): fmt} if fmt else None)
    assert errors(reading) == []
    key = "discount_rate" if ref == "B7" else "discount_rate_inputs"
    assert getattr(reading.model.settings, key) == expected


@pytest.mark.parametrize("typed,expected", [
    (-0.01, "Opbrengsten!G2: deadweight is -1%; it must be between 0% and 100%"),
    (1.01, "Opbrengsten!G2: deadweight is 1.01, which reads as 101%; type 1.01% (with the "
            "percent sign) or a fraction like 0.0101"),
])
def test_just_outside_the_range_is_refused(typed, expected):
    assert errors(read({("Opbrengsten", "G2"): typed})) == [expected]


# -- calendar years in the year columns -----------------------------------------------------

# The template's first year is 2025 (Instellingen!B5) and its horizon 3 years.

@pytest.mark.parametrize("typed,year", [(2025, 1), (2026, 2), (2027, 3), (1, 1), (3, 3)])
def test_a_calendar_year_in_the_first_year_column(typed, year):
    reading = read({("Opbrengsten", "L2"): typed})
    assert errors(reading) == []
    assert reading.model.outcomes[0].first_year == year


@pytest.mark.parametrize("typed,year", [(2024, 0), (2025, 1), (2026, 2), (2027, 3), (0, 0),
                                        (2, 2)])
def test_a_calendar_year_in_the_input_year_column(typed, year):
    reading = read({("Inbreng", "G2"): typed, ("Inbreng", "H2"): "nee"})
    assert errors(reading) == []
    assert reading.model.inputs[0].year == year


@pytest.mark.parametrize("sheet,ref,typed,expected", [
    ("Opbrengsten", "L2", 2028, "Opbrengsten!L2: the first year is 2028; it must be between 1 "
     "and 3 (the horizon), or a calendar year from 2025"),
    ("Opbrengsten", "L2", 2024, "Opbrengsten!L2: the first year is 2024; it must be between 1 "
     "and 3 (the horizon), or a calendar year from 2025"),
    ("Inbreng", "G2", 2023, "Inbreng!G2: the year is 2023; it must be between 0 and 3 (the "
     "horizon), or a calendar year from 2025"),
])
def test_a_calendar_year_outside_the_analysis_is_refused(sheet, ref, typed, expected):
    assert errors(read({(sheet, ref): typed})) == [expected]


def test_a_calendar_year_moves_the_outcome_and_the_input_to_that_year():
    # The outcome starts in 2026, analysis year 2: it occurs in years 2 and 3, 10 people x
    # 15,000 x (1 - 30%) x (1 - 20%) = 84,000 each, and the year-2 cohort counts half in
    # year 3 (duration 2, drop-off 50%): 84,000 in year 2, 126,000 in year 3. The coach's
    # 800 h x 75 = 60,000 is put in once, in 2027: year 3.
    results = compute(read({("Opbrengsten", "L2"): 2026, ("Inbreng", "G2"): 2027,
                            ("Inbreng", "H2"): "nee"}).model)
    years = results.tables["years"]
    assert years.column("calendar_year") == [None, 2025, 2026, 2027]
    assert years.column("value") == pytest.approx([0, 0, 84_000, 126_000])
    assert years.column("inputs") == pytest.approx([0, 0, 0, 60_000])
    r = 1.0225
    assert results.headline.pv_value == pytest.approx(84_000 / r**2 + 126_000 / r**3)
    assert results.headline.pv_inputs == pytest.approx(60_000 / r**3)


# -- an input of 0 ----------------------------------------------------------------------------

def test_an_input_amount_of_0_is_accepted():
    # A stakeholder that puts in nothing (yet) is listed with 0; it must not stop the reading.
    reading = read({("Inbreng", "C2"): "geld", ("Inbreng", "D2"): 0, ("Inbreng", "E2"): None,
                    ("Inbreng", "F2"): None})
    assert errors(reading) == []
    (item,) = reading.model.inputs
    assert item.kind == "money" and item.amount.node.value == 0
    assert item.amount.at.ref == "D2"  # the results refer to the cell, so typing there counts
    results = compute(reading.model)
    assert results.headline.pv_inputs == 0
    assert results.headline.ratio is None and results.headline.net_ratio is None
    assert results.tables["inputs"].column("amount") == [0, 0, 0]  # years 1 to 3


@pytest.mark.parametrize("ref", ["E2", "F2"])
def test_0_hours_or_an_hourly_rate_of_0_is_accepted(ref):
    reading = read({("Inbreng", ref): 0})
    assert errors(reading) == []
    assert compute(reading.model).headline.pv_inputs == 0


def test_a_negative_input_amount_is_refused():
    assert errors(read({("Inbreng", "C2"): "geld", ("Inbreng", "D2"): -1,
                        ("Inbreng", "E2"): None, ("Inbreng", "F2"): None})) == [
        "Inbreng!D2: the amount is -1; it cannot be negative (enter savings as outcomes)"]


# -- the outcomes table's deductions ---------------------------------------------------------

def test_the_outcomes_table_holds_each_deduction_in_its_own_column():
    # 10 x 1,000 = 10,000 gross in year 1; claim (1 - 30%) x (1 - 10%) x (1 - 20%) = 0.504:
    # 5,040 in year 1 and, with drop-off 50%, 2,520 in year 2. At 10%:
    # 5,040 / 1.1 + 2,520 / 1.21 = 4,581.8181... + 2,082.6446... = 6,664.4628...
    m = model([outcome("A", 10, 1000, dw=0.3, attr=0.2, disp=0.1, drop=0.5, duration=2)],
              [money("B", 2000)], years=2, rate=0.1)
    (row,) = compute(m).tables["outcomes"].records()
    assert (row.deadweight, row.attribution, row.displacement, row.dropoff) == (
        0.3, 0.2, 0.1, 0.5)
    assert row.claim == pytest.approx(0.504)
    assert row.gross == pytest.approx(10_000)
    assert row.value == pytest.approx(7_560)
    assert row.present_value == pytest.approx(5_040 / 1.1 + 2_520 / 1.21)
    assert row.share == pytest.approx(1.0)


def _formula_value(cells: dict, values: dict, sheet: str, ref: str) -> float:
    """A result cell's value as a spreadsheet program computes it: references followed to the
    cells they name; arithmetic of + - * / and brackets over them."""
    formula = cells[sheet].get(ref)
    if not (isinstance(formula, str) and formula.startswith("=")):
        return values[sheet][ref]

    def value_of(m: re.Match) -> str:
        target = (m.group(1) or m.group(2) or sheet).replace("''", "'")
        return repr(_formula_value(cells, values, target, m.group(3).replace("$", "")))

    expression = re.sub(r"(?:'((?:[^']|'')+)'!|([A-Za-z][\w ]*)!)?(\$?[A-Z]{1,3}\$?\d+)",
                        value_of, formula[1:])
    assert re.fullmatch(r"[\d.e+\-*/() ]+", expression), formula
    return eval(expression)  # noqa: S307 - only numbers and arithmetic, checked above


def test_the_outcomes_sheet_holds_and_computes_each_deduction(tmp_path):
    # Distinct deductions, so that any two swapped show: deadweight 40%, attribution 25%,
    # displacement 10%, drop-off 50%. Claim (1 - 40%) x (1 - 10%) x (1 - 25%) = 0.405;
    # 10 people (typed as a number) x 15,000 = 150,000 gross a year in years 1 to 3 (450,000).
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(template({("Opbrengsten", "D2"): 10, ("Opbrengsten", "G2"): 0.4,
                               ("Opbrengsten", "H2"): 0.25, ("Opbrengsten", "I2"): 0.1,
                               ("Opbrengsten", "J2"): 0.5, ("Instellingen", "B15"): 0}))
    api.fill(path, backup=False)
    expected = {"quantity": 10, "proxy": 15_000, "deadweight": 0.4, "attribution": 0.25,
                "displacement": 0.1, "dropoff": 0.5, "claim": 0.405, "gross": 450_000}
    # The figures stored in the file (what a reader without recalculation sees) ...
    (row,) = sheet_table(path, "outcomes", ["outcome_no", *expected], "nl")
    assert row == pytest.approx({"outcome_no": 1, **expected})
    # ... and what the formulas in those cells compute from the input cells.
    book = openpyxl.load_workbook(path)
    cells = {ws.title: {c.coordinate: c.value for r in ws.iter_rows() for c in r}
             for ws in book}
    values = {ws.title: {c.coordinate: c.value for r in ws.iter_rows() for c in r}
              for ws in openpyxl.load_workbook(path, data_only=True)}
    ws = book["Per opbrengst"]
    header = next(r for r in ws.iter_rows() if r[0].value == "Nr.")
    columns = {c.value: c.column_letter for c in header}
    r = header[0].row + 1
    computed = {key: _formula_value(cells, values, ws.title, f"{columns[label]}{r}")
                for key, label in (("quantity", "Aantal"), ("proxy", "Financiële proxy"),
                                   ("deadweight", "Deadweight"), ("attribution", "Attributie"),
                                   ("displacement", "Verplaatsing"), ("dropoff", "Uitdoving"),
                                   ("claim", "Impact claim"))}
    assert computed == pytest.approx({k: v for k, v in expected.items() if k != "gross"})


# -- the backup where a hard link cannot be made ---------------------------------------------

# Run in a child process on a file system without hard links (FAT, some network shares):
# os.link fails there, so the workbook's previous version has to be copied to the backup.
# os.link is made to fail before sroi_excel is imported, as such a system would, whichever
# module of the package does the linking.
NO_LINKS = """
import errno, os, sys

def no_link(*args, **kwargs):
    raise OSError(errno.EPERM, "Operation not permitted")

os.link = no_link
how, path = sys.argv[1], sys.argv[2]
if how == "fill":
    from sroi_excel import api
    api.fill(path, backup=True)
else:
    from sroi_excel import safefile
    safefile.write_atomic(path, b"new bytes", backup=True)
"""


@pytest.mark.parametrize("how", ["write_atomic", "fill"])
def test_a_copied_backup_keeps_the_permissions_and_modification_time(tmp_path, how):
    path = tmp_path / "analyse.xlsx"
    old = template({}) if how == "fill" else b"old bytes"
    path.write_bytes(old)
    path.chmod(0o640)
    mtime_ns = 1_600_000_000_123_456_789  # 13 September 2020, to the nanosecond
    os.utime(path, ns=(mtime_ns, mtime_ns))
    inode = path.stat().st_ino
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", NO_LINKS, how, str(path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    backup = path.with_name("analyse.xlsx.bak")
    assert backup.read_bytes() == old
    st = backup.stat()
    assert st.st_ino != inode  # a copy: the old file itself was not kept under the new name
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_mtime_ns == mtime_ns
    assert path.read_bytes() != old and stat.S_IMODE(path.stat().st_mode) == 0o640
