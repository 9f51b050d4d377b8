"""The result sheets: live formulas over the input cells, values where a link would be wrong,
charts that refer to the right cells, print setup, and the stale warning end to end.

Expected figures are worked out by hand in the comments (the template's job-coach example:
40 participants x 25% success = 10 people, a benefit of 15,000, deadweight 30%, attribution
20%, so 84,000 a year; half of that the next year; 2.25% discounting).
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sroi_excel import api, render, render_layout
from sroi_excel.cli import main
from sroi_excel.model import Cell
from sroi_excel.template import build_template

from .results_io import edit_cell, grid, headline, sheet_table

ROOT = Path(__file__).resolve().parent.parent
R = 1.0225  # the template's discount rate


def settings_row(ws, label: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == label:
            return row[0].row
    raise KeyError(label)


def column_of(ws, header: str) -> str:
    for cell in ws[1]:
        if cell.value == header:
            return cell.column_letter
    raise KeyError(header)


def variant(name: str) -> bytes:
    """Template workbooks that exercise scenarios, per-year values, hours, year-0 inputs,
    a separate input rate, outcomes beyond the horizon, negative values and English."""
    lang = "en" if name == "english" else "nl"
    book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
    settings = book["Settings" if lang == "en" else "Instellingen"]

    def setting(label: str, value) -> None:
        settings[f"B{settings_row(settings, label)}"] = value

    for row in settings.iter_rows(min_col=1, max_col=1):
        if str(row[0].value or "").startswith("Monte Carlo") and "seed" not in str(
                row[0].value) and "zaad" not in str(row[0].value):
            settings[f"B{row[0].row}"] = 0  # no draws: these tests are about the formulas
    if name == "scenario":
        setting("Scenario voor resultaten", "minimum")
    elif name == "per_year":
        assumptions = book["Aannames"]
        assumptions[f"{column_of(assumptions, 'Jaar 1')}2"] = 30
        assumptions[f"{column_of(assumptions, 'Jaar 2')}2"] = 60
        inputs = book["Inbreng"]
        for col, value in zip("ABCDG", ("Gemeente", "Startkosten", "geld", 25000, 0),
                              strict=True):
            inputs[f"{col}3"] = value
        setting("Discontovoet inbreng", 0.03)
        setting("Effecten na horizon meetellen", "ja")
        outcomes = book["Opbrengsten"]
        for col, value in zip("ABCDEFJKLMN", (
                "Deelnemers", "Meer inkomen", "Werkende deelnemers", "=Deelnemers*Succes",
                2500, "CBS", 0.1, 3, 2, "nee", "ja"), strict=True):
            outcomes[f"{col}4"] = value
        # a proxy that names a reference price (text in the cell, indexed 2014 -> 2021)
        setting("Prijspeil (jaar)", 2021)
        for col, value in zip("ABCDEKLMN", ("Gemeente", "Minder huisartsbezoek", "Consulten",
                                            100, "HA-CONSULT", 1, 1, "nee", "ja"), strict=True):
            outcomes[f"{col}5"] = value
    elif name == "no_inputs":
        book["Inbreng"].delete_rows(2)
    elif name == "english":
        setting("Discount inputs", "no")
        inputs = book["Inputs"]
        for col, value in zip("ABCDGH", ("Participants", "Travel", "money", 1200, 2, "no"),
                              strict=True):
            inputs[f"{col}3"] = value
        outcomes = book["Outcomes"]
        for col, value in zip("ABCDEFKLMN", (
                "Council", "Extra support costs", "Cases", 10, -500, "Budget", 1, 1, "yes",
                "yes"), strict=True):
            outcomes[f"{col}4"] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """name -> (path of the filled workbook, report), filled once per module."""
    folder = tmp_path_factory.mktemp("render")
    cache: dict[str, tuple[Path, api.Report]] = {}

    def get(name: str):
        if name not in cache:
            path = folder / f"{name}.xlsx"
            if name == "buurtcoach":
                shutil.copy(ROOT / "examples" / "buurtcoach.xlsx", path)
            else:
                path.write_bytes(variant(name))
            cache[name] = (path, api.fill(path, backup=False))
        return cache[name]

    return get


def formulas(path: Path, sheet: str) -> dict[str, object]:
    ws = openpyxl.load_workbook(path, data_only=False)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def find_column(cells: dict[str, object], header: str) -> str:
    for ref, value in cells.items():
        if value == header:
            return re.match(r"[A-Z]+", ref).group(0)
    raise KeyError(header)


def header_row(cells: dict[str, object], header: str) -> int:
    for ref, value in cells.items():
        if value == header:
            return int(re.search(r"\d+", ref).group(0))
    raise KeyError(header)


def test_trail_refers_to_the_input_cells(filled):
    path, _ = filled("buurtcoach")
    cells = formulas(path, "Rekenspoor")
    top = header_row(cells, "Aantal") + 1
    col = {h: find_column(cells, h) for h in ("Aantal", "Financiële proxy", "Deadweight",
                                                "Verplaatsing", "Attributie", "Uitdoving",
                                                "Contante waarde", "Jaar 1 (2025)",
                                                "Jaar 2 (2026)")}
    assert cells[f"{col['Aantal']}{top}"] == "=Opbrengsten!D2"
    assert cells[f"{col['Financiële proxy']}{top}"] == "=Opbrengsten!E2"
    assert cells[f"{col['Deadweight']}{top}"] == "=Opbrengsten!G2"
    assert cells[f"{col['Verplaatsing']}{top}"] == "=Opbrengsten!I2"
    assert cells[f"{col['Uitdoving']}{top}"] == "=Opbrengsten!J2"
    # each year's discount factor stands above its column: a formula over the rate cell on
    # the results sheet, which itself refers to the settings
    factor = cells[f"{col['Jaar 2 (2026)']}{top - 2}"]
    assert re.fullmatch(r"=1/\(1\+Resultaten!\$B\$\d+\)\^2", factor), factor
    first, last = col["Jaar 1 (2025)"], find_column(cells, "Jaar 3 (2027)")
    assert cells[f"{col['Contante waarde']}{top}"] == (
        f"=SUMPRODUCT({first}{top}:{last}{top},{first}${top - 2}:{last}${top - 2})")
    # Minder uitkeringen recurs in years 1-3 and lasts 2 years with drop-off: in years 2 and
    # 3 the cohort of that year and the one of the year before count
    impact, dropoff = find_column(cells, "Impact"), find_column(cells, "Uitdoving")
    assert [cells[f"{find_column(cells, f'Jaar {t} ({2024 + t})')}{top}"]
            for t in (1, 2, 3)] == [f"={impact}{top}", f"={impact}{top}*(1+(1-{dropoff}{top}))",
                                    f"={impact}{top}*(1+(1-{dropoff}{top}))"]
    rate_ref = re.search(r"\$B\$(\d+)", factor).group(1)
    assert formulas(path, "Resultaten")[f"B{rate_ref}"] == "=Instellingen!B7"
    inputs = formulas(path, "Rekenspoor inbreng")
    top = header_row(inputs, "Uren") + 1
    assert inputs[f"{find_column(inputs, 'Uren')}{top}"] == "=Inbreng!E2"
    assert inputs[f"{find_column(inputs, 'Uurtarief')}{top}"] == "=Inbreng!F2"


def test_every_figure_of_the_trail_is_a_formula(filled):
    # Structure columns (numbers, years, ages) are values; every amount, share and factor
    # is a formula in the base case.
    path, _ = filled("buurtcoach")
    cells = formulas(path, "Rekenspoor")
    top = header_row(cells, "Aantal") + 1
    structure = {find_column(cells, h) for h in ("Nr.", "Optreden vanaf jaar",
                                                   "Optreden t/m jaar", "Duur (jaren)")}
    numbers = [(ref, v) for ref, v in cells.items()
               if int(re.search(r"\d+", ref).group(0)) >= top
               and re.match(r"[A-Z]+", ref).group(0) not in structure
               and not (isinstance(v, str) and not v.startswith("="))]
    assert len(numbers) > 15
    years = {find_column(cells, f"Jaar {t} ({2024 + t})") for t in (1, 2, 3)}
    assert len([ref for ref, _ in numbers if re.match(r"[A-Z]+", ref).group(0) in years]) >= 6
    assert all(isinstance(v, str) and v.startswith("=") for _, v in numbers), numbers[:5]


def test_scenario_values_are_written_as_marked_values(filled):
    path, report = filled("scenario")
    assert report.results.scenario == "minimum"
    cells = formulas(path, "Rekenspoor")
    top = header_row(cells, "Aantal") + 1
    quantity = f"{find_column(cells, 'Aantal')}{top}"
    # Opbrengsten!D2 (=Deelnemers*Succes) holds 40 x 25% = 10; the scenario uses 15%: 6
    assert cells[quantity] == pytest.approx(6)
    assert cells[f"{find_column(cells, 'Financiële proxy')}{top}"] == "=Opbrengsten!E2"
    note = cells[f"{find_column(cells, 'Toelichting')}{top}"]
    assert note == "Vaste waarde: Succes uit scenario 'minimum'"
    ws = openpyxl.load_workbook(path)["Rekenspoor"]
    assert ws[quantity].font.i and ws[quantity].fill.fgColor.rgb.endswith("E7E6E6")


def test_per_year_values_are_fixed_only_in_their_years(filled):
    path, report = filled("per_year")
    cells = formulas(path, "Rekenspoor")
    top = header_row(cells, "Aantal") + 1
    q = find_column(cells, "Aantal")
    note = find_column(cells, "Toelichting")
    # Deelnemers has its own value in years 1 and 2: those years are rows of their own
    runs = [(rec.outcome, rec.occurs_from, rec.occurs_to)
            for rec in report.results.tables["cohorts"].records()]
    assert ("Minder uitkeringen", 1, 1) in runs and ("Minder uitkeringen", 2, 2) in runs
    assert ("Minder uitkeringen", 3, report.results.headline.years) in runs
    for i, rec in enumerate(report.results.tables["cohorts"].records()):
        ref = f"{q}{top + i}"
        if rec.outcome == "Minder uitkeringen" and rec.occurs_from in (1, 2):
            # Deelnemers is 30 in year 1 and 60 in year 2: 7.5 and 15 people
            assert cells[ref] == pytest.approx({1: 7.5, 2: 15}[rec.occurs_from])
            assert cells[f"{note}{top + i}"] == (
                f"Vaste waarde: Deelnemers voor jaar {rec.occurs_from}")
        elif rec.outcome == "Minder uitkeringen":
            assert cells[ref] == "=Opbrengsten!D2"
        elif rec.outcome == "Minder huisartsbezoek":
            # The proxy cell holds the text HA-CONSULT: 33 (2014) x 110.39 / 99.40 (CBS CPI)
            assert cells[ref] == "=Opbrengsten!D5"
            proxy = cells[f"{find_column(cells, 'Financiële proxy')}{top + i}"]
            assert proxy == pytest.approx(33 * 110.39 / 99.40)
            assert cells[f"{note}{top + i}"] == (
                "Vaste waarde: referentieprijs HA-CONSULT, geïndexeerd naar het prijspeil")
        else:
            # Meer inkomen occurs in year 2, where Deelnemers is fixed; its empty deadweight
            # cell is still referred to, so typing one there recalculates.
            assert rec.occurs_from == 2 and cells[ref] == pytest.approx(15)
            assert cells[f"{find_column(cells, 'Deadweight')}{top + i}"] == "=Opbrengsten!G4"
    # Meer inkomen lasts 3 years from year 2 and counts beyond the 3-year horizon (year 4)
    assert report.results.headline.last_year == 4


def test_value_per_year_per_stakeholder_by_hand(filled):
    path, _ = filled("buurtcoach")
    rows = grid(path, "Per jaar")
    header = next(r for r, row in enumerate(rows) if "Gemeente" in row)
    col = rows[header].index("Gemeente")
    values = [rows[header + 1 + t][col] for t in range(4)]
    # year 1: 84,000 / 1.0225; years 2 and 3: (84,000 + 42,000) / 1.0225^t
    expected = [0, 84000 / R, 126000 / R**2, 126000 / R**3]
    assert values == pytest.approx(expected, abs=0.005)
    assert rows[header + 5][col] == pytest.approx(sum(expected), abs=0.005)
    cells = formulas(path, "Per jaar")
    letter = openpyxl.utils.get_column_letter(col + 1)
    assert cells[f"{letter}{header + 3}"].startswith("=SUMIF(Rekenspoor!$B$")


def test_headline_is_formulas_over_the_tables(filled):
    path, report = filled("buurtcoach")
    cells = formulas(path, "Resultaten")
    found = headline(path, "nl")
    labels = {v: k for k, v in cells.items() if isinstance(v, str)}
    row = {key: int(re.search(r"\d+", labels[text("nl")]).group(0))
           for key, text in render_layout.HEADLINE.items()}
    assert cells[f"B{row['pv_value']}"].startswith("='Per jaar'!$H$")
    assert cells[f"B{row['npv']}"] == f"=B{row['pv_value']}-B{row['pv_inputs']}"
    assert cells[f"B{row['ratio']}"] == (f'=IF(B{row["pv_inputs"]}=0,"n.v.t. (geen inbreng)",'
                                         f'B{row["pv_value"]}/B{row["pv_inputs"]})')
    assert "SUM('Per jaar'!$L$" in cells[f"B{row['payback']}"]
    # PV inputs: 60,000 in each of years 1-3, discounted; payback as the engine states it:
    # year 1 owes 58,679.71 and earns 82,151.59 -> 0.7143 years
    assert found["pv_inputs"] == pytest.approx(60000 * (1 / R + 1 / R**2 + 1 / R**3),
                                               abs=0.005)
    assert found["payback"] == pytest.approx((60000 / R) / (84000 / R), abs=1e-9)
    assert found["horizon"] == 3 and found["scenario"] == "basiswaarden"
    assert report.results.headline.payback_years == pytest.approx(found["payback"])


def test_quoted_sheet_names():
    assert render_layout.link(Cell("Scenario's", "C2")) == "='Scenario''s'!C2"
    assert render_layout.link(Cell("Opbrengsten", "D2")) == "=Opbrengsten!D2"
    assert render_layout.literal('say "hi"') == '"say ""hi"""'


