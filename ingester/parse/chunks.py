"""A large feed cut into feeds of a few thousand entries each, so that feedparser, which
holds a dictionary of a few kilobytes for every entry it reads, never holds them all.

Each piece is the document's own head (everything before its first entry: the XML
declaration, the root with its namespaces, the channel's or feed's metadata), a run of
whole entries and the document's own tail. Entries are found by their start tags
(``<item``, ``<entry``, with or without a namespace prefix), outside comments and CDATA
sections; a document in which they cannot be found that way (UTF-16 or UTF-32, no entry
tags, an entry tag that never closes) is not cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .charset import sniffed_encoding

# Start and end tags of an entry: RSS's <item>, Atom's <entry>, prefixed or not.
_ENTRY_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(item|entry)(?=[\s>/])")
_OPAQUE = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)


def feed_pieces(content: bytes, entries_per_piece: int) -> Iterator[bytes] | None:
    """The document as pieces of at most ``entries_per_piece`` entries, or None where it
    has no more entries than that or cannot be cut safely."""
    spans = entry_spans(content)
    if spans is None or len(spans) <= entries_per_piece:
        return None
    head, tail = content[: spans[0][0]], content[spans[-1][1] :]
    return (
        head + content[group[0][0] : group[-1][1]] + tail
        for group in (
            spans[i : i + entries_per_piece] for i in range(0, len(spans), entries_per_piece)
        )
    )


def entry_spans(content: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of each top-level entry element, in order; None when the document has
    none, is in a wide encoding (the tags are not these bytes), or its tags do not pair up
    (an entry inside an entry, an end tag with no start)."""
    if sniffed_encoding(content) not in (None, "utf-8"):
        return None
    opaque = [m.span() for m in _OPAQUE.finditer(content)]
    spans: list[tuple[int, int]] = []
    start: int | None = None
    hidden = iter(opaque)
    block = next(hidden, None)
    for match in _ENTRY_TAG.finditer(content):
        while block is not None and block[1] <= match.start():
            block = next(hidden, None)
        if block is not None and block[0] <= match.start():
            continue  # inside a comment or a CDATA section
        closing = bool(match.group(1))
        if not closing and start is None:
            start = match.start()
        elif closing and start is not None:
            end = content.find(b">", match.end())
            if end < 0:
                return None
            spans.append((start, end + 1))
            start = None
        else:
            return None
    return spans if spans and start is None else None
