"""The tool's own sheets across fills: what fill wrote there, and what the user did since.

fill replaces its result sheets wholesale, so anything a user typed into them would be lost
without a word. Each fill therefore records a digest of every result sheet's cells (custom
document property ``sroi-excel-cells``, one short digest per sheet in the order of
``sroi-excel-sheets``), and the next fill compares. The digest covers what a cell holds, not
how the file spells it: a value (strings as text wherever they are stored, numbers to the 15
significant digits LibreOffice writes), a formula's text (shared formulas spelt out), nothing
of styles or of the values cached for formulas. So a workbook that Excel, LibreOffice or
openpyxl saved again without edits is unchanged, and a note typed into an empty cell, a figure
typed over a formula or a cleared cell is a change.

When a sheet changed, the cells are named by comparing it with what this fill is about to
write. If that is what the last fill wrote (its digest is the recorded one: the inputs did not
change), every differing cell is a change of the user's. Otherwise figures may differ because
the inputs changed, so only cells the new results leave empty are named, which is where
notes go.

Also here: the result sheets keep the language of the earlier fills when the input sheets'
language changes, and sheets that carry a result sheet's name without the tool's mark are
named all at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from . import render
from .exceptions import Problem, ValidationError, WorkbookError
from .formulatext import SharedFormula
from .opc import read_package
from .packager import Rendered, owned_beside, owned_sheets, read_property
from .packager import sheet_names as workbook_sheet_names
from .packager_sheets import late_places
from .sheetxml import Workbook

PROPERTY = "sroi-excel-cells"
_SHOWN_PER_SHEET = 20
_KEEP = ("fill rewrites this sheet, so move it to a sheet of your own, or run fill with "
         "--force to replace it (the backup keeps it)")

Cells = dict[str, str]  # A1 reference -> what the cell holds, canonical


# --- language and names ----------------------------------------------------------------------


def result_language(parts: dict[str, bytes], inputs: str) -> tuple[str, Problem | None]:
    """The language to write the result sheets in: that of the result sheets already in the
    workbook, so their names (and the user's references to them) stay; else the inputs'. With
    a warning when the inputs are now in the other language."""
    present = {name.casefold() for name in workbook_sheet_names(parts)}
    ours = {name.casefold() for name in owned_sheets(parts)} & present
    names = {lang: {n.casefold() for n in render.sheet_names(lang)} for lang in ("nl", "en")}
    votes = {lang: len(ours & (names[lang] - names[other]))
             for lang, other in (("nl", "en"), ("en", "nl"))}
    kept = max(votes, key=votes.get) if votes["nl"] != votes["en"] else inputs
    if kept == inputs:
        return inputs, None
    word = {"nl": "Dutch", "en": "English"}
    first = render.sheet_names(kept)[0]
    return kept, Problem("", "", (
        f"the input sheets are now in {word[inputs]}, but the result sheets keep the "
        f"{word[kept]} names of the first fill ({first}, ...), so that references to them keep "
        f"working; for {word[inputs]} result sheets, delete the {word[kept]} ones and run fill "
        "again"), "warning")


def refuse_foreign(parts: dict[str, bytes], names: list[str]) -> None:
    """Refuse, naming them all, when sheets of the workbook have result sheets' ``names`` but
    not the tool's mark (a file saved anew by pandas, say, keeps no document properties)."""
    ours = {name.casefold() for name in owned_sheets(parts)}
    present = {name.casefold() for name in workbook_sheet_names(parts)}
    clash = [name for name in names
             if name.casefold() in present and name.casefold() not in ours]
    if not clash:
        return
    listed = ", ".join(f"'{name}'" for name in clash)
    one = len(clash) == 1
    it, they = ("it", "that sheet") if one else ("they", "these sheets")
    raise WorkbookError(
        f"the workbook already has {'a sheet' if one else 'sheets'} named {listed} that "
        f"sroi-excel did not make, and fill writes its results to sheets of "
        f"{'that name' if one else 'these names'}. If {it} {'holds' if one else 'hold'} the "
        "results of an earlier fill, the workbook lost sroi-excel's marks when another "
        f"program (pandas or openpyxl, say) saved it anew: delete {they} and run fill again; "
        f"if {it} {'is a sheet' if one else 'are sheets'} of your own, rename "
        f"{'it' if one else 'them'}")


# --- what changed since the last fill ----------------------------------------------------------


def checked(parts: dict[str, bytes], rendered: Rendered, *, force: bool = False,
            problems: list[Problem] | None = None) -> str:
    """Refuse with :class:`ValidationError` (one error per changed cell) when a result sheet
    was changed since the last fill, unless ``force``; return the record of the sheets about
    to be written, for :data:`PROPERTY`. ``problems``: the warnings so far, kept in the
    error."""
    new = _rendered_cells(rendered)
    record = "\n".join(_digest(cells) for cells in new.values())
    if force:
        return record
    changed = []
    recorded = _recorded(parts)
    book = _workbook(parts) if recorded else None
    present = {title.casefold(): title for title in book.sheetnames} if book else {}
    for name, stored in recorded.items():
        title = present.get(name.casefold())
        if title is None or name not in new:
            continue  # deleted by the user, or a sheet this fill does not write
        current = _cells(book, title)
        if _digest(current) != stored:
            changed += _changes(name, current, new[name], exact=_digest(new[name]) == stored)
    if changed:
        raise ValidationError([*(problems or []), *changed])
    return record


def record_beside(parts: dict[str, bytes], rendered: Rendered) -> str:
    """The record for :data:`PROPERTY` when ``rendered``'s sheets are merged beside the tool's
    others (``keep_owned``, as compare --into does): the digests recorded for those, then
    those of ``rendered``'s sheets, in the order the merge lists the sheets. Empty when the
    others have no record (an older fill's): the next fill then has nothing to compare."""
    recorded = _recorded(parts)
    new = _rendered_cells(rendered)
    kept = owned_beside(parts, new)
    if any(name not in recorded for name in kept):
        return ""
    return "\n".join([*(recorded[name] for name in kept),
                      *(_digest(cells) for cells in new.values())])


def _recorded(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> digest as the last fill recorded them (none for older fills)."""
    names = owned_sheets(parts)
    digests = (read_property(parts, PROPERTY) or "").split()
    if len(digests) != len(names):
        return {}
    return dict(zip(names, digests, strict=True))


def _changes(sheet: str, current: Cells, new: Cells, exact: bool) -> list[Problem]:
    found = []
    for ref in sorted(current.keys() | new.keys(), key=_position):
        now, then = current.get(ref), new.get(ref)
        if now == then:
            continue
        if now is None:
            if exact:
                found.append(Problem(sheet, ref, f"was cleared since the last fill (fill wrote "
                                     f"{_shown(then)} there); {_KEEP}"))
        elif then is None:
            found.append(Problem(sheet, ref, f"{_shown(now)} was typed here since the last "
                                 f"fill; {_KEEP}"))
        elif exact:
            found.append(Problem(sheet, ref, f"holds {_shown(now)} where fill wrote "
                                 f"{_shown(then)}; {_KEEP}"))
    if not found:  # only figures differ, and the inputs changed: cannot tell whose
        return [Problem(sheet, "", (
            "was changed since the last fill, and as the inputs changed too, the changed cells "
            "cannot be told from the new figures; copy what you added to a sheet of your own, "
            "or run fill with --force to replace the sheet (the backup keeps it)"))]
    if len(found) > _SHOWN_PER_SHEET:
        more = len(found) - _SHOWN_PER_SHEET
        found = found[:_SHOWN_PER_SHEET] + [Problem(sheet, "", (
            f"and {more} more changed cell(s) on this sheet; {_KEEP}"))]
    return found


def _reference(row: int, column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _position(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters):]), _column(letters.encode())


def _shown(canonical: str) -> str:
    kind, text = canonical[0], canonical[1:]
    if kind == "f":
        text = "=" + text
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'" if kind == "s" else text


# --- the cells of a sheet ----------------------------------------------------------------------


def _digest(cells: Cells) -> str:
    text = "\x1e".join(f"{ref}\x1f{held}" for ref, held in sorted(cells.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _rendered_cells(rendered: Rendered) -> dict[str, Cells]:
    """The cells of every sheet ``rendered`` holds, its late rows made here (style numbers do
    not matter to the cells)."""
    parts = dict(read_package(rendered.package, "the rendered result workbook"))
    book = Workbook(parts)
    for name, late in rendered.late_rows.items():
        path = book._paths[name]
        text = parts[path].decode("utf-8")
        for rows, at in reversed(late_places(text, late, path)):
            text = text[:at] + "".join(rows.make(lambda name: 0)) + text[at:]
        parts[path] = text.encode("utf-8")
    book = Workbook(parts)
    return {name: _cells(book, name) for name in book.sheetnames}


def _workbook(parts: dict[str, bytes]) -> Workbook | None:
    try:
        return Workbook(parts)
    except (ValueError, KeyError, OSError, TypeError):
        return None  # the reader reports a damaged workbook; nothing to compare here


def _cells(book: Workbook, name: str) -> Cells:
    xml = book.sheet_xml(name)
    found = _common_cells(xml, book.shared_strings)
    if found is None:
        found = _plain_cells(xml, book.shared_strings)
    if found is not None:
        return found
    found = {}  # a sheet spelt unusually: the reader's own parse, slower
    for r, values in book.rows(name):
        for c, value in enumerate(values, 1):
            if value is not None:
                held = _canonical(value)
                if held is not None:
                    found[_reference(r, c)] = held
    return found


# Cells as xlsxwriter, this tool's merge, Excel, LibreOffice and openpyxl write them, in one
# pattern: a value, a formula (LibreOffice adds aca), or an inline string.
_COMMON_CELL = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]+)"(?: s="[0-9]+")?(?: t="([a-zA-Z]+)")?'
    rb'(?:/>|>(<f(?: aca="[a-z]+")?>[^<]*</f>)?(?:<v>([^<]*)</v>|<v/>)?'
    rb'(?:<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)')


def _common_cells(xml: bytes, strings: list[str]) -> Cells | None:
    """The cells when every one has a common form (:data:`_COMMON_CELL`); else None."""
    if b"<!" in xml or b"<sheetData" not in xml:
        return None
    cells = _COMMON_CELL.findall(xml)
    if len(cells) != xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/"):
        return None  # some cell in another form
    found: Cells = {}
    for ref, kind, formula, value, inline in cells:
        if formula:
            held = _text("=" + _unescape(formula[formula.index(b">") + 1:-4]))
        elif not kind or kind == b"n":
            held = "n" + _number(float(value)) if value else None
        elif kind == b"s":
            held = _text(strings[int(value)]) if value else None
        elif kind == b"inlineStr":
            held = _text(_unescape(inline))
        elif kind == b"b":
            held = f"b{int(value)}" if value else None
        elif kind in (b"str", b"e"):
            held = _text(_unescape(value))
        else:
            return None  # ISO dates and the like: the general parse
        if held is not None:
            found[ref.decode()] = held
    return found


_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_CELL_ATTR = re.compile(rb"""\b([rt])\s*=\s*["']([^"']*)["']""")
_REF = re.compile(rb"([A-Z]{1,3})([0-9]+)$")
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_FORMULA_ATTR = re.compile(rb"""\b(t|si|ref)\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(rb"<v\b[^>]*>(.*?)</v>|<v\b[^>]*/>", re.S)
_TEXT = re.compile(rb"<t\b[^>]*>(.*?)</t>|<t\b[^>]*/>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)


def _plain_cells(xml: bytes, strings: list[str]) -> Cells | None:
    """The cells of a sheet in any of the forms Excel, LibreOffice and openpyxl write (shared
    formulas, rich text, attributes in any order), cell by cell; None for anything else."""
    if b"<sheetData" not in xml or b"<!" in xml:
        return None  # namespace prefixes, DTDs, CDATA: the general parse
    found: Cells = {}
    shared: dict[bytes, SharedFormula] = {}
    for m in _CELL.finditer(xml):
        attrs = dict(_CELL_ATTR.findall(m[1]))
        where = _REF.match(attrs.get(b"r", b""))
        if where is None:
            return None
        ref = where[0].decode()
        inner = m[2] or b""
        formula = _FORMULA.search(inner)
        if formula is not None:
            text = _unescape(formula[2] or b"")
            f = dict(_FORMULA_ATTR.findall(formula[1]))
            kind = f.get(b"t", b"normal")
            if kind == b"shared":
                group = f.get(b"si", b"")
                if group in shared:
                    text = shared[group].at(ref)[1:]
                elif text:
                    shared[group] = SharedFormula("=" + text, ref)
            elif kind != b"normal":  # array and data-table formulas
                found[ref] = "o" + formula[0].decode("utf-8", "replace")
                continue
            found[ref] = _text("=" + text)
            continue
        kind = attrs.get(b"t", b"n")
        if kind == b"inlineStr":
            body = _PHONETIC.sub(b"", inner)
            held = _text("".join(_unescape(t[1] or b"") for t in _TEXT.finditer(body)))
            if held is not None:
                found[ref] = held
            continue
        value = _VALUE.search(inner)
        if value is None or value[1] is None:
            continue
        text = _unescape(value[1])
        if kind == b"n":
            found[ref] = "n" + _number(float(text))
        elif kind == b"s":
            held = _text(strings[int(text)])
            if held is not None:
                found[ref] = held
        elif kind == b"b":
            found[ref] = f"b{int(text)}"
        elif kind == b"d":
            return None  # an ISO date: the general parse makes it a date
        elif text:
            found[ref] = _text(text)  # str, e (errors): the text
    return found


def _column(letters: bytes) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + letter - 64
    return column


def _unescape(raw: bytes) -> str:
    """Character data as an XML parser gives it: CR LF read as LF, references replaced."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html.unescape(text) if "&" in text else text


def _canonical(value: object) -> str | None:
    """A cell's content as every program that saves it keeps it; None for an empty cell."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is float or kind is int:
        return "n" + _number(float(value))
    if kind is bool:
        return f"b{value:d}"
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return f"d{value}"
    return f"o{getattr(value, 'text', value)!r}"  # array and data-table formulas


def _text(value: str) -> str | None:
    # The reader gives a formula as its text after "=", so a text that starts with "=" reads
    # the same: one form for both, whichever way the sheet is read.
    if value.startswith("="):  # Excel may add the prefixes of newer functions
        return "f" + value[1:].replace("_xlfn.", "").replace("_xlws.", "")
    return "s" + value if value else None


def _number(x: float) -> str:
    """``x`` as LibreOffice writes it: 15 significant digits, rounded half up from the shortest
    form that reads back as ``x`` (Excel writes up to 17, which read back as ``x`` itself)."""
    if x == 0 or not math.isfinite(x):
        return repr(x + 0.0)
    shortest = repr(x)
    digits = shortest.partition("e")[0].lstrip("-").replace(".", "").strip("0")
    if len(digits) != 16 or digits[-1] != "5":
        return f"{x:.15g}"  # the same as half up, but for exactly that case
    d = Decimal(shortest)
    return f"{float(d.quantize(Decimal(1).scaleb(d.adjusted() - 14), ROUND_HALF_UP)):.15g}"
