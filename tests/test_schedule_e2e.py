"""The schedule and politeness rules end to end, against a real server that misbehaves on cue.

Two ways in, whichever states a rule best:

- the real CLI in a subprocess (``archive.cli``), for what a user sees: poll lines, the
  feed rows, ``ingester status``;
- an in-process ``Pipeline`` over a real ``Store`` file and a real ``Fetcher``, with an
  explicit clock, for rules about *when*: backoff, hints, re-checks. Nothing waits for
  time to pass; the clock is moved.

The daemon tests at the end run ``ingester run`` for real. Waiting on its log lines, with a
deadline, is the one place a test lets wall-clock time pass.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from conftest import Archive
from httpserver import LocalServer, Route
from samples import FeedItem, SamplePage, rss, sentences
from test_daemon import Daemon

from ingester.clock import iso
from ingester.config import DEFAULT_USER_AGENT, Config, Settings
from ingester.daemon.ticker import Ticker
from ingester.fetch import Fetcher
from ingester.fetch.transport import http_transport
from ingester.pipeline import Pipeline
from ingester.store import Store
from ingester.types import ArticleOutcome, FeedSpec, PollResult

pytestmark = pytest.mark.e2e

T = TypeVar("T")

T0 = datetime(2025, 7, 21, 12, 0, 0, tzinfo=UTC)
RSS_TYPE = "application/rss+xml; charset=utf-8"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
# Starts read from the monotonic clock may be early by the loop's clock resolution.
SLACK = 0.002

STORM = SamplePage("Ferry service resumes after storm", sentences("the ferry"))
BRIDGE = SamplePage("Council approves new bridge", sentences("the bridge"))
MARKET = SamplePage("Market hall reopens on Saturday", sentences("the market"))


def empty_feed(server: LocalServer, title: str = "Harbour News") -> str:
    return rss(title, server.url("/"), [])


def feed_with(extra: str, server: LocalServer, items: list[FeedItem] | None = None) -> str:
    """An RSS feed with ``extra`` elements (ttl, sy:updatePeriod) in its channel."""
    text = rss("Harbour News", server.url("/"), items or [])
    text = text.replace(
        '<rss version="2.0"',
        '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"',
        1,
    )
    return text.replace("<channel>", f"<channel>{extra}", 1)


def toml_value(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def write_config(
    archive: Archive, feeds: list[dict[str, str]], **settings: str | float | bool
) -> None:
    """A config whose settings default to no pause between requests to one host."""
    values: dict[str, str | float | bool] = {"host_gap": 0, **settings}
    lines = ["[settings]", *(f"{key} = {toml_value(v)}" for key, v in values.items())]
    for feed in feeds:
        lines += ["", "[[feeds]]", *(f"{key} = {toml_value(v)}" for key, v in feed.items())]
    archive.write_config("\n".join(lines) + "\n")


def query(db: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def feed_row(db: Path, name: str) -> dict[str, Any]:
    [row] = query(db, "SELECT * FROM feeds WHERE name = ?", name)
    return row


def article_row(db: Path, url: str) -> dict[str, Any]:
    [row] = query(
        db,
        "SELECT a.* FROM articles a JOIN article_urls u ON u.article_id = a.id WHERE u.url = ?",
        url,
    )
    return row


def poll_starts(db: Path, name: str) -> list[datetime]:
    rows = query(
        db,
        "SELECT p.started_at FROM polls p JOIN feeds f ON f.id = p.feed_id"
        " WHERE f.name = ? ORDER BY p.id",
        name,
    )
    return [datetime.fromisoformat(r["started_at"]) for r in rows]


def when(text: object) -> datetime:
    assert isinstance(text, str), f"expected a stored time, got {text!r}"
    return datetime.fromisoformat(text)


def utc_seconds() -> datetime:
    """Now, to the second, as the archive stores times."""
    return datetime.now(UTC).replace(microsecond=0)


def paths(server: LocalServer) -> list[str]:
    return [r.path for r in server.requests]


# -- in-process: a pipeline with an explicit clock -------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    """A real Store file and a real Fetcher against the local server, on an explicit clock."""

    db: Path
    store: Store
    clock: Clock
    settings: Settings
    specs: list[FeedSpec] = field(default_factory=list)
    transport: Callable[[], httpx.AsyncBaseTransport] | None = None

    def add(self, url: str, name: str, interval: int | None = None) -> None:
        self.specs.append(FeedSpec(url=url, name=name, interval=interval))
        self.store.sync_feeds(self.specs, self.clock())

    def run(self, work: Callable[[Pipeline], Coroutine[Any, Any, T]]) -> T:
        async def go() -> T:
            transport = self.transport() if self.transport else None
            async with Fetcher(self.settings, transport=transport) as fetcher:
                pipeline = Pipeline(
                    self.settings, self.store, fetcher, clock=self.clock, rng=random.Random(7)
                )
                return await work(pipeline)

        return asyncio.run(go())

    def due(self) -> list[str]:
        return [f.label for f in self.store.due_feeds(self.clock(), self.settings.default_interval)]

    def poll_due(self) -> list[PollResult]:
        interval = self.settings.default_interval
        return self.run(lambda p: p.poll(self.store.due_feeds(self.clock(), interval)))

    def recheck(self, budget: int) -> list[ArticleOutcome]:
        return self.run(lambda p: p.recheck(budget))

    def feed(self, name: str) -> dict[str, Any]:
        [row] = self.store.db.query("SELECT * FROM feeds WHERE name = ?", [name])
        return dict(row)

    def next_poll(self, name: str) -> datetime:
        return when(self.feed(name)["next_poll_at"])


@pytest.fixture
def harness(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    # The in-process Fetcher reads proxy settings from the environment: nothing between
    # it and 127.0.0.1.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings = Settings(
        host_gap=0.0,
        jitter=0.0,
        timeout=5.0,
        min_interval=60,
        default_interval=1800,
        private_pages=True,  # the test site is on 127.0.0.1
    )
    # The same file the CLI fixture uses, so a test can look at it with `ingester status`.
    store = Store(archive.db)
    try:
        yield Harness(archive.db, store, Clock(T0), settings)
    finally:
        store.close()


def serve_pages(server: LocalServer, pages: dict[str, SamplePage]) -> list[FeedItem]:
    for path, page in pages.items():
        server.set_text(path, page.html(), "text/html; charset=utf-8")
    return [FeedItem(page.title, server.url(path)) for path, page in pages.items()]


# -- what the server says lengthens the interval ------------------------------------------


HINTS = {
    "cache-control": ({"Cache-Control": "max-age=7200"}, ""),
    "rss-ttl": ({}, "<ttl>120</ttl>"),
    "sy-update-period": (
        {},
        "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>12</sy:updateFrequency>",
    ),
}


@pytest.mark.parametrize("hint", sorted(HINTS))
def test_a_server_hint_of_two_hours_lengthens_a_half_hour_interval(
    harness: Harness, server: LocalServer, hint: str
) -> None:
    headers, extra = HINTS[hint]
    server.set_text("/feed.xml", feed_with(extra, server), RSS_TYPE, headers=headers)
    harness.add(server.url("/feed.xml"), "news", interval=1800)

    [result] = harness.poll_due()

    assert result.status == "ok"
    assert harness.next_poll("news") == T0 + timedelta(hours=2)


def test_expires_is_read_against_the_servers_date_header(
    harness: Harness, server: LocalServer
) -> None:
    # The explicit clock is far from the server's; Expires counts from the server's Date.
    expires = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE, headers={"Expires": expires})
    harness.add(server.url("/feed.xml"), "news", interval=1800)

    harness.poll_due()

    wait = (harness.next_poll("news") - T0).total_seconds()
    assert 7200 - 5 <= wait <= 7200


def test_a_hint_shorter_than_the_interval_changes_nothing(
    harness: Harness, server: LocalServer
) -> None:
    headers = {"Cache-Control": "max-age=60"}
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE, headers=headers)
    harness.add(server.url("/feed.xml"), "news", interval=1800)

    harness.poll_due()

    assert harness.next_poll("news") == T0 + timedelta(seconds=1800)


def test_a_hint_past_max_interval_is_cut_to_it(harness: Harness, server: LocalServer) -> None:
    harness.settings = replace(harness.settings, max_interval=6 * 3600)
    server.set_text("/feed.xml", feed_with("<ttl>10080</ttl>", server), RSS_TYPE)  # a week
    harness.add(server.url("/feed.xml"), "news", interval=1800)

    harness.poll_due()

    assert harness.next_poll("news") == T0 + timedelta(hours=6)


@pytest.mark.parametrize("validators", ["etag", "none"])
def test_a_feeds_own_hint_still_holds_when_it_has_not_changed(
    harness: Harness, server: LocalServer, validators: str
) -> None:
    headers = {"ETag": '"v1"'} if validators == "etag" else {}
    server.set_text("/feed.xml", feed_with("<ttl>120</ttl>", server), RSS_TYPE, headers=headers)
    harness.add(server.url("/feed.xml"), "news", interval=1800)
    harness.poll_due()
    harness.clock.now = harness.next_poll("news")

    [second] = harness.poll_due()

    assert second.status == ("not_modified" if validators == "etag" else "unchanged")
    assert harness.next_poll("news") == harness.clock() + timedelta(hours=2)


# -- failures: backoff, Retry-After, timeouts -----------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 503])
def test_errors_back_off_doubling_and_a_success_resets_the_feed(
    harness: Harness, server: LocalServer, status: int
) -> None:
    server.set_text("/feed.xml", "Something went wrong", "text/plain", status=status)
    harness.add(server.url("/feed.xml"), "news", interval=600)
    waits = []
    for failures in (1, 2, 3):
        polled_at = harness.clock()
        [result] = harness.poll_due()
        row = harness.feed("news")
        assert result.status == "error"
        assert (row["consecutive_failures"], row["last_http_status"]) == (failures, status)
        assert str(status) in row["last_error"]
        due = harness.next_poll("news")
        waits.append((due - polled_at).total_seconds())
        # The row is the schedule: not due a second early, due on the second.
        harness.clock.now = due - timedelta(seconds=1)
        assert harness.due() == []
        harness.clock.now = due
        assert harness.due() == ["news"]

    assert waits == [600, 1200, 2400]

    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    [result] = harness.poll_due()

    row = harness.feed("news")
    assert result.status == "ok"
    assert row["consecutive_failures"] == 0
    assert row["last_error"] is None
    assert row["last_success_at"] == iso(harness.clock())
    assert harness.next_poll("news") == harness.clock() + timedelta(seconds=600)
    statuses = harness.store.db.execute("SELECT status FROM polls ORDER BY id").fetchall()
    assert [s for (s,) in statuses] == ["error", "error", "error", "ok"]


def test_429_with_retry_after_puts_the_feed_off_and_status_shows_why(
    archive: Archive, server: LocalServer
) -> None:
    headers = {"Retry-After": "7200"}
    server.set_text("/feed.xml", "Slow down", "text/plain", status=429, headers=headers)
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "busy"}])
    before = utc_seconds()

    out = archive.out("poll", "--all")

    after = utc_seconds() + timedelta(seconds=1)
    assert out.startswith("error") and "429" in out
    row = feed_row(archive.db, "busy")
    assert row["consecutive_failures"] == 1
    assert row["last_http_status"] == 429
    assert "429" in row["last_error"]
    assert row["last_success_at"] is None
    assert before + timedelta(hours=2) <= when(row["next_poll_at"]) <= after + timedelta(hours=2)
    # Not due: a plain poll leaves it alone.
    assert archive.out("poll").startswith("no feeds due")
    assert server.hits("/feed.xml") == 1
    [line] = [x for x in archive.out("status").splitlines() if "busy" in x]
    assert "failures: 1" in line and "429" in line and row["next_poll_at"] in line
    [health] = json.loads(archive.out("status", "--json"))["feeds"]
    assert health["consecutive_failures"] == 1
    assert health["last_http_status"] == 429
    assert health["next_poll_at"] == row["next_poll_at"]


def test_a_feed_slower_than_the_timeout_fails_and_the_others_are_polled(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/slow.xml", empty_feed(server), RSS_TYPE, delay=30)
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    feeds = [
        {"url": server.url("/slow.xml"), "name": "slow"},
        {"url": server.url("/feed.xml"), "name": "quick"},
    ]
    write_config(archive, feeds, timeout=1.0)
    started = time.monotonic()

    out = archive.out("poll", "--all")

    assert time.monotonic() - started < 20  # it did not wait for the slow server
    slow_line, quick_line = out.splitlines()
    assert slow_line.startswith("error") and "timed out" in slow_line
    assert quick_line.startswith("ok")
    slow = feed_row(archive.db, "slow")
    assert slow["consecutive_failures"] == 1
    assert "timed out" in slow["last_error"]
    assert slow["next_poll_at"] is not None  # backed off, not given up
    assert feed_row(archive.db, "quick")["last_status"] == "ok"


# -- redirects and gone feeds ---------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_moves_the_feed_and_is_logged(
    archive: Archive, server: LocalServer, status: int
) -> None:
    server.set("/old.xml", Route(b"", status=status, headers={"Location": "/new.xml"}))
    server.set_text("/new.xml", empty_feed(server), RSS_TYPE)
    write_config(archive, [{"url": server.url("/old.xml"), "name": "moving"}])

    first = archive.cli("-v", "poll", "--all")
    archive.cli("poll", "--all")

    log = first.stderr.decode()
    assert "feed moved" in log and server.url("/new.xml") in log
    row = feed_row(archive.db, "moving")
    assert row["url"] == server.url("/old.xml")  # the configured URL stays as written
    assert row["poll_url"] == server.url("/new.xml")
    # The second poll went straight to the new URL.
    assert paths(server) == ["/old.xml", "/new.xml", "/new.xml"]
    assert f"moved to {server.url('/new.xml')}" in archive.out("status")


@pytest.mark.parametrize("status", [302, 307])
def test_a_temporary_redirect_does_not_move_the_feed(
    archive: Archive, server: LocalServer, status: int
) -> None:
    server.set("/old.xml", Route(b"", status=status, headers={"Location": "/new.xml"}))
    server.set_text("/new.xml", empty_feed(server), RSS_TYPE)
    write_config(archive, [{"url": server.url("/old.xml"), "name": "visiting"}])

    archive.cli("poll", "--all")
    archive.cli("poll", "--all")

    assert feed_row(archive.db, "visiting")["poll_url"] is None
    assert paths(server) == ["/old.xml", "/new.xml", "/old.xml", "/new.xml"]


def test_a_gone_feed_is_marked_and_never_polled_again(
    harness: Harness, archive: Archive, server: LocalServer
) -> None:
    server.set_text("/dead.xml", "Gone", "text/plain", status=410)
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    harness.add(server.url("/dead.xml"), "dead", interval=600)
    harness.add(server.url("/feed.xml"), "live", interval=600)

    results = harness.poll_due()

    assert sorted((r.feed, r.status) for r in results) == [("dead", "gone"), ("live", "ok")]
    row = harness.feed("dead")
    assert row["last_status"] == "gone"
    assert row["gone_at"] == iso(T0)
    assert row["next_poll_at"] is None
    harness.clock.advance(days=30)
    assert harness.due() == ["live"]
    # The real CLI, a year of real time later as far as these rows go: the live feed is
    # long due and polled; the gone one is not asked again.
    write_config(
        archive,
        [
            {"url": server.url("/dead.xml"), "name": "dead"},
            {"url": server.url("/feed.xml"), "name": "live"},
        ],
    )
    out = archive.out("poll")
    assert "live" in out and "dead" not in out
    assert (server.hits("/dead.xml"), server.hits("/feed.xml")) == (1, 2)
    [line] = [x for x in archive.out("status").splitlines() if "dead" in x]
    assert "gone since" in line and "not polled" in line


# -- conditional GET and unchanged bodies ---------------------------------------------------


def test_the_newest_validators_are_kept_and_sent(archive: Archive, server: LocalServer) -> None:
    url = server.url("/feed.xml")
    first_day, second_day = "Mon, 21 Jul 2025 10:00:00 GMT", "Tue, 22 Jul 2025 10:00:00 GMT"
    v1 = empty_feed(server, "Harbour News")
    server.set_text("/feed.xml", v1, RSS_TYPE, headers={"ETag": '"v1"', "Last-Modified": first_day})
    write_config(archive, [{"url": url, "name": "news"}])

    archive.cli("poll", "--all")
    assert "if-none-match" not in server.requests[-1].headers
    assert feed_row(archive.db, "news")["etag"] == '"v1"'

    # A 304 that carries new validators: they replace the stored ones.
    server.set(
        "/feed.xml", Route(b"", status=304, headers={"ETag": '"v2"', "Last-Modified": second_day})
    )
    archive.cli("poll", "--all")
    sent = server.requests[-1].headers
    assert (sent.get("if-none-match"), sent.get("if-modified-since")) == ('"v1"', first_day)
    row = feed_row(archive.db, "news")
    assert (row["last_status"], row["etag"], row["last_modified"]) == (
        "not_modified",
        '"v2"',
        second_day,
    )

    # The next request sends the newest; the server recognises it and answers 304.
    server.set_text(
        "/feed.xml", v1, RSS_TYPE, headers={"ETag": '"v2"', "Last-Modified": second_day}
    )
    archive.cli("poll", "--all")
    sent = server.requests[-1].headers
    assert (sent.get("if-none-match"), sent.get("if-modified-since")) == ('"v2"', second_day)
    assert feed_row(archive.db, "news")["last_status"] == "not_modified"

    # Changed content under a new ETag: a 200, and the ETag after it is the one sent next.
    server.set_text(
        "/feed.xml",
        empty_feed(server, "Harbour News, new edition"),
        RSS_TYPE,
        headers={"ETag": '"v3"'},
    )
    archive.cli("poll", "--all")
    assert feed_row(archive.db, "news")["last_status"] == "ok"
    archive.cli("poll", "--all")
    assert server.requests[-1].headers.get("if-none-match") == '"v3"'
    assert feed_row(archive.db, "news")["last_status"] == "not_modified"
    assert len(server.requests) == 5


def test_a_body_identical_to_the_last_is_unchanged_and_its_pages_not_fetched(
    archive: Archive, server: LocalServer
) -> None:
    items = serve_pages(server, {"/a/storm": STORM})
    build = "Mon, 21 Jul 2025 10:00:00 GMT"
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items, build), RSS_TYPE)
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "news"}])

    first = archive.out("poll", "--all")
    second = archive.out("poll", "--all")

    assert first.startswith("ok") and "new articles: 1" in first
    assert second.startswith("unchanged")
    assert server.hits("/feed.xml") == 2
    assert server.hits("/a/storm") == 1
    statuses = query(archive.db, "SELECT status, http_status FROM polls ORDER BY id")
    assert statuses == [
        {"status": "ok", "http_status": 200},
        {"status": "unchanged", "http_status": 200},
    ]

    # One changed byte (a new build time) and the feed is read again; its entry is as it
    # was, so its page is not (finding edits there is the re-checks' work).
    build = "Mon, 21 Jul 2025 11:00:00 GMT"
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items, build), RSS_TYPE)
    assert archive.out("poll", "--all").startswith("ok")
    assert server.hits("/feed.xml") == 3
    assert server.hits("/a/storm") == 1


def test_a_poll_that_finds_nothing_new_is_logged_only_at_debug(
    harness: Harness, server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    items = serve_pages(server, {"/a/storm": STORM})
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items), RSS_TYPE)
    harness.add(server.url("/feed.xml"), "news")
    caplog.set_level(logging.DEBUG, logger="ingester")

    harness.poll_due()
    harness.clock.advance(hours=1)
    harness.poll_due()

    polls = [(r.levelno, r.getMessage()) for r in caplog.records if "poll feed=" in r.message]
    assert [level for level, _ in polls] == [logging.INFO, logging.DEBUG]
    assert "status=ok" in polls[0][1] and "new_articles=1" in polls[0][1]
    assert "status=not_modified" in polls[1][1] or "status=unchanged" in polls[1][1]


class FailingTransport(httpx.AsyncBaseTransport):
    """The real transport, except that one path meets a bug (an exception nobody expects)."""

    def __init__(self, path: str) -> None:
        self.inner = http_transport(guarded=False)
        self.path = path

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path:
            raise RuntimeError("a bug")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_bug_met_polling_one_feed_is_that_feeds_error_and_the_others_are_polled(
    harness: Harness, server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    items = serve_pages(server, {"/a/storm": STORM})
    server.set_text("/good.xml", rss("Harbour News", server.url("/"), items), RSS_TYPE)
    server.set_text("/bad.xml", rss("Harbour News", server.url("/"), items), RSS_TYPE)
    harness.transport = lambda: FailingTransport("/bad.xml")
    harness.add(server.url("/good.xml"), "good")
    harness.add(server.url("/bad.xml"), "bad")

    results = {r.feed: r for r in harness.poll_due()}

    assert results["good"].status == "ok" and results["good"].new_articles == 1
    assert results["bad"].status == "error"
    assert results["bad"].error == "internal error: RuntimeError: a bug"
    assert harness.feed("bad")["last_error"] == "internal error: RuntimeError: a bug"
    assert harness.feed("bad")["consecutive_failures"] == 1
    assert any(r.exc_info and "poll feed=bad failed" in r.message for r in caplog.records)


# -- robots.txt and the per-host gap --------------------------------------------------------


def test_a_page_robots_txt_forbids_is_kept_from_the_feed_and_never_requested(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/robots.txt", "User-agent: *\nDisallow: /a/\n", "text/plain")
    server.set_text("/a/storm", STORM.html(), "text/html")
    [open_item] = serve_pages(server, {"/b/bridge": BRIDGE})
    blocked = FeedItem(
        STORM.title,
        server.url("/a/storm"),
        content="".join(f"<p>{p}</p>" for p in STORM.paragraphs),
    )
    server.set_text(
        "/feed.xml", rss("Harbour News", server.url("/"), [blocked, open_item]), RSS_TYPE
    )
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "news"}])

    out = archive.out("poll", "--all")

    assert "new articles: 2" in out and "page errors: 1" in out
    assert server.hits("/a/storm") == 0
    assert server.hits("/b/bridge") == 1
    assert server.hits("/robots.txt") == 1
    url = server.url("/a/storm")
    [version] = json.loads(archive.out("history", url, "--json"))
    assert version["source"] == "feed"
    shown = archive.out("show", url)
    assert STORM.title in shown and all(p in shown for p in STORM.paragraphs)
    assert "robots.txt" in article_row(archive.db, url)["last_error"]
    [poll] = query(archive.db, "SELECT page_errors FROM polls")
    [page_error] = json.loads(poll["page_errors"])
    assert url in page_error and "robots.txt" in page_error
    # The allowed page is archived from the page itself.
    assert archive.out("show", server.url("/b/bridge")) == BRIDGE.expected_layout()
    # Every request, robots.txt included, names the project and a contact URL.
    agents = {r.headers.get("user-agent") for r in server.requests}
    assert agents == {DEFAULT_USER_AGENT}
    assert DEFAULT_USER_AGENT.startswith("ingester/") and "+https://" in DEFAULT_USER_AGENT


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real transport, noting when each request leaves (after the host gate)."""

    def __init__(self) -> None:
        self.inner = http_transport(guarded=False)
        self.starts: list[tuple[float, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.starts.append((time.monotonic(), request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_the_host_gap_spaces_feed_robots_and_page_requests(
    harness: Harness, server: LocalServer
) -> None:
    gap = 0.3
    items = serve_pages(server, {"/a/storm": STORM, "/a/bridge": BRIDGE, "/a/market": MARKET})
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items), RSS_TYPE)
    recorder = RecordingTransport()
    harness.transport = lambda: recorder
    harness.settings = replace(harness.settings, host_gap=gap, host_concurrency=2, robots=True)
    harness.add(server.url("/feed.xml"), "news")

    [result] = harness.poll_due()

    assert result.status == "ok" and result.new_articles == 3
    sent = sorted(recorder.starts)
    assert sorted(path for _, path in sent) == sorted(
        ["/feed.xml", "/robots.txt", "/a/storm", "/a/bridge", "/a/market"]
    )
    assert len(server.requests) == 5
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(sent)]
    assert all(g >= gap - SLACK for g in gaps), gaps


# -- re-checks --------------------------------------------------------------------------------

PAGES = {"/a/storm": STORM, "/a/bridge": BRIDGE, "/a/market": MARKET}


@pytest.fixture
def polled(harness: Harness, server: LocalServer) -> Harness:
    """Three articles archived by one poll at T0; the feed then waits a day."""
    items = serve_pages(server, PAGES)
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items), RSS_TYPE)
    harness.add(server.url("/feed.xml"), "news", interval=86400)
    [result] = harness.poll_due()
    assert result.new_articles == 3
    return harness


