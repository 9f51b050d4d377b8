"""Reference prices and price indexation, against figures computed by hand.

The unit tests index with the two points of the e-health SROI, 99.4 (2014) and 109 (2021), so
the 2014 -> 2021 factor is 109 / 99.4 = 1.096579... The template ships the CBS CPI, with 99.40
for 2014 and 134.56 for its price year 2025: factor 134.56 / 99.40 = 1.353722... Every expected
figure is worked out in the comment beside it.
"""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest
from click.testing import CliRunner

from sroi_excel import api, prices, reader, schema
from sroi_excel.cli import main
from sroi_excel.engine import compute
from sroi_excel.exceptions import PriceIndexError, WorkbookError
from sroi_excel.formula import Number
from sroi_excel.model import (
    Amount,
    Cell,
    Model,
    Outcome,
    PriceIndexPoint,
    ReferencePrice,
    Settings,
    Stakeholder,
)
from sroi_excel.template import build_template

from .conftest import edited_template

CPI = (PriceIndexPoint(2014, 99.4, "CPI"), PriceIndexPoint(2021, 109.0, "CPI"))


def ref(code="TIJD", price=14.1, base_year=2014, **more) -> ReferencePrice:
    return ReferencePrice(code.lower(), price, code, base_year=base_year, **more)


# -- the indexation itself --------------------------------------------------------------------

def test_index_2014_to_2021_by_hand():
    # 14.1 x 109 / 99.4 = 1,536.9 / 99.4 = 15.461770...; the published table rounds to 15.4
    done = prices.index_reference(ref(), CPI, 2021)
    assert done.value == pytest.approx(15.4617706237, abs=1e-9)
    assert (done.index_base, done.index_price) == (99.4, 109.0)
    assert done.factor == pytest.approx(1.0965794769, abs=1e-9)  # 109 / 99.4
    assert done.note("en") == "indexed from 2014 to 2021 with CPI (x 1.0966)"
    assert done.note("nl") == "geïndexeerd van 2014 naar 2021 met CPI (x 1,0966)"


def test_qaly_indexes_exactly_not_as_published():
    # 36,000 x 109 / 99.4 = 3,924,000 / 99.4 = 39,476.86; the published table says 39,080
    done = prices.index_reference(ref("QALY", 36_000), CPI, 2021)
    assert done.value == pytest.approx(39_476.8612, abs=1e-4)
    assert not done.published_used


def test_published_value_overrides_and_says_so():
    qaly = ref("QALY", 36_000, published=39_080, published_year=2021,
               published_source="SROI e-health 2022")
    done = prices.index_reference(qaly, CPI, 2021)
    assert done.value == 39_080 and done.published_used
    assert done.indexed == pytest.approx(39_476.8612, abs=1e-4)  # still shown for comparison
    assert done.note("en") == ("published value 39,080 for 2021 (source: SROI e-health 2022) "
                               "used instead of the indexed 39,476.86")
    assert done.note("nl") == ("gepubliceerde waarde 39.080 voor 2021 (bron: SROI e-health "
                               "2022) gebruikt in plaats van geïndexeerd 39.476,86")


def test_published_value_for_another_year_is_not_used():
    # price year 2025 with a test index of 124.25: 36,000 x 124.25 / 99.4 = 45,000 exactly
    qaly = ref("QALY", 36_000, published=39_080, published_year=2021)
    points = (*CPI, PriceIndexPoint(2025, 124.25, "CPI"))
    done = prices.index_reference(qaly, points, 2025)
    assert done.value == pytest.approx(45_000, abs=1e-9)
    assert done.published_ignored and not done.published_used
    assert done.note("en").endswith("; the published value for 2021 is not used (price year "
                                    "2025)")


def test_deflating_runs_the_other_way():
    # 109 (in 2021 prices) x 99.4 / 109 = 99.4 in 2014 prices
    assert prices.index_reference(ref(price=109, base_year=2021), CPI, 2014).value == (
        pytest.approx(99.4, abs=1e-12))


def test_same_year_or_no_base_year_needs_no_index():
    wmo = ref("WMO", 46.80, base_year=2025)
    done = prices.index_reference(wmo, (), 2025)  # no index at all: none is needed
    assert done.value == 46.80 and done.note("en") == "already in 2025 prices: not indexed"
    hours = ref("FTE", 1_600, base_year=None)
    assert prices.index_reference(hours, CPI, 2021).value == 1_600


