"""The daemon as `make run` starts it: polls, logs one line per poll, stops on a signal."""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import Archive, cli_env
from httpserver import LocalServer
from samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

PAGE = SamplePage("Ferry service resumes after storm", sentences("the ferry"))


class Daemon:
    """``ingester run`` in a subprocess, its stderr read line by line on a thread.

    Verbose, so that polls which find nothing new are logged too: tests wait for them.
    """

    def __init__(self, archive: Archive) -> None:
        command = [sys.executable, "-m", "ingester", "--verbose", "--config", str(archive.config)]
        command += ["--db", str(archive.db), "run"]
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=cli_env(), text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first new log line containing ``text``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no log line with {text!r} in {timeout}s; saw:\n{''.join(self.seen)}")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()


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
