"""OPML 1.0/2.0 subscription lists in and out.

Nested outlines are categories: a feed's nearest enclosing category becomes its section.
An OPML file is a stranger's XML: one with a DOCTYPE (and so entities or external DTDs)
is refused before anything in it is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from lxml import etree

from ..errors import ConfigError
from ..types import FeedSpec

MAX_OPML_BYTES = 5 * 1024 * 1024


def parse_opml(content: bytes, source: str) -> list[FeedSpec]:
    if len(content) > MAX_OPML_BYTES:
        raise ConfigError(f"{source}: OPML larger than {MAX_OPML_BYTES} bytes")
    refused = ConfigError(f"{source}: refused: OPML with a DOCTYPE or entities")
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise refused
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as e:
        raise ConfigError(f"{source}: not valid XML: {e}") from None
    if getattr(root.getroottree().docinfo, "doctype", ""):  # however it was encoded
        raise refused
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(f"{source}: not an OPML file (no <opml><body>)")
    feeds: list[FeedSpec] = []
    _walk(body, None, feeds)
    return feeds


def _walk(parent: etree._Element, section: str | None, feeds: list[FeedSpec]) -> None:
    for outline in parent.iterfind("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        if url:
            # The title is for people; the config names the feed from it (feedlist.py).
            site = (outline.get("htmlUrl") or outline.get("htmlurl") or "").strip() or None
            title = title if title != url else None  # a list that had no title wrote the URL
            feeds.append(FeedSpec(url=url, section=section, title=title, site_url=site))
        else:  # a category: its outlines are filed under it
            _walk(outline, title or section, feeds)


def render_opml(feeds: Iterable[FeedSpec], title: str = "ingester feeds") -> str:
    """OPML 2.0, feeds grouped in one outline per section."""
    by_section: dict[str | None, list[FeedSpec]] = {}
    for feed in feeds:
        by_section.setdefault(feed.section, []).append(feed)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_text(title)}</title></head>",
        "  <body>",
    ]
    for section, members in by_section.items():
        indent = "    "
        if section is not None:
            lines.append(f"    <outline text={quoteattr(section)}>")
            indent = "      "
        for feed in members:
            label = quoteattr(feed.title or feed.name or feed.url)
            site = f" htmlUrl={quoteattr(feed.site_url)}" if feed.site_url else ""
            lines.append(
                f'{indent}<outline type="rss" text={label} title={label}'
                f" xmlUrl={quoteattr(feed.url)}{site}/>"
            )
        if section is not None:
            lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return quoteattr(value)[1:-1]
