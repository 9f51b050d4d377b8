"""Merge rendered result sheets into the user's own workbook, leaving the user's parts intact.

Loading a workbook with openpyxl and saving it again destroys what openpyxl does not model:
text boxes, Excel 2010 extensions (cross-sheet validation lists, icon sets, sparklines) and
every formula's cached value. So the result sheets are rendered with xlsxwriter into a
separate package, and only those sheet parts are merged into the user's zip.

Every user part the merge does not need to change is copied byte for byte. The few it must
change (workbook.xml and its rels, [Content_Types].xml, styles.xml, docProps/custom.xml,
docProps/app.xml, _rels/.rels) are edited as text at located positions: parsing them with
ElementTree and writing them back would rename namespace prefixes and drop declarations that
``mc:Ignorable`` refers to, which Excel then refuses. The rendered parts are our own, so they
may be rewritten freely.
"""

from __future__ import annotations

import posixpath
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import unquote

from sroi_excel.exceptions import FileFormatError, WorkbookError
from sroi_excel.opc import (
    CONTENT_TYPES,
    WORKBOOK,
    Streamed,
    parse_xml,
    read_package,
    rels_path,
    resolve_target,
    write_package,
)

__all__ = [
    "RESULT_NAMES_PROPERTY",
    "RESULT_PROPERTY",
    "merge_result_sheets",
    "owned_sheets",
    "sheet_names",
]

RESULT_PROPERTY = "sroi-excel-sheets"
# Global defined names the result workbook added, so a second fill can replace them.
RESULT_NAMES_PROPERTY = "sroi-excel-names"

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
NS_XML = "http://www.w3.org/XML/1998/namespace"
_STRICT_PREFIX = "http://purl.oclc.org/ooxml/"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_CHARTSHEET = NS_R + "/chartsheet"
REL_STYLES = NS_R + "/styles"
REL_THEME = NS_R + "/theme"
REL_SHARED_STRINGS = NS_R + "/sharedStrings"
REL_CALC_CHAIN = NS_R + "/calcChain"
REL_CUSTOM_PROPERTIES = NS_R + "/custom-properties"
_SHEET_RELS = (REL_WORKSHEET, REL_CHARTSHEET)

CT_CUSTOM_PROPERTIES = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_STRICT_MESSAGE = (
    "strict Open XML is not supported; save '{name}' as 'Excel Workbook (.xlsx)'"
)


# --------------------------------------------------------------------------------------
# Public helpers
# --------------------------------------------------------------------------------------


def owned_sheets(parts: dict[str, bytes]) -> list[str]:
    """Names of the sheets sroi-excel added, as recorded in the custom document properties."""
    return _read_list_property(parts, RESULT_PROPERTY)


def sheet_names(parts: dict[str, bytes]) -> list[str]:
    """The workbook's sheet names in tab order."""
    root = parse_xml(parts[WORKBOOK], WORKBOOK)
    names = []
    for sheets in root:
        if _local(sheets.tag) == "sheets":
            names += [s.get("name", "") for s in sheets if _local(s.tag) == "sheet"]
    return names


@dataclass(frozen=True)
class LateRows:
    """Rows of a result sheet made only while the merged workbook is zipped, when the final
    style numbers are known: ``make(xf_map)`` yields ``count`` rows as XML text, with each of
    the rendered package's style indices ``i`` written as ``xf_map[i]``."""

    make: Callable[[Sequence[int]], Iterable[str]]
    count: int


@dataclass(frozen=True)
class Rendered:
    """Result sheets to merge: an xlsx package whose sheet data may hold markers
    (``<!--rows KEY-->``) for the rows ``late_rows[KEY]`` makes (see :class:`LateRows`)."""

    package: bytes
    late_rows: Mapping[str, LateRows] = field(default_factory=dict)


def merge_result_sheets(
    package: bytes,
    rendered: bytes | Rendered,
    *,
    properties: dict[str, str] | None = None,
    name: str = "workbook",
    recalculate: bool = False,
    parts: Mapping[str, bytes] | None = None,
    written: Mapping[str, Callable[[Mapping[str, str]], str]] | None = None,
) -> bytes:
    """Return ``package`` with its previous result sheets replaced by those of ``rendered``.

    ``rendered`` is an xlsxwriter workbook whose every sheet is a result sheet (or a
    :class:`Rendered` one, whose rows are made as the result is written). Sheets listed
    in the package's ``RESULT_PROPERTY`` are removed first; a user sheet with a result
    sheet's name is refused with :class:`WorkbookError`. ``properties`` are stored as custom
    document properties next to ``RESULT_PROPERTY``. ``recalculate`` asks Excel to recompute
    every formula on open (``fullCalcOnLoad``), for user formulas that refer to result sheets
    and so hold stale cached values; it is off because Excel then asks to save on close.
    ``parts``: ``package`` as :func:`opc.read_package` unpacked it already (the reader's), so
    that it is not unpacked again. ``written``: properties made once the result sheets are
    zipped, ``make(digests)`` given the sha256 (hex) of each result sheet's part as written, by
    sheet name; the custom properties part then comes last in the package.
    """
    extra = dict(properties or {})
    for reserved in (RESULT_PROPERTY, RESULT_NAMES_PROPERTY):
        if reserved in extra or reserved in (written or {}):
            raise ValueError(f"the custom property {reserved!r} is reserved for the merge")
    # A Rendered is render_for_merge's xlsxwriter output, made in this process: its parts need
    # not be proved safe. Bytes may come from anywhere and are checked like the user's parts.
    trusted = isinstance(rendered, Rendered)
    if isinstance(rendered, bytes):
        rendered = Rendered(rendered)
    user = parts if parts is not None else read_package(package, name)
    ours = read_package(rendered.package, "the rendered result workbook")
    merge = _Merge(user, ours, extra, name, recalculate, rendered.late_rows, trusted=trusted,
                   written=written)
    return write_package(merge.run(), merge.digests if written else None)


# --------------------------------------------------------------------------------------
# A located XML tree: every element knows where it sits in the text, so edits are splices.
# --------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*>"
    r"|</(?P<close>[^\s>]+)\s*>"
    r"|<(?P<open>[^\s/>!?]+)"
    r"(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<empty>/?)>",
    re.S,
)
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_SHARED_STRING = re.compile(r"<si>(.*?)</si>", re.S)  # what is inside each <si>
_ENCODING = re.compile(r"""^\ufeff?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")


def _unescape(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _NAMED[ref]

    return _REF.sub(one, raw) if "&" in raw else raw


def _esc_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def _esc_attr(value: str) -> str:
    return (
        _esc_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# _Attr and _Node are plain classes with slots, not dataclasses: every element and attribute
# of every part the merge reads is one (some 10,000 at 50 outcomes), and they are made faster.


class _Attr:
    """An attribute of a located element, with where it and its value sit."""

    __slots__ = ("qname", "value", "start", "vstart", "vend")

    def __init__(self, qname: str, value: str, start: int, vstart: int, vend: int):
        self.qname = qname
        self.value = value
        self.start = start  # where the attribute's name begins
        self.vstart = vstart  # first character inside the quotes
        self.vend = vend  # the closing quote


class _Node:
    """An element of a located tree: where its tags sit in the part's text. ``nsmap`` (the
    namespaces in scope) may be its parent's own dict: it is only read."""

    __slots__ = ("qname", "start", "parent", "nsmap", "attrs", "children", "attrs_end",
                 "stag_end", "inner_end", "end", "selfclosing")

    def __init__(self, qname: str, start: int, parent: _Node | None,
                 nsmap: dict[str | None, str]):
        self.qname = qname
        self.start = start
        self.parent = parent
        self.nsmap = nsmap
        self.attrs: list[_Attr] = []
        self.children: list[_Node] = []
        self.attrs_end = 0
        self.stag_end = 0
        self.inner_end = 0
        self.end = 0
        self.selfclosing = False

    @property
    def local(self) -> str:
        return self.qname.rpartition(":")[2]

    @property
    def prefix(self) -> str:
        return self.qname.rpartition(":")[0]

    @property
    def ns(self) -> str | None:
        return self.nsmap.get(self.prefix or None)

    def is_(self, local: str, ns: str = NS_MAIN) -> bool:
        return self.local == local and self.ns == ns

    def attr(self, local: str, ns: str | None = None) -> _Attr | None:
        for attr in self.attrs:
            prefix, _, name = attr.qname.rpartition(":")
            if name != local or attr.qname.startswith("xmlns"):
                continue
            if (ns is None and not prefix) or (ns is not None and prefix
                                               and self.nsmap.get(prefix) == ns):
                return attr
        return None

    def get(self, local: str, ns: str | None = None) -> str | None:
        attr = self.attr(local, ns)
        return None if attr is None else attr.value

    def kids(self, local: str, ns: str = NS_MAIN) -> list[_Node]:
        return [child for child in self.children if child.is_(local, ns)]

    def kid(self, local: str, ns: str = NS_MAIN) -> _Node | None:
        found = self.kids(local, ns)
        return found[0] if found else None

    def walk(self) -> Iterator[_Node]:
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def prefix_for(self, ns: str) -> str | None:
        """The prefix bound to ``ns`` here ("" for the default namespace), or None."""
        if self.nsmap.get(None) == ns:
            return ""
        for prefix, uri in self.nsmap.items():
            if prefix and uri == ns:
                return prefix
        return None


