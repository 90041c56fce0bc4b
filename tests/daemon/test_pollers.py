"""Poller processes: feeds shared out by host, results back in order, a clean stop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ingester.config import Settings
from ingester.daemon.pollers import STOP_WAIT, Pollers, shard
from ingester.store import Store
from ingester.types import FeedSpec, PollResult
from tests.support.httpserver import LocalServer, Route
from tests.support.samples import rss

SETTINGS = Settings(host_gap=0.0, robots=False, private_pages=True, timeout=30.0)


def serve_feeds(server: LocalServer, count: int) -> list[str]:
    urls = []
    for n in range(count):
        path = f"/feed-{n}.xml"
        server.set_text(path, rss(f"Feed {n}", server.url("/"), []), "application/rss+xml")
        urls.append(server.url(path))
    return urls


def archive_with(tmp_path: Path, urls: list[str]) -> Store:
    store = Store(tmp_path / "archive.db")
    store.sync_feeds([FeedSpec(url, name=f"f{i}") for i, url in enumerate(urls)], datetime.now(UTC))
    return store


def test_feeds_are_shared_by_host_and_come_back_in_order(tmp_path: Path) -> None:
    with LocalServer() as one, LocalServer() as two:
        urls = [
            u for pair in zip(serve_feeds(one, 3), serve_feeds(two, 3), strict=True) for u in pair
        ]
        store = archive_with(tmp_path, urls)
        feeds = store.active_feeds(3600)
        heard: list[int] = []

        async def go() -> list[PollResult]:
            with Pollers(replace(SETTINGS, workers=2), tmp_path / "archive.db") as pollers:
                return await pollers.poll(feeds, on_result=lambda at, _: heard.append(at))

        results = asyncio.run(go())

        assert [r.feed for r in results] == [f.label for f in feeds]
        assert {r.status for r in results} == {"ok"}
        assert sorted(heard) == list(range(len(feeds)))
        assert one.hits("/feed-0.xml") == 1 and two.hits("/feed-0.xml") == 1
        # Every poll is on record, written by the poller that made it.
        with sqlite3.connect(tmp_path / "archive.db") as conn:
            assert conn.execute("SELECT COUNT(*) FROM polls").fetchone() == (len(feeds),)
            assert conn.execute(
                "SELECT COUNT(*) FROM feeds WHERE last_status = 'ok'"
            ).fetchone() == (len(feeds),)


def test_a_host_always_goes_to_the_same_poller() -> None:
    urls = [f"http://127.1.0.{n}:8080/feed-{k}.xml" for n in range(1, 60) for k in range(3)]
    shards = [shard(url, 2) for url in urls]
    for n in range(0, len(urls), 3):
        assert len(set(shards[n : n + 3])) == 1  # one host, one poller
    assert set(Counter(shards)) == {0, 1}  # and the hosts are spread over both


def test_stopping_cuts_a_slow_poll_short_and_keeps_the_finished_ones(
    tmp_path: Path, server: LocalServer
) -> None:
    urls = serve_feeds(server, 2)
    server.set("/slow.xml", Route(b"<rss/>", delay=60))
    store = archive_with(tmp_path, [*urls, server.url("/slow.xml")])
    feeds = store.active_feeds(3600)
    finished: list[int] = []

    async def go() -> float:
        pollers = Pollers(replace(SETTINGS, workers=1), tmp_path / "archive.db")
        poll = asyncio.create_task(pollers.poll(feeds, on_result=lambda at, _: finished.append(at)))
        while len(finished) < 2:
            await asyncio.sleep(0.05)
        started = time.monotonic()
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)
        pollers.close()
        return time.monotonic() - started

    assert asyncio.run(go()) < STOP_WAIT
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        polled = conn.execute("SELECT feed_id FROM polls ORDER BY feed_id").fetchall()
    assert [row[0] for row in polled] == [1, 2]  # the slow feed is not on record: still due
