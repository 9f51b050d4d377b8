"""The rendered styles merged into the user's styles part: our entries appended (or matched
with an equal one already there), and maps from our style numbers to the merged ones."""

from __future__ import annotations

from dataclasses import dataclass

from sroi_excel.exceptions import FileFormatError
from sroi_excel.packager_xml import (
    NS_MAIN,
    NS_XML,
    STRICT_MESSAGE,
    STRICT_PREFIX,
    Doc,
    Node,
    esc_attr,
    esc_text,
)


@dataclass(frozen=True)
class Frag:
    """A small element of our own (a style entry) that is compared and serialized."""

    ns: str | None
    local: str
    attrs: tuple[tuple[str | None, str, str], ...]
    children: tuple[Frag, ...]
    text: str

    @classmethod
    def of(cls, node: Node, doc: Doc) -> Frag:
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

    def with_attrs(self, updates: dict[str, str]) -> Frag:
        attrs = tuple((ns, name, updates[name] if ns is None and name in updates else value)
                      for ns, name, value in self.attrs)
        return Frag(self.ns, self.local, attrs, self.children, self.text)

    def with_children(self, children: tuple[Frag, ...]) -> Frag:
        return Frag(self.ns, self.local, self.attrs, children, self.text)

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
            attrs.append(f' {local}="{esc_attr(value)}"')
        inner = "".join(child.serialize(prefix) for child in self.children) + esc_text(self.text)
        if not inner:
            return f"<{name}{''.join(attrs)}/>"
        return f"<{name}{''.join(attrs)}>{inner}</{name}>"


_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                "dxfs", "tableStyles", "colors", "extLst")
_STYLE_ITEM = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border",
               "cellStyleXfs": "xf", "cellXfs": "xf", "cellStyles": "cellStyle", "dxfs": "dxf"}
_FIRST_CUSTOM_NUMFMT = 164


class Styles:
    """Appends our style entries to the user's styles.xml and maps our indexes to theirs."""

    def __init__(self, doc: Doc, name: str):
        root = doc.root
        if (root.ns or "").startswith(STRICT_PREFIX):
            raise FileFormatError(STRICT_MESSAGE.format(name=name))
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
                keys.setdefault(Frag.of(entry, doc).key(), position)
            self.index[coll] = keys
        self.fmt_ids, self.used_fmt_ids = self._number_formats()
        self.named_styles, self.builtin_styles = self._named_styles()

    def _entries(self, coll: str) -> list[Node]:
        node = self.coll[coll]
        return node.kids(_STYLE_ITEM[coll]) if node is not None else []

    def _number_formats(self) -> tuple[dict[str, int], set[int]]:
        """The user's custom number formats: id by format code, and every id taken."""
        by_code: dict[str, int] = {}
        used: set[int] = set()
        for entry in self._entries("numFmts"):
            try:
                fmt_id = int(entry.get("numFmtId") or "")
            except ValueError:
                continue
            used.add(fmt_id)
            by_code.setdefault(entry.get("formatCode") or "", fmt_id)
        return by_code, used

    def _named_styles(self) -> tuple[dict[str, int], dict[str, int]]:
        """The user's cell styles: style xf by name (casefolded) and by built-in id."""
        named: dict[str, int] = {}
        builtin: dict[str, int] = {}
        for entry in self._entries("cellStyles"):
            xf_id = int(entry.get("xfId") or 0)
            named.setdefault((entry.get("name") or "").casefold(), xf_id)
            if entry.get("builtinId") is not None:
                builtin.setdefault(entry.get("builtinId") or "", xf_id)
        return named, builtin

    def add(self, coll: str, frag: Frag, dedupe: bool = True) -> int:
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
            f'<{p}numFmt numFmtId="{new}" formatCode="{esc_attr(code)}"/>')
        self.count["numFmts"] += 1
        return new

    def merge(self, ours: Doc) -> tuple[list[int], list[int]]:
        """Add a rendered package's styles; return the maps of its cellXfs and dxfs
        indexes."""
        root = ours.root

        def entries(coll: str) -> list[Frag]:
            node = root.kid(coll)
            return [Frag.of(e, ours) for e in node.kids(_STYLE_ITEM[coll])] if node else []

        codes = {int(fmt.get("numFmtId") or 0): fmt.get("formatCode") or ""
                 for fmt in entries("numFmts")}
        tables = {attr: [self.add(coll, f) for f in entries(coll)]
                  for attr, coll in (("fontId", "fonts"), ("fillId", "fills"),
                                     ("borderId", "borders"))}

        def remap(xf: Frag, style_xfs: list[int] | None) -> Frag:
            updates = {attr: str(table[int(value)])
                       for attr, table in (*tables.items(), ("xfId", style_xfs))
                       if table is not None and (value := xf.get(attr)) is not None}
            fmt = xf.get("numFmtId")
            if fmt is not None:
                updates["numFmtId"] = str(self.numfmt(int(fmt), codes.get(int(fmt))))
            return xf.with_attrs(updates)

        style_xfs = self._style_xfs(entries("cellStyleXfs"), entries("cellStyles"), remap)
        xfs = [self.add("cellXfs", remap(xf, style_xfs)) for xf in entries("cellXfs")]
        return xfs, [self._dxf(dxf) for dxf in entries("dxfs")]

    def _style_xfs(self, xfs: list[Frag], styles: list[Frag], remap) -> list[int]:
        """Our cell styles' xfs: the user's style of the same name (or built-in id) where it
        has one, else ours added with its name."""
        styles_by_xf: dict[int, Frag] = {}
        for style in styles:
            styles_by_xf.setdefault(int(style.get("xfId") or 0), style)
        found = []
        for position, xf in enumerate(xfs):
            style = styles_by_xf.get(position)
            if style is None:
                found.append(self.add("cellStyleXfs", remap(xf, None)))
                continue
            known = self.named_styles.get((style.get("name") or "").casefold())
            if known is None and style.get("builtinId") is not None:
                known = self.builtin_styles.get(style.get("builtinId") or "")
            if known is not None:
                found.append(known)
                continue
            new = self.add("cellStyleXfs", remap(xf, None), dedupe=False)
            self.add("cellStyles", style.with_attrs({"xfId": str(new)}), dedupe=False)
            self.named_styles[(style.get("name") or "").casefold()] = new
            found.append(new)
        return found

    def _dxf(self, dxf: Frag) -> int:
        children = []
        for child in dxf.children:
            if child.local == "numFmt" and child.get("numFmtId") is not None:
                new_id = self.numfmt(int(child.get("numFmtId") or 0), child.get("formatCode"))
                child = child.with_attrs({"numFmtId": str(new_id)})
            children.append(child)
        return self.add("dxfs", dxf.with_children(tuple(children)))

    def write(self) -> None:
        """Add the entries merged in to the user's styles part (once, after every merge)."""
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
