"""Fuzzing parse -> extract -> render with random bytes and mutated feeds and pages.

Nothing escapes but the project's own errors (``ParseError``, ``ExtractError``), every call
ends within a time bound (hypothesis' ``deadline``) and no call's traced memory peaks above
a bound for inputs under 100 KB.

``make test`` runs a fixed sequence of examples (``derandomize``), so CI is reproducible;
``make fuzz`` (``INGESTER_FUZZ=explore``) searches fresh random examples, ten times as many.
Whatever it finds becomes a plain regression test beside the code it broke.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingester.errors import ExtractError, ParseError
from ingester.extract import extract_page
from ingester.parse import parse_feed
from ingester.render import compose, render
from ingester.types import ExtractedPage, ParsedFeed
from tests.support.samples import FeedItem, SamplePage, atom, rss, sentences

T = TypeVar("T")

MAX_SECONDS = 2.0  # per call; hypothesis' deadline is the same bound
MAX_PEAK_BYTES = 50 * 1024 * 1024
MAX_INPUT = 100 * 1024
BASE = "http://example.com/feed.xml"

EXPLORE = os.environ.get("INGESTER_FUZZ") == "explore"
FUZZ = settings(
    deadline=int(MAX_SECONDS * 1000),
    database=None,  # no .hypothesis directory in the project tree
    derandomize=not EXPLORE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def examples(count: int) -> int:
    return count * 10 if EXPLORE else count


ITEMS = [
    FeedItem(
        "Ferry service resumes", "http://example.com/a/ferry", summary="<p>Boats &amp; more</p>"
    ),
    FeedItem("Council meets", "http://example.com/a/council", guid="c-1", content="<p>Body</p>"),
]
FEEDS = [
    rss("Harbour News", "http://example.com/", ITEMS, build="Mon, 20 Jul 2025 10:00:00 GMT"),
    atom("Harbour News", "http://example.com/", ITEMS),
]
PAGES = [
    SamplePage("Ferry service resumes", sentences("the ferry"), image_alt="A ferry").html(),
    SamplePage("Council meets", sentences("the council", 2), section=None, author=None).html(),
]

# Fragments that stress XML and HTML parsers, inserted at random places.
XML_SNIPPETS = [
    b"&amp;",
    b"&bogus;",
    b"&#0;",
    b"&#x110000;",
    b"&#xD800;",
    b"&",
    b"<",
    b"]]>",
    b"<![CDATA[",
    b"<![CDATA[x]]>",
    b"<!-- ",
    b'<!ENTITY e "x">',
    b"<!DOCTYPE rss [",
    b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]>',
    b"&a;&a;&a;",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="ebcdic-cp-us"?>',
    b'<?xml version="1.0" encoding="bogus"?>',
    b'<?xml version="1.1" encoding="iso-8859-1"?>',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x00",
    b"\xc3\x28",
    b"\xf0\x9f\x92",
    b"<rss>",
    b"</channel>",
    b'<feed xmlns="http://www.w3.org/2005/Atom">',
    b"<item>",
    b'<link href="javascript:alert(1)"/>',
    b"<pubDate>Mon, 99 Foo 99999 99:99:99</pubDate>",
    b"<ttl>-1</ttl>",
    b"<ttl>99999999999999999999</ttl>",
    b"<sy:updatePeriod>hourly",
]
HTML_SNIPPETS = [
    b"<script>",
    b"</html>",
    b"<table><tr><td>",
    b"<p>" * 50,
    b"</div>" * 20,
    b"<!--",
    b'<meta charset="utf-16">',
    b'<meta charset="bogus">',
    b"<svg><foreignObject>",
    b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": ',
    b'<script type="application/ld+json">[[[[[[[[[[</script>',
    b"<article>",
    b"<h1>",
    b'<figure><img alt="x"><figcaption>',
    b"\x00",
    b"\xff\xfe",
    b"&#x0;",
    b"&nbsp;" * 30,
    b'<link rel="canonical" href="http://[::1">',
    b"<base href='//'>",
    b"<template>",
]


@st.composite
def mutated(draw: st.DrawFn, bases: list[bytes], snippets: list[bytes]) -> bytes:
    """A valid document with byte flips, inserted snippets, cuts and truncation."""
    data = bytearray(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(snippets) | st.binary(max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 2048))]
    return bytes(data[:MAX_INPUT])


def bounded(call: Callable[[], T]) -> T:
    """Run ``call``, asserting its time and its traced memory peak stay within bounds."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        return call()
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert seconds < MAX_SECONDS, f"{seconds:.2f}s"
        assert peak < MAX_PEAK_BYTES, f"{peak / 1e6:.0f} MB peak"


def parse_or_error(content: bytes) -> ParsedFeed | None:
    try:
        parsed = bounded(lambda: parse_feed(content, {}, BASE))
    except ParseError:
        return None
    assert isinstance(parsed, ParsedFeed)
    return parsed


def extract_or_error(content: bytes | str) -> ExtractedPage | None:
    try:
        page = bounded(lambda: extract_page(content, "http://example.com/a/page"))
    except ExtractError:
        return None
    assert isinstance(page, ExtractedPage)
    return page


def render_everything(page: ExtractedPage | None, parsed: ParsedFeed | None) -> None:
    """Whatever came out of extraction and parsing renders, alone and merged."""
    entries = list(parsed.entries) if parsed else []
    for entry in [None, *entries[:3]]:
        text = bounded(lambda: render(compose(page, entry, "World")))  # noqa: B023
        assert text.endswith("\n")


@settings(FUZZ, max_examples=examples(1000))
@given(st.binary(max_size=4096))
def test_parse_feed_on_random_bytes_raises_only_parse_error(content: bytes) -> None:
    render_everything(None, parse_or_error(content))


@settings(FUZZ, max_examples=examples(1000))
@given(mutated([f.encode() for f in FEEDS], XML_SNIPPETS))
def test_parse_feed_on_mutated_feeds_raises_only_parse_error(content: bytes) -> None:
    render_everything(None, parse_or_error(content))


@settings(FUZZ, max_examples=examples(500))
@given(st.binary(max_size=4096))
def test_extract_page_on_random_bytes_raises_only_extract_error(content: bytes) -> None:
    render_everything(extract_or_error(content), None)


@settings(FUZZ, max_examples=examples(400))
@given(
    mutated([p.encode() for p in PAGES], HTML_SNIPPETS),
    mutated([f.encode() for f in FEEDS], XML_SNIPPETS),
)
def test_extract_page_on_mutated_pages_raises_only_extract_error(page: bytes, feed: bytes) -> None:
    render_everything(extract_or_error(page), parse_or_error(feed))


@settings(FUZZ, max_examples=examples(300))
@given(st.text(max_size=2000))
def test_extract_page_on_random_text_raises_only_extract_error(content: str) -> None:
    render_everything(extract_or_error(content), None)
