"""The pipeline's calls for feeds: fetch -> parse -> each fresh entry's article
(``articles.py``) -> the poll's record, and the one-off ``fetch URL``. The rules they
follow are in ``decide.py``.

A poll returns a ``PollResult`` for each feed instead of raising through the batch. Only
an archive that cannot be written (``StoreError``) stops a poll run; anything else that
goes wrong with one feed, a bug included, is that feed's error and is logged with its
traceback, so one feed never costs the others their poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from datetime import datetime

from ..clock import Clock, iso, utcnow
from ..config import Settings
from ..errors import ExtractError, FetchError, NotFound, ParseError, StoreError
from ..fetch import Fetcher
from ..fetch.headers import cache_interval
from ..parse import FeedMemo, advertised_feeds, parse_feed
from ..schedule import interleave_hosts, next_poll_at
from ..store import Store
from ..store.identity import several_stories, stories_apart
from ..types import (
    ArticleOutcome,
    ArticleUrls,
    CaptureRef,
    FeedForUpdate,
    FetchOutcome,
    FetchResult,
    ParsedEntry,
    PollRecord,
    PollResult,
    Preview,
)
from ..urls import canonicalize
from . import decide
from .articles import ArticleWork

log = logging.getLogger("ingester")

POLL_BATCH = 200  # finished polls written per transaction


class Pipeline(ArticleWork):
    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        *,
        executor: Executor | None = None,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.executor = executor  # extraction is CPU work: a process pool keeps the loop free
        self.clock = clock
        self.rng = rng or random.Random()  # jitter; tests pass a seeded one
        self._polls: list[PollRecord] = []  # finished polls not yet written (see flush)
        # Entries parsed before, by their bytes: a changed feed is parsed where it changed.
        self.feed_memo = FeedMemo()

    # -- feeds ----------------------------------------------------------------------------

    async def poll(
        self,
        feeds: Sequence[FeedForUpdate],
        on_result: Callable[[int, PollResult], None] | None = None,
    ) -> list[PollResult]:
        """Poll each feed once, a bounded number at a time; one result per feed, in order.

        ``on_result`` hears of each feed as it finishes: its position and its result.
        """
        results: dict[int, PollResult] = {}
        order = iter(interleave_hosts([feed.url for feed in feeds]))

        # ``concurrency`` runners take the next feed as they finish one: thousands of
        # feeds never become thousands of tasks queued on a semaphore.
        async def runner() -> None:
            for position in order:
                result = results[position] = await self.poll_feed(feeds[position])
                if on_result is not None:
                    on_result(position, result)

        runners = min(self.settings.concurrency, len(feeds))
        try:
            await asyncio.gather(*(runner() for _ in range(runners)))
        finally:
            self.flush()
        return [results[i] for i in range(len(feeds))]

    def flush(self) -> None:
        """Write the finished polls' records (also when the poll was cancelled: what is
        done is recorded; a poll cut short leaves its feed due)."""
        records, self._polls = self._polls, []
        self.store.record_polls(records, keep_polls=self.settings.keep_polls)

    async def poll_feed(self, feed: FeedForUpdate) -> PollResult:
        started, clock = self.clock(), time.monotonic()
        try:
            return await self._poll_feed(feed, started, clock)
        except StoreError:
            raise
        except Exception as e:
            log.exception("poll feed=%s failed unexpectedly", feed.label)
            result = PollResult(
                feed.label, "error", error=f"internal error: {type(e).__name__}: {e}"
            )
            return self._finish(feed, result, started, clock)

    async def _poll_feed(self, feed: FeedForUpdate, started: datetime, clock: float) -> PollResult:
        try:
            fetched = await self.fetcher.get_feed(
                feed.url, feed.etag, feed.last_modified, previous=feed.capture
            )
        except FetchError as e:
            status = decide.failed_poll_status(e.status)
            result = PollResult(
                feed.label, status, e.status, error=e.message, retry_after=e.retry_after
            )
            return self._finish(feed, result, started, clock)
        return await self.ingest_feed(feed, fetched, started, clock)

    async def ingest_feed(
        self, feed: FeedForUpdate, fetched: FetchResult, started: datetime, clock: float
    ) -> PollResult:
        """Everything after the feed's bytes are in hand (shared by polls and one-off fetches)."""
        updates = {
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "moved_to": fetched.moved_to,
        }
        if fetched.moved_to and fetched.moved_to != feed.url:
            log.info("feed moved feed=%s from=%s to=%s", feed.label, feed.url, fetched.moved_to)
        hint = cache_interval(fetched.headers, self.clock())
        # Unparsed (304, same bytes), the feed's own ttl/sy hints still hold from last time.
        kept = decide.kept_interval(hint, feed)
        if fetched.not_modified:
            result = PollResult(feed.label, "not_modified", 304, server_interval=kept)
            return self._finish(feed, result, started, clock, fetched.capture, **updates)
        digest = hashlib.sha256(fetched.content).hexdigest()
        if digest == feed.content_sha256:
            # The same bytes as last time: nothing to parse, nothing new.
            result = PollResult(feed.label, "unchanged", fetched.status, server_interval=kept)
            return self._finish(feed, result, started, clock, fetched.capture, **updates)
        try:
            parsed = parse_feed(fetched.content, fetched.headers, fetched.final_url, self.feed_memo)
        except ParseError as e:
            result = PollResult(feed.label, "error", fetched.status, error=e.message)
            return self._finish(feed, result, started, clock, fetched.capture)
        gate = asyncio.Semaphore(self.settings.page_concurrency)

        entries = decide.distinct_entries(parsed.entries)
        fresh = decide.fresh_entries(entries, self.store.known_entries(feed.id))
        fresh, left = decide.this_poll(fresh, self.settings.max_entries_per_poll, self.rng)
        apart = self._stories_apart(feed, entries, fresh)

        async def one(entry: ParsedEntry) -> ArticleOutcome:
            async with gate:
                return await self.archive_entry(feed, entry, apart.get(entry.key))

        outcomes = await asyncio.gather(*(one(entry) for entry in fresh))
        kept_errors, more_errors = decide.page_errors(outcomes)
        result = PollResult(
            feed.label,
            "ok",
            http_status=fetched.status,
            new_articles=sum(o.new_article for o in outcomes),
            new_versions=sum(o.new_version for o in outcomes),
            page_errors=kept_errors,
            more_page_errors=more_errors,
            more_entries=left,
            server_interval=decide.parsed_interval(hint, parsed.update_interval),
        )
        if left:
            # The same bytes (or a 304) next time must still be read for the rest: the
            # validators are cleared ("" is stored as no validator; None keeps the old).
            digest, updates = "", {**updates, "etag": "", "last_modified": ""}
        return self._finish(
            feed,
            result,
            started,
            clock,
            fetched.capture,
            title=parsed.title,
            content_sha256=digest,
            **updates,
        )

    def _stories_apart(
        self, feed: FeedForUpdate, entries: Sequence[ParsedEntry], fresh: Sequence[ParsedEntry]
    ) -> dict[str, ArticleUrls]:
        """The article of each entry archived apart from the page it links, by entry key:
        where other stories of this feed, in this poll or archived before, link that page
        too (store/identity.py). Entries archived before as that page's article are given
        their own articles first."""
        shared = decide.shared_pages(entries)
        # The entries of this feed archived as each shared page's article, read once.
        stored: dict[str, list[ParsedEntry]] = {}
        for entry in fresh:
            link = decide.entry_link(entry)
            if link is None or canonicalize(link) in shared:
                continue
            others = [e for e in self.store.stories_at(feed.id, link) if e.key != entry.key]
            if others and several_stories([entry, *others]):
                shared[canonicalize(link)], stored[canonicalize(link)] = [entry], others
        apart: dict[str, ArticleUrls] = {}
        for page, group in shared.items():
            keys = {entry.key for entry in group}
            attached = stored.get(page)
            if attached is None:
                attached = self.store.stories_at(feed.id, page)
            group = group + [e for e in attached if e.key not in keys]
            identities = stories_apart(feed.url, [(e, decide.entry_link(e) or page) for e in group])
            if attached:  # nothing archived as the page's article: nothing to take apart
                self.store.rehome(feed.id, page, identities)
            apart.update(identities)
        return apart

    def _finish(
        self,
        feed: FeedForUpdate,
        result: PollResult,
        started: datetime,
        clock: float,
        capture: CaptureRef | None = None,
        **feed_updates: str | None,
    ) -> PollResult:
        result = replace(result, duration_ms=int((time.monotonic() - clock) * 1000))
        due = next_poll_at(feed, result, self.clock(), self.settings, self.rng)
        self._polls.append(PollRecord(feed, result, started, due, feed_updates, capture))
        if len(self._polls) >= POLL_BATCH:
            self.flush()
        level = decide.poll_log_level(result.status)
        if not log.isEnabledFor(level):
            return result
        log.log(
            level,
            "poll feed=%s status=%s http=%s new_articles=%d new_versions=%d page_errors=%d "
            "duration_ms=%d next=%s%s",
            feed.label,
            result.status,
            result.http_status if result.http_status is not None else "-",
            result.new_articles,
            result.new_versions,
            result.page_error_count,
            result.duration_ms,
            iso(due) if due else "never",
            f" error={result.error!r}" if result.error else "",
        )
        return result

    # -- one-off ------------------------------------------------------------------------------

    async def fetch_url(
        self, url: str, dry_run: bool = False, feeds_only: bool = False
    ) -> FetchOutcome:
        """Tell a feed from an article by its content, then take the same path a poll takes.

        With ``dry_run`` nothing is written: the outcome carries what would be stored. With
        ``feeds_only`` (subscribing), a page that is not a feed is not archived either: only
        the feeds it advertises are told.
        """
        started, clock = self.clock(), time.monotonic()
        fetched = await self.fetcher.get_feed(url, previous=self._last_capture(url))
        try:
            parsed = parse_feed(fetched.content, fetched.headers, fetched.final_url)
        except ParseError:
            advertised = tuple(advertised_feeds(fetched.content, fetched.final_url))
            if feeds_only:
                return FetchOutcome("article", advertised=advertised)
            if dry_run:
                preview = await self._preview_article(url, fetched)
                return FetchOutcome("article", preview=preview, advertised=advertised)
            article = await self.archive_url(url, fetched=fetched)
            return FetchOutcome("article", article=article, advertised=advertised)
        if dry_run:
            entries = tuple(
                (e.title or "", e.link or "", self.store.find_article(e.link) is not None)
                for e in parsed.entries
                if e.link
            )
            preview = Preview(None, None, entries=entries)
            return FetchOutcome("feed", preview=preview, feed_title=parsed.title)
        feed = self.store.ensure_feed(url, started)
        try:
            poll = await self.ingest_feed(feed, fetched, started, clock)
        finally:
            self.flush()
        return FetchOutcome("feed", poll=poll, feed_title=parsed.title)

    def _last_capture(self, url: str) -> CaptureRef | None:
        """What ``url`` was last captured as, an article page or a feed: the same payload
        again is a revisit of it."""
        known = self.store.find_article(url)
        if known is not None:
            return known.capture
        try:
            return self.store.feeds_named([url], self.settings.default_interval)[0].capture
        except NotFound:
            return None

    async def _preview_article(self, url: str, fetched: FetchResult) -> Preview:
        known = self.store.find_article(url) or self.store.find_article(fetched.final_url)
        entry, section = self.store.latest_entry(known.id) if known else (None, None)
        stored = self.store.current_version(known.id) if known else None
        try:
            extracted = await self._extract(fetched)
        except ExtractError:
            extracted = None
        version = self._version(known, entry, section, extracted, None)
        return Preview(
            text=version.text if version else None,
            stored=stored[1] if stored else None,
            stored_number=stored[0] if stored else None,
        )
