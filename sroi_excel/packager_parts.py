"""The user's parts the merge must change, each edited by one function as located text (see
packager_xml): workbook.xml and its relationships (sheets, tab views, defined names), the
custom and the app document properties, and [Content_Types].xml."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from urllib.parse import unquote

from sroi_excel.exceptions import FileFormatError
from sroi_excel.opc import CONTENT_TYPES, WORKBOOK, parse_xml, resolve_target
from sroi_excel.packager_xml import (
    CT_CUSTOM_PROPERTIES,
    FMTID,
    NS_CT,
    NS_CUSTOM,
    NS_EXTENDED,
    NS_MAIN,
    NS_R,
    NS_VT,
    REL_CUSTOM_PROPERTIES,
    REL_SHARED_STRINGS,
    REL_WORKSHEET,
    Doc,
    Node,
    Sheet,
    UserParts,
    esc_attr,
    esc_text,
    local_name,
    next_rid,
    relationships,
)

# Global defined names the result workbook added (one a line), so a second fill can replace
# them; the template records its own there too.
RESULT_NAMES_PROPERTY = "sroi-excel-names"

# A content type to add: (part, type, extension when ours declared it as a default, else None)
ContentType = tuple[str, str, str | None]


@dataclass
class UserBook:
    """The user's workbook part and its relationships, with its sheets in tab order; after
    :func:`plan`, which of them stay and which go."""

    wb: Doc
    rels: Doc
    sheets_node: Node
    sheets: list[Sheet]
    kept: list[Sheet]
    removed: list[Sheet]


# --------------------------------------------------------------------------------------------
# workbook.xml and its relationships
# --------------------------------------------------------------------------------------------


def tab_views(book: UserBook, ours: Sequence[Sheet]) -> tuple[int | None, list]:
    """Which of our sheets, if any, takes over the active tab from a removed sheet, and the
    changes to each tab view (``[(view, {attribute: value})]``)."""
    views = book.wb.root.kid("bookViews")
    selected = None
    changes = []
    for view in views.kids("workbookView") if views is not None else []:
        updates = {}
        for attr in ("activeTab", "firstSheet"):
            raw = view.get(attr)
            old = int(raw) if raw and raw.isdigit() else 0
            if old >= len(book.sheets):
                continue
            new, ours_at = _tab(book, ours, old, attr == "activeTab")
            if ours_at is not None and selected is None:
                selected = ours_at
            if new != old:
                updates[attr] = str(new)
        if updates:
            changes.append((view, updates))
    return selected, changes


def _tab(book: UserBook, ours: Sequence[Sheet], old: int, active: bool) -> tuple[int, int | None]:
    """Where the tab at ``old`` is after the merge, and which of ours it is, if one."""
    sheet = book.sheets[old]
    if sheet in book.kept:
        return book.kept.index(sheet), None
    new = sum(1 for s in book.sheets[:old] if s in book.kept)
    mine = None
    if active:
        same = [i for i, s in enumerate(ours) if s.name.casefold() == sheet.name.casefold()
                and (s.state or "visible") == "visible"]
        if same:
            mine = same[0]
            new = len(book.kept) + mine
        else:
            visible = [i for i, s in enumerate(book.kept) if (s.state or "visible") == "visible"]
            new = visible[0] if visible else len(book.kept)
    return min(new, len(book.kept) + len(ours) - 1), mine


def edit_workbook(book: UserBook, ours: Sequence[Sheet], parts: Sequence[str],
                  dropped_rels: Sequence[str], views: list) -> None:
    """Remove the sheets that go (and the relationships ``dropped_rels``), move the tab views,
    and add ``ours`` with their parts ``parts``."""
    wb, rels_doc = book.wb, book.rels
    for rel in relationships(rels_doc):
        if rel.id in dropped_rels:
            rels_doc.remove(rel.node)
    for sheet in book.removed:
        wb.remove(sheet.node)
    for view, updates in views:
        for key, value in updates.items():
            wb.set_attr(view, key, value)
    ids = next_rid({rel.id for rel in relationships(rels_doc) if rel.id not in dropped_rels})
    sheet_ids = count(max([int(s.sheet_id) for s in book.kept if s.sheet_id.isdigit()],
                          default=0) + 1)
    r_prefix = book.sheets_node.prefix_for(NS_R)
    declare = ""
    if not r_prefix:
        r_prefix = "r" if book.sheets_node.nsmap.get("r") in (None, NS_R) else "sroi_r"
        declare = f' xmlns:{r_prefix}="{NS_R}"'
    p, rp = _prefix(wb.root), _prefix(rels_doc.root)
    new_sheets, new_rels = [], []
    for sheet, part in zip(ours, parts, strict=True):
        rid = next(ids)
        state = f' state="{esc_attr(sheet.state)}"' if sheet.state else ""
        new_sheets.append(f'<{p}sheet name="{esc_attr(sheet.name)}" sheetId="{next(sheet_ids)}"'
                          f'{state}{declare} {r_prefix}:id="{rid}"/>')
        target = posixpath.relpath(part, posixpath.dirname(WORKBOOK))
        new_rels.append(f'<{rp}Relationship Id="{rid}" Type="{sheet.kind}" '
                        f'Target="{esc_attr(target)}"/>')
    wb.append_children(book.sheets_node, "".join(new_sheets), {})
    rels_doc.append_children(rels_doc.root, "".join(new_rels), {})


def edit_defined_names(book: UserBook, owned: set[str], ours: Doc, defined: Sequence[Node]
                       ) -> None:
    """Drop the names of removed sheets and the global names ``owned`` (casefolded) a previous
    fill added, renumber the local names of sheets that moved, and add ours (``defined``, of
    the rendered workbook ``ours``), numbered after the kept sheets."""
    wb = book.wb
    names = wb.root.kid("definedNames")
    remaining, dropped = _keep_user_names(book, owned, names)
    p = _prefix(wb.root)
    added = []
    for node in defined:
        attrs = "".join(
            f' {attr.qname}="{esc_attr(_shifted(attr.qname, attr.value, len(book.kept)))}"'
            for attr in node.attrs)
        added.append(f"<{p}definedName{attrs}>{ours.inner(node)}</{p}definedName>")
    content = "".join(added)
    if names is not None:
        if not content and not remaining and dropped:
            wb.remove(names)  # it held only our names; leave no empty element behind
        elif content:
            wb.append_children(names, content, {})
    elif content:
        anchor = _last_of(wb.root, ("sheets", "functionGroups", "externalReferences"))
        wb.insert(anchor.end, f"<{p}definedNames>{content}</{p}definedNames>")


def _shifted(qname: str, value: str, offset: int) -> str:
    return str(int(value) + offset) if qname == "localSheetId" else value


def _keep_user_names(book: UserBook, owned: set[str], names: Node | None) -> tuple[int, int]:
    """Remove and renumber the user's defined names; how many remain and how many went."""
    removed = {i for i, s in enumerate(book.sheets) if s in book.removed}
    kept = [i for i in range(len(book.sheets)) if i not in removed]
    remap = {old: new for new, old in enumerate(kept)}
    remaining = dropped = 0
    for node in names.kids("definedName") if names is not None else []:
        local_id = node.get("localSheetId")
        old = -1 if local_id is None or not local_id.isdigit() else int(local_id)
        if (local_id is None and (node.get("name") or "").casefold() in owned
                or local_id is not None and old in removed):
            book.wb.remove(node)
            dropped += 1
            continue
        remaining += 1
        if local_id is not None and old in remap and remap[old] != old:
            book.wb.set_attr(node, node.attr("localSheetId").qname, str(remap[old]))
    return remaining, dropped