def page_hits(server: LocalServer) -> int:
    return sum(server.hits(path) for path in PAGES)


def test_an_edit_found_by_a_recheck_becomes_version_2(polled: Harness, server: LocalServer) -> None:
    url = server.url("/a/storm")
    assert article_row(polled.db, url)["next_check_at"] == iso(T0 + timedelta(minutes=15))
    edited = STORM.edited(
        paragraphs=(*STORM.paragraphs[:-1], "Correction: service resumes Monday.")
    )
    server.set_text("/a/storm", edited.html(), "text/html; charset=utf-8")

    polled.clock.advance(minutes=14)
    assert polled.recheck(10) == []  # not due yet
    polled.clock.advance(minutes=2)
    outcomes = polled.recheck(10)

    assert sorted(o.url for o in outcomes) == sorted(server.url(p) for p in PAGES)
    assert [o.url for o in outcomes if o.new_version] == [url]
    versions = polled.store.versions(url)
    assert [(v["number"], v["kind"]) for v in versions] == [(1, "first"), (2, "edit")]
    assert polled.store.version_text(url) == edited.expected_layout()
    assert polled.store.version_text(url, 1) == STORM.expected_layout()
    assert len(polled.store.versions(server.url("/a/bridge"))) == 1


def test_the_recheck_budget_limits_each_round(polled: Harness, server: LocalServer) -> None:
    polled.clock.advance(minutes=16)
    before = page_hits(server)

    first = polled.recheck(2)
    second = polled.recheck(2)
    third = polled.recheck(2)

    assert (len(first), len(second), len(third)) == (2, 1, 0)
    assert {o.url for o in first + second} == {server.url(p) for p in PAGES}
    assert page_hits(server) == before + 3
    # Each checked article waits for its next step: 15 minutes from this look.
    due = {r["next_check_at"] for r in polled.store.db.query("SELECT next_check_at FROM articles")}
    assert due == {iso(polled.clock() + timedelta(minutes=15))}


