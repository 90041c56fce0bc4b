"""The table `make bench` prints: each figure beside its ceiling, the naive baseline and
reader, the ratios, and a verdict where bench/verdicts.py sets one. Pure: Results in,
lines out, so the verdicts can be tested without nginx or a daemon."""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import reader_peer
from bench.daemon import Tick
from bench.perf_results import KEEP_POLLS, Results
from bench.reader_peer import ReaderPoll
from bench.verdicts import (
    CHANGED_VS_CEILING,
    INGEST_VS_EXTRACTION,
    MAIN_MEMORY_MB,
    PROCESS_MEMORY_MB,
    REPOLL_VS_CEILING,
    VS_READER,
    Floor,
    below,
    each_below,
    floors_text,
    rate_verdict,
)

HEAD = ["figure", "ingester", "ceiling", "naive", "reader", "ing/ceiling", "ing/naive",
        "ing/reader", "target", "verdict"]  # fmt: skip


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


def _megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MB"


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else "PASS" if ok else "FAIL"


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    ingester: str
    ceiling: str = "-"
    naive: str = "-"
    reader: str = "-"
    vs_ceiling: str = "-"
    vs_naive: str = "-"
    vs_reader: str = "-"
    target: str = "-"
    ok: bool | None = None  # None: no target

    def cells(self) -> list[str]:
        return [self.figure, self.ingester, self.ceiling, self.naive, self.reader,
                self.vs_ceiling, self.vs_naive, self.vs_reader, self.target,
                _verdict(self.ok)]  # fmt: skip


def _per_s(tick: Tick | None, key: str) -> float | None:
    return None if tick is None else tick[key] / tick.seconds


def _naive_rate(naive: Mapping[str, Any] | None, stage: str) -> float | None:
    return None if naive is None else float(naive[stage]["per_second"])


def _reader_rate(poll: ReaderPoll | None) -> float | None:
    return None if poll is None else poll.per_second


def _rate_row(
    figure: str,
    ours: float | None,
    ceiling: float | None,
    naive: float | None,
    reader: float | None,
    floors: Sequence[Floor],
    ceiling_text: str | None = None,
) -> Row:
    return Row(
        figure,
        _rate(ours) if ours is not None else "not measured",
        _rate(ceiling) if ceiling_text is None else ceiling_text,
        _rate(naive),
        _rate(reader),
        _ratio(ours, ceiling),
        _ratio(ours, naive),
        _ratio(ours, reader),
        floors_text(floors),
        rate_verdict(ours, floors),
    )


def _setup_row(r: Results) -> Row | None:
    if r.setup is None:
        return None
    ours = _per_s(r.setup, "feeds")
    reader = r.reader_first
    return Row(
        "0 first poll, all feeds (setup)",
        f"{_rate(ours, ' feeds/s')}, {r.setup['new_articles']:,} new articles "
        f"in {r.setup.seconds:.1f} s ({r.setup_articles:,} articles, "
        f"{r.setup_versions:,} versions stored)",
        reader="-" if reader is None else f"{_rate(reader.per_second)} in {reader.seconds:.1f} s",
        vs_reader=_ratio(ours, _reader_rate(reader)),
    )


def _memory_rows(r: Results, feeds: int) -> list[Row]:
    memory = r.memory
    naive_mb = None if r.naive is None else _mb(int(r.naive["peak_kib"]))
    main = None if memory is None else _mb(memory.main)
    reader = _mb(r.reader_peak_kib)
    out = [
        Row(
            f"4 daemon main process peak RSS, {feeds:,} feeds",
            _megabytes(main),
            naive=_megabytes(naive_mb),
            reader=_megabytes(reader),
            vs_naive=_ratio(main, naive_mb),
            vs_reader=_ratio(main, reader),
            target=f"< {MAIN_MEMORY_MB:.0f} MB",
            ok=below(main, MAIN_MEMORY_MB),
        )
    ]
    each = f"< {PROCESS_MEMORY_MB:.0f} MB each"
    pollers = [] if memory is None else [_mb(k) or 0.0 for k in memory.pollers]
    # The daemon always polls in poller processes: none found is a failure to measure.
    out.append(
        Row(
            "4 poller processes peak RSS, max",
            _processes(pollers, "poller") if pollers else "no poller process found",
            target=each,
            ok=each_below(pollers, PROCESS_MEMORY_MB) or False,
        )
    )
    workers = [] if memory is None else [_mb(k) or 0.0 for k in memory.workers]
    out.append(
        Row(
            "4 extraction worker processes peak RSS, max",
            _processes(workers, "worker") if workers else "none found (nothing to judge)",
            target=each,
            ok=each_below(workers, PROCESS_MEMORY_MB),
        )
    )
    return out


def _processes(values_mb: Sequence[float], kind: str) -> str:
    return (
        f"{max(values_mb):.0f} MB (sum {sum(values_mb):.0f} MB, {len(values_mb)} {kind}"
        f"{'s' if len(values_mb) != 1 else ''})"
    )


