"""Opening the archive read-only: reads work, nothing is written, nothing is upgraded."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingester.errors import StoreError
from ingester.store import Store
from ingester.store.migrations import MIGRATIONS
from ingester.types import Article, ArticleUrls, FeedSpec
from tests.support.versions import version_of

T0 = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)
URL = "https://news.example.com/story"
ARTICLE = Article(title="Harbour wall to be rebuilt", body=("The wall is rebuilt in granite.",))


@pytest.fixture
def archived(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    store = Store(path)
    store.save(ArticleUrls(linked=URL), version_of(ARTICLE, T0), T0)
    store.close()
    return path


def test_a_read_only_store_reads_the_archive(archived: Path) -> None:
    store = Store(archived, read_only=True)
    try:
        assert [v["number"] for v in store.versions(URL)] == [1]
        assert "Harbour wall" in store.version_text(URL)
    finally:
        store.close()


def test_a_read_only_store_writes_nothing(archived: Path) -> None:
    before = archived.read_bytes()
    store = Store(archived, read_only=True)
    try:
        with pytest.raises(StoreError, match="readonly"):
            store.sync_feeds([FeedSpec(url="https://news.example.com/rss.xml")], T0)
    finally:
        store.close()
    assert archived.read_bytes() == before


def test_a_read_only_store_does_not_upgrade_an_older_archive(archived: Path) -> None:
    with closing(sqlite3.connect(archived)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")

    with pytest.raises(StoreError, match="from an earlier version") as caught:
        Store(archived, read_only=True)

    assert "open it once where it can be written" in str(caught.value)
    with closing(sqlite3.connect(archived)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) - 1


def test_a_directory_is_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="is a directory"):
        Store(tmp_path, read_only=True)
