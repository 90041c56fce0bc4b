"""Schema steps on archives written by earlier releases: what each step changes, and that
it changes nothing else."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from ingester.store import Store
from ingester.store.migrations import MIGRATIONS
from ingester.types import Article, ArticleUrls, VersionToStore
from tests.support.versions import version_of

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def version(url_number: int, published: str | None, modified: str | None) -> VersionToStore:
    article = Article(
        title=f"Story {url_number}",
        body=("One paragraph of the story.",),
        published=published,
        modified=modified,
    )
    return version_of(article, T0, extractor="trafilatura 2.3.1")


def archive_at_schema_3(path: Path) -> None:
    """An archive as the release before the date step wrote it: dates as pages wrote them."""
    store = Store(path)
    dates = [
        ("Fri Apr 28 19:20:36 CEST 2023", "Fri, 28 Apr 2023 20:00:00 +0200"),
        ("2024-05-03T10:00:00Z", None),
        ("sometime last spring", "2024-05-03"),
    ]
    for n, (published, modified) in enumerate(dates):
        urls = ArticleUrls(linked=f"https://example.com/{n}")
        store.save(urls, version(n, published, modified), T0)
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        # Back to schema 3: what the later steps added goes (step 6's title, step 7's
        # captures; steps 4 and 5 change rows, not tables), and the version says the date
        # step is still to come.
        conn.execute("DROP TRIGGER articles_title")
        conn.execute("ALTER TABLE articles DROP COLUMN title")
        for table in ("versions", "articles", "feeds"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN capture_id")
        conn.execute("DROP TABLE captures")
        # step 8's leases, hosts and the polls' node
        conn.execute("DROP INDEX feeds_leases")
        conn.execute("ALTER TABLE polls DROP COLUMN node")
        for table in ("feeds", "articles"):
            for column in ("lease_owner", "lease_until"):
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("DROP TABLE hosts")
        conn.execute("PRAGMA user_version = 3")


def rows(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT title, published_at, modified_at, sha256, text, number FROM versions"
            " ORDER BY title"
        ).fetchall()


def test_the_date_step_writes_stored_dates_as_iso_8601(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    archive_at_schema_3(path)
    before = rows(path)

    Store(path).close()

    after = rows(path)
    assert [(r[1], r[2]) for r in after] == [
        ("2023-04-28T19:20:36+02:00", "2023-04-28T20:00:00+02:00"),
        ("2024-05-03T10:00:00+00:00", None),
        ("sometime last spring", "2024-05-03"),  # what reads as no date is kept as written
    ]
    # Nothing else moves: no new versions, the same texts and hashes.
    assert [(r[0], r[3], r[4], r[5]) for r in after] == [(r[0], r[3], r[4], r[5]) for r in before]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
