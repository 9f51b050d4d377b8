"""Merge rendered result sheets into the user's own workbook, leaving the user's parts intact.

Loading a workbook with openpyxl and saving it again destroys what openpyxl does not model:
text boxes, Excel 2010 extensions (cross-sheet validation lists, icon sets, sparklines) and
every formula's cached value. So the result sheets are rendered with xlsxwriter into a
separate package, and only those sheet parts are merged into the user's zip.

Every user part the merge does not need to change is copied byte for byte. The few it must
change (workbook.xml and its rels, [Content_Types].xml, styles.xml, docProps/custom.xml,
docProps/app.xml, _rels/.rels) are edited as text at located positions (packager_xml): parsing
them with ElementTree and writing them back would rename namespace prefixes and drop
declarations that ``mc:Ignorable`` refers to, which Excel then refuses. The rendered parts are
our own, so they may be rewritten freely.

The merge, in order: read the user's workbook and ours, plan which parts go (the previous
result sheets and what only they use), merge the styles (packager_styles), copy our sheets in
(packager_sheets), then edit the user's parts that list them (packager_parts).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

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
from sroi_excel.packager_parts import (
    UserBook,
    calculate_on_load,
    edit_app,
    edit_content_types,
    edit_defined_names,
    edit_workbook,
    read_list_property,
    read_property,
    set_properties,
    storable,
    tab_views,
)
from sroi_excel.packager_sheets import (
    Copies,
    LateRows,
    Ours,
    StyleSamples,
    read_ours,
    sampled,
    user_side,
)
from sroi_excel.packager_styles import Styles
from sroi_excel.packager_xml import (
    NS_CT,
    NS_MAIN,
    NS_PKG_RELS,
    NS_R,
    REL_CALC_CHAIN,
    REL_OFFICE_DOCUMENT,
    REL_STYLES,
    STRICT_MESSAGE,
    STRICT_PREFIX,
    Node,
    Rel,
    Sheet,
    UserParts,
    esc_text,
    local_name,
    relationships,
)

__all__ = [
    "RESULT_NAMES_PROPERTY",
    "RESULT_PROPERTY",
    "LateRows",
    "Rendered",
    "StyleSamples",
    "alone",
    "merge_result_sheets",
    "owned_beside",
    "owned_sheets",
    "read_property",
    "sheet_names",
]

RESULT_PROPERTY = "sroi-excel-sheets"
# Global defined names the result workbook added, so a second fill can replace them.
RESULT_NAMES_PROPERTY = "sroi-excel-names"


def owned_sheets(parts: Mapping[str, bytes]) -> list[str]:
    """Names of the sheets sroi-excel added, as recorded in the custom document properties."""
    return read_list_property(parts, RESULT_PROPERTY)


def owned_beside(parts: Mapping[str, bytes], names: Iterable[str]) -> list[str]:
    """The sheets listed as the tool's that a merge with ``keep_owned`` keeps beside sheets
    of ``names``: all others, in the order they are listed."""
    replaced = {name.casefold() for name in names}
    return [name for name in owned_sheets(parts) if name.casefold() not in replaced]


def sheet_names(parts: Mapping[str, bytes]) -> list[str]:
    """The workbook's sheet names in tab order."""
    root = parse_xml(parts[WORKBOOK], WORKBOOK)
    names = []
    for sheets in root:
        if local_name(sheets.tag) == "sheets":
            names += [s.get("name", "") for s in sheets if local_name(s.tag) == "sheet"]
    return names


@dataclass(frozen=True)
class Rendered:
    """Result sheets to merge: an xlsx package, the rows still to be made per sheet name (see
    :class:`LateRows`) and the styles those rows use."""

    package: bytes
    late_rows: Mapping[str, Sequence[LateRows]] = field(default_factory=dict)
    styles: StyleSamples | None = None