def edit_shared_strings(user: UserParts, book: UserBook) -> None:
    """Take the cells of the removed sheets off the shared strings' ``count`` (the cells that
    use one), as Excel expects it. Our sheets hold their text inline; a previous fill's sheets
    use shared strings once Excel or LibreOffice saved them."""
    used = sum(len(_SHARED_CELL.findall(user.parts[s.part])) for s in book.removed
               if s.part in user.parts)
    if not used:
        return
    part = next((user.find(resolve_target(WORKBOOK, rel.target)) for rel in
                 relationships(book.rels) if rel.type == REL_SHARED_STRINGS and not rel.external),
                None)
    if part is None:
        return
    doc = user.doc(part)
    count = doc.root.attr("count")
    if count is not None and count.value.strip().isdigit():
        doc.set_attr(doc.root, count.qname, str(max(int(count.value) - used, 0)))


_SHARED_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\st="s"')


def calculate_on_load(wb: Doc) -> None:
    """Ask Excel to recompute every formula when it opens the workbook."""
    calc = wb.root.kid("calcPr")
    if calc is not None:
        wb.set_attr(calc, "fullCalcOnLoad", "1")
        return
    # calcPr follows definedNames, which edit_defined_names may just have added at the same
    # place; equal positions keep their insertion order.
    anchor = _last_of(wb.root, ("sheets", "functionGroups", "externalReferences",
                                "definedNames"))
    wb.insert(anchor.end, f'<{_prefix(wb.root)}calcPr fullCalcOnLoad="1"/>')


