"""`make bench`: the real daemon against 10,000 feeds on 1,000 loopback hosts, beside ceilings.

One run generates the site (bench/site.py), serves it with nginx on 127.x addresses, starts
``ingester run`` as a subprocess and drives it through its archive, the way it schedules
itself: each phase marks feeds due and reads the daemon's own ``tick`` line for the figure.

0. setup: the first poll of every feed (all new, so all due at start);
1. re-poll of unchanged feeds: every answer a 304; plus what such a poll writes;
2. re-poll of feeds that changed but carry no new entry (a new lastBuildDate);
3. new articles: one new item in each of ``--new-articles`` feeds, each a real page;
4. peak memory of the daemon's main process, its pollers and any extraction workers;
5. archive bytes per article version, once the daemon has stopped.

Each figure stands beside a ceiling (what the machine and nginx allow: bench/baselines.py),
a naive baseline (bench/naive.py) and reader (bench/reader_peer.py), measured in the same
run, because only ratios carry from one machine to another. reader polls right after the
daemon, the site unchanged in between: its first poll after phase 0, its unchanged re-poll
after phase 1, its changed re-poll after phase 2 and before phase 3 edits the feeds. The
verdicts are ratios (bench/verdicts.py); the table is bench/perf_table.py. Exits 1 when a
verdict fails or a phase cannot be measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from bench import baselines, reader_peer, site
from bench.baselines import Rate
from bench.daemon import (
    PROJECT,
    Archive,
    BenchError,
    Daemon,
    Tick,
    clean_env,
    write_config,
)
from bench.eval_extraction import BENCHMARK, corpora_root
from bench.perf_results import Archived, Bookkeeping, Results, Snapshot
from bench.perf_table import table
from bench.reader_peer import PeerError, ReaderPeer, ReaderPoll
from ingester.fetch.records import warc_files

Stop = Callable[[], object]


# -- the run ----------------------------------------------------------------------------


def daemon_settings(args: argparse.Namespace) -> dict[str, int | float | bool]:
    """Keys of ingester.config.Settings; everything else is left at its default."""
    return {
        "tick": 1,
        "jitter": 0,
        "host_concurrency": 2,
        "host_gap": 0,  # politeness by concurrency only: a gap would time the sleep
        "private_pages": True,  # the pages are on loopback
        "private_feeds": True,
        "recheck_budget": 0,  # no re-checks of old articles during the bench
        "min_interval": 300,
        "default_interval": 3600,
        "concurrency": args.concurrency,
    }


@contextmanager
def phase(results: Results, name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        results.phase_seconds[name] = time.monotonic() - started
        print(f"[bench] {name}: {results.phase_seconds[name]:.1f} s", file=sys.stderr, flush=True)


def snapshot(archive: Archive, daemon: Daemon) -> Snapshot:
    return Snapshot(
        archive.table_rows(), archive.size_bytes(), daemon.wchar(), daemon.stderr_bytes()
    )


def poll_due(
    daemon: Daemon,
    archive: Archive,
    urls: Sequence[str] | None,
    args: argparse.Namespace,
    what: str,
    cpu_used: dict[str, dict[str, float]],
) -> Tick:
    """Mark feeds due (all when ``urls`` is None) and wait for the tick that polls them."""
    flag = "--poll-timeout" if urls is None else "--ingest-timeout"
    timeout = args.poll_timeout if urls is None else args.ingest_timeout
    seen = daemon.tick_count()
    before = daemon.cpu()
    marked = archive.mark_due(urls)
    if marked == 0:
        raise BenchError(f"{what}: no feed to mark due")
    tick = daemon.wait_tick(seen, timeout, what, flag)
    after = daemon.cpu()
    cpu_used[what] = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
    return tick


def expect(results: Results, what: str, tick: Tick, **wanted: int) -> None:
    """A note for every tick figure that is not what the phase should produce."""
    for key, value in wanted.items():
        if tick[key] != value:
            results.notes.append(f"{what}: tick {key}={tick[key]}, expected {value}")


def check_statuses(results: Results, what: str, rate: Rate, wanted: str) -> None:
    if set(rate.statuses) != {wanted}:
        results.notes.append(f"{what}: outcomes {dict(rate.statuses)}, expected all {wanted}")


def real_page_bytes(workdir: Path, urls: Sequence[str]) -> list[tuple[bytes, str]]:
    """The bytes nginx serves for each article URL, read once per distinct file."""
    cache: dict[Path, bytes] = {}
    pages = []
    for url in urls:
        path = urlsplit(url).path
        if path.startswith("/real/"):
            page_id = path.rsplit("-", 1)[1]
            file = workdir / "site" / "real" / page_id
        else:
            file = workdir / "site" / path.lstrip("/")
        if file not in cache:
            cache[file] = file.read_bytes()
        pages.append((cache[file], url))
    return pages


@dataclass
class Bench:
    """What the phases share: the flags, the site, the daemon and its archive."""

    args: argparse.Namespace
    results: Results
    workdir: Path
    web: site.Site
    feed_urls: list[str]
    daemon: Daemon
    peer: ReaderPeer | None  # None when reader could not be installed or started
    archive: Archive | None = None
    article_urls: list[str] = field(default_factory=list)

    @property
    def db(self) -> Archive:
        assert self.archive is not None, "the archive is opened after the first poll"
        return self.archive


def run(args: argparse.Namespace, results: Results, workdir: Path, stoppers: list[Stop]) -> None:
    """Every phase in order; whatever is started leaves its stop in ``stoppers``."""
    corpus = corpora_root() / BENCHMARK / "html"
    if not corpus.is_dir():
        results.notes.append(
            f"{corpus} is absent: new articles are generated pages, so their verdict "
            "(against extraction alone) is on generated pages, not real ones"
        )
    layout = site.Layout(
        args.feeds, args.hosts, site.free_port(), args.items_per_feed, args.articles_per_host
    )
    feed_urls = [layout.feed_url(n) for n in range(layout.feeds)]
    with phase(results, "site"):
        web = site.Site(workdir / "site", layout)
        web.write(corpus if corpus.is_dir() else None)
        nginx = site.Nginx(
            workdir, web.root, layout.port, layout.hosts, peer_agent=reader_peer.USER_AGENT
        )
        stoppers.append(nginx.stop)
        nginx.start(probe=feed_urls[0])
        results.nginx = site.nginx_version(nginx.binary)

    with phase(results, "reader install, feeds added"):
        peer = start_reader(args, results, workdir, nginx.peer_log, feed_urls, stoppers)

    config = workdir / "feeds.toml"
    write_config(config, daemon_settings(args), feed_urls)
    daemon = Daemon(config, workdir / "archive.db", workdir / "daemon.log")
    stoppers.append(daemon.stop)
    results.daemon_log = daemon.watch
    bench = Bench(args, results, workdir, web, feed_urls, daemon, peer)
    with phase(results, "0 setup (first poll)"):
        first_poll(bench)
    stoppers.append(bench.db.conn.close)
    with phase(results, "0 reader, first poll"):
        results.reader_first = reader_poll(bench, "first", "updated")
    with phase(results, "1 re-poll, unchanged (304)"):
        repoll_unchanged(bench)
    with phase(results, "1 ceiling (conditional GETs)"):
        requests = [
            (url, baselines.conditional_headers(etag, modified))
            for url, etag, modified in bench.db.validators()
        ]
        results.repoll_ceiling = baselines.get_ceiling(requests)
        check_statuses(results, "re-poll ceiling", results.repoll_ceiling, "304")
    with phase(results, "1 reader, unchanged"):
        results.reader_unchanged = reader_poll(bench, "unchanged", "not_modified", "304")
    with phase(results, "2 re-poll, changed, no new entries"):
        repoll_changed(bench)
    with phase(results, "2 ceiling (GETs)"):
        results.changed_ceiling = baselines.get_ceiling([(url, {}) for url in feed_urls])
        check_statuses(results, "changed ceiling", results.changed_ceiling, "200")
    with phase(results, "2 reader, changed"):
        results.reader_changed = reader_poll(bench, "changed", "updated", "200")
        stop_reader(bench)  # before phase 3 edits the feeds; its memory is the daemon's again
    with phase(results, "3 new articles"):
        new_articles(bench)
    with phase(results, "3 ceilings (GETs, extraction)"):
        article_ceilings(bench)
    with phase(results, "4 memory, stop"):
        memory_and_stop(bench)
    with phase(results, "5 archive size"):
        results.archived = measure_archive(bench.db, daemon.db)
    with phase(results, "naive baseline"):
        results.naive = run_naive(args, workdir, feed_urls, bench.article_urls)


def start_reader(
    args: argparse.Namespace,
    results: Results,
    workdir: Path,
    served_log: Path | None,
    urls: list[str],
    stoppers: list[Stop],
) -> ReaderPeer | None:
    """reader installed and its feeds added before the daemon starts, so neither costs
    the daemon's phases anything. Without reader the rest is still measured; the
    verdicts that compare with it then fail."""
    peer = ReaderPeer(workdir, args.reader_python, served_log)
    stoppers.append(peer.stop)
    try:
        peer.install(timeout=args.reader_timeout)
        peer.start(urls, timeout=args.reader_timeout)
    except PeerError as e:
        results.notes.append(f"reader: {e}")
        peer.stop()
        return None
    results.reader_about = f"reader {peer.version} on {peer.python}"
    return peer


def reader_poll(
    bench: Bench, name: str, outcome: str, served: str | None = None
) -> ReaderPoll | None:
    """reader's poll of every feed, right after the daemon's of the same site; a note
    when reader's own count (``outcome``: every feed ``updated`` or ``not_modified``)
    or nginx's statuses for its requests (all ``served``) are not what the site's state
    should give."""
    peer, results = bench.peer, bench.results
    if peer is None:
        return None
    try:
        poll = peer.poll(name, timeout=bench.args.reader_timeout)
    except PeerError as e:
        results.notes.append(f"reader {name} poll: {e}")
        stop_reader(bench)
        return None
    if getattr(poll, outcome) != len(bench.feed_urls):
        results.notes.append(
            f"reader {name} poll: {poll.summary()}; expected all {len(bench.feed_urls):,} {outcome}"
        )
    if served is not None and set(poll.served) != {served}:
        results.notes.append(
            f"reader {name} poll: nginx answered reader {poll.served}, expected all {served}"
        )
    return poll


def stop_reader(bench: Bench) -> None:
    """Its peak memory read while it runs, then ``quit`` (by PID if it will not)."""
    if bench.peer is None:
        return
    bench.results.reader_peak_kib = bench.peer.peak_kib()
    bench.peer.stop()
    bench.peer = None


def first_poll(bench: Bench) -> None:
    """Start the daemon: every feed is new, so all are due and polled at its first tick."""
    args, results = bench.args, bench.results
    bench.daemon.start()
    bench.daemon.wait_ready(timeout=60)
    results.setup = bench.daemon.wait_tick(0, args.setup_timeout, "first poll", "--setup-timeout")
    expect(results, "first poll", results.setup, feeds=args.feeds, error=0)
    bench.archive = Archive(bench.daemon.db)
    results.setup_articles = bench.db.scalar("SELECT count(*) FROM articles")
    results.setup_versions = bench.db.scalar("SELECT count(*) FROM versions")


def repoll_unchanged(bench: Bench) -> None:
    """Every feed due again, every answer a 304: the rate, and what such polls write."""
    args, results = bench.args, bench.results
    before = snapshot(bench.db, bench.daemon)
    results.repoll = tick = poll_due(bench.daemon, bench.db, None, args, "re-poll", results.cpu)
    after = snapshot(bench.db, bench.daemon)
    expect(results, "re-poll", tick, feeds=args.feeds, not_modified=args.feeds)
    results.repoll_books = Bookkeeping(tick["feeds"], before, after, bench.db.polls_per_feed_max())


def repoll_changed(bench: Bench) -> None:
    """Every feed rewritten with a new lastBuildDate and the same items, then due."""
    args, results = bench.args, bench.results
    bench.web.rebuild_all(site.EPOCH + timedelta(days=1))
    before = snapshot(bench.db, bench.daemon)
    results.changed = tick = poll_due(bench.daemon, bench.db, None, args, "changed", results.cpu)
    after = snapshot(bench.db, bench.daemon)
    expect(results, "changed", tick, feeds=args.feeds, ok=args.feeds, new_articles=0)
    results.changed_books = Bookkeeping(tick["feeds"], before, after, bench.db.polls_per_feed_max())


def new_articles(bench: Bench) -> None:
    """One new item in each of the first --new-articles feeds; only those feeds due."""
    args, results = bench.args, bench.results
    bench.article_urls = bench.web.add_new_items(args.new_articles, site.EPOCH + timedelta(days=2))
    due = bench.feed_urls[: args.new_articles]
    results.ingest = tick = poll_due(bench.daemon, bench.db, due, args, "ingest", results.cpu)
    expect(results, "ingest", tick, feeds=len(due), new_articles=args.new_articles)


def article_ceilings(bench: Bench) -> None:
    results = bench.results
    results.ingest_gets = baselines.get_ceiling([(url, {}) for url in bench.article_urls])
    check_statuses(results, "article GET ceiling", results.ingest_gets, "200")
    pages = real_page_bytes(bench.workdir, bench.article_urls)
    results.ingest_extraction = baselines.extraction_ceiling(pages)
    check_statuses(results, "extraction ceiling", results.ingest_extraction, "ok")


def memory_and_stop(bench: Bench) -> None:
    """Peak memory is read while the daemon still runs; then SIGTERM, timed."""
    results = bench.results
    results.memory = bench.daemon.memory()
    stopping = time.monotonic()
    results.daemon_exit = bench.daemon.stop()
    results.daemon_stop_seconds = time.monotonic() - stopping
    if results.daemon_exit != 0:
        results.notes.append(f"the daemon exited {results.daemon_exit} on SIGTERM, not 0")


def measure_archive(archive: Archive, db: Path) -> Archived:
    archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    real = "SELECT id FROM articles WHERE url LIKE '%/real/%'"
    texts = archive.texts()
    alone, together = baselines.zstd_floor(texts)
    warcs = sum(p.stat().st_size for p in warc_files(db.with_suffix(".warcs")))
    return Archived(
        file_bytes=db.stat().st_size + warcs,
        versions=archive.scalar("SELECT count(*) FROM versions"),
        raw_bytes=warcs,
        raw_rows=archive.scalar("SELECT count(*) FROM captures"),
        text_bytes=sum(len(t) for t in texts),
        floor_alone=alone,
        floor_together=together,
        real_versions=archive.scalar(f"SELECT count(*) FROM versions WHERE article_id IN ({real})"),
        real_text_bytes=archive.scalar(
            f"SELECT sum(length(CAST(text AS BLOB))) FROM versions WHERE article_id IN ({real})"
        ),
        space=archive.space_by_object(),
    )


def run_naive(
    args: argparse.Namespace, workdir: Path, feeds: Sequence[str], pages: Sequence[str]
) -> dict[str, Any]:
    urls = workdir / "naive-urls.json"
    urls.write_text(json.dumps({"feeds": list(feeds), "pages": list(pages)}), encoding="utf-8")
    out = workdir / "naive-out.json"
    command = [
        sys.executable, "-m", "bench.naive", "--urls", str(urls), "--workdir", str(workdir),
        "--out", str(out), "--max-feeds", str(args.naive_feeds),
        "--feed-seconds", str(args.naive_feed_seconds), "--max-pages", str(args.naive_pages),
        "--page-seconds", str(args.naive_page_seconds),
    ]  # fmt: skip
    # Three feed passes and one page pass, each bounded, plus imports.
    bound = 3 * args.naive_feed_seconds + args.naive_page_seconds + 60
    try:
        subprocess.run(command, cwd=PROJECT, env=clean_env(), timeout=bound, check=True)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"naive baseline: not done within {bound:.0f} s") from e
    except subprocess.CalledProcessError as e:
        raise BenchError(f"naive baseline: exited with {e.returncode}") from e
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return figures


# -- entry point ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--feeds", type=int, default=10_000)
    add("--hosts", type=int, default=1_000)
    add("--new-articles", type=int, default=1_000)
    add("--items-per-feed", type=int, default=3)
    add("--articles-per-host", type=int, default=6, help="generated pages the feeds share")
    add("--concurrency", type=int, default=200, help="the daemon's 'concurrency' setting")
    add("--setup-timeout", type=float, default=300, help="seconds for the first poll")
    add("--poll-timeout", type=float, default=120, help="seconds for each re-poll phase")
    add("--ingest-timeout", type=float, default=180, help="seconds for the new articles")
    add("--naive-feeds", type=int, default=1000)
    add("--naive-feed-seconds", type=float, default=20)
    add("--naive-pages", type=int, default=150)
    add("--naive-page-seconds", type=float, default=30)
    add("--reader-python", help="a Python >= 3.12 for reader's virtualenv (default: found)")
    add("--reader-timeout", type=float, default=600, help="seconds for each of reader's steps")
    add("--keep", action="store_true", help="keep the work folder (site, logs, archive)")
    add("--out", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 250 * 256:
        parser.error("--hosts must be from 1 to 64000")
    if args.feeds < 1 or not 1 <= args.new_articles <= args.feeds:
        parser.error("--new-articles must be from 1 to --feeds")
    if args.items_per_feed < 1 or args.articles_per_host < 1:
        parser.error("--items-per-feed and --articles-per-host must be at least 1")
    return args


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_all(stoppers: list[Stop]) -> None:
    """Last started, first stopped: the daemon before the nginx it polls."""
    for stop in reversed(stoppers):
        try:
            stop()
        except Exception as e:  # keep stopping the others
            print(f"[bench] while stopping: {type(e).__name__}: {e}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ingester-bench-"))
    print(f"[bench] work folder {workdir}", file=sys.stderr, flush=True)
    results = Results(load=[os.getloadavg()[0]])
    stoppers: list[Stop] = []
    try:
        run(args, results, workdir, stoppers)
    except BenchError as e:
        results.aborted = str(e)
    except KeyboardInterrupt:
        results.aborted = "interrupted"
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave nginx running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_all(stoppers)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results.phase_seconds["total"] = time.monotonic() - started
    results.load.append(os.getloadavg()[0])
    lines, ok = table(results, args, daemon_settings(args))
    if args.keep:
        lines.append(f"Work folder kept: {workdir}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