def test_user_text_is_never_a_formula(tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(build_template("nl")))
    book["Belanghebbenden"]["A2"] = "=1+1 Deelnemers"
    book["Opbrengsten"]["A3"] = "=1+1 Deelnemers"
    book["Opbrengsten"]["B2"] = '=HYPERLINK("x")'
    book["Instellingen"]["B2"] = "=2*3"
    path = tmp_path / "text.xlsx"
    book.save(path)
    api.fill(path, backup=False)
    book = openpyxl.load_workbook(path)
    for sheet in render.sheet_names("nl")[:6]:
        for row in book[sheet].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:4] in ("=1+1", "=HYP", "=2*3"):
                    assert cell.data_type == "s", f"{sheet}!{cell.coordinate}"
    rows = grid(path, "Resultaten")
    assert rows[0][0] == "=2*3"


def chart_parts(path: Path) -> dict[str, str]:
    """Each chart part of the results sheet's drawing, by its title."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sheet_part = sorted(n for n in names if n.startswith("xl/worksheets/") and
                            n.endswith(".xml"))
        workbook = z.read("xl/workbook.xml").decode()
        out = {}
        for name in names:
            if name.startswith("xl/charts/") and name.endswith(".xml"):
                xml = z.read(name).decode()
                title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", xml.split("<c:plotArea>")[0]))
                out[title] = xml
    assert sheet_part and workbook
    return out


def refs(xml: str) -> list[str]:
    return re.findall(r"<c:f>([^<]*)</c:f>", xml)


def cell_values(path: Path, ref: str) -> list:
    sheet, cells = ref.rsplit("!", 1)
    sheet = sheet.strip("'").replace("''", "'")
    rows = grid(path, sheet)
    first, _, last = cells.replace("$", "").partition(":")
    last = last or first
    (c1, r1), (c2, r2) = [openpyxl.utils.cell.coordinate_from_string(x) for x in (first, last)]
    i1, i2 = (openpyxl.utils.column_index_from_string(c) - 1 for c in (c1, c2))
    return [rows[r][c] for r in range(r1 - 1, r2) for c in range(i1, i2 + 1)]


def test_charts_refer_to_the_right_ranges(filled):
    path, report = filled("per_year")
    results = report.results
    found = chart_parts(path)
    stake = found["Inbreng en waarde per belanghebbende"]
    assert "<c:barChart>" in stake and '<c:grouping val="clustered"/>' in stake
    series = refs(stake)
    assert [cell_values(path, r) for r in series[:1] + series[3:4]] == [["Inbreng"],
                                                                        ["Waarde"]]
    assert cell_values(path, series[1]) == list(results.stakeholders["stakeholder"])
    assert cell_values(path, series[2]) == pytest.approx(list(results.stakeholders["inputs"]))
    assert cell_values(path, series[5]) == pytest.approx(list(results.stakeholders["value"]))

    outcome = found["Waarde per opbrengst (grootste eerst)"]
    assert '<c:orientation val="maxMin"/>' in outcome  # largest on top
    categories, values = refs(outcome)
    ranked = results.outcomes.sort_values("present_value", ascending=False)
    assert cell_values(path, categories) == list(ranked["outcome"])
    assert cell_values(path, values) == pytest.approx(list(ranked["present_value"]))

    stacked = found["Waarde per jaar, per belanghebbende"]
    assert '<c:grouping val="stacked"/>' in stacked
    series = refs(stacked)  # name, categories, values per stakeholder
    trail = results.trail
    for k in range(0, len(series), 3):
        who = cell_values(path, series[k])[0]
        assert cell_values(path, series[k + 1]) == [2025, 2026, 2027, 2028]
        by_year = [trail.loc[(trail.stakeholder == who) & (trail.year == t),
                             "present_value"].sum() for t in (1, 2, 3, 4)]
        assert cell_values(path, series[k + 2]) == pytest.approx(by_year, abs=0.005)
    assert len(series) == 6  # Gemeente and Deelnemers

    cumulative = found["Cumulatieve waarde en inbreng: terugverdienen"]
    assert "<c:scatterChart>" in cumulative
    series = refs(cumulative)
    years = results.years
    cum_in, cum_val = list(years.cumulative_pv_inputs), list(years.cumulative_pv_value)
    x, steps, x_again, value = (cell_values(path, r) for r in series[:4])
    # One x column for both lines: inputs step up at the start of each year, value runs
    # straight between year ends.
    assert x == x_again == [0, 1, 1, 2, 2, 3, 3, 4]
    assert steps == pytest.approx([cum_in[t] for t in (1, 1, 2, 2, 3, 3, 4, 4)])
    assert value == pytest.approx([cum_val[t] for t in (0, 1, 1, 2, 2, 3, 3, 4)])
    name, px, py, _, px_again, marker = (cell_values(path, r) for r in series[4:10])
    payback = results.headline.payback_years
    assert name == [f"Terugverdiend na {payback:.1f}".replace(".", ",") + " jaar"]
    assert px == px_again == pytest.approx([payback] * 8)
    # the crossing: year 2's step (its inputs count from the start of year 2, x = 1)
    assert 1 < payback < 2
    assert py == pytest.approx([0] + [cum_in[2]] * 7) and marker == pytest.approx(
        [cum_in[2]] * 8)


def test_charts_are_in_the_workbooks_language(filled):
    path, _ = filled("english")
    titles = set(chart_parts(path))
    assert {"Inputs and value by stakeholder", "Value by outcome (largest first)",
            "Value per year, by stakeholder",
            "Cumulative value against inputs: payback"} <= titles
    xml = chart_parts(path)["Inputs and value by stakeholder"]
    assert "Present value" in xml and 'formatCode="&quot;€&quot; #,##0' in xml


def test_print_setup(filled):
    path, _ = filled("buurtcoach")
    book = openpyxl.load_workbook(path)
    for name in render.sheet_names("nl")[:6]:
        ws = book[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, so often left out
        assert ws.page_setup.fitToHeight == 0
        assert "Voorbeeld: buurtcoach naar werk" in ws.oddHeader.left.text
        assert ws.oddFooter.right.text == "Pagina &P van &N"
        assert ws.print_area
    # The cumulative chart's data (beside the By year table) is left out of the print area.
    # A-L the table, M a gap, N-O value per stakeholder and its total; then the chart data
    assert book["Per jaar"].print_area == "'Per jaar'!$A$1:$O$10"


def test_stale_results_are_reported_by_check_end_to_end(tmp_path):
    runner = CliRunner()
    path = tmp_path / "analyse.xlsx"
    assert runner.invoke(main, ["new", str(path)]).exit_code == 0
    assert runner.invoke(main, ["fill", str(path), "--no-backup"]).exit_code == 0
    fresh = runner.invoke(main, ["check", str(path)])
    assert fresh.exit_code == 0 and "are stale" not in fresh.output
    # Type 50 participants into Aannames!B2, as Excel would save it.
    path.write_bytes(edit_cell(path.read_bytes(), "Aannames", "B2", 50))
    stale = runner.invoke(main, ["check", str(path)])
    assert stale.exit_code == 0
    assert (f"warning: the result sheets of {path} are stale: the inputs changed since the "
            "last fill; run sroi-excel fill again") in stale.output
    assert runner.invoke(main, ["fill", str(path), "--no-backup"]).exit_code == 0
    assert "are stale" not in runner.invoke(main, ["check", str(path)]).output


def test_result_tables_equal_the_engine(filled):
    # The cached values every reader sees, table by table, against the engine's DataFrames.
    from .results_io import compare_frame, trail_frame

    for name in ("buurtcoach", "scenario", "per_year", "english"):
        path, report = filled(name)
        results, lang = report.results, report.results.model.language
        problems = []
        for key, frame in (("stakeholders", results.stakeholders),
                           ("trail", trail_frame(results)), ("years", results.years)):
            keys = [k for k in frame.columns
                    if (k in render_layout.COLUMNS or k.startswith(render_layout.YEAR_KEY))
                    and not (len(frame) and frame[k].isna().all())]
            problems += compare_frame(
                sheet_table(path, key, keys, lang, results.model.settings.first_year), frame,
                keys, f"{name} {key}")
        assert not problems, problems[:5]


@pytest.mark.parametrize("delete", [
    [("Inbreng", 2)],  # no inputs: no ratio, no payback
    [("Opbrengsten", 2)],  # only the qualitative outcome: nothing valued
    [("Inbreng", 2), ("Opbrengsten", 2)],
])
def test_empty_tables_still_render(workbook, delete):
    path = workbook(delete_rows=delete)
    report = api.fill(path, backup=False)
    found = headline(path, "nl")
    if report.results.headline.ratio is None:
        assert found["ratio"] == "n.v.t. (geen inbreng)"
        assert found["payback"] == "n.v.t. (geen inbreng)"
    else:
        assert found["payback"] == "niet binnen de horizon"
    assert found["pv_value"] == pytest.approx(report.results.headline.pv_value)
    assert found["pv_inputs"] == pytest.approx(report.results.headline.pv_inputs)


def test_results_sheet_lists_the_largest_outcomes_and_one_row_for_the_rest():
    from python_calamine import CalamineWorkbook

    from sroi_excel.engine import compute

    from .builders import model, outcome

    # outcome i is worth 100 x i (one year, no discounting): 100 .. 4,000, total 82,000
    m = model([outcome("A", 1, 100 * i, name=f"Opbrengst {i}") for i in range(1, 41)],
              years=1)
    data = render.render_results(compute(m), "nl")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(
        "Resultaten").to_python()
    first = next(r for r, row in enumerate(rows) if row[0] == "Opbrengst 40")
    listed = [row[0] for row in rows[first:first + 25]]
    assert listed == [f"Opbrengst {i}" for i in range(40, 15, -1)]  # largest first
    other = rows[first + 25]
    # the 15 not listed: 100 + 200 + ... + 1,500 = 12,000, 12,000 / 82,000 of the total
    assert other[0] == "Overige 15 opbrengsten (zie Per opbrengst)"
    assert other[1] == pytest.approx(12000) and other[2] == pytest.approx(12000 / 82000)
    assert rows[first + 26][:2] == ["Totaal", pytest.approx(82000)]
    # ... as a formula: the By outcome sheet's total less the listed rows
    text = openpyxl.load_workbook(io.BytesIO(data))["Resultaten"].cell(first + 26, 2).value
    found = re.fullmatch(r"='Per opbrengst'!\$([A-Z]+)\$(\d+)-SUM\(B(\d+):B(\d+)\)", text)
    assert found and found.group(3, 4) == (str(first + 1), str(first + 25)), text
    by_outcome = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(
        "Per opbrengst").to_python()
    total_row = by_outcome[int(found.group(2)) - 1]
    col = openpyxl.utils.column_index_from_string(found.group(1)) - 1
    assert total_row[0] == "Totaal" and total_row[col] == pytest.approx(82000)
