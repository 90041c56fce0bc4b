"""The one composition root: the archive, a fetcher and (where wanted) an extraction pool,
assembled into a ``Pipeline``. The CLI, the poller processes and the bench all start here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from ..clock import Clock, utcnow
from ..config import Settings
from ..fetch import Captures, Fetcher
from ..fetch.politeness import HostGate, SharedHostGate
from ..store import Store
from .run import Pipeline
from .workers import extraction_pool


@contextlib.asynccontextmanager
async def open_pipeline(
    settings: Settings,
    target: Path | str,
    *,
    extraction_workers: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utcnow,
    captures: bool = True,
) -> AsyncIterator[Pipeline]:
    """A pipeline on the archive at ``target`` (a file, a URL); what it opened is closed after.

    ``extraction_workers=False`` extracts in this process: a poller process is one core's
    work already. ``transport`` replaces the network (tests, the bench's profiles).
    ``captures=False`` writes no WARC records (a dry run, which stores nothing).
    """
    store = Store(target, warcs=settings.warc_folder(target))
    try:
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(extraction_pool()) if extraction_workers else None
            warcs = open_captures(settings, target, store) if captures else None
            async with Fetcher(settings, transport, warcs, host_gate(settings, store)) as fetcher:
                yield Pipeline(settings, store, fetcher, executor=pool, clock=clock)
    finally:
        store.close()


def host_gate(settings: Settings, store: Store) -> HostGate | None:
    """A PostgreSQL archive may be shared by several nodes: the limits are the cluster's."""
    if store.engine != "postgresql":
        return None  # one machine: the Fetcher's own gate (a host's feeds share a poller)
    return SharedHostGate(settings.host_concurrency, settings.host_gap, store)


def open_captures(settings: Settings, target: Path | str, store: Store | None = None) -> Captures:
    """The WARC files this process writes for the archive at ``target``; a payload the
    archive (``store``) has captured before, at any URL, is written as a revisit of it.
    Raises CaptureError when the folder cannot be made."""
    return Captures(
        settings.warc_folder(target),
        user_agent=settings.user_agent,
        robots=settings.robots,
        max_bytes=settings.warc_max_bytes,
        not_modified=settings.warc_not_modified,
        earlier=store.capture_with_digest if store is not None else None,
    )
