"""The merge of rendered result sheets into a user's workbook, and the safe zip reader."""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import io
import os
import re
import shutil
import struct
import subprocess
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from sroi_excel.exceptions import FileFormatError, UnsafeFileError, WorkbookError
from sroi_excel.opc import Streamed, parse_xml, read_package, write_package
from sroi_excel.packager import (
    RESULT_NAMES_PROPERTY,
    RESULT_PROPERTY,
    Rendered,
    merge_result_sheets,
    owned_sheets,
    sheet_names,
)
from sroi_excel.sheetxml import Workbook


def _load_generator():
    # Loaded by path: tests/ may or may not be a package, depending on pytest's import mode.
    path = Path(__file__).resolve().with_name("make_rich_workbook.py")
    spec = importlib.util.spec_from_file_location("make_rich_workbook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_generator = _load_generator()
CACHED_TOTAL = _generator.CACHED_TOTAL
CACHED_TARIFF_TIMES_TWO = _generator.CACHED_TARIFF_TIMES_TWO
tiny_png = _generator.tiny_png

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = ["rich_libreoffice.xlsx", "rich_xlsxwriter.xlsx"]
USER_SHEETS = ["Invoer", "Lijsten", "Kosten & Baten", "Verborgen"]
RESULT_SHEETS = ["Resultaten", "Details"]
# The only user parts the merge may change; everything else must come out byte-identical.
EDITED = {
    "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
    "xl/styles.xml", "docProps/custom.xml", "docProps/app.xml",
}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*extension is not supported:UserWarning",
    "ignore:The default engine:FutureWarning",
)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def render(
    sheets: tuple[str, ...] = tuple(RESULT_SHEETS),
    *,
    ratio: float = 3.5,
    hidden: tuple[str, ...] = (),
    extras: bool = True,
) -> bytes:
    """A result workbook as the renderer makes it, with most features xlsxwriter offers."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    bold = wb.add_format({"bold": True, "num_format": '#,##0.00 "EUR"'})
    pct = wb.add_format({"num_format": "0.0%", "bg_color": "#FFEEDD", "border": 1})
    red = wb.add_format({"font_color": "red", "num_format": "0.000"})
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    for name in sheets:
        ws = wb.add_worksheet(name)
        if name in hidden:
            ws.hide()
        if name == "Resultaten":
            ws.merge_range("A1:C1", "SROI resultaat", title)
            ws.write_row("A2", ["Naam", "Waarde"], bold)
            ws.write("A3", "SROI ratio")
            ws.write_number("B3", ratio, pct)
            ws.write_formula("B4", "=B3*2", bold, ratio * 2)
            ws.write("A5", "R&D <baten> \"netto\"")
            ws.freeze_panes(2, 0)
            ws.autofilter("A2:B4")
            ws.conditional_format("B3:B4", {"type": "cell", "criteria": ">", "value": 1,
                                            "format": red})
            ws.print_area("A1:D20")
            ws.repeat_rows(1)
            ws.set_column("A:A", 24, bold)
            if extras:
                chart = wb.add_chart({"type": "column"})
                chart.add_series({"values": "=Resultaten!$B$3:$B$4", "name": "Ratio"})
                ws.insert_chart("E2", chart)
                ws.insert_image("E20", "logo.png", {"image_data": io.BytesIO(tiny_png())})
                ws.write_url("A7", "https://example.org/sroi", string="Toelichting")
                wb.define_name("SROI_ratio", "=Resultaten!$B$3")
        else:
            ws.write("A1", f"Detail {name}")
            ws.write_comment("A1", "toelichting bij de details")
            if extras:
                ws.add_table("A3:B5", {"name": f"Tabel{len(name)}",
                                       "columns": [{"header": "Post"},
                                                   {"header": "Bedrag", "format": red}],
                                       "data": [["Huur", 1000], ["Personeel", 2500]]})
    wb.close()
    return buffer.getvalue()


RENDERED = render()


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def merged(name: str, rendered: bytes = RENDERED, **kwargs) -> bytes:
    return merge_result_sheets(fixture(name), rendered, name=name, **kwargs)


def parts_of(data: bytes) -> dict[str, bytes]:
    return read_package(data)


def text(parts: dict[str, bytes], part: str) -> str:
    return parts[part].decode("utf-8")


def replace_part(data: bytes, part: str, new: bytes | None) -> bytes:
    parts = parts_of(data)
    if new is None:
        del parts[part]
    else:
        parts[part] = new
    return write_package(parts)


def edit_part(data: bytes, part: str, old: str, new: str, count: int = 1) -> bytes:
    content = text(parts_of(data), part)
    assert content.count(old) >= 1, f"{old!r} not in {part}"
    return replace_part(data, part, content.replace(old, new, count).encode("utf-8"))


def only_insertions(before: str, after: str) -> list[str]:
    """What differs between two texts other than insertions and changed counts."""
    problems = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("equal", "insert"):
            continue
        old, new = before[i1:i2], after[j1:j2]
        if op == "replace" and old.isdigit() and new[:1].isdigit():
            continue  # a count attribute, or a count followed by inserted elements
        problems.append(f"{op} {old!r} -> {new!r}")
    return problems


def open_all_ways(data: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "merged.xlsx"
    path.write_bytes(data)
    return path


def soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(path: Path, target: str, outdir: Path) -> Path:
    profile = (outdir / "profile").as_uri()
    subprocess.run(
        [soffice(), f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", target, "--outdir", str(outdir), str(path)],
        check=True, capture_output=True, timeout=240,
    )
    out = outdir / (path.stem + "." + target.split(":")[0])
    assert out.exists(), f"LibreOffice did not write {out.name}"
    return out


# --------------------------------------------------------------------------------------
# The user's parts survive
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_user_parts_are_byte_identical(name):
    before = parts_of(fixture(name))
    after = parts_of(merged(name))
    for part, data in before.items():
        assert part in after, f"{part} was dropped"
        if part not in EDITED:
            assert after[part] == data, f"{part} changed"
    added = [p for p in after if p not in before]
    assert all("sroi_" in p or p == "docProps/custom.xml" for p in added), added


@pytest.mark.parametrize("name", FIXTURES)
def test_edited_parts_only_gain(name):
    before = parts_of(fixture(name))
    after = parts_of(merged(name))
    for part in EDITED & before.keys():
        assert only_insertions(text(before, part), text(after, part)) == [], part
    workbook = text(after, "xl/workbook.xml")
    for element in re.findall(r"<sheet [^>]*/>|<definedName .*?</definedName>",
                              text(before, "xl/workbook.xml")):
        assert element in workbook


@pytest.mark.parametrize("name", FIXTURES)
def test_user_extensions_survive(name):
    sheet = text(parts_of(merged(name)), "xl/worksheets/sheet1.xml")
    assert "x14:sparklineGroups" in sheet
    assert "x14:dataBar" in sheet and "iconSet" in sheet
    assert "Lijsten!$A$1:$A$3" in sheet
    if name == "rich_xlsxwriter.xlsx":
        assert "<x14:dataValidation " in sheet  # the cross-sheet list, as Excel stores it
    assert "Tekstvak van de gebruiker" in text(parts_of(merged(name)), "xl/drawings/drawing1.xml")


@pytest.mark.parametrize("name", FIXTURES)
def test_readers_see_results_and_cached_values(name, tmp_path):
    path = open_all_ways(merged(name), tmp_path)

    values = openpyxl.load_workbook(path, data_only=True)
    assert values.sheetnames == USER_SHEETS + RESULT_SHEETS
    assert values["Invoer"]["D6"].value == CACHED_TOTAL
    assert values["Invoer"]["C8"].value == CACHED_TARIFF_TIMES_TWO
    result = values["Resultaten"]
    assert result["A1"].value == "SROI resultaat"
    assert result["B3"].value == 3.5
    assert result["B4"].value == 7
    assert result["A5"].value == 'R&D <baten> "netto"'
    assert result["B3"].number_format == "0.0%"
    assert result["A2"].font.b and result["A2"].number_format == '#,##0.00 "EUR"'
    assert result["A1"].font.sz == 16
    assert "A1:C1" in {str(r) for r in result.merged_cells.ranges}
    assert result.freeze_panes == "A3"
    assert result.auto_filter.ref == "A2:B4"
    assert result.print_title_rows == "$2:$2"
    assert result.sheet_view.tabSelected in (None, False)
    assert values["Details"]["A1"].comment.text.startswith("toelichting")
    assert "Tabel7" in values["Details"].tables
    assert values.active.title == "Invoer"
    assert "Lokaal" in values["Invoer"].defined_names
    assert "Posten" in values["Kosten & Baten"].defined_names
    assert {"Tarief", "SROI_ratio"} <= set(values.defined_names)

    formulas = openpyxl.load_workbook(path)
    assert formulas["Resultaten"]["B4"].value == "=B3*2"
    assert formulas["Invoer"]["D6"].value == "=SUM(D3:D5)"

    frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(frames) == USER_SHEETS + RESULT_SHEETS
    assert frames["Resultaten"].iloc[1].tolist()[:2] == ["SROI ratio", 3.5]

    calamine = CalamineWorkbook.from_path(str(path))
    assert calamine.sheet_names == USER_SHEETS + RESULT_SHEETS
    rows = calamine.get_sheet_by_name("Resultaten").to_python()
    assert rows[2][:2] == ["SROI ratio", 3.5] and rows[3][1] == 7
    assert calamine.get_sheet_by_name("Invoer").to_python()[5][3] == CACHED_TOTAL


@pytest.mark.parametrize("name", FIXTURES)
def test_charts_images_and_tables_are_carried_over(name):
    parts = parts_of(merged(name))
    rels = text(parts, "xl/worksheets/_rels/sroi_sheet1.xml.rels")
    assert "../drawings/sroi_drawing1.xml" in rels
    assert 'TargetMode="External"' in rels and "https://example.org/sroi" in rels
    drawing_rels = text(parts, "xl/drawings/_rels/sroi_drawing1.xml.rels")
    assert "../charts/sroi_chart1.xml" in drawing_rels
    assert "../media/sroi_image1.png" in drawing_rels
    assert parts["xl/media/sroi_image1.png"] == tiny_png()
    content_types = text(parts, "[Content_Types].xml")
    for part in ("xl/worksheets/sroi_sheet1.xml", "xl/charts/sroi_chart1.xml",
                 "xl/drawings/sroi_drawing1.xml", "xl/tables/sroi_table1.xml"):
        assert f'PartName="/{part}"' in content_types
    assert 'Extension="png"' in content_types
    table = parse_xml(parts["xl/tables/sroi_table1.xml"], "table")
    assert table.get("name") == "Tabel7"


# --------------------------------------------------------------------------------------
# Filling again
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_merge_is_deterministic_and_idempotent(name):
    once = merged(name)
    assert merged(name) == once
    again = merge_result_sheets(once, RENDERED)
    assert again == once
    parts = parts_of(again)
    assert sheet_names(parts) == USER_SHEETS + RESULT_SHEETS
    assert owned_sheets(parts) == RESULT_SHEETS


@pytest.mark.parametrize("name", FIXTURES)
def test_refill_replaces_results(name, tmp_path):
    first = merged(name)
    second = merge_result_sheets(first, render(ratio=4.25))
    path = open_all_ways(second, tmp_path)
    values = openpyxl.load_workbook(path, data_only=True)
    assert values.sheetnames == USER_SHEETS + RESULT_SHEETS
    assert values["Resultaten"]["B3"].value == 4.25
    assert values["Resultaten"]["B4"].value == 8.5
    # The styles of the first fill are reused, not appended again.
    assert parts_of(second)["xl/styles.xml"] == parts_of(first)["xl/styles.xml"]


@pytest.mark.parametrize("name", FIXTURES)
def test_refill_with_fewer_sheets_removes_their_parts(name):
    first = merged(name)
    fewer = render(("Resultaten",))
    second = parts_of(merge_result_sheets(first, fewer))
    direct = parts_of(merged(name, fewer))
    assert sheet_names(second) == USER_SHEETS + ["Resultaten"]
    assert owned_sheets(second) == ["Resultaten"]
    assert sorted(second) == sorted(direct)
    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        assert second[part] == direct[part], part
    # Defaults added for the first fill's parts stay: they are harmless and never removed.
    vml_default = re.compile(r'<Default Extension="vml"[^>]*/>')
    assert vml_default.sub("", text(second, "[Content_Types].xml")) == vml_default.sub(
        "", text(direct, "[Content_Types].xml"))
    assert "sroi_comments" not in text(second, "[Content_Types].xml")
    assert "sroi_table" not in text(second, "[Content_Types].xml")


@pytest.mark.parametrize("name", FIXTURES)
def test_owned_sheets_before_user_sheets_remap_local_ids(name, tmp_path):
    once = merged(name)
    workbook = text(parts_of(once), "xl/workbook.xml")
    sheets = re.findall(r"<sheet [^>]*/>", workbook)
    assert len(sheets) == 6
    # Move the two result sheets to the front, as a user dragging tabs would.
    order = sheets[4:] + sheets[:4]
    moved = workbook.replace("".join(sheets), "".join(order))
    new_index = {old: order.index(s) for old, s in enumerate(sheets)}
    moved = re.sub(r'localSheetId="(\d+)"',
                   lambda m: f'localSheetId="{new_index[int(m.group(1))]}"', moved)
    had_active_tab = "activeTab=" in moved
    if had_active_tab:
        moved = re.sub(r'activeTab="(\d+)"',
                       lambda m: f'activeTab="{new_index[int(m.group(1))]}"', moved)
    else:
        moved = moved.replace("<workbookView ", '<workbookView activeTab="2" ', 1)
    shuffled = replace_part(once, "xl/workbook.xml", moved.encode("utf-8"))
    assert sheet_names(parts_of(shuffled)) == RESULT_SHEETS + USER_SHEETS

    again = merge_result_sheets(shuffled, RENDERED)
    result = text(parts_of(again), "xl/workbook.xml")
    if not had_active_tab:
        result = result.replace(' activeTab="0"', "", 1)
    assert result == workbook
    values = openpyxl.load_workbook(open_all_ways(again, tmp_path), data_only=True)
    assert values.sheetnames == USER_SHEETS + RESULT_SHEETS
    assert "Lokaal" in values["Invoer"].defined_names
    assert "Posten" in values["Kosten & Baten"].defined_names
    assert values["Resultaten"].print_title_rows == "$2:$2"
    assert values.active.title == "Invoer"


@pytest.mark.parametrize("name", FIXTURES)
def test_active_result_tab_stays_active(name, tmp_path):
    once = merged(name)
    workbook = text(parts_of(once), "xl/workbook.xml")
    if "activeTab=" in workbook:
        active = re.sub(r'activeTab="\d+"', 'activeTab="5"', workbook)
    else:
        active = workbook.replace("<workbookView ", '<workbookView activeTab="5" ', 1)
    again = merge_result_sheets(replace_part(once, "xl/workbook.xml", active.encode()), RENDERED)
    values = openpyxl.load_workbook(open_all_ways(again, tmp_path))
    assert values.active.title == "Details"
    selected = [ws.title for ws in values.worksheets if ws.sheet_view.tabSelected]
    assert "Details" in selected and "Resultaten" not in selected


def test_sheet_name_conflict_is_refused():
    user = edit_part(fixture("rich_libreoffice.xlsx"), "xl/workbook.xml",
                     'name="Lijsten"', 'name="resultaten"')
    with pytest.raises(WorkbookError) as caught:
        merge_result_sheets(user, RENDERED)
    assert "already has a sheet named 'Resultaten' that sroi-excel did not make" in str(
        caught.value)
    assert "rename that sheet and run fill again" in str(caught.value)
    assert caught.value.problem.sheet == "Resultaten"


def test_defined_name_conflict_is_refused():
    user = edit_part(fixture("rich_xlsxwriter.xlsx"), "xl/workbook.xml",
                     'name="Tarief"', 'name="SROI_ratio"')
    with pytest.raises(WorkbookError, match="name 'SROI_ratio' that sroi-excel did not make"):
        merge_result_sheets(user, RENDERED)


def test_table_name_conflict_is_refused():
    user = edit_part(fixture("rich_xlsxwriter.xlsx"), "xl/workbook.xml",
                     'name="Tarief"', 'name="Tabel7"')
    with pytest.raises(WorkbookError, match="table or name called 'Tabel7'"):
        merge_result_sheets(user, RENDERED)


def test_owned_global_names_are_replaced():
    once = merged("rich_xlsxwriter.xlsx")
    parts = parts_of(once)
    assert "SROI_ratio" in text(parts, "docProps/custom.xml")
    without = merge_result_sheets(once, render(extras=False))
    workbook = text(parts_of(without), "xl/workbook.xml")
    assert "SROI_ratio" not in workbook and "Tarief" in workbook


def test_properties_are_set_replaced_and_others_kept():
    user = fixture("rich_libreoffice.xlsx")
    custom = text(parts_of(user), "docProps/custom.xml").replace(
        "</Properties>",
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Auteur">'
        "<vt:lpwstr>Gebruiker</vt:lpwstr></property></Properties>")
    user = replace_part(user, "docProps/custom.xml", custom.encode())
    once = merge_result_sheets(user, RENDERED, properties={"sroi-excel-version": "1.0"})
    twice = merge_result_sheets(once, RENDERED, properties={"sroi-excel-version": "1.1"})
    props = parse_xml(parts_of(twice)["docProps/custom.xml"], "custom")
    found = {p.get("name"): (p.get("pid"), "".join(p.itertext())) for p in props}
    assert found["Auteur"] == ("2", "Gebruiker")
    assert found[RESULT_PROPERTY] == ("3", "Resultaten\nDetails")
    assert found[RESULT_NAMES_PROPERTY][1] == "SROI_ratio"
    assert found["sroi-excel-version"][1] == "1.1"
    # Replaced in place: same position, same pid.
    assert text(parts_of(once), "docProps/custom.xml").replace(
        "<vt:lpwstr>1.0</vt:lpwstr>", "<vt:lpwstr>1.1</vt:lpwstr>"
    ) == text(parts_of(twice), "docProps/custom.xml")
    with pytest.raises(ValueError, match="reserved"):
        merge_result_sheets(user, RENDERED, properties={RESULT_PROPERTY: "x"})


@pytest.mark.parametrize("name", FIXTURES)
def test_written_properties_are_made_from_the_sheets_as_zipped(name):
    # A property made once the result sheets are written, from the digests of their parts:
    # those of the bytes in the package, which the merge rewrote from render's.
    seen = []

    def made(digests):
        seen.append(dict(digests))
        return "sheets: " + " ".join(digests)

    out = merge_result_sheets(fixture(name), RENDERED, written={"made-later": made})
    parts = parts_of(out)
    book = Workbook(parts)
    assert seen == [{sheet: hashlib.sha256(book.sheet_xml(sheet)).hexdigest()
                     for sheet in RESULT_SHEETS}]
    assert all(book.sheet_xml(sheet) not in parts_of(RENDERED).values()
               for sheet in RESULT_SHEETS)
    props = parse_xml(parts["docProps/custom.xml"], "custom")
    found = {p.get("name"): "".join(p.itertext()) for p in props}
    assert found["made-later"] == "sheets: Resultaten Details"
    assert list(parts)[-1] == "docProps/custom.xml"  # zipped after the sheets
    with pytest.raises(ValueError, match="reserved"):
        merge_result_sheets(fixture(name), RENDERED, written={RESULT_PROPERTY: made})


def test_owned_sheets_and_sheet_names_of_a_plain_workbook():
    parts = parts_of(fixture("rich_libreoffice.xlsx"))
    assert owned_sheets(parts) == []
    assert owned_sheets(parts_of(fixture("rich_xlsxwriter.xlsx"))) == []
    assert sheet_names(parts) == USER_SHEETS


def test_custom_properties_are_created_when_absent():
    parts = parts_of(merged("rich_xlsxwriter.xlsx"))
    assert "docProps/custom.xml" not in parts_of(fixture("rich_xlsxwriter.xlsx"))
    assert 'Target="docProps/custom.xml"' in text(parts, "_rels/.rels")
    assert 'PartName="/docProps/custom.xml"' in text(parts, "[Content_Types].xml")
    assert owned_sheets(parts) == RESULT_SHEETS


def test_app_titles_list_the_sheets():
    app = text(parts_of(merged("rich_xlsxwriter.xlsx")), "docProps/app.xml")
    titles = re.findall(r"<vt:lpstr>(.*?)</vt:lpstr>", app.split("<TitlesOfParts>")[1])
    assert titles[:6] == ["Invoer", "Lijsten", "Kosten &amp; Baten", "Verborgen", *RESULT_SHEETS]
    assert '<vt:vector size="10" baseType="lpstr">' in app
    assert "<vt:i4>6</vt:i4>" in app


# --------------------------------------------------------------------------------------
# Package-level details
# --------------------------------------------------------------------------------------


def test_rendered_shared_strings_become_inline_strings():
    # in_memory overrides constant_memory, so xlsxwriter does write a sharedStrings part.
    assert "xl/sharedStrings.xml" in parts_of(RENDERED)
    user = fixture("rich_xlsxwriter.xlsx")
    parts = parts_of(merged("rich_xlsxwriter.xlsx"))
    assert parts["xl/sharedStrings.xml"] == parts_of(user)["xl/sharedStrings.xml"]
    sheet = text(parts, "xl/worksheets/sroi_sheet1.xml")
    assert 't="s"' not in sheet
    assert re.search(r'<c r="A3"( s="\d+")? t="inlineStr"><is><t>SROI ratio</t></is></c>', sheet)


def test_rendered_without_shared_strings(tmp_path):
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "tmpdir": str(tmp_path)})
    wb.add_worksheet("Resultaten").write_row("A1", ["Naam", 1.5])
    wb.close()
    rendered = buffer.getvalue()
    assert "xl/sharedStrings.xml" not in parts_of(rendered)
    out = merged("rich_libreoffice.xlsx", rendered)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(out)).get_sheet_by_name("Resultaten")
    assert rows.to_python() == [["Naam", 1.5]]


def test_styles_are_appended_and_remapped():
    user = parts_of(fixture("rich_libreoffice.xlsx"))
    parts = parts_of(merged("rich_libreoffice.xlsx"))
    styles = parse_xml(parts["xl/styles.xml"], "styles")
    fmts = {f.get("formatCode"): f.get("numFmtId") for f in styles.find("m:numFmts", NS)}
    # LibreOffice already uses 164 and 165, so ours are renumbered above them.
    assert fmts["General"] == "164" and fmts['"€ "#,##0.00'] == "165"
    assert int(fmts["0.0%"]) > 165 and int(fmts['#,##0.00 "EUR"']) > 165
    before = parse_xml(user["xl/styles.xml"], "styles")
    n_xfs = len(before.find("m:cellXfs", NS))
    xfs = styles.find("m:cellXfs", NS)
    assert xfs.get("count") == str(len(xfs)) and len(xfs) > n_xfs
    sheet = text(parts, "xl/worksheets/sroi_sheet1.xml")
    pct_xf = re.search(r'<c r="B3" s="(\d+)"', sheet).group(1)
    assert xfs[int(pct_xf)].get("numFmtId") == fmts["0.0%"]
    dxf_id = re.search(r'<cfRule [^>]*dxfId="(\d+)"', sheet).group(1)
    dxfs = styles.find("m:dxfs", NS)
    assert int(dxf_id) >= len(before.find("m:dxfs", NS)) and dxfs.get("count") == str(len(dxfs))


@pytest.mark.parametrize("maker", ["xlsxwriter", "openpyxl"])
def test_minimal_workbooks_missing_collections(maker, tmp_path):
    buffer = io.BytesIO()
    if maker == "xlsxwriter":
        wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
        wb.add_worksheet("Blad1").write("A1", 1)
        wb.close()
    else:
        wb = openpyxl.Workbook()
        wb.active.title = "Blad1"
        wb.active["A1"] = 1
        wb.save(buffer)
    user = buffer.getvalue()
    once = merge_result_sheets(user, RENDERED)
    assert merge_result_sheets(once, RENDERED) == once
    parts = parts_of(once)
    styles = parse_xml(parts["xl/styles.xml"], "styles")
    children = [child.tag.split("}")[1] for child in styles]
    assert children.index("numFmts") == 0
    assert children.index("dxfs") < children.index("tableStyles")
    assert len(styles.find("m:numFmts", NS)) == int(styles.find("m:numFmts", NS).get("count"))
    assert len(styles.find("m:dxfs", NS)) == int(styles.find("m:dxfs", NS).get("count")) > 0
    workbook = parse_xml(parts["xl/workbook.xml"], "workbook")
    order = [child.tag.split("}")[1] for child in workbook]
    assert order.index("sheets") < order.index("definedNames") < order.index("calcPr")
    values = openpyxl.load_workbook(open_all_ways(once, tmp_path), data_only=True)
    assert values.sheetnames == ["Blad1", *RESULT_SHEETS]
    assert values["Resultaten"]["B3"].value == 3.5


def test_prefixed_namespaces_are_kept(tmp_path):
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.add_worksheet("Blad1").write("A1", 1)
    wb.close()
    user = buffer.getvalue()
    # Some producers (the Open XML SDK) bind SpreadsheetML to a prefix instead of the default.
    for part in ("xl/workbook.xml", "xl/styles.xml"):
        content = text(parts_of(user), part)
        content = re.sub(r"<(/?)(?=[A-Za-z]+[\s/>])", r"<\1x:", content)
        content = content.replace('xmlns="', 'xmlns:x="', 1)
        user = replace_part(user, part, content.encode())
    once = parts_of(merge_result_sheets(user, RENDERED))
    workbook = text(once, "xl/workbook.xml")
    assert '<x:sheet name="Resultaten"' in workbook and "<x:definedNames>" in workbook
    assert sheet_names(once) == ["Blad1", *RESULT_SHEETS]
    styles = parse_xml(once["xl/styles.xml"], "styles")
    assert len(styles.find("m:cellXfs", NS)) > 1
    values = openpyxl.load_workbook(open_all_ways(write_package(once), tmp_path))
    assert values["Resultaten"]["A3"].value == "SROI ratio"


def test_calc_chain_is_dropped():
    user = fixture("rich_xlsxwriter.xlsx")
    parts = parts_of(user)
    parts["xl/calcChain.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain '
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<c r="D6" i="1"/></calcChain>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    out = parts_of(merge_result_sheets(write_package(parts), RENDERED))
    assert "xl/calcChain.xml" not in out
    assert b"calcChain" not in out["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in out["[Content_Types].xml"]


def test_macros_survive():
    user = fixture("rich_xlsxwriter.xlsx")
    parts = parts_of(user)
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 pretend macros"
    out = parts_of(merge_result_sheets(write_package(parts), RENDERED))
    assert out["xl/vbaProject.bin"] == parts["xl/vbaProject.bin"]


def test_comment_shape_ids_do_not_collide():
    parts = parts_of(merged("rich_xlsxwriter.xlsx"))
    assert 'data="1"' in text(parts, "xl/drawings/vmlDrawing1.vml")
    ours = text(parts, "xl/drawings/sroi_vmlDrawing1.vml")
    assert 'data="2"' in ours and "_x0000_s2049" in ours and "_x0000_s1025" not in ours


def test_hidden_result_sheets_stay_hidden(tmp_path):
    out = merged("rich_libreoffice.xlsx", render(hidden=("Details",)))
    values = openpyxl.load_workbook(open_all_ways(out, tmp_path))
    assert values["Details"].sheet_state == "hidden"
    assert values["Resultaten"].sheet_state == "visible"


EXCEL_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="x15 xr xr6 xr10 xr2" '
    'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" '
    'xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2">'
    '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27425"/>'
    '<workbookPr defaultThemeVersion="166925"/>'
    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\gebruiker\\" '
    'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice>'
    '</mc:AlternateContent>'
    '<xr:revisionPtr revIDLastSave="0" documentId="8_{6A9E3F1B-0000-4000-8000-000000000001}" '
    'xr6:coauthVersionLast="47" xr6:coauthVersionMax="47" '
    'xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/>'
    '<bookViews><workbookView xWindow="-120" yWindow="-120" windowWidth="29040" '
    'windowHeight="15840" activeTab="1" xr2:uid="{0A6C0E11-0000-4000-8000-000000000002}"/>'
    '</bookViews><sheets><sheet name="Invoer" sheetId="1" r:id="rId1"/>'
    '<sheet name="Lijsten" sheetId="2" r:id="rId2"/>'
    '<sheet name="Kosten &amp; Baten" sheetId="3" r:id="rId3"/>'
    '<sheet name="Verborgen" sheetId="4" state="hidden" r:id="rId4"/></sheets>'
    '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="2" hidden="1">'
    "'Kosten &amp; Baten'!$A$1:$B$3</definedName>"
    '<definedName name="Lokaal" localSheetId="0">Invoer!$A$3:$A$5</definedName>'
    '<definedName name="Tarief">Invoer!$B$8</definedName></definedNames>'
    '<calcPr calcId="191029"/><extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" '
    'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">'
    '<x15:workbookPr chartTrackingRefBase="1"/></ext></extLst></workbook>'
)


def test_excel_namespaces_and_ignorable_survive(tmp_path):
    user = replace_part(fixture("rich_xlsxwriter.xlsx"), "xl/workbook.xml",
                        EXCEL_WORKBOOK.encode("utf-8"))
    once = merge_result_sheets(user, RENDERED, recalculate=True)
    workbook = text(parts_of(once), "xl/workbook.xml")
    # Everything Excel wrote is still there, in place; ours only adds.
    assert only_insertions(EXCEL_WORKBOOK, workbook) == []
    head = EXCEL_WORKBOOK[:EXCEL_WORKBOOK.index("<bookViews>")]
    assert workbook.startswith(head)
    assert '<calcPr calcId="191029" fullCalcOnLoad="1"/>' in workbook
    assert merge_result_sheets(once, RENDERED, recalculate=True) == once
    values = openpyxl.load_workbook(open_all_ways(once, tmp_path))
    assert values.sheetnames == USER_SHEETS + RESULT_SHEETS
    assert values.active.title == "Lijsten"
    assert values.calculation.fullCalcOnLoad


def test_recalculate_adds_calc_properties_when_missing():
    user = edit_part(fixture("rich_xlsxwriter.xlsx"), "xl/workbook.xml",
                     '<calcPr calcId="124519" fullCalcOnLoad="1"/>', "")
    user = edit_part(user, "xl/workbook.xml", "<definedNames>", "<definedNamesX>")
    user = edit_part(user, "xl/workbook.xml", "</definedNames>", "</definedNamesX>")
    workbook = text(parts_of(user), "xl/workbook.xml")
    user = replace_part(user, "xl/workbook.xml", re.sub(
        "<definedNamesX>.*</definedNamesX>", "", workbook).encode())
    out = text(parts_of(merge_result_sheets(user, RENDERED, recalculate=True)),
               "xl/workbook.xml")
    assert re.search(r'</sheets><definedNames>.*</definedNames><calcPr fullCalcOnLoad="1"/>'
                     r"</workbook>", out)


def test_protected_structure_is_refused():
    user = edit_part(fixture("rich_xlsxwriter.xlsx"), "xl/workbook.xml",
                     "<bookViews>", '<workbookProtection lockStructure="1"/><bookViews>')
    with pytest.raises(WorkbookError, match="structure is protected"):
        merge_result_sheets(user, RENDERED)


def test_strict_open_xml_is_refused():
    user = edit_part(fixture("rich_xlsxwriter.xlsx"), "xl/workbook.xml",
                     "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                     "http://purl.oclc.org/ooxml/spreadsheetml/main")
    with pytest.raises(FileFormatError, match="strict Open XML is not supported"):
        merge_result_sheets(user, RENDERED)


@pytest.mark.parametrize("rendered", [RENDERED, Rendered(RENDERED)], ids=["bytes", "Rendered"])
def test_entities_in_a_user_part_are_refused(rendered):
    # Also when the rendered parts, made in this process, are not checked themselves.
    user = edit_part(fixture("rich_xlsxwriter.xlsx"), "xl/styles.xml",
                     "<styleSheet", '<!DOCTYPE x [<!ENTITY a "aaaa">]><styleSheet')
    with pytest.raises(UnsafeFileError, match="xl/styles.xml"):
        merge_result_sheets(user, rendered)


def test_rendered_bytes_are_checked_like_a_users_parts():
    # Bytes may come from anywhere; a Rendered is render_for_merge's own output.
    rendered = edit_part(RENDERED, "xl/styles.xml",
                         "<styleSheet", '<!DOCTYPE x [<!ENTITY a "aaaa">]><styleSheet')
    with pytest.raises(UnsafeFileError, match="xl/styles.xml"):
        merge_result_sheets(fixture("rich_xlsxwriter.xlsx"), rendered)
    assert merge_result_sheets(fixture("rich_xlsxwriter.xlsx"), Rendered(RENDERED)) == \
        merge_result_sheets(fixture("rich_xlsxwriter.xlsx"), RENDERED)


# --------------------------------------------------------------------------------------
# opc: hostile and wrong files
# --------------------------------------------------------------------------------------

MINIMAL = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def make_zip(entries: dict[str, bytes] | list[tuple[str, bytes]], **kwargs) -> bytes:
    buffer = io.BytesIO()
    items = entries.items() if isinstance(entries, dict) else entries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we want
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, **kwargs) as archive:
            for name, data in items:
                archive.writestr(name, data)
    return buffer.getvalue()


def patch_sizes(data: bytes, entry: bytes, size: int) -> bytes:
    """Make the zip declare ``size`` as the uncompressed size of ``entry``."""
    out = bytearray(data)
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        pos = out.find(signature)
        while pos >= 0:
            if out[pos + name_at:pos + name_at + len(entry)] == entry:
                out[pos + offset:pos + offset + 4] = struct.pack("<I", size)
            pos = out.find(signature, pos + 4)
    return bytes(out)


def test_read_package_keeps_zip_order():
    parts = read_package(make_zip({"b.xml": b"1", **MINIMAL, "a.xml": b"2"}), "x.xlsx")
    assert list(parts) == ["b.xml", "[Content_Types].xml", "xl/workbook.xml", "a.xml"]


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", FileFormatError, "empty"),
        (b"Naam;Waarde\nSROI;3,5\n", FileFormatError, "CSV or text file"),
        (bytes(range(256)) * 4, FileFormatError, "not a zip package"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), FileFormatError,
         "an old .xls file or a password-protected workbook; save it as .xlsx without a "
         "password"),
        (b"PK\x03\x04 broken", FileFormatError, "damaged"),
    ],
    ids=["empty", "csv", "binary", "ole2", "broken-zip"],
)
def test_not_a_workbook(data, error, message):
    with pytest.raises(error, match=re.escape(message)) as caught:
        read_package(data, "invoer.xlsx")
    assert "'invoer.xlsx'" in str(caught.value)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
          ("content.xml", b"<x/>")], "OpenDocument spreadsheet (.ods)"),
        ({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"}, ".xlsb"),
        ({"xl/workbook.xml": b"<workbook/>"}, "no [Content_Types].xml"),
        ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"},
         "no xl/workbook.xml"),
    ],
    ids=["ods", "xlsb", "no-content-types", "no-workbook"],
)
def test_other_zip_formats(entries, message):
    with pytest.raises(FileFormatError, match=re.escape(message)):
        read_package(make_zip(entries), "x.xlsx")


@pytest.mark.parametrize(
    "entry", ["../evil.xml", "xl/../../evil.xml", "/etc/passwd", "xl\\evil.xml", "C:/evil.xml"])
def test_path_escapes_are_refused(entry):
    with pytest.raises(UnsafeFileError, match="evil|passwd"):
        read_package(make_zip({**MINIMAL, entry: b"x"}), "x.xlsx")


def test_nul_in_entry_name_is_refused():
    data = make_zip({**MINIMAL, "xl/evilXname.xml": b"x"}).replace(b"evilXname", b"evil\x00name")
    with pytest.raises(UnsafeFileError, match="unsafe name"):
        read_package(data, "x.xlsx")


def test_duplicate_entries_are_refused():
    data = make_zip([*MINIMAL.items(), ("xl/workbook.xml", b"<other/>")])
    with pytest.raises(UnsafeFileError, match="twice"):
        read_package(data, "x.xlsx")


def test_too_many_entries_are_refused():
    entries = [*MINIMAL.items(), *((f"x/{i}", b"") for i in range(10_000))]
    with pytest.raises(UnsafeFileError, match="more than the 10000"):
        read_package(make_zip(entries, compresslevel=1), "x.xlsx")


def test_zip_bomb_by_ratio_is_refused():
    with pytest.raises(UnsafeFileError, match="zip bomb"):
        read_package(make_zip({**MINIMAL, "xl/bomb.xml": bytes(2 * 1024 * 1024)}), "x.xlsx")


def test_zip_bomb_by_declared_total_is_refused_before_unpacking():
    data = patch_sizes(make_zip({**MINIMAL, "xl/big.xml": b"small"}), b"xl/big.xml",
                       501 * 1024 * 1024)
    with pytest.raises(UnsafeFileError, match="more than 500 MB"):
        read_package(data, "x.xlsx")


def test_entry_larger_than_declared_is_refused():
    # The directory claims 10 bytes; the stream holds 100 kB.
    data = patch_sizes(make_zip({**MINIMAL, "xl/liar.xml": b"a" * 100_000}), b"xl/liar.xml", 10)
    with pytest.raises(FileFormatError, match="liar"):
        read_package(data, "x.xlsx")


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<x>&b;</x>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.org/x.dtd"><x/>',
    ],
    ids=["entity-expansion", "external-entity", "external-dtd"],
)
def test_parse_xml_refuses_dtds_and_entities(xml):
    with pytest.raises(UnsafeFileError, match="xl/styles.xml"):
        parse_xml(xml, "xl/styles.xml")


def test_parse_xml_reports_damage():
    with pytest.raises(FileFormatError, match="xl/workbook.xml is damaged"):
        parse_xml(b"<workbook><sheets></workbook>", "xl/workbook.xml")
    assert parse_xml(b"<a><b/></a>", "ok").find("b") is not None


def test_write_package_is_deterministic():
    parts = {"xl/workbook.xml": b"<workbook/>", "[Content_Types].xml": b"<Types/>",
             "a/b.xml": b"<b/>"}
    data = write_package(parts)
    assert data == write_package(dict(parts))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["[Content_Types].xml", "xl/workbook.xml", "a/b.xml"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    assert read_package(data) == {k: parts[k] for k in
                                  ["[Content_Types].xml", "xl/workbook.xml", "a/b.xml"]}


# --------------------------------------------------------------------------------------
# LibreOffice opens the result
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_libreoffice_prints_the_merged_workbook(name, tmp_path):
    soffice()
    path = open_all_ways(merged(name), tmp_path)
    pdf = convert(path, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return
    words = subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True,
                           text=True, timeout=60).stdout
    assert "SROI resultaat" in words and "SROI ratio" in words
    assert "Invoer van de analyse" in words


def test_fill_again_after_libreoffice_saved_it(tmp_path):
    soffice()
    path = open_all_ways(merged("rich_libreoffice.xlsx"), tmp_path)
    resaved = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out")
    data = resaved.read_bytes()
    assert owned_sheets(read_package(data)) == RESULT_SHEETS
    again = merge_result_sheets(data, render(ratio=5.0))
    values = openpyxl.load_workbook(open_all_ways(again, tmp_path), data_only=True)
    assert values.sheetnames == USER_SHEETS + RESULT_SHEETS
    assert values["Resultaten"]["B3"].value == 5.0
    assert values["Invoer"]["D6"].value == CACHED_TOTAL


# --------------------------------------------------------------------------------------
# Rows made while the merged workbook is written (packager.Rendered)
# --------------------------------------------------------------------------------------


def _late_book(rows, *, style_names=("money", "pct"), cells_in=None) -> Rendered:
    """A result sheet whose rows 2-4 are made as it is merged, in two number formats, as
    render makes a large table."""
    from sroi_excel import rowxml

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet("Resultaten")
    ws.write_string(0, 0, "Kop")
    if cells_in is not None:
        ws.write_number(cells_in, 5, 1)
    ws.write_formula(4, 0, "=SUM(A2:A4)", book.add_format({"bold": True}), 9.0)
    book.close()

    def formats(book):
        return {"money": book.add_format({"num_format": '#,##0.00 "EUR"'}),
                "pct": book.add_format({"num_format": "0.0%"})}

    block = rowxml.Block(1, 3, rows, style_names)
    return Rendered(buffer.getvalue(), {"Resultaten": [block.late()]},
                    rowxml.style_samples(formats, style_names))


def _money_and_percent(attr):
    from sroi_excel import rowxml

    for r in range(1, 4):
        yield rowxml.row_xml(r, f'<c r="A{r + 1}"{attr["money"]}><v>{r * 1.5!r}</v></c>'
                                f'<c r="B{r + 1}"{attr["pct"]}><f>A{r + 1}/10</f>'
                                f"<v>{r * 15 / 100!r}</v></c>")


def test_late_rows_go_between_the_rows_around_them_in_the_users_styles(tmp_path):
    user = fixture("rich_libreoffice.xlsx")  # its own styles come first: every index moves
    merged = merge_result_sheets(user, _late_book(_money_and_percent),
                                 name="rich_libreoffice.xlsx")
    sheet = text(parts_of(merged), "xl/worksheets/sroi_sheet1.xml")
    assert [int(n) for n in re.findall(r'<row r="([0-9]+)"', sheet)] == [1, 2, 3, 4, 5]
    path = tmp_path / "merged.xlsx"
    path.write_bytes(merged)
    ws = openpyxl.load_workbook(path)["Resultaten"]
    assert [[c.value for c in row] for row in ws["A1:B5"]] == [
        ["Kop", None], [1.5, "=A2/10"], [3, "=A3/10"], [4.5, "=A4/10"], ["=SUM(A2:A4)", None]]
    assert ws["A3"].number_format == '#,##0.00 "EUR"' and ws["B3"].number_format == "0.0%"
    assert ws["A5"].font.b and not ws["A3"].font.b
    values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Resultaten").to_python()
    assert [row[:2] for row in values[1:5]] == [[1.5, 0.15], [3.0, 0.3], [4.5, 0.45],
                                                [9.0, ""]]


def test_cells_written_where_late_rows_go_are_refused():
    with pytest.raises(ValueError, match="has cells in rows 2-4, which are made as it is"):
        merge_result_sheets(fixture("rich_libreoffice.xlsx"),
                            _late_book(_money_and_percent, cells_in=2))


def test_late_rows_may_use_only_the_styles_they_declare():
    with pytest.raises(ValueError, match="uses the style 'pct', which it did not declare"):
        merge_result_sheets(fixture("rich_libreoffice.xlsx"),
                            _late_book(_money_and_percent, style_names=("money",)))


def test_streamed_parts_zip_as_their_bytes():
    # Large enough that the later chunks are written from a thread.
    pieces = [b"<a>", (f"<r>{i:01000}</r>" for i in range(5000)), b"</a>"]
    expected = b"<a>" + "".join(f"<r>{i:01000}</r>" for i in range(5000)).encode() + b"</a>"
    data = write_package({"[Content_Types].xml": b"<Types/>", "big.xml": Streamed(pieces)})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("big.xml") == expected
        assert archive.getinfo("big.xml").compress_type == zipfile.ZIP_DEFLATED
        assert archive.getinfo("big.xml").date_time == (1980, 1, 1, 0, 0, 0)
    again = write_package({"[Content_Types].xml": b"<Types/>",
                           "big.xml": Streamed([b"<a>", (f"<r>{i:01000}</r>" for i in
                                                         range(5000)), b"</a>"])})
    assert again == data


def test_a_streamed_part_that_fails_stops_the_write():
    def rows():
        # More than FAST_COMPRESSION_BYTES: the later chunks are written from a thread.
        yield from ("<row>" + "x" * 1000 + "</row>" for _ in range(10_000))
        raise RuntimeError("the rows could not be made")

    with pytest.raises(RuntimeError, match="the rows could not be made"):
        write_package({"big.xml": Streamed([b"<a>", rows(), b"</a>"])})