def test_rechecks_stop_at_the_end_of_the_schedule(polled: Harness, server: LocalServer) -> None:
    polled.clock.now = T0 + timedelta(days=29, hours=12)
    assert len(polled.recheck(10)) == 3
    due = {r["next_check_at"] for r in polled.store.db.query("SELECT next_check_at FROM articles")}
    assert due == {iso(T0 + timedelta(days=30))}  # the last look lands on the boundary

    polled.clock.now = T0 + timedelta(days=30)
    assert len(polled.recheck(10)) == 3
    hits = page_hits(server)

    due = {r["next_check_at"] for r in polled.store.db.query("SELECT next_check_at FROM articles")}
    assert due == {None}
    polled.clock.advance(days=400)
    assert polled.recheck(10) == []
    assert page_hits(server) == hits


def test_a_tick_polls_due_feeds_first_then_rechecks_within_the_budget(
    polled: Harness, server: LocalServer
) -> None:
    # A second feed appears at T0 + 16 min, when all three articles are due for a re-check.
    [new_item] = serve_pages(
        server, {"/b/new": SamplePage("Harbour gets a new crane", sentences("the crane"))}
    )
    server.set_text("/other.xml", rss("Other News", server.url("/"), [new_item]), RSS_TYPE)
    polled.clock.advance(minutes=16)
    polled.add(server.url("/other.xml"), "other", interval=86400)
    settings = replace(polled.settings, recheck_budget=1, tick=60)
    config = Config(path=Path("unused.toml"), settings=settings, feeds=tuple(polled.specs))
    before = page_hits(server)
    requests_before = len(server.requests)

    async def tick(pipeline: Pipeline) -> None:
        await Ticker(pipeline, polled.store, config, started=T0).tick()

    polled.run(tick)

    assert server.hits("/other.xml") == 1 and server.hits("/b/new") == 1
    assert server.hits("/feed.xml") == 1  # not due: it waits a day
    assert page_hits(server) == before + 1  # the budget: one re-check
    tick_paths = paths(server)[requests_before:]
    recheck_at = max(i for i, p in enumerate(tick_paths) if p in PAGES)
    assert recheck_at > tick_paths.index("/b/new")  # after the new article
    heartbeat = polled.store.daemon()
    assert heartbeat is not None
    assert heartbeat["heartbeat_at"] == iso(polled.clock())
    assert (heartbeat["pid"], heartbeat["tick"]) == (os.getpid(), 60)


