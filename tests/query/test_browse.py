"""Browsing the archive in Datasette, in-process through its test client: the descriptions
it shows, the saved queries, reading while the daemon writes. (`ingester serve` itself is
in tests/e2e/test_browse_cli.py.)

The archive (the ``news`` fixture) is built by hand in tests/support/news.py with the real
Store, layout renderer and hash, so every expected row below is derived from what was saved.
"""

from __future__ import annotations

import asyncio
import html
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from datasette.app import Datasette

from ingester.clock import iso
from ingester.query import browse
from ingester.render import word_count
from ingester.store import Store
from ingester.store.descriptions import TABLES
from ingester.store.saved_queries import QUERIES
from ingester.types import (
    Article,
    ArticleUrls,
    FeedSpec,
    PollResult,
)
from tests.support.cli import Archive
from tests.support.news import (
    BUDGET_3,
    FEED_FAILING,
    FEED_HEALTH,
    FEED_OK,
    HARBOUR,
    HEAT_1,
    RAIL_2,
    T0,
    URL_BUDGET,
    URL_HARBOUR,
    URL_HEAT,
    URL_RAIL,
    at,
    entry_for,
    expected_feed_health,
    search_path,
    the_feed,
)
from tests.support.versions import version_of

LATEST = "/archive/latest_articles.json?_shape=array"
RECENTLY_EDITED = "/archive/recently_edited.json?_shape=array"


# -- Datasette through its test client ----------------------------------------------------


def datasette(db: Path) -> Any:
    return Datasette([str(db)], metadata=browse.metadata(db))


def get(db: Path, *paths: str) -> list[httpx.Response]:
    """GET each path from a Datasette on ``db``, as `ingester serve` configures it."""

    async def main() -> list[httpx.Response]:
        ds = datasette(db)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    return asyncio.run(main())


def rows_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, f"{response.url}: {response.status_code} {response.text}"
    data = response.json()
    assert isinstance(data, list), data
    return data


def rows(db: Path, path: str) -> list[dict[str, Any]]:
    (response,) = get(db, path)
    return rows_of(response)


def latest_row(url: str, article: Article, first_seen: float, versions: int) -> dict[str, Any]:
    return {
        "url": url,
        "title": article.title,
        "section": article.section,
        "author": article.author,
        "first_seen_at": iso(at(first_seen)),
        "word_count": word_count(article),
        "versions": versions,
    }


# -- metadata -----------------------------------------------------------------------------


def test_datasette_shows_table_descriptions_with_their_columns_folded_away(news: Path) -> None:
    metadata, table_page = get(news, "/-/metadata.json", "/archive/versions")

    assert metadata.status_code == 200 and table_page.status_code == 200
    versions = metadata.json()["databases"]["archive"]["tables"]["versions"]
    about, columns = TABLES["versions"]
    assert versions["facets"] == ["kind", "source", "section"]
    page = html.unescape(table_page.text)
    assert about in page
    folded = page.split("<details><summary>What each column holds</summary>")[1]
    folded = folded.split("</details>")[0]
    for meaning in columns.values():
        assert meaning in folded


def test_the_database_page_lists_every_saved_query(news: Path) -> None:
    (page,) = get(news, "/archive")

    assert page.status_code == 200
    text = html.unescape(page.text)
    for name, query in QUERIES.items():
        assert query["title"] in text, name
        assert f"/archive/{name}" in text, name


# -- the saved queries --------------------------------------------------------------------


def test_latest_articles_are_newest_first_with_their_current_version(news: Path) -> None:
    assert rows(news, LATEST) == [
        latest_row(URL_HEAT, HEAT_1, 6, versions=2),  # back on its first rendering
        latest_row(URL_RAIL, RAIL_2, 2, versions=2),  # the re-extraction is current
        latest_row(URL_BUDGET, BUDGET_3, 1, versions=3),
        latest_row(URL_HARBOUR, HARBOUR, 0, versions=1),
    ]


def test_recently_edited_counts_publisher_edits_only_newest_edit_first(news: Path) -> None:
    # The re-extracted rail article changed no words of the publisher's: it is not listed.
    assert rows(news, RECENTLY_EDITED) == [
        {
            "url": URL_HEAT,
            "title": HEAT_1.title,
            "last_edited_at": iso(at(7)),
            "edits": 1,
            "versions": 2,
        },
        {
            "url": URL_BUDGET,
            "title": BUDGET_3.title,
            "last_edited_at": iso(at(5)),
            "edits": 2,
            "versions": 3,
        },
    ]


def test_feed_health_puts_the_failing_feed_first_with_its_error(news: Path) -> None:
    assert rows(news, FEED_HEALTH) == expected_feed_health()