def _parse_tree(text: str) -> _Node:
    root: _Node | None = None
    stack: list[_Node] = []
    for match in _TOKEN.finditer(text):
        qname, close, attrs, empty = match.group("open", "close", "attrs", "empty")
        if qname is None:
            if close is not None:
                node = stack.pop()
                node.inner_end, node.end = match.span()
            continue
        parent = stack[-1] if stack else None
        start, stag_end = match.span()
        nsmap = parent.nsmap if parent else {"xml": NS_XML}
        node = _Node(qname, start, parent, nsmap)
        if attrs:
            base = match.start("attrs")
            for found in _ATTR.finditer(attrs):
                name, double = found.group(1, 2)
                group = 2 if double is not None else 3
                value = _unescape(found.group(group))
                node.attrs.append(_Attr(name, value, base + found.start(),
                                        base + found.start(group), base + found.end(group)))
                if name == "xmlns" or name.startswith("xmlns:"):
                    if node.nsmap is nsmap:  # a namespace of its own: a dict of its own
                        node.nsmap = dict(nsmap)
                    node.nsmap[None if name == "xmlns" else name[6:]] = value
        node.attrs_end = match.end("attrs")
        node.stag_end = stag_end
        if parent is None:
            root = node
        else:
            parent.children.append(node)
        if empty:
            node.selfclosing = True
            node.inner_end = node.end = stag_end
        else:
            stack.append(node)
    if root is None or stack:
        raise ValueError("not a complete XML document")
    return root


class _Doc:
    """One XML part: its located tree plus the splices to apply to its text. ``trusted``: a
    part this process made, which needs no safety check."""

    def __init__(self, part: str, data: bytes, trusted: bool = False):
        if not trusted:
            parse_xml(data, part)  # refuses DTDs and entities and proves the part well-formed
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                f"the part {part} is not UTF-8 encoded; save the workbook again in Excel"
            ) from exc
        declared = _ENCODING.match(text)
        if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise FileFormatError(
                f"the part {part} is encoded as {declared.group(1)}, not UTF-8; "
                "save the workbook again in Excel"
            )
        self.part = part
        self.data = data
        self.text = text
        self.root = _parse_tree(text)
        self._ops: list[tuple[int, int, int, str]] = []

    def node_text(self, node: _Node) -> str:
        return _unescape(self.text[node.stag_end:node.inner_end])

    def inner(self, node: _Node) -> str:
        return self.text[node.stag_end:node.inner_end]

    def raw(self, node: _Node) -> str:
        return self.text[node.start:node.end]

    def replace(self, start: int, end: int, new: str) -> None:
        self._ops.append((start, end, len(self._ops), new))

    def insert(self, pos: int, new: str) -> None:
        self.replace(pos, pos, new)

    def remove(self, node: _Node) -> None:
        self.replace(node.start, node.end, "")

    def set_attr(self, node: _Node, qname: str, value: str) -> None:
        for attr in node.attrs:
            if attr.qname == qname:
                if attr.value != value:
                    self.replace(attr.vstart, attr.vend, _esc_attr(value))
                return
        self.insert(node.attrs_end, f' {qname}="{_esc_attr(value)}"')

    def del_attr(self, node: _Node, qname: str) -> None:
        for attr in node.attrs:
            if attr.qname == qname:
                start = attr.start
                while start > 0 and self.text[start - 1].isspace():
                    start -= 1
                self.replace(start, attr.vend + 1, "")

    def start_tag(self, node: _Node, updates: dict[str, str]) -> str:
        """The node's start tag without its closing '>' or '/>', with attributes changed."""
        pieces: list[str] = []
        pos = node.start
        todo = dict(updates)
        for attr in node.attrs:
            if attr.qname in todo:
                pieces += [self.text[pos:attr.vstart], _esc_attr(todo.pop(attr.qname))]
                pos = attr.vend
        pieces.append(self.text[pos:node.attrs_end])
        pieces += [f' {key}="{_esc_attr(value)}"' for key, value in todo.items()]
        return "".join(pieces)

    def append_children(self, node: _Node, content: str, updates: dict[str, str]) -> None:
        """Add ``content`` at the end of ``node``, coping with a self-closing ``node``."""
        if node.selfclosing:
            self.replace(node.start, node.end,
                         f"{self.start_tag(node, updates)}>{content}</{node.qname}>")
            return
        for key, value in updates.items():
            self.set_attr(node, key, value)
        self.insert(node.inner_end, content)

    @property
    def changed(self) -> bool:
        return bool(self._ops)

    def result(self) -> bytes:
        if not self._ops:
            return self.data
        out: list[str] = []
        pos = 0
        for start, end, _, new in sorted(self._ops):
            if start < pos:
                raise AssertionError(f"overlapping edits in {self.part}")
            out += [self.text[pos:start], new]
            pos = end
        out.append(self.text[pos:])
        return "".join(out).encode("utf-8")


# --------------------------------------------------------------------------------------
# Relationships, content types, style fragments
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Rel:
    """A relationship of a part."""

    id: str
    type: str
    target: str
    external: bool
    node: _Node


def _rels(doc: _Doc) -> list[_Rel]:
    found = []
    for node in doc.root.children:
        if node.local != "Relationship":
            continue
        found.append(_Rel(
            node.get("Id") or "", node.get("Type") or "", node.get("Target") or "",
            (node.get("TargetMode") or "").lower() == "external", node,
        ))
    return found


def _next_rid(used: set[str]) -> Iterator[str]:
    numbers = [int(m.group(1)) for rid in used if (m := re.fullmatch(r"rId(\d+)", rid))]
    for number in count(max(numbers, default=0) + 1):
        if f"rId{number}" not in used:
            yield f"rId{number}"


