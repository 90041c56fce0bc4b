"""Fetcher: conditional GET, redirects, headers, error wrapping and size caps.

Every request goes through a respx router mounted as the Fetcher's transport, so nothing
here can reach the network and each test sees exactly the requests the Fetcher sent.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
import respx

from ingester.config import Settings
from ingester.errors import FetchError
from ingester.fetch import Fetcher
from ingester.types import FetchResult

FEED = "https://news.example.com/feed.xml"
PAGE = "https://news.example.com/world/2024/05/story"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'

Call = Callable[[Fetcher], Awaitable[FetchResult]]


def fetch(router: respx.Router, call: Call, settings: Settings | None = None) -> FetchResult:
    """Run one Fetcher call against ``router`` in a fresh event loop."""

    # The HTTP mechanics alone: robots.txt and per-host pacing have tests of their own.
    plain = replace(settings or Settings(), robots=False, host_gap=0.0)

    async def go() -> FetchResult:
        transport = httpx.MockTransport(router.async_handler)
        async with Fetcher(plain, transport=transport) as fetcher:
            return await call(fetcher)

    return asyncio.run(go())


def fetch_error(router: respx.Router, call: Call, settings: Settings | None = None) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(router, call, settings)
    return caught.value


def assert_one_line(error: FetchError) -> None:
    text = str(error)
    assert text
    assert "\n" not in text
    assert "Traceback" not in text


def get_feed(fetcher: Fetcher) -> Awaitable[FetchResult]:
    return fetcher.get_feed(FEED)


def get_page(fetcher: Fetcher) -> Awaitable[FetchResult]:
    return fetcher.get_page(PAGE)


async def chunks(data: bytes, size: int = 512) -> AsyncIterator[bytes]:
    """A response body that arrives in pieces, as it does over a socket."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


# -- conditional GET ----------------------------------------------------------------------


def test_sends_if_none_match_and_if_modified_since_when_given_validators() -> None:
    router = respx.Router()
    route = router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))
    etag, modified = '"abc123"', "Wed, 01 May 2024 10:00:00 GMT"

    fetch(router, lambda f: f.get_feed(FEED, etag=etag, last_modified=modified))

    headers = route.calls.last.request.headers
    assert headers["If-None-Match"] == etag
    assert headers["If-Modified-Since"] == modified


def test_a_validator_with_non_ascii_characters_is_sent_as_utf8() -> None:
    # A server put a byte past ASCII into its ETag; sending it back must not fail the poll.
    router = respx.Router()
    route = router.get(FEED).mock(return_value=httpx.Response(304))

    result = fetch(router, lambda f: f.get_feed(FEED, etag='"café-ÿ"'))

    assert result.status == 304
    sent = dict(route.calls.last.request.headers.raw)
    assert sent[b"If-None-Match"] == '"café-ÿ"'.encode()


def test_sends_only_the_validator_it_was_given() -> None:
    router = respx.Router()
    route = router.get(PAGE).mock(return_value=httpx.Response(200, content=b"<p>x</p>"))

    fetch(router, lambda f: f.get_page(PAGE, etag='"only-etag"'))

    headers = route.calls.last.request.headers
    assert headers["If-None-Match"] == '"only-etag"'
    assert "If-Modified-Since" not in headers


def test_sends_no_conditional_headers_without_validators() -> None:
    router = respx.Router()
    route = router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))

    fetch(router, get_feed)

    headers = route.calls.last.request.headers
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers


def test_not_modified_response_is_a_result_with_its_validators() -> None:
    etag, modified = '"v7"', "Thu, 02 May 2024 08:30:00 GMT"
    router = respx.Router()
    router.get(FEED).mock(
        return_value=httpx.Response(304, headers={"ETag": etag, "Last-Modified": modified})
    )

    result = fetch(router, lambda f: f.get_feed(FEED, etag=etag, last_modified=modified))

    assert result.not_modified
    assert result.status == 304
    assert result.content == b""
    assert result.etag == etag
    assert result.last_modified == modified


# -- 200 and redirects --------------------------------------------------------------------


def test_ok_response_returns_content_and_validators() -> None:
    etag, modified = 'W/"feed-42"', "Fri, 03 May 2024 12:00:00 GMT"
    router = respx.Router()
    router.get(FEED).mock(
        return_value=httpx.Response(
            200, content=RSS, headers={"ETag": etag, "Last-Modified": modified}
        )
    )

    result = fetch(router, get_feed)

    assert not result.not_modified
    assert result.status == 200
    assert result.content == RSS
    assert result.url == FEED
    assert result.final_url == FEED
    assert result.etag == etag
    assert result.last_modified == modified


def test_ok_response_without_validators_has_none() -> None:
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))

    result = fetch(router, get_feed)

    assert result.etag is None
    assert result.last_modified is None


