"""Odd entries through ``parse_feed``: no title, link or date; duplicate guids; dates far
from now; relative links with and without xml:base."""

from __future__ import annotations

import pytest

from tests.support.parsing import parse, rss


def test_entry_without_title_link_or_date_is_kept_under_a_content_hash() -> None:
    feed = parse(rss("<item><description>Only a body</description></item>").encode())
    (entry,) = feed.entries
    assert (entry.title, entry.link, entry.guid) == (None, None, None)
    assert (entry.published, entry.updated) == (None, None)
    assert entry.summary == "Only a body"
    assert entry.key.startswith("sha256:")
    # Stable across polls: the same entry gives the same key.
    assert parse(rss("<item><description>Only a body</description></item>").encode()).entries[
        0
    ].key == (entry.key)


def test_empty_entry_does_not_crash() -> None:
    (entry,) = parse(rss("<item></item>").encode()).entries
    assert entry.title is None and entry.summary is None and entry.key.startswith("sha256:")


def test_entries_without_guid_or_link_and_different_titles_get_different_keys() -> None:
    items = "<item><title>One</title></item><item><title>Two</title></item>"
    first, second = parse(rss(items).encode()).entries
    assert first.key != second.key


def test_duplicate_guids_in_one_feed_are_kept_as_separate_entries_with_the_same_key() -> None:
    # Parsing keeps both entries, in order, sharing the guid as their key; the pipeline
    # keys them apart (decide.distinct_entries), so each has its own feed_entries row.
    items = "".join(
        f"<item><title>Story {n}</title><link>https://example.com/{n}</link>"
        f'<guid isPermaLink="false">same-guid</guid></item>'
        for n in (1, 2)
    )
    first, second = parse(rss(items).encode()).entries
    assert (first.title, second.title) == ("Story 1", "Story 2")
    assert (first.link, second.link) == ("https://example.com/1", "https://example.com/2")
    assert first.key == second.key == "same-guid"


@pytest.mark.parametrize(
    ("pub_date", "expected"),
    [
        ("Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00+00:00"),
        ("Wed, 31 Dec 1969 23:59:59 GMT", "1969-12-31T23:59:59+00:00"),
        ("Fri, 01 Jan 2100 12:00:00 GMT", "2100-01-01T12:00:00+00:00"),
        ("Sat, 01 Jan 9999 00:00:00 GMT", "9999-01-01T00:00:00+00:00"),
        ("Mon, 00 Foo 0000 99:99:99 GMT", None),
        ("", None),
    ],
)
def test_dates_in_1970_or_the_future_are_stored_as_given(
    pub_date: str, expected: str | None
) -> None:
    # The feed's own claim is kept (it is what the feed says); nothing is clamped to now.
    item = f"<item><title>t</title><pubDate>{pub_date}</pubDate></item>"
    (entry,) = parse(rss(item).encode()).entries
    assert entry.published == expected


def test_atom_relative_links_resolve_against_nested_xml_base() -> None:
    document = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/blog/">'
        "<title>T</title><id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>"
        '<link href="./"/>'
        '<entry xml:base="2025/"><id>urn:x:1</id><title>One</title>'
        '<link href="post-1.html"/><updated>2025-01-01T00:00:00Z</updated></entry>'
        '<entry><id>urn:x:2</id><title>Two</title><link href="/top.html"/>'
        "<updated>2025-01-01T00:00:00Z</updated></entry>"
        "</feed>"
    )
    feed = parse(document.encode(), "application/atom+xml")
    assert feed.link == "https://example.org/blog/"
    assert [e.link for e in feed.entries] == [
        "https://example.org/blog/2025/post-1.html",
        "https://example.org/top.html",
    ]


def test_rss_relative_link_without_xml_base_resolves_against_the_feed_url() -> None:
    item = "<item><title>t</title><link>../posts/1.html</link></item>"
    (entry,) = parse(rss(item).encode()).entries
    assert entry.link == "https://example.com/posts/1.html"