@pytest.mark.parametrize("price_year,points,fragment", [
    (2025, CPI, "the price index 'CPI' has no value for 2025; add it on the price index sheet"),
    (2025, CPI[1:], "has no value for 2014 and 2025; add them on"),
    (None, CPI, "is in 2014 prices, but the price year on the settings sheet is blank"),
])
def test_missing_years_are_named(price_year, points, fragment):
    with pytest.raises(PriceIndexError) as caught:
        prices.index_reference(ref(), points, price_year, "the price index sheet")
    assert fragment in str(caught.value)


def test_several_index_series_by_name():
    # a wage index for the same years: 50 x 130 / 100 = 65
    points = (*CPI, PriceIndexPoint(2014, 100, "CAO"), PriceIndexPoint(2021, 130, "CAO"))
    assert prices.index_reference(ref(price=50, index="cao"), points, 2021).value == 65
    # blank = the series on the first row: 50 x 109 / 99.4 = 54.8290
    assert prices.index_reference(ref(price=50), points, 2021).value == pytest.approx(
        54.82897, abs=1e-5)
    with pytest.raises(PriceIndexError, match="the price index 'PPI' is not on"):
        prices.index_reference(ref(index="PPI"), points, 2021)


def test_engine_names_the_cell_when_the_index_year_is_missing():
    tijd = ref()
    proxy = Amount(Number(15.46), "TIJD", Cell("Opbrengsten", "E7"), price=tijd)
    model = Model(Settings(years=1, price_year=2022), (Stakeholder("A"),),
                  outcomes=(Outcome("A", "o", Amount.of(1), proxy),),
                  reference_prices=(tijd,), price_index=CPI)
    with pytest.raises(WorkbookError) as caught:
        compute(model)
    assert str(caught.value).startswith("Opbrengsten!E7: the reference price 'TIJD' is in 2014 "
                                        "prices and cannot be indexed to 2022")
    assert "no value for 2022" in str(caught.value)


# -- the library --------------------------------------------------------------------------------

def test_library_rows_are_unique():
    # a code or item (either language) names one row, so a cell typing it finds one price
    owner: dict[str, set[str]] = {}
    for p in prices.LIBRARY:
        for key in (p.code, *p.item.all()):
            owner.setdefault(schema.normalise(key), set()).add(p.code)
    assert all(len(codes) == 1 for codes in owner.values())
    assert len(prices.LIBRARY) == 28


def series(lang: str, name: str = "CPI") -> dict[int, float]:
    return {year: value for year, value, index, _ in prices.INDEX[lang] if index == name}


def test_shipped_indexes_cover_every_year_with_the_published_figures():
    # CBS StatLine 83131NED, annual CPI 2015 = 100: every year from 2000 to 2025
    cbs = series("nl")
    assert list(cbs) == list(range(2000, 2026)) and prices.LATEST_YEAR == 2025
    assert (cbs[2000], cbs[2014], cbs[2015], cbs[2021], cbs[2022], cbs[2025]) == (
        75.06, 99.40, 100.00, 110.39, 121.43, 134.56)
    # the e-health SROI's own two points, a series of their own (109 is not CBS's 110.39)
    assert series("nl", prices.EHEALTH_INDEX) == {2014: 99.4, 2021: 109.0}
    # ONS D7BT, annual CPI 2015 = 100, as far as it could be sourced
    ons = series("en")
    assert list(ons) == list(range(2000, 2024))
    assert (ons[2000], ons[2015], ons[2021], ons[2023]) == (72.7, 100.0, 111.6, 130.5)
    assert {name for _, _, name, _ in prices.INDEX["en"]} == {"CPI"}


def test_every_price_and_index_point_has_a_source():
    for p in prices.LIBRARY:
        assert p.source.nl.strip() and p.source.en.strip(), p.code
    for lang, rows in prices.INDEX.items():
        for year, _, name, source in rows:
            assert source.nl.strip() and source.en.strip(), (lang, year)
            if name == "CPI":  # a statistics office's table: its id, its address and a date
                table = "83131NED" if lang == "nl" else "D7BT"
                url = prices.CBS_URL if lang == "nl" else prices.ONS_URL
                for text in source.all():
                    assert table in text and url in text
                    assert re.search(r"20\d\d", text.split(url)[1]), text  # when it was read
    # and so in the templates, row by row
    for lang in ("nl", "en"):
        book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
        for sheet in (schema.REFERENCE_PRICES, schema.PRICE_INDEX):
            ws = book[sheet.name(lang)]
            source = [c.key for c in sheet.columns].index("source")
            for row in ws.iter_rows(min_row=2, max_col=len(sheet.columns), values_only=True):
                if any(v is not None for v in row):
                    assert isinstance(row[source], str) and row[source].strip(), (lang, row)


