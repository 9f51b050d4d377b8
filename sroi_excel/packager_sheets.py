"""Our side of the merge: the rendered workbook read, and its sheets copied into the user's
package under fresh part names, rewritten for it: style numbers mapped to the merged styles,
shared strings inlined, VML shape and table ids moved past the user's, and the large tables'
rows (:class:`LateRows`) made as the part is written."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import count

from sroi_excel.exceptions import WorkbookError
from sroi_excel.opc import CONTENT_TYPES, WORKBOOK, Streamed, parse_xml, read_package, rels_path
from sroi_excel.opc import resolve_target as target_of
from sroi_excel.packager_parts import ContentType
from sroi_excel.packager_styles import Styles
from sroi_excel.packager_xml import (
    CT_TABLE,
    NS_MAIN,
    NS_R,
    REL_SHARED_STRINGS,
    REL_STYLES,
    REL_THEME,
    REL_WORKSHEET,
    SHEET_RELS,
    Doc,
    Node,
    Rel,
    Sheet,
    UserParts,
    relationships,
)


@dataclass(frozen=True)
class LateRows:
    """Rows ``first``..``last`` (numbered as in the sheet, from 1) of a rendered sheet, made
    only while the merged workbook is zipped, when the final style numbers are known:
    ``make(style)`` yields them as XML text, ``style(name)`` being the number the style
    ``name`` of the :class:`StyleSamples` has in the merged workbook."""

    first: int
    last: int
    make: Callable[[Callable[[str], int]], Iterable[str]]


@dataclass(frozen=True)
class StyleSamples:
    """An xlsx package whose first sheet holds one blank cell per style in column A, with
    the style ``names[i]`` in row ``i + 1``: the styles :class:`LateRows` use."""

    package: bytes
    names: tuple[str, ...]


_SAMPLE = re.compile(r'<c r="A([0-9]+)"(?: s="([0-9]+)")?/>')
_SHARED_STRING = re.compile(r"<si>(.*?)</si>", re.S)  # what is inside each <si>


def sampled(styles: Styles, samples: StyleSamples) -> dict[str, int]:
    """The merged workbook's number of each style of the samples (merged into ``styles``)."""
    parts = read_package(samples.package, "the rendered styles")
    xf_map, _ = styles.merge(Doc("xl/styles.xml", parts["xl/styles.xml"], trusted=True))
    found = {}
    for row, xf in _SAMPLE.findall(parts["xl/worksheets/sheet1.xml"].decode("utf-8")):
        found[samples.names[int(row) - 1]] = xf_map[int(xf or 0)]
    if len(found) != len(samples.names):
        raise ValueError("the rendered styles lack a sample of some style")
    return found


# --------------------------------------------------------------------------------------------
# The rendered workbook
# --------------------------------------------------------------------------------------------


@dataclass
class Ours:
    """The rendered workbook's parts and what the merge reads of them. ``trusted``: made in
    this process, so not checked as a user's file would be."""

    parts: Mapping[str, bytes]
    trusted: bool
    wb: Doc
    sheets: list[Sheet]
    styles: Doc
    shared: list[str]  # the shared strings, as XML
    defaults: dict[str, str]  # content type by extension
    overrides: dict[str, str]  # content type by part
    defined: list[Node]  # the workbook's defined names

    @property
    def global_names(self) -> list[str]:
        return [n.get("name") or "" for n in self.defined if n.get("localSheetId") is None]

    def doc(self, part: str, data: bytes | None = None) -> Doc:
        """A part (or ``data`` made from it) as a located tree."""
        return Doc(part, self.parts[part] if data is None else data, trusted=self.trusted)

    def rels(self, source: str) -> list[Rel]:
        path = rels_path(source)
        return relationships(self.doc(path)) if path in self.parts else []


