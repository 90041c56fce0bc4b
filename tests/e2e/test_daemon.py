"""The daemon as `make run` starts it: polls, logs one line per poll, stops on a signal."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Iterator

import pytest

from tests.support.cli import Archive, Daemon
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

PAGE = SamplePage("Ferry service resumes after storm", sentences("the ferry"))


@pytest.fixture
def daemon_archive(archive: Archive, server: LocalServer) -> Archive:
    server.set_text("/a/ferry", PAGE.html(), "text/html")
    server.set_text(
        "/feed.xml",
        rss("Harbour News", server.url("/"), [FeedItem(PAGE.title, server.url("/a/ferry"))]),
        "application/rss+xml",
    )
    archive.write_config(
        f'[settings]\ntick = "1s"\n\n[[feeds]]\nurl = "{server.url("/feed.xml")}"\n'
        'name = "harbour"\ninterval = "1h"\n'
    )
    return archive


@pytest.fixture
def daemon(daemon_archive: Archive) -> Iterator[Daemon]:
    running = Daemon(daemon_archive)
    yield running
    running.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_daemon_polls_logs_and_stops_cleanly(
    daemon: Daemon, daemon_archive: Archive, signum: int
) -> None:
    line = daemon.wait_for("poll feed=")

    assert "feed=harbour" in line and "status=ok" in line and "new_versions=1" in line
    code = daemon.stop(signum)
    assert code == 0
    log = "".join(daemon.seen)
    assert "daemon stopped" in log
    assert "Traceback" not in log
    with sqlite3.connect(daemon_archive.db) as conn:
        [(text,)] = conn.execute("SELECT text FROM versions").fetchall()
    assert text == PAGE.expected_layout()
    # A daemon that stopped is not healthy, however fresh its last heartbeat.
    status = daemon_archive.cli("status", "--check", check=False)
    assert status.returncode == 1
    assert "daemon: stopped at" in status.stderr.decode()