@dataclass(frozen=True)
class _Frag:
    """A small element of our own (a style entry) that is compared and serialized."""

    ns: str | None
    local: str
    attrs: tuple[tuple[str | None, str, str], ...]
    children: tuple[_Frag, ...]
    text: str

    @classmethod
    def of(cls, node: _Node, doc: _Doc) -> _Frag:
        attrs = []
        for attr in node.attrs:
            if attr.qname == "xmlns" or attr.qname.startswith("xmlns:"):
                continue
            prefix, _, local = attr.qname.rpartition(":")
            attrs.append((node.nsmap.get(prefix) if prefix else None, local, attr.value))
        children = tuple(cls.of(child, doc) for child in node.children)
        text = "" if children or node.selfclosing else doc.node_text(node).strip()
        return cls(node.ns, node.local, tuple(attrs), children, text)

    def key(self) -> tuple:
        return (self.ns, self.local, tuple(sorted((a or "", b, c) for a, b, c in self.attrs)),
                tuple(child.key() for child in self.children), self.text)

    def get(self, local: str) -> str | None:
        for ns, name, value in self.attrs:
            if ns is None and name == local:
                return value
        return None

    def with_attrs(self, updates: dict[str, str]) -> _Frag:
        attrs = tuple((ns, name, updates[name] if ns is None and name in updates else value)
                      for ns, name, value in self.attrs)
        return _Frag(self.ns, self.local, attrs, self.children, self.text)

    def with_children(self, children: tuple[_Frag, ...]) -> _Frag:
        return _Frag(self.ns, self.local, self.attrs, children, self.text)

    def serialize(self, prefix: str) -> str:
        if self.ns != NS_MAIN:
            raise ValueError(f"the rendered styles use an element outside SpreadsheetML: "
                             f"{{{self.ns}}}{self.local}")
        name = f"{prefix}:{self.local}" if prefix else self.local
        attrs = []
        for ns, local, value in self.attrs:
            if ns == NS_XML:
                local = "xml:" + local
            elif ns is not None:
                raise ValueError(f"the rendered styles use a namespaced attribute {local!r}")
            attrs.append(f' {local}="{_esc_attr(value)}"')
        inner = "".join(child.serialize(prefix) for child in self.children) + _esc_text(self.text)
        if not inner:
            return f"<{name}{''.join(attrs)}/>"
        return f"<{name}{''.join(attrs)}>{inner}</{name}>"


_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                "dxfs", "tableStyles", "colors", "extLst")
_STYLE_ITEM = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border",
               "cellStyleXfs": "xf", "cellXfs": "xf", "cellStyles": "cellStyle", "dxfs": "dxf"}
_FIRST_CUSTOM_NUMFMT = 164


class _Styles:
    """Appends our style entries to the user's styles.xml and maps our indexes to theirs."""

    def __init__(self, doc: _Doc, name: str):
        root = doc.root
        if (root.ns or "").startswith(_STRICT_PREFIX):
            raise FileFormatError(_STRICT_MESSAGE.format(name=name))
        if not root.is_("styleSheet") or root.selfclosing:
            raise FileFormatError(f"'{name}' has a damaged styles part ({doc.part})")
        self.doc = doc
        self.prefix = root.prefix
        self.coll = {c: root.kid(c) for c in _STYLE_ORDER}
        self.count: dict[str, int] = {}
        self.index: dict[str, dict[tuple, int]] = {}
        self.pending: dict[str, list[str]] = {c: [] for c in _STYLE_ITEM}
        for coll, item in _STYLE_ITEM.items():
            node = self.coll[coll]
            entries = node.kids(item) if node is not None else []
            self.count[coll] = len(entries)
            keys: dict[tuple, int] = {}
            for position, entry in enumerate(entries):
                keys.setdefault(_Frag.of(entry, doc).key(), position)
            self.index[coll] = keys
        self.fmt_ids: dict[str, int] = {}
        self.used_fmt_ids: set[int] = set()
        for entry in self.coll["numFmts"].kids("numFmt") if self.coll["numFmts"] else []:
            try:
                fmt_id = int(entry.get("numFmtId") or "")
            except ValueError:
                continue
            self.used_fmt_ids.add(fmt_id)
            self.fmt_ids.setdefault(entry.get("formatCode") or "", fmt_id)
        self.named_styles: dict[str, int] = {}
        self.builtin_styles: dict[str, int] = {}
        for entry in self.coll["cellStyles"].kids("cellStyle") if self.coll["cellStyles"] else []:
            xf_id = int(entry.get("xfId") or 0)
            self.named_styles.setdefault((entry.get("name") or "").casefold(), xf_id)
            if entry.get("builtinId") is not None:
                self.builtin_styles.setdefault(entry.get("builtinId") or "", xf_id)

    def add(self, coll: str, frag: _Frag, dedupe: bool = True) -> int:
        key = frag.key()
        if dedupe and key in self.index[coll]:
            return self.index[coll][key]
        position = self.count[coll]
        self.count[coll] += 1
        self.pending[coll].append(frag.serialize(self.prefix))
        self.index[coll].setdefault(key, position)
        return position

    def numfmt(self, fmt_id: int, code: str | None) -> int:
        if fmt_id < _FIRST_CUSTOM_NUMFMT or code is None:
            return fmt_id
        if code in self.fmt_ids:
            return self.fmt_ids[code]
        new = max([_FIRST_CUSTOM_NUMFMT - 1, *self.used_fmt_ids]) + 1
        self.used_fmt_ids.add(new)
        self.fmt_ids[code] = new
        p = f"{self.prefix}:" if self.prefix else ""
        self.pending["numFmts"].append(
            f'<{p}numFmt numFmtId="{new}" formatCode="{_esc_attr(code)}"/>')
        self.count["numFmts"] += 1
        return new

    def merge(self, ours: _Doc) -> tuple[list[int], list[int]]:
        """Add the rendered styles; return the maps of cellXfs and dxfs indexes."""
        root = ours.root

        def entries(coll: str) -> list[_Frag]:
            node = root.kid(coll)
            return [_Frag.of(e, ours) for e in node.kids(_STYLE_ITEM[coll])] if node else []

        codes: dict[int, str] = {}
        for fmt in entries("numFmts"):
            codes[int(fmt.get("numFmtId") or 0)] = fmt.get("formatCode") or ""
        fonts = [self.add("fonts", f) for f in entries("fonts")]
        fills = [self.add("fills", f) for f in entries("fills")]
        borders = [self.add("borders", f) for f in entries("borders")]

        def remap(xf: _Frag, style_xfs: list[int] | None) -> _Frag:
            updates = {}
            for attr, table in (("fontId", fonts), ("fillId", fills), ("borderId", borders),
                                ("xfId", style_xfs)):
                value = xf.get(attr)
                if value is not None and table is not None:
                    updates[attr] = str(table[int(value)])
            fmt = xf.get("numFmtId")
            if fmt is not None:
                updates["numFmtId"] = str(self.numfmt(int(fmt), codes.get(int(fmt))))
            return xf.with_attrs(updates)

        styles_by_xf = {}
        for style in entries("cellStyles"):
            styles_by_xf.setdefault(int(style.get("xfId") or 0), style)
        style_xfs = []
        for position, xf in enumerate(entries("cellStyleXfs")):
            style = styles_by_xf.get(position)
            if style is None:
                style_xfs.append(self.add("cellStyleXfs", remap(xf, None)))
                continue
            known = self.named_styles.get((style.get("name") or "").casefold())
            if known is None and style.get("builtinId") is not None:
                known = self.builtin_styles.get(style.get("builtinId") or "")
            if known is not None:
                style_xfs.append(known)
                continue
            new = self.add("cellStyleXfs", remap(xf, None), dedupe=False)
            self.add("cellStyles", style.with_attrs({"xfId": str(new)}), dedupe=False)
            self.named_styles[(style.get("name") or "").casefold()] = new
            style_xfs.append(new)
        xfs = [self.add("cellXfs", remap(xf, style_xfs)) for xf in entries("cellXfs")]
        dxfs = []
        for dxf in entries("dxfs"):
            children = []
            for child in dxf.children:
                if child.local == "numFmt" and child.get("numFmtId") is not None:
                    new_id = self.numfmt(int(child.get("numFmtId") or 0), child.get("formatCode"))
                    child = child.with_attrs({"numFmtId": str(new_id)})
                children.append(child)
            dxfs.append(self.add("dxfs", dxf.with_children(tuple(children))))
        self._write()
        return xfs, dxfs

    def _write(self) -> None:
        doc, root = self.doc, self.doc.root
        p = f"{self.prefix}:" if self.prefix else ""
        for coll in _STYLE_ITEM:
            items = "".join(self.pending[coll])
            if not items:
                continue
            node = self.coll[coll]
            if node is not None:
                updates = {"count": str(self.count[coll])} if node.attr("count") else {}
                doc.append_children(node, items, updates)
                continue
            new = f'<{p}{coll} count="{self.count[coll]}">{items}</{p}{coll}>'
            before = [self.coll[c] for c in _STYLE_ORDER[:_STYLE_ORDER.index(coll)]]
            present = [n for n in before if n is not None]
            doc.insert(present[-1].end if present else root.stag_end, new)


