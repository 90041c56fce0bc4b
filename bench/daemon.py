"""The real ``ingester run`` daemon as the benchmark drives it, and its archive seen from outside.

The daemon is a subprocess started exactly as a user would; the harness learns what it did
only from its log (one ``tick`` line per tick that polled something) and its SQLite
archive, which is also its schedule: setting ``next_poll_at`` in the past makes feeds due
at the next tick, with no hook into the product.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench import procs

PROJECT = Path(__file__).resolve().parent.parent
LONG_AGO = "2000-01-01T00:00:00+00:00"

# "... INFO tick feeds=10000 duration_ms=1834 ok=0 ...": key=value pairs after the word tick.
_TICK = re.compile(r"(?:^|\s)tick((?:\s+\w+=-?\d+)+)\s*$")
_PAIR = re.compile(r"(\w+)=(-?\d+)")
# A poll line: "... poll feed=bench-3 status=error http=404 ... page_errors=1 ...".
_POLL = re.compile(r"\spoll feed=\S+ status=(\w+) .*?page_errors=(\d+)")
_TROUBLE = re.compile(r"\s(WARNING|ERROR|CRITICAL)\s|Traceback")


def parse_tick(line: str) -> dict[str, int] | None:
    """The figures of a tick summary line, or None for any other line."""
    match = _TICK.search(line)
    if match is None:
        return None
    return {key: int(value) for key, value in _PAIR.findall(match.group(1))}


@dataclass(frozen=True, slots=True)
class Tick:
    figures: dict[str, int]
    seen_at: float  # time.monotonic() when the harness read the line

    def __getitem__(self, key: str) -> int:
        return self.figures.get(key, 0)

    @property
    def seconds(self) -> float:
        # duration_ms is whole milliseconds; a tick under 1 ms would divide by zero.
        return max(self["duration_ms"], 1) / 1000


@dataclass
class LogWatch:
    """What the daemon's stderr said, kept by the reader thread."""

    ticks: list[Tick] = field(default_factory=list)
    poll_statuses: Counter[str] = field(default_factory=Counter)
    page_errors: int = 0
    trouble: list[str] = field(default_factory=list)  # first warning/error lines, verbatim
    trouble_count: int = 0
    stderr_bytes: int = 0
    lines: int = 0


