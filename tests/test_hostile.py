"""Hostile and foreign files: wrong formats, macros, XML entities, zip bombs, path escapes and
formula injection. Every refusal is exit 3 with a sentence naming the file, no traceback, and
the file byte-identical afterwards.
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sroi_excel import opc, packager

from .conftest import digest, run, soffice
from .lo import profile
from .make_bad_workbooks import Book, patched, sheet_part, template

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def refused(path: Path, fragment: str, code: int = 3) -> str:
    """Both commands refuse ``path`` with ``fragment`` in the message; nothing changes."""
    before = digest(path)
    siblings = sorted(p.name for p in path.parent.iterdir())
    for command in ("check", "fill"):
        result = run(command, path)
        assert result.exit_code == code, result.output
        assert fragment in result.output, result.output
        assert path.name in result.output, result.output
    assert digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == siblings
    return result.output


def zip_of(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, content in entries:
            z.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


def zip_with(extra: list[tuple[str, bytes]], base: bytes | None = None,
             method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The template with more entries, names taken as given (no normalising)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base or template())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for name, content in extra:
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            dst.writestr(info, content)
    return out.getvalue()


def set_central_sizes(data: bytes, name: str, *, size: int | None = None,
                      flags: int | None = None) -> bytes:
    """Rewrite the central directory record of ``name``: what a forger would do."""
    buf = bytearray(data)
    pos = 0
    encoded = name.encode()
    while (pos := buf.find(b"PK\x01\x02", pos)) != -1:
        name_len = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46:pos + 46 + name_len]) == encoded:
            if size is not None:
                struct.pack_into("<I", buf, pos + 24, size)
            if flags is not None:
                struct.pack_into("<H", buf, pos + 8, flags)
            return bytes(buf)
        pos += 4
    raise AssertionError(name)


# --- foreign files ---------------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

FOREIGN = [
    ("picture.xlsx", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
     "is not an .xlsx workbook (it is not a zip package)"),
    ("empty.xlsx", lambda: b"", "is empty"),
    ("archive.xlsx", lambda: zip_of([("readme.txt", b"hello")]),
     "is a zip file but not an .xlsx workbook"),
    ("letter.xlsx", lambda: zip_of([("[Content_Types].xml", b"<Types/>"),
                                    ("word/document.xml", b"<w:document/>")]),
     "is a zip file but not an .xlsx workbook (it has no xl/workbook.xml)"),
    ("old.xls", lambda: OLE2 + b"\0" * 4088, "save it as .xlsx"),
    ("locked.xlsx", lambda: OLE2 + b"\0" * 1000 + "EncryptedPackage".encode("utf-16-le"),
     "save it as .xlsx without a password"),
    ("binary.xlsb", lambda: zip_of([("[Content_Types].xml", b"<Types/>"),
                                    ("xl/workbook.bin", b"\x83\x01\x00")]),
     "is a binary Excel workbook (.xlsb); save it as 'Excel Workbook (.xlsx)'"),
    ("sheet.ods", lambda: zip_of([("mimetype", ODS_MIME), ("content.xml", b"<x/>")],
                                 zipfile.ZIP_STORED),
     "is an OpenDocument spreadsheet (.ods); save it as 'Excel 2007-365 (.xlsx)'"),
    ("export.csv", lambda: "\ufeffBelanghebbende;Bedrag\nGemeente;1.234,56\n".encode(),
     "is a CSV or text file, not an .xlsx workbook; open it in Excel and save it as"),
    ("unicode.txt", lambda: "Belanghebbende\tBedrag\nGemeente\t1234\n".encode("utf-16"),
     "is a CSV or text file, not an .xlsx workbook; open it in Excel and save it as"),
    ("web-export.xls", lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
     "save it as 'Excel Workbook (.xlsx)'"),
    ("zipcrypto.xlsx", lambda: set_central_sizes(template(), "xl/workbook.xml", flags=1),
     "is encrypted; save it as .xlsx without a password"),
]


@pytest.mark.parametrize("name,build,fragment", FOREIGN, ids=[f[0] for f in FOREIGN])
def test_foreign_file_is_refused_with_how_to_convert(tmp_path, name, build, fragment):
    path = tmp_path / name
    path.write_bytes(build())
    refused(path, fragment)


def test_json_mode_reports_a_foreign_file_as_json(tmp_path):
    import json

    path = tmp_path / "export.csv"
    path.write_bytes(b"a;b\n1;2\n")
    result = run("check", path, "--json")
    assert result.exit_code == 3
    data = json.loads(result.output)
    assert data["ok"] is False and "is a CSV or text file" in data["errors"][0]["message"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_not_a_regular_file_is_refused_without_reading(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    for path in (fifo, Path("/dev/zero")):
        if not path.exists():
            continue
        for command in ("check", "fill"):
            result = run(command, path)
            assert result.exit_code == 3
            assert result.output.strip() == (f"error: {path} is not a regular file; give the "
                                             "path of an .xlsx workbook")


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "film.xlsx"
    with open(path, "wb") as f:
        f.truncate(600 * 1024 * 1024)  # sparse: costs no disk space
    result = run("check", path)
    assert result.exit_code == 3
    assert "is larger than 512 MB, more than any workbook this tool reads" in result.output


def test_real_xls_and_ods_from_libreoffice(tmp_path):
    binary = soffice()
    source = tmp_path / "analyse.xlsx"
    source.write_bytes(template())
    # Two conversions at once, each with its own profile, to halve the wait.
    jobs = []
    for fmt in ("xls", "ods"):
        work = tmp_path / fmt
        work.mkdir()
        jobs.append(subprocess.Popen(
            [binary, f"-env:UserInstallation={profile(work)}", "--headless", "--norestore",
             "--convert-to", fmt, "--outdir", str(work / "out"), str(source)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for job in jobs:
        assert job.wait(timeout=180) == 0
    expected = {"xls": "is an old .xls file or a password-protected workbook; save it as .xlsx",
                "ods": "is an OpenDocument spreadsheet (.ods); save it as 'Excel 2007-365"}
    for fmt, fragment in expected.items():
        refused(tmp_path / fmt / "out" / f"analyse.{fmt}", fragment)


# --- macros ----------------------------------------------------------------------------------

MACRO_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def macro_workbook() -> tuple[bytes, bytes]:
    """The template turned into an .xlsm: a vbaProject part, its relation and content type."""
    vba = OLE2 + bytes(range(256)) * 64  # stands in for compiled VBA; only its bytes matter
    sheet_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

    def types(b: bytes) -> bytes:
        s = b.decode().replace(sheet_ct, MACRO_CT)
        return s.replace("</Types>", '<Default Extension="bin" '
                         'ContentType="application/vnd.ms-office.vbaProject"/></Types>').encode()

    def rels(b: bytes) -> bytes:
        return b.decode().replace("</Relationships>", f'<Relationship Id="rIdVba1" Type="{VBA_REL}"'
                                  ' Target="vbaProject.bin"/></Relationships>').encode()

    data = patched(template(), {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels})
    return zip_with([("xl/vbaProject.bin", vba)], data), vba


def test_macros_survive_fill_byte_for_byte(tmp_path):
    data, vba = macro_workbook()
    path = tmp_path / "analyse.xlsm"
    path.write_bytes(data)
    result = run("fill", path)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == vba
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    assert f'ContentType="{MACRO_CT}"' in types
    assert 'Extension="bin"' in types
    assert VBA_REL in rels and 'Target="vbaProject.bin"' in rels
    book = openpyxl.load_workbook(path, read_only=True, keep_vba=True)
    assert "Resultaten" in book.sheetnames
    book.close()
    assert "Resultaten" in CalamineWorkbook.from_path(str(path)).sheet_names
    # and a second fill still keeps them
    assert run("fill", path).exit_code == 0
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == vba


# --- XML entities ----------------------------------------------------------------------------

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;'
          '&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
         "xl/sharedStrings.xml", "xl/styles.xml", "docProps/core.xml", "docProps/app.xml",
         "xl/theme/theme1.xml", "xl/comments1.xml", "OUTCOMES"]


def with_doctype(part: str, dtd: str, encoding: str = "utf-8") -> bytes:
    data = template()
    if part == "OUTCOMES":
        part = sheet_part(data, Book(data).title("outcomes"))

    def inject(b: bytes) -> bytes:
        s = b.decode()
        s = s.split("?>", 1)[1] if s.startswith("<?xml") else s
        if "xxe" in dtd:  # use the entity, as an attacker would
            s = re.sub(r"(<t[^>]*>)", r"\1&xxe;", s, count=1)
        head = f'<?xml version="1.0" encoding="{encoding.upper()}" standalone="yes"?>'
        return (head + dtd + s).encode(encoding)

    return patched(data, {part: inject})


@pytest.mark.parametrize("dtd", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize("part", PARTS)
def test_xml_entities_are_refused(tmp_path, part, dtd):
    path = tmp_path / "werkmap.xlsx"
    path.write_bytes(with_doctype(part, dtd))
    output = refused(path, "declares a DTD or entities")
    assert "root:" not in output


def test_utf16_doctype_is_refused_too(tmp_path):
    path = tmp_path / "werkmap.xlsx"
    path.write_bytes(with_doctype("xl/theme/theme1.xml", LAUGHS, "utf-16-le"))
    refused(path, "declares a DTD or entities")


# --- zip bombs and path escapes ----------------------------------------------------------------


@pytest.fixture
def no_decompression(monkeypatch):
    """Zip members opened (clear it once the file is built): a bomb must be refused from the
    central directory alone."""
    opened: list[str] = []
    real = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return opened


def test_zip_bomb_by_ratio_is_refused_before_decompressing(tmp_path, no_decompression):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_with([("xl/media/image1.png", bytes(50 * 1024 * 1024))]))
    assert path.stat().st_size < 1024 * 1024
    no_decompression.clear()
    refused(path, "refusing it as a possible zip bomb")
    assert no_decompression == []


def test_zip_bomb_by_declared_total_is_refused_before_decompressing(tmp_path, no_decompression):
    # A stored (uncompressed) part that claims to be 600 MB: the ratio looks innocent.
    data = zip_with([("xl/media/big.bin", os.urandom(3 * 1024 * 1024 + 1))],
                    method=zipfile.ZIP_STORED)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(set_central_sizes(data, "xl/media/big.bin", size=600 * 1024 * 1024))
    no_decompression.clear()
    refused(path, "would unpack to more than 500 MB; refusing it as a possible zip bomb")
    assert no_decompression == []


def test_zip_with_too_many_entries_is_refused_before_decompressing(tmp_path, no_decompression):
    extra = [(f"xl/media/n{i}.txt", b"") for i in range(opc.MAX_ENTRIES + 1)]
    path = tmp_path / "many.xlsx"
    path.write_bytes(zip_with(extra))
    no_decompression.clear()
    refused(path, f"more than the {opc.MAX_ENTRIES} a workbook may have")
    assert no_decompression == []


def test_part_that_lies_about_its_size_is_stopped(tmp_path):
    data = zip_with([("xl/media/liar.bin", bytes(20 * 1024 * 1024))])
    path = tmp_path / "liar.xlsx"
    path.write_bytes(set_central_sizes(data, "xl/media/liar.bin", size=1000))
    output = refused(path, "liar.bin")
    assert "zip bomb" in output or "cannot be unpacked" in output


@pytest.mark.parametrize("entry,fragment", [
    ("../evil.xml", "points outside the package"),
    ("xl/../../evil.xml", "points outside the package"),
    ("/etc/evil.xml", "unsafe name"),
    ("xl\\..\\..\\evil.xml", "unsafe name"),
    ("C:/Windows/evil.xml", "unsafe name"),
    ("XL/Workbook.xml", "twice"),
])
def test_path_escapes_are_refused(tmp_path, entry, fragment):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "werkmap.xlsx"
    path.write_bytes(zip_with([(entry, b"<x/>")]))
    refused(path, fragment)
    assert not list(tmp_path.rglob("evil.xml"))


# --- formula injection -------------------------------------------------------------------------

PAYLOADS = {
    "stakeholder": '=HYPERLINK("http://example.invalid/?leak","klik")',
    "stakeholder2": "@Gemeente",
    "stakeholder3": "+31 Buurtteam",
    "outcome": "=1+1",
    "outcome2": "-Minder uitkeringen",
    "indicator": "@SUM(1)",
    "proxy_source": "=cmd|' /C calc'!A0",
    "input": "+Coach 0,5 fte",
    "name": "=HYPERLINK(\"http://example.invalid\",\"Analyse\")",
    "note": "-2+3",
}


# Pieces of the payloads that no formula of ours contains.
MARKERS = ("HYPERLINK", "cmd|", "example.invalid", "Buurtteam", "Gemeente", "uitkeringen",
           "Coach", "@")


def injection_workbook() -> bytes:
    book = Book(template())
    renames = {book.ws("stakeholders")["A2"].value: PAYLOADS["stakeholder"],
               book.ws("stakeholders")["A3"].value: PAYLOADS["stakeholder2"]}
    for ws in book.wb.worksheets:
        if ws is book.ws("assumptions"):
            # The assumption Deelnemers keeps its name: an assumption cannot be named like a
            # formula (Excel refuses such a name, and so does check).
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.value in renames:
                    c.value = renames[c.value]
                    c.data_type = "s"
    book.set("stakeholders", "name", PAYLOADS["stakeholder3"], row=3, as_text=True)
    book.set("outcomes", "outcome", PAYLOADS["outcome"], as_text=True)
    book.set("outcomes", "indicator", PAYLOADS["indicator"], as_text=True)
    # Typed as a formula, the way Excel stores what a user types: read as text all the same.
    book.set("outcomes", "proxy_source", PAYLOADS["proxy_source"])
    book.set("inputs", "description", PAYLOADS["input"], as_text=True)
    # A third outcome for the third stakeholder, so that name reaches the result tables.
    ws = book.ws("outcomes")
    for c in range(1, ws.max_column + 1):
        ws.cell(4, c).value = ws.cell(2, c).value
    book.set("outcomes", "stakeholder", PAYLOADS["stakeholder3"], row=3, as_text=True)
    book.set("outcomes", "outcome", PAYLOADS["outcome2"], row=3, as_text=True)
    for key in ("name", "note"):
        ws = book.ws("settings")
        ws[book.setting(key, PAYLOADS[key]).split("!")[1]].data_type = "s"
    return book.bytes()


def cell_texts(parts: dict[str, bytes], part: str) -> list[tuple[str, str | None, str, str]]:
    """(ref, type, text, formula) of every cell of a sheet part."""
    shared = []
    if "xl/sharedStrings.xml" in parts:
        root = ElementTree.fromstring(parts["xl/sharedStrings.xml"])
        shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
                  for si in root.findall("m:si", NS)]
    found = []
    for c in ElementTree.fromstring(parts[part]).iter(f"{{{NS['m']}}}c"):
        kind = c.get("t")
        f = c.find("m:f", NS)
        v = c.find("m:v", NS)
        if kind == "inlineStr":
            text = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
        elif kind == "s" and v is not None:
            text = shared[int(v.text)]
        else:
            text = v.text if v is not None and v.text else ""
        found.append((c.get("r"), kind, text, f.text or "" if f is not None else ""))
    return found


def test_user_text_is_never_written_as_a_formula(tmp_path):
    path = tmp_path / "injectie.xlsx"
    path.write_bytes(injection_workbook())
    result = run("fill", path)
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    parts = opc.read_package(data)
    sheets = packager.owned_sheets(parts)
    assert "Resultaten" in sheets and len(sheets) >= 5
    seen: set[str] = set()
    calamine = CalamineWorkbook.from_path(str(path))
    for sheet in sheets:
        values = {str(v) for row in calamine.get_sheet_by_name(sheet).to_python() for v in row}
        for ref, kind, text, formula in cell_texts(parts, sheet_part(data, sheet)):
            for marker in MARKERS:
                assert marker not in formula, f"{sheet}!{ref}: user text in {formula!r}"
            for key, payload in PAYLOADS.items():
                if payload in text:
                    seen.add(key)
                    assert kind in ("s", "inlineStr"), f"{sheet}!{ref} has type {kind}"
                    assert not formula, f"{sheet}!{ref} holds a formula {formula!r}"
            if text in PAYLOADS.values():
                assert text in values, f"{sheet}!{ref}: calamine does not read {text!r} back"
    # Every payload reached some result sheet, so the check above was not vacuous.
    assert seen >= {"stakeholder", "stakeholder2", "stakeholder3", "outcome", "outcome2",
                    "name"}, seen
