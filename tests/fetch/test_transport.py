"""httpx's transport interface on aiohttp, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import httpx
import pytest

from ingester.fetch.transport import http_transport
from tests.support.httpserver import LocalServer, Route

T = TypeVar("T")


def run(work: Callable[[httpx.AsyncBaseTransport], Awaitable[T]]) -> T:
    async def go() -> T:
        transport = http_transport(guarded=False)
        try:
            return await work(transport)
        finally:
            await transport.aclose()

    return asyncio.run(go())


def get(url: str, **headers: str) -> httpx.Request:
    return httpx.Request("GET", url, headers=headers, extensions={"timeout": {"read": 5.0}})


async def read(transport: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    response = await transport.handle_async_request(request)
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


def test_a_response_comes_back_as_sent_headers_and_body_untouched(server: LocalServer) -> None:
    body = b"<rss>" + b"x" * 5000 + b"</rss>"
    server.set("/feed.xml", Route(body, headers={"ETag": '"v1"', "X-Thing": "a"}))

    async def raw(transport: httpx.AsyncBaseTransport) -> tuple[httpx.Response, bytes]:
        request = get(server.url("/feed.xml"), **{"Accept-Encoding": "gzip"})
        response = await transport.handle_async_request(request)
        sent = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        return response, sent

    response, sent = run(raw)

    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"' and response.headers["x-thing"] == "a"
    # Still compressed: the fetcher decodes within its size cap, not the transport.
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(sent) == body


def test_the_request_headers_reach_the_server_and_no_others_are_invented(
    server: LocalServer,
) -> None:
    server.set("/feed.xml", Route(b"<rss/>"))

    run(lambda t: read(t, get(server.url("/feed.xml"), **{"User-Agent": "probe/1"})))

    [seen] = server.requests
    assert seen.headers["user-agent"] == "probe/1"
    assert "accept" not in seen.headers and "accept-encoding" not in seen.headers
    assert "cookie" not in seen.headers


def test_a_304_has_no_body_and_its_connection_is_used_again(server: LocalServer) -> None:
    server.set("/feed.xml", Route(b"<rss/>", headers={"ETag": '"v1"'}))

    async def twice(transport: httpx.AsyncBaseTransport) -> list[httpx.Response]:
        request = get(server.url("/feed.xml"), **{"If-None-Match": '"v1"'})
        return [await read(transport, request) for _ in range(2)]

    first, second = run(twice)

    assert first.status_code == second.status_code == 304
    assert first.content == b"" and second.content == b""
    assert len({r.client_port for r in server.requests}) == 1


def test_a_body_left_unread_does_not_spoil_the_next_request(server: LocalServer) -> None:
    server.set("/big", Route(b"x" * 500_000))
    server.set("/small", Route(b"small"))

    async def cut_short_then_again(transport: httpx.AsyncBaseTransport) -> bytes:
        response = await transport.handle_async_request(get(server.url("/big")))
        async for _ in response.aiter_raw():
            break
        await response.aclose()
        return (await read(transport, get(server.url("/small")))).content

    assert run(cut_short_then_again) == b"small"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_connection_is_httpxs_connect_error_with_aiohttps_cause() -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed.xml"

    with pytest.raises(httpx.ConnectError) as caught:
        run(lambda t: read(t, get(url)))

    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert caught.value.request.url == url


def test_a_server_slower_than_the_read_timeout_is_a_read_timeout(server: LocalServer) -> None:
    server.set("/slow", Route(b"late", delay=5))
    request = get(server.url("/slow"))
    request.extensions["timeout"] = {"read": 0.2}

    with pytest.raises(httpx.ReadTimeout):
        run(lambda t: read(t, request))
