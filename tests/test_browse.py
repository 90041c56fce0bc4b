"""Browsing the archive in Datasette: the schema's descriptions, the saved queries, reading
while the daemon writes, and `ingester serve` as a user starts it.

The archive is built by hand with the real Store, layout renderer and hash (as in
test_store.py), so every expected row below is derived from what was saved.
"""

from __future__ import annotations

import asyncio
import html
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PROJECT, Archive, cli_env
from datasette.app import Datasette

from ingester.clock import iso
from ingester.query import browse
from ingester.render import render, text_hash, word_count
from ingester.store import Store
from ingester.store.descriptions import TABLES, schema_markdown
from ingester.store.saved_queries import QUERIES
from ingester.types import (
    Article,
    ArticleUrls,
    FeedForUpdate,
    FeedSpec,
    ParsedEntry,
    PollResult,
    VersionKind,
    VersionToStore,
)

T0 = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)

FEED_OK = "https://news.example.com/rss.xml"
FEED_FAILING = "https://wire.example.org/atom.xml"
FEED_BY_HAND = "https://blog.example.net/feed"
FEED_ERROR = "fetch: 503 service unavailable"

URL_HARBOUR = "https://news.example.com/local/harbour-wall"
URL_BUDGET = "https://news.example.com/politics/budget-vote"
URL_RAIL = "https://news.example.com/transport/rail-line"
URL_HEAT = "https://news.example.com/weather/heat-warning"

HARBOUR = Article(
    title="Harbour wall to be rebuilt",
    body=(
        "Engineers will rebuild the flood-defences and the harbour's wall in granite.",
        "Work starts in June.",
    ),
    section="Local",
    author="Ann Quayle",
)
# Edited twice by its publisher: versions 1, 2, 3. Each version has a word of its own.
BUDGET_1 = Article(
    title="Council delays budget vote",
    body=("The council delayed its budget vote after a zeppelin flypast.",),
    section="Politics",
    author="Bo Teller",
)
BUDGET_2 = replace(
    BUDGET_1,
    title="Council budget vote set for Friday",
    body=("The council will hold its budget vote on Friday, a walrus spokesman said.",),
)
BUDGET_3 = replace(
    BUDGET_2,
    title="Council passes the budget",
    body=("The council passed its budget on Friday after a quokka visit.", "It was close."),
)
# Read again by a newer extractor: a second version that is no edit.
RAIL_1 = Article(
    title="Rail line to reopen in spring",
    body=("The railway reopens in April.",),
    section="Transport",
)
RAIL_2 = replace(RAIL_1, body=("The railway reopens in April.", "Tickets go on sale in March."))
# Edited once, then back to its first rendering: a revisit, no third version.
HEAT_1 = Article(
    title="Heat warning for the weekend",
    body=("Drink lemonade and stay in the shade.",),
    section="Weather",
    author="Cy Forecaster",
)
HEAT_2 = replace(
    HEAT_1,
    title="Heat warning lifted",
    body=("Forecasters lifted the warning; marmalade sales fell.",),
)

LATEST = "/archive/latest_articles.json?_shape=array"
RECENTLY_EDITED = "/archive/recently_edited.json?_shape=array"
FEED_HEALTH = "/archive/feed_health.json?_shape=array"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def version_of(
    article: Article, fetched_at: datetime, kind: VersionKind = "edit"
) -> VersionToStore:
    text = render(article)
    return VersionToStore(
        article=article,
        text=text,
        hash=text_hash(text),
        word_count=word_count(article),
        extractor="test-extractor",
        fetched_at=iso(fetched_at),
        kind=kind,
    )


def entry_for(url: str, title: str | None) -> ParsedEntry:
    return ParsedEntry(
        key=url, guid=url, link=url, title=title, author=None, summary=None, content=None
    )


def the_feed(store: Store, url: str) -> FeedForUpdate:
    (feed,) = store.feeds_named([url], default_interval=1800)
    return feed


