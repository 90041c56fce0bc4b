"""Articles and their versions: identity by any URL an article was seen under, and a
version for every distinct rendering, kept once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from ..clock import iso
from ..errors import NotFound
from ..types import (
    Article,
    ArticleForUpdate,
    ArticleUrls,
    DueArticle,
    PageToStore,
    ParsedEntry,
    StoredPage,
    StoreOutcome,
    VersionToStore,
)
from ..urls import anchored, canonicalize
from .captures import CAPTURE_COLUMNS
from .engines import Sql
from .identity import VERSION_FIELDS, rehome
from .raw_pages import RawPages

# Any form an article was seen under finds it; one post of a page holding several
# (``…#a100632``) comes before the page (url_forms gives the parameters).
BY_URL = "u.url IN (?, ?, ?) ORDER BY u.url = ? DESC LIMIT 1"


def url_forms(url: str) -> tuple[str, str, str, str]:
    exact = anchored(url)
    return exact, canonicalize(url), url, exact


class ArticleRows(RawPages):
    def find_article(self, url: str) -> ArticleForUpdate | None:
        """The article seen under ``url`` in any of its forms (linked, final, canonical);
        one post of a page holding several (``…#a100632``) before the page."""
        row = self.db.execute(
            f"""SELECT a.id, a.url, a.page_etag, a.page_last_modified, a.page_sha256,
                      v.sha256, v.source, v.extractor, a.first_seen_at, {CAPTURE_COLUMNS}
               FROM article_urls u JOIN articles a ON a.id = u.article_id
               LEFT JOIN versions v ON v.id = a.current_version_id
               LEFT JOIN captures c ON c.id = a.capture_id
               WHERE {BY_URL}""",
            url_forms(url),
        ).fetchone()
        if row is None:
            return None
        capture = self.capture_ref(row[9:])
        return ArticleForUpdate(
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], capture
        )

    def stories_at(self, feed_id: int, url: str) -> list[ParsedEntry]:
        """The entries of a feed archived as the article at ``url`` (its page's form)."""
        rows = self.db.execute(
            """SELECT e.entry FROM article_urls u
               JOIN feed_entries e ON e.article_id = u.article_id
               WHERE u.url = ? AND e.feed_id = ? AND e.entry IS NOT NULL""",
            (canonicalize(url), feed_id),
        ).fetchall()
        return [ParsedEntry.from_json(text) for (text,) in rows]

    def rehome(self, feed_id: int, url: str, identities: Mapping[str, ArticleUrls]) -> int:
        """Give the entries of a feed that share the page at ``url`` articles of their own
        (identity.rehome); the number of entries moved."""
        with self._write() as conn:
            self._lock(conn, [canonicalize(url)])
            row = conn.execute(
                "SELECT article_id FROM article_urls WHERE url = ?", (canonicalize(url),)
            ).fetchone()
            return rehome(conn, int(row[0]), feed_id, identities) if row else 0

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
                # The page's bytes are kept once: in its WARC capture, or else here.
                capture_id = None
                if page.capture is not None:
                    capture_id = self._put_capture(conn, page.capture)
                else:
                    self._put_raw(conn, page, now)
                conn.execute(
                    """UPDATE articles SET page_etag = ?, page_last_modified = ?, page_sha256 = ?,
                           capture_id = ? WHERE id = ?""",
                    (page.etag, page.last_modified, page.sha256, capture_id, article_id),
                )
            if version is not None:
                change = self._add_version(conn, article_id, version, now)
                new_version, revisit = change == "new", change == "revisit"
            conn.execute(
                """UPDATE articles SET last_checked_at = ?, last_error = ?,
                       last_error_at = COALESCE(?, last_error_at), next_check_at = ?,
                       lease_owner = NULL, lease_until = NULL
                   WHERE id = ?""",
                (
                    iso(now),
                    error,
                    iso(now) if error is not None else None,
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
                    (feed_id, entry.key, article_id, iso(now), iso(now), entry.to_json()),
                )
        return StoreOutcome(new_article, new_version, article_id, revisit)

    def add_reextraction(
        self, article_id: int, version: VersionToStore, now: datetime
    ) -> StoreOutcome:
        """A stored page read again: a version only if the rendering changed."""
        with self._write() as conn:
            change = self._add_version(conn, article_id, version, now)
        return StoreOutcome(False, change == "new", article_id, change == "revisit")

    def _article_for(self, conn: Sql, urls: ArticleUrls, now: datetime) -> tuple[int, bool]:
        # One post of a page holding several keeps its fragment; every other form loses it.
        form = anchored if urls.anchored else canonicalize
        forms = [(kind, form(url)) for kind, url in urls.all()]
        # Another node may be saving the same article under one of these forms right now.
        self._lock(conn, [url for _, url in forms])
        marks = ",".join("?" * len(forms))
        row = conn.execute(
            f"SELECT article_id FROM article_urls WHERE url IN ({marks}) LIMIT 1",
            [url for _, url in forms],
        ).fetchone()
        new_article = row is None
        if row is None:
            (article_id,) = conn.execute(
                "INSERT INTO articles (url, first_seen_at) VALUES (?, ?) RETURNING id",
                (form(urls.key), iso(now)),
            ).fetchone()
        else:
            article_id = int(row[0])
        for kind, url in forms:
            conn.execute(
                "INSERT INTO article_urls (url, article_id, kind) VALUES (?, ?, ?)"
                " ON CONFLICT (url) DO NOTHING",
                (url, article_id, kind),
            )
        return article_id, new_article

    def _add_version(
        self,
        conn: Sql,
        article_id: int,
        version: VersionToStore,
        now: datetime,
    ) -> str:
        """ "new", "revisit" or "same"; see save()."""
        self._lock(conn, [f"article {article_id}"])  # its versions, one writer at a time
        columns = ", ".join(VERSION_FIELDS)
        current = conn.execute(
            f"""SELECT v.id, v.sha256, {", ".join("v." + f for f in VERSION_FIELDS)}
                FROM articles a
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
        capture_id = self._put_capture(conn, version.capture) if version.capture else None
        (version_id,) = conn.execute(
            f"""INSERT INTO versions (article_id, number, fetched_at, sha256, {columns},
                    text, word_count, source, extractor, changed_fields, raw_sha256, kind,
                    capture_id)
                VALUES ({",".join("?" * (len(VERSION_FIELDS) + 12))}) RETURNING id""",
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
                capture_id,
            ),
        ).fetchone()
        conn.execute(
            "UPDATE articles SET current_version_id = ? WHERE id = ?", (version_id, article_id)
        )
        return "new"

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
        return (ParsedEntry.from_json(row[0]) if row[0] else None), row[1]

    def pages_to_reextract(self, url: str | None = None) -> list[StoredPage]:
        """Each article's last fetched page, with the feed entry that pointed at it."""
        where, params = ("WHERE a.id = ?", [self.article_id(url)]) if url else ("", [])
        rows = self.db.execute(
            f"""SELECT a.id, a.url, a.page_sha256, {CAPTURE_COLUMNS} FROM articles a
                LEFT JOIN captures c ON c.id = a.capture_id {where} ORDER BY a.id""",
            params,
        ).fetchall()
        return [
            StoredPage(
                article_id=r[0],
                url=r[1],
                page_sha256=r[2],
                capture=self.capture_ref(r[3:]),
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
