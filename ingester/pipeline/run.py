"""The one place that connects the stages: fetch -> parse -> extract -> compose -> render -> store.

A poll returns a ``PollResult`` for each feed instead of raising through the batch. Only
an archive that cannot be written (``StoreError``) stops a poll run; anything else that
goes wrong with one feed, a bug included, is that feed's error and is logged with its
traceback, so one feed never costs the others their poll.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import hashlib
import logging
import multiprocessing
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from .compose import compose
from .config import Settings
from .discover import advertised_feeds
from .errors import ExtractError, FetchError, ParseError, StoreError
from .extract import EXTRACTOR, extract_page
from .fetch import Fetcher
from .layout import render, text_hash, word_count
from .parse import parse_feed
from .policy import cache_interval, next_check_at, next_poll_at
from .politeness import host_key
from .store import (
    ArticleForUpdate,
    DueArticle,
    PageToStore,
    PollRecord,
    Store,
    StoredPage,
    entry_json,
    iso,
)
from .types import (
    ArticleUrls,
    ExtractedPage,
    FeedForUpdate,
    FetchResult,
    ParsedEntry,
    PollResult,
    PollStatus,
    VersionKind,
    VersionToStore,
)
from .urls import same_site

log = logging.getLogger("ingester")

Clock = Callable[[], datetime]

POLL_BATCH = 200  # finished polls written per transaction

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")


def utcnow() -> datetime:
    return datetime.now(UTC)


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


class Pipeline:
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
            fetched = await self.fetcher.get_feed(feed.url, feed.etag, feed.last_modified)
        except FetchError as e:
            status: PollStatus = "gone" if e.status == 410 else "error"
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
        kept = max(hint or 0, feed.server_interval or 0) or None
        if fetched.not_modified:
            result = PollResult(feed.label, "not_modified", 304, server_interval=kept)
            return self._finish(feed, result, started, clock, **updates)
        digest = hashlib.sha256(fetched.content).hexdigest()
        if digest == feed.content_sha256:
            # The same bytes as last time: nothing to parse, nothing new.
            result = PollResult(feed.label, "unchanged", fetched.status, server_interval=kept)
            return self._finish(feed, result, started, clock, **updates)
        try:
            parsed = parse_feed(fetched.content, fetched.headers, fetched.final_url)
        except ParseError as e:
            result = PollResult(feed.label, "error", fetched.status, error=e.message)
            return self._finish(feed, result, started, clock)
        gate = asyncio.Semaphore(self.settings.page_concurrency)

        async def one(entry: ParsedEntry) -> ArticleOutcome:
            async with gate:
                return await self.archive_entry(feed, entry)

        # Entries already stored as they are now were archived before; catching later
        # edits to their pages is the re-check schedule's work, not every feed change's.
        known = self.store.known_entries(feed.id)
        fresh = [e for e in parsed.entries if known.get(e.key) != entry_json(e)]
        outcomes = await asyncio.gather(*(one(entry) for entry in fresh))
        hints = [h for h in (hint, parsed.update_interval) if h is not None]
        result = PollResult(
            feed.label,
            "ok",
            http_status=fetched.status,
            new_articles=sum(o.new_article for o in outcomes),
            new_versions=sum(o.new_version for o in outcomes),
            page_errors=tuple(f"{o.url}: {o.error}" for o in outcomes if o.error),
            server_interval=max(hints) if hints else None,
        )
        return self._finish(
            feed, result, started, clock, title=parsed.title, content_sha256=digest, **updates
        )

    def _finish(
        self,
        feed: FeedForUpdate,
        result: PollResult,
        started: datetime,
        clock: float,
        **feed_updates: str | None,
    ) -> PollResult:
        result = replace(result, duration_ms=int((time.monotonic() - clock) * 1000))
        due = next_poll_at(feed, result, self.clock(), self.settings, self.rng)
        self._polls.append(PollRecord(feed, result, started, due, feed_updates))
        if len(self._polls) >= POLL_BATCH:
            self.flush()
        # Thousands of polls a tick find nothing new: those are told by the tick's own
        # line, and one by one only at DEBUG (--verbose).
        level = logging.DEBUG if result.status in ("not_modified", "unchanged") else logging.INFO
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
            len(result.page_errors),
            result.duration_ms,
            iso(due) if due else "never",
            f" error={result.error!r}" if result.error else "",
        )
        return result

    # -- re-checks ------------------------------------------------------------------------

    async def recheck(self, budget: int) -> list[ArticleOutcome]:
        """Look again at up to ``budget`` articles whose re-check is due, to catch edits."""
        return await self.recheck_articles(self.store.articles_due(self.clock(), budget))

    async def recheck_articles(self, due: Sequence[DueArticle]) -> list[ArticleOutcome]:
        if not due:
            return []
        started = time.monotonic()
        gate = asyncio.Semaphore(self.settings.page_concurrency)

        async def one(article: DueArticle) -> ArticleOutcome:
            async with gate:
                return await self.archive_url(article.url)

        outcomes = list(await asyncio.gather(*(one(article) for article in due)))
        log.info(
            "recheck articles=%d new_versions=%d errors=%d duration_ms=%d",
            len(outcomes),
            sum(o.new_version for o in outcomes),
            sum(bool(o.error) for o in outcomes),
            int((time.monotonic() - started) * 1000),
        )
        return outcomes

    # -- articles -------------------------------------------------------------------------

    async def archive_entry(self, feed: FeedForUpdate, entry: ParsedEntry) -> ArticleOutcome:
        link = entry.link if entry.link and _is_web_url(entry.link) else None
        if link is None and entry.guid and _is_web_url(entry.guid):
            link = entry.guid
        if link is None:
            # Nothing to fetch: the feed's own text is all there is, kept under a stable key.
            digest = hashlib.sha256(f"{feed.url}\0{entry.key}".encode()).hexdigest()[:24]
            key = f"urn:ingester:entry:{digest}"
            known = self.store.find_article(key)
            return self._store(
                ArticleUrls(linked=key), known, feed=feed, entry=entry, feed_section=feed.section
            )
        return await self.archive_url(link, feed=feed, entry=entry)

    async def archive_url(
        self,
        url: str,
        *,
        feed: FeedForUpdate | None = None,
        entry: ParsedEntry | None = None,
        feed_section: str | None = None,
        fetched: FetchResult | None = None,
    ) -> ArticleOutcome:
        """Fetch (unless given), extract, render and store one article page."""
        if feed is not None:
            feed_section = feed.section
        known = self.store.find_article(url)
        if entry is None and known is not None:
            # A look outside a poll (a re-check, a fetch by hand): the entry that last
            # pointed here still fills what the page does not say, so the rendering
            # does not change for want of it.
            entry, feed_section = self.store.latest_entry(known.id)
        record = partial(self._store, feed=feed, entry=entry, feed_section=feed_section)
        linked = ArticleUrls(linked=url)
        if fetched is None:
            try:
                fetched = await self.fetcher.get_page(
                    url,
                    known.page_etag if known else None,
                    known.page_last_modified if known else None,
                )
            except FetchError as e:
                return record(linked, known, error=e.message)
        if fetched.not_modified and known is not None:
            return record(linked, known, changed=False)
        page = PageToStore(
            content=fetched.content,
            sha256=hashlib.sha256(fetched.content).hexdigest(),
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )
        urls = ArticleUrls(linked=url, final=fetched.final_url)
        if known is not None and known.page_sha256 == page.sha256:
            return record(urls, known, changed=False)
        try:
            extracted = await self._extract(fetched)
        except ExtractError as e:
            return record(urls, known, page=page, error=e.message)
        if await self._reextract_if_outdated(known):
            known = self.store.find_article(url)
        if extracted.canonical_url and same_site(extracted.canonical_url, fetched.final_url):
            urls = ArticleUrls(
                linked=url, final=fetched.final_url, canonical=extracted.canonical_url
            )
        return record(urls, known, page=page, extracted=extracted)

    async def _extract(self, fetched: FetchResult) -> ExtractedPage:
        content_type = fetched.headers.get("content-type", "text/html").split(";")[0].strip()
        if content_type and not content_type.lower().startswith(_HTML_TYPES):
            raise ExtractError(fetched.url, f"extract: page is {content_type}, not HTML")
        if self.executor is None:
            return extract_page(fetched.content, fetched.final_url)
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, extract_page, fetched.content, fetched.final_url
        )

    def _store(
        self,
        urls: ArticleUrls,
        known: ArticleForUpdate | None,
        *,
        feed: FeedForUpdate | None,
        entry: ParsedEntry | None,
        feed_section: str | None,
        page: PageToStore | None = None,
        extracted: ExtractedPage | None = None,
        error: str | None = None,
        changed: bool = True,
    ) -> ArticleOutcome:
        """Record one look at an article; a version when there is a (new) rendering.

        ``changed=False`` means the page is known to be as it was at the last look.
        """
        version = None
        if changed:
            version = self._version(known, entry, feed_section, extracted, page)
        if version is None and known is None:
            # Nothing archived yet and nothing to archive: the failure is on the poll's record.
            return ArticleOutcome(url=urls.linked, error=error or "nothing to archive")
        now = self.clock()
        first_seen = datetime.fromisoformat(known.first_seen_at) if known else now
        recheck = None
        if _is_web_url(urls.key):  # an entry with no page has nothing to look at again
            recheck = next_check_at(first_seen, now, self.settings.recheck)
        outcome = self.store.save(
            urls,
            version,
            now,
            feed_id=feed.id if feed else None,
            entry=entry,
            page=page,
            error=error,
            next_check_at=recheck,
        )
        return ArticleOutcome(
            url=urls.linked,
            new_article=outcome.new_article,
            new_version=outcome.new_version,
            error=error,
        )

    def _version(
        self,
        known: ArticleForUpdate | None,
        entry: ParsedEntry | None,
        feed_section: str | None,
        extracted: ExtractedPage | None,
        page: PageToStore | None,
        kind: VersionKind = "edit",
    ) -> VersionToStore | None:
        if extracted is None and entry is None:
            return None
        article = compose(extracted, entry, feed_section)
        if not (article.body or article.title):
            return None
        if article.source == "feed" and known is not None and known.latest_source == "page":
            return None  # a feed fallback never supersedes what the page itself showed
        text = render(article)
        from_page = article.source == "page"
        return VersionToStore(
            article=article,
            text=text,
            hash=text_hash(text),
            word_count=word_count(article),
            extractor=EXTRACTOR if from_page else "feed",
            fetched_at=iso(self.clock()),
            kind=kind,
            raw_sha256=page.sha256 if page is not None and from_page else None,
        )

    # -- re-extraction ------------------------------------------------------------------------

    async def reextract(self, stored: StoredPage) -> ArticleOutcome:
        """Extract a stored page again, with no network.

        A rendering that changes is recorded as a re-extraction: the extractor changed, not
        the article.
        """
        content = self.store.raw_page(stored.page_sha256)
        fetched = FetchResult(stored.url, stored.url, 200, {}, content)
        try:
            extracted = await self._extract(fetched)
        except ExtractError as e:
            return ArticleOutcome(url=stored.url, error=e.message)
        known = self.store.find_article(stored.url)
        entry, section = self.store.latest_entry(stored.article_id)
        page = PageToStore(content, stored.page_sha256, None, None)
        version = self._version(known, entry, section, extracted, page, kind="reextraction")
        if version is None:
            return ArticleOutcome(url=stored.url, error="extract: no text on the stored page")
        outcome = self.store.add_reextraction(stored.article_id, version, self.clock())
        return ArticleOutcome(url=stored.url, new_version=outcome.new_version)

    async def _reextract_if_outdated(self, known: ArticleForUpdate | None) -> bool:
        """Before a changed page is compared with the archive, re-read the previous page
        with today's extractor, so an extractor upgrade is not mistaken for an edit.
        True when it ran, so the article's current version may have moved."""
        if known is None or known.page_sha256 is None:
            return False
        if known.latest_extractor in (None, "feed", EXTRACTOR):
            return False
        stored_pages = self.store.pages_to_reextract(known.url)
        for stored in stored_pages:
            await self.reextract(stored)
        return bool(stored_pages)

    # -- one-off ------------------------------------------------------------------------------

    async def fetch_url(self, url: str, dry_run: bool = False) -> FetchOutcome:
        """Tell a feed from an article by its content, then take the same path a poll takes.

        With ``dry_run`` nothing is written: the outcome carries what would be stored.
        """
        started, clock = self.clock(), time.monotonic()
        fetched = await self.fetcher.get_feed(url)
        try:
            parsed = parse_feed(fetched.content, fetched.headers, fetched.final_url)
        except ParseError:
            advertised = tuple(advertised_feeds(fetched.content, fetched.final_url))
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
            return FetchOutcome("feed", preview=Preview(None, None, entries=entries))
        feed = self.store.ensure_feed(url, started)
        try:
            poll = await self.ingest_feed(feed, fetched, started, clock)
        finally:
            self.flush()
        return FetchOutcome("feed", poll=poll)

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


def interleave_hosts(urls: Sequence[str]) -> list[int]:
    """Positions of ``urls`` in an order where each host's come round in turn: a host's
    second URL only after every host's first, so no run of one host's feeds waits on its
    gate while other hosts sit idle. Order within a host is kept."""
    rank: dict[str, int] = {}
    keyed = []
    for index, url in enumerate(urls):
        host = host_key(url)
        rank[host] = rank.get(host, -1) + 1
        keyed.append((rank[host], index))
    return [index for _, index in sorted(keyed)]


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" from a feed: not a URL anything can be fetched at
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def extraction_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool for extraction whose workers die with the process that made them.

    Workers are spawned by this process directly (not through a forkserver, which would
    outlive a SIGKILLed daemon together with its workers) and ask the kernel to kill them
    when their parent dies.
    """
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_setup,
    )


def worker_setup() -> None:
    # Ctrl-C reaches the whole process group; the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    import ingester.extract  # noqa: F401  (trafilatura loads once per worker, up front)


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)
