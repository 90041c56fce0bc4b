"""What the reading room (ingester/query/room/, a Datasette plugin) shows, read from the
archive: an article with its timeline, two of its versions, the latest edits, the front
page's lists and counts, search hits. Each function takes a plain ``sqlite3.Connection``:
Datasette's own read-only one, in its thread."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..types import CaptureRef
from .articles import BY_URL, url_forms
from .captures import CAPTURE_COLUMNS, capture_in
from .identity import VERSION_FIELDS
from .saved_queries import MARKED_SNIPPET

# Matched words in a search hit's context, between these two characters (MARKED_SNIPPET;
# not markup: the snippet is escaped first, then the marks become <mark>).
MARK_START, MARK_END = "\x02", "\x03"

_VERSION = f"""v.number, v.fetched_at, v.kind, v.source, v.extractor, v.changed_fields,
    v.sha256, v.raw_sha256, v.word_count, {", ".join("v." + f for f in VERSION_FIELDS)}"""


@dataclass(frozen=True, slots=True)
class VersionView:
    number: int
    fetched_at: str
    kind: str
    source: str
    extractor: str
    changed_fields: list[str]
    sha256: str
    raw_sha256: str | None
    word_count: int
    fields: dict[str, str | None]  # VERSION_FIELDS
    # The WARC response it was extracted from (schema step 7); its page is there, not in
    # raw_pages. Filled in by article_view only.
    capture: CaptureRef | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple[Any, ...]) -> VersionView:
        head, values = row[:9], row[9:]
        return cls(
            number=head[0],
            fetched_at=head[1],
            kind=head[2],
            source=head[3],
            extractor=head[4],
            changed_fields=json.loads(head[5]),
            sha256=head[6],
            raw_sha256=head[7],
            word_count=head[8],
            fields=dict(zip(VERSION_FIELDS, values, strict=True)),
        )

    @property
    def paragraphs(self) -> list[str]:
        return [line for line in (self.fields["body"] or "").split("\n") if line]


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    url: str
    first_seen_at: str
    current: int  # the number of the version the article showed at its last look
    versions: list[VersionView]  # the timeline, oldest first
    urls: list[tuple[str, str]]  # (url, kind) it was seen under
    feeds: list[tuple[str, str]]  # (name or url, url) of the feeds that carried it

    def version(self, number: int | None) -> VersionView | None:
        wanted = self.current if number is None else number
        return next((v for v in self.versions if v.number == wanted), None)


def article_view(conn: sqlite3.Connection, url: str) -> ArticleView | None:
    """The article seen under ``url`` in any form, with every version; None if unknown."""
    found = conn.execute(
        f"""SELECT a.id, a.url, a.first_seen_at, cur.number FROM article_urls u
            JOIN articles a ON a.id = u.article_id
            LEFT JOIN versions cur ON cur.id = a.current_version_id WHERE {BY_URL}""",
        url_forms(url),
    ).fetchone()
    if found is None:
        return None
    article_id = found[0]
    versions = [
        VersionView.from_row(row)
        for row in conn.execute(
            f"SELECT {_VERSION} FROM versions v WHERE v.article_id = ? ORDER BY v.number",
            (article_id,),
        )
    ]
    captures = version_captures(conn, article_id)
    versions = [replace(v, capture=captures.get(v.number)) for v in versions]
    urls = conn.execute(
        "SELECT url, kind FROM article_urls WHERE article_id = ? ORDER BY kind, url",
        (article_id,),
    ).fetchall()
    feeds = conn.execute(
        """SELECT DISTINCT COALESCE(f.name, f.url), f.url FROM feed_entries e
           JOIN feeds f ON f.id = e.feed_id WHERE e.article_id = ? ORDER BY 1""",
        (article_id,),
    ).fetchall()
    return ArticleView(
        id=article_id,
        url=found[1],
        first_seen_at=found[2],
        current=found[3] or (versions[-1].number if versions else 0),
        versions=versions,
        urls=[(u, k) for u, k in urls],
        feeds=[(n, u) for n, u in feeds],
    )


def version_captures(conn: sqlite3.Connection, article_id: int) -> dict[int, CaptureRef]:
    """The WARC response each of an article's versions was extracted from, by number; none
    in an archive from before captures were kept (schema step 7), which plain
    ``datasette`` may show without upgrading it."""
    has_captures = conn.execute(
        "SELECT 1 FROM pragma_table_info('versions') WHERE name = 'capture_id'"
    ).fetchone()
    if not has_captures:
        return {}
    folder = _archive_folder(conn)
    found = {}
    for number, *row in conn.execute(
        f"""SELECT v.number, {CAPTURE_COLUMNS} FROM versions v
            JOIN captures c ON c.id = v.capture_id WHERE v.article_id = ?""",
        (article_id,),
    ):
        if (capture := capture_in(folder, row)) is not None:
            found[number] = capture
    return found


def _archive_folder(conn: sqlite3.Connection) -> Path:
    """The folder of the archive's file, which a capture's relative file name is taken
    from."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file).resolve().parent
    return Path.cwd()


def article_url(conn: sqlite3.Connection, article_id: int) -> str | None:
    row = conn.execute("SELECT url FROM articles WHERE id = ?", (article_id,)).fetchone()
    return str(row[0]) if row else None


@dataclass(frozen=True, slots=True)
class Edit:
    """One version a publisher's change made, beside the version before it."""

    url: str
    title: str | None
    feeds: list[str]
    before: VersionView
    after: VersionView


