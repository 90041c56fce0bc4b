"""Frozen dataclasses that travel between the stages, named by where they travel."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# ok: parsed; not_modified: a 304; unchanged: a 200 with the same bytes as last time;
# gone: a 410, polling stops; error: anything else that failed.
PollStatus = Literal["ok", "not_modified", "unchanged", "gone", "error"]
BodySource = Literal["page", "feed"]
VersionKind = Literal["first", "edit", "reextraction"]


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One ``[[feeds]]`` table of the config file."""

    url: str
    name: str | None = None
    section: str | None = None
    interval: int | None = None  # seconds; None means the settings' default
    title: str | None = None  # for people (OPML's title); the name is for commands and logs
    site_url: str | None = None  # the site's home page (OPML's htmlUrl)


@dataclass(frozen=True, slots=True)
class FeedForUpdate:
    """A feed as the store hands it to the pipeline for a poll."""

    id: int
    url: str  # where to poll it: the configured URL, or where permanent redirects moved it
    name: str | None
    section: str | None
    interval: int
    etag: str | None
    last_modified: str | None
    consecutive_failures: int = 0
    content_sha256: str | None = None  # of the last body, to skip parsing the same again
    server_interval: int | None = None  # what the server last asked for, seconds
    capture: CaptureRef | None = None  # the last response captured, which a revisit cites

    @property
    def label(self) -> str:
        return self.name or self.url


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """A WARC response record: what it is (id, URL, date, payload digest) and where it
    is (file, byte range). Travels from the fetcher to the store and back."""

    record_id: str
    url: str
    date: str  # WARC-Date
    payload_digest: str
    path: str  # the file, by its closed name
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP response, fully read (within the size cap)."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes
    # Where a chain of permanent redirects (301, 308) from ``url`` led, if it did.
    moved_to: str | None = None
    # The WARC response holding this payload (a new one, or the earlier one a revisit
    # points at); None when nothing is captured.
    capture: CaptureRef | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed entry, as the feed describes it."""

    key: str  # guid, else link, else a hash of title and content
    guid: str | None
    link: str | None
    title: str | None
    author: str | None
    summary: str | None
    content: str | None  # full content (content:encoded, Atom content), as HTML
    categories: tuple[str, ...] = ()
    published: str | None = None  # ISO 8601, UTC
    updated: str | None = None

    def to_json(self) -> str:
        """The entry as the archive keeps it (``feed_entries.entry``); equal entries give
        equal text, which is how a poll tells an entry that changed."""
        # The fields read directly: dataclasses.asdict deep-copies every value first.
        fields = {name: getattr(self, name) for name in _ENTRY_FIELDS}
        return json.dumps(fields, ensure_ascii=False, sort_keys=True)

    def same_story(self, other: ParsedEntry) -> bool:
        """Both entries say the same: title and text. A guid alone does not make a story
        (CMSs rewrite guids when they move), nor does a link (a podcast's episodes all
        link the show's home page)."""
        return (self.title, self.summary, self.content) == (
            other.title,
            other.summary,
            other.content,
        )

    @classmethod
    def from_json(cls, text: str) -> ParsedEntry:
        data: dict[str, Any] = json.loads(text)
        data["categories"] = tuple(data.get("categories") or ())
        return cls(**data)


_ENTRY_FIELDS = tuple(field.name for field in dataclasses.fields(ParsedEntry))


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: tuple[ParsedEntry, ...]
    # How often the feed says it changes (RSS ttl, sy:updatePeriod/Frequency), seconds.
    update_interval: int | None = None


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What the page itself says about its article; None where it says nothing."""

    canonical_url: str | None = None
    section: str | None = None
    title: str | None = None
    author: str | None = None
    author_role: str | None = None
    author_bio: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    has_image: bool = False
    body: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """The fields of the article layout, merged from page and feed."""

    title: str | None
    body: tuple[str, ...]
    section: str | None = None
    author: str | None = None
    author_role: str | None = None
    author_bio: str | None = None
    has_image: bool = False
    image_alt: str | None = None
    image_caption: str | None = None
    published: str | None = None
    modified: str | None = None
    source: BodySource = "page"


@dataclass(frozen=True, slots=True)
class VersionToStore:
    """A rendered article on its way into the archive."""

    article: Article
    text: str
    hash: str
    word_count: int
    extractor: str
    fetched_at: str
    # "edit" for what a page shows; "reextraction" when a newer extractor re-reads a stored
    # page (the publisher changed nothing). The first version of an article is "first".
    kind: VersionKind = "edit"
    raw_sha256: str | None = None  # the stored page it was extracted from
    capture: CaptureRef | None = None  # the WARC response of that page


@dataclass(frozen=True, slots=True)
class ArticleUrls:
    """The forms an article was seen under; any of them finds it again."""

    linked: str
    final: str | None = None
    canonical: str | None = None
    # ``linked`` is one post among several on one page: its fragment is part of its key.
    anchored: bool = False

    @property
    def key(self) -> str:
        return self.canonical or self.final or self.linked

    def all(self) -> tuple[tuple[str, str], ...]:
        forms = [("linked", self.linked), ("final", self.final), ("canonical", self.canonical)]
        return tuple((kind, url) for kind, url in forms if url)


@dataclass(frozen=True, slots=True)
class ArticleForUpdate:
    """What the pipeline needs to know about an archived article before re-fetching it."""

    id: int
    url: str
    page_etag: str | None
    page_last_modified: str | None
    page_sha256: str | None
    latest_sha256: str | None  # of the version shown at the last look
    latest_source: str | None
    latest_extractor: str | None
    first_seen_at: str
    capture: CaptureRef | None = None  # the page's last captured response


@dataclass(frozen=True, slots=True)
class PageToStore:
    """A fetched page's bytes and validators."""

    content: bytes
    sha256: str
    etag: str | None
    last_modified: str | None
    # The WARC response it came in: the page's bytes are kept there, not in raw_pages.
    capture: CaptureRef | None = None


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One finished poll, waiting to be written with others."""

    feed: FeedForUpdate
    result: PollResult
    started_at: datetime
    next_poll_at: datetime | None
    updates: dict[str, str | None]  # etag, last_modified, title, moved_to, content_sha256
    capture: CaptureRef | None = None  # the feed's response, when it was captured


@dataclass(frozen=True, slots=True)
class DueArticle:
    """An article whose page is due to be looked at again."""

    article_id: int
    url: str
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPage:
    """An article's last fetched page, as re-extraction needs it."""

    article_id: int
    url: str
    page_sha256: str
    capture: CaptureRef | None = None  # where its bytes are; else in raw_pages


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    new_article: bool
    new_version: bool
    article_id: int
    revisit: bool = False  # the article went back to a rendering it had shown before


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one feed did; a value, never an exception."""

    feed: str
    status: PollStatus
    http_status: int | None = None
    new_articles: int = 0
    new_versions: int = 0
    error: str | None = None
    # The first few pages' errors whole (decide.MAX_PAGE_ERRORS), the rest only counted: a
    # feed of 50,000 broken links must not write megabytes into its poll's row.
    page_errors: tuple[str, ...] = field(default=())
    more_page_errors: int = 0
    more_entries: int = 0  # new entries left for the next poll (max_entries_per_poll)
    duration_ms: int = 0
    server_interval: int | None = None  # the least interval the server asked for, seconds
    retry_after: int | None = None  # seconds, from a 429 or 503

    @property
    def page_error_count(self) -> int:
        return len(self.page_errors) + self.more_page_errors


# -- what the pipeline hands back ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleOutcome:
    url: str
    new_article: bool = False
    new_version: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What archiving a URL would store, computed without writing anything."""

    text: str | None  # the article layout, or None when the page yields no article
    stored: str | None  # the article's current version, if archived
    stored_number: int | None = None
    entries: tuple[tuple[str, str, bool], ...] = ()  # a feed's (title, link, archived?)


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What a one-off ``fetch URL`` turned out to be and did."""

    kind: str  # "feed" or "article"
    poll: PollResult | None = None
    article: ArticleOutcome | None = None
    preview: Preview | None = None
    advertised: tuple[str, ...] = ()  # feeds an HTML page links to
    feed_title: str | None = None  # a feed's own title, as it names itself
