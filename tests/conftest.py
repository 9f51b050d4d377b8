"""Shared fixtures: template workbooks edited cell by cell, as a user would."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

# openpyxl words a damaged part as ElementTree does only without lxml, which openxml-audit
# brings in: the tests that compare our messages with openpyxl's need one wording.
os.environ.setdefault("OPENPYXL_LXML", "False")

import openpyxl  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from sroi_excel.cli import main  # noqa: E402
from sroi_excel.template import build_template  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def edited_template(lang: str = "nl", edits: dict | None = None, delete_rows=()) -> bytes:
    """The template with some cells changed: {("Opbrengsten", "G2"): 1.5, ...}."""
    book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
    for (sheet, ref), value in (edits or {}).items():
        book[sheet][ref] = value
    for sheet, row in delete_rows:
        book[sheet].delete_rows(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def workbook(tmp_path):
    """Write a (possibly edited) template to a file and return its path."""

    def make(lang: str = "nl", edits: dict | None = None, name: str = "analyse.xlsx",
             **kwargs) -> Path:
        path = tmp_path / name
        path.write_bytes(edited_template(lang, edits, **kwargs))
        return path

    return make


def soffice() -> str | None:
    """The LibreOffice binary; skip (locally) or fail (CI) when it is missing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is required in CI; .ci/run installs it")
    pytest.skip("LibreOffice (soffice) is not installed; this test runs in CI")


def run(*args):
    """The CLI with these arguments; an uncaught exception or a traceback fails the test."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    # CliRunner turns an uncaught exception into exit code 1 too; only SystemExit is fine.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: uncaught {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
