"""Build the "rich" test workbooks the packager must not damage.

``tests/data/rich_xlsxwriter.xlsx`` is made with xlsxwriter and holds the features a plain
openpyxl load-and-save would destroy; ``tests/data/rich_libreoffice.xlsx`` is the same workbook
saved by LibreOffice, because users' files come from real spreadsheet programs, not from
xlsxwriter. Run ``python tests/make_rich_workbook.py`` (LibreOffice's ``soffice`` on PATH) and
commit both files; the tests only read them.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import xlsxwriter

DATA = Path(__file__).resolve().parent / "data"
XLSXWRITER_FIXTURE = DATA / "rich_xlsxwriter.xlsx"
LIBREOFFICE_FIXTURE = DATA / "rich_libreoffice.xlsx"

# Cached values written with the formulas; the tests check they survive the merge.
CACHED_TOTAL = 1234.5
CACHED_TARIFF_TIMES_TWO = 50


def tiny_png(width: int = 4, height: int = 4) -> bytes:
    """A valid RGB PNG without needing PIL, so the fixture has a real image part."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xd0\x40\x20" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def build_xlsxwriter(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    bold = wb.add_format({"bold": True, "bg_color": "#DDEEFF", "border": 1})
    money = wb.add_format({"num_format": '"€" #,##0.00'})
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})

    invoer = wb.add_worksheet("Invoer")
    lijsten = wb.add_worksheet("Lijsten")
    kosten = wb.add_worksheet("Kosten & Baten")
    verborgen = wb.add_worksheet("Verborgen")
    verborgen.hide()

    invoer.merge_range("A1:D1", "Invoer van de analyse", title)
    invoer.write_row("A2", ["Activiteit", "Aantal", "Prijs", "Totaal", "Status"], bold)
    rows = [("Training", 10, 50.5), ("Coaching", 20, 30.0), ("Nazorg", 5, 42.0)]
    for i, (name, amount, price) in enumerate(rows, start=3):
        invoer.write(f"A{i}", name)
        invoer.write_number(f"B{i}", amount)
        invoer.write_number(f"C{i}", price, money)
        invoer.write_formula(f"D{i}", f"=B{i}*C{i}", money, amount * price)
    invoer.write("A6", "Totaal", bold)
    invoer.write_formula("D6", "=SUM(D3:D5)", money, CACHED_TOTAL)
    invoer.write("A8", "Tarief")
    invoer.write_number("B8", 25)
    invoer.write_formula("C8", "=Tarief*2", None, CACHED_TARIFF_TIMES_TWO)
    invoer.write("A9", "R&D <test> \"quoted\"")

    invoer.write_comment("A3", "Een opmerking van de gebruiker")
    # A list on another sheet is stored in an Excel 2010 extension (x14:dataValidations).
    invoer.data_validation("E3:E5", {"validate": "list", "source": "=Lijsten!$A$1:$A$3"})
    invoer.data_validation("F3:F5", {"validate": "list", "source": ["ja", "nee"]})
    invoer.conditional_format(
        "B3:B5",
        {"type": "icon_set", "icon_style": "3_traffic_lights"},
    )
    invoer.conditional_format("C3:C5", {"type": "data_bar", "data_bar_2010": True})
    invoer.conditional_format(
        "D3:D5",
        {"type": "cell", "criteria": ">", "value": 500, "format": wb.add_format({"italic": 1})},
    )
    invoer.add_sparkline("G3", {"range": "Invoer!B3:D3"})
    invoer.add_sparkline("G4", {"range": "Invoer!B4:D4", "type": "column"})
    invoer.insert_image("I2", "tiny.png", {"image_data": io.BytesIO(tiny_png())})
    invoer.insert_textbox("I10", "Tekstvak van de gebruiker", {"width": 200, "height": 60})
    invoer.print_area("A1:G9")
    invoer.freeze_panes(2, 0)

    for i, value in enumerate(["hoog", "midden", "laag"]):
        lijsten.write(i, 0, value)

    kosten.write_row("A1", ["Post", "Bedrag"], bold)
    kosten.write_row("A2", ["Huur", 1000])
    kosten.write_row("A3", ["Personeel", 2500])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"categories": "='Kosten & Baten'!$A$2:$A$3",
                      "values": "='Kosten & Baten'!$B$2:$B$3", "name": "Bedrag"})
    kosten.insert_chart("D2", chart)
    kosten.autofilter("A1:B3")

    verborgen.write("A1", "geheim")

    wb.define_name("Tarief", "=Invoer!$B$8")
    wb.define_name("Invoer!Lokaal", "=Invoer!$A$3:$A$5")
    wb.define_name("'Kosten & Baten'!Posten", "='Kosten & Baten'!$A$2:$A$3")
    wb.close()
    _move_validation_to_x14(path)


_X14_VALIDATION = (
    '<ext xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
    'uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"><x14:dataValidations count="1" '
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation '
    'type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1"><x14:formula1>'
    "<xm:f>Lijsten!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>E3:E5</xm:sqref>"
    "</x14:dataValidation></x14:dataValidations></ext>"
)


def _move_validation_to_x14(path: Path) -> None:
    """Store the cross-sheet list the way Excel 2010 and later do: in an x14 extension.

    xlsxwriter writes it as a plain validation; Excel itself keeps lists on other sheets in
    ``x14:dataValidations`` inside the sheet's extLst, which is what openpyxl drops.
    """
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    sheet = "xl/worksheets/sheet1.xml"
    plain = (
        '<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
        'sqref="E3:E5"><formula1>Lijsten!$A$1:$A$3</formula1></dataValidation>'
    )
    sparklines = '<ext xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" ' \
        'uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}">'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            if info.filename == sheet:
                text = data.decode("utf-8")
                for old, new in ((plain, ""),
                                 ('<dataValidations count="2">', '<dataValidations count="1">'),
                                 (sparklines, _X14_VALIDATION + sparklines)):
                    if text.count(old) != 1:
                        raise SystemExit(f"unexpected xlsxwriter output in {sheet}: {old!r}")
                    text = text.replace(old, new)
                data = text.encode("utf-8")
            archive.writestr(info, data)


def convert_with_libreoffice(source: Path, target: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to make the LibreOffice fixture")
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp, "profile").as_uri()
        outdir = Path(tmp, "out")
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(source)],
            check=True, capture_output=True, timeout=180,
        )
        shutil.copyfile(outdir / source.name, target)


def main() -> int:
    DATA.mkdir(parents=True, exist_ok=True)
    build_xlsxwriter(XLSXWRITER_FIXTURE)
    convert_with_libreoffice(XLSXWRITER_FIXTURE, LIBREOFFICE_FIXTURE)
    print(f"wrote {XLSXWRITER_FIXTURE} and {LIBREOFFICE_FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
