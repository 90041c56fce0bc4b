"""The pipeline's work on one article: fetch its page, extract, render, store; look again
at articles due a re-check; read stored pages again with today's extractor."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import replace
from datetime import datetime
from functools import partial

from ..clock import Clock, iso
from ..config import Settings
from ..errors import CaptureError, ExtractError, FetchError, NotFound
from ..extract import extract_page
from ..fetch import Fetcher, stored_content
from ..store import Store
from ..types import (
    ArticleForUpdate,
    ArticleOutcome,
    ArticleUrls,
    DueArticle,
    ExtractedPage,
    FeedForUpdate,
    FetchResult,
    PageToStore,
    ParsedEntry,
    StoredPage,
    VersionKind,
    VersionToStore,
)
from ..urls import entry_urn
from . import decide

log = logging.getLogger("ingester")


class ArticleWork:
    """The article half of the ``Pipeline`` (which sets these attributes)."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    executor: Executor | None
    clock: Clock

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

    async def archive_entry(
        self, feed: FeedForUpdate, entry: ParsedEntry, apart: ArticleUrls | None = None
    ) -> ArticleOutcome:
        """One entry's article: its page's, or, for an entry with no page or one archived
        ``apart`` from a page other stories share, its feed's text under its own key."""
        link = decide.entry_link(entry)
        if link is None or apart is not None:
            # Nothing to fetch: the feed's own text is all there is, kept under a stable key.
            urls = apart or ArticleUrls(linked=entry_urn(feed.url, entry.key))
            known = self.store.find_article(urls.linked)
            return self._store(urls, known, feed=feed, entry=entry, feed_section=feed.section)
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
                    previous=known.capture if known else None,
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
            capture=fetched.capture,
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
        urls = decide.article_urls(url, fetched.final_url, extracted)
        return record(urls, known, page=page, extracted=extracted)

    async def _extract(self, fetched: FetchResult) -> ExtractedPage:
        content_type = decide.non_html_type(fetched.headers)
        if content_type is not None:
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
            try:
                self._record_conversion(version, known)
            except CaptureError as e:
                # No version without its record in the WARC files, and the page not taken
                # as seen: the next look extracts it again.
                version, page, error = None, None, e.args[0]
        if version is None and known is None:
            # Nothing archived yet and nothing to archive: the failure is on the poll's record.
            return ArticleOutcome(url=urls.linked, error=error or "nothing to archive")
        now = self.clock()
        first_seen = datetime.fromisoformat(known.first_seen_at) if known else now
        recheck = decide.recheck_at(urls, first_seen, now, self.settings.recheck)
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
        version = decide.new_version(
            known,
            entry,
            feed_section,
            extracted,
            page.sha256 if page is not None else None,
            iso(self.clock()),
            kind,
        )
        if version is None or page is None or page.capture is None:
            return version
        # Its bytes are in the capture, not in raw_pages, which raw_sha256 refers to.
        return replace(version, capture=page.capture, raw_sha256=None)

    def _record_conversion(
        self, version: VersionToStore | None, known: ArticleForUpdate | None
    ) -> None:
        """The rendering beside the response it came from, as a WARC conversion record,
        written (and flushed) before the version's row commits. Not for the rendering the
        article shows already (new bytes, same text); a return to an older rendering gets
        one, a few hundred bytes, as telling it apart would take a read of the archive."""
        captures = self.fetcher.captures
        if version is None or version.capture is None or captures is None:
            return
        if known is not None and known.latest_sha256 == version.hash:
            return
        captures.conversion(version.capture, version.text, version.extractor)

    # -- re-extraction ------------------------------------------------------------------------

    async def reextract(self, stored: StoredPage) -> ArticleOutcome:
        """Extract a stored page again, with no network.

        A rendering that changes is recorded as a re-extraction: the extractor changed, not
        the article.
        """
        try:
            content = self._stored_page(stored)
        except NotFound as e:
            return ArticleOutcome(url=stored.url, error=str(e))
        fetched = FetchResult(stored.url, stored.url, 200, {}, content)
        try:
            extracted = await self._extract(fetched)
        except ExtractError as e:
            return ArticleOutcome(url=stored.url, error=e.message)
        known = self.store.find_article(stored.url)
        entry, section = self.store.latest_entry(stored.article_id)
        page = PageToStore(content, stored.page_sha256, None, None, stored.capture)
        version = self._version(known, entry, section, extracted, page, kind="reextraction")
        if version is None:
            return ArticleOutcome(url=stored.url, error="extract: no text on the stored page")
        try:
            self._record_conversion(version, known)
        except CaptureError as e:
            return ArticleOutcome(url=stored.url, error=e.args[0])
        outcome = self.store.add_reextraction(stored.article_id, version, self.clock())
        return ArticleOutcome(url=stored.url, new_version=outcome.new_version)

    def _stored_page(self, stored: StoredPage) -> bytes:
        """The page's bytes from its WARC capture, or from raw_pages for a page fetched
        before captures were kept."""
        if stored.capture is None:
            return self.store.raw_page(stored.page_sha256)
        return stored_content(stored.capture, self.settings.max_page_bytes)

    async def _reextract_if_outdated(self, known: ArticleForUpdate | None) -> bool:
        """Before a changed page is compared with the archive, re-read the previous page
        with today's extractor, so an extractor upgrade is not mistaken for an edit.
        True when it ran, so the article's current version may have moved."""
        if known is None or not decide.needs_reextraction(known):
            return False
        stored_pages = self.store.pages_to_reextract(known.url)
        for stored in stored_pages:
            await self.reextract(stored)
        return bool(stored_pages)
