"""Capture pointers: where in the WARC files a page or feed response was written.

A file is stored relative to the archive's folder when it lies inside it (the default,
``archive.warcs/`` beside ``archive.db``), so an archive moved with its captures keeps
finding them; elsewhere, by its absolute path. A PostgreSQL archive's names are relative
to its WARC folder, which its nodes share and may each mount where they like.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..types import CaptureRef
from .connection import Connection
from .engines import Sql

# The columns a CaptureRef is read from, for a query that joins captures as ``c``.
CAPTURE_COLUMNS = "c.record_id, c.url, c.captured_at, c.payload_digest, c.file, c.offset, c.length"


class CaptureRows(Connection):
    def _put_capture(self, conn: Sql, capture: CaptureRef) -> int:
        """The capture's row id, its row added unless it is there already."""
        conn.execute(
            """INSERT INTO captures (record_id, url, captured_at, payload_digest, file,
                   "offset", length) VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (record_id) DO NOTHING""",
            (
                capture.record_id,
                capture.url,
                capture.date,
                capture.payload_digest,
                self._stored_file(capture.path),
                capture.offset,
                capture.length,
            ),
        )
        (row_id,) = conn.execute(
            "SELECT id FROM captures WHERE record_id = ?", (capture.record_id,)
        ).fetchone()
        return int(row_id)

    def capture_ref(self, row: Sequence[Any] | None) -> CaptureRef | None:
        """A CaptureRef from the CAPTURE_COLUMNS of a row (None where it has none)."""
        return capture_in(self.folder, row)

    def version_capture(self, article_id: int, number: int) -> CaptureRef | None:
        """The response a version was extracted from, if it was captured."""
        row = self.db.execute(
            f"""SELECT {CAPTURE_COLUMNS} FROM versions v JOIN captures c ON c.id = v.capture_id
                WHERE v.article_id = ? AND v.number = ?""",
            (article_id, number),
        ).fetchone()
        return self.capture_ref(row)

    def capture_with_digest(self, payload_digest: str) -> CaptureRef | None:
        """The first response captured with this payload, at any URL."""
        row = self.db.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM captures c WHERE c.payload_digest = ?"
            " ORDER BY c.id LIMIT 1",
            (payload_digest,),
        ).fetchone()
        return self.capture_ref(row)

    def all_captures(self) -> Iterator[CaptureRef]:
        """Every capture the archive points at, in the order written."""
        for row in self.db.execute(f"SELECT {CAPTURE_COLUMNS} FROM captures c ORDER BY c.id"):
            capture = self.capture_ref(row)
            if capture is not None:
                yield capture

    def _stored_file(self, path: str) -> str:
        return _stored_name(path, self.folder)


def capture_in(folder: Path, row: Sequence[Any] | None) -> CaptureRef | None:
    """A CaptureRef from the CAPTURE_COLUMNS of a row of the archive in ``folder``, its
    file as a path to open (None where the row has no capture)."""
    if row is None or row[0] is None:
        return None
    record_id, url, date, digest, file, offset, length = row
    path = Path(file) if Path(file).is_absolute() else folder / file
    return CaptureRef(record_id, url, date, digest, str(path), offset, length)


@functools.lru_cache(maxsize=64)
def _stored_name(path: str, folder: Path) -> str:
    """A WARC file's name as stored, relative to the archive's folder where it can be.
    Kept: one process writes one file for a long while, and resolving is system calls."""
    resolved = Path(path).resolve()
    if resolved.is_relative_to(folder):
        return os.fspath(resolved.relative_to(folder))
    return os.fspath(resolved)
