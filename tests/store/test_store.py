"""Store: the archive on both engines, a real SQLite file in tmp_path and a real
PostgreSQL database (tests/support/postgres.py); opening and migrating are SQLite's.

Versions are built by hand from an Article with the real layout renderer and hash, so a
version's text and SHA-256 are exactly what the pipeline would store.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import zstandard

from ingester.clock import iso
from ingester.errors import NotFound, StoreError
from ingester.render import render, text_hash
from ingester.store import Store
from ingester.store.migrations import MIGRATIONS
from ingester.types import (
    Article,
    ArticleUrls,
    FeedForUpdate,
    FeedSpec,
    PageToStore,
    PollResult,
)
from tests.support.news import URL_BUDGET, URL_HARBOUR, URL_HEAT, build_news
from tests.support.postgres import read_dicts, read_rows
from tests.support.versions import version_of

T0 = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
TABLES = {"feeds", "articles", "article_urls", "feed_entries", "raw_pages", "versions", "polls"}

FEED_A = "https://a.example.com/rss.xml"
FEED_B = "https://b.example.org/atom.xml"

LINKED = "https://feeds.example.net/~r/world/~3/AbCdEf/story?utm_source=rss"
FINAL = "https://www.example.com/world/2024/05/01/flood-defences?utm_medium=feed&ref=home"
CANONICAL = "https://www.example.com/world/flood-defences?id=7731"
CANONICAL_TRACKED = (
    "https://WWW.Example.com:443/world/flood-defences?utm_campaign=x&id=7731&fbclid=Zz9#comments"
)
URLS = ArticleUrls(linked=LINKED, final=FINAL, canonical=CANONICAL)

ARTICLE = Article(
    title="Київ зміцнює дамби перед повінню",
    body=(
        "Міська рада схвалила план укріплення набережної — 12 млн грн.",
        'Engineers said the "worst case" is a 1-in-100-year flood; café owners shrugged.',
    ),
    section="World",
    author="Olena Kovalenko",
    author_role="Correspondent",
    published="2024-05-01T08:00:00+00:00",
)


# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def store(archive_target: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store(archive_target, warcs=tmp_path / "warcs")
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[Store]:
    opened = Store(db_path)
    yield opened
    opened.close()


def query(target: str | Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read through a second connection, as another process would."""
    return read_rows(str(target), sql, *params)


def feed_row(target: str, url: str) -> dict[str, Any]:
    rows = read_dicts(target, "SELECT * FROM feeds WHERE url = ?", url)
    assert rows, url
    return rows[0]


def page_of(content: bytes, etag: str | None = None) -> PageToStore:
    return PageToStore(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        etag=etag,
        last_modified=None,
    )


def the_feed(store: Store, url: str) -> FeedForUpdate:
    (feed,) = store.feeds_named([url], default_interval=1800)
    return feed


def urls_of(feeds: list[FeedForUpdate]) -> set[str]:
    return {feed.url for feed in feeds}


# -- opening and migrating ----------------------------------------------------------------


