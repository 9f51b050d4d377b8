"""fill end to end: every reader sees every figure, refills are stable, user parts survive."""

from __future__ import annotations

import io
import math
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import api, render

from .lo import convert

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "buurtcoach.xlsx"


@pytest.fixture
def filled(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01: reproducible bytes
    path = tmp_path / "buurtcoach.xlsx"
    shutil.copy(EXAMPLE, path)
    report = api.fill(path)
    return path, report


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_every_reader_sees_every_figure(filled):
    path, report = filled
    sheets = render.sheet_names("nl")
    book = openpyxl.load_workbook(path, data_only=True)
    calamine = CalamineWorkbook.from_path(str(path))
    frames = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    formulas = openpyxl.load_workbook(path, data_only=False)
    for name in sheets:
        ws, wf = book[name], formulas[name]
        grid = calamine.get_sheet_by_name(name).to_python()
        frame = frames[name]
        n_formulas = 0
        for row in wf.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    n_formulas += 1
                    cached = ws[cell.coordinate].value
                    assert cached is not None, f"{name}!{cell.coordinate} has no cached value"
                    r, c = cell.row - 1, cell.column - 1
                    assert grid[r][c] == pytest.approx(cached), (name, cell.coordinate)
                    assert frame.iat[r, c] == pytest.approx(cached), (name, cell.coordinate)
        if name != sheets[0]:
            assert n_formulas > 0, f"{name} has no live formulas"
    # The headline figure, by hand: see README/test_engine for the arithmetic of the example.
    results = calamine.get_sheet_by_name(sheets[0]).to_python()
    values = [v for row in results for v in row if isinstance(v, float)]
    assert any(math.isclose(v, report.results.headline.ratio) for v in values)


def test_refill_is_byte_identical(filled):
    path, _ = filled
    first = path.read_bytes()
    api.fill(path)
    assert path.read_bytes() == first
    assert (path.parent / (path.name + ".bak")).read_bytes() == first


def test_refill_after_input_change_replaces_results(filled):
    path, _ = filled
    book = openpyxl.load_workbook(path)
    assert book.sheetnames.count("Resultaten") == 1
    before = parts(path)
    # Change an input by editing the cell's XML text, as Excel would leave the rest alone.
    sheet_part = "xl/worksheets/sheet4.xml"  # Aannames (4th sheet of the template)
    xml = before[sheet_part].decode()
    assert '<c r="B2"' in xml
    start = xml.index('<c r="B2"')
    end = xml.index("</c>", start) + 4
    cell = xml[start:end]
    new_cell = cell[:cell.index("<v>")] + "<v>50</v></c>"
    changed = dict(before)
    changed[sheet_part] = xml.replace(cell, new_cell).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in changed.items():
            z.writestr(name, data)
    path.write_bytes(buf.getvalue())
    assert api.check(path).stale is True
    report = api.fill(path)
    assert api.check(path).stale is False
    # 50 participants x 25% x 15,000 x 0.56 = 105,000 a year instead of 84,000
    trail = report.results.trail
    assert trail.loc[(trail["occurs_in"] == 1) & (trail["age"] == 0), "value"].iloc[0] == (
        pytest.approx(105000))
    after = openpyxl.load_workbook(path)
    assert [s for s in after.sheetnames if s in render.sheet_names("nl")] == (
        render.sheet_names("nl"))


def test_user_parts_survive_fill_of_libreoffice_saved_workbook(tmp_path):
    # A workbook as LibreOffice saves it (other namespaces, styles, its own extensions).
    saved = convert(EXAMPLE, "xlsx", tmp_path / "lo", tmp_path)
    before = parts(saved)
    api.fill(saved)
    after = parts(saved)
    edited = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
              "xl/styles.xml", "docProps/app.xml", "docProps/custom.xml", "_rels/.rels",
              "xl/calcChain.xml"}
    for name, data in before.items():
        if name not in edited:
            assert after.get(name) == data, f"{name} changed"
    # ... and a second fill leaves everything as the first one made it
    once = saved.read_bytes()
    api.fill(saved)
    assert parts(saved).keys() == parts_of(once).keys()


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_fill_unpacks_the_workbook_once(tmp_path, monkeypatch):
    from sroi_excel import opc, packager

    source = tmp_path / "ym.xlsx"
    shutil.copy(Path(__file__).parent.parent / "examples" / "youth-mentoring.xlsx", source)
    unpacked = []
    read_package = opc.read_package

    def counted(data, name="workbook"):
        unpacked.append(name)
        return read_package(data, name)

    monkeypatch.setattr(opc, "read_package", counted)  # the reader's
    monkeypatch.setattr(packager, "read_package", counted)  # the merge's
    api.fill(source, backup=False)
    assert unpacked.count("ym.xlsx") == 1  # the reader's parts serve the merge too
    assert "Calculation trail" in openpyxl.load_workbook(source).sheetnames
