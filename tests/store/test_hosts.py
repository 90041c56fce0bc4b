"""A cluster's turns at a host (store/hosts.py, fetch/politeness.py's SharedHostGate) on a
real PostgreSQL: two nodes, each with its own connection and gate, keep one host's
limits together; and a node's connection outlives the server ending its session."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingester.fetch.politeness import SharedHostGate
from ingester.store import Store
from tests.support.postgres import PostgresServer

HOST = "https://news.example"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def nodes(postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    url = postgres.database()
    first, second = Store(url, warcs=tmp_path), Store(url, warcs=tmp_path)
    yield first, second
    first.close()
    second.close()


async def visits(
    gates: list[SharedHostGate], per_gate: int, hold: float
) -> list[tuple[float, float]]:
    """Each gate makes ``per_gate`` requests to one host at once; (start, end) of each."""
    spans: list[tuple[float, float]] = []

    async def request(gate: SharedHostGate, n: int) -> None:
        async with gate.slot(f"{HOST}/page{n}"):
            started = time.monotonic()
            await asyncio.sleep(hold)
            spans.append((started, time.monotonic()))

    await asyncio.wait_for(
        asyncio.gather(*(request(g, n) for g in gates for n in range(per_gate))), timeout=60
    )
    return sorted(spans)


def test_two_nodes_never_exceed_one_hosts_concurrency(nodes: tuple[Store, Store]) -> None:
    gates = [SharedHostGate(2, 0.0, store) for store in nodes]

    spans = asyncio.run(visits(gates, per_gate=6, hold=0.05))

    assert len(spans) == 12
    most = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert most == 2  # each gate alone would allow 2, so 4 together without the cluster's


def test_two_nodes_space_one_hosts_starts_by_the_gap(nodes: tuple[Store, Store]) -> None:
    gap = 0.15
    gates = [SharedHostGate(4, gap, store) for store in nodes]

    spans = asyncio.run(visits(gates, per_gate=3, hold=0.0))

    starts = [start for start, _ in spans]
    apart = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 6
    assert min(apart) >= gap - 0.02  # wall clock against monotonic: a little leeway


def test_a_closed_connection_gives_its_slots_back(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.database()
    dying, other = Store(url, warcs=tmp_path), Store(url, warcs=tmp_path)
    try:
        assert dying.take_host_slot(HOST, 1) == 0
        assert other.take_host_slot(HOST, 1) is None
        dying.close()  # a node that dies: the server ends its session

        # The server ends the session once it reads the connection's end: soon, not at once.
        deadline = time.monotonic() + 10
        while (slot := other.take_host_slot(HOST, 1)) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert slot == 0
    finally:
        other.close()


def test_a_store_whose_session_the_server_ended_goes_on_in_a_new_one(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    import psycopg

    from ingester.errors import StoreError
    from ingester.types import FeedSpec

    url = postgres.database()
    store = Store(url, warcs=tmp_path)
    try:
        store.sync_feeds([FeedSpec("https://news.example/feed.xml")], T0)
        (pid,) = store.db.execute("SELECT pg_backend_pid()").fetchone()
        with psycopg.connect(url, autocommit=True) as admin:  # a restart, as the node sees it
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreError):
            store.sync_feeds([FeedSpec("https://news.example/other.xml")], T0)  # found gone

        store.sync_feeds([FeedSpec("https://news.example/other.xml")], T0)

        assert [f.url for f in store.active_feeds(1800)] == ["https://news.example/other.xml"]
    finally:
        store.close()