def read_ours(parts: Mapping[str, bytes], trusted: bool) -> Ours:
    """Read the rendered workbook; refuse what the merge cannot carry over."""
    wb = Doc(WORKBOOK, parts[WORKBOOK], trusted=trusted)
    rels = relationships(Doc(rels_path(WORKBOOK), parts[rels_path(WORKBOOK)], trusted=trusted))
    sheets = _our_sheets(wb, rels)
    allowed = {*SHEET_RELS, REL_STYLES, REL_THEME, REL_SHARED_STRINGS}
    for rel in rels:
        if rel.type not in allowed:
            raise ValueError(f"the rendered workbook uses a workbook-level part of type "
                             f"{rel.type!r}, which cannot be merged")
    by_type = {rel.type: target_of(WORKBOOK, rel.target) for rel in reversed(rels)}
    ct = Doc(CONTENT_TYPES, parts[CONTENT_TYPES], trusted=trusted)
    names = wb.root.kid("definedNames")
    return Ours(
        parts, trusted, wb, sheets,
        Doc("xl/styles.xml", parts[by_type[REL_STYLES]], trusted=trusted),
        _shared_strings(parts, by_type.get(REL_SHARED_STRINGS), trusted),
        {(n.get("Extension") or "").lower(): n.get("ContentType") or ""
         for n in ct.root.children if n.local == "Default"},
        {(n.get("PartName") or "").lstrip("/"): n.get("ContentType") or ""
         for n in ct.root.children if n.local == "Override"},
        names.kids("definedName") if names is not None else [])


def _our_sheets(wb: Doc, rels: list[Rel]) -> list[Sheet]:
    by_id = {rel.id: rel for rel in rels}
    found = []
    sheets = wb.root.kid("sheets")
    for node in sheets.kids("sheet") if sheets is not None else []:
        rel = by_id[node.get("id", NS_R) or ""]
        found.append(Sheet(node.get("name") or "", node.get("sheetId") or "", rel.id,
                           node.get("state"), target_of(WORKBOOK, rel.target), node, rel.type))
    if not found:
        raise ValueError("the rendered workbook has no sheets")
    return found


def _shared_strings(parts: Mapping[str, bytes], path: str | None, trusted: bool) -> list[str]:
    # Our sheets become inline strings so the user's sharedStrings part stays as is.
    if path is None:
        return []
    if trusted:
        # xlsxwriter's part: each string a plain <si>; a tree of them all only to list them
        # was ~4 ms at 50 outcomes.
        return _SHARED_STRING.findall(parts[path].decode("utf-8"))
    doc = Doc("xl/sharedStrings.xml", parts[path])
    if doc.root.prefix:
        raise ValueError("the rendered shared strings use a namespace prefix")
    return [doc.inner(si) for si in doc.root.kids("si")]


# --------------------------------------------------------------------------------------------
# What the copies must not collide with on the user's side
# --------------------------------------------------------------------------------------------


@dataclass
class UserSide:
    """The user's part names (casefolded), VML id blocks, tables and global names that stay."""

    taken: set[str]
    vml_max: int
    table_ids: set[int]
    table_names: set[str]
    global_names: set[str]


def user_side(user: UserParts, deleted: set[str], global_names: set[str]) -> UserSide:
    """What stays of the user's package once the parts ``deleted`` go."""
    parts = user.parts
    vml = [block for part in parts if part not in deleted and part.lower().endswith(".vml")
           for block in _vml_blocks(parts[part].decode("utf-8", "replace"))]
    ids: set[int] = set()
    names: set[str] = set()
    for node in user.doc(CONTENT_TYPES).root.children:
        if node.local != "Override" or node.get("ContentType") != CT_TABLE:
            continue
        part = user.find((node.get("PartName") or "").lstrip("/"))
        if not part or part in deleted:
            continue
        table = parse_xml(parts[part], part)
        if (table.get("id") or "").isdigit():
            ids.add(int(table.get("id") or 0))
        names |= {(table.get(a) or "").casefold() for a in ("name", "displayName")}
    return UserSide({p.casefold() for p in parts if p not in deleted}, max([0, *vml]), ids,
                    names, global_names)


