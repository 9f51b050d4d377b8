"""Who pays and who gains by kind of stakeholder: the category column, its totals on the By
stakeholder sheet and in --json, and across workbooks in the portfolio."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import api, engine, portfolio, schema
from sroi_excel.model import Scenario, Stakeholder

from .builders import model as make_model
from .builders import money, n, outcome
from .conftest import edited_template, run
from .results_io import grid, table
from .test_portfolio import DE_BILT, GEMEENTE, analysis

NFD_CLIENT = "Clie\u0308nt"  # e and a combining diaeresis: another Unicode form of Cliënt


# -- the words ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "Zorgverzekeraar", "zorgverzekeraar", "ZORGVERZEKERAARS", "Health insurer",
    "health  INSURER", " Zorgverzekeraar ", "health_insurer"])
def test_a_kind_typed_in_either_language_or_case_is_one_kind(typed):
    assert schema.category_of(typed) == "health_insurer"
    assert schema.category_label(schema.category_of(typed), "nl") == "Zorgverzekeraar"
    assert schema.category_label(schema.category_of(typed), "en") == "Health insurer"


def test_unicode_forms_and_accents_name_the_same_kind():
    assert NFD_CLIENT != "Cliënt"
    for typed in ("Cliënt", NFD_CLIENT, "client", "Deelnemer / cliënt", "Deelnemer / "
                  + NFD_CLIENT, "Participant / client", "deelnemers"):
        assert schema.category_of(typed) == "participant", typed
    assert schema.category_of("Zorgkantoor / Wlz") == schema.category_of("WLZ") == "care_office"
    assert schema.category_of("Rijk / centrale overheid") == "central_government"


def test_free_text_is_a_category_of_its_own_with_case_ignored():
    assert schema.category_of("  Onderwijs ") == "Onderwijs"
    assert schema.category_key("Onderwijs") == schema.category_key("ONDERWIJS")
    assert schema.category_key("Onderwijs") != schema.category_key("Scholen")
    assert schema.category_label("Onderwijs", "en") == "Onderwijs"  # not translated
    # in another Unicode form it is the same text
    assert schema.category_key("Scholen voor " + NFD_CLIENT) == schema.category_key(
        "scholen voor cliënt")
    for none in (None, "", "   ", "(geen categorie)", "(no category)"):
        assert schema.category_of(none) == ""
    assert schema.category_label("", "nl") == "(geen categorie)"


def test_the_list_orders_the_kinds_free_text_before_other_and_none_last():
    order = sorted(["", "other", "Onderwijs", "health_insurer", "municipality"],
                   key=schema.category_rank)
    assert order == ["municipality", "health_insurer", "Onderwijs", "other", ""]


# -- one analysis -------------------------------------------------------------------------

def insurers_model():
    """One year, no discounting. The council pays 100 and saves 250; CZ pays 20 and saves 30;
    Achmea saves 50; Residents (no category) gain 10."""
    m = make_model([outcome("Council", 1, 250), outcome("CZ", 1, 30), outcome("Achmea", 1, 50),
                    outcome("Residents", 1, 10)],
                   [money("Council", 100, year=1), money("CZ", 20, year=1)],
                   stakeholders=())
    return replace(m, stakeholders=(
        Stakeholder("Council", category="gemeente"), Stakeholder("CZ", category="Zorgverzekeraar"),
        Stakeholder("Achmea", category="HEALTH INSURER"), Stakeholder("Residents")))


def test_by_category_summed_by_hand():
    results = engine.compute(insurers_model())
    got = {r.category: r for r in results.tables["categories"].records()}
    assert list(got) == ["municipality", "health_insurer", ""]
    insurers = got["health_insurer"]
    # CZ and Achmea: inputs 20, value 30 + 50 = 80, net 60, ratio 4, net ratio 3
    assert (insurers.stakeholders, insurers.inputs, insurers.value, insurers.net) == (2, 20, 80,
                                                                                     60)
    assert (insurers.ratio, insurers.net_ratio) == (4, 3)
    # shares of all inputs (100 + 20 = 120) and all value (250 + 30 + 50 + 10 = 340)
    assert insurers.share_inputs == pytest.approx(20 / 120)
    assert insurers.share_value == pytest.approx(80 / 340)
    council = got["municipality"]
    assert (council.inputs, council.value, council.net_ratio) == (100, 250, 1.5)
    assert council.share_inputs == pytest.approx(100 / 120)
    residents = got[""]
    assert (residents.stakeholders, residents.inputs, residents.value) == (1, 0, 10)
    assert residents.ratio is None and residents.share_inputs == 0
    assert residents.share_value == pytest.approx(10 / 340)
    people = {r.stakeholder: r.category for r in results.tables["stakeholders"].records()}
    assert people == {"Council": "municipality", "CZ": "health_insurer",
                      "Achmea": "health_insurer", "Residents": ""}


def test_free_text_in_two_cases_is_one_category_spelt_as_first_given():
    m = make_model([outcome("A", 1, 5), outcome("B", 1, 7)], stakeholders=())
    m = replace(m, stakeholders=(Stakeholder("A", category="Scholen"),
                                 Stakeholder("B", category="SCHOLEN")))
    rows = engine.compute(m).tables["categories"].rows
    assert [(r[0], r[1], r[3]) for r in rows] == [("Scholen", 2, 12)]


def test_without_categories_the_tables_are_as_before():
    m = make_model([outcome("A", 1, 5)], [money("A", 2)], stakeholders=("A", "B"))
    results = engine.compute(m)
    assert results.tables["stakeholders"].columns == engine.STAKEHOLDER_COLUMNS
    assert len(results.tables["categories"]) == 0 and results.categories.empty


def test_categories_in_their_order_with_nothing_to_share():
    # free text comes after the kinds of the list, a party not on the sheet has no category;
    # with no inputs and no value there are no shares either
    m = make_model([outcome("School", 0, 100), outcome("Council", 0, 50),
                    outcome("Visitor", 0, 10)], stakeholders=())
    m = replace(m, stakeholders=(Stakeholder("School", category="Scholen"),
                                 Stakeholder("Council", category="gemeente")))
    tables = engine.compute(m).tables
    assert tables["categories"].rows == [
        ("municipality", 1, 0, 0, 0, None, None, 0.0, 0.0),
        ("Scholen", 1, 0, 0, 0, None, None, 0.0, 0.0),
        ("", 1, 0, 0, 0, None, None, 0.0, 0.0)]
    assert [r[:2] for r in tables["stakeholders"].rows] == [
        ("School", "Scholen"), ("Council", "municipality"), ("Visitor", "")]


# -- a workbook ---------------------------------------------------------------------------

# The template's example (a job coach; the council pays and gains) with two health insurers
# added, each saving once in year 1, discounted at the template's 2.25%:
#   CZ      10 x 100 = 1,000 / 1.0225 = 977.99511...
#   Achmea   5 x 200 = 1,000 / 1.0225 = 977.99511...
INSURERS = {
    ("Belanghebbenden", "C2"): NFD_CLIENT,  # the participants, typed in another Unicode form
    ("Belanghebbenden", "C3"): "municipality",  # English word in a Dutch workbook
    ("Belanghebbenden", "A4"): "CZ", ("Belanghebbenden", "C4"): "Zorgverzekeraars",
    ("Belanghebbenden", "A5"): "Achmea", ("Belanghebbenden", "C5"): "HEALTH INSURER",
    ("Opbrengsten", "A4"): "CZ", ("Opbrengsten", "B4"): "Minder zorgkosten",
    ("Opbrengsten", "D4"): 10, ("Opbrengsten", "E4"): 100, ("Opbrengsten", "F4"): "tarief",
    ("Opbrengsten", "A5"): "Achmea", ("Opbrengsten", "B5"): "Minder zorgkosten",
    ("Opbrengsten", "D5"): 5, ("Opbrengsten", "E5"): 200, ("Opbrengsten", "F5"): "tarief",
}
ONE_INSURER = 1000 / 1.0225


@pytest.fixture(scope="module")
def insurers_filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("categories") / "analyse.xlsx"
    path.write_bytes(edited_template("nl", INSURERS))
    report = api.fill(path, draws=0, backup=False)
    return path, report


def test_by_stakeholder_sheet_sums_the_categories(insurers_filled):
    path, _ = insurers_filled
    rows = grid(path, "Per belanghebbende")
    people = table(rows, ["stakeholder", "category", "inputs", "value"], "nl")
    assert [(p["stakeholder"], p["category"]) for p in people] == [
        ("Deelnemers", "Deelnemer / cliënt"), ("Gemeente", "Gemeente"),
        ("CZ", "Zorgverzekeraar"), ("Achmea", "Zorgverzekeraar")]
    kinds = {r["category"]: r for r in table(
        rows, ["category", "stakeholders", "inputs", "value", "net", "share_inputs",
               "share_value"], "nl")}
    assert list(kinds) == ["Gemeente", "Zorgverzekeraar", "Deelnemer / cliënt"]
    insurers = kinds["Zorgverzekeraar"]
    assert insurers["stakeholders"] == 2 and insurers["inputs"] == 0
    assert insurers["value"] == pytest.approx(2 * ONE_INSURER)
    assert insurers["net"] == pytest.approx(2 * ONE_INSURER)
    council = next(p for p in people if p["stakeholder"] == "Gemeente")
    assert kinds["Gemeente"]["value"] == pytest.approx(council["value"])
    assert kinds["Gemeente"]["share_inputs"] == pytest.approx(1)  # the only one who pays
    assert insurers["share_value"] == pytest.approx(
        2 * ONE_INSURER / (council["value"] + 2 * ONE_INSURER))
    assert kinds["Deelnemer / cliënt"]["value"] == 0  # only a qualitative outcome
    total = next(r for r in rows[rows.index(next(r for r in rows if r[0] == "Categorie")):]
                 if r[0] == "Totaal")
    assert total[1] == 4 and total[7] == pytest.approx(1) and total[8] == pytest.approx(1)


def test_by_category_figures_are_live_formulas(insurers_filled):
    path, _ = insurers_filled
    ws = openpyxl.load_workbook(path)["Per belanghebbende"]
    header = next(r for r in range(1, 40) if ws.cell(r, 1).value == "Categorie")
    first = header + 1
    formulas = [ws.cell(first, c).value for c in range(2, 10)]
    assert all(isinstance(f, str) and f.startswith("=") for f in formulas), formulas
    # matched on the stakeholders' category column (B), summing their inputs (C) and value (D)
    assert formulas[1] == f"=SUMPRODUCT(($B$6:$B$9=$A{first})*$C$6:$C$9)"
    assert formulas[2] == f"=SUMPRODUCT(($B$6:$B$9=$A{first})*$D$6:$D$9)"
    assert formulas[6] == f"=IF($C$10=0,0,C{first}/$C$10)"  # share of the total inputs


def test_check_json_gives_the_categories(insurers_filled):
    path, _ = insurers_filled
    result = run("check", path, "--json", "--draws", "0")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)["results"]
    kinds = {c["category"]: c for c in data["categories"]}
    assert list(kinds) == ["municipality", "health_insurer", "participant"]
    insurers = kinds["health_insurer"]
    assert insurers["category_label"] == "Zorgverzekeraar"
    assert insurers["stakeholders"] == 2
    assert insurers["value"] == pytest.approx(2 * ONE_INSURER)
    assert insurers["ratio"] is None  # no inputs
    people = {s["stakeholder"]: s["category"] for s in data["stakeholders"]}
    assert people == {"Deelnemers": "participant", "Gemeente": "municipality",
                      "CZ": "health_insurer", "Achmea": "health_insurer"}


def test_fill_json_gives_the_categories(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(edited_template("nl", INSURERS))
    result = run("fill", path, "--json", "--draws", "0")
    assert result.exit_code == 0, result.output
    kinds = {c["category"]: c["value"] for c in json.loads(result.output)["results"]["categories"]}
    assert kinds["health_insurer"] == pytest.approx(2 * ONE_INSURER)


def test_a_category_much_like_one_of_the_list_is_a_warning(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(edited_template("nl", {("Belanghebbenden", "C3"): "Gemeete",
                                            ("Belanghebbenden", "C2"): "Onderwijs"}))
    report = api.check(path, draws=0)
    said = [str(w) for w in report.warnings if "category" in w.message]
    assert said == ["Belanghebbenden!C3: the category 'Gemeete' is not one of the list, so it "
                    "counts as a category of its own; did you mean 'Gemeente'?"]
    kinds = [r.category for r in report.results.tables["categories"].records()]
    assert kinds == ["Onderwijs", "Gemeete"]  # free text, in the order given


def test_a_workbook_without_categories_fills_as_before(tmp_path):
    cleared = {("Belanghebbenden", "C2"): None, ("Belanghebbenden", "C3"): None}
    path = tmp_path / "a.xlsx"
    path.write_bytes(edited_template("nl", cleared))
    without = tmp_path / "zonder-kolom.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(edited_template("nl")))
    book["Belanghebbenden"].delete_cols(3)  # a workbook made before the column existed
    book.save(without)
    sheets = {}
    for p in (path, without):
        result = run("fill", p, "--json", "--draws", "0")
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)["results"]
        assert data["categories"] == []
        assert all("category" not in s for s in data["stakeholders"])
        sheets[p] = [r for r in grid(p, "Per belanghebbende") if any(v != "" for v in r)]
    assert sheets[path] == sheets[without]
    rows = sheets[path]
    assert rows[3] == ["Belanghebbende", "Inbreng", "Waarde", "Netto", "Ratio", "Netto ratio"]
    assert rows[-1][0] == "Totaal" and len(rows) == 7  # no table by category below


def test_template_offers_the_categories_and_allows_other_text():
    for lang in ("nl", "en"):
        from sroi_excel.template import build_template

        book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
        ws = book[schema.STAKEHOLDERS.name(lang)]
        col = [c.key for c in schema.STAKEHOLDERS.columns].index("category") + 1
        assert ws.cell(1, col).value == schema.STAKEHOLDERS.column("category").header(lang)
        letter = openpyxl.utils.get_column_letter(col)
        found = [dv for dv in ws.data_validations.dataValidation
                 if f"{letter}2" in dv.sqref and f"{letter}200" in dv.sqref]
        assert len(found) == 1
        dv = found[0]
        assert dv.type == "list"
        # a suggestion, not a rule: another text may be kept (Excel's "stop" would refuse it)
        assert dv.errorStyle in ("information", "warning")
        listed = dv.formula1.strip('"').split(",")
        assert listed == [t(lang) for t in schema.CATEGORIES.values()]
        assert "Zorgverzekeraar" in listed if lang == "nl" else "Health insurer" in listed
        assert ws.cell(3, col).value == schema.CATEGORIES["municipality"](lang)  # the example


# -- across workbooks ---------------------------------------------------------------------

def insurer(name: str, category: str, council_in: float, council_gain: str, insurer_gain: float,
            scenarios=()):
    """analysis() of test_portfolio with the 'Others' renamed to a health insurer."""
    m = analysis(name, council_in, council_gain, insurer_gain, scenarios)
    renamed = tuple(replace(o, stakeholder=category[0]) if o.stakeholder == "Others" else o
                    for o in m.outcomes)
    return replace(m, outcomes=renamed, stakeholders=(
        Stakeholder("Council", category="Gemeente"), Stakeholder(category[0],
                                                                 category=category[1])))


def test_portfolio_sums_insurers_named_differently_by_hand():
    # A: council pays 100, saves 250 (max 400); CZ gains 50.
    # B: council pays 200, saves 150 (no scenarios); Achmea gains 30; Residents (no
    #    category) gain 20.
    a = insurer("A", ("CZ", "Zorgverzekeraar"), 100, "=250", 50,
                [Scenario("max", (("Gain", n(400)),))])
    b = insurer("B", ("Achmea", "health insurers"), 200, "=150", 30)
    b = replace(b, stakeholders=(*b.stakeholders, Stakeholder("Residents")),
                outcomes=(*b.outcomes, outcome("Residents", 1, 20)))
    p = portfolio.build([("a.xlsx", a), ("b.xlsx", b)], lang="en")
    health = p.category("Health insurer", None)
    assert health["label"] == "Health insurer"
    assert (health["analyses"], health["stakeholders"]) == (2, 2)
    assert (health["inputs"], health["value"], health["net"]) == (0, 80, 80)  # 50 + 30
    # base: outcomes 250 + 50 + 150 + 30 + 20 = 500
    assert health["share_value"] == pytest.approx(80 / 500)
    council = p.category("municipality", "max")
    # max: A at 400, B at its base values 150; inputs 300
    assert (council["inputs"], council["value"], council["net"]) == (300, 550, 250)
    assert council["share_inputs"] == 1 and council["net_ratio"] == pytest.approx(250 / 300)
    assert council["share_value"] == pytest.approx(550 / (400 + 50 + 150 + 30 + 20))
    none = p.category("", None)
    assert (none["label"], none["stakeholders"], none["value"]) == ("(no category)", 1, 20)
    # the categories add up to the scenario's totals
    for s in (None, "max"):
        rows = p.categories[p.categories["scenario"] == p.total(s)["scenario"]]
        assert rows["net"].sum() == pytest.approx(p.total(s)["npv"])
    assert p.uncategorised == (("Residents", "B", "b.xlsx"),)
    assert p.stakeholder_count == 5  # Council, CZ; Council, Achmea, Residents
    assert portfolio.uncategorised_note(p, "en") == (
        "Without a category: 1 of the 5 stakeholders with inputs or outcomes, counted as "
        "'(no category)': Residents (B).")


def test_portfolio_without_categories_is_as_before(tmp_path):
    p = portfolio.build([("a.xlsx", analysis("A", 100, "=250", 50)),
                         ("b.xlsx", analysis("B", 200, "=150", 0))], lang="en")
    assert p.categories.empty
    out = tmp_path / "o.xlsx"
    out.write_bytes(portfolio.render_overview(p))
    assert CalamineWorkbook.from_path(str(out)).sheet_names == ["Overview", "By stakeholder"]
    from sroi_excel.cli import _portfolio_lines

    assert not [line for line in _portfolio_lines(p) if "categor" in line]


@pytest.fixture(scope="module")
def two_insurer_workbooks(tmp_path_factory):
    """Two template workbooks, each with a health insurer named and categorised its own way."""
    folder = tmp_path_factory.mktemp("two")
    a, b = folder / "a.xlsx", folder / "b.xlsx"
    a.write_bytes(edited_template("nl", {
        ("Belanghebbenden", "A4"): "CZ", ("Belanghebbenden", "C4"): "Zorgverzekeraar",
        ("Opbrengsten", "A4"): "CZ", ("Opbrengsten", "B4"): "Minder zorgkosten",
        ("Opbrengsten", "D4"): 10, ("Opbrengsten", "E4"): 100, ("Opbrengsten", "F4"): "t"}))
    b.write_bytes(edited_template("en", {
        ("Stakeholders", "A4"): "Achmea", ("Stakeholders", "C4"): "health INSURER",
        ("Outcomes", "A4"): "Achmea", ("Outcomes", "B4"): "Lower costs",
        ("Outcomes", "D4"): 5, ("Outcomes", "E4"): 200, ("Outcomes", "F4"): "t"}))
    return a, b


def test_portfolio_cli_json_by_category(two_insurer_workbooks, tmp_path):
    result = run("portfolio", *two_insurer_workbooks, "--json", "-o", tmp_path / "o.xlsx")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    kinds = {(c["category"], c["scenario"]): c for c in data["categories"]}
    insurers = kinds[("health_insurer", "basiswaarden")]
    assert insurers["category_label"] == "Zorgverzekeraar"  # the first workbook's language
    assert (insurers["analyses"], insurers["stakeholders"]) == (2, 2)
    # both once in year 1 at 2.25%: (1,000 + 1,000) / 1.0225
    assert insurers["value"] == pytest.approx(2 * ONE_INSURER)
    council = kinds[("municipality", "basiswaarden")]
    assert council["analyses"] == 2  # 'Gemeente' and 'Council', both municipalities
    assert data["uncategorised"] == {"count": 0, "of": 4, "stakeholders": []}
    book = CalamineWorkbook.from_path(str(tmp_path / "o.xlsx"))
    assert book.sheet_names[-1] == "Per categorie"
    rows = book.get_sheet_by_name("Per categorie").to_python()
    pivot = next(i for i, r in enumerate(rows) if r[0] == "Netto per categorie")
    assert rows[pivot + 1][:2] == ["Categorie", "basiswaarden"]
    net = {r[0]: r[1] for r in rows[pivot + 2:pivot + 6]}
    assert net["Zorgverzekeraar"] == pytest.approx(2 * ONE_INSURER)
    with zipfile.ZipFile(tmp_path / "o.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        last = max(charts, key=lambda n: int(n.removeprefix("xl/charts/chart")[:-4]))
        assert "Per categorie" in z.read(last).decode()


def test_portfolio_cli_text_says_the_categories_and_who_has_none(two_insurer_workbooks,
                                                                 tmp_path):
    a, b = two_insurer_workbooks
    c = tmp_path / "c.xlsx"
    c.write_bytes(edited_template("nl", {("Belanghebbenden", "C3"): None}))
    result = run("portfolio", a, b, c)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    insurers = [line for line in lines if line.startswith("category Zorgverzekeraar")]
    # 1,955.99 of about 963,500: 0.2% of the outcomes; base values, minimum, maximum
    assert len(insurers) == 3
    assert insurers[0] == (
        "category Zorgverzekeraar [basiswaarden] (2 stakeholder(s) in 2 analyses): inputs "
        "0.00 (0%) · outcomes 1,955.99 (0%) · net 1,955.99 · no inputs, so no ratio")
    # the participants have only a qualitative outcome, so 2 + 2 + 1 stakeholders count
    assert lines[-1] == ("Without a category: 1 of the 5 stakeholders with inputs or "
                         "outcomes, counted as '(no category)': Gemeente (Voorbeeld: "
                         "buurtcoach naar werk).")


def test_de_bilt_portfolio_by_category():
    p = api.portfolio(DE_BILT, scenarios=["minimum", "maximum"]).portfolio
    council = p.category("Gemeente", "minimum")
    # the report's closing table: the municipality over the four projects
    assert (council["inputs"], council["value"]) == (pytest.approx(160443),
                                                     pytest.approx(248859))
    assert council["net"] == pytest.approx(88416) and council["analyses"] == 4
    assert p.category("municipality", "maximum")["net"] == pytest.approx(274841.6)
    # GP savings go to the insurers: 12,800 + 15 x 320 + 25 x 3 x 80 (minimum);
    # 12,800 + 30 x 320 + 24 x 3 x 80 (maximum)
    assert p.category("Zorgverzekeraar", "minimum")["value"] == pytest.approx(23600)
    assert p.category("health insurer", "maximum")["value"] == pytest.approx(28160)
    assert p.category("health insurer", "maximum")["share_value"] == pytest.approx(
        28160 / (456601.6 + 28160))
    assert p.uncategorised == ()
    assert p.category("Gemeente", None)["label"] == "Gemeente"
    assert p.stakeholder(GEMEENTE, "minimum")["net"] == pytest.approx(council["net"])
