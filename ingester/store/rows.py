"""What the store's read queries hand out: rows as dicts (they go out as ``--json`` and to
Datasette as they are), typed by what they hold."""

from __future__ import annotations

from typing import TypedDict


class VersionSummary(TypedDict):
    """One line of an article's history."""

    number: int
    fetched_at: str
    sha256: str
    word_count: int
    source: str
    kind: str
    changed_fields: list[str]
    current: bool


class VersionText(TypedDict):
    number: int
    fetched_at: str
    sha256: str
    kind: str
    text: str


class SearchHit(TypedDict):
    url: str
    title: str | None
    number: int
    fetched_at: str
    snippet: str


class ExportedVersion(TypedDict):
    """A version with every stored field, as ``export`` writes it."""

    url: str
    number: int
    fetched_at: str
    sha256: str
    kind: str
    source: str
    extractor: str
    changed_fields: list[str]
    section: str | None
    title: str | None
    author: str | None
    author_role: str | None
    author_bio: str | None
    image_alt: str | None
    image_caption: str | None
    body: str
    published_at: str | None
    modified_at: str | None
    word_count: int
    text: str
    current: bool


class DaemonRow(TypedDict):
    pid: int
    started_at: str
    heartbeat_at: str
    tick: int
    stopped_at: str | None


class FeedHealth(TypedDict):
    name: str | None
    url: str
    poll_url: str | None
    active: int
    last_status: str | None
    last_http_status: int | None
    consecutive_failures: int
    last_error: str | None
    last_success_at: str | None
    last_polled_at: str | None
    next_poll_at: str | None
    gone_at: str | None