def test_search_matches_word_starts_in_either_language():
    assert [p.code for p in prices.search("ha")] == ["HA-CONSULT", "HA-VISITE", "HA-TELEFOON"]
    assert [p.code for p in prices.search("GP visit")] == ["HA-VISITE"]
    assert len(prices.search("")) == 28


# -- the template ------------------------------------------------------------------------------

def index_rows(book, lang) -> list[tuple]:
    ws = book[schema.PRICE_INDEX.name(lang)]
    return [r[:3] for r in ws.iter_rows(min_row=2, max_col=3, values_only=True) if r[0]]


def test_dutch_template_ships_library_cbs_index_and_an_own_tariff():
    book = openpyxl.load_workbook(io.BytesIO(build_template("nl")))
    ws = book["Referentieprijzen"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header("nl") for c in schema.REFERENCE_PRICES.columns]
    assert all(c.comment is not None for c in ws[1])
    rows = list(ws.iter_rows(min_row=2, max_row=ws.max_row, values_only=True))
    assert rows[0][:5] == ("TIJD", "Tijd cliënten, patiënten en mantelzorgers", "uur", 14.1, 2014)
    wmo = rows[len(prices.LIBRARY)]
    assert wmo[0] == "WMO-BEGELEIDING" and wmo[3] == 46.80 and wmo[4] == 2025
    index = index_rows(book, "nl")
    assert index[0] == (2000, 75.06, "CPI") and index[25] == (2025, 134.56, "CPI")
    assert index[26:] == [(2014, 99.4, prices.EHEALTH_INDEX), (2021, 109, prices.EHEALTH_INDEX)]
    # beside the table, which series is which
    notes = " ".join(str(c.value) for c in book["Prijsindex"]["F"] if c.value)
    assert "83131NED" in notes and prices.EHEALTH_INDEX in notes and "110,39" in notes


def test_english_template_ships_the_uk_cpi_and_no_dutch_tariffs():
    book = openpyxl.load_workbook(io.BytesIO(build_template("en")))
    ws = book["Reference prices"]
    assert [c.value for c in ws[1]] == [c.header("en") for c in schema.REFERENCE_PRICES.columns]
    assert all(v is None for row in ws.iter_rows(min_row=2, values_only=True) for v in row)
    index = index_rows(book, "en")
    assert index[0] == (2000, 72.7, "CPI") and index[-1] == (2023, 130.5, "CPI")
    assert len(index) == 24
    sources = {r[3] for r in book["Price index"].iter_rows(min_row=2, max_col=4,
                                                           values_only=True) if r[0]}
    assert len(sources) == 1 and "D7BT" in sources.pop()


# -- end to end: a workbook edited as a user would ---------------------------------------------

def col(sheet: schema.Sheet, key: str) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[[c.key for c in sheet.columns].index(key)]


def setting_cell(key: str) -> str:
    return f"B{[c.key for c in schema.SETTINGS.columns].index(key) + 2}"


def price_row(code: str) -> int:
    return [p.code for p in prices.LIBRARY].index(code) + 2


def simple_outcome(lang: str, proxy, more: dict | None = None, price_year: int = 2025) -> dict:
    """Outcome row 2 made simple: 100 units once in year 1, nothing deducted."""
    o, s = schema.OUTCOMES, schema.SETTINGS
    sheet = o.name(lang)
    edits = {(sheet, f"{col(o, k)}2"): v for k, v in (
        ("quantity", 100), ("proxy", proxy), ("deadweight", 0), ("attribution", 0),
        ("displacement", 0), ("dropoff", 0), ("duration", 1), ("first_year", 1),
        ("recurring", schema.NO(lang)))}
    edits[(s.name(lang), setting_cell("price_year"))] = price_year
    edits.update(more or {})
    return edits