def merge_result_sheets(
    package: bytes,
    rendered: bytes | Rendered,
    *,
    properties: dict[str, str] | None = None,
    name: str = "workbook",
    recalculate: bool = False,
    parts: Mapping[str, bytes] | None = None,
    keep_owned: bool = False,
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
    that it is not unpacked again. ``keep_owned``: replace only the tool's sheets that have the
    names of rendered ones and keep its others, still listed as the tool's (compare's sheet
    added beside fill's; see :func:`owned_beside`). ``written``: properties made once the
    result sheets are zipped, ``make(digests)`` given the sha256 (hex) of each result sheet's
    part as written, by sheet name; the custom properties part then comes last in the package.
    """
    extra = dict(properties or {})
    written = dict(written or {})
    for reserved in (RESULT_PROPERTY, RESULT_NAMES_PROPERTY):
        if reserved in extra or reserved in written:
            raise ValueError(f"the custom property {reserved!r} is reserved for the merge")
    # A Rendered is render_for_merge's xlsxwriter output, made in this process: its parts need
    # not be proved safe. Bytes may come from anywhere and are checked like the user's parts.
    trusted = isinstance(rendered, Rendered)
    if isinstance(rendered, bytes):
        rendered = Rendered(rendered)
    user = parts if parts is not None else read_package(package, name)
    ours = read_package(rendered.package, "the rendered result workbook")
    # Stand-ins for the values made as the package is zipped (_made_properties).
    pending = {key: f"sroi-excel-pending-{secrets.token_hex(8)}" for key in written}
    merged, sheet_parts, property_part = _merge(
        UserParts(user, name), read_ours(ours, trusted), rendered, {**extra, **pending},
        recalculate, keep_owned)
    if not written:
        return write_package(merged)
    digests: dict[str, str] = {}
    # Last, so that the sheets' digests are known when it is zipped.
    merged[property_part] = _made_properties(merged.pop(property_part), pending, written,
                                             sheet_parts, digests)
    return write_package(merged, digests)


def _made_properties(data: bytes, pending: Mapping[str, str],
                     written: Mapping[str, Callable[[Mapping[str, str]], str]],
                     sheet_parts: Mapping[str, str], digests: Mapping[str, str]) -> Streamed:
    """The custom properties part, with the ``written`` values made as it is zipped."""
    def made(key: str) -> Iterator[str]:
        value = written[key]({sheet: digests[part] for sheet, part in sheet_parts.items()})
        storable(key, value)
        yield esc_text(value)

    at = sorted((data.index(marker.encode()), key) for key, marker in pending.items())
    pieces: list[bytes | Iterable[str]] = []
    start = 0
    for position, key in at:
        pieces += [data[start:position], made(key)]
        start = position + len(pending[key])
    return Streamed([*pieces, data[start:]])


def alone(rendered: Rendered) -> bytes:
    """The rendered result sheets as a workbook of their own: merged into one without
    sheets."""
    return merge_result_sheets(write_package(_EMPTY_WORKBOOK), rendered)


_EMPTY_WORKBOOK = {
    CONTENT_TYPES: (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="{NS_CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>").encode(),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{NS_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{REL_OFFICE_DOCUMENT}" Target="xl/workbook.xml"/>'
        "</Relationships>").encode(),
    WORKBOOK: (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{NS_MAIN}" '
        f'xmlns:r="{NS_R}"><sheets/></workbook>').encode(),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{NS_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{REL_STYLES}" Target="styles.xml"/>'
        "</Relationships>").encode(),
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<styleSheet xmlns="{NS_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
        'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
        'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>').encode(),
}


# --------------------------------------------------------------------------------------------
# The merge
# --------------------------------------------------------------------------------------------


def _merge(user: UserParts, ours: Ours, rendered: Rendered, properties: dict[str, str],
           recalculate: bool, keep_owned: bool) -> tuple[dict, dict[str, str], str]:
    """The merged package's parts, the part of each result sheet by name, and the custom
    properties part."""
    book = _read_user_book(user)
    still, still_names = _still_owned(user, ours, keep_owned)
    owned = _folded(owned_sheets(user.parts)) - _folded(still)
    book.removed = [s for s in book.sheets if s.name.casefold() in owned]
    book.kept = [s for s in book.sheets if s.name.casefold() not in owned]
    dropped_rels, deleted = _plan_removal(user, book)
    owned_names = _folded(read_list_property(user.parts, RESULT_NAMES_PROPERTY)) - _folded(
        still_names)
    global_names = _check_names(book, ours, owned_names)
    styles = Styles(user.doc(_styles_path(user, book)), user.name)
    # The samples' styles first: the result sheets' own are numbered after them.
    numbers = sampled(styles, rendered.styles) if rendered.styles is not None else {}
    maps = styles.merge(ours.styles)
    styles.write()
    selected, views = tab_views(book, ours.sheets)
    copies = Copies(ours, user_side(user, deleted, global_names), maps, rendered.late_rows,
                    numbers, selected)
    new_parts, sheet_parts, content_types = copies.copy()
    edit_workbook(book, ours.sheets, sheet_parts, dropped_rels, views)
    edit_defined_names(book, owned_names, ours.wb, ours.defined)
    if recalculate:
        calculate_on_load(book.wb)
    values = {RESULT_PROPERTY: "\n".join([*still, *(s.name for s in ours.sheets)])}
    if ours.global_names or read_property(user.parts, RESULT_NAMES_PROPERTY) is not None:
        values[RESULT_NAMES_PROPERTY] = "\n".join([*still_names, *ours.global_names])
    property_part = set_properties(user, {**values, **properties}, content_types)
    edit_app(user, book, ours.sheets)
    edit_content_types(user, deleted, content_types)
    out = {part: user.docs[part].result() if part in user.docs else data
           for part, data in user.parts.items() if part not in deleted}
    # Created user-side parts go before our sheets, so a second fill, which deletes and
    # re-appends only our sheets, writes the parts in the same order.
    out.update({part: user.docs[part].result() for part in user.created})
    out.update(new_parts)
    return out, {s.name: part for s, part in zip(ours.sheets, sheet_parts, strict=True)}, \
        property_part


def _still_owned(user: UserParts, ours: Ours, keep_owned: bool) -> tuple[list[str], list[str]]:
    """The tool's sheets and global names the merge keeps: with ``keep_owned`` all but the
    sheets of our names, with the global names of them all; else none."""
    if not keep_owned:
        return [], []
    return (owned_beside(user.parts, (s.name for s in ours.sheets)),
            read_list_property(user.parts, RESULT_NAMES_PROPERTY))


def _folded(names: Iterable[str]) -> set[str]:
    return {name.casefold() for name in names}


def _read_user_book(user: UserParts) -> UserBook:
    """The user's workbook part, its relationships and its sheets; refuses a package that is
    not an Excel workbook this can add sheets to."""
    name = user.name
    _check_main_part(user)
    wb = user.doc(WORKBOOK)
    root = wb.root
    if (root.ns or "").startswith(STRICT_PREFIX):
        raise FileFormatError(STRICT_MESSAGE.format(name=name))
    if not root.is_("workbook"):
        raise FileFormatError(f"'{name}' is not an Excel workbook ({WORKBOOK})")
    rels_part = user.find(rels_path(WORKBOOK)) or rels_path(WORKBOOK)
    if rels_part not in user.parts:
        raise FileFormatError(f"'{name}' is damaged: it has no {rels_part}")
    rels = user.doc(rels_part)
    sheets_node = root.kid("sheets")
    if sheets_node is None:
        raise FileFormatError(f"'{name}' is damaged: its workbook lists no sheets")
    protection = root.kid("workbookProtection")
    if protection is not None and (protection.get("lockStructure") or "") in ("1", "true"):
        raise WorkbookError("the workbook's structure is protected, so no sheets can be added; "
                            "unprotect it (Review > Protect Workbook) and run fill again")
    sheets = _user_sheets(user, sheets_node, relationships(rels))
    return UserBook(wb, rels, sheets_node, sheets, list(sheets), [])


def _check_main_part(user: UserParts) -> None:
    """Refuse a package whose relationships do not lead to xl/workbook.xml."""
    name = user.name
    if "_rels/.rels" not in user.parts:
        raise FileFormatError(f"'{name}' is damaged: it has no _rels/.rels part")
    package_rels = user.rels("")
    if any(rel.type.startswith(STRICT_PREFIX) for rel in package_rels):
        raise FileFormatError(STRICT_MESSAGE.format(name=name))
    main = [rel for rel in package_rels if rel.type == REL_OFFICE_DOCUMENT]
    if not main or user.find(resolve_target("", main[0].target)) != WORKBOOK:
        raise FileFormatError(f"'{name}' does not keep its workbook in {WORKBOOK}; save it "
                              "again as 'Excel Workbook (.xlsx)'")


def _user_sheets(user: UserParts, sheets_node: Node, rels: list[Rel]) -> list[Sheet]:
    by_id = {rel.id: rel for rel in rels}
    sheets = []
    for node in sheets_node.kids("sheet"):
        rid = node.get("id", NS_R) or ""
        rel = by_id.get(rid)
        part = user.find(resolve_target(WORKBOOK, rel.target)) if rel else None
        sheets.append(Sheet(node.get("name") or "", node.get("sheetId") or "0", rid,
                            node.get("state"), part or "", node, rel.type if rel else ""))
    return sheets


def _plan_removal(user: UserParts, book: UserBook) -> tuple[list[str], set[str]]:
    """The workbook relationships to drop and the parts to delete: the removed sheets, the
    calculation chain (Excel rebuilds it) and what only they reach."""
    removed_parts = {s.part for s in book.removed if s.part}
    calc_chain = [rel for rel in relationships(book.rels) if rel.type == REL_CALC_CHAIN]
    dropped_rels = [s.rid for s in book.removed] + [rel.id for rel in calc_chain]
    skip = set(removed_parts)
    skip.update(p for rel in calc_chain if (p := user.find(resolve_target(WORKBOOK, rel.target))))
    kept_reach = _reachable(user, [""], skip)
    deleted = (_reachable(user, sorted(removed_parts), set()) | skip) - kept_reach
    deleted.discard("")
    deleted |= {r for part in deleted if (r := user.find(rels_path(part)))}
    return dropped_rels, deleted


def _reachable(user: UserParts, sources: list[str], skip: set[str]) -> set[str]:
    seen = set(sources)
    todo = list(sources)
    while todo:
        source = todo.pop()
        for rel in user.rels(source):
            if rel.external:
                continue
            target = user.find(resolve_target(source, rel.target))
            if target and target not in seen and target not in skip:
                seen.add(target)
                todo.append(target)
    return seen


def _check_names(book: UserBook, ours: Ours, owned: set[str]) -> set[str]:
    """Refuse our sheets or global names where the user has one of the same name; the user's
    global names (casefolded) that stay."""
    kept = {s.name.casefold() for s in book.kept}
    for sheet in ours.sheets:
        if sheet.name.casefold() in kept:
            raise WorkbookError(f"the workbook already has a sheet named '{sheet.name}' that "
                                "sroi-excel did not make; rename that sheet and run fill again",
                                sheet=sheet.name)
    names = book.wb.root.kid("definedNames")
    user_names = {label for node in (names.kids("definedName") if names is not None else [])
                  if node.get("localSheetId") is None
                  and (label := (node.get("name") or "").casefold()) not in owned}
    for label in ours.global_names:
        if label.casefold() in user_names:
            raise WorkbookError(f"the workbook already has a name '{label}' that sroi-excel did "
                                "not make; rename or delete it (Formulas > Name Manager) and run "
                                "fill again")
    return user_names


def _styles_path(user: UserParts, book: UserBook) -> str:
    for rel in relationships(book.rels):
        if rel.type == REL_STYLES and not rel.external:
            found = user.find(resolve_target(WORKBOOK, rel.target))
            if found:
                return found
    # Legal but never written by Excel or LibreOffice; not worth inventing a styles part.
    raise FileFormatError(f"'{user.name}' has no styles part; open it in Excel and save it "
                          "again")
