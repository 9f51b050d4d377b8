"""The shipped examples: the committed files are what examples/build_examples.py makes, and
`fill` reproduces the published analyses.

Figures are read back from the filled workbooks with python-calamine (not from the engine) and
compared with the numbers printed in the seed reports, or with arithmetic shown beside them.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import api, reader, schema
from sroi_excel.render_layout import HEADLINE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CENT = 0.005
ROUNDING = 0.5  # the report prints whole euros


def load_builder():
    spec = importlib.util.spec_from_file_location("build_examples",
                                                  EXAMPLES / "build_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """fill(name, scenario) -> the filled copy, opened with python-calamine (cached)."""
    folder = tmp_path_factory.mktemp("filled")
    done: dict = {}

    def fill(name: str, scenario: str | None = None) -> CalamineWorkbook:
        if (name, scenario) not in done:
            out = folder / f"{len(done)}-{name}"
            api.fill(EXAMPLES / name, output=out, scenario=scenario)
            done[(name, scenario)] = CalamineWorkbook.from_path(str(out))
        return done[(name, scenario)]

    return fill


def table(book: CalamineWorkbook, key: str, lang: str = "nl") -> list[dict]:
    """A result table as dicts keyed like the engine's columns, found by its header labels."""
    labels = {text(lang): k for k, (text, _) in schema.RESULT_COLUMNS.items()}

    def key_of(header) -> str | None:
        year = re.fullmatch(r"(?:Jaar|Year) (\d+)(?: \(\d{4}\))?", str(header).strip())
        return f"in_year_{year.group(1)}" if year else labels.get(str(header).strip())

    rows = book.get_sheet_by_name(schema.RESULT_SHEETS[key](lang)).to_python()
    headers = [[key_of(v) for v in row] for row in rows]
    start = next(i for i, keys in enumerate(headers) if sum(k is not None for k in keys) >= 3)
    keys = headers[start]
    found = []
    for row in rows[start + 1:]:
        if not row or row[0] in ("", "Totaal", "Total"):
            break
        found.append({k: v for k, v in zip(keys, row, strict=False) if k})
    return found


def headline(book: CalamineWorkbook, lang: str = "nl") -> dict[str, object]:
    rows = book.get_sheet_by_name(schema.RESULT_SHEETS["results"](lang)).to_python()
    by_label = {str(r[0]).strip(): r[1] for r in rows if len(r) > 1}
    return {key: by_label.get(text(lang)) for key, text in HEADLINE.items()}


def by(rows: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows}


# -- the committed files ------------------------------------------------------------------------

def test_committed_examples_equal_build_script():
    made = load_builder().build_all()
    assert {p.name for p in EXAMPLES.glob("*.xlsx")} == set(made), (
        "examples/ holds other workbooks than build_examples.py makes")
    for name, data in made.items():
        committed = (EXAMPLES / name).read_bytes()
        with zipfile.ZipFile(io.BytesIO(committed)) as a, zipfile.ZipFile(io.BytesIO(data)) as b:
            assert a.namelist() == b.namelist(), name
            for part in a.namelist():
                assert a.read(part) == b.read(part), (
                    f"{name}: {part} differs: run python examples/build_examples.py")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.xlsx")))
def test_examples_have_no_errors_or_warnings(name):
    report = api.check(EXAMPLES / name)
    assert not report.errors, report.errors
    assert not report.warnings, report.warnings


def test_every_quantity_is_a_chain_over_sourced_assumptions():
    model = reader.read_workbook(EXAMPLES / "blended-care.xlsx")
    assert all(a.source.startswith("Blended Care SROI (2016), §") for a in model.assumptions)
    for o in model.outcomes:
        if o.monetised:
            assert o.quantity.is_formula and o.proxy.is_formula, o.name
            assert o.deadweight.is_formula and o.attribution.is_formula, o.name
    chain = next(o for o in model.outcomes if o.name.startswith("Minder schade"))
    assert chain.quantity.text == "=Trajecten*Extra_bereik*Financiele_vraag*Succes_schuldhulp"