@pytest.mark.parametrize("typed", [
    "TIJD", "tijd",
    "tijd clienten, patienten en mantelzorgers",  # the item, accents and case ignored
])
def test_proxy_named_by_reference_price_flows_into_the_outcome(typed):
    data = edited_template("nl", simple_outcome("nl", typed))
    reading = reader.read(data)
    assert reading.errors == []
    results = compute(reading.model)
    # proxy 14.1 x 134.56 / 99.40 = 1,897.296 / 99.40 = 19.087485; value 100 x that =
    # 1,908.748491; present value 1,908.748491 / 1.0225 = 1,866.746690 (discounted at 2.25%)
    first = results.outcomes.iloc[0]
    assert first["proxy"] == pytest.approx(19.0874849, abs=1e-7)
    assert first["value"] == pytest.approx(1_908.748491, abs=1e-6)
    assert first["present_value"] == pytest.approx(1_866.746690, abs=1e-6)
    trail = results.trail.iloc[0]
    assert (trail["base_price"], trail["base_year"], trail["index_base"],
            trail["index_price_year"]) == (14.1, 2014, 99.4, 134.56)
    assert trail["price_item"].startswith("TIJD: ")
    assert list(results.trail.columns[6:13]) == [
        "quantity", "price_item", "base_price", "base_year", "index_base", "index_price_year",
        "proxy"]


def test_the_e_health_series_reproduces_that_sroi():
    # TIJD with the SROI's own index, price year 2021: 14.1 x 109 / 99.4 = 15.461771, the
    # figure its table rounds to 15.4; with the CBS CPI it is 14.1 x 110.39 / 99.40 = 15.658944
    p = schema.REFERENCE_PRICES
    tijd = f"{col(p, 'index')}{price_row('TIJD')}"
    for index, proxy in ((prices.EHEALTH_INDEX, 15.4617706), (None, 15.6589437)):
        edits = simple_outcome("nl", "TIJD", {("Referentieprijzen", tijd): index}, 2021)
        results = compute(reader.read_workbook(edited_template("nl", edits)))
        assert results.outcomes.iloc[0]["proxy"] == pytest.approx(proxy, abs=1e-7), index


def test_override_in_the_workbook_reaches_the_outcome_and_the_trail():
    p = schema.REFERENCE_PRICES
    row = price_row("QALY")
    edits = simple_outcome("nl", "QALY", {
        ("Referentieprijzen", f"{col(p, 'published')}{row}"): 39_080,
        ("Referentieprijzen", f"{col(p, 'published_year')}{row}"): 2021,
        ("Referentieprijzen", f"{col(p, 'published_source')}{row}"): "SROI e-health 2022",
        ("Referentieprijzen", f"{col(p, 'index')}{row}"): prices.EHEALTH_INDEX,
    }, 2021)
    results = compute(reader.read_workbook(edited_template("nl", edits)))
    # 100 x 39,080 = 3,908,000, not 100 x 39,476.86
    assert results.outcomes.iloc[0]["value"] == pytest.approx(3_908_000, abs=1e-6)
    assert results.trail.iloc[0]["price_note"] == (
        "gepubliceerde waarde 39.080 voor 2021 (bron: SROI e-health 2022) gebruikt in plaats "
        "van geïndexeerd 39.476,86")


def test_hourly_rate_named_by_reference_price():
    i = schema.INPUTS
    edits = simple_outcome("nl", 10, {("Inbreng", f"{col(i, 'rate')}2"): "MANAGER"})
    results = compute(reader.read_workbook(edited_template("nl", edits)))
    # 800 hours x 75 x 134.56 / 99.40 = 800 x 101.529175 = 81,223.340040 in each of 3 years
    amounts = results.inputs["amount"].tolist()
    assert amounts == [pytest.approx(81_223.340040, abs=1e-6)] * 3
    assert results.inputs.iloc[0]["base_price"] == 75


def test_own_tariff_in_the_price_year_is_not_indexed():
    # the template's price year is 2025 and the Wmo tariff is a 2025 price: 46.80 as it is
    o = schema.OUTCOMES
    data = edited_template("nl", {("Opbrengsten", f"{col(o, 'proxy')}2"): "WMO-BEGELEIDING"})
    results = compute(reader.read_workbook(data))
    assert set(results.trail["proxy"]) == {46.80}
    assert set(results.trail["price_note"]) == {"al in prijspeil 2025: niet geïndexeerd"}


