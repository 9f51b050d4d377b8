"""Defined names: fill keeps one per assumption at its value cell (so a formula over assumption
names computes in Excel too), and stable names for the key figures and the result tables, which
a user's own formulas and charts use across fills.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, StrRef

from sroi_excel import api, names, packager
from sroi_excel.exceptions import ValidationError
from sroi_excel.template import build_template

from .conftest import digest, edited_template, run
from .excelcheck import findings
from .gnumeric import cached
from .lo import convert_all
from .results_io import set_cells, sheet_table

NO_DRAWS = {("Instellingen", "B15"): 0}
R = 1.0225  # the template's discount rate


def defined(path: Path) -> dict[str, str]:
    """The workbook-level defined names and what they point at."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/workbook.xml").decode()
    return {m.group(1): m.group(2) for m in re.finditer(
        r'<definedName name="([^"]+)">([^<]*)</definedName>', xml)}


def workbook(tmp_path: Path, edits: dict, name: str = "analyse.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(edited_template("nl", {**NO_DRAWS, **edits}))
    return path


def test_a_new_assumption_gets_a_name_excel_knows(tmp_path):
    path = workbook(tmp_path, {("Aannames", "A4"): "Clients", ("Aannames", "B4"): 30,
                               ("Aannames", "D4"): "intake", ("Opbrengsten", "D2"):
                               "=Clients*Succes"})
    # check says the formula shows #NAME? in Excel until fill defines the name ...
    said = [str(p) for p in api.check(path, draws=0).warnings]
    assert ("Aannames!A4: Excel does not know the name 'Clients' until fill defines it: "
            "Opbrengsten!D2 uses it and shows #NAME? in Excel and LibreOffice until then"
            ) in said
    api.fill(path, backup=False)
    assert defined(path)["Clients"] == "Aannames!$B$4"
    assert not any("Clients" in str(p) for p in api.check(path, draws=0).warnings)
    # ... after which LibreOffice computes it: 30 clients x 25% success = 7.5
    recalculated = convert_all([path], "xlsx", tmp_path / "lo", tmp_path)[path]
    assert cached(recalculated, ["Opbrengsten"])[("Opbrengsten", 1, 3)] == 7.5
    assert findings(path.read_bytes()) == []


def test_the_names_move_with_their_rows_and_go_with_them(tmp_path):
    # The example's rows swapped, and the first overwritten: Succes is now in row 2, Deelnemers
    # gone, Trajecten new in row 3. The names the template made are fill's own.
    swapped = {(row, col): value for row, values in (
        (2, ("Succes", 0.25, "%", "Evaluatie", 0.15, 0.35)),
        (3, ("Trajecten", 40, "personen per jaar", "Projectplan", 30, 50)))
        for col, value in zip("ABCDEF", values, strict=True)}
    path = workbook(tmp_path, {**{("Aannames", f"{col}{row}"): value
                                  for (row, col), value in swapped.items()},
                               ("Opbrengsten", "D2"): "=Trajecten*Succes"})
    said = [str(p) for p in api.check(path, draws=0).warnings]
    assert any(s.startswith("Aannames!A2: the name 'Succes' points at Aannames!B3, not at "
                            "Aannames!B2, until fill moves it") for s in said), said
    api.fill(path, backup=False)
    found = defined(path)
    assert found["Succes"] == "Aannames!$B$2" and found["Trajecten"] == "Aannames!$B$3"
    assert "Deelnemers" not in found


def test_a_name_left_from_an_overwritten_row_is_not_read_silently(tmp_path):
    # Deelnemers was overwritten by Trajecten; a formula still naming Deelnemers must not
    # silently take the number now in that row (the template's name pointed there).
    path = workbook(tmp_path, {("Aannames", "A2"): "Trajecten"})
    with pytest.raises(ValidationError) as info:
        api.fill(path, backup=False)
    assert any(p.where == "Opbrengsten!D2" and "'Deelnemers' is not an assumption" in p.message
               for p in info.value.problems)


def test_a_users_own_name_elsewhere_is_an_error_naming_both_cells(tmp_path):
    # Succes is the user's own name (not in fill's record), pointing at the discount rate.
    data = edited_template("nl", NO_DRAWS)
    data = patch(data, "docProps/custom.xml", "Deelnemers\nSucces", "Deelnemers")
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(patch(data, "xl/workbook.xml", ">Aannames!$B$3<", ">Instellingen!$B$7<"))
    before = digest(path)
    result = run("fill", path)
    assert result.exit_code == 1
    assert ("error: Aannames!A3: the workbook has its own name 'Succes' (Formulas > Name "
            "Manager), pointing at Instellingen!B7, not at the assumption's value cell "
            "Aannames!B3: Excel would compute with Instellingen!B7; delete that name or point "
            "it at Aannames!B3") in result.output
    assert digest(path) == before
    # The user's own name pointing at the value cell is theirs to keep: fill makes none.
    path.write_bytes(patch(data, "docProps/custom.xml", "Deelnemers", "Deelnemers"))
    api.fill(path, backup=False)
    assert defined(path)["Succes"] == "Aannames!$B$3"
    owned = packager.read_list_property(parts(path), packager.RESULT_NAMES_PROPERTY)
    assert "Deelnemers" in owned and "Succes" not in owned


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def patch(data: bytes, part: str, old: str, new: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        found = {n: z.read(n) for n in z.namelist()}
    text = found[part].decode()
    assert old in text, (part, old)
    found[part] = text.replace(old, new).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, payload in found.items():
            z.writestr(name, payload)
    return out.getvalue()


def test_an_assumption_may_not_take_a_results_name(tmp_path):
    path = workbook(tmp_path, {("Aannames", "A4"): "SROI_Ratio", ("Aannames", "B4"): 1,
                               ("Aannames", "D4"): "bron"})
    with pytest.raises(ValidationError) as info:
        api.fill(path, backup=False)
    assert any(p.where == "Aannames!A4" and "SROI_" in p.message
               for p in info.value.problems)


@pytest.mark.parametrize(("name", "ok"), [("Trajecten", True), ("Succes_2", True),
                                           ("AB12", False), ("R1C1", False), ("R", False),
                                           ("C3", False), ("TRUE", False), ("2x", False)])
def test_only_names_excel_accepts_are_defined(name, ok):
    assert names.definable(name) is ok


# -- the results' names, used by the user's own formula and chart across fills ----------------

NEW_STAKEHOLDERS = [("Werkgevers", 10, 1000), ("Zorgverzekeraar", 4, 2500),
                    ("Woningcorporatie", 2, 7000)]


def with_users_sheet() -> bytes:
    """The template with a sheet of the user's own: formulas and a chart on the names."""
    book = openpyxl.load_workbook(io.BytesIO(edited_template("nl", NO_DRAWS)))
    ws = book.create_sheet("Mijn overzicht")
    ws["A1"] = "=SUM(SROI_ByStakeholder_Value)"
    ws["A2"] = "=ROWS(SROI_ByStakeholder)"
    ws["A3"] = "=SROI_PVOutcomes"
    chart = BarChart()
    series = Series(Reference(ws, min_col=1, min_row=1, max_row=1), title="Waarde")
    series.val.numRef.f = "[0]!SROI_ByStakeholder_Value"
    series.cat = AxDataSource(strRef=StrRef(f="[0]!SROI_ByStakeholder_Stakeholder"))
    chart.series.append(series)
    ws.add_chart(chart, "C3")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_users_formula_and_chart_on_the_names_follow_a_refill(tmp_path):
    path = tmp_path / "analyse.xlsx"
    path.write_bytes(with_users_sheet())
    api.fill(path, backup=False)
    assert defined(path)["SROI_ByStakeholder_Value"] == "'Per belanghebbende'!$D$6:$D$7"
    # Three stakeholders added, each with an outcome of one year (quantity x proxy, no
    # deductions), as a user types them; then fill again.
    edits_who, edits_what = {}, {}
    for i, (who, quantity, proxy) in enumerate(NEW_STAKEHOLDERS):
        edits_who[f"A{4 + i}"] = who
        edits_what.update({f"A{4 + i}": who, f"B{4 + i}": f"Opbrengst {who}",
                           f"D{4 + i}": quantity, f"E{4 + i}": proxy, f"K{4 + i}": 1,
                           f"L{4 + i}": 1, f"M{4 + i}": "nee", f"N{4 + i}": "ja"})
    data = set_cells(path.read_bytes(), "Belanghebbenden", edits_who)
    path.write_bytes(set_cells(data, "Opbrengsten", edits_what))
    chart_before = parts(path)["xl/charts/chart1.xml"]
    report = api.fill(path, backup=False)
    assert defined(path)["SROI_ByStakeholder_Value"] == "'Per belanghebbende'!$D$6:$D$10"
    assert parts(path)["xl/charts/chart1.xml"] == chart_before  # the user's, untouched
    assert findings(path.read_bytes()) == []

    recalculated = convert_all([path], "xlsx", tmp_path / "lo", tmp_path)[path]
    table = sheet_table(recalculated, "stakeholders", ["stakeholder", "value"], "nl")
    values = {row["stakeholder"]: row["value"] for row in table}
    for who, quantity, proxy in NEW_STAKEHOLDERS:  # one year, discounted once
        assert values[who] == pytest.approx(quantity * proxy / R)
    mine = cached(recalculated, ["Mijn overzicht"])
    assert mine[("Mijn overzicht", 0, 0)] == pytest.approx(sum(values.values()))
    assert mine[("Mijn overzicht", 1, 0)] == 5
    assert mine[("Mijn overzicht", 2, 0)] == pytest.approx(report.results.headline.pv_value)
    # LibreOffice drew the user's chart from the names: five bars, the five values.
    with zipfile.ZipFile(recalculated) as z:
        chart = next(z.read(n).decode() for n in z.namelist()
                     if n.startswith("xl/charts/") and "SROI_ByStakeholder_Value" in
                     z.read(n).decode())
    points = [float(v) for v in re.findall(r"<c:v>([-0-9.E]+)</c:v>",
                                           chart.split("<c:val>")[1])]
    assert points == pytest.approx(list(values.values()))


def test_the_template_records_its_names_as_fills_own():
    with zipfile.ZipFile(io.BytesIO(build_template("en"))) as z:
        custom = z.read("docProps/custom.xml").decode()
    assert "<vt:lpwstr>Participants\nSuccess</vt:lpwstr>" in custom


def test_a_long_list_of_names_is_kept_in_properties_excel_accepts():
    many = [f"Assumption_number_{i}" for i in range(40)]
    values = packager.list_properties("sroi-excel-names", many)
    assert all(len(v) <= 255 for v in values.values()) and len(values) > 1
    assert list(values) == ["sroi-excel-names", *(f"sroi-excel-names {n}"
                                                 for n in range(2, len(values) + 1))]
    assert "\n".join(values.values()).split("\n") == many
