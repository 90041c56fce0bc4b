"""Archived captures -> a WACZ 1.1.1 package, which ReplayWeb.page and pywb open as it is:
a zip of ``archive/*.warc.gz`` (stored: each record is a gzip member already),
``indexes/index.cdxj`` (cdxj-indexer's lines for every file, sorted as one),
``pages/pages.jsonl`` (a page per version: its response's URL and date, its title, its
layout text), ``datapackage.json`` (each other file's size and SHA-256) and
``datapackage-digest.json``.

What goes in. With no selection, every WARC file of the archive's folder, whole: a file
still being written up to its last whole record, under the name it will have once closed.
With a feed or a date, one new WARC file of the selected versions' records alone, each
gzip member copied byte for byte in the archive's order: the response (and for a revisit
the record it refers to), its request, and the conversion record of each selected
version's text; first, a warcinfo record of its own. Pages are the versions whose
response is in the package (a version fetched before captures were kept has none).

The same archive gives the same bytes, but for datapackage.json's ``created`` (and so the
digest file): the zip's times are fixed, and the new WARC file is named and its warcinfo
dated by its newest record, the warcinfo's id drawn from the ids of the records it heads.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import io
import json
import logging
import os
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, BinaryIO

from cdxj_indexer import CDXJIndexer
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException as BadHeaders

from ..errors import NotFound, StoreError
from ..fetch.capture import CONFORMS_TO, Sha256Writer, software
from ..fetch.records import warc_files
from ..fetch.warcfiles import OPEN, gzip_member, readable_path, whole_records_end
from ..store import Store
from ..store.capture_queries import CapturedVersion, VersionPage

log = logging.getLogger("ingester")

WACZ_VERSION = "1.1.1"
# Passed explicitly: importing the `wacz` package adds warcinfo to cdxj-indexer's default.
INDEXED = "response,revisit,resource,metadata"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CHUNK = 1 << 20
ID = "WARC-Record-ID"


@dataclass(frozen=True, slots=True)
class Packaged:
    path: Path
    versions: int  # pages
    records: int  # WARC records in the package's files


@dataclass(frozen=True, slots=True)
class _Source:  # a file going into the package: the bytes [0, end) of path
    member: str  # its name under archive/
    path: Path  # by its closed name
    end: int
    records: int


@dataclass(frozen=True, slots=True)
class _Record:
    offset: int
    length: int
    headers: dict[str, str]  # its WARC headers

    def __getitem__(self, name: str) -> str:
        return self.headers.get(name, "")


def write_wacz(
    store: Store,
    folder: Path,
    out: Path,
    *,
    feed: str | None = None,
    since: str | None = None,
    title: str = "ingester archive",
    now: datetime | None = None,
) -> Packaged:
    """Package the captures of the versions ``feed`` and ``since`` select (all of them
    by default) at ``out``, replacing it only once the package is whole."""
    feed_id = store.feeds_named([feed], 0)[0].id if feed is not None else None
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The rows first, then the files: a row is committed only after its records are
    # flushed, so every record a row read here points at is in the files read next.
    versions = store.captured_versions(feed_id, since)
    out.parent.mkdir(parents=True, exist_ok=True)
    with TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as temporary:
        tmp = Path(temporary)
        if feed_id is None and since is None:
            sources, included = _whole_files(folder, versions)
        else:
            sources, included = _selected(store, folder, versions, tmp, created)
        if left_out := len(versions) - len(included):
            log.warning("wacz: %d versions left out, no response in %s", left_out, folder)
        pages = _pages(tmp / "pages.jsonl", store.version_pages(feed_id, since), included, title)
        parts = [(f"archive/{s.member}", s.path, s.end, zipfile.ZIP_STORED) for s in sources]
        index = _index(tmp, sources)
        for name, path in (("indexes/index.cdxj", index), ("pages/pages.jsonl", pages)):
            parts.append((name, path, path.stat().st_size, zipfile.ZIP_DEFLATED))
        package = tmp / "package.wacz"
        _zip(package, parts, title, created)
        os.replace(package, out)
    return Packaged(out, len(included), sum(s.records for s in sources))


# -- what goes in ----------------------------------------------------------------------------


def _whole_files(folder: Path, versions: list[CapturedVersion]) -> tuple[list[_Source], set[int]]:
    sources: dict[str, _Source] = {}
    for listed in warc_files(folder):
        path = _closed(listed)
        with _open(path) as file:
            size = _size(file)
            end = whole_records_end(file) if listed.name.endswith(OPEN) else size
            ends = [r.offset + r.length for r in _records(file, 0, end)]
        last = ends[-1] if ends else 0
        if last < end == size:  # a closed file that does not read to its end: warc check
            log.warning("wacz: %s packaged up to byte %d of %d", path.name, last, size)
        sources[path.name] = _Source(path.name, path, last, len(ends))
    if not sources:
        raise NotFound(f"{folder}: no WARC files to package")
    inside = {s.path.resolve(): s.end for s in sources.values()}
    included: set[int] = set()
    for v in versions:
        if v.capture is not None:
            end = inside.get(Path(v.capture.path).resolve(), -1)
            if v.capture.offset + v.capture.length <= end:
                included.add(v.version_id)
    return [sources[name] for name in sorted(sources)], included


def _selected(
    store: Store, folder: Path, versions: list[CapturedVersion], tmp: Path, created: str
) -> tuple[list[_Source], set[int]]:
    """The new WARC file of the selected versions' records, in ``tmp``."""
    picked: dict[str, tuple[Path, _Record]] = {}  # record id -> where it is
    conversions: dict[str, set[str]] = {}  # response id -> its versions' text digests
    included: set[int] = set()
    for v in versions:
        if v.capture is None:
            continue
        path, record = Path(v.capture.path), _record_at(v.capture.path, v.capture.offset)
        if record is None or record[ID] != v.capture.record_id:
            continue
        included.add(v.version_id)
        text = base64.b32encode(bytes.fromhex(v.sha256)).decode("ascii")  # as a block digest
        conversions.setdefault(record[ID], set()).add(f"sha256:{text}")
        while record is not None and record[ID] not in picked:
            picked[record[ID]] = (path, record)
            if record["WARC-Type"] != "revisit":
                break
            original = store.capture_of_record(record["WARC-Refers-To"])
            if original is None:
                break
            path, record = Path(original.path), _record_at(original.path, original.offset)
            if record is not None and record[ID] != original.record_id:
                break
    heads = set(picked)
    files = {_closed(p) for p in warc_files(folder)} | {p for p, _ in picked.values()}
    for path in sorted(files):
        with _open(path) as file:
            for record in _records(file, 0, _size(file)):
                kind = record["WARC-Type"]
                wanted = (kind == "request" and record["WARC-Concurrent-To"] in heads) or (
                    kind == "conversion"
                    and record["WARC-Block-Digest"] in conversions.get(record["WARC-Refers-To"], ())
                )
                if wanted:
                    picked.setdefault(record[ID], (path, record))
    ordered = sorted(picked.values(), key=lambda p: (p[0].name, str(p[0]), p[1].offset))
    return [_selection_file(tmp, ordered, created)], included