def _vml_blocks(text: str) -> list[int]:
    blocks = [int(b) for m in re.finditer(r'<o:idmap\b[^>]*\bdata="([\d,\s]*)"', text)
              for b in re.split(r"[,\s]+", m.group(1)) if b]
    blocks += [int(m.group(1)) // 1024 for m in re.finditer(r"_x0000_s(\d+)", text)]
    return blocks or [0]


# --------------------------------------------------------------------------------------------
# The copies
# --------------------------------------------------------------------------------------------


class Copies:
    """Our sheets and the parts they use, copied into the user's package: ``copy()`` gives the
    new parts, the sheets' part names and the content types to declare."""

    def __init__(self, ours: Ours, user: UserSide, maps: tuple[list[int], list[int]],
                 late_rows: Mapping[str, Sequence[LateRows]], styles: Mapping[str, int],
                 selected: int | None) -> None:
        self.ours = ours
        self.user = user
        self.xf_map, self.dxf_map = maps
        self.late_rows = late_rows
        self.styles = styles  # the samples' style numbers, for the late rows
        self.selected = selected  # which of our sheets has the active tab, if any
        vml = [b for part in ours.parts if part.lower().endswith(".vml")
               for b in _vml_blocks(ours.parts[part].decode("utf-8"))]
        self.vml_offset = 0 if not vml or min(vml) > user.vml_max else user.vml_max - min(vml) + 1
        self.renamed: dict[str, str] = {}
        self.parts: dict[str, bytes | Streamed] = {}
        self.content_types: list[ContentType] = []

    def copy(self) -> tuple[dict[str, bytes | Streamed], list[str], list[ContentType]]:
        sheet_parts = []
        for position, sheet in enumerate(self.ours.sheets):
            order = self._used_by(sheet.part)
            sheet_parts.append(self.fresh(sheet.part))
            for part in order:
                new = self.renamed[part]
                if new in self.parts:
                    continue
                self.parts[new] = self._rewrite(part, sheet, position)
                self._add_content_type(part, new)
                our_rels = rels_path(part)
                if our_rels in self.ours.parts:
                    new_rels = rels_path(new)
                    self.parts[new_rels] = self._rewrite_rels(our_rels, part, new)
                    self._add_content_type(our_rels, new_rels)
        return self.parts, sheet_parts, self.content_types

    def fresh(self, part: str) -> str:
        """The user-side name of our part: ``sroi_`` and a number no user part has."""
        if part not in self.renamed:
            folder, base = posixpath.split(part)
            stem, ext = posixpath.splitext(base)
            stem = re.sub(r"\d+$", "", stem) or "part"
            for number in count(1):
                candidate = posixpath.join(folder, f"sroi_{stem}{number}{ext}")
                if candidate.casefold() not in self.user.taken:
                    self.user.taken.add(candidate.casefold())
                    self.renamed[part] = candidate
                    break
        return self.renamed[part]

    def _used_by(self, sheet: str) -> list[str]:
        """The sheet part and every part it reaches not copied yet, in the order reached."""
        order = [sheet]
        todo = [sheet]
        while todo:
            source = todo.pop(0)
            self.fresh(source)
            for rel in self.ours.rels(source):
                if rel.external:
                    continue
                target = target_of(source, rel.target)
                if target not in self.ours.parts:
                    raise ValueError(f"the rendered part {source} refers to a missing part "
                                     f"{target}")
                if target not in self.renamed and target not in order:
                    order.append(target)
                    todo.append(target)
        return order

    def _rewrite_rels(self, path: str, source: str, new_source: str) -> bytes:
        doc = self.ours.doc(path)
        for rel in relationships(doc):
            if rel.external:
                continue
            target = self.fresh(target_of(source, rel.target))
            relative = posixpath.relpath(target, posixpath.dirname(new_source) or ".")
            doc.set_attr(rel.node, rel.node.attr("Target").qname, relative)
        return doc.result()

    def _add_content_type(self, ours: str, new: str) -> None:
        ext = posixpath.splitext(ours)[1].lstrip(".").lower()
        if ours in self.ours.overrides:
            self.content_types.append((new, self.ours.overrides[ours], None))
        elif ext in self.ours.defaults:
            self.content_types.append((new, self.ours.defaults[ext], ext))
        else:
            raise ValueError(f"the rendered part {ours} has no content type")

    def _rewrite(self, part: str, sheet: Sheet, position: int) -> bytes | Streamed:
        data = self.ours.parts[part]
        if part == sheet.part:
            return self._rewrite_sheet(part, sheet.kind == REL_WORKSHEET,
                                       position == self.selected,
                                       self.late_rows.get(sheet.name, ()))
        if part.endswith(".vml") and self.vml_offset:
            return _rebase_vml(data, self.vml_offset)
        if self.ours.overrides.get(part) == CT_TABLE:
            return self._rewrite_table(part)
        return data

    def _rewrite_sheet(self, part: str, worksheet: bool, selected: bool,
                       late: Sequence[LateRows]) -> bytes | Streamed:
        # The cell data is restyled with one regex pass, and the tree walk sees only the rest
        # of the sheet. The large tables' rows are not in it at all: they are made with the
        # final style numbers as the part is zipped.
        data, body = _cut_cells(self.ours.parts[part], worksheet)
        if body:
            body = restyle_cells(body, self.xf_map, self.ours.shared, part)
        doc = self.ours.doc(part, data)
        first_view = True
        for node in doc.root.walk():
            if node.ns != NS_MAIN:
                continue
            if node.local == "sheetView":
                _select(doc, node, selected and first_view)
                first_view = False
            elif worksheet:
                self._restyle(doc, node, part)
        if doc.root.prefix and self.ours.shared:
            raise ValueError("the rendered sheets use a namespace prefix")
        result = doc.result()
        if not body and not late:
            return result
        return self._with_rows(result, body, late, part)

    def _restyle(self, doc: Doc, node: Node, part: str) -> None:
        """Map the style numbers of one element of a sheet outside its cell data."""
        def mapped(table: list[int], value: str | None, what: str) -> str:
            index = int(value or 0)
            if index >= len(table):
                raise ValueError(f"the rendered sheet {part} uses a missing {what} {index}")
            return str(table[index])

        if node.local == "c":
            self._restyle_cell(doc, node, mapped(self.xf_map, node.get("s"), "cell format"),
                               part)
        elif node.local == "row" and node.get("s") is not None:
            doc.set_attr(node, "s", mapped(self.xf_map, node.get("s"), "cell format"))
        elif node.local == "col" and node.get("style") is not None:
            doc.set_attr(node, "style", mapped(self.xf_map, node.get("style"), "cell format"))
        elif node.local == "cfRule" and node.get("dxfId") is not None:
            doc.set_attr(node, "dxfId", mapped(self.dxf_map, node.get("dxfId"),
                                               "differential format"))

    def _restyle_cell(self, doc: Doc, node: Node, new: str, part: str) -> None:
        if node.get("cm") is not None or node.get("vm") is not None:
            raise ValueError(f"the rendered sheet {part} uses cell metadata (dynamic arrays or "
                             "embedded images), which cannot be merged")
        if int(new) != int(node.get("s") or 0):
            doc.set_attr(node, "s", new)
        value = node.kid("v")
        if node.get("t") == "s" and value is not None:
            index = int(doc.node_text(value))
            doc.set_attr(node, "t", "inlineStr")
            doc.replace(value.start, value.end, f"<is>{self.ours.shared[index]}</is>")

    def _with_rows(self, result: bytes, body: str, late: Sequence[LateRows], part: str
                   ) -> bytes | Streamed:
        """The sheet with its cell data back, and the late rows in their places in it."""
        head, tail = result.split(b"<sheetData/>", 1)
        pieces: list[bytes | Iterable[str]] = [head + b"<sheetData>"]
        done = 0
        for rows, at in late_places(body, late, part):
            pieces += [body[done:at].encode("utf-8"), rows.make(self.styles.__getitem__)]
            done = at
        pieces.append(body[done:].encode("utf-8") + b"</sheetData>" + tail)
        if not late:
            return b"".join(pieces)  # type: ignore[arg-type]
        return Streamed(pieces)

    def _rewrite_table(self, part: str) -> bytes:
        doc = self.ours.doc(part)
        root = doc.root
        for attr in ("name", "displayName"):
            label = root.get(attr) or ""
            if label.casefold() in self.user.table_names | self.user.global_names:
                raise WorkbookError(f"the workbook already has a table or name called "
                                    f"'{label}'; rename it and run fill again")
        used = self.user.table_ids
        table_id = int(root.get("id") or 0)
        if table_id in used or table_id <= 0:
            table_id = max(used, default=0) + 1
            doc.set_attr(root, "id", str(table_id))
        used.add(table_id)
        for node in root.walk():
            for attr in list(node.attrs):
                if attr.qname.endswith("DxfId") and ":" not in attr.qname:
                    doc.set_attr(node, attr.qname, str(self.dxf_map[int(attr.value)]))
        return doc.result()


def _cut_cells(data: bytes, worksheet: bool) -> tuple[bytes, str]:
    """A worksheet without its cell data (an empty ``<sheetData/>``), and that data."""
    start, end = data.find(b"<sheetData>"), data.find(b"</sheetData>")
    if not worksheet or start == -1 or end == -1:
        return data, ""
    return data[:start] + b"<sheetData/>" + data[end + 12:], data[start + 11:end].decode("utf-8")


def _select(doc: Doc, view: Node, selected: bool) -> None:
    if selected:
        doc.set_attr(view, "tabSelected", "1")
    elif view.get("tabSelected") is not None:
        # Two selected tabs would open the workbook with sheets grouped.
        doc.del_attr(view, "tabSelected")


def _rebase_vml(data: bytes, offset: int) -> bytes:
    def idmap(match: re.Match[str]) -> str:
        blocks = ",".join(str(int(b) + offset) for b in match.group(2).split(",") if b)
        return f"{match.group(1)}{blocks}{match.group(3)}"

    text = re.sub(r'(<o:idmap\b[^>]*\bdata=")([\d,]*)(")', idmap, data.decode("utf-8"))
    text = re.sub(r"_x0000_s(\d+)", lambda m: f"_x0000_s{int(m.group(1)) + offset * 1024}",
                  text)
    return text.encode("utf-8")


_ROW_NUMBER = re.compile(r'<row r="([0-9]+)"')


def late_places(body: str, late: Sequence[LateRows], part: str) -> list[tuple[LateRows, int]]:
    """Where in a sheet's data each of its late rows go: before the first row numbered after
    them (text in the data is escaped, so ``<row`` is always a row)."""
    numbers = [(int(m.group(1)), m.start()) for m in _ROW_NUMBER.finditer(body)]
    found = []
    for rows in sorted(late, key=lambda rows: rows.first):
        if any(rows.first <= number <= rows.last for number, _ in numbers):
            raise ValueError(f"the rendered sheet {part} has cells in rows {rows.first}-"
                             f"{rows.last}, which are made as it is written")
        found.append((rows, next((at for number, at in numbers if number > rows.last),
                                 len(body))))
    return found


_SHARED_CELL = re.compile(r'<c\b([^>]*?) t="s"([^>]*)><v>([0-9]+)</v></c>')
_STYLED = re.compile(r'(<(?:c|row) [^>]*? s=")([0-9]+)"')
_UNSTYLED_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"(?! s=")')


def restyle_cells(body: str, xf_map: list[int], shared: list[str], part: str) -> str:
    """Map the style index of every cell and row of our sheet data; inline shared strings."""
    if ' cm="' in body or ' vm="' in body:
        raise ValueError(f"the rendered sheet {part} uses cell metadata (dynamic arrays or "
                         "embedded images), which cannot be merged")
    used = {int(i) for _, i in _STYLED.findall(body)}
    if used and max(used) >= len(xf_map):
        raise ValueError(f"the rendered sheet {part} uses a missing cell format {max(used)}")
    body = _STYLED.sub(lambda m: f'{m.group(1)}{xf_map[int(m.group(2))]}"', body)
    if xf_map and xf_map[0] != 0:
        # A cell without a style has the package's first one, which is not ours.
        body = _UNSTYLED_CELL.sub(lambda m: f'<c r="{m.group(1)}" s="{xf_map[0]}"', body)
    if shared:
        body = _SHARED_CELL.sub(
            lambda m: f'<c{m.group(1)} t="inlineStr"{m.group(2)}><is>{shared[int(m.group(3))]}'
                      "</is></c>", body)
    return body