def test_fresh_file_gets_the_schema(sqlite_store: Store, db_path: Path) -> None:
    names = {row[0] for row in query(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert names >= TABLES


def test_fresh_file_is_in_wal_mode(sqlite_store: Store, db_path: Path) -> None:
    assert query(db_path, "PRAGMA journal_mode") == [("wal",)]


def test_fresh_file_user_version_counts_the_migrations(sqlite_store: Store, db_path: Path) -> None:
    assert query(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert sqlite_store.schema_version == len(MIGRATIONS)


def test_reopening_keeps_data_and_schema_version(db_path: Path) -> None:
    first = Store(db_path)
    first.sync_feeds([FeedSpec(FEED_A, name="A")], T0)
    first.save(URLS, version_of(ARTICLE), T0)
    first.close()

    again = Store(db_path)
    try:
        assert again.schema_version == len(MIGRATIONS)
        assert the_feed(again, FEED_A).name == "A"
        assert again.version_text(CANONICAL) == render(ARTICLE)
        assert again.count("feeds") == 1
        assert again.count("versions") == 1
    finally:
        again.close()


def test_a_second_store_can_open_an_archive_that_is_already_open(
    sqlite_store: Store, db_path: Path
) -> None:
    sqlite_store.sync_feeds([FeedSpec(FEED_A)], T0)

    other = Store(db_path)
    try:
        assert urls_of(other.active_feeds(1800)) == {FEED_A}
    finally:
        other.close()


def test_two_stores_opening_a_fresh_file_at_once_both_succeed(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Interleave deterministically: right after the first Store has read user_version == 0,
    # a second Store (another process, say) opens the same file and migrates it.
    opened: list[Store] = []
    raced = False
    execute = sqlite_utils.Database.execute

    def execute_then_race(self: sqlite_utils.Database, sql: str, *args: Any) -> Any:
        nonlocal raced
        result = execute(self, sql, *args)
        if sql == "PRAGMA user_version" and not raced:
            raced = True
            opened.append(Store(db_path))
            assert opened[0].schema_version == len(MIGRATIONS)
        return result

    monkeypatch.setattr(sqlite_utils.Database, "execute", execute_then_race)
    try:
        first = Store(db_path)
        first.close()
    finally:
        for other in opened:
            other.close()


def test_schema_newer_than_the_code_is_a_store_error(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")

    with pytest.raises(StoreError) as caught:
        Store(db_path)

    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_sqlite_is_a_one_line_store_error(db_path: Path) -> None:
    db_path.write_bytes(b"these bytes are not a SQLite database\n" * 64)

    with pytest.raises(StoreError) as caught:
        Store(db_path)

    message = str(caught.value)
    assert message
    assert "\n" not in message
    assert "Traceback" not in message


# -- feeds: sync with the config ----------------------------------------------------------


def test_sync_feeds_adds_configured_feeds(store: Store) -> None:
    store.sync_feeds(
        [FeedSpec(FEED_A, name="Alpha", section="World", interval=600), FeedSpec(FEED_B)], T0
    )

    feeds = {feed.url: feed for feed in store.active_feeds(default_interval=1800)}
    assert set(feeds) == {FEED_A, FEED_B}
    assert (feeds[FEED_A].name, feeds[FEED_A].section, feeds[FEED_A].interval) == (
        "Alpha",
        "World",
        600,
    )
    assert feeds[FEED_B].name is None
    assert feeds[FEED_B].interval == 1800  # no interval of its own: the default


def test_sync_feeds_updates_names_without_duplicating(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A, name="Old name")], T0)
    store.sync_feeds([FeedSpec(FEED_A, name="New name", section="Business")], T0)

    (feed,) = store.active_feeds(1800)
    assert feed.name == "New name"
    assert feed.section == "Business"
    assert store.count("feeds") == 1


def test_sync_feeds_deactivates_feeds_removed_from_the_config(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    store.sync_feeds([FeedSpec(FEED_A)], T0)

    assert urls_of(store.active_feeds(1800)) == {FEED_A}
    assert urls_of(store.due_feeds(T0 + timedelta(days=1), 1800)) == {FEED_A}
    assert store.count("feeds") == 2  # kept, with its history, just not polled


def test_sync_feeds_with_an_empty_config_deactivates_every_feed(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    store.sync_feeds([], T0)

    assert store.active_feeds(1800) == []


def test_sync_feeds_reactivates_a_feed_that_comes_back(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    feed_id = the_feed(store, FEED_B).id
    store.sync_feeds([FeedSpec(FEED_A)], T0)
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B, name="B is back")], T0)

    active = {feed.url: feed for feed in store.active_feeds(1800)}
    assert set(active) == {FEED_A, FEED_B}
    assert active[FEED_B].id == feed_id
    assert active[FEED_B].name == "B is back"


# -- feeds: the schedule ------------------------------------------------------------------


def test_new_feeds_are_due_at_once(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)

    assert urls_of(store.due_feeds(T0, 1800)) == {FEED_A, FEED_B}


def test_due_feeds_skips_feeds_whose_next_poll_is_in_the_future(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    polled = the_feed(store, FEED_A)
    store.record_poll(polled, PollResult(FEED_A, "ok", 200), T0, T0 + timedelta(hours=1))

    assert urls_of(store.due_feeds(T0 + timedelta(minutes=30), 1800)) == {FEED_B}
    assert urls_of(store.due_feeds(T0 + timedelta(hours=1), 1800)) == {FEED_A, FEED_B}


def test_due_feeds_skips_inactive_feeds(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    store.sync_feeds([FeedSpec(FEED_B)], T0)
    store.ensure_feed("https://c.example.net/one-off.xml", T0)

    assert urls_of(store.due_feeds(T0 + timedelta(days=365), 1800)) == {FEED_B}


# -- feeds: recording polls ---------------------------------------------------------------


def test_record_poll_success_updates_the_feed_row(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A)], T0)
    next_poll = T0 + timedelta(minutes=30)

    store.record_poll(
        the_feed(store, FEED_A),
        PollResult(FEED_A, "ok", http_status=200, new_articles=3, new_versions=4),
        T0,
        next_poll,
        etag='"e1"',
        last_modified="Wed, 01 May 2024 08:00:00 GMT",
        title="Alpha News",
    )

    row = feed_row(store.target, FEED_A)
    assert row["last_status"] == "ok"
    assert row["last_http_status"] == 200
    assert row["last_error"] is None
    assert row["consecutive_failures"] == 0
    assert datetime.fromisoformat(row["last_polled_at"]) == T0
    assert datetime.fromisoformat(row["last_success_at"]) == T0
    assert datetime.fromisoformat(row["next_poll_at"]) == next_poll
    assert row["title"] == "Alpha News"
    feed = the_feed(store, FEED_A)
    assert (feed.etag, feed.last_modified) == ('"e1"', "Wed, 01 May 2024 08:00:00 GMT")


def test_the_poll_log_keeps_only_the_newest_polls_of_each_feed(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    for minute in range(10):
        for url in (FEED_A, FEED_B):
            started = T0 + timedelta(minutes=minute)
            result = PollResult(url, "not_modified", http_status=304)
            store.record_poll(the_feed(store, url), result, started, started, keep_polls=3)

    kept = query(
        store.target,
        "SELECT f.url, p.started_at FROM polls p JOIN feeds f ON f.id = p.feed_id"
        " ORDER BY f.url, p.started_at",
    )
    newest = [iso(T0 + timedelta(minutes=m)) for m in (7, 8, 9)]
    assert kept == [(FEED_A, t) for t in newest] + [(FEED_B, t) for t in newest]


def test_record_poll_counts_consecutive_failures_and_resets_on_success(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A)], T0)
    later = T0 + timedelta(hours=1)
    store.record_poll(the_feed(store, FEED_A), PollResult(FEED_A, "ok", 200), T0, later)

    for attempt in (1, 2, 3):
        started = T0 + timedelta(hours=attempt)
        failure = PollResult(FEED_A, "error", 503, error="fetch: 503 service unavailable")
        store.record_poll(the_feed(store, FEED_A), failure, started, started + timedelta(hours=1))
        row = feed_row(store.target, FEED_A)
        assert row["consecutive_failures"] == attempt
        assert the_feed(store, FEED_A).consecutive_failures == attempt
        assert row["last_status"] == "error"
        assert row["last_error"] == "fetch: 503 service unavailable"
        assert datetime.fromisoformat(row["last_success_at"]) == T0  # the last success stays

    recovered = T0 + timedelta(hours=5)
    store.record_poll(
        the_feed(store, FEED_A), PollResult(FEED_A, "not_modified", 304), recovered, later
    )
    row = feed_row(store.target, FEED_A)
    assert row["consecutive_failures"] == 0
    assert row["last_status"] == "not_modified"
    assert row["last_error"] is None
    assert datetime.fromisoformat(row["last_success_at"]) == recovered


def test_record_poll_keeps_validators_when_none_are_given(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A)], T0)
    store.record_poll(
        the_feed(store, FEED_A),
        PollResult(FEED_A, "ok", 200),
        T0,
        T0,
        etag='"v1"',
        last_modified="Mon, 29 Apr 2024 10:00:00 GMT",
        title="Alpha",
    )

    store.record_poll(the_feed(store, FEED_A), PollResult(FEED_A, "not_modified", 304), T0, T0)
    feed = the_feed(store, FEED_A)
    assert (feed.etag, feed.last_modified) == ('"v1"', "Mon, 29 Apr 2024 10:00:00 GMT")

    store.record_poll(the_feed(store, FEED_A), PollResult(FEED_A, "ok", 200), T0, T0, etag='"v2"')
    feed = the_feed(store, FEED_A)
    assert (feed.etag, feed.last_modified) == ('"v2"', "Mon, 29 Apr 2024 10:00:00 GMT")