def test_follows_redirects_and_reports_the_final_url() -> None:
    start = "http://example.com/rss"
    middle = "https://example.com/rss"
    final = "https://www.example.com/feeds/all.xml"
    router = respx.Router()
    router.get(start).mock(return_value=httpx.Response(301, headers={"Location": middle}))
    router.get(middle).mock(return_value=httpx.Response(302, headers={"Location": final}))
    router.get(final).mock(return_value=httpx.Response(200, content=RSS))

    result = fetch(router, lambda f: f.get_feed(start))

    assert result.url == start
    assert result.final_url == final
    assert result.content == RSS


def test_redirect_loop_is_a_fetch_error() -> None:
    a, b = "https://example.com/a", "https://example.com/b"
    router = respx.Router()
    router.get(a).mock(return_value=httpx.Response(302, headers={"Location": b}))
    router.get(b).mock(return_value=httpx.Response(302, headers={"Location": a}))

    error = fetch_error(router, lambda f: f.get_feed(a))

    assert error.url == a
    assert_one_line(error)


# -- request headers ----------------------------------------------------------------------


def test_user_agent_comes_from_settings() -> None:
    agent = "archive-test/3.1 (+mailto:desk@example.org)"
    router = respx.Router()
    route = router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))

    fetch(router, get_feed, Settings(user_agent=agent))

    assert route.calls.last.request.headers["User-Agent"] == agent


def test_accept_encoding_offers_gzip_and_brotli_when_available() -> None:
    router = respx.Router()
    route = router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))

    fetch(router, get_feed)

    offered = {
        part.split(";")[0].strip()
        for part in route.calls.last.request.headers["Accept-Encoding"].split(",")
    }
    assert "gzip" in offered
    has_brotli = any(importlib.util.find_spec(name) for name in ("brotli", "brotlicffi"))
    assert ("br" in offered) == has_brotli


def test_feed_and_page_requests_ask_for_their_media_types() -> None:
    router = respx.Router()
    feed_route = router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))
    page_route = router.get(PAGE).mock(return_value=httpx.Response(200, content=b"<p>x</p>"))

    fetch(router, get_feed)
    fetch(router, get_page)

    assert "application/rss+xml" in feed_route.calls.last.request.headers["Accept"]
    assert "application/atom+xml" in feed_route.calls.last.request.headers["Accept"]
    assert "text/html" in page_route.calls.last.request.headers["Accept"]


# -- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [204, 403, 404, 410, 429, 500, 503])
def test_status_other_than_200_or_304_is_a_fetch_error_with_the_status(status: int) -> None:
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(status, content=b"<h1>nope</h1>"))

    error = fetch_error(router, get_feed)

    assert error.status == status
    assert error.url == FEED
    assert str(status) in str(error)
    assert_one_line(error)


def test_error_status_after_a_redirect_is_a_fetch_error() -> None:
    moved = "https://news.example.com/moved.xml"
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(301, headers={"Location": moved}))
    router.get(moved).mock(return_value=httpx.Response(404))

    error = fetch_error(router, get_feed)

    assert error.status == 404
    assert_one_line(error)


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectError(""),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=["refused", "no-message", "disconnected"],
)
def test_connection_failure_is_a_one_line_fetch_error(exception: Exception) -> None:
    router = respx.Router()
    router.get(FEED).mock(side_effect=exception)

    error = fetch_error(router, get_feed)

    assert error.url == FEED
    assert error.status is None
    assert isinstance(error.__cause__, httpx.HTTPError)
    assert_one_line(error)


@pytest.mark.parametrize("timeout", [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.PoolTimeout])
def test_httpx_timeout_is_a_one_line_fetch_error(timeout: type[httpx.TimeoutException]) -> None:
    router = respx.Router()
    router.get(FEED).mock(side_effect=timeout)

    error = fetch_error(router, get_feed)

    assert error.url == FEED
    assert "timed out" in str(error)
    assert_one_line(error)


def test_a_server_that_never_finishes_the_body_times_out_as_a_whole() -> None:
    async def drip() -> AsyncIterator[bytes]:
        yield RSS[:10]
        await asyncio.get_running_loop().create_future()  # never resolves
        yield RSS[10:]  # pragma: no cover

    router = respx.Router()
    router.get(FEED).mock(side_effect=lambda request: httpx.Response(200, content=drip()))

    error = fetch_error(router, get_feed, Settings(timeout=0.05))

    assert error.url == FEED
    assert "timed out" in str(error)
    assert_one_line(error)


def test_corrupt_gzip_body_is_a_fetch_error() -> None:
    router = respx.Router()
    router.get(FEED).mock(
        side_effect=lambda request: httpx.Response(
            200, content=chunks(b"this is not gzip at all"), headers={"Content-Encoding": "gzip"}
        )
    )

    error = fetch_error(router, get_feed)

    assert_one_line(error)