def _last_of(root: Node, locals_: tuple[str, ...]) -> Node:
    return [n for n in root.children if n.ns == NS_MAIN and n.local in locals_][-1]


def _prefix(node: Node) -> str:
    return f"{node.prefix}:" if node.prefix else ""


# --------------------------------------------------------------------------------------------
# Document properties
# --------------------------------------------------------------------------------------------


def storable(key: str, value: str) -> None:
    """Refuse a property that XML cannot store."""
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", key + value):
        raise ValueError(f"the property {key!r} holds characters XML cannot store")


def set_properties(user: UserParts, values: Mapping[str, str], added: list[ContentType]
                   ) -> str:
    """Store ``values`` as custom document properties, creating the part if there is none (and
    its content type at the front of ``added``); returns the part."""
    for key, value in values.items():
        storable(key, value)
    path = find_property_part(user.parts) or _new_property_part(user, added)
    doc = user.doc(path)
    root = doc.root
    if not root.is_("Properties", NS_CUSTOM):
        raise FileFormatError(f"'{user.name}' has a damaged custom properties part ({path})")
    existing = {(n.get("name") or "").casefold(): n for n in root.kids("property", NS_CUSTOM)}
    pids = [int(n.get("pid") or 0) for n in existing.values()
            if (n.get("pid") or "").isdigit()]
    next_pid = count(max([1, *pids]) + 1)
    vt, p = root.prefix_for(NS_VT), _prefix(root)
    appended = []
    for key, value in values.items():
        if vt:
            element = f"<{vt}:lpwstr>{esc_text(value)}</{vt}:lpwstr>"
        else:
            element = (f'<sroi_vt:lpwstr xmlns:sroi_vt="{NS_VT}">{esc_text(value)}'
                       "</sroi_vt:lpwstr>")
        node = existing.get(key.casefold())
        if node is None:
            appended.append(f'<{p}property fmtid="{FMTID}" pid="{next(next_pid)}" '
                            f'name="{esc_attr(key)}">{element}</{p}property>')
        elif not _holds(doc, node, value):
            _set_element(doc, node, element)
    if appended:
        doc.append_children(root, "".join(appended), {})
    return path


def _holds(doc: Doc, node: Node, value: str) -> bool:
    kids = node.children
    return len(kids) == 1 and kids[0].is_("lpwstr", NS_VT) and doc.node_text(kids[0]) == value


def _set_element(doc: Doc, node: Node, element: str) -> None:
    """Replace what ``node`` holds by ``element``."""
    if node.selfclosing:
        doc.replace(node.start, node.end, f"{doc.start_tag(node, {})}>{element}</{node.qname}>")
    else:
        doc.replace(node.stag_end, node.inner_end, element)