def clean_env() -> dict[str, str]:
    """The environment for our subprocesses: no proxy between them and loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGESTER_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "*"
    return env


def write_config(path: Path, settings: dict[str, int | float | bool], urls: Sequence[str]) -> None:
    """The daemon's TOML: ``[settings]`` then one ``[[feeds]]`` table per feed."""
    lines = ["[settings]"]
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value)}")  # ints, floats and booleans read as TOML
    for n, url in enumerate(urls):
        lines += ["", "[[feeds]]", f"url = {json.dumps(url)}", f'name = "bench-{n}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Daemon:
    """``python -m ingester --config CFG --db DB run``, its stderr read line by line."""

    def __init__(self, config: Path, db: Path, log_path: Path) -> None:
        self.config = config
        self.db = db
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.watch = LogWatch()
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, "daemon not started"
        return self.proc.pid

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ingester",
                "--config",
                str(self.config),
                "--db",
                str(self.db),
                "run",
            ],
            cwd=PROJECT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        self._reader = threading.Thread(
            target=self._read, args=(self.proc.stderr,), name="daemon-stderr", daemon=True
        )
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        # Every line goes to a log file (kept with --keep); only ticks and trouble are parsed.
        with self.log_path.open("wb") as log:
            for raw in stream:
                log.write(raw)
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                tick = parse_tick(line) if " tick " in line else None
                poll = _POLL.search(line) if tick is None and " poll " in line else None
                with self._cond:
                    watch = self.watch
                    watch.stderr_bytes += len(raw)
                    watch.lines += 1
                    if tick is not None:
                        watch.ticks.append(Tick(tick, time.monotonic()))
                        self._cond.notify_all()
                    elif poll is not None:
                        watch.poll_statuses[poll.group(1)] += 1
                        watch.page_errors += int(poll.group(2))
                    if _TROUBLE.search(line):
                        watch.trouble_count += 1
                        if len(watch.trouble) < 5:
                            watch.trouble.append(line[:300])
            with self._cond:
                self._cond.notify_all()  # the daemon is gone: wake any waiter

    def tick_count(self) -> int:
        with self._cond:
            return len(self.watch.ticks)

    def stderr_bytes(self) -> int:
        with self._cond:
            return self.watch.stderr_bytes

    def wait_tick(self, after: int, timeout: float, what: str, flag: str) -> Tick:
        """The first tick line after the ``after``-th; raises past ``timeout`` seconds or
        when the daemon exits."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.watch.ticks) <= after:
                if self.proc is None or self.proc.poll() is not None:
                    code = None if self.proc is None else self.proc.returncode
                    raise BenchError(f"{what}: the daemon exited (code {code}) before its tick")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(
                        f"{what}: no tick line within {timeout:.0f} s; the daemon is still "
                        f"polling or stuck ({flag} waits longer)"
                    )
                self._cond.wait(min(left, 0.5))
            return self.watch.ticks[after]

    def wait_ready(self, timeout: float) -> None:
        """Until the archive exists and its schema is in place (the daemon made it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"the daemon exited at start (code {self.proc.returncode})")
            if self.db.exists():
                try:
                    with Archive(self.db) as archive:
                        if archive.has_table("feeds"):
                            return
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.1)
        raise BenchError(f"the daemon made no archive within {timeout:.0f} s")

    def _below(self) -> Iterator[tuple[int, str, str]]:
        """Each live process below the main one: its PID, its kind (poller, worker,
        tracker, other) and its command line. Poller processes and extraction workers are
        both spawned by multiprocessing and share one command line; a poller holds the
        archive open (it writes its polls), an extraction worker does not."""
        archive = str(self.db.resolve())
        for pid in procs.descendants(self.pid):
            command = procs.cmdline(pid)
            if "resource_tracker" in command:
                kind = "tracker"
            elif "multiprocessing" in command:  # spawn's command line
                kind = "poller" if archive in procs.open_paths(pid) else "worker"
            else:
                kind = "other"
            yield pid, kind, command

    def memory(self) -> Memory:
        """Peak resident KiB (VmHWM) of the main process and of each process below it, by
        kind."""
        memory = Memory(procs.status_kib(self.pid, "VmHWM"))
        for pid, kind, command in self._below():
            kib = procs.status_kib(pid, "VmHWM")
            if kib is None:
                continue
            if kind == "poller":
                memory.pollers.append(kib)
            elif kind == "worker":
                memory.workers.append(kib)
            else:
                label = "resource tracker" if kind == "tracker" else command[:40]
                memory.others.append((label, kib))
        return memory

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the main process, the pollers, and the others."""
        used = {"main": procs.cpu_seconds(self.pid) or 0.0, "pollers": 0.0, "others": 0.0}
        for pid, kind, _ in self._below():
            used["pollers" if kind == "poller" else "others"] += procs.cpu_seconds(pid) or 0.0
        return used

    def wchar(self) -> dict[int, int]:
        """Bytes each process of the daemon (main and children) has passed to write()."""
        counts = {}
        for pid in [self.pid, *procs.descendants(self.pid)]:
            count = procs.io_counter(pid, "wchar")
            if count is not None:
                counts[pid] = count
        return counts

    def stop(self, grace: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        code = procs.stop(self.proc, grace=grace)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code


@dataclass
class Memory:
    """Peak resident KiB of the daemon's processes, by kind."""

    main: int | None
    pollers: list[int] = field(default_factory=list)
    workers: list[int] = field(default_factory=list)  # extraction worker processes
    others: list[tuple[str, int]] = field(default_factory=list)  # by name


class BenchError(Exception):
    """A phase could not be measured: a bound was passed or a process failed."""


class Archive:
    """The daemon's SQLite file, opened beside it: autocommit, patient with its locks."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA busy_timeout = 30000")

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def mark_due(self, urls: Iterable[str] | None = None) -> int:
        """One statement, so the daemon's next tick sees all of these feeds due or none."""
        if urls is None:
            cursor = self.conn.execute("UPDATE feeds SET next_poll_at = ?", (LONG_AGO,))
        else:
            cursor = self.conn.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE url IN (SELECT value FROM json_each(?))",
                (LONG_AGO, json.dumps(list(urls))),
            )
        return cursor.rowcount

    def validators(self) -> list[tuple[str, str | None, str | None]]:
        rows = self.conn.execute("SELECT url, etag, last_modified FROM feeds ORDER BY id")
        return [(str(url), etag, modified) for url, etag, modified in rows]

    def table_rows(self) -> dict[str, int]:
        """Rows of every ordinary table (full-text search's shadow tables included)."""
        names = [
            str(name)
            for (name,) in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                "'CREATE VIRTUAL TABLE%' ORDER BY name"
            )
        ]
        return {
            name: int(self.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in names
        }

    def size_bytes(self) -> int:
        """The database's size as its pages count it (WAL content included)."""
        pages = int(self.conn.execute("PRAGMA page_count").fetchone()[0])
        return pages * int(self.conn.execute("PRAGMA page_size").fetchone()[0])

    def polls_per_feed_max(self) -> int:
        row = self.conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM polls GROUP BY feed_id)"
        ).fetchone()
        return int(row[0] or 0)

    def scalar(self, sql: str) -> int:
        return int(self.conn.execute(sql).fetchone()[0] or 0)

    def space_by_object(self) -> list[tuple[str, int]]:
        """Bytes of pages per table and index, largest first (empty without dbstat)."""
        try:
            rows = self.conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
        except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
            return []
        return [(str(name), int(size)) for name, size in rows]

    def texts(self) -> list[bytes]:
        return [
            str(text).encode("utf-8")
            for (text,) in self.conn.execute("SELECT text FROM versions ORDER BY id")
        ]
