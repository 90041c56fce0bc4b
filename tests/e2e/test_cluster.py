"""Three daemons, each in a network namespace of its own (bench/cluster.py), poll one site
served by nginx into one PostgreSQL archive; one of them is SIGKILLed mid-poll.

What must hold, each read from what the servers recorded: every feed is polled once per
due time (the poll records); a host's limits hold for the cluster as a whole (nginx's
log of every request); the dead node's feeds are taken over within its lease and a
tick, and nothing it was doing is lost: the archive ends as a single-node SQLite run of
the same site ends, article for article, version hash for version hash.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import cluster, site
from bench.postgres import PostgresServer, postgres_bin
from tests.support.cli import Archive, cli_env
from tests.support.postgres import read_rows
from tests.support.serving import get_json, serving

NODES = 3
TICK = 1
LEASE = 4
INTERVAL = 20  # seconds between a feed's polls: the second round tells double polls apart
HOST_CONCURRENCY = 2
HOST_GAP = 0.3
LEEWAY = 0.1  # a start is reserved gap apart; a loaded machine may send one a little late
TAKEOVER_SLACK = 3.0  # a node busy with its batch claims again once the batch is done
LAYOUT_FEEDS, LAYOUT_HOSTS = 36, 6
PAGE_RATE = 40_000  # bytes a second: a padded page takes about a second


@dataclass
class Run:
    """What the cluster did, read back once it stopped."""

    url: str  # the archive, from this namespace
    config: Path
    polls: dict[int, list[tuple[datetime, str]]]  # feed id -> (started, node), in order
    held_at_kill: set[int]  # feeds the killed node held when it died
    killed_at: datetime
    requests: list[tuple[float, float, str, str, int, str]]  # nginx's timing log
    codes: list[int]  # the surviving nodes' exit codes
    logs: dict[str, str]
    warcs: Path
    reference: str  # the single-node SQLite archive of the same site


def _config(layout: site.Layout, warcs: Path, *, cluster_settings: bool = True) -> str:
    settings = [
        "private_pages = true",
        f'warc_dir = "{warcs}"',
        f"host_concurrency = {HOST_CONCURRENCY}",
        f"host_gap = {HOST_GAP}",
        "jitter = 0",
        "recheck = []",
        f"default_interval = {INTERVAL}",
        "min_interval = 5",
    ]
    if cluster_settings:
        settings += [f"tick = {TICK}", f"lease = {LEASE}", "claim_batch = 3", "workers = 1"]
    return cluster.node_config(layout, settings)


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    reason = cluster.missing() or (None if postgres_bin() else "PostgreSQL is not installed")
    if reason is None and not Path(site.nginx_binary()).exists():
        reason = "nginx is not installed (.ci/run installs Debian's nginx-light)"
    if reason:
        pytest.skip(f"no cluster here: {reason}")
    with (
        tempfile.TemporaryDirectory(prefix="ingester-cluster-") as folder,
        _run(Path(folder)) as ran,
    ):
        yield ran


@contextlib.contextmanager
def _run(work: Path) -> Iterator[Run]:
    """The cluster's run, with PostgreSQL still up for the tests to read the archive."""
    layout = site.Layout(
        feeds=LAYOUT_FEEDS, hosts=LAYOUT_HOSTS, port=site.free_port(), test_net=True
    )
    web = site.Site(work / "site", layout)
    web.write(corpus=None)
    # Pages that take a second to send (nginx's limit_rate holds back only what exceeds
    # one write), so that a host's requests would overlap where its limits allowed it.
    for page in (web.root / "articles").iterdir():
        page.write_bytes(page.read_bytes() + b"<!-- " + b"padding " * 5000 + b"-->\n")
    warcs = work / "warcs"
    config = work / "feeds.toml"
    config.write_text(_config(layout, warcs))
    with cluster.network(NODES, layout.addresses()) as net:
        nginx = site.Nginx(
            work, web.root, layout.port, layout.hosts, prefix=net.in_servers(),
            addresses=layout.addresses(), timing_log=True, page_rate=PAGE_RATE,
        )  # fmt: skip
        # Its own folder in /tmp: the postgres user it runs as cannot enter ``work``.
        pg_root = Path(tempfile.mkdtemp(prefix="ingester-pg-"))
        pg = PostgresServer(
            postgres_bin() or Path(), pg_root, prefix=net.in_servers(),
            listen=(cluster.GATEWAY,), trust=(f"{cluster.BRIDGE_NET}.0/24",),
        )  # fmt: skip
        try:
            nginx.start(layout.feed_url(0), ready=lambda: net.answers(layout.feed_url(0)))
            pg.start()
            name = pg.database().rsplit("/", 1)[1]
            url, inside = pg.socket_url(name), pg.url(name, cluster.GATEWAY)
            # The schema made once, before the nodes race to it (they would also be fine).
            _ingester(config, url, "feeds", "list")
            yield _polled_by_the_cluster(work, net, layout, config, url, inside, warcs, nginx)
        finally:
            pg.stop()
            nginx.stop()
            shutil.rmtree(pg_root, ignore_errors=True)


