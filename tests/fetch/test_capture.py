"""Captures of record: what the WARC records hold, revisits, rotation, and the tail a
killed writer leaves (fetch/capture.py, fetch/warcfiles.py, fetch/records.py)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingester.config import Settings
from ingester.errors import FetchError
from ingester.fetch import Fetcher
from ingester.fetch.capture import IDENTICAL, NOT_MODIFIED, Captures, Exchange
from ingester.fetch.records import check_file, stored_content, stored_response, warc_files
from ingester.fetch.warcfiles import OPEN, WarcFiles, close_abandoned, gzip_member
from tests.support.httpserver import LocalServer, Route

PAGE = (
    b"<html><body><p>" + b"The harbour wall was repaired this week. " * 40 + b"</p></body></html>"
)


def records(folder: Path) -> list[dict[str, Any]]:
    """Every record of every file, in order: type, headers, HTTP headers and payload."""
    found = []
    for path in warc_files(folder):
        with open(path, "rb") as file:
            for record in ArchiveIterator(file):
                http = record.http_headers
                found.append(
                    {
                        "type": record.rec_type,
                        "warc": dict(record.rec_headers.headers),
                        "http": dict(http.headers) if http else {},
                        "status": http.get_statuscode()
                        if http and record.rec_type != "request"
                        else None,
                        "payload": record.raw_stream.read(),
                        "file": path.name,
                    }
                )
    return found


def exchange(
    body: bytes = PAGE, status: int = 200, headers: dict[str, str] | None = None
) -> Exchange:
    return Exchange(
        url="http://news.test/story",
        request_headers=[("Host", "news.test"), ("User-Agent", "ingester-test")],
        status=status,
        reason="OK" if status == 200 else "Not Modified",
        response_headers=[("Content-Type", "text/html"), *(headers or {}).items()],
        body=body,
        peer="192.0.2.7",
        path="/story",
    )


@pytest.fixture
def captures(tmp_path: Path) -> Iterator[Captures]:
    writer = Captures(tmp_path / "warcs", user_agent="ingester-test", robots=True, max_bytes=10**9)
    yield writer
    writer.close()


def test_an_exchange_is_a_response_then_its_request_after_the_warcinfo(
    captures: Captures,
) -> None:
    body = gzip.compress(PAGE, mtime=0)
    ref = captures.exchange(exchange(body, headers={"Content-Encoding": "gzip"}))
    captures.close()

    info, response, request = records(captures.folder)
    assert (
        info["type"] == "warcinfo" and b"http-header-user-agent: ingester-test" in info["payload"]
    )
    assert response["type"] == "response" and request["type"] == "request"
    # The payload as it came: still gzip, its header kept.
    assert response["payload"] == body and response["http"]["Content-Encoding"] == "gzip"
    assert response["warc"]["WARC-IP-Address"] == "192.0.2.7"
    assert response["warc"]["WARC-Payload-Digest"].startswith("sha256:")
    assert request["warc"]["WARC-Concurrent-To"] == response["warc"]["WARC-Record-ID"]
    assert request["warc"]["WARC-Date"] == response["warc"]["WARC-Date"]
    assert ref is not None and ref.record_id == response["warc"]["WARC-Record-ID"]
    (check,) = [check_file(path) for path in warc_files(captures.folder)]
    assert check.records == 3 and check.problems == ()
    assert stored_content(ref, 10**6) == PAGE


def test_the_same_payload_again_is_a_revisit_of_the_first(captures: Captures) -> None:
    first = captures.exchange(exchange())
    again = captures.exchange(exchange(), previous=first)
    changed = captures.exchange(exchange(PAGE + b"<!-- edited -->"), previous=first)
    captures.close()

    kinds = [r["type"] for r in records(captures.folder)]
    assert kinds == ["warcinfo", "response", "request", "revisit", "request", "response", "request"]
    revisit = records(captures.folder)[3]
    assert first is not None and again == first  # the original stands for the payload still
    assert revisit["warc"]["WARC-Profile"] == IDENTICAL
    assert revisit["warc"]["WARC-Refers-To"] == first.record_id
    assert revisit["warc"]["WARC-Refers-To-Date"] == first.date
    assert revisit["payload"] == b""  # headers only: the payload is the first one's
    assert changed is not None and changed.record_id != first.record_id


def test_304s_are_left_to_the_poll_log_unless_asked_for(tmp_path: Path) -> None:
    plain = Captures(tmp_path / "plain", user_agent="ua", robots=True, max_bytes=10**9)
    proof = Captures(
        tmp_path / "proof", user_agent="ua", robots=True, max_bytes=10**9, not_modified=True
    )
    for writer in (plain, proof):
        first = writer.exchange(exchange())
        assert writer.exchange(exchange(b"", 304), previous=first) == first
        writer.close()

    assert [r["type"] for r in records(plain.folder)] == ["warcinfo", "response", "request"]
    revisit = records(proof.folder)[3]
    assert revisit["type"] == "revisit" and revisit["warc"]["WARC-Profile"] == NOT_MODIFIED
    assert revisit["status"] == "304"


def test_a_dechunked_body_keeps_its_transfer_encoding_under_another_name(
    captures: Captures,
) -> None:
    captures.exchange(exchange(headers={"Transfer-Encoding": "chunked"}))
    captures.close()

    response = records(captures.folder)[1]
    assert "Transfer-Encoding" not in response["http"]
    assert response["http"]["X-Crawler-Transfer-Encoding"] == "chunked"


def test_files_rotate_at_their_size_and_at_each_utc_day(tmp_path: Path) -> None:
    now = [datetime(2026, 12, 1, 23, 59, tzinfo=UTC)]
    files = WarcFiles(
        tmp_path,
        lambda name: gzip_member(b"info " + name.encode()),
        max_bytes=300,
        now=lambda: now[0],
    )
    small = gzip_member(b"x" * 10)
    first = files.append([small])[0]
    second = files.append([small])[0]
    big = files.append([gzip_member(bytes(range(256)) * 2)])[0]
    now[0] = datetime(2026, 12, 2, 0, 1, tzinfo=UTC)
    next_day = files.append([small])[0]
    files.close()

    assert first.path == second.path != big.path != next_day.path
    assert "-20261202" in next_day.path.name and "-20261201" in big.path.name
    for placed in (first, big, next_day):  # each file opens with its warcinfo
        assert gzip.decompress(placed.path.read_bytes()).startswith(
            b"info " + placed.path.name.encode()
        )
    assert not list(tmp_path.glob(f"*{OPEN}"))  # every file closed under its final name


def test_a_killed_writers_half_record_is_cut_off_at_the_next_start(tmp_path: Path) -> None:
    folder = tmp_path / "warcs"
    writer = Captures(folder, user_agent="ua", robots=True, max_bytes=10**9)
    ref = writer.exchange(exchange())
    (open_file,) = folder.glob(f"*{OPEN}")
    # The writer is alive (it holds the lock): its file is not touched.
    assert close_abandoned(folder) == []
    whole = open_file.stat().st_size
    with open(open_file, "ab") as file:  # half of another record, as a SIGKILL leaves it
        file.write(
            gzip_member(b"WARC/1.1\r\nWARC-Type: response\r\n" + bytes(range(256)) * 4)[:120]
        )
    writer._files._file.close()  # type: ignore[union-attr]  # dies without closing

    ((closed, cut),) = close_abandoned(folder)
    assert cut == 120 and closed.stat().st_size == whole and not closed.name.endswith(OPEN)
    assert check_file(closed).problems == () and check_file(closed).records == 3
    assert ref is not None and stored_response(ref).payload == PAGE


def test_the_fetcher_captures_redirect_hops_error_statuses_and_the_wire_bytes(
    tmp_path: Path, server: LocalServer
) -> None:
    server.set("/old", Route(b"moved", status=301, headers={"Location": "/story"}))
    server.set("/story", Route(PAGE, headers={"Content-Type": "text/html"}))
    captures = Captures(tmp_path, user_agent="ua", robots=False, max_bytes=10**9)
    settings = Settings(host_gap=0, robots=False, private_pages=True)

    async def fetch() -> None:
        async with Fetcher(settings, captures=captures) as fetcher:
            result = await fetcher.get_page(server.url("/old"))
            assert result.content == PAGE and result.capture is not None
            assert result.capture.url == server.url("/story")
            with pytest.raises(FetchError):
                await fetcher.get_page(server.url("/missing"))

    asyncio.run(fetch())

    found = [(r["type"], r["status"], r["warc"].get("WARC-Target-URI")) for r in records(tmp_path)]
    assert found == [
        ("warcinfo", None, None),
        ("response", "301", server.url("/old")),
        ("request", None, server.url("/old")),
        ("response", "200", server.url("/story")),
        ("request", None, server.url("/story")),
        ("response", "404", server.url("/missing")),
        ("request", None, server.url("/missing")),
    ]
    story = records(tmp_path)[3]
    assert story["http"]["Content-Encoding"] == "gzip" and gzip.decompress(story["payload"]) == PAGE
    assert story["warc"]["WARC-IP-Address"] == "127.0.0.1"
    request = records(tmp_path)[4]
    assert request["http"]["User-Agent"] == settings.user_agent
    assert all(check_file(path).problems == () for path in warc_files(tmp_path))


def test_a_payload_captured_before_at_another_url_is_a_revisit_of_it(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}
    writer = Captures(tmp_path, user_agent="ua", robots=True, max_bytes=10**9, earlier=seen.get)
    first = writer.exchange(exchange())
    assert first is not None
    seen[first.payload_digest] = first
    mirrored = replace(exchange(), url="http://mirror.test/story")
    again = writer.exchange(mirrored)
    writer.close()

    revisit = records(tmp_path)[3]
    assert again == first
    assert revisit["type"] == "revisit" and revisit["warc"]["WARC-Target-URI"] == mirrored.url
    assert revisit["warc"]["WARC-Refers-To-Target-URI"] == first.url
