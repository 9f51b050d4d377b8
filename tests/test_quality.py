"""The quality checklist, the adjusted view and the materiality log.

One workbook passes every item of the checklist; each further workbook breaks one item and must
fail that item alone, naming its cells. The adjusted view is worked out by hand.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace

import openpyxl
import pytest
from xlsxwriter.utility import xl_col_to_name

from sroi_excel import api, engine, quality, schema, uncertainty
from sroi_excel.model import Cell
from sroi_excel.quality import MET, NOT_APPLICABLE, NOT_MET
from sroi_excel.template import build_template

from .builders import assume, model, money, outcome
from .conftest import run

# -- a workbook that passes every item ---------------------------------------------------------

# The template's example (a job coach) documents its stakeholders' involvement, its
# counterfactual and the evidence for its deadweight and attribution. To pass every item it
# also needs: evidence that names displacement, an excluded outcome with its reason (so that
# the materiality item applies) and a proxy that is a reference price (so that the price item
# applies).
EVIDENCE = ("Deadweight en attributie: evaluatie vergelijkbaar project; verplaatsing 0%: de "
            "banen gaan niet ten koste van andere werkzoekenden.")
GP_ROW = 4  # the outcome valued with the reference price HA-CONSULT
EXCLUDED_ROW = 5


def col(sheet: schema.Sheet, key: str) -> str:
    """The column letter of a column of the template's table."""
    return xl_col_to_name([c.key for c in sheet.columns].index(key))


def setting(key: str) -> str:
    """The cell of a setting's value in the template (one row per setting, from row 2)."""
    return f"B{[c.key for c in schema.SETTINGS.columns].index(key) + 2}"


def out(key: str, row: int) -> str:
    return f"{col(schema.OUTCOMES, key)}{row}"


def party(key: str, row: int) -> str:
    return f"{col(schema.STAKEHOLDERS, key)}{row}"


def row_of(book, sheet: str, first_cell: str) -> int:
    """The row whose column A holds ``first_cell``."""
    ws = book[sheet]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == first_cell)


def passing(book) -> None:
    """Edit the template's example so that it passes every item."""
    ws = book["Opbrengsten"]
    ws[out("evidence", 2)] = EVIDENCE
    gp = {"stakeholder": "Gemeente", "outcome": "Minder huisartsbezoek",
          "indicator": "Consulten", "quantity": 100, "proxy": "HA-CONSULT", "deadweight": 0.1,
          "attribution": 0.1, "displacement": 0.1, "duration": 1,
          "evidence": "Eigen registratie (voorbeeld)"}
    for key, value in gp.items():
        ws[out(key, GP_ROW)] = value
    excluded = {"stakeholder": "Deelnemers", "outcome": "Minder schulden",
                "excluded": "dubbeltelling",
                "exclusion_reason": "Al gewaardeerd in Minder uitkeringen"}
    for key, value in excluded.items():
        ws[out(key, EXCLUDED_ROW)] = value


def workbook_file(tmp_path, *edits, name: str = "analyse.xlsx"):
    """The Dutch template with the passing edits and then ``edits``, saved to a file."""
    book = openpyxl.load_workbook(io.BytesIO(build_template("nl")))
    passing(book)
    for edit in edits:
        edit(book)
    path = tmp_path / name
    book.save(path)
    return path


def checked(path) -> quality.Quality:
    report = api.check(path, draws=0)
    assert not report.errors, report.errors
    return report.quality


def statuses(found: quality.Quality) -> dict[str, str]:
    return {item.key: item.status for item in found.items}


def item(found: quality.Quality, key: str) -> quality.Item:
    return next(i for i in found.items if i.key == key)


def test_a_workbook_that_passes_every_item(tmp_path):
    found = checked(workbook_file(tmp_path))
    assert statuses(found) == dict.fromkeys(quality.ITEMS, MET)
    assert [i.key for i in found.items] == list(quality.ITEMS)
    assert found.excluded == (quality.Excluded(
        "Deelnemers", "Minder schulden", "double_counted",
        "Al gewaardeerd in Minder uitkeringen", Cell("Opbrengsten", out("excluded", 5))),)
    # Every 0% deduction has evidence, so the adjusted view is the analysis itself.
    assert found.adjusted.changed == 0
    assert found.adjusted.ratio == found.ratio


# -- one workbook per item, failing that item alone --------------------------------------------


def _set(sheet: str, ref: str, value):
    def edit(book):
        book[sheet][ref] = value
    return edit


