"""`ingester export`: versions as files in the article layout, or JSON lines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import SamplePage, sentences
from tests.support.sites import serve_feeds

pytestmark = pytest.mark.e2e

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))
MARKET = SamplePage("Night market returns to the square", sentences("the market"), author=None)
MUSEUM = SamplePage("Museum extends its opening hours", sentences("the museum"))


@pytest.fixture
def archived(archive: Archive, server: LocalServer) -> Archive:
    """Two feeds; the ferry story is edited once between two polls."""
    harbour = {"/ferry": FERRY, "/market": MARKET}
    serve_feeds(archive, server, {"harbour": harbour, "culture": {"/museum": MUSEUM}})
    archive.cli("poll", "--all")
    server.set_text(
        "/ferry", FERRY.edited(title="Ferry timetable changes again").html(), "text/html"
    )
    archive.cli("fetch", server.url("/ferry"))
    return archive


def exported(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_export_writes_current_versions_named_by_position_and_hash(
    archived: Archive, tmp_path: Path
) -> None:
    archived.cli("export", str(tmp_path / "out"))

    files = exported(tmp_path / "out")
    texts = [
        FERRY.edited(title="Ferry timetable changes again").expected_layout(),
        MARKET.expected_layout(),
        MUSEUM.expected_layout(),
    ]
    assert sorted(files.values()) == sorted(t.encode() for t in texts)
    for n, (name, data) in enumerate(files.items()):
        assert name == f"{n:03d}_{hashlib.sha256(data).hexdigest()[:16]}.txt"


def test_export_is_deterministic(archived: Archive, tmp_path: Path) -> None:
    archived.cli("export", str(tmp_path / "a"), "--all-versions")
    archived.cli("export", str(tmp_path / "b"), "--all-versions")
    archived.cli("export", str(tmp_path / "c"), "--all-versions", "--format", "jsonl")
    archived.cli("export", str(tmp_path / "d"), "--all-versions", "--format", "jsonl")

    assert exported(tmp_path / "a") == exported(tmp_path / "b")
    assert len(exported(tmp_path / "a")) == 4
    assert exported(tmp_path / "c") == exported(tmp_path / "d")


def test_export_all_versions_as_json_lines(archived: Archive, tmp_path: Path) -> None:
    archived.cli("export", str(tmp_path), "--all-versions", "--format", "jsonl")

    rows = [json.loads(line) for line in (tmp_path / "versions.jsonl").read_text().splitlines()]
    ferry = [r for r in rows if r["url"].endswith("/ferry")]
    assert [(r["number"], r["kind"], r["current"]) for r in ferry] == [
        (1, "first", False),
        (2, "edit", True),
    ]
    assert ferry[0]["text"] == FERRY.expected_layout()
    assert ferry[1]["changed_fields"] == ["title"]
    assert {"title", "author", "body", "sha256", "fetched_at", "source", "extractor"} <= set(
        ferry[0]
    )


def test_export_filters_by_feed_and_date(archived: Archive, tmp_path: Path) -> None:
    archived.cli("export", str(tmp_path / "culture"), "--feed", "culture")
    archived.cli("export", str(tmp_path / "future"), "--since", "2999-01-01")

    assert list(exported(tmp_path / "culture").values()) == [MUSEUM.expected_layout().encode()]
    assert exported(tmp_path / "future") == {}


def test_export_refuses_a_bad_date_and_an_unknown_feed(archived: Archive, tmp_path: Path) -> None:
    bad_date = archived.cli("export", str(tmp_path), "--since", "last tuesday", check=False)
    no_feed = archived.cli("export", str(tmp_path), "--feed", "nonesuch", check=False)

    assert bad_date.returncode == 2
    assert no_feed.returncode == 1
    assert len(no_feed.stderr.decode().strip().splitlines()) == 1


def test_progress_is_plain_lines_off_a_terminal_and_quiet_silences_it(
    archived: Archive, tmp_path: Path
) -> None:
    loud = archived.cli("export", str(tmp_path / "a"), "--all-versions")
    quiet = archived.cli("--quiet", "export", str(tmp_path / "b"), "--all-versions")

    assert loud.stderr.decode().splitlines() == ["export: 4 done"]
    assert quiet.stderr == b""
    assert exported(tmp_path / "a") == exported(tmp_path / "b")
