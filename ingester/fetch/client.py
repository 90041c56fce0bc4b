"""HTTP: conditional GET, redirects, decompression, timeouts and size caps.

The only code that talks to the network. Everything httpx raises is wrapped in a
``FetchError`` here, so the pipeline sees one kind of failure with a readable message.
"""

from __future__ import annotations

import asyncio
import functools
from types import TracebackType

import aiohttp
import httpx

from ..config import Settings
from ..errors import AddressRefused, CaptureError, FetchError
from ..types import CaptureRef, FetchResult
from .capture import Captures
from .decode import (
    ACCEPT_ENCODING,
    BodyTooLarge,
    UndecodableBody,
    content_encodings,
    decode_body,
)
from .guard import PrivateAddressError
from .headers import moved_to, product_token, retry_after_seconds, status_message
from .politeness import HostGate, RobotsCache
from .transport import http_transport
from .wire import Received, exchange_of, received

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 10
PARSED_URLS = 50_000  # about 25 MB at most per poller
_NO_BODY = httpx.ByteStream(b"")
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
# What is kept of the body of a redirect or an error status: evidence, not an article.
ERROR_BODY_BYTES = 64 * 1024


class Fetcher:
    """Feeds and pages over httpx's transport interface; use as an async context manager.

    The transport is called directly rather than through ``httpx.AsyncClient``: the
    client's per-request machinery (cookies, auth, hooks, redirects) costs more than the
    request itself at thousands of feeds a second, and redirects are followed here, where
    their permanent hops are needed anyway (``moved_to``).
    """

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        captures: Captures | None = None,
        gate: HostGate | None = None,
    ):
        """``transport`` replaces the network (tests); otherwise feeds and pages get a
        transport each, the pages' guarded against private addresses (see guard.py).
        With ``captures``, every exchange is written to its WARC files (capture.py);
        ``gate`` keeps the per-host limits (a cluster's: ``SharedHostGate``)."""
        self._settings = settings
        self.captures = captures
        self._gate = gate or HostGate(settings.host_concurrency, settings.host_gap)
        self._robots = RobotsCache(self._get_robots)
        # Only connecting has a bound of its own: the whole request's (``get``) covers
        # every read, and a timer per read would only duplicate it.
        timeout = httpx.Timeout(None, connect=settings.connect_timeout)
        self._extensions = {"timeout": timeout.as_dict()}
        self._feed_transport = transport or http_transport(
            guarded=not settings.private_feeds, setting="private_feeds"
        )
        self._page_transport = transport or http_transport(
            guarded=not settings.private_pages, setting="private_pages"
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._feed_transport.aclose()
        if self._page_transport is not self._feed_transport:
            await self._page_transport.aclose()
        if self.captures is not None:
            self.captures.close()

    async def get_feed(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        previous: CaptureRef | None = None,
    ) -> FetchResult:
        """A feed; ``previous`` is its last capture, which an identical payload revisits."""
        return await self.get(
            url,
            FEED_ACCEPT,
            self._settings.max_feed_bytes,
            etag=etag,
            last_modified=last_modified,
            previous=previous,
        )

    async def get_page(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        previous: CaptureRef | None = None,
    ) -> FetchResult:
        """An article page; refused without a request when robots.txt disallows it."""
        web_url(url)  # before robots.txt is looked up for its host
        agent = product_token(self._settings.user_agent)
        if self._settings.robots and not await self._robots.allowed(url, agent):
            raise FetchError(url, "fetch: disallowed by robots.txt")
        return await self.get(
            url,
            PAGE_ACCEPT,
            self._settings.max_page_bytes,
            etag=etag,
            last_modified=last_modified,
            page=True,
            previous=previous,
        )

    async def _get_robots(self, url: str) -> tuple[int, bytes]:
        result = await self.get(
            url, "text/plain", ROBOTS_MAX_BYTES, any_status=True, truncate=True, page=True
        )
        return result.status, result.content

    def _headers(
        self, accept: str, etag: str | None, last_modified: str | None, target: httpx.URL
    ) -> httpx.Headers:
        headers = [
            ("Host", target.netloc.decode("ascii")),
            ("Accept", accept),
            ("Accept-Encoding", ACCEPT_ENCODING),
            ("User-Agent", self._settings.user_agent),
        ]
        if etag:
            headers.append(("If-None-Match", etag))
        if last_modified:
            headers.append(("If-Modified-Since", last_modified))
        # UTF-8, not httpx's ASCII: validators are sent back as the server gave them, and
        # a server may well have put a non-ASCII byte in one.
        return httpx.Headers(headers, encoding="utf-8")

    async def get(
        self,
        url: str,
        accept: str,
        max_bytes: int,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        any_status: bool = False,
        truncate: bool = False,
        page: bool = False,
        previous: CaptureRef | None = None,
    ) -> FetchResult:
        """GET ``url``; a 200 or a 304 comes back as a result, anything else raises
        (unless ``any_status``). A body over ``max_bytes`` is refused, or with
        ``truncate`` cut to its first ``max_bytes``."""
        target = web_url(url)
        headers = self._headers(accept, etag, last_modified, target)
        try:
            # Waiting for the host's turn is not part of the request's time.
            async with self._gate.slot(url):
                # httpx's timeouts are per phase; a server that drips bytes needs a bound
                # on the whole request.
                async with asyncio.timeout(self._settings.timeout):
                    transport = self._page_transport if page else self._feed_transport
                    return await self._get(
                        transport, url, target, headers, max_bytes, any_status, truncate, previous
                    )
        except TimeoutError:
            raise FetchError(url, f"fetch: timed out after {self._settings.timeout:g}s") from None
        except (httpx.HTTPError, httpx.InvalidURL, aiohttp.ClientError) as e:
            if any(isinstance(c, PrivateAddressError) for c in _causes(e)):
                raise AddressRefused(url, _describe(url, e)) from e
            raise FetchError(url, _describe(url, e)) from e

    async def _get(
        self,
        transport: httpx.AsyncBaseTransport,
        url: str,
        target: httpx.URL,
        headers: httpx.Headers,
        max_bytes: int,
        any_status: bool,
        truncate: bool,
        previous: CaptureRef | None,
    ) -> FetchResult:
        response, hops = await self._follow(transport, url, target, headers)
        try:
            return await self._read(response, hops, url, max_bytes, any_status, truncate, previous)
        finally:
            await response.aclose()

    async def _follow(
        self,
        transport: httpx.AsyncBaseTransport,
        url: str,
        target: httpx.URL,
        headers: httpx.Headers,
    ) -> tuple[httpx.Response, list[tuple[int, str]]]:
        """The response at the end of the redirects, and the hops taken: (status, to)."""
        hops: list[tuple[int, str]] = []
        while True:
            # A GET has no body: an empty stream spares httpx encoding one, and adding
            # headers for it (Host, which a GET does need, is in ``headers``).
            request = httpx.Request(
                "GET", target, headers=headers, stream=_NO_BODY, extensions=self._extensions
            )
            response = await transport.handle_async_request(request)
            location = response.headers.get("location")
            if not (response.is_redirect and location):
                return response, hops
            try:
                self._capture(response, await received(response, ERROR_BODY_BYTES, True))
            finally:
                await response.aclose()
            if len(hops) == MAX_REDIRECTS:
                raise FetchError(url, f"fetch: more than {MAX_REDIRECTS} redirects")
            target = target.join(location)
            if target.scheme not in ("http", "https"):
                raise FetchError(url, f"fetch: redirected to a {target.scheme}: URL")
            hops.append((response.status_code, str(target)))
            headers["Host"] = target.netloc.decode("ascii")

    async def _read(
        self,
        response: httpx.Response,
        hops: list[tuple[int, str]],
        url: str,
        max_bytes: int,
        any_status: bool,
        truncate: bool,
        previous: CaptureRef | None,
    ) -> FetchResult:
        status = response.status_code
        if status not in (200, 304) and not any_status:
            # Kept as evidence of what the server said, within a small bound of its own.
            body = await received(response, ERROR_BODY_BYTES, truncate=True)
            self._capture(response, body)
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
            raise FetchError(url, status_message(status), status, retry_after)
        too_large = FetchError(url, f"fetch: body larger than {max_bytes} bytes", status)
        # The body as sent, counted while streaming; decoded below within the cap, so a
        # decompression bomb is cut off rather than inflated (see decode.py).
        body = await received(response, max_bytes, truncate)
        capture = self._capture(response, body, previous)
        if body.truncated and not truncate:
            raise too_large
        encodings = (
            [] if body.decoded else content_encodings(response.headers.get("content-encoding"))
        )
        try:
            content = decode_body(body.content, encodings, max_bytes, partial=truncate)
        except BodyTooLarge:
            raise too_large from None
        except UndecodableBody as e:
            raise FetchError(url, f"fetch: cannot decode the response: {e}", status) from None
        return FetchResult(
            url=url,
            final_url=hops[-1][1] if hops else url,
            status=status,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=content,
            moved_to=moved_to(hops),
            capture=capture,
        )

    def _capture(
        self, response: httpx.Response, body: Received, previous: CaptureRef | None = None
    ) -> CaptureRef | None:
        """The exchange written as WARC records, when this fetcher keeps captures."""
        if self.captures is None:
            return None
        if response.status_code == 304 and not self.captures.not_modified:
            return previous  # left to the poll log: nothing to build a record of
        try:
            return self.captures.exchange(exchange_of(response, body), previous)
        except CaptureError as e:
            raise FetchError(str(response.request.url), str(e)) from e


@functools.lru_cache(maxsize=PARSED_URLS)
def parsed_url(url: str) -> httpx.URL:
    """httpx's parse of a URL, kept: feeds are polled at the same URLs again and again,
    and parsing one costs more than the rest of a 304 request's own work."""
    return httpx.URL(url)


def web_url(url: str) -> httpx.URL:
    """``url`` parsed, when it is an http or https URL; otherwise a ``FetchError``."""
    try:
        target = parsed_url(url)
    except (httpx.InvalidURL, ValueError) as e:
        raise FetchError(url, f"fetch: invalid URL: {_reason(e)}") from None
    if target.scheme not in ("http", "https"):
        shown = f"{target.scheme}:" if target.scheme else "a URL without a scheme"
        raise FetchError(url, f"fetch: only http and https URLs are fetched, not {shown}")
    return target


def _describe(url: str, error: Exception) -> str:
    """One line for a failed request, from the deepest cause that says what happened
    (the transport keeps aiohttp's own error as the cause of the httpx one)."""
    chain = _causes(error)
    root = next((c for c in chain if isinstance(c, aiohttp.ClientError | OSError)), error)
    refusal = next((c for c in chain if isinstance(c, PrivateAddressError)), None)
    if refusal is not None:  # not a failure to connect: no connection was tried
        return f"fetch: {_reason(refusal)}"
    if isinstance(root, aiohttp.ClientConnectorError | httpx.ConnectError):
        return f"fetch: cannot connect to {httpx.URL(url).host}: {_reason(root)}"
    if isinstance(root, TimeoutError | httpx.TimeoutException):
        return f"fetch: timed out ({type(root).__name__})"
    if isinstance(root, aiohttp.ServerDisconnectedError):
        return "fetch: the server closed the connection"
    if isinstance(root, httpx.InvalidURL | aiohttp.InvalidURL):
        return f"fetch: invalid URL: {_reason(root)}"
    if isinstance(root, httpx.UnsupportedProtocol):
        return f"fetch: unsupported URL scheme: {_reason(root)}"
    if isinstance(root, httpx.DecodingError):
        return f"fetch: cannot decode the response: {_reason(root)}"
    return f"fetch: {_reason(root)}"


def _causes(error: Exception) -> list[Exception]:
    """``error`` and its causes, deepest last; aiohttp's connector error counts the OSError
    it carries (a resolver's refusal) among them."""
    chain = [error]
    while isinstance(chain[-1].__cause__, Exception):
        chain.append(chain[-1].__cause__)
    return chain + [c.os_error for c in chain if isinstance(c, aiohttp.ClientConnectorError)]


def _reason(error: BaseException) -> str:
    """An error's own words on one line: for aiohttp's ``Cannot connect to host h:80
    ssl:default [...]``, the OSError inside; ``[Errno 111] Connection refused`` ->
    ``Connection refused``."""
    if isinstance(error, aiohttp.ClientConnectorError):
        error = error.os_error
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror
    else:
        text = str(error) or type(error).__name__
    text = text.split("] ", 1)[-1] if text.startswith("[Errno") else text
    return " ".join(text.split())