def _selection_file(tmp: Path, records: list[tuple[Path, _Record]], created: str) -> _Source:
    dates = [datetime.fromisoformat(r["WARC-Date"].replace("Z", "+00:00")) for _, r in records]
    newest = max(dates) if dates else datetime.fromisoformat(created.replace("Z", "+00:00"))
    member = f"ingester-{newest:%Y%m%d%H%M%S}-selection.warc.gz"
    ids = "\n".join(sorted(r[ID] for _, r in records))
    info = _warcinfo(
        member,
        date=newest.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        record_id=f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'ingester:' + ids)}>",
        fields={
            "software": software(),
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
            "description": "records selected from an ingester archive, copied byte for byte",
        },
    )
    path = tmp / member
    with open(path, "wb") as out:
        out.write(info)
        for source, group in groupby(records, key=lambda r: r[0]):
            with _open(source) as file:
                for _, r in group:
                    _copy(file, r.offset, r.offset + r.length, out.write)
    return _Source(member, path, path.stat().st_size, len(records) + 1)


# -- the parts of the package ----------------------------------------------------------------


def _index(tmp: Path, sources: list[_Source]) -> Path:
    """One CDXJ index over every file, sorted: each file indexed and sorted by
    cdxj-indexer (which spills to disk past 32 MB), then the files merged."""
    parts = []
    for n, source in enumerate(sources):
        part = tmp / f"index-{n}.cdxj"
        with _open(source.path) as file:
            reader = io.BufferedReader(_Window(file, 0, source.end), CHUNK)
            indexer = CDXJIndexer(
                str(part),
                [reader],
                filename=source.member,
                post_append=True,
                sort=True,
                records=INDEXED,
            )
            indexer.process_all()
        parts.append(part)
    index = tmp / "index.cdxj"
    with ExitStack() as files, open(index, "w", encoding="utf-8", newline="\n") as out:
        out.writelines(
            heapq.merge(*(files.enter_context(open(p, encoding="utf-8")) for p in parts))
        )
    return index