def _clear_ranges(book):
    ws = book["Aannames"]
    for ref in ("E2", "F2", "E3", "F3"):  # low and high of both assumptions
        ws[ref] = None
    ws = book["Scenario's"]
    ws.delete_rows(2, 2)


def _same_proxy(book):
    ws = book["Opbrengsten"]
    row = {"stakeholder": "Gemeente", "outcome": "Minder bijstand partners",
           "indicator": "Partners uit de uitkering", "quantity": 2, "proxy": 15000,
           "proxy_source": "Gemiddelde uitkering (CPB)", "deadweight": 0.3, "attribution": 0.2,
           "displacement": 0.1, "evidence": "Zie Minder uitkeringen"}
    for key, value in row.items():
        ws[out(key, 6)] = value


def _wellbeing(book):
    ws = book["Opbrengsten"]
    row = {"stakeholder": "Gemeente", "outcome": "Beter welbevinden van ambtenaren",
           "indicator": "Ambtenaren", "quantity": 2, "proxy": 100,
           "proxy_source": "Wellbeing valuation (voorbeeld)", "deadweight": 0.3,
           "attribution": 0.2, "displacement": 0.1, "evidence": "Enquête (voorbeeld)"}
    for key, value in row.items():
        ws[out(key, 6)] = value


def _no_base_year(book):
    ws = book["Referentieprijzen"]
    ws[f"E{row_of(book, 'Referentieprijzen', 'HA-CONSULT')}"] = None


FAILING = {
    # item: (edits, the cells the item must name)
    "involvement": ([_set("Belanghebbenden", party("involvement", 3), "geen")],
                    [f"Belanghebbenden!{party('involvement', 3)}"]),
    "proxy_sources": ([_set("Opbrengsten", out("proxy_source", 2), None)],
                      [f"Opbrengsten!{out('proxy_source', 2)}"]),
    "materiality": ([_set("Opbrengsten", out("exclusion_reason", EXCLUDED_ROW), None)],
                    [f"Opbrengsten!{out('exclusion_reason', EXCLUDED_ROW)}"]),
    "deductions": ([_set("Opbrengsten", out("evidence", 2), "Deadweight en attributie: "
                         "evaluatie vergelijkbaar project.")],
                   [f"Opbrengsten!{out('displacement', 2)}"]),
    "dropoff": ([_set("Opbrengsten", out("dropoff", 2), 0)],
                [f"Opbrengsten!{out('dropoff', 2)}"]),
    "same_proxy": ([_same_proxy], ["Opbrengsten!A2", "Opbrengsten!A6"]),
    "wellbeing_saving": ([_wellbeing], ["Opbrengsten!A6", f"Opbrengsten!A{GP_ROW}"]),
    "counterfactual": ([_set("Instellingen", setting("counterfactual"), None)],
                       [f"Instellingen!{setting('counterfactual')}"]),
    "prices": ([_no_base_year], ["Referentieprijzen!D3"]),
    "sensitivity": ([_clear_ranges], []),
}


@pytest.mark.parametrize("key", sorted(FAILING))
def test_a_workbook_that_fails_one_item(tmp_path, key):
    edits, cells = FAILING[key]
    found = checked(workbook_file(tmp_path, *edits))
    expected = dict.fromkeys(quality.ITEMS, MET)
    expected[key] = NOT_MET
    assert statuses(found) == expected
    failed = item(found, key)
    assert [str(c) for c in failed.cells] == cells
    assert failed.action.en and failed.action.nl


def test_the_drop_off_item_needs_no_drop_off_for_a_one_year_outcome(tmp_path):
    # Duration 1: drop-off does not apply, so a 0% drop-off is no finding.
    found = checked(workbook_file(tmp_path, _set("Opbrengsten", out("dropoff", 2), 0),
                                  _set("Opbrengsten", out("duration", 2), 1)))
    assert item(found, "dropoff").status == NOT_APPLICABLE


def test_evidence_of_a_double_count_confirms_the_pair(tmp_path):
    def confirmed(book):
        book["Opbrengsten"][out("evidence", 6)] = ("Geen dubbeltelling: andere personen dan "
                                                   "in Minder uitkeringen")
    found = checked(workbook_file(tmp_path, _same_proxy, confirmed))
    assert item(found, "same_proxy").status == MET