def test_record_poll_inserts_one_polls_row_per_poll(store: Store) -> None:
    store.sync_feeds([FeedSpec(FEED_A), FeedSpec(FEED_B)], T0)
    feed = the_feed(store, FEED_A)
    result = PollResult(
        FEED_A,
        "ok",
        http_status=200,
        new_articles=2,
        new_versions=5,
        page_errors=("https://a.example.com/x: fetch: 404 not found",),
        duration_ms=812,
    )

    store.record_poll(feed, result, T0, T0 + timedelta(hours=1))
    store.record_poll(feed, PollResult(FEED_A, "error", error="boom"), T0, T0)

    rows = query(
        store.target,
        "SELECT feed_id, started_at, duration_ms, status, http_status, new_articles,"
        " new_versions, error, page_errors FROM polls ORDER BY id",
    )
    assert len(rows) == 2
    first = rows[0]
    assert first[0] == feed.id
    assert datetime.fromisoformat(first[1]) == T0
    assert first[2:8] == (812, "ok", 200, 2, 5, None)
    assert "https://a.example.com/x: fetch: 404 not found" in first[8]
    assert rows[1][3] == "error"
    assert rows[1][7] == "boom"


# -- articles: saving versions ------------------------------------------------------------


def test_first_save_creates_the_article_and_version_1(store: Store) -> None:
    version = version_of(ARTICLE)

    outcome = store.save(URLS, version, T0, page=page_of(b"<html>v1</html>"))

    assert outcome.new_article
    assert outcome.new_version
    (listed,) = store.versions(CANONICAL)
    assert listed["number"] == 1
    assert listed["sha256"] == version.hash
    assert listed["word_count"] == version.word_count
    assert listed["source"] == ARTICLE.source
    assert listed["fetched_at"] == version.fetched_at
    assert store.count("articles") == 1


