"""Sheet names, defined names and cell values of an .xlsx package, as openpyxl read them, and
whether a cell shows a percentage.

The reader used openpyxl's read-only mode. Importing openpyxl (and the numpy it pulls in) cost
about 0.3 s and reading 10,000 outcome rows about 3 s, so this module reads the few parts the
reader needs itself. Values come out as openpyxl's ``iter_rows(values_only=True)`` gave them,
down to int versus float, dates and the text of shared formulas, because filled workbooks store
a fingerprint of them. A damaged part raises what openpyxl raised (the reader names the
exception), so messages stay the same.

Parts come from :func:`sroi_excel.opc.read_package`, which refuses zip bombs and any XML part
that declares a DTD or entities before anything here parses it.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError, XMLPullParser, fromstring
from xml.parsers import expat

from .formulatext import SharedFormula, coordinate_to_tuple, range_boundaries
from .opc import rels_path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_WORKBOOK_TYPES = ("application/vnd.ms-excel.template.macroEnabled.main+xml",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
                   "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
_RESERVED_GLOBAL = ("_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase")

_ROW, _V, _F, _IS = (f"{{{MAIN}}}{tag}" for tag in ("row", "v", "f", "is"))
_DIGITS = "0123456789"
_DIMENSION, _SHEET_DATA = f"{MAIN}}}dimension", f"{MAIN}}}sheetData"  # expat's spelling


class ArrayFormula:
    """A cell holding an array formula (Ctrl+Shift+Enter), which the reader refuses."""

    def __init__(self, ref: str | None, text: str):
        self.ref = ref
        self.text = text

    def __repr__(self) -> str:
        return f"ArrayFormula({self.ref!r}, {self.text!r})"


class DataTableFormula:
    """A cell of a what-if data table, which the reader refuses."""

    def __init__(self, ref: str, **attributes: str):
        self.ref = ref
        self.attributes = attributes

    def __repr__(self) -> str:
        return f"DataTableFormula({self.ref!r})"


def _local(tag: str) -> str:
    """A tag without its namespace: openpyxl matches most elements by local name only."""
    return tag.rsplit("}", 1)[-1]


def _integer(value: str | None) -> int:
    """An integer attribute; openpyxl raises TypeError for a missing or unreadable one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TypeError("expected <class 'int'>") from None