def test_a_ratio_in_the_top_tenth_with_an_item_not_met_is_a_warning(tmp_path):
    # 2,000 fewer benefit payments instead of 10: ratio far above 15. The GP outcome has no
    # evidence for its 0% deadweight, so the deductions item is not met, and the warning names
    # that outcome as the one whose zeros, at the adjusted view's 20%, lower the ratio most.
    def huge(book):
        book["Aannames"]["B2"] = 8000  # participants: 8,000 x 25% = 2,000 a year
    found = checked(workbook_file(
        tmp_path, huge, _set("Opbrengsten", out("deadweight", GP_ROW), 0),
        _set("Opbrengsten", out("evidence", GP_ROW), None)))
    spread = item(found, "ratio_spread")
    assert found.ratio > 15
    assert spread.status == NOT_MET
    assert spread.finding.en.startswith("Warning: SROI ratio ")
    assert "in the top tenth: 8.9% of published ratios are above 15" in spread.finding.en
    assert "'Minder huisartsbezoek' (Gemeente) -" in spread.finding.en
    assert item(found, "deductions").status == NOT_MET
    assert [i.key for i in found.items if i.status == NOT_MET] == ["deductions",
                                                                    "ratio_spread"]


def test_a_ratio_in_the_top_tenth_with_every_item_met_is_no_warning(tmp_path):
    def huge(book):
        book["Aannames"]["B2"] = 8000
    found = checked(workbook_file(tmp_path, huge))
    assert found.ratio > 15
    assert item(found, "ratio_spread").status == MET


def test_an_old_workbook_without_the_new_columns_reads_as_before(workbook, tmp_path):
    # The settings rows, the stakeholders' involvement and the outcomes' evidence, exclusion and
    # reason removed: the figures are those of the template, and the checklist says what is
    # missing where it can.
    book = openpyxl.load_workbook(io.BytesIO(build_template("nl")))
    for key in ("adjusted_dropoff", "adjusted_displacement", "adjusted_attribution",
                "adjusted_deadweight", "counterfactual"):
        book["Instellingen"].delete_rows(int(setting(key)[1:]))
    keys = [c.key for c in schema.STAKEHOLDERS.columns]
    book["Belanghebbenden"].delete_cols(keys.index("involvement") + 1)
    book["Opbrengsten"].delete_cols(15, 3)
    path = tmp_path / "oud.xlsx"
    book.save(path)
    report = api.check(path, draws=0)
    new = api.check(workbook(), draws=0)
    assert not report.errors
    assert report.results.headline == new.results.headline
    found = report.quality
    assert item(found, "counterfactual").cells == ()
    assert item(found, "involvement").cells == (Cell("Belanghebbenden", "A2"),
                                                Cell("Belanghebbenden", "A3"))


# -- the materiality log in the reader and the engine ------------------------------------------


def test_an_excluded_outcome_is_listed_not_valued(tmp_path):
    # Its quantity is text, which would be an error in a valued outcome.
    path = workbook_file(tmp_path, _set("Opbrengsten", out("quantity", EXCLUDED_ROW), "veel"))
    report = api.check(path, draws=0)
    assert not report.errors
    rows = report.results.tables["qualitative"].rows
    assert ("Deelnemers", "Minder schulden", "",
            "Uitgesloten (dubbeltelling): Al gewaardeerd in Minder uitkeringen") in rows
    assert "Minder schulden" not in report.results.tables["outcomes"].column("outcome")


def test_an_unknown_exclusion_is_an_error_naming_the_cell(tmp_path):
    path = workbook_file(tmp_path, _set("Opbrengsten", out("excluded", EXCLUDED_ROW), "weg"))
    assert [str(p) for p in api.check(path, draws=0).errors] == [
        f"Opbrengsten!{out('excluded', EXCLUDED_ROW)}: excluded is 'weg'; use niet "
        "materieel/not material, dubbeltelling/double counted or buiten scope/out of scope, or "
        "leave it blank"]


# -- the adjusted view, by hand ----------------------------------------------------------------