def _polled_by_the_cluster(
    work: Path,
    net: cluster.Network,
    layout: site.Layout,
    config: Path,
    url: str,
    inside: str,
    warcs: Path,
    nginx: site.Nginx,
) -> Run:
    argv = [sys.executable, "-m", "ingester", "--config", str(config), "--db", inside, "run"]
    names = [f"node{i + 1}" for i in range(NODES)]
    nodes = [
        cluster.Node(name, net.command(i, name, argv), work / f"{name}.log", cli_env())
        for i, name in enumerate(names)
    ]
    try:
        victim = nodes[-1]

        def held() -> set[int]:
            rows = read_rows(url, "SELECT id FROM feeds WHERE lease_owner LIKE 'node3:%'")
            return {int(r[0]) for r in rows}

        assert cluster.wait_until(lambda: held(), timeout=60), victim.text()
        held_at_kill = held()
        killed_at = datetime.now(UTC)
        victim.kill()

        def least_polls() -> int:
            rows = read_rows(
                url, "SELECT COUNT(p.id) FROM feeds f LEFT JOIN polls p ON p.feed_id = f.id"
                " GROUP BY f.id"
            )  # fmt: skip
            return min(int(r[0]) for r in rows)

        # Every feed polled for its first due time, then for its second.
        assert cluster.wait_until(lambda: least_polls() >= 2, timeout=INTERVAL + 90, every=0.5)
        codes = [node.stop() for node in nodes[:-1]]
    finally:
        for node in nodes:
            node.stop()
    polls: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for feed_id, started, by in read_rows(
        url, "SELECT feed_id, started_at, node FROM polls ORDER BY started_at"
    ):
        polls[int(feed_id)].append((datetime.fromisoformat(started), by))
    requests = cluster.timing_rows(nginx.workdir / site.TIMING_LOG)
    reference = _single_node(work, net, layout)
    return Run(
        url, config, dict(polls), held_at_kill, killed_at, requests, codes,
        {node.name: node.text() for node in nodes}, warcs, reference,
    )  # fmt: skip


def _single_node(work: Path, net: cluster.Network, layout: site.Layout) -> str:
    """The same site polled once by one machine (the first node's namespace, now that its
    daemon is stopped), into SQLite."""
    folder = work / "single"
    folder.mkdir()
    config = folder / "feeds.toml"
    config.write_text(_config(layout, folder / "warcs", cluster_settings=False))
    db = str(folder / "archive.db")
    _ingester(config, db, "poll", prefix=net.command(0, "single", []))
    return db


def _ingester(
    config: Path, db: str, *args: str, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """The CLI, here or (``prefix``) in a node's namespace."""
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "ingester", "--config", str(config), "--db", db, *args],
        capture_output=True, text=True, env=cli_env(), timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