class Workbook:
    """The parts of a workbook the reader needs, checked on opening as openpyxl checked them.

    ``parts`` is what :func:`sroi_excel.opc.read_package` returned. Raises on a damaged
    package with the exception openpyxl's ``load_workbook`` would have raised.
    """

    def __init__(self, parts: dict[str, bytes]):
        self.parts = parts
        self.sheetnames: list[str] = []
        self.defined_names: dict[str, str | None] = {}  # global names -> their formula text
        self._paths: dict[str, str | None] = {}  # title -> worksheet part (None: chartsheet)
        self.shared_strings: list[str] = []
        self.date_styles: frozenset[int] = frozenset()
        self.timedelta_styles: frozenset[int] = frozenset()
        self.percent_styles: frozenset[int] = frozenset()
        self._cell_styles: dict[str, dict[str, int]] = {}  # title -> {"B5": style}, when asked
        self.epoch = _WINDOWS_EPOCH
        for action, step in (("read manifest", self._read_manifest),
                             ("read strings", self._read_strings),
                             ("read workbook", self._read_workbook),
                             ("read properties", self._read_properties),
                             ("read stylesheet", self._read_styles),
                             ("read worksheets", self._read_worksheets)):
            try:
                step()
            except ValueError as exc:  # openpyxl's wording, which the reader passes on
                raise ValueError(
                    f"Unable to read workbook: could not {action} from None.\nThis is most "
                    "probably because the workbook source files contain some invalid XML.\n"
                    "Please see the exception for more details.") from exc

    def _part(self, path: str) -> bytes:
        try:
            return self.parts[path]
        except KeyError:
            raise KeyError(f"There is no item named {path!r} in the archive") from None

    def _read_manifest(self) -> None:
        root = fromstring(self.parts["[Content_Types].xml"])
        self._overrides = [(el.get("PartName"), el.get("ContentType")) for el in root
                           if _local(el.tag) == "Override"]
        self._defaults = {el.get("ContentType") for el in root if _local(el.tag) == "Default"}

    def _find(self, content_type: str) -> str | None:
        return next((name for name, kind in self._overrides if kind == content_type), None)

    def _read_strings(self) -> None:
        name = self._find(_SHARED_STRINGS)
        if name is None:
            return
        root = fromstring(self._part(name[1:]))
        # openpyxl drops "x005F_" (Excel's escape for an underscore) from shared strings only.
        self.shared_strings = [_text_content(si).replace("x005F_", "")
                               for si in root.iter(f"{{{MAIN}}}si")]

    def _read_workbook(self) -> None:
        name = next((self._find(kind) for kind in _WORKBOOK_TYPES if self._find(kind)), None)
        if name is None:
            if not self._defaults & set(_WORKBOOK_TYPES):
                raise OSError("File contains no valid workbook part")
            name = "/xl/workbook.xml"
        self._workbook_path = name[1:]
        root = fromstring(self._part(self._workbook_path))
        self._sheets: list[tuple[str, str | None]] = []
        names: list[tuple[str | None, str | None, str | None]] = []
        flag = None
        for el in root:
            tag = _local(el.tag)
            if tag == "workbookPr":
                flag = el.get("date1904")
            elif tag == "sheets":
                self._sheets = [_child_sheet(sheet) for sheet in el]
            elif tag == "definedNames":
                names = [(dn.get("name"), dn.get("localSheetId"), dn.text or None)
                         for dn in el if _local(dn.tag) == "definedName"]
        if flag and flag not in ("false", "f", "0"):  # openpyxl's reading of a boolean
            self.epoch = _MAC_EPOCH
        for name, local, text in names:
            if name is None:
                raise TypeError("<class 'openpyxl.workbook.defined_name.DefinedName'>.name "
                                "should be <class 'str'> but value is <class 'NoneType'>")
            if local is not None:
                _integer(local)
            elif name not in _RESERVED_GLOBAL:
                self.defined_names[name] = text

    def _read_properties(self) -> None:
        for path in ("docProps/core.xml", "docProps/custom.xml"):  # openpyxl parses both
            if path in self.parts:
                fromstring(self.parts[path])

    def _read_styles(self) -> None:
        if "xl/styles.xml" in self.parts:
            root = fromstring(self.parts["xl/styles.xml"])
            self.date_styles, self.timedelta_styles, self.percent_styles = number_styles(root)

    def _read_worksheets(self) -> None:
        rels = None
        for title, rid in self._sheets:
            if not rid:
                continue  # openpyxl drops a sheet without a relationship, with a warning
            if rels is None:
                rels = _relationships(self, self._workbook_path)
            kind, target = rels[rid]
            if target not in self.parts:
                continue  # a sheet whose part is missing is left out, as openpyxl did
            sheet_rels = rels_path(target)
            if sheet_rels in self.parts:
                fromstring(self.parts[sheet_rels])
            if "chartsheet" in kind:
                fromstring(self.parts[target])
                target = None
            else:
                _check_dimension(self.parts[target])
            self._paths.setdefault(title, target)  # the first of two with one title, as openpyxl
            self.sheetnames.append(title)

    # -- per sheet ------------------------------------------------------------------------------
    def sheet_part(self, title: str) -> str | None:
        """The part of a worksheet (None for a chartsheet)."""
        return self._paths[title]

    def sheet_xml(self, title: str) -> bytes:
        """The XML of a worksheet (empty for a chartsheet)."""
        path = self._paths[title]
        return b"" if path is None else self.parts[path]

    def shows_percent(self, title: str, ref: str) -> bool:
        """Whether a cell's number format shows its value as a percentage ("100%", not "1").

        Asked for a few cells only (a rate of exactly 1), so the sheet's styles are read here
        rather than while its rows are.
        """
        if not self.percent_styles:
            return False
        if title not in self._cell_styles:
            styles: dict[str, int] = {}
            for m in _CELL_TAG.finditer(self.sheet_xml(title)):
                attributes = dict(_ATTRIBUTE.findall(m.group(1)))
                if b"r" in attributes and b"s" in attributes:
                    styles[attributes[b"r"].decode()] = int(attributes[b"s"])
            self._cell_styles[title] = styles
        return self._cell_styles[title].get(ref) in self.percent_styles

    def rows(self, title: str) -> Iterator[tuple[int, list]]:
        """(row number, values) of every row with cells, in order, as openpyxl's iter_rows.

        Rows are parsed as they are asked for, so a reader that stops early parses little.
        Raises on damaged XML once the rows before the damage have been given.
        """
        path = self._paths[title]
        if path is None:
            return
        counter = 1
        for r, values in _rows(self.parts[path], self):
            if r < counter:
                continue  # openpyxl skips a row numbered below the one before
            counter = r + 1
            if values:
                yield r, values


