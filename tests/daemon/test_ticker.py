"""A tick of the daemon's ticker, in-process on the pipeline harness's explicit clock: due
feeds first, then re-checks within the budget, then the heartbeat."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ingester.clock import iso
from ingester.config import Config
from ingester.daemon.ticker import Ticker
from ingester.pipeline import Pipeline
from tests.support.harness import PAGES, RSS_TYPE, T0, Harness, page_hits, paths, serve_pages
from tests.support.httpserver import LocalServer
from tests.support.samples import SamplePage, rss, sentences


def test_a_tick_polls_due_feeds_first_then_rechecks_within_the_budget(
    polled: Harness, server: LocalServer
) -> None:
    # A second feed appears at T0 + 16 min, when all three articles are due for a re-check.
    [new_item] = serve_pages(
        server, {"/b/new": SamplePage("Harbour gets a new crane", sentences("the crane"))}
    )
    server.set_text("/other.xml", rss("Other News", server.url("/"), [new_item]), RSS_TYPE)
    polled.clock.advance(minutes=16)
    polled.add(server.url("/other.xml"), "other", interval=86400)
    settings = replace(polled.settings, recheck_budget=1, tick=60)
    config = Config(path=Path("unused.toml"), settings=settings, feeds=tuple(polled.specs))
    before = page_hits(server)
    requests_before = len(server.requests)

    async def tick(pipeline: Pipeline) -> None:
        await Ticker(pipeline, polled.store, config, started=T0).tick()

    polled.run(tick)

    assert server.hits("/other.xml") == 1 and server.hits("/b/new") == 1
    assert server.hits("/feed.xml") == 1  # not due: it waits a day
    assert page_hits(server) == before + 1  # the budget: one re-check
    tick_paths = paths(server)[requests_before:]
    recheck_at = max(i for i, p in enumerate(tick_paths) if p in PAGES)
    assert recheck_at > tick_paths.index("/b/new")  # after the new article
    heartbeat = polled.store.daemon()
    assert heartbeat is not None
    assert heartbeat["heartbeat_at"] == iso(polled.clock())
    assert (heartbeat["pid"], heartbeat["tick"]) == (os.getpid(), 60)
