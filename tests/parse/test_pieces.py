"""Large feeds read a piece at a time (ingester/parse/chunks.py): the same ParsedFeed as
one reading of the whole, for every shape of feed, and a bounded feedparser."""

from __future__ import annotations

import pytest

from ingester.parse import feed as feed_module
from ingester.parse import parse_feed
from ingester.parse.chunks import feed_pieces
from ingester.types import ParsedFeed

HEADERS = {"content-type": "application/xml"}
URL = "https://example.com/feed.xml"


def rss_items(n: int) -> str:
    return "".join(
        f"<item><title>Item {i}</title><link>/p/{i}</link><guid>g{i}</guid>"
        f"<description><![CDATA[<p>Text {i}: an <item> tag in CDATA</p>]]></description>"
        f"<!-- <item> in a comment --></item>"
        for i in range(n)
    )


def atom_entries(n: int) -> str:
    return "".join(
        f"<atom:entry><atom:title>Entry {i}</atom:title><atom:id>urn:e:{i}</atom:id>"
        f'<atom:link href="/e/{i}"/><atom:content type="html">&lt;b&gt;{i}&lt;/b&gt;'
        "</atom:content></atom:entry>"
        for i in range(n)
    )


SHAPES = {
    "rss 2.0, CDATA and comments naming <item>, metadata after the items": (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Ünïcode"
        f"</title><link>https://example.com/</link>{rss_items(23)}<ttl>90</ttl></channel></rss>"
    ),
    "atom with a prefix": (
        "<?xml version='1.0'?><atom:feed xmlns:atom='http://www.w3.org/2005/Atom'>"
        f"<atom:title>Prefixed</atom:title>{atom_entries(23)}</atom:feed>"
    ),
    "rss 1.0, items beside the channel": (
        "<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'"
        " xmlns='http://purl.org/rss/1.0/'><channel rdf:about='x'><title>RDF</title>"
        "<link>https://example.com/</link></channel>"
        + "".join(
            f"<item rdf:about='https://example.com/{i}'><title>R {i}</title>"
            f"<link>https://example.com/{i}</link></item>"
            for i in range(23)
        )
        + "</rdf:RDF>"
    ),
    "latin-1 with an entity declared in the head": (
        "<?xml version='1.0' encoding='iso-8859-1'?><!DOCTYPE rss [<!ENTITY co 'Caf\xe9 Co'>]>"
        f"<rss version='2.0'><channel><title>&co;</title>{rss_items(23)}</channel></rss>"
    ),
}


def whole_and_in_pieces(
    document: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[ParsedFeed, ParsedFeed]:
    whole = parse_feed(document, HEADERS, URL)
    monkeypatch.setattr(feed_module, "ENTRIES_PER_PIECE", 5)
    return whole, parse_feed(document, HEADERS, URL)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_feed_read_in_pieces_is_the_feed_read_whole(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = SHAPES[shape]
    encoding = "iso-8859-1" if "iso-8859-1" in text else "utf-8"
    document = text.encode(encoding)
    assert len(list(feed_pieces(document, 5) or [])) == 5  # 23 entries: cut, not read whole

    whole, pieces = whole_and_in_pieces(document, monkeypatch)

    assert len(whole.entries) == 23
    assert pieces == whole


@pytest.mark.parametrize(
    "document",
    [
        "<rss><channel>" + "<item><title>a</title>" * 12 + "</channel></rss>",  # never closed
        "<rss><channel>" + "<item><item>x</item></item>" * 12 + "</channel></rss>",  # nested
        "<rss><channel>" + "<item/>" * 12 + "</channel></rss>",  # empty elements
    ],
)
def test_a_feed_whose_entries_do_not_pair_up_is_read_whole(document: str) -> None:
    assert feed_pieces(document.encode(), 5) is None


def test_a_wide_encoding_is_read_whole() -> None:
    document = "<?xml version='1.0'?><rss><channel>" + rss_items(12) + "</channel></rss>"
    assert feed_pieces(document.encode("utf-16"), 5) is None
    assert len(parse_feed(document.encode("utf-16"), HEADERS, URL).entries) == 12
