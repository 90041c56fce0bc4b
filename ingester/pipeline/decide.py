"""The pipeline's rules, apart from the calls that do I/O: which link an entry is archived
under and which pages several stories share, which entries are fresh, what the server's
hints add up to, whether a page can be read, what a new version is, and when an article
needs re-extracting or re-checking.

Each is a pure function of what the pipeline has in hand, so each is tested without a
store, a server or a clock.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from ..extract import EXTRACTOR
from ..render import compose, render, text_hash, word_count
from ..schedule import next_check_at
from ..store.identity import entry_link as entry_link  # the rule lives with identity
from ..store.identity import several_stories
from ..types import (
    ArticleForUpdate,
    ArticleOutcome,
    ArticleUrls,
    ExtractedPage,
    FeedForUpdate,
    ParsedEntry,
    PollStatus,
    VersionKind,
    VersionToStore,
)
from ..urls import canonicalize, is_web_url, same_site

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")


# -- feeds ----------------------------------------------------------------------------------


def failed_poll_status(http_status: int | None) -> PollStatus:
    """A 410 says the feed is gone for good (polling stops); any other failure is an error."""
    return "gone" if http_status == 410 else "error"


def kept_interval(cache_hint: int | None, feed: FeedForUpdate) -> int | None:
    """The server's interval for a feed not parsed this time (a 304, the same bytes): its
    headers' hint, or the feed's own ttl/sy hint from the last parse, whichever is longer."""
    return max(cache_hint or 0, feed.server_interval or 0) or None


def parsed_interval(cache_hint: int | None, update_interval: int | None) -> int | None:
    """The server's interval for a parsed feed: the longer of its headers' hint and what
    the feed itself says (RSS ttl, sy:updatePeriod)."""
    hints = [h for h in (cache_hint, update_interval) if h is not None]
    return max(hints) if hints else None


def distinct_entries(entries: Iterable[ParsedEntry]) -> list[ParsedEntry]:
    """One key per entry of a feed. A repeat of an entry is dropped; an entry whose key a
    different entry of the same feed already has (two episodes sharing a guid) is keyed
    apart by its own text, so both are archived and neither takes the other's row (or is
    fetched again at every poll for differing from what the other left there)."""
    firsts: dict[str, str] = {}  # key -> the JSON of the first entry that had it
    distinct = []
    for entry in entries:
        text = entry.to_json()
        if entry.key in firsts:
            if firsts[entry.key] == text:
                continue
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            entry = replace(entry, key=f"{entry.key}#{digest}")
            if entry.key in firsts:
                continue
            text = entry.to_json()
        firsts[entry.key] = text
        distinct.append(entry)
    return distinct


def fresh_entries(entries: Iterable[ParsedEntry], known: Mapping[str, str]) -> list[ParsedEntry]:
    """The entries not stored as they are now (``known``: key -> stored entry JSON).

    Entries already stored as they are were archived before; catching later edits to
    their pages is the re-check schedule's work, not every feed change's.
    """
    return [entry for entry in entries if known.get(entry.key) != entry.to_json()]


def this_poll(
    fresh: Sequence[ParsedEntry], cap: int, rng: random.Random
) -> tuple[list[ParsedEntry], int]:
    """The fresh entries one poll takes (at most ``cap``, in feed order) and how many are
    left for the next. Over the cap the entries are drawn at random: entries whose pages
    keep failing stay fresh, and taking them first would starve the rest."""
    if len(fresh) <= cap:
        return list(fresh), 0
    chosen = sorted(rng.sample(range(len(fresh)), cap))
    return [fresh[i] for i in chosen], len(fresh) - cap


MAX_PAGE_ERRORS = 20  # kept whole per poll; the rest are counted


def page_errors(outcomes: Iterable[ArticleOutcome]) -> tuple[tuple[str, ...], int]:
    """The failed pages' errors, "URL: error", the first ``MAX_PAGE_ERRORS`` of them whole,
    and how many more there were."""
    errors = [f"{o.url}: {o.error}" for o in outcomes if o.error]
    return tuple(errors[:MAX_PAGE_ERRORS]), max(0, len(errors) - MAX_PAGE_ERRORS)


def poll_log_level(status: PollStatus) -> int:
    """Thousands of polls a tick find nothing new: those are told by the tick's own line,
    and one by one only at DEBUG (--verbose)."""
    return logging.DEBUG if status in ("not_modified", "unchanged") else logging.INFO


# -- articles -------------------------------------------------------------------------------


def shared_pages(entries: Iterable[ParsedEntry]) -> dict[str, list[ParsedEntry]]:
    """The pages that several distinct stories of a feed link (a day page of posts, a
    podcast's home page), by canonical URL, with those entries: none of them is that page's
    article (store/identity.py)."""
    groups: dict[str, list[ParsedEntry]] = {}
    for entry in entries:
        if (link := entry_link(entry)) is not None:
            groups.setdefault(canonicalize(link), []).append(entry)
    return {page: group for page, group in groups.items() if several_stories(group)}


def non_html_type(headers: Mapping[str, str]) -> str | None:
    """The page's media type when it is not one extraction reads, else None."""
    content_type = headers.get("content-type", "text/html").split(";")[0].strip()
    if content_type and not content_type.lower().startswith(HTML_TYPES):
        return content_type
    return None


def article_urls(url: str, final_url: str, extracted: ExtractedPage) -> ArticleUrls:
    """The forms a fetched article is known by; a canonical link counts only on the same
    site as the page, so a page cannot claim another site's article."""
    canonical = extracted.canonical_url
    if canonical and same_site(canonical, final_url):
        return ArticleUrls(linked=url, final=final_url, canonical=canonical)
    return ArticleUrls(linked=url, final=final_url)


def new_version(
    known: ArticleForUpdate | None,
    entry: ParsedEntry | None,
    feed_section: str | None,
    extracted: ExtractedPage | None,
    page_sha256: str | None,
    fetched_at: str,
    kind: VersionKind = "edit",
) -> VersionToStore | None:
    """The rendering to offer the archive, or None when there is nothing to archive.

    A feed's text stands in for a page that yields nothing, but never supersedes what the
    page itself showed. Whether the rendering is new is the store's to tell (by its hash).
    """
    if extracted is None and entry is None:
        return None
    article = compose(extracted, entry, feed_section)
    if not (article.body or article.title):
        return None
    if article.source == "feed" and known is not None and known.latest_source == "page":
        return None
    text = render(article)
    from_page = article.source == "page"
    return VersionToStore(
        article=article,
        text=text,
        hash=text_hash(text),
        word_count=word_count(article),
        extractor=EXTRACTOR if from_page else "feed",
        fetched_at=fetched_at,
        kind=kind,
        raw_sha256=page_sha256 if from_page else None,
    )


def needs_reextraction(known: ArticleForUpdate | None) -> bool:
    """A stored page last read by another extractor than today's: read it again before a
    changed page is compared with the archive, so an upgrade is not taken for an edit."""
    if known is None or known.page_sha256 is None:
        return False
    return known.latest_extractor not in (None, "feed", EXTRACTOR)


def recheck_at(
    urls: ArticleUrls,
    first_seen: datetime,
    now: datetime,
    schedule: tuple[tuple[int, int], ...],
) -> datetime | None:
    """When to look at an article again. An entry with no page has nothing to look at, and
    one post of a page holding several is its feed's text: the page is not its to follow."""
    if urls.anchored or not is_web_url(urls.key):
        return None
    return next_check_at(first_seen, now, schedule)
