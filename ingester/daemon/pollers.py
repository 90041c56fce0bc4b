"""Poller processes: the feeds polled on every core.

One Python process tops out near 2,000 conditional GETs a second, whatever the
transport (docs/performance.md), so polls run in one poller process per core. A feed
always goes to the same poller, chosen by its host, so that poller's host gate and
robots cache see all of that host's feed requests. Each poller has its own event loop,
connections and archive connection, and extracts pages itself: it is one core's work.
The process that owns the ``Pollers`` only schedules and collects results.

Messages on the pipes: a job ``(kind, items)`` goes to a poller (``None`` asks it to
stop); results come back in batches, ``(pairs, done)``, where each pair is the item's
position in the job and its outcome, so progress is reported as polls finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import zlib
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal, TypeVar

from ..clock import Clock, utcnow
from ..config import Settings
from ..logs import configure_logging
from ..pipeline import Pipeline, open_captures, open_pipeline, worker_setup
from ..types import ArticleOutcome, DueArticle, FeedForUpdate, PollResult
from ..urls import host_key

log = logging.getLogger("ingester")

JobKind = Literal["poll", "recheck"]
Outcome = TypeVar("Outcome", PollResult, ArticleOutcome)

RESULT_BATCH = 100  # outcomes per message back; fewer when a job is slow to finish
RESULT_WAIT = 0.1  # seconds a finished outcome waits for others to share its message
GC_YOUNG_THRESHOLD = 10_000  # allocations between collections of young objects (default 700)
STOP_WAIT = 20.0  # seconds a poller has to finish its writes after being asked to stop


def shard(url: str, shards: int) -> int:
    """Which poller a URL belongs to: by host, stable across runs (crc32, not hash())."""
    return zlib.crc32(host_key(url).encode()) % shards


class _Poller:
    def __init__(self, settings: Settings, target: Path | str, log_level: int) -> None:
        context = multiprocessing.get_context("spawn")
        jobs_end, self.jobs = context.Pipe(duplex=False)  # (receiving end, sending end)
        self.results, results_end = context.Pipe(duplex=False)
        self.process: BaseProcess = context.Process(
            target=serve,
            args=(jobs_end, results_end, settings, target, log_level),
            daemon=True,
        )
        self.process.start()
        jobs_end.close()
        results_end.close()


class Pollers:
    """The ``workers`` setting's poller processes (one per core when it is 0), never more
    than ``at_most``; ``poll`` and ``recheck_articles`` share work out among them."""

    def __init__(
        self,
        settings: Settings,
        target: Path | str,
        at_most: int | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.clock = clock
        self._settings = settings
        self._target = target
        self._log_level = log.getEffectiveLevel()
        workers = settings.workers or os.cpu_count() or 1
        if at_most is not None:
            workers = max(1, min(workers, at_most))
        # Each poller opens the WARC folder for its own files; one that cannot be made
        # is said here, in one line, before a poller starts and dies of it.
        open_captures(settings, target).close()
        self._pollers = [self._start() for _ in range(workers)]
        self._busy = asyncio.Lock()

    def _start(self) -> _Poller:
        return _Poller(self._settings, self._target, self._log_level)

    async def poll(
        self,
        feeds: Sequence[FeedForUpdate],
        on_result: Callable[[int, PollResult], None] | None = None,
    ) -> list[PollResult]:
        return await self._share("poll", feeds, on_result)

    async def recheck_articles(self, due: Sequence[DueArticle]) -> list[ArticleOutcome]:
        return await self._share("recheck", due, None)

    async def _share(
        self,
        kind: JobKind,
        items: Sequence[FeedForUpdate | DueArticle],
        on_result: Callable[[int, Outcome], None] | None,
    ) -> list[Outcome]:
        positions: list[list[int]] = [[] for _ in self._pollers]
        for position, item in enumerate(items):
            positions[shard(item.url, len(self._pollers))].append(position)
        outcomes: dict[int, Outcome] = {}

        async def run(index: int, mine: list[int]) -> None:
            poller = self._alive(index)
            poller.jobs.send((kind, [items[p] for p in mine]))
            loop = asyncio.get_running_loop()
            done = False
            while not done:
                try:
                    pairs, done = await loop.run_in_executor(None, poller.results.recv)
                except EOFError:  # the poller died; its feeds stay due for the next tick
                    log.error("poller %d died during a %s job", index, kind)
                    return
                for at, outcome in pairs:
                    outcomes[mine[at]] = outcome
                    if on_result is not None:
                        on_result(mine[at], outcome)

        async with self._busy:  # one job at a time: the pipes carry one conversation
            await asyncio.gather(*(run(i, mine) for i, mine in enumerate(positions) if mine))
        return [outcomes[p] for p in range(len(items)) if p in outcomes]

    def _alive(self, index: int) -> _Poller:
        poller = self._pollers[index]
        if not poller.process.is_alive():
            log.error(
                "poller %d had stopped (exit %s); starting it again", index, poller.process.exitcode
            )
            poller = self._pollers[index] = self._start()
        return poller

    def close(self) -> None:
        """Ask every poller to stop (a job in flight is cut short, its finished polls
        written), wait for them, then end any that do not."""
        for poller in self._pollers:
            with contextlib.suppress(OSError):  # it is gone already
                poller.jobs.send(None)
        for poller in self._pollers:
            poller.process.join(STOP_WAIT)
            if poller.process.is_alive():
                poller.process.kill()
                poller.process.join()

    def __enter__(self) -> Pollers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- inside a poller process --------------------------------------------------------------


def serve(
    jobs: Connection, results: Connection, settings: Settings, target: Path | str, log_level: int
) -> None:
    worker_setup()
    configure_logging(log_level, force=True)
    # A poll makes hundreds of short-lived objects and a poller keeps tens of thousands
    # (connections, parsed URLs, its modules): at Python's default thresholds the cycle
    # collector took about a fifth of a 304 poll's time, mostly in full collections.
    # Young objects are collected ten times less often, and what exists at start is left
    # out of every collection.
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
    gc.freeze()
    asyncio.run(_serve(jobs, results, settings, target))


async def _serve(
    jobs: Connection, results: Connection, settings: Settings, target: Path | str
) -> None:
    loop = asyncio.get_running_loop()
    async with open_pipeline(settings, target, extraction_workers=False) as pipeline:
        job: asyncio.Task[None] | None = None
        while True:
            try:
                message = await loop.run_in_executor(None, jobs.recv)
            except EOFError:  # the daemon is gone
                message = None
            if message is None:
                if job is not None and not job.done():
                    job.cancel()
                    await asyncio.gather(job, return_exceptions=True)
                return
            job = asyncio.create_task(_run_job(pipeline, results, *message))


async def _run_job(
    pipeline: Pipeline, results: Connection, kind: JobKind, items: list[Any]
) -> None:
    outbox = _Outbox(results)
    try:
        if kind == "poll":
            await pipeline.poll(items, on_result=outbox.add)
        else:
            for at, outcome in enumerate(await pipeline.recheck_articles(items)):
                outbox.add(at, outcome)
    except Exception:  # a bug or a failed archive write: said once, the job ends
        log.exception("%s job failed", kind)
    finally:
        outbox.finish()


class _Outbox:
    """Outcomes sent back in batches: one message per outcome would cost more than the
    poll that produced it."""

    def __init__(self, results: Connection) -> None:
        self._results = results
        self._pairs: list[tuple[int, Any]] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, at: int, outcome: Any) -> None:
        self._pairs.append((at, outcome))
        if len(self._pairs) >= RESULT_BATCH:
            self._send(done=False)
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(RESULT_WAIT, self._send, False)

    def finish(self) -> None:
        self._send(done=True)

    def _send(self, done: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pairs or done:
            pairs, self._pairs = self._pairs, []
            self._results.send((pairs, done))
