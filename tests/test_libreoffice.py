"""LibreOffice opens filled workbooks, recalculates every formula and agrees to the cent."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import api, render

from .lo import convert

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.xlsx"))


def numbers(path: Path, sheets: list[str]) -> dict[tuple[str, int, int], float]:
    book = CalamineWorkbook.from_path(str(path))
    found = {}
    for name in sheets:
        for r, row in enumerate(book.get_sheet_by_name(name).to_python()):
            for c, value in enumerate(row):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    found[(name, r, c)] = float(value)
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_libreoffice_recalculation_matches_engine(example, tmp_path):
    path = tmp_path / example.name
    shutil.copy(example, path)
    report = api.fill(path)
    sheets = render.sheet_names(report.results.model.language)
    ours = numbers(path, sheets)
    recalculated = convert(path, "xlsx", tmp_path / "lo", tmp_path)
    theirs = numbers(recalculated, sheets)
    assert ours, "no figures in the result sheets"
    missing = set(ours) - set(theirs)
    assert not missing, f"LibreOffice lost {sorted(missing)[:5]}"
    wrong = {k: (ours[k], theirs[k]) for k in ours
             if not math.isclose(ours[k], theirs[k], abs_tol=0.005, rel_tol=1e-9)}
    assert not wrong, f"LibreOffice computes other figures: {list(wrong.items())[:5]}"
    # The headline as the engine computed it, read back from the file LibreOffice saved.
    headline = report.results.headline
    values = set(theirs.values())
    assert any(math.isclose(v, headline.pv_value, abs_tol=0.005) for v in values)
    assert any(math.isclose(v, headline.ratio, abs_tol=1e-9) for v in values)


def test_filled_workbook_renders_to_pdf(tmp_path):
    path = tmp_path / "buurtcoach.xlsx"
    shutil.copy(ROOT / "examples" / "buurtcoach.xlsx", path)
    api.fill(path)
    pdf = convert(path, "pdf", tmp_path / "pdf", tmp_path)
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        import subprocess
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                              text=True).stdout
        assert "SROI-ratio" in text and "Rekenspoor" in text
        assert "€ 320,531.21" in text or "€ 320.531,21" in text