# -- Blended Care SROI (seed 000) ----------------------------------------------------------------

BLENDED_CARE_GROSS = {  # per year, before the impact claim, as published
    "Minder schade: betalingsregelingen en schuldhulpverlening": (3120.00, CENT),
    "Hogere arbeidsparticipatie en financiële zelfredzaamheid": (59146.21, CENT),
    "Minder reiskosten": (766.25, CENT),
    "Minder reistijd": (37500.00, CENT),
    "Hogere productiviteit bij no-show": (21375.00, CENT),
    "Efficiënter verloop traject: snellere intake": (5200.00, CENT),
    # 6,408 x 13.06 = 83,688.48, printed as 83,689: within a euro, not within half of one
    "Minder psychosociale huisartsconsulten": (83689, 1.0),
    "Minder GGZ-trajecten": (6000.00, CENT),
    "Hogere arbeidsproductiviteit (minder verzuim)": (79193, ROUNDING),  # 79,193.40
}
ANNUITY = sum(1.0225 ** -t for t in range(1, 6))  # 4.679453: five years at 2.25%


def test_blended_care_line_items_and_impact_claims(filled):
    book = filled("blended-care.xlsx")
    trail = table(book, "trail")
    assert {r["outcome"]: r["gross"] for r in trail} == {
        k: pytest.approx(v, abs=tol) for k, (v, tol) in BLENDED_CARE_GROSS.items()}
    for outcome in BLENDED_CARE_GROSS:
        # the same every year of the five, each counting one year: one trail row
        (row,) = [r for r in trail if r["outcome"] == outcome]
        assert (row["occurs_from"], row["occurs_to"], row["duration"]) == (1, 5, 1)
        impact = row["gross"] * row["claim"]
        assert [row[f"in_year_{t}"] for t in range(1, 6)] == pytest.approx([impact] * 5)
    claims = {r["stakeholder"]: r["claim"] for r in table(book, "outcomes")}
    assert claims == pytest.approx({"Cliënten": 0.20, "Welzijnsorganisatie": 0.25,
                                    "GGZ-instelling": 0.08, "Zorgverzekeraars": 0.12,
                                    "Werkgevers": 0.12})
    # value claimed per year (sroi-method.md): 48,045.38
    assert sum(r["in_year_1"] for r in trail) == pytest.approx(48045.38, abs=CENT)


def test_blended_care_inputs_and_stakeholders(filled):
    book = filled("blended-care.xlsx")
    years = by(table(book, "years"), "year")
    # at the start: implementation 658 h x 75 = 49,350 plus municipality 26 x 4 x 75 = 7,800
    assert years[0]["inputs"] == pytest.approx(49350 + 7800)
    assert [years[t]["inputs"] for t in range(1, 6)] == [9600] * 5  # ICT every year
    people = by(table(book, "stakeholders"), "stakeholder")
    assert list(people) == ["Cliënten", "Welzijnsorganisatie", "GGZ-instelling", "Gemeente",
                            "Huisartsen", "Onderwijsinstellingen", "Zorgverzekeraars",
                            "Werkgevers", "Woningcorporaties"]
    assert people["Gemeente"]["inputs"] == pytest.approx(7800)
    implementation = years[0]["inputs"] - people["Gemeente"]["inputs"]
    assert implementation == pytest.approx(49350)
    # the welfare organisation: 49,350 now plus 9,600 a year discounted at 2.25%
    assert people["Welzijnsorganisatie"]["inputs"] == pytest.approx(49350 + 9600 * ANNUITY,
                                                                    abs=CENT)
    for nothing_in in ("Cliënten", "GGZ-instelling", "Huisartsen", "Onderwijsinstellingen",
                       "Zorgverzekeraars", "Werkgevers", "Woningcorporaties"):
        assert people[nothing_in]["inputs"] == 0
    for only_qualitative in ("Gemeente", "Huisartsen", "Onderwijsinstellingen",
                             "Woningcorporaties"):
        assert people[only_qualitative]["value"] == 0
    results = book.get_sheet_by_name("Resultaten").to_python()
    listed = {r[0] for r in results}
    assert {"Huisartsen", "Onderwijsinstellingen", "Woningcorporaties", "Gemeente"} <= listed


