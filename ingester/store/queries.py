"""Reading the archive: an article's versions, search, and versions for export."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, cast

from ..errors import NotFound
from .articles import ArticleRows
from .capture_queries import CaptureQueries
from .feeds import FeedRows
from .identity import VERSION_FIELDS
from .rows import ExportedVersion, SearchHit, VersionSummary, VersionText
from .snippets import snippet

# PostgreSQL's search (schema step 2's tsvector), title above body; the snippet is made
# from the body (snippets.py) on both engines.
PG_SEARCH = """SELECT a.url, v.title, v.number, v.fetched_at, v.body
    FROM websearch_to_tsquery('simple', search_words(?)) q
    JOIN versions v ON v.search @@ q
    JOIN articles a ON a.current_version_id = v.id
    ORDER BY ts_rank(v.search, q) DESC, a.id LIMIT ?"""


class Queries(CaptureQueries, ArticleRows, FeedRows):
    def versions(self, url: str) -> list[VersionSummary]:
        article_id = self.article_id(url)
        rows = self.db.query(
            """SELECT v.number, v.fetched_at, v.sha256, v.word_count, v.source, v.kind,
                      v.changed_fields, v.id = a.current_version_id AS current
               FROM versions v JOIN articles a ON a.id = v.article_id
               WHERE v.article_id = ? ORDER BY v.number""",
            [article_id],
        )
        return [
            cast(
                VersionSummary,
                {
                    **row,
                    "current": bool(row["current"]),
                    "changed_fields": json.loads(row["changed_fields"]),
                },
            )
            for row in rows
        ]

    def version_text(self, url: str, number: int | None = None) -> str:
        """A version's text; by default the one the article showed at its last look."""
        return str(self.version(url, number)["text"])

    def version(self, url: str, number: int | None = None) -> VersionText:
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
        return cast(VersionText, rows[0])

    def last_two_numbers(self, url: str) -> tuple[int, int]:
        numbers = [v["number"] for v in self.versions(url)]
        if len(numbers) < 2:
            raise NotFound(f"{url}: only {len(numbers)} version archived, nothing to compare")
        return numbers[-2], numbers[-1]

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Articles whose current title or body match a query, best first: FTS5's syntax
        in SQLite, the search box's (``websearch_to_tsquery``) in PostgreSQL; in both, words
        as typed find what contains them all, and "a phrase" its words in a row."""
        if self.engine == "postgresql":
            return _hits(self.db.query(PG_SEARCH, [query, limit]), query)
        sql = """SELECT a.url, v.title, v.number, v.fetched_at, v.body
                 FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid
                 JOIN articles a ON a.current_version_id = v.id
                 WHERE versions_fts MATCH ? ORDER BY rank LIMIT ?"""
        try:
            return _hits(self.db.query(sql, [query, limit]), query)
        except sqlite3.OperationalError:
            # Not valid FTS5 syntax (a stray quote, a bare AND): search for the words as typed.
            words = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
            if not words:
                return []
            return _hits(self.db.query(sql, [words, limit]), query)

    def versions_for_export(
        self, feed: str | None = None, since: str | None = None, all_versions: bool = False
    ) -> Iterator[ExportedVersion]:
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
            yield cast(
                ExportedVersion,
                {
                    **row,
                    "changed_fields": json.loads(row["changed_fields"]),
                    "current": bool(row["current"]),
                },
            )


def _hits(rows: Iterable[dict[str, Any]], query: str) -> list[SearchHit]:
    return [
        {
            "url": row["url"],
            "title": row["title"],
            "number": row["number"],
            "fetched_at": row["fetched_at"],
            "snippet": snippet(row["body"], query),
        }
        for row in rows
    ]