def test_search_finds_an_article_by_a_word_of_its_current_version(news: Path) -> None:
    found = rows(news, search_path("quokka"))

    assert [{k: v for k, v in hit.items() if k != "snippet"} for hit in found] == [
        {"url": URL_BUDGET, "title": BUDGET_3.title, "fetched_at": iso(at(5))}
    ]
    # The matched word between \x02 and \x03, which the reading room shows as <mark>.
    assert "\x02quokka\x03" in found[0]["snippet"]


@pytest.mark.parametrize("word", ["zeppelin", "walrus", "marmalade"])
def test_search_does_not_find_words_only_in_older_versions(news: Path, word: str) -> None:
    assert rows(news, search_path(word)) == []


def test_search_finds_an_article_that_went_back_to_an_earlier_rendering(news: Path) -> None:
    assert [hit["url"] for hit in rows(news, search_path("lemonade"))] == [URL_HEAT]


def test_search_lists_an_article_once_for_a_word_all_its_versions_share(news: Path) -> None:
    found = rows(news, search_path("council"))

    assert [(hit["url"], hit["title"]) for hit in found] == [(URL_BUDGET, BUDGET_3.title)]


@pytest.mark.parametrize("q", ["", "   "])
def test_search_with_an_empty_query_returns_no_rows(news: Path, q: str) -> None:
    assert rows(news, search_path(q)) == []


@pytest.mark.parametrize("q", ["flood-defences", "harbour's"])
def test_search_finds_words_with_hyphens_and_apostrophes(news: Path, q: str) -> None:
    assert [hit["url"] for hit in rows(news, search_path(q))] == [URL_HARBOUR]


def test_the_versions_table_can_be_searched(news: Path) -> None:
    found = rows(news, "/archive/versions.json?_shape=array&_search=quokka")

    assert [(v["title"], v["number"], v["kind"]) for v in found] == [(BUDGET_3.title, 3, "edit")]


def test_feed_health_counts_an_article_once_when_its_entry_changed_guid(archive: Archive) -> None:
    store = Store(archive.db)
    try:
        store.sync_feeds([FeedSpec(FEED_OK, name="alpha-news")], T0)
        feed = the_feed(store, FEED_OK)
        for hours, guid in ((0, "tag:news,2024:1"), (1, "tag:news,2024:1-updated")):
            entry = replace(entry_for(URL_HARBOUR, HARBOUR.title), key=guid, guid=guid)
            store.save(
                ArticleUrls(URL_HARBOUR),
                version_of(HARBOUR, at(hours)),
                at(hours),
                feed_id=feed.id,
                entry=entry,
            )
        assert store.count("articles") == 1
    finally:
        store.close()

    [health] = rows(archive.db, FEED_HEALTH)

    assert health["articles"] == 1


# -- reading while the daemon writes ------------------------------------------------------


def test_datasette_reads_while_a_write_transaction_is_open(news: Path) -> None:
    """WAL: a writer holding the database does not block readers, who see the last commit."""
    with closing(sqlite3.connect(news, isolation_level=None)) as writer:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE feeds SET consecutive_failures = 9 WHERE url = ?", (FEED_OK,))

        during = rows(news, FEED_HEALTH)

        writer.execute("COMMIT")
    after = rows(news, FEED_HEALTH)

    assert during == expected_feed_health()
    assert [(row["feed_url"], row["consecutive_failures"]) for row in after][:2] == [
        (FEED_OK, 9),
        (FEED_FAILING, 3),
    ]


WIRE = "https://wire.example.org/all.xml"
SAVES = 200  # every fourth save is an edit of the story saved before it
MAX_ROUNDS = 5000


@dataclass
class Story:
    number: int
    first_seen: datetime
    edition: int = 0
    edited_at: datetime | None = None

    @property
    def url(self) -> str:
        return f"https://wire.example.org/story/{self.number}"

    def article(self, edition: int | None = None) -> Article:
        """Every edition has a word of its own (ed7x1); every story has one (story7)."""
        edition = self.edition if edition is None else edition
        return Article(
            title=f"Story {self.number}, edition {edition}",
            body=(f"Wire copy story{self.number} ed{self.number}x{edition}.", "More later."),
            section="Wire",
        )