def test_blended_care_ratio_under_the_stated_convention(filled):
    book = filled("blended-care.xlsx")
    h = headline(book)
    # discounted at 2.25% (outcomes and inputs of years 1-5; year 0 not):
    # PV outcomes 48,045.381 x 4.679453 = 224,826.08; PV inputs 57,150 + 9,600 x 4.679453
    # = 102,072.74; ratio 2.2026 -> the published "2,2"
    assert h["pv_value"] == pytest.approx(48045.381 * ANNUITY, abs=0.01)
    assert h["pv_inputs"] == pytest.approx(57150 + 9600 * ANNUITY, abs=CENT)
    assert round(h["ratio"], 2) == 2.20
    # undiscounted: 5 x 48,045.38 = 240,226.90 over 105,150 = 2.2846
    assert h["value_nominal"] == pytest.approx(240226.90, abs=0.01)
    assert h["inputs_nominal"] == pytest.approx(105150)
    assert round(h["value_nominal"] / h["inputs_nominal"], 2) == 2.28
    rows = book.get_sheet_by_name("Resultaten").to_python()
    note = " ".join(str(c) for r in rows[:6] for c in r)
    assert "2,2'" in note and "2,20" in note and "2,28" in note and "2,25%" in note


# -- De Bilt prevention business case (seed 004) -------------------------------------------------
# (file, scenario): the municipality's gross savings, investment, net, net per euro; the net
# per euro is the municipality's own: (savings - investment) / investment.
DE_BILT = [
    ("debilt-ouders-lokaal.xlsx", None, 98072, 27126, 70946, 2.62),  # table 4
    ("debilt-ouders-lokaal.xlsx", "huidige situatie", 98072, 31876, 66196, None),  # tables 1-3
    ("debilt-maatjesproject.xlsx", "minimum", 41490, 21317, 20173, 0.95),  # table 6
    ("debilt-maatjesproject.xlsx", "maximum", 82980, 42634, 40346, 0.95),
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "minimum", 82062, 56000, 26062, 0.47),  # t. 9
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "maximum", 145404, 56000, 89404, 1.60),
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "huidig minimum", 41031, 56000, -14969, None),
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "huidig maximum", 72702, 56000, 16702, None),
    ("debilt-samen-oplopen.xlsx", "minimum", 27235, 56000, -28765, -0.51),  # tables 10-11
    ("debilt-samen-oplopen.xlsx", "maximum", 130146, 56000, 74146, 1.32),
]


@pytest.mark.parametrize("name, scenario, gross, investment, net, per_euro", DE_BILT,
                         ids=[f"{n[7:-5]}-{s or 'base'}" for n, s, *_ in DE_BILT])
def test_de_bilt_municipality(filled, name, scenario, gross, investment, net, per_euro):
    book = filled(name, scenario)
    council = by(table(book, "stakeholders"), "stakeholder")["Gemeente De Bilt"]
    assert council["value"] == pytest.approx(gross, abs=ROUNDING)
    assert council["inputs"] == pytest.approx(investment, abs=CENT)
    assert council["net"] == pytest.approx(net, abs=ROUNDING)
    if per_euro is not None:
        assert round(council["net_ratio"], 2) == per_euro
    assert council["net_ratio"] == pytest.approx(council["net"] / investment)


