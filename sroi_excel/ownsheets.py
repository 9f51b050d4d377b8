"""The tool's own sheets across fills: what fill wrote there, and what the user did since.

fill replaces its result sheets wholesale, so anything a user typed into them would be lost
without a word. Each fill therefore records, per result sheet, a digest of its part's bytes as
written into the package and a digest of its cells (custom document property
``sroi-excel-cells``: a line ``CELLS PART`` per sheet, in the order of ``sroi-excel-sheets``),
and the next fill compares. The part digest is taken as the packager zips the part, as the
merge does not keep render's bytes (it renumbers styles, writes strings inline and makes the
large tables' rows only then); the property is zipped after the sheets for that reason.

* A sheet whose part still hashes to the recorded digest is untouched, and no cell is read.
  That is every sheet of a workbook only sroi-excel wrote since the last fill.
* Otherwise (an edit, or a save by another program: Excel, LibreOffice and openpyxl write every
  part anew) its cells are read and their digest compared. The cell digest covers what a cell
  holds, not how the file spells it: a value (strings as text wherever they are stored,
  numbers to the 15 significant digits LibreOffice writes), a formula's text (shared formulas
  spelt out), nothing of styles or of the values cached for formulas. So a workbook saved
  again without edits is unchanged, and a note typed into an empty cell, a figure typed over a
  formula or a cleared cell is a change.

When a sheet changed, the cells are named by comparing it with what this fill is about to
write. If that is what the last fill wrote (its cell digest is the recorded one: the inputs did
not change), every differing cell is a change of the user's. Otherwise figures may differ
because the inputs changed, so only cells the new results leave empty are named, which is
where notes go (and where the rows of a table that got shorter were).

Reading cells costs about 7 microseconds a cell with sheetxml's reader: 3.3 s for the 474,000
cells of the result sheets at 10,000 outcomes, more than the rest of the fill. So the cell
digest is carried over from the last record when a sheet's part is byte for byte what the last
fill wrote, and it is not recorded ("-") for a sheet holding a table of more than
``ROWS_RECORDED`` rows (By outcome and Trail, past 500 outcomes): such a sheet, once changed,
is compared with the new results for notes only, as after a change of the inputs.

Measured: ``python -m sroi_excel fill`` in place on a copy of ``bench/generate.py``'s workbook,
twice (the second fill finds the first one's sheets); processor seconds of the process and its
children, medians of 7 runs (3 at 10,000 outcomes), the three versions taking turns; 2-core VM
busy with other work (load 4-8), so wall times were 1.5-2 times these:

| outcomes | no check at all | every sheet's cells read each fill | as here |
| --- | --- | --- | --- |
| 50 | 0.53 / 0.54 s | 0.55 / 0.65 s | 0.59 / 0.55 s |
| 1,000 | 1.16 / 1.25 s | 1.71 / 1.79 s | 1.28 / 1.37 s |
| 10,000 | 5.86 / 6.70 s | 9.19 / 11.60 s | 5.65 / 5.77 s |

(first / second fill; "no check at all" ran the analysis and the largest table in second
processes from 1,000 outcomes, whose time counts here too). What remains, in one process: the
cell digests of a first fill, 0.07 s at 50 outcomes and 0.03-0.05 s at 1,000 (the long tables
not read); a second fill reads no cell, and its check and record take 0.01-0.02 s.

Also here: the result sheets keep the language of the earlier fills when the input sheets'
language changes, and sheets that carry a result sheet's name without the tool's mark are
named all at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import render
from .exceptions import Problem, ValidationError, WorkbookError
from .formulatext import column_letter, coordinate_to_tuple
from .opc import read_package
from .packager import Rendered, owned_beside, owned_sheets
from .packager import sheet_names as workbook_sheet_names
from .packager_parts import MAX_PROPERTY, numbered_key, read_list_property, stale_keys
from .packager_sheets import late_places
from .sheetxml import Workbook

PROPERTY = "sroi-excel-cells"  # then "sroi-excel-cells 2", ... (see _as_properties)
ROWS_RECORDED = 500  # a table longer than this leaves its sheet's cells unrecorded
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


@dataclass(frozen=True)
class _Recorded:
    """What the last fill recorded of one sheet; None where it recorded nothing."""

    cells: str | None
    part: str | None


def checked(parts: dict[str, bytes], rendered: Rendered, *, force: bool = False,
            problems: list[Problem] | None = None) -> dict[str, Made]:
    """Refuse with :class:`ValidationError` (one error per changed cell) when a result sheet
    was changed since the last fill, unless ``force``; ``problems``: the warnings so far, kept
    in the error. Returns what makes the record of the sheets written (the packager's
    ``written``), from the sha256 of each sheet's part as it was zipped (by sheet name)."""
    recorded = _recorded(parts)
    new = _NewSheets(rendered)
    if recorded and not force:
        changed = _changes_since(parts, recorded, new)
        if changed:
            raise ValidationError([*(problems or []), *changed])
    return _as_properties(parts, len(new.names), functools.partial(_record, recorded, new))


