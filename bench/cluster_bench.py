"""`make bench-cluster`: one node against three on the same site, sharing PostgreSQL.

The cluster of bench/cluster.py (nodes in network namespaces, nginx and PostgreSQL in a
namespace of their own) polls a generated site of many feeds on many hosts: first every
feed (pages fetched), then every feed again unchanged (304s), which is the steady state
of a subscription list. Each is timed from the moment the feeds are made due to the
moment the last poll is recorded, with the CPU time of the nodes and of PostgreSQL over
the same span (/proc). Then, in this process, what the cluster machinery costs a poll:
claiming due feeds with leases against reading them as a single SQLite daemon does, and
a host's turn (slot and start) per request.

Figures are printed, with the ratios that carry (3 nodes against 1; PostgreSQL's CPU
per poll against a node's): on one machine of two cores three nodes share the same
cores, so this measures what a node and the database cost, from which docs/scale-out.md
works out what N machines would do. Exits 1 when a phase does not finish.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import cluster, procs, site
from bench.postgres import PostgresServer, postgres_bin
from ingester.clock import iso

PHASE_TIMEOUT = 600.0


@dataclass
class Phase:
    feeds: int
    seconds: float
    node_cpu: float
    pg_cpu: float

    @property
    def rate(self) -> float:
        return self.feeds / self.seconds

    def per_poll_ms(self, cpu: float) -> float:
        return 1000 * cpu / self.feeds


def node_settings(warcs: Path, workers: int) -> list[str]:
    """Every node's settings: the cluster's, no host gap, nothing re-checked."""
    return [
        "private_pages = true",
        f'warc_dir = "{warcs}"',
        "host_concurrency = 4",
        "host_gap = 0",
        "jitter = 0",
        "recheck = []",
        'default_interval = "1d"',
        "tick = 1",
        "lease = 30",
        "claim_batch = 200",
        f"workers = {workers}",
        "concurrency = 64",
    ]


def run_cluster(work: Path, layout: site.Layout, nodes: int) -> tuple[Phase, Phase]:
    """The site polled by ``nodes`` daemons on a fresh archive: first polls, then 304s."""
    import psycopg

    web = site.Site(work / "site", layout)
    web.write(corpus=None)
    config = work / "feeds.toml"
    config.write_text(cluster.node_config(layout, node_settings(work / "warcs", workers=1)))
    pg_root = Path(tempfile.mkdtemp(prefix="ingester-pg-"))
    with cluster.network(nodes, layout.addresses()) as net:
        nginx = site.Nginx(
            work, web.root, layout.port, layout.hosts, prefix=net.in_servers(),
            addresses=layout.addresses(),
        )  # fmt: skip
        pg = PostgresServer(
            postgres_bin() or Path(), pg_root, prefix=net.in_servers(),
            listen=(cluster.GATEWAY,), trust=(f"{cluster.BRIDGE_NET}.0/24",),
        )  # fmt: skip
        running: list[cluster.Node] = []
        try:
            nginx.start(layout.feed_url(0), ready=lambda: net.answers(layout.feed_url(0)))
            pg.start()
            name = pg.database().rsplit("/", 1)[1]
            url, inside = pg.socket_url(name), pg.url(name, cluster.GATEWAY)
            argv = [sys.executable, "-m", "ingester", "--config", str(config), "--db", inside]
            _cli([*argv, "feeds", "list"], net)  # the schema, before the nodes start
            conn = psycopg.connect(url, autocommit=True)
            start = time.monotonic()
            cpu_before = _cpu(pg.pid, running)
            for i in range(nodes):
                running.append(cluster.Node(
                    f"node{i + 1}", net.command(i, f"node{i + 1}", [*argv, "run"]),
                    work / f"node{i + 1}.log", cluster.node_env(),
                ))  # fmt: skip
            first = _phase(conn, layout.feeds, 1, start, pg.pid, running, cpu_before)
            # Every feed due again at once: the unchanged re-poll, answered 304.
            cpu_before = _cpu(pg.pid, running)
            start = time.monotonic()
            conn.execute("UPDATE feeds SET next_poll_at = %s", (iso(datetime.now(UTC)),))
            again = _phase(conn, layout.feeds, 2, start, pg.pid, running, cpu_before)
            conn.close()
            return first, again
        finally:
            for node in running:
                node.stop()
            pg.stop()
            nginx.stop()
            shutil.rmtree(pg_root, ignore_errors=True)


def _phase(
    conn: object, feeds: int, polls: int, start: float, pg_pid: int | None,
    running: list[cluster.Node], cpu_before: tuple[float, float],
) -> Phase:  # fmt: skip
    """Wait until every feed has ``polls`` polls; the time and CPU it took."""
    deadline = start + PHASE_TIMEOUT
    sql = (
        "SELECT COUNT(*) FROM feeds f"
        " WHERE (SELECT COUNT(*) FROM polls p WHERE p.feed_id = f.id) >= %s"
    )
    done = 0
    while time.monotonic() < deadline:
        done = conn.execute(sql, (polls,)).fetchone()[0]  # type: ignore[attr-defined]
        if done >= feeds:
            break
        time.sleep(0.2)
    else:
        raise SystemExit(f"bench-cluster: only {done} of {feeds} feeds polled {polls}x in time")
    seconds = time.monotonic() - start
    pg_cpu, node_cpu = _cpu(pg_pid, running)
    return Phase(feeds, seconds, node_cpu - cpu_before[1], pg_cpu - cpu_before[0])


def _cpu(pg_pid: int | None, running: list[cluster.Node]) -> tuple[float, float]:
    """CPU seconds so far: PostgreSQL's processes, and the nodes' (daemons and pollers)."""

    def tree(pid: int | None) -> float:
        if pid is None:
            return 0.0
        return sum(procs.cpu_seconds(p) or 0.0 for p in [pid, *procs.descendants(pid)])

    return tree(pg_pid), sum(tree(node.proc.pid) for node in running)


def machinery(work: Path, feeds: int = 5000, batch: int = 500) -> dict[str, float]:
    """What leases and a cluster's host turns cost, in microseconds, in this process:
    claiming ``feeds`` due feeds in batches on PostgreSQL against reading them as due on
    SQLite and on PostgreSQL, and a host's slot and turn per request."""
    from ingester.store import Store
    from ingester.types import FeedSpec

    now = datetime(2026, 12, 1, tzinfo=UTC)
    specs = [FeedSpec(f"http://198.51.100.{n % 200 + 1}/f{n}.xml") for n in range(feeds)]
    figures: dict[str, float] = {}
    pg = PostgresServer(postgres_bin() or Path(), Path(tempfile.mkdtemp(prefix="ingester-pg-")))
    pg.start()
    try:
        for engine, target in (("sqlite", str(work / "m.db")), ("postgresql", pg.database())):
            store = Store(target, warcs=work)
            store.sync_feeds(specs, now)
            start = time.perf_counter()
            for _ in range(3):
                store.due_feeds(now, 1800)
            figures[f"read due, {engine}"] = (time.perf_counter() - start) / (3 * feeds) * 1e6
            rounds = []
            for n in range(3):
                at = now + timedelta(hours=n)  # the last round's leases have run out
                start = time.perf_counter()
                while store.claim_due_feeds("bench:1", at, 60, 1800, batch):
                    pass
                rounds.append((time.perf_counter() - start) / feeds * 1e6)
            figures[f"claim, {engine}"] = statistics.median(rounds)
            if engine == "postgresql":
                start = time.perf_counter()
                for n in range(2000):
                    host = f"http://198.51.100.{n % 50 + 1}"
                    slot = store.take_host_slot(host, 4)
                    store.take_host_turn(host, 0.001)
                    if slot is not None:
                        store.give_host_slot(host, slot)
                figures["host turn, postgresql"] = (time.perf_counter() - start) / 2000 * 1e6
            store.close()
    finally:
        pg.stop()
        shutil.rmtree(pg.root, ignore_errors=True)
    return figures


