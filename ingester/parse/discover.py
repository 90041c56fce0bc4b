"""Feeds a web page advertises with ``<link rel="alternate" type="application/rss+xml">``."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
}


def advertised_feeds(content: bytes, base_url: str) -> list[str]:
    """The feed URLs in the page's head, absolute, in page order, without duplicates."""
    try:
        tree = lxml_html.document_fromstring(content)
    except (etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            url = urljoin(base_url, href)
            if url not in found:
                found.append(url)
    return found
