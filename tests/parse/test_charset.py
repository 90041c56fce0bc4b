"""Charsets through ``parse_feed``: the HTTP header, the XML declaration and a BOM, where
the labels and the bytes disagree."""

from __future__ import annotations

import codecs

import pytest

from ingester.types import ParsedFeed
from tests.support.parsing import parse, rss

# -- charsets: header, XML declaration, BOM ------------------------------------------------

# Latin-1 letters and windows-1252's extras. Their UTF-8 avoids the bytes windows-1252
# leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), which would make feedparser fall back
# to UTF-8 by luck (as a right double quote, E2 80 9D, would).
TITLE = "Caf\u00e9 \u2018quoted\u2019 \u20ac 5"
ITEM = f"<item><title>{TITLE}</title><link>https://example.com/1</link></item>"
LEGACY_HEADERS = (
    None,
    "application/rss+xml",
    "text/xml",
    "text/xml; charset=iso-8859-1",
    "application/xml; charset=windows-1252",
    "text/html; charset=ISO-8859-1",
)


def assert_titles(feed: ParsedFeed, title: str = TITLE) -> None:
    assert [feed.title, *(e.title for e in feed.entries)] == ["Example News", title]


@pytest.mark.parametrize("content_type", LEGACY_HEADERS)
@pytest.mark.parametrize("declared", ["windows-1252", "iso-8859-1", None])
def test_utf8_labelled_as_a_legacy_charset_is_read_as_utf8(
    declared: str | None, content_type: str | None
) -> None:
    # Before: feedparser believed the label; € and the curly quotes came out as mojibake.
    assert_titles(parse(rss(ITEM, declared).encode("utf-8"), content_type))


@pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/xml"])
def test_windows_1252_declared_in_the_prolog_is_read_as_windows_1252(
    content_type: str | None,
) -> None:
    assert_titles(parse(rss(ITEM, "windows-1252").encode("cp1252"), content_type))


@pytest.mark.parametrize("content_type", [*LEGACY_HEADERS, "application/xml; charset=utf-8"])
def test_undeclared_latin1_is_read_as_latin1(content_type: str | None) -> None:
    title = "Café crème, señor"
    item = f"<item><title>{title}</title><link>https://example.com/1</link></item>"
    assert_titles(parse(rss(item).encode("latin-1"), content_type), title)


def test_header_charset_wins_over_the_declaration_for_legacy_bytes() -> None:
    # KOI8-R bytes, declared ISO-8859-1 (wrong), served as KOI8-R (right).
    title = "Пример ленты"
    document = rss(f"<item><title>{title}</title></item>", "iso-8859-1").encode("koi8-r")
    assert_titles(parse(document, "application/rss+xml; charset=koi8-r"), title)


@pytest.mark.parametrize(
    "content_type", [None, "text/xml", "application/xml; charset=windows-1252"]
)
def test_utf8_bom_wins_over_the_header_and_the_declaration(content_type: str | None) -> None:
    document = codecs.BOM_UTF8 + rss(ITEM, "iso-8859-1").encode("utf-8")
    assert_titles(parse(document, content_type))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize(
    "content_type", [None, "application/xml; charset=iso-8859-1", "text/xml; charset=utf-8"]
)
def test_utf16_and_utf32_are_read_whatever_the_header_says(
    codec: str, bom: bool, content_type: str | None
) -> None:
    # Before: a UTF-16 feed served with a legacy charset in its header did not parse.
    document = rss(ITEM, codec.rsplit("-", 1)[0]).encode(codec)
    if bom:
        document = "\ufeff".encode(codec) + document
    assert_titles(parse(document, content_type))


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
@pytest.mark.parametrize("content_type", [None, "application/rss+xml"])
def test_a_bom_is_read_when_the_declaration_names_no_encoding(
    codec: str, content_type: str | None
) -> None:
    # Before: with no Content-Type at all, such a UTF-16 feed did not parse.
    document = ('<?xml version="1.0"?>' + rss(ITEM)).encode(codec)  # codec writes the BOM
    assert_titles(parse(document, content_type))


@pytest.mark.parametrize("content_type", [None, "text/xml; charset=windows-1252"])
def test_ascii_feed_with_character_references_is_untouched(content_type: str | None) -> None:
    item = "<item><title>Caf&#233; &#8364;</title></item>"
    assert_titles(parse(rss(item, "windows-1252").encode("ascii"), content_type), "Café €")


def test_undecodable_bytes_never_raise() -> None:
    document = rss("<item><title>broken \xff\xfe\x80 bytes</title></item>", "utf-8")
    feed = parse(document.encode("latin-1"), "application/rss+xml")
    assert feed.entries[0].title is not None
