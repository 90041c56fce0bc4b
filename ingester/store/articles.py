"""The SQLite archive. The only module that writes SQL.

Every distinct rendering of every article is kept once, as a numbered version. The feed
rows double as the schedule: each holds its validators, its last result and when it is
due next, so a restart resumes where the daemon stopped.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
import zstandard

from .errors import NotFound, StoreError
from .schema import MIGRATIONS, SEARCH_SNIPPET
from .types import (
    Article,
    ArticleUrls,
    FeedForUpdate,
    FeedSpec,
    ParsedEntry,
    PollResult,
    StoreOutcome,
    VersionToStore,
)
from .urls import canonicalize

# Fields of a version compared to report "which fields changed".
VERSION_FIELDS = (
    "section",
    "title",
    "author",
    "author_role",
    "author_bio",
    "image_alt",
    "image_caption",
    "body",
    "published_at",
    "modified_at",
)


def iso(moment: datetime) -> str:
    """Stored times are UTC ISO 8601 text, so comparing them as text orders them in time."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ArticleForUpdate:
    """What the pipeline needs to know about an archived article before re-fetching it."""

    id: int
    url: str
    page_etag: str | None
    page_last_modified: str | None
    page_sha256: str | None
    latest_sha256: str | None  # of the version shown at the last look
    latest_source: str | None
    latest_extractor: str | None
    first_seen_at: str


@dataclass(frozen=True, slots=True)
class PageToStore:
    """A fetched page's bytes and validators."""

    content: bytes
    sha256: str
    etag: str | None
    last_modified: str | None


