"""What Excel checks when it opens a workbook and an XML schema cannot: a workbook with any of
these findings opens in Excel with "We found a problem with some content" and a repair.

* every formula (cells, defined names, data validations, conditional formats, chart series)
  quotes its sheet names as Excel reads them (``'Scenario''s'!A2``), and refers to sheets and
  names that exist; no ``#REF!`` left in a reference;
* defined names: unique per scope, a local name's sheet exists, print titles are local;
* style indexes in range: every cell, row and column style, every cell format's font, fill,
  border, number format and parent style, every conditional format's differential format;
  the ``count`` attributes of the style lists say how many there are;
* shared strings: every index in range, ``uniqueCount`` the number of strings, ``count`` the
  number of cells that use them;
* rows in ascending order, cells in ascending columns of their own row;
* sheet names Excel accepts (31 characters, none of ``[]:*?/\\``, no quote at either end);
* custom document properties: each name once, texts of at most 255 characters.

``findings(data)`` lists them, one line each, naming the part and the place.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
X14 = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}"
XM = "{http://schemas.microsoft.com/office/excel/2006/main}"

_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
_COLUMN = re.compile(r"\$?[A-Za-z]{1,3}")
_ROW = re.compile(r"\$?[0-9]+")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?")
_CELL_AT = re.compile(r"\$?[A-Za-z]{1,3}\$?[0-9]+")
_WORD = re.compile(r"[\w.\\?]+")  # names, functions, cells, TRUE, _xlfn.X, Sheet1
_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
           "#GETTING_DATA")
_BAD_SHEET_CHARS = set("[]:*?/\\")
_BUILTIN_FORMATS = set(range(0, 50))  # Excel's built-in number formats (0-49, some unused)


def findings(data: bytes) -> list[str]:
    """Everything Excel would repair in the package ``data``, one line each."""
    return list(_Checker(data).run())


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


class _Checker:
    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = set(self.zip.namelist())

    def xml(self, part: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(part))

    def rels(self, part: str) -> dict[str, str]:
        """Relationship id -> the target part (internal targets only)."""
        folder, base = posixpath.split(part)
        path = posixpath.join(folder, "_rels", base + ".rels")
        if path not in self.names:
            return {}
        found = {}
        for rel in self.xml(path):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target") or ""
            found[rel.get("Id") or ""] = (target.lstrip("/") if target.startswith("/")
                                          else posixpath.normpath(posixpath.join(folder, target)))
        return found

    def run(self) -> Iterator[str]:
        wb = self.xml("xl/workbook.xml")
        rels = self.rels("xl/workbook.xml")
        self.sheets = []  # (name, part)
        for sheet in wb.iter(f"{MAIN}sheet"):
            self.sheets.append((sheet.get("name") or "", rels.get(sheet.get(f"{REL}id") or "")))
        self.folded = {name.casefold() for name, _ in self.sheets}
        yield from self._sheet_names()
        self.global_names: set[str] = set()
        self.local_names: dict[int, set[str]] = {}
        defined = list(wb.iter(f"{MAIN}definedName"))
        for node in defined:
            local = node.get("localSheetId")
            key = (node.get("name") or "").casefold()
            if local is None:
                self.global_names.add(key)
            elif local.isdigit():
                self.local_names.setdefault(int(local), set()).add(key)
        yield from self._defined_names(defined)
        styles = self._styles()
        yield from styles
        strings = self._shared_strings(rels)
        used_strings = 0
        for index, (name, part) in enumerate(self.sheets):
            if not part or part not in self.names:
                yield f"xl/workbook.xml: the sheet '{name}' has no part"
                continue
            if "chartsheet" in part:
                continue
            found, used = self._worksheet(part, index, strings)
            used_strings += used
            yield from found
            yield from self._charts(part)
        if strings is not None:
            yield from self._string_counts(strings, used_strings)
        yield from self._properties()

    def _properties(self) -> Iterator[str]:
        """Custom document properties: unique names, texts of at most 255 characters."""
        part = "docProps/custom.xml"
        if part not in self.names:
            return
        seen = set()
        for node in self.xml(part):
            name = node.get("name") or ""
            if name.casefold() in seen:
                yield f"{part}: the property '{name}' is there twice"
            seen.add(name.casefold())
            for value in node:
                if len(value.text or "") > 255:
                    yield (f"{part}: the property '{name}' holds {len(value.text)} characters; "
                           "Excel takes at most 255")

    # -- sheet names and defined names ---------------------------------------------------------
    def _sheet_names(self) -> Iterator[str]:
        seen = set()
        for name, _ in self.sheets:
            if not name or len(name) > 31 or set(name) & _BAD_SHEET_CHARS or name[0] == "'" \
                    or name[-1] == "'":
                yield f"xl/workbook.xml: '{name}' is not a sheet name Excel accepts"
            if name.casefold() in seen:
                yield f"xl/workbook.xml: two sheets are named '{name}'"
            seen.add(name.casefold())

    def _defined_names(self, defined) -> Iterator[str]:
        seen = set()
        for node in defined:
            name, local, text = node.get("name") or "", node.get("localSheetId"), node.text or ""
            where = f"xl/workbook.xml: the defined name '{name}'"
            scope = (name.casefold(), local)
            if scope in seen:
                yield f"{where} is defined twice in one scope"
            seen.add(scope)
            if local is not None and (not local.isdigit() or int(local) >= len(self.sheets)):
                yield f"{where} belongs to sheet number {local}, which does not exist"
            if name.startswith("_xlnm.") and name[6:] in ("Print_Titles", "Print_Area",
                                                          "_FilterDatabase") and local is None:
                yield f"{where} must belong to a sheet"
            if not text.strip():
                yield f"{where} holds no formula"
            own = int(local) if local is not None and local.isdigit() else None
            for problem in self.formula(text, own):
                yield f"{where}: {problem}"

    # -- styles ----------------------------------------------------------------------------------
    def _styles(self) -> list[str]:
        self.xf_count = 1
        self.dxf_count = 0
        part = next((p for p in self.rels("xl/workbook.xml").values()
                     if p.endswith("styles.xml")), None)
        if part is None or part not in self.names:
            return ["xl/workbook.xml: no styles part"]
        root = self.xml(part)
        found = []
        sizes = {}
        for tag in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                    "cellStyles", "dxfs"):
            node = root.find(f"{MAIN}{tag}")
            kids = list(node) if node is not None else []
            sizes[tag] = len(kids)
            count = node.get("count") if node is not None else None
            if count is not None and int(count) != len(kids):
                found.append(f"{part}: {tag} says count=\"{count}\" but holds {len(kids)}")
        formats = _BUILTIN_FORMATS | {int(n.get("numFmtId") or -1)
                                      for n in root.iter(f"{MAIN}numFmt")}
        for tag, parent in (("cellStyleXfs", None), ("cellXfs", "cellStyleXfs")):
            node = root.find(f"{MAIN}{tag}")
            for i, xf in enumerate(list(node) if node is not None else []):
                for attr, table in (("fontId", "fonts"), ("fillId", "fills"),
                                    ("borderId", "borders")):
                    if int(xf.get(attr) or 0) >= sizes[table]:
                        found.append(f"{part}: {tag} {i} has {attr}={xf.get(attr)}, past the "
                                     f"{sizes[table]} {table}")
                if int(xf.get("numFmtId") or 0) not in formats:
                    found.append(f"{part}: {tag} {i} has numFmtId={xf.get('numFmtId')}, which "
                                 "is not defined")
                if parent and int(xf.get("xfId") or 0) >= sizes[parent]:
                    found.append(f"{part}: {tag} {i} has xfId={xf.get('xfId')}, past the "
                                 f"{sizes[parent]} cell styles")
        self.xf_count = max(sizes["cellXfs"], 1)
        self.dxf_count = sizes["dxfs"]
        return found

    # -- shared strings ----------------------------------------------------------------------
    def _shared_strings(self, rels: dict[str, str]) -> list | None:
        part = next((p for p in rels.values() if p.endswith("sharedStrings.xml")), None)
        if part is None or part not in self.names:
            return None
        root = self.xml(part)
        self.strings_part = part
        self.strings_root = root
        return list(root.findall(f"{MAIN}si"))

    def _string_counts(self, strings: list, used: int) -> Iterator[str]:
        root, part = self.strings_root, self.strings_part
        unique = root.get("uniqueCount")
        if unique is not None and int(unique) != len(strings):
            yield f"{part}: uniqueCount=\"{unique}\" but there are {len(strings)} strings"
        count = root.get("count")
        if count is not None and int(count) != used:
            yield f"{part}: count=\"{count}\" but {used} cells use a shared string"

    # -- worksheets ------------------------------------------------------------------------------
    def _worksheet(self, part: str, index: int, strings: list | None) -> tuple[list[str], int]:
        found: list[str] = []
        used = 0
        root = self.xml(part)
        where = f"{part} ({self.sheets[index][0]})"
        previous_row = 0
        def styled(what: str, style: str | None) -> None:
            if int(style or 0) >= self.xf_count:
                found.append(f"{where}: {what} uses the missing cell format {style}")

        for col in root.iter(f"{MAIN}col"):
            styled(f"columns {col.get('min')}-{col.get('max')}", col.get("style"))
        for row in root.iter(f"{MAIN}row"):
            number = int(row.get("r") or previous_row + 1)
            if number <= previous_row:
                found.append(f"{where}: row {number} comes after row {previous_row}")
            previous_row = number
            styled(f"row {number}", row.get("s"))
            previous_col = 0
            for cell in row.findall(f"{MAIN}c"):
                ref = cell.get("r")
                if ref is None:
                    previous_col += 1
                    continue
                match = _CELL.fullmatch(ref)
                if match is None or int(match.group(2)) != number:
                    found.append(f"{where}: the cell {ref} is in row {number}")
                    continue
                col = column_number(match.group(1))
                if col <= previous_col:
                    found.append(f"{where}: the cell {ref} comes after column {previous_col}")
                previous_col = col
                styled(f"the cell {ref}", cell.get("s"))
                kind = cell.get("t") or "n"
                value = cell.find(f"{MAIN}v")
                if kind == "s":
                    used += 1
                    if value is None or strings is None or not (
                            0 <= int(value.text or -1) < len(strings)):
                        found.append(f"{where}: the cell {ref} uses a shared string that does "
                                     "not exist")
                formula = cell.find(f"{MAIN}f")
                if formula is not None and formula.text:
                    if len(formula.text) > 8192:
                        found.append(f"{where}: the formula in {ref} is longer than 8,192 "
                                     "characters")
                    found += [f"{where}: {ref}: {p}" for p in self.formula(formula.text, index)]
        for tag in ("formula1", "formula2", "formula"):
            for node in root.iter(f"{MAIN}{tag}"):
                found += [f"{where}: {tag}: {p}" for p in self.formula(node.text or "", index)]
        for node in root.iter(f"{XM}f"):
            found += [f"{where}: x14 formula: {p}" for p in self.formula(node.text or "", index)]
        for rule in root.iter(f"{MAIN}cfRule"):
            if rule.get("dxfId") is not None and int(rule.get("dxfId") or 0) >= self.dxf_count:
                found.append(f"{where}: a conditional format uses the missing differential "
                             f"format {rule.get('dxfId')}")
        return found, used

    def _charts(self, sheet_part: str) -> Iterator[str]:
        for drawing in self.rels(sheet_part).values():
            if "/drawings/" not in drawing or not drawing.endswith(".xml"):
                continue
            for chart in self.rels(drawing).values():
                if "/charts/chart" not in chart or chart not in self.names:
                    continue
                for ref in self.xml(chart).iter(f"{CHART}f"):
                    for problem in self.formula(ref.text or "", None):
                        yield f"{chart}: series {ref.text!r}: {problem}"

    # -- formulas --------------------------------------------------------------------------------
    def formula(self, text: str, own: int | None) -> list[str]:
        """What is wrong with one formula's references (``own``: the index of its sheet)."""
        problems = []
        for kind, value, rest in _references(text):
            if kind == "error":
                problems.append(value)
            elif kind == "sheet":
                names = value.split(":")  # 'Jan:Dec'!A1 refers to the sheets between
                for name in names:
                    if name.casefold() not in self.folded:
                        problems.append(f"the sheet '{name}' does not exist")
                if _NAME_LIKE(rest) and len(names) == 1 and name.casefold() in self.folded:
                    index = [n.casefold() for n, _ in self.sheets].index(name.casefold())
                    if rest.casefold() not in self.local_names.get(index, set()):
                        problems.append(f"the name '{rest}' is not defined on '{name}'")
            elif kind == "unquoted":
                problems.append(f"the sheet name {value} must be quoted as "
                                f"'{value.replace(chr(39), chr(39) * 2)}'")
            elif kind == "name":
                key = value.casefold()
                local = self.local_names.get(own, set()) if own is not None else set()
                if key not in self.global_names and key not in local:
                    problems.append(f"the name '{value}' is not defined")
            elif kind == "book" and rest and rest.casefold() not in self.global_names:
                problems.append(f"the name '{rest}' is not defined")
        return problems


