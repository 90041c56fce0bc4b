"""`ingester serve` as a user starts it: Datasette with the saved queries on the archive of
tests/support/news.py, and a one-line error without an archive."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Archive, cli_env
from tests.support.news import FEED_HEALTH, URL_BUDGET, expected_feed_health, search_path

# -- `ingester serve` ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for_json(url: str, process: subprocess.Popen[bytes], log: Path) -> Any:
    """The JSON at ``url`` once the server answers; fails if it exits or 30 s pass."""
    deadline = time.monotonic() + 30
    last: Exception | None = None
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {log.read_text()}")
        try:
            with OPENER.open(url, timeout=10) as response:
                assert response.status == 200
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{url}: HTTP {e.code}: {e.read()!r}") from e
        except (urllib.error.URLError, ConnectionError) as e:
            last = e  # not listening yet
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)  # only to wait for the server to come up
    raise AssertionError(f"no answer from {url} in 30 s ({last}); log: {log.read_text()}")


@pytest.mark.e2e
def test_serve_runs_datasette_with_the_saved_queries(archive: Archive, news: Path) -> None:
    port = free_port()
    log = archive.dir / "serve.log"
    command = [sys.executable, "-m", "ingester", "--config", str(archive.config)]
    command += ["--db", str(archive.db), "serve", "--port", str(port)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, env=cli_env(), cwd=archive.dir
        )
        try:
            base = f"http://127.0.0.1:{port}"
            health = wait_for_json(f"{base}{FEED_HEALTH}", process, log)
            with OPENER.open(f"{base}{search_path('quokka')}", timeout=10) as response:
                found = json.loads(response.read())
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    assert health == expected_feed_health()
    assert [hit["url"] for hit in found] == [URL_BUDGET]
    assert f"http://127.0.0.1:{port}/" in log.read_text(encoding="utf-8")


@pytest.mark.e2e
def test_serve_without_an_archive_is_a_one_line_error_and_creates_nothing(
    archive: Archive,
) -> None:
    command = [sys.executable, "-m", "ingester", "--config", str(archive.config)]
    command += ["--db", str(archive.db), "serve", "--port", str(free_port())]
    try:
        done = subprocess.run(
            command, capture_output=True, cwd=archive.dir, env=cli_env(), timeout=30
        )
    except subprocess.TimeoutExpired as e:  # run() has killed it
        raise AssertionError("serve kept running without an archive") from e

    assert done.returncode == 1
    lines = done.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert str(archive.db) in lines[0]
    assert list(archive.dir.iterdir()) == []


@pytest.mark.e2e
def test_serve_refuses_a_port_out_of_range_as_a_usage_error(archive: Archive, news: Path) -> None:
    done = archive.cli("serve", "--port", "99999", check=False)

    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"99999 is not in the range" in done.stderr


@pytest.mark.e2e
def test_serve_on_a_busy_port_is_a_one_line_error(archive: Archive, news: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = archive.cli("serve", "--port", str(port), check=False)

    assert done.returncode == 1
    lines = done.stderr.decode("utf-8").splitlines()
    assert lines == [f"Error: cannot listen on 127.0.0.1:{port}: the address is already in use"]
