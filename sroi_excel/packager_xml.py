"""The XML of a package as the merge edits it: a located tree, whose every element knows where
it sits in the part's text, so that an edit is a splice and all else stays byte for byte; the
package's relationships; and the user's parts, read on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import count
from urllib.parse import unquote

from sroi_excel.exceptions import FileFormatError
from sroi_excel.opc import parse_xml, rels_path

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
NS_XML = "http://www.w3.org/XML/1998/namespace"
STRICT_PREFIX = "http://purl.oclc.org/ooxml/"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_CHARTSHEET = NS_R + "/chartsheet"
REL_STYLES = NS_R + "/styles"
REL_THEME = NS_R + "/theme"
REL_SHARED_STRINGS = NS_R + "/sharedStrings"
REL_CALC_CHAIN = NS_R + "/calcChain"
REL_CUSTOM_PROPERTIES = NS_R + "/custom-properties"
SHEET_RELS = (REL_WORKSHEET, REL_CHARTSHEET)

CT_CUSTOM_PROPERTIES = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
STRICT_MESSAGE = (
    "strict Open XML is not supported; save '{name}' as 'Excel Workbook (.xlsx)'"
)



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
_ENCODING = re.compile(r"""^\ufeff?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")


def unescape(raw: str) -> str:
    """XML character data or attribute text with its references resolved."""
    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _NAMED[ref]

    return _REF.sub(one, raw) if "&" in raw else raw


def esc_text(value: str) -> str:
    """Text as XML character data."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def esc_attr(value: str) -> str:
    """Text as an XML attribute value in double quotes."""
    return (
        esc_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    )


def local_name(tag: str) -> str:
    """An ElementTree tag without its namespace."""
    return tag.rpartition("}")[2]


# Attr and Node are plain classes with slots, not dataclasses: every element and attribute
# of every part the merge reads is one (some 10,000 at 50 outcomes), and they are made faster.


class Attr:
    """An attribute of a located element, with where it and its value sit."""

    __slots__ = ("qname", "value", "start", "vstart", "vend")

    def __init__(self, qname: str, value: str, start: int, vstart: int, vend: int):
        self.qname = qname
        self.value = value
        self.start = start  # where the attribute's name begins
        self.vstart = vstart  # first character inside the quotes
        self.vend = vend  # the closing quote


class Node:
    """An element of a located tree: where its tags sit in the part's text. ``nsmap`` (the
    namespaces in scope) may be its parent's own dict: it is only read."""

    __slots__ = ("qname", "start", "parent", "nsmap", "attrs", "children", "attrs_end",
                 "stag_end", "inner_end", "end", "selfclosing")

    def __init__(self, qname: str, start: int, parent: Node | None,
                 nsmap: dict[str | None, str]):
        self.qname = qname
        self.start = start
        self.parent = parent
        self.nsmap = nsmap
        self.attrs: list[Attr] = []
        self.children: list[Node] = []
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

    def attr(self, local: str, ns: str | None = None) -> Attr | None:
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

    def kids(self, local: str, ns: str = NS_MAIN) -> list[Node]:
        return [child for child in self.children if child.is_(local, ns)]

    def kid(self, local: str, ns: str = NS_MAIN) -> Node | None:
        found = self.kids(local, ns)
        return found[0] if found else None

    def walk(self) -> Iterator[Node]:
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


