"""WARC files on disk: naming, rotation, and closing what a killed writer left open.

A file being written is named ``….warc.gz.open`` and locked (``flock``) by the process
writing it; it is renamed to ``….warc.gz`` when closed. A file still ``.open`` and not
locked belongs to a writer that died: its tail may be half a record, so at the next start
it is cut back to the end of its last whole record and renamed (``close_abandoned``).
Each record is one gzip member, so a record's offset and length are a byte range anyone
can read with a plain seek.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

log = logging.getLogger("ingester")

OPEN = ".open"
SUFFIX = ".warc.gz"
# zlib's level 1, not warcio's 9 nor zlib's default 6: capture is in the path of every
# fetch. On the extraction benchmark's real pages (179 KB on average) level 6 takes 3.4 ms
# a page, level 3 1.6 ms and level 1 1.1 ms, for 19% and 6% more bytes than 6. A WARC
# file can be recompressed later; the time is spent at every fetch (bench/capture_cost.py
# measures it against no capture). A payload the server compressed already (gzip, br:
# most of the web) gains nothing from any level: it is stored (level 0, 0.02 ms against
# 0.56 ms at level 1), its few hundred bytes of headers with it.
GZIP_LEVEL = 1
STORED = 0


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one record landed: the file (closed name) and its byte range."""

    path: Path
    offset: int
    length: int


def gzip_member(record: bytes, level: int = GZIP_LEVEL) -> bytes:
    """One record as a gzip member of its own (WARC/1.1 annex D)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(record) + compressor.flush()


class WarcFiles:
    """The files one process writes into ``folder``: a new one at ``max_bytes`` and at
    each new UTC day, each starting with the record ``warcinfo(name)`` returns."""

    def __init__(
        self,
        folder: Path,
        warcinfo: Callable[[str], bytes],
        *,
        max_bytes: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.folder = folder
        self._warcinfo = warcinfo
        self._max_bytes = max_bytes
        self._now = now
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._day = ""
        self._serial = 0
        self._host = socket.gethostname().replace("-", "_") or "localhost"

    def append(self, records: Sequence[bytes]) -> list[Placed]:
        """Write records (gzip members) one after another, flushed to the OS before this
        returns: a row that points at them may commit once it has."""
        file, path = self._current(sum(len(r) for r in records))
        placed = []
        offset = file.tell()
        for record in records:
            file.write(record)
            placed.append(Placed(path, offset, len(record)))
            offset += len(record)
        file.flush()
        return placed

    def close(self) -> None:
        if self._file is not None and self._path is not None:
            self._file.close()  # the lock goes with the descriptor
            os.replace(_open_name(self._path), self._path)
        self._file = self._path = None

    def _current(self, incoming: int) -> tuple[BinaryIO, Path]:
        day = self._now().strftime("%Y%m%d")
        if self._file is not None and self._path is not None:
            full = self._file.tell() + incoming > self._max_bytes and self._file.tell() > 0
            if not full and day == self._day:
                return self._file, self._path
            self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._day = day
        while True:
            # The annex's Prefix-Timestamp-Serial-Crawlhost; a name another process took
            # first (same second, same serial) moves to the next serial.
            stamp = self._now().strftime("%Y%m%d%H%M%S")
            path = self.folder / f"ingester-{stamp}-{self._serial:05d}-{self._host}{SUFFIX}"
            self._serial += 1
            if not path.exists() and (file := self._claim(path)) is not None:
                break
        self._file, self._path = file, path
        return file, path

    def _claim(self, path: Path) -> BinaryIO | None:
        """The file for ``path``, locked and holding its warcinfo before it appears under
        its ``.open`` name: another process starting now must not take a file made an
        instant ago for one its writer abandoned. None when the name is taken."""
        making = path.with_name(f".{path.name}.{os.getpid()}.new")
        file = open(making, "w+b")  # noqa: SIM115 (held until rotation)
        fcntl.flock(file, fcntl.LOCK_EX)
        file.write(self._warcinfo(path.name))
        file.flush()
        try:
            os.link(making, _open_name(path))  # fails, rather than replaces, if taken
        except FileExistsError:
            file.close()
            return None
        finally:
            making.unlink()
        return file


def _open_name(path: Path) -> Path:
    return path.with_name(path.name + OPEN)


def readable_path(path: Path) -> Path:
    """A file by its closed name, or its ``.open`` name while it is still written."""
    return path if path.exists() else _open_name(path)


def close_abandoned(folder: Path) -> list[tuple[Path, int]]:
    """Close the ``.open`` files no live process holds: cut each back to its last whole
    record and give it its closed name. Returns (file, bytes cut) for each."""
    closed: list[tuple[Path, int]] = []
    if not folder.is_dir():
        return closed
    for partial in sorted(folder.glob(f"*{SUFFIX}{OPEN}")):
        with open(partial, "r+b") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer is alive
            size = os.fstat(file.fileno()).st_size
            end = whole_records_end(file)
            file.truncate(end)
            final = partial.with_name(partial.name[: -len(OPEN)])
            os.replace(partial, final)
        closed.append((final, size - end))
        log.warning("warc file=%s closed after a crash, bytes_cut=%d", final.name, size - end)
    for making in folder.glob(f".*{SUFFIX}.*.new"):  # killed before its first record
        with open(making, "rb") as file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            making.unlink(missing_ok=True)
    return closed


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """One record read whole from a file, its digests checked."""

    offset: int
    length: int
    problems: tuple[str, ...]  # digests that do not verify


def read_records(file: BinaryIO) -> Iterator[ReadRecord]:
    """Every record of a file from its start, each read to its end with its digests
    checked. warcio reads a damaged tail with whatever error its parse meets first
    (ArchiveLoadFailed, zlib.error, EOFError, even AttributeError): it is let through,
    for the caller to say where reading stopped."""
    file.seek(0)
    records = ArchiveIterator(file, check_digests=True)
    for record in records:
        record.content_stream().read()
        records.read_to_end(record)
        offset, length = records.get_record_offset(), records.get_record_length()
        yield ReadRecord(offset, length, tuple(record.digest_checker.problems))


def whole_records_end(file: BinaryIO) -> int:
    """The offset just after the last record that reads back whole, digests included."""
    end = 0
    with contextlib.suppress(Exception):  # a damaged record ends the whole ones (above)
        for record in read_records(file):
            if record.problems:
                break
            end = record.offset + record.length
    return end