def _cli(argv: list[str], net: cluster.Network) -> None:
    import subprocess

    done = subprocess.run(net.command(0, "setup", argv), capture_output=True, text=True,
                          env=cluster.node_env(), timeout=300, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench-cluster: {' '.join(argv[-2:])} failed: {done.stderr.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=200)
    args = parser.parse_args()
    # SIGTERM (a timeout, Ctrl-C's cousin) unwinds like an error: the nodes, servers and
    # namespaces made so far are taken down on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    reason = cluster.missing() or (None if postgres_bin() else "PostgreSQL is not installed")
    if reason:
        raise SystemExit(f"bench-cluster: {reason}")
    results: dict[int, tuple[Phase, Phase]] = {}
    for nodes in (1, 3):
        with tempfile.TemporaryDirectory(prefix=f"ingester-bench-{nodes}-") as folder:
            layout = site.Layout(feeds=args.feeds, hosts=args.hosts, port=site.free_port(),
                                 test_net=True)  # fmt: skip
            results[nodes] = run_cluster(Path(folder), layout, nodes)
            print(f"{nodes} node(s) done", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="ingester-bench-m-") as folder:
        costs = machinery(Path(folder))
    report(args.feeds, args.hosts, results, costs)


def report(
    feeds: int, hosts: int, results: dict[int, tuple[Phase, Phase]], costs: dict[str, float]
) -> None:
    print(f"\n{feeds:,} feeds on {hosts} hosts; nodes in network namespaces, one poller each\n")
    print("| phase | nodes | feeds/s | node CPU ms/poll | PostgreSQL CPU ms/poll | s |")
    print("|---|---|---|---|---|---|")
    for label, index in (("first poll (pages fetched)", 0), ("re-poll, unchanged (304)", 1)):
        for nodes, phases in results.items():
            phase = phases[index]
            node_ms, pg_ms = phase.per_poll_ms(phase.node_cpu), phase.per_poll_ms(phase.pg_cpu)
            print(
                f"| {label} | {nodes} | {phase.rate:,.0f} | {node_ms:.2f} | {pg_ms:.2f} "
                f"| {phase.seconds:.1f} |"
            )
    one, three = results[1][1], results[3][1]
    print(f"\n3 nodes against 1, re-poll: {three.rate / one.rate:.2f}x feeds/s")
    print(f"PostgreSQL's CPU per poll against a node's, re-poll, 3 nodes: "
          f"{three.pg_cpu / three.node_cpu:.2f}x")  # fmt: skip
    print("\n| cluster machinery | µs |\n|---|---|")
    for name, value in costs.items():
        print(f"| {name} | {value:,.1f} |")


if __name__ == "__main__":
    main()
