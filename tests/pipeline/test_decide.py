"""The pipeline's rules (ingester/pipeline/decide.py), with no store, network or clock."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from ingester.extract import EXTRACTOR
from ingester.pipeline import decide
from ingester.render import render
from ingester.store.identity import stories_apart
from ingester.types import (
    ArticleForUpdate,
    ArticleOutcome,
    ArticleUrls,
    ExtractedPage,
    FeedForUpdate,
    ParsedEntry,
)
from ingester.urls import entry_urn

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCHEDULE = ((900, 3 * 3600), (3600, 86400))


def entry(**fields: object) -> ParsedEntry:
    values: dict[str, object] = {
        "key": "k1",
        "guid": None,
        "link": None,
        "title": None,
        "author": None,
        "summary": None,
        "content": None,
    }
    values.update(fields)
    return ParsedEntry(**values)  # type: ignore[arg-type]


def feed(server_interval: int | None = None) -> FeedForUpdate:
    return FeedForUpdate(
        id=1,
        url="https://example.com/feed.xml",
        name=None,
        section=None,
        interval=1800,
        etag=None,
        last_modified=None,
        server_interval=server_interval,
    )


def known(
    latest_source: str | None = "page",
    latest_extractor: str | None = EXTRACTOR,
    page_sha256: str | None = "ab" * 32,
) -> ArticleForUpdate:
    return ArticleForUpdate(
        id=7,
        url="https://example.com/a",
        page_etag=None,
        page_last_modified=None,
        page_sha256=page_sha256,
        latest_sha256="cd" * 32,
        latest_source=latest_source,
        latest_extractor=latest_extractor,
        first_seen_at=NOW.isoformat(),
    )


PAGE = ExtractedPage(title="Bridge reopens", body=("The bridge reopened on Monday.",))


# -- which link an entry is archived under ------------------------------------------------


def test_an_entry_is_archived_under_its_link() -> None:
    chosen = entry(link="https://example.com/a", guid="https://example.com/?p=1")
    assert decide.entry_link(chosen) == "https://example.com/a"


def test_a_guid_that_is_a_web_url_stands_in_for_a_missing_or_unusable_link() -> None:
    assert decide.entry_link(entry(guid="https://example.com/?p=1")) == "https://example.com/?p=1"
    unusable = entry(link="mailto:desk@example.com", guid="https://example.com/?p=2")
    assert decide.entry_link(unusable) == "https://example.com/?p=2"


@pytest.mark.parametrize("link", [None, "", "/relative/a", "http://[::1", "ftp://example.com/a"])
def test_an_entry_without_a_web_url_has_no_page(link: str | None) -> None:
    assert decide.entry_link(entry(link=link, guid="tag:example.com,2026:1")) is None


def test_a_pageless_entry_key_is_stable_and_differs_by_feed_and_entry() -> None:
    key = entry_urn("https://example.com/feed", "k1")
    assert key == entry_urn("https://example.com/feed", "k1")
    assert key.startswith("urn:ingester:entry:")
    assert key != entry_urn("https://example.com/feed", "k2")
    assert key != entry_urn("https://example.org/feed", "k1")


# -- which entries are fresh ----------------------------------------------------------------


def test_only_new_entries_and_entries_whose_feed_text_changed_are_fresh() -> None:
    same, edited, new = entry(key="a", title="A"), entry(key="b", title="B2"), entry(key="c")
    stored = {"a": same.to_json(), "b": entry(key="b", title="B1").to_json()}
    assert decide.fresh_entries([same, edited, new], stored) == [edited, new]


def test_an_entry_survives_its_round_trip_through_the_archive() -> None:
    original = entry(key="x", title="Ünïcode", categories=("World", "Europe"))
    assert ParsedEntry.from_json(original.to_json()) == original


# -- what the server's hints add up to ------------------------------------------------------


def test_an_unparsed_feed_keeps_the_longer_of_its_header_hint_and_its_last_feed_hint() -> None:
    assert decide.kept_interval(600, feed(server_interval=3600)) == 3600
    assert decide.kept_interval(7200, feed(server_interval=3600)) == 7200
    assert decide.kept_interval(None, feed()) is None


def test_a_parsed_feed_takes_the_longer_of_its_header_and_feed_hints() -> None:
    assert decide.parsed_interval(600, 3600) == 3600
    assert decide.parsed_interval(None, 3600) == 3600
    assert decide.parsed_interval(None, None) is None


def test_a_410_is_gone_and_any_other_failure_an_error() -> None:
    assert decide.failed_poll_status(410) == "gone"
    assert decide.failed_poll_status(404) == "error"
    assert decide.failed_poll_status(None) == "error"


def test_polls_that_found_nothing_log_at_debug() -> None:
    assert decide.poll_log_level("not_modified") == logging.DEBUG
    assert decide.poll_log_level("unchanged") == logging.DEBUG
    assert decide.poll_log_level("ok") == logging.INFO
    assert decide.poll_log_level("error") == logging.INFO


# -- whether a page can be read -------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/html; charset=utf-8", "application/xhtml+xml", "TEXT/HTML", ""]
)
def test_html_pages_are_read(content_type: str) -> None:
    assert decide.non_html_type({"content-type": content_type}) is None


def test_a_page_without_a_content_type_is_taken_for_html() -> None:
    assert decide.non_html_type({}) is None


def test_other_media_types_are_named() -> None:
    assert decide.non_html_type({"content-type": "application/pdf"}) == "application/pdf"
    assert decide.non_html_type({"content-type": "image/png; q=1"}) == "image/png"


def test_a_canonical_link_counts_only_on_the_pages_own_site() -> None:
    page = ExtractedPage(canonical_url="https://www.example.com/story")
    urls = decide.article_urls("https://example.com/s?utm_source=x", "https://example.com/s", page)
    assert urls.key == "https://www.example.com/story"
    elsewhere = ExtractedPage(canonical_url="https://aggregator.example.net/story")
    urls = decide.article_urls("https://example.com/s", "https://example.com/s", elsewhere)
    assert urls.canonical is None and urls.key == "https://example.com/s"


# -- what a new version is ------------------------------------------------------------------


def test_a_page_renders_to_a_version_from_the_page() -> None:
    version = decide.new_version(None, None, None, PAGE, "ef" * 32, NOW.isoformat())
    assert version is not None
    assert version.text == render(version.article)
    assert version.extractor == EXTRACTOR
    assert version.raw_sha256 == "ef" * 32
    assert version.article.source == "page"
    assert version.kind == "edit"


def test_the_feed_text_stands_in_for_a_page_with_no_article() -> None:
    fallback = entry(title="Bridge reopens", content="<p>From the feed.</p>")
    version = decide.new_version(None, fallback, "Local", ExtractedPage(), "ef" * 32, "t")
    assert version is not None
    assert version.article.source == "feed"
    assert version.extractor == "feed"
    assert version.raw_sha256 is None  # the page it came from is not what it shows
    assert version.article.body == ("From the feed.",)
    assert version.article.section == "Local"


def test_a_feed_fallback_never_supersedes_what_the_page_showed() -> None:
    fallback = entry(title="Bridge reopens", content="<p>From the feed.</p>")
    assert decide.new_version(known(latest_source="page"), fallback, None, None, None, "t") is None
    assert decide.new_version(known(latest_source="feed"), fallback, None, None, None, "t")


def test_nothing_to_render_is_no_version() -> None:
    assert decide.new_version(None, None, None, None, None, "t") is None
    assert decide.new_version(None, entry(), None, ExtractedPage(), None, "t") is None


def test_a_reextraction_keeps_its_kind() -> None:
    version = decide.new_version(known(), None, None, PAGE, None, "t", kind="reextraction")
    assert version is not None and version.kind == "reextraction"


# -- when to re-extract and re-check --------------------------------------------------------


def test_a_page_last_read_by_another_extractor_is_read_again_first() -> None:
    assert decide.needs_reextraction(known(latest_extractor="trafilatura 0.1"))


@pytest.mark.parametrize("extractor", [EXTRACTOR, "feed", None])
def test_a_page_read_by_todays_extractor_or_shown_from_the_feed_is_not(
    extractor: str | None,
) -> None:
    assert not decide.needs_reextraction(known(latest_extractor=extractor))


def test_no_stored_page_or_no_article_means_nothing_to_reextract() -> None:
    assert not decide.needs_reextraction(None)
    assert not decide.needs_reextraction(known(latest_extractor="old", page_sha256=None))


def test_a_web_article_is_rechecked_on_the_decaying_schedule() -> None:
    first_seen = NOW - timedelta(hours=1)
    due = decide.recheck_at(ArticleUrls("https://example.com/a"), first_seen, NOW, SCHEDULE)
    assert due == NOW + timedelta(seconds=900)
    old = NOW - timedelta(days=2)
    assert decide.recheck_at(ArticleUrls("https://example.com/a"), old, NOW, SCHEDULE) is None


def test_an_entry_with_no_page_is_never_rechecked() -> None:
    key = entry_urn("https://example.com/feed", "k1")
    assert decide.recheck_at(ArticleUrls(key), NOW, NOW, SCHEDULE) is None


def test_the_first_page_errors_are_kept_whole_and_the_rest_counted() -> None:
    outcomes = [
        ArticleOutcome(
            url=f"https://example.com/{n}", error="fetch: 404 not found" if n % 2 else None
        )
        for n in range(2 * decide.MAX_PAGE_ERRORS + 10)
    ]
    kept, more = decide.page_errors(outcomes)
    assert len(kept) == decide.MAX_PAGE_ERRORS
    assert kept[0] == "https://example.com/1: fetch: 404 not found"
    assert more == 5
    assert decide.page_errors(outcomes[:6]) == (
        tuple(f"https://example.com/{n}: fetch: 404 not found" for n in (1, 3, 5)),
        0,
    )


def test_entries_sharing_a_key_are_kept_apart_and_repeats_dropped() -> None:
    first = entry(key="episode", guid="episode", title="Episode 1")
    second = entry(key="episode", guid="episode", title="Episode 2")
    kept = decide.distinct_entries([first, second, first, second])
    assert [e.title for e in kept] == ["Episode 1", "Episode 2"]
    assert kept[0].key == "episode"
    assert kept[1].key.startswith("episode#") and kept[1].key != kept[0].key
    # Stable across polls: the same feed keys its entries the same way again.
    assert [e.key for e in decide.distinct_entries([first, second])] == [e.key for e in kept]
    assert decide.distinct_entries([first, first]) == [first]


# -- pages several stories share ----------------------------------------------------------


def test_a_page_several_stories_link_is_shared_and_one_story_twice_is_not() -> None:
    home = "https://example.com/show/"
    episodes = [entry(key=f"ep{n}", link=home, title=f"Episode {n}") for n in (1, 2)]
    twice = [entry(key=k, link="https://example.com/a", title="Wall") for k in ("g1", "g2")]
    alone = [entry(key="b", link="https://example.com/b", title="Bridge")]

    shared = decide.shared_pages([*episodes, *twice, *alone])

    assert list(shared) == [home]
    assert [e.key for e in shared[home]] == ["ep1", "ep2"]


def test_entries_of_a_shared_page_are_keyed_by_their_fragment_where_it_tells_them_apart() -> None:
    feed = "https://example.com/feed"
    group = [
        (entry(key="n1"), "https://example.com/day.html#a1"),
        (entry(key="n2"), "https://example.com/day.html#a2"),
        (entry(key="n3"), "https://example.com/day.html#top"),
        (entry(key="n4"), "https://example.com/day.html#top"),
        (entry(key="n5"), "https://example.com/day.html"),
    ]

    keyed = stories_apart(feed, group)

    assert keyed["n1"] == ArticleUrls("https://example.com/day.html#a1", anchored=True)
    assert keyed["n2"] == ArticleUrls("https://example.com/day.html#a2", anchored=True)
    for key in ("n3", "n4", "n5"):  # a fragment two entries share tells nothing
        assert keyed[key] == ArticleUrls(entry_urn(feed, key))


def test_one_post_of_a_page_is_not_rechecked() -> None:
    post = ArticleUrls("https://example.com/day.html#a1", anchored=True)
    assert decide.recheck_at(post, NOW, NOW, SCHEDULE) is None


def test_a_poll_takes_at_most_its_cap_in_feed_order_and_counts_the_rest() -> None:
    fresh = [entry(key=f"e{n}") for n in range(10)]

    taken, left = decide.this_poll(fresh, 4, random.Random(1))
    again, _ = decide.this_poll(fresh, 4, random.Random(2))

    assert (len(taken), left) == (4, 6)
    assert [e.key for e in taken] == sorted((e.key for e in taken), key=lambda k: int(k[1:]))
    assert {e.key for e in taken} != {e.key for e in again}  # drawn, not always the first
    assert decide.this_poll(fresh[:3], 4, random.Random(1)) == (fresh[:3], 0)
