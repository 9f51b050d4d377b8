"""The README's pictures: fill the examples and a large analysis, print them to PDF with
LibreOffice and keep a few pages as PNG, cut below their content (`make docs`).

    python docs/make_pages.py            -> docs/*.png

Needs LibreOffice (soffice) and poppler (pdftotext, pdftoppm).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sroi_excel import api  # noqa: E402
from tests.large_analysis import large_analysis  # noqa: E402

DPI = 70
# (workbook, sheet, which of its printed pages, picture)
PAGES = [
    ("blended-care", "Resultaten", 1, "results-nl.png"),
    ("blended-care", "Resultaten", 2, "by-year-nl.png"),
    ("large-en", "Results", 1, "results-large-en.png"),
    ("large-en", "Calculation trail", 1, "trail-large-en.png"),
    ("youth-mentoring", "Sensitivity", 2, "sensitivity-en.png"),
]


def workbooks(folder: Path) -> dict[str, Path]:
    """The filled workbooks the pictures come from."""
    found = {}
    for name in sorted({name for name, *_ in PAGES}):
        path = folder / f"{name}.xlsx"
        if name == "large-en":
            path.write_bytes(large_analysis("en", "GBP"))
        else:
            shutil.copy(ROOT / "examples" / f"{name}.xlsx", path)
        api.fill(path, backup=False)
        found[name] = path
    return found


def pdfs(paths: list[Path], folder: Path) -> None:
    """Print every workbook to PDF in one LibreOffice start."""
    profile = (folder / "profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(folder), *map(str, paths)],
                   check=True, capture_output=True, timeout=600)


def pages_of(pdf: Path, sheet: str) -> list[int]:
    """The pages (from 1) that print ``sheet``: the page header names it at the right."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    found = []
    for number, page in enumerate(text.split("\f"), 1):
        first = next((line for line in page.splitlines() if line.strip()), "")
        if first.rstrip().endswith(sheet):
            found.append(number)
    return found


def content_bottom(pdf: Path, page: int) -> float:
    """The lowest text on a page above its footer, in points (chart labels count)."""
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                            "-"], check=True, capture_output=True, text=True).stdout
    bottoms = sorted(float(y) for y in re.findall(r'yMax="([\d.]+)"', boxes))
    footer = bottoms[-1]
    above = [y for y in bottoms if y < footer - 20]
    return (above[-1] if above else footer) + 18


def main() -> int:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01: stable pictures
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        filled = workbooks(folder)
        pdfs(list(filled.values()), folder)
        for name, sheet, nth, picture in PAGES:
            pdf = folder / f"{name}.pdf"
            page = pages_of(pdf, sheet)[nth - 1]
            height = round(content_bottom(pdf, page) * DPI / 72)
            stem = folder / "page"
            subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page),
                            "-H", str(height), "-singlefile", "-png", str(pdf), str(stem)],
                           check=True)
            shutil.copy(stem.with_suffix(".png"), ROOT / "docs" / picture)
            print(f"docs/{picture}: {name}, {sheet} page {nth}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
