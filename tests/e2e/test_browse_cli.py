"""`ingester serve` as a user starts it: Datasette with the saved queries on the archive of
tests/support/news.py, and a one-line error without an archive."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Archive, cli_env
from tests.support.news import FEED_HEALTH, URL_BUDGET, expected_feed_health, search_path
from tests.support.serving import free_port, get_json, serving

# -- `ingester serve` ---------------------------------------------------------------------


@pytest.mark.e2e
def test_serve_runs_datasette_with_the_saved_queries(archive: Archive, news: Path) -> None:
    with serving(archive) as base:
        health = get_json(f"{base}{FEED_HEALTH}")
        found = get_json(f"{base}{search_path('quokka')}")

    assert health == expected_feed_health()
    assert [hit["url"] for hit in found] == [URL_BUDGET]
    assert f"{base}/" in (archive.dir / "serve.log").read_text(encoding="utf-8")


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
