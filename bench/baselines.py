"""Ceilings: what the machine and nginx allow, measured in the same run as the daemon.

- GETs only: a minimal aiohttp client in one process per core, a slice of the URLs each,
  about 100 requests in flight per process and at most 2 per host (the daemon's
  ``host_concurrency``), bodies read but not decompressed or parsed. Its rate bounds any
  poller of these feeds on this machine.
- Extraction only: ``ingester.extract.extract_page`` over page bytes already in memory, in
  a process pool of one worker per core: the daemon cannot archive articles faster than it
  can read them.
- Compression floor: each version's text compressed alone with zstd at level 19, the least
  a row store that can read one version at a time could need for the text.

The naive baseline (one request at a time, a commit per row) is bench/naive.py, run as a
subprocess so its memory is its own.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass

import aiohttp
import zstandard

# A request: its URL and the headers to send (the conditional ones, or none).
Request = tuple[str, dict[str, str]]
UNFINISHED = "unfinished within the time bound"


@dataclass(frozen=True, slots=True)
class Rate:
    done: int
    seconds: float
    statuses: Counter[str]

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _spawn_pool(workers: int) -> ProcessPoolExecutor:
    # Spawned, not forked: the harness has threads (the daemon's log reader).
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


# -- GETs only --------------------------------------------------------------------------


async def _get_all(
    requests: Sequence[Request], concurrency: int, per_host: int, start_at: float, bound: float
) -> tuple[float, float, Counter[str]]:
    statuses: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=per_host)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, auto_decompress=False, timeout=timeout
    ) as session:
        queue = iter(requests)

        async def worker() -> None:
            for url, headers in queue:  # one shared iterator: each request taken once
                try:
                    async with session.get(url, headers=headers) as response:
                        await response.read()
                        statuses[str(response.status)] += 1
                except (aiohttp.ClientError, TimeoutError) as e:
                    statuses[type(e).__name__] += 1

        # Every process starts at the same moment, after its imports and set-up.
        await asyncio.sleep(max(0.0, start_at - time.time()))
        started = time.time()
        try:
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), bound)
        except TimeoutError:
            statuses[UNFINISHED] = len(requests) - sum(statuses.values())
        return started, time.time(), statuses


def _get_slice(
    requests: Sequence[Request], concurrency: int, per_host: int, start_at: float, bound: float
) -> tuple[float, float, Counter[str]]:
    return asyncio.run(_get_all(requests, concurrency, per_host, start_at, bound))


def get_ceiling(
    requests: Sequence[Request],
    processes: int | None = None,
    concurrency: int = 100,
    per_host: int = 2,
    bound: float = 60.0,
) -> Rate:
    """Requests per second, from the first start to the last end, over the requests done
    within ``bound`` seconds (those left are counted as unfinished)."""
    processes = processes or os.cpu_count() or 1
    slices = [requests[i::processes] for i in range(processes)]
    start_at = time.time() + 2.0  # room for the spawned processes to import aiohttp
    with _spawn_pool(processes) as pool:
        futures = [
            pool.submit(_get_slice, s, concurrency, per_host, start_at, bound) for s in slices
        ]
        results = [f.result() for f in futures]
    statuses: Counter[str] = Counter()
    for _, _, counted in results:
        statuses += counted
    seconds = max(end for _, end, _ in results) - min(start for start, _, _ in results)
    return Rate(len(requests) - statuses[UNFINISHED], seconds, statuses)


# -- extraction only --------------------------------------------------------------------


def _warm() -> bool:
    # Imports and first-call set-up happen here, before the clock starts.
    from ingester.extract import extract_page

    extract_page(b"<html><body><article><p>Warm up.</p></article></body></html>", "http://a/")
    time.sleep(0.3)  # long enough that every worker gets one of these
    return True


def _extract(page: tuple[bytes, str]) -> str:
    from ingester.errors import ExtractError
    from ingester.extract import extract_page

    try:
        extract_page(page[0], page[1])
    except ExtractError:
        return "error"
    return "ok"


def extraction_ceiling(
    pages: Sequence[tuple[bytes, str]], workers: int | None = None, bound: float = 120.0
) -> Rate:
    """Pages per second through ``extract_page`` in a pool of ``workers`` processes, over
    the pages done within ``bound`` seconds."""
    workers = workers or os.cpu_count() or 1
    with _spawn_pool(workers) as pool:
        for warming in [pool.submit(_warm) for _ in range(workers)]:
            warming.result(timeout=bound)
        started = time.monotonic()
        futures = [pool.submit(_extract, page) for page in pages]
        done, pending = wait(futures, timeout=bound)
        seconds = time.monotonic() - started
        for future in pending:
            future.cancel()  # the pool then waits only for the pages in hand
    outcomes = Counter(future.result() for future in done)
    if pending:
        outcomes[UNFINISHED] = len(pending)
    return Rate(len(done), seconds, outcomes)


# -- compression floor ------------------------------------------------------------------


def zstd_floor(texts: Sequence[bytes], level: int = 19) -> tuple[int, int]:
    """(bytes of each text compressed alone, summed; bytes of all texts compressed as one)."""
    compressor = zstandard.ZstdCompressor(level=level)
    alone = sum(len(compressor.compress(text)) for text in texts)
    together = len(compressor.compress(b"\n".join(texts)))
    return alone, together