def search_path(q: str) -> str:
    return "/archive/search.json?" + urllib.parse.urlencode({"_shape": "array", "q": q})


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


# -- the archive --------------------------------------------------------------------------


def build_news(db: Path) -> None:
    """Four articles (one edited twice, one re-extracted, one that went back to its first
    rendering) and three feeds (one healthy, one failing three times, one fetched by hand).

    Articles are saved out of first-seen order, so an order by row id would show.
    """
    store = Store(db)
    try:
        store.sync_feeds(
            [FeedSpec(FEED_OK, name="alpha-news"), FeedSpec(FEED_FAILING, name="zeta")], T0
        )
        ok, failing = the_feed(store, FEED_OK), the_feed(store, FEED_FAILING)

        def save(url: str, article: Article, hours: float, feed: FeedForUpdate = ok) -> bool:
            outcome = store.save(
                ArticleUrls(url),
                version_of(article, at(hours)),
                at(hours),
                feed_id=feed.id,
                entry=entry_for(url, article.title),
            )
            return outcome.new_version

        assert save(URL_HARBOUR, HARBOUR, 0)
        assert not save(URL_HARBOUR, HARBOUR, 0, failing)  # the failing feed carried it too
        assert save(URL_RAIL, RAIL_1, 2)
        assert save(URL_BUDGET, BUDGET_1, 1)
        assert save(URL_BUDGET, BUDGET_2, 3)
        reread = store.add_reextraction(
            store.article_id(URL_RAIL), version_of(RAIL_2, at(4), kind="reextraction"), at(4)
        )
        assert reread.new_version
        assert save(URL_BUDGET, BUDGET_3, 5)
        assert save(URL_HEAT, HEAT_1, 6)
        assert save(URL_HEAT, HEAT_2, 7)
        back = store.save(ArticleUrls(URL_HEAT), version_of(HEAT_1, at(8)), at(8))
        assert back.revisit and not back.new_version

        store.record_poll(
            failing, PollResult("zeta", "ok", http_status=200, new_articles=1), at(0), at(1)
        )
        for hours in (1, 2, 3):
            failed = PollResult("zeta", "error", http_status=503, error=FEED_ERROR)
            store.record_poll(failing, failed, at(hours), at(hours + 1))
        store.ensure_feed(FEED_BY_HAND, at(4))
        done = PollResult("alpha-news", "ok", http_status=200, new_articles=1, new_versions=2)
        store.record_poll(ok, done, at(6), at(6.5), etag='"v9"')
    finally:
        store.close()


@pytest.fixture
def news(archive: Archive) -> Path:
    build_news(archive.db)
    return archive.db


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


def expected_feed_health() -> list[dict[str, Any]]:
    never_polled = dict.fromkeys(
        ["last_status", "last_http_status", "last_error", "last_success_at", "last_polled_at"]
    )
    return [
        {
            "name": "zeta",
            "url": FEED_FAILING,
            "active": 1,
            "last_status": "error",
            "last_http_status": 503,
            "consecutive_failures": 3,
            "last_error": FEED_ERROR,
            "last_success_at": iso(at(0)),
            "last_polled_at": iso(at(3)),
            "next_poll_at": iso(at(4)),
            "articles": 1,
        },
        {
            "name": "alpha-news",
            "url": FEED_OK,
            "active": 1,
            "last_status": "ok",
            "last_http_status": 200,
            "consecutive_failures": 0,
            "last_error": None,
            "last_success_at": iso(at(6)),
            "last_polled_at": iso(at(6)),
            "next_poll_at": iso(at(6.5)),
            "articles": 4,
        },
        {
            "name": None,
            "url": FEED_BY_HAND,
            "active": 0,
            **never_polled,
            "consecutive_failures": 0,
            "next_poll_at": None,
            "articles": 0,
        },
    ]


# -- the schema's descriptions ------------------------------------------------------------


