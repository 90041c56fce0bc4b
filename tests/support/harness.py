"""For the schedule's tests, in-process and end to end: a ``Pipeline`` over a real Store
and a real Fetcher on an explicit clock (``Harness``, the ``harness`` fixture), the
sample "Harbour News" site on the local server, and reads of the archive's rows."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ingester.config import Settings
from ingester.fetch import Fetcher
from ingester.pipeline import Pipeline
from ingester.store import Store
from ingester.types import ArticleOutcome, FeedSpec, PollResult
from tests.support.httpserver import LocalServer
from tests.support.postgres import read_dicts
from tests.support.samples import FeedItem, SamplePage, rss, sentences

T = TypeVar("T")

T0 = datetime(2025, 7, 21, 12, 0, 0, tzinfo=UTC)
RSS_TYPE = "application/rss+xml; charset=utf-8"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")

STORM = SamplePage("Ferry service resumes after storm", sentences("the ferry"))
BRIDGE = SamplePage("Council approves new bridge", sentences("the bridge"))
MARKET = SamplePage("Market hall reopens on Saturday", sentences("the market"))


def empty_feed(server: LocalServer, title: str = "Harbour News") -> str:
    return rss(title, server.url("/"), [])


def query(db: Path | str, sql: str, *params: object) -> list[dict[str, Any]]:
    """Rows of the archive on either engine, read as another process would."""
    return read_dicts(str(db), sql, *params)


def article_row(db: Path | str, url: str) -> dict[str, Any]:
    [row] = query(
        db,
        "SELECT a.* FROM articles a JOIN article_urls u ON u.article_id = a.id WHERE u.url = ?",
        url,
    )
    return row


def when(text: object) -> datetime:
    assert isinstance(text, str), f"expected a stored time, got {text!r}"
    return datetime.fromisoformat(text)


def paths(server: LocalServer) -> list[str]:
    return [r.path for r in server.requests]


# -- a pipeline on an explicit clock -------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    """A real Store (a SQLite file, or a PostgreSQL database) and a real Fetcher against the
    local server, on an explicit clock."""

    db: Path | str
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


def serve_pages(server: LocalServer, pages: dict[str, SamplePage]) -> list[FeedItem]:
    for path, page in pages.items():
        server.set_text(path, page.html(), "text/html; charset=utf-8")
    return [FeedItem(page.title, server.url(path)) for path, page in pages.items()]


# -- the three pages the re-check tests archive (the ``polled`` fixture) -------------------

PAGES = {"/a/storm": STORM, "/a/bridge": BRIDGE, "/a/market": MARKET}


def page_hits(server: LocalServer) -> int:
    return sum(server.hits(path) for path in PAGES)


def open_harness(target: Path | str, monkeypatch: Any) -> Iterator[Harness]:
    """The ``harness`` fixture's body, on the archive at ``target``."""
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
    harness = Harness(target, Store(target), Clock(T0), settings)
    try:
        yield harness
    finally:
        harness.store.close()  # the store a test may have opened again
