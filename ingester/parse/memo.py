"""Entries a poller has parsed before, kept by their bytes, so that a feed that changed
is parsed only where it changed.

Most feeds that answer 200 with new bytes carry the same entries as last time: the
channel's build date moved, or one entry was added and the oldest dropped. feedparser
costs about 0.2 ms an entry and 0.25 ms a document, which made a changed feed cost ten
times an unchanged one. An entry's parse depends only on its own bytes and on what
frames it: the document around the entries (namespaces, ``xml:base``, entity
declarations, the channel's language), the base URL and the charset. So an entry whose
bytes and frame are the ones parsed before parses to the same ``ParsedEntry``, and only
the entries not seen so are given to feedparser, in the document's own frame.

The frame is compared without the text of the feed's own timestamps (``lastBuildDate``,
``updated``, …) and without comments: neither reaches an entry or anything the archive
keeps of the feed (title, link, update interval). Anything else that differs in the frame
makes every entry new. Only documents feedparser read cleanly (well-formed, every entry
found where the tags are) are remembered; the rest are parsed whole every time.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..types import ParsedEntry
from .chunks import entry_spans

# About what the remembered entries take in memory, per process (estimated from their
# text, see _size): thousands of feeds of a few dozen short entries each.
MEMO_BYTES = 32 * 1024 * 1024
MEMO_FRAMES = 50_000

# The headers feedparser reads besides the bytes (parse/feed.py gives it these).
_CONTEXT_HEADERS = ("content-type", "content-location", "content-language")
# A feed's own timestamps, RSS's and Atom's (and Dublin Core's, Atom 0.3's), with their
# text up to the next tag; comments.
_STAMP = re.compile(
    rb"(<(?:[A-Za-z_][\w.-]*:)?"
    rb"(?:lastBuildDate|pubDate|updated|modified|date|issued|created|published)"
    rb"(?:\s[^>]*)?>)[^<]*"
)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_SPACE = frozenset(b" \t\r\n")


@dataclass(frozen=True, slots=True)
class FrameFacts:
    """What the archive keeps of a feed besides its entries."""

    title: str | None
    link: str | None
    update_interval: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    """A document cut into its frame and entries, with what is remembered of each."""

    content: bytes
    spans: tuple[tuple[int, int], ...]  # (start, end) of each entry, in order
    keys: tuple[bytes, ...]  # each entry's key in the memo
    frame_key: bytes
    frame: FrameFacts | None  # None: this frame was not read before
    known: tuple[ParsedEntry | None, ...]  # None: that entry was not read before

    @property
    def missing(self) -> list[int]:
        return [i for i, entry in enumerate(self.known) if entry is None]

    def document(self, entries: Sequence[int]) -> bytes:
        """The document with only these entries (by position) between its head and tail;
        the bytes are sliced here, not copied for every entry when the plan is made."""
        spans, content = self.spans, self.content
        head, tail = content[: spans[0][0]], content[spans[-1][1] :]
        return head + b"\n".join(content[spans[i][0] : spans[i][1]] for i in entries) + tail


class FeedMemo:
    """Parsed entries and frames by the digest of their bytes, the least recently used
    dropped first, within ``max_bytes`` (estimated) and ``max_frames``."""

    def __init__(self, max_bytes: int = MEMO_BYTES, max_frames: int = MEMO_FRAMES) -> None:
        self.max_bytes = max_bytes
        self.max_frames = max_frames
        self._entries: OrderedDict[bytes, tuple[ParsedEntry, int]] = OrderedDict()
        self._frames: OrderedDict[bytes, FrameFacts] = OrderedDict()
        self.size = 0  # estimated bytes held by the remembered entries

    def __len__(self) -> int:
        return len(self._entries)

    def plan(self, content: bytes, headers: Mapping[str, str]) -> Plan | None:
        """The document's frame and entries looked up, or None where it cannot be cut
        into them safely (no entries found, or something between two entries)."""
        spans = entry_spans(content)
        if spans is None:
            return None
        for (_, end), (start, _) in itertools.pairwise(spans):
            if not _SPACE.issuperset(content[end:start]):
                return None
        head, tail = content[: spans[0][0]], content[spans[-1][1] :]
        frame = hashlib.blake2b(digest_size=16)
        for name in _CONTEXT_HEADERS:
            frame.update(headers.get(name, "").encode("utf-8", "surrogatepass") + b"\0")
        frame.update(_STAMP.sub(rb"\1", _COMMENT.sub(b"", head + b"\0" + tail)))
        frame_key = frame.digest()
        view = memoryview(content)  # each entry hashed where it lies, not copied out
        keys = []
        for start, end in spans:
            digest = frame.copy()
            digest.update(view[start:end])
            keys.append(digest.digest())
        return Plan(
            content,
            tuple(spans),
            tuple(keys),
            frame_key,
            self._frame(frame_key),
            tuple(self._entry(key) for key in keys),
        )

    def remember(self, plan: Plan, frame: FrameFacts, entries: Sequence[ParsedEntry]) -> None:
        """Keep what a clean parse of the planned document gave: its frame and every entry
        (``entries`` in the plan's order)."""
        self._frames[plan.frame_key] = frame
        self._frames.move_to_end(plan.frame_key)
        while len(self._frames) > self.max_frames:
            self._frames.popitem(last=False)
        for key, entry in zip(plan.keys, entries, strict=True):
            if key in self._entries:
                self._entries.move_to_end(key)
                continue
            size = _size(entry)
            self._entries[key] = (entry, size)
            self.size += size
        while self.size > self.max_bytes and self._entries:
            _, (_, size) = self._entries.popitem(last=False)
            self.size -= size

    def _frame(self, key: bytes) -> FrameFacts | None:
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
        return frame

    def _entry(self, key: bytes) -> ParsedEntry | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]


def _size(entry: ParsedEntry) -> int:
    """Roughly what the entry takes in memory: its text (a character is a byte or more in
    CPython's strings), its key in the memo, and the objects' own overhead."""
    text = (
        entry.key,
        entry.guid,
        entry.link,
        entry.title,
        entry.author,
        entry.summary,
        entry.content,
        entry.published,
        entry.updated,
    )
    return 400 + sum(len(t) + 49 for t in text if t) + sum(len(c) + 49 for c in entry.categories)
