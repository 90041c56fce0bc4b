"""Shared fixtures: a local HTTP server, a temporary archive for the real CLI, the pipeline
harness on an explicit clock (and the same after one poll), and the hand-built archive
the browsing tests read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Archive
from tests.support.harness import PAGES, RSS_TYPE, Harness, open_harness, serve_pages
from tests.support.httpserver import LocalServer
from tests.support.news import build_news
from tests.support.postgres import PostgresServer, postgres_server
from tests.support.samples import rss


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long real-time tests first: with the suite spread over both cores
    (pytest-xdist), each then runs beside the rest instead of after it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test process, started the first time a test needs it;
    each test takes a database of its own (``archive_target``)."""
    with postgres_server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty archive on each engine: a SQLite file's path, a PostgreSQL database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.database()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path)


@pytest.fixture
def news(archive: Archive) -> Path:
    build_news(archive.db)
    return archive.db


@pytest.fixture
def harness(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    # The same file the CLI fixture uses, so a test can look at it with `ingester status`.
    yield from open_harness(archive.db, monkeypatch)


@pytest.fixture
def polled(harness: Harness, server: LocalServer) -> Harness:
    """Three articles archived by one poll at T0; the feed then waits a day."""
    items = serve_pages(server, PAGES)
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items), RSS_TYPE)
    harness.add(server.url("/feed.xml"), "news", interval=86400)
    [result] = harness.poll_due()
    assert result.new_articles == 3
    return harness
