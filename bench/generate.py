"""Generate benchmark workbooks: N outcomes over 10 years, as sroi-excel input and as the
formula workbook an analyst would build by hand (one formula per outcome-year).

    python bench/generate.py 1000 out/       -> out/input-1000.xlsx, out/formulas-1000.xlsx
"""

from __future__ import annotations

import sys
from pathlib import Path

import xlsxwriter

from sroi_excel import schema

YEARS = 10
STAKEHOLDERS = ["Deelnemers", "Gemeente", "Zorgverzekeraar", "Werkgevers", "Vrijwilligers"]


def outcome_row(i: int) -> dict:
    """Deterministic, varied figures for outcome i (no randomness: runs are comparable)."""
    return {
        "stakeholder": STAKEHOLDERS[i % len(STAKEHOLDERS)],
        "outcome": f"Opbrengst {i + 1}",
        "quantity_base": 10 + (i * 7) % 90,
        "proxy": 50 + (i * 37) % 950,
        "deadweight": ((i * 3) % 40) / 100,
        "attribution": ((i * 5) % 30) / 100,
        "displacement": ((i * 2) % 10) / 100,
        "dropoff": 0.1 + ((i * 11) % 30) / 100,
        "duration": 1 + i % 4,
        "assumption": f"Bereik_{i % 50 + 1}",
    }


def _headers(ws, sheet: schema.Sheet, bold) -> None:
    for c, column in enumerate(sheet.columns):
        ws.write_string(0, c, column.header("nl"), bold)


def _input_sheets(book, n: int, bold, pct):
    settings = book.add_worksheet(schema.SETTINGS.name("nl"))
    rows = {"name": f"Benchmark {n}", "years": YEARS, "discount_rate": 0.0225,
            "discount_inputs": "ja", "price_year": 2025, "currency": "EUR"}
    for r, column in enumerate(schema.SETTINGS.columns, 1):
        settings.write_string(r, 0, column.header("nl"))
        value = rows.get(column.key)
        if isinstance(value, str):
            settings.write_string(r, 1, value)
        elif value is not None:
            settings.write_number(r, 1, value, pct if column.kind == "percent" else None)
    ws = book.add_worksheet(schema.STAKEHOLDERS.name("nl"))
    _headers(ws, schema.STAKEHOLDERS, bold)
    for r, name in enumerate(STAKEHOLDERS, 1):
        ws.write_string(r, 0, name)
    ws = book.add_worksheet(schema.ASSUMPTIONS.name("nl"))
    _headers(ws, schema.ASSUMPTIONS, bold)
    for r in range(1, 51):
        ws.write_string(r, 0, f"Bereik_{r}")
        ws.write_number(r, 1, 1 + r / 100)
        ws.write_string(r, 3, "benchmark")
        book.define_name(f"Bereik_{r}", f"='{schema.ASSUMPTIONS.name('nl')}'!$B${r + 1}")
    ws = book.add_worksheet(schema.INPUTS.name("nl"))
    _headers(ws, schema.INPUTS, bold)
    for r, who in enumerate(STAKEHOLDERS[1:], 1):
        for c, value in enumerate([who, "Bijdrage", "geld", 100_000 * n / 50 * r]):
            (ws.write_string if isinstance(value, str) else ws.write_number)(r, c, value)
        ws.write_number(r, 6, 1)
        ws.write_string(r, 7, "ja")
        ws.write_string(r, 8, "benchmark")
    ws = book.add_worksheet(schema.OUTCOMES.name("nl"))
    _headers(ws, schema.OUTCOMES, bold)
    for i in range(n):
        o = outcome_row(i)
        r = i + 1
        ws.write_string(r, 0, o["stakeholder"])
        ws.write_string(r, 1, o["outcome"])
        ws.write_string(r, 2, "aantal")
        q = o["quantity_base"] * (1 + (r % 50 + 1) / 100)
        ws.write_formula(r, 3, f"={o['quantity_base']}*{o['assumption']}", None, q)
        ws.write_number(r, 4, o["proxy"])
        ws.write_string(r, 5, "benchmark")
        for c, key in enumerate(("deadweight", "attribution", "displacement", "dropoff"), 6):
            ws.write_number(r, c, o[key], pct)
        ws.write_number(r, 10, o["duration"])
        ws.write_number(r, 11, 1)
        ws.write_string(r, 12, "ja")
        ws.write_string(r, 13, "ja")
    return ws


def write_input(path: Path, n: int) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    bold, pct = book.add_format({"bold": True}), book.add_format({"num_format": "0%"})
    _input_sheets(book, n, bold, pct)
    book.close()


def write_formulas(path: Path, n: int) -> None:
    """The same model computed with one Excel formula per outcome-year, as by hand."""
    book = xlsxwriter.Workbook(str(path))
    bold, pct = book.add_format({"bold": True}), book.add_format({"num_format": "0%"})
    _input_sheets(book, n, bold, pct)
    o_sheet = "Opbrengsten"
    calc = book.add_worksheet("Berekening")
    calc.write_string(0, 0, "Opbrengst")
    for y in range(1, YEARS + 1):
        calc.write_string(0, y, f"Jaar {y}")
    calc.write_string(0, YEARS + 1, "Contante waarde")
    rate = f"'{schema.SETTINGS.name('nl')}'!$B$7"
    for i in range(n):
        r = i + 2  # Excel row of the outcome on both sheets
        calc.write_formula(i + 1, 0, f"={o_sheet}!B{r}")
        impact = (f"{o_sheet}!$D{r}*{o_sheet}!$E{r}*(1-{o_sheet}!$G{r})*(1-{o_sheet}!$I{r})"
                  f"*(1-{o_sheet}!$H{r})")
        for y in range(1, YEARS + 1):
            # recurring cohorts, each lasting `duration` years with drop-off d:
            # value in year y = impact x sum_{k=0}^{min(y,D)-1} (1-d)^k
            k = f"MIN({y},{o_sheet}!$K{r})"
            geometric = f"(1-(1-{o_sheet}!$J{r})^{k})/{o_sheet}!$J{r}"
            calc.write_formula(i + 1, y, f"={impact}*{geometric}")
        cols = ",".join(f"{xlsxwriter.utility.xl_col_to_name(y)}{i + 2}/(1+{rate})^{y}"
                        for y in range(1, YEARS + 1))
        calc.write_formula(i + 1, YEARS + 1, f"=SUM({cols})")
    last = n + 1
    calc.write_string(last + 1, 0, "Totaal")
    calc.write_formula(last + 1, YEARS + 1, f"=SUM(L2:L{last})")
    inputs = f"{schema.INPUTS.name('nl')}!D2:D5"
    # inputs every year 1..10, discounted like outcomes
    calc.write_formula(last + 2, YEARS + 1,
                       f"=SUM({inputs})*(1-(1+{rate})^-{YEARS})/{rate}")
    calc.write_formula(last + 3, YEARS + 1, f"=L{last + 2}/L{last + 3}")
    book.close()


def main(argv: list[str]) -> None:
    n, out = int(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    write_input(out / f"input-{n}.xlsx", n)
    write_formulas(out / f"formulas-{n}.xlsx", n)


if __name__ == "__main__":
    main(sys.argv[1:])
