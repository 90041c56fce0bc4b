"""Captures read back: a response's payload for re-extraction and the reading room, and
every digest of every file checked (``ingester warc check``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..errors import NotFound
from ..types import CaptureRef
from .decode import BodyTooLarge, UndecodableBody, content_encodings, decode_body
from .warcfiles import OPEN, SUFFIX, read_records, readable_path


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str]  # names lower-cased
    payload: bytes  # as received: Content-Encoding kept


def stored_response(capture: CaptureRef) -> StoredResponse:
    """The response record at the capture's byte range."""
    path = readable_path(Path(capture.path))
    try:
        with open(path, "rb") as file:
            file.seek(capture.offset)
            member = file.read(capture.length)
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
    except (OSError, StopIteration, ArchiveLoadFailed) as e:
        raise NotFound(f"capture {capture.record_id} unreadable in {path}: {e}") from None
    if record.rec_headers.get_header("WARC-Record-ID") != capture.record_id:
        raise NotFound(f"capture {capture.record_id} is not at {path}:{capture.offset}")
    http = record.http_headers
    headers = {name.lower(): value for name, value in http.headers} if http else {}
    return StoredResponse(
        int(http.get_statuscode()) if http else 0, headers, record.raw_stream.read()
    )


def stored_content(capture: CaptureRef, max_bytes: int) -> bytes:
    """The captured payload decoded as the fetcher decoded it, within ``max_bytes``."""
    response = stored_response(capture)
    encodings = content_encodings(response.headers.get("content-encoding"))
    try:
        return decode_body(response.payload, encodings, max_bytes)
    except (BodyTooLarge, UndecodableBody) as e:
        raise NotFound(f"capture {capture.record_id} cannot be decoded: {e}") from None


def warc_files(folder: Path) -> list[Path]:
    """The folder's WARC files, closed and still being written, oldest name first."""
    if not folder.is_dir():
        return []
    return sorted([*folder.glob(f"*{SUFFIX}"), *folder.glob(f"*{SUFFIX}{OPEN}")])


@dataclass(frozen=True, slots=True)
class FileCheck:
    path: Path
    records: int
    problems: tuple[str, ...]


def check_file(path: Path) -> FileCheck:
    """Read every record of a file, verifying each block and payload digest."""
    problems: list[str] = []
    count = 0
    try:
        with open(path, "rb") as file:
            for record in read_records(file):
                count += 1
                problems.extend(f"offset {record.offset}: {p}" for p in record.problems)
    except Exception as e:
        problems.append(f"after {count} records: unreadable: {type(e).__name__}: {e}")
    return FileCheck(path, count, tuple(problems))