# --------------------------------------------------------------------------------------
# The merge
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Sheet:
    """A sheet of a workbook part, with its relationship."""

    name: str
    sheet_id: str
    rid: str
    state: str | None
    part: str
    node: _Node
    kind: str  # relationship type


class _Merge:
    def __init__(self, user: dict[str, bytes], ours: dict[str, bytes],
                 properties: dict[str, str], name: str, recalculate: bool = False,
                 late_rows: Mapping[str, LateRows] | None = None, trusted: bool = False,
                 written: Mapping[str, Callable[[Mapping[str, str]], str]] | None = None):
        self.recalculate = recalculate
        self.written = dict(written or {})  # see merge_result_sheets
        self.digests: dict[str, str] = {}  # part -> sha256 as written, filled as it is zipped
        self.trusted = trusted  # our parts: see merge_result_sheets
        self.late_rows = late_rows or {}
        self.user = user
        self.ours = ours
        self.properties = properties
        self.name = name
        self.docs: dict[str, _Doc] = {}
        self.lookup = {part.casefold(): part for part in user}
        self.new_parts: dict[str, bytes | Streamed] = {}
        self.created: dict[str, bytes] = {}  # user-side parts that did not exist before
        self.ct_additions: list[tuple[str, str, str | None]] = []  # part, type, our default

    # ---- loading --------------------------------------------------------------------

    def doc(self, part: str) -> _Doc:
        if part not in self.docs:
            self.docs[part] = _Doc(part, self.user[part])
        return self.docs[part]

    def our_doc(self, part: str, data: bytes) -> _Doc:
        """A part of the rendered workbook (``data``, perhaps edited) as a _Doc."""
        return _Doc(part, data, trusted=self.trusted)

    def find(self, part: str) -> str | None:
        """The user's part name for ``part``, tolerating case and %-escapes as OPC does."""
        for candidate in (part, unquote(part)):
            found = self.lookup.get(candidate.casefold())
            if found is not None:
                return found
        return None

    def user_rels(self, source: str) -> list[_Rel]:
        path = self.find(rels_path(source))
        return _rels(self.doc(path)) if path else []

    def run(self) -> dict[str, bytes]:
        self._load_user()
        self._load_ours()
        self._plan_removal()
        self._check_names()
        styles_path = self._user_styles_path()
        styles = _Styles(self.doc(styles_path), self.name)
        xf_map, dxf_map = styles.merge(self.our_styles)
        self._add_sheets(xf_map, dxf_map)
        self._edit_workbook()
        self._set_properties()
        self._edit_app()
        self._edit_content_types()
        return self._assemble()

    def _load_user(self) -> None:
        if "_rels/.rels" not in self.user:
            raise FileFormatError(f"'{self.name}' is damaged: it has no _rels/.rels part")
        package_rels = self.user_rels("")
        if any(rel.type.startswith(_STRICT_PREFIX) for rel in package_rels):
            raise FileFormatError(_STRICT_MESSAGE.format(name=self.name))
        main = [rel for rel in package_rels if rel.type == REL_OFFICE_DOCUMENT]
        if not main or self.find(resolve_target("", main[0].target)) != WORKBOOK:
            raise FileFormatError(
                f"'{self.name}' does not keep its workbook in {WORKBOOK}; "
                "save it again as 'Excel Workbook (.xlsx)'"
            )
        self.wb = self.doc(WORKBOOK)
        root = self.wb.root
        if (root.ns or "").startswith(_STRICT_PREFIX):
            raise FileFormatError(_STRICT_MESSAGE.format(name=self.name))
        if not root.is_("workbook"):
            raise FileFormatError(f"'{self.name}' is not an Excel workbook ({WORKBOOK})")
        self.wb_rels_path = self.find(rels_path(WORKBOOK)) or rels_path(WORKBOOK)
        if self.wb_rels_path not in self.user:
            raise FileFormatError(f"'{self.name}' is damaged: it has no {self.wb_rels_path}")
        self.wb_rels = self.doc(self.wb_rels_path)
        self.wb_rel_by_id = {rel.id: rel for rel in _rels(self.wb_rels)}
        sheets_node = root.kid("sheets")
        if sheets_node is None:
            raise FileFormatError(f"'{self.name}' is damaged: its workbook lists no sheets")
        self.sheets_node = sheets_node
        protection = root.kid("workbookProtection")
        if protection is not None and (protection.get("lockStructure") or "") in ("1", "true"):
            raise WorkbookError(
                "the workbook's structure is protected, so no sheets can be added; "
                "unprotect it (Review > Protect Workbook) and run fill again"
            )
        self.sheets = []
        for node in sheets_node.kids("sheet"):
            rid = node.get("id", NS_R) or ""
            rel = self.wb_rel_by_id.get(rid)
            part = self.find(resolve_target(WORKBOOK, rel.target)) if rel else None
            self.sheets.append(_Sheet(node.get("name") or "", node.get("sheetId") or "0", rid,
                                      node.get("state"), part or "", node,
                                      rel.type if rel else ""))

    def _user_styles_path(self) -> str:
        for rel in _rels(self.wb_rels):
            if rel.type == REL_STYLES and not rel.external:
                found = self.find(resolve_target(WORKBOOK, rel.target))
                if found:
                    return found
        # Legal but never written by Excel or LibreOffice; not worth inventing a styles part.
        raise FileFormatError(
            f"'{self.name}' has no styles part; open it in Excel and save it again"
        )

    def _load_ours(self) -> None:
        ours = self.ours
        self.our_wb = self.our_doc(WORKBOOK, ours[WORKBOOK])
        self.our_rels = _rels(self.our_doc(rels_path(WORKBOOK), ours[rels_path(WORKBOOK)]))
        by_id = {rel.id: rel for rel in self.our_rels}
        self.our_sheets: list[_Sheet] = []
        sheets = self.our_wb.root.kid("sheets")
        for node in sheets.kids("sheet") if sheets is not None else []:
            rel = by_id[node.get("id", NS_R) or ""]
            self.our_sheets.append(_Sheet(node.get("name") or "", node.get("sheetId") or "",
                                          rel.id, node.get("state"),
                                          resolve_target(WORKBOOK, rel.target), node, rel.type))
        if not self.our_sheets:
            raise ValueError("the rendered workbook has no sheets")
        allowed = {*_SHEET_RELS, REL_STYLES, REL_THEME, REL_SHARED_STRINGS}
        for rel in self.our_rels:
            if rel.type not in allowed:
                raise ValueError(f"the rendered workbook uses a workbook-level part of type "
                                 f"{rel.type!r}, which cannot be merged")
        styles = [rel for rel in self.our_rels if rel.type == REL_STYLES]
        self.our_styles = self.our_doc("xl/styles.xml",
                                       ours[resolve_target(WORKBOOK, styles[0].target)])
        self.shared: list[str] = []
        sst = [rel for rel in self.our_rels if rel.type == REL_SHARED_STRINGS]
        if sst:
            data = ours[resolve_target(WORKBOOK, sst[0].target)]
            # Our sheets become inline strings so the user's sharedStrings part stays as is.
            if self.trusted:
                # xlsxwriter's part: each string a plain <si>; a tree of them all only to list
                # them was ~4 ms at 50 outcomes.
                self.shared = _SHARED_STRING.findall(data.decode("utf-8"))
            else:
                doc = self.our_doc("xl/sharedStrings.xml", data)
                self.shared = [doc.inner(si) for si in doc.root.kids("si")]
                if doc.root.prefix:
                    raise ValueError("the rendered shared strings use a namespace prefix")
        ct = self.our_doc(CONTENT_TYPES, ours[CONTENT_TYPES])
        self.our_defaults = {(n.get("Extension") or "").lower(): n.get("ContentType") or ""
                             for n in ct.root.children if n.local == "Default"}
        self.our_overrides = {(n.get("PartName") or "").lstrip("/"): n.get("ContentType") or ""
                              for n in ct.root.children if n.local == "Override"}

    # ---- what goes --------------------------------------------------------------------

    def _plan_removal(self) -> None:
        owned = {n.casefold() for n in owned_sheets(self.user)}
        self.owned_names = {n.casefold() for n in _read_list_property(self.user,
                                                                      RESULT_NAMES_PROPERTY)}
        self.removed = [s for s in self.sheets if s.name.casefold() in owned]
        self.kept = [s for s in self.sheets if s.name.casefold() not in owned]
        removed_parts = {s.part for s in self.removed if s.part}
        calc_chain = [rel for rel in _rels(self.wb_rels) if rel.type == REL_CALC_CHAIN]
        self.dropped_rels = [s.rid for s in self.removed] + [rel.id for rel in calc_chain]
        skip = set(removed_parts)
        skip.update(p for rel in calc_chain
                    if (p := self.find(resolve_target(WORKBOOK, rel.target))))
        kept_reach = self._reachable([""], skip)
        deleted = (self._reachable(sorted(removed_parts), set()) | skip) - kept_reach
        deleted.discard("")
        deleted |= {r for part in deleted if (r := self.find(rels_path(part)))}
        self.deleted = deleted

    def _reachable(self, sources: list[str], skip: set[str]) -> set[str]:
        seen = set(sources)
        todo = list(sources)
        while todo:
            source = todo.pop()
            for rel in self.user_rels(source):
                if rel.external:
                    continue
                target = self.find(resolve_target(source, rel.target))
                if target and target not in seen and target not in skip:
                    seen.add(target)
                    todo.append(target)
        return seen

    def _check_names(self) -> None:
        kept = {s.name.casefold() for s in self.kept}
        for sheet in self.our_sheets:
            if sheet.name.casefold() in kept:
                raise WorkbookError(
                    f"the workbook already has a sheet named '{sheet.name}' that sroi-excel "
                    "did not make; rename that sheet and run fill again",
                    sheet=sheet.name,
                )
        self.user_global_names = set()
        names = self.wb.root.kid("definedNames")
        for node in names.kids("definedName") if names is not None else []:
            label = (node.get("name") or "").casefold()
            if node.get("localSheetId") is None and label not in self.owned_names:
                self.user_global_names.add(label)
        our_names = self.our_wb.root.kid("definedNames")
        self.our_defined = our_names.kids("definedName") if our_names is not None else []
        self.our_global_names = [n.get("name") or "" for n in self.our_defined
                                 if n.get("localSheetId") is None]
        for label in self.our_global_names:
            if label.casefold() in self.user_global_names:
                raise WorkbookError(
                    f"the workbook already has a name '{label}' that sroi-excel did not make; "
                    "rename or delete it (Formulas > Name Manager) and run fill again"
                )

    # ---- what comes -------------------------------------------------------------------

    def _add_sheets(self, xf_map: list[int], dxf_map: list[int]) -> None:
        taken = {p.casefold() for p in self.user if p not in self.deleted}
        renamed: dict[str, str] = {}

        def fresh(part: str) -> str:
            if part not in renamed:
                folder, base = posixpath.split(part)
                stem, ext = posixpath.splitext(base)
                stem = re.sub(r"\d+$", "", stem) or "part"
                for number in count(1):
                    candidate = posixpath.join(folder, f"sroi_{stem}{number}{ext}")
                    if candidate.casefold() not in taken:
                        taken.add(candidate.casefold())
                        renamed[part] = candidate
                        break
            return renamed[part]

        self.selected = self._active_tab_plan()
        self.vml_offset = self._vml_offset()
        self.table_ids = self._user_table_ids()
        self.new_sheet_parts = []
        for position, sheet in enumerate(self.our_sheets):
            order = [sheet.part]
            todo = [sheet.part]
            while todo:
                source = todo.pop(0)
                fresh(source)
                for rel in self._our_rels_of(source):
                    if rel.external:
                        continue
                    target = resolve_target(source, rel.target)
                    if target not in self.ours:
                        raise ValueError(f"the rendered part {source} refers to a missing "
                                         f"part {target}")
                    if target not in renamed and target not in order:
                        order.append(target)
                        todo.append(target)
            self.new_sheet_parts.append(fresh(sheet.part))
            for part in order:
                new = renamed[part]
                if new in self.new_parts:
                    continue
                self.new_parts[new] = self._rewrite(part, sheet, position, xf_map, dxf_map)
                self._add_content_type(part, new)
                our_rels = rels_path(part)
                if our_rels in self.ours:
                    new_rels = rels_path(new)
                    self.new_parts[new_rels] = self._rewrite_rels(our_rels, part, new, fresh)
                    self._add_content_type(our_rels, new_rels)

    def _our_rels_of(self, source: str) -> list[_Rel]:
        path = rels_path(source)
        return _rels(self.our_doc(path, self.ours[path])) if path in self.ours else []

    def _rewrite_rels(self, path: str, source: str, new_source: str, fresh) -> bytes:
        doc = self.our_doc(path, self.ours[path])
        for rel in _rels(doc):
            if rel.external:
                continue
            target = fresh(resolve_target(source, rel.target))
            relative = posixpath.relpath(target, posixpath.dirname(new_source) or ".")
            doc.set_attr(rel.node, rel.node.attr("Target").qname, relative)
        return doc.result()

    def _add_content_type(self, ours: str, new: str) -> None:
        ext = posixpath.splitext(ours)[1].lstrip(".").lower()
        if ours in self.our_overrides:
            self.ct_additions.append((new, self.our_overrides[ours], None))
        elif ext in self.our_defaults:
            self.ct_additions.append((new, self.our_defaults[ext], ext))
        else:
            raise ValueError(f"the rendered part {ours} has no content type")

    def _rewrite(self, part: str, sheet: _Sheet, position: int, xf_map: list[int],
                 dxf_map: list[int]) -> bytes | Streamed:
        data = self.ours[part]
        if part == sheet.part:
            return self._rewrite_sheet(part, data, sheet.kind == REL_WORKSHEET,
                                       position == self.selected, xf_map, dxf_map)
        if part.endswith(".vml") and self.vml_offset:
            return self._rebase_vml(data)
        if self.our_overrides.get(part) == CT_TABLE:
            return self._rewrite_table(part, data, dxf_map)
        return data

    def _rewrite_sheet(self, part: str, data: bytes, worksheet: bool, selected: bool,
                       xf_map: list[int], dxf_map: list[int]) -> bytes | Streamed:
        # The cell data of our own (xlsxwriter) sheets can be large; a tree walk over it
        # dominated fill time, so cells and rows are restyled with one regex pass and the tree
        # walk sees only the small rest of the sheet. The large tables' rows are not in it at
        # all: markers stand for them, and they are made with the final style numbers as the
        # part is zipped (see Rendered).
        body = ""
        if worksheet:
            start = data.find(b"<sheetData>")
            end = data.find(b"</sheetData>")
            if start != -1 and end != -1:
                body = _restyle_cells(data[start + 11:end].decode("utf-8"), xf_map,
                                      self.shared, part)
                data = data[:start] + b"<sheetData/>" + data[end + 12:]
        doc = self.our_doc(part, data)

        def mapped(table: list[int], value: str | None, what: str) -> int:
            index = int(value or 0)
            if index >= len(table):
                raise ValueError(f"the rendered sheet {part} uses a missing {what} {index}")
            return table[index]

        first_view = True
        for node in doc.root.walk():
            if node.ns != NS_MAIN:
                continue
            if node.local == "sheetView":
                if selected and first_view:
                    doc.set_attr(node, "tabSelected", "1")
                elif node.get("tabSelected") is not None:
                    # Two selected tabs would open the workbook with sheets grouped.
                    doc.del_attr(node, "tabSelected")
                first_view = False
            if not worksheet:
                continue
            if node.local == "c":
                if node.get("cm") is not None or node.get("vm") is not None:
                    raise ValueError(f"the rendered sheet {part} uses cell metadata "
                                     "(dynamic arrays or embedded images), which cannot be "
                                     "merged")
                style = node.get("s")
                new = mapped(xf_map, style, "cell format")
                if (style is None and new != 0) or (style is not None and new != int(style)):
                    doc.set_attr(node, "s", str(new))
                if node.get("t") == "s":
                    value = node.kid("v")
                    if value is None:
                        continue
                    index = int(doc.node_text(value))
                    doc.set_attr(node, "t", "inlineStr")
                    doc.replace(value.start, value.end, f"<is>{self.shared[index]}</is>")
            elif node.local == "row" and node.get("s") is not None:
                doc.set_attr(node, "s", str(mapped(xf_map, node.get("s"), "cell format")))
            elif node.local == "col" and node.get("style") is not None:
                doc.set_attr(node, "style", str(mapped(xf_map, node.get("style"),
                                                       "cell format")))
            elif node.local == "cfRule" and node.get("dxfId") is not None:
                doc.set_attr(node, "dxfId", str(mapped(dxf_map, node.get("dxfId"),
                                                       "differential format")))
        if doc.root.prefix and self.shared:
            raise ValueError("the rendered sheets use a namespace prefix")
        result = doc.result()
        if not body:
            return result
        head, tail = result.split(b"<sheetData/>", 1)
        pieces: list[bytes | Iterable[str]] = [head + b"<sheetData>"]
        count = 0
        # Text and markers alternate: the markers' keys are at the odd positions.
        for i, text in enumerate(_LATE_ROWS.split(body)):
            if i % 2 == 0:
                pieces.append(text.encode("utf-8"))
            elif text not in self.late_rows:
                raise ValueError(f"the rendered sheet {part} leaves rows {text} to be made, "
                                 "but nothing makes them")
            else:
                late = self.late_rows[text]
                pieces.append(late.make(xf_map))
                count += late.count
        pieces.append(b"</sheetData>" + tail)
        if len(pieces) == 3:  # no rows left to make
            return b"".join(pieces)
        return Streamed(pieces, rows=count)

    def _vml_offset(self) -> int:
        """How many id blocks to move our VML shapes up, so they do not reuse user ids."""
        user_max = 0
        for part in self.user:
            if part in self.deleted or not part.lower().endswith(".vml"):
                continue
            user_max = max(user_max, *_vml_blocks(self.user[part].decode("utf-8", "replace")))
        ours = [b for part in self.ours if part.lower().endswith(".vml")
                for b in _vml_blocks(self.ours[part].decode("utf-8"))]
        if not ours or min(ours) > user_max:
            return 0
        return user_max - min(ours) + 1

    def _rebase_vml(self, data: bytes) -> bytes:
        text = data.decode("utf-8")
        offset = self.vml_offset

        def idmap(match: re.Match[str]) -> str:
            blocks = ",".join(str(int(b) + offset) for b in match.group(2).split(",") if b)
            return f"{match.group(1)}{blocks}{match.group(3)}"

        text = re.sub(r'(<o:idmap\b[^>]*\bdata=")([\d,]*)(")', idmap, text)
        text = re.sub(r"_x0000_s(\d+)",
                      lambda m: f"_x0000_s{int(m.group(1)) + offset * 1024}", text)
        return text.encode("utf-8")

    def _user_table_ids(self) -> dict[str, set]:
        ids: set[int] = set()
        names: set[str] = set()
        ct = self.doc(CONTENT_TYPES)
        for node in ct.root.children:
            if node.local != "Override" or node.get("ContentType") != CT_TABLE:
                continue
            part = self.find((node.get("PartName") or "").lstrip("/"))
            if not part or part in self.deleted:
                continue
            table = parse_xml(self.user[part], part)
            if (table.get("id") or "").isdigit():
                ids.add(int(table.get("id") or 0))
            names |= {(table.get(a) or "").casefold() for a in ("name", "displayName")}
        return {"ids": ids, "names": names}

    def _rewrite_table(self, part: str, data: bytes, dxf_map: list[int]) -> bytes:
        doc = self.our_doc(part, data)
        root = doc.root
        for attr in ("name", "displayName"):
            label = root.get(attr) or ""
            if label.casefold() in self.table_ids["names"] | self.user_global_names:
                raise WorkbookError(
                    f"the workbook already has a table or name called '{label}'; "
                    "rename it and run fill again"
                )
        used = self.table_ids["ids"]
        table_id = int(root.get("id") or 0)
        if table_id in used or table_id <= 0:
            table_id = max(used, default=0) + 1
            doc.set_attr(root, "id", str(table_id))
        used.add(table_id)
        for node in root.walk():
            for attr in list(node.attrs):
                if attr.qname.endswith("DxfId") and ":" not in attr.qname:
                    doc.set_attr(node, attr.qname, str(dxf_map[int(attr.value)]))
        return doc.result()

    # ---- workbook.xml and its relationships -------------------------------------------

    def _active_tab_plan(self) -> int | None:
        """Which rendered sheet, if any, takes over the active tab from a removed sheet."""
        self.view_updates: list[tuple[_Node, dict[str, str]]] = []
        views = self.wb.root.kid("bookViews")
        selected = None
        new_index = {id(s): i for i, s in enumerate(self.kept)}
        for view in views.kids("workbookView") if views is not None else []:
            updates = {}
            for attr in ("activeTab", "firstSheet"):
                raw = view.get(attr)
                old = int(raw) if raw and raw.isdigit() else 0
                if old >= len(self.sheets):
                    continue
                sheet = self.sheets[old]
                if id(sheet) in new_index:
                    new = new_index[id(sheet)]
                else:
                    new = sum(1 for s in self.sheets[:old] if id(s) in new_index)
                    if attr == "activeTab":
                        same = [i for i, s in enumerate(self.our_sheets)
                                if s.name.casefold() == sheet.name.casefold()
                                and (s.state or "visible") == "visible"]
                        if same:
                            new = len(self.kept) + same[0]
                            selected = same[0] if selected is None else selected
                        else:
                            visible = [i for i, s in enumerate(self.kept)
                                       if (s.state or "visible") == "visible"]
                            new = visible[0] if visible else len(self.kept)
                    new = min(new, len(self.kept) + len(self.our_sheets) - 1)
                if new != old:
                    updates[attr] = str(new)
            if updates:
                self.view_updates.append((view, updates))
        return selected

    def _edit_workbook(self) -> None:
        wb, rels_doc = self.wb, self.wb_rels
        root = wb.root
        p = f"{root.prefix}:" if root.prefix else ""
        for rel in _rels(rels_doc):
            if rel.id in self.dropped_rels:
                rels_doc.remove(rel.node)
        for sheet in self.removed:
            wb.remove(sheet.node)
        for view, updates in self.view_updates:
            for key, value in updates.items():
                wb.set_attr(view, key, value)

        ids = _next_rid({rel.id for rel in _rels(rels_doc) if rel.id not in self.dropped_rels})
        sheet_ids = count(max([int(s.sheet_id) for s in self.kept if s.sheet_id.isdigit()],
                              default=0) + 1)
        r_prefix = self.sheets_node.prefix_for(NS_R)
        declare = ""
        if not r_prefix:
            r_prefix = "r" if self.sheets_node.nsmap.get("r") in (None, NS_R) else "sroi_r"
            declare = f' xmlns:{r_prefix}="{NS_R}"'
        rel_prefix = rels_doc.root.prefix
        rp = f"{rel_prefix}:" if rel_prefix else ""
        new_sheets, new_rels = [], []
        for sheet, part in zip(self.our_sheets, self.new_sheet_parts, strict=True):
            rid = next(ids)
            state = f' state="{_esc_attr(sheet.state)}"' if sheet.state else ""
            new_sheets.append(
                f'<{p}sheet name="{_esc_attr(sheet.name)}" sheetId="{next(sheet_ids)}"{state}'
                f'{declare} {r_prefix}:id="{rid}"/>'
            )
            target = posixpath.relpath(part, posixpath.dirname(WORKBOOK))
            new_rels.append(f'<{rp}Relationship Id="{rid}" Type="{sheet.kind}" '
                            f'Target="{_esc_attr(target)}"/>')
        wb.append_children(self.sheets_node, "".join(new_sheets), {})
        rels_doc.append_children(rels_doc.root, "".join(new_rels), {})
        self._edit_defined_names(p)
        if self.recalculate:
            calc = root.kid("calcPr")
            if calc is not None:
                wb.set_attr(calc, "fullCalcOnLoad", "1")
            else:
                # calcPr follows definedNames, which _edit_defined_names may just have added
                # at the same place; equal positions keep their insertion order.
                anchors = [n for n in root.children if n.ns == NS_MAIN and n.local in
                           ("sheets", "functionGroups", "externalReferences", "definedNames")]
                wb.insert(anchors[-1].end, f'<{p}calcPr fullCalcOnLoad="1"/>')

    def _edit_defined_names(self, p: str) -> None:
        wb = self.wb
        removed_index = {i for i, s in enumerate(self.sheets) if s in self.removed}
        remap = {}
        for i in range(len(self.sheets)):
            if i not in removed_index:
                remap[i] = len(remap)
        names = wb.root.kid("definedNames")
        remaining = 0
        dropped = 0
        for node in names.kids("definedName") if names is not None else []:
            local_id = node.get("localSheetId")
            if local_id is None:
                if (node.get("name") or "").casefold() in self.owned_names:
                    wb.remove(node)
                    dropped += 1
                else:
                    remaining += 1
                continue
            old = int(local_id) if local_id.isdigit() else -1
            if old in removed_index:
                wb.remove(node)
                dropped += 1
                continue
            remaining += 1
            if old in remap and remap[old] != old:
                wb.set_attr(node, node.attr("localSheetId").qname, str(remap[old]))
        offset = len(self.kept)
        added = []
        for node in self.our_defined:
            attrs = []
            for attr in node.attrs:
                value = attr.value
                if attr.qname == "localSheetId":
                    value = str(int(value) + offset)
                attrs.append(f' {attr.qname}="{_esc_attr(value)}"')
            inner = self.our_wb.inner(node)
            added.append(f"<{p}definedName{''.join(attrs)}>{inner}</{p}definedName>")
        content = "".join(added)
        if names is not None:
            if not content and not remaining and dropped:
                wb.remove(names)  # it held only our names; leave no empty element behind
            elif content:
                wb.append_children(names, content, {})
        elif content:
            anchors = [n for n in wb.root.children if n.ns == NS_MAIN and n.local in
                       ("sheets", "functionGroups", "externalReferences")]
            wb.insert(anchors[-1].end, f"<{p}definedNames>{content}</{p}definedNames>")

    # ---- document properties ---------------------------------------------------------

    def _set_properties(self) -> None:
        values = {RESULT_PROPERTY: "\n".join(s.name for s in self.our_sheets)}
        if self.our_global_names or _read_property(self.user, RESULT_NAMES_PROPERTY) is not None:
            values[RESULT_NAMES_PROPERTY] = "\n".join(self.our_global_names)
        values.update(self.properties)
        for key, value in values.items():
            _check_storable(key, value)
        # Stand-ins for the values made as the package is zipped (_made_properties).
        self.pending = {key: f"sroi-excel-pending-{secrets.token_hex(8)}"
                        for key in self.written}
        values.update(self.pending)
        path = _find_property_part(self.user)
        if path is None:
            path = "docProps/custom.xml"
            while self.find(path):
                path = "docProps/sroi_" + posixpath.basename(path)
            empty = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     f'<Properties xmlns="{NS_CUSTOM}" xmlns:vt="{NS_VT}"></Properties>')
            self.created[path] = empty.encode("utf-8")
            self.docs[path] = _Doc(path, self.created[path], trusted=True)  # made just above
            package_rels = self.doc("_rels/.rels")
            rid = next(_next_rid({rel.id for rel in _rels(package_rels)}))
            rp = f"{package_rels.root.prefix}:" if package_rels.root.prefix else ""
            package_rels.append_children(
                package_rels.root,
                f'<{rp}Relationship Id="{rid}" Type="{REL_CUSTOM_PROPERTIES}" Target="{path}"/>',
                {},
            )
            self.ct_additions.insert(0, (path, CT_CUSTOM_PROPERTIES, None))
        self.property_part = path
        doc = self.doc(path)
        root = doc.root
        if not root.is_("Properties", NS_CUSTOM):
            raise FileFormatError(f"'{self.name}' has a damaged custom properties part ({path})")
        existing = {(n.get("name") or "").casefold(): n for n in root.kids("property", NS_CUSTOM)}
        pids = [int(n.get("pid") or 0) for n in existing.values()
                if (n.get("pid") or "").isdigit()]
        next_pid = count(max([1, *pids]) + 1)
        vt = root.prefix_for(NS_VT)
        p = f"{root.prefix}:" if root.prefix else ""
        appended = []
        for key, value in values.items():
            node = existing.get(key.casefold())
            if vt:
                element = f"<{vt}:lpwstr>{_esc_text(value)}</{vt}:lpwstr>"
            else:
                element = (f'<sroi_vt:lpwstr xmlns:sroi_vt="{NS_VT}">{_esc_text(value)}'
                           "</sroi_vt:lpwstr>")
            if node is None:
                appended.append(f'<{p}property fmtid="{_FMTID}" pid="{next(next_pid)}" '
                                f'name="{_esc_attr(key)}">{element}</{p}property>')
                continue
            kids = node.children
            if len(kids) == 1 and kids[0].is_("lpwstr", NS_VT) and doc.node_text(kids[0]) == value:
                continue
            if node.selfclosing:
                doc.replace(node.start, node.end,
                            f"{doc.start_tag(node, {})}>{element}</{node.qname}>")
            else:
                doc.replace(node.stag_end, node.inner_end, element)
        if appended:
            doc.append_children(root, "".join(appended), {})

    def _edit_app(self) -> None:
        path = self.find("docProps/app.xml")
        if path is None:
            return
        doc = self.doc(path)
        root = doc.root
        heading = root.kid("HeadingPairs", NS_EXTENDED)
        titles = root.kid("TitlesOfParts", NS_EXTENDED)
        if heading is None or titles is None:
            return
        pairs_vector = heading.kid("vector", NS_VT)
        titles_vector = titles.kid("vector", NS_VT)
        if pairs_vector is None or titles_vector is None:
            return
        variants = pairs_vector.kids("variant", NS_VT)
        lpstrs = titles_vector.kids("lpstr", NS_VT)
        if len(variants) % 2 or len(titles_vector.children) != len(lpstrs):
            return
        segments = []
        start = 0
        for i in range(0, len(variants), 2):
            number = variants[i + 1].kid("i4", NS_VT)
            if number is None or not doc.node_text(number).strip().isdigit():
                return
            size = int(doc.node_text(number).strip())
            segments.append((number, lpstrs[start:start + size]))
            start += size
        if start != len(lpstrs):
            return
        everything = [s.name for s in self.sheets]
        worksheets = [s.name for s in self.sheets if s.kind == REL_WORKSHEET]
        for position, (number, nodes) in enumerate(segments):  # noqa: B007 - used after
            listed = [doc.node_text(n) for n in nodes]
            # Headings are localised ("Worksheets", "Werkbladen"), so the sheet segment is
            # recognised by its titles instead.
            if listed == everything or (listed and listed == worksheets):
                only_worksheets = listed != everything
                break
        else:
            return
        removed = {s.name.casefold() for s in self.removed}
        gone = [n for n in nodes if doc.node_text(n).casefold() in removed]
        for node in gone:
            doc.remove(node)
        new = [s for s in self.our_sheets if not only_worksheets or s.kind == REL_WORKSHEET]
        vt = titles_vector.prefix
        q = f"{vt}:" if vt else ""
        text = "".join(f"<{q}lpstr>{_esc_text(s.name)}</{q}lpstr>" for s in new)
        if nodes:
            doc.insert(nodes[-1].end, text)
        else:
            following = [n for _, later in segments[position + 1:] for n in later]
            doc.insert(following[0].start if following else titles_vector.inner_end, text)
        doc.replace(number.stag_end, number.inner_end, str(len(nodes) - len(gone) + len(new)))
        size = titles_vector.attr("size")
        if size is not None:
            doc.set_attr(titles_vector, size.qname, str(len(lpstrs) - len(gone) + len(new)))

    # ---- content types and assembly ---------------------------------------------------

    def _edit_content_types(self) -> None:
        doc = self.doc(CONTENT_TYPES)
        root = doc.root
        if not root.is_("Types", NS_CT):
            raise FileFormatError(f"'{self.name}' has a damaged {CONTENT_TYPES}")
        p = f"{root.prefix}:" if root.prefix else ""
        deleted = {part.casefold() for part in self.deleted}
        defaults = {}
        last_default = None
        for node in root.children:
            if node.local == "Default":
                defaults[(node.get("Extension") or "").lower()] = node.get("ContentType")
                last_default = node
            elif node.local == "Override":
                part = unquote((node.get("PartName") or "").lstrip("/")).casefold()
                if part in deleted:
                    doc.remove(node)
        new_defaults, overrides = [], []
        for part, ctype, our_default in self.ct_additions:
            ext = posixpath.splitext(part)[1].lstrip(".").lower()
            if defaults.get(ext) == ctype:
                continue
            if our_default is not None and ext not in defaults:
                defaults[ext] = ctype
                new_defaults.append(f'<{p}Default Extension="{_esc_attr(ext)}" '
                                    f'ContentType="{_esc_attr(ctype)}"/>')
                continue
            overrides.append(f'<{p}Override PartName="/{_esc_attr(part)}" '
                             f'ContentType="{_esc_attr(ctype)}"/>')
        if new_defaults:
            if last_default is not None:
                doc.insert(last_default.end, "".join(new_defaults))
            elif not root.selfclosing:
                doc.insert(root.stag_end, "".join(new_defaults))
            else:
                overrides = new_defaults + overrides
        if overrides:
            doc.append_children(root, "".join(overrides), {})

    def _assemble(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for part, data in self.user.items():
            if part in self.deleted:
                continue
            out[part] = self.docs[part].result() if part in self.docs else data
        # Created user-side parts go before our sheets, so a second fill, which deletes and
        # re-appends only our sheets, writes the parts in the same order.
        for part in self.created:
            out[part] = self.docs[part].result()
        out.update(self.new_parts)
        if self.written:
            # Last, so that the sheets' digests are known when it is zipped.
            out[self.property_part] = self._made_properties(out.pop(self.property_part))
        return out

    def _made_properties(self, data: bytes) -> Streamed:
        """The custom properties part, with the ``written`` values made as it is zipped."""
        at = sorted((data.index(marker.encode()), key) for key, marker in self.pending.items())
        pieces: list[bytes | Iterable[str]] = []
        start = 0
        for position, key in at:
            pieces += [data[start:position], self._made(key)]
            start = position + len(self.pending[key])
        return Streamed([*pieces, data[start:]])

    def _made(self, key: str) -> Iterator[str]:
        written = {sheet.name: self.digests[part]
                   for sheet, part in zip(self.our_sheets, self.new_sheet_parts, strict=True)}
        value = self.written[key](written)
        _check_storable(key, value)
        yield _esc_text(value)


_LATE_ROWS = re.compile(r"<!--rows ([0-9]+)-->")


def late_marker(key: str) -> str:
    """Where rows of :attr:`Rendered.late_rows` go in a sheet's data (user text, escaped,
    cannot hold ``<!--``)."""
    return f"<!--rows {key}-->"

_SHARED_CELL = re.compile(r'<c\b([^>]*?) t="s"([^>]*)><v>([0-9]+)</v></c>')


_STYLED = re.compile(r' s="([0-9]+)"')
_UNSTYLED_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"(?! s=")')