def _new_property_part(user: UserParts, added: list[ContentType]) -> str:
    path = "docProps/custom.xml"
    while user.find(path):
        path = "docProps/sroi_" + posixpath.basename(path)
    user.create(path, (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       f'<Properties xmlns="{NS_CUSTOM}" xmlns:vt="{NS_VT}"></Properties>'
                       ).encode())
    package_rels = user.doc("_rels/.rels")
    rid = next(next_rid({rel.id for rel in relationships(package_rels)}))
    package_rels.append_children(
        package_rels.root, f'<{_prefix(package_rels.root)}Relationship Id="{rid}" '
                           f'Type="{REL_CUSTOM_PROPERTIES}" Target="{path}"/>', {})
    added.insert(0, (path, CT_CUSTOM_PROPERTIES, None))
    return path


def find_property_part(parts: Mapping[str, bytes]) -> str | None:
    """The custom properties part the package's relationships name, if it has one."""
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


def read_property(parts: Mapping[str, bytes], key: str) -> str | None:
    """A custom document property (docProps/custom.xml), or None when absent."""
    path = find_property_part(parts)
    if path is None:
        return None
    for node in parse_xml(parts[path], path):
        if (local_name(node.tag) == "property"
                and (node.get("name") or "").casefold() == key.casefold()):
            values = list(node)
            return (values[0].text if values else node.text) or ""
    return None


# Excel's limit on the length of a text property: a longer one is damage it repairs.
MAX_PROPERTY = 255


def read_list_property(parts: Mapping[str, bytes], key: str) -> list[str]:
    """A list of items one a line, kept in the custom properties ``key``, ``key 2``, ...
    (see :func:`list_properties`)."""
    lines: list[str] = []
    for number in count(1):
        value = read_property(parts, numbered_key(key, number))
        if value is None:
            break
        lines += value.splitlines()
    return [line for line in lines if line]


def list_properties(key: str, items: Sequence[str], parts: Mapping[str, bytes] | None = None
                    ) -> dict[str, str]:
    """``items`` one a line as custom properties of at most :data:`MAX_PROPERTY` characters:
    ``key``, then ``key 2``, ``key 3``, ... as needed. The further ones a list in ``parts``
    had are emptied."""
    chunks = [""]
    for item in items:
        if chunks[-1] and len(chunks[-1]) + 1 + len(item) > MAX_PROPERTY:
            chunks.append(item)
        else:
            chunks[-1] += ("\n" if chunks[-1] else "") + item
    values = {numbered_key(key, n): chunk for n, chunk in enumerate(chunks, 1)}
    if parts is not None:
        values.update(dict.fromkeys(stale_keys(parts, key, len(chunks)), ""))
    return values


def numbered_key(key: str, number: int) -> str:
    """The name of the ``number``-th (from 1) property of a list: ``key``, ``key 2``, ..."""
    return key if number == 1 else f"{key} {number}"


def stale_keys(parts: Mapping[str, bytes], key: str, used: int) -> list[str]:
    """The properties of a list in ``parts`` after its first ``used``: to be emptied."""
    stale = []
    while read_property(parts, numbered_key(key, used + len(stale) + 1)) is not None:
        stale.append(numbered_key(key, used + len(stale) + 1))
    return stale


def edit_app(user: UserParts, book: UserBook, ours: Sequence[Sheet]) -> None:
    """List our sheets in docProps/app.xml instead of the removed ones, where it lists the
    sheets in a way this recognises (else it is left as it is: Excel rewrites it)."""
    path = user.find("docProps/app.xml")
    found = _sheet_segment(user.doc(path), book) if path is not None else None
    if found is None:
        return
    doc = user.doc(path)
    titles, segments, position = found
    number, nodes = segments[position]
    removed = {s.name.casefold() for s in book.removed}
    gone = [n for n in nodes if doc.node_text(n).casefold() in removed]
    for node in gone:
        doc.remove(node)
    every_sheet = [doc.node_text(n) for n in nodes] == [s.name for s in book.sheets]
    new = [s for s in ours if every_sheet or s.kind == REL_WORKSHEET]
    q = _prefix(titles)
    text = "".join(f"<{q}lpstr>{esc_text(s.name)}</{q}lpstr>" for s in new)
    if nodes:
        doc.insert(nodes[-1].end, text)
    else:
        following = [n for _, later in segments[position + 1:] for n in later]
        doc.insert(following[0].start if following else titles.inner_end, text)
    doc.replace(number.stag_end, number.inner_end, str(len(nodes) - len(gone) + len(new)))
    size = titles.attr("size")
    if size is not None:
        total = sum(len(later) for _, later in segments)
        doc.set_attr(titles, size.qname, str(total - len(gone) + len(new)))