def _child_sheet(el: Element) -> tuple[str, str | None]:
    """(title, relationship id) of a <sheet>, refused where openpyxl refused it."""
    name = el.get("name")
    if name is None:
        raise TypeError("<class 'openpyxl.packaging.workbook.ChildSheet'>.name should be "
                        "<class 'str'> but value is <class 'NoneType'>")
    _integer(el.get("sheetId"))
    state = el.get("state", "visible")
    if state not in ("visible", "hidden", "veryHidden", "none"):
        raise ValueError("Value must be one of {'visible', 'hidden', 'veryHidden', None}")
    return name, el.get(_REL_ID)


def _relationships(book: Workbook, source: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of a part's relationships, targets resolved as openpyxl."""
    path = rels_path(source)
    root = fromstring(book._part(path))
    rels = []
    for n, el in enumerate(root, 1):
        kind, target = el.get("Type"), el.get("Target")
        plain = {key for key in el.attrib if not key.startswith("{")}
        if kind is None or target is None or plain - {"Id", "Type", "Target", "TargetMode"}:
            rels = []  # openpyxl ignores the whole list then, with a warning
            break
        rels.append((el.get("Id") or f"rId{n}", kind, target, el.get("TargetMode")))
    parent = posixpath.split(posixpath.dirname(path))[0]
    found = {}
    for rid, kind, target, mode in rels:
        if mode != "External":
            target = target[1:] if target.startswith("/") else posixpath.normpath(
                posixpath.join(parent, target))
        found[rid] = (kind, target)
    return found


class _Stop(Exception):
    """Raised from an expat handler to stop parsing where openpyxl stopped."""


def _check_dimension(data: bytes) -> None:
    """Parse the sheet up to its <dimension>, as openpyxl does on opening (same errors)."""
    parser = expat.ParserCreate(namespace_separator="}")
    refs: list[str | None] = []

    def start(name, attrs):
        if name == _DIMENSION:
            refs.append(attrs.get("ref"))

    def end(name):
        if name in (_DIMENSION, _SHEET_DATA):
            raise _Stop

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        raise ParseError(str(exc)) from None
    if refs:
        if refs[-1] is None:
            raise TypeError("<class 'openpyxl.worksheet.dimensions.SheetDimension'>.ref should "
                            "be <class 'str'> but value is <class 'NoneType'>")
        range_boundaries(refs[-1])


def _text_content(node: Element) -> str:
    """Plain text of a string item: its <t> and the <t> of each rich-text run, joined."""
    plain = None
    runs = []
    for el in node:
        tag = _local(el.tag)
        if tag == "t":
            plain = el.text
        elif tag == "r":
            text = None
            for part in el:
                if _local(part.tag) == "t":
                    text = part.text
            if text is not None:
                runs.append(text)
    return "".join(([] if plain is None else [plain]) + runs)


# -- number formats and dates ------------------------------------------------------------------

BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)', 6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)", 38: "#,##0_);[Red](#,##0)", 39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)", 41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
    42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)',
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
# Quoted text and [locale or colour] sections do not make a date; [h], [mm], [ss] do.
_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


def is_date_format(fmt: str | None) -> bool:
    """Whether a number format shows a date or time (openpyxl's test, first section only)."""
    if fmt is None:
        return False
    return _DATE_CODE.search(_STRIP.sub("", fmt.split(";")[0])) is not None


def is_timedelta_format(fmt: str | None) -> bool:
    """Whether a number format shows elapsed time, such as [h]:mm."""
    return fmt is not None and _TIMEDELTA.search(fmt.split(";")[0]) is not None


