"""A rendered article as the pipeline hands it to the store, for tests that write versions
straight into an archive."""

from __future__ import annotations

from datetime import UTC, datetime

from ingester.clock import iso
from ingester.render import render, text_hash, word_count
from ingester.types import Article, VersionKind, VersionToStore

T0 = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)


def version_of(
    article: Article,
    fetched_at: datetime = T0,
    kind: VersionKind = "edit",
    extractor: str = "test-extractor",
) -> VersionToStore:
    text = render(article)
    return VersionToStore(
        article=article,
        text=text,
        hash=text_hash(text),
        word_count=word_count(article),
        extractor=extractor,
        fetched_at=iso(fetched_at),
        kind=kind,
    )