def test_filled_trail_shows_base_price_both_indexes_and_result(workbook, tmp_path):
    path = workbook(edits=simple_outcome("nl", "TIJD"))
    api.fill(path, output=tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Rekenspoor"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "Nr.")
    first = dict(zip(header, rows[rows.index(header) + 1], strict=True))
    assert (first["Basisprijs"], first["Basisjaar"], first["Index basisjaar"],
            first["Index prijspeil"]) == (14.1, 2014, 99.4, 134.56)
    assert first["Financiële proxy"] == pytest.approx(19.0874849, abs=1e-7)  # as above
    # 134.56 / 99.40 = 1.35372
    assert first["Toelichting prijs"] == "geïndexeerd van 2014 naar 2025 met CPI (x 1,3537)"


# -- what users get wrong -----------------------------------------------------------------------

def errors(edits: dict, lang: str = "nl") -> list[str]:
    return [str(p) for p in reader.read(edited_template(lang, edits)).errors]


def test_unknown_name_gets_did_you_mean():
    o = schema.OUTCOMES
    assert errors({("Opbrengsten", "E2"): "QALYY"}) == [
        "Opbrengsten!E2: the financial proxy is text ('QALYY'); it must be a number or a "
        "formula, or the code of a reference price on the sheet 'Referentieprijzen'; did you "
        "mean 'QALY'?"]
    assert errors({("Opbrengsten", f"{col(o, 'proxy')}2"): "Huisarts visit"})[0].endswith(
        "did you mean 'Huisarts, visite'?")
    # a number typed as text keeps its own advice
    assert "stored as text, with a decimal comma; type 14.1 instead" in errors(
        {("Opbrengsten", "E2"): "14,10"})[0]


def test_missing_index_year_names_cell_and_year():
    # the shipped CBS CPI ends at 2025
    price_year = ("Instellingen", setting_cell("price_year"))
    assert errors({("Opbrengsten", "E2"): "TIJD", price_year: 2026}) == [
        "Opbrengsten!E2: the reference price 'TIJD' is in 2014 prices and cannot be indexed to "
        "2026: the price index 'CPI' has no value for 2026; add it on the sheet 'Prijsindex'"]
    # the English template's UK CPI ends at 2023, before its price year 2025
    gp = {("Reference prices", "A2"): "GP", ("Reference prices", "B2"): "GP appointment",
          ("Reference prices", "D2"): 42, ("Reference prices", "F2"): "own",
          ("Outcomes", "E2"): "GP"}
    found = errors({**gp, ("Reference prices", "E2"): 1999}, lang="en")
    assert found == ["Outcomes!E2: the reference price 'GP' is in 1999 prices and cannot be "
                     "indexed to 2025: the price index 'CPI' has no value for 1999 and 2025; add "
                     "them on the sheet 'Price index'"]
    # 42 (2015) x 130.5 / 100.0 = 54.81 in 2023 prices
    edits = {**gp, ("Reference prices", "E2"): 2015,
             ("Settings", setting_cell("price_year")): 2023}
    results = compute(reader.read_workbook(edited_template("en", edits)))
    assert list(results.trail["proxy"].unique()) == [pytest.approx(54.81, abs=1e-9)]


def test_blank_price_year_is_an_error_at_the_cell():
    found = errors({("Opbrengsten", "E2"): "TIJD",
                    ("Instellingen", setting_cell("price_year")): None})
    assert found == ["Opbrengsten!E2: the reference price 'TIJD' is in 2014 prices, but the "
                     "price year on the settings sheet is blank; fill it in so that the price "
                     "can be indexed"]


def test_formula_naming_a_price_explains_what_to_do():
    found = errors({("Opbrengsten", "E2"): "=QALY*2"})
    assert found == ["Opbrengsten!E2: =QALY*2: 'QALY' is a reference price, which a formula "
                     "cannot use; type QALY alone in the cell (without '=') and put any "
                     "multiplier in the quantity or the hours"]


def test_price_sheets_are_checked_cell_by_cell():
    p = schema.REFERENCE_PRICES
    second = price_row("HA-CONSULT")
    found = errors({
        ("Referentieprijzen", f"A{second}"): "TIJD",  # a code used twice
        ("Referentieprijzen", f"{col(p, 'published')}3"): 15.4,  # no year with it
        ("Referentieprijzen", f"{col(p, 'index')}4"): "CIP",
        ("Prijsindex", "B3"): 0,  # 2001
        ("Prijsindex", "A30"): 2014, ("Prijsindex", "B30"): 99, ("Prijsindex", "C30"): "CPI",
    })
    assert found == [
        "Prijsindex!B3: the index value for 2001 is 0; an index must be above 0",
        "Prijsindex!A30: 2014 is listed twice for the index 'CPI' (also at A16); give each year "
        "one value",
        "Referentieprijzen!H3: the published value of 'Huisarts, standaardconsult' has no "
        "year; type the price year it is in (e.g. 2021)",
        f"Referentieprijzen!A{second}: 'TIJD' is listed twice (also at A2); each code and item "
        "must be unique, so that a cell naming one finds one price",
        "Referentieprijzen!J4: the price index 'CIP' is not on the sheet 'Prijsindex'; did you "
        "mean 'CPI'?",
    ]


def test_price_without_base_year_warns_where_it_is_used():
    reading = reader.read(edited_template("nl", {("Opbrengsten", "E2"): "FTE-UREN"}))
    assert reading.errors == []
    assert ("Opbrengsten!E2: the reference price 'FTE-UREN' has no base year, so it is used as "
            "it is, without indexation") in [str(w) for w in reading.warnings]


# -- the command line --------------------------------------------------------------------------

def prices_output(*args: str, width: int = 80) -> list[str]:
    result = CliRunner().invoke(main, ["prices", *args], terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_prices_command_lists_and_filters():
    lines = prices_output("--lang", "en", "qaly")
    assert lines[0] == "Reference prices of the Dutch template, in euro:"
    assert lines[2].split() == ["code", "item", "(unit)", "price", "base", "in", "2025", "src"]
    # 36,000 x 134.56 / 99.40 = 4,844,160 / 99.40 = 48,734.00 in 2025 prices
    assert lines[3].split() == ["QALY", "QALY", "(quality-adjusted", "life", "year)", "(QALY)",
                                "36,000.00", "2014", "48,734.00", "[1]"]
    assert "[1] RIVM, Zorginstituut NL (2014 prices); via e-health SROI (2022)" in lines
    everything = prices_output()
    assert sum(1 for line in everything if line[:1].isupper() and line.endswith("]")) == 28


@pytest.mark.parametrize("width", [80, 100, 140])
def test_prices_fit_the_terminal_in_aligned_columns_with_two_decimals(width):
    lines = prices_output(width=width)
    assert max(len(line) for line in lines) <= width
    header = lines[2]
    rows = [line for line in lines[3:] if line.endswith("]")]
    assert len(rows) == 28
    # every amount has two decimals and ends where its header ends, in every row
    for title in ("price", "in 2025"):
        end = header.index(title) + len(title)
        for row in rows:
            cell = row[:end].rsplit("  ", 1)[-1].strip()
            assert cell == "" or re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d", cell), (title, row)
    tijd = next(row for row in rows if row.startswith("TIJD "))
    # 14.1 x 134.56 / 99.40 = 19.087485 -> 19.09; the price itself as 14.10
    assert tijd.split()[-4:] == ["14.10", "2014", "19.09", "[1]"]
    assert "[1] Zorginstituut NL, kostenhandleiding (prijspeil 2014); via SROI" in " ".join(lines)


def test_prices_command_json_and_no_match():
    data = json.loads(CliRunner().invoke(main, ["prices", "huisarts", "visite",
                                                "--json"]).output)
    # 50 x 134.56 / 99.40 = 67.686117 in 2025 prices; the e-health SROI published 54.8 for 2021
    assert data == [{"code": "HA-VISITE", "item": "Huisarts, visite", "unit": "visite",
                     "price": 50, "base_year": 2014, "indexed_2025": pytest.approx(67.686117),
                     "published_2021": 54.8, "source": prices.LIBRARY[2].source("nl")}]
    result = CliRunner().invoke(main, ["prices", "xyz"])
    assert result.exit_code == 0
    assert result.output == "no reference price matches 'xyz'; run `sroi-excel prices` to see " \
                            "all 28\n"



def test_check_command_reports_a_missing_index_year_without_traceback(workbook):
    path = workbook(edits={("Opbrengsten", "E2"): "QALY",
                           ("Instellingen", setting_cell("price_year")): 2027})
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert ("error: Opbrengsten!E2: the reference price 'QALY' is in 2014 prices and cannot be "
            "indexed to 2027: the price index 'CPI' has no value for 2027; add it on the sheet "
            "'Prijsindex'") in result.output