def _restyle_cells(body: str, xf_map: list[int], shared: list[str], part: str) -> str:
    """Map the style index of every cell and row of our sheet data; inline shared strings.

    The data can hold millions of cells in a handful of styles, so each style is replaced in
    one pass over the text (through a marker, so a mapped index is not mapped again) rather
    than cell by cell.
    """
    if ' cm="' in body or ' vm="' in body:
        raise ValueError(f"the rendered sheet {part} uses cell metadata (dynamic arrays or "
                         "embedded images), which cannot be merged")
    used = {int(i) for i in _STYLED.findall(body)}
    if used and max(used) >= len(xf_map):
        raise ValueError(f"the rendered sheet {part} uses a missing cell format {max(used)}")
    moved = [index for index in used if xf_map[index] != index]
    if len(moved) <= 16:
        for index in moved:
            body = body.replace(f' s="{index}"', f' s="\x00{xf_map[index]}"')
        body = body.replace("\x00", "")
    else:
        body = _STYLED.sub(lambda m: f' s="{xf_map[int(m.group(1))]}"', body)
    if xf_map and xf_map[0] != 0:
        # A cell without a style has the package's first one, which is not ours.
        body = _UNSTYLED_CELL.sub(lambda m: f'<c r="{m.group(1)}" s="{xf_map[0]}"', body)
    if shared:
        body = _SHARED_CELL.sub(
            lambda m: f'<c{m.group(1)} t="inlineStr"{m.group(2)}><is>{shared[int(m.group(3))]}'
                      "</is></c>", body)
    return body