def test_the_adjusted_view_by_hand():
    # Inputs 1,000 at the start; no discounting; 3 years.
    # A: 100 x 10 = 1,000 in year 1. Deadweight 0% and displacement 0% without evidence;
    #    attribution 0% with evidence ("attributie" named).
    # B: 50 x 20 = 1,000 a year for 3 years (duration 3), deadweight 10%; attribution,
    #    displacement and drop-off 0% without evidence.
    # Results: 1,000 + 3 x 900 = 3,700; ratio 3.7.
    # Adjusted (deadweight 20%, attribution 25.5%, drop-off 21.5% published medians;
    # displacement 5% the analyst's own setting):
    #   A: 1,000 x 0.8 x 0.95 = 760
    #   B: 1,000 x 0.9 x 0.745 x 0.95 = 636.975 in year 1, then x 0.785 and x 0.785^2:
    #      636.975 x (1 + 0.785 + 0.616225) = 636.975 x 2.401225 = 1,529.520294375
    #   total 2,289.520294375, ratio 2.289520294375
    a = replace(outcome("A", 100, 10, name="A"), evidence="Attributie 0%: de enige aanbieder")
    b = outcome("B", 50, 20, dw=0.1, duration=3, name="B")
    m = model([a, b], [money("A", 1000)], years=3, adjusted_displacement=0.05)
    results = engine.compute(m)
    assert results.headline.ratio == pytest.approx(3.7)
    found = quality.assess(results)
    adjusted = found.adjusted
    assert adjusted.pv_value == pytest.approx(2289.520294375)
    assert adjusted.ratio == pytest.approx(2.289520294375)
    assert adjusted.net_ratio == pytest.approx(1.289520294375)
    assert adjusted.defaults == (
        quality.Default("deadweight", 0.20, "typical", 1),
        quality.Default("attribution", 0.255, "typical", 1),
        quality.Default("displacement", 0.05, "setting", 2),
        quality.Default("dropoff", 0.215, "typical", 1))
    assert adjusted.changed == 5
    assert [(e.outcome, e.deductions) for e in adjusted.effects] == [
        ("B", ("attribution", "displacement", "dropoff")), ("A", ("deadweight", "displacement"))]
    assert [e.ratio_drop for e in adjusted.effects] == pytest.approx(
        [(2700 - 1529.520294375) / 1000, (1000 - 760) / 1000])
    # The results are the analyst's: the adjusted view computed a copy.
    assert results.headline.ratio == pytest.approx(3.7)
    assert found.adjusted_line() == (
        "Adjusted view (what-if, not the results): ratio 3.70 -> 2.29 with 5 unevidenced 0% "
        "deduction(s) set to deadweight 20%, attribution 25.5%, displacement 5%, drop-off "
        "21.5%.")


def test_a_setting_of_0_leaves_a_deduction_as_it_is():
    m = model([outcome("A", 100, 10)], [money("A", 1000)], adjusted_deadweight=0.0,
              adjusted_attribution=0.0)
    found = quality.assess(engine.compute(m))
    assert found.adjusted.ratio == pytest.approx(1.0)
    assert found.adjusted.changed == 0
    assert found.adjusted_line() == (
        "Adjusted view (what-if, not the results): ratio 1.00, unchanged; not adjusted: "
        "deadweight (1x, 0%), "
        "attribution (1x, 0%), displacement (1x, no value).")


# -- reading evidence, and the words --------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("", set()),
    ("Zie het rapport, §4", {"deadweight", "attribution", "displacement", "dropoff"}),
    ("Deadweight 50% (CBS); Attributie 60%", {"deadweight", "attribution"}),
    ("Geen verplaatsing: de besparing valt bij de gemeente", {"displacement"}),
    ("Drop-off 0%: a follow-up after two years", {"dropoff"}),
    ("Welk deel kan worden toegeschreven aan de interventie", {"attribution"}),
])
def test_evidence_speaks_for_the_adjustments_it_names(text, expected):
    assert quality.covered(text) == expected


@pytest.mark.parametrize("ratio, words", [
    (1.5, "in the lowest quarter of published ratios (below the 25th percentile 2.06)"),
    (2.06, "within the middle half of published ratios (2.06 - 6.60, median 3.56)"),
    (6.60, "within the middle half of published ratios (2.06 - 6.60, median 3.56)"),
    (7.0, "above three quarters of published ratios (75th percentile 6.60)"),
    (15.0, "above three quarters of published ratios (75th percentile 6.60)"),
    (15.01, "in the top tenth: 8.9% of published ratios are above 15"),
])
def test_where_a_ratio_lies_among_published_ones(ratio, words):
    assert quality.position(ratio).en == words