def _NAME_LIKE(text: str) -> bool:
    """Whether the reference after ``Sheet!`` is a name rather than cells."""
    if not text:
        return False
    parts = text.split(":")
    return not all(_CELL.fullmatch(p) or _COLUMN.fullmatch(p) or _ROW.fullmatch(p)
                   for p in parts)


def _references(text: str) -> Iterator[tuple[str, str, str]]:
    """The references of a formula: ("sheet", sheet name, what follows the !),
    ("unquoted", sheet name, ...) for a name that needs quotes, ("name", name, ""),
    ("book", "[0]", name) and ("error", message, "")."""
    i, n = 0, len(text)
    text = text.removeprefix("=")
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = i + 1
            while True:
                end = text.find('"', end)
                if end == -1:
                    yield "error", "a text is not closed with \"", ""
                    return
                if text[end + 1:end + 2] == '"':
                    end += 2
                    continue
                break
            i = end + 1
        elif ch == "'":
            end = i + 1
            name = []
            while True:
                close = text.find("'", end)
                if close == -1:
                    yield "error", f"the quote at {text[i:i + 20]!r} is not closed", ""
                    return
                name.append(text[end:close])
                if text[close + 1:close + 2] == "'":
                    name.append("'")
                    end = close + 2
                    continue
                break
            i = close + 1
            if text[i:i + 1] != "!":
                yield "error", (f"the quoted text '{''.join(name)}' is not followed by ! (a quote "
                                "inside a sheet name must be doubled)"), ""
                return  # the rest of the formula cannot be read
            rest = _WORD.match(text, i + 1)
            after = rest.group() if rest else ""
            yield "sheet", "".join(name), _range_after(text, i + 1)
            i = i + 1 + len(after)
        elif ch == "[":
            close = text.find("]", i)
            if close == -1:
                yield "error", "a [ is not closed", ""
                return
            i = close + 1
            if text[i:i + 1] == "!":
                rest = _WORD.match(text, i + 1)
                yield "book", text[:close + 1], rest.group() if rest else ""
                i += 1 + (len(rest.group()) if rest else 0)
        elif ch == "#":
            error = next((e for e in _ERRORS if text.upper().startswith(e, i)), None)
            if error == "#REF!":
                yield "error", "a reference was deleted (#REF!)", ""
            i += len(error) if error else 1
        elif ch == "{":
            close = text.find("}", i)
            inner = text[i + 1:close] if close != -1 else ""
            for found in _references(inner):  # strings inside array constants
                if found[0] == "error":
                    yield found
            i = close + 1 if close != -1 else n
        elif ch.isdigit() or (ch == "." and text[i + 1:i + 2].isdigit()):
            match = _NUMBER.match(text, i)
            word = _WORD.match(text, i)
            # 1:1 (a row), 2A is no number: a sheet named 2024 must be quoted
            if word and text[i + len(word.group()):i + len(word.group()) + 1] == "!":
                yield "unquoted", word.group(), ""
                i += len(word.group()) + 1
                continue
            i += len(match.group()) if match else 1
        elif (cell := _CELL_AT.match(text, i)) and not _WORD.match(text, cell.end()) \
                and text[cell.end():cell.end() + 1] not in ("(", "!"):
            i = cell.end()  # A1, $A$1, A$1
        elif ch.isalpha() or ch in "_\\":
            word = _WORD.match(text, i).group()
            following = text[i + len(word):i + len(word) + 1]
            if following == "!":
                rest = _range_after(text, i + len(word) + 1)
                if _needs_quotes(word):
                    yield "unquoted", word, rest
                else:
                    yield "sheet", word, rest
                i += len(word) + 1 + len(_WORD.match(text, i + len(word) + 1).group()
                                         if _WORD.match(text, i + len(word) + 1) else "")
                continue
            i += len(word)
            if following == "(":
                continue  # a function
            before = text[i - len(word) - 1:i - len(word)]
            if (_CELL.fullmatch(word) or word.upper() in ("TRUE", "FALSE")
                    or (":" in (before, following) and (_COLUMN.fullmatch(word)
                                                        or _ROW.fullmatch(word)))):
                continue
            yield "name", word, ""
        elif ch == "$":
            match = re.compile(r"\$?[A-Za-z]{1,3}\$?[0-9]*|\$[0-9]+").match(text, i)
            i += len(match.group()) if match else 1
        else:
            i += 1


def _needs_quotes(sheet: str) -> bool:
    """Whether Excel reads ``sheet`` only when quoted: anything but letters, digits, _ and .,
    a digit or . first, or a name that reads as a cell (AB12, R1C1, R, C)."""
    upper = sheet.upper()
    return bool(re.search(r"[^\w.]", sheet) or re.match(r"[\d.]", sheet)
                or re.fullmatch(r"[A-Z]{1,3}[0-9]+", upper)
                or re.match(r"R[0-9]*C?[0-9]*$|C[0-9]+", upper) or upper in ("R", "C", "RC"))


def _range_after(text: str, start: int) -> str:
    """The cells or name after ``Sheet!``: ``$A$1:$B$2``, ``A:A`` or a name."""
    match = re.compile(r"[\w.\\$]+(?::[\w.\\$]+)?").match(text, start)
    return match.group() if match else ""
