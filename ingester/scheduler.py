"""The daemon: APScheduler ticks, the database says what is due.

One job ticks every ``settings.tick`` seconds and polls the feeds whose ``next_poll_at``
has passed. The schedule lives in the feed rows, so a restart resumes where it stopped
and a manual ``poll`` or ``fetch`` moves the same clock.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .config import Config
from .fetch import Fetcher
from .pipeline import Clock, Pipeline, extraction_pool, utcnow
from .store import Store

log = logging.getLogger("ingester")


class Ticker:
    """The scheduler's one job: poll whatever is due, one tick at a time."""

    def __init__(self, pipeline: Pipeline, store: Store, config: Config) -> None:
        self.pipeline = pipeline
        self.store = store
        self.config = config
        self.current: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        self.current = asyncio.current_task()
        now = self.pipeline.clock()
        due = self.store.due_feeds(now, self.config.settings.default_interval)
        if due:
            await self.pipeline.poll(due)

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


async def run_daemon(config: Config, store: Store, clock: Clock = utcnow) -> None:
    """Run until SIGTERM or SIGINT."""
    settings = config.settings
    store.sync_feeds(config.feeds, clock())
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    # APScheduler logs every run and every skipped overlap; our own poll lines say what happened.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    with extraction_pool() as pool:
        async with Fetcher(settings) as fetcher:
            pipeline = Pipeline(settings, store, fetcher, executor=pool, clock=clock)
            ticker = Ticker(pipeline, store, config)
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
            scheduler.start()
            log.info(
                "daemon started: %d feeds, tick %ss, archive %s",
                len(config.feeds),
                settings.tick,
                store.db.conn.execute("PRAGMA database_list").fetchone()[2],
            )
            await stopping.wait()
            log.info("daemon stopping")
            scheduler.shutdown(wait=False)
            await ticker.stop()
    log.info("daemon stopped")
