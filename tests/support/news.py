"""A small archive built by hand with the real Store, layout renderer and hash, so that every
row the browsing tests expect is derived from what was saved: four articles (one edited
twice, one re-extracted, one that went back to its first rendering) and three feeds."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ingester.clock import iso
from ingester.store import Store
from ingester.types import (
    Article,
    ArticleUrls,
    FeedForUpdate,
    FeedSpec,
    ParsedEntry,
    PollResult,
)
from tests.support.versions import version_of

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
FEED_HEALTH = "/archive/feed_health.json?_shape=array"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def entry_for(url: str, title: str | None) -> ParsedEntry:
    return ParsedEntry(
        key=url, guid=url, link=url, title=title, author=None, summary=None, content=None
    )


def the_feed(store: Store, url: str) -> FeedForUpdate:
    (feed,) = store.feeds_named([url], default_interval=1800)
    return feed


def search_path(q: str) -> str:
    return "/archive/search.json?" + urllib.parse.urlencode({"_shape": "array", "q": q})


# -- the archive --------------------------------------------------------------------------


def build_news(db: Path | str) -> None:
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


def expected_feed_health() -> list[dict[str, Any]]:
    never_polled = dict.fromkeys(
        ["last_status", "last_http_status", "last_error", "last_success_at", "last_polled_at"]
    )
    return [
        {
            "name": "zeta",
            "feed_url": FEED_FAILING,
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
            "feed_url": FEED_OK,
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
            "feed_url": FEED_BY_HAND,
            "active": 0,
            **never_polled,
            "consecutive_failures": 0,
            "next_poll_at": None,
            "articles": 0,
        },
    ]
