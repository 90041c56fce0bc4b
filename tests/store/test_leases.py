"""Leases (store/leases.py) on both engines: what a node claims no other node gets until
it is given back or runs out, and nodes claiming at the same moment share what is due."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingester.store import Store
from ingester.types import Article, ArticleUrls, FeedSpec, PollResult
from tests.support.postgres import read_rows
from tests.support.versions import version_of

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
LEASE = 60.0
SPECS = [FeedSpec(f"https://host{n % 7}.example/feed{n}.xml") for n in range(40)]


@pytest.fixture
def store(archive_target: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store(archive_target, warcs=tmp_path / "warcs")
    opened.sync_feeds(SPECS, T0)
    yield opened
    opened.close()


def claim(store: Store, node: str, at: datetime = T0, limit: int | None = None) -> set[str]:
    return {f.url for f in store.claim_due_feeds(node, at, LEASE, 1800, limit)}


def test_a_claim_takes_every_due_feed_and_a_second_node_gets_none(store: Store) -> None:
    assert claim(store, "a:1") == {s.url for s in SPECS}
    assert claim(store, "b:2") == set()
    owners = read_rows(store.target, "SELECT DISTINCT lease_owner, lease_until FROM feeds")
    assert owners == [("a:1", "2026-12-01T08:01:00+00:00")]


def test_a_claim_takes_at_most_its_limit_the_longest_waiting_first(store: Store) -> None:
    first = store.claim_due_feeds("a:1", T0, LEASE, 1800, limit=15)
    rest = claim(store, "b:2", limit=100)

    assert len(first) == 15
    assert [f.url for f in first] == [s.url for s in SPECS[:15]]  # ids break the tie
    assert rest == {s.url for s in SPECS[15:]}


def test_a_recorded_poll_gives_the_lease_back_and_moves_the_due_time(store: Store) -> None:
    [feed, *_] = store.claim_due_feeds("a:1", T0, LEASE, 1800)
    store.record_poll(feed, PollResult(feed.label, "ok"), T0, T0 + timedelta(hours=1))

    row = read_rows(
        store.target, "SELECT lease_owner, lease_until, next_poll_at FROM feeds WHERE id = ?",
        feed.id,
    )  # fmt: skip
    assert row == [(None, None, "2026-12-01T09:00:00+00:00")]
    assert feed.url not in claim(store, "b:2", T0 + timedelta(minutes=5))


def test_a_lease_that_ran_out_is_claimed_by_another_node(store: Store) -> None:
    claim(store, "a:1")

    assert claim(store, "b:2", T0 + timedelta(seconds=LEASE - 1)) == set()
    assert claim(store, "b:2", T0 + timedelta(seconds=LEASE)) == {s.url for s in SPECS}


def test_renewing_holds_the_feeds_at_work_past_the_first_lease(store: Store) -> None:
    held = store.claim_due_feeds("a:1", T0, LEASE, 1800)
    at_work = [f.id for f in held[:30]]
    renewed = store.renew_leases("a:1", T0 + timedelta(seconds=50), LEASE, feeds=at_work)

    assert renewed == 30
    # The ten not at work (a poll job that failed) run out with the first lease.
    assert claim(store, "b:2", T0 + timedelta(seconds=LEASE + 5)) == {f.url for f in held[30:]}
    assert len(claim(store, "b:2", T0 + timedelta(seconds=50 + LEASE))) == 30


def test_a_node_renews_only_what_it_holds(store: Store) -> None:
    mine = store.claim_due_feeds("a:1", T0, LEASE, 1800, limit=5)
    theirs = store.claim_due_feeds("b:2", T0, LEASE, 1800, limit=5)

    ids = [f.id for f in mine + theirs]
    assert store.renew_leases("a:1", T0 + timedelta(seconds=30), LEASE, feeds=ids) == 5


def test_released_leases_are_claimed_at_once(store: Store) -> None:
    claim(store, "a:1", limit=10)
    claim(store, "c:3", limit=10)
    store.release_leases("a:1")

    assert len(claim(store, "b:2")) == len(SPECS) - 10  # all but what c:3 holds


def test_a_dead_process_on_this_host_has_its_leases_given_back(store: Store) -> None:
    host = socket.gethostname()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead, alive = f"{host}:{gone.stdout.strip()}", f"{host}:{os.getpid()}"
    claim(store, dead, limit=10)
    claim(store, alive, limit=10)
    claim(store, "elsewhere:1", limit=10)

    assert store.release_dead_leases(host) == [dead]
    owners = read_rows(store.target, "SELECT DISTINCT lease_owner FROM feeds")
    assert {owner for (owner,) in owners} == {None, alive, "elsewhere:1"}


def test_nodes_claiming_at_the_same_time_share_the_feeds_without_overlap(
    archive_target: str, store: Store
) -> None:
    # Eight nodes, each with its own connection, claim batches of 3 until nothing is due.
    claimed: dict[str, list[str]] = {}
    start = threading.Barrier(8)

    def node(name: str) -> None:
        own = Store(archive_target)
        try:
            start.wait(timeout=30)
            mine = claimed.setdefault(name, [])
            for _ in range(len(SPECS)):  # bounded: at most one batch per feed
                batch = [f.url for f in own.claim_due_feeds(name, T0, LEASE, 1800, 3)]
                if not batch:
                    break
                mine.extend(batch)
        finally:
            own.close()

    threads = [threading.Thread(target=node, args=(f"n:{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every = [url for urls in claimed.values() for url in urls]
    assert sorted(every) == sorted(s.url for s in SPECS)  # each feed claimed exactly once
    owners = {
        url: owner for url, owner in read_rows(store.target, "SELECT url, lease_owner FROM feeds")
    }
    assert all(owners[url] == name for name, urls in claimed.items() for url in urls)


def test_due_re_checks_are_claimed_once(store: Store) -> None:
    for n in range(6):
        store.save(
            ArticleUrls(f"https://host0.example/a{n}"),
            version_of(_article(n)),
            T0,
            next_check_at=T0 + timedelta(minutes=n),
        )
    later = T0 + timedelta(minutes=10)

    first = store.claim_due_articles("a:1", later, LEASE, limit=4)
    second = store.claim_due_articles("b:2", later, LEASE, limit=4)

    assert [a.url for a in first] == [f"https://host0.example/a{n}" for n in range(4)]
    assert [a.url for a in second] == [f"https://host0.example/a{n}" for n in (4, 5)]
    assert store.claim_due_articles("c:3", later, LEASE, limit=4) == []


def _article(n: int) -> Article:
    return Article(title=f"Story {n}", body=(f"Paragraph of story {n}.",))


def test_a_config_of_more_feeds_than_a_statement_takes_parameters_is_synced_and_claimed(
    archive_target: str, tmp_path: Path
) -> None:
    # SQLite takes 32,766 parameters in a statement and PostgreSQL 65,535; a cluster's
    # config may name many more feeds than either.
    many = [FeedSpec(f"https://host{n % 500}.example/{n}.xml") for n in range(70_000)]
    store = Store(archive_target, warcs=tmp_path)
    try:
        store.sync_feeds(many, T0)
        store.sync_feeds(many[:69_990], T0)  # ten removed
        claimed = store.claim_due_feeds("a:1", T0, LEASE, 1800)
    finally:
        store.close()

    assert len(claimed) == 69_990
    assert [f.url for f in claimed[:3]] == [s.url for s in many[:3]]