def record_beside(parts: dict[str, bytes], rendered: Rendered) -> dict[str, Made]:
    """What makes the record for :data:`PROPERTY` when ``rendered``'s sheets are merged beside
    the tool's others (``keep_owned``, as compare --into does): the lines recorded for those,
    then those of ``rendered``'s sheets, in the order the merge lists the sheets. Empty when the
    others have no record (an older fill's): the next fill then has nothing to compare."""
    recorded = _recorded(parts)
    new = _NewSheets(rendered)
    kept = owned_beside(parts, new.names)
    if any(name not in recorded for name in kept):
        return _as_properties(parts, 0, lambda written: "")

    def record(written: Mapping[str, str]) -> str:
        lines = [f"{recorded[name].cells or '-'} {recorded[name].part or ''}" for name in kept]
        return "\n".join([*lines, _record({}, new, written)])

    return _as_properties(parts, len(kept) + len(new.names), record)


Made = Callable[[Mapping[str, str]], str]  # a property's value, from the digests as zipped
# A record line is two 16-digit digests and a space; Excel takes 255 characters a property.
_LINES_PER_PROPERTY = MAX_PROPERTY // (16 + 1 + 16 + 1)


def _as_properties(parts: dict[str, bytes], lines: int, make: Made) -> dict[str, Made]:
    """The record of ``lines`` lines that ``make`` makes, as the properties :data:`PROPERTY`,
    ``PROPERTY 2``, ... of at most 255 characters (more is damage to Excel); those of an
    earlier, longer record emptied."""
    made: list[str] = []

    def chunk(number: int) -> Made:
        def value(written: Mapping[str, str]) -> str:
            if not made:
                made.extend(make(written).split("\n"))
            start = number * _LINES_PER_PROPERTY
            return "\n".join(made[start:start + _LINES_PER_PROPERTY])
        return value

    count = max(1, -(-lines // _LINES_PER_PROPERTY))
    out = {numbered_key(PROPERTY, n + 1): chunk(n) for n in range(count)}
    out.update(dict.fromkeys(stale_keys(parts, PROPERTY, count), lambda written: ""))
    return out


def _recorded(parts: dict[str, bytes]) -> dict[str, _Recorded]:
    """Sheet name -> what the last fill recorded (nothing for fills before the record)."""
    names = owned_sheets(parts)
    lines = read_list_property(parts, PROPERTY)
    if len(lines) != len(names):
        return {}
    found = {}
    for name, line in zip(names, lines, strict=True):
        cells, _, part = line.partition(" ")
        found[name] = _Recorded(cells if cells != "-" else None, part or None)
    return found


def _changes_since(parts: dict[str, bytes], recorded: dict[str, _Recorded],
                   new: _NewSheets) -> list[Problem]:
    try:
        book = Workbook(parts)
    except (ValueError, KeyError, OSError, TypeError):
        return []  # the reader reports a damaged workbook; nothing to compare here
    present = {title.casefold(): title for title in book.sheetnames}
    found = []
    for name, last in recorded.items():
        title = present.get(name.casefold())
        if title is None or (last.part is not None
                             and _part_digest(book.sheet_xml(title)) == last.part):
            continue  # deleted by the user, or untouched since the last fill
        if name not in new.names:
            continue  # a sheet this fill does not write
        current = _cells(book, title)
        if last.cells is None:
            found += _changes(name, current, new.cells(name), exact=False)
        elif _digest(current) != last.cells:
            found += _changes(name, current, new.cells(name),
                              exact=new.digest(name) == last.cells) or [_untold(name)]
    return found


def _record(recorded: dict[str, _Recorded], new: _NewSheets, written: Mapping[str, str]) -> str:
    lines = []
    for name, digest in written.items():
        part = digest[:16]
        last = recorded.get(name)
        if last is not None and last.part == part and last.cells is not None:
            cells = last.cells  # the same bytes as last time hold the same cells
        else:
            cells = new.digest(name) if new.small(name) else "-"
        lines.append(f"{cells} {part}")
    return "\n".join(lines)


def _changes(sheet: str, current: Cells, new: Cells, exact: bool) -> list[Problem]:
    found = []
    for ref in sorted(current.keys() | new.keys(), key=coordinate_to_tuple):
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
    if len(found) > _SHOWN_PER_SHEET:
        more = len(found) - _SHOWN_PER_SHEET
        found = found[:_SHOWN_PER_SHEET] + [Problem(sheet, "", (
            f"and {more} more changed cell(s) on this sheet; {_KEEP}"))]
    return found


def _untold(sheet: str) -> Problem:
    """Only figures differ, and the inputs changed: whose change it is cannot be told."""
    return Problem(sheet, "", (
        "was changed since the last fill, and as the inputs changed too, the changed cells "
        "cannot be told from the new figures; copy what you added to a sheet of your own, "
        "or run fill with --force to replace the sheet (the backup keeps it)"))


def _shown(canonical: str) -> str:
    kind, text = canonical[0], canonical[1:]
    if kind == "f":
        text = "=" + text
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'" if kind == "s" else text


# --- the cells of a sheet ----------------------------------------------------------------------


def _part_digest(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()[:16]


def _digest(cells: Cells) -> str:
    text = "\x1e".join(f"{ref}\x1f{held}" for ref, held in sorted(cells.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _cells(book: Workbook, name: str) -> Cells:
    found = {}
    for r, values in book.rows(name):
        for c, value in enumerate(values, 1):
            if value is not None:
                held = _canonical(value)
                if held is not None:
                    found[f"{column_letter(c)}{r}"] = held
    return found


class _NewSheets:
    """The sheets this fill is about to write, their cells read only when asked for.

    Their rows made while the package is zipped (``Rendered.late_rows``) are made here too,
    with render's own style numbers (which do not matter to the cells); those of tables longer
    than ``ROWS_RECORDED`` only for a sheet that must be compared.
    """

    def __init__(self, rendered: Rendered):
        self.rendered = rendered
        self._cells: dict[str, Cells] = {}

    @functools.cached_property
    def _short(self) -> Workbook:
        return self._book(lambda count: count <= ROWS_RECORDED)

    @functools.cached_property
    def _whole(self) -> Workbook:
        return self._book(lambda count: True)

    def _book(self, made: Callable[[int], bool]) -> Workbook:
        parts = dict(read_package(self.rendered.package, "the rendered result workbook"))
        book = Workbook(parts)
        for name, late in self.rendered.late_rows.items():
            chosen = [rows for rows in late if made(rows.last - rows.first + 1)]
            path = book.sheet_part(name)
            if chosen and path is not None:
                text = parts[path].decode("utf-8")
                for rows, at in reversed(late_places(text, chosen, path)):
                    text = text[:at] + "".join(rows.make(lambda style: 0)) + text[at:]
                parts[path] = text.encode("utf-8")
        return Workbook(parts)

    @property
    def names(self) -> list[str]:
        return self._short.sheetnames

    def small(self, name: str) -> bool:
        """Whether every table on the sheet has at most ``ROWS_RECORDED`` rows."""
        return all(rows.last - rows.first + 1 <= ROWS_RECORDED
                   for rows in self.rendered.late_rows.get(name, ()))

    def cells(self, name: str) -> Cells:
        if name not in self._cells:
            self._cells[name] = _cells(self._short if self.small(name) else self._whole, name)
        return self._cells[name]

    def digest(self, name: str) -> str:
        return _digest(self.cells(name))


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