DE_BILT_ITEMS = [  # gross savings per line of the report's tables (whole euros)
    ("debilt-ouders-lokaal.xlsx", None, {  # table 2 / 4
        "Minder beroep op de huisarts": 12800,  # 40 x 4 x 80, health insurer
        "Minder beroep op het CJG": 57200,  # 80 x 13 x 55
        "Minder jeugdhulp (individuele begeleiding)": 40872}),  # 40 x 13 x 78.60 (printed 40,782)
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "minimum", {  # table 9
        "Minder dagbesteding (Wmo)": 63342, "Minder individuele begeleiding (Wmo)": 18720}),
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "maximum", {
        "Minder dagbesteding (Wmo)": 126684, "Minder individuele begeleiding (Wmo)": 18720}),
    ("debilt-sterk-door-vrijwilligerswerk.xlsx", "huidig minimum", {  # table 7
        "Minder dagbesteding (Wmo)": 31671, "Minder individuele begeleiding (Wmo)": 9360}),
    ("debilt-samen-oplopen.xlsx", "minimum", {  # table 10
        "Minder beroep op huisarts/POH": 6000, "Minder beroep op het CJG": 17875,
        "Minder beroep op het Sociaal Team": 9360, "Multi-probleemsituatie voorkomen": 0}),
    ("debilt-samen-oplopen.xlsx", "maximum", {  # 24 families under a "25 gezinnen" label
        "Minder beroep op huisarts/POH": 5760, "Minder beroep op het CJG": 17160,
        "Minder beroep op het Sociaal Team": 8986, "Multi-probleemsituatie voorkomen": 104000}),
]


@pytest.mark.parametrize("name, scenario, items", DE_BILT_ITEMS,
                         ids=[f"{n[7:-5]}-{s or 'base'}" for n, s, _ in DE_BILT_ITEMS])
def test_de_bilt_line_items(filled, name, scenario, items):
    outcomes = {r["outcome"]: r["gross"] for r in table(filled(name, scenario), "outcomes")}
    assert outcomes == {k: pytest.approx(v, abs=ROUNDING) for k, v in items.items()}


def test_de_bilt_health_insurer_is_separate(filled):
    # GP costs fall under the Zvw: the insurer gains, the municipality's figures exclude it.
    ouders = by(table(filled("debilt-ouders-lokaal.xlsx"), "stakeholders"), "stakeholder")
    assert ouders["Zorgverzekeraars"]["value"] == pytest.approx(12800)
    assert ouders["Zorgverzekeraars"]["inputs"] == 0
    assert headline(filled("debilt-ouders-lokaal.xlsx"))["pv_value"] == pytest.approx(
        110872)  # table 2's total: 12,800 + 57,200 + 40,872
    samen = headline(filled("debilt-samen-oplopen.xlsx", "maximum"))
    assert samen["pv_value"] == pytest.approx(135906, abs=ROUNDING)  # table 10's total
    # Maatjesproject per match (table 5): 320 + 936 + 1,830 = 3,086; municipality 2,766
    proxies = {r["stakeholder"] + r["outcome"]: r["proxy"]
               for r in table(filled("debilt-maatjesproject.xlsx", "minimum"), "outcomes")}
    assert sorted(proxies.values()) == [320, 936, 1830]
    assert sum(proxies.values()) == 3086
    assert sum(v for k, v in proxies.items() if k.startswith("Gemeente")) == 2766


def test_de_bilt_scenarios_live_in_one_workbook():
    for name, wanted in (("debilt-maatjesproject.xlsx", {"minimum", "maximum"}),
                         ("debilt-sterk-door-vrijwilligerswerk.xlsx",
                          {"minimum", "maximum", "huidig minimum", "huidig maximum"}),
                         ("debilt-samen-oplopen.xlsx", {"minimum", "maximum"})):
        model = reader.read_workbook(EXAMPLES / name)
        assert {s.name for s in model.scenarios} == wanted
        assert len({s.name for s in model.stakeholders}) == len(model.stakeholders)