def is_percent_format(fmt: str | None) -> bool:
    """Whether a number format shows a percentage: a % outside quoted text and escapes."""
    return fmt is not None and "%" in re.sub(r'".*?"|\\.', "", fmt.split(";")[0])


def number_styles(root: Element) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """Indexes of the cell styles (cellXfs) that show dates, those showing elapsed time, and
    those showing percentages."""
    numfmts = cellxfs = None
    for el in root:
        tag = _local(el.tag)
        if tag == "numFmts":
            numfmts = el
        elif tag == "cellXfs":
            cellxfs = el
    custom: dict[int, str] = {}
    for el in numfmts if numfmts is not None else ():
        if _local(el.tag) == "numFmt":
            number = _integer(el.get("numFmtId"))
            code = el.get("formatCode")
            if code is None:
                raise TypeError("expected <class 'str'>")
            custom[number] = code
    dates, durations, percents = set(), set(), set()
    for index, xf in enumerate(el for el in (cellxfs if cellxfs is not None else ())
                               if _local(el.tag) == "xf"):
        number = _integer(xf.get("numFmtId", 0))
        fmt = custom[number] if number in custom else BUILTIN_FORMATS.get(number)
        if is_date_format(fmt):
            dates.add(index)
        if is_timedelta_format(fmt):
            durations.add(index)
        if is_percent_format(fmt):
            percents.add(index)
    return frozenset(dates), frozenset(durations), frozenset(percents)


_WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
_MAC_EPOCH = dt.datetime(1904, 1, 1)


def from_excel(value: float, epoch: dt.datetime = _WINDOWS_EPOCH,
               timedelta: bool = False) -> dt.datetime | dt.time | dt.timedelta:
    """An Excel serial number as a date, a time of day or a duration (openpyxl's rules)."""
    if timedelta:
        td = dt.timedelta(days=value)
        if td.microseconds:  # rounded to milliseconds
            td = dt.timedelta(seconds=td.total_seconds() // 1,
                              microseconds=round(td.microseconds, -3))
        return td
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == _WINDOWS_EPOCH:
        day += 1  # Excel's 29 February 1900, which never was
    return epoch + dt.timedelta(days=day) + diff


_ISO = re.compile(r"""
(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?
(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<microsecond>\.\d{1,3})?)?)?Z?""",
                  re.VERBOSE)