def test_a_restart_resumes_from_the_rows(harness: Harness, server: LocalServer) -> None:
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE, headers={"ETag": '"r1"'})
    harness.add(server.url("/feed.xml"), "news", interval=900)
    harness.poll_due()
    harness.store.close()

    reopened = Store(harness.db)
    try:
        due = reopened.due_feeds(T0 + timedelta(seconds=899), 1800)
        [feed] = reopened.due_feeds(T0 + timedelta(seconds=900), 1800)
    finally:
        reopened.close()
        harness.store = Store(harness.db)  # for the fixture to close

    assert due == []
    assert (feed.name, feed.etag, feed.interval) == ("news", '"r1"', 900)


# -- status and the heartbeat ---------------------------------------------------------------


def test_status_reports_health_and_check_follows_the_heartbeat(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "news"}])
    archive.cli("poll", "--all")

    unstarted = archive.cli("status", "--check", check=False)
    report = json.loads(archive.out("status", "--json"))

    assert unstarted.returncode == 1
    assert "no heartbeat" in unstarted.stderr.decode()
    assert report["daemon"]["healthy"] is False
    [health] = report["feeds"]
    assert (health["name"], health["last_status"], health["consecutive_failures"]) == (
        "news",
        "ok",
        0,
    )
    assert health["next_poll_at"] == feed_row(archive.db, "news")["next_poll_at"]

    store = Store(archive.db)
    try:
        now = datetime.now(UTC)
        store.heartbeat(4242, now - timedelta(minutes=10), now, 60)
    finally:
        store.close()
    fresh = archive.cli("status", "--check")
    daemon = json.loads(archive.out("status", "--json"))["daemon"]

    assert fresh.returncode == 0
    assert "healthy" in fresh.stdout.decode() and "4242" in fresh.stdout.decode()
    assert (daemon["healthy"], daemon["pid"], daemon["tick"]) == (True, 4242, 60)

    store = Store(archive.db)
    try:
        stale = datetime.now(UTC) - timedelta(hours=1)
        store.heartbeat(4242, stale - timedelta(minutes=10), stale, 60)
    finally:
        store.close()
    old = archive.cli("status", "--check", check=False)

    assert old.returncode == 1
    assert "STALE" in old.stderr.decode()


