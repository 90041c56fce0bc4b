"""`make bench`: the real daemon against 10,000 feeds on 1,000 loopback hosts, beside ceilings.

One run generates the site (bench/site.py), serves it with nginx on 127.x addresses, starts
``ingester run`` as a subprocess and drives it through its archive, the way it schedules
itself: each phase marks feeds due and reads the daemon's own ``tick`` line for the figure.

0. setup: the first poll of every feed (all new, so all due at start);
1. re-poll of unchanged feeds: every answer a 304; plus what such a poll writes;
2. re-poll of feeds that changed but carry no new entry (a new lastBuildDate);
3. new articles: one new item in each of ``--new-articles`` feeds, each a real page;
4. peak memory of the daemon and its extraction workers;
5. archive bytes per article version, once the daemon has stopped.

Each figure stands beside a ceiling (what the machine and nginx allow: bench/baselines.py)
and a naive baseline (bench/naive.py), measured in the same run, because only ratios carry
from one machine to another. Exits 1 when a target fails or a phase cannot be measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from bench import baselines, site
from bench.baselines import Rate
from bench.daemon import (
    PROJECT,
    Archive,
    BenchError,
    Daemon,
    LogWatch,
    Tick,
    clean_env,
    write_config,
)
from bench.eval_extraction import BENCHMARK, corpora_root
from ingester.fetch.records import warc_files

REPOLL_TARGET = 5000.0  # feeds/s, every answer a 304
INGEST_TARGET = 80.0  # new articles/s on real pages
MEMORY_TARGET_MB = 150.0  # daemon main process, peak resident, 10**6 bytes
KEEP_POLLS = 500  # ingester's default for keep_polls: the harness leaves it alone

Stop = Callable[[], object]


# -- what a run measured ----------------------------------------------------------------


@dataclass
class Snapshot:
    """The archive and the daemon's writes at one moment, to difference across a phase."""

    rows: dict[str, int]
    size: int
    wchar: dict[int, int]  # per process of the daemon: its children write to the archive too
    stderr_bytes: int


@dataclass
class Bookkeeping:
    feeds: int
    before: Snapshot
    after: Snapshot
    polls_per_feed_max: int

    def grown(self) -> dict[str, int]:
        """Tables that gained rows, and how many."""
        return {
            name: rows - self.before.rows.get(name, 0)
            for name, rows in self.after.rows.items()
            if rows > self.before.rows.get(name, 0)
        }

    def outside_polls(self) -> int:
        """Rows beside the polls' own: none for a poll that found nothing new. A changed
        feed's response is a capture (one row, its bytes in the WARC files), counted apart."""
        return sum(n for name, n in self.grown().items() if name not in ("polls", "captures"))

    def captures(self) -> int:
        return self.grown().get("captures", 0)

    def poll_rows(self) -> int:
        return self.after.rows.get("polls", 0) - self.before.rows.get("polls", 0)

    def written_per_feed(self) -> float | None:
        """Bytes the daemon's processes passed to write() per feed, log lines taken out.

        A process that started during the phase counts from zero; one that ended during it
        is missing, and the figure is then None."""
        before, after = self.before.wchar, self.after.wchar
        if not after or not set(before) <= set(after):
            return None
        written = sum(count - before.get(pid, 0) for pid, count in after.items())
        logged = self.after.stderr_bytes - self.before.stderr_bytes
        return (written - logged) / max(self.feeds, 1)

    def passed(self, keep_polls: int) -> bool:
        return (
            self.outside_polls() == 0
            and self.captures() <= self.feeds
            and self.poll_rows() <= self.feeds
            and self.polls_per_feed_max <= keep_polls
        )


@dataclass
class Archived:
    file_bytes: int  # the SQLite file and the WARC files
    versions: int
    raw_bytes: int  # the WARC files: every exchange, the pages' bytes among them
    raw_rows: int  # captures the archive points at
    text_bytes: int
    floor_alone: int
    floor_together: int
    real_versions: int
    real_text_bytes: int
    space: list[tuple[str, int]]  # bytes per table and index, largest first


