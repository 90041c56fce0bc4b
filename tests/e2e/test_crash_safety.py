"""Crash safety: the daemon SIGKILLed at random moments, 20 times in a row, loses nothing.

After each kill the archive passes ``PRAGMA integrity_check``, every version stored before
is still there byte for byte, every capture it points at reads back from its WARC file,
and once the daemon is let run to the end the archive holds the same versions as one made
by a single uninterrupted ``ingester poll --all``, with every WARC file closed and whole.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingester.errors import NotFound
from ingester.fetch.records import stored_response
from ingester.types import CaptureRef
from tests.support.cli import Archive, Daemon
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

FEEDS = 3
PAGES_PER_FEED = 10
KILLS = 20
SEED = 20250720

# (article url, version number, sha256, text)
VersionRow = tuple[str, int, str, str]


def build_site(server: LocalServer) -> None:
    """3 feeds of 10 pages, every page answering slowly (a third of them more so)."""
    for f in range(FEEDS):
        items = []
        for p in range(PAGES_PER_FEED):
            page = SamplePage(f"Story {p} from desk {f}", sentences(f"desk {f} story {p}"))
            path = f"/desk{f}/story{p}"
            server.set_text(path, page.html(), "text/html", delay=0.6 if p % 3 == 0 else 0.2)
            items.append(FeedItem(page.title, server.url(path)))
        server.set_text(
            f"/desk{f}.xml",
            rss(f"Desk {f}", server.url("/"), items),
            "application/rss+xml",
        )


def config_for(server: LocalServer) -> str:
    feeds = "".join(
        f'[[feeds]]\nurl = "{server.url(f"/desk{f}.xml")}"\nname = "desk{f}"\ninterval = "1h"\n\n'
        for f in range(FEEDS)
    )
    # One request at a time to the one host: a full pass takes ~10 s, so most kills land
    # mid-poll rather than on an idle daemon.
    return (
        f'[settings]\ntick = "1s"\nhost_gap = 0\nhost_concurrency = 1\n'
        f'default_interval = "1h"\n\n{feeds}'
    )


def versions(db: Path) -> set[VersionRow]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT a.url, v.number, v.sha256, v.text
               FROM versions v JOIN articles a ON a.id = v.article_id"""
        ).fetchall()
    return {(str(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows}


def unreadable_captures(db: Path) -> list[str]:
    """Capture pointers of the archive whose record cannot be read back whole: each must
    have been written and flushed before its row committed. An archive killed while its
    schema was being made (the next start finishes it) has none yet."""
    with sqlite3.connect(db) as conn:
        made = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'captures'").fetchone()
        if made is None:
            return []
        rows = conn.execute(
            "SELECT record_id, url, captured_at, payload_digest, file, offset, length FROM captures"
        ).fetchall()
    bad = []
    for record_id, url, date, digest, file, offset, length in rows:
        capture = CaptureRef(record_id, url, date, digest, str(db.parent / file), offset, length)
        try:
            stored_response(capture)
        except NotFound as e:
            bad.append(str(e))
    return bad


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def finished(db: Path) -> bool:
    """Every feed polled to the end and every page archived."""
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            ok = conn.execute("SELECT COUNT(*) FROM feeds WHERE last_status = 'ok'").fetchone()[0]
            count = conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is still being created
        return False
    return bool(ok == FEEDS and count == FEEDS * PAGES_PER_FEED)


def wait_until_finished(db: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not finished(db):
        assert time.monotonic() < deadline, f"the archive was not complete in {timeout}s"
        time.sleep(0.1)  # polling interval of a deadline wait on the database's state


def descendants(pid: int) -> set[int]:
    """Processes started by ``pid`` (the extraction pool's forkserver and workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_hard(daemon: Daemon) -> set[int]:
    """SIGKILL the daemon; returns the processes it had started (its extraction pool)."""
    pid = daemon.process.pid
    os.kill(pid, signal.SIGSTOP)  # frozen, it can start no worker while they are listed
    pool = descendants(pid)
    daemon.process.send_signal(signal.SIGKILL)
    assert daemon.process.wait(timeout=30) == -signal.SIGKILL
    return pool


def kill_pids(pids: set[int]) -> None:
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        build_site(server)
        yield server


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_at_random_moments_loses_nothing(site: LocalServer, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    reference = Archive(tmp_path / "reference")
    reference.dir.mkdir()
    reference.write_config(config_for(site))
    reference.cli("poll", "--all")
    expected = versions(reference.db)
    assert len(expected) == FEEDS * PAGES_PER_FEED

    crashed = Archive(tmp_path / "crashed")
    crashed.dir.mkdir()
    crashed.write_config(config_for(site))
    seen: set[VersionRow] = set()
    pool_processes = 0
    polls_logged = 0
    counts: list[int] = []
    closed_after_crash = 0
    for kill in range(KILLS):
        daemon = Daemon(crashed)
        try:
            if kill % 5 == 4 and not finished(crashed.db):
                # Every fifth kill right after a poll's log line, when its rows were just
                # committed (a whole feed's poll is also how the archive makes progress).
                daemon.wait_for("poll feed=", timeout=60)
                polls_logged += 1
            else:
                # A random moment is the one legitimate use of a timer here: the kill
                # lands wherever the daemon happens to be (starting, fetching, writing).
                time.sleep(rng.uniform(0.2, 2.0))
            pool = kill_hard(daemon)
            # The pool outlives a killed daemon (see the test below) and holds its stderr
            # open; it goes down with it here, as when a supervisor kills the whole cgroup.
            kill_pids(pool)
            pool_processes += len(pool)
        finally:
            daemon.close()
        assert "Traceback" not in "".join(daemon.seen)
        closed_after_crash += "".join(daemon.seen).count("closed after a crash")
        if not crashed.db.exists():
            continue  # killed before it opened the archive
        assert integrity(crashed.db) == "ok", f"after kill {kill + 1}"
        assert unreadable_captures(crashed.db) == [], f"after kill {kill + 1}"
        now = versions(crashed.db)
        assert seen <= now, f"after kill {kill + 1}: lost {sorted(v[:3] for v in seen - now)}"
        seen = now
        counts.append(len(now))

    final = Daemon(crashed)
    try:
        final.wait_for("daemon started", timeout=60)  # its signal handlers are in place
        wait_until_finished(crashed.db, timeout=90)
        assert final.stop(signal.SIGTERM) == 0
    finally:
        final.close()
    assert integrity(crashed.db) == "ok"
    result = versions(crashed.db)
    assert seen <= result
    assert result == expected
    # The files the killed daemons left open were cut back and closed at the next starts:
    # none is left open, and every record of every file reads back with its digests.
    warcs = crashed.dir / "archive.warcs"
    assert not list(warcs.glob("*.open")) and not list(warcs.glob(".*.new"))
    checked = crashed.cli("warc", "check")
    assert b"every digest verifies" in checked.stdout
    closed_after_crash += "".join(final.seen).count("closed after a crash")
    assert closed_after_crash > 0
    assert unreadable_captures(crashed.db) == []
    print(
        f"kills={KILLS} after_poll_line={polls_logged} integrity_checks_ok={KILLS + 1}"
        f" versions={len(result)} pool_processes_killed={pool_processes}"
        f" warc_files_closed_after_crashes={closed_after_crash}"
        f" versions_after_each_kill={counts}"
    )


@pytest.mark.timeout(120)
def test_a_killed_daemon_leaves_no_extraction_workers(site: LocalServer, tmp_path: Path) -> None:
    crashed = Archive(tmp_path)
    crashed.write_config(config_for(site))
    daemon = Daemon(crashed)
    pool: set[int] = set()
    try:
        daemon.wait_for("poll feed=", timeout=60)  # pages were extracted: the pool is up
        pool = kill_hard(daemon)
        assert pool, "no extraction pool was running"
        deadline = time.monotonic() + 10
        while {pid for pid in pool if alive(pid)} and time.monotonic() < deadline:
            time.sleep(0.1)  # polling interval of a deadline wait on the process table
        assert not {pid for pid in pool if alive(pid)}, "the pool outlived its daemon"
    finally:
        kill_pids(pool)  # ours: never leave them behind, whatever the outcome
        daemon.close()
