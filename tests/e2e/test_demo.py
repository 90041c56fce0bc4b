"""`make demo` works offline and stops everything it started on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.error import URLError

import feedparser
import pytest

from tests.support.cli import PROJECT, cli_env
from tests.support.serving import free_port

pytestmark = pytest.mark.e2e

PAGES = PROJECT / "tests" / "data" / "pages"


def test_the_demo_polls_the_sample_site_and_shows_articles() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.demo", "--no-serve", "--show", "2"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=PROJECT,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    shown = sorted(p.stem for p in PAGES.glob("*.html") if p.stem != "kyiv-reference")
    assert f"with {len(shown) + 1} articles in 2 feeds" in done.stdout  # and one edited
    assert done.stdout.count("new articles: ") == 2
    for name in shown[:2]:
        assert (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8") in done.stdout


@pytest.mark.timeout(180)
def test_the_demo_serves_datasette_until_ctrl_c() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.demo", "--show", "0", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(),
        cwd=PROJECT,
        start_new_session=True,  # Ctrl-C reaches the whole group, as in a terminal
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"http://127.0.0.1:{port}/demo/feed_health.json?_shape=array"
    try:
        deadline = time.monotonic() + 120
        body = b""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with opener.open(url, timeout=5) as response:
                    body = response.read()
                break
            except (URLError, ConnectionError):
                time.sleep(0.2)  # waiting for the servers to come up, not for a result
        assert b"demo-news" in body and b"demo-blog" in body
        # The demo's edit, end to end: in the reading room's edits feed, with its diff.
        with opener.open(f"http://127.0.0.1:{port}/-/edits.atom", timeout=10) as response:
            edits = feedparser.parse(response.read())
        assert len(edits.entries) == 1 and "/-/diff?" in edits.entries[0].link
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with pytest.raises((URLError, ConnectionError)):
        opener.open(url, timeout=5)


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.demo", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=PROJECT,
        timeout=120,
    )


def archive_path(out: str) -> Path:
    [line] = [line for line in out.splitlines() if line.startswith("archive: ")]
    return Path(line.removeprefix("archive: ").split()[0])


def test_the_demo_edits_an_article_and_shows_its_history_and_diff() -> None:
    done = run_demo("--no-serve", "--show", "0")

    assert done.returncode == 0, done.stderr
    assert "article: new version" in done.stdout
    assert "*  2  " in done.stdout and "title, body" in done.stdout  # its history
    assert "[-" in done.stdout and "{+" in done.stdout  # and what the edit changed
    assert not archive_path(done.stdout).exists()  # a throwaway archive, gone after


def test_the_demo_keeps_its_archive_with_keep() -> None:
    done = run_demo("--no-serve", "--show", "0", "--keep")

    assert done.returncode == 0, done.stderr
    archive = archive_path(done.stdout)
    try:
        assert archive.is_file()
        with closing(sqlite3.connect(archive)) as conn:
            edits = conn.execute("SELECT COUNT(*) FROM versions WHERE kind = 'edit'").fetchone()
        assert edits == (1,)
        assert f"kept: {archive}" in done.stdout
    finally:
        shutil.rmtree(archive.parent, ignore_errors=True)


def test_the_demo_on_a_taken_port_says_so_and_fails() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_demo("--port", str(port))

    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in done.stderr
    assert "the reading room on" not in done.stdout and "new articles" not in done.stdout