@dataclass
class Results:
    setup: Tick | None = None
    setup_articles: int = 0
    setup_versions: int = 0
    repoll: Tick | None = None
    repoll_ceiling: Rate | None = None
    repoll_books: Bookkeeping | None = None
    changed: Tick | None = None
    changed_ceiling: Rate | None = None
    changed_books: Bookkeeping | None = None
    ingest: Tick | None = None
    ingest_gets: Rate | None = None
    ingest_extraction: Rate | None = None
    memory_main_kib: int | None = None
    memory_workers_kib: list[int] = field(default_factory=list)
    memory_others_kib: list[tuple[str, int]] = field(default_factory=list)
    daemon_exit: int | None = None
    daemon_stop_seconds: float | None = None
    archived: Archived | None = None
    naive: dict[str, Any] | None = None
    phase_seconds: dict[str, float] = field(default_factory=dict)
    nginx: str = "?"
    load: list[float] = field(default_factory=list)  # 1-minute load average, start and end
    notes: list[str] = field(default_factory=list)
    daemon_log: LogWatch | None = None
    aborted: str | None = None


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
) -> Tick:
    """Mark feeds due (all when ``urls`` is None) and wait for the tick that polls them."""
    flag = "--poll-timeout" if urls is None else "--ingest-timeout"
    timeout = args.poll_timeout if urls is None else args.ingest_timeout
    seen = daemon.tick_count()
    marked = archive.mark_due(urls)
    if marked == 0:
        raise BenchError(f"{what}: no feed to mark due")
    return daemon.wait_tick(seen, timeout, what, flag)


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
            f"{corpus} is absent: new articles are generated pages, so the 80 articles/s "
            "target is measured on generated pages, not real ones"
        )
    layout = site.Layout(
        args.feeds, args.hosts, site.free_port(), args.items_per_feed, args.articles_per_host
    )
    feed_urls = [layout.feed_url(n) for n in range(layout.feeds)]
    with phase(results, "site"):
        web = site.Site(workdir / "site", layout)
        web.write(corpus if corpus.is_dir() else None)
        nginx = site.Nginx(workdir, web.root, layout.port, layout.hosts)
        stoppers.append(nginx.stop)
        nginx.start(probe=feed_urls[0])
        results.nginx = site.nginx_version(nginx.binary)

    config = workdir / "feeds.toml"
    write_config(config, daemon_settings(args), feed_urls)
    daemon = Daemon(config, workdir / "archive.db", workdir / "daemon.log")
    stoppers.append(daemon.stop)
    results.daemon_log = daemon.watch
    bench = Bench(args, results, workdir, web, feed_urls, daemon)
    with phase(results, "0 setup (first poll)"):
        first_poll(bench)
    stoppers.append(bench.db.conn.close)
    with phase(results, "1 re-poll, unchanged (304)"):
        repoll_unchanged(bench)
    with phase(results, "1 ceiling (conditional GETs)"):
        requests = [
            (url, baselines.conditional_headers(etag, modified))
            for url, etag, modified in bench.db.validators()
        ]
        results.repoll_ceiling = baselines.get_ceiling(requests)
        check_statuses(results, "re-poll ceiling", results.repoll_ceiling, "304")
    with phase(results, "2 re-poll, changed, no new entries"):
        repoll_changed(bench)
    with phase(results, "2 ceiling (GETs)"):
        results.changed_ceiling = baselines.get_ceiling([(url, {}) for url in feed_urls])
        check_statuses(results, "changed ceiling", results.changed_ceiling, "200")
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
    results.repoll = tick = poll_due(bench.daemon, bench.db, None, args, "re-poll")
    after = snapshot(bench.db, bench.daemon)
    expect(results, "re-poll", tick, feeds=args.feeds, not_modified=args.feeds)
    results.repoll_books = Bookkeeping(tick["feeds"], before, after, bench.db.polls_per_feed_max())


def repoll_changed(bench: Bench) -> None:
    """Every feed rewritten with a new lastBuildDate and the same items, then due."""
    args, results = bench.args, bench.results
    bench.web.rebuild_all(site.EPOCH + timedelta(days=1))
    before = snapshot(bench.db, bench.daemon)
    results.changed = tick = poll_due(bench.daemon, bench.db, None, args, "changed")
    after = snapshot(bench.db, bench.daemon)
    expect(results, "changed", tick, feeds=args.feeds, ok=args.feeds, new_articles=0)
    results.changed_books = Bookkeeping(tick["feeds"], before, after, bench.db.polls_per_feed_max())


def new_articles(bench: Bench) -> None:
    """One new item in each of the first --new-articles feeds; only those feeds due."""
    args, results = bench.args, bench.results
    bench.article_urls = bench.web.add_new_items(args.new_articles, site.EPOCH + timedelta(days=2))
    due = bench.feed_urls[: args.new_articles]
    results.ingest = tick = poll_due(bench.daemon, bench.db, due, args, "ingest")
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
    memory = bench.daemon.memory()
    results.memory_main_kib, results.memory_workers_kib, results.memory_others_kib = memory
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


# -- the table --------------------------------------------------------------------------


def _rate(value: float | None, unit: str = "/s") -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}{unit}" if value >= 100 else f"{value:.1f}{unit}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or not theirs:
        return "-"
    return f"{ours / theirs:.2f}x"