def test_saving_the_same_text_again_adds_no_version(store: Store) -> None:
    page = page_of(b"<html><p>same page</p></html>")
    first = store.save(URLS, version_of(ARTICLE), T0, page=page)

    again = store.save(
        URLS, version_of(ARTICLE, T0 + timedelta(hours=1)), T0 + timedelta(hours=1), page=page
    )

    assert not again.new_article
    assert not again.new_version
    assert again.article_id == first.article_id
    assert [v["number"] for v in store.versions(CANONICAL)] == [1]
    assert store.count("versions") == 1
    assert store.count("raw_pages") == 1


def test_unchanged_text_from_a_changed_page_adds_no_version(store: Store) -> None:
    store.save(URLS, version_of(ARTICLE), T0, page=page_of(b"<html>sidebar: 1 minute ago</html>"))

    outcome = store.save(
        URLS, version_of(ARTICLE), T0, page=page_of(b"<html>sidebar: 9 minutes ago</html>")
    )

    assert not outcome.new_version
    assert store.count("versions") == 1
    assert store.count("raw_pages") == 2  # distinct bytes are both kept


def test_identical_page_bytes_are_stored_once_across_articles(store: Store) -> None:
    page = page_of(b"<html>a syndicated page</html>")
    store.save(ArticleUrls("https://one.example.com/a"), version_of(ARTICLE), T0, page=page)
    store.save(ArticleUrls("https://two.example.com/b"), version_of(ARTICLE), T0, page=page)

    assert store.count("articles") == 2
    assert store.count("raw_pages") == 1