def test_de_bilt_notes_explain_the_reports_arithmetic(filled):
    def note(name: str) -> str:
        rows = filled(name).get_sheet_by_name("Resultaten").to_python()
        return " ".join(str(c) for r in rows[:6] for c in r)

    assert "24" in note("debilt-samen-oplopen.xlsx") and "'25 gezinnen'" in note(
        "debilt-samen-oplopen.xlsx")
    assert "40.782" in note("debilt-ouders-lokaal.xlsx")
    assert "1.829,88" in note("debilt-maatjesproject.xlsx")
    assert "84.000" in note("debilt-sterk-door-vrijwilligerswerk.xlsx")


# -- the small English example, by hand ----------------------------------------------------------
D1, D2, D3 = 1 / 1.035, 1 / 1.035**2, 1 / 1.035**3  # 3.5% (UK Green Book)


def test_english_example_by_hand(filled):
    book = filled("youth-mentoring.xlsx")
    # Into work: 40 x 25% = 10 young people x 6,000 = 60,000 gross, claim 0.7 x 0.8 = 0.56:
    #   33,600 in year 1, x 0.6 = 20,160 in year 2, x 0.36 = 12,096 in year 3 (40% drop-off)
    # Exclusions: 3 x 4,000 x 0.9 = 10,800 each year; wellbeing: 20 x 300 x 0.5 = 3,000 a year
    years = by(table(book, "years", "en"), "year")
    assert [years[t]["value"] for t in (1, 2, 3)] == pytest.approx(
        [33600 + 10800 + 3000, 20160 + 10800 + 3000, 12096 + 10800 + 3000])
    # inputs: grant 30,000 at the start; volunteers 20 x 40 h x 12 = 9,600 every year
    assert [years[t]["inputs"] for t in (0, 1, 2, 3)] == [30000, 9600, 9600, 9600]
    pv_value = 47400 * D1 + 33960 * D2 + 25896 * D3  # 100,855.83
    pv_inputs = 30000 + 9600 * (D1 + D2 + D3)  # 56,895.72
    h = headline(book, "en")
    assert h["pv_value"] == pytest.approx(pv_value, abs=CENT)
    assert h["pv_inputs"] == pytest.approx(pv_inputs, abs=CENT)
    assert h["ratio"] == pytest.approx(pv_value / pv_inputs)  # 1.7726
    assert h["net_ratio"] == pytest.approx((pv_value - pv_inputs) / pv_inputs)  # 0.7726
    # payback: 30,000 + 9,600 x D1 owed at the start of year 1, 47,400 x D1 earned in it
    assert h["payback"] == pytest.approx((30000 + 9600 * D1) / (47400 * D1), abs=0.005)
    people = by(table(book, "stakeholders", "en"), "stakeholder")
    assert people["Young people"]["value"] == pytest.approx(
        33600 * D1 + 20160 * D2 + 12096 * D3, abs=CENT)
    assert people["Council"]["net"] == pytest.approx(10800 * (D1 + D2 + D3) - 30000, abs=CENT)
    # volunteers: 3,000 back for 9,600 put in each year: net per pound (3,000 - 9,600) / 9,600
    assert people["Volunteers"]["net_ratio"] == pytest.approx(-0.6875)
    (into_work,) = [r for r in table(book, "trail", "en") if r["outcome"] == "Into work"]
    # once, in year 1, lasting three years with 40% drop-off: 33,600, x 0.6, x 0.36
    assert [into_work[f"in_year_{t}"] for t in (1, 2, 3)] == pytest.approx(
        [33600, 20160, 12096], abs=CENT)


def test_english_example_low_scenario(filled):
    # Into work 15%: 6 young people -> 20,160, 12,096, 7,257.60; the rest as before (13,800)
    h = headline(filled("youth-mentoring.xlsx", "low"), "en")
    pv_value = (20160 + 13800) * D1 + (12096 + 13800) * D2 + (7257.60 + 13800) * D3
    assert h["pv_value"] == pytest.approx(pv_value, abs=CENT)
    assert h["scenario"] == "low"


def test_libreoffice_test_covers_every_example():
    from . import test_libreoffice

    assert {p.name for p in test_libreoffice.EXAMPLES} == {
        p.name for p in EXAMPLES.glob("*.xlsx")}
