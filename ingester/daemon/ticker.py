"""The daemon: APScheduler ticks, the database says what is due.

One job ticks every ``settings.tick`` seconds: it claims the feeds whose ``next_poll_at``
has passed, a batch at a time, and polls them, then re-checks archived articles that are
due, within a budget, and leaves a heartbeat. A second job renews what this node holds
(store/leases.py), so that daemons on several machines sharing one archive never poll
the same feed for the same due time. The schedule lives in the rows, so a restart
resumes where it stopped and a manual ``poll`` or ``fetch`` moves the same clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ..clock import Clock, utcnow
from ..config import Config, Settings, load_config
from ..errors import ConfigError
from ..store import Store
from ..store.leases import node_name
from ..types import ArticleOutcome, DueArticle, FeedForUpdate, PollResult
from .pollers import Pollers

log = logging.getLogger("ingester")

SHARED_CLAIM_BATCH = 1000  # feeds a node claims at a time from a shared archive, by default


def log_tick(results: Sequence[PollResult], seconds: float) -> None:
    """One line per tick that polled: how many feeds, how long, what came of them."""
    statuses = Counter(r.status for r in results)
    log.info(
        "tick feeds=%d duration_ms=%d ok=%d not_modified=%d unchanged=%d error=%d gone=%d "
        "new_articles=%d new_versions=%d",
        len(results),
        int(seconds * 1000),
        statuses["ok"],
        statuses["not_modified"],
        statuses["unchanged"],
        statuses["error"],
        statuses["gone"],
        sum(r.new_articles for r in results),
        sum(r.new_versions for r in results),
    )


class Poller(Protocol):
    """What a tick hands its work to: a ``Pipeline`` in this process, or ``Pollers``."""

    clock: Clock

    async def poll(
        self,
        feeds: Sequence[FeedForUpdate],
        on_result: Callable[[int, PollResult], None] | None = None,
    ) -> list[PollResult]: ...

    async def recheck_articles(self, due: Sequence[DueArticle]) -> list[ArticleOutcome]: ...


class Ticker:
    """The scheduler's one job: poll whatever is due, one tick at a time."""

    def __init__(self, pipeline: Poller, store: Store, config: Config, started: datetime):
        self.pipeline = pipeline
        self.store = store
        self.config = config
        self.started = started
        self.node = node_name()
        self.current: asyncio.Task[None] | None = None
        self.in_flight: tuple[list[int], list[int]] = ([], [])  # feeds, articles

    async def tick(self) -> None:
        self.current = asyncio.current_task()
        settings = self.config.settings
        self.store.heartbeat(os.getpid(), self.started, self.pipeline.clock(), settings.tick)
        try:
            while due := self._claim_feeds():
                self.in_flight = ([f.id for f in due], [])
                started = time.monotonic()
                results = await self.pipeline.poll(due)
                log_tick(results, time.monotonic() - started)
            # After the feeds, so re-checks of old articles never delay new ones.
            articles = self.store.claim_due_articles(
                self.node, self.pipeline.clock(), settings.lease, settings.recheck_budget
            )
            if articles:
                self.in_flight = ([], [a.article_id for a in articles])
                await self.pipeline.recheck_articles(articles)
        except asyncio.CancelledError:
            # Only stop() cancels a tick, and it waits for this task: a deliberate stop is
            # not a failed job, so it ends quietly instead of as APScheduler's error.
            log.info("tick abandoned: stopping")
        finally:
            self.in_flight = ([], [])

    def _claim_feeds(self) -> list[FeedForUpdate]:
        settings = self.config.settings
        # One machine takes all that is due: a batch's slowest feed holds up the next one.
        shared = self.store.engine == "postgresql"
        batch = settings.claim_batch or (SHARED_CLAIM_BATCH if shared else None)
        return self.store.claim_due_feeds(
            self.node, self.pipeline.clock(), settings.lease, settings.default_interval, batch
        )

    async def renew(self) -> None:
        """Hold on to what this node is at work on. A coroutine, as every job here:
        APScheduler runs plain functions in threads, and the archive's connection is this
        event loop's."""
        feeds, articles = self.in_flight
        if feeds or articles:
            lease = self.config.settings.lease
            self.store.renew_leases(self.node, self.pipeline.clock(), lease, feeds, articles)

    def reload(self) -> None:
        """SIGHUP: read the config again; feeds added are polled, feeds removed are not.

        A config that does not load is logged and the running one kept. Settings other
        than the feed list take effect at the next start.
        """
        try:
            config = load_config(self.config.path)
        except ConfigError as e:
            log.error("reload refused, keeping the running config: %s", e)
            return
        self.store.sync_feeds(config.feeds, self.pipeline.clock())
        self.config = Config(self.config.path, self.config.settings, config.feeds)
        log.info("config reloaded: %d feeds", len(config.feeds))
        warn_if_no_feeds(config)

    async def stop(self) -> None:
        """Abandon the tick in flight.

        Store writes are synchronous and atomic inside the event loop, so cancelling at an
        await point never cuts one short; feeds whose poll was abandoned are still due and
        are polled first on the next start.
        """
        task = self.current
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def warn_if_no_feeds(config: Config) -> None:
    """A daemon with nothing to poll runs on, waiting for a reload: it says so once."""
    if not config.feeds:
        log.warning(
            "no feeds configured in %s: nothing is polled until one is added"
            " (ingester feeds add URL)",
            config.path,
        )


async def poll_once(
    settings: Settings,
    store: Store,
    feeds: Sequence[FeedForUpdate],
    on_result: Callable[[int, PollResult], None] | None = None,
) -> list[PollResult]:
    """One pass over ``feeds`` the daemon's way, shared out among poller processes by host
    (``ingester poll``); no more pollers than feeds."""
    if not feeds:
        return []
    with Pollers(settings, store.target, at_most=len(feeds)) as pollers:
        return await pollers.poll(feeds, on_result=on_result)


async def run_daemon(config: Config, store: Store, clock: Clock = utcnow) -> None:
    """Run until SIGTERM or SIGINT; SIGHUP reloads the feed list."""
    settings = config.settings
    store.sync_feeds(config.feeds, clock())
    for dead in store.release_dead_leases(socket.gethostname()):
        log.info("leases of %s given back: that process is gone", dead)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    # APScheduler logs every run and every skipped overlap; our own poll lines say what happened.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    with Pollers(settings, store.target, clock=clock) as pollers:
        ticker = Ticker(pollers, store, config, started=clock())
        loop.add_signal_handler(signal.SIGHUP, ticker.reload)
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            ticker.tick,
            IntervalTrigger(seconds=settings.tick),
            id="tick",
            next_run_time=clock(),
            # One tick at a time; a tick that overruns is not queued up behind itself,
            # and a late tick (a suspended laptop) still runs once rather than never.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=settings.tick,
        )
        # Three renewals a lease: one late or failed renewal does not lose what it holds.
        scheduler.add_job(
            ticker.renew,
            IntervalTrigger(seconds=max(settings.lease / 3, 1)),
            id="renew",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        log.info(
            "daemon started: %d feeds, tick %ss, archive %s",
            len(config.feeds),
            settings.tick,
            store.name,
        )
        warn_if_no_feeds(config)
        await stopping.wait()
        log.info("daemon stopping")
        scheduler.shutdown(wait=False)
        await ticker.stop()
        store.release_leases(ticker.node)
    store.daemon_stopped(os.getpid(), clock())
    log.info("daemon stopped")