# Raw pages: zstd at level 3 is as small as zlib at 6 on news pages and five times faster
# (docs/performance.md); pages stored by earlier releases stay zlib and are read as such.
_ZSTD = zstandard.ZstdCompressor(level=3)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One finished poll, waiting to be written with others."""

    feed: FeedForUpdate
    result: PollResult
    started_at: datetime
    next_poll_at: datetime | None
    updates: dict[str, str | None]  # etag, last_modified, title, moved_to, content_sha256


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite_utils.Database(path)
            # Autocommit: the only transactions are the explicit, short ones in _write().
            self.db.conn.isolation_level = None
            self.db.execute("PRAGMA busy_timeout = 5000")
            self.db.enable_wal()
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path}: cannot open the archive: {e}") from e

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; sqlite3 errors leave as StoreError."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StoreError(f"archive write failed: {e}") from e
            raise

    def _migrate(self) -> None:
        """Upgrade one step per transaction; the version is read inside it, so two processes
        opening a fresh archive at once do not both run the same step."""
        while True:
            with self._write() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise StoreError(
                        f"archive schema {version} is newer than this release understands"
                    )
                if version == len(MIGRATIONS):
                    return
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    # -- feeds --------------------------------------------------------------------------

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feed rows follow the config: add, update, deactivate the removed ones."""
        urls = [spec.url for spec in specs]
        with self._write() as conn:
            for spec in specs:
                conn.execute(
                    """INSERT INTO feeds
                           (url, name, section, interval, active, added_at, next_poll_at)
                       VALUES (?, ?, ?, ?, 1, ?, ?)
                       ON CONFLICT (url) DO UPDATE SET name = excluded.name,
                           section = excluded.section, interval = excluded.interval, active = 1""",
                    (spec.url, spec.name, spec.section, spec.interval, iso(now), iso(now)),
                )
            marks = ",".join("?" * len(urls))
            conn.execute(f"UPDATE feeds SET active = 0 WHERE url NOT IN ({marks})", urls)

    def ensure_feed(self, url: str, now: datetime) -> FeedForUpdate:
        """A feed fetched by hand: recorded (inactive unless configured) so it can be polled."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feeds (url, active, added_at) VALUES (?, 0, ?) ON CONFLICT DO NOTHING",
                (url, iso(now)),
            )
        return self._feeds("WHERE url = ?", [url])[0]

    def due_feeds(self, now: datetime, default_interval: int) -> list[FeedForUpdate]:
        return self._feeds(
            "WHERE active = 1 AND gone_at IS NULL"
            " AND (next_poll_at IS NULL OR next_poll_at <= ?) ORDER BY next_poll_at",
            [iso(now)],
            default_interval,
        )

    def active_feeds(self, default_interval: int) -> list[FeedForUpdate]:
        return self._feeds("WHERE active = 1 AND gone_at IS NULL ORDER BY id", [], default_interval)

    def feeds_named(self, names: Iterable[str], default_interval: int) -> list[FeedForUpdate]:
        found = []
        for name in names:
            rows = self._feeds(
                "WHERE name = ? OR url = ? OR poll_url = ?", [name, name, name], default_interval
            )
            if not rows:
                raise NotFound(f"no feed named {name!r} in the archive or the config")
            found.extend(rows)
        return found

    def _feeds(
        self, where: str, params: Sequence[Any], default_interval: int = 1800
    ) -> list[FeedForUpdate]:
        rows = self.db.execute(
            "SELECT id, COALESCE(poll_url, url), name, section, interval, etag, last_modified,"
            f" consecutive_failures, content_sha256, server_interval FROM feeds {where}",
            params,
        ).fetchall()
        return [
            FeedForUpdate(
                id=r[0],
                url=r[1],
                name=r[2],
                section=r[3],
                interval=r[4] or default_interval,
                etag=r[5],
                last_modified=r[6],
                consecutive_failures=r[7],
                content_sha256=r[8],
                server_interval=r[9],
            )
            for r in rows
        ]

    def record_poll(
        self,
        feed: FeedForUpdate,
        result: PollResult,
        started_at: datetime,
        next_poll_at: datetime | None,
        *,
        keep_polls: int | None = None,
        **updates: str | None,
    ) -> None:
        """One poll's record; see ``record_polls``."""
        record = PollRecord(feed, result, started_at, next_poll_at, updates)
        self.record_polls([record], keep_polls=keep_polls)

    def record_polls(self, records: Sequence[PollRecord], keep_polls: int | None = None) -> None:
        """The polls' rows, and each feed row updated: its health, validators and schedule,
        all in one transaction (a daemon polling thousands of feeds a second writes them
        in batches; one transaction per poll would cost more than the poll).

        Validators are only ever replaced by newer ones (a 304 may carry new ones too).
        """
        if not records:
            return
        polls = [
            (
                r.feed.id,
                iso(r.started_at),
                r.result.duration_ms,
                r.result.status,
                r.result.http_status,
                r.result.new_articles,
                r.result.new_versions,
                r.result.error,
                json.dumps(list(r.result.page_errors)),
            )
            for r in records
        ]
        feeds = [
            {
                "started": iso(r.started_at),
                "status": r.result.status,
                "http": r.result.http_status,
                "error": r.result.error,
                "next": iso(r.next_poll_at) if r.next_poll_at else None,
                "ok": r.result.status not in ("error", "gone"),
                "etag": r.updates.get("etag"),
                "last_modified": r.updates.get("last_modified"),
                "title": r.updates.get("title"),
                "moved_to": r.updates.get("moved_to"),
                "content_sha256": r.updates.get("content_sha256"),
                "server_interval": r.result.server_interval,
                "id": r.feed.id,
            }
            for r in records
        ]
        with self._write() as conn:
            conn.executemany(
                """INSERT INTO polls (feed_id, started_at, duration_ms, status, http_status,
                       new_articles, new_versions, error, page_errors)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                polls,
            )
            conn.executemany(
                """UPDATE feeds SET last_polled_at = :started, last_status = :status,
                       last_http_status = :http, last_error = :error, next_poll_at = :next,
                       consecutive_failures = CASE WHEN :ok THEN 0
                           ELSE consecutive_failures + 1 END,
                       last_success_at = CASE WHEN :ok THEN :started ELSE last_success_at END,
                       gone_at = CASE WHEN :status = 'gone' THEN :started END,
                       etag = COALESCE(:etag, etag),
                       last_modified = COALESCE(:last_modified, last_modified),
                       title = COALESCE(:title, title),
                       poll_url = COALESCE(:moved_to, poll_url),
                       content_sha256 = COALESCE(:content_sha256, content_sha256),
                       server_interval = CASE WHEN :ok THEN :server_interval
                           ELSE server_interval END
                   WHERE id = :id""",
                feeds,
            )
            if keep_polls is not None:
                # The poll log is bounded: a feed polled for years keeps its newest polls.
                conn.executemany(
                    """DELETE FROM polls WHERE feed_id = ? AND id <= (
                           SELECT id FROM polls WHERE feed_id = ?
                           ORDER BY id DESC LIMIT 1 OFFSET ?)""",
                    [(r.feed.id, r.feed.id, keep_polls) for r in records],
                )

    def known_entries(self, feed_id: int) -> dict[str, str]:
        """The feed's entries as last stored (key -> entry JSON), to tell what is new."""
        rows = self.db.execute(
            "SELECT entry_key, entry FROM feed_entries WHERE feed_id = ?", (feed_id,)
        ).fetchall()
        return {key: entry for key, entry in rows}

    # -- articles -------------------------------------------------------------------------

    def find_article(self, url: str) -> ArticleForUpdate | None:
        """The article seen under ``url`` in any of its forms (linked, final, canonical)."""
        row = self.db.execute(
            """SELECT a.id, a.url, a.page_etag, a.page_last_modified, a.page_sha256,
                      v.sha256, v.source, v.extractor, a.first_seen_at
               FROM article_urls u JOIN articles a ON a.id = u.article_id
               LEFT JOIN versions v ON v.id = a.current_version_id
               WHERE u.url IN (?, ?) LIMIT 1""",
            (canonicalize(url), url),
        ).fetchone()
        return ArticleForUpdate(*row) if row else None

    def article_id(self, url: str) -> int:
        found = self.find_article(url)
        if found is None:
            raise NotFound(f"no article archived under {url}")
        return found.id

    def save(
        self,
        urls: ArticleUrls,
        version: VersionToStore | None,
        now: datetime,
        *,
        feed_id: int | None = None,
        entry: ParsedEntry | None = None,
        page: PageToStore | None = None,
        error: str | None = None,
        next_check_at: datetime | None = None,
    ) -> StoreOutcome:
        """Record one look at an article, in one transaction.

        A version is added only when its text's SHA-256 differs from every version the
        article has had. Going back to an earlier rendering is a revisit: the article
        points at that version again and the revisit is logged, but nothing is added, so
        a page flipping between two renderings (A/B tests, caches) costs two versions,
        not one per poll.
        """
        with self._write() as conn:
            article_id, new_article = self._article_for(conn, urls, now)
            new_version = revisit = False
            if page is not None:
                self._put_raw(conn, page, now)
                conn.execute(
                    """UPDATE articles SET page_etag = ?, page_last_modified = ?, page_sha256 = ?
                       WHERE id = ?""",
                    (page.etag, page.last_modified, page.sha256, article_id),
                )
            if version is not None:
                change = self._add_version(conn, article_id, version, now)
                new_version, revisit = change == "new", change == "revisit"
            conn.execute(
                """UPDATE articles SET last_checked_at = ?, last_error = ?,
                       last_error_at = CASE WHEN ? IS NULL THEN last_error_at ELSE ? END,
                       next_check_at = ?
                   WHERE id = ?""",
                (
                    iso(now),
                    error,
                    error,
                    iso(now),
                    iso(next_check_at) if next_check_at else None,
                    article_id,
                ),
            )
            if feed_id is not None and entry is not None:
                conn.execute(
                    """INSERT INTO feed_entries (feed_id, entry_key, article_id, first_seen_at,
                           last_seen_at, entry) VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (feed_id, entry_key) DO UPDATE SET
                           last_seen_at = excluded.last_seen_at, entry = excluded.entry""",
                    (feed_id, entry.key, article_id, iso(now), iso(now), entry_json(entry)),
                )
        return StoreOutcome(new_article, new_version, article_id, revisit)

    def add_reextraction(
        self, article_id: int, version: VersionToStore, now: datetime
    ) -> StoreOutcome:
        """A stored page read again: a version only if the rendering changed."""
        with self._write() as conn:
            change = self._add_version(conn, article_id, version, now)
        return StoreOutcome(False, change == "new", article_id, change == "revisit")

    def _article_for(
        self, conn: sqlite3.Connection, urls: ArticleUrls, now: datetime
    ) -> tuple[int, bool]:
        forms = [(kind, canonicalize(url)) for kind, url in urls.all()]
        marks = ",".join("?" * len(forms))
        row = conn.execute(
            f"SELECT article_id FROM article_urls WHERE url IN ({marks}) LIMIT 1",
            [url for _, url in forms],
        ).fetchone()
        new_article = row is None
        if row is None:
            cursor = conn.execute(
                "INSERT INTO articles (url, first_seen_at) VALUES (?, ?)",
                (canonicalize(urls.key), iso(now)),
            )
            article_id = int(cursor.lastrowid or 0)
        else:
            article_id = int(row[0])
        for kind, url in forms:
            conn.execute(
                "INSERT INTO article_urls (url, article_id, kind) VALUES (?, ?, ?)"
                " ON CONFLICT (url) DO NOTHING",
                (url, article_id, kind),
            )
        return article_id, new_article

    def _put_raw(self, conn: sqlite3.Connection, page: PageToStore, now: datetime) -> None:
        """Content-addressed: identical pages are stored once."""
        conn.execute(
            """INSERT INTO raw_pages (sha256, encoding, size, content, first_fetched_at)
               VALUES (?, 'zstd', ?, ?, ?) ON CONFLICT (sha256) DO NOTHING""",
            (page.sha256, len(page.content), _ZSTD.compress(page.content), iso(now)),
        )

    def _add_version(
        self,
        conn: sqlite3.Connection,
        article_id: int,
        version: VersionToStore,
        now: datetime,
    ) -> str:
        """ "new", "revisit" or "same"; see save()."""
        columns = ", ".join(VERSION_FIELDS)
        current = conn.execute(
            f"""SELECT v.id, v.sha256, {columns} FROM articles a
                JOIN versions v ON v.id = a.current_version_id WHERE a.id = ?""",
            (article_id,),
        ).fetchone()
        if current is not None and current[1] == version.hash:
            return "same"
        seen = conn.execute(
            "SELECT id FROM versions WHERE article_id = ? AND sha256 = ?",
            (article_id, version.hash),
        ).fetchone()
        if seen is not None:
            conn.execute(
                "INSERT INTO revisits (article_id, version_id, seen_at) VALUES (?, ?, ?)",
                (article_id, seen[0], iso(now)),
            )
            conn.execute(
                "UPDATE articles SET current_version_id = ?, revisits = revisits + 1 WHERE id = ?",
                (seen[0], article_id),
            )
            return "revisit"
        fields = _version_fields(version.article)
        changed = (
            [
                name
                for name, old in zip(VERSION_FIELDS, current[2:], strict=True)
                if fields[name] != old
            ]
            if current is not None
            else []
        )
        (number,) = conn.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE article_id = ?",
            (article_id,),
        ).fetchone()
        cursor = conn.execute(
            f"""INSERT INTO versions (article_id, number, fetched_at, sha256, {columns},
                    text, word_count, source, extractor, changed_fields, raw_sha256, kind)
                VALUES ({",".join("?" * (len(VERSION_FIELDS) + 11))})""",
            (
                article_id,
                number,
                version.fetched_at,
                version.hash,
                *(fields[name] for name in VERSION_FIELDS),
                version.text,
                version.word_count,
                version.article.source,
                version.extractor,
                json.dumps(changed),
                version.raw_sha256,
                "first" if number == 1 else version.kind,
            ),
        )
        conn.execute(
            "UPDATE articles SET current_version_id = ? WHERE id = ?",
            (cursor.lastrowid, article_id),
        )
        return "new"

    # -- reading ------------------------------------------------------------------------------

    def versions(self, url: str) -> list[dict[str, Any]]:
        article_id = self.article_id(url)
        rows = self.db.query(
            """SELECT v.number, v.fetched_at, v.sha256, v.word_count, v.source, v.kind,
                      v.changed_fields, v.id = a.current_version_id AS current
               FROM versions v JOIN articles a ON a.id = v.article_id
               WHERE v.article_id = ? ORDER BY v.number""",
            [article_id],
        )
        return [
            {
                **row,
                "current": bool(row["current"]),
                "changed_fields": json.loads(row["changed_fields"]),
            }
            for row in rows
        ]

    def version_text(self, url: str, number: int | None = None) -> str:
        """A version's text; by default the one the article showed at its last look."""
        return str(self.version(url, number)["text"])

    def version(self, url: str, number: int | None = None) -> dict[str, Any]:
        article_id = self.article_id(url)
        if number is None:
            where, params = "v.id = a.current_version_id", [article_id]
        else:
            where, params = "v.number = ?", [article_id, number]
        rows = list(
            self.db.query(
                f"""SELECT v.number, v.fetched_at, v.sha256, v.kind, v.text
                    FROM versions v JOIN articles a ON a.id = v.article_id
                    WHERE v.article_id = ? AND {where}""",
                params,
            )
        )
        if not rows:
            which = f"version {number}" if number is not None else "any version"
            raise NotFound(f"{url}: the archive has no {which} of this article")
        return rows[0]

    def last_two_numbers(self, url: str) -> tuple[int, int]:
        numbers = [v["number"] for v in self.versions(url)]
        if len(numbers) < 2:
            raise NotFound(f"{url}: only {len(numbers)} version archived, nothing to compare")
        return numbers[-2], numbers[-1]

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Articles whose current title or body match an FTS5 query, best first."""
        sql = f"""SELECT a.url, v.title, v.number, v.fetched_at, {SEARCH_SNIPPET} AS snippet
                 FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid
                 JOIN articles a ON a.current_version_id = v.id
                 WHERE versions_fts MATCH ? ORDER BY rank LIMIT ?"""
        try:
            return list(self.db.query(sql, [query, limit]))
        except sqlite3.OperationalError:
            # Not valid FTS5 syntax (a stray quote, a bare AND): search for the words as typed.
            words = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
            if not words:
                return []
            return list(self.db.query(sql, [words, limit]))

    def raw_page(self, sha256: str) -> bytes:
        row = self.db.execute(
            "SELECT encoding, content FROM raw_pages WHERE sha256 = ?", [sha256]
        ).fetchone()
        if row is None:
            raise NotFound(f"no raw page {sha256[:16]} in the archive")
        if row[0] == "zstd":
            return bytes(zstandard.ZstdDecompressor().decompress(row[1]))
        return zlib.decompress(row[1]) if row[0] == "zlib" else bytes(row[1])

    def pages_to_reextract(self, url: str | None = None) -> list[StoredPage]:
        """Each article's last fetched page, with the feed entry that pointed at it."""
        where, params = ("WHERE a.id = ?", [self.article_id(url)]) if url else ("", [])
        rows = self.db.execute(
            f"SELECT a.id, a.url, a.page_sha256 FROM articles a {where} ORDER BY a.id",
            params,
        ).fetchall()
        return [
            StoredPage(
                article_id=r[0],
                url=r[1],
                page_sha256=r[2],
            )
            for r in rows
            if r[2] is not None
        ]

    def articles_due(self, now: datetime, limit: int) -> list[DueArticle]:
        """Articles whose re-check is due, the longest-waiting first."""
        rows = self.db.execute(
            """SELECT a.id, a.url, a.first_seen_at FROM articles a
               WHERE a.next_check_at <= ? ORDER BY a.next_check_at LIMIT ?""",
            [iso(now), limit],
        ).fetchall()
        return [
            DueArticle(
                article_id=r[0],
                url=r[1],
                first_seen_at=datetime.fromisoformat(r[2]),
            )
            for r in rows
        ]

    def versions_for_export(
        self, feed: str | None = None, since: str | None = None, all_versions: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Versions in a stable order: articles by first sighting, then version number.

        Only each article's current version unless ``all_versions``; ``feed`` (a name or
        URL) keeps articles that feed carried; ``since`` (ISO date or time) keeps versions
        fetched from then on.
        """
        where = ["1 = 1" if all_versions else "v.id = a.current_version_id"]
        params: list[Any] = []
        if feed is not None:
            feed_id = self.feeds_named([feed], 0)[0].id
            where.append("a.id IN (SELECT article_id FROM feed_entries WHERE feed_id = ?)")
            params.append(feed_id)
        if since is not None:
            where.append("v.fetched_at >= ?")
            params.append(since)
        rows = self.db.query(
            f"""SELECT a.url, v.number, v.fetched_at, v.sha256, v.kind, v.source, v.extractor,
                       v.changed_fields, {", ".join("v." + f for f in VERSION_FIELDS)},
                       v.word_count, v.text, v.id = a.current_version_id AS current
                FROM versions v JOIN articles a ON a.id = v.article_id
                WHERE {" AND ".join(where)}
                ORDER BY a.first_seen_at, a.id, v.number""",
            params,
        )
        for row in rows:
            yield {
                **row,
                "changed_fields": json.loads(row["changed_fields"]),
                "current": bool(row["current"]),
            }

    def current_version(self, article_id: int) -> tuple[int, str] | None:
        """(number, text) of the version the article showed at its last look."""
        row = self.db.execute(
            """SELECT v.number, v.text FROM articles a JOIN versions v
               ON v.id = a.current_version_id WHERE a.id = ?""",
            [article_id],
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def latest_entry(self, article_id: int) -> tuple[ParsedEntry | None, str | None]:
        """The feed entry that last pointed at an article, and that feed's section."""
        row = self.db.execute(
            """SELECT e.entry, f.section FROM feed_entries e JOIN feeds f ON f.id = e.feed_id
               WHERE e.article_id = ? ORDER BY e.last_seen_at DESC LIMIT 1""",
            [article_id],
        ).fetchone()
        if row is None:
            return None, None
        return (_entry_from_json(row[0]) if row[0] else None), row[1]

    def heartbeat(self, pid: int, started_at: datetime, now: datetime, tick: int) -> None:
        with self._write() as conn:
            conn.execute(
                """INSERT INTO daemon (id, pid, started_at, heartbeat_at, tick)
                   VALUES (1, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET pid = excluded.pid,
                       started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
                       tick = excluded.tick, stopped_at = NULL""",
                (pid, iso(started_at), iso(now), tick),
            )

    def daemon_stopped(self, pid: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute("UPDATE daemon SET stopped_at = ? WHERE pid = ?", (iso(now), pid))

    def daemon(self) -> dict[str, Any] | None:
        rows = list(
            self.db.query("SELECT pid, started_at, heartbeat_at, tick, stopped_at FROM daemon")
        )
        return rows[0] if rows else None

    def feed_health(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT name, url, poll_url, active, last_status, last_http_status,
                          consecutive_failures, last_error, last_success_at, last_polled_at,
                          next_poll_at, gone_at
                   FROM feeds ORDER BY active DESC, id"""
            )
        )

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0])


@dataclass(frozen=True, slots=True)
class DueArticle:
    """An article whose page is due to be looked at again."""

    article_id: int
    url: str
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPage:
    """An article's last fetched page, as re-extraction needs it."""

    article_id: int
    url: str
    page_sha256: str


def _statements(script: str) -> Iterator[str]:
    """A migration's statements; a trigger's body holds semicolons of its own."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending.strip()
            pending = ""


def entry_json(entry: ParsedEntry) -> str:
    return json.dumps(dataclasses.asdict(entry), ensure_ascii=False, sort_keys=True)


def _entry_from_json(text: str) -> ParsedEntry:
    data = json.loads(text)
    data["categories"] = tuple(data.get("categories") or ())
    return ParsedEntry(**data)


def _version_fields(article: Article) -> dict[str, str | None]:
    return {
        "section": article.section,
        "title": article.title,
        "author": article.author,
        "author_role": article.author_role,
        "author_bio": article.author_bio,
        "image_alt": article.image_alt if article.has_image else None,
        "image_caption": article.image_caption if article.has_image else None,
        "body": "\n".join(article.body),
        "published_at": article.published,
        "modified_at": article.modified,
    }