def _pages(path: Path, pages: Iterable[VersionPage], included: set[int], title: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n")
        for page in pages:
            if page.version_id in included:
                line = {"id": f"version-{page.version_id}", "url": page.url}
                line |= {"ts": page.captured_at, "title": page.title or page.url}
                out.write(json.dumps(line | {"text": page.text}, ensure_ascii=False) + "\n")
    return path


def _zip(package: Path, parts: list[tuple[str, Path, int, int]], title: str, created: str) -> None:
    resources: list[dict[str, Any]] = []
    names: set[str] = set()
    with zipfile.ZipFile(package, "w", allowZip64=True) as z:
        for name, path, size, compression in parts:
            digest = hashlib.sha256()
            info = _entry(name, compression, size)
            with _open(path) as file, z.open(info, "w") as member:
                _copy(file, 0, size, digest.update, member.write)
            label = name.rpartition("/")[2].lower()
            label = label if label not in names else name.lower()
            names.add(label)
            resources.append(
                {"name": label, "path": name, "hash": f"sha256:{digest.hexdigest()}", "bytes": size}
            )
        described: dict[str, Any] = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": title,
        }
        described |= {"software": software(), "created": created, "resources": resources}
        data = json.dumps(described, indent=2).encode("utf-8")
        z.writestr(_entry("datapackage.json", zipfile.ZIP_DEFLATED, len(data)), data)
        seal = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}
        sealed = json.dumps(seal, indent=2).encode("utf-8")
        z.writestr(_entry("datapackage-digest.json", zipfile.ZIP_DEFLATED, len(sealed)), sealed)


def _entry(name: str, compression: int, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)  # the size known beforehand: ZIP64 when it must
    info.compress_type, info.external_attr, info.file_size = compression, 0o644 << 16, size
    return info


# -- WARC files, read ------------------------------------------------------------------------


class _Window(io.RawIOBase):
    """The bytes ``[start, end)`` of a file, as a stream of their own."""

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        file.seek(start)
        self._file, self._left = file, end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._file.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _records(file: BinaryIO, start: int, end: int) -> Iterator[_Record]:
    """The records in ``[start, end)`` of a file, up to the first that does not read
    (a record still being written, at the end of a file that is)."""
    stream = io.BufferedReader(_Window(file, start, end), CHUNK)
    records = ArchiveIterator(stream, no_record_parse=True)
    try:
        for record in records:
            records.read_to_end(record)
            where = (start + records.get_record_offset(), records.get_record_length())
            yield _Record(*where, dict(record.rec_headers.headers))
    except (ArchiveLoadFailed, BadHeaders, EOFError, zlib.error, OSError, ValueError):
        return


def _record_at(path: str, offset: int) -> _Record | None:
    """The record a capture points at (its headers), or None where it cannot be read."""
    try:
        with _open(Path(path)) as file:
            return next(_records(file, offset, _size(file)), None)
    except OSError:
        return None


def _open(path: Path) -> BinaryIO:
    """A WARC file by its closed name, or its ``.open`` one while it is written (and the
    closed one again, if it was closed in between)."""
    try:
        return open(readable_path(path), "rb")
    except FileNotFoundError:
        return open(path, "rb")


def _closed(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(OPEN))


def _size(file: BinaryIO) -> int:
    return os.fstat(file.fileno()).st_size


def _copy(file: BinaryIO, start: int, end: int, *sinks: Callable[[bytes], object]) -> None:
    file.seek(start)
    left = end - start
    while left > 0:
        chunk = file.read(min(CHUNK, left))
        if not chunk:
            raise StoreError(f"{file.name}: shorter than when it was read ({end} bytes)")
        for sink in sinks:
            sink(chunk)
        left -= len(chunk)


# -- WARC files, written ---------------------------------------------------------------------


def _warcinfo(member: str, *, date: str, record_id: str, fields: dict[str, str]) -> bytes:
    body = "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode("utf-8")
    buffer = io.BytesIO()
    writer = Sha256Writer(buffer, gzip=False, warc_version="1.1")
    headers = {"WARC-Type": "warcinfo", "WARC-Record-ID": record_id, "WARC-Date": date}
    record = writer.create_warc_record(
        "",
        "warcinfo",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/warc-fields",
        warc_headers_dict=headers | {"WARC-Filename": member},
    )
    writer.write_record(record)
    return gzip_member(buffer.getvalue())
