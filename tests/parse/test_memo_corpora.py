"""The memo against whole parses over every feed of the corpora (real feeds, feedparser's
own test feeds, the hostile XML): for each document, read whole, read through a memo that
saw it before, that saw it with its first entry missing (one entry new since) and with its
channel's text changed; every reading must be the whole parse's, field for field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from bench import feed_corpora as harness
from ingester.errors import ParseError
from ingester.parse import FeedMemo, parse_feed
from ingester.parse.chunks import entry_spans
from ingester.types import ParsedFeed

BASE = "http://127.0.0.1/feed.xml"
# Of the documents, how many the memo could cut into entries and keep (measured: 1,188 of
# 2,035 with feedparser 6.0.14); the rest are parsed whole each time, which is also checked.
KEPT_AT_LEAST = 1_100


def documents() -> Iterator[tuple[str, bytes, Mapping[str, str]]]:
    root = harness.corpora_root()
    if not root.is_dir():
        pytest.skip(f"no corpora at {root} (set INGESTER_CORPORA)")
    for feed in harness.load_real_feeds(root / harness.REAL_FEEDS):
        yield feed.name, feed.path.read_bytes(), {"Content-Type": "application/xml"}
    for case in harness.load_cases(root / harness.FEEDPARSER_TESTS):
        yield case.name, case.path.read_bytes(), harness.served(case)
    for path in sorted((root / "malicious-input").rglob("*.xml")):
        yield path.name, path.read_bytes(), {"Content-Type": "application/xml"}


def reading(content: bytes, headers: Mapping[str, str], memo: FeedMemo | None) -> object:
    try:
        return parse_feed(content, headers, BASE, memo)
    except ParseError as e:
        return e.message


def without_first_entry(content: bytes) -> bytes | None:
    spans = entry_spans(content)
    if spans is None or len(spans) < 2:
        return None
    return content[: spans[0][0]] + content[spans[1][0] :]


@pytest.mark.corpus
def test_every_reading_through_the_memo_is_the_whole_parse() -> None:
    differing: list[str] = []
    kept = total = 0
    for name, content, headers in documents():
        total += 1
        expected = reading(content, headers, None)
        seen = FeedMemo()
        readings = {"first": reading(content, headers, seen)}
        kept += len(seen) > 0
        readings["again"] = reading(content, headers, seen)
        older = without_first_entry(content)
        if older is not None:
            grown = FeedMemo()
            reading(older, headers, grown)
            readings["one entry new"] = reading(content, headers, grown)
        if isinstance(expected, ParsedFeed) and expected.title:
            renamed = FeedMemo()
            reading(content.replace(expected.title.encode(), b"Renamed", 1), headers, renamed)
            readings["channel renamed"] = reading(content, headers, renamed)
        differing += [f"{name}: {how}" for how, got in readings.items() if got != expected]
    assert total > 2_000
    assert differing == []
    assert kept >= KEPT_AT_LEAST


def test_documents_skip_without_corpora(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "corpora_root", lambda: tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception):
        next(documents())