def test_every_table_and_column_of_a_fresh_archive_is_described(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    Store(db).close()
    with closing(sqlite3.connect(db)) as conn:
        names = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith(("versions_fts", "sqlite_"))
        ]
        actual = {
            name: {row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")} for name in names
        }
    described = {table: set(columns) for table, (_, columns) in TABLES.items()}

    assert set(actual) == set(described), "tables: undescribed or described but missing"
    for table, columns in actual.items():
        assert columns - described[table] == set(), f"{table}: columns not described"
        assert described[table] - columns == set(), f"{table}: described columns that do not exist"
    for table, (about, meanings) in TABLES.items():
        assert about.strip(), f"{table} has an empty description"
        empty = [column for column, meaning in meanings.items() if not meaning.strip()]
        assert empty == [], f"{table}: columns with an empty description"


def test_docs_schema_md_is_generated_from_the_descriptions() -> None:
    written = (PROJECT / "docs" / "schema.md").read_text(encoding="utf-8")

    assert written == schema_markdown(), "docs/schema.md is out of date: run `make docs`"


# -- metadata -----------------------------------------------------------------------------


def test_datasette_shows_table_and_column_descriptions(news: Path) -> None:
    metadata, table_page = get(news, "/-/metadata.json", "/archive/versions")

    assert metadata.status_code == 200 and table_page.status_code == 200
    versions = metadata.json()["databases"]["archive"]["tables"]["versions"]
    about, columns = TABLES["versions"]
    assert versions["description"] == about
    assert versions["columns"]["kind"] == columns["kind"]
    page = html.unescape(table_page.text)
    assert about in page
    for meaning in columns.values():
        assert meaning in page


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
    assert "[quokka]" in found[0]["snippet"]


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
    assert [(row["url"], row["consecutive_failures"]) for row in after][:2] == [
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


# -- `ingester serve` ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for_json(url: str, process: subprocess.Popen[bytes], log: Path) -> Any:
    """The JSON at ``url`` once the server answers; fails if it exits or 30 s pass."""
    deadline = time.monotonic() + 30
    last: Exception | None = None
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {log.read_text()}")
        try:
            with OPENER.open(url, timeout=10) as response:
                assert response.status == 200
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{url}: HTTP {e.code}: {e.read()!r}") from e
        except (urllib.error.URLError, ConnectionError) as e:
            last = e  # not listening yet
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)  # only to wait for the server to come up
    raise AssertionError(f"no answer from {url} in 30 s ({last}); log: {log.read_text()}")


@pytest.mark.e2e
def test_serve_runs_datasette_with_the_saved_queries(archive: Archive, news: Path) -> None:
    port = free_port()
    log = archive.dir / "serve.log"
    command = [sys.executable, "-m", "ingester", "--config", str(archive.config)]
    command += ["--db", str(archive.db), "serve", "--port", str(port)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, env=cli_env(), cwd=archive.dir
        )
        try:
            base = f"http://127.0.0.1:{port}"
            health = wait_for_json(f"{base}{FEED_HEALTH}", process, log)
            with OPENER.open(f"{base}{search_path('quokka')}", timeout=10) as response:
                found = json.loads(response.read())
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    assert health == expected_feed_health()
    assert [hit["url"] for hit in found] == [URL_BUDGET]
    assert f"http://127.0.0.1:{port}/" in log.read_text(encoding="utf-8")


@pytest.mark.e2e
def test_serve_without_an_archive_is_a_one_line_error_and_creates_nothing(
    archive: Archive,
) -> None:
    command = [sys.executable, "-m", "ingester", "--config", str(archive.config)]
    command += ["--db", str(archive.db), "serve", "--port", str(free_port())]
    try:
        done = subprocess.run(
            command, capture_output=True, cwd=archive.dir, env=cli_env(), timeout=30
        )
    except subprocess.TimeoutExpired as e:  # run() has killed it
        raise AssertionError("serve kept running without an archive") from e

    assert done.returncode == 1
    lines = done.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert str(archive.db) in lines[0]
    assert list(archive.dir.iterdir()) == []