def rows(r: Results, args: argparse.Namespace) -> list[Row]:
    naive = r.naive
    out: list[Row] = []
    setup = _setup_row(r)
    if setup is not None:
        out.append(setup)

    ceiling = r.repoll_ceiling.per_second if r.repoll_ceiling else None
    reader = _reader_rate(r.reader_unchanged)
    out.append(
        _rate_row(
            "1 re-poll, unchanged (304), feeds/s",
            _per_s(r.repoll, "feeds"),
            ceiling,
            _naive_rate(naive, "conditional"),
            reader,
            [Floor("ceiling", REPOLL_VS_CEILING, ceiling), Floor("reader", VS_READER, reader)],
        )
    )
    ceiling = r.changed_ceiling.per_second if r.changed_ceiling else None
    reader = _reader_rate(r.reader_changed)
    out.append(
        _rate_row(
            "2 re-poll, changed, no new entry, feeds/s",
            _per_s(r.changed, "feeds"),
            ceiling,
            _naive_rate(naive, "parse"),
            reader,
            [Floor("ceiling", CHANGED_VS_CEILING, ceiling), Floor("reader", VS_READER, reader)],
        )
    )

    ingest = _per_s(r.ingest, "new_articles")
    gets = r.ingest_gets.per_second if r.ingest_gets else None
    extraction = r.ingest_extraction.per_second if r.ingest_extraction else None
    out.append(
        _rate_row(
            "3 new articles/s (real pages)",
            ingest,
            extraction,
            _naive_rate(naive, "pages"),
            None,  # reader keeps what the feed says; it fetches no article page
            [Floor("extraction alone", INGEST_VS_EXTRACTION, extraction)],
            f"extraction alone {_rate(extraction)} (GETs {_rate(gets)})",
        )
    )

    out += _memory_rows(r, args.feeds)

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
                vs_ceiling=_ratio(per_version, floor),
                vs_naive=_ratio(per_version, naive_bytes),
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


def table(
    results: Results, args: argparse.Namespace, settings: Mapping[str, object]
) -> tuple[list[str], bool]:
    """The Markdown table and its footer; whether every verdict passed."""
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    all_ok = results.aborted is None
    for row in rows(results, args):
        lines.append("| " + " | ".join(row.cells()) + " |")
        all_ok = all_ok and row.ok is not False
    lines += ["", *footer(results, args, settings)]
    return lines, all_ok


def footer(r: Results, args: argparse.Namespace, settings: Mapping[str, object]) -> list[str]:
    chosen = ", ".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    lines = [
        f"Machine: {os.cpu_count()} cores ({_cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {r.nginx} (1 worker process); "
        f"load average (1 min) at start -> end {' -> '.join(f'{x:.2f}' for x in r.load)} "
        "(anything else running shares the cores and skews every figure).",
        f"Site: {args.feeds:,} feeds over {args.hosts:,} loopback hosts, "
        f"{args.items_per_feed} items/feed, {args.articles_per_host} generated articles/host, "
        f"{args.new_articles:,} new articles.",
        f"Daemon settings: {chosen}; everything else default. Politeness is by concurrency "
        "only: host_gap = 0, at most 2 requests at once per host.",
        "Ceilings: aiohttp GETs in one process per core, 100 in flight each, 2 per host; "
        "extract_page in a pool of one process per core. Naive: one request at a time, "
        "feedparser / trafilatura, a commit per row (first "
        f"{args.naive_feeds} feeds / {args.naive_feed_seconds:.0f} s, {args.naive_pages} pages "
        f"/ {args.naive_page_seconds:.0f} s). MB = 10^6 bytes. Rates in ratios' verdicts are "
        "from this run only; absolute rates are information.",
        f"reader: {r.reader_about}, its own virtualenv, update_feeds(scheduled=False, "
        f"workers={reader_peer.WORKERS}), its own network code (Requests, conditional "
        "requests); it polls after the daemon, the site in the same state. Its first poll "
        "stores what the feeds say; ours also fetches and extracts every linked page, so "
        "that ratio is not like for like.",
    ]
    for what, used in r.cpu.items():
        lines.append(
            f"CPU in the {what} poll: "
            + ", ".join(f"{kind} {seconds:.2f} s" for kind, seconds in used.items())
            + "."
        )
    for what, poll in (
        ("first poll", r.reader_first),
        ("unchanged re-poll", r.reader_unchanged),
        ("changed re-poll", r.reader_changed),
    ):
        if poll is not None:
            lines.append(f"reader {what}: {poll.summary()}.")
    memory = r.memory
    if memory is not None and memory.others:
        others = ", ".join(f"{name} {_mb(kib) or 0:.0f} MB" for name, kib in memory.others)
        lines.append(f"Other processes of the daemon, peak RSS: {others}.")
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
