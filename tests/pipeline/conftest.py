"""The pipeline's tests run on both engines: the harness over a SQLite file and over a
PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.harness import Harness, open_harness


@pytest.fixture
def harness(archive_target: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    yield from open_harness(archive_target, monkeypatch)