def _mb(kib: int | None) -> float | None:
    return None if kib is None else kib * 1024 / 1e6


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else "PASS" if ok else "FAIL"


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    ingester: str
    ceiling: str = "-"
    naive: str = "-"
    vs_ceiling: str = "-"
    vs_naive: str = "-"
    target: str = "-"
    ok: bool | None = None  # None: no target


def _per_s(tick: Tick | None, key: str) -> float | None:
    return None if tick is None else tick[key] / tick.seconds


def _naive_rate(naive: dict[str, Any] | None, stage: str) -> float | None:
    return None if naive is None else float(naive[stage]["per_second"])


def rows(r: Results, args: argparse.Namespace) -> list[Row]:
    naive = r.naive
    out: list[Row] = []
    setup = _per_s(r.setup, "feeds")
    if r.setup is not None:
        out.append(
            Row(
                "0 first poll, all feeds (setup)",
                f"{_rate(setup, ' feeds/s')}, {r.setup['new_articles']:,} new articles "
                f"in {r.setup.seconds:.1f} s ({r.setup_articles:,} articles, "
                f"{r.setup_versions:,} versions stored)",
            )
        )
    repoll = _per_s(r.repoll, "feeds")
    ceiling = r.repoll_ceiling.per_second if r.repoll_ceiling else None
    naive_rate = _naive_rate(naive, "conditional")
    out.append(
        Row(
            "1 re-poll, unchanged (304), feeds/s",
            _rate(repoll),
            _rate(ceiling),
            _rate(naive_rate),
            _ratio(repoll, ceiling),
            _ratio(repoll, naive_rate),
            f">= {REPOLL_TARGET:,.0f}/s",
            None if repoll is None else repoll >= REPOLL_TARGET,
        )
    )
    if repoll is None:
        out[-1] = Row(out[-1].figure, "not measured", target=out[-1].target, ok=False)
    changed = _per_s(r.changed, "feeds")
    ceiling = r.changed_ceiling.per_second if r.changed_ceiling else None
    naive_rate = _naive_rate(naive, "parse")
    out.append(
        Row(
            "2 re-poll, changed, no new entry, feeds/s",
            _rate(changed),
            _rate(ceiling),
            _rate(naive_rate),
            _ratio(changed, ceiling),
            _ratio(changed, naive_rate),
        )
    )
    ingest = _per_s(r.ingest, "new_articles")
    gets = r.ingest_gets.per_second if r.ingest_gets else None
    extraction = r.ingest_extraction.per_second if r.ingest_extraction else None
    both = [v for v in (gets, extraction) if v is not None]
    ceiling = min(both) if both else None
    naive_rate = _naive_rate(naive, "pages")
    out.append(
        Row(
            "3 new articles/s (real pages)",
            _rate(ingest),
            f"{_rate(ceiling)} (GETs {_rate(gets)}, extraction {_rate(extraction)})",
            _rate(naive_rate),
            _ratio(ingest, ceiling),
            _ratio(ingest, naive_rate),
            f">= {INGEST_TARGET:.0f}/s",
            ingest is not None and ingest >= INGEST_TARGET,
        )
    )
    main = _mb(r.memory_main_kib)
    naive_mb = None if naive is None else _mb(int(naive["peak_kib"]))
    out.append(
        Row(
            f"4 daemon main process peak RSS, {args.feeds:,} feeds",
            "-" if main is None else f"{main:.0f} MB",
            "-",
            "-" if naive_mb is None else f"{naive_mb:.0f} MB",
            "-",
            _ratio(main, naive_mb),
            f"<= {MEMORY_TARGET_MB:.0f} MB",
            main is not None and main <= MEMORY_TARGET_MB,
        )
    )
    workers = [_mb(k) or 0.0 for k in r.memory_workers_kib]
    others = "".join(f"; {name} {_mb(kib) or 0:.0f} MB" for name, kib in r.memory_others_kib)
    out.append(
        Row(
            "4 worker processes peak RSS, max / sum",
            (
                f"{max(workers):.0f} / {sum(workers):.0f} MB ({len(workers)} workers)"
                if workers
                else "no workers"
            )
            + others,
        )
    )
    a = r.archived
    if a is not None and a.versions:
        per_version = a.file_bytes / a.versions
        floor = a.floor_alone / a.versions
        naive_bytes = None if naive is None else naive.get("bytes_per_article")
        out.append(
            Row(
                "5 archive bytes per article version",
                f"{per_version:,.0f} B (WARC {a.raw_bytes / a.versions:,.0f}, "
                f"text {a.text_bytes / a.versions:,.0f})",
                f"{floor:,.0f} B (zstd-19 text)",
                "-" if naive_bytes is None else f"{naive_bytes:,.0f} B",
                _ratio(per_version, floor),
                _ratio(per_version, naive_bytes),
            )
        )
    for label, books in (("1", r.repoll_books), ("2", r.changed_books)):
        if books is None:
            continue
        per_feed = books.poll_rows() / max(books.feeds, 1)
        written = books.written_per_feed()
        grew = ", ".join(
            f"{k} +{v}" for k, v in books.grown().items() if k not in ("polls", "captures")
        )
        out.append(
            Row(
                f"{label} bookkeeping per no-op poll",
                f"{books.outside_polls()} rows outside polls{f' ({grew})' if grew else ''}; "
                f"{books.captures()} captures (changed feeds' responses); "
                f"{per_feed:.2f} poll rows/feed (max {books.polls_per_feed_max}/feed); "
                f"db +{(books.after.size - books.before.size) / max(books.feeds, 1):,.0f} "
                f"B/feed; written {'-' if written is None else f'{written:,.0f}'} B/feed",
                target="0 rows outside polls, <= 1 poll row and capture/feed",
                ok=books.passed(KEEP_POLLS),
            )
        )
    return out


