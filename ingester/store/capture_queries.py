"""Reading the captures back for a package: the versions an export selects, each with the
response it was extracted from, and a capture looked up by its record id.

The selection is ``export``'s (queries.py): articles a feed carried, versions fetched from
a moment on, in the same stable order; a package takes every version, not only the
current ones, since each is a capture of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..types import CaptureRef
from .captures import CAPTURE_COLUMNS, CaptureRows

_ORDER = "ORDER BY a.first_seen_at, a.id, v.number"


@dataclass(frozen=True, slots=True)
class CapturedVersion:
    """A selected version and the response it came from (None: fetched before captures
    were kept)."""

    version_id: int
    sha256: str  # of the version's layout text, as a conversion record's block digest
    capture: CaptureRef | None


@dataclass(frozen=True, slots=True)
class VersionPage:
    """A selected version as a package's page: where and when its response was captured."""

    version_id: int
    url: str  # the response's target URI, which a replay looks up
    captured_at: str  # the response's WARC-Date
    title: str | None
    text: str


class CaptureQueries(CaptureRows):
    def captured_versions(
        self, feed_id: int | None = None, since: str | None = None
    ) -> list[CapturedVersion]:
        """Every version ``feed_id`` and ``since`` select, in export order, with its capture."""
        where, params = _selection(feed_id, since)
        rows = self.db.execute(
            f"""SELECT v.id, v.sha256, {CAPTURE_COLUMNS}
                FROM versions v JOIN articles a ON a.id = v.article_id
                LEFT JOIN captures c ON c.id = v.capture_id
                WHERE {where} {_ORDER}""",
            params,
        ).fetchall()
        return [CapturedVersion(row[0], row[1], self.capture_ref(row[2:])) for row in rows]

    def version_pages(
        self, feed_id: int | None = None, since: str | None = None
    ) -> Iterator[VersionPage]:
        """The same selection's captured versions, with their titles and texts."""
        where, params = _selection(feed_id, since)
        rows = self.db.execute(
            f"""SELECT v.id, c.url, c.captured_at, v.title, v.text
                FROM versions v JOIN articles a ON a.id = v.article_id
                JOIN captures c ON c.id = v.capture_id
                WHERE {where} {_ORDER}""",
            params,
        )
        for row in rows:
            yield VersionPage(*row)

    def capture_of_record(self, record_id: str) -> CaptureRef | None:
        """The capture whose response record has this WARC-Record-ID, if the archive has it."""
        row = self.db.execute(
            f"SELECT {CAPTURE_COLUMNS} FROM captures c WHERE c.record_id = ?", (record_id,)
        ).fetchone()
        return self.capture_ref(row)


def _selection(feed_id: int | None, since: str | None) -> tuple[str, list[Any]]:
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if feed_id is not None:
        where.append("a.id IN (SELECT article_id FROM feed_entries WHERE feed_id = ?)")
        params.append(feed_id)
    if since is not None:
        where.append("v.fetched_at >= ?")
        params.append(since)
    return " AND ".join(where), params