VERSIONS = """SELECT a.url, v.number, v.sha256 FROM versions v
    JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.number"""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_feed_is_polled_once_per_due_time(run: Run) -> None:
    assert len(run.polls) == LAYOUT_FEEDS
    for feed_id, polls in run.polls.items():
        starts = [started for started, _ in polls]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
        assert len(starts) >= 2, (feed_id, polls)
        # A second poll for one due time would come seconds after the first.
        assert all(gap >= INTERVAL - 1 for gap in gaps), (feed_id, polls)
    nodes = {node for polls in run.polls.values() for _, node in polls}
    assert {"node1", "node2"} <= nodes <= {"node1", "node2", "node3"}
    assert run.codes == [0, 0], run.logs


@pytest.mark.slow
def test_a_hosts_limits_hold_for_the_cluster_as_a_whole(run: Run) -> None:
    by_host: dict[str, list[tuple[float, float]]] = defaultdict(list)
    clients = set()
    for start, end, host, client, _, _ in run.requests:
        by_host[host].append((start, end))
        clients.add(client)
    # The requests came from the namespaces' own addresses: at least the two that lived.
    addresses = {f"{cluster.BRIDGE_NET}.{11 + i}" for i in range(NODES)}
    assert set(sorted(addresses)[:2]) <= clients <= addresses
    assert set(by_host) == set(site.Layout(1, LAYOUT_HOSTS, 1, test_net=True).addresses())
    most = 0
    for host, spans in by_host.items():
        starts = [start for start, _ in spans]
        apart = [b - a for a, b in itertools.pairwise(starts)]
        assert min(apart) >= HOST_GAP - LEEWAY, (host, sorted(apart)[:5])
        at_once = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
        assert at_once <= HOST_CONCURRENCY, host
        most = max(most, at_once)
    assert most == HOST_CONCURRENCY  # the limit was reached, so it was what held


@pytest.mark.slow
def test_the_dead_nodes_feeds_are_taken_over_within_its_lease_and_a_tick(run: Run) -> None:
    assert run.held_at_kill
    taken_over = []
    for feed_id in run.held_at_kill:
        after = [(s, n) for s, n in run.polls[feed_id] if n != "node3"]
        first = after[0][0]
        if any(n == "node3" for _, n in run.polls[feed_id]):
            continue  # recorded in the instant between the look and the kill
        taken_over.append((first - run.killed_at).total_seconds())
    assert taken_over
    assert max(taken_over) <= LEASE + TICK + TAKEOVER_SLACK, taken_over


@pytest.mark.slow
def test_the_archive_equals_a_single_node_run_of_the_same_site(run: Run) -> None:
    clustered = read_rows(run.url, VERSIONS)
    single = read_rows(run.reference, VERSIONS)

    assert clustered == single
    assert len(single) >= LAYOUT_HOSTS * 6  # every page of every host, one version each


@pytest.mark.slow
def test_each_node_wrote_its_own_warc_files_and_every_pointer_resolves(run: Run) -> None:
    names = [path.name for path in run.warcs.iterdir()]
    assert {"node1", "node2"} <= {n.split("-")[-1].split(".")[0] for n in names}, names

    report = json.loads(_ingester(run.config, run.url, "warc", "check", "--json").stdout)
    assert report["problems"] == []
    assert report["pointers"] >= LAYOUT_HOSTS * 6 + LAYOUT_FEEDS  # every version and feed


@pytest.mark.slow
def test_a_mirror_of_the_clusters_archive_is_read_in_datasette(run: Run, tmp_path: Path) -> None:
    reader = Archive(tmp_path)
    reader.write_config("")
    refused = subprocess.run(
        [sys.executable, "-m", "ingester", "--config", str(reader.config), "--db", run.url,
         "serve"], capture_output=True, text=True, env=cli_env(), timeout=60, check=False,
    )  # fmt: skip

    _ingester(run.config, run.url, "mirror", str(reader.db))

    assert refused.returncode == 1 and "ingester mirror" in refused.stderr
    assert read_rows(str(reader.db), VERSIONS) == read_rows(run.reference, VERSIONS)
    with serving(reader) as base:
        latest = get_json(f"{base}/archive/latest_articles.json?_shape=array")
    articles = read_rows(run.reference, "SELECT url FROM articles")
    assert sorted(row["url"] for row in latest) == sorted(url for (url,) in articles)
