"""A changed feed parsed only where it changed (ingester/parse/memo.py): what the memo
gives is what a whole parse gives, and feedparser sees only the entries not read before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ingester.errors import ParseError
from ingester.parse import FeedMemo, feed, parse_feed
from tests.support.parsing import BASE

HEADERS = {"Content-Type": "application/rss+xml"}


def item(n: int, link: str | None = None) -> str:
    return (
        f"<item><title>Story {n}</title><link>{link or f'https://example.com/{n}'}</link>"
        f'<guid isPermaLink="false">story-{n}</guid>'
        f"<pubDate>Mon, 0{n % 9 + 1} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description>Text &amp; more of story {n}.</description></item>"
    )


def document(
    numbers: list[int],
    built: str = "Tue, 02 Jun 2026 10:00:00 GMT",
    title: str = "Example",
    root: str = '<rss version="2.0">',
    links: dict[int, str] | None = None,
) -> bytes:
    items = "\n".join(item(n, (links or {}).get(n)) for n in numbers)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{root}<channel><title>{title}</title>'
        f"<link>https://example.com/</link><lastBuildDate>{built}</lastBuildDate>"
        f"<ttl>30</ttl>\n{items}\n</channel></rss>\n<!-- served at {built} -->"
    ).encode()


@pytest.fixture
def documents_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every document feedparser is given, in order."""
    read: list[bytes] = []
    original = feed._feedparser

    def counting(content: bytes, headers: dict[str, str], base_url: str) -> Any:
        read.append(content)
        return original(content, headers, base_url)

    monkeypatch.setattr(feed, "_feedparser", counting)
    yield read


def whole(content: bytes, headers: dict[str, str] = HEADERS, base: str = BASE) -> Any:
    return parse_feed(content, headers, base)


def test_a_new_build_date_alone_is_not_parsed(documents_read: list[bytes]) -> None:
    memo = FeedMemo()
    first = parse_feed(document([1, 2, 3]), HEADERS, BASE, memo)
    assert len(memo) == 3
    documents_read.clear()
    again = parse_feed(
        document([1, 2, 3], built="Wed, 03 Jun 2026 11:00:00 GMT"), HEADERS, BASE, memo
    )
    assert documents_read == []
    assert again == first == whole(document([1, 2, 3]))
    assert again.update_interval == 30 * 60


def test_only_the_new_entry_is_read_in_the_documents_frame(documents_read: list[bytes]) -> None:
    memo = FeedMemo()
    parse_feed(document([1, 2, 3]), HEADERS, BASE, memo)
    documents_read.clear()
    newer = document([4, 1, 2], built="Wed, 03 Jun 2026 11:00:00 GMT")
    parsed = parse_feed(newer, HEADERS, BASE, memo)
    (read,) = documents_read
    assert read.count(b"<item>") == 1 and b"Story 4" in read and b"<title>Example" in read
    assert parsed == whole(newer)
    assert [e.key for e in parsed.entries] == ["story-4", "story-1", "story-2"]


def test_a_changed_entry_is_read_again(documents_read: list[bytes]) -> None:
    memo = FeedMemo()
    parse_feed(document([1, 2]), HEADERS, BASE, memo)
    documents_read.clear()
    edited = document([1, 2]).replace(b"Text &amp; more of story 2", b"Corrected story 2")
    parsed = parse_feed(edited, HEADERS, BASE, memo)
    (read,) = documents_read
    assert read.count(b"<item>") == 1 and b"Corrected" in read
    assert parsed.entries[1].summary == "Corrected story 2."
    assert parsed == whole(edited)


@pytest.mark.parametrize(
    "changed",
    [
        {"title": "Example, renamed"},  # the channel's own text
        {"root": '<rss version="2.0" xml:base="https://elsewhere.example/news/">'},
    ],
)
def test_a_frame_that_changed_otherwise_reads_every_entry(
    documents_read: list[bytes], changed: dict[str, str]
) -> None:
    links = {1: "story/1"}  # relative: the frame's base decides where it points
    memo = FeedMemo()
    parse_feed(document([1, 2], links=links), HEADERS, BASE, memo)
    documents_read.clear()
    other = document([1, 2], links=links, **changed)
    parsed = parse_feed(other, HEADERS, BASE, memo)
    assert [d.count(b"<item>") for d in documents_read] == [2]
    assert parsed == whole(other)
    if "root" in changed:
        assert parsed.entries[0].link == "https://elsewhere.example/news/story/1"


def test_the_base_url_and_charset_are_part_of_the_frame(documents_read: list[bytes]) -> None:
    links = {1: "story/1"}
    memo = FeedMemo()
    parse_feed(document([1], links=links), HEADERS, BASE, memo)
    moved = "https://moved.example/feed.xml"
    parsed = parse_feed(document([1], links=links), HEADERS, moved, memo)
    assert parsed.entries[0].link == "https://moved.example/story/1"
    latin = {"Content-Type": "application/rss+xml; charset=iso-8859-1"}
    parse_feed(document([1], links=links), latin, moved, memo)
    assert len(documents_read) == 3


def test_an_ill_formed_document_is_read_whole_and_not_kept(documents_read: list[bytes]) -> None:
    broken = document([1, 2]).replace(b"</title><link>https://example.com/1", b"<link>x", 1)
    memo = FeedMemo()
    first = parse_feed(broken, HEADERS, BASE, memo)
    assert len(memo) == 0
    parse_feed(broken, HEADERS, BASE, memo)
    assert documents_read == [broken, broken]
    assert first == whole(broken)


def test_a_new_entry_that_breaks_the_document_falls_back_to_the_whole(
    documents_read: list[bytes],
) -> None:
    memo = FeedMemo()
    parse_feed(document([1, 2]), HEADERS, BASE, memo)
    broken = document([3, 1, 2]).replace(b"<title>Story 3</title>", b"<title>Story 3", 1)
    parsed = parse_feed(broken, HEADERS, BASE, memo)
    assert parsed == whole(broken)
    assert documents_read[-1] == broken  # read as it came, after the piece was in doubt


def test_text_between_entries_is_not_cut_around() -> None:
    memo = FeedMemo()
    odd = document([1, 2]).replace(b"</item>\n<item>", b"</item><title>x</title><item>")
    assert memo.plan(odd, {}) is None
    assert parse_feed(odd, HEADERS, BASE, memo) == whole(odd)
    assert len(memo) == 0


def test_what_is_not_a_feed_still_raises() -> None:
    with pytest.raises(ParseError):
        parse_feed(b"<html><body><p>no feed</p></body></html>", HEADERS, BASE, FeedMemo())


def test_the_memo_stays_within_its_bound(documents_read: list[bytes]) -> None:
    memo = FeedMemo(max_bytes=6_000)
    for start in range(0, 60, 3):
        parse_feed(document([start, start + 1, start + 2]), HEADERS, BASE, memo)
        assert memo.size <= 6_000
    assert 0 < len(memo) < 60
    documents_read.clear()
    parse_feed(document([57, 58, 59]), HEADERS, BASE, memo)  # the latest are kept
    assert documents_read == []
    parse_feed(document([0, 1, 2]), HEADERS, BASE, memo)  # the first were dropped
    assert len(documents_read) == 1