# -- the daemon -------------------------------------------------------------------------------


def polls_of(db: Path, name: str) -> int:
    return len(poll_starts(db, name))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_sighup_adds_and_removes_feeds_without_a_restart(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/alpha.xml", empty_feed(server, "Alpha"), RSS_TYPE)
    server.set_text("/beta.xml", empty_feed(server, "Beta"), RSS_TYPE)
    quick: dict[str, str | float | bool] = {"tick": "1s", "min_interval": "1s", "jitter": 0}
    alpha = {"url": server.url("/alpha.xml"), "name": "alpha", "interval": "2s"}
    beta = {"url": server.url("/beta.xml"), "name": "beta", "interval": "1s"}
    write_config(archive, [alpha], **quick)
    daemon = Daemon(archive)
    try:
        daemon.wait_for("poll feed=alpha")
        write_config(archive, [beta], **quick)
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for("config reloaded: 1 feeds")
        alpha_at_reload = polls_of(archive.db, "alpha")
        for _ in range(10):  # nine gaps of a second or more: alpha would be due 2-4 times
            daemon.wait_for("poll feed=beta")
        alpha_after = polls_of(archive.db, "alpha")
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()

    # One poll of alpha may have been under way as the signal came.
    assert alpha_after - alpha_at_reload <= 1
    assert feed_row(archive.db, "alpha")["active"] == 0
    assert feed_row(archive.db, "beta")["active"] == 1
    assert "Traceback" not in "".join(daemon.seen)


@pytest.mark.timeout(120)
def test_the_daemon_keeps_polling_past_a_feed_that_times_out(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/slow.xml", empty_feed(server, "Slow"), RSS_TYPE, delay=30)
    server.set_text("/quick.xml", empty_feed(server, "Quick"), RSS_TYPE)
    feeds = [
        {"url": server.url("/slow.xml"), "name": "slow", "interval": "1s"},
        {"url": server.url("/quick.xml"), "name": "quick", "interval": "1s"},
    ]
    write_config(archive, feeds, tick="1s", min_interval="1s", jitter=0, timeout=1.0)
    daemon = Daemon(archive)
    try:
        first = daemon.wait_for("poll feed=slow")
        second = daemon.wait_for("poll feed=slow")
        daemon.wait_for("poll feed=quick")
        running = daemon.process.poll() is None
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()

    assert running
    for line in (first, second):
        assert "status=error" in line and "timed out" in line
    slow = feed_row(archive.db, "slow")
    assert slow["consecutive_failures"] >= 2 and "timed out" in slow["last_error"]
    assert polls_of(archive.db, "quick") >= 2
    assert feed_row(archive.db, "quick")["consecutive_failures"] == 0


@dataclass
class Stopped:
    code: int
    took: float
    log: str


@pytest.fixture
def stopped_mid_poll(archive: Archive, server: LocalServer) -> Stopped:
    """A daemon sent SIGTERM while its tick waits for a page that takes a minute."""
    server.set_text("/a/slow", STORM.html(), "text/html", delay=60)
    server.set_text(
        "/feed.xml",
        rss("Harbour News", server.url("/"), [FeedItem(STORM.title, server.url("/a/slow"))]),
        RSS_TYPE,
    )
    write_config(
        archive,
        [{"url": server.url("/feed.xml"), "name": "news"}],
        tick="1s",
        timeout=90.0,
    )
    daemon = Daemon(archive)
    try:
        wait_until(lambda: server.hits("/a/slow") == 1, 60, "the slow page was requested")
        began = time.monotonic()
        code = daemon.stop(signal.SIGTERM)
        took = time.monotonic() - began
    finally:
        daemon.close()
    return Stopped(code, took, "".join(daemon.seen))


def test_sigterm_during_a_slow_page_exits_promptly_with_the_feed_row_intact(
    stopped_mid_poll: Stopped, archive: Archive
) -> None:
    assert stopped_mid_poll.code == 0
    assert stopped_mid_poll.took < 15
    assert "daemon stopped" in stopped_mid_poll.log
    [(check,)] = [tuple(r.values()) for r in query(archive.db, "PRAGMA integrity_check")]
    assert check == "ok"
    row = feed_row(archive.db, "news")
    # The abandoned poll left no half-record: the feed is as it was, and still due.
    assert row["active"] == 1 and row["consecutive_failures"] == 0
    assert polls_of(archive.db, "news") == 0
    assert when(row["next_poll_at"]) <= datetime.now(UTC)


def test_a_deliberate_stop_during_a_poll_logs_no_error(stopped_mid_poll: Stopped) -> None:
    assert stopped_mid_poll.code == 0
    assert " ERROR " not in stopped_mid_poll.log
    assert "Traceback" not in stopped_mid_poll.log


@pytest.mark.timeout(420)
def test_a_running_daemon_polls_each_feed_at_its_computed_interval(
    archive: Archive, server: LocalServer
) -> None:
    tick = 1
    server.set_text("/fast.xml", empty_feed(server, "Fast"), RSS_TYPE)
    server.set_text("/steady.xml", empty_feed(server, "Steady"), RSS_TYPE)
    server.set_text(
        "/cached.xml",
        empty_feed(server, "Cached"),
        RSS_TYPE,
        headers={"Cache-Control": "max-age=8", "ETag": '"c1"'},
    )
    server.set_text("/broken.xml", "Internal error", "text/plain", status=500)
    feeds = [
        {"url": server.url("/fast.xml"), "name": "fast", "interval": "3s"},
        {"url": server.url("/steady.xml"), "name": "steady", "interval": "5s"},
        {"url": server.url("/cached.xml"), "name": "cached", "interval": "2s"},
        {"url": server.url("/broken.xml"), "name": "broken", "interval": "1s"},
    ]
    write_config(archive, feeds, tick=f"{tick}s", min_interval="1s", jitter=0)
    daemon = Daemon(archive)
    try:
        for _ in range(20):  # a few minutes: nineteen gaps of the cached feed's 8 s
            daemon.wait_for("poll feed=cached", timeout=60)
        stopped_at = datetime.now(UTC)
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()

    tolerance = tick + 1  # a poll starts at the first tick after it is due; times are whole s
    expected = {"fast": [3], "steady": [5], "cached": [max(2, 8)]}
    starts = {
        name: poll_starts(archive.db, name) for name in ("fast", "steady", "cached", "broken")
    }
    for name, [interval] in expected.items():
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts[name])]
        assert len(gaps) >= 18, (name, gaps)
        assert all(interval <= g <= interval + tolerance for g in gaps), (name, gaps)
        # Not starved at the end either.
        assert (stopped_at - starts[name][-1]).total_seconds() <= interval + tolerance + 1
    # The failing feed backs off: 1, 2, 4, 8, 16 ... seconds.
    broken_gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts["broken"])]
    assert len(broken_gaps) >= 4, broken_gaps
    for failures, g in enumerate(broken_gaps):
        assert 2**failures <= g <= 2**failures + tolerance, broken_gaps
    # Every feed was polled at the first tick.
    first = [s[0] for s in starts.values()]
    assert (max(first) - min(first)).total_seconds() <= tolerance
    statuses = query(
        archive.db,
        "SELECT f.name, p.status FROM polls p JOIN feeds f ON f.id = p.feed_id",
    )
    assert {r["status"] for r in statuses if r["name"] == "broken"} == {"error"}
    assert {r["status"] for r in statuses if r["name"] == "cached"} == {"ok", "not_modified"}
    assert {r["status"] for r in statuses if r["name"] == "fast"} == {"ok", "unchanged"}
    assert feed_row(archive.db, "broken")["consecutive_failures"] == len(starts["broken"])