def test_raw_page_is_kept_byte_for_byte(store: Store) -> None:
    content = "<html><body>Привіт, café — ☕</body></html>".encode() + bytes(range(256))
    page = page_of(content)

    store.save(URLS, version_of(ARTICLE), T0, page=page)

    ((encoding, size, blob),) = query(
        store.target, "SELECT encoding, size, content FROM raw_pages WHERE sha256 = ?", page.sha256
    )
    assert size == len(content)
    assert encoding == "zstd"
    assert zstandard.ZstdDecompressor().decompress(blob) == content
    assert store.raw_page(page.sha256) == content


def test_raw_pages_stored_as_zlib_by_earlier_releases_still_read(
    sqlite_store: Store, db_path: Path
) -> None:
    content = b"<html><body><p>an old page</p></body></html>"
    page = page_of(content)
    sqlite_store.save(URLS, version_of(ARTICLE), T0, page=page)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE raw_pages SET encoding = 'zlib', content = ? WHERE sha256 = ?",
            (zlib.compress(content), page.sha256),
        )

    assert sqlite_store.raw_page(page.sha256) == content


def test_changed_text_adds_version_2_naming_the_changed_fields(store: Store) -> None:
    store.save(URLS, version_of(ARTICLE), T0)
    edited = replace(
        ARTICLE,
        title="Київ зміцнює дамби: рада виділила кошти",
        body=(*ARTICLE.body, "Update: work starts on Monday."),
    )

    outcome = store.save(URLS, version_of(edited), T0 + timedelta(hours=2))

    assert outcome.new_version
    assert not outcome.new_article
    listed = store.versions(CANONICAL)
    assert [v["number"] for v in listed] == [1, 2]
    assert set(listed[1]["changed_fields"]) == {"title", "body"}
    assert len(listed[1]["changed_fields"]) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"section": "Europe"}, "section"),
        ({"author": "Taras Shevchenko"}, "author"),
        ({"author_role": "Kyiv bureau chief"}, "author_role"),
        ({"author_bio": "Covers infrastructure."}, "author_bio"),
        ({"has_image": True, "image_alt": "Sandbags on the embankment"}, "image_alt"),
    ],
)
def test_changed_fields_names_exactly_the_one_field_that_changed(
    store: Store, change: dict[str, Any], field: str
) -> None:
    store.save(URLS, version_of(ARTICLE), T0)

    outcome = store.save(URLS, version_of(replace(ARTICLE, **change)), T0)

    assert outcome.new_version
    assert store.versions(CANONICAL)[-1]["changed_fields"] == [field]


@pytest.mark.parametrize(
    "change",
    [{"published": "2024-05-01T07:00:00+00:00"}, {"modified": "2024-05-02T07:00:00+00:00"}],
)
def test_dates_outside_the_layout_text_make_no_new_version(
    store: Store, change: dict[str, Any]
) -> None:
    # The layout renders no dates, and versions are deduplicated on the rendered text.
    store.save(URLS, version_of(ARTICLE), T0)

    outcome = store.save(URLS, version_of(replace(ARTICLE, **change)), T0)

    assert not outcome.new_version
    assert store.count("versions") == 1


def test_a_date_change_is_named_alongside_a_text_change(store: Store) -> None:
    store.save(URLS, version_of(ARTICLE), T0)
    edited = replace(ARTICLE, title="Dams hold", modified="2024-05-02T07:00:00+00:00")

    store.save(URLS, version_of(edited), T0)

    assert set(store.versions(CANONICAL)[-1]["changed_fields"]) == {"title", "modified_at"}


