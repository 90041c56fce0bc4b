"""The outside feed corpora through bench/feed_corpora.py, held to what they measured, and
the harness's mojibake detector. (Charsets and odd entries through ``parse_feed`` are in
tests/parse/.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import feed_corpora as harness

# -- the corpora ---------------------------------------------------------------------------

# Measured with bench/feed_corpora.py (feedparser 6.0.14): ours 1473 pass of 1940 run,
# feedparser by itself 1929, feedparser with sanitize_html=False 1477. Floors only go up.
PINNED_FEEDPARSER_TESTS_PASSES = 1473
# Every feed-rs reading of an XML feed (the three JSON Feed readings are excluded).
PINNED_READINGS = 61
PINNED_TITLES = 157


def corpus(name: str) -> Path:
    folder = harness.corpora_root() / name
    if not folder.is_dir():
        pytest.skip(f"no {name} corpus at {folder} (set INGESTER_CORPORA)")
    return folder


@pytest.fixture(scope="module")
def feedparser_tests() -> Iterator[harness.FeedparserTestsResult]:
    yield harness.run_feedparser_tests(corpus(harness.FEEDPARSER_TESTS))


@pytest.mark.corpus
def test_feedparser_tests_pass_rate_holds(feedparser_tests: harness.FeedparserTestsResult) -> None:
    assert feedparser_tests.ours.counts["pass"] >= PINNED_FEEDPARSER_TESTS_PASSES
    assert feedparser_tests.ours.counts["error"] == 0


@pytest.mark.corpus
def test_feedparser_tests_we_fail_only_for_the_explained_reasons(
    feedparser_tests: harness.FeedparserTestsResult,
) -> None:
    # Where feedparser by itself passes and our path does not, it is its HTML sanitiser
    # (parse.py turns it off) or the base URL our path always has; nothing else.
    assert [c.name for c in feedparser_tests.unexplained()] == []
    explained = len(feedparser_tests.regressions())
    assert (
        feedparser_tests.ours.counts["pass"] >= feedparser_tests.theirs.counts["pass"] - explained
    )


@pytest.mark.corpus
@pytest.mark.parametrize("content_type", harness.REAL_FEED_CONTENT_TYPES)
def test_real_feeds_titles_match_feed_rs_without_mojibake(content_type: str | None) -> None:
    result = harness.run_real_feeds(corpus(harness.REAL_FEEDS), content_type)
    assert result.mismatches == []
    assert result.mojibake == []
    assert result.errors == []
    assert result.with_reading >= PINNED_READINGS
    assert result.titles_compared >= PINNED_TITLES


def test_mojibake_detector() -> None:
    assert harness.mojibake("Euro \u00e2\u201a\u00ac")  # € as UTF-8 read as windows-1252
    assert harness.mojibake("Caf\u00c3\u00a9")  # é as UTF-8 read as Latin-1
    assert harness.mojibake("broken \ufffd")
    assert not harness.mojibake("Café crème, Пример, 테스트, € “quotes”")