_ISO_DURATION = re.compile(
    r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")


def from_iso8601(text: str) -> dt.datetime | dt.date | dt.time | dt.timedelta | None:
    """A cell of type d (an ISO 8601 date, time or duration), as openpyxl reads it."""
    if not text:
        return None
    m = _ISO.match(text)
    if m and any(m.groups()):
        parts = m.groupdict(0)
        for key in ("year", "month", "day", "hour", "minute", "second"):
            if parts[key]:
                parts[key] = int(parts[key])
        if parts["microsecond"]:
            parts["microsecond"] = int(float(parts["microsecond"]) * 1_000_000)
        if not parts["date"]:
            return dt.time(parts["hour"], parts["minute"], parts["second"],
                           parts["microsecond"])
        if not parts["time"]:
            return dt.date(parts["year"], parts["month"], parts["day"])
        del parts["time"], parts["date"]
        return dt.datetime(**parts)
    m = _ISO_DURATION.match(text)
    if m and any(m.groups()):
        return dt.timedelta(**{k: float(v) if v else v for k, v in m.groupdict(0).items()})
    raise ValueError(f"Invalid datetime value {text}")


# -- cells ---------------------------------------------------------------------------------------


class _Sheet:
    """The state of parsing one sheet: counters and shared formulas, as openpyxl keeps them."""

    def __init__(self, book: Workbook):
        self.strings = book.shared_strings
        self.dates = book.date_styles
        self.durations = book.timedelta_styles
        self.epoch = book.epoch
        self.shared: dict[str | None, SharedFormula] = {}
        self.row = 0
        self.columns: dict[str, int] = {}  # column letters -> number, for the letters seen

    def row_number(self, r: str | None) -> int:
        """The number of a <row>: its r (openpyxl accepts "7.0"), else one past the last."""
        if r is None:
            self.row += 1
        else:
            try:
                self.row = int(r)
            except ValueError:
                number = float(r)
                if not number.is_integer():
                    raise ValueError(f"{r} is not a valid row number") from None
                self.row = int(number)
        return self.row

    def column(self, coordinate: str) -> int:
        """The column number of a cell reference ("B5" -> 2), as coordinate_to_tuple gives it."""
        letters = coordinate.rstrip(_DIGITS)
        # Letters seen before, followed by digits only: the reference is well formed.
        column = self.columns.get(letters) if len(letters) < len(coordinate) else None
        if column is None:
            column = coordinate_to_tuple(coordinate)[1]  # raises what openpyxl raised
            if letters.isalpha():
                self.columns[letters] = column
        return column

    def cell(self, c: Element, coordinate: str | None, style) -> object:
        """The value of a <c> element: its formula, else its value by type, else None."""
        f = c.find(_F)
        if f is not None:
            return self.formula(f, coordinate)
        kind = c.get("t", "n")
        if kind == "inlineStr":
            child = c.find(_IS)
            return None if child is None else _text_content(child)
        text = c.findtext(_V)
        if not text:
            return None
        if kind == "s":
            return self.strings[int(text)]
        return self.value(kind, text, style)

    def number(self, text: str, style) -> object:
        """A number cell: int unless written with a point or exponent; a date if styled so."""
        value = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        if style in self.dates:
            try:
                return from_excel(value, self.epoch, timedelta=style in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"  # openpyxl warns and reads the cell as this error
        return value

    def value(self, kind: str, text: str, style) -> object:
        """A cell's value from its type and the text of its <v>."""
        if kind == "n":
            return self.number(text, style)
        if kind == "s":
            return self.strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_iso8601(text)
        return text  # str, e (an error such as #REF!) and anything unknown: the text

    def formula(self, f: Element, coordinate: str | None) -> object:
        """A cell's formula as "=..." text; array and data-table formulas as their objects."""
        text = "=" if f.text is None else "=" + f.text
        kind = f.get("t")
        if kind == "array":
            return ArrayFormula(f.get("ref"), text)
        if kind == "shared":
            group = f.get("si")
            if group in self.shared:
                return self.shared[group].at(coordinate)
            if text != "=":
                self.shared[group] = SharedFormula(text, coordinate)
        elif kind == "dataTable":
            attributes = dict(f.attrib)
            return DataTableFormula(**attributes)
        return text


def _rows(data: bytes, book: Workbook) -> Iterator[tuple[int, list]]:
    """(row number, values) of every <row>, as openpyxl's WorkSheetParser reads it (same
    errors), parsed a piece at a time so that a reader that stops early parses little."""
    sheet = _Sheet(book)
    parser = XMLPullParser(events=("end",))
    view = memoryview(data)
    for start in range(0, max(len(data), 1), _PIECE):
        parser.feed(view[start:start + _PIECE])
        yield from _rows_of(parser, sheet)
    parser.close()
    yield from _rows_of(parser, sheet)


_PIECE = 1 << 16  # bytes of XML parsed at a time
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c\s([^>]*)>")  # a <c> element's attributes
_ATTRIBUTE = re.compile(rb"""\b(r|s)\s*=\s*["']([^"']*)["']""")


def _rows_of(parser: XMLPullParser, sheet: _Sheet) -> Iterator[tuple[int, list]]:
    """The rows among the elements the parser has finished (openpyxl's parse_row and
    parse_cell: every child of a row counts as a cell; the last cell sets the row's width)."""
    for _, el in parser.read_events():
        if el.tag != _ROW:
            continue
        r = sheet.row_number(el.get("r"))
        values: list = []
        column = 0
        for c in el:
            coordinate = c.get("r")
            style = c.get("s", 0)
            if style:
                style = int(style)
            column = sheet.column(coordinate) if coordinate else column + 1
            value = sheet.cell(c, coordinate, style)
            width = len(values)
            if column > width:
                if column > width + 1:
                    values.extend([None] * (column - 1 - width))
                values.append(value)
            else:
                values[column - 1] = value
        del values[column:]
        el.clear()
        yield r, values