class Writer(threading.Thread):
    """The daemon's part: its own Store, saving stories and edits and recording polls.

    Halfway through it stops until the reader has looked, so at least one read is known to
    land between writes.
    """

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.stories: list[Story] = []
        self.last_poll: datetime | None = None
        self.error: BaseException | None = None
        self.halfway = threading.Event()
        self.resume = threading.Event()

    def run(self) -> None:
        try:
            self._write()
        except BaseException as e:
            self.error = e

    def _write(self) -> None:
        store = Store(self.db)
        try:
            store.sync_feeds([FeedSpec(WIRE, name="wire")], T0)
            feed = the_feed(store, WIRE)
            deadline = time.monotonic() + 60
            for n in range(SAVES):
                if time.monotonic() > deadline:
                    break
                if n == SAVES // 2:
                    self.halfway.set()
                    if not self.resume.wait(timeout=30):
                        raise AssertionError("the reader never looked halfway through")
                now = T0 + timedelta(minutes=n)
                if n % 4 == 3:
                    story = self.stories[-1]
                    story.edition += 1
                    story.edited_at = now
                    outcome = store.save(
                        ArticleUrls(story.url), version_of(story.article(), now), now
                    )
                    assert outcome.new_version, outcome
                else:
                    story = Story(number=len(self.stories), first_seen=now)
                    outcome = store.save(
                        ArticleUrls(story.url),
                        version_of(story.article(), now),
                        now,
                        feed_id=feed.id,
                        entry=entry_for(story.url, story.article().title),
                    )
                    assert outcome.new_article, outcome
                    self.stories.append(story)
                if n % 10 == 9:
                    result = PollResult("wire", "ok", http_status=200, new_articles=1)
                    store.record_poll(feed, result, now, now + timedelta(minutes=30))
                    self.last_poll = now
        finally:
            store.close()


def wire_latest(stories: list[Story]) -> list[dict[str, Any]]:
    return [
        {
            "url": story.url,
            "title": story.article().title,
            "section": "Wire",
            "author": None,
            "first_seen_at": iso(story.first_seen),
            "word_count": word_count(story.article()),
            "versions": story.edition + 1,
        }
        for story in reversed(stories)
    ][:100]


def test_saved_queries_answer_while_the_daemon_writes(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    Store(db).close()
    writer = Writer(db)
    paths = [LATEST, RECENTLY_EDITED, FEED_HEALTH, search_path("wire"), search_path("")]

    async def read_while_writing() -> tuple[int, bool]:
        ds = datasette(db)
        await ds.invoke_startup()
        rounds, looked_halfway, newest, carried = 0, False, -1, 0
        writer.start()
        try:
            while writer.is_alive() and rounds < MAX_ROUNDS:
                paused = writer.halfway.is_set() and not writer.resume.is_set()
                answers = [await ds.client.get(path) for path in paths]
                for path, answer in zip(paths, answers, strict=True):
                    assert answer.status_code == 200, f"round {rounds} {path}: {answer.text}"
                    assert "locked" not in answer.text
                latest, _, health, _, _ = (answer.json() for answer in answers)
                # Each read sees a later (or the same) commit than the one before.
                if latest:
                    first = int(latest[0]["url"].rsplit("/", 1)[1])
                    assert first >= newest
                    newest = first
                if health:
                    assert health[0]["articles"] >= carried
                    carried = health[0]["articles"]
                if paused:
                    # The writer is waiting: every commit so far is visible, none is missing.
                    assert latest == wire_latest(writer.stories)
                    assert health[0]["articles"] == len(writer.stories)
                    looked_halfway = True
                    writer.resume.set()
                rounds += 1
        finally:
            writer.resume.set()
            writer.join(timeout=60)
        return rounds, looked_halfway

    rounds, looked_halfway = asyncio.run(read_while_writing())

    assert not writer.is_alive()
    assert writer.error is None, repr(writer.error)
    assert looked_halfway, f"the reader never read halfway ({rounds} rounds)"
    stories = writer.stories
    assert len(stories) == SAVES - SAVES // 4  # the writer was not cut short by its deadline
    edited = sorted(
        (story for story in stories if story.edited_at is not None),
        key=lambda story: story.edited_at or T0,
        reverse=True,
    )
    newest = stories[-1]
    some_edited = edited[0]
    latest, recent, health, current, old = get(
        db,
        LATEST,
        RECENTLY_EDITED,
        FEED_HEALTH,
        search_path(f"ed{some_edited.number}x{some_edited.edition}"),
        search_path(f"ed{some_edited.number}x0"),
    )

    assert rows_of(latest) == wire_latest(stories)
    assert rows_of(latest)[0]["url"] == newest.url
    assert rows_of(recent) == [
        {
            "url": story.url,
            "title": story.article().title,
            "last_edited_at": iso(story.edited_at or T0),
            "edits": story.edition,
            "versions": story.edition + 1,
        }
        for story in edited
    ]
    [wire] = rows_of(health)
    assert wire["articles"] == len(stories)
    assert wire["last_polled_at"] == iso(writer.last_poll or T0)
    assert wire["consecutive_failures"] == 0
    assert [hit["url"] for hit in rows_of(current)] == [some_edited.url]
    assert rows_of(old) == []
