"""Raw pages: every fetched page's bytes, content-addressed and compressed."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils
import zstandard

from ..clock import iso
from ..errors import NotFound
from ..types import CaptureRef, PageToStore
from .captures import CaptureRows
from .engines import Sql

# Raw pages: zstd at level 3 is as small as zlib at 6 on news pages and five times faster
# (docs/performance.md); pages stored by earlier releases stay zlib and are read as such.
_ZSTD = zstandard.ZstdCompressor(level=3)


class RawPages(CaptureRows):
    def _put_raw(self, conn: Sql, page: PageToStore, now: datetime) -> None:
        """Content-addressed: identical pages are stored once."""
        conn.execute(
            """INSERT INTO raw_pages (sha256, encoding, size, content, first_fetched_at)
               VALUES (?, 'zstd', ?, ?, ?) ON CONFLICT (sha256) DO NOTHING""",
            (page.sha256, len(page.content), _ZSTD.compress(page.content), iso(now)),
        )

    def raw_page(self, sha256: str) -> bytes:
        return raw_content(self.db, sha256)

    def raw_pages_to_move(self, limit: int) -> list[RawPage]:
        """Up to ``limit`` pages stored before captures were kept, each with a URL it was
        fetched under (the article that shows it, else one a version came from)."""
        rows = self.db.execute(
            """SELECT r.sha256, r.first_fetched_at, COALESCE(
                   (SELECT a.url FROM articles a WHERE a.page_sha256 = r.sha256 LIMIT 1),
                   (SELECT a.url FROM versions v JOIN articles a ON a.id = v.article_id
                    WHERE v.raw_sha256 = r.sha256 LIMIT 1))
               FROM raw_pages r ORDER BY r.first_fetched_at, r.sha256 LIMIT ?""",
            (limit,),
        ).fetchall()
        return [
            RawPage(sha, datetime.fromisoformat(at), url, raw_content(self.db, sha))
            for sha, at, url in rows
        ]

    def move_raw_page(self, page: RawPage, capture: CaptureRef) -> None:
        """The page is in its capture now: the versions and the article that pointed at
        its raw_pages row point at the capture, and the row goes."""
        with self._write() as conn:
            capture_id = self._put_capture(conn, capture)
            conn.execute(
                "UPDATE versions SET capture_id = ?, raw_sha256 = NULL WHERE raw_sha256 = ?",
                (capture_id, page.sha256),
            )
            conn.execute(
                "UPDATE articles SET capture_id = ? WHERE page_sha256 = ? AND capture_id IS NULL",
                (capture_id, page.sha256),
            )
            conn.execute("DELETE FROM raw_pages WHERE sha256 = ?", (page.sha256,))


@dataclass(frozen=True, slots=True)
class RawPage:
    """A page of raw_pages on its way into a WARC file."""

    sha256: str
    first_fetched_at: datetime
    url: str | None  # None: no article or version points at it any more
    content: bytes


def raw_content(conn: Sql | sqlite_utils.Database, sha256: str) -> bytes:
    """A stored page's bytes as they were fetched."""
    row = conn.execute(
        "SELECT encoding, content FROM raw_pages WHERE sha256 = ?", [sha256]
    ).fetchone()
    if row is None:
        raise NotFound(f"no raw page {sha256[:16]} in the archive")
    if row[0] == "zstd":
        return bytes(zstandard.ZstdDecompressor().decompress(row[1]))
    return zlib.decompress(row[1]) if row[0] == "zlib" else bytes(row[1])