def test_the_switching_value_closest_to_the_base_in_words():
    # Two outcomes of Q x 100 with Q = 10 (low 5, high 15), inputs 1,600: ratio 1.25. The ratio
    # is 1 at Q = 8 (a fifth lower); one outcome's deadweight would have to rise to 40%
    # (1,000 x 0.6 + 1,000 = 1,600): 40 points away, so Q is the closest.
    m = model([outcome("A", "=Q", 100, name="X"), outcome("A", "=Q", 100, name="Y")],
              [money("B", 1600)], [assume("Q", 10, 5, 15)])
    found = quality.assess(engine.compute(m), uncertainty.analyse(m, draws=0))
    assert found.switching.en == ("The ratio falls to 1 if Q falls from 10 to 8 (the switching "
                                  "value closest to the value).")
    assert found.switching.nl == ("De ratio zakt naar 1 als Q daalt van 10 naar 8 (het "
                                  "omslagpunt het dichtst bij de waarde).")
    # Inputs 4,000: ratio 0.5, and 1 at Q = 20.
    m = replace(m, inputs=(money("B", 4000),))
    found = quality.assess(engine.compute(m), uncertainty.analyse(m, draws=0))
    assert found.switching.en == ("The ratio rises to 1 if Q rises from 10 to 20 (the switching "
                                  "value closest to the value).")


# -- check, --json and the sheet ---------------------------------------------------------------


def test_check_prints_the_checklist_and_json_holds_it(tmp_path):
    path = workbook_file(tmp_path, _set("Instellingen", setting("counterfactual"), None))
    result = run("check", path, "--draws", "0")
    assert result.exit_code == 0
    assert ("Quality checklist (documentation and plausibility, not truth): 10 met, 1 not met, "
            "0 n/a") in result.output
    assert ("  [not met] Be transparent · Counterfactual stated: The counterfactual (what would "
            "happen without the intervention) is not stated.") in result.output
    assert f"      cells: Instellingen!{setting('counterfactual')}" in result.output
    data = json.loads(run("check", path, "--draws", "0", "--json").output)["quality"]
    assert (data["met"], data["not_met"], data["not_applicable"]) == (10, 1, 0)
    counterfactual = next(i for i in data["items"] if i["key"] == "counterfactual")
    assert counterfactual["status"] == "not met"
    assert counterfactual["cells"] == [f"Instellingen!{setting('counterfactual')}"]
    assert counterfactual["published_share"] == 0.136
    assert data["adjusted_view"]["sroi_ratio"] == pytest.approx(
        json.loads(run("check", path, "--draws", "0", "--json").output)["results"]["sroi_ratio"])


def test_fill_writes_the_quality_sheet_last(tmp_path):
    from python_calamine import CalamineWorkbook

    path = workbook_file(tmp_path, _set("Belanghebbenden", party("involvement", 3), None))
    result = run("fill", path, "--draws", "0")
    assert result.exit_code == 0
    assert ("quality checklist (documentation and plausibility, not truth): 10 met, 1 not met, "
            "0 n/a; Adjusted view (what-if): no 0% deductions without evidence") in result.output
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names[-1] == "Kwaliteit"
    rows = book.get_sheet_by_name("Kwaliteit").to_python()
    lines = [[v for v in row if v not in ("", None)] for row in rows]
    involvement = next(line for line in lines
                       if "Betrokkenheid per belanghebbende vermeld" in line)
    assert involvement[:3] == ["Betrek belanghebbenden", "Betrokkenheid per belanghebbende "
                               "vermeld", "niet gehaald"]
    assert f"Belanghebbenden!{party('involvement', 3)}" in involvement
    assert ["SROI-ratio (de resultaten)", pytest.approx(item_ratio(path))] in lines
    texts = " ".join(str(v) for line in lines for v in line)
    assert quality.BENCHMARKS_PAGE in texts and quality.FACTORS_PAGE in texts


def item_ratio(path) -> float:
    return api.check(path, draws=0).results.headline.ratio


def test_the_english_template_gets_an_english_quality_sheet(workbook):
    from python_calamine import CalamineWorkbook

    path = workbook("en")
    report = api.fill(path, draws=0)
    assert report.sheets[-1] == "Quality"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Quality").to_python()
    lines = [[v for v in row if v not in ("", None)] for row in rows]
    # The example's displacement is 0% and its evidence names deadweight and attribution only.
    deductions = next(line for line in lines
                      if "Deadweight, attribution and displacement considered" in line)
    assert deductions[:3] == ["Do not over-claim",
                              "Deadweight, attribution and displacement considered", "not met"]
    assert f"Outcomes!{out('displacement', 2)}" in deductions