def table(results: Results, args: argparse.Namespace) -> tuple[list[str], bool]:
    """The Markdown table and its footer; whether every target passed."""
    head = ["figure", "ingester", "ceiling", "naive", "ing/ceiling", "ing/naive", "target",
            "verdict"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    all_ok = results.aborted is None
    for row in rows(results, args):
        cells = [row.figure, row.ingester, row.ceiling, row.naive, row.vs_ceiling, row.vs_naive,
                 row.target, _verdict(row.ok)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
        all_ok = all_ok and row.ok is not False
    lines += ["", *footer(results, args)]
    return lines, all_ok


def footer(r: Results, args: argparse.Namespace) -> list[str]:
    settings = ", ".join(f"{k} = {json.dumps(v)}" for k, v in daemon_settings(args).items())
    lines = [
        f"Machine: {os.cpu_count()} cores ({_cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {r.nginx} (1 worker process); "
        f"load average (1 min) at start -> end {' -> '.join(f'{x:.2f}' for x in r.load)} "
        "(anything else running shares the cores and skews every figure).",
        f"Site: {args.feeds:,} feeds over {args.hosts:,} loopback hosts, "
        f"{args.items_per_feed} items/feed, {args.articles_per_host} generated articles/host, "
        f"{args.new_articles:,} new articles.",
        f"Daemon settings: {settings}; everything else default. Politeness is by concurrency "
        "only: host_gap = 0, at most 2 requests at once per host.",
        "Ceilings: aiohttp GETs in one process per core, 100 in flight each, 2 per host; "
        "extract_page in a pool of one process per core. Naive: one request at a time, "
        "feedparser / trafilatura, a commit per row (first "
        f"{args.naive_feeds} feeds / {args.naive_feed_seconds:.0f} s, {args.naive_pages} pages "
        f"/ {args.naive_page_seconds:.0f} s). MB = 10^6 bytes.",
    ]
    a = r.archived
    if a is not None:
        lines.append(
            f"Archive: {a.file_bytes:,} B, {a.versions:,} versions, {a.raw_rows:,} captures "
            f"pointed at (WARC files {a.raw_bytes:,} B); zstd-19 of all texts as one stream "
            f"{a.floor_together / max(a.versions, 1):,.0f} B/version; real-page versions "
            f"{a.real_versions:,}, text {a.real_text_bytes / max(a.real_versions, 1):,.0f} "
            "B/version (the 88 real pages repeat under many URLs)."
        )
        total = sum(size for _, size in a.space) or 1
        lines.append(
            "Archive space by table/index: "
            + ", ".join(f"{name} {size / total:.0%}" for name, size in a.space[:8])
            + "."
        )
    if r.daemon_exit is not None:
        lines.append(
            f"Daemon stopped by SIGTERM: exit {r.daemon_exit} in {r.daemon_stop_seconds:.1f} s."
        )
    log = r.daemon_log
    if log is not None:
        lines.append(
            f"Daemon log: {log.lines:,} lines, {len(log.ticks)} tick lines; poll statuses "
            f"{dict(log.poll_statuses)}; {log.page_errors} page errors; "
            f"{log.trouble_count} warning/error lines."
        )
        lines += [f"Daemon said: {line}" for line in log.trouble]
    phases = ", ".join(f"{name} {s:.1f} s" for name, s in r.phase_seconds.items())
    lines.append(f"Phases: {phases}.")
    lines += [f"Note: {note}" for note in r.notes]
    if r.aborted:
        lines.append(f"ABORTED: {r.aborted}")
    return lines


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


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
    lines, ok = table(results, args)
    if args.keep:
        lines.append(f"Work folder kept: {workdir}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
