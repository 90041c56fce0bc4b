"""The local test server behaves like the real servers the ingester will meet."""

from __future__ import annotations

import gzip
import http.client
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.error import HTTPError

import pytest

from tests.support.httpserver import LocalServer, Route

# Proxies from the environment must not get between the client and 127.0.0.1.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET", timeout: float = 5
) -> Response:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Response(response.status, response.headers, response.read())
    except HTTPError as error:  # urllib raises for 304 and 4xx; they are answers here
        with error:
            return Response(error.code, error.headers, error.read())


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


def test_serves_route_with_its_status_headers_and_body(server: LocalServer) -> None:
    server.set("/feed.xml", Route(b"<rss/>", status=203, headers={"Content-Type": "text/xml"}))

    response = fetch(server.url("/feed.xml"))

    assert server.base_url.startswith("http://127.0.0.1:")
    assert response.status == 203
    assert response.headers["Content-Type"] == "text/xml"
    assert response.headers["Content-Length"] == "6"
    assert response.body == b"<rss/>"


def test_unknown_path_is_404(server: LocalServer) -> None:
    assert fetch(server.url("/nowhere")).status == 404


def test_set_replaces_the_route(server: LocalServer) -> None:
    server.set_text("/page", "first", "text/plain")
    server.set_text("/page", "second", "text/plain")

    assert fetch(server.url("/page")).body == b"second"


def test_set_text_encodes_in_the_declared_charset(server: LocalServer) -> None:
    server.set_text("/ua", "Київ", "text/html; charset=windows-1251")
    server.set_text("/utf8", "Київ", "text/html")

    assert fetch(server.url("/ua")).body == "Київ".encode("cp1251")
    assert fetch(server.url("/utf8")).body == "Київ".encode()


def test_matching_if_none_match_gives_304_without_body(server: LocalServer) -> None:
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 21 Jul 2025 10:12:00 GMT"}
    server.set("/feed", Route(b"x" * 500, headers=validators))

    not_modified = fetch(server.url("/feed"), {"If-None-Match": 'W/"v0", "v1"'})
    changed = fetch(server.url("/feed"), {"If-None-Match": '"v0"'})

    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.headers["ETag"] == '"v1"'
    assert not_modified.headers["Last-Modified"] == validators["Last-Modified"]
    assert changed.status == 200
    assert changed.body == b"x" * 500


def test_matching_if_modified_since_gives_304(server: LocalServer) -> None:
    last_modified = "Mon, 21 Jul 2025 10:12:00 GMT"
    server.set("/feed", Route(b"<rss/>", headers={"Last-Modified": last_modified}))

    assert fetch(server.url("/feed"), {"If-Modified-Since": last_modified}).status == 304
    assert fetch(server.url("/feed"), {"If-Modified-Since": "yesterday"}).status == 200


def test_gzips_large_bodies_for_clients_that_accept_gzip(server: LocalServer) -> None:
    body = b"<p>Kyiv</p>\n" * 100
    server.set("/big", Route(body))
    server.set("/small", Route(b"<p>Kyiv</p>"))

    zipped = fetch(server.url("/big"), {"Accept-Encoding": "gzip, deflate"})
    plain = fetch(server.url("/big"))  # urllib asks for "identity"
    small = fetch(server.url("/small"), {"Accept-Encoding": "gzip"})

    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Content-Length"] == str(len(zipped.body))
    assert gzip.decompress(zipped.body) == body
    assert plain.headers["Content-Encoding"] is None
    assert plain.body == body
    assert small.headers["Content-Encoding"] is None


def test_head_sends_headers_but_no_body(server: LocalServer) -> None:
    server.set("/page", Route(b"hello", headers={"Content-Type": "text/plain"}))

    response = fetch(server.url("/page"), method="HEAD")

    assert response.status == 200
    assert response.headers["Content-Length"] == "5"
    assert response.body == b""


def test_records_requests_with_full_path_and_lower_cased_headers(server: LocalServer) -> None:
    server.set("/feed", Route(b"<rss/>"))

    fetch(server.url("/feed?utm_source=x"), {"User-Agent": "ingester-test", "X-Trace": "1"})
    fetch(server.url("/feed"), method="HEAD")
    fetch(server.url("/missing"))

    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/feed?utm_source=x"),
        ("HEAD", "/feed"),
        ("GET", "/missing"),
    ]
    first = server.requests[0].headers
    assert first["user-agent"] == "ingester-test"
    assert first["x-trace"] == "1"
    assert server.hits("/feed") == 2
    assert server.hits("/feed?utm_source=x") == 1
    assert server.hits("/missing") == 1
    assert server.hits("/other") == 0


def test_delay_lets_clients_time_out_and_stop_cuts_it_short() -> None:
    server = LocalServer()
    server.start()
    server.set("/slow", Route(b"late", delay=30))
    try:
        with pytest.raises(TimeoutError):
            fetch(server.url("/slow"), timeout=0.2)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 5
    assert server.hits("/slow") == 1


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = LocalServer()
    server.start()
    server.set("/a", Route(b"a"))
    host, port = server.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", "/a")
        with conn.getresponse() as response:
            assert response.read() == b"a"
            assert not response.will_close  # the connection stays open, idle
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
    finally:
        conn.close()
