"""What one `make bench` run measured (bench/perf.py fills it in, bench/perf_table.py
turns it into the table): plain records, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.baselines import Rate
from bench.daemon import LogWatch, Memory, Tick
from bench.reader_peer import ReaderPoll

KEEP_POLLS = 500  # ingester's default for keep_polls: the harness leaves it alone


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
    memory: Memory | None = None  # the daemon's processes, read before it stops
    reader_first: ReaderPoll | None = None  # after our first poll, the site unchanged
    reader_unchanged: ReaderPoll | None = None  # after our phase 1: answers all 304
    reader_changed: ReaderPoll | None = None  # after our phase 2, before phase 3 edits
    reader_peak_kib: int | None = None
    reader_about: str = "not installed"  # its version and the Python it ran on
    daemon_exit: int | None = None
    daemon_stop_seconds: float | None = None
    archived: Archived | None = None
    naive: dict[str, Any] | None = None
    phase_seconds: dict[str, float] = field(default_factory=dict)
    # CPU seconds the daemon's processes used in each timed poll, by kind (main, pollers,
    # others: extraction workers and multiprocessing's tracker).
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    nginx: str = "?"
    load: list[float] = field(default_factory=list)  # 1-minute load average, start and end
    notes: list[str] = field(default_factory=list)
    daemon_log: LogWatch | None = None
    aborted: str | None = None
