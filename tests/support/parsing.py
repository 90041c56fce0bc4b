"""A bare RSS document, and ``parse_feed`` given only a Content-Type, for the tests of how
feeds are read (tests/parse/test_charset.py, tests/parse/test_odd_entries.py)."""

from __future__ import annotations

from ingester.parse import parse_feed
from ingester.types import ParsedFeed

BASE = "https://example.com/feeds/main.xml"


def rss(items: str, encoding: str | None = None, title: str = "Example News") -> str:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    return (
        f'{declaration}<rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>"
    )


def parse(content: bytes, content_type: str | None = None) -> ParsedFeed:
    return parse_feed(content, {"Content-Type": content_type} if content_type else {}, BASE)
