"""A feed with more new entries than one poll takes (``max_entries_per_poll``): the rest
comes in the next polls, soon after, even when the feed's bytes have not changed and some
of its pages keep failing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.support.harness import RSS_TYPE, Harness, query
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences


def long_feed(server: LocalServer, good: int, broken: int) -> None:
    """``good`` readable pages and ``broken`` missing ones (every third, while any are
    left) whose entries carry no text either: those stay fresh poll after poll."""
    items = []
    for n in range(good + broken):
        path = f"/a/{n}"
        if n % 3 == 2 and n // 3 < broken:
            items.append(FeedItem("", server.url(path), guid=f"s{n}"))
            continue
        page = SamplePage(f"Story number {n}", sentences(f"story {n}"))
        server.set_text(path, page.html(), "text/html; charset=utf-8")
        items.append(FeedItem(f"Story number {n}", server.url(path), guid=f"s{n}"))
    server.set_text("/feed.xml", rss("Long", server.url("/"), items), RSS_TYPE)


def test_a_long_feed_is_taken_in_rounds_and_nothing_starves(
    harness: Harness, server: LocalServer
) -> None:
    # More entries that never archive (12) than one poll takes (10): taken first, in the
    # feed's order, they would hold back the pages after them for ever.
    long_feed(server, good=24, broken=12)
    harness.settings = replace(harness.settings, max_entries_per_poll=10)
    harness.add(server.url("/feed.xml"), "long", interval=86400)

    [first] = harness.poll_due()

    assert first.new_articles + first.page_error_count == 10
    assert first.more_entries == 26
    # The rest is due after min_interval, not the feed's day.
    assert harness.next_poll("long") == harness.clock() + timedelta(seconds=60)
    archived = first.new_articles
    for _ in range(30):  # bounded; at 10 drawn a poll the 24 pages come in a few rounds
        if archived == 24:
            break
        harness.clock.advance(seconds=60)
        [result] = harness.poll_due()  # the same bytes each time: read again all the same
        assert result.status == "ok"
        archived += result.new_articles

    assert archived == 24
    assert query(harness.db, "SELECT count(*) AS n FROM articles")[0]["n"] == 24
    # Only the entries that never archive are left: a poll that gets nowhere does not
    # bring the next one forward.
    harness.clock.advance(seconds=60)
    [stuck] = harness.poll_due()
    assert (stuck.new_articles, stuck.more_entries) == (0, 2)
    assert harness.next_poll("long") == harness.clock() + timedelta(seconds=86400)


def test_a_feed_within_the_cap_is_read_once(harness: Harness, server: LocalServer) -> None:
    long_feed(server, good=5, broken=0)
    harness.add(server.url("/feed.xml"), "short", interval=86400)

    [result] = harness.poll_due()

    assert (result.new_articles, result.more_entries) == (5, 0)
    assert harness.next_poll("short") == harness.clock() + timedelta(seconds=86400)