def recent_edits(
    conn: sqlite3.Connection, limit: int, feed: str | None = None, url: str | None = None
) -> list[Edit]:
    """The latest edits (``kind = 'edit'``), newest first; only those of the articles a
    feed (by name or URL) carried, or of one article, when asked."""
    where: list[str] = ["v.kind = 'edit'"]
    params: list[object] = []
    if feed is not None:
        where.append(
            """v.article_id IN (SELECT e.article_id FROM feed_entries e JOIN feeds f
               ON f.id = e.feed_id WHERE f.name = ? OR f.url = ?)"""
        )
        params += [feed, feed]
    if url is not None:
        found = article_view(conn, url)
        where.append("v.article_id = ?")
        params.append(found.id if found else -1)
    rows = conn.execute(
        f"""SELECT v.article_id, a.url, {_VERSION} FROM versions v
            JOIN articles a ON a.id = v.article_id WHERE {" AND ".join(where)}
            ORDER BY v.fetched_at DESC, v.id DESC LIMIT ?""",
        [*params, limit],
    ).fetchall()
    edits = []
    for row in rows:
        after = VersionView.from_row(row[2:])
        before_row = conn.execute(
            f"""SELECT {_VERSION} FROM versions v WHERE v.article_id = ? AND v.number < ?
                ORDER BY v.number DESC LIMIT 1""",
            (row[0], after.number),
        ).fetchone()
        if before_row is None:
            continue
        feeds = [
            name
            for (name,) in conn.execute(
                """SELECT DISTINCT COALESCE(f.name, f.url) FROM feed_entries e
                   JOIN feeds f ON f.id = e.feed_id WHERE e.article_id = ?""",
                (row[0],),
            )
        ]
        edits.append(
            Edit(row[1], after.fields["title"], feeds, VersionView.from_row(before_row), after)
        )
    return edits


@dataclass(frozen=True, slots=True)
class FrontPage:
    latest: list[dict[str, Any]]  # url, title, section, first_seen_at, versions
    edited: list[dict[str, Any]]  # url, title, number, fetched_at, changed_fields
    feeds: list[dict[str, Any]]  # name, url, last_status, failures, last_error, articles
    per_day: list[tuple[str, int, int]] = field(default_factory=list)  # day, versions, edits
    per_feed: list[tuple[str, int, int]] = field(default_factory=list)  # feed, versions, edits


def front_page(conn: sqlite3.Connection, limit: int = 15) -> FrontPage:
    # Rows by name, on a cursor of its own: the connection is Datasette's, and its row
    # factory is Datasette's to keep.
    rows = conn.cursor()
    rows.row_factory = sqlite3.Row
    latest = rows.execute(
        """SELECT a.url, v.title, v.section, a.first_seen_at,
                  (SELECT COUNT(*) FROM versions WHERE article_id = a.id) AS versions
           FROM articles a JOIN versions v ON v.id = a.current_version_id
           ORDER BY a.first_seen_at DESC, a.id DESC LIMIT ?""",
        (limit,),
    ).fetchall()
    edited = rows.execute(
        """SELECT a.url, v.title, v.number, v.fetched_at, v.changed_fields FROM versions v
           JOIN articles a ON a.id = v.article_id WHERE v.kind = 'edit'
           ORDER BY v.fetched_at DESC, v.id DESC LIMIT ?""",
        (limit,),
    ).fetchall()
    feeds = rows.execute(
        """SELECT COALESCE(f.name, f.url) AS name, f.url, f.last_status,
                  f.consecutive_failures AS failures, f.last_error,
                  (SELECT COUNT(DISTINCT article_id) FROM feed_entries
                   WHERE feed_id = f.id) AS articles
           FROM feeds f WHERE f.active ORDER BY f.consecutive_failures DESC, name"""
    ).fetchall()
    per_day = rows.execute(
        """SELECT substr(fetched_at, 1, 10) AS day, COUNT(*), SUM(kind = 'edit')
           FROM versions GROUP BY day ORDER BY day DESC LIMIT 30"""
    ).fetchall()
    per_feed = rows.execute(
        """SELECT COALESCE(f.name, f.url), COUNT(DISTINCT v.id),
                  COUNT(DISTINCT CASE WHEN v.kind = 'edit' THEN v.id END)
           FROM feeds f JOIN feed_entries e ON e.feed_id = f.id
           JOIN versions v ON v.article_id = e.article_id
           GROUP BY f.id ORDER BY 2 DESC LIMIT 20"""
    ).fetchall()
    return FrontPage(
        latest=[dict(r) for r in latest],
        edited=[{**dict(r), "changed_fields": json.loads(r["changed_fields"])} for r in edited],
        feeds=[dict(r) for r in feeds],
        per_day=[(d, n, e) for d, n, e in reversed(per_day)],
        per_feed=[(f, n, e) for f, n, e in per_feed],
    )


def search_hits(
    conn: sqlite3.Connection, words: str, limit: int = 50
) -> list[tuple[str, str | None, str]]:
    """(url, title, snippet) of the articles whose current title or body has every word,
    best first; matched words in the snippet between MARK_START and MARK_END."""
    terms = " ".join('"' + word.replace('"', '""') + '"' for word in words.split())
    if not terms:
        return []
    return [
        (url, title, text)
        for url, title, text in conn.execute(
            f"""SELECT a.url, v.title, {MARKED_SNIPPET} FROM versions_fts
                JOIN versions v ON v.id = versions_fts.rowid
                JOIN articles a ON a.current_version_id = v.id
                WHERE versions_fts MATCH ? ORDER BY rank LIMIT ?""",
            (terms, limit),
        )
    ]
