"""The bad-input corpus (tests/make_bad_workbooks.py) through `check` and `fill`.

For every broken workbook both commands must give a message that points at the sheet and cell
(or names the file), the documented exit code, no traceback, and leave the file byte-identical
with nothing next to it. The cases that must work (a moved column, blank rows, ...) must give
the same results as the untouched template.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from .conftest import digest, run
from .make_bad_workbooks import CASES, Case, template


@pytest.fixture(scope="module")
def base_ratio(tmp_path_factory) -> float:
    path = tmp_path_factory.mktemp("base") / "template.xlsx"
    path.write_bytes(template())
    result = run("check", path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["results"]["sroi_ratio"]


def test_the_corpus_is_large_enough():
    broken = [c for c in CASES if c.exit_code != 0]
    assert len(broken) >= 50
    assert len({c.name for c in CASES}) == len(CASES)


# openpyxl warns about the defined names of a sheet whose part was removed; that is the point.
@pytest.mark.filterwarnings("ignore:Defined names for sheet index")
@pytest.mark.parametrize("case", [c for c in CASES if c.exit_code != 0], ids=lambda c: c.name)
def test_broken_workbook_is_refused_clearly(case: Case, tmp_path: Path):
    built = case.build()
    path = tmp_path / "werkmap.xlsx"
    path.write_bytes(built.data)
    before = digest(path)
    where = built.where or path.name
    for command in ("check", "fill"):
        result = run(command, path)
        assert result.exit_code == case.exit_code, result.output
        assert where in result.output, result.output
        assert case.fragment.lower() in result.output.lower(), result.output
        if case.exit_code == 1 and command == "fill":
            assert result.output.rstrip().endswith("nothing was written"), result.output
    assert digest(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["werkmap.xlsx"]


@pytest.mark.parametrize("case", [c for c in CASES if c.exit_code == 0], ids=lambda c: c.name)
def test_workbook_that_must_work(case: Case, tmp_path: Path, base_ratio: float):
    built = case.build()
    path = tmp_path / "werkmap.xlsx"
    path.write_bytes(built.data)
    checked = run("check", path, "--json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.output)
    if case.fragment:
        assert case.fragment in json.dumps(report["warnings"], ensure_ascii=False)
    if case.same_ratio:
        assert report["results"]["sroi_ratio"] == pytest.approx(base_ratio, rel=1e-12)

    out = tmp_path / "gevuld.xlsx"
    filled = run("fill", path, "-o", out)
    assert filled.exit_code == 0, filled.output
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
    book = openpyxl.load_workbook(out, read_only=True)
    assert "Resultaten" in book.sheetnames
    book.close()
    assert "Resultaten" in CalamineWorkbook.from_path(str(out)).sheet_names
