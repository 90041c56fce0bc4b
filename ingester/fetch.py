"""HTTP: conditional GET, redirects, decompression, timeouts and size caps.

The only module that talks to the network. Everything httpx raises is wrapped in a
``FetchError`` here, so the pipeline sees one kind of failure with a readable message.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from .config import Settings
from .decode import (
    ACCEPT_ENCODING,
    BodyTooLarge,
    UndecodableBody,
    content_encodings,
    decode_body,
)
from .errors import FetchError
from .guard import guarded_transport
from .policy import http_date
from .politeness import HostGate, RobotsCache
from .types import FetchResult

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 10
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB


def status_message(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "unexpected status"
    return f"fetch: {status} {phrase}"


class Fetcher:
    """One shared httpx client; use as an async context manager."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        """``transport`` replaces the network (tests); otherwise feeds and pages get a
        client each, the pages' guarded against private addresses (see guard.py)."""
        self._settings = settings
        self._gate = HostGate(settings.host_concurrency, settings.host_gap)
        self._robots = RobotsCache(self._get_robots)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)

        def client(guarded: bool) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                transport=transport or (guarded_transport(limits) if guarded else None),
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
                headers={"User-Agent": settings.user_agent},
                limits=limits,
            )

        self._feed_client = client(guarded=not settings.private_feeds)
        self._page_client = client(guarded=not settings.private_pages)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._feed_client.aclose()
        await self._page_client.aclose()

    async def get_feed(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        return await self.get(
            url, FEED_ACCEPT, self._settings.max_feed_bytes, etag=etag, last_modified=last_modified
        )

    async def get_page(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """An article page; refused without a request when robots.txt disallows it."""
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
        )

    async def _get_robots(self, url: str) -> tuple[int, bytes]:
        result = await self.get(
            url, "text/plain", ROBOTS_MAX_BYTES, any_status=True, truncate=True, page=True
        )
        return result.status, result.content

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
    ) -> FetchResult:
        """GET ``url``; a 200 or a 304 comes back as a result, anything else raises
        (unless ``any_status``). A body over ``max_bytes`` is refused, or with
        ``truncate`` cut to its first ``max_bytes``."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            shown = f"{scheme}:" if scheme else "a URL without a scheme"
            raise FetchError(url, f"fetch: only http and https URLs are fetched, not {shown}")
        headers = {"Accept": accept, "Accept-Encoding": ACCEPT_ENCODING}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            # Waiting for the host's turn is not part of the request's time.
            async with self._gate.slot(url):
                # httpx's timeouts are per phase; a server that drips bytes needs a bound
                # on the whole request.
                async with asyncio.timeout(self._settings.timeout):
                    client = self._page_client if page else self._feed_client
                    return await self._get(client, url, headers, max_bytes, any_status, truncate)
        except TimeoutError:
            raise FetchError(url, f"fetch: timed out after {self._settings.timeout:g}s") from None
        except httpx.TimeoutException as e:
            raise FetchError(url, f"fetch: timed out ({type(e).__name__})") from e
        except httpx.TooManyRedirects as e:
            raise FetchError(url, f"fetch: more than {MAX_REDIRECTS} redirects") from e
        except httpx.InvalidURL as e:
            raise FetchError(url, f"fetch: invalid URL: {e}") from e
        except httpx.UnsupportedProtocol as e:
            raise FetchError(url, f"fetch: unsupported URL scheme: {e}") from e
        except httpx.DecodingError as e:
            raise FetchError(url, f"fetch: cannot decode the response: {e}") from e
        except httpx.ConnectError as e:
            host = httpx.URL(url).host
            raise FetchError(url, f"fetch: cannot connect to {host}: {_reason(e)}") from e
        except httpx.HTTPError as e:
            detail = str(e) or type(e).__name__
            raise FetchError(url, f"fetch: {detail}") from e

    async def _get(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        any_status: bool,
        truncate: bool,
    ) -> FetchResult:
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status not in (200, 304) and not any_status:
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
                raise FetchError(url, status_message(status), status, retry_after)
            too_large = FetchError(url, f"fetch: body larger than {max_bytes} bytes", status)
            # The body as sent, counted while streaming; decoded below within the cap, so a
            # decompression bomb is cut off rather than inflated (see decode.py).
            chunks: list[bytes] = []
            size = 0
            encodings = content_encodings(response.headers.get("content-encoding"))
            if response.is_stream_consumed:
                # Read already, and so decoded, before it reached us (mock transports do).
                chunks, encodings = [response.content], []
                size = len(response.content)
            else:
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    chunks.append(chunk)
                    if size > max_bytes:
                        if not truncate:
                            raise too_large
                        break
            if size > max_bytes and not truncate:
                raise too_large
            try:
                content = decode_body(b"".join(chunks), encodings, max_bytes, partial=truncate)
            except BodyTooLarge:
                raise too_large from None
            except UndecodableBody as e:
                raise FetchError(url, f"fetch: cannot decode the response: {e}", status) from None
            return FetchResult(
                url=url,
                final_url=str(response.url),
                status=status,
                headers={k.lower(): v for k, v in response.headers.items()},
                content=content,
                moved_to=_moved_to(response),
            )


def _reason(error: Exception) -> str:
    """``[Errno -2] Name or service not known`` -> ``name or service not known``."""
    text = str(error) or type(error).__name__
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


def _moved_to(response: httpx.Response) -> str | None:
    """The URL that a leading chain of permanent redirects (301, 308) points at."""
    moved = None
    hops = [*response.history, response]
    for hop, following in itertools.pairwise(hops):
        if hop.status_code not in (301, 308):
            break
        moved = str(following.request.url)
    return moved


def product_token(user_agent: str) -> str:
    """``ingester/0.1 (+https://...)`` -> ``ingester``: what robots.txt groups are matched
    against (RFC 9309 2.2.1), not every word of the header."""
    words = user_agent.split()
    return words[0].split("/", 1)[0] if words else user_agent
