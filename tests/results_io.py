"""Read result tables back from a saved workbook, and edit input cells as Excel would.

Tables are found by their header labels (schema.RESULT_COLUMNS), not by the renderer's
layout, so a test compares what a reader of the file sees with what the engine computed.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from sroi_excel.render_layout import RESULT_SHEETS, YEAR_KEY, column_header

CENT = 0.005


def grid(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def table(rows: list[list], keys: list[str], lang: str,
          first_year: int | None = None) -> list[dict]:
    """The table whose header row holds the labels of ``keys``, as dicts, total row excluded."""
    labels = [column_header(k, lang, first_year)[0] for k in keys]
    for r, row in enumerate(rows):
        texts = [str(v) for v in row]
        if all(label in texts for label in labels):
            cols = {k: texts.index(label) for k, label in zip(keys, labels, strict=True)}
            out = []
            for data in rows[r + 1:]:
                first = data[0] if data else ""
                if first in ("", None) or first in ("Totaal", "Total"):
                    break
                out.append({k: data[c] for k, c in cols.items()})
            return out
    raise AssertionError(f"no table with the headers {labels}")


def sheet_table(path: Path, key: str, keys: list[str], lang: str,
                first_year: int | None = None) -> list[dict]:
    return table(grid(path, RESULT_SHEETS[key](lang)), keys, lang, first_year)


def trail_frame(results):
    """The engine's compact trail as the sheet shows it: a column per year counted (blank
    where no year of occurrence counts; those cells are left out of comparisons)."""
    frame = results.tables["cohorts"].frame()
    for t in range(1, results.headline.last_year + 1):
        frame[f"{YEAR_KEY}{t}"] = [v[t] or None for v in frame["values"]]
    return frame.drop(columns=["values"])


def close(a, b, money: bool = True) -> bool:
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return a == b
    if isinstance(b, float) and math.isnan(b):
        return a in ("", None)
    return math.isclose(float(a), float(b), abs_tol=CENT if money else 1e-9, rel_tol=1e-9)


def compare_frame(found: list[dict], frame, keys: list[str], where: str) -> list[str]:
    """Differences between a table read back and the engine's DataFrame, to the cent."""
    problems = []
    if len(found) != len(frame):
        return [f"{where}: {len(found)} rows, the engine has {len(frame)}"]
    for i, (row, rec) in enumerate(zip(found, frame.to_dict("records"), strict=True)):
        for k in keys:
            want = rec[k]
            if want is None:
                continue
            if isinstance(want, float) and math.isnan(want):
                continue
            if isinstance(want, bool | str):
                continue
            if not close(row[k], want):
                problems.append(f"{where} row {i + 1} {k}: file {row[k]!r}, engine {want!r}")
    return problems


def headline(path: Path, lang: str) -> dict[str, object]:
    """Headline figures by key, read from the results sheet (label in A, figure in B)."""
    from sroi_excel.render_layout import HEADLINE

    rows = grid(path, RESULT_SHEETS["results"](lang))
    labels = {text(lang): key for key, text in HEADLINE.items()}
    found = {}
    for row in rows:
        if row and str(row[0]) in labels and labels[str(row[0])] not in found:
            found[labels[str(row[0])]] = row[1]
    return found


def sheet_parts(data: bytes) -> dict[str, str]:
    """Sheet name -> worksheet part, from workbook.xml and its relationships."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = {m.group(1): m.group(2) for m in re.finditer(
        r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    targets.update({m.group(2): m.group(1) for m in re.finditer(
        r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
        name = m.group(1).replace("&apos;", "'").replace("&amp;", "&")
        target = targets[m.group(2)]
        out[name] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
    return out


def edit_cell(data: bytes, sheet: str, ref: str, value: float) -> bytes:
    """The package with one cell of one sheet set to a number, by editing the sheet's XML text.

    Everything else stays byte for byte as it was, as when a user types a number in Excel
    (the cell's own formula, if any, is replaced by the number).
    """
    part = sheet_parts(data)[sheet]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts[part].decode()
    match = re.search(rf'<c r="{ref}"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)', xml, re.S)
    assert match, f"{sheet}!{ref} not found in {part}"
    attrs = re.sub(r'\s+t="[^"]*"', "", match.group("attrs"))
    cell = f'<c r="{ref}"{attrs}><v>{value!r}</v></c>'
    parts[part] = (xml[:match.start()] + cell + xml[match.end():]).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in parts.items():
            z.writestr(name, payload)
    return out.getvalue()