def _vml_blocks(text: str) -> list[int]:
    blocks = [int(b) for m in re.finditer(r'<o:idmap\b[^>]*\bdata="([\d,\s]*)"', text)
              for b in re.split(r"[,\s]+", m.group(1)) if b]
    blocks += [int(m.group(1)) // 1024 for m in re.finditer(r"_x0000_s(\d+)", text)]
    return blocks or [0]


def _check_storable(key: str, value: str) -> None:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", key + value):
        raise ValueError(f"the property {key!r} holds characters XML cannot store")


def _find_property_part(parts: dict[str, bytes]) -> str | None:
    if "_rels/.rels" not in parts:
        return None
    lookup = {part.casefold(): part for part in parts}
    for node in parse_xml(parts["_rels/.rels"], "_rels/.rels"):
        if node.get("Type") == REL_CUSTOM_PROPERTIES and node.get("TargetMode") != "External":
            target = resolve_target("", node.get("Target") or "")
            found = lookup.get(target.casefold()) or lookup.get(unquote(target).casefold())
            if found:
                return found
    return None


def _read_property(parts: dict[str, bytes], key: str) -> str | None:
    path = _find_property_part(parts)
    if path is None:
        return None
    for node in parse_xml(parts[path], path):
        if _local(node.tag) == "property" and (node.get("name") or "").casefold() == key.casefold():
            values = list(node)
            return (values[0].text if values else node.text) or ""
    return None


def _read_list_property(parts: dict[str, bytes], key: str) -> list[str]:
    value = _read_property(parts, key)
    return [line for line in (value or "").splitlines() if line]


def read_property(parts: dict[str, bytes], key: str) -> str | None:
    """A custom document property (docProps/custom.xml), or None when absent."""
    return _read_property(parts, key)
