"""`make profile`: where a poll's time goes, phase by phase, from cProfile.

The same site as `make bench` (bench/site.py, nginx on loopback), smaller, polled by one
``Pipeline`` in this process (a poller process does exactly this for its share of hosts),
each phase under its own profile. Prints, per phase, the rate and the functions with the
most cumulative time, as a share of the phase. docs/performance.md quotes it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import site
from bench.eval_extraction import BENCHMARK, corpora_root
from ingester.config import Settings
from ingester.pipeline import Pipeline, open_pipeline
from ingester.store import Store
from ingester.types import FeedSpec, PollResult

# Functions worth naming: the project's own and the libraries it leans on.
SHOWN = ("ingester/", "aiohttp/", "httpx", "feedparser/", "trafilatura/", "sqlite3")


def profiled(
    name: str, count: int, unit: str, work: Callable[[], Awaitable[list[PollResult]]]
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        results = await work()
        profile.disable()
        seconds = time.perf_counter() - started
        done = count if unit == "feeds" else sum(r.new_articles for r in results)
        print(f"\n## {name}: {done / seconds:,.0f} {unit}/s under the profiler ({seconds:.1f} s)")
        report(pstats.Stats(profile))

    return run


def report(stats: pstats.Stats, rows: int = 18) -> None:
    entries = stats.stats  # type: ignore[attr-defined]
    total = max(cumulative for (_, _, _, cumulative, _) in entries.values())
    shown = [
        (cumulative, f"{Path(file).parent.name}/{Path(file).name}:{function}")
        for (file, _, function), (_, _, _, cumulative, _) in entries.items()
        if any(part in file or part in function for part in SHOWN)
    ]
    for cumulative, where in sorted(shown, reverse=True)[:rows]:
        print(f"  {cumulative / total:6.1%}  {where}")


async def phases(web: site.Site, db: Path, settings: Settings, new_articles: int) -> None:
    feeds = web.layout.feeds
    async with open_pipeline(settings, db, extraction_workers=False) as pipeline:
        store = pipeline.store
        await pipeline.poll(store.active_feeds(3600))  # the first poll: not profiled
        await profiled("re-poll, unchanged (304)", feeds, "feeds", due(pipeline, store))()
        web.rebuild_all(site.EPOCH + timedelta(days=1))
        await profiled("re-poll, changed, no new entry", feeds, "feeds", due(pipeline, store))()
        web.add_new_items(new_articles, site.EPOCH + timedelta(days=2))
        first = store.active_feeds(3600)[:new_articles]
        await profiled("new articles", new_articles, "articles", lambda: pipeline.poll(first))()


def due(pipeline: Pipeline, store: Store) -> Callable[[], Awaitable[list[PollResult]]]:
    return lambda: pipeline.poll(store.active_feeds(3600))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--new-articles", type=int, default=150)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    corpus = corpora_root() / BENCHMARK / "html"
    workdir = Path(tempfile.mkdtemp(prefix="ingester-profile-"))
    layout = site.Layout(feeds=args.feeds, hosts=args.hosts, port=site.free_port())
    web = site.Site(workdir / "site", layout)
    web.write(corpus if corpus.is_dir() else None)
    nginx = site.Nginx(workdir, web.root, layout.port, layout.hosts)
    try:
        nginx.start(layout.feed_url(0))
        db = workdir / "archive.db"
        store = Store(db)
        specs = [FeedSpec(layout.feed_url(n)) for n in range(layout.feeds)]
        store.sync_feeds(specs, datetime.now(UTC))
        store.close()
        settings = Settings(concurrency=200, host_gap=0.0, private_pages=True, jitter=0.0)
        print(f"# one process, {layout.feeds} feeds on {layout.hosts} loopback hosts")
        asyncio.run(phases(web, db, settings, args.new_articles))
    finally:
        nginx.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
