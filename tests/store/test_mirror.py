"""The mirror (store/mirror.py): a PostgreSQL archive copied into SQLite, then only what
changed. Its measure is an archive built the same way straight into SQLite: table for
table, row for row, search for search."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from ingester.store import Store
from ingester.store.mirror import ORDER, mirror_round
from ingester.types import ArticleUrls, FeedSpec, PollResult
from tests.support.news import BUDGET_1, FEED_OK, T0, URL_BUDGET, URL_HEAT, at, build_news
from tests.support.postgres import PostgresServer, read_rows
from tests.support.versions import version_of

KEEP_POLLS = 500


@pytest.fixture
def pg(postgres: PostgresServer, tmp_path: Path) -> Iterator[Store]:
    store = Store(postgres.database(), warcs=tmp_path / "warcs")
    yield store
    store.close()


def rows(target: str, table: str) -> list[tuple[object, ...]]:
    """A table of the SQLite archive at ``target``, in key order."""
    return read_rows(target, f"SELECT * FROM {table} ORDER BY 1, 2")


def mirrored(pg: Store, path: Path) -> tuple[int, int]:
    target = Store(path)
    try:
        done = mirror_round(pg, target, T0, KEEP_POLLS)
    finally:
        target.close()
    return done.rows, done.deleted


def test_a_first_round_makes_the_archive_a_sqlite_build_would(pg: Store, tmp_path: Path) -> None:
    build_news(pg.target)
    build_news(tmp_path / "direct.db")

    mirrored(pg, tmp_path / "mirror.db")

    for table in ORDER:
        assert rows(str(tmp_path / "mirror.db"), table) == rows(
            str(tmp_path / "direct.db"), table
        ), table
    for words in ("quokka", "council", "lemonade"):
        assert _search(tmp_path / "mirror.db", words) == _search(tmp_path / "direct.db", words)


def test_a_later_round_copies_what_changed_and_only_that(pg: Store, tmp_path: Path) -> None:
    build_news(pg.target)
    build_news(tmp_path / "direct.db")
    first, _ = mirrored(pg, tmp_path / "mirror.db")
    assert mirrored(pg, tmp_path / "mirror.db") == (0, 0)  # nothing changed

    direct = Store(tmp_path / "direct.db")
    try:
        for store in (pg, direct):  # the same edits on both
            _edit(store)
    finally:
        direct.close()
    copied, _ = mirrored(pg, tmp_path / "mirror.db")

    assert 0 < copied < first / 2
    for table in ORDER:
        assert rows(str(tmp_path / "mirror.db"), table) == rows(
            str(tmp_path / "direct.db"), table
        ), table
    # Both show the zeppelin now: the search index followed the current versions.
    assert sorted(_search(tmp_path / "mirror.db", "zeppelin")) == [URL_BUDGET, URL_HEAT]


def test_a_write_that_commits_after_a_rounds_snapshot_comes_in_the_next(
    pg: Store, tmp_path: Path
) -> None:
    build_news(pg.target)
    mirrored(pg, tmp_path / "mirror.db")
    late = psycopg.connect(pg.target)  # another node, mid-transaction
    late.execute("UPDATE feeds SET title = 'Late news' WHERE url = %s", (FEED_OK,))

    mirrored(pg, tmp_path / "mirror.db")  # its snapshot does not see the update
    title = read_rows(str(tmp_path / "mirror.db"), "SELECT title FROM feeds WHERE url = ?", FEED_OK)
    late.commit()
    late.close()
    mirrored(pg, tmp_path / "mirror.db")

    assert title != [("Late news",)]
    assert read_rows(
        str(tmp_path / "mirror.db"), "SELECT title FROM feeds WHERE url = ?", FEED_OK
    ) == [("Late news",)]


def test_the_poll_log_is_trimmed_in_the_mirror_as_at_the_source(pg: Store, tmp_path: Path) -> None:
    pg.sync_feeds([FeedSpec(FEED_OK)], T0)
    [feed] = pg.feeds_named([FEED_OK], 1800)
    for n in range(5):
        pg.record_poll(feed, PollResult(feed.label, "ok"), T0 + timedelta(minutes=n), None)
    mirrored(pg, tmp_path / "mirror.db")
    for n in range(5, 8):
        pg.record_poll(
            feed, PollResult(feed.label, "ok"), T0 + timedelta(minutes=n), None, keep_polls=4
        )
    target = Store(tmp_path / "mirror.db")
    try:
        mirror_round(pg, target, T0, keep_polls=4)
    finally:
        target.close()

    assert rows(str(tmp_path / "mirror.db"), "polls") == read_rows(
        pg.target, "SELECT id, feed_id, started_at, duration_ms, status, http_status,"
        " new_articles, new_versions, error, page_errors, node FROM polls ORDER BY 1, 2"
    )  # fmt: skip
    assert len(rows(str(tmp_path / "mirror.db"), "polls")) == 4


def test_a_mirror_of_one_archive_refuses_another(
    pg: Store, postgres: PostgresServer, tmp_path: Path
) -> None:
    mirrored(pg, tmp_path / "mirror.db")
    other = Store(postgres.database(), warcs=tmp_path)
    try:
        with pytest.raises(Exception, match="a mirror of"):
            mirrored(other, tmp_path / "mirror.db")
    finally:
        other.close()


def _edit(store: Store) -> None:
    """A new version of one article, another back to its first rendering, a poll."""
    store.save(ArticleUrls(URL_BUDGET), version_of(BUDGET_1, at(9)), at(9))
    store.save(ArticleUrls(URL_HEAT), version_of(BUDGET_1, at(9)), at(9))
    [feed] = store.feeds_named([FEED_OK], 1800)
    store.record_poll(feed, PollResult(feed.label, "ok"), at(9), at(10))


def _search(path: Path, words: str) -> list[str]:
    store = Store(path)
    try:
        return [hit["url"] for hit in store.search(words)]
    finally:
        store.close()
