"""Safe reading and writing of Open Packaging Convention (zip) packages such as .xlsx files.

The workbook comes from a user, so everything in it is treated as hostile until checked:
the zip's central directory is vetted before a single byte is decompressed, decompression
itself is metered, and XML is parsed with entity and DTD processing forbidden.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import IO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from sroi_excel.exceptions import FileFormatError, UnsafeFileError

MAX_ENTRIES = 10_000
MAX_TOTAL_SIZE = 500 * 1024 * 1024
MAX_RATIO = 200
RATIO_CHECK_FROM = 1024 * 1024
_CHUNK = 64 * 1024

CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK = "xl/workbook.xml"

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD_MARKERS = tuple(marker.encode(codec) for marker in ("<!DOCTYPE", "<!ENTITY")
                     for codec in ("utf-8", "utf-16-le", "utf-16-be"))


def read_package(data: bytes, name: str = "workbook") -> dict[str, bytes]:
    """Return the parts of an .xlsx package, in zip order, after checking it is safe.

    Raises :class:`UnsafeFileError` for zip bombs, path escapes and duplicate entries, and
    :class:`FileFormatError` for anything that is not an .xlsx workbook.
    """
    if not data:
        raise FileFormatError(f"'{name}' is empty; it is not an .xlsx workbook")
    if data.startswith(_OLE2_MAGIC):
        raise FileFormatError(
            f"'{name}' is an old .xls file or a password-protected workbook; "
            "save it as .xlsx without a password"
        )
    if not data.startswith(_ZIP_MAGICS):
        raise FileFormatError(_not_a_zip_message(data, name))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise FileFormatError(
            f"'{name}' is damaged: it is not a readable zip package (often a download or copy "
            "that was cut off); get the file again, or let Excel or LibreOffice repair it"
        ) from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        _check_directory(infos, name)
        names = {info.filename for info in infos}
        _check_is_workbook(archive, names, name)
        parts: dict[str, bytes] = {}
        budget = MAX_TOTAL_SIZE
        for info in infos:
            content = _extract(archive, info, name, budget)
            budget -= len(content)
            _refuse_dtd(info.filename, content, name)
            parts[info.filename] = content
    return parts


def _not_a_zip_message(data: bytes, name: str) -> str:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export is UTF-16, so full of NUL bytes, yet still text.
        head = head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be",
                              errors="ignore").encode()
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A cut-off multi-byte character at the end of the sample is still text.
            try:
                head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                text = False
            else:
                text = True
        else:
            text = True
        if text:
            return (
                f"'{name}' is a CSV or text file, not an .xlsx workbook; "
                "open it in Excel and save it as 'Excel Workbook (.xlsx)'"
            )
    return f"'{name}' is not an .xlsx workbook (it is not a zip package)"


def _check_directory(infos: list[zipfile.ZipInfo], name: str) -> None:
    # Everything here uses only the central directory, so a bomb is refused before any
    # decompression work is done.
    if len(infos) > MAX_ENTRIES:
        raise UnsafeFileError(
            f"'{name}' holds {len(infos)} files, more than the {MAX_ENTRIES} a workbook may have"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        entry = info.orig_filename
        if "\x00" in entry or "\\" in entry or entry.startswith("/") or _WINDOWS_DRIVE.match(entry):
            raise UnsafeFileError(f"'{name}' contains an entry with an unsafe name: {entry!r}")
        if ".." in entry.split("/"):
            raise UnsafeFileError(
                f"'{name}' contains an entry that points outside the package: {entry!r}"
            )
        # Part names are case-insensitive in OPC, so two spellings are the same part.
        key = entry.casefold()
        if key in seen:
            raise UnsafeFileError(f"'{name}' contains the entry {entry!r} twice")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise FileFormatError(
                f"'{name}' is encrypted; save it as .xlsx without a password"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileFormatError(
                f"'{name}' uses a zip compression method Excel does not write; "
                "save it again as 'Excel Workbook (.xlsx)'"
            )
        total += info.file_size
        if total > MAX_TOTAL_SIZE:
            raise UnsafeFileError(
                f"'{name}' would unpack to more than {MAX_TOTAL_SIZE // (1024 * 1024)} MB; "
                "refusing it as a possible zip bomb"
            )
        if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise UnsafeFileError(
                f"'{name}' contains {entry!r}, compressed more than {MAX_RATIO}:1; "
                "refusing it as a possible zip bomb"
            )


def _check_is_workbook(archive: zipfile.ZipFile, names: set[str], name: str) -> None:
    if "mimetype" in names:
        info = archive.getinfo("mimetype")
        if info.file_size < 200:
            mimetype = archive.read(info)
            if mimetype.startswith(b"application/vnd.oasis.opendocument"):
                raise FileFormatError(
                    f"'{name}' is an OpenDocument spreadsheet (.ods); "
                    "save it as 'Excel 2007-365 (.xlsx)'"
                )
    if "xl/workbook.bin" in names:
        raise FileFormatError(
            f"'{name}' is a binary Excel workbook (.xlsb); save it as 'Excel Workbook (.xlsx)'"
        )
    missing = [part for part in (CONTENT_TYPES, WORKBOOK) if part not in names]
    if missing:
        raise FileFormatError(
            f"'{name}' is a zip file but not an .xlsx workbook (it has no {missing[0]})"
        )


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int) -> bytes:
    # The declared size was vetted; this meter makes sure the data keeps to it even when the
    # local header or the stream lies about it.
    limit = min(info.file_size, budget)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise UnsafeFileError(
                        f"'{name}' contains {info.filename!r}, which unpacks to more than it "
                        "declares; refusing it as a possible zip bomb"
                    )
                chunks.append(chunk)
    except UnsafeFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        raise FileFormatError(
            f"'{name}' is damaged: {info.filename!r} cannot be unpacked"
        ) from exc
    return b"".join(chunks)


def _refuse_dtd(part: str, content: bytes, name: str) -> None:
    # Checked for every XML part, not only those we parse: openpyxl parses others, and its
    # refusal reads like a bug ("could not read manifest") instead of saying why. Office never
    # writes a DTD, so refusing one costs nothing; the UTF-16 spellings stop an encoding trick.
    if not part.lower().endswith(_XML_SUFFIXES):
        return
    if any(marker in content for marker in _DTD_MARKERS):
        raise UnsafeFileError(
            f"'{name}' is refused: its part {part} declares a DTD or entities (a way to attack "
            "the program that reads it, never used by Excel); save the workbook again with "
            "Excel or LibreOffice if you trust it"
        )


def parse_xml(data: bytes, part: str) -> Element:
    """Parse one XML part with DTDs, entities and external references forbidden."""
    try:
        return safe_et.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise UnsafeFileError(
            f"the part {part} declares a DTD or entities, which a workbook never needs; "
            "refusing it"
        ) from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise FileFormatError(f"the part {part} is damaged: it is not well-formed XML") from exc


FAST_COMPRESSION_BYTES = 4 * 1024 * 1024


class Streamed:
    """A part made while it is zipped, from ready bytes and text made on the way, so the whole
    part (tens of megabytes for a large result sheet) is never in memory at once."""

    def __init__(self, pieces: list[bytes | Iterable[str]]) -> None:
        self.pieces = pieces

    def chunks(self, rows_per_chunk: int = 2000) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, bytes):
                yield piece
                continue
            batch: list[str] = []
            for text in piece:
                batch.append(text)
                if len(batch) == rows_per_chunk:
                    yield "".join(batch).encode("utf-8")
                    batch.clear()
            if batch:
                yield "".join(batch).encode("utf-8")


def write_package(parts: Mapping[str, bytes | Streamed],
                  digests: dict[str, str] | None = None) -> bytes:
    """Zip ``parts`` deterministically: same parts in, same bytes out.

    ``digests`` receives the sha256 (hex) of each part's bytes as the part is written, so that
    a part made later in the zip (a :class:`Streamed`) can hold those of the parts before it.
    """
    buffer = io.BytesIO()
    ordered = [CONTENT_TYPES] if CONTENT_TYPES in parts else []
    ordered += [part for part in parts if part != CONTENT_TYPES]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in ordered:
            info = zipfile.ZipInfo(part, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            # Fixed so the bytes do not depend on the platform that wrote them.
            info.create_system = 0
            info.external_attr = 0
            data = parts[part]
            if isinstance(data, Streamed):
                # Streamed parts are the large result sheets: level 1 compresses them 3-4
                # times faster than the default, ~20% bigger. ZipInfo has no public setter
                # for it (Python 3.13 names it compress_level).
                setattr(info, "compress_level" if hasattr(info, "compress_level")
                        else "_compresslevel", 1)
                chunks = data.chunks()
                with archive.open(info, "w") as out:
                    _write_alongside(out, chunks if digests is None
                                     else _hashed(chunks, part, digests))
                continue
            if digests is not None:
                digests[part] = hashlib.sha256(data).hexdigest()
            level = 1 if len(data) > FAST_COMPRESSION_BYTES else 6
            archive.writestr(info, data, compresslevel=level)
    return buffer.getvalue()


def _hashed(chunks: Iterable[bytes], part: str, digests: dict[str, str]) -> Iterator[bytes]:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    digests[part] = digest.hexdigest()


def _write_alongside(out: IO[bytes], chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` in order; past the first few megabytes from a second thread, so that
    compressing one chunk (zlib releases the GIL) overlaps with making the next."""
    chunks = iter(chunks)
    written = 0
    for chunk in chunks:
        out.write(chunk)
        written += len(chunk)
        if written > FAST_COMPRESSION_BYTES:
            break
    else:
        return  # most workbooks: not worth a thread
    # Imported here: it costs a fill of a small workbook ~10 ms it does not need.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(writer.submit(out.write, chunk))
            if len(pending) > 2:  # a bound on the chunks held in memory
                pending.popleft().result()
        for done in pending:
            done.result()


def rels_path(part: str) -> str:
    """The relationships part that belongs to ``part`` ("" is the package itself)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve_target(source: str, target: str) -> str:
    """The part name a relationship target of ``source`` refers to."""
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