# -- size caps ----------------------------------------------------------------------------


def test_feed_body_at_the_cap_is_accepted() -> None:
    cap = 4096
    body = b"x" * cap
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(200, content=body))

    result = fetch(router, get_feed, Settings(max_feed_bytes=cap))

    assert result.content == body


def test_feed_body_over_the_cap_is_refused() -> None:
    cap = 4096
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(200, content=b"x" * (cap + 1)))

    error = fetch_error(router, get_feed, Settings(max_feed_bytes=cap))

    assert error.url == FEED
    assert_one_line(error)


def test_streamed_body_over_the_cap_is_refused() -> None:
    cap = 4096
    router = respx.Router()
    router.get(FEED).mock(
        side_effect=lambda request: httpx.Response(200, content=chunks(b"y" * (cap * 3)))
    )

    error = fetch_error(router, get_feed, Settings(max_feed_bytes=cap))

    assert_one_line(error)


def test_small_gzip_body_that_inflates_past_the_cap_is_refused() -> None:
    cap = 64 * 1024
    bomb = gzip.compress(b"\0" * (cap * 50))
    assert len(bomb) < cap // 10  # the bytes on the wire are well under the cap
    router = respx.Router()
    router.get(FEED).mock(
        side_effect=lambda request: httpx.Response(
            200, content=chunks(bomb), headers={"Content-Encoding": "gzip"}
        )
    )

    error = fetch_error(router, get_feed, Settings(max_feed_bytes=cap))

    assert error.url == FEED
    assert_one_line(error)


def test_gzip_body_under_the_cap_is_decompressed() -> None:
    router = respx.Router()
    router.get(FEED).mock(
        side_effect=lambda request: httpx.Response(
            200, content=chunks(gzip.compress(RSS)), headers={"Content-Encoding": "gzip"}
        )
    )

    result = fetch(router, get_feed, Settings(max_feed_bytes=len(RSS)))

    assert result.content == RSS


def test_page_cap_applies_to_pages_not_feeds() -> None:
    body = b"<p>" + b"z" * 3000 + b"</p>"
    settings = Settings(max_feed_bytes=len(body) * 2, max_page_bytes=len(body) - 1)
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(200, content=body))
    router.get(PAGE).mock(return_value=httpx.Response(200, content=body))

    assert fetch(router, get_feed, settings).content == body
    error = fetch_error(router, get_page, settings)
    assert error.url == PAGE
    assert_one_line(error)


def test_feed_cap_applies_to_feeds_not_pages() -> None:
    body = b"<p>" + b"z" * 3000 + b"</p>"
    settings = Settings(max_feed_bytes=len(body) - 1, max_page_bytes=len(body) * 2)
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(200, content=body))
    router.get(PAGE).mock(return_value=httpx.Response(200, content=body))

    assert fetch(router, get_page, settings).content == body
    fetch_error(router, get_feed, settings)


def test_gzip_page_that_inflates_past_the_page_cap_is_refused() -> None:
    cap = 32 * 1024
    bomb = gzip.compress(b"<p>" + b"a" * (cap * 20) + b"</p>")
    assert len(bomb) < cap
    router = respx.Router()
    router.get(PAGE).mock(
        side_effect=lambda request: httpx.Response(
            200, content=chunks(bomb), headers={"Content-Encoding": "gzip"}
        )
    )

    error = fetch_error(router, get_page, Settings(max_page_bytes=cap))

    assert error.url == PAGE
    assert_one_line(error)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[::1/feed.xml", "invalid URL"),
        ("ftp://news.example.com/feed.xml", "only http and https URLs are fetched, not ftp:"),
        ("news.example.com/feed.xml", "not a URL without a scheme"),
    ],
)
@pytest.mark.parametrize("call", ["get_feed", "get_page"])
def test_a_url_that_cannot_be_fetched_is_a_fetch_error_before_any_request(
    url: str, said: str, call: str
) -> None:
    router = respx.Router(assert_all_called=False)
    route = router.route().respond(200, content=RSS)
    settings = Settings(robots=True)  # robots.txt is not asked for such a URL either

    async def go() -> None:
        transport = httpx.MockTransport(router.async_handler)
        async with Fetcher(replace(settings, host_gap=0.0), transport=transport) as fetcher:
            await getattr(fetcher, call)(url)

    with pytest.raises(FetchError, match=said) as caught:
        asyncio.run(go())

    assert_one_line(caught.value)
    assert route.call_count == 0


def test_a_redirect_to_an_unparseable_location_is_a_fetch_error() -> None:
    router = respx.Router()
    router.get(FEED).respond(302, headers={"Location": "http://[::1/elsewhere"})

    error = fetch_error(router, get_feed)

    assert "invalid URL" in str(error)
    assert_one_line(error)
