"""Feed bytes + response headers -> ParsedFeed, for RSS 2.0 and Atom built inline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingester.errors import ParseError
from ingester.parse import looks_like_feed, parse_feed
from ingester.types import ParsedEntry

BASE = "https://example.com/feeds/main.xml"
CONTENT_NS = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
ATOM_NS = 'xmlns:atom="http://www.w3.org/2005/Atom"'


def rss(items: str, channel: str = "", declaration: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{declaration}<rss version="2.0" {CONTENT_NS} {ATOM_NS}><channel>'
        f"<title>Example News</title><link>https://example.com/</link>"
        f"<description>All the news</description>{channel}{items}</channel></rss>"
    )


def atom(entries: str, base: str = "") -> str:
    xml_base = f' xml:base="{base}"' if base else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{xml_base}>'
        "<title>Example Atom</title><id>urn:example:feed</id>"
        "<updated>2025-07-22T08:00:00Z</updated>"
        f"{entries}</feed>"
    )


def only_entry(document: str | bytes, headers: dict[str, str] | None = None) -> ParsedEntry:
    content = document.encode("utf-8") if isinstance(document, str) else document
    (entry,) = parse_feed(content, headers or {}, BASE).entries
    return entry


def utc(value: str | None) -> datetime:
    """An ISO 8601 string that must carry a UTC offset, as a datetime."""
    assert value is not None
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed


# -- the feed and its entries ---------------------------------------------------------------


def test_rss_feed_title_link_and_entries_in_order() -> None:
    items = "".join(
        f"<item><title>Story {n}</title><link>https://example.com/{n}</link></item>"
        for n in (1, 2, 3)
    )
    feed = parse_feed(rss(items).encode(), {}, BASE)

    assert feed.title == "Example News"
    assert feed.link == "https://example.com/"
    assert [entry.title for entry in feed.entries] == ["Story 1", "Story 2", "Story 3"]


def test_atom_feed_title_and_entries() -> None:
    entries = (
        "<entry><id>urn:example:1</id><title>First</title><updated>2025-07-22T08:00:00Z</updated>"
        '<link href="https://example.com/1"/><author><name>Olena Kovalenko</name></author></entry>'
    )
    feed = parse_feed(atom(entries).encode(), {}, BASE)

    assert feed.title == "Example Atom"
    (entry,) = feed.entries
    assert (entry.title, entry.link, entry.author) == (
        "First",
        "https://example.com/1",
        "Olena Kovalenko",
    )


def test_empty_but_valid_feed_has_no_entries() -> None:
    assert parse_feed(rss("").encode(), {}, BASE).entries == ()


# -- entry keys -----------------------------------------------------------------------------


def test_rss_entry_is_keyed_by_its_guid() -> None:
    entry = only_entry(
        rss(
            '<item><title>A</title><guid isPermaLink="false">tag:example.com,2025:42</guid>'
            "<link>https://example.com/a</link></item>"
        )
    )

    assert entry.key == "tag:example.com,2025:42"
    assert entry.guid == "tag:example.com,2025:42"
    assert entry.link == "https://example.com/a"


def test_atom_entry_is_keyed_by_its_id() -> None:
    entry = only_entry(
        atom(
            "<entry><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id><title>A</title>"
            '<updated>2025-07-22T08:00:00Z</updated><link href="https://example.com/a"/></entry>'
        )
    )

    assert entry.key == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"


def test_entry_without_guid_is_keyed_by_its_link() -> None:
    entry = only_entry(rss("<item><title>A</title><link>https://example.com/a</link></item>"))

    assert entry.guid is None
    assert entry.key == "https://example.com/a"


def item_without_ids(title: str, description: str) -> str:
    return f"<item><title>{title}</title><description>{description}</description></item>"


def test_entry_without_guid_or_link_gets_a_stable_key() -> None:
    document = rss(item_without_ids("Storm warning", "Winds of 90 km/h expected."))

    first, second = only_entry(document), only_entry(document)

    assert first.guid is None and first.link is None
    assert first.key == second.key
    assert first.key not in ("", "Storm warning")


def test_hash_key_does_not_depend_on_where_the_feed_was_fetched() -> None:
    content = rss(item_without_ids("Storm warning", "Winds.")).encode()

    here = parse_feed(content, {}, "https://example.com/feed").entries[0]
    there = parse_feed(content, {}, "https://mirror.example.net/feed").entries[0]

    assert here.key == there.key


def test_hash_key_differs_for_different_content() -> None:
    one = only_entry(rss(item_without_ids("Storm warning", "Winds of 90 km/h.")))
    two = only_entry(rss(item_without_ids("Storm warning", "Winds of 120 km/h.")))

    assert one.key != two.key


def test_hash_key_differs_for_different_titles() -> None:
    one = only_entry(rss(item_without_ids("Storm warning", "Winds.")))
    two = only_entry(rss(item_without_ids("Storm watch", "Winds.")))

    assert one.key != two.key


def test_hash_key_uses_full_content_when_present() -> None:
    def item(content: str) -> str:
        return (
            "<item><title>Same</title><description>Same teaser.</description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
        )

    one = only_entry(rss(item("<p>Version one.</p>")))
    two = only_entry(rss(item("<p>Version two.</p>")))

    assert one.key != two.key


# -- relative links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "resolved"),
    [
        ("/news/1", "https://example.com/news/1"),
        ("story-2", "https://example.com/feeds/story-2"),
        ("../top", "https://example.com/top"),
        ("https://other.example.org/x", "https://other.example.org/x"),
    ],
)
def test_rss_relative_link_is_resolved_against_the_base_url(link: str, resolved: str) -> None:
    # RFC 3986 section 5 against BASE = https://example.com/feeds/main.xml
    entry = only_entry(rss(f"<item><title>A</title><link>{link}</link></item>"))

    assert entry.link == resolved


def test_atom_link_is_resolved_against_xml_base() -> None:
    entry = only_entry(
        atom(
            "<entry><id>urn:example:1</id><title>A</title><updated>2025-07-22T08:00:00Z</updated>"
            '<link href="posts/1"/></entry>',
            base="https://cdn.example.org/blog/",
        )
    )

    assert entry.link == "https://cdn.example.org/blog/posts/1"


def test_entry_xml_base_overrides_the_feed_xml_base() -> None:
    entry = only_entry(
        atom(
            '<entry xml:base="https://other.example.net/a/"><id>urn:example:1</id><title>A</title>'
            '<updated>2025-07-22T08:00:00Z</updated><link href="b"/></entry>',
            base="https://cdn.example.org/blog/",
        )
    )

    assert entry.link == "https://other.example.net/a/b"


@pytest.mark.parametrize("header", ["Content-Location", "content-location"])
def test_relative_link_is_resolved_against_content_location(header: str) -> None:
    entry = only_entry(
        rss("<item><title>A</title><link>a/1</link></item>"),
        {header: "https://mirror.example.net/feeds/x.xml"},
    )

    assert entry.link == "https://mirror.example.net/feeds/a/1"


def test_relative_content_location_is_itself_resolved_against_the_base_url() -> None:
    # RFC 9110 8.7: a relative Content-Location is relative to the target URI.
    entry = only_entry(
        rss("<item><title>A</title><link>b</link></item>"),
        {"Content-Location": "/mirror/feed.xml"},
    )

    assert entry.link == "https://example.com/mirror/b"


# -- character sets ---------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Content-Type", "content-type", "CONTENT-TYPE"])
@pytest.mark.parametrize(
    ("charset", "title"),
    [
        ("windows-1251", "Київ: новини дня"),
        ("iso-8859-1", "Café à la carte, übermorgen"),
    ],
)
def test_charset_comes_from_content_type_when_xml_declares_none(
    header: str, charset: str, title: str
) -> None:
    content = rss(f"<item><title>{title}</title></item>", declaration="").encode(charset)
    assert content.decode(charset) != content.decode("utf-8", errors="replace")

    entry = only_entry(content, {header: f"application/rss+xml; charset={charset}"})

    assert entry.title == title


# -- content, summary, categories -------------------------------------------------------------


def test_rss_content_encoded_is_content_and_description_is_summary() -> None:
    entry = only_entry(
        rss(
            "<item><title>A</title><description>Short teaser.</description>"
            "<content:encoded><![CDATA[<p>Full text.</p><p>Second paragraph.</p>]]>"
            "</content:encoded></item>"
        )
    )

    assert entry.summary == "Short teaser."
    assert entry.content == "<p>Full text.</p><p>Second paragraph.</p>"


def test_atom_content_is_content_and_summary_is_summary() -> None:
    entry = only_entry(
        atom(
            "<entry><id>urn:example:1</id><title>A</title><updated>2025-07-22T08:00:00Z</updated>"
            "<summary>Teaser.</summary>"
            '<content type="html">&lt;p&gt;Body text.&lt;/p&gt;</content></entry>'
        )
    )

    assert entry.summary == "Teaser."
    assert entry.content == "<p>Body text.</p>"


def test_entry_without_full_content_has_none() -> None:
    entry = only_entry(rss("<item><title>A</title><description>Teaser.</description></item>"))

    assert entry.content is None
    assert entry.summary == "Teaser."


def test_rss_categories_are_kept_in_order() -> None:
    entry = only_entry(
        rss(
            "<item><title>A</title><category>World</category>"
            "<category>Politics</category><category>Europe</category></item>"
        )
    )

    assert entry.categories == ("World", "Politics", "Europe")


def test_atom_categories_are_their_terms() -> None:
    entry = only_entry(
        atom(
            "<entry><id>urn:example:1</id><title>A</title><updated>2025-07-22T08:00:00Z</updated>"
            '<category term="science"/><category term="space" label="Space"/></entry>'
        )
    )

    assert entry.categories == ("science", "space")


def test_entry_without_categories_has_none() -> None:
    assert only_entry(rss("<item><title>A</title></item>")).categories == ()


# -- dates ----------------------------------------------------------------------------------


def test_atom_published_and_updated_are_iso_utc() -> None:
    entry = only_entry(
        atom(
            "<entry><id>urn:example:1</id><title>A</title>"
            "<published>2025-07-21T10:30:00+03:00</published>"
            "<updated>2025-07-22T08:00:00Z</updated></entry>"
        )
    )

    assert utc(entry.published) == datetime(2025, 7, 21, 7, 30, tzinfo=UTC)
    assert utc(entry.updated) == datetime(2025, 7, 22, 8, 0, tzinfo=UTC)


def test_rss_pubdate_and_atom_updated_are_iso_utc() -> None:
    entry = only_entry(
        rss(
            "<item><title>A</title><pubDate>Mon, 21 Jul 2025 10:30:00 +0300</pubDate>"
            "<atom:updated>2025-07-22T10:00:00+02:00</atom:updated></item>"
        )
    )

    assert utc(entry.published) == datetime(2025, 7, 21, 7, 30, tzinfo=UTC)
    assert utc(entry.updated) == datetime(2025, 7, 22, 8, 0, tzinfo=UTC)


def test_rss_entry_with_only_a_pubdate_has_no_updated_date() -> None:
    entry = only_entry(
        rss("<item><title>A</title><pubDate>Mon, 21 Jul 2025 10:30:00 +0300</pubDate></item>")
    )

    assert utc(entry.published) == datetime(2025, 7, 21, 7, 30, tzinfo=UTC)
    assert entry.updated is None


@pytest.fixture
def local_time_zone_far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "XYZ-05:45")  # POSIX: UTC+05:45, no tz database needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_zone_far_from_utc")
def test_dates_do_not_depend_on_the_local_time_zone() -> None:
    entry = only_entry(
        rss(
            "<item><title>A</title><pubDate>Mon, 21 Jul 2025 10:30:00 +0300</pubDate>"
            "<atom:updated>2025-07-22T08:00:00Z</atom:updated></item>"
        )
    )

    assert utc(entry.published) == datetime(2025, 7, 21, 7, 30, tzinfo=UTC)
    assert utc(entry.updated) == datetime(2025, 7, 22, 8, 0, tzinfo=UTC)


def test_entry_without_dates_has_none() -> None:
    entry = only_entry(rss("<item><title>A</title></item>"))

    assert (entry.published, entry.updated) == (None, None)


def test_unreadable_date_is_none() -> None:
    entry = only_entry(
        rss(
            "<item><title>A</title><pubDate>sometime soon</pubDate>"
            "<atom:updated>not a date</atom:updated></item>"
        )
    )

    assert (entry.published, entry.updated) == (None, None)


# -- not a feed -----------------------------------------------------------------------------

NOT_FEEDS = {
    "html-page": (
        b"<!DOCTYPE html><html><head><title>Example</title></head>"
        b"<body><h1>Hello</h1><p>An article page, not a feed.</p></body></html>"
    ),
    "empty": b"",
    "garbage": b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x00\x00 not xml at all",
    "json": b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
    "other-xml": b'<?xml version="1.0"?><note><to>Tove</to><body>Hi</body></note>',
}


@pytest.mark.parametrize("content", NOT_FEEDS.values(), ids=NOT_FEEDS.keys())
def test_non_feed_raises_parse_error_with_one_line_message(content: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(content, {"Content-Type": "text/html; charset=utf-8"}, BASE)

    assert info.value.url == BASE
    assert str(info.value).strip()
    assert "\n" not in str(info.value) and "\r" not in str(info.value)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_a_one_line_parse_error(content: bytes) -> None:
    try:
        parse_feed(content, {}, BASE)
    except ParseError as e:
        assert "\n" not in str(e) and "\r" not in str(e)


# -- looks_like_feed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        rss("<item><title>A</title></item>"),
        rss(""),
        atom(
            "<entry><id>urn:example:1</id><title>A</title>"
            "<updated>2025-07-22T08:00:00Z</updated></entry>"
        ),
    ],
    ids=["rss", "empty-rss", "atom"],
)
def test_looks_like_feed_accepts_feeds(document: str) -> None:
    assert looks_like_feed(document.encode(), {"Content-Type": "text/html"}, BASE)


@pytest.mark.parametrize("content", NOT_FEEDS.values(), ids=NOT_FEEDS.keys())
def test_looks_like_feed_refuses_non_feeds(content: bytes) -> None:
    assert not looks_like_feed(content, {"Content-Type": "application/rss+xml"}, BASE)
