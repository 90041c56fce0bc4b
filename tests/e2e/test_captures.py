"""Captures of record through the real CLI: a poll of a local site writes WARC files that
warcio reads back whole, every digest verifies, an edit is two responses and two versions
pointing at them, an unchanged look is a revisit, and re-extraction reads the WARCs."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingester.fetch.records import warc_files
from tests.support.cli import Archive
from tests.support.harness import Harness
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

STORY = SamplePage("Harbour wall to be rebuilt", sentences("the harbour wall"))
EDITED = STORY.edited(title="Harbour wall to be rebuilt by spring")


def warc_records(archive: Archive) -> list[dict[str, Any]]:
    found = []
    for path in warc_files(archive.dir / "archive.warcs"):
        with open(path, "rb") as file:
            for record in ArchiveIterator(file):
                found.append(
                    {
                        "type": record.rec_type,
                        "id": record.rec_headers.get_header("WARC-Record-ID"),
                        "url": record.rec_headers.get_header("WARC-Target-URI"),
                        "refers_to": record.rec_headers.get_header("WARC-Refers-To"),
                        "profile": record.rec_headers.get_header("WARC-Profile"),
                        "payload": record.content_stream().read(),
                    }
                )
    return found


def rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def site(archive: Archive, server: LocalServer) -> Archive:
    server.set_text("/story", STORY.html(), "text/html; charset=utf-8")
    items = [FeedItem(STORY.title, server.url("/story"))]
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items), "application/rss+xml")
    feed = server.url("/feed.xml")
    archive.write_config(
        f'[settings]\nhost_gap = 0\n\n[[feeds]]\nurl = "{feed}"\nname = "harbour"\n'
    )
    return archive


def test_a_poll_writes_every_exchange_and_every_digest_verifies(
    site: Archive, server: LocalServer
) -> None:
    site.cli("poll", "--all")

    records = warc_records(site)
    kinds = [(r["type"], r["url"]) for r in records if r["type"] != "warcinfo"]
    for url in (server.url("/feed.xml"), server.url("/robots.txt"), server.url("/story")):
        assert ("response", url) in kinds and ("request", url) in kinds
    assert records[0]["type"] == "warcinfo"
    checked = site.cli("warc", "check")
    assert b"every digest verifies" in checked.stdout and checked.returncode == 0
    # The file was closed at the end of the command: named as the spec's annex names it.
    (name,) = [p.name for p in warc_files(site.dir / "archive.warcs")]
    assert name.startswith("ingester-") and name.endswith(".warc.gz")


def test_an_edit_is_two_responses_and_two_versions_that_point_at_them(
    site: Archive, server: LocalServer
) -> None:
    site.cli("poll", "--all")
    server.set_text("/story", EDITED.html(), "text/html; charset=utf-8")
    site.cli("fetch", server.url("/story"))

    versions = rows(
        site.db,
        """SELECT v.number, v.text, c.record_id FROM versions v
           JOIN captures c ON c.id = v.capture_id ORDER BY v.number""",
    )
    assert [v[0] for v in versions] == [1, 2]
    records = warc_records(site)
    responses = {
        r["id"]: r for r in records if r["type"] == "response" and r["url"] == server.url("/story")
    }
    assert len(responses) == 2 and {v[2] for v in versions} == set(responses)
    # Each version's layout text sits beside its response, as a conversion record.
    conversions = {
        r["refers_to"]: r["payload"].decode() for r in records if r["type"] == "conversion"
    }
    assert {record_id: text for _, text, record_id in versions} == conversions
    assert EDITED.title.encode() in responses[versions[1][2]]["payload"]


def test_an_unchanged_look_is_a_revisit_of_the_first_response(
    site: Archive, server: LocalServer
) -> None:
    site.cli("poll", "--all")
    site.cli("fetch", server.url("/story"))

    story = [r for r in warc_records(site) if r["url"] == server.url("/story")]
    first, revisit = [r for r in story if r["type"] in ("response", "revisit")]
    assert first["type"] == "response" and revisit["type"] == "revisit"
    assert revisit["refers_to"] == first["id"]
    assert revisit["profile"].endswith("/revisit/identical-payload-digest")
    assert rows(site.db, "SELECT COUNT(*) FROM captures WHERE url = ?", server.url("/story")) == [
        (1,)
    ]


def test_reextraction_reads_the_pages_from_their_captures(
    site: Archive, server: LocalServer
) -> None:
    site.cli("poll", "--all")
    server.stop()  # no network: the page can only come from the WARC file

    done = site.cli("reextract", "--all")

    assert rows(site.db, "SELECT COUNT(*) FROM raw_pages") == [(0,)]
    assert b"re-extracted 1 article: 0 changed" in done.stdout
    assert server.url("/story").encode() not in done.stderr  # no article's error


def test_a_warc_folder_that_cannot_be_made_stops_the_command_in_one_line(
    site: Archive, server: LocalServer
) -> None:
    (site.dir / "archive.warcs").write_text("a file where the folder should be\n")

    failed = site.cli("poll", "--all", check=False)

    assert failed.returncode == 1
    (line,) = failed.stderr.decode().strip().splitlines()
    assert line.startswith("Error: capture: cannot write WARC files in ")
    assert line.endswith("archive.warcs: File exists")
    assert server.hits("/feed.xml") == 0  # nothing fetched that could not be captured


def test_pages_stored_before_captures_move_into_a_warc_file_of_their_own(
    site: Archive, server: LocalServer, harness: Harness
) -> None:
    # An archive as an earlier release made it: the page's bytes in raw_pages (the
    # in-process harness fetches without captures).
    harness.add(server.url("/feed.xml"), "harbour")
    harness.poll_due()
    [(sha256, stored)] = rows(site.db, "SELECT sha256, length(content) FROM raw_pages")
    assert stored > 0

    moved = site.cli("warc", "import-raw")

    assert b"moved 1 page from raw_pages" in moved.stdout
    assert rows(site.db, "SELECT COUNT(*) FROM raw_pages") == [(0,)]
    [(raw, record_id)] = rows(
        site.db,
        "SELECT v.raw_sha256, c.record_id FROM versions v JOIN captures c ON c.id = v.capture_id",
    )
    assert raw is None
    (resource,) = [r for r in warc_records(site) if r["type"] == "resource"]
    assert resource["id"] == record_id and resource["url"] == server.url("/story")
    assert hashlib.sha256(resource["payload"]).hexdigest() == sha256
    assert b"every digest verifies" in site.cli("warc", "check").stdout
    server.stop()  # re-extraction now reads the page from the WARC file
    done = site.cli("reextract", "--all")
    assert b"re-extracted 1 article: 0 changed" in done.stdout
    assert server.url("/story").encode() not in done.stderr