def test_a_revert_is_a_revisit_not_a_new_version(store: Store) -> None:
    edited = replace(ARTICLE, title="A corrected headline")
    store.save(URLS, version_of(ARTICLE), T0)
    store.save(URLS, version_of(edited), T0)

    outcome = store.save(URLS, version_of(ARTICLE), T1)

    assert outcome.revisit and not outcome.new_version
    listed = store.versions(CANONICAL)
    assert [v["number"] for v in listed] == [1, 2]
    assert [v["current"] for v in listed] == [True, False]
    assert store.version_text(CANONICAL) == version_of(ARTICLE).text
    assert query(store.target, "SELECT version_id, seen_at FROM revisits") == [(1, iso(T1))]


def test_a_page_flipping_between_two_renderings_adds_two_versions_only(store: Store) -> None:
    a, b = version_of(ARTICLE), version_of(replace(ARTICLE, title="Variant B headline"))

    outcomes = [store.save(URLS, version, T0) for version in [a, b] * 10]

    assert sum(o.new_version for o in outcomes) == 2
    assert sum(o.revisit for o in outcomes) == 18
    assert store.count("versions") == 2
    assert store.version_text(CANONICAL) == b.text


def test_an_edit_after_a_revert_counts_on_and_diffs_against_what_was_shown(store: Store) -> None:
    edited = replace(ARTICLE, title="A corrected headline")
    store.save(URLS, version_of(ARTICLE), T0)
    store.save(URLS, version_of(edited), T0)
    store.save(URLS, version_of(ARTICLE), T0)  # back to version 1

    store.save(URLS, version_of(replace(ARTICLE, author="Someone Else")), T1)

    listed = store.versions(CANONICAL)
    assert [v["number"] for v in listed] == [1, 2, 3]
    assert listed[2]["changed_fields"] == ["author"]  # against version 1, not 2
    assert [v["kind"] for v in listed] == ["first", "edit", "edit"]


# -- articles: finding them again ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [LINKED, FINAL, CANONICAL, CANONICAL_TRACKED],
    ids=["linked", "final", "canonical", "canonical-with-tracking"],
)
def test_find_article_finds_it_under_each_url_form(store: Store, url: str) -> None:
    version = version_of(ARTICLE)
    page = page_of(b"<html>page</html>", etag='"p1"')
    outcome = store.save(URLS, version, T0, page=page)

    found = store.find_article(url)

    assert found is not None
    assert found.id == outcome.article_id
    assert found.latest_sha256 == version.hash
    assert found.page_sha256 == page.sha256
    assert found.page_etag == '"p1"'
    assert store.article_id(url) == outcome.article_id
    assert store.version_text(url) == version.text


def test_find_article_reports_the_latest_version(store: Store) -> None:
    edited = replace(ARTICLE, body=("Only one paragraph now.",))
    store.save(URLS, version_of(ARTICLE), T0)
    store.save(URLS, version_of(edited), T0)

    found = store.find_article(LINKED)

    assert found is not None
    assert found.latest_sha256 == version_of(edited).hash


def test_a_later_url_form_joins_the_same_article(store: Store) -> None:
    first = store.save(ArticleUrls(linked=LINKED), version_of(ARTICLE), T0)

    again = store.save(URLS, version_of(ARTICLE), T0)

    assert again.article_id == first.article_id
    assert not again.new_article
    assert store.article_id(CANONICAL_TRACKED) == first.article_id


def test_find_article_returns_none_for_an_unknown_url(store: Store) -> None:
    store.save(URLS, version_of(ARTICLE), T0)

    assert store.find_article("https://www.example.com/world/other-story") is None


# -- reading versions back ----------------------------------------------------------------


def test_version_text_returns_each_version_byte_for_byte(store: Store) -> None:
    v1 = version_of(ARTICLE)
    edited = replace(
        ARTICLE,
        body=(*ARTICLE.body, "Emoji and marks survive: 🌊 ñ ґ ß “quotes” — end."),
        has_image=True,
        image_alt="Піщані мішки на набережній",
        image_caption="Photo: Example Agency",
    )
    v2 = version_of(edited, T0 + timedelta(days=1))
    store.save(URLS, v1, T0)
    store.save(URLS, v2, T0 + timedelta(days=1))

    assert store.version_text(CANONICAL, 1).encode("utf-8") == v1.text.encode("utf-8")
    assert store.version_text(CANONICAL, 2).encode("utf-8") == v2.text.encode("utf-8")
    assert store.version_text(CANONICAL) == v2.text
    assert text_hash(store.version_text(CANONICAL, 2)) == v2.hash


