"""The portfolio overview: totals across workbooks, a stakeholder summed across them, and
workbooks that cannot be computed named with the reason while the others still count."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from sroi_excel import api, formula, portfolio
from sroi_excel.cli import main
from sroi_excel.model import (
    Amount,
    Assumption,
    InputItem,
    Model,
    Outcome,
    Scenario,
    Settings,
    Stakeholder,
)

from .conftest import edited_template

ROOT = Path(__file__).resolve().parent.parent
DE_BILT = [ROOT / "examples" / f"debilt-{n}.xlsx" for n in (
    "ouders-lokaal", "maatjesproject", "sterk-door-vrijwilligerswerk", "samen-oplopen")]
GEMEENTE = "Gemeente De Bilt"


def n(value: float) -> Amount:
    return Amount.of(value)


def analysis(name: str, council_in: float, council_gain: str, other_gain: float,
             scenarios=(), currency: str = "EUR") -> Model:
    """One year, no discounting: the council pays and gains, 'Others' gain too."""
    return Model(
        Settings(name=name, years=1, currency=currency),
        (Stakeholder("Council"), Stakeholder("Others")),
        (Assumption("Gain", Amount(formula.parse(council_gain), council_gain)),),
        (InputItem("Council", "cost", "money", amount=n(council_in), year=1),),
        (Outcome("Council", "saving", n(1), Amount(formula.parse("=Gain"), "=Gain")),
         Outcome("Others", "benefit", n(1), n(other_gain))),
        tuple(scenarios))


def test_totals_by_scenario_and_a_stakeholder_summed_by_hand():
    # A: council pays 100, saves 250 (max: 400); others gain 50.
    # B: council pays 200, saves 150; no scenarios, so it counts at base values in "max".
    a = analysis("A", 100, "=250", 50, [Scenario("max", (("Gain", n(400)),))])
    b = analysis("B", 200, "=150", 0)
    p = portfolio.build([("a.xlsx", a), ("b.xlsx", b)], lang="en")
    assert list(p.analyses["scenario"]) == ["base values", "max", "base values"]
    base, high = p.total(None), p.total("MAX")  # scenario names match regardless of case
    # base: inputs 100 + 200 = 300; outcomes 250 + 50 + 150 = 450; net 150; ratio 1.5
    assert (base["pv_inputs"], base["pv_value"], base["npv"]) == (300, 450, 150)
    assert base["ratio"] == 1.5 and base["net_ratio"] == 0.5
    # max: A at 400 + 50, B at base: outcomes 600, net 300
    assert (high["pv_value"], high["npv"], high["base_for"]) == (600, 300, "B")
    council = p.stakeholder("council", "max")
    # council across both: in 300; out 400 + 150 = 550; net 250; net per euro 250 / 300
    assert (council["analyses"], council["inputs"], council["value"]) == (2, 300, 550)
    assert council["net_ratio"] == pytest.approx(250 / 300)
    assert portfolio.shared_stakeholders(p) == ["Council"]  # 'Others' only gains in A
    others = p.stakeholder("Others", None)
    assert others["analyses"] == 1 and others["inputs"] == 0
    assert others["ratio"] is None or others["ratio"] != others["ratio"]  # no inputs, no ratio


def test_other_currency_is_left_out_with_the_reason():
    p = portfolio.build([("a.xlsx", analysis("A", 100, "=250", 0)),
                         ("b.xlsx", analysis("B", 100, "=250", 0, currency="GBP"))])
    assert [m.file for m in p.members] == ["a.xlsx"]
    assert str(p.failures[0]) == ("b.xlsx: uses GBP while the other workbooks use EUR; amounts "
                                  "in different currencies cannot be added")


@pytest.fixture(scope="module")
def de_bilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("overview") / "overzicht.xlsx"
    report = api.portfolio(DE_BILT, output=out, scenarios=["minimum", "maximum"])
    return report, out


def test_de_bilt_closing_table(de_bilt):
    report, _ = de_bilt
    p = report.portfolio
    assert not report.failures
    # Table 12: net savings to the municipality, summed over the four projects
    # minimum: 70,946 + 20,173 + 26,062 - 28,765 = 88,416
    # maximum: 70,946 + 40,346 + 89,404 + 74,145.60 = 274,841.60 (printed 274,842)
    assert p.stakeholder(GEMEENTE, "minimum")["net"] == pytest.approx(88416, abs=0.5)
    assert p.stakeholder(GEMEENTE, "maximum")["net"] == pytest.approx(274842, abs=0.5)
    assert p.stakeholder(GEMEENTE, "minimum")["analyses"] == 4
    # investment: 27,126 + 21,317 + 56,000 + 56,000 = 160,443 (max: 42,634 for 30 matches)
    assert p.stakeholder(GEMEENTE, "minimum")["inputs"] == pytest.approx(160443)
    assert p.stakeholder(GEMEENTE, "maximum")["inputs"] == pytest.approx(181760)
    # the health insurer, in three of the workbooks: GP savings 12,800 + 4,800 + 6,000
    insurer = p.stakeholder("Zorgverzekeraars", "minimum")
    assert (insurer["analyses"], insurer["value"]) == (3, pytest.approx(23600))
    # Ouders Lokaal has no minimum or maximum: its base values count in both
    assert p.total("minimum")["base_for"] == "Ouders Lokaal, uitbreiding (De Bilt 2019)"
    # every analysis and scenario has a row: 2 + 3 + 5 + 3
    assert len(p.analyses) == 13


def test_de_bilt_overview_workbook(de_bilt):
    _, out = de_bilt
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["Overzicht", "Per belanghebbende", "Per categorie"]
    rows = book.get_sheet_by_name("Per belanghebbende").to_python()
    start = next(i for i, r in enumerate(rows) if r[0] == f"{GEMEENTE}: netto per analyse")
    header = rows[start + 1]
    assert header[:4] == ["Analyse", "basiswaarden", "minimum", "maximum"]
    block = {r[0]: r[1:4] for r in rows[start + 2:start + 7]}
    assert block["Ouders Lokaal, uitbreiding (De Bilt 2019)"] == [70946] * 3
    assert block["Samen Oplopen (De Bilt 2019)"] == pytest.approx(
        [-28765, -28765, 74145.6])
    assert block["Totaal"] == pytest.approx([88416, 88416, 274841.6])
    overview = book.get_sheet_by_name("Overzicht").to_python()
    assert any(r[0] == "Maatjesproject MENS met Elkaar, uitbreiding (De Bilt 2019)"
               and r[2] == "maximum" for r in overview)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" in names
        chart = z.read("xl/charts/chart1.xml").decode()
        assert "<c:barChart>" in chart and "Overzicht" in chart


def test_cli_reports_bad_members_and_still_writes_the_others(tmp_path):
    broken = tmp_path / "kapot.xlsx"
    broken.write_bytes(b"not a workbook")
    wrong = tmp_path / "fout.xlsx"
    wrong.write_bytes(edited_template("nl", {("Opbrengsten", "G2"): 1.5}))
    out = tmp_path / "overzicht.xlsx"
    result = CliRunner().invoke(main, ["portfolio", str(DE_BILT[0]), str(broken), str(wrong),
                                       str(DE_BILT[3]), "-o", str(out)])
    assert result.exit_code == 5, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {broken}") and "kapot.xlsx" in errors[0]
    assert errors[1].startswith(f"error: {wrong}: Opbrengsten!G2: deadweight is 1.5")
    assert out.exists()
    assert "wrote the overview to" in result.output
    assert f"{GEMEENTE} [minimum] across 2 analyses" in result.output
    book = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Overzicht").to_python()
    left_out = " ".join(str(r[0]) for r in book)
    assert "kapot.xlsx" in left_out and "fout.xlsx" in left_out


def test_cli_json_and_exit_codes(tmp_path):
    result = CliRunner().invoke(main, ["portfolio", *map(str, DE_BILT), "--json",
                                       "--scenario", "maximum"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] and data["failed"] == [] and data["written"] is None
    council = [s for s in data["stakeholders"]
               if s["stakeholder"] == GEMEENTE and s["scenario"] == "maximum"]
    assert council[0]["net"] == pytest.approx(274841.6)
    assert [t["scenario"] for t in data["totals"]] == ["basiswaarden", "maximum"]
    missing = CliRunner().invoke(main, ["portfolio", str(DE_BILT[0]), "--scenario", "middel"])
    assert missing.exit_code == 1
    assert "no workbook has a scenario named 'middel'" in missing.output
    same = CliRunner().invoke(main, ["portfolio", str(DE_BILT[0]), "-o", str(DE_BILT[0])])
    assert same.exit_code == 4 and "would replace the workbook" in same.output
    none = CliRunner().invoke(main, ["portfolio", str(tmp_path / "weg.xlsx"),
                                     "-o", str(tmp_path / "o.xlsx")])
    assert none.exit_code == 5 and not (tmp_path / "o.xlsx").exists()
    assert "weg.xlsx: no such file" in none.output


def test_libreoffice_recalculates_the_overview_to_the_cent(de_bilt, tmp_path):
    from .lo import convert

    _, out = de_bilt
    recalculated = convert(out, "xlsx", tmp_path / "lo", tmp_path)

    def figures(path: Path) -> dict:
        book = CalamineWorkbook.from_path(str(path))
        return {(name, r, c): v for name in book.sheet_names
                for r, row in enumerate(book.get_sheet_by_name(name).to_python())
                for c, v in enumerate(row) if isinstance(v, int | float)}

    ours, theirs = figures(out), figures(recalculated)
    assert ours and set(ours) == set(theirs)
    wrong = {k: (v, theirs[k]) for k, v in ours.items() if abs(v - theirs[k]) > 0.005}
    assert not wrong, list(wrong.items())[:5]
