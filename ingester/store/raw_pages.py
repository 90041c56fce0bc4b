"""Raw pages: every fetched page's bytes, content-addressed and compressed."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import datetime

import zstandard

from ..clock import iso
from ..errors import NotFound
from ..types import PageToStore
from .captures import CaptureRows

# Raw pages: zstd at level 3 is as small as zlib at 6 on news pages and five times faster
# (docs/performance.md); pages stored by earlier releases stay zlib and are read as such.
_ZSTD = zstandard.ZstdCompressor(level=3)


class RawPages(CaptureRows):
    def _put_raw(self, conn: sqlite3.Connection, page: PageToStore, now: datetime) -> None:
        """Content-addressed: identical pages are stored once."""
        conn.execute(
            """INSERT INTO raw_pages (sha256, encoding, size, content, first_fetched_at)
               VALUES (?, 'zstd', ?, ?, ?) ON CONFLICT (sha256) DO NOTHING""",
            (page.sha256, len(page.content), _ZSTD.compress(page.content), iso(now)),
        )

    def raw_page(self, sha256: str) -> bytes:
        return raw_content(self.db.conn, sha256)


def raw_content(conn: sqlite3.Connection, sha256: str) -> bytes:
    """A stored page's bytes as they were fetched."""
    row = conn.execute(
        "SELECT encoding, content FROM raw_pages WHERE sha256 = ?", [sha256]
    ).fetchone()
    if row is None:
        raise NotFound(f"no raw page {sha256[:16]} in the archive")
    if row[0] == "zstd":
        return bytes(zstandard.ZstdDecompressor().decompress(row[1]))
    return zlib.decompress(row[1]) if row[0] == "zlib" else bytes(row[1])