def test_versions_lists_what_was_stored(store: Store) -> None:
    v1 = version_of(ARTICLE, T0)
    edited = replace(ARTICLE, author="Taras Shevchenko", source="feed")
    v2 = version_of(edited, T0 + timedelta(hours=3))
    store.save(URLS, v1, T0)
    store.save(URLS, v2, T0 + timedelta(hours=3))

    listed = store.versions(FINAL)

    assert [(v["number"], v["sha256"], v["fetched_at"]) for v in listed] == [
        (1, v1.hash, v1.fetched_at),
        (2, v2.hash, v2.fetched_at),
    ]
    assert [(v["word_count"], v["source"]) for v in listed] == [
        (v1.word_count, "page"),
        (v2.word_count, "feed"),
    ]
    assert listed[1]["changed_fields"] == ["author"]


def test_version_text_of_an_unknown_url_is_not_found(store: Store) -> None:
    store.save(URLS, version_of(ARTICLE), T0)

    with pytest.raises(NotFound):
        store.version_text("https://www.example.com/never-archived")
    with pytest.raises(NotFound):
        store.versions("https://www.example.com/never-archived")
    with pytest.raises(NotFound):
        store.article_id("https://www.example.com/never-archived")


def test_version_text_of_a_missing_version_number_is_not_found(store: Store) -> None:
    store.save(URLS, version_of(ARTICLE), T0)

    with pytest.raises(NotFound):
        store.version_text(CANONICAL, 2)
    with pytest.raises(NotFound):
        store.version_text(CANONICAL, 0)


def test_article_seen_without_a_version_has_no_version_text(store: Store) -> None:
    store.save(URLS, None, T0, error="extract: no article found")

    assert store.find_article(LINKED) is not None
    assert store.versions(LINKED) == []
    with pytest.raises(NotFound):
        store.version_text(LINKED)


# -- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("quokka", [URL_BUDGET]),  # a word of the current version only
        ("zeppelin", []),  # a word of an older version only
        ("lemonade", [URL_HEAT]),  # back to an earlier rendering
        ("council", [URL_BUDGET]),  # every version has it: the article once
        ("flood-defences", [URL_HARBOUR]),
        ("harbour's", [URL_HARBOUR]),
        ("", []),
    ],
)
def test_search_finds_current_versions_on_both_engines(
    archive_target: str, words: str, found: list[str]
) -> None:
    build_news(archive_target)
    store = Store(archive_target)
    try:
        hits = store.search(words)
    finally:
        store.close()

    assert [hit["url"] for hit in hits] == found
    for hit in hits:
        assert "\n" not in hit["snippet"]
        assert hit["title"] and hit["number"] >= 1


def test_a_search_snippet_brackets_the_matched_word(archive_target: str) -> None:
    build_news(archive_target)
    store = Store(archive_target)
    try:
        [hit] = store.search("quokka")
    finally:
        store.close()

    assert "[quokka]" in hit["snippet"]


def test_nodes_saving_one_article_at_once_make_it_once(archive_target: str, tmp_path: Path) -> None:
    # Eight writers (a cluster's nodes: each its own connection) archive the same story,
    # seen under the same URLs, at the same moment.
    Store(archive_target, warcs=tmp_path).close()
    start, errors = threading.Barrier(8), []

    def node() -> None:
        own = Store(archive_target, warcs=tmp_path)
        try:
            start.wait(timeout=30)
            own.save(URLS, version_of(ARTICLE), T0)
        except Exception as e:  # what the test is about: none may fail
            errors.append(e)
        finally:
            own.close()

    threads = [threading.Thread(target=node) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert query(archive_target, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert query(archive_target, "SELECT number FROM versions") == [(1,)]