def _sheet_segment(doc: Doc, book: UserBook
                   ) -> tuple[Node, list[tuple[Node, list[Node]]], int] | None:
    """The titles vector of app.xml, its segments (see _title_segments) and which of them
    lists the sheets; None where there is none such."""
    found = _title_segments(doc)
    if found is None:
        return None
    everything = [s.name for s in book.sheets]
    worksheets = [s.name for s in book.sheets if s.kind == REL_WORKSHEET]
    # Headings are localised ("Worksheets", "Werkbladen"), so the sheet segment is recognised
    # by its titles instead.
    for position, (_, nodes) in enumerate(found[1]):
        listed = [doc.node_text(n) for n in nodes]
        if listed == everything or (listed and listed == worksheets):
            return (*found, position)
    return None


def _title_segments(doc: Doc) -> tuple[Node, list[tuple[Node, list[Node]]]] | None:
    """The titles vector of app.xml and its segments: each heading's count element and the
    titles it counts. None where the part is not laid out as Excel writes it."""
    root = doc.root
    heading = root.kid("HeadingPairs", NS_EXTENDED)
    titles = root.kid("TitlesOfParts", NS_EXTENDED)
    pairs = heading.kid("vector", NS_VT) if heading is not None else None
    vector = titles.kid("vector", NS_VT) if titles is not None else None
    if pairs is None or vector is None:
        return None
    variants = pairs.kids("variant", NS_VT)
    lpstrs = vector.kids("lpstr", NS_VT)
    if len(variants) % 2 or len(vector.children) != len(lpstrs):
        return None
    segments = []
    start = 0
    for i in range(1, len(variants), 2):
        number = variants[i].kid("i4", NS_VT)
        if number is None or not doc.node_text(number).strip().isdigit():
            return None
        size = int(doc.node_text(number).strip())
        segments.append((number, lpstrs[start:start + size]))
        start += size
    return (vector, segments) if start == len(lpstrs) else None


def edit_content_types(user: UserParts, deleted: set[str], added: Sequence[ContentType]
                       ) -> None:
    """Drop the overrides of the parts that go and declare those that come."""
    doc = user.doc(CONTENT_TYPES)
    root = doc.root
    if not root.is_("Types", NS_CT):
        raise FileFormatError(f"'{user.name}' has a damaged {CONTENT_TYPES}")
    p = _prefix(root)
    gone = {part.casefold() for part in deleted}
    defaults = {}
    last_default = None
    for node in root.children:
        if node.local == "Default":
            defaults[(node.get("Extension") or "").lower()] = node.get("ContentType")
            last_default = node
        elif (node.local == "Override"
              and unquote((node.get("PartName") or "").lstrip("/")).casefold() in gone):
            doc.remove(node)
    new_defaults, overrides = [], []
    for part, ctype, our_default in added:
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        if defaults.get(ext) == ctype:
            continue
        if our_default is not None and ext not in defaults:
            defaults[ext] = ctype
            new_defaults.append(f'<{p}Default Extension="{esc_attr(ext)}" '
                                f'ContentType="{esc_attr(ctype)}"/>')
        else:
            overrides.append(f'<{p}Override PartName="/{esc_attr(part)}" '
                             f'ContentType="{esc_attr(ctype)}"/>')
    if new_defaults:
        if last_default is not None:
            doc.insert(last_default.end, "".join(new_defaults))
        elif not root.selfclosing:
            doc.insert(root.stag_end, "".join(new_defaults))
        else:
            overrides = new_defaults + overrides
    if overrides:
        doc.append_children(root, "".join(overrides), {})
