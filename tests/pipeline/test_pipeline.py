"""The schedule and politeness rules through an in-process ``Pipeline`` over a real Store
file and a real Fetcher against a real server that misbehaves on cue, with an explicit
clock, for rules about *when*: hints, backoff, re-checks. Nothing waits for time to pass;
the clock is moved. (What a user sees of the same rules, through the real CLI and daemon,
is in tests/e2e/test_schedule.py.)
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ingester.clock import iso
from ingester.fetch.transport import http_transport
from ingester.pipeline.decide import MAX_PAGE_ERRORS
from ingester.store import Store
from tests.support.harness import (
    BRIDGE,
    MARKET,
    PAGES,
    RSS_TYPE,
    STORM,
    T0,
    Harness,
    article_row,
    empty_feed,
    page_hits,
    query,
    serve_pages,
)
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, rss

# Starts read from the monotonic clock may be early by the loop's clock resolution.
SLACK = 0.002


def feed_with(extra: str, server: LocalServer, items: list[FeedItem] | None = None) -> str:
    """An RSS feed with ``extra`` elements (ttl, sy:updatePeriod) in its channel."""
    text = rss("Harbour News", server.url("/"), items or [])
    text = text.replace(
        '<rss version="2.0"',
        '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"',
        1,
    )
    return text.replace("<channel>", f"<channel>{extra}", 1)


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


# -- nothing new, and a bug met polling one feed -------------------------------------------


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


# -- the per-host gap ----------------------------------------------------------------------


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


# -- re-checks (the ``polled`` fixture: three articles archived at T0) ---------------------


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


# -- a restart -----------------------------------------------------------------------------


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


def test_a_feed_whose_pages_all_fail_keeps_the_first_errors_whole_and_counts_the_rest(
    harness: Harness, server: LocalServer
) -> None:
    items = [FeedItem(title="", link=server.url(f"/gone/{n}")) for n in range(300)]
    server.set_text("/feed.xml", rss("Broken links", server.url("/"), items), RSS_TYPE)
    harness.settings = replace(harness.settings, private_pages=False)  # each page refused
    harness.add(server.url("/feed.xml"), "broken")

    [result] = harness.poll_due()

    assert result.page_error_count == 300
    assert len(result.page_errors) == MAX_PAGE_ERRORS
    [poll] = query(harness.db, "SELECT page_errors FROM polls")
    stored = json.loads(poll["page_errors"])
    assert stored == [*result.page_errors, f"... and {300 - MAX_PAGE_ERRORS} more"]
    # Each kept error names its page and says why, in order of the feed.
    refused = "fetch: refused: 127.0.0.1 is a private or local address; set private_pages = true"
    refused += " to allow it"
    assert stored[:2] == [f"{server.url(f'/gone/{n}')}: {refused}" for n in (0, 1)]
    assert len(poll["page_errors"]) < 150 * (MAX_PAGE_ERRORS + 1)  # not 300 errors long


def test_two_entries_sharing_a_guid_are_two_articles_fetched_once(
    harness: Harness, server: LocalServer
) -> None:
    items = [replace(item, guid="episode") for item in serve_pages(server, PAGES)[:2]]
    server.set_text("/feed.xml", rss("Shared guids", server.url("/"), items), RSS_TYPE)
    harness.add(server.url("/feed.xml"), "shared")

    [first] = harness.poll_due()
    assert (first.status, first.new_articles) == ("ok", 2)
    keys = query(harness.db, "SELECT entry_key, article_id FROM feed_entries ORDER BY entry_key")
    assert len(keys) == 2 and len({row["article_id"] for row in keys}) == 2
    assert keys[0]["entry_key"] == "episode" and keys[1]["entry_key"].startswith("episode#")

    # The feed is rebuilt around the same two entries: neither page is fetched again.
    hits = page_hits(server)
    server.set_text(
        "/feed.xml", rss("Shared guids", server.url("/"), items, build="rebuilt"), RSS_TYPE
    )
    harness.clock.advance(hours=1)
    [second] = harness.poll_due()
    assert (second.status, second.new_articles, second.new_versions) == ("ok", 0, 0)
    assert page_hits(server) == hits