def parse_tree(text: str) -> Node:
    """The located tree of an XML part's text."""
    root: Node | None = None
    stack: list[Node] = []
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
        node = Node(qname, start, parent, nsmap)
        if attrs:
            base = match.start("attrs")
            for found in _ATTR.finditer(attrs):
                name, double = found.group(1, 2)
                group = 2 if double is not None else 3
                value = unescape(found.group(group))
                node.attrs.append(Attr(name, value, base + found.start(),
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


class Doc:
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
        self.root = parse_tree(text)
        self._ops: list[tuple[int, int, int, str]] = []

    def node_text(self, node: Node) -> str:
        return unescape(self.text[node.stag_end:node.inner_end])

    def inner(self, node: Node) -> str:
        return self.text[node.stag_end:node.inner_end]

    def raw(self, node: Node) -> str:
        return self.text[node.start:node.end]

    def replace(self, start: int, end: int, new: str) -> None:
        self._ops.append((start, end, len(self._ops), new))

    def insert(self, pos: int, new: str) -> None:
        self.replace(pos, pos, new)

    def remove(self, node: Node) -> None:
        self.replace(node.start, node.end, "")

    def set_attr(self, node: Node, qname: str, value: str) -> None:
        for attr in node.attrs:
            if attr.qname == qname:
                if attr.value != value:
                    self.replace(attr.vstart, attr.vend, esc_attr(value))
                return
        self.insert(node.attrs_end, f' {qname}="{esc_attr(value)}"')

    def del_attr(self, node: Node, qname: str) -> None:
        for attr in node.attrs:
            if attr.qname == qname:
                start = attr.start
                while start > 0 and self.text[start - 1].isspace():
                    start -= 1
                self.replace(start, attr.vend + 1, "")

    def start_tag(self, node: Node, updates: dict[str, str]) -> str:
        """The node's start tag without its closing '>' or '/>', with attributes changed."""
        pieces: list[str] = []
        pos = node.start
        todo = dict(updates)
        for attr in node.attrs:
            if attr.qname in todo:
                pieces += [self.text[pos:attr.vstart], esc_attr(todo.pop(attr.qname))]
                pos = attr.vend
        pieces.append(self.text[pos:node.attrs_end])
        pieces += [f' {key}="{esc_attr(value)}"' for key, value in todo.items()]
        return "".join(pieces)

    def append_children(self, node: Node, content: str, updates: dict[str, str]) -> None:
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



@dataclass(eq=False)
class Rel:
    """A relationship of a part."""

    id: str
    type: str
    target: str
    external: bool
    node: Node


def relationships(doc: Doc) -> list[Rel]:
    """The relationships a relationships part lists."""
    found = []
    for node in doc.root.children:
        if node.local != "Relationship":
            continue
        found.append(Rel(
            node.get("Id") or "", node.get("Type") or "", node.get("Target") or "",
            (node.get("TargetMode") or "").lower() == "external", node,
        ))
    return found


def next_rid(used: set[str]) -> Iterator[str]:
    """Relationship ids ``rIdN`` not in ``used``, from above the highest used."""
    numbers = [int(m.group(1)) for rid in used if (m := re.fullmatch(r"rId(\d+)", rid))]
    for number in count(max(numbers, default=0) + 1):
        if f"rId{number}" not in used:
            yield f"rId{number}"



@dataclass(eq=False)
class Sheet:
    """A sheet of a workbook part, with its relationship."""

    name: str
    sheet_id: str
    rid: str
    state: str | None
    part: str
    node: Node
    kind: str  # relationship type


class UserParts:
    """The user's package: its parts, those the merge edits as located trees (parsed once and
    checked as a user's file), and the parts the merge adds to the user's side."""

    def __init__(self, parts: Mapping[str, bytes], name: str) -> None:
        self.parts = parts
        self.name = name
        self.docs: dict[str, Doc] = {}
        self.created: dict[str, bytes] = {}  # user-side parts that did not exist before
        self._lookup = {part.casefold(): part for part in parts}

    def doc(self, part: str) -> Doc:
        if part not in self.docs:
            self.docs[part] = Doc(part, self.parts[part])
        return self.docs[part]

    def create(self, part: str, data: bytes) -> Doc:
        """A new part of our own making (so not checked), to be edited like the others."""
        self.created[part] = data
        self.docs[part] = Doc(part, data, trusted=True)
        return self.docs[part]

    def find(self, part: str) -> str | None:
        """The user's part name for ``part``, tolerating case and %-escapes as OPC does."""
        for candidate in (part, unquote(part)):
            found = self._lookup.get(candidate.casefold())
            if found is not None:
                return found
        return None

    def rels(self, source: str) -> list[Rel]:
        """The relationships of the part ``source`` ("" for the package)."""
        path = self.find(rels_path(source))
        return relationships(self.doc(path)) if path else []
